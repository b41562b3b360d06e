/**
 * Netfilter for one IP node: the five hooks (PREROUTING, INPUT, FORWARD, OUTPUT, POSTROUTING), the filter
 * and nat tables walked as iptables walks them, and connection tracking of each packet. The nat table is
 * consulted only for a connection's first packet; every later packet, in either direction, is rewritten
 * from the conntrack entry alone, which is why a stale entry keeps sending traffic to a dead endpoint
 * (kubernetes#125467) exactly as in Linux. Choosing and applying a translation is nat.ts's, the connection
 * table conntrack.ts's, and the rule model rules.ts's.
 */
import { readIpv4, type Ipv4 } from '../../wire/addr.js';
import type { DropReason } from '../../link/trace.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPV4_PROTO_OFF } from '../../wire/ipv4.js';
import {
  ICMP_ADMIN_PROHIBITED,
  ICMP_DEST_UNREACH,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_HOST_PROHIBITED,
  ICMP_HOST_UNREACH,
  ICMP_NET_PROHIBITED,
  ICMP_NET_UNREACH,
  ICMP_PORT_UNREACH,
  ICMP_PARAMETER_PROBLEM,
  ICMP_PROTO_UNREACH,
  ICMP_REDIRECT,
  ICMP_SOURCE_QUENCH,
  ICMP_TIME_EXCEEDED,
} from '../../wire/icmp.js';
import {
  Conntrack,
  detachedConn,
  invert,
  tcpTransition,
  timeoutFor,
  tupleKey,
  type Conn,
  type Tuple,
} from './conntrack.js';
import {
  type Chain,
  type CtState,
  type RecentMatch,
  type Rule,
  type Ruleset,
  type TableName,
  type Target,
  emptyRuleset,
} from './rules.js';
import { applyNat, hasDnat, hasSnat, manipDst, manipSrc, portful } from './nat.js';
import { IpsetRegistry, setMatchHit } from './ipset.js';

/** Where the IP header sits in the frames netfilter sees. */
const IP = 14;

/** What netfilter needs from its node. */
export interface NetfilterHost {
  readonly name: string;
  readonly engine: { now: number; stream(name: string): { next(): number } };
  isLocal(ip: Ipv4): boolean;
  /** The address MASQUERADE uses on `dev` toward `dst`. */
  masqueradeAddress(dev: string, dst: Ipv4): Ipv4 | undefined;
  note(message: () => string): void;
  drop(reason: DropReason, frame: Uint8Array | undefined, port: undefined, detail: string): void;
  /** For REJECT: an ICMP error about the packet in `frame`, leaving via `inDev`. */
  reject(frame: Uint8Array, ipLen: number, inDev: string | undefined, type: number, code: number): void;
  /** For REJECT --reject-with tcp-reset: a RST answering the segment in `frame`. */
  resetTcp(frame: Uint8Array, ipLen: number): void;
}

/** State of one packet on its way through the hooks. */
export interface PacketCtx {
  conn: Conn;
  dir: 'orig' | 'reply';
  /** An ICMP error about a tracked connection. */
  related: boolean;
  /**
   * An ICMP error about no tracked connection: Linux's nf_conntrack_inet_error finds none and the packet goes
   * on without a conntrack entry, INVALID to `-m conntrack` and never seen by the nat table.
   */
  invalid?: boolean;
  /** The packet's mark (skb->mark). */
  mark: number;
  /** The tuple as the packet looked when it was first seen here. */
  tuple: Tuple;
  /** A bridge is forwarding it between two of its ports (br_netfilter), not the IP layer routing it. */
  bridged?: boolean;
}

const REJECT_CODES: Record<string, [number, number]> = {
  'icmp-net-unreachable': [ICMP_DEST_UNREACH, ICMP_NET_UNREACH],
  'icmp-host-unreachable': [ICMP_DEST_UNREACH, ICMP_HOST_UNREACH],
  'icmp-proto-unreachable': [ICMP_DEST_UNREACH, ICMP_PROTO_UNREACH],
  'icmp-port-unreachable': [ICMP_DEST_UNREACH, ICMP_PORT_UNREACH],
  'icmp-net-prohibited': [ICMP_DEST_UNREACH, ICMP_NET_PROHIBITED],
  'icmp-host-prohibited': [ICMP_DEST_UNREACH, ICMP_HOST_PROHIBITED],
  'icmp-admin-prohibited': [ICMP_DEST_UNREACH, ICMP_ADMIN_PROHIBITED],
};

