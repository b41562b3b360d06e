/**
 * TCP segments (RFC 9293 §3.1): the header, its options (MSS, window scale and SACK from RFC 7323 and
 * RFC 2018, timestamps, NOP; anything else kept raw) and the checksum over the IPv4 pseudo-header.
 * Connections, sequence space and timers belong to transport/.
 */
import type { Ipv4 } from './addr.js';
import { readU16, readU32, writeU16, writeU32 } from './bytes.js';
import { foldChecksum, onesComplementSum } from './checksum.js';
import { IPPROTO_TCP } from './ipv4.js';
import { type WireFail, type WireResult, assertRoom, fail, ok } from './result.js';

/** A header without options. */
export const TCP_MIN_HEADER_LEN = 20;
/** The longest header: data offset 15. */
export const TCP_MAX_HEADER_LEN = 60;
/** Source port offset. */
export const TCP_SRC_PORT_OFF = 0;
/** Destination port offset. */
export const TCP_DST_PORT_OFF = 2;
/** Sequence number offset. */
export const TCP_SEQ_OFF = 4;
/** Acknowledgment number offset. */
export const TCP_ACK_OFF = 8;
/** Data offset (high nibble, in 32-bit words) and the 4 reserved bits (low nibble). */
export const TCP_DATA_OFF_OFF = 12;
/** The 8 control bits, CWR (high) to FIN (low). */
export const TCP_FLAGS_OFF = 13;
/** Window offset. */
export const TCP_WINDOW_OFF = 14;
/** Checksum offset. */
export const TCP_CHECKSUM_OFF = 16;
/** Urgent pointer offset. */
export const TCP_URGENT_OFF = 18;

/** FIN: no more data from the sender. */
export const TCP_FIN = 0x01;
/** SYN: synchronize sequence numbers. */
export const TCP_SYN = 0x02;
/** RST: reset the connection. */
export const TCP_RST = 0x04;
/** PSH: push function. */
export const TCP_PSH = 0x08;
/** ACK: the acknowledgment field is significant. */
export const TCP_ACK = 0x10;
/** URG: the urgent pointer is significant. */
export const TCP_URG = 0x20;
/** ECE: ECN echo (RFC 3168). */
export const TCP_ECE = 0x40;
/** CWR: congestion window reduced (RFC 3168). */
export const TCP_CWR = 0x80;

/** Option kind: end of option list (RFC 9293). */
export const TCPOPT_EOL = 0;
/** Option kind: no-operation (RFC 9293). */
export const TCPOPT_NOP = 1;
/** Option kind: maximum segment size (RFC 9293 §3.7.1). */
export const TCPOPT_MSS = 2;
/** Option kind: window scale (RFC 7323 §2). */
export const TCPOPT_WSCALE = 3;
/** Option kind: SACK permitted (RFC 2018). */
export const TCPOPT_SACK_PERMITTED = 4;
/** Option kind: SACK blocks (RFC 2018). */
export const TCPOPT_SACK = 5;
/** Option kind: timestamps (RFC 7323 §3). */
export const TCPOPT_TIMESTAMPS = 8;

/**
 * One option. The end-of-list option is not a value: parsing stops at it (what follows is padding, RFC
 * 9293 §3.1) and emitting pads the option area with zeros, which are EOL bytes.
 */
export type TcpOption =
  | { kind: 'nop' }
  | { kind: 'mss'; mss: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sack-permitted' }
  | { kind: 'sack'; blocks: [left: number, right: number][] }
  | { kind: 'timestamps'; tsval: number; tsecr: number }
  /** Any other kind, or a known kind with a length this codec does not expect, with its data bytes. */
  | { kind: 'unknown'; type: number; data: Uint8Array };

/**
 * A parsed segment. `flags` holds the 12 bits after the data offset as Wireshark's `tcp.flags` does: the
 * control bits (TCP_FIN..TCP_CWR) in the low 8 and the 4 reserved bits above them (RFC 9293: zero when
 * sent, ignored when received). `payload` is a view; `checksum` is as on the wire.
 */
export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  /** Sequence number, unsigned 32-bit. */
  seq: number;
  /** Acknowledgment number, unsigned 32-bit. */
  ack: number;
  flags: number;
  window: number;
  checksum: number;
  urgent: number;
  options: TcpOption[];
  payload: Uint8Array;
}

