/**
 * The data path of flanneld's udp backend (flannel pkg/backend/udp: udp_network_amd64.go and the C proxy
 * proxy_amd64.c): a user-space agent on each host holding the TUN device flannel0 and a UDP socket on
 * port 8285. A packet the kernel routes into flannel0 is read by the agent, its destination looked up in
 * the agent's own table (pod subnet -> public IP of the host holding that subnet's lease), and sent whole,
 * IP header and all, as the payload of one UDP datagram to the agent on that host, which writes it into
 * its own flannel0; the kernel there routes it on to the pod. Outer IPv4 20 + UDP 8 = 28 bytes of
 * overhead, so flannel0's MTU is the underlay's minus 28 (1472 over 1500).
 *
 * Faithful to proxy_amd64.c, the agent is a hop of its own: it decrements the inner TTL when it sends and
 * again when it receives, discarding a packet whose TTL reaches 0 without an ICMP error (the source's
 * "TODO: send back ICMP Time Exceeded"); a destination no lease covers gets ICMP net unreachable written
 * back into the tun (from the tun's address, TTL 8), except about ICMP or a non-first fragment.
 * This file owns the data path. Keeping the table current (watching leases in etcd or the Kubernetes API)
 * is the caller's job, through setPeer and removePeer.
 */
import { formatCidr, formatIpv4, readIpv4, type Ipv4, type Ipv4Prefix } from '../wire/addr.js';
import { ETH_HEADER_LEN } from '../wire/ethernet.js';
import { allocFrame } from '../wire/frame-alloc.js';
import { ICMP_DEST_UNREACH, ICMP_NET_UNREACH, emitIcmp } from '../wire/icmp.js';
import {
  IPPROTO_ICMP,
  IPV4_DST_OFF,
  IPV4_FLAGS_FRAG_OFF,
  IPV4_MIN_HEADER_LEN,
  IPV4_PROTO_OFF,
  IPV4_SRC_OFF,
  IPV4_TTL_OFF,
  decrementTtl,
  emitIpv4Header,
} from '../wire/ipv4.js';
import type { IpNode } from '../net/ip-node.js';
import { RouteTable } from '../net/route-table.js';
import { TunDev } from '../net/tun.js';
import type { UdpDatagramIn, UdpStack } from '../transport/udp.js';

/** flannel's default port for the udp backend (udp_amd64.go defaultPort). */
export const FLANNEL_UDP_PORT = 8285;

/** Outer IPv4 header + UDP header (udp_network_amd64.go encapOverhead). */
export const UDP_ENCAP_OVERHEAD = 28;

/** TTL of the net-unreachable packets the proxy writes back (send_net_unreachable). */
const NET_UNREACH_TTL = 8;

const NO_OPTIONS = new Uint8Array(0);

/** How an agent is set up: the `Backend` of net-conf.json plus what flanneld reads from the host. */
export interface UdpEncapConfig {
  /** TUN device name; flanneld opens "flannel%d", so flannel0. */
  name?: string;
  /** UDP port of both ends (Backend.Port); default 8285. */
  port?: number;
  /** flannel0's MTU; default `underlayMtu` minus 28. */
  mtu?: number;
  /** MTU of the external interface; default 1500. */
  underlayMtu?: number;
  /** Outer source address (flanneld binds its socket to the external interface's); default by route. */
  local?: Ipv4;
  /** Decrement the inner TTL on both paths, as proxy_amd64.c does; default true. */
  decrementTtl?: boolean;
}

/** One entry of the agent's table: a pod subnet and the public IP of the host that leased it. */
export interface UdpEncapPeer {
  subnet: Ipv4Prefix;
  remote: Ipv4;
}

/** flanneld's udp backend on one host. */
export class UdpEncapAgent {
  readonly tun: TunDev;
  readonly port: number;
  readonly local: Ipv4 | undefined;
  readonly decrementTtl: boolean;
  /** Packets read from the tun and sent as datagrams. */
  encapsulated = 0;
  /** Datagrams received and written into the tun. */
  decapsulated = 0;
  /** subnet -> peer, longest prefix first; the route's gateway is the peer's public IP. */
  private readonly table = new RouteTable();