/** A REJECT target reached: the verdict itself says how to answer (`--reject-with`). */
type RejectVerdict = Extract<Target, { kind: 'REJECT' }>;

/** Where a walk through a table ends; a REJECT carries its own answer type, nothing is left in a field. */
type Verdict = 'ACCEPT' | 'DROP' | 'CONTINUE' | RejectVerdict;

/** The rule that ended a walk with DROP or REJECT: its chain and 1-based number (`iptables -L --line-numbers`). */
export interface DecidingRule {
  table: TableName;
  chain: string;
  number: number;
  rule: Rule;
}

/**
 * Says why a packet was dropped in words the deciding rule cannot (a policy enforcer names the policy and
 * the rule that decided it); undefined to add nothing. Called only on drops, never on the fast path.
 */
export type DropExplainer = (frame: Uint8Array, ipLen: number, decided: DecidingRule | undefined) => string | undefined;

/** The netfilter of one node. */
export class Netfilter {
  readonly conntrack = new Conntrack();
  /** `-m recent` lists (/proc/net/xt_recent/NAME): source address -> when it was last seen (ns). */
  readonly recent = new Map<string, Map<Ipv4, number>>();
  /** The node's ipsets (`-m set` matches look names up here; a missing set matches nothing). */
  readonly ipsets: IpsetRegistry;
  /** `-m statistic --mode random` and `--random-fully` ports: the stream `node:<name>/netfilter`. */
  private readonly rng: { next(): number };
  /** The DROP or REJECT rule of the last walk that ended in one (undefined: a chain's policy decided). */
  private decided: DecidingRule | undefined;
  /** Explainers of drops, in the order they were added (a policy enforcer adds one). */
  private readonly explainers: DropExplainer[] = [];

  constructor(
    private readonly host: NetfilterHost,
    public ruleset: Ruleset = emptyRuleset(),
  ) {
    this.rng = host.engine.stream(`node:${host.name}/netfilter`);
    const ipsetRng = host.engine.stream(`node:${host.name}/ipset`);
    this.ipsets = new IpsetRegistry(() => Math.floor(ipsetRng.next() * 0x1_0000_0000));
  }

  /** Adds words to every later drop's reason (policy enforcers name the policy that decided). */
  addDropExplainer(e: DropExplainer): void {
    this.explainers.push(e);
  }

  // ---- hooks ----------------------------------------------------------------------------------------

  /** PREROUTING: track, DNAT new connections, rewrite destinations. Undefined when the packet was dropped. */
  prerouting(frame: Uint8Array, ipLen: number, inDev: string): PacketCtx | undefined {
    const ctx = this.track(frame, ipLen);
    if (ctx === undefined) return undefined;
    if (!ctx.conn.confirmed && !ctx.related && ctx.invalid !== true) {
      const v = this.walk('nat', 'PREROUTING', frame, ipLen, ctx, inDev, undefined);
      if (v === 'DROP') return this.dropped(frame, 'nat PREROUTING');
    }
    manipDst(frame, ctx);
    return ctx;
  }

  /** INPUT: the filter table for packets to this node; confirms the connection. */
  input(frame: Uint8Array, ipLen: number, ctx: PacketCtx, inDev: string): boolean {
    const v = this.walk('filter', 'INPUT', frame, ipLen, ctx, inDev, undefined);
    if (!this.verdict(v, frame, ipLen, inDev, 'filter INPUT')) return false;
    // nat at LOCAL_IN (after filter, as in Linux): SNAT for new connections, and the source of replies to
    // our own DNATed connections put back (a node calling a ClusterIP sees the VIP answer)
    if (
      !ctx.conn.confirmed &&
      !ctx.related &&
      ctx.invalid !== true &&
      this.walk('nat', 'INPUT', frame, ipLen, ctx, inDev, undefined) === 'DROP'
    ) {
      this.dropped(frame, 'nat INPUT');
      return false;
    }
    manipSrc(frame, ctx);
    // a related error belongs to its connection (confirmed already, or attached to one that is not)
    if (ctx.invalid !== true && !ctx.related) this.conntrack.confirm(ctx.conn);
    return true;
  }

  /** FORWARD: the filter table for routed packets. */
  forward(frame: Uint8Array, ipLen: number, ctx: PacketCtx, inDev: string, outDev: string): boolean {
    const v = this.walk('filter', 'FORWARD', frame, ipLen, ctx, inDev, outDev);
    return this.verdict(v, frame, ipLen, inDev, 'filter FORWARD');
  }

