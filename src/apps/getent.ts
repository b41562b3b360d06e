/**
 * getent's host databases as glibc 2.36's prints them (nss/getent.c), with nsswitch's `hosts: files dns`:
 * what a program linked against glibc finds for a name, the way applications resolve it.
 * - `getent hosts KEY...`: an address is looked up with gethostbyaddr (the hosts file, then the PTR of
 *   its in-addr.arpa name); a name with gethostbyname2 for AF_INET6 first (the hosts file's IPv6 lines,
 *   then AAAA through the search list) and for AF_INET when that finds nothing (the hosts file, then A
 *   through the search list). Each address is printed `%-15s NAME ALIASES`.
 * - `getent ahosts KEY...` and `ahostsv4`: getaddrinfo with AI_ADDRCONFIG and AI_CANONNAME, which on a
 *   node with no IPv6 address (podnet's) asks A only; each address three times (STREAM with the canonical
 *   name, DGRAM, RAW).
 * - the hosts file is read for one family at a time, as nss_files does: for AF_INET an IPv6 line counts
 *   as its IPv4 address when v4-mapped, `::1` as 127.0.0.1, and not at all otherwise; for AF_INET6 the
 *   IPv4 lines do not count (a pod's `getent hosts localhost` is `::1 localhost ip6-localhost ...`).
 * - without a key: the hosts file's entries, for AF_INET.
 * - exit status 2 when a key is not found, 1 for a database getent does not know; the other databases
 *   (passwd, group, services, ...) and ahostsv6 say they are not emulated.
 * Checked against the real getent in a namespace with a pod's /etc/hosts and resolv.conf
 * (test/dns-tools-real.test.ts).
 */
import { formatIpv4, parseIpv4, type Ipv4 } from '../wire/addr.js';
import { DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_PTR, checkName, formatIpv6, parseIpv6 } from '../wire/dns.js';
import type { UdpStack } from '../transport/udp.js';
import { type HostsEntry, parseHosts, reverseName } from './dns/hosts.js';
import { type ResolveResult, StubResolver } from './dns/resolver.js';
import type { StreamConnector } from './dns/stream.js';

/** What getent runs with on its node. */
export interface GetentEnv {
  readonly udp: UdpStack;
  readonly hostsFile?: string;
  readonly resolvConf?: string;
  readonly connect?: StreamConnector;
}

/** What getent printed and its exit status. */
export interface GetentResult {
  readonly stdout: string;
  readonly exitCode: number;
}

/** glibc's struct hostent, as print_hosts reads it. */
interface Hostent {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly addresses: readonly string[];
}

const KNOWN = [
  'ahosts',
  'ahostsv4',
  'ahostsv6',
  'aliases',
  'ethers',
  'group',
  'gshadow',
  'hosts',
  'initgroups',
  'netgroup',
  'networks',
  'passwd',
  'protocols',
  'rpc',
  'services',
  'shadow',
];

/** print_hosts: each address with the entry's name and aliases. */
function printHosts(h: Hostent): string {
  return h.addresses.map((a) => `${a.padEnd(15)} ${h.name}${h.aliases.map((x) => ` ${x}`).join('')}\n`).join('');
}

/** A hosts-file entry as a hostent: the line's first name, its other names as aliases. */
function entryHostent(e: HostsEntry, raw: readonly string[]): Hostent {
  const address = 'v4' in e.address ? formatIpv4(e.address.v4) : formatIpv6(e.address.v6);
  return { name: e.canonical, aliases: raw.slice(1), addresses: [address] };
}

