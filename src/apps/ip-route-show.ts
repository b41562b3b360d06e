/**
 * `ip route show [SELECTOR]` as iproute2 6.1 reads and prints it (ip/iproute.c iproute_list_flush_or_save,
 * filter_nlmsg and print_route; the kernel's strict dump filters by table, device and protocol the same
 * way): `table main|local|all|ID`, `proto`, `scope`, `type`, `dev`/`oif`, `via`, `src`, `metric`, `tos`,
 * `mark`, `iif`, `from`, and a destination, bare or after `to`, as `root`, `match` or `exact`. A selector
 * that pins a field leaves that field out of every line (`ip route show proto bird` prints no `proto bird`),
 * as iproute2 does. Words are abbreviated where iproute2's `matches()` lets them be (`ip r s pro bird`),
 * tried in iproute2's order. Errors are iproute2's words and exit statuses.
 *
 * podnet has one main table and the kernel's local table (no policy routing, no IPv6): `table all` lists
 * those two, and any other table does not exist, as on a machine without it. `realms` is not emulated and
 * says so. Checked against iproute2 6.1 on Linux 6.x in a namespace (test/ip-views-kernel.test.ts).
 */
import { formatCidr, formatIpv4, type Ipv4 } from '../wire/addr.js';
import type { IpNode } from '../net/ip-node.js';
import type { Route } from '../net/route-table.js';
import { hasCarrier, localTableRows } from '../net/views.js';
import {
  IpError,
  SCOPE_NAMES,
  Words,
  addrMatch,
  invarg,
  matches,
  prefixOrFail,
  rtNameToNumber,
  strtoul,
  type Prefix,
} from './iproute2-args.js';

/** rtnetlink route types (RTN_*), by iproute2's names. */
const RTN = {
  unicast: 1,
  local: 2,
  broadcast: 3,
  anycast: 4,
  multicast: 5,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
  nat: 10,
  xresolve: 11,
} as const;
type RtnName = keyof typeof RTN;

/** RT_TABLE_MAIN and RT_TABLE_LOCAL. */
const MAIN = 254;
const LOCAL = 255;
/** RTPROT_BOOT: what `ip route add` gives a route without `proto`; iproute2 prints no proto for it. */
const RTPROT_BOOT = 3;

/** /etc/iproute2/rt_protos of iproute2 6.1 (Debian 12): what `proto NAME` takes and prints. */
const PROTO_NAMES: Record<number, string> = {
  0: 'unspec',
  1: 'redirect',
  2: 'kernel',
  3: 'boot',
  4: 'static',
  8: 'gated',
  9: 'ra',
  10: 'mrt',
  11: 'zebra',
  12: 'bird',
  13: 'dnrouted',
  14: 'xorp',
  15: 'ntk',
  16: 'dhcp',
  18: 'keepalived',
  42: 'babel',
  99: 'openr',
  186: 'bgp',
  187: 'isis',
  188: 'ospf',
  189: 'rip',
  192: 'eigrp',
};
/** /etc/iproute2/rt_tables. */
const TABLE_NAMES: Record<string, number> = { local: 255, main: 254, default: 253, unspec: 0 };
/** /etc/iproute2/rt_dsfield. */
const DSFIELD_NAMES: Record<string, number> = {
  default: 0x0,
  AF11: 0x28,
  AF12: 0x30,
  AF13: 0x38,
  AF21: 0x48,
  AF22: 0x50,
  AF23: 0x58,
  AF31: 0x68,
  AF32: 0x70,
  AF33: 0x78,
  AF41: 0x88,
  AF42: 0x90,
  AF43: 0x98,
  CS1: 0x20,
  CS2: 0x40,
  CS3: 0x60,
  CS4: 0x80,
  CS5: 0xa0,
  CS6: 0xc0,
  CS7: 0xe0,
  EF: 0xb8,
};

/** How podnet's route origins map to the kernel's protocol numbers (flanneld and labs add routes as `ip route add` does). */
const PROTO_OF: Record<Route['proto'], number> = { kernel: 2, static: 3, boot: 3, flannel: 3, bird: 12, felix: 80 };

