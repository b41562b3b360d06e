/**
 * Network devices of an IP node, as Linux has them: a name, a MAC, an MTU, addresses, and a way to put a
 * frame out. An Ethernet NIC sends through a port of the node; tunnel and bridge devices (later layers)
 * subclass NetDev and send their own way.
 */
import type { Port } from '../link/device.js';
import type { SendError } from './ip-node.js';
import { prefixMask, type Ipv4, type Mac } from '../wire/addr.js';

/** An address on an interface, e.g. 10.0.0.2/24. */
export interface IfAddr {
  readonly addr: Ipv4;
  readonly len: number;
}

/**
 * The primary of `addresses[k]` (IFA_F_SECONDARY): the first earlier address in the same subnet, whose
 * connected route and broadcast entry stand for both; undefined when `addresses[k]` is primary itself.
 */
export function primaryOf(addresses: readonly IfAddr[], k: number): IfAddr | undefined {
  const a = addresses[k]!;
  for (let i = 0; i < k; i++) {
    const b = addresses[i]!;
    if (b.len === a.len && ((b.addr ^ a.addr) & prefixMask(a.len)) === 0) return b;
  }
  return undefined;
}

/**
 * A tunnel's counters after it sent an outer packet (vxlan_xmit_one, ip_tunnel_xmit, then
 * iptunnel_xmit_stats), given the outer send's error: sent, the inner packet's bytes from its network
 * header; no route for the outer packet, a carrier error (vxlan only for -ENETUNREACH, where a blackhole,
 * unreachable or prohibit route is a plain error; IP-in-IP for any); refused below (netfilter, a full queue,
 * too big with DF), dropped.
 */
export function countTunnelXmit(
  dev: NetDev,
  err: SendError | undefined,
  innerBytes: number,
  carrierOnAnyRouteError: boolean,
): void {
  if (err === undefined) {
    dev.txPackets++;
    dev.txBytes += innerBytes;
  } else if (err === 'policy' || err === 'no-buffer-space' || err === 'mtu-exceeded') dev.txDropped++;
  else {
    dev.txErrors++;
    if (err === 'no-route' || carrierOnAnyRouteError) dev.txCarrierErrors++;
  }
}

/** Something that takes frames from its member devices: a bridge. */
export interface L2Master {
  /** A frame arrived on member `from`. */
  input(from: NetDev, frame: Uint8Array, port?: Port): void;
  /** Member `dev` lost its carrier (a bridge forgets what it learned there). */
  memberCarrierLost?(dev: NetDev): void;
}

/** A network device on an IP node. */
export abstract class NetDev {
  /** Addresses in the order added; the first is primary. */
  readonly addresses: IfAddr[] = [];
  /** Answer ARP for addresses routed out of another interface (Linux proxy_arp). */
  proxyArp = false;
  /** Accept frames to any MAC (a bridge port, a sniffer). */
  promiscuous = false;
  /** Administrative state. */
  up = true;
  /** As a bridge port: frames may go back out of the port they came in on (`bridge link set hairpin on`). */
  hairpin = false;
  /** The bridge this device is a port of (Linux "master"); its frames then go to the bridge, not to IP. */
  master: L2Master | undefined = undefined;
  /** 802.1Q devices stacked on this one, by VID (net/vlan.ts); undefined when it has none. */
  vlans: Map<number, NetDev> | undefined = undefined;

  // The counters `ip -s link` prints (struct rtnl_link_stats64), each kind of device keeping them where and
  // as its Linux driver does (checked in namespaces for veth, bridge, vxlan and lo): which frames count, and
  // whether a frame's bytes include its Ethernet header (a veth's and a NIC's do; a bridge's own receives,
  // vxlan, tunnels, VLAN devices, tun and lo count from the network header).
  rxPackets = 0;
  rxBytes = 0;
  /** Frames no protocol took (an unknown EtherType): the core's rx_dropped. */
  rxDropped = 0;
  /** Multicast (not broadcast) frames received, which only a VLAN device counts of podnet's kinds. */
  rxMulticast = 0;
  txPackets = 0;
  txBytes = 0;
  /** Frames the device gave up on: no FDB entry (vxlan), no peer (veth), refused by the layer below. */
  txDropped = 0;
  txErrors = 0;
  /** A tunnel's outer packet had no route (-ENETUNREACH). */
  txCarrierErrors = 0;

  constructor(
    readonly name: string,
    readonly mac: Mac,
    public mtu: number,
  ) {}

  /** True when this device resolves next hops with ARP (false for point-to-point tunnels). */
  get usesArp(): boolean {
    return true;
  }

  /** Sends a complete Ethernet frame out of this device; `inPort` names where a forwarded packet came in. */
  abstract xmit(frame: Uint8Array, inPort?: Port): void;

  /**
   * For devices without ARP (usesArp false): sends the IP packet at offset 14 of `frame` toward
   * `nextHop` (the route's gateway, or the destination). Point-to-point tunnels use it to pick the outer
   * destination, as Linux's tunl0 does with `via GW onlink` routes.
   */
  xmitL3(frame: Uint8Array, nextHop: Ipv4, inPort?: Port): void {
    void nextHop;
    this.xmit(frame, inPort);
  }
}

/** A NIC: a NetDev bound to one port of the node. */
export class EthernetDev extends NetDev {
  /**
   * Set when this NIC is one end of a veth pair (a CNI plugin's): the network namespace of the other end
   * as `ip` names it (`link-netns cni-...`), or undefined for an unnamed one (the host's, seen from a pod:
   * `link-netnsid 0`).
   */
  veth: { peerNetns: string | undefined } | undefined = undefined;

  constructor(
    name: string,
    mac: Mac,
    mtu: number,
    readonly port: Port,
  ) {
    super(name, mac, mtu);
  }

  xmit(frame: Uint8Array, inPort?: Port): void {
    const length = frame.length;
    if (this.port.device.transmit(this.port, frame, inPort)) {
      this.txPackets++;
      this.txBytes += length;
    } else if (this.veth !== undefined) this.txDropped++; // veth_xmit: no peer, or too big for it
    // (a NIC's full queue is the qdisc's drop, which `ip -s link` does not show)
  }
}