  /** OUTPUT: track locally generated packets, DNAT them (nat OUTPUT), filter them. */
  output(frame: Uint8Array, ipLen: number, outDev: string | undefined): PacketCtx | undefined {
    const ctx = this.track(frame, ipLen, true);
    if (ctx === undefined) return undefined;
    if (!ctx.conn.confirmed && !ctx.related && ctx.invalid !== true) {
      const v = this.walk('nat', 'OUTPUT', frame, ipLen, ctx, undefined, outDev);
      if (v === 'DROP') return this.dropped(frame, 'nat OUTPUT');
    }
    manipDst(frame, ctx);
    const v = this.walk('filter', 'OUTPUT', frame, ipLen, ctx, undefined, outDev);
    if (!this.verdict(v, frame, ipLen, undefined, 'filter OUTPUT')) return undefined;
    return ctx;
  }

  /** POSTROUTING: SNAT/MASQUERADE new connections, rewrite sources, confirm. */
  postrouting(frame: Uint8Array, ipLen: number, ctx: PacketCtx, outDev: string): boolean {
    if (!ctx.conn.confirmed && !ctx.related && ctx.invalid !== true) {
      const v = this.walk('nat', 'POSTROUTING', frame, ipLen, ctx, undefined, outDev);
      if (v === 'DROP') {
        this.dropped(frame, 'nat POSTROUTING');
        return false;
      }
    }
    manipSrc(frame, ctx);
    // a related error belongs to its connection (confirmed already, or attached to one that is not)
    if (ctx.invalid !== true && !ctx.related) this.conntrack.confirm(ctx.conn);
    return true;
  }

  // ---- tracking -------------------------------------------------------------------------------------

  private track(frame: Uint8Array, ipLen: number, local = false): PacketCtx | undefined {
    const now = this.host.engine.now;
    const related = relatedTuple(frame, ipLen);
    if (related !== undefined) {
      // the quote is a packet that went out the other way; its inverse is the tuple the error belongs to
      // (nf_conntrack_inet_error: the inner tuple is inverted before the lookup)
      const hit = this.conntrack.lookup(invert(related), now);
      if (hit !== undefined)
        return { conn: hit.conn, dir: hit.dir, related: true, mark: hit.conn.mark, tuple: related };
      const t = packetTuple(frame, ipLen);
      // an error this host generates carries the conntrack of the packet it is about (icmp_glue_bits:
      // nf_ct_attach), confirmed or not: RELATED, never NATed by rules; one that arrives about no known
      // connection has none (INVALID)
      return local
        ? { conn: detachedConn(t, now), dir: 'orig', related: true, mark: 0, tuple: related }
        : { conn: detachedConn(t, now), dir: 'orig', related: false, invalid: true, mark: 0, tuple: t };
    }
    const t = packetTuple(frame, ipLen);
    const hit = this.conntrack.lookup(t, now);
    let conn: Conn;
    let dir: 'orig' | 'reply' = 'orig';
    if (hit !== undefined) {
      conn = hit.conn;
      dir = hit.dir;
    } else conn = this.conntrack.create(t, now);
    if (dir === 'reply') conn.seenReply = true;
    let streamUdp = false;
    if (t.proto === 6) {
      const ihl = (frame[IP]! & 0x0f) * 4;
      if (ipLen >= ihl + 14) conn.tcp = tcpTransition(conn.tcp, frame[IP + ihl + 13]!, dir);
      if (conn.tcp === 'ESTABLISHED') conn.assured = true;
    } else if (t.proto === 17 && conn.seenReply && now > conn.firstSeen + 2_000_000_000) {
      // nf_conntrack_udp_packet: replied to and still active after 2 s: a stream, 120 s and ASSURED
      streamUdp = true;
      conn.assured = true;
    }
    // ICMP and other protocols are never ASSURED; a replied UDP exchange keeps 30 s until it is a stream
    conn.expires = now + timeoutFor(t.proto, conn.tcp, streamUdp || (t.proto === 17 && conn.assured));
    conn.packets++;
    conn.bytes += ipLen;
    return { conn, dir, related: false, mark: 0, tuple: t };
  }

  // ---- tables ---------------------------------------------------------------------------------------

