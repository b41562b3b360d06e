/**
 * IP-in-IP (RFC 2003, IP protocol 4): an IPv4 packet carried as the payload of another, 20 bytes of
 * overhead, so MTU 1480 over a 1500 underlay. Two shapes, as Linux has them: a point-to-point tunnel
 * with a fixed remote, and an "any remote" device like tunl0 (Calico's IPIP mode) whose outer destination
 * is the gateway of the route that chose it (`ip route add 10.244.1.0/24 via 192.168.0.2 dev tunl0 onlink`).
 */
import type { Port } from '../link/device.js';
import { formatIpv4, readIpv4, writeMac, type Ipv4 } from '../wire/addr.js';
import { ETH_HEADER_LEN, ETH_TYPE_OFF, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { carryFrameHash, frameHash } from '../wire/frame-hash.js';
import {
  IPPROTO_IPIP,
  IPV4_DST_OFF,
  IPV4_FLAGS_FRAG_OFF,
  IPV4_FLAG_DF,
  IPV4_SRC_OFF,
  IPV4_TOS_OFF,
  IPV4_TOTAL_LEN_OFF,
} from '../wire/ipv4.js';
import { IP_OFF, type IpNode } from './ip-node.js';
import { NetDev, countTunnelXmit } from './netdev.js';

/** Outer IPv4 header: the whole cost of IP-in-IP. */
export const IPIP_OVERHEAD = 20;

/** Settings of an IPIP device. */
export interface IpipConfig {
  name: string;
  /** Outer source address. */
  local: Ipv4;
  /** Fixed outer destination; undefined for an "any remote" device (tunl0). */
  remote?: Ipv4;
  /** Outer TTL; Linux's ipip default 0 means "inherit from the inner packet"; we default to 64. */
  ttl?: number;
  mtu?: number;
}

/** An IP-in-IP tunnel device on an IP node. */
export class IpipDev extends NetDev {
  readonly local: Ipv4;
  readonly remote: Ipv4 | undefined;
  readonly ttl: number;
  encapsulated = 0;
  decapsulated = 0;

  constructor(
    readonly node: IpNode,
    c: IpipConfig,
  ) {
    super(c.name, 0, c.mtu ?? 1500 - IPIP_OVERHEAD);
    this.local = c.local;
    this.remote = c.remote;
    this.ttl = c.ttl ?? 64;
    node.addDev(this);
    ipipDemux(node).push(this);
  }

  override get usesArp(): boolean {
    return false;
  }

  xmit(frame: Uint8Array, inPort?: Port): void {
    this.xmitL3(frame, readIpv4(frame, IP_OFF + IPV4_DST_OFF), inPort);
  }

  override xmitL3(frame: Uint8Array, nextHop: Ipv4, _inPort?: Port): void {
    const node = this.node;
    const outerDst = this.remote ?? nextHop;
    const innerLen = (frame[IP_OFF + IPV4_TOTAL_LEN_OFF]! << 8) | frame[IP_OFF + IPV4_TOTAL_LEN_OFF + 1]!;
    const df = (frame[IP_OFF + IPV4_FLAGS_FRAG_OFF]! << 8) & IPV4_FLAG_DF;
    const tos = frame[IP_OFF + IPV4_TOS_OFF]!;
    this.encapsulated++;
    node.note(
      () =>
        `${this.name}: IP-in-IP to ${formatIpv4(outerDst)}${this.remote === undefined ? " (the route's gateway)" : ''}`,
    );
    // RFC 2003 3.1: DF is copied from the inner header, TOS too (Linux: inherit when "tos inherit")
    // the outer packet is the same skb: an L4 flow hash stays on it (iptunnel_xmit: skb_clear_hash_if_not_l4)
    const err = node.sendIp(
      {
        dst: outerDst,
        src: this.local,
        protocol: IPPROTO_IPIP,
        ttl: this.ttl,
        tos,
        df: df !== 0,
        hash: frameHash(frame),
      },
      innerLen,
      (f, off) => {
        f.set(frame.subarray(IP_OFF, IP_OFF + innerLen), off);
      },
    );
    countTunnelXmit(this, err, innerLen, true);
  }

  /** The outer packet in `frame` (IP at IP_OFF) is for this tunnel: strip it and receive the inner one. */
  receiveOuter(frame: Uint8Array, port: Port | undefined): void {
    const ihl = (frame[IP_OFF]! & 0x0f) * 4;
    // read before the inner Ethernet header is written over the outer IP header
    const outerSrc = readIpv4(frame, IP_OFF + IPV4_SRC_OFF);
    const outerLen = (frame[IP_OFF + IPV4_TOTAL_LEN_OFF]! << 8) | frame[IP_OFF + IPV4_TOTAL_LEN_OFF + 1]!;
    // the 14 bytes before the inner header become its Ethernet header: no copy
    const inner = frame.subarray(IP_OFF + ihl - ETH_HEADER_LEN);
    carryFrameHash(frame, inner); // __iptunnel_pull_header keeps an L4 hash
    writeMac(inner, 0, this.mac);
    writeMac(inner, 6, 0);
    inner[ETH_TYPE_OFF] = ETHERTYPE_IPV4 >> 8;
    inner[ETH_TYPE_OFF + 1] = ETHERTYPE_IPV4 & 0xff;
    this.decapsulated++;
    // ip_tunnel_rcv counts the inner packet (its Ethernet header here is podnet's, not on any wire)
    this.rxPackets++;
    this.rxBytes += outerLen - ihl;
    this.node.note(() => `${this.name}: decapsulated IP-in-IP from ${formatIpv4(outerSrc)}`);
    this.node.receiveOn(this, inner, port);
  }
}

const demux = new WeakMap<IpNode, IpipDev[]>();

/** The IPIP devices of `node`, registering the protocol-4 handler on first use. */
function ipipDemux(node: IpNode): IpipDev[] {
  let list = demux.get(node);
  if (list === undefined) {
    const devs: IpipDev[] = [];
    list = devs;
    demux.set(node, devs);
    node.setProtocolHandler(IPPROTO_IPIP, (frame, ipLen, dev) => {
      const src = readIpv4(frame, IP_OFF + IPV4_SRC_OFF);
      const dst = readIpv4(frame, IP_OFF + IPV4_DST_OFF);
      // Linux's lookup order: an exact (local, remote) tunnel first, then an any-remote device on that local
      const t =
        devs.find((d) => d.remote === src && d.local === dst) ??
        devs.find((d) => d.remote === undefined && (d.local === dst || d.local === 0));
      if (t === undefined) {
        node.drop('unhandled-protocol', frame, undefined, `IP-in-IP from ${formatIpv4(src)}: no tunnel matches`);
        return;
      }
      void ipLen;
      void dev;
      t.receiveOuter(frame, undefined);
    });
  }
  return list;
}
