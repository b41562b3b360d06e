/**
 * Connection tracking, as Linux's nf_conntrack keeps it: each connection has an original tuple (as the
 * first packet was seen) and a reply tuple (what the answer will look like). NAT is nothing more than a
 * reply tuple that is not the mirror of the original: DNAT changes its source, SNAT its destination.
 * Entries expire after protocol timeouts (Linux's defaults) and are swept lazily on lookup.
 */
import { formatIpv4, type Ipv4 } from '../../wire/addr.js';

/** A 5-tuple. For ICMP echo the identifier stands in a port: request (id, 0), reply (0, id). */
export interface Tuple {
  proto: number;
  src: Ipv4;
  sport: number;
  dst: Ipv4;
  dport: number;
}

/** TCP states conntrack follows (simplified from nf_conntrack_proto_tcp). */
export type CtTcpState =
  'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT' | 'CLOSE_WAIT' | 'LAST_ACK' | 'TIME_WAIT' | 'CLOSE';

/** One tracked connection. */
export interface Conn {
  readonly orig: Tuple;
  reply: Tuple;
  /** A packet was seen in the reply direction. */
  seenReply: boolean;
  /** Long-lived: replied to (UDP) or established (TCP). */
  assured: boolean;
  /** Inserted in the table (Linux confirms at the end of the first packet's path). */
  confirmed: boolean;
  expires: number;
  /** The connection mark (ctmark). */
  mark: number;
  tcp: CtTcpState | undefined;
  packets: number;
  bytes: number;
  /** When the first packet was seen (UDP becomes a stream only after 2 s with replies). */
  readonly firstSeen: number;
}

/** Timeouts in ns, Linux's defaults (net.netfilter.nf_conntrack_*_timeout*). */
export const CT_TIMEOUTS = {
  udp: 30e9,
  udpStream: 120e9,
  icmp: 30e9,
  generic: 600e9,
  tcp: {
    SYN_SENT: 120e9,
    SYN_RECV: 60e9,
    ESTABLISHED: 432000e9,
    FIN_WAIT: 120e9,
    CLOSE_WAIT: 60e9,
    LAST_ACK: 30e9,
    TIME_WAIT: 120e9,
    CLOSE: 10e9,
  } as Record<CtTcpState, number>,
};

/** The table key of a tuple. */
export function tupleKey(t: Tuple): string {
  return `${t.proto}|${t.src}|${t.sport}|${t.dst}|${t.dport}`;
}

/** The mirror image of a tuple (what a reply to it looks like). */
export function invert(t: Tuple): Tuple {
  return { proto: t.proto, src: t.dst, sport: t.dport, dst: t.src, dport: t.sport };
}

/** A lookup result: the connection and the direction the packet travels in. */
export interface CtHit {
  conn: Conn;
  dir: 'orig' | 'reply';
}

/** One entry of the table: a hit and the tuple it was filed under (a hash bucket may hold several). */
interface Slot {
  readonly hit: CtHit;
  readonly proto: number;
  readonly src: Ipv4;
  readonly sport: number;
  readonly dst: Ipv4;
  readonly dport: number;
}

/**
 * A 53-bit hash of a tuple, the table's key. A tuple has 104 bits, so a key names a bucket and the slots in
 * it are compared field by field; two tuples sharing a key are rare (about one pair in 2^53) and handled.
 * Numbers, not strings: no text is built per packet.
 */
export function tupleHash(t: Tuple): number {
  const ports = (t.sport << 16) | t.dport;
  return (mix(t, ports, 0x2545f491) >>> 11) * 0x1_0000_0000 + (mix(t, ports, 0x9e3779b9) >>> 0);
}

function mix(t: Tuple, ports: number, seed: number): number {
  let h = Math.imul(t.src ^ seed, 0xcc9e2d51);
  h = Math.imul(h ^ (h >>> 15) ^ t.dst, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 13) ^ ports, 0xc2b2ae3d);
  h = Math.imul(h ^ (h >>> 16) ^ t.proto, 0x27d4eb2f);
  return h ^ (h >>> 15);
}

function sameTuple(s: Slot, t: Tuple): boolean {
  return s.src === t.src && s.dst === t.dst && s.sport === t.sport && s.dport === t.dport && s.proto === t.proto;
}

/** The conntrack table of one node. */
export class Conntrack {
  /** Slots by tupleHash: one slot, or the few whose tuples share a hash. */
  private readonly byHash = new Map<number, Slot | Slot[]>();
  /** Connections ever created / expired. */
  created = 0;
  expired = 0;

  private find(t: Tuple): Slot | undefined {
    const b = this.byHash.get(tupleHash(t));
    if (b === undefined) return undefined;
    if (!Array.isArray(b)) return sameTuple(b, t) ? b : undefined;
    for (const s of b) if (sameTuple(s, t)) return s;
    return undefined;
  }

  /** Files `conn` under `t` (replacing whatever was filed under the same tuple). */
  private file(t: Tuple, conn: Conn, dir: 'orig' | 'reply'): void {
    const s: Slot = { hit: { conn, dir }, proto: t.proto, src: t.src, sport: t.sport, dst: t.dst, dport: t.dport };
    const key = tupleHash(t);
    const b = this.byHash.get(key);
    if (b === undefined || (!Array.isArray(b) && sameTuple(b, t))) this.byHash.set(key, s);
    else if (!Array.isArray(b)) this.byHash.set(key, [b, s]);
    else {
      const i = b.findIndex((x) => sameTuple(x, t));
      if (i >= 0) b[i] = s;
      else b.push(s);
    }
  }

