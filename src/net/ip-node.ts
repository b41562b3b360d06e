/**
 * An IPv4 node: a host, or a router when forwarding is on. It owns its interfaces, the routing table, the
 * receive/forward/output paths, reassembly, and the hand-off of local packets to transport protocols and
 * UDP tunnels registered by number and port. The forwarding path works on the received frame in place: check
 * the header, decrement TTL with an incremental checksum, look up the route, rewrite both MACs, send the same
 * buffer on. It leaves ARP to arp-resolver.ts, ICMP addressed to it to local-icmp.ts, the ICMP errors and
 * resets it sends to ip-errors.ts, and its netfilter wiring to netfilter-host.ts. Every node has `lo`
 * (loopback.ts): 127/8 is local, looped back without touching a wire, and a martian on any other device.
 */
import { allocFrame } from '../wire/frame-alloc.js';
import { carryFrameHash, setFrameHash } from '../wire/frame-hash.js';
import { REASSEMBLY_TIMEOUT_NS, Reassembler } from './reassembly.js';
import { Device, type Network, type Port } from '../link/device.js';
import type { DropReason } from '../link/trace.js';
import {
  MAC_BROADCAST,
  formatIpv4,
  formatMac,
  isGroupMac,
  prefixMask,
  readIpv4,
  readMac,
  type Ipv4,
  type Mac,
} from '../wire/addr.js';
import {
  ETH_HEADER_LEN,
  ETH_TYPE_OFF,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_VLAN,
  VLAN_TAG_LEN,
  stripVlanTag,
  vlanIdAt,
} from '../wire/ethernet.js';
import { UDP_HEADER_LEN, verifyUdpChecksum } from '../wire/udp.js';
import {
  IPPROTO_ICMP,
  IPPROTO_UDP,
  IPV4_DST_OFF,
  IPV4_FLAGS_FRAG_OFF,
  IPV4_FLAG_DF,
  IPV4_MIN_HEADER_LEN,
  IPV4_PROTO_OFF,
  IPV4_SRC_OFF,
  IPV4_TOTAL_LEN_OFF,
  IPV4_TTL_OFF,
  checkIpv4,
  decrementTtl,
  emitIpv4Header,
  fragmentIpv4,
} from '../wire/ipv4.js';
import {
  ICMP_ADMIN_PROHIBITED,
  ICMP_DEST_UNREACH,
  ICMP_FRAG_NEEDED,
  ICMP_FRAG_REASSEMBLY_EXCEEDED,
  ICMP_HOST_UNREACH,
  ICMP_NET_UNREACH,
  ICMP_PROTO_UNREACH,
  ICMP_REDIRECT,
  ICMP_REDIRECT_HOST,
  ICMP_TIME_EXCEEDED,
  ICMP_TTL_EXCEEDED_IN_TRANSIT,
} from '../wire/icmp.js';
import { EthernetDev, primaryOf, type IfAddr, type NetDev } from './netdev.js';
import { DEFAULT_ARP, NeighborTable, type ArpConfig } from './neighbor.js';
import { RouteTable, formatRoute, type Route } from './route-table.js';
import { sendIcmpError, sendTcpReset, type IcmpErrorCause } from './ip-errors.js';
import { DEFAULT_ICMP_RATE, IcmpRateLimiter, type IcmpRateConfig } from './icmp-ratelimit.js';
import { RouteExceptions } from './route-exceptions.js';
import { Netfilter, type PacketCtx } from './netfilter/netfilter.js';
import { netfilterHostOf } from './netfilter-host.js';
import { ArpResolver } from './arp-resolver.js';
import { LocalIcmp, type IcmpEvent } from './local-icmp.js';
import type { Ruleset } from './netfilter/rules.js';
import { LOOPBACK_ADDR, LoopbackDev, isLoopbackAddr } from './loopback.js';

/** Offset of the IP header in frames handled by an IP node (untagged Ethernet). */
export const IP_OFF = ETH_HEADER_LEN;

/** A transport protocol's receive hook: the IP packet sits in `frame` at IP_OFF, `ipLen` bytes long. */
export type ProtocolHandler = (frame: Uint8Array, ipLen: number, dev: NetDev) => void;

/** An ICMP message that reached this node (defined in local-icmp.ts). */
export type { IcmpEvent } from './local-icmp.js';

/**
 * A kernel UDP tunnel socket (Linux's udp_tunnel_sock: VXLAN, flannel's udp backend): an object that owns
 * one UDP port of a node and takes its datagrams before any socket would.
 */
export interface UdpTunnel {
  /**
   * A datagram for the tunnel's port arrived, its UDP length and checksum already checked: the payload is
   * frame[payloadOff, end), the outer IP header at IP_OFF; `port` is where the frame came in. The tunnel
   * owns the frame from here: it decapsulates or drops it through the node's drop path.
   */
  receive(frame: Uint8Array, payloadOff: number, end: number, port: Port | undefined): void;
}

/** Options for an IP packet originated here. */
export interface SendOptions {
  dst: Ipv4;
  protocol: number;
  /** Source address; chosen from the route/interface when omitted. */
  src?: Ipv4;
  ttl?: number;
  tos?: number;
  /**
   * Path MTU discovery, as a socket's IP_MTU_DISCOVER: undefined is Linux's default (IP_PMTUDISC_WANT: DF
   * set while the packet fits the path MTU, fragmented here without DF when it does not); true is
   * IP_PMTUDISC_DO (DF always; larger than the path MTU fails with EMSGSIZE); false is IP_PMTUDISC_DONT.
   */
  df?: boolean;
  /**
   * The L4 flow hash the packet leaves with (wire/frame-hash.ts): its socket's sk_txhash, which
   * skb_set_hash_from_sk copies to every skb a TCP or connected UDP socket sends; a tunnel passes its
   * inner packet's on. Undefined: none, as for a raw or unconnected socket.
   */
  hash?: number;
}

