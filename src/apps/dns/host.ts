/**
 * host as BIND 9.18 ships it (bin/dig/host.c, Debian's bind9-host 1:9.18.49-1~deb12u3), in its short form:
 * `host [-rsTUw46] [-t TYPE] [-c IN] [-N NDOTS] [-R RETRIES] [-W SECONDS] [-p PORT] NAME [SERVER]`, on the
 * lookup engine it shares with nslookup (dighost.ts). What it prints, as the real one does:
 * - for a name: an A lookup walking the search list, then AAAA and MX lookups of the name its CNAMEs
 *   lead to; each record as `NAME has address ADDR`, `NAME is an alias for TARGET.`, `NAME has IPv6
 *   address ...`, `NAME mail is handled by ...` (host.c's rtypes), others as `NAME has TYPE record DATA`;
 * - with -t, that type only, and `NAME has no TYPE record` when the answer has none;
 * - for an address: its in-addr.arpa name's PTR, `... domain name pointer NAME.`;
 * - an error: `Host NAME not found: 3(NXDOMAIN)` (the name as given for NXDOMAIN, as asked for the rest);
 * - with a server: `Using domain server:` and its name and address first;
 * - no comments (host turns them off), but an answer without RA still moves on to the next of
 *   resolv.conf's servers; two attempts per lookup unless -R; the timeout from -W, else resolv.conf's, else
 *   5 s;
 * - exit status 0 when every answer printed was not an error, else 1 (2 for a type it does not know).
 * -v, -d, -a, -A, -l, -C, -D, -6, classes other than IN and a server given by name are not emulated and
 * say so.
 */
import { formatIpv4, parseIpv4 } from '../../wire/addr.js';
import {
  DNS_RCODE_NXDOMAIN,
  DNS_TYPE_A,
  DNS_TYPE_AAAA,
  DNS_TYPE_MX,
  DNS_TYPE_PTR,
  checkName,
  dnsTypeCode,
  dnsTypeName,
  rdataTypeCode,
} from '../../wire/dns.js';
import type { UdpStack } from '../../transport/udp.js';
import { DIG_VERSION, rdataText } from './dig-format.js';
import { iscNameError } from './dig.js';
import {
  type DighostPrint,
  type DighostServer,
  type DighostSettings,
  bindResolvOptions,
  chaseCnames,
  formatName,
  newLookup,
  rcodeText,
  runLookups,
} from './dighost.js';
import { reverseName } from './hosts.js';
import { DEFAULT_RESOLV_CONF, parseResolvConf } from './resolv-conf.js';
import type { StreamConnector } from './stream.js';

/** What host runs with on its node. */
export interface HostEnv {
  readonly udp: UdpStack;
  /** The node's /etc/resolv.conf: its nameservers, search list, ndots and timeout. */
  readonly resolvConf?: string;
  /** Opens TCP streams (-T, ANY, and after a truncated answer). */
  readonly connect?: StreamConnector;
}

/** What host printed (stdout and stderr, in order) and its exit status. */
export interface HostResult {
  readonly stdout: string;
  readonly exitCode: number;
}

/** host.c rtypes: the words before a record's data, by type; the rest are `has TYPE record`. */
const RTYPES: ReadonlyMap<number, string> = new Map([
  [1, 'has address'],
  [2, 'name server'],
  [5, 'is an alias for'],
  [11, 'has well known services'],
  [12, 'domain name pointer'],
  [13, 'host information'],
  [15, 'mail is handled by'],
  [16, 'descriptive text'],
  [19, 'x25 address'],
  [20, 'ISDN address'],
  [24, 'has signature'],
  [25, 'has key'],
  [28, 'has IPv6 address'],
  [29, 'location'],
]);

const USAGE = `Usage: host [-aCdilrTvVw] [-c class] [-N ndots] [-t type] [-W time]
            [-R number] [-m flag] [-p port] hostname [server]
       -a is equivalent to -v -t ANY
       -A is like -a but omits RRSIG, NSEC, NSEC3
       -c specifies query class for non-IN data
       -C compares SOA records on authoritative nameservers
       -d is equivalent to -v
       -l lists all hosts in a domain, using AXFR
       -m set memory debugging flag (trace|record|usage)
       -N changes the number of dots allowed before root lookup is done
       -p specifies the port on the server to query
       -r disables recursive processing
       -R specifies number of retries for UDP packets
       -s a SERVFAIL response should stop query
       -t specifies the query type
       -T enables TCP/IP mode
       -U enables UDP mode
       -v enables verbose output
       -V print version number and exit
       -w specifies to wait forever for a reply
       -W specifies how long to wait for a reply
       -4 use IPv4 query transport only
       -6 use IPv6 query transport only
`;

/** host's getopt string: the options that take a value. */
const WITH_VALUE = new Set(['c', 'm', 'p', 't', 'N', 'R', 'W']);
const FLAGS = new Set(['4', '6', 'a', 'A', 'd', 'i', 'l', 'n', 'r', 's', 'v', 'V', 'w', 'C', 'D', 'T', 'U']);