  constructor(
    readonly node: IpNode,
    readonly udp: UdpStack,
    c: UdpEncapConfig = {},
  ) {
    this.port = c.port ?? FLANNEL_UDP_PORT;
    this.local = c.local;
    this.decrementTtl = c.decrementTtl ?? true;
    this.tun = new TunDev(node, c.name ?? 'flannel0', c.mtu ?? (c.underlayMtu ?? 1500) - UDP_ENCAP_OVERHEAD);
    udp.bind(this.port, (d) => this.fromUdp(d));
    this.tun.onRead = (p) => this.fromTun(p);
  }

  /** Packets for `subnet` go to the agent at `remote` (flannel's set_route: replaces the same subnet). */
  setPeer(subnet: Ipv4Prefix, remote: Ipv4): void {
    this.table.remove(subnet.addr, subnet.len);
    this.table.add({ dst: subnet.addr, len: subnet.len, via: remote, dev: this.tun.name, proto: 'flannel' });
  }

  /** Forgets `subnet` (a lease expired or was revoked). Returns whether it was known. */
  removePeer(subnet: Ipv4Prefix): boolean {
    return this.table.remove(subnet.addr, subnet.len) > 0;
  }

  /** The table, most specific first. */
  peers(): UdpEncapPeer[] {
    return this.table.routes().map((r) => ({ subnet: { addr: r.dst, len: r.len }, remote: r.via! }));
  }

  /** Stops the agent: closes the socket and the tun (packets routed into flannel0 are then dropped). */
  stop(): void {
    this.udp.unbind(this.port);
    this.tun.onRead = undefined;
  }

  /** tun_to_udp: a packet the kernel routed into the tun. */
  private fromTun(packet: Uint8Array): void {
    const tun = this.tun;
    if (packet.length < IPV4_MIN_HEADER_LEN) {
      tun.dropPacket('malformed', packet, `${tun.name}: read ${packet.length} bytes, less than an IP header`);
      return;
    }
    const dst = readIpv4(packet, IPV4_DST_OFF);
    const peer = this.table.lookup(dst);
    if (peer === undefined) {
      tun.dropPacket(
        'no-route',
        packet,
        `${tun.name}: no subnet lease covers ${formatIpv4(dst)} (flanneld knows ${this.table.size} peer subnets)`,
      );
      this.sendNetUnreachable(packet);
      return;
    }
    const remote = peer.via!;
    const ttl = packet[IPV4_TTL_OFF]!;
    if (!this.ttlDown(packet, 'to send')) return;
    this.node.note(
      () =>
        `${tun.name}: ${formatIpv4(dst)} is in ${formatCidr({ addr: peer.dst, len: peer.len })} leased by ${formatIpv4(remote)}: ` +
        `UDP to ${formatIpv4(remote)}:${this.port}${this.decrementTtl ? ` (inner TTL ${ttl} -> ${(ttl - 1) & 0xff})` : ''}`,
    );
    // a failed send (no route to the peer, too big for the underlay) is dropped and counted by the node
    if (
      this.udp.send(this.port, remote, this.port, packet, this.local === undefined ? {} : { src: this.local }) ===
      undefined
    )
      this.encapsulated++;
  }

