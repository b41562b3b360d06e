/**
 * UDP datagrams (RFC 768) and their checksum over the IPv4 pseudo-header. Ports, sockets and delivery
 * belong to transport/.
 */
import type { Ipv4 } from './addr.js';
import { readU16, writeU16 } from './bytes.js';
import { foldChecksum, onesComplementSum } from './checksum.js';
import { IPPROTO_UDP } from './ipv4.js';
import { type WireResult, assertRoom, fail, ok } from './result.js';

/** Source port, destination port, length, checksum: 8 bytes. */
export const UDP_HEADER_LEN = 8;
/** Source port offset. */
export const UDP_SRC_PORT_OFF = 0;
/** Destination port offset. */
export const UDP_DST_PORT_OFF = 2;
/** Length (header and data) offset. */
export const UDP_LEN_OFF = 4;
/** Checksum offset. */
export const UDP_CHECKSUM_OFF = 6;

/** A parsed datagram; `payload` is a view sized by the length field. `checksum` is as on the wire (0: none). */
export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  checksum: number;
  payload: Uint8Array;
}

const P = 'udp';

/**
 * Parses a datagram; bytes beyond its length field are ignored. With `src` and `dst` (the IPv4 addresses)
 * a non-zero checksum is verified; RFC 768: a zero checksum means the sender computed none.
 */
export function parseUdp(buf: Uint8Array, src?: Ipv4, dst?: Ipv4): WireResult<UdpDatagram> {
  if (buf.length < UDP_HEADER_LEN)
    return fail(P, 'header', 0, 'truncated', `truncated: ${buf.length} of ${UDP_HEADER_LEN} bytes`);
  const len = readU16(buf, UDP_LEN_OFF);
  if (len < UDP_HEADER_LEN)
    return fail(P, 'length', UDP_LEN_OFF, 'bad-length', `length ${len} is shorter than the header`);
  if (len > buf.length)
    return fail(P, 'length', UDP_LEN_OFF, 'truncated', `truncated: length ${len}, only ${buf.length} bytes present`);
  if (src !== undefined && dst !== undefined && !verifyUdpChecksum(src, dst, buf, 0, len)) {
    return fail(P, 'checksum', UDP_CHECKSUM_OFF, 'bad-checksum', 'bad checksum');
  }
  return ok({
    srcPort: readU16(buf, UDP_SRC_PORT_OFF),
    dstPort: readU16(buf, UDP_DST_PORT_OFF),
    checksum: readU16(buf, UDP_CHECKSUM_OFF),
    payload: buf.subarray(UDP_HEADER_LEN, len),
  });
}

/** The RFC 768 pseudo-header (source, destination, zero + protocol, UDP length), summed but not folded. */
function pseudoHeaderSum(src: Ipv4, dst: Ipv4, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + IPPROTO_UDP + len;
}

/**
 * The checksum of the `len`-byte datagram at `off` under its pseudo-header, with the checksum field
 * summed as it stands (zero it first). RFC 768: a computed 0 is sent as 0xffff, since 0 means "none".
 */
export function udpChecksum(src: Ipv4, dst: Ipv4, udp: Uint8Array, off: number, len: number): number {
  const c = foldChecksum(onesComplementSum(udp, off, len, pseudoHeaderSum(src, dst, len)));
  return c === 0 ? 0xffff : c;
}

/** True when the `len`-byte datagram at `off` has no checksum (0) or a correct one. Allocation-free. */
export function verifyUdpChecksum(src: Ipv4, dst: Ipv4, buf: Uint8Array, off: number, len: number): boolean {
  if (readU16(buf, off + UDP_CHECKSUM_OFF) === 0) return true;
  return foldChecksum(onesComplementSum(buf, off, len, pseudoHeaderSum(src, dst, len))) === 0;
}

/** Bytes the datagram occupies: 8 plus the payload. */
export function udpLength(d: Pick<UdpDatagram, 'payload'>): number {
  return UDP_HEADER_LEN + d.payload.length;
}

/**
 * Writes the datagram at `off` and returns its length; computes the checksum unless `withChecksum` is
 * false (then 0, "none"). `d.checksum`, if present, is ignored. Throws above 65535 bytes.
 */
export function emitUdp(
  d: Omit<UdpDatagram, 'checksum'> & { checksum?: number },
  src: Ipv4,
  dst: Ipv4,
  buf: Uint8Array,
  off = 0,
  withChecksum = true,
): number {
  const len = udpLength(d);
  if (len > 0xffff) throw new RangeError(`${P}: a ${len}-byte datagram exceeds 65535`);
  assertRoom(P, buf, off, len);
  writeU16(buf, off + UDP_SRC_PORT_OFF, d.srcPort);
  writeU16(buf, off + UDP_DST_PORT_OFF, d.dstPort);
  writeU16(buf, off + UDP_LEN_OFF, len);
  writeU16(buf, off + UDP_CHECKSUM_OFF, 0);
  buf.set(d.payload, off + UDP_HEADER_LEN);
  if (withChecksum) writeU16(buf, off + UDP_CHECKSUM_OFF, udpChecksum(src, dst, buf, off, len));
  return len;
}

/** A new buffer holding exactly the datagram. */
export function buildUdp(d: Omit<UdpDatagram, 'checksum'>, src: Ipv4, dst: Ipv4, withChecksum = true): Uint8Array {
  const buf = new Uint8Array(udpLength(d));
  emitUdp(d, src, dst, buf, 0, withChecksum);
  return buf;
}