/** A route as the kernel dumps it: the main table's and the local table's. */
interface FibRow {
  table: number;
  type: RtnName;
  dst: Ipv4;
  len: number;
  via: Ipv4 | undefined;
  /** None for blackhole, unreachable and prohibit routes (no next hop device). */
  dev: string | undefined;
  proto: number;
  scope: number;
  src: Ipv4 | undefined;
  metric: number;
  onlink: boolean;
  /** RTNH_F_LINKDOWN: its device is up without a carrier. */
  linkdown: boolean;
}

/** Whether the device named `name` is up without a carrier (its routes' next hops are RTNH_F_LINKDOWN). */
function linkDown(node: IpNode, name: string | undefined): boolean {
  const d = name === undefined ? undefined : node.dev(name);
  return d !== undefined && d !== node.lo && d.up && !hasCarrier(d);
}

/** The main table's routes as rows, in `ip route`'s order. */
function mainRows(node: IpNode): FibRow[] {
  return node.routes.routes().map((r) => ({
    table: MAIN,
    type: r.type,
    dst: r.dst,
    len: r.len,
    via: r.via,
    dev: r.type === 'unicast' ? r.dev : undefined,
    proto: PROTO_OF[r.proto],
    // as formatRoute prints it: a connected (gateway-less) unicast route is scope link
    scope: r.type === 'unicast' && r.scope === 'link' && r.via === undefined ? 253 : 0,
    src: r.src,
    metric: r.metric,
    onlink: r.onlink,
    linkdown: r.type === 'unicast' && linkDown(node, r.dev),
  }));
}

/** The local table's entries as rows (the kernel's, for every address). */
function localRows(node: IpNode): FibRow[] {
  return localTableRows(node).map((e) => ({
    table: LOCAL,
    type: e.type,
    dst: e.dst,
    len: e.len,
    via: undefined,
    dev: e.dev,
    proto: 2,
    scope: e.type === 'local' ? 254 : 253,
    src: e.src,
    metric: 0,
    onlink: false,
    // the kernel marks a broadcast entry's next hop, not a local one's (checked in a namespace)
    linkdown: e.type === 'broadcast' && linkDown(node, e.dev),
  }));
}

/** What the selectors keep and which fields they pin. */
interface RouteFilter {
  /** 0: every table. */
  table: number;
  cloned: boolean;
  tos: number | undefined;
  proto: number | undefined;
  scope: number | undefined;
  /** A bit per RTN type, 0 for any. */
  typeMask: number;
  oif: string | undefined;
  iif: string | undefined;
  mark: number | undefined;
  metric: number | undefined;
  via: Prefix | undefined;
  prefsrc: Prefix | undefined;
  rdst: Prefix | undefined;
  mdst: Prefix | undefined;
  rsrc: Prefix | undefined;
  msrc: Prefix | undefined;
}

/** What `ip route show` answers: the text and exit status (errors in iproute2's words). */
export interface IpRouteShowResult {
  status: number;
  stdout: string;
}

