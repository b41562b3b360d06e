/**
 * A Linux TUN device (`ip tuntap add flannel0 mode tun`, opened with IFF_TUN | IFF_NO_PI as flanneld
 * opens it): a point-to-point layer-3 interface whose far end is a process instead of a wire. What the
 * node routes out of it goes to the process's read(2) as a bare IP packet (no Ethernet header, no
 * packet-info prefix); what the process write(2)s comes in through the node's ordinary receive path, as if
 * it had arrived on the device. No MAC, no ARP. This file owns the device; what the process does with the
 * packets (flanneld's UDP encapsulation) belongs to control/udp-encap.ts.
 *
 * Inside the node a packet travels as a frame with its IP header at IP_OFF, so the device keeps a 14-byte
 * pseudo Ethernet header (both MACs zero, the device's MAC being zero) in front of what it hands over.
 */
import type { Port } from '../link/device.js';
import type { DropReason } from '../link/trace.js';
import { formatIpv4, readIpv4, type Ipv4 } from '../wire/addr.js';
import { allocFrame } from '../wire/frame-alloc.js';
import { ETH_HEADER_LEN, ETH_TYPE_OFF, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../wire/ethernet.js';
import { IPV4_DST_OFF, IPV4_TOTAL_LEN_OFF, IPV4_VERSION } from '../wire/ipv4.js';
import { IP_OFF, type IpNode } from './ip-node.js';
import { NetDev } from './netdev.js';

/** The MTU Linux gives a new tun device (tun_net_init); flanneld lowers it to the underlay's minus 28. */
export const TUN_DEFAULT_MTU = 1500;

/** IFF_NO_PI: the kernel takes the protocol from the version nibble; 6 means IPv6. */
/** The version nibble of an IPv6 header (RFC 8200). */
const IPV6_VERSION = 6;

/**
 * The process side of a TUN, called once per packet the node sends out of the device (the process's
 * read(2)). `packet` is a view, not a copy, into the buffer the node handed the device, cut to the IP
 * total length: the reader owns those bytes from then on, may change them in place and may keep them.
 */
export type TunReader = (packet: Uint8Array) => void;

/** A TUN device on an IP node. */
export class TunDev extends NetDev {
  /** The process reading the device; while nobody has it open, packets routed into it are dropped. */
  onRead: TunReader | undefined = undefined;
  constructor(
    readonly node: IpNode,
    name: string,
    mtu = TUN_DEFAULT_MTU,
  ) {
    super(name, 0, mtu);
    node.addDev(this);
  }

  override get usesArp(): boolean {
    return false;
  }

  xmit(frame: Uint8Array, inPort?: Port): void {
    this.xmitL3(frame, readIpv4(frame, IP_OFF + IPV4_DST_OFF), inPort);
  }

  /** The node sends a packet out of the device: the reader gets it (the next hop means nothing here). */
  override xmitL3(frame: Uint8Array, _nextHop: Ipv4, inPort?: Port): void {
    // what the tun holds is the bare packet: clear the MACs left from the hop before
    frame.fill(0, 0, ETH_TYPE_OFF);
    const reader = this.onRead;
    if (reader === undefined) {
      this.txDropped++; // tun_net_xmit without a queue: the core's tx_dropped
      this.node.drop('link-down', frame, inPort, `${this.name}: no process has the tun device open`);
      return;
    }
    // the IP total length, not the frame's: a forwarded frame may carry Ethernet padding
    const total = (frame[IP_OFF + IPV4_TOTAL_LEN_OFF]! << 8) | frame[IP_OFF + IPV4_TOTAL_LEN_OFF + 1]!;
    const packet = frame.subarray(IP_OFF, Math.min(frame.length, IP_OFF + total));
    // what the process reads is `ip -s link`'s TX (tun_put_user), what it writes RX (tun_get_user)
    this.txPackets++;
    this.txBytes += packet.length;
    this.node.note(
      () =>
        `${this.name}: ${packet.length}-byte packet for ${formatIpv4(readIpv4(frame, IP_OFF + IPV4_DST_OFF))} read by the process holding the tun`,
    );
    reader(packet);
  }

  /** The process's write(2): `packet` (a bare IP packet) is copied once and received on this device. */
  write(packet: Uint8Array): void {
    const frame = allocFrame(ETH_HEADER_LEN + packet.length);
    frame.set(packet, ETH_HEADER_LEN);
    this.inject(frame);
  }

  /**
   * write(2) without the copy, for a packet the caller gives up together with the 14 bytes before it in
   * its buffer (a datagram's payload inside the frame it arrived in; a packet built with headroom): the
   * pseudo Ethernet header is written there. Frames share slabs (wire/frame-alloc.ts), so the bytes
   * before a packet that was allocated on its own belong to another frame: pass such a packet to write.
   * Throws when there are not 14 bytes before the packet (a caller bug).
   */
  writeOwned(packet: Uint8Array): void {
    if (packet.byteOffset < ETH_HEADER_LEN)
      throw new RangeError(
        `${this.name}: writeOwned needs ${ETH_HEADER_LEN} bytes of headroom, the packet has ${packet.byteOffset}`,
      );
    this.inject(new Uint8Array(packet.buffer, packet.byteOffset - ETH_HEADER_LEN, ETH_HEADER_LEN + packet.length));
  }

  /**
   * Drops a bare packet the process read or was about to write, through the node's drop path. The trace
   * gets a framed copy, made only when someone is tracing.
   */
  dropPacket(reason: DropReason, packet: Uint8Array, detail: string): void {
    let frame: Uint8Array | undefined;
    if (this.node.tracing) {
      frame = allocFrame(ETH_HEADER_LEN + packet.length);
      frame.set(packet, ETH_HEADER_LEN);
      setPseudoHeader(frame);
    }
    this.node.drop(reason, frame, undefined, detail);
  }

  /** Receives `frame` (the packet at IP_OFF) on this device, as tun_get_user does. */
  private inject(frame: Uint8Array): void {
    const version = setPseudoHeader(frame);
    if (!this.up) {
      this.node.drop('link-down', frame, undefined, `${this.name} is down: write(2) fails with EIO`);
      return;
    }
    if (version !== IPV4_VERSION && version !== IPV6_VERSION) {
      this.node.drop(
        'malformed',
        frame,
        undefined,
        `${this.name}: IP version ${version} written to an IFF_NO_PI tun: write(2) fails with EINVAL`,
      );
      return;
    }
    this.rxPackets++;
    this.rxBytes += frame.length - ETH_HEADER_LEN;
    this.node.receiveOn(this, frame, undefined);
  }
}

/** Writes the pseudo Ethernet header (MACs zero, type from the version nibble); returns the IP version. */
function setPseudoHeader(frame: Uint8Array): number {
  const version = frame.length > ETH_HEADER_LEN ? frame[ETH_HEADER_LEN]! >> 4 : 0;
  const type = version === IPV6_VERSION ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
  frame.fill(0, 0, ETH_TYPE_OFF);
  frame[ETH_TYPE_OFF] = type >> 8;
  frame[ETH_TYPE_OFF + 1] = type & 0xff;
  return version;
}
