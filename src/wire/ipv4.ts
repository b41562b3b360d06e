/**
 * IPv4 headers (RFC 791): parse, emit, the allocation-free checks a router runs per packet (header
 * validity, TTL decrement with an RFC 1624 incremental checksum), and fragmentation. Options are kept raw
 * and not interpreted, except for their copy bit when fragmenting. Routing, reassembly and ICMP
 * generation belong to net/.
 */
import { type Ipv4, readIpv4, writeIpv4 } from './addr.js';
import { readU16, writeU16 } from './bytes.js';
import { checksumAdjust, internetChecksum } from './checksum.js';
import { type WireFail, type WireResult, assertRoom, fail, ok } from './result.js';

/** The version nibble of an IPv4 header (RFC 791). */
export const IPV4_VERSION = 4;
/** A header without options. */
export const IPV4_MIN_HEADER_LEN = 20;
/** The longest header: IHL 15. */
export const IPV4_MAX_HEADER_LEN = 60;
/** Version (high nibble) and IHL in 32-bit words (low nibble). */
export const IPV4_VER_IHL_OFF = 0;
/** Type of service / DSCP+ECN. */
export const IPV4_TOS_OFF = 1;
/** Total length of header and data, in bytes. */
export const IPV4_TOTAL_LEN_OFF = 2;
/** Identification. */
export const IPV4_ID_OFF = 4;
/** Flags (3 bits) and fragment offset (13 bits, in 8-byte units). */
export const IPV4_FLAGS_FRAG_OFF = 6;
/** Time to live. */
export const IPV4_TTL_OFF = 8;
/** Protocol of the payload. */
export const IPV4_PROTO_OFF = 9;
/** Header checksum. */
export const IPV4_CHECKSUM_OFF = 10;
/** Source address. */
export const IPV4_SRC_OFF = 12;
/** Destination address. */
export const IPV4_DST_OFF = 16;
/** Protocol number of ICMP (RFC 792). */
export const IPPROTO_ICMP = 1;
/** Protocol number of IP-in-IP (RFC 2003). */
export const IPPROTO_IPIP = 4;
/** Protocol number of TCP. */
export const IPPROTO_TCP = 6;
/** Protocol number of UDP (RFC 768). */
export const IPPROTO_UDP = 17;
/** Don't Fragment, in the flags/fragment-offset word. */
export const IPV4_FLAG_DF = 0x4000;
/** More Fragments, in the flags/fragment-offset word. */
export const IPV4_FLAG_MF = 0x2000;
/** RFC 791: bit 0 of the flags is reserved and must be zero. */
const IPV4_FLAG_RESERVED = 0x8000;
const FRAG_OFFSET_MASK = 0x1fff;
/** RFC 791 §3.1: an option type's high bit says whether fragments carry it. */
const OPTION_COPIED = 0x80;
const OPTION_EOL = 0;
const OPTION_NOP = 1;

/** A parsed IPv4 header. */
export interface Ipv4Header {
  tos: number;
  totalLength: number;
  id: number;
  df: boolean;
  mf: boolean;
  /** In 8-byte units. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: Ipv4;
  dst: Ipv4;
  /** Raw option bytes, a multiple of 4 long and at most 40; a view when parsed. */
  options: Uint8Array;
}

/** A parsed packet: the header, its length in bytes, and the payload (a view sized by totalLength). */
export interface Ipv4Packet {
  header: Ipv4Header;
  headerLength: number;
  payload: Uint8Array;
}

/** The verdict of `checkIpv4`: 'ok', or the first thing wrong with the header. */
export type Ipv4Check =
  'ok' | 'truncated' | 'bad-version' | 'bad-ihl' | 'bad-total-length' | 'bad-flags' | 'bad-checksum';

const P = 'ipv4';

/**
 * Validates the header at `off` without allocating; `len` is the bytes available from `off` (more than
 * totalLength is fine: Ethernet padding). Checks version, IHL, totalLength, the reserved flag, checksum.
 */
