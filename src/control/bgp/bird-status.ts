/**
 * From the speaker's read-only status (status.ts) to the rows BIRD's views print (views.ts): each peer a BGP
 * protocol, each Loc-RIB candidate a route. Calico's BIRD shows the blocks a node originates as its static
 * protocol's blackhole routes (confd's bird_aggr.cfg: `route <block> blackhole`), so locally originated
 * prefixes become `static1` blackholes, and routes from peers are BGP routes via their NEXT_HOP.
 */
import { formatCidr, formatIpv4, type Ipv4 } from '../../wire/addr.js';
import { BGP_ERR, notificationText, type AsPathSegment } from '../../wire/bgp.js';
import type { BgpPeerStatus, BgpRouteView } from './status.js';
import type { BgpLastError, BirdBgpProtocol, BirdRoute } from './views.js';

/** notificationText's strings back to their code and subcode (codes 1-7, subcodes 0-15 cover RFC 4271's and later). */
const NOTIFICATION_CODES: ReadonlyMap<string, { code: number; subcode: number }> = (() => {
  const m = new Map<string, { code: number; subcode: number }>();
  for (let code = BGP_ERR.MESSAGE_HEADER; code <= BGP_ERR.ROUTE_REFRESH_MESSAGE; code++) {
    for (let subcode = 15; subcode >= 0; subcode--) m.set(notificationText(code, subcode), { code, subcode });
  }
  return m;
})();

/**
 * The speaker's last-error text ("Hold timer expired", "Sent: X", "Received: X", "Socket: X") as BIRD's error
 * class and code, so the views print BIRD's own words for it; undefined when there was none.
 */
export function lastErrorOf(text: string): BgpLastError | undefined {
  if (text === '') return undefined;
  if (text === 'Hold timer expired') return { kind: 'sent', code: 4, subcode: 0 };
  const m = /^(Sent|Received|Socket): (.*)$/.exec(text);
  if (m === null) return { kind: 'socket', message: text };
  if (m[1] === 'Socket') return { kind: 'socket', message: m[2]! };
  const codes = NOTIFICATION_CODES.get(m[2]!);
  if (codes === undefined) return { kind: 'socket', message: text };
  return { kind: m[1] === 'Sent' ? 'sent' : 'received', ...codes };
}

/** One peer's status as the BGP protocol BIRD would show for it. */
export function birdProtocolOf(s: BgpPeerStatus): BirdBgpProtocol {
  const lastError = lastErrorOf(s.lastError);
  return { name: s.name, state: s.state, since: s.since, ...(lastError !== undefined ? { lastError } : {}) };
}

/** How the node reaches a next hop: the interface name (eth0, or tunl0 in IPIP mode), for `via X on IF`. */
export type NextHopInterface = (nextHop: Ipv4) => string;

/**
 * The Loc-RIB as BIRD's routes, in prefix order: locally originated prefixes as static blackholes, the rest
 * as BGP routes via their NEXT_HOP on the interface `ifaceOf` names. BIRD keeps each route's time of last
 * change; the speaker keeps none per route, so a learned route shows its session's `since` (when the
 * session came up, which is when a stable peer's routes arrived) and a local one `localSince`.
 */
export function birdRoutesOf(
  routes: readonly BgpRouteView[],
  peers: readonly BgpPeerStatus[],
  ifaceOf: NextHopInterface,
  localSince: number,
): BirdRoute[] {
  const sinceOf = new Map(peers.map((p) => [p.name, p.since]));
  const out: BirdRoute[] = [];
  for (const r of routes) {
    const prefix = formatCidr(r.prefix);
    for (const c of r.candidates) {
      if (c.from === 'local') {
        out.push({
          prefix,
          dest: 'blackhole',
          protocol: 'static1',
          since: localSince,
          preference: 200,
          primary: c.best,
        });
        continue;
      }
      const a = c.attrs;
      const nextHop = a.nextHop ?? c.peerAddress ?? 0;
      out.push({
        prefix,
        dest: 'unicast',
        protocol: c.from,
        since: sinceOf.get(c.from) ?? localSince,
        preference: 100,
        primary: c.best,
        ...(c.peerAddress !== undefined ? { from: formatIpv4(c.peerAddress) } : {}),
        gateway: formatIpv4(nextHop),
        iface: ifaceOf(nextHop),
        bgp: {
          origin: a.origin === 'egp' ? 'EGP' : a.origin === 'incomplete' ? 'Incomplete' : 'IGP',
          asPath: flatAsPath(a.asPath ?? []),
          nextHop: formatIpv4(nextHop),
          ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
          ...(a.med !== undefined ? { med: a.med } : {}),
          // a next hop on a directly connected network: IGP metric 0, as Calico's BIRD shows `(100/0)`
          igpMetric: 0,
        },
      });
    }
  }
  return out;
}

/** The AS numbers of an AS_PATH in order (sets flattened; BIRD prints them in braces, which no view needs yet). */
function flatAsPath(segments: readonly AsPathSegment[]): number[] {
  return segments.flatMap((s) => s.asns);
}
