/**
 * ICMP for IPv4 (RFC 792): echo, destination unreachable (with the RFC 1191 next-hop MTU of
 * "fragmentation needed"), time exceeded, and every other type kept raw. When to send which message, and
 * rate limits, belong to net/.
 */
import { readU16, readU32, writeU16, writeU32 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import { IPV4_TOTAL_LEN_OFF, IPV4_VER_IHL_OFF } from './ipv4.js';
import { type WireResult, assertRoom, fail, ok } from './result.js';

/** Type: echo reply. */
export const ICMP_ECHO_REPLY = 0;
/** Type: destination unreachable. */
export const ICMP_DEST_UNREACH = 3;
/** Type: redirect (RFC 792); the gateway is in the 4 bytes after the checksum. */
export const ICMP_REDIRECT = 5;
/** Redirect code: redirect datagrams for the host (the one Linux sends, ip_rt_send_redirect). */
export const ICMP_REDIRECT_HOST = 1;
/** Type: echo request. */
export const ICMP_ECHO_REQUEST = 8;
/** Type: time exceeded. */
export const ICMP_TIME_EXCEEDED = 11;
/** Destination unreachable code: net unreachable. */
export const ICMP_NET_UNREACH = 0;
/** Destination unreachable code: host unreachable. */
export const ICMP_HOST_UNREACH = 1;
/** Destination unreachable code: protocol unreachable. */
export const ICMP_PROTO_UNREACH = 2;
/** Destination unreachable code: port unreachable. */
export const ICMP_PORT_UNREACH = 3;
/** Type: source quench (RFC 792; deprecated by RFC 6633, still an error message to conntrack). */
export const ICMP_SOURCE_QUENCH = 4;
/** Type: parameter problem (RFC 792). */
export const ICMP_PARAMETER_PROBLEM = 12;
/** Destination unreachable code: network administratively prohibited (RFC 1122 §3.2.2.1). */
export const ICMP_NET_PROHIBITED = 9;
/** Destination unreachable code: host administratively prohibited (RFC 1122 §3.2.2.1). */
export const ICMP_HOST_PROHIBITED = 10;
/** Destination unreachable code: communication administratively prohibited (RFC 1812 §5.2.7.1). */
export const ICMP_ADMIN_PROHIBITED = 13;
/** Destination unreachable code: fragmentation needed and DF set (carries the next-hop MTU, RFC 1191). */
export const ICMP_FRAG_NEEDED = 4;
/** Time exceeded code: fragment reassembly time exceeded (RFC 792). */
export const ICMP_FRAG_REASSEMBLY_EXCEEDED = 1;
/** Time exceeded code: TTL exceeded in transit. */
export const ICMP_TTL_EXCEEDED_IN_TRANSIT = 0;
/** Type(1) code(1) checksum(2) and the 4 type-specific bytes. */
export const ICMP_HEADER_LEN = 8;
/** Checksum offset. */
export const ICMP_CHECKSUM_OFF = 2;

/** Echo request (type 8) or reply (type 0): identifier, sequence number, and the data echoed back. */
export interface IcmpEcho {
  kind: 'echo';
  type: 0 | 8;
  code: number;
  id: number;
  seq: number;
  data: Uint8Array;
}

/** Destination unreachable (type 3), quoting the packet that could not be delivered. */
export interface IcmpUnreachable {
  kind: 'unreachable';
  type: 3;
  code: number;
  /** RFC 1191 next-hop MTU, for code 4 (fragmentation needed); 0 for the other codes. */
  nextHopMtu: number;
  /** The quoted IP header and at least 8 bytes of its payload (Linux quotes more). */
  original: Uint8Array;
}

/** Time exceeded (type 11), quoting the packet that expired. */
export interface IcmpTimeExceeded {
  kind: 'time-exceeded';
  type: 11;
  code: number;
  original: Uint8Array;
}

/** Any other type: the 4 bytes after the checksum as one number, and the rest as data. */
export interface IcmpOther {
  kind: 'other';
  type: number;
  code: number;
  rest: number;
  data: Uint8Array;
}

/**
 * An ICMP message, discriminated by `kind`. Parsing maps types 0/8, 3 and 11 to their kinds and everything
 * else to 'other'; `data` and `original` are views into the parsed bytes. The checksum is not part of
 * the value: parse verifies it and emit computes it.
 */
export type IcmpMessage = IcmpEcho | IcmpUnreachable | IcmpTimeExceeded | IcmpOther;

const P = 'icmp';

/** Parses a whole ICMP message (the IP payload, sized by the IP total length) and verifies its checksum. */
export function parseIcmp(buf: Uint8Array): WireResult<IcmpMessage> {
  if (buf.length < ICMP_HEADER_LEN)
    return fail(P, 'header', 0, 'truncated', `truncated: ${buf.length} of ${ICMP_HEADER_LEN} bytes`);
  // RFC 792: the checksum covers the whole message, starting with the type.
  if (internetChecksum(buf, 0, buf.length) !== 0)
    return fail(P, 'checksum', ICMP_CHECKSUM_OFF, 'bad-checksum', 'bad checksum');
  const type = buf[0]!;
  const code = buf[1]!;
  const body = buf.subarray(ICMP_HEADER_LEN);
  switch (type) {
    case ICMP_ECHO_REPLY:
    case ICMP_ECHO_REQUEST:
      return ok({ kind: 'echo', type, code, id: readU16(buf, 4), seq: readU16(buf, 6), data: body });
    case ICMP_DEST_UNREACH:
      // RFC 1191 §4: the low 16 bits of the unused word carry the next-hop MTU for code 4.
      return ok({
        kind: 'unreachable',
        type,
        code,
        nextHopMtu: code === ICMP_FRAG_NEEDED ? readU16(buf, 6) : 0,
        original: body,
      });
    case ICMP_TIME_EXCEEDED:
      return ok({ kind: 'time-exceeded', type, code, original: body });
    default:
      return ok({ kind: 'other', type, code, rest: readU32(buf, 4), data: body });
  }
}

/** Bytes the message occupies: 8 plus its data or quote. */
export function icmpLength(m: IcmpMessage): number {
  return ICMP_HEADER_LEN + body(m).length;
}

/** Writes the message at `off`, computing the checksum; returns the bytes written. */
export function emitIcmp(m: IcmpMessage, buf: Uint8Array, off = 0): number {
  const data = body(m);
  const len = ICMP_HEADER_LEN + data.length;
  assertRoom(P, buf, off, len);
  buf[off] = m.type;
  buf[off + 1] = m.code;
  writeU16(buf, off + ICMP_CHECKSUM_OFF, 0);
  switch (m.kind) {
    case 'echo':
      writeU16(buf, off + 4, m.id);
      writeU16(buf, off + 6, m.seq);
      break;
    case 'unreachable':
      writeU32(buf, off + 4, m.code === ICMP_FRAG_NEEDED ? m.nextHopMtu & 0xffff : 0);
      break;
    case 'time-exceeded':
      writeU32(buf, off + 4, 0);
      break;
    case 'other':
      writeU32(buf, off + 4, m.rest);
      break;
  }
  buf.set(data, off + ICMP_HEADER_LEN);
  writeU16(buf, off + ICMP_CHECKSUM_OFF, internetChecksum(buf, off, len));
  return len;
}

/** A new buffer holding exactly the message. */
export function buildIcmp(m: IcmpMessage): Uint8Array {
  const buf = new Uint8Array(icmpLength(m));
  emitIcmp(m, buf);
  return buf;
}

/**
 * The quote an ICMP error carries (RFC 792): the offending packet's IP header and the first 8 bytes of
 * its data, as a copy, cut short if the packet is shorter. Caller guarantees an IPv4 header.
 */
export function icmpErrorQuote(ipPacket: Uint8Array): Uint8Array {
  const hl = (ipPacket[IPV4_VER_IHL_OFF]! & 0xf) * 4;
  const total = readU16(ipPacket, IPV4_TOTAL_LEN_OFF);
  // Never quote Ethernet padding beyond totalLength, nor past the buffer.
  const end = Math.min(hl + 8, ipPacket.length, total >= hl ? total : ipPacket.length);
  return ipPacket.slice(0, end);
}

function body(m: IcmpMessage): Uint8Array {
  return m.kind === 'echo' || m.kind === 'other' ? m.data : m.original;
}