  private walk(
    table: TableName,
    chain: string,
    frame: Uint8Array,
    ipLen: number,
    ctx: PacketCtx,
    inDev: string | undefined,
    outDev: string | undefined,
  ): Verdict {
    const c = this.ruleset[table].get(chain);
    if (c === undefined) return 'ACCEPT';
    this.decided = undefined;
    const v = c.rules.length === 0 ? 'CONTINUE' : this.runChain(table, c, frame, ipLen, ctx, inDev, outDev, 0);
    if (v === 'CONTINUE' || v === 'RETURN') {
      c.packets++;
      c.bytes += ipLen;
      return c.policy === 'DROP' ? 'DROP' : 'ACCEPT';
    }
    return v;
  }

  private runChain(
    table: TableName,
    c: Chain,
    frame: Uint8Array,
    ipLen: number,
    ctx: PacketCtx,
    inDev: string | undefined,
    outDev: string | undefined,
    depth: number,
  ): Verdict | 'RETURN' {
    if (depth > 64) {
      this.host.note(() => `netfilter: chain nesting deeper than 64 at ${c.name}: dropped`);
      return 'DROP';
    }
    const rules = c.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (!this.matches(r, frame, ctx, inDev, outDev)) continue;
      r.packets++;
      r.bytes += ipLen;
      const t = r.target;
      if (t === undefined) continue;
      switch (t.kind) {
        case 'ACCEPT':
          this.explain(table, c, r, 'ACCEPT');
          return 'ACCEPT';
        case 'DROP':
          this.explain(table, c, r, 'DROP');
          this.decided = { table, chain: c.name, number: i + 1, rule: r };
          return 'DROP';
        case 'REJECT':
          this.explain(table, c, r, `REJECT (${t.with})`);
          this.decided = { table, chain: c.name, number: i + 1, rule: r };
          return t;
        case 'RETURN':
          return 'RETURN';
        case 'JUMP':
        case 'GOTO': {
          const sub = this.ruleset[table].get(t.chain);
          if (sub === undefined) continue;
          const v = this.runChain(table, sub, frame, ipLen, ctx, inDev, outDev, depth + 1);
          if (v === 'RETURN' || v === 'CONTINUE') {
            if (t.kind === 'GOTO') return 'RETURN';
            continue;
          }
          return v;
        }
        case 'MARK': {
          const m = ctx.mark;
          ctx.mark =
            (t.op === 'set'
              ? (m & ~t.mask) | t.value
              : t.op === 'or'
                ? m | t.value
                : t.op === 'and'
                  ? m & t.value
                  : (m & ~t.mask) ^ t.value) >>> 0;
          continue;
        }
        case 'DNAT':
        case 'SNAT':
        case 'MASQUERADE':
          applyNat(this.host, this.conntrack, this.rng, t, ctx, outDev, `${table} ${c.name}`, r.text);
          return 'ACCEPT';
        default:
          continue;
      }
    }
    return 'CONTINUE';
  }

  private explain(table: TableName, c: Chain, r: Rule, what: string): void {
    this.host.note(() => `iptables -t ${table} ${c.name}: ${what} by "${r.text}"`);
  }

  private matches(
    r: Rule,
    frame: Uint8Array,
    ctx: PacketCtx,
    inDev: string | undefined,
    outDev: string | undefined,
  ): boolean {
    const src = readIpv4(frame, IP + 12);
    const dst = readIpv4(frame, IP + 16);
    if (r.src !== undefined && ((src & r.src.mask) >>> 0 === r.src.addr) === r.src.neg) return false;
    if (r.dst !== undefined && ((dst & r.dst.mask) >>> 0 === r.dst.addr) === r.dst.neg) return false;
    const proto = frame[IP + IPV4_PROTO_OFF]!;
    if (r.proto !== undefined && (proto === r.proto.num) === r.proto.neg) return false;
    if (r.inIf !== undefined && ifMatch(r.inIf.name, inDev) === r.inIf.neg) return false;
    if (r.outIf !== undefined && ifMatch(r.outIf.name, outDev) === r.outIf.neg) return false;
    if (r.sport !== undefined || r.dport !== undefined) {
      // TCP, UDP and SCTP all carry the source and destination ports in their first four bytes
      if (proto !== 6 && proto !== 17 && proto !== 132) return false;
      const l4 = IP + (frame[IP]! & 0x0f) * 4;
      const sp = (frame[l4]! << 8) | frame[l4 + 1]!;
      const dp = (frame[l4 + 2]! << 8) | frame[l4 + 3]!;
      if (r.sport !== undefined && (sp >= r.sport.lo && sp <= r.sport.hi) === r.sport.neg) return false;
      if (r.dport !== undefined && (dp >= r.dport.lo && dp <= r.dport.hi) === r.dport.neg) return false;
    }
    if (r.physdevIsBridged !== undefined && (ctx.bridged === true) !== r.physdevIsBridged) return false;
    if (r.icmpType !== undefined && !icmpTypeMatch(r.icmpType, frame, proto)) return false;
    if (r.multiport !== undefined) {
      // xt_multiport: TCP, UDP, SCTP (and others with ports at the same offsets)
      if (proto !== 6 && proto !== 17 && proto !== 132) return false;
      const l4 = IP + (frame[IP]! & 0x0f) * 4;
      for (const m of r.multiport) {
        const port = m.dir === 'src' ? (frame[l4]! << 8) | frame[l4 + 1]! : (frame[l4 + 2]! << 8) | frame[l4 + 3]!;
        if (m.ranges.some((x) => port >= x.lo && port <= x.hi) === m.neg) return false;
      }
    }
    if (r.mark !== undefined && ((ctx.mark & r.mark.mask) >>> 0 === r.mark.value) === r.mark.neg) return false;
    if (r.dstTypeLocal !== undefined && this.host.isLocal(dst) !== r.dstTypeLocal) return false;
    if (r.srcTypeLocal !== undefined && this.host.isLocal(src) !== r.srcTypeLocal) return false;
    if (r.sets !== undefined)
      for (const m of r.sets)
        if (setMatchHit(this.ipsets.get(m.name), m.flags, src, dst, frame, IP) === m.neg) return false;
    if (r.ctstate !== undefined) {
      const states = ctStates(ctx);
      if (r.ctstate.states.some((s) => states.includes(s)) === r.ctstate.neg) return false;
    }
    // statistic last, so the random draw happens only for packets that match everything else (as iptables)
    if (r.probability !== undefined && !(this.rng.next() < r.probability)) return false;
    if (r.recent !== undefined && this.recentMatch(r.recent, src) === r.recent.neg) return false;
    return true;
  }

  /**
   * xt_recent on the source address (net/netfilter/xt_recent.c recent_mt): --set and --update record now
   * and match; --rcheck matches an entry seen within --seconds, --reap first forgets older ones; --remove
   * deletes the entry and matches if there was one.
   */
  private recentMatch(m: RecentMatch, src: Ipv4): boolean {
    const now = this.host.engine.now;
    let list = this.recent.get(m.name);
    if (list === undefined) {
      list = new Map();
      this.recent.set(m.name, list);
    }
    const seen = list.get(src);
    if (m.op === 'set') {
      list.set(src, now);
      return true;
    }
    if (seen === undefined) return false;
    if (m.op === 'remove') {
      list.delete(src);
      return true;
    }
    const fresh = m.seconds === undefined || now - seen <= m.seconds * 1_000_000_000;
    if (!fresh) {
      if (m.reap) list.delete(src);
      return false;
    }
    if (m.op === 'update') list.set(src, now);
    return true;
  }

  private verdict(v: Verdict, frame: Uint8Array, ipLen: number, inDev: string | undefined, where: string): boolean {
    if (v === 'ACCEPT' || v === 'CONTINUE') return true;
    if (v !== 'DROP') {
      // REJECT: the verdict names its answer
      const [type, code] = REJECT_CODES[v.with] ?? [ICMP_DEST_UNREACH, ICMP_PORT_UNREACH];
      this.host.drop('policy', frame, undefined, this.dropDetail(frame, ipLen, `${where}: REJECT with ${v.with}`));
      if (v.with === 'tcp-reset' && frame[IP + IPV4_PROTO_OFF] === IPPROTO_TCP) this.host.resetTcp(frame, ipLen);
      else this.host.reject(frame, ipLen, inDev, type, code);
      return false;
    }
    this.dropped(frame, where, ipLen);
    return false;
  }

  private dropped(frame: Uint8Array, where: string, ipLen?: number): undefined {
    this.host.drop('policy', frame, undefined, this.dropDetail(frame, ipLen, `${where}: DROP`));
    return undefined;
  }

  /**
   * A drop's reason: where and what, the deciding rule (chain, number, comment) when a rule decided, and
   * what the explainers add ("filter FORWARD: DROP by KUBE-POD-FW-X rule 7 "...": dropped by ...").
   */
  private dropDetail(frame: Uint8Array, ipLen: number | undefined, head: string): string {
    const d = this.decided;
    let s = head;
    if (d !== undefined)
      s += ` by ${d.chain} rule ${d.number}${d.rule.comment !== undefined ? ` (${JSON.stringify(d.rule.comment)})` : ''}`;
    if (this.explainers.length > 0) {
      const len = ipLen ?? (frame[IP + 2]! << 8) | frame[IP + 3]!;
      for (const e of this.explainers) {
        const more = e(frame, len, d);
        if (more !== undefined) s += `: ${more}`;
      }
    }
    return s;
  }
}