export function checkIpv4(buf: Uint8Array, off: number, len: number): Ipv4Check {
  if (len < IPV4_MIN_HEADER_LEN) return 'truncated';
  const verIhl = buf[off + IPV4_VER_IHL_OFF]!;
  if (verIhl >>> 4 !== IPV4_VERSION) return 'bad-version';
  const hl = (verIhl & 0xf) * 4;
  if (hl < IPV4_MIN_HEADER_LEN) return 'bad-ihl';
  if (hl > len) return 'truncated';
  const total = readU16(buf, off + IPV4_TOTAL_LEN_OFF);
  if (total < hl) return 'bad-total-length';
  if (total > len) return 'truncated';
  if (buf[off + IPV4_FLAGS_FRAG_OFF]! & (IPV4_FLAG_RESERVED >>> 8)) return 'bad-flags';
  // RFC 1071: summed over a header that includes its correct checksum, the checksum comes out 0.
  if (internetChecksum(buf, off, hl) !== 0) return 'bad-checksum';
  return 'ok';
}

/** Parses the packet at the start of `buf`; bytes beyond totalLength are ignored. Agrees with `checkIpv4`. */
export function parseIpv4(buf: Uint8Array): WireResult<Ipv4Packet> {
  const check = checkIpv4(buf, 0, buf.length);
  if (check !== 'ok') return checkFailure(check, buf);
  const hl = (buf[IPV4_VER_IHL_OFF]! & 0xf) * 4;
  const totalLength = readU16(buf, IPV4_TOTAL_LEN_OFF);
  const flags = readU16(buf, IPV4_FLAGS_FRAG_OFF);
  const header: Ipv4Header = {
    tos: buf[IPV4_TOS_OFF]!,
    totalLength,
    id: readU16(buf, IPV4_ID_OFF),
    df: (flags & IPV4_FLAG_DF) !== 0,
    mf: (flags & IPV4_FLAG_MF) !== 0,
    fragmentOffset: flags & FRAG_OFFSET_MASK,
    ttl: buf[IPV4_TTL_OFF]!,
    protocol: buf[IPV4_PROTO_OFF]!,
    checksum: readU16(buf, IPV4_CHECKSUM_OFF),
    src: readIpv4(buf, IPV4_SRC_OFF),
    dst: readIpv4(buf, IPV4_DST_OFF),
    options: buf.subarray(IPV4_MIN_HEADER_LEN, hl),
  };
  return ok({ header, headerLength: hl, payload: buf.subarray(hl, totalLength) });
}

/** Turns a failed check into an error naming the field. */
function checkFailure(check: Exclude<Ipv4Check, 'ok'>, buf: Uint8Array): WireFail {
  const hl = (buf[IPV4_VER_IHL_OFF]! & 0xf) * 4;
  const total = readU16(buf, IPV4_TOTAL_LEN_OFF);
  switch (check) {
    case 'truncated':
      if (buf.length < IPV4_MIN_HEADER_LEN)
        return fail(P, 'header', 0, 'truncated', `truncated: ${buf.length} of ${IPV4_MIN_HEADER_LEN} bytes`);
      if (hl > buf.length)
        return fail(P, 'ihl', IPV4_VER_IHL_OFF, 'truncated', `truncated: ${hl}-byte header, ${buf.length} present`);
      return fail(
        P,
        'totalLength',
        IPV4_TOTAL_LEN_OFF,
        'truncated',
        `truncated: total length ${total}, ${buf.length} present`,
      );
    case 'bad-version':
      return fail(P, 'version', IPV4_VER_IHL_OFF, 'bad-value', `version ${buf[0]! >>> 4} is not 4`);
    case 'bad-ihl':
      return fail(P, 'ihl', IPV4_VER_IHL_OFF, 'bad-length', `IHL ${hl / 4} is below 5`);
    case 'bad-total-length':
      return fail(
        P,
        'totalLength',
        IPV4_TOTAL_LEN_OFF,
        'bad-length',
        `total length ${total} is shorter than the ${hl}-byte header`,
      );
    case 'bad-flags':
      return fail(P, 'flags', IPV4_FLAGS_FRAG_OFF, 'bad-value', 'reserved flag set');
    case 'bad-checksum':
      return fail(P, 'checksum', IPV4_CHECKSUM_OFF, 'bad-checksum', 'bad checksum');
  }
}

