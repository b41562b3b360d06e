/**
 * What an IP node sends back about a packet it will not deliver: ICMP errors (RFC 792, with RFC 1122's
 * rules about when not to) and TCP resets for REJECT --reject-with tcp-reset. Kept apart from ip-node.ts,
 * which owns the paths these are called from.
 */
import { formatIpv4, readIpv4 } from '../wire/addr.js';
import { buildTcp } from '../wire/tcp.js';
import { IPPROTO_ICMP, IPV4_DST_OFF, IPV4_FLAGS_FRAG_OFF, IPV4_PROTO_OFF, IPV4_SRC_OFF } from '../wire/ipv4.js';
import {
  ICMP_DEST_UNREACH,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_FRAG_NEEDED,
  ICMP_HOST_UNREACH,
  ICMP_NET_UNREACH,
  ICMP_PORT_UNREACH,
  ICMP_PROTO_UNREACH,
  ICMP_TIME_EXCEEDED,
  emitIcmp,
  icmpLength,
  type IcmpMessage,
} from '../wire/icmp.js';
import type { IpNode } from './ip-node.js';
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

/**
 * Sends an ICMP error about the packet in `frame` (RFC 792, RFC 1122 3.2.2): never about an ICMP error,
 * a non-first fragment, or a packet from a broadcast/unspecified source.
 */
export function sendIcmpError(
  node: IpNode,
  frame: Uint8Array,
  ipLen: number,
  inDev: NetDev,
  type: number,
  code: number,
  mtu: number,
): void {
  const ihl = (frame[IP_OFF]! & 0x0f) * 4;
  const src = readIpv4(frame, IP_OFF + IPV4_SRC_OFF);
  const fragOff = ((frame[IP_OFF + IPV4_FLAGS_FRAG_OFF]! << 8) | frame[IP_OFF + IPV4_FLAGS_FRAG_OFF + 1]!) & 0x1fff;
  if (fragOff !== 0 || src === 0 || node.isBroadcast(src) || src >>> 28 === 0xe) return;
  if (frame[IP_OFF + IPV4_PROTO_OFF] === IPPROTO_ICMP) {
    const t = frame[IP_OFF + ihl];
    if (t !== ICMP_ECHO_REQUEST && t !== ICMP_ECHO_REPLY) return;
  }
  const quote = frame.slice(IP_OFF, IP_OFF + Math.min(ipLen, ihl + 8));
  const msg: IcmpMessage =
    type === ICMP_TIME_EXCEEDED
      ? { kind: 'time-exceeded', type: ICMP_TIME_EXCEEDED, code, original: quote }
      : {
          kind: 'unreachable',
          type: ICMP_DEST_UNREACH,
          code,
          nextHopMtu: code === ICMP_FRAG_NEEDED ? mtu : 0,
          original: quote,
        };
  // icmp.c: about a packet that was for us, answer from the address it was sent to; otherwise from the
  // interface it came in on
  const origDst = readIpv4(frame, IP_OFF + IPV4_DST_OFF);
  const from = node.isLocal(origDst) ? origDst : (inDev.addresses[0]?.addr ?? node.primaryAddress ?? 0);
  const len = icmpLength(msg);
  node.note(() => `sending ICMP ${icmpName(type, code)}${mtu ? ` (next-hop MTU ${mtu})` : ''} to ${formatIpv4(src)}`);
  node.sendIp({ dst: src, src: from, protocol: IPPROTO_ICMP, df: false }, len, (f, off) => {
    emitIcmp(msg, f, off);
  });
}

/** A readable ICMP type/code name, as tcpdump prints it. */
export function icmpName(type: number, code: number): string {
  if (type === ICMP_ECHO_REQUEST) return 'echo request';
  if (type === ICMP_ECHO_REPLY) return 'echo reply';
  if (type === ICMP_TIME_EXCEEDED) return 'time exceeded in-transit';
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