  /** Takes whatever is filed under `t` out of the table. */
  private unfile(t: Tuple): void {
    const key = tupleHash(t);
    const b = this.byHash.get(key);
    if (b === undefined) return;
    if (!Array.isArray(b)) {
      if (sameTuple(b, t)) this.byHash.delete(key);
      return;
    }
    const rest = b.filter((x) => !sameTuple(x, t));
    if (rest.length === 0) this.byHash.delete(key);
    else this.byHash.set(key, rest.length === 1 ? rest[0]! : rest);
  }

  /** Finds the live connection a packet with tuple `t` belongs to. */
  lookup(t: Tuple, now: number): CtHit | undefined {
    const hit = this.find(t)?.hit;
    if (hit === undefined) return undefined;
    if (hit.conn.expires <= now) {
      this.remove(hit.conn);
      this.expired++;
      return undefined;
    }
    return hit;
  }

  /** A new, unconfirmed connection for a first packet. */
  create(t: Tuple, now: number): Conn {
    this.created++;
    return detachedConn(t, now);
  }

  /** True when some live connection already expects replies shaped like `reply` (NAT must avoid it). */
  replyTaken(reply: Tuple, now: number): boolean {
    return this.lookup(reply, now) !== undefined;
  }

  /** Inserts a connection under both tuples. */
  confirm(c: Conn): void {
    if (c.confirmed) return;
    c.confirmed = true;
    this.file(c.orig, c, 'orig');
    this.file(c.reply, c, 'reply');
  }

  /** Forgets a connection. */
  remove(c: Conn): void {
    this.unfile(c.orig);
    this.unfile(c.reply);
  }

  /** Live connections, each once. */
  entries(now: number): Conn[] {
    const out = new Set<Conn>();
    for (const b of this.byHash.values())
      if (!Array.isArray(b)) {
        if (b.hit.conn.expires > now) out.add(b.hit.conn);
      } else for (const s of b) if (s.hit.conn.expires > now) out.add(s.hit.conn);
    return [...out];
  }
}

/** How long a connection lives after its last packet. */
export function timeoutFor(proto: number, tcp: CtTcpState | undefined, assured: boolean): number {
  if (proto === 6) return CT_TIMEOUTS.tcp[tcp ?? 'SYN_SENT'];
  if (proto === 17) return assured ? CT_TIMEOUTS.udpStream : CT_TIMEOUTS.udp;
  if (proto === 1) return CT_TIMEOUTS.icmp;
  return CT_TIMEOUTS.generic;
}

/**
 * Advances the TCP state with one segment's flags, following the kernel's tcp_conntracks table
 * (nf_conntrack_proto_tcp.c) for the states modelled: a FIN is "a FIN was seen" whichever side sent it,
 * the ACK of the first FIN gives CLOSE_WAIT, the second FIN LAST_ACK, its ACK TIME_WAIT.
 */
export function tcpTransition(state: CtTcpState | undefined, flags: number, dir: 'orig' | 'reply'): CtTcpState {
  const SYN = 0x02;
  const ACK = 0x10;
  const FIN = 0x01;
  const RST = 0x04;
  const s = state ?? 'SYN_SENT';
  if (flags & RST) return 'CLOSE';
  if (flags & SYN) {
    if (flags & ACK) return dir === 'reply' && s === 'SYN_SENT' ? 'SYN_RECV' : s;
    return dir === 'orig' && (s === 'SYN_SENT' || s === 'TIME_WAIT' || s === 'CLOSE') ? 'SYN_SENT' : s;
  }
  if (flags & FIN) {
    if (s === 'SYN_RECV' || s === 'ESTABLISHED') return 'FIN_WAIT';
    if (s === 'FIN_WAIT' || s === 'CLOSE_WAIT' || s === 'LAST_ACK') return 'LAST_ACK';
    return s;
  }
  if (flags & ACK) {
    if (s === 'SYN_RECV' && dir === 'orig') return 'ESTABLISHED';
    if (s === 'FIN_WAIT') return 'CLOSE_WAIT';
    if (s === 'LAST_ACK') return 'TIME_WAIT';
  }
  return s;
}

/** One line of `conntrack -L` (conntrack-tools' layout: protocol name padded to 8, number, seconds left). */
export function formatConn(c: Conn, now: number): string {
  const p = c.orig.proto;
  const proto = p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 1 ? 'icmp' : 'unknown';
  const t = (x: Tuple, dir: 'orig' | 'reply'): string =>
    p === 1
      ? `src=${formatIpv4(x.src)} dst=${formatIpv4(x.dst)} type=${dir === 'orig' ? 8 : 0} code=0 id=${x.sport || x.dport}`
      : p === 6 || p === 17
        ? `src=${formatIpv4(x.src)} dst=${formatIpv4(x.dst)} sport=${x.sport} dport=${x.dport}`
        : `src=${formatIpv4(x.src)} dst=${formatIpv4(x.dst)}`;
  const secs = Math.max(0, Math.floor((c.expires - now) / 1e9));
  return `${proto.padEnd(8)} ${p} ${secs} ${c.tcp !== undefined ? `${c.tcp} ` : ''}${t(c.orig, 'orig')} ${c.seenReply ? '' : '[UNREPLIED] '}${t(c.reply, 'reply')} ${c.assured ? '[ASSURED] ' : ''}mark=${c.mark} use=1`;
}

/** A connection record that is in no table (a packet Linux leaves without conntrack: an orphan ICMP error). */
export function detachedConn(t: Tuple, now: number): Conn {
  return {
    orig: t,
    reply: invert(t),
    seenReply: false,
    assured: false,
    confirmed: false,
    expires: now + timeoutFor(t.proto, undefined, false),
    mark: 0,
    tcp: undefined,
    packets: 0,
    bytes: 0,
    firstSeen: now,
  };
}
