/**
 * The text BIRD's command line prints about a BGP speaker: `birdcl show protocols` and `birdcl show route`,
 * from plain status values, so a node's speaker (or the real-peer session of `podnet serve --bgp-peer`) can be
 * inspected with the commands an operator types. Two dialects, because they differ:
 *
 * - `calico-bird`: Calico's own BIRD, the fork projectcalico/bird (v0.3.3, based on BIRD 1.6), which runs in
 *   every calico-node and whose output `calicoctl node status` parses. Format strings from that fork:
 *   nest/proto.c proto_cmd_show (`"%-8s %-8s %-8s %-5s  %-10s  %s"`, heading `name     proto    table ...`),
 *   nest/rt-table.c rt_show_rte (`"%-18s %s [%s %s%s]%s%s"`, rt_format_via), conf/conf.c (time format `%T`
 *   within 20 hours, else `%F`).
 * - `bird2`: upstream BIRD 2 (Debian's bird2), checked byte for byte against BIRD 2.0.12 (golden/README.md):
 *   nest/proto.c `"%-10s %-10s %-10s %-6s %-12s  %s"`, nest/rt-show.c `"%-20s %s [%s %s%s]%s%s"` with the next
 *   hop on its own line, time format `%T.%3f` within 20 hours, else `%F`.
 *
 * What the speaker's state means to BIRD (proto/bgp/bgp.c bgp_get_status, same in both): the protocol is
 * `up` when Established, `start` while trying, `down` when disabled; the info column is the FSM state padded
 * to 14 columns, then the last error as class + message ("Received: Administrative shutdown",
 * "BGP Error: Hold timer expired", "Socket: Connection refused"). Calico's protocol names come from confd's
 * bird.cfg template: `Mesh_<ip with _>` for node-to-node mesh peers, `Node_<ip>` for node-specific BGPPeers,
 * `Global_<ip>` for global BGPPeers; the others are BIRD's automatic names (static1, kernel1, device1, direct1).
 * Times are the emulation's: simulated nanoseconds mapped onto a civil time by the clock the caller gives.
 */
import { civilTime, twoDigits } from '../../wire/civil-time.js';

/** Which BIRD prints the text. */
export type BirdDialect = 'calico-bird' | 'bird2';

/** RFC 4271 §8 session states, as BIRD names them. */
export type BgpSessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** Why a session last went down, in BIRD's error classes (bgp.c bgp_err_classes). */
export type BgpLastError =
  /** A NOTIFICATION the peer sent us ("Received: ..."). */
  | { kind: 'received'; code: number; subcode: number }
  /** A NOTIFICATION we sent ("BGP Error: ..."). */
  | { kind: 'sent'; code: number; subcode: number }
  /** The TCP connection failed or closed ("Socket: Connection closed", "Socket: Connection refused"). */
  | { kind: 'socket'; message: string };

/** One BGP protocol (one peer) as the views need it; the speaker's per-peer status maps onto this. */
export interface BirdBgpProtocol {
  /** BIRD's protocol name, e.g. `Mesh_172_171_5_96`. */
  name: string;
  state: BgpSessionState;
  /** Simulated time (ns) of the last change of BIRD's protocol state (up/start/down). */
  since: number;
  /** False when an operator disabled it (`birdcl disable`): BIRD shows `down`. Default true. */
  enabled?: boolean;
  /** A passive peer waiting in Idle shows as `Passive`. */
  passive?: boolean;
  lastError?: BgpLastError;
}

/** One of BIRD's other protocols, as Calico's bird.cfg configures them. */
export interface BirdOtherProtocol {
  name: string;
  proto: 'Static' | 'Kernel' | 'Device' | 'Direct';
  since: number;
}

/** Maps simulated time onto the wall calendar: `epochMs` is the Unix time (ms, UTC) at simulated time 0. */
export interface BirdClock {
  epochMs: number;
  /** The simulated time (ns) the command runs at: "within 20 hours" is measured from here. */
  now: number;
}