/**
 * Why a send failed before any packet left (returned to the app, like an errno). 'no-buffer-space' is
 * ENOBUFS: the packet reached its device, whose full transmit queue refused it (the qdisc's NET_XMIT_DROP,
 * which dev_queue_xmit returns to the sender); only a packet the node itself built is told so, never one
 * inside a tunnel, whose device takes it whatever becomes of the outer packet (iptunnel_xmit).
 */
export type SendError =
  'no-route' | 'mtu-exceeded' | 'policy' | 'blackhole' | 'unreachable' | 'prohibited' | 'no-buffer-space';

/** Tunables of an IP node. */
export interface IpNodeConfig {
  forwarding: boolean;
  defaultTtl: number;
  arp: ArpConfig;
  /** net.ipv4.conf.*.send_redirects (1): a router tells a sender on the same subnet of a better gateway. */
  sendRedirects: boolean;
  /**
   * Whether ICMP redirects are believed. Linux's IN_DEV_RX_REDIRECTS is all && dev on a router and
   * all || dev on a host, and turning forwarding on sets all.accept_redirects to 0: hosts accept, routers
   * do not (checked with sysctl in namespaces). Undefined follows that rule.
   */
  acceptRedirects: boolean | undefined;
  /** The ICMP rate limits (net.ipv4.icmp_*). */
  icmpRate: IcmpRateConfig;
}

/** An IPv4 host or router. */
export class IpNode extends Device {
  readonly routes = new RouteTable();
  readonly neighbors = new NeighborTable();
  readonly devs: NetDev[] = [];
  /** `lo`, kept apart from `devs` (which are the devices after it: `ip addr` numbers them from 2). */
  readonly lo = new LoopbackDev();
  readonly config: IpNodeConfig;
  /** What ICMP taught this node about single destinations: path MTUs and redirects (route-exceptions.ts). */
  readonly exceptions = new RouteExceptions();
  /** The ICMP rate limiters (icmp-ratelimit.ts). */
  readonly icmpRate: IcmpRateLimiter;
  /** Packets forwarded / delivered locally. */
  forwarded = 0;
  delivered = 0;
  private readonly devByPort: (NetDev | undefined)[] = [];
  private readonly local = new Set<Ipv4>();
  private readonly broadcasts = new Set<Ipv4>();
  /** Local routes beyond the node's addresses (`ip route add local PREFIX dev lo`, Linux's AnyIP). */
  private readonly anyIp: IfAddr[] = [];
  private readonly anyIpExcept: IfAddr[] = [];
  private readonly protocols: (ProtocolHandler | undefined)[] = new Array<ProtocolHandler | undefined>(256);
  private readonly udpTunnels = new Map<number, UdpTunnel>();
  /** ARP: answers requests and resolves next hops (arp-resolver.ts). */
  private readonly arp = new ArpResolver(this, this.broadcasts, this.devByPort);
  /** ICMP addressed to this node (local-icmp.ts). */
  private readonly icmp = new LocalIcmp(this, this.broadcasts, {
    nextIpId: () => this.nextIpId(),
    send: (frame, ipLen, dst) => this.routeAndOutput(frame, ipLen, dst),
  });
  private ipId: number;
  /** The packet sendIp is handing down, and whether a full transmit queue refused it (see SendError). */
  private sending: Uint8Array | undefined = undefined;
  private sendRefused = false;
  /** Netfilter (iptables and conntrack), once enabled; undefined costs nothing per packet. */
  netfilter: Netfilter | undefined = undefined;
  /** net.bridge.bridge-nf-call-iptables: bridged IPv4 frames go through iptables (br-netfilter.ts). Off as on a fresh host. */
  bridgeNfCallIptables = false;
  private reassembler: Reassembler | undefined = undefined;

  constructor(network: Network, name: string, config: Partial<IpNodeConfig> = {}) {
    super(network, name);
    this.config = {
      forwarding: false,
      defaultTtl: 64,
      arp: DEFAULT_ARP,
      sendRedirects: true,
      acceptRedirects: undefined,
      icmpRate: DEFAULT_ICMP_RATE,
      ...config,
    };
    const rateStream = this.engine.stream(`node:${name}/icmp-rate`);
    this.icmpRate = new IcmpRateLimiter(this.config.icmpRate, () => rateStream.nextU32() % 3);
    this.icmp.subscribe((ev) => this.learnFromIcmp(ev));
    // the first IP ID is random (Linux: ip_idents seeded randomly); from this node's own stream
    this.ipId = this.engine.stream(`node:${name}/ip-id`).nextU32() & 0xffff;
    this.broadcasts.add(0xffff_ffff);
  }

  /**
   * Whether ICMP redirects are believed (net.ipv4.conf.all.accept_redirects as it stands): the config's
   * choice, else Linux's rule, on for a host and off for a router.
   */
  get acceptsRedirects(): boolean {
    return this.config.acceptRedirects ?? !this.config.forwarding;
  }

  get kind(): string {
    return this.config.forwarding ? 'router' : 'host';
  }

  // ---- configuration --------------------------------------------------------------------------------

  /** Adds an Ethernet NIC called `name` (its port has the same name). */
  addNic(name: string, mac: Mac, mtu = 1500): EthernetDev {
    const port = this.addPort(name);
    const dev = new EthernetDev(name, mac, mtu, port);
    this.devByPort[port.index] = dev;
    this.devs.push(dev);
    return dev;
  }

  /** Registers a device that is not a plain NIC (tunnel, bridge). */
  addDev(dev: NetDev): void {
    if (this.devs.some((d) => d.name === dev.name)) throw new Error(`${this.name}: duplicate device ${dev.name}`);
    this.devs.push(dev);
  }

  /** The device called `name`. */
  dev(name: string): NetDev | undefined {
    return this.devs.find((d) => d.name === name);
  }

