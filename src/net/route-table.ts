/**
 * An IPv4 routing table with longest-prefix match. Routes are kept in one hash map per prefix length, and a
 * lookup probes the lengths present from longest to shortest: a handful of map probes whatever the table's
 * size (a 1,000-node cluster's routes cost the same as four).
 */
import { formatCidr, formatIpv4, prefixMask, type Ipv4 } from '../wire/addr.js';

/**
 * Where a route came from. `ip route` shows kernel and bird; static (iproute2's default) and boot are not
 * shown, nor flannel: flanneld adds its routes through netlink without a protocol (RTPROT_BOOT), so a real
 * node shows `10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink`; podnet keeps the tag to tell them apart.
 */
export type RouteProto = 'kernel' | 'static' | 'bird' | 'flannel' | 'boot' | 'felix';

/**
 * Linux's route types (rtnetlink RTN_*) that podnet forwards by. A unicast route sends the packet on; the
 * others end it in the FIB lookup (net/ipv4/route.c ip_error, checked in a namespace with `ip route add
 * blackhole|unreachable|prohibit`):
 * - blackhole: a forwarded packet is dropped silently; a local send fails with EINVAL;
 * - unreachable: ICMP host unreachable back to the sender; locally EHOSTUNREACH;
 * - prohibit: ICMP communication administratively prohibited (code 13); locally EACCES.
 */
export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';

/** RTPROT_* numbers `ip route` prints by number when /etc/iproute2/rt_protos has no name (Felix's is 80). */
const PROTO_TEXT: Partial<Record<RouteProto, string>> = { kernel: 'kernel', bird: 'bird', felix: '80' };

/** One route. */
export interface Route {
  /** Network address (host bits zero). */
  readonly dst: Ipv4;
  readonly len: number;
  /** Gateway; undefined for an on-link route. */
  readonly via: Ipv4 | undefined;
  /** Outgoing interface name. */
  readonly dev: string;
  readonly metric: number;
  readonly proto: RouteProto;
  /** 'link' for connected routes, 'global' otherwise (ip route's scope). */
  readonly scope: 'link' | 'global';
  /** Preferred source address, if set. */
  readonly src: Ipv4 | undefined;
  /** Linux "onlink": the gateway is reachable on dev even though no prefix there covers it. */
  readonly onlink: boolean;
  /** What the route does with a packet: unicast forwards it; the others end it (see RouteType). */
  readonly type: RouteType;
}

/** What a caller supplies to add a route. */
export type RouteSpec = Pick<Route, 'dst' | 'len' | 'dev'> & Partial<Omit<Route, 'dst' | 'len' | 'dev'>>;

/** A longest-prefix-match routing table. */
export class RouteTable {
  // keyed by the masked destination as a signed 32-bit integer (`dst | 0`): V8 keeps those as small
  // integers, where an address above 127.255.255.255 as an unsigned number is a heap number (an allocation
  // and a slower hash on every probe)
  // a prefix with one route holds the route itself, an array only for more (the common case is one: an
  // array per route was 56 bytes more per route, a million of them in a 1,000-node cluster's tables)
  private readonly byLen: (Map<number, Route | Route[]> | undefined)[] = new Array<
    Map<number, Route | Route[]> | undefined
  >(33);
  private lens: number[] = [];
  private count = 0;

  /** Number of routes. */
  get size(): number {
    return this.count;
  }

  /** Adds a route (several with the same prefix are kept, lowest metric wins). */
  add(spec: RouteSpec): Route {
    const mask = prefixMask(spec.len);
    const r: Route = {
      dst: (spec.dst & mask) >>> 0,
      len: spec.len,
      dev: spec.dev,
      via: spec.via,
      metric: spec.metric ?? 0,
      proto: spec.proto ?? 'static',
      scope: spec.scope ?? (spec.via === undefined && (spec.type ?? 'unicast') === 'unicast' ? 'link' : 'global'),
      src: spec.src,
      onlink: spec.onlink ?? false,
      type: spec.type ?? 'unicast',
    };
    let m = this.byLen[r.len];
    if (m === undefined) {
      m = new Map();
      this.byLen[r.len] = m;
      this.lens = this.lens.concat(r.len).sort((a, b) => b - a);
    }
    const had = m.get(r.dst | 0);
    if (had === undefined) m.set(r.dst | 0, r);
    else {
      const list = Array.isArray(had) ? had : [had];
      list.push(r);
      list.sort((a, b) => a.metric - b.metric);
      if (list !== had) m.set(r.dst | 0, list);
    }
    this.count++;
    return r;
  }

  /** Removes routes matching prefix (and, when given, dev/via). Returns how many were removed. */
  remove(dst: Ipv4, len: number, match: { dev?: string; via?: Ipv4 } = {}): number {
    const m = this.byLen[len];
    const key = dst & prefixMask(len);
    const had = m?.get(key);
    if (m === undefined || had === undefined) return 0;
    const list = Array.isArray(had) ? had : [had];
    const keep = list.filter(
      (r) => (match.dev !== undefined && r.dev !== match.dev) || (match.via !== undefined && r.via !== match.via),
    );
    const removed = list.length - keep.length;
    if (keep.length === 0) m.delete(key);
    else m.set(key, keep.length === 1 ? keep[0]! : keep);
    if (m.size === 0) {
      this.byLen[len] = undefined;
      this.lens = this.lens.filter((l) => l !== len);
    }
    this.count -= removed;
    return removed;
  }

  /** Longest-prefix match; undefined when no route covers `ip`. */
  lookup(ip: Ipv4): Route | undefined {
    const lens = this.lens;
    for (let i = 0; i < lens.length; i++) {
      const len = lens[i]!;
      const had = this.byLen[len]!.get(len === 0 ? 0 : ip & (0xffff_ffff << (32 - len)));
      if (had !== undefined) return Array.isArray(had) ? had[0] : had;
    }
    return undefined;
  }

  /** Every route, most specific first, as `ip route` lists them. */
  routes(): Route[] {
    const out: Route[] = [];
    for (const len of this.lens)
      for (const had of this.byLen[len]!.values()) {
        if (Array.isArray(had)) out.push(...had);
        else out.push(had);
      }
    // FIB trie order, as `ip route` dumps the main table: by destination (so the default comes first),
    // longer prefixes of the same address first
    return out.sort((a, b) => a.dst - b.dst || b.len - a.len || a.metric - b.metric);
  }
}

/** The device typed routes hang on: Linux gives blackhole, unreachable and prohibit routes no device to print. */
export const TYPED_ROUTE_DEV = 'lo';

/** One line of `ip route` for `r` (iproute2 6.1's order: type, prefix, via, dev, proto, scope, src, metric, flags). */
export function formatRoute(r: Route): string {
  const parts: string[] = r.type === 'unicast' ? [] : [r.type];
  // iproute2 prints a host route's prefix without "/32"
  parts.push(r.len === 0 ? 'default' : r.len === 32 ? formatIpv4(r.dst) : formatCidr({ addr: r.dst, len: r.len }));
  if (r.via !== undefined) parts.push('via', formatIpv4(r.via));
  if (r.type === 'unicast') parts.push('dev', r.dev);
  const proto = PROTO_TEXT[r.proto];
  if (proto !== undefined) parts.push('proto', proto);
  if (r.scope === 'link' && r.via === undefined && r.type === 'unicast') parts.push('scope', 'link');
  if (r.src !== undefined) parts.push('src', formatIpv4(r.src));
  if (r.metric !== 0) parts.push('metric', String(r.metric));
  if (r.onlink) parts.push('onlink');
  return parts.join(' ');
}