/** A segment's header without the payload, for writing headers in place (transport/ copies the data). */
export type TcpHeader = Omit<TcpSegment, 'checksum' | 'payload' | 'options'> & { options: readonly TcpOption[] };

const P = 'tcp';
const EMPTY = new Uint8Array(0);

/**
 * Parses a segment that fills `buf` (the IP payload: TCP has no length field of its own). With `src` and
 * `dst` (the IPv4 addresses) the checksum is verified. Malformed options (a length below 2, or running
 * past the header) fail the parse; a known kind with an unexpected length is kept as 'unknown'.
 */
export function parseTcp(buf: Uint8Array, src?: Ipv4, dst?: Ipv4): WireResult<TcpSegment> {
  if (buf.length < TCP_MIN_HEADER_LEN)
    return fail(P, 'header', 0, 'truncated', `truncated: ${buf.length} of ${TCP_MIN_HEADER_LEN} bytes`);
  const hl = (buf[TCP_DATA_OFF_OFF]! >>> 4) * 4;
  if (hl < TCP_MIN_HEADER_LEN)
    return fail(P, 'dataOffset', TCP_DATA_OFF_OFF, 'bad-length', `data offset ${hl / 4} is below 5`);
  if (hl > buf.length)
    return fail(P, 'dataOffset', TCP_DATA_OFF_OFF, 'truncated', `truncated: ${hl}-byte header, ${buf.length} present`);
  if (src !== undefined && dst !== undefined && !verifyTcpChecksum(src, dst, buf, 0, buf.length)) {
    return fail(P, 'checksum', TCP_CHECKSUM_OFF, 'bad-checksum', 'bad checksum');
  }
  const options = parseTcpOptions(buf, TCP_MIN_HEADER_LEN, hl);
  if (!Array.isArray(options)) return options;
  return ok({
    srcPort: readU16(buf, TCP_SRC_PORT_OFF),
    dstPort: readU16(buf, TCP_DST_PORT_OFF),
    seq: readU32(buf, TCP_SEQ_OFF),
    ack: readU32(buf, TCP_ACK_OFF),
    flags: readU16(buf, TCP_DATA_OFF_OFF) & 0x0fff,
    window: readU16(buf, TCP_WINDOW_OFF),
    checksum: readU16(buf, TCP_CHECKSUM_OFF),
    urgent: readU16(buf, TCP_URGENT_OFF),
    options,
    payload: buf.subarray(hl),
  });
}

/** Walks the option bytes in [start, end) of `buf`. Returns the options, or the failure naming the offset. */
export function parseTcpOptions(buf: Uint8Array, start: number, end: number): TcpOption[] | WireFail {
  const out: TcpOption[] = [];
  let i = start;
  while (i < end) {
    const type = buf[i]!;
    if (type === TCPOPT_EOL) break;
    if (type === TCPOPT_NOP) {
      out.push({ kind: 'nop' });
      i++;
      continue;
    }
    if (i + 1 >= end) return fail(P, 'options', i, 'bad-length', `option ${type} has no length byte`);
    const len = buf[i + 1]!;
    if (len < 2) return fail(P, 'options', i + 1, 'bad-length', `option ${type} has length ${len}, below 2`);
    if (i + len > end)
      return fail(P, 'options', i + 1, 'bad-length', `option ${type} of length ${len} runs past the header`);
    out.push(knownOption(type, buf.subarray(i + 2, i + len)));
    i += len;
  }
  return out;
}

