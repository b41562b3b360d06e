/**
 * What an IP node sends back about a packet it will not deliver: ICMP errors (RFC 792, with RFC 1122's
 * rules about when not to) and TCP resets for REJECT --reject-with tcp-reset. Kept apart from ip-node.ts,
 * which owns the paths these are called from.
 */
import { formatIpv4, readIpv4, type Ipv4 } from '../wire/addr.js';
import { buildTcp } from '../wire/tcp.js';
import {
  IPPROTO_ICMP,
  IPV4_DST_OFF,
  IPV4_FLAGS_FRAG_OFF,
  IPV4_MIN_HEADER_LEN,
  IPV4_PROTO_OFF,
  IPV4_SRC_OFF,
} from '../wire/ipv4.js';
import {
  ICMP_DEST_UNREACH,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_FRAG_NEEDED,
  ICMP_HEADER_LEN,
  ICMP_HOST_UNREACH,
  ICMP_NET_UNREACH,
  ICMP_PORT_UNREACH,
  ICMP_PROTO_UNREACH,
  ICMP_REDIRECT,
  ICMP_TIME_EXCEEDED,
  emitIcmp,
  icmpLength,
  type IcmpMessage,
} from '../wire/icmp.js';
import type { IpNode, SendOptions } from './ip-node.js';
import type { NetDev } from './netdev.js';

/** Offset of the IP header in the node's frames (untagged Ethernet). */
const IP_OFF = 14;

/**
 * Answers the TCP segment in `frame` with a RST, as netfilter's REJECT --reject-with tcp-reset does
 * (nf_send_reset): from the address and port it was sent to; RST with the segment's ACK as sequence, or
 * RST/ACK acknowledging what it carried when it had no ACK. Never about a RST.
 */
export function sendTcpReset(node: IpNode, frame: Uint8Array, ipLen: number): void {
  const ihl = (frame[IP_OFF]! & 0x0f) * 4;
  const t = IP_OFF + ihl;
  if (ipLen < ihl + 20 || frame[IP_OFF + IPV4_PROTO_OFF] !== 6) return;
  const flags = frame[t + 13]!;
  if ((flags & 0x04) !== 0) return;
  const hl = (frame[t + 12]! >> 4) * 4;
  const dataLen = ipLen - ihl - hl;
  const seq = readIpv4(frame, t + 4);
  const ack = readIpv4(frame, t + 8);
  const hasAck = (flags & 0x10) !== 0;
  const src = readIpv4(frame, IP_OFF + IPV4_SRC_OFF);
  const dst = readIpv4(frame, IP_OFF + IPV4_DST_OFF);
  const seg = buildTcp(
    {
      srcPort: (frame[t + 2]! << 8) | frame[t + 3]!,
      dstPort: (frame[t]! << 8) | frame[t + 1]!,
      seq: hasAck ? ack : 0,
      ack: hasAck ? 0 : (seq + dataLen + (flags & 0x02 ? 1 : 0) + (flags & 0x01 ? 1 : 0)) >>> 0,
      flags: hasAck ? 0x04 : 0x14,
      window: 0,
      urgent: 0,
      options: [],
    },
    dst,
    src,
  );
  node.note(() => `TCP reset to ${formatIpv4(src)}:${(frame[t]! << 8) | frame[t + 1]!}`);
  node.sendIp({ dst: src, src: dst, protocol: 6, df: true }, seg.length, (f, off) => f.set(seg, off));
}

/** RFC 1812 4.3.2.3: an ICMP error carries as much of the original as fits in 576 bytes. */
const ICMP_ERROR_MAX_LEN = 576;
/** IPTOS_PREC_INTERNETCONTROL: the precedence Linux gives its ICMP errors. */
const TOS_INTERNETCONTROL = 0xc0;
/** IPTOS_TOS_MASK: the TOS bits an error keeps from the packet it is about. */
const TOS_MASK = 0x1e;

/** How an ICMP error came about, where it matters to the rate limits. */
export interface IcmpErrorCause {
  /** The route lookup refused the packet (no route, unreachable or prohibit route): ip_error charges first. */
  routeError?: boolean;
  /** For a redirect: the better gateway. */
  gateway?: Ipv4;
}

/**
 * Sends an ICMP error about the packet in `frame` as Linux's __icmp_send does (checked in namespaces):
 * - never about an ICMP error, a non-first fragment, or a packet from a broadcast/unspecified source
 *   (RFC 1122 3.2.2);
 * - rate-limited (icmp-ratelimit.ts);
 * - from the address the packet was sent to when it was for this node, else from the address the route
 *   back to the sender picks, i.e. of the interface the error leaves by (icmp_errors_use_inbound_ifaddr=0):
 *   with asymmetric routes that is not the interface the packet came in on;
 * - TOS 0xc0 plus the packet's TOS bits (RT_TOS | IPTOS_PREC_INTERNETCONTROL), no DF, TTL 64;
 * - quoting as much of the packet as fits in 576 bytes (RFC 1812 4.3.2.3), not just 8 bytes past its header.
 */