/** Reads the selectors after `ip route show`. */
function parseSelectors(args: readonly string[], node: IpNode, ipv4Only: boolean): RouteFilter {
  const family: 0 | 4 = ipv4Only ? 4 : 0;
  const f: RouteFilter = {
    table: MAIN,
    cloned: false,
    tos: undefined,
    proto: undefined,
    scope: undefined,
    typeMask: 0,
    oif: undefined,
    iif: undefined,
    mark: undefined,
    metric: undefined,
    via: undefined,
    prefsrc: undefined,
    rdst: undefined,
    mdst: undefined,
    rsrc: undefined,
    msrc: undefined,
  };
  const words = new Words(args);
  const next = (): string => words.next();
  for (; words.more; words.i++) {
    const w = words.word;
    if (matches(w, 'table')) {
      const v = next();
      const id = TABLE_NAMES[v] ?? strtoul(v, 0);
      if (id === undefined || id > 0xffff_ffff) {
        if (v === 'all') f.table = 0;
        else if (v === 'cache') f.cloned = true;
        else throw invarg('table id value is invalid\n', v);
      } else f.table = id;
    } else if (matches(w, 'vrf')) {
      // podnet has no VRF devices, so every name is one ipvrf_get_table cannot find
      throw invarg('Invalid VRF\n', next());
    } else if (matches(w, 'cached') || matches(w, 'cloned')) f.cloned = true;
    else if (w === 'tos' || matches(w, 'dsfield')) {
      const v = next();
      const tos = DSFIELD_NAMES[v] ?? strtoul(v, 16);
      if (tos === undefined || tos > 255) throw invarg('TOS value is invalid\n', v);
      f.tos = tos;
    } else if (matches(w, 'protocol')) {
      const v = next();
      const p = rtNameToNumber(PROTO_NAMES, v);
      // `proto all` matches any and still prints the field, as no selector does
      if (p === undefined) {
        if (v !== 'all') throw invarg('invalid "protocol"\n', v);
        f.proto = undefined;
      } else f.proto = p;
    } else if (matches(w, 'scope')) {
      const v = next();
      const s = rtNameToNumber(SCOPE_NAMES, v);
      if (s === undefined) {
        if (v !== 'all') throw invarg('invalid "scope"\n', v);
        f.scope = undefined;
      } else f.scope = s;
    } else if (matches(w, 'type')) {
      const v = next();
      const t = rtnType(v);
      if (t === undefined) throw invarg('node type value is invalid\n', v);
      f.typeMask = 2 ** t;
    } else if (w === 'dev' || w === 'oif') f.oif = next();
    else if (w === 'iif') f.iif = next();
    else if (w === 'mark') {
      const v = next();
      const m = strtoul(v, 0);
      if (m === undefined || m > 0xffff_ffff) throw invarg('invalid mark value', v);
      f.mark = m;
    } else if (matches(w, 'metric') || matches(w, 'priority') || w === 'preference') {
      const v = next();
      const m = strtoul(v, 0);
      if (m === undefined || m > 0xffff_ffff) throw invarg('"metric" value is invalid\n', v);
      f.metric = m;
    } else if (w === 'via') {
      let v = next();
      if (v === 'inet') v = next();
      else if (v === 'inet6' || v === 'mpls' || v === 'link' || v === 'bridge' || v === 'ipx' || v === 'dnet')
        throw new IpError(255, `podnet: ip route show via ${v} is not emulated (podnet routes IPv4 only)`);
      f.via = prefixOrFail(v, family);
    } else if (w === 'src') f.prefsrc = prefixOrFail(next(), family);
    else if (matches(w, 'realms')) throw new IpError(255, 'podnet: ip route show realms is not emulated');
    else if (matches(w, 'from')) {
      let v = next();
      if (matches(v, 'root')) f.rsrc = prefixOrFail(next(), family);
      else if (matches(v, 'match')) f.msrc = prefixOrFail(next(), family);
      else {
        if (matches(v, 'exact')) v = next();
        f.msrc = prefixOrFail(v, family);
        f.rsrc = f.msrc;
      }
    } else {
      let v = w;
      if (matches(v, 'to')) v = next();
      if (matches(v, 'root')) f.rdst = prefixOrFail(next(), family);
      else if (matches(v, 'match')) f.mdst = prefixOrFail(next(), family);
      else {
        if (matches(v, 'exact')) v = next();
        f.mdst = prefixOrFail(v, family);
        f.rdst = f.mdst;
      }
    }
  }
  for (const d of [f.iif, f.oif])
    if (d !== undefined && d !== 'lo' && !node.devs.some((x) => x.name === d))
      throw new IpError(1, `Cannot find device "${d}"`);
  if (f.table !== 0 && f.table !== MAIN && f.table !== LOCAL)
    // the kernel's strict dump: a table that was never made
    throw new IpError(2, 'Error: ipv4: FIB table does not exist.\nDump terminated');
  return f;
}

/** rtnl_rtntype_a2n. */
function rtnType(v: string): number | undefined {
  if (v === 'local') return RTN.local;
  if (v === 'nat') return RTN.nat;
  if (matches(v, 'broadcast') || v === 'brd') return RTN.broadcast;
  if (matches(v, 'anycast')) return RTN.anycast;
  if (matches(v, 'multicast')) return RTN.multicast;
  if (matches(v, 'prohibit')) return RTN.prohibit;
  if (matches(v, 'unreachable')) return RTN.unreachable;
  if (matches(v, 'blackhole')) return RTN.blackhole;
  if (matches(v, 'xresolve')) return RTN.xresolve;
  if (matches(v, 'unicast')) return RTN.unicast;
  if (v === 'throw') return RTN.throw;
  const n = strtoul(v, 0);
  return n === undefined || n > 255 ? undefined : n;
}

