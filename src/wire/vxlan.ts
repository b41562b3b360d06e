/**
 * The VXLAN header (RFC 7348 section 5): 8 bytes after the outer UDP header.
 *
 *   0                   1                   2                   3
 *   |R|R|R|R|I|R|R|R|            Reserved (24 bits)                 |
 *   |        VXLAN Network Identifier (VNI)         |   Reserved    |
 *
 * The I flag must be 1 for a valid VNI; all reserved bits are sent as zero and ignored on receipt.
 */
import { type WireResult, assertRoom, fail, ok } from './result.js';

/** Bytes of the VXLAN header. */
export const VXLAN_HEADER_LEN = 8;
/** The I flag, in the first byte. */
export const VXLAN_FLAG_I = 0x08;
/** IANA's VXLAN port (RFC 7348). */
export const VXLAN_PORT_IANA = 4789;
/** The port Linux used before IANA's, and Flannel still uses. */
export const VXLAN_PORT_LINUX = 8472;
/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14): what the tunnel costs per packet. */
export const VXLAN_OVERHEAD = 50;

/** A VXLAN header. */
export interface VxlanHeader {
  vni: number;
}

/** A parsed VXLAN packet: the header and the inner Ethernet frame (a view, no copy). */
export interface VxlanPacket {
  header: VxlanHeader;
  inner: Uint8Array;
}

const P = 'vxlan';

/** Parses a UDP payload as VXLAN. RFC 7348: reserved bits are ignored; the I flag must be set. */
export function parseVxlan(buf: Uint8Array): WireResult<VxlanPacket> {
  if (buf.length < VXLAN_HEADER_LEN)
    return fail(P, 'header', 0, 'truncated', `truncated: ${buf.length} of ${VXLAN_HEADER_LEN} bytes`);
  if ((buf[0]! & VXLAN_FLAG_I) === 0) return fail(P, 'flags', 0, 'bad-value', 'I flag clear: no valid VNI');
  const vni = (buf[4]! << 16) | (buf[5]! << 8) | buf[6]!;
  return ok({ header: { vni }, inner: buf.subarray(VXLAN_HEADER_LEN) });
}

/** Writes the 8-byte header at `off`; returns bytes written. */
export function emitVxlan(h: VxlanHeader, buf: Uint8Array, off = 0): number {
  assertRoom(P, buf, off, VXLAN_HEADER_LEN);
  if (!Number.isInteger(h.vni) || h.vni < 0 || h.vni > 0xff_ffff)
    throw new RangeError(`VNI ${h.vni} is not a 24-bit value`);
  buf[off] = VXLAN_FLAG_I;
  buf[off + 1] = 0;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  buf[off + 4] = h.vni >>> 16;
  buf[off + 5] = (h.vni >>> 8) & 0xff;
  buf[off + 6] = h.vni & 0xff;
  buf[off + 7] = 0;
  return VXLAN_HEADER_LEN;
}
