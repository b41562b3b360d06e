/**
 * NAT for netfilter (nf_nat): choosing a translation when a nat-table rule fires for a connection's first
 * packet, and rewriting packets in place from the conntrack entry with incremental checksum updates
 * (RFC 1624), ICMP errors and the packets they quote included. It leaves walking the tables and deciding
 * which hook runs what to netfilter.ts, and the connection table to conntrack.ts.
 */
import { formatIpv4, readIpv4, writeIpv4, type Ipv4 } from '../../wire/addr.js';
import { checksumAdjust, internetChecksum } from '../../wire/checksum.js';
import type { Conntrack, Conn, Tuple } from './conntrack.js';
import type { NetfilterHost, PacketCtx } from './netfilter.js';
import type { Target } from './rules.js';

/** Where the IP header sits in the frames netfilter sees. */
const IP = 14;

/** The targets that translate. */
export type NatTarget = Extract<Target, { kind: 'DNAT' | 'SNAT' | 'MASQUERADE' }>;

/**
 * A nat-table target chose NAT for a new connection: records it in the conntrack entry's reply tuple
 * (DNAT: its source; SNAT/MASQUERADE: its destination, with a free port as nf_nat_used_tuple finds one).
 * `rng` draws --random-fully ports (netfilter's stream); `where` names the table and chain for notes ("nat PREROUTING"), `ruleText` the rule.
 */
export function applyNat(
  host: NetfilterHost,
  conntrack: Conntrack,
  rng: { next(): number },
  t: NatTarget,
  ctx: PacketCtx,
  outDev: string | undefined,
  where: string,
  ruleText: string,
): void {
  const conn = ctx.conn;
  const now = host.engine.now;
  if (t.kind === 'DNAT') {
    const port = t.port ?? conn.orig.dport;
    conn.reply = { ...conn.reply, src: t.ip, sport: portful(conn.orig.proto) ? port : conn.reply.sport };
    host.note(
      () =>
        `iptables -t ${where}: DNAT ${formatIpv4(conn.orig.dst)}:${conn.orig.dport} -> ${formatIpv4(t.ip)}:${port} by "${ruleText}"`,
    );
    return;
  }
  const ip = t.kind === 'SNAT' ? t.ip : (host.masqueradeAddress(outDev ?? '', conn.reply.src) ?? conn.orig.src);
  const proto = conn.orig.proto;
  const want = conn.orig.sport;
  let lo = t.portLo ?? (want < 1024 ? 1 : 1024);
  let hi = t.portHi ?? (want < 1024 ? 1023 : 65535);
  if (!portful(proto) && proto !== 1) lo = hi = 0;
  const candidate = (p: number): Tuple => ({
    ...conn.reply,
    dst: ip,
    dport: proto === 1 ? p : portful(proto) ? p : conn.reply.dport,
  });
  let chosen: Tuple | undefined;
  const keepable = proto === 1 || portful(proto) ? want >= lo && want <= hi : true;
  if (!t.randomFully && keepable && !conntrack.replyTaken(candidate(want), now)) chosen = candidate(want);
  const span = hi - lo + 1;
  for (let i = 0; chosen === undefined && i < Math.min(span, 65536); i++) {
    const p = t.randomFully ? lo + Math.floor(rng.next() * span) : lo + ((want - lo + i + span) % span);
    const cand = candidate(p);
    if (!conntrack.replyTaken(cand, now)) chosen = cand;
  }
  if (chosen === undefined) {
    host.note(() => `${t.kind}: no free port for ${formatIpv4(ip)}; packet passes untranslated`);
    return;
  }
  conn.reply = chosen;
  host.note(
    () =>
      `iptables -t ${where}: ${t.kind} ${formatIpv4(conn.orig.src)}:${conn.orig.sport} -> ${formatIpv4(chosen.dst)}:${chosen.dport} by "${ruleText}"`,
  );
}

/** Destination manipulation (PREROUTING/OUTPUT): original direction gets the DNAT target, replies the un-SNAT. */
export function manipDst(frame: Uint8Array, ctx: PacketCtx): void {
  const c = ctx.conn;
  // only a connection with the matching NAT changes anything (original: DNAT; replies: un-SNAT)
  if (!(ctx.dir === 'orig' ? hasDnat(c) : hasSnat(c))) return;
  // the packet's destination must become the source of the other direction's tuple
  const want = ctx.dir === 'orig' ? { ip: c.reply.src, port: c.reply.sport } : { ip: c.orig.src, port: c.orig.sport };
  if (ctx.related) {
    rewriteRelated(frame, 'dst', want.ip, want.port);
    return;
  }
  rewrite(frame, 'dst', want.ip, want.port);
}