  /** Adds an address and its connected route (as `ip addr add 10.0.0.2/24 dev eth0`). */
  addAddress(devName: string, a: IfAddr): void {
    const dev = this.dev(devName);
    if (dev === undefined) throw new Error(`${this.name}: no device ${devName}`);
    dev.addresses.push(a);
    // an address in a subnet the device already has an address in is secondary (IFA_F_SECONDARY)
    const secondary = primaryOf(dev.addresses, dev.addresses.length - 1) !== undefined;
    this.local.add(a.addr);
    if (a.len < 31) this.broadcasts.add(((a.addr & prefixMask(a.len)) | ~prefixMask(a.len)) >>> 0);
    // fib_add_ifaddr: a prefix route for a primary address unless the prefix is the address itself (a /32
    // gets none, as flannel.1's 10.42.0.0/32 shows in `ip route` on a real node: not at all); a secondary
    // one adds only its local entry, the subnet's route stays the primary's
    if (a.len < 32 && !secondary)
      this.routes.add({ dst: a.addr, len: a.len, dev: devName, proto: 'kernel', scope: 'link', src: a.addr });
  }

  /** True when `ip` is a broadcast address here (255.255.255.255 or a connected subnet's). */
  isBroadcast(ip: Ipv4): boolean {
    return this.broadcasts.has(ip) || ip >>> 28 === 0xe;
  }

  /** True when `ip` is one of this node's addresses, a loopback address, or under one of its local routes. */
  isLocal(ip: Ipv4): boolean {
    return this.local.has(ip) || isLoopbackAddr(ip) || (this.anyIp.length > 0 && this.isAnyIp(ip));
  }

  /**
   * Makes every address under `prefix` this node's, as `ip route add local PREFIX dev lo` does on Linux
   * (AnyIP): packets to them are delivered here and answered from the address they were sent to. Addresses
   * in the node's connected subnets stay its neighbours', as they would with the usual `ip rule` that keeps
   * such a table for traffic from outside.
   */
  addLocalRoute(prefix: IfAddr): void {
    this.anyIp.push(prefix);
  }

  /**
   * Keeps the addresses under `prefix` out of the local routes (AnyIP) added with addLocalRoute: they are
   * routed as usual (a stand-in for the internet must not answer for private addresses, which no real
   * internet host would).
   */
  excludeFromLocalRoutes(prefix: IfAddr): void {
    this.anyIpExcept.push(prefix);
  }

  private isAnyIp(ip: Ipv4): boolean {
    if (!this.anyIp.some((p) => ((p.addr ^ ip) & prefixMask(p.len)) === 0)) return false;
    if (this.anyIpExcept.some((p) => ((p.addr ^ ip) & prefixMask(p.len)) === 0)) return false;
    const r = this.routes.lookup(ip);
    return r === undefined || r.scope !== 'link';
  }

  /** The primary address of the node (first address of the first device that has one). */
  get primaryAddress(): Ipv4 | undefined {
    for (const d of this.devs) if (d.addresses.length > 0) return d.addresses[0]!.addr;
    return undefined;
  }

  /** Registers the receive hook for IP protocol `proto` (UDP 17, TCP 6, IPIP 4...). */
  setProtocolHandler(proto: number, h: ProtocolHandler): void {
    this.protocols[proto] = h;
  }

  /**
   * The receive hook for IP protocol `proto`, if any: so a prober can see its segments first and pass the
   * rest on, as a raw socket sees packets beside the stack (cluster/policy-matrix.ts).
   */
  protocolHandler(proto: number): ProtocolHandler | undefined {
    return this.protocols[proto];
  }

  /**
   * Claims UDP port `port` for a kernel tunnel (VXLAN, flannel's udp backend), as Linux's UDP tunnel
   * sockets do: such datagrams are handled here, before any socket.
   */
  setUdpTunnel(port: number, tunnel: UdpTunnel): void {
    if (this.udpTunnels.has(port)) throw new Error(`${this.name}: UDP port ${port} already has a tunnel`);
    this.udpTunnels.set(port, tunnel);
  }

  /** The tunnel that owns UDP port `port`, if any (a second VXLAN device on a port shares its socket). */
  /** The UDP ports the kernel's tunnel sockets hold (vxlan's 8472 or 4789), in the order taken. */
  udpTunnelPorts(): number[] {
    return [...this.udpTunnels.keys()];
  }

  udpTunnel(port: number): UdpTunnel | undefined {
    return this.udpTunnels.get(port);
  }

  /** Turns on netfilter with `ruleset` (iptables-save text parsed by parseIptablesSave), as a namespace's. */
  enableNetfilter(ruleset?: Ruleset): Netfilter {
    if (this.netfilter !== undefined) {
      if (ruleset !== undefined) this.netfilter.ruleset = ruleset;
      return this.netfilter;
    }
    this.netfilter = new Netfilter(netfilterHostOf(this), ruleset);
    return this.netfilter;
  }

  /** Subscribes to ICMP messages addressed to this node. Returns an unsubscribe function. */
  onIcmp(fn: (ev: IcmpEvent) => void): () => void {
    return this.icmp.subscribe(fn);
  }

  /** Adds a permanent neighbour entry (as `ip neigh add ... nud permanent`). */
  addPermanentNeighbor(devName: string, ip: Ipv4, mac: Mac): void {
    const dev = this.dev(devName);
    if (dev === undefined) throw new Error(`${this.name}: no device ${devName}`);
    this.arp.addPermanent(dev, ip, mac);
  }

  /**
   * A NIC's cable was unplugged: its neighbours (and its VLAN devices') are flushed, and a bridge it is a
   * member of forgets the addresses learned on it, as Linux does on carrier loss (checked on a veth pair
   * and a bridge in namespaces: `ip neigh` and `bridge fdb` lose those entries at once).
   */
  override carrierLost(port: Port): void {
    const dev = this.devByPort[port.index];
    if (dev === undefined) return;
    dev.master?.memberCarrierLost?.(dev);
    this.arp.carrierDown(dev);
    for (const v of dev.vlans?.values() ?? []) this.arp.carrierDown(v);
  }

  // ---- receive --------------------------------------------------------------------------------------

