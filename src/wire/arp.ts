/**
 * ARP (RFC 826) for Ethernet and IPv4 only: hardware type 1, protocol type 0x0800, lengths 6 and 4, so a
 * packet is always 28 bytes. The neighbour cache and when to ask or answer belong to net/.
 */
import { type Ipv4, type Mac, readIpv4, readMac, writeIpv4, writeMac } from './addr.js';
import { readU16, writeU16 } from './bytes.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETH_HEADER_LEN, emitEthernetHeader } from './ethernet.js';
import { type WireResult, assertRoom, fail, ok } from './result.js';

/** An Ethernet/IPv4 ARP packet is always 28 bytes. */
export const ARP_LEN = 28;
/** ar$op: request. */
export const ARP_OP_REQUEST = 1;
/** ar$op: reply. */
export const ARP_OP_REPLY = 2;
/** ar$hrd: hardware type offset. */
export const ARP_HTYPE_OFF = 0;
/** ar$pro: protocol type offset. */
export const ARP_PTYPE_OFF = 2;
/** ar$hln: hardware address length offset. */
export const ARP_HLEN_OFF = 4;
/** ar$pln: protocol address length offset. */
export const ARP_PLEN_OFF = 5;
/** ar$op: opcode offset. */
export const ARP_OP_OFF = 6;
/** ar$sha: sender hardware address offset. */
export const ARP_SHA_OFF = 8;
/** ar$spa: sender protocol address offset. */
export const ARP_SPA_OFF = 14;
/** ar$tha: target hardware address offset. */
export const ARP_THA_OFF = 18;
/** ar$tpa: target protocol address offset. */
export const ARP_TPA_OFF = 24;
/** ar$hrd for Ethernet (IANA ARP parameters). */
export const ARP_HTYPE_ETHERNET = 1;

/** An Ethernet/IPv4 ARP request or reply. In a request the target MAC is unknown and usually zero. */
export interface ArpPacket {
  op: number;
  senderMac: Mac;
  senderIp: Ipv4;
  targetMac: Mac;
  targetIp: Ipv4;
}

const P = 'arp';

/**
 * Whether the ARP packet at `off` in `buf` is a well-formed Ethernet/IPv4 request (what parseArp accepts,
 * with opcode 1), read in place without a parse: for a receiver that only needs the addresses.
 */
export function isArpRequestAt(buf: Uint8Array, off: number): boolean {
  return (
    buf.length - off >= ARP_LEN &&
    readU16(buf, off + ARP_HTYPE_OFF) === ARP_HTYPE_ETHERNET &&
    readU16(buf, off + ARP_PTYPE_OFF) === ETHERTYPE_IPV4 &&
    buf[off + ARP_HLEN_OFF] === 6 &&
    buf[off + ARP_PLEN_OFF] === 4 &&
    readU16(buf, off + ARP_OP_OFF) === ARP_OP_REQUEST
  );
}

/** Parses an Ethernet/IPv4 ARP packet; bytes after the 28 (Ethernet padding) are ignored. */
export function parseArp(buf: Uint8Array): WireResult<ArpPacket> {
  if (buf.length < ARP_LEN) return fail(P, 'packet', 0, 'truncated', `truncated: ${buf.length} of ${ARP_LEN} bytes`);
  if (readU16(buf, ARP_HTYPE_OFF) !== ARP_HTYPE_ETHERNET)
    return fail(P, 'htype', ARP_HTYPE_OFF, 'unsupported', 'hardware type is not Ethernet');
  if (readU16(buf, ARP_PTYPE_OFF) !== ETHERTYPE_IPV4)
    return fail(P, 'ptype', ARP_PTYPE_OFF, 'unsupported', 'protocol type is not IPv4');
  if (buf[ARP_HLEN_OFF] !== 6) return fail(P, 'hlen', ARP_HLEN_OFF, 'unsupported', 'hardware address length is not 6');
  if (buf[ARP_PLEN_OFF] !== 4) return fail(P, 'plen', ARP_PLEN_OFF, 'unsupported', 'protocol address length is not 4');
  const op = readU16(buf, ARP_OP_OFF);
  if (op !== ARP_OP_REQUEST && op !== ARP_OP_REPLY)
    return fail(P, 'op', ARP_OP_OFF, 'bad-value', `unknown opcode ${op}`);
  return ok({
    op,
    senderMac: readMac(buf, ARP_SHA_OFF),
    senderIp: readIpv4(buf, ARP_SPA_OFF),
    targetMac: readMac(buf, ARP_THA_OFF),
    targetIp: readIpv4(buf, ARP_TPA_OFF),
  });
}

/** Writes the 28-byte packet at `off` and returns 28. */
export function emitArp(p: ArpPacket, buf: Uint8Array, off = 0): number {
  assertRoom(P, buf, off, ARP_LEN);
  writeU16(buf, off + ARP_HTYPE_OFF, ARP_HTYPE_ETHERNET);
  writeU16(buf, off + ARP_PTYPE_OFF, ETHERTYPE_IPV4);
  buf[off + ARP_HLEN_OFF] = 6;
  buf[off + ARP_PLEN_OFF] = 4;
  writeU16(buf, off + ARP_OP_OFF, p.op);
  writeMac(buf, off + ARP_SHA_OFF, p.senderMac);
  writeIpv4(buf, off + ARP_SPA_OFF, p.senderIp);
  writeMac(buf, off + ARP_THA_OFF, p.targetMac);
  writeIpv4(buf, off + ARP_TPA_OFF, p.targetIp);
  return ARP_LEN;
}

/** A new untagged Ethernet frame (14 + 28 bytes, unpadded) carrying `p`. */
export function buildArpFrame(p: ArpPacket, ethSrc: Mac, ethDst: Mac): Uint8Array {
  const frame = new Uint8Array(ETH_HEADER_LEN + ARP_LEN);
  emitEthernetHeader({ dst: ethDst, src: ethSrc, ethertype: ETHERTYPE_ARP }, frame);
  emitArp(p, frame, ETH_HEADER_LEN);
  return frame;
}
