/**
 * A VXLAN tunnel endpoint as Linux's vxlan device (RFC 7348): an Ethernet-like interface whose frames
 * leave inside UDP to a remote VTEP found in its forwarding table, keyed by inner destination MAC.
 * Unknown and broadcast destinations go to every remote in the flood list (head-end replication);
 * received frames teach the table which VTEP a source MAC sits behind (flood-and-learn); a controller may
 * program static entries; with `proxy` on, the device answers ARP from its own table and never floods it
 * (the notes' "SDN controller as ARP proxy"). The VTEP never fragments (RFC 7348 section 4.3): an
 * encapsulated packet larger than the underlay MTU is dropped with a reason.
 */
import { copyFrame } from '../wire/frame-alloc.js';
import { carryFrameHash, frameHash } from '../wire/frame-hash.js';
import type { Port } from '../link/device.js';
import {
  MAC_BROADCAST,
  formatIpv4,
  formatMac,
  isGroupMac,
  readIpv4,
  readMac,
  type Ipv4,
  type Mac,
} from '../wire/addr.js';
import { ARP_OP_REPLY, ARP_OP_REQUEST, buildArpFrame, parseArp } from '../wire/arp.js';
import { ETH_HEADER_LEN, ETH_TYPE_OFF, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { IPPROTO_UDP, IPV4_MIN_HEADER_LEN, IPV4_SRC_OFF } from '../wire/ipv4.js';
import { UDP_HEADER_LEN, udpChecksum } from '../wire/udp.js';
import { VXLAN_FLAG_I, VXLAN_HEADER_LEN, VXLAN_OVERHEAD, VXLAN_PORT_IANA, emitVxlan } from '../wire/vxlan.js';
import { IP_OFF, type IpNode, type UdpTunnel } from './ip-node.js';
import { NetDev, countTunnelXmit } from './netdev.js';

/** How a VXLAN device is set up (the knobs of `ip link add ... type vxlan`). */
export interface VxlanConfig {
  name: string;
  mac: Mac;
  vni: number;
  /** Local VTEP address (outer source). */
  local: Ipv4;
  /** Outer UDP destination port: 4789 (IANA) by default; Flannel uses 8472. */
  dstPort?: number;
  /** Outer TTL; Linux's default for a unicast remote is the route's hop limit, 64. */
  ttl?: number;
  /** Set DF on outer packets. Linux's default leaves it clear. */
  df?: boolean;
  /**
   * Fill in the outer UDP checksum. RFC 7348 says it SHOULD be zero over IPv4, but Linux computes it
   * unless the device was made with `noudpcsum` (the kernel-oracle test saw non-zero checksums from a
   * plain `ip link add ... type vxlan`), so the default is on.
   */
  udpChecksum?: boolean;
  /** Learn source MAC -> remote VTEP from received packets (Linux default: on; Flannel: off). */
  learning?: boolean;
  /** Answer ARP requests from the device's neighbour table and never flood them. */
  proxy?: boolean;
  /** Ageing of learned entries (Linux default 300 s). */
  ageingNs?: number;
  /** Interface MTU; default the underlay's 1500 minus the 50 bytes of VXLAN overhead. */
  mtu?: number;
  /** MTU of the underlay path the outer packets take. */
  underlayMtu?: number;
}

/** One forwarding entry (`bridge fdb ... dst REMOTE`). */
export interface VxlanFdbEntry {
  remote: Ipv4;
  /** Learned entries expire; static ones (programmed by a controller) do not. */
  static: boolean;
  expires: number;
}

/** A VXLAN device on an IP node. */
export class VxlanDev extends NetDev {
  readonly vni: number;
  readonly local: Ipv4;
  readonly dstPort: number;
  readonly ttl: number;
  readonly df: boolean;
  readonly udpChecksum: boolean;
  readonly learning: boolean;
  readonly proxy: boolean;
  readonly ageingNs: number;
  readonly underlayMtu: number;
  /** Remote VTEPs that get a copy of every broadcast and unknown unicast (all-zero MAC entries in Linux). */
  readonly floodList: Ipv4[] = [];
  /** ARP answers for proxy mode (IP -> MAC), as `ip neigh add ... dev vxlan0`. */
  readonly arpTable = new Map<Ipv4, Mac>();
  /** Frames encapsulated / decapsulated. */
  encapsulated = 0;
  decapsulated = 0;
  private readonly fdb = new Map<Mac, VxlanFdbEntry>();

  constructor(
    readonly node: IpNode,
    c: VxlanConfig,
  ) {
    super(c.name, c.mac, c.mtu ?? (c.underlayMtu ?? 1500) - VXLAN_OVERHEAD);
    this.vni = c.vni;
    this.local = c.local;
    this.dstPort = c.dstPort ?? VXLAN_PORT_IANA;
    this.ttl = c.ttl ?? 64;
    this.df = c.df ?? false;
    this.udpChecksum = c.udpChecksum ?? true;
    this.learning = c.learning ?? true;
    this.proxy = c.proxy ?? false;
    this.ageingNs = c.ageingNs ?? 300_000_000_000;
    this.underlayMtu = c.underlayMtu ?? 1500;
    node.addDev(this);
    VxlanSocket.of(node, this.dstPort).add(this);
  }

  /** Programs a static entry: frames for `mac` go to `remote` (what a controller or flanneld does). */
  setFdb(mac: Mac, remote: Ipv4): void {
    this.fdb.set(mac, { remote, static: true, expires: Number.POSITIVE_INFINITY });
  }

  /** Removes the entry for `mac`. */
  deleteFdb(mac: Mac): boolean {
    return this.fdb.delete(mac);
  }

  /** Live entries, as `bridge fdb show dev vxlan0` would list them. */
  fdbEntries(): { mac: Mac; remote: Ipv4; static: boolean }[] {
    const now = this.node.engine.now;
    return [...this.fdb]
      .filter(([, e]) => e.expires > now)
      .map(([mac, e]) => ({ mac, remote: e.remote, static: e.static }));
  }

  /** The entry for `mac`, if alive. */
  lookup(mac: Mac): VxlanFdbEntry | undefined {
    const e = this.fdb.get(mac);
    return e !== undefined && e.expires > this.node.engine.now ? e : undefined;
  }

  xmit(frame: Uint8Array, inPort?: Port): void {
    const node = this.node;
    if (this.proxy && isArp(frame)) {
      this.arpProxy(frame, inPort);
      return;
    }
    const dst = readMac(frame, 0);
    const e = isGroupMac(dst) ? undefined : this.lookup(dst);
    if (e !== undefined) {
      node.note(
        () =>
          `${this.name}: ${formatMac(dst)} is behind VTEP ${formatIpv4(e.remote)} (${e.static ? 'static' : 'learned'} FDB entry, VNI ${this.vni})`,
      );
      this.encapsulate(frame, e.remote);
      return;
    }
    if (this.floodList.length === 0) {
      this.txDropped++;
      node.drop('no-fdb-entry', frame, inPort, `${this.name}: no FDB entry for ${formatMac(dst)} and no flood list`);
      return;
    }
    const why = dst === MAC_BROADCAST ? 'broadcast' : isGroupMac(dst) ? 'multicast' : `unknown ${formatMac(dst)}`;
    node.note(() => `${this.name}: ${why}: head-end replication to ${this.floodList.map(formatIpv4).join(', ')}`);
    for (let i = 0; i < this.floodList.length; i++)
      this.encapsulate(i === this.floodList.length - 1 ? frame : copyFrame(frame), this.floodList[i]!);
  }

  private encapsulate(inner: Uint8Array, remote: Ipv4): void {
    const node = this.node;
    const udpLen = UDP_HEADER_LEN + VXLAN_HEADER_LEN + inner.length;
    const outerLen = IPV4_MIN_HEADER_LEN + udpLen;
    if (outerLen > this.underlayMtu) {
      node.drop(
        'mtu-exceeded',
        inner,
        undefined,
        `${this.name}: encapsulated ${outerLen} bytes > underlay MTU ${this.underlayMtu}; a VTEP must not fragment (RFC 7348 4.3)`,
      );
      return;
    }
    // The outer UDP source port, as Linux's udp_flow_src_port: the inner packet's flow hash (skb_get_hash)
    // mapped into the default range 32768-60999, so that one flow keeps one underlay path (ECMP) while flows
    // spread (RFC 7348 section 5). skb_get_hash returns a hash the packet already carries
    // (wire/frame-hash.ts): a local TCP or connected UDP socket's random sk_txhash, so such a segment leaves
    // from a port of its socket's, and each direction of a connection from its own (skb_set_hash_from_sk;
    // a SYN-ACK has its request sock's; every retransmission timeout draws a new one, sk_rethink_txhash).
    // Without one it computes the flow dissector's hash, which is symmetric: both directions of a flow (and
    // an ARP request and its reply) get the same port, as the kernel-oracle capture shows; all fragments of
    // a datagram share one. The values differ from Linux's (whose hashes are random or seeded at boot). The
    // computed hash stays on the packet (the outer one is the same skb) only if it covers ports
    // (iptunnel_xmit: skb_clear_hash_if_not_l4).
    const carried = frameHash(inner);
    let h: number;
    let hash: number | undefined;
    if (carried !== undefined) h = hash = carried;
    else {
      const l4 = portsOffset(inner);
      h = flowHashAt(inner, l4);
      hash = hasPorts(inner, l4) ? h : undefined;
    }
    const srcPort = sourcePortOf(h);
    this.encapsulated++;
    const err = node.sendIp(
      { dst: remote, src: this.local, protocol: IPPROTO_UDP, ttl: this.ttl, df: this.df, hash },
      udpLen,
      (f, off, src) => {
        f[off] = srcPort >>> 8;
        f[off + 1] = srcPort & 0xff;
        f[off + 2] = this.dstPort >>> 8;
        f[off + 3] = this.dstPort & 0xff;
        f[off + 4] = udpLen >>> 8;
        f[off + 5] = udpLen & 0xff;
        f[off + 6] = 0;
        f[off + 7] = 0;
        emitVxlan({ vni: this.vni }, f, off + UDP_HEADER_LEN);
        f.set(inner, off + UDP_HEADER_LEN + VXLAN_HEADER_LEN);
        if (this.udpChecksum) {
          const c = udpChecksum(src, remote, f, off, udpLen);
          f[off + 6] = c >>> 8;
          f[off + 7] = c & 0xff;
        }
      },
    );
    countTunnelXmit(this, err, inner.length - ETH_HEADER_LEN, false);
  }

  /** A decapsulated frame from `remote`. */
  receiveInner(inner: Uint8Array, remote: Ipv4, port: Port | undefined): void {
    const node = this.node;
    if (inner.length < ETH_HEADER_LEN) {
      node.drop('malformed', inner, port, `${this.name}: inner frame shorter than an Ethernet header`);
      return;
    }
    this.decapsulated++;
    this.rxPackets++;
    this.rxBytes += inner.length - ETH_HEADER_LEN;
    const src = readMac(inner, 6);
    if (this.learning && !isGroupMac(src)) {
      const e = this.fdb.get(src);
      if (e === undefined || (!e.static && e.remote !== remote)) {
        this.fdb.set(src, { remote, static: false, expires: node.engine.now + this.ageingNs });
        node.note(
          () => `${this.name}: learned ${formatMac(src)} is behind VTEP ${formatIpv4(remote)} (VNI ${this.vni})`,
        );
      } else if (!e.static) e.expires = node.engine.now + this.ageingNs;
    }
    node.note(() => `${this.name}: decapsulated VNI ${this.vni} from ${formatIpv4(remote)}`);
    node.receiveOn(this, inner, port);
  }

  private arpProxy(frame: Uint8Array, inPort: Port | undefined): void {
    const node = this.node;
    const p = parseArp(frame.subarray(ETH_HEADER_LEN));
    if (!p.ok || p.value.op !== ARP_OP_REQUEST) {
      node.drop('arp-suppressed', frame, inPort, `${this.name}: ARP proxy passes only requests`);
      return;
    }
    const a = p.value;
    const mac = this.arpTable.get(a.targetIp);
    if (mac === undefined) {
      node.drop(
        'arp-suppressed',
        frame,
        inPort,
        `${this.name}: ARP proxy has no entry for ${formatIpv4(a.targetIp)}; not flooded`,
      );
      return;
    }
    node.note(
      () =>
        `${this.name}: ARP proxy answers ${formatIpv4(a.targetIp)} is-at ${formatMac(mac)} locally, nothing crosses the underlay`,
    );
    const reply = buildArpFrame(
      { op: ARP_OP_REPLY, senderMac: mac, senderIp: a.targetIp, targetMac: a.senderMac, targetIp: a.senderIp },
      mac,
      a.senderMac,
    );
    // the answer comes back up the device it was asked on, after the current event (as a softirq would)
    node.engine.schedule(0, () => node.receiveOn(this, reply, inPort));
  }
}

function isArp(f: Uint8Array): boolean {
  return f.length >= ETH_HEADER_LEN && ((f[ETH_TYPE_OFF]! << 8) | f[ETH_TYPE_OFF + 1]!) === ETHERTYPE_ARP;
}

/**
 * The UDP tunnel socket of one port on one node (Linux's vxlan_sock): it owns the port in the node's
 * tunnel registry and hands each datagram to the VXLAN device of its VNI, or drops it.
 */
export class VxlanSocket implements UdpTunnel {
  /** The devices sharing this port, by VNI. */
  private readonly byVni = new Map<number, VxlanDev>();

  constructor(
    private readonly node: IpNode,
    readonly port: number,
  ) {}

  /** The socket for UDP port `port` on `node`, created and registered on first use (one per port, as Linux). */
  static of(node: IpNode, port: number): VxlanSocket {
    const existing = node.udpTunnel(port);
    if (existing instanceof VxlanSocket) return existing;
    const sock = new VxlanSocket(node, port);
    node.setUdpTunnel(port, sock); // throws when another kind of tunnel holds the port
    return sock;
  }

  /** Binds `dev` to its VNI on this port. */
  add(dev: VxlanDev): void {
    this.byVni.set(dev.vni, dev);
  }

  receive(frame: Uint8Array, off: number, end: number, p: Port | undefined): void {
    if (end - off < VXLAN_HEADER_LEN || (frame[off]! & VXLAN_FLAG_I) === 0) {
      this.node.drop('malformed', frame, p, 'VXLAN header truncated or I flag clear');
      return;
    }
    const vni = (frame[off + 4]! << 16) | (frame[off + 5]! << 8) | frame[off + 6]!;
    const dev = this.byVni.get(vni);
    if (dev === undefined) {
      this.node.drop('unknown-vni', frame, p, `VXLAN VNI ${vni} on port ${this.port}`);
      return;
    }
    const inner = frame.subarray(off + VXLAN_HEADER_LEN, end);
    // __iptunnel_pull_header: the hash stays with the decapsulated packet (only an L4 one is ever kept)
    carryFrameHash(frame, inner);
    dev.receiveInner(inner, readIpv4(frame, IP_OFF + IPV4_SRC_OFF), p);
  }
}

/** Maps a flow hash into Linux's default local port range 32768-60999 (inet_get_local_port_range). */
export function sourcePortOf(hash: number): number {
  return 32768 + ((hash >>> 0) % (60999 - 32768 + 1));
}

/**
 * The flow dissector's hash of an inner frame (__skb_get_hash), symmetric in its addresses and ports:
 * the ethertype, and the IPv4 protocol and addresses with TCP or UDP ports, or the ARP addresses, or the
 * MAC pair. An IPv4 fragment (MF or an offset, the first one too) is hashed without ports:
 * __skb_flow_dissect stops at a fragment unless FLOW_DISSECTOR_F_PARSE_1ST_FRAG, which skb_get_hash does
 * not pass; so every fragment of a datagram leaves from one source port (seen by podnet verify on vxlan-mtu).
 */
export function flowHash(inner: Uint8Array): number {
  return flowHashAt(inner, portsOffset(inner));
}

/** flowHash with the ports' offset already found (portsOffset: 0 for none). */
function flowHashAt(inner: Uint8Array, l4: number): number {
  if (inner.length < ETH_HEADER_LEN) return 0;
  const type = (inner[12]! << 8) | inner[13]!;
  let h = mix(0x811c9dc5, type);
  if (type === ETHERTYPE_IPV4 && inner.length >= 34) {
    h = mix(h, inner[23]!);
    h = pair(h, readIpv4(inner, 26), readIpv4(inner, 30));
    if (l4 > 0) h = pair(h, (inner[l4]! << 8) | inner[l4 + 1]!, (inner[l4 + 2]! << 8) | inner[l4 + 3]!);
  } else if (type === ETHERTYPE_ARP && inner.length >= 42) {
    h = pair(h, readIpv4(inner, 28), readIpv4(inner, 38));
  } else {
    // other protocols: the MAC pair
    h = pair(h, readMac(inner, 0) % 0x1_0000_0000, readMac(inner, 6) % 0x1_0000_0000);
  }
  return h >>> 0;
}

/** FNV-1a over the four bytes of `v`, low byte first. */
function mix(h: number, v: number): number {
  h = Math.imul(h ^ (v & 0xff), 0x01000193);
  h = Math.imul(h ^ ((v >>> 8) & 0xff), 0x01000193);
  h = Math.imul(h ^ ((v >>> 16) & 0xff), 0x01000193);
  return Math.imul(h ^ (v >>> 24), 0x01000193);
}

/** Mixes two values in a fixed order whichever comes first: the symmetric part of the hash. */
function pair(h: number, a: number, b: number): number {
  return mix(mix(h, Math.min(a, b)), Math.max(a, b));
}

/**
 * Where the ports of an inner IPv4 TCP or UDP packet start, or 0 when the flow hash has none (another
 * protocol, a fragment, a truncated header).
 */
function portsOffset(inner: Uint8Array): number {
  if (inner.length < 34 || ((inner[12]! << 8) | inner[13]!) !== ETHERTYPE_IPV4) return 0;
  const p = inner[23]!;
  const l4 = 14 + (inner[14]! & 0x0f) * 4;
  const fragment = (((inner[20]! & 0x3f) << 8) | inner[21]!) !== 0;
  return (p === 6 || p === 17) && !fragment && inner.length >= l4 + 4 ? l4 : 0;
}

/**
 * True when the ports at `l4` (portsOffset) make the flow hash an L4 hash (flow_keys_have_l4: ports not
 * both zero), which the tunnel keeps on the packet; any other it clears (iptunnel_xmit:
 * skb_clear_hash_if_not_l4).
 */
function hasPorts(inner: Uint8Array, l4: number): boolean {
  return l4 > 0 && (inner[l4]! | inner[l4 + 1]! | inner[l4 + 2]! | inner[l4 + 3]!) !== 0;
}