/** The option of `type` with `data` (its bytes after kind and length). */
function knownOption(type: number, data: Uint8Array): TcpOption {
  const n = data.length;
  if (type === TCPOPT_MSS && n === 2) return { kind: 'mss', mss: readU16(data, 0) };
  if (type === TCPOPT_WSCALE && n === 1) return { kind: 'wscale', shift: data[0]! };
  if (type === TCPOPT_SACK_PERMITTED && n === 0) return { kind: 'sack-permitted' };
  if (type === TCPOPT_TIMESTAMPS && n === 8)
    return { kind: 'timestamps', tsval: readU32(data, 0), tsecr: readU32(data, 4) };
  if (type === TCPOPT_SACK && n > 0 && n % 8 === 0) {
    const blocks: [number, number][] = [];
    for (let k = 0; k < n; k += 8) blocks.push([readU32(data, k), readU32(data, k + 4)]);
    return { kind: 'sack', blocks };
  }
  return { kind: 'unknown', type, data };
}

/** Bytes one option takes on the wire. */
function optionLength(o: TcpOption): number {
  switch (o.kind) {
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sack-permitted':
      return 2;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'timestamps':
      return 10;
    case 'unknown':
      return 2 + o.data.length;
  }
}

/** Bytes the options take, padded to a multiple of 4. */
export function tcpOptionsLength(options: readonly TcpOption[]): number {
  let n = 0;
  for (const o of options) n += optionLength(o);
  return (n + 3) & ~3;
}

/** Header length: 20 plus the padded options. */
export function tcpHeaderLength(h: { options: readonly TcpOption[] }): number {
  return TCP_MIN_HEADER_LEN + tcpOptionsLength(h.options);
}

/** Bytes the segment occupies: header and payload. */
export function tcpLength(s: { options: readonly TcpOption[]; payload: Uint8Array }): number {
  return tcpHeaderLength(s) + s.payload.length;
}

/**
 * Writes the header at `off` with a zero checksum and returns its length; the caller writes the payload
 * after it and then the checksum (`writeTcpChecksum`). Throws when the options exceed 40 bytes.
 */
export function emitTcpHeader(h: TcpHeader, buf: Uint8Array, off = 0): number {
  const hl = tcpHeaderLength(h);
  if (hl > TCP_MAX_HEADER_LEN) throw new RangeError(`${P}: ${hl - TCP_MIN_HEADER_LEN} option bytes exceed 40`);
  assertRoom(P, buf, off, hl);
  writeU16(buf, off + TCP_SRC_PORT_OFF, h.srcPort);
  writeU16(buf, off + TCP_DST_PORT_OFF, h.dstPort);
  writeU32(buf, off + TCP_SEQ_OFF, h.seq);
  writeU32(buf, off + TCP_ACK_OFF, h.ack);
  writeU16(buf, off + TCP_DATA_OFF_OFF, ((hl >>> 2) << 12) | (h.flags & 0x0fff));
  writeU16(buf, off + TCP_WINDOW_OFF, h.window);
  writeU16(buf, off + TCP_CHECKSUM_OFF, 0);
  writeU16(buf, off + TCP_URGENT_OFF, h.urgent);
  let i = off + TCP_MIN_HEADER_LEN;
  for (const o of h.options) i = emitOption(o, buf, i);
  buf.fill(TCPOPT_EOL, i, off + hl);
  return hl;
}