/**
 * Decrements the TTL of the header at `off` in place and patches the checksum incrementally (RFC 1624
 * eqn 3 over the TTL/protocol word); returns the new TTL. The caller drops packets with TTL <= 1 first.
 */
export function decrementTtl(buf: Uint8Array, off: number): number {
  const ttl = buf[off + IPV4_TTL_OFF]!;
  const proto = buf[off + IPV4_PROTO_OFF]!;
  const newTtl = (ttl - 1) & 0xff;
  buf[off + IPV4_TTL_OFF] = newTtl;
  const checksum = readU16(buf, off + IPV4_CHECKSUM_OFF);
  writeU16(buf, off + IPV4_CHECKSUM_OFF, checksumAdjust(checksum, (ttl << 8) | proto, (newTtl << 8) | proto));
  return newTtl;
}

/** Header length in bytes: 20 plus the options. */
export function ipv4HeaderLength(h: Pick<Ipv4Header, 'options'>): number {
  return IPV4_MIN_HEADER_LEN + h.options.length;
}

/**
 * Writes the header at `off` with `h.totalLength`, computing the checksum (`h.checksum` is ignored);
 * returns the header length. Throws if the options are not a multiple of 4 up to 40 bytes.
 */
export function emitIpv4Header(h: Ipv4Header, buf: Uint8Array, off = 0): number {
  const optLen = h.options.length;
  if (optLen % 4 !== 0 || optLen > IPV4_MAX_HEADER_LEN - IPV4_MIN_HEADER_LEN) {
    throw new RangeError(`${P}: ${optLen} option bytes; need a multiple of 4, at most 40`);
  }
  const hl = IPV4_MIN_HEADER_LEN + optLen;
  assertRoom(P, buf, off, hl);
  buf[off + IPV4_VER_IHL_OFF] = (IPV4_VERSION << 4) | (hl >>> 2);
  buf[off + IPV4_TOS_OFF] = h.tos;
  writeU16(buf, off + IPV4_TOTAL_LEN_OFF, h.totalLength);
  writeU16(buf, off + IPV4_ID_OFF, h.id);
  const flags = (h.df ? IPV4_FLAG_DF : 0) | (h.mf ? IPV4_FLAG_MF : 0) | (h.fragmentOffset & FRAG_OFFSET_MASK);
  writeU16(buf, off + IPV4_FLAGS_FRAG_OFF, flags);
  buf[off + IPV4_TTL_OFF] = h.ttl;
  buf[off + IPV4_PROTO_OFF] = h.protocol;
  writeU16(buf, off + IPV4_CHECKSUM_OFF, 0);
  writeIpv4(buf, off + IPV4_SRC_OFF, h.src);
  writeIpv4(buf, off + IPV4_DST_OFF, h.dst);
  buf.set(h.options, off + IPV4_MIN_HEADER_LEN);
  writeU16(buf, off + IPV4_CHECKSUM_OFF, internetChecksum(buf, off, hl));
  return hl;
}

/** A new packet of header and `payload`, with totalLength and checksum filled in. Throws above 65535 bytes. */
export function buildIpv4(h: Omit<Ipv4Header, 'checksum' | 'totalLength'>, payload: Uint8Array): Uint8Array {
  const totalLength = ipv4HeaderLength(h) + payload.length;
  if (totalLength > 0xffff) throw new RangeError(`${P}: a ${totalLength}-byte packet exceeds 65535`);
  const buf = new Uint8Array(totalLength);
  const hl = emitIpv4Header({ ...h, totalLength, checksum: 0 }, buf);
  buf.set(payload, hl);
  return buf;
}