  receive(port: Port, frame: Uint8Array): void {
    const dev = this.devByPort[port.index];
    if (dev === undefined) {
      this.drop('link-down', frame, port, 'port has no device');
      return;
    }
    // the driver counts what gets past its MAC filter: a veth everything its peer sent (veth_get_stats64
    // reports the peer's tx as its rx), a NIC on a cable frames to its address or a group address, or
    // anything when promiscuous (a bridge port is)
    if (
      (dev instanceof EthernetDev && dev.veth !== undefined) ||
      dev.promiscuous ||
      (frame.length >= ETH_HEADER_LEN && ((frame[0]! & 1) !== 0 || readMac(frame, 0) === dev.mac))
    ) {
      dev.rxPackets++;
      dev.rxBytes += frame.length;
    }
    this.receiveOn(dev, frame, port);
  }

  /** Entry point for frames arriving on `dev` (NICs via their port; virtual devices call it directly). */
  receiveOn(dev: NetDev, frame: Uint8Array, port?: Port): void {
    if (frame.length < ETH_HEADER_LEN) {
      this.drop('malformed', frame, port, 'shorter than an Ethernet header');
      return;
    }
    if (frame[ETH_TYPE_OFF] === ETHERTYPE_VLAN >> 8 && frame[ETH_TYPE_OFF + 1] === (ETHERTYPE_VLAN & 0xff)) {
      // 802.1Q: the VID picks a VLAN device before the bridge sees the frame; VID 0 is a priority tag
      // (vlan.ts has the kernel's order).
      if (frame.length < ETH_HEADER_LEN + VLAN_TAG_LEN) {
        this.drop('malformed', frame, port, 'shorter than an 802.1Q-tagged Ethernet header');
        return;
      }
      const vid = vlanIdAt(frame);
      const sub = dev.vlans?.get(vid);
      if (sub !== undefined) {
        // vlan_do_receive counts from the network header, multicast (not broadcast) apart
        const inner = stripVlanTag(frame);
        sub.rxPackets++;
        sub.rxBytes += inner.length - ETH_HEADER_LEN;
        if ((inner[0]! & 1) !== 0 && readMac(inner, 0) !== MAC_BROADCAST) sub.rxMulticast++;
        this.receiveOn(sub, inner, port);
        return;
      }
      if (vid === 0 && dev.master === undefined) frame = stripVlanTag(frame);
    }
    if (dev.master !== undefined) {
      dev.master.input(dev, frame, port);
      return;
    }
    const dstMac = readMac(frame, 0);
    if (dstMac !== dev.mac && !isGroupMac(dstMac) && !dev.promiscuous) {
      // a veth lets it in (PACKET_OTHERHOST): with a type no protocol takes, the core counts it dropped
      if (dev instanceof EthernetDev && dev.veth !== undefined && unhandledType(frame)) dev.rxDropped++;
      this.drop('not-for-us', frame, port, `${dev.name} is ${formatMac(dev.mac)}, frame is for ${formatMac(dstMac)}`);
      return;
    }
    const type = (frame[ETH_TYPE_OFF]! << 8) | frame[ETH_TYPE_OFF + 1]!;
    if (type === ETHERTYPE_IPV4) this.receiveIpv4(dev, frame, port);
    else if (type === ETHERTYPE_ARP) this.arp.receive(dev, frame, port);
    else if (type === ETHERTYPE_VLAN)
      this.drop('vlan-mismatch', frame, port, `${dev.name} has no VLAN device for VID ${vlanIdAt(frame)}`);
    else {
      if (unhandledType(frame)) dev.rxDropped++;
      this.drop('unhandled-protocol', frame, port, `ethertype 0x${type.toString(16).padStart(4, '0')}`);
    }
  }

  private receiveIpv4(dev: NetDev, frame: Uint8Array, port: Port | undefined): void {
    // (frame and ipLen are reassigned when netfilter reassembles fragments)
    const check = checkIpv4(frame, IP_OFF, frame.length - IP_OFF);
    if (check !== 'ok') {
      this.drop(check === 'bad-checksum' ? 'bad-checksum' : 'malformed', frame, port, `IPv4 ${check}`);
      return;
    }
    let ipLen = (frame[IP_OFF + IPV4_TOTAL_LEN_OFF]! << 8) | frame[IP_OFF + IPV4_TOTAL_LEN_OFF + 1]!;
    let ct: PacketCtx | undefined;
    if (this.netfilter !== undefined) {
      // nf_defrag_ipv4: conntrack sees whole datagrams, so fragments are reassembled first (and output
      // fragments them again if they must leave by a smaller MTU)
      if ((((frame[IP_OFF + IPV4_FLAGS_FRAG_OFF]! << 8) | frame[IP_OFF + IPV4_FLAGS_FRAG_OFF + 1]!) & 0x3fff) !== 0) {
        const whole = this.reassemble(frame, ipLen, port);
        if (whole === undefined) return;
        frame = whole.frame;
        ipLen = whole.ipLen;
      }
      ct = this.netfilter.prerouting(frame, ipLen, dev.name);
      if (ct === undefined) return;
    }
    const dst = readIpv4(frame, IP_OFF + IPV4_DST_OFF);
    const src = readIpv4(frame, IP_OFF + IPV4_SRC_OFF);
    if (isLoopbackAddr(src) || isLoopbackAddr(dst)) {
      // net/ipv4/route.c ip_route_input_slow: 127/8 belongs to lo; off any other device it is a martian
      this.drop('martian', frame, port, `${formatIpv4(src)} -> ${formatIpv4(dst)} arrived on ${dev.name}, not lo`);
      return;
    }
    if (this.local.has(dst) || this.broadcasts.has(dst) || (this.anyIp.length > 0 && this.isAnyIp(dst))) {
      this.deliverLocal(frame, ipLen, dev, port, ct);
      return;
    }
    if (!this.config.forwarding) {
      this.drop(
        'not-for-us',
        frame,
        port,
        `${formatIpv4(dst)} is not an address of ${this.name} and forwarding is off`,
      );
      return;
    }
    if (dst >>> 28 === 0xe) {
      // no multicast routing here; and no ICMP error about multicast (RFC 1812 4.3.2.7)
      this.drop('not-for-us', frame, port, `${formatIpv4(dst)} is multicast and ${this.name} does not route multicast`);
      return;
    }
    if ((frame[0]! & 1) === 1) {
      // RFC 1812 5.3.4: a unicast packet that came as a link-layer broadcast is not forwarded
      this.drop('not-for-us', frame, port, `unicast ${formatIpv4(dst)} arrived as a link-layer broadcast`);
      return;
    }
    this.forward(frame, ipLen, dev, port, ct);
  }

