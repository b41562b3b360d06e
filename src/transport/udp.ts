/**
 * UDP sockets on an IP node (RFC 768): bind a port, receive datagrams with their source, send datagrams
 * with the pseudo-header checksum. A datagram to a closed port gets ICMP port unreachable, as Linux does.
 */
import { formatIpv4, readIpv4, type Ipv4 } from '../wire/addr.js';
import { IPPROTO_UDP, IPV4_DST_OFF, IPV4_SRC_OFF, IPV4_TTL_OFF } from '../wire/ipv4.js';
import { ICMP_DEST_UNREACH, ICMP_PORT_UNREACH } from '../wire/icmp.js';
import { UDP_HEADER_LEN, udpChecksum, verifyUdpChecksum } from '../wire/udp.js';
import { IP_OFF, type IpNode, type SendError, type SendOptions } from '../net/ip-node.js';
import type { NetDev } from '../net/netdev.js';
import type { Prng } from '../sim/prng.js';

/** A received datagram. `payload` is a view into the frame: copy it to keep it past the callback. */
export interface UdpDatagramIn {
  readonly src: Ipv4;
  readonly srcPort: number;
  readonly dst: Ipv4;
  readonly dstPort: number;
  readonly ttl: number;
  readonly payload: Uint8Array;
  readonly time: number;
}

/** Receives datagrams on a bound port. */
export type UdpHandler = (d: UdpDatagramIn) => void;

/**
 * Options for one datagram. `hash` is the sending socket's flow hash: a connected socket's (connectHash),
 * none for an unconnected one (sendto), as Linux.
 */
export interface UdpSendOptions extends Partial<Omit<SendOptions, 'dst' | 'protocol'>> {
  /** Send with a zero checksum (RFC 768 allows it; VXLAN senders usually do). */
  noChecksum?: boolean;
}

/** The UDP layer of one node. */
export class UdpStack {
  private readonly bound = new Map<number, UdpHandler>();
  private ephemeral = 32768; // Linux ip_local_port_range starts here
  /** Datagrams delivered to sockets. */
  received = 0;
  /**
   * Datagrams a full transmit queue refused (/proc/net/snmp Udp SndbufErrors): udp_send_skb counts them and,
   * without IP_RECVERR, tells the sender nothing; the send succeeds.
   */
  sndbufErrors = 0;
  /** Connected sockets' flow hashes: the stream `node:<name>/udp-txhash`, which moves no other draw. */
  private readonly txHashRng: Prng;

  constructor(readonly node: IpNode) {
    node.setProtocolHandler(IPPROTO_UDP, (frame, ipLen, dev) => this.receive(frame, ipLen, dev));
    this.txHashRng = node.engine.stream(`node:${node.name}/udp-txhash`);
  }

  /**
   * The flow hash a socket gets when it connects (__ip4_datagram_connect: sk_set_txhash, a random value
   * that is never 0), for `send`'s `hash`: every datagram of a connected socket carries it
   * (skb_set_owner_w: skb_set_hash_from_sk), so through a VXLAN device it leaves from a port of its
   * socket's, new with each connect, not the flow's (seen on Linux 6.18 from Python, dig, glibc's resolver,
   * traceroute and nc). A socket that only uses sendto has none.
   */
  connectHash(): number {
    return this.txHashRng.nextU32() || 1;
  }

  /** Binds `port` (0 picks an ephemeral port). Returns the port. Throws if taken (a caller bug, EADDRINUSE). */
  bind(port: number, handler: UdpHandler): number {
    const p = port === 0 ? this.pickEphemeral() : port;
    if (this.bound.has(p)) throw new Error(`${this.node.name}: UDP port ${p} already bound`);
    this.bound.set(p, handler);
    return p;
  }

  /** Releases `port`. */
  unbind(port: number): void {
    this.bound.delete(port);
  }

  /** True when `port` is bound. */
  /** The ports bound on this node, in the order bound. */
  boundPorts(): number[] {
    return [...this.bound.keys()];
  }

  isBound(port: number): boolean {
    return this.bound.has(port);
  }

  /** Sends one datagram. */
  send(
    srcPort: number,
    dst: Ipv4,
    dstPort: number,
    payload: Uint8Array,
    opts: UdpSendOptions = {},
  ): SendError | undefined {
    const len = UDP_HEADER_LEN + payload.length;
    const err = this.node.sendIp({ ...opts, dst, protocol: IPPROTO_UDP }, len, (f, off, src) => {
      f[off] = srcPort >>> 8;
      f[off + 1] = srcPort & 0xff;
      f[off + 2] = dstPort >>> 8;
      f[off + 3] = dstPort & 0xff;
      f[off + 4] = len >>> 8;
      f[off + 5] = len & 0xff;
      f[off + 6] = 0;
      f[off + 7] = 0;
      f.set(payload, off + UDP_HEADER_LEN);
      if (opts.noChecksum !== true) {
        const c = udpChecksum(src, dst, f, off, len);
        f[off + 6] = c >>> 8;
        f[off + 7] = c & 0xff;
      }
    });
    if (err !== 'no-buffer-space') return err;
    this.sndbufErrors++;
    return undefined;
  }

  private pickEphemeral(): number {
    for (let i = 0; i < 28232; i++) {
      const p = this.ephemeral;
      this.ephemeral = p >= 60999 ? 32768 : p + 1;
      if (!this.bound.has(p)) return p;
    }
    throw new Error(`${this.node.name}: no ephemeral UDP port left`);
  }

  private receive(frame: Uint8Array, ipLen: number, dev: NetDev): void {
    const node = this.node;
    const ihl = (frame[IP_OFF]! & 0x0f) * 4;
    const off = IP_OFF + ihl;
    const avail = ipLen - ihl;
    const len = avail >= UDP_HEADER_LEN ? (frame[off + 4]! << 8) | frame[off + 5]! : 0;
    if (avail < UDP_HEADER_LEN || len < UDP_HEADER_LEN || len > avail) {
      node.drop('malformed', frame, undefined, `UDP length ${len} with ${avail} bytes available`);
      return;
    }
    const src = readIpv4(frame, IP_OFF + IPV4_SRC_OFF);
    const dst = readIpv4(frame, IP_OFF + IPV4_DST_OFF);
    if (!verifyUdpChecksum(src, dst, frame, off, len)) {
      node.drop('bad-checksum', frame, undefined, 'UDP checksum');
      return;
    }
    const dstPort = (frame[off + 2]! << 8) | frame[off + 3]!;
    const h = this.bound.get(dstPort);
    if (h === undefined) {
      node.drop('no-listener', frame, undefined, `UDP port ${dstPort} closed`);
      // RFC 1122 3.2.2: no ICMP error about a datagram sent to a broadcast or multicast address
      if (!node.isBroadcast(dst)) node.sendIcmpError(frame, ipLen, dev, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
      return;
    }
    this.received++;
    const srcPort = (frame[off]! << 8) | frame[off + 1]!;
    node.note(() => `UDP ${formatIpv4(src)}:${srcPort} -> port ${dstPort}: delivered to the socket`);
    h({
      src,
      srcPort,
      dst,
      dstPort,
      ttl: frame[IP_OFF + IPV4_TTL_OFF]!,
      payload: frame.subarray(off + UDP_HEADER_LEN, off + len),
      time: node.engine.now,
    });
  }
}
