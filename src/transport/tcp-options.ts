/**
 * TCP options as Linux 6.x writes them, and what a SYN offers. The order and padding follow
 * tcp_options_write() (net/ipv4/tcp_output.c): MSS; SACK-permitted and timestamps in their combined
 * 12-byte form (`04 02 08 0a tsval tsecr`), or each behind two NOPs when alone; then `NOP, window scale`.
 * On other segments: `NOP NOP timestamps`, then `NOP NOP SACK blocks`. The initial window and the window
 * scale follow tcp_select_initial_window(). Checked byte for byte against SYNs and SYN-ACKs of Linux 6.18
 * between two namespaces (test/tcp-kernel.test.ts). The codec is wire/tcp.ts; what the options mean to a
 * connection is tcp-connection.ts's business.
 */
import type { TcpOption } from '../wire/tcp.js';

/** RFC 7323 §2.3: the largest window scale shift. */
export const MAX_WSCALE = 14;
/** Bytes the timestamps option takes on every segment once negotiated: NOP NOP kind len tsval tsecr. */
export const TCPOLEN_TSTAMP_ALIGNED = 12;
/** Linux net.core.rmem_max's default (212992); the window scale is sized on the larger of it and tcp_rmem[2]. */
export const RMEM_MAX_DEFAULT = 212992;

/** What a SYN or SYN-ACK of ours offers. */
export interface SynOffer {
  mss: number;
  sackPermitted: boolean;
  /** Timestamps, with the values to send (tsecr 0 in a SYN). */
  timestamps: { tsval: number; tsecr: number } | undefined;
  /** Window scale shift, or undefined to offer none. */
  wscale: number | undefined;
}

/** The options of a SYN or SYN-ACK, in Linux's order (tcp_options_write). */
export function synOptions(o: SynOffer): TcpOption[] {
  const out: TcpOption[] = [{ kind: 'mss', mss: o.mss }];
  if (o.timestamps !== undefined) {
    // OPTION_SACK_ADVERTISE with OPTION_TS: the two share one 32-bit word, no NOPs
    if (o.sackPermitted) out.push({ kind: 'sack-permitted' });
    else out.push({ kind: 'nop' }, { kind: 'nop' });
    out.push({ kind: 'timestamps', tsval: o.timestamps.tsval, tsecr: o.timestamps.tsecr });
  } else if (o.sackPermitted) out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack-permitted' });
  if (o.wscale !== undefined) out.push({ kind: 'nop' }, { kind: 'wscale', shift: o.wscale });
  return out;
}

/** What the peer's SYN or SYN-ACK offered. */
export interface PeerSyn {
  mss: number | undefined;
  sackPermitted: boolean;
  timestamps: { tsval: number; tsecr: number } | undefined;
  wscale: number | undefined;
}

/** Reads the options of a SYN or SYN-ACK. */
export function readSynOptions(options: readonly TcpOption[]): PeerSyn {
  const p: PeerSyn = { mss: undefined, sackPermitted: false, timestamps: undefined, wscale: undefined };
  for (const o of options) {
    if (o.kind === 'mss') p.mss = o.mss;
    else if (o.kind === 'sack-permitted') p.sackPermitted = true;
    else if (o.kind === 'timestamps') p.timestamps = { tsval: o.tsval, tsecr: o.tsecr };
    else if (o.kind === 'wscale') p.wscale = Math.min(o.shift, MAX_WSCALE); // RFC 7323 §2.3: > 14 counts as 14
  }
  return p;
}

/** The timestamps option of a segment, if any. */
export function timestampsOf(options: readonly TcpOption[]): { tsval: number; tsecr: number } | undefined {
  for (const o of options) if (o.kind === 'timestamps') return o;
  return undefined;
}

/** The SACK blocks of a segment (wire sequence numbers), or undefined. */
export function sackBlocksOf(options: readonly TcpOption[]): readonly [number, number][] | undefined {
  for (const o of options) if (o.kind === 'sack') return o.blocks;
  return undefined;
}

/** Options of a segment after the handshake: `NOP NOP TS`, then `NOP NOP SACK` (tcp_options_write). */
export function segmentOptions(
  ts: { tsval: number; tsecr: number } | undefined,
  sack: [number, number][] | undefined,
): TcpOption[] {
  const out: TcpOption[] = [];
  if (ts !== undefined)
    out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', tsval: ts.tsval, tsecr: ts.tsecr });
  if (sack !== undefined && sack.length > 0) out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: sack });
  return out;
}

/**
 * The window a SYN or SYN-ACK announces (tcp_select_initial_window): the space rounded down to a multiple
 * of the MSS, at most 65535. `space` is tcp_full_space(): half the receive buffer (the default scaling
 * ratio), 65536 for tcp_rmem[1] 131072; `mss` is the advertised MSS, less 12 on a SYN-ACK when timestamps
 * were agreed (tcp_openreq_init_rwin). So 64240 = 44 x 1460 and 65160 = 45 x 1448 at MTU 1500.
 */
export function initialWindow(space: number, mss: number): number {
  const s = space > mss ? space - (space % mss) : space;
  return Math.min(s, 0xffff);
}

/** The window scale Linux offers: ilog2(max(tcp_rmem[2], rmem_max)) - 15, within 0..14 (7 for 6 MiB). */
export function windowScaleFor(rmemMax: number): number {
  const space = Math.max(rmemMax, RMEM_MAX_DEFAULT);
  return Math.min(MAX_WSCALE, Math.max(0, Math.floor(Math.log2(space)) - 15));
}

/** The TSval clock: milliseconds since the engine's start plus the connection's random offset (Linux tcp_time_stamp_ts). */
export function tsClock(nowNs: number, offset: number): number {
  return (Math.floor(nowNs / 1_000_000) + offset) >>> 0;
}