/** A destination (or source) selector: `root` covers, `match` is covered by, both is exact. */
function prefixKeeps(root: Prefix | undefined, match: Prefix | undefined, addr: Ipv4, len: number): boolean {
  if (root !== undefined && (root.family !== 0 || root.specified)) {
    if (root.bitlen > len || !addrMatch(addr, root.addr, root.bitlen)) return false;
  }
  if (match !== undefined && (match.family !== 0 || match.specified)) {
    if (match.bitlen >= 0 && match.bitlen < len) return false;
    if (!addrMatch(addr, match.addr, len)) return false;
  }
  return true;
}

/** filter_nlmsg (and the kernel's strict dump filter) for one row. */
function keeps(f: RouteFilter, r: FibRow): boolean {
  if (f.table !== 0 && f.table !== r.table) return false;
  if (f.proto !== undefined && f.proto !== r.proto) return false;
  if (f.scope !== undefined && f.scope !== r.scope) return false;
  if (f.typeMask !== 0 && (f.typeMask & (2 ** RTN[r.type])) === 0) return false;
  if (f.tos !== undefined && f.tos !== 0) return false;
  if (!prefixKeeps(f.rdst, f.mdst, r.dst, r.len)) return false;
  // no route has a source prefix (rtm_src_len 0, address 0.0.0.0)
  if (!prefixKeeps(f.rsrc, f.msrc, 0, 0)) return false;
  if (f.via !== undefined && !addrMatch(r.via ?? 0, f.via.addr, f.via.bitlen)) return false;
  if (f.prefsrc !== undefined && !addrMatch(r.src ?? 0, f.prefsrc.addr, f.prefsrc.bitlen)) return false;
  // no route has an input interface or a mark
  if (f.iif !== undefined) return false;
  if (f.mark !== undefined && f.mark !== 0) return false;
  // the kernel's dump by device skips routes without one (blackhole, unreachable, prohibit)
  if (f.oif !== undefined && r.dev !== f.oif) return false;
  if (f.metric !== undefined && f.metric !== r.metric) return false;
  return true;
}

/** print_route: a field the selectors pinned is left out. */
function formatRow(f: RouteFilter, r: FibRow): string {
  const parts: string[] = r.type === 'unicast' ? [] : [r.type];
  parts.push(r.len === 0 ? 'default' : r.len === 32 ? formatIpv4(r.dst) : formatCidr({ addr: r.dst, len: r.len }));
  if (r.via !== undefined && f.via?.bitlen !== 32) parts.push('via', formatIpv4(r.via));
  if (r.dev !== undefined && f.oif === undefined) parts.push('dev', r.dev);
  if (r.table !== MAIN && f.table === 0) parts.push('table', r.table === LOCAL ? 'local' : String(r.table));
  if (r.proto !== RTPROT_BOOT && f.proto === undefined) parts.push('proto', PROTO_NAMES[r.proto] ?? String(r.proto));
  if (r.scope !== 0 && f.scope === undefined) parts.push('scope', SCOPE_NAMES[r.scope] ?? String(r.scope));
  if (r.src !== undefined && f.prefsrc?.bitlen !== 32) parts.push('src', formatIpv4(r.src));
  if (r.metric !== 0 && f.metric === undefined) parts.push('metric', String(r.metric));
  if (r.onlink) parts.push('onlink');
  if (r.linkdown) parts.push('linkdown');
  return parts.join(' ');
}

/**
 * `ip route show|list ARGS...` on `node` (`ipv4Only`: `ip -4`), without the blank iproute2 ends each
 * line with (the shell adds it). `cached`/`table cache` answer undefined: the caller prints the cache.
 */
export function ipRouteShow(node: IpNode, args: readonly string[], ipv4Only: boolean): IpRouteShowResult | undefined {
  let f: RouteFilter;
  try {
    f = parseSelectors(args, node, ipv4Only);
  } catch (e) {
    if (e instanceof IpError) return { status: e.status, stdout: e.text };
    throw e;
  }
  if (f.cloned) return undefined;
  const rows =
    f.table === LOCAL ? localRows(node) : f.table === MAIN ? mainRows(node) : [...mainRows(node), ...localRows(node)];
  return {
    status: 0,
    stdout: rows
      .filter((r) => keeps(f, r))
      .map((r) => formatRow(f, r))
      .join('\n'),
  };
}