/** The first line birdcl prints, before any answer (nest/cli.c: "BIRD " BIRD_VERSION " ready."). */
export const BIRDCL_BANNER: Readonly<Record<BirdDialect, string>> = {
  // projectcalico/bird sysdep/config.h: BIRD_VERSION "v0.3.3+birdv1.6.8"
  'calico-bird': 'BIRD v0.3.3+birdv1.6.8 ready.',
  bird2: 'BIRD 2.0.12 ready.',
};

/**
 * The protocols other than BGP that Calico's bird.cfg configures, in its order (bird_aggr.cfg's `protocol
 * static` is included first, then kernel, device and direct): what `show protocols` lists above the peers.
 */
export function calicoBirdOthers(since: number): BirdOtherProtocol[] {
  return [
    { name: 'static1', proto: 'Static', since },
    { name: 'kernel1', proto: 'Kernel', since },
    { name: 'device1', proto: 'Device', since },
    { name: 'direct1', proto: 'Direct', since },
  ];
}

/** BIRD's NOTIFICATION texts (proto/bgp/packets.c bgp_msg_table; 2.11 exists in BIRD 2 only). */
const BIRD_ERROR_TEXT: ReadonlyMap<number, string> = new Map([
  [0x100, 'Invalid message header'],
  [0x101, 'Connection not synchronized'],
  [0x102, 'Bad message length'],
  [0x103, 'Bad message type'],
  [0x200, 'Invalid OPEN message'],
  [0x201, 'Unsupported version number'],
  [0x202, 'Bad peer AS'],
  [0x203, 'Bad BGP identifier'],
  [0x204, 'Unsupported optional parameter'],
  [0x205, 'Authentication failure'],
  [0x206, 'Unacceptable hold time'],
  [0x207, 'Required capability missing'],
  [0x208, 'No supported AFI/SAFI'],
  [0x20b, 'Role mismatch'],
  [0x300, 'Invalid UPDATE message'],
  [0x301, 'Malformed attribute list'],
  [0x302, 'Unrecognized well-known attribute'],
  [0x303, 'Missing mandatory attribute'],
  [0x304, 'Invalid attribute flags'],
  [0x305, 'Invalid attribute length'],
  [0x306, 'Invalid ORIGIN attribute'],
  [0x307, 'AS routing loop'],
  [0x308, 'Invalid NEXT_HOP attribute'],
  [0x309, 'Optional attribute error'],
  [0x30a, 'Invalid network field'],
  [0x30b, 'Malformed AS_PATH'],
  [0x400, 'Hold timer expired'],
  [0x500, 'Finite state machine error'],
  [0x501, 'Unexpected message in OpenSent state'],
  [0x502, 'Unexpected message in OpenConfirm state'],
  [0x503, 'Unexpected message in Established state'],
  [0x600, 'Cease'],
  [0x601, 'Maximum number of prefixes reached'],
  [0x602, 'Administrative shutdown'],
  [0x603, 'Peer de-configured'],
  [0x604, 'Administrative reset'],
  [0x605, 'Connection rejected'],
  [0x606, 'Other configuration change'],
  [0x607, 'Connection collision resolution'],
  [0x608, 'Out of Resources'],
  [0x700, 'Invalid ROUTE-REFRESH message'],
  [0x701, 'Invalid ROUTE-REFRESH message length'],
]);

/** BIRD's text for a NOTIFICATION code/subcode (bgp_error_dsc), "Unknown error C.S" when it has none. */
export function birdErrorText(code: number, subcode: number, dialect: BirdDialect = 'bird2'): string {
  const text =
    code === 2 && subcode === 11 && dialect === 'calico-bird' ? undefined : BIRD_ERROR_TEXT.get(code * 256 + subcode);
  return text ?? `Unknown error ${code}.${subcode}`;
}

/** "Received: Administrative shutdown", "BGP Error: Hold timer expired", "Socket: ...", or "". */
export function birdLastErrorText(e: BgpLastError | undefined, dialect: BirdDialect = 'bird2'): string {
  if (e === undefined) return '';
  switch (e.kind) {
    case 'received':
      return `Received: ${birdErrorText(e.code, e.subcode, dialect)}`;
    case 'sent':
      return `BGP Error: ${birdErrorText(e.code, e.subcode, dialect)}`;
    case 'socket':
      return `Socket: ${e.message}`;
  }
}

