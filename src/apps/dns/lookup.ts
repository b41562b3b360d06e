/**
 * getaddrinfo as glibc does it with nsswitch's `hosts: files dns`: /etc/hosts first (the first line naming
 * the host, case-insensitively), then the stub resolver with the node's resolv.conf, asking A and AAAA at
 * once (AF_UNSPEC, what curl, ping, wget, traceroute and nc ask for; AF_INET, A alone, with `ipv4Only`, as
 * `curl -4` and `nc -4` ask). Only IPv4 addresses are returned: podnet's networks are IPv4. Failures carry
 * gai_strerror's text: EAI_NONAME "Name or service not known" for NXDOMAIN/NODATA, EAI_AGAIN "Temporary
 * failure in name resolution" when no server answered (glibc getaddrinfo.c).
 */
import type { Ipv4 } from '../../wire/addr.js';
import { DNS_TYPE_A, checkName, nameKey } from '../../wire/dns.js';
import type { UdpStack } from '../../transport/udp.js';
import { parseHosts } from './hosts.js';
import { StubResolver, T_QUERY_A_AND_AAAA } from './resolver.js';
import type { StreamConnector } from './stream.js';

/**
 * What a lookup ended with: an address (with getaddrinfo's ai_canonname when it came from /etc/hosts or
 * DNS: the line's first name, or the name the answer's address records are for), or gai_strerror's text.
 */
export type LookupResult = { ok: true; ip: Ipv4; canonical?: string } | { ok: false; error: string };

/** Looks a name up; calls `done` once. `ipv4Only`: AF_INET (A only) instead of AF_UNSPEC (A and AAAA). */
export type Lookup = (name: string, done: (r: LookupResult) => void, opts?: { ipv4Only?: boolean }) => void;

/** gai_strerror(EAI_NONAME). */
export const EAI_NONAME = 'Name or service not known';
/** gai_strerror(EAI_AGAIN). */
export const EAI_AGAIN = 'Temporary failure in name resolution';

/** A node's getaddrinfo: `hostsFile`, then DNS per `resolvConf` (none: only the hosts file). */
export function systemLookup(env: {
  udp: UdpStack;
  hostsFile?: string;
  resolvConf?: string;
  connect?: StreamConnector;
}): Lookup {
  const hosts = env.hostsFile === undefined ? [] : parseHosts(env.hostsFile);
  let resolver: StubResolver | undefined;
  return (name, done, opts) => {
    if (checkName(name) !== undefined) {
      done({ ok: false, error: EAI_NONAME });
      return;
    }
    const key = nameKey(name);
    for (const h of hosts)
      if ('v4' in h.address && h.names.includes(key)) {
        done({ ok: true, ip: h.address.v4, canonical: h.canonical });
        return;
      }
    if (env.resolvConf === undefined) {
      done({ ok: false, error: EAI_NONAME });
      return;
    }
    resolver ??= new StubResolver(env.udp, env.resolvConf, env.connect);
    resolver.resolve(name, opts?.ipv4Only === true ? DNS_TYPE_A : T_QUERY_A_AND_AAAA, (r) => {
      const ip = r.addresses[0];
      // the owner of the address record, at the end of any CNAME chain, without its final dot
      const owner = r.answers.find((a) => a.data.type === 'A' && a.data.address === ip)?.name;
      const canonical = owner === undefined ? undefined : owner.endsWith('.') ? owner.slice(0, -1) : owner;
      if (ip !== undefined) done({ ok: true, ip, ...(canonical !== undefined ? { canonical } : {}) });
      else done({ ok: false, error: r.herrno === 'TRY_AGAIN' ? EAI_AGAIN : EAI_NONAME });
    });
  };
}