/** xt_icmp's icmp_type_code_match: type 255 is any; a code given must match too; `!` inverts. */
function icmpTypeMatch(m: { type: number; code?: number; neg: boolean }, frame: Uint8Array, proto: number): boolean {
  if (proto !== IPPROTO_ICMP) return false;
  const l4 = IP + (frame[IP]! & 0x0f) * 4;
  const hit = m.type === 255 || (frame[l4] === m.type && (m.code === undefined || frame[l4 + 1] === m.code));
  return hit !== m.neg;
}

function ifMatch(pattern: string, dev: string | undefined): boolean {
  if (dev === undefined) return false;
  return pattern.endsWith('+') ? dev.startsWith(pattern.slice(0, -1)) : dev === pattern;
}

function ctStates(ctx: PacketCtx): CtState[] {
  const c = ctx.conn;
  // resolve_normal_ct: NEW until a reply has been seen, then ESTABLISHED in both directions
  if (ctx.invalid === true) return ['INVALID'];
  const s: CtState[] = [ctx.related ? 'RELATED' : ctx.dir === 'reply' || c.seenReply ? 'ESTABLISHED' : 'NEW'];
  if (hasDnat(c)) s.push('DNAT');
  if (hasSnat(c)) s.push('SNAT');
  return s;
}