function emitOption(o: TcpOption, buf: Uint8Array, i: number): number {
  if (o.kind === 'nop') {
    buf[i] = TCPOPT_NOP;
    return i + 1;
  }
  const len = optionLength(o);
  buf[i + 1] = len;
  switch (o.kind) {
    case 'mss':
      buf[i] = TCPOPT_MSS;
      writeU16(buf, i + 2, o.mss);
      break;
    case 'wscale':
      buf[i] = TCPOPT_WSCALE;
      buf[i + 2] = o.shift;
      break;
    case 'sack-permitted':
      buf[i] = TCPOPT_SACK_PERMITTED;
      break;
    case 'sack':
      buf[i] = TCPOPT_SACK;
      o.blocks.forEach(([l, r], k) => {
        writeU32(buf, i + 2 + 8 * k, l);
        writeU32(buf, i + 6 + 8 * k, r);
      });
      break;
    case 'timestamps':
      buf[i] = TCPOPT_TIMESTAMPS;
      writeU32(buf, i + 2, o.tsval);
      writeU32(buf, i + 6, o.tsecr);
      break;
    case 'unknown':
      if (len > 0xff) throw new RangeError(`${P}: option ${o.type} with ${o.data.length} data bytes`);
      buf[i] = o.type;
      buf.set(o.data, i + 2);
      break;
  }
  return i + len;
}

/** The RFC 9293 §3.1 pseudo-header (source, destination, zero + protocol 6, TCP length), summed, not folded. */
function pseudoHeaderSum(src: Ipv4, dst: Ipv4, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + IPPROTO_TCP + len;
}

/**
 * The checksum of the `len`-byte segment at `off` under its pseudo-header, with the checksum field summed
 * as it stands (zero it first). Unlike UDP, a computed 0 is sent as 0: TCP has no "no checksum".
 */
export function tcpChecksum(src: Ipv4, dst: Ipv4, seg: Uint8Array, off: number, len: number): number {
  return foldChecksum(onesComplementSum(seg, off, len, pseudoHeaderSum(src, dst, len)));
}

/** Computes and stores the checksum of the `len`-byte segment at `off` (its checksum field must be zero). */
export function writeTcpChecksum(src: Ipv4, dst: Ipv4, buf: Uint8Array, off: number, len: number): void {
  writeU16(buf, off + TCP_CHECKSUM_OFF, tcpChecksum(src, dst, buf, off, len));
}

/** True when the `len`-byte segment at `off` carries a correct checksum. Allocation-free. */
export function verifyTcpChecksum(src: Ipv4, dst: Ipv4, buf: Uint8Array, off: number, len: number): boolean {
  if (len < TCP_MIN_HEADER_LEN) return false;
  return foldChecksum(onesComplementSum(buf, off, len, pseudoHeaderSum(src, dst, len))) === 0;
}

/**
 * Writes the segment at `off` with its checksum (`s.checksum`, if present, is ignored) and returns its
 * length. Throws when it does not fit or the options exceed 40 bytes.
 */
export function emitTcp(
  s: TcpHeader & { payload: Uint8Array; checksum?: number },
  src: Ipv4,
  dst: Ipv4,
  buf: Uint8Array,
  off = 0,
): number {
  const len = tcpLength(s);
  assertRoom(P, buf, off, len);
  const hl = emitTcpHeader(s, buf, off);
  buf.set(s.payload, off + hl);
  writeTcpChecksum(src, dst, buf, off, len);
  return len;
}

/** A new buffer holding exactly the segment. */
export function buildTcp(s: TcpHeader & { payload?: Uint8Array }, src: Ipv4, dst: Ipv4): Uint8Array {
  const seg = { ...s, payload: s.payload ?? EMPTY };
  const buf = new Uint8Array(tcpLength(seg));
  emitTcp(seg, src, dst, buf, 0);
  return buf;
}

/** The control bits as tcpdump prints them: "S", "S.", "P.", "F.", "R." ('.' is ACK); "none" when none. */
export function formatTcpFlags(flags: number): string {
  let s = '';
  if (flags & TCP_FIN) s += 'F';
  if (flags & TCP_SYN) s += 'S';
  if (flags & TCP_RST) s += 'R';
  if (flags & TCP_PSH) s += 'P';
  if (flags & TCP_URG) s += 'U';
  if (flags & TCP_ECE) s += 'E';
  if (flags & TCP_CWR) s += 'W';
  if (flags & TCP_ACK) s += '.';
  return s === '' ? 'none' : s;
}
