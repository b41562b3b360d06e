/**
 * Network devices of an IP node, as Linux has them: a name, a MAC, an MTU, addresses, and a way to put a
 * frame out. An Ethernet NIC sends through a port of the node; tunnel and bridge devices (later layers)
 * subclass NetDev and send their own way.
 */
import type { Port } from '../link/device.js';
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
    this.port.device.transmit(this.port, frame, inPort);
  }
}