/** The tuple of the packet in `frame` (IP at 14). ICMP echo carries its identifier as a port. */
export function packetTuple(frame: Uint8Array, ipLen: number): Tuple {
  return tupleAt(frame, IP, ipLen);
}

function tupleAt(b: Uint8Array, ip: number, len: number): Tuple {
  const ihl = (b[ip]! & 0x0f) * 4;
  const proto = b[ip + 9]!;
  const src = readIpv4(b, ip + 12);
  const dst = readIpv4(b, ip + 16);
  const frag = ((b[ip + 6]! << 8) | b[ip + 7]!) & 0x1fff;
  const l4 = ip + ihl;
  let sport = 0;
  let dport = 0;
  if (frag === 0 && portful(proto) && len >= ihl + 4) {
    sport = (b[l4]! << 8) | b[l4 + 1]!;
    dport = (b[l4 + 2]! << 8) | b[l4 + 3]!;
  } else if (frag === 0 && proto === IPPROTO_ICMP && len >= ihl + 8) {
    const type = b[l4]!;
    const id = (b[l4 + 4]! << 8) | b[l4 + 5]!;
    if (type === ICMP_ECHO_REQUEST) sport = id;
    else if (type === ICMP_ECHO_REPLY) dport = id;
  }
  return { proto, src, sport, dst, dport };
}

/** For an ICMP error: the tuple of the quoted packet, as it was sent (lookup key of its connection). */
function relatedTuple(frame: Uint8Array, ipLen: number): Tuple | undefined {
  if (frame[IP + IPV4_PROTO_OFF] !== IPPROTO_ICMP) return undefined;
  const ihl = (frame[IP]! & 0x0f) * 4;
  const l4 = IP + ihl;
  if (ipLen < ihl + 8 + 20) return undefined;
  const type = frame[l4]!;
  // the error types whose quoted packet conntrack relates to a connection (icmp_is_err, include/linux/icmp.h)
  if (
    type !== ICMP_DEST_UNREACH &&
    type !== ICMP_REDIRECT &&
    type !== ICMP_TIME_EXCEEDED &&
    type !== ICMP_PARAMETER_PROBLEM &&
    type !== ICMP_SOURCE_QUENCH
  )
    return undefined;
  const inner = l4 + 8;
  const innerIhl = (frame[inner]! & 0x0f) * 4;
  if (ipLen - ihl - 8 < innerIhl + 8) return undefined;
  return tupleAt(frame, inner, ipLen - ihl - 8);
}

/** Exported for tests: the key of a tuple. */
export { tupleKey, invert };