/** The hosts file's lines: each entry with its names as written. */
function hostsLines(text: string | undefined): { entry: HostsEntry; names: string[] }[] {
  const out: { entry: HostsEntry; names: string[] }[] = [];
  for (const raw of (text ?? '').split('\n')) {
    const entries = parseHosts(raw);
    if (entries.length === 0) continue;
    const names = raw.replace(/#.*$/, '').trim().split(/\s+/).slice(1);
    out.push({ entry: entries[0]!, names: names.filter((n) => n !== '') });
  }
  return out;
}

/** Runs getent with `argv` (without the program name); `done` gets what it printed. Drive the engine. */
export function getent(env: GetentEnv, argv: readonly string[], done: (r: GetentResult) => void): void {
  const [db, ...keys] = argv;
  if (db === undefined || db.startsWith('-')) {
    done({
      stdout: `podnet: getent ${db ?? ''} is not emulated (podnet's getent takes hosts, ahosts or ahostsv4 and keys)\n`,
      exitCode: 255,
    });
    return;
  }
  if (!KNOWN.includes(db)) {
    done({
      stdout: `Unknown database: ${db}\nTry \`getent --help' or \`getent --usage' for more information.\n`,
      exitCode: 1,
    });
    return;
  }
  if (db !== 'hosts' && db !== 'ahosts' && db !== 'ahostsv4') {
    done({
      stdout: `podnet: getent ${db} is not emulated (podnet's getent takes hosts, ahosts and ahostsv4)\n`,
      exitCode: 255,
    });
    return;
  }
  const lines = hostsLines(env.hostsFile);
  // nss_files reads each line for one family: for AF_INET an IPv6 line stands for its IPv4 address when it
  // is v4-mapped, ::1 for 127.0.0.1, and is skipped otherwise; for AF_INET6 IPv4 lines are skipped
  const v4Lines = lines.flatMap((l) => {
    if ('v4' in l.entry.address) return [l];
    const a = l.entry.address.v6;
    const mapped = a.slice(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff;
    const loopback = a.slice(0, 15).every((b) => b === 0) && a[15] === 1;
    if (!mapped && !loopback) return [];
    const v4 = loopback ? 0x7f000001 : ((a[12]! << 24) | (a[13]! << 16) | (a[14]! << 8) | a[15]!) >>> 0;
    return [{ ...l, entry: { ...l.entry, address: { v4 } } }];
  });
  const v6Lines = lines.filter((l) => 'v6' in l.entry.address);
  if (keys.length === 0) {
    // gethostent, for AF_INET
    done({ stdout: v4Lines.map((l) => printHosts(entryHostent(l.entry, l.names))).join(''), exitCode: 0 });
    return;
  }
  const resolver = env.resolvConf === undefined ? undefined : new StubResolver(env.udp, env.resolvConf, env.connect);
  const ask = (name: string, type: number, cb: (r: ResolveResult | undefined) => void): void => {
    // a key that is no domain name is found nowhere (the resolver takes names only)
    if (resolver === undefined || checkName(name) !== undefined) cb(undefined);
    else resolver.resolve(name, type, cb);
  };
  const out: string[] = [];
  let status = 0;
  /** The files backend: the first line for `key` in `family`. */
  const inFile = (key: string, v6: boolean): { entry: HostsEntry; names: string[] } | undefined => {
    const k = key.toLowerCase().replace(/\.$/, '');
    return (v6 ? v6Lines : v4Lines).find((l) => l.names.some((n) => n.toLowerCase().replace(/\.$/, '') === k));
  };
  /** The hostent of a DNS answer: the owner of its address records, CNAME owners as aliases. */
  const fromDns = (r: ResolveResult, type: number): Hostent | undefined => {
    const records = r.answers.filter((a) => (type === DNS_TYPE_A ? a.data.type === 'A' : a.data.type === 'AAAA'));
    if (r.herrno !== undefined || records.length === 0) return undefined;
    const strip = (n: string): string => (n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n);
    const aliases = r.answers.filter((a) => a.data.type === 'CNAME').map((a) => strip(a.name));
    return {
      name: strip(records[0]!.name),
      aliases,
      addresses: records.map((a) =>
        a.data.type === 'A' ? formatIpv4(a.data.address) : a.data.type === 'AAAA' ? formatIpv6(a.data.address) : '',
      ),
    };
  };
  const byName = (key: string, v6: boolean, cb: (h: Hostent | undefined) => void): void => {
    const f = inFile(key, v6);
    if (f !== undefined) {
      cb(entryHostent(f.entry, f.names));
      return;
    }
    ask(key, v6 ? DNS_TYPE_AAAA : DNS_TYPE_A, (r) =>
      cb(r === undefined ? undefined : fromDns(r, v6 ? DNS_TYPE_AAAA : DNS_TYPE_A)),
    );
  };
  const one = (i: number): void => {
    const key = keys[i];
    if (key === undefined) {
      done({ stdout: out.join(''), exitCode: status });
      return;
    }
    const next = (h: Hostent | undefined): void => {
      if (h === undefined) status = 2;
      else out.push(printHosts(h));
      one(i + 1);
    };
    const ip = parseIpv4(key);
    if (db === 'hosts') {
      if (ip !== undefined || parseIpv6(key) !== undefined) {
        // gethostbyaddr: the hosts file, then the PTR of the address's reverse name
        const v6 = ip === undefined;
        const f = v6
          ? v6Lines.find(
              (l) => 'v6' in l.entry.address && formatIpv6(l.entry.address.v6) === formatIpv6(parseIpv6(key)!),
            )
          : v4Lines.find((l) => 'v4' in l.entry.address && l.entry.address.v4 === ip);
        if (f !== undefined) next({ ...entryHostent(f.entry, f.names), addresses: [key] });
        else if (v6) next(undefined);
        else
          ask(reverseName(ip), DNS_TYPE_PTR, (r) => {
            const ptr = r?.herrno === undefined ? r?.answers.find((a) => a.data.type === 'PTR') : undefined;
            next(
              ptr === undefined || ptr.data.type !== 'PTR'
                ? undefined
                : { name: ptr.data.target.replace(/\.$/, ''), aliases: [], addresses: [formatIpv4(ip)] },
            );
          });
        return;
      }
      byName(key, true, (h6) => (h6 !== undefined ? next(h6) : byName(key, false, next)));
      return;
    }
    // ahosts and ahostsv4: getaddrinfo, IPv4 only here; a numeric key is its own canonical name
    const show = (addrs: readonly Ipv4[], canonical: string): void => {
      for (const a of addrs) {
        const t = formatIpv4(a).padEnd(15);
        out.push(`${t} STREAM ${canonical}\n${t} DGRAM  \n${t} RAW    \n`);
      }
    };
    if (ip !== undefined) {
      show([ip], key);
      one(i + 1);
      return;
    }
    byName(key, false, (h) => {
      if (h === undefined) status = 2;
      else
        show(
          h.addresses.map((a) => parseIpv4(a)!),
          h.name,
        );
      one(i + 1);
    });
  };
  one(0);
}