/**
 * Splits a valid packet (one that passed `checkIpv4`) into fragments of at most `mtu` bytes (RFC 791
 * §3.2, "An Example Fragmentation Procedure"): data in multiples of 8 bytes, offsets in 8-byte units
 * continuing the packet's own offset, MF on all but the last (and on the last if the packet had it).
 * The first fragment keeps all options; later ones only those with the copy bit, padded with EOL.
 * Returns `[packet]` (a view) when it fits, undefined when it does not and DF is set. Throws for an
 * invalid packet or an MTU too small for the header and 8 bytes of data: those are caller bugs.
 */
export function fragmentIpv4(packet: Uint8Array, mtu: number): Uint8Array[] | undefined {
  const hl = (packet[IPV4_VER_IHL_OFF]! & 0xf) * 4;
  const total = readU16(packet, IPV4_TOTAL_LEN_OFF);
  if (packet.length < IPV4_MIN_HEADER_LEN || hl < IPV4_MIN_HEADER_LEN || total < hl || total > packet.length) {
    throw new RangeError(`${P}: fragmentIpv4 needs a valid packet (check it with checkIpv4 first)`);
  }
  if (total <= mtu) return [packet.subarray(0, total)];
  const flags = readU16(packet, IPV4_FLAGS_FRAG_OFF);
  if (flags & IPV4_FLAG_DF) return undefined;
  if (mtu < hl + 8) throw new RangeError(`${P}: MTU ${mtu} cannot carry a ${hl}-byte header and 8 bytes of data`);
  const laterOptions = copiedOptions(packet, hl);
  const baseOffset = (flags & FRAG_OFFSET_MASK) * 8;
  const keptFlags = flags & ~(FRAG_OFFSET_MASK | IPV4_FLAG_MF);
  const dataLen = total - hl;
  const fragments: Uint8Array[] = [];
  for (let pos = 0; pos < dataLen;) {
    const options = pos === 0 ? packet.subarray(IPV4_MIN_HEADER_LEN, hl) : laterOptions;
    const fhl = IPV4_MIN_HEADER_LEN + options.length;
    const n = Math.min((mtu - fhl) & ~7, dataLen - pos);
    const more = pos + n < dataLen || (flags & IPV4_FLAG_MF) !== 0;
    const frag = new Uint8Array(fhl + n);
    frag.set(packet.subarray(0, IPV4_MIN_HEADER_LEN));
    frag.set(options, IPV4_MIN_HEADER_LEN);
    frag.set(packet.subarray(hl + pos, hl + pos + n), fhl);
    frag[IPV4_VER_IHL_OFF] = (IPV4_VERSION << 4) | (fhl >>> 2);
    writeU16(frag, IPV4_TOTAL_LEN_OFF, fhl + n);
    writeU16(
      frag,
      IPV4_FLAGS_FRAG_OFF,
      keptFlags | (more ? IPV4_FLAG_MF : 0) | (((baseOffset + pos) >>> 3) & FRAG_OFFSET_MASK),
    );
    writeU16(frag, IPV4_CHECKSUM_OFF, 0);
    writeU16(frag, IPV4_CHECKSUM_OFF, internetChecksum(frag, 0, fhl));
    fragments.push(frag);
    pos += n;
  }
  return fragments;
}

/**
 * The options that later fragments carry: those with the copy bit (RFC 791 §3.1), padded with EOL to a
 * multiple of 4. Stops at EOL; a malformed option ends the walk, and it and the rest are not copied.
 */
function copiedOptions(packet: Uint8Array, hl: number): Uint8Array {
  const out = new Uint8Array(IPV4_MAX_HEADER_LEN - IPV4_MIN_HEADER_LEN);
  let n = 0;
  for (let i = IPV4_MIN_HEADER_LEN; i < hl;) {
    const type = packet[i]!;
    if (type === OPTION_EOL) break;
    if (type === OPTION_NOP) {
      i++;
      continue;
    }
    const len = i + 1 < hl ? packet[i + 1]! : 0;
    if (len < 2 || i + len > hl) break;
    if (type & OPTION_COPIED) {
      out.set(packet.subarray(i, i + len), n);
      n += len;
    }
    i += len;
  }
  return out.subarray(0, (n + 3) & ~3);
}