/** BIRD's time column: `%T` (calico-bird) or `%T.%3f` (bird2) within 20 hours of now, else `%F` (UTC here). */
export function birdTime(since: number, clock: BirdClock, dialect: BirdDialect): string {
  const ms = clock.epochMs + Math.floor(since / 1e6);
  const c = civilTime(Math.floor(ms / 1000));
  if (clock.now - since >= 20 * 3600 * 1e9) return `${c.year}-${twoDigits(c.month)}-${twoDigits(c.day)}`;
  const t = `${twoDigits(c.hour)}:${twoDigits(c.minute)}:${twoDigits(c.second)}`;
  return dialect === 'bird2' ? `${t}.${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}` : t;
}

/** BIRD's protocol state column for a BGP protocol (proto_state_name). */
export function birdProtoState(p: BirdBgpProtocol): 'up' | 'start' | 'down' {
  if (p.enabled === false) return 'down';
  return p.state === 'Established' ? 'up' : 'start';
}

/** BIRD's info column for a BGP protocol (bgp_get_status): the state padded to 14, then the last error. */
export function birdBgpInfo(p: BirdBgpProtocol, dialect: BirdDialect = 'bird2'): string {
  const err = birdLastErrorText(p.lastError, dialect);
  if (p.enabled === false) return err;
  const state = p.state === 'Idle' && p.passive === true ? 'Passive' : p.state;
  return state.padEnd(14) + err;
}

/** The `birdcl show protocols` text (without birdcl's "BIRD ... ready." banner): others first, as in bird.cfg. */
export function birdShowProtocols(
  bgp: readonly BirdBgpProtocol[],
  others: readonly BirdOtherProtocol[],
  clock: BirdClock,
  dialect: BirdDialect,
): string {
  const bird2 = dialect === 'bird2';
  const row = (name: string, proto: string, table: string, state: string, since: string, info: string): string =>
    bird2
      ? `${name.padEnd(10)} ${proto.padEnd(10)} ${table.padEnd(10)} ${state.padEnd(6)} ${since.padEnd(12)}  ${info}`
      : `${name.padEnd(8)} ${proto.padEnd(8)} ${table.padEnd(8)} ${state.padEnd(5)}  ${since.padEnd(10)}  ${info}`;
  const lines = [bird2 ? row('Name', 'Proto', 'Table', 'State', 'Since', 'Info') : CALICO_BIRD_PROTOCOLS_HEADING];
  for (const o of others) {
    lines.push(row(o.name, o.proto, otherTable(o.proto, dialect), 'up', birdTime(o.since, clock, dialect), ''));
  }
  for (const p of bgp) {
    const table = bird2 ? '---' : 'master';
    lines.push(
      row(p.name, 'BGP', table, birdProtoState(p), birdTime(p.since, clock, dialect), birdBgpInfo(p, dialect)),
    );
  }
  return lines.join('\n') + '\n';
}

/** BIRD 1.6's heading line, a fixed string in proto_cmd_show (calicoctl checks its words). */
export const CALICO_BIRD_PROTOCOLS_HEADING = 'name     proto    table    state  since       info';

/** BIRD 2 names a protocol's table only when it has one main channel (Static, Kernel); BIRD 1.6 always has one. */
function otherTable(proto: BirdOtherProtocol['proto'], dialect: BirdDialect): string {
  if (dialect === 'calico-bird') return 'master';
  return proto === 'Static' || proto === 'Kernel' ? 'master4' : '---';
}

/** BGP attributes BIRD shows for a route learned over BGP. */
export interface BirdBgpAttrs {
  origin: 'IGP' | 'EGP' | 'Incomplete';
  /** AS numbers in order (AS_SEQUENCE); empty inside one AS. */
  asPath: readonly number[];
  nextHop: string;
  localPref?: number;
  med?: number;
  /** IGP metric to the next hop: a number, 'unknown' (BIRD's `?`), or undefined when BIRD prints none. */
  igpMetric?: number | 'unknown';
}

