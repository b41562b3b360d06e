/**
 * The `hosts` plugin (CoreDNS's `hosts`): A, AAAA and PTR answers from text in /etc/hosts format, as k3s
 * serves its NodeHosts (`hosts /etc/coredns/NodeHosts { ttl 60; fallthrough }`). A name it knows gets its
 * addresses (or NOERROR with no answer for other types); a name it does not know is NXDOMAIN, or goes to
 * the next plugin with `fallthrough`.
 */
import { parseIpv4, type Ipv4 } from '../../wire/addr.js';
import {
  type DnsRecord,
  DNS_CLASS_IN,
  DNS_RCODE_NXDOMAIN,
  DNS_TYPE_A,
  DNS_TYPE_AAAA,
  DNS_TYPE_PTR,
  checkName,
  isSubdomain,
  nameKey,
  parseIpv6,
} from '../../wire/dns.js';
import { type DnsPlugin, replyTo } from './plugin.js';

/** Configuration of the hosts plugin. */
export interface HostsConfig {
  /** /etc/hosts text: "ADDRESS NAME [ALIAS...]" per line, # comments. */
  readonly text: string;
  /** TTL of the answers (CoreDNS default 3600 s). */
  readonly ttl?: number;
  /** Pass unknown names to the next plugin instead of answering NXDOMAIN. */
  readonly fallthrough?: boolean;
  /** Zones the plugin answers for (default: all, "."). */
  readonly zones?: readonly string[];
}

/** One parsed hosts line. */
export interface HostsEntry {
  readonly address: { readonly v4: Ipv4 } | { readonly v6: Uint8Array };
  /** The names as lookup keys (nameKey: lower case, final dot). */
  readonly names: readonly string[];
  /** The line's first name as written: glibc's canonical name for the entry (h_name, ai_canonname). */
  readonly canonical: string;
}

/** Parses /etc/hosts text. Lines whose address or names do not parse are skipped, as glibc and CoreDNS do. */
export function parseHosts(text: string): HostsEntry[] {
  const out: HostsEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const [addr, ...names] = line.split(/\s+/);
    const v4 = parseIpv4(addr!);
    const v6 = v4 === undefined ? parseIpv6(addr!) : undefined;
    const written = names.filter((n) => checkName(n) === undefined);
    const good = written.map((n) => nameKey(n));
    if (good.length === 0) continue;
    const canonical = written[0]!;
    if (v4 !== undefined) out.push({ address: { v4 }, names: good, canonical });
    else if (v6 !== undefined) out.push({ address: { v6 }, names: good, canonical });
  }
  return out;
}

/** The in-addr.arpa name of an IPv4 address (RFC 1035 3.5). */
export function reverseName(ip: Ipv4): string {
  return `${ip & 0xff}.${(ip >>> 8) & 0xff}.${(ip >>> 16) & 0xff}.${ip >>> 24}.in-addr.arpa.`;
}

/** The hosts plugin. */
export function hostsPlugin(cfg: HostsConfig): DnsPlugin {
  const ttl = cfg.ttl ?? 3600;
  const zones = (cfg.zones ?? ['.']).map((z) => nameKey(z));
  const forward = new Map<string, DnsRecord[]>();
  const reverse = new Map<string, DnsRecord[]>();
  const add = (map: Map<string, DnsRecord[]>, key: string, r: DnsRecord): void => {
    const l = map.get(key) ?? [];
    l.push(r);
    map.set(key, l);
  };
  for (const e of parseHosts(cfg.text)) {
    for (const name of e.names) {
      const data =
        'v4' in e.address
          ? { type: 'A' as const, address: e.address.v4 }
          : { type: 'AAAA' as const, address: e.address.v6 };
      add(forward, name, { name, class: DNS_CLASS_IN, ttl, data });
    }
    // CoreDNS answers PTR with every name on the line; only IPv4 reverse names here
    if ('v4' in e.address) {
      const rev = reverseName(e.address.v4);
      for (const name of e.names)
        add(reverse, rev, { name: rev, class: DNS_CLASS_IN, ttl, data: { type: 'PTR', target: name } });
    }
  }
  return (next) => (req, respond) => {
    const q = req.question;
    const key = nameKey(q.name);
    if (q.class !== DNS_CLASS_IN || !zones.some((z) => isSubdomain(key, z))) {
      next(req, respond);
      return;
    }
    const known = forward.get(key) ?? reverse.get(key);
    if (known === undefined) {
      if (cfg.fallthrough === true) next(req, respond);
      else respond(replyTo(req.message, { aa: true, rcode: DNS_RCODE_NXDOMAIN }));
      return;
    }
    const want =
      q.type === DNS_TYPE_A ? 'A' : q.type === DNS_TYPE_AAAA ? 'AAAA' : q.type === DNS_TYPE_PTR ? 'PTR' : undefined;
    respond(replyTo(req.message, { aa: true, answers: known.filter((r) => r.data.type === want) }));
  };
}