/** Runs host with `argv` (without the program name); `done` gets what it printed. Drive the engine. */
export function host(env: HostEnv, argv: readonly string[], done: (r: HostResult) => void): void {
  const notEmulated = (what: string): void => done({ stdout: `podnet: host ${what} is not emulated\n`, exitCode: 255 });
  let rdtype = DNS_TYPE_A;
  let defaultLookups = true;
  let recurse = true;
  let servfailStops = false;
  let tcp: boolean | undefined;
  let port = 53;
  let tries = 2;
  let timeout = 0;
  let ndots: number | undefined;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    // isc_commandline_parse stops at the first word that is not an option
    if (positional.length > 0 || !a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (WITH_VALUE.has(c)) {
        const v = a.slice(j + 1) || argv[++i];
        if (v === undefined) {
          done({ stdout: `host: option requires an argument -- ${c}\n${USAGE}`, exitCode: 1 });
          return;
        }
        if (c === 't') {
          const t = /^TYPE([0-9]{1,5})$/i.exec(v) !== null ? Number(v.slice(4)) : dnsTypeCode(v.toUpperCase());
          if (t === undefined || t > 0xffff) {
            done({ stdout: `host: invalid type: ${v}\n\n`, exitCode: 2 });
            return;
          }
          if (t === 252 || t === 251) {
            notEmulated(`-t ${v} (zone transfers)`);
            return;
          }
          rdtype = t;
          if (t === 255 && tcp === undefined) tcp = true;
          defaultLookups = false;
        } else if (c === 'c') {
          if (!/^(in|class0*1)$/i.test(v)) {
            notEmulated(`-c ${v} (podnet asks class IN only)`);
            return;
          }
          defaultLookups = false;
        } else if (c === 'p') port = Number.parseInt(v, 10) || 0;
        else if (c === 'N') ndots = Number.parseInt(v, 10) || 0;
        else if (c === 'R') tries = Math.max(2, (Number.parseInt(v, 10) || 0) + 1);
        else if (c === 'W') timeout = Math.max(1, Number.parseInt(v, 10) || 0);
        break;
      }
      if (!FLAGS.has(c)) {
        done({ stdout: `host: illegal option -- ${c}\n${USAGE}`, exitCode: 1 });
        return;
      }
      if (c === 'V') {
        done({ stdout: `host ${DIG_VERSION}\n`, exitCode: 0 });
        return;
      }
      if ('vdaAlCD6'.includes(c)) {
        notEmulated(`-${c}`);
        return;
      }
      if (c === 'r') recurse = false;
      else if (c === 's') servfailStops = true;
      else if (c === 'T') tcp = true;
      else if (c === 'U') tcp = false;
      // -w: wait forever (dighost runs no timer at INT_MAX)
      else if (c === 'w') timeout = 0x7fffffff;
    }
  }
  const hostname = positional[0];
  if (hostname === undefined) {
    done({ stdout: USAGE, exitCode: 1 });
    return;
  }
  let server: DighostServer | undefined;
  if (positional[1] !== undefined) {
    const ip = parseIpv4(positional[1]);
    if (ip === undefined) {
      notEmulated(`with a server given by name (${positional[1]}; give its IPv4 address)`);
      return;
    }
    server = { addr: ip, text: positional[1] };
  }
  // parse_args: an address is looked up as its PTR name, with no AAAA and MX lookups after it
  const ip = parseIpv4(hostname);
  const textname = ip !== undefined ? reverseName(ip) : hostname;
  if (ip !== undefined) {
    rdtype = DNS_TYPE_PTR;
    defaultLookups = false;
  }
  const bad = checkName(textname);
  if (bad !== undefined) {
    done({ stdout: `host: '${textname}' is not in legal name syntax (${iscNameError(bad)})\n`, exitCode: 1 });
    return;
  }
  const conf = env.resolvConf === undefined ? DEFAULT_RESOLV_CONF : parseResolvConf(env.resolvConf);
  const settings: DighostSettings = {
    servers: server !== undefined ? [server] : conf.nameservers.map((a) => ({ addr: a, text: formatIpv4(a) })),
    port,
    search: conf.search,
    ndots: ndots ?? conf.ndots,
    usesearch: ip === undefined,
    recurse,
    timeout: timeout > 0 ? timeout : bindResolvOptions(env.resolvConf).timeout,
    // no server named: check_ra, which moves on to the next server (host prints no comments)
    checkRa: server === undefined,
    servfailStops,
    comments: false,
    // query IDs: the stream `node:<name>/host`, shared by every host run on that node
    rngName: `node:${env.udp.node.name}/host`,
    progname: 'host',
  };
  const out: string[] = [];
  let seenError = -1;
  let printedServer = false;
  const print: DighostPrint = (l, qname, srv, m, queue) => {
    if (server !== undefined && !printedServer) {
      out.push(`Using domain server:\nName: ${srv.text}\nAddress: ${formatIpv4(srv.addr)}#${port}\nAliases: \n\n`);
      printedServer = true;
    }
    const forceError = seenError === 1 ? 1 : 0;
    seenError = 1;
    if (m.rcode !== 0) {
      const name = m.rcode !== DNS_RCODE_NXDOMAIN ? formatName(qname) : l.textname;
      out.push(`Host ${name} not found: ${m.rcode}(${rcodeText(m.rcode)})\n`);
      return;
    }
    if (defaultLookups && l.rdtype === DNS_TYPE_A) {
      // the AAAA and MX lookups of the name the answer's CNAMEs lead to, asked as it is
      const target = formatName(chaseCnames(m, qname));
      for (const t of [DNS_TYPE_AAAA, DNS_TYPE_MX])
        queue({ ...newLookup(target, t, tries, l.tcp, false), doneAsIs: l.doneAsIs, needSearch: l.needSearch });
    }
    for (const r of m.answers) {
      const code = rdataTypeCode(r.data);
      out.push(`${formatName(r.name)} ${RTYPES.get(code) ?? `has ${dnsTypeName(code)} record`} ${rdataText(r.data)}\n`);
    }
    if (!defaultLookups && m.answers.length === 0)
      out.push(`${formatName(qname)} has no ${dnsTypeName(l.rdtype)} record\n`);
    seenError = forceError;
  };
  runLookups(env, settings, newLookup(textname, rdtype, tries, tcp ?? false), out, print, (fatal) =>
    done({ stdout: out.join(''), exitCode: fatal !== true && seenError === 0 ? 0 : 1 }),
  );
}