  /**
   * Forwards a packet, in the order of Linux's receive path: the route lookup first (ip_route_input, whose
   * failures and typed routes answer through ip_error whatever the TTL, so traceroute to an unroutable
   * address gets !N from the first router that has no route), then ip_forward: TTL, the MTU check (the
   * "fragmentation needed" quotes the packet as it arrived, TTL not yet decremented: seen in a namespace),
   * the TTL decrement, a redirect when the packet leaves by the interface it came in on, FORWARD.
   */
  private forward(
    frame: Uint8Array,
    ipLen: number,
    inDev: NetDev,
    port: Port | undefined,
    ct: PacketCtx | undefined,
  ): void {
    const dst = readIpv4(frame, IP_OFF + IPV4_DST_OFF);
    const route = this.routes.lookup(dst);
    if (route === undefined) {
      this.drop('no-route', frame, port, `no route to ${formatIpv4(dst)}`);
      this.sendIcmpError(frame, ipLen, inDev, ICMP_DEST_UNREACH, ICMP_NET_UNREACH, 0, { routeError: true });
      return;
    }
    if (route.type !== 'unicast') {
      this.dropByRouteType(route, frame, ipLen, inDev, port);
      return;
    }
    const ttl = frame[IP_OFF + IPV4_TTL_OFF]!;
    if (ttl <= 1) {
      this.drop('ttl-expired', frame, port, `TTL ${ttl} on arrival`);
      this.sendIcmpError(frame, ipLen, inDev, ICMP_TIME_EXCEEDED, ICMP_TTL_EXCEEDED_IN_TRANSIT, 0);
      return;
    }
    const outDev = this.dev(route.dev);
    if (
      outDev !== undefined &&
      ipLen > outDev.mtu &&
      ((frame[IP_OFF + IPV4_FLAGS_FRAG_OFF]! << 8) & IPV4_FLAG_DF) !== 0
    ) {
      this.sendIcmpError(frame, ipLen, inDev, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, outDev.mtu);
      this.drop('mtu-exceeded', frame, port, `${ipLen} bytes > MTU ${outDev.mtu} of ${outDev.name}, DF set`);
      return;
    }
    decrementTtl(frame, IP_OFF);
    this.note(() => `${formatIpv4(dst)} matched route ${formatRoute(route)}; TTL ${ttl} -> ${ttl - 1}`);
    if (outDev === inDev) this.maybeRedirect(frame, ipLen, inDev, route, dst);
    if (ct !== undefined && !this.netfilter!.forward(frame, ipLen, ct, inDev.name, route.dev)) return;
    this.forwarded++;
    this.output(frame, ipLen, route, dst, port, inDev, ct);
  }

  /**
   * A packet goes back out of the interface it came in on: when the sender and the next hop share a subnet
   * there, tell the sender to use that next hop directly (route.c __mkroute_input sets IPSKB_DOREDIRECT when
   * inet_addr_onlink(out_dev, saddr, gw); ip_forward sends it after the TTL decrement; ip_rt_send_redirect
   * limits it). The packet itself is still forwarded.
   */
  private maybeRedirect(frame: Uint8Array, ipLen: number, dev: NetDev, route: Route, dst: Ipv4): void {
    if (!this.config.sendRedirects || !dev.usesArp) return;
    const src = readIpv4(frame, IP_OFF + IPV4_SRC_OFF);
    const gw = route.via ?? dst;
    const onlink = dev.addresses.some(
      (a) => ((a.addr ^ src) & prefixMask(a.len)) === 0 && ((a.addr ^ gw) & prefixMask(a.len)) === 0,
    );
    if (!onlink || !this.icmpRate.allowRedirect(src, this.engine.now)) return;
    this.sendIcmpError(frame, ipLen, dev, ICMP_REDIRECT, ICMP_REDIRECT_HOST, 0, { gateway: gw });
  }

  /**
   * A forwarded packet met a blackhole, unreachable or prohibit route: net/ipv4/route.c ip_error drops it,
   * answering unreachable with ICMP host unreachable and prohibit with code 13, blackhole silently.
   */
  private dropByRouteType(route: Route, frame: Uint8Array, ipLen: number, inDev: NetDev, port: Port | undefined): void {
    const why = `${formatRoute(route)} matched ${formatIpv4(readIpv4(frame, IP_OFF + IPV4_DST_OFF))}`;
    switch (route.type) {
      case 'unicast':
        return;
      case 'blackhole':
        this.drop('route-blackhole', frame, port, why);
        return;
      case 'unreachable':
        this.drop('route-unreachable', frame, port, why);
        this.sendIcmpError(frame, ipLen, inDev, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, { routeError: true });
        return;
      case 'prohibit':
        this.drop('route-prohibit', frame, port, why);
        this.sendIcmpError(frame, ipLen, inDev, ICMP_DEST_UNREACH, ICMP_ADMIN_PROHIBITED, 0, { routeError: true });
        return;
    }
  }

