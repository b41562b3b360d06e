/**
 * ICMP addressed to an IP node itself (RFC 792): echo requests are answered in place, everything else
 * (echo replies, errors) goes to the node's listeners (ping, traceroute, sockets). It owns parsing and the
 * listener list; the ICMP errors a node sends about others' packets are ip-errors.ts's, and routing the
 * reply is the node's.
 */
import { formatIpv4, readIpv4, writeIpv4, type Ipv4 } from '../wire/addr.js';
import { ETH_HEADER_LEN } from '../wire/ethernet.js';
import {
  IPV4_CHECKSUM_OFF,
  IPV4_DST_OFF,
  IPV4_FLAGS_FRAG_OFF,
  IPV4_ID_OFF,
  IPV4_SRC_OFF,
  IPV4_TTL_OFF,
} from '../wire/ipv4.js';
import { ICMP_CHECKSUM_OFF, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, parseIcmp, type IcmpMessage } from '../wire/icmp.js';
import { internetChecksum } from '../wire/checksum.js';
import type { Port } from '../link/device.js';
import type { IpNode } from './ip-node.js';

/** Offset of the IP header in the node's frames (untagged Ethernet). */
const IP_OFF = ETH_HEADER_LEN;

/** An ICMP message that reached this node, for ping/traceroute and error reporting to sockets. */
export interface IcmpEvent {
  readonly time: number;
  readonly src: Ipv4;
  readonly dst: Ipv4;
  readonly ttl: number;
  readonly message: IcmpMessage;
  /** Total IP length of the packet carrying it. */
  readonly ipLength: number;
}

/** What LocalIcmp needs from its node beyond the public API: a fresh IP ID and a way to route a reply. */
export interface LocalIcmpHooks {
  /** The next IP identification of the node (echo replies get a fresh one, as Linux's). */
  nextIpId(): number;
  /** Sends the IP packet at offset 14 of `frame` (OUTPUT hook, route to `dst`). */
  send(frame: Uint8Array, ipLen: number, dst: Ipv4): void;
}

/** The node's own ICMP endpoint. */
export class LocalIcmp {
  private readonly listeners: ((ev: IcmpEvent) => void)[] = [];

  /**
   * @param node the node whose messages these are (notes, drops, default TTL)
   * @param broadcasts the node's broadcast addresses (echo sent to one is ignored)
   * @param hooks the node's IP ID counter and output path
   */
  constructor(
    private readonly node: IpNode,
    private readonly broadcasts: ReadonlySet<Ipv4>,
    private readonly hooks: LocalIcmpHooks,
  ) {}

  /** Subscribes to ICMP messages addressed to the node. Returns an unsubscribe function. */
  subscribe(fn: (ev: IcmpEvent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** An ICMP datagram (IP header at offset 14, `ipLen` bytes) was delivered to the node. */
  receive(frame: Uint8Array, ipLen: number, port: Port | undefined): void {
    const ihl = (frame[IP_OFF]! & 0x0f) * 4;
    const icmp = frame.subarray(IP_OFF + ihl, IP_OFF + ipLen);
    const parsed = parseIcmp(icmp);
    if (!parsed.ok) {
      this.node.drop(
        parsed.error.code === 'bad-checksum' ? 'bad-checksum' : 'malformed',
        frame,
        port,
        `ICMP ${parsed.error.field}: ${parsed.error.reason}`,
      );
      return;
    }
    const msg = parsed.value;
    const src = readIpv4(frame, IP_OFF + IPV4_SRC_OFF);
    const dst = readIpv4(frame, IP_OFF + IPV4_DST_OFF);
    if (msg.type === ICMP_ECHO_REQUEST) {
      if (this.broadcasts.has(dst)) {
        // Linux ignores broadcast echo by default (icmp_echo_ignore_broadcasts = 1)
        this.node.note(() => `ignored broadcast echo request from ${formatIpv4(src)}`);
        return;
      }
      this.node.note(() => `echo request from ${formatIpv4(src)}: replying`);
      this.replyEcho(frame, ipLen, ihl, src, dst);
      return;
    }
    const ev: IcmpEvent = {
      time: this.node.engine.now,
      src,
      dst,
      ttl: frame[IP_OFF + IPV4_TTL_OFF]!,
      message: msg,
      ipLength: ipLen,
    };
    for (const l of this.listeners.slice()) l(ev);
  }

  /** Turns the request into the reply in place: swap addresses, type 0, fresh TTL, fix both checksums. */
  private replyEcho(frame: Uint8Array, ipLen: number, ihl: number, src: Ipv4, dst: Ipv4): void {
    const icmpOff = IP_OFF + ihl;
    frame[icmpOff] = ICMP_ECHO_REPLY;
    frame[icmpOff + ICMP_CHECKSUM_OFF] = 0;
    frame[icmpOff + ICMP_CHECKSUM_OFF + 1] = 0;
    const c = internetChecksum(frame, icmpOff, ipLen - ihl);
    frame[icmpOff + ICMP_CHECKSUM_OFF] = c >>> 8;
    frame[icmpOff + ICMP_CHECKSUM_OFF + 1] = c & 0xff;
    writeIpv4(frame, IP_OFF + IPV4_SRC_OFF, dst);
    writeIpv4(frame, IP_OFF + IPV4_DST_OFF, src);
    frame[IP_OFF + IPV4_TTL_OFF] = this.node.config.defaultTtl;
    // Linux sends echo replies from its ICMP socket with IP_PMTUDISC_DONT: no DF, a fresh IP ID
    // (seen in the kernel-oracle capture, test/kernel-vxlan.test.ts)
    const id = this.hooks.nextIpId();
    frame[IP_OFF + IPV4_ID_OFF] = id >>> 8;
    frame[IP_OFF + IPV4_ID_OFF + 1] = id & 0xff;
    frame[IP_OFF + IPV4_FLAGS_FRAG_OFF] = 0;
    frame[IP_OFF + IPV4_FLAGS_FRAG_OFF + 1] = 0;
    frame[IP_OFF + IPV4_CHECKSUM_OFF] = 0;
    frame[IP_OFF + IPV4_CHECKSUM_OFF + 1] = 0;
    const h = internetChecksum(frame, IP_OFF, ihl);
    frame[IP_OFF + IPV4_CHECKSUM_OFF] = h >>> 8;
    frame[IP_OFF + IPV4_CHECKSUM_OFF + 1] = h & 0xff;
    this.hooks.send(frame, ipLen, src);
  }
}