  /** udp_to_tun: a datagram from another agent. */
  private fromUdp(d: UdpDatagramIn): void {
    const tun = this.tun;
    const packet = d.payload;
    if (packet.length < IPV4_MIN_HEADER_LEN) {
      tun.dropPacket(
        'malformed',
        packet,
        `${tun.name}: ${packet.length}-byte datagram from ${formatIpv4(d.src)} is shorter than an IP header`,
      );
      return;
    }
    if (packet.length > tun.mtu) {
      // the proxy reads into a buffer of the tun's MTU: the rest is cut off and the kernel rejects the remains
      tun.dropPacket(
        'malformed',
        packet,
        `${tun.name}: ${packet.length}-byte datagram from ${formatIpv4(d.src)} exceeds flanneld's ${tun.mtu}-byte buffer (truncated)`,
      );
      return;
    }
    const ttl = packet[IPV4_TTL_OFF]!;
    if (!this.ttlDown(packet, 'received')) return;
    this.decapsulated++;
    this.node.note(
      () =>
        `${tun.name}: datagram from ${formatIpv4(d.src)}:${d.srcPort} holds a packet for ${formatIpv4(readIpv4(packet, IPV4_DST_OFF))}: ` +
        `written into the tun${this.decrementTtl ? ` (inner TTL ${ttl} -> ${(ttl - 1) & 0xff})` : ''}`,
    );
    // the datagram's buffer is ours once the socket handed it over: no copy
    tun.writeOwned(packet);
  }

  /** decrement_ttl: false (and the packet dropped) when the TTL reaches 0; a TTL of 0 wraps to 255 as in C. */
  private ttlDown(packet: Uint8Array, what: string): boolean {
    if (!this.decrementTtl) return true;
    // RFC 1624 update; proxy_amd64.c's byte-swapped `check += htons(0x100)` gives the same bytes
    if (decrementTtl(packet, 0) !== 0) return true;
    this.tun.dropPacket(
      'ttl-expired',
      packet,
      `${this.tun.name}: inner TTL reached 0 on a packet ${what}; flanneld sends no ICMP time exceeded`,
    );
    return false;
  }

  /** send_net_unreachable: ICMP type 3 code 0 about `offender`, written back into the tun. */
  private sendNetUnreachable(offender: Uint8Array): void {
    const ihl = (offender[0]! & 0x0f) * 4;
    const fragOff = ((offender[IPV4_FLAGS_FRAG_OFF]! << 8) | offender[IPV4_FLAGS_FRAG_OFF + 1]!) & 0x1fff;
    // the proxy's own guards: a 60-byte header is "malformed" to it, and RFC 792's no ICMP about ICMP
    // covers every ICMP type, echo requests included, so a ping to an unknown subnet just goes silent
    if (ihl >= 60 || offender[IPV4_PROTO_OFF] === IPPROTO_ICMP || fragOff !== 0) return;
    const quoteLen = ihl + 8;
    const len = IPV4_MIN_HEADER_LEN + 8 + quoteLen;
    // room for the tun's pseudo Ethernet header in front, so writing it costs no copy
    const frame = allocFrame(ETH_HEADER_LEN + len);
    // the proxy copies ihl + 8 bytes whatever the packet's length; here a shorter one is padded with zeros
    const original = new Uint8Array(quoteLen);
    original.set(offender.subarray(0, Math.min(quoteLen, offender.length)));
    const src = this.tun.addresses[0]?.addr ?? 0;
    const to = readIpv4(offender, IPV4_SRC_OFF);
    emitIpv4Header(
      {
        tos: 0,
        totalLength: len,
        id: 0,
        df: false,
        mf: false,
        fragmentOffset: 0,
        ttl: NET_UNREACH_TTL,
        protocol: IPPROTO_ICMP,
        checksum: 0,
        src,
        dst: to,
        options: NO_OPTIONS,
      },
      frame,
      ETH_HEADER_LEN,
    );
    emitIcmp(
      { kind: 'unreachable', type: ICMP_DEST_UNREACH, code: ICMP_NET_UNREACH, nextHopMtu: 0, original },
      frame,
      ETH_HEADER_LEN + IPV4_MIN_HEADER_LEN,
    );
    this.node.note(() => `${this.tun.name}: ICMP net unreachable to ${formatIpv4(to)} written back into the tun`);
    this.tun.writeOwned(frame.subarray(ETH_HEADER_LEN));
  }
}