/** One route of one protocol for a prefix, as BIRD's table holds it. */
export interface BirdRoute {
  /** The network, `192.168.190.192/26`. */
  prefix: string;
  dest: 'unicast' | 'blackhole' | 'unreachable';
  /** The protocol that supplied it: `static1`, `Mesh_172_171_5_96`. */
  protocol: string;
  /** Simulated time (ns) it last changed. */
  since: number;
  /** BIRD's preference: 200 static, 100 BGP. */
  preference: number;
  /** The best route of its prefix (BIRD's `*`). */
  primary: boolean;
  /** The address the route was learned from, printed when it differs from the gateway. */
  from?: string;
  /** For a unicast route: the gateway (absent for a device route) and the interface. */
  gateway?: string;
  iface?: string;
  bgp?: BirdBgpAttrs;
}

/** The `birdcl show route` text (without the banner); `all` adds the attribute lines (bird2 only). */
export function birdShowRoute(
  routes: readonly BirdRoute[],
  clock: BirdClock,
  dialect: BirdDialect,
  opts: { all?: boolean } = {},
): string {
  const lines: string[] = dialect === 'bird2' ? ['Table master4:'] : [];
  let lastPrefix: string | undefined;
  for (const r of routes) {
    const from = r.from !== undefined && r.from !== r.gateway ? ` from ${r.from}` : '';
    const head = `[${r.protocol} ${birdTime(r.since, clock, dialect)}${from}]${r.primary ? ' *' : ''}${routeInfo(r)}`;
    if (dialect === 'calico-bird') {
      lines.push(`${r.prefix.padEnd(18)} ${viaText(r)} ${head}`);
      continue;
    }
    // BIRD 2 names the network on its first route only (rt-show.c rt_show_net)
    lines.push(`${(r.prefix === lastPrefix ? '' : r.prefix).padEnd(20)} ${r.dest} ${head}`);
    lastPrefix = r.prefix;
    if (r.dest === 'unicast')
      lines.push(r.gateway !== undefined ? `\tvia ${r.gateway} on ${r.iface ?? '?'}` : `\tdev ${r.iface ?? '?'}`);
    if (opts.all === true) lines.push(...routeAttrLines(r));
  }
  return lines.join('\n') + '\n';
}

/** rt_format_via of BIRD 1.6: where a route goes, on the route's own line. */
function viaText(r: BirdRoute): string {
  if (r.dest !== 'unicast') return r.dest;
  return r.gateway !== undefined ? `via ${r.gateway} on ${r.iface ?? '?'}` : `dev ${r.iface ?? '?'}`;
}

/** bgp_get_route_info: ` (pref/igp) [ASnI]`; other protocols ` (pref)`. */
function routeInfo(r: BirdRoute): string {
  const b = r.bgp;
  if (b === undefined) return ` (${r.preference})`;
  const igp = b.igpMetric === undefined ? '' : b.igpMetric === 'unknown' ? '/?' : `/${b.igpMetric}`;
  const last = b.asPath[b.asPath.length - 1];
  const origin = b.origin === 'IGP' ? 'i' : b.origin === 'EGP' ? 'e' : '?';
  return ` (${r.preference}${igp}) [${last === undefined ? '' : `AS${last}`}${origin}]`;
}

/** BIRD 2's `show route all` lines (rta_show, ea_show): the route type, then the BGP attributes. */
function routeAttrLines(r: BirdRoute): string[] {
  const b = r.bgp;
  if (b === undefined) return ['\tType: static univ'];
  const lines = ['\tType: BGP univ', `\tBGP.origin: ${b.origin}`, `\tBGP.as_path: ${b.asPath.join(' ')}`];
  lines.push(`\tBGP.next_hop: ${b.nextHop}`);
  if (b.med !== undefined) lines.push(`\tBGP.med: ${b.med}`);
  if (b.localPref !== undefined) lines.push(`\tBGP.local_pref: ${b.localPref}`);
  return lines;
}
