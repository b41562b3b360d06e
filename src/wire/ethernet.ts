/**
 * Ethernet II frames (DIX / IEEE 802.3 §3.2.6 type interpretation) with at most one IEEE 802.1Q tag.
 * Frames are held without preamble or FCS, and exactly as long as their contents: the 60-byte minimum
 * is not padded (veth does not pad either). Double tags are not unwrapped: a tag inside a tag shows up as
 * ethertype 0x8100 with the inner tag at the start of the payload. What the payload means is left to
 * arp.ts and ipv4.ts.
 */
import { allocFrame } from './frame-alloc.js';
import { carryFrameHash } from './frame-hash.js';
import { type Mac, readMac, writeMac } from './addr.js';
import { readU16, writeU16 } from './bytes.js';
import { type WireResult, assertRoom, fail, ok } from './result.js';

/** Destination MAC offset. */
export const ETH_DST_OFF = 0;
/** Source MAC offset. */
export const ETH_SRC_OFF = 6;
/** Ethertype (or, in a tagged frame, the TPID 0x8100) offset. */
export const ETH_TYPE_OFF = 12;
/** Untagged header length: dst(6) src(6) type(2). */
export const ETH_HEADER_LEN = 14;
/** Bytes an 802.1Q tag adds: TPID(2) TCI(2). */
export const VLAN_TAG_LEN = 4;
/** Offset of the 802.1Q TCI in a tagged frame. */
export const VLAN_TCI_OFF = 14;
/** Offset of the inner ethertype in a tagged frame. */
export const VLAN_INNER_TYPE_OFF = 16;
/** Ethertype of IPv4 (RFC 894). */
export const ETHERTYPE_IPV4 = 0x0800;
/** Ethertype of ARP (RFC 826). */
export const ETHERTYPE_ARP = 0x0806;
/** Ethertype of IPv6 (RFC 2464). */
export const ETHERTYPE_IPV6 = 0x86dd;
/** The 802.1Q tag protocol identifier. */
export const ETHERTYPE_VLAN = 0x8100;
/** The smallest frame on the wire without its 4-byte FCS (IEEE 802.3 minFrameSize 64 - 4); not enforced. */
export const ETH_MIN_FRAME_NO_FCS = 60;
/** VID 4095 is reserved by IEEE 802.1Q (Table 9-2) and must not be used. */
const VID_RESERVED = 0xfff;
/** Types below 0x0600 are IEEE 802.3 length fields, not ethertypes. */
const ETHERTYPE_MIN = 0x0600;

/** An 802.1Q tag control information: priority code point (0-7), drop eligible, VLAN id (0-4094). */
export interface VlanTag {
  pcp: number;
  dei: boolean;
  vid: number;
}

/** An Ethernet II frame; `payload` is a view into the parsed bytes, not a copy. */
export interface EthernetFrame {
  dst: Mac;
  src: Mac;
  vlan?: VlanTag;
  ethertype: number;
  payload: Uint8Array;
}

const P = 'ethernet';

/** Parses an Ethernet II frame (no FCS), with or without one 802.1Q tag. */
export function parseEthernet(buf: Uint8Array): WireResult<EthernetFrame> {
  if (buf.length < ETH_HEADER_LEN)
    return fail(P, 'header', 0, 'truncated', `truncated: ${buf.length} of ${ETH_HEADER_LEN} bytes`);
  const dst = readMac(buf, ETH_DST_OFF);
  const src = readMac(buf, ETH_SRC_OFF);
  let typeOff = ETH_TYPE_OFF;
  let vlan: VlanTag | undefined;
  if (etherTypeAt(buf) === ETHERTYPE_VLAN) {
    if (buf.length < ETH_HEADER_LEN + VLAN_TAG_LEN)
      return fail(P, 'vlan', VLAN_TCI_OFF, 'truncated', 'truncated 802.1Q tag');
    const tci = readU16(buf, VLAN_TCI_OFF);
    if ((tci & 0xfff) === VID_RESERVED) return fail(P, 'vlan.vid', VLAN_TCI_OFF, 'bad-value', 'reserved VID 4095');
    vlan = { pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0xfff };
    typeOff = VLAN_INNER_TYPE_OFF;
  }
  const ethertype = readU16(buf, typeOff);
  if (ethertype < ETHERTYPE_MIN) return fail(P, 'ethertype', typeOff, 'unsupported', 'not Ethernet II');
  const payload = buf.subarray(typeOff + 2);
  return ok(vlan ? { dst, src, vlan, ethertype, payload } : { dst, src, ethertype, payload });
}