  private deliverLocal(frame: Uint8Array, ipLen: number, dev: NetDev, port: Port | undefined, ct?: PacketCtx): void {
    // (frame and ipLen are reassigned when fragments are reassembled)
    const flags = (frame[IP_OFF + IPV4_FLAGS_FRAG_OFF]! << 8) | frame[IP_OFF + IPV4_FLAGS_FRAG_OFF + 1]!;
    if ((flags & 0x3fff) !== 0) {
      const r = this.reassemble(frame, ipLen, port);
      if (r === undefined) return;
      frame = r.frame;
      ipLen = r.ipLen;
    }
    if (ct !== undefined && !this.netfilter!.input(frame, ipLen, ct, dev.name)) return;
    this.delivered++;
    const proto = frame[IP_OFF + IPV4_PROTO_OFF]!;
    if (proto === IPPROTO_ICMP) {
      this.icmp.receive(frame, ipLen, port);
      return;
    }
    if (proto === IPPROTO_UDP && this.udpTunnels.size > 0 && this.tryUdpTunnel(frame, ipLen, port)) return;
    const h = this.protocols[proto];
    if (h === undefined) {
      this.drop('unhandled-protocol', frame, port, `IP protocol ${proto}`);
      // RFC 1122 3.2.2: no ICMP error about a datagram sent to a broadcast or multicast address
      if (!this.isBroadcast(readIpv4(frame, IP_OFF + IPV4_DST_OFF)))
        this.sendIcmpError(frame, ipLen, dev, ICMP_DEST_UNREACH, ICMP_PROTO_UNREACH, 0);
      return;
    }
    h(frame, ipLen, dev);
  }

  /** Hands a datagram to a tunnel bound to its port. False when no tunnel claims it. */
  private tryUdpTunnel(frame: Uint8Array, ipLen: number, port: Port | undefined): boolean {
    const ihl = (frame[IP_OFF]! & 0x0f) * 4;
    const off = IP_OFF + ihl;
    if (ipLen - ihl < UDP_HEADER_LEN) return false;
    const tunnel = this.udpTunnels.get((frame[off + 2]! << 8) | frame[off + 3]!);
    if (tunnel === undefined) return false;
    const len = (frame[off + 4]! << 8) | frame[off + 5]!;
    if (len < UDP_HEADER_LEN || len > ipLen - ihl) {
      this.drop('malformed', frame, port, `UDP length ${len}`);
      return true;
    }
    if (
      !verifyUdpChecksum(
        readIpv4(frame, IP_OFF + IPV4_SRC_OFF),
        readIpv4(frame, IP_OFF + IPV4_DST_OFF),
        frame,
        off,
        len,
      )
    ) {
      this.drop('bad-checksum', frame, port, 'UDP checksum (tunnel)');
      return true;
    }
    tunnel.receive(frame, off + UDP_HEADER_LEN, off + len, port);
    return true;
  }

  /** Collects a fragment; returns the whole datagram once complete. */
  private reassemble(
    frame: Uint8Array,
    ipLen: number,
    port: Port | undefined,
  ): { frame: Uint8Array; ipLen: number } | undefined {
    const now = this.engine.now;
    if (this.reassembler === undefined) this.reassembler = new Reassembler();
    const ra = this.reassembler;
    const r = ra.add(frame, IP_OFF, ipLen, now);
    if (r.kind === 'invalid') {
      this.drop('malformed', frame, port, `IPv4 fragment: ${r.reason}`);
      return undefined;
    }
    if (r.kind === 'pending') {
      this.note(() => `IPv4 fragment queued for reassembly (${ra.pending} datagram(s) waiting)`);
      // one timer per new queue would do; a sweep at the timeout is simpler and costs nothing per fragment
      this.engine.schedule(REASSEMBLY_TIMEOUT_NS, () =>
        ra.expire(this.engine.now, (quote) => {
          this.drop('fragment-timeout', undefined, undefined, 'IPv4 reassembly did not complete in 30 s');
          if (quote !== undefined) {
            // RFC 792: time exceeded, code 1 (fragment reassembly), only when the first fragment arrived;
            // it quotes that fragment as it arrived and answers from the address it was sent to
            const f = allocFrame(IP_OFF + quote.length);
            f.set(quote, IP_OFF);
            const dev = this.devs.find((d) => d.addresses.length > 0);
            if (dev !== undefined)
              this.sendIcmpError(f, quote.length, dev, ICMP_TIME_EXCEEDED, ICMP_FRAG_REASSEMBLY_EXCEEDED, 0);
          }
        }),
      );
      return undefined;
    }
    this.note(() => `IPv4 datagram of ${r.ipLen} bytes reassembled from its fragments`);
    return r;
  }

  /** The source address this node uses on `dev` toward `toward`: an address on its subnet, else the first. */
  sourceFor(dev: NetDev, toward: Ipv4): Ipv4 {
    for (const a of dev.addresses) if (((a.addr ^ toward) & prefixMask(a.len)) === 0) return a.addr;
    return dev.addresses[0]?.addr ?? this.primaryAddress ?? 0;
  }

  // ---- send -----------------------------------------------------------------------------------------