/** Source manipulation (POSTROUTING): original direction gets the SNAT source, replies the un-DNAT. */
export function manipSrc(frame: Uint8Array, ctx: PacketCtx): void {
  const c = ctx.conn;
  if (!(ctx.dir === 'orig' ? hasSnat(c) : hasDnat(c))) return;
  const want = ctx.dir === 'orig' ? { ip: c.reply.dst, port: c.reply.dport } : { ip: c.orig.dst, port: c.orig.dport };
  if (ctx.related) {
    rewriteRelated(frame, 'src', want.ip, want.port);
    return;
  }
  rewrite(frame, 'src', want.ip, want.port);
}

/** True when the connection has its destination translated (DNAT). */
export function hasDnat(c: Conn): boolean {
  return c.reply.src !== c.orig.dst || c.reply.sport !== c.orig.dport;
}

/** True when the connection has its source translated (SNAT, MASQUERADE). */
export function hasSnat(c: Conn): boolean {
  return c.reply.dst !== c.orig.src || c.reply.dport !== c.orig.sport;
}

/** True for protocols whose tuples carry ports (TCP, UDP, SCTP). */
export function portful(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 132;
}

/** Rewrites the packet's source or destination address and port in place, fixing every checksum. */
function rewrite(frame: Uint8Array, which: 'src' | 'dst', ip: Ipv4, port: number): void {
  rewriteAt(frame, IP, which, ip, port, true);
}

function rewriteAt(
  b: Uint8Array,
  ipOff: number,
  which: 'src' | 'dst',
  ip: Ipv4,
  port: number,
  fixIcmpId: boolean,
): void {
  const addrOff = ipOff + (which === 'src' ? 12 : 16);
  const old = readIpv4(b, addrOff);
  const ihl = (b[ipOff]! & 0x0f) * 4;
  const proto = b[ipOff + 9]!;
  const l4 = ipOff + ihl;
  const frag = ((b[ipOff + 6]! << 8) | b[ipOff + 7]!) & 0x1fff;
  const l4Csum = frag !== 0 ? -1 : proto === 6 ? l4 + 16 : proto === 17 ? l4 + 6 : -1;
  const hasL4Csum = l4Csum >= 0 && l4Csum + 1 < b.length && !(proto === 17 && b[l4Csum] === 0 && b[l4Csum + 1] === 0);
  if (old !== ip) {
    writeIpv4(b, addrOff, ip);
    adjust(b, ipOff + 10, old >>> 16, ip >>> 16, false);
    adjust(b, ipOff + 10, old & 0xffff, ip & 0xffff, false);
    if (hasL4Csum) {
      adjust(b, l4Csum, old >>> 16, ip >>> 16, proto === 17);
      adjust(b, l4Csum, old & 0xffff, ip & 0xffff, proto === 17);
    }
  }
  if (frag !== 0) return;
  if (portful(proto) && l4 + 4 <= b.length) {
    const po = l4 + (which === 'src' ? 0 : 2);
    const oldPort = (b[po]! << 8) | b[po + 1]!;
    if (oldPort !== port) {
      b[po] = port >>> 8;
      b[po + 1] = port & 0xff;
      if (hasL4Csum) adjust(b, l4Csum, oldPort, port, proto === 17);
    }
  } else if (proto === 1 && fixIcmpId && l4 + 8 <= b.length) {
    const type = b[l4]!;
    // the echo identifier travels as "sport" in requests and "dport" in replies
    if ((type === 8 && which === 'src') || (type === 0 && which === 'dst')) {
      const oldId = (b[l4 + 4]! << 8) | b[l4 + 5]!;
      if (oldId !== port && port !== 0) {
        b[l4 + 4] = port >>> 8;
        b[l4 + 5] = port & 0xff;
        adjust(b, l4 + 2, oldId, port, false);
      }
    }
  }
}

/**
 * NAT on an ICMP error: the outer header is rewritten like any packet of its direction, the quoted packet
 * the other way round (its source when the outer destination changes), then the ICMP checksum is redone.
 */
function rewriteRelated(frame: Uint8Array, which: 'src' | 'dst', ip: Ipv4, port: number): void {
  const ihl = (frame[IP]! & 0x0f) * 4;
  const total = (frame[IP + 2]! << 8) | frame[IP + 3]!;
  const l4 = IP + ihl;
  const inner = l4 + 8;
  rewriteAt(frame, IP, which, ip, 0, false);
  rewriteAt(frame.subarray(0, IP + total), inner, which === 'dst' ? 'src' : 'dst', ip, port, true);
  frame[l4 + 2] = 0;
  frame[l4 + 3] = 0;
  const c = internetChecksum(frame, l4, total - ihl);
  frame[l4 + 2] = c >>> 8;
  frame[l4 + 3] = c & 0xff;
}

function adjust(b: Uint8Array, off: number, oldWord: number, newWord: number, udp: boolean): void {
  let c = checksumAdjust((b[off]! << 8) | b[off + 1]!, oldWord, newWord);
  if (udp && c === 0) c = 0xffff; // RFC 768: a computed zero is sent as all ones
  b[off] = c >>> 8;
  b[off + 1] = c & 0xff;
}