/** Bytes the frame occupies: header, tag if any, payload. */
export function ethernetLength(f: Pick<EthernetFrame, 'vlan' | 'payload'>): number {
  return ETH_HEADER_LEN + (f.vlan ? VLAN_TAG_LEN : 0) + f.payload.length;
}

/** Writes the header (and tag) of `f` at `off`, returning its length; the payload is the caller's to place. */
export function emitEthernetHeader(f: Omit<EthernetFrame, 'payload'>, buf: Uint8Array, off = 0): number {
  const len = ETH_HEADER_LEN + (f.vlan ? VLAN_TAG_LEN : 0);
  assertRoom(P, buf, off, len);
  writeMac(buf, off + ETH_DST_OFF, f.dst);
  writeMac(buf, off + ETH_SRC_OFF, f.src);
  let typeOff = off + ETH_TYPE_OFF;
  if (f.vlan) {
    writeU16(buf, typeOff, ETHERTYPE_VLAN);
    writeU16(buf, off + VLAN_TCI_OFF, tci(f.vlan.vid, f.vlan.pcp, f.vlan.dei));
    typeOff = off + VLAN_INNER_TYPE_OFF;
  }
  writeU16(buf, typeOff, f.ethertype);
  return len;
}

/** Writes the whole frame at `off` and returns the bytes written; never pads. Fields are masked to width. */
export function emitEthernet(f: EthernetFrame, buf: Uint8Array, off = 0): number {
  assertRoom(P, buf, off, ethernetLength(f));
  const hl = emitEthernetHeader(f, buf, off);
  buf.set(f.payload, off + hl);
  return hl + f.payload.length;
}

/** A new buffer holding exactly the frame (no padding to 60 bytes: podnet does not model it). */
export function buildEthernet(f: EthernetFrame): Uint8Array {
  const buf = new Uint8Array(ethernetLength(f));
  emitEthernet(f, buf);
  return buf;
}

/** The outer ethertype (0x8100 when tagged). Caller guarantees at least 14 bytes. */
export function etherTypeAt(buf: Uint8Array): number {
  return readU16(buf, ETH_TYPE_OFF);
}

/** True when the frame carries an 802.1Q tag. Caller guarantees at least 14 bytes. */
export function hasVlanTag(buf: Uint8Array): boolean {
  return etherTypeAt(buf) === ETHERTYPE_VLAN;
}

/** The VID of the tag at offset 14. Caller guarantees a tagged frame. */
export function vlanIdAt(buf: Uint8Array): number {
  return readU16(buf, VLAN_TCI_OFF) & 0xfff;
}

/** A new frame, 4 bytes longer, with a tag (`vid`, `pcp`, DEI 0) after the source MAC, as a trunk port sends it. */
export function insertVlanTag(frame: Uint8Array, vid: number, pcp = 0): Uint8Array {
  if (frame.length < ETH_HEADER_LEN) throw new RangeError(`${P}: cannot tag a ${frame.length}-byte frame`);
  const out = allocFrame(frame.length + VLAN_TAG_LEN);
  out.set(frame.subarray(0, ETH_TYPE_OFF));
  writeU16(out, ETH_TYPE_OFF, ETHERTYPE_VLAN);
  writeU16(out, VLAN_TCI_OFF, tci(vid, pcp, false));
  out.set(frame.subarray(ETH_TYPE_OFF), VLAN_INNER_TYPE_OFF);
  carryFrameHash(frame, out); // vlan_insert_tag keeps the skb, and its hash
  return out;
}

/**
 * Removes the tag in place, without copying the frame: the 12 address bytes move forward over the tag
 * (overwriting bytes 4-15 of `frame`) and the returned view starts 4 bytes in. Throws if untagged.
 */
export function stripVlanTag(frame: Uint8Array): Uint8Array {
  if (frame.length < ETH_HEADER_LEN + VLAN_TAG_LEN || !hasVlanTag(frame))
    throw new RangeError(`${P}: frame has no 802.1Q tag`);
  frame.copyWithin(VLAN_TAG_LEN, 0, ETH_TYPE_OFF);
  const out = frame.subarray(VLAN_TAG_LEN);
  carryFrameHash(frame, out);
  return out;
}

/** The 802.1Q TCI: PCP(3) DEI(1) VID(12). */
function tci(vid: number, pcp: number, dei: boolean): number {
  return ((pcp & 7) << 13) | (dei ? 0x1000 : 0) | (vid & 0xfff);
}