  /**
   * Originates an IP packet: allocates the frame once, writes the IPv4 header, lets `fill` write the
   * payload in place at `off` (the payload's offset in the frame), then routes it. Returns an error word
   * when it could not be sent at all.
   */
  sendIp(
    opts: SendOptions,
    payloadLen: number,
    fill: (frame: Uint8Array, off: number, src: Ipv4) => void,
  ): SendError | undefined {
    // ip_route_output_key_hash: a send to 0.0.0.0 goes to 127.0.0.1, from 127.0.0.1, over lo
    if (opts.dst === 0) opts = { ...opts, dst: LOOPBACK_ADDR };
    const isLoop = this.isLocal(opts.dst);
    // the local table comes first (Linux: `ip rule` 0 lookup local), so a local address never takes a route
    const route = isLoop ? undefined : this.lookupOutput(opts.dst);
    if (route === undefined && !isLoop) {
      this.note(() => `no route to ${formatIpv4(opts.dst)}`);
      this.drop('no-route', undefined, undefined, `no route to ${formatIpv4(opts.dst)}`);
      return 'no-route';
    }
    if (route !== undefined && route.type !== 'unicast') {
      // the local send fails in connect()/sendmsg(): EINVAL, EHOSTUNREACH or EACCES, nothing leaves
      const reason = `route-${route.type}` as const;
      this.drop(reason, undefined, undefined, `${formatRoute(route)} matched ${formatIpv4(opts.dst)}`);
      return route.type === 'prohibit' ? 'prohibited' : route.type;
    }
    const dev = route === undefined ? undefined : this.dev(route.dev);
    const src =
      opts.src ??
      (isLoop
        ? isLoopbackAddr(opts.dst)
          ? LOOPBACK_ADDR // `local 127.0.0.0/8 dev lo ... src 127.0.0.1`
          : opts.dst
        : (route!.src ?? (dev === undefined ? 0 : this.sourceFor(dev, route!.via ?? opts.dst))));
    const ipLen = IPV4_MIN_HEADER_LEN + payloadLen;
    const mtu = dev === undefined ? 65535 : this.pathMtu(opts.dst, dev);
    // IP_PMTUDISC_WANT (the default): DF while the packet fits the path MTU (__ip_make_skb); a larger one
    // is fragmented here, its fragments without DF (seen in a namespace: ping -s 1600 over a 1500 link)
    const df = opts.df ?? ipLen <= mtu;
    const frame = allocFrame(IP_OFF + ipLen);
    emitIpv4Header(
      {
        tos: opts.tos ?? 0,
        totalLength: ipLen,
        id: this.nextIpId(),
        df,
        mf: false,
        fragmentOffset: 0,
        ttl: opts.ttl ?? this.config.defaultTtl,
        protocol: opts.protocol,
        checksum: 0,
        src,
        dst: opts.dst,
        options: EMPTY,
      },
      frame,
      IP_OFF,
    );
    fill(frame, IP_OFF + IPV4_MIN_HEADER_LEN, src);
    if (opts.hash !== undefined) setFrameHash(frame, opts.hash);
    if (ipLen > mtu && df) {
      this.drop('mtu-exceeded', frame, undefined, `${ipLen} bytes > path MTU ${mtu} with DF set (EMSGSIZE)`);
      return 'mtu-exceeded';
    }
    // a tunnel's outer packet is sent from within this call: each send keeps its own packet and verdict
    const outer = this.sending;
    const outerRefused = this.sendRefused;
    this.sending = frame;
    this.sendRefused = false;
    const err = this.localOut(frame, ipLen, route);
    const refused = this.sendRefused;
    this.sending = outer;
    this.sendRefused = outerRefused;
    return err ?? (refused ? 'no-buffer-space' : undefined);
  }

  /** The one drop path (Device's), which also notes a full transmit queue refusing the packet sendIp is sending. */
  override drop(reason: DropReason, frame: Uint8Array | undefined, port: Port | undefined, detail = ''): void {
    if (reason === 'queue-full' && frame !== undefined && frame === this.sending) this.sendRefused = true;
    super.drop(reason, frame, port, detail);
  }

  /** A locally built packet: OUTPUT hook (which may DNAT it), route (again, if it did), send or loop back. */
  private localOut(frame: Uint8Array, ipLen: number, route: Route | undefined): SendError | undefined {
    let dst = readIpv4(frame, IP_OFF + IPV4_DST_OFF);
    let ct: PacketCtx | undefined;
    if (this.netfilter !== undefined) {
      ct = this.netfilter.output(frame, ipLen, route?.dev ?? this.lo.name);
      if (ct === undefined) return 'policy';
      const now = readIpv4(frame, IP_OFF + IPV4_DST_OFF);
      if (now !== dst) {
        dst = now;
        route = this.isLocal(dst) ? undefined : this.lookupOutput(dst);
      }
    }
    if (this.isLocal(dst)) {
      // loopback: deliver on lo after the current event, as the kernel's backlog would; no frame leaves
      this.note(() => `${formatIpv4(dst)} is local: looped back on lo`);
      // loopback_xmit counts after eth_type_trans, from the network header; lo's rx is its tx
      const lo = this.lo;
      lo.txPackets++;
      lo.txBytes += ipLen;
      lo.rxPackets++;
      lo.rxBytes += ipLen;
      this.engine.schedule(0, () => this.deliverLocal(frame, ipLen, this.lo, undefined, ct));
      return undefined;
    }
    if (route === undefined) {
      this.drop('no-route', frame, undefined, `no route to ${formatIpv4(dst)}`);
      return 'no-route';
    }
    this.note(() => `${formatIpv4(dst)} matched route ${formatRoute(route)}`);
    this.output(frame, ipLen, route, dst, undefined, undefined, ct);
    return undefined;
  }

  private routeAndOutput(frame: Uint8Array, ipLen: number, dst: Ipv4): void {
    this.localOut(frame, ipLen, this.isLocal(dst) ? undefined : this.lookupOutput(dst));
  }

  /**
   * The route a packet this node sends to `dst` takes: the table's, with the gateway a redirect taught
   * it (a next-hop exception) in place of the route's.
   */
  lookupOutput(dst: Ipv4): Route | undefined {
    const route = this.routes.lookup(dst);
    if (route === undefined || route.type !== 'unicast') return route;
    const gw = this.exceptions.get(dst, this.engine.now)?.gateway;
    return gw === undefined ? route : { ...route, via: gw };
  }

  /** The MTU toward `dst` out of `dev`: a learned path MTU when there is one (ipv4_mtu), else the device's. */
  pathMtu(dst: Ipv4, dev: NetDev): number {
    const pmtu = this.exceptions.get(dst, this.engine.now)?.pmtu ?? 0;
    return pmtu > 0 && pmtu < dev.mtu ? pmtu : dev.mtu;
  }