export function sendIcmpError(
  node: IpNode,
  frame: Uint8Array,
  ipLen: number,
  inDev: NetDev,
  type: number,
  code: number,
  mtu: number,
  cause: IcmpErrorCause = {},
): void {
  const ihl = (frame[IP_OFF]! & 0x0f) * 4;
  const src = readIpv4(frame, IP_OFF + IPV4_SRC_OFF);
  const fragOff = ((frame[IP_OFF + IPV4_FLAGS_FRAG_OFF]! << 8) | frame[IP_OFF + IPV4_FLAGS_FRAG_OFF + 1]!) & 0x1fff;
  if (fragOff !== 0 || src === 0 || node.isBroadcast(src) || src >>> 28 === 0xe) return;
  if (frame[IP_OFF + IPV4_PROTO_OFF] === IPPROTO_ICMP) {
    const t = frame[IP_OFF + ihl];
    if (t !== ICMP_ECHO_REQUEST && t !== ICMP_ECHO_REPLY) return;
  }
  const now = node.engine.now;
  const limiter = node.icmpRate;
  const why = `ICMP ${icmpName(type, code)} to ${formatIpv4(src)}`;
  if (cause.routeError === true && !limiter.unlimited(type, code) && !limiter.allowRouteError(src, now)) {
    node.note(() => `${why} not sent: rate limit (ip_error)`);
    return;
  }
  const back = node.isLocal(src) ? undefined : node.routes.lookup(src);
  if (!limiter.allowError(type, code, src, now, inDev === node.lo, back === undefined)) {
    node.note(() => `${why} not sent: rate limit (icmp_ratelimit / icmp_msgs_per_sec)`);
    return;
  }
  const outMtu = (back === undefined ? undefined : node.dev(back.dev)?.mtu) ?? ICMP_ERROR_MAX_LEN;
  const room = Math.min(outMtu, ICMP_ERROR_MAX_LEN) - IPV4_MIN_HEADER_LEN - ICMP_HEADER_LEN;
  const quote = frame.slice(IP_OFF, IP_OFF + Math.min(ipLen, room));
  const msg: IcmpMessage =
    type === ICMP_TIME_EXCEEDED
      ? { kind: 'time-exceeded', type: ICMP_TIME_EXCEEDED, code, original: quote }
      : type === ICMP_REDIRECT
        ? { kind: 'other', type, code, rest: cause.gateway ?? 0, data: quote }
        : {
            kind: 'unreachable',
            type: ICMP_DEST_UNREACH,
            code,
            nextHopMtu: code === ICMP_FRAG_NEEDED ? mtu : 0,
            original: quote,
          };
  // icmp.c: about a packet that was for us, answer from the address it was sent to; otherwise let the
  // route back to the sender choose (saddr 0)
  const origDst = readIpv4(frame, IP_OFF + IPV4_DST_OFF);
  const tos = (frame[IP_OFF + 1]! & TOS_MASK) | TOS_INTERNETCONTROL;
  const len = icmpLength(msg);
  node.note(() => `sending ${why}${mtu ? ` (next-hop MTU ${mtu})` : ''}`);
  const opts: SendOptions = node.isLocal(origDst)
    ? { dst: src, src: origDst, protocol: IPPROTO_ICMP, df: false, tos }
    : { dst: src, protocol: IPPROTO_ICMP, df: false, tos };
  node.sendIp(opts, len, (f, off) => {
    emitIcmp(msg, f, off);
  });
}

/** A readable ICMP type/code name, as tcpdump prints it. */
export function icmpName(type: number, code: number): string {
  if (type === ICMP_ECHO_REQUEST) return 'echo request';
  if (type === ICMP_ECHO_REPLY) return 'echo reply';
  if (type === ICMP_TIME_EXCEEDED) return 'time exceeded in-transit';
  if (type === ICMP_REDIRECT) return 'redirect host';
  if (type === ICMP_DEST_UNREACH) {
    switch (code) {
      case ICMP_NET_UNREACH:
        return 'net unreachable';
      case ICMP_HOST_UNREACH:
        return 'host unreachable';
      case ICMP_PROTO_UNREACH:
        return 'protocol unreachable';
      case ICMP_PORT_UNREACH:
        return 'port unreachable';
      case ICMP_FRAG_NEEDED:
        return 'unreachable - need to frag';
      default:
        return `unreachable code ${code}`;
    }
  }
  return `type ${type} code ${code}`;
}