  /**
   * What an ICMP error teaches the node itself (icmp_unreach, icmp_redirect): a "fragmentation needed"
   * lowers the path MTU to the quoted packet's destination (ipv4_update_pmtu); a redirect from the gateway
   * in use, to a gateway on the same subnet, replaces it for that destination (__ip_do_redirect), once the
   * new gateway's MAC is known: until then it only sends an ARP request for it, as neigh_event_send does.
   */
  private learnFromIcmp(ev: IcmpEvent): void {
    const m = ev.message;
    const quote =
      m.kind === 'unreachable' || m.kind === 'other' ? (m.kind === 'other' ? m.data : m.original) : undefined;
    if (quote === undefined || quote.length < IPV4_MIN_HEADER_LEN) return;
    const dst = readIpv4(quote, IPV4_DST_OFF);
    const route = this.lookupOutput(dst);
    const dev = route === undefined ? undefined : this.dev(route.dev);
    if (route === undefined || dev === undefined) return;
    const now = this.engine.now;
    if (m.kind === 'unreachable' && m.code === ICMP_FRAG_NEEDED && m.nextHopMtu > 0) {
      const mtu = this.exceptions.learnPmtu(dst, m.nextHopMtu, this.pathMtu(dst, dev), now);
      if (mtu !== undefined) this.note(() => `path MTU to ${formatIpv4(dst)} is now ${mtu} (for 600 s)`);
      return;
    }
    if (m.kind !== 'other' || m.type !== ICMP_REDIRECT || m.code > 3) return;
    const accept = this.acceptsRedirects;
    const newGw = m.rest >>> 0;
    const oldGw = ev.src;
    const onlink = dev.addresses.some(
      (a) => ((a.addr ^ newGw) & prefixMask(a.len)) === 0 && ((a.addr ^ oldGw) & prefixMask(a.len)) === 0,
    );
    if (
      !accept ||
      (route.via ?? dst) !== oldGw ||
      newGw === oldGw ||
      newGw === 0 ||
      newGw === 0xffff_ffff ||
      newGw >>> 28 === 0xe ||
      !onlink
    ) {
      this.note(() => `ICMP redirect for ${formatIpv4(dst)} to ${formatIpv4(newGw)} from ${formatIpv4(oldGw)} ignored`);
      return;
    }
    if (!this.arp.isValid(dev, newGw)) {
      this.note(() => `ICMP redirect to ${formatIpv4(newGw)}: its MAC is not known yet, asking`);
      this.arp.probe(dev, newGw);
      return;
    }
    this.exceptions.learnGateway(dst, newGw, now);
    this.note(() => `ICMP redirect: ${formatIpv4(dst)} now via ${formatIpv4(newGw)} (for 300 s)`);
  }

  /** Sends an IP packet (in `frame` at IP_OFF) along `route`: MTU, next hop, ARP, MAC rewrite. */
  output(
    frame: Uint8Array,
    ipLen: number,
    route: Route,
    dst: Ipv4,
    inPort: Port | undefined,
    inDev: NetDev | undefined,
    ct?: PacketCtx,
  ): void {
    const dev = this.dev(route.dev);
    if (dev === undefined || !dev.up) {
      this.drop('link-down', frame, inPort, `route device ${route.dev} is missing or down`);
      return;
    }
    // a packet of this node's fragments to the path MTU; a forwarded one to the device's (ip_forward_use_pmtu=0)
    const mtu = inDev === undefined ? this.pathMtu(dst, dev) : dev.mtu;
    const tooBig = ipLen > mtu;
    if (tooBig && ((frame[IP_OFF + IPV4_FLAGS_FRAG_OFF]! << 8) & IPV4_FLAG_DF) !== 0) {
      // forward() answered a forwarded packet already, before its TTL was decremented
      this.drop('mtu-exceeded', frame, inPort, `${ipLen} bytes > MTU ${mtu} of ${dev.name}, DF set`);
      return;
    }
    if (ct !== undefined && !this.netfilter!.postrouting(frame, ipLen, ct, dev.name)) return;
    if (tooBig) {
      const pieces = fragmentIpv4(frame.subarray(IP_OFF, IP_OFF + ipLen), mtu);
      if (pieces === undefined) {
        this.drop('mtu-exceeded', frame, inPort, `cannot fragment to MTU ${mtu}`);
        return;
      }
      this.note(() => `${ipLen} bytes > MTU ${mtu} of ${dev.name}: fragmented into ${pieces.length}`);
      for (const p of pieces) {
        const f = allocFrame(IP_OFF + p.length);
        f.set(p, IP_OFF);
        carryFrameHash(frame, f); // ip_copy_metadata: skb_copy_hash
        this.arp.resolveAndSend(dev, f, route.via ?? dst, inPort);
      }
      return;
    }
    this.arp.resolveAndSend(dev, frame, route.via ?? dst, inPort);
  }

  private nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  // ---- errors sent back (ip-errors.ts) --------------------------------------------------------------

  /** Answers the TCP segment in `frame` with a RST (REJECT --reject-with tcp-reset). See ip-errors.ts. */
  sendTcpReset(frame: Uint8Array, ipLen: number): void {
    sendTcpReset(this, frame, ipLen);
  }

  /** Sends an ICMP error about the packet in `frame` (RFC 792, RFC 1122 3.2.2). See ip-errors.ts. */
  sendIcmpError(
    frame: Uint8Array,
    ipLen: number,
    inDev: NetDev,
    type: number,
    code: number,
    mtu: number,
    cause?: IcmpErrorCause,
  ): void {
    sendIcmpError(this, frame, ipLen, inDev, type, code, mtu, cause);
  }
}

const EMPTY = new Uint8Array(0);

export { icmpName } from './ip-errors.js';

/**
 * Whether Linux has no protocol handler for the frame's EtherType, so that __netif_receive_skb_core counts
 * it in the device's rx_dropped: anything but IPv4, ARP, 802.1Q and IPv6 (podnet has no IPv6, Linux does;
 * a namespace with IPv6 disabled still has the handler, which drops the packet without counting it here).
 */
function unhandledType(frame: Uint8Array): boolean {
  const type = (frame[ETH_TYPE_OFF]! << 8) | frame[ETH_TYPE_OFF + 1]!;
  return type !== ETHERTYPE_IPV4 && type !== ETHERTYPE_ARP && type !== ETHERTYPE_VLAN && type !== ETHERTYPE_IPV6;
}
