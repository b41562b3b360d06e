/**
 * Felix's Linux dataplane on one node (felix/dataplane/linux: ipip_mgr.go, vxlan_mgr.go, route_mgr.go,
 * masq_mgr.go), given a FelixState and applied again whenever it changes:
 * - tunl0 (the "any remote" IPIP device) when an enabled pool has ipipMode Always or CrossSubnet, MTU
 *   1480, with the node's IPIP tunnel address as a /32;
 * - vxlan.calico when a pool uses VXLAN: VNI 4096, UDP 4789, MTU 1450, learning off, its MAC the one
 *   Felix derives ("f" then the first 5 bytes of sha1(node name): felix/calc/vxlan_resolver.go) unless
 *   the Node names one, the VXLAN tunnel address as a /32; per remote VTEP a permanent neighbour entry
 *   and a static FDB entry, and per remote block `<block> via <tunnel addr> dev vxlan.calico proto 80
 *   onlink`; in CrossSubnet a same-subnet block goes `via <node IP> dev eth0 proto 80 onlink` instead;
 * - a blackhole route per affine block: BIRD's static route in BGP mode (`proto bird`), Felix's own in
 *   VXLAN mode (`proto 80`); BIRD's IPIP and plain routes are bird-routes.ts's choice, installed by the
 *   cluster's BIRD;
 * - the nat/filter chains and ipsets of felix-nat.ts.
 * Routes Felix (or this class for BIRD) installed are tracked and replaced as a whole on each apply.
 */
import type { Ipv4, Mac } from '../../wire/addr.js';
import type { IpNode } from '../../net/ip-node.js';
import { IpipDev } from '../../net/ipip.js';
import { VxlanDev } from '../../net/vxlan.js';
import { TYPED_ROUTE_DEV, type Route, type RouteSpec } from '../../net/route-table.js';
import { sha1, utf8 } from '../../wire/digest.js';
import { programFelixIptables } from './felix-nat.js';
import { IPIP_DEVICE } from './bird-routes.js';
import {
  DEFAULT_FELIX_CONFIG,
  poolOf,
  sameSubnet,
  type Cidr,
  type FelixConfig,
  type FelixPeer,
  type FelixState,
} from './felix-types.js';

/** Felix's VXLAN device (dataplanedefs.VXLANIfaceNameV4). */
export const VXLAN_DEVICE = 'vxlan.calico';

/** The VTEP MAC Felix derives for a node without one on its Node resource: 0x66 ('f'), then sha1(name)[0:5]. */
export function vtepMacFor(nodeName: string): Mac {
  const h = sha1(utf8(nodeName));
  let m = 0x66;
  for (let i = 0; i < 5; i++) m = m * 256 + h[i]!;
  return m;
}

/** Felix on one node. */
export class Felix {
  private installed: Route[] = [];
  private state: FelixState | undefined;

  /** The state last applied. */
  get lastState(): FelixState | undefined {
    return this.state;
  }

  constructor(readonly node: IpNode) {}

  /** The configuration in force (defaults filled in). */
  get config(): FelixConfig {
    return { ...DEFAULT_FELIX_CONFIG, ...this.state?.config };
  }

  /** Programs the node for `state` (idempotent: what an earlier apply installed and is no longer wanted goes). */
  apply(state: FelixState): void {
    this.state = state;
    const node = this.node;
    for (const r of this.installed) node.routes.remove(r.dst, r.len, { dev: r.dev, via: r.via });
    this.installed = [];
    const enabled = state.pools.filter((p) => !p.disabled);
    if (enabled.some((p) => p.ipipMode !== 'Never')) this.ensureTunl0(state);
    if (enabled.some((p) => p.vxlanMode !== 'Never')) this.programVxlan(state);
    const proto = state.backend === 'bird' ? 'bird' : 'felix';
    for (const b of state.blocks)
      this.route({ dst: b.addr, len: b.len, dev: TYPED_ROUTE_DEV, type: 'blackhole', proto });
    programFelixIptables(node, state.pools);
    // route_localnet, rp_filter and the rest of Felix's sysctls have no model here; forwarding does
    node.config.forwarding = true;
  }

  private route(spec: RouteSpec): void {
    this.installed.push(this.node.routes.add(spec));
  }

  private ensureTunl0(state: FelixState): void {
    const node = this.node;
    let dev = node.dev(IPIP_DEVICE);
    if (dev === undefined)
      dev = new IpipDev(node, { name: IPIP_DEVICE, local: state.address, mtu: this.config.ipipMtu });
    dev.mtu = this.config.ipipMtu;
    setOnlyAddress(node, IPIP_DEVICE, state.ipipTunnelAddr);
  }

  private programVxlan(state: FelixState): void {
    const node = this.node;
    const cfg = this.config;
    let dev = node.dev(VXLAN_DEVICE);
    if (!(dev instanceof VxlanDev)) {
      dev = new VxlanDev(node, {
        name: VXLAN_DEVICE,
        mac: state.vxlanMac ?? vtepMacFor(state.nodeName),
        vni: cfg.vxlanVni,
        local: state.address,
        dstPort: cfg.vxlanPort,
        learning: false,
        mtu: cfg.vxlanMtu,
      });
    }
    const vx = dev as VxlanDev;
    setOnlyAddress(node, VXLAN_DEVICE, state.vxlanTunnelAddr);
    for (const peer of state.peers) {
      const vtep = peer.vxlan;
      if (vtep !== undefined) {
        const mac = vtep.mac ?? vtepMacFor(peer.name);
        node.addPermanentNeighbor(VXLAN_DEVICE, vtep.tunnelAddr, mac);
        vx.setFdb(mac, peer.address);
      }
      for (const b of peer.blocks) this.vxlanRoute(state, peer, b);
    }
    for (const b of state.borrowed) {
      const peer = state.peers.find((p) => p.name === b.node);
      if (peer !== undefined) this.vxlanRoute(state, peer, { addr: b.ip, len: 32 });
    }
  }

  /** vxlan_mgr tunnelRoute / route_mgr noEncapRoute for one remote prefix of a VXLAN pool. */
  private vxlanRoute(state: FelixState, peer: FelixPeer, prefix: Cidr): void {
    const pool = poolOf(state.pools, prefix);
    if (pool === undefined || pool.vxlanMode === 'Never') return;
    const base = { dst: prefix.addr, len: prefix.len, proto: 'felix' as const, onlink: true };
    if (pool.vxlanMode === 'CrossSubnet' && sameSubnet(peer.address, state.address, state.subnetLen)) {
      this.route({ ...base, via: peer.address, dev: state.device });
      return;
    }
    if (peer.vxlan === undefined) return; // the route waits for the VTEP, as Felix's does
    this.route({ ...base, via: peer.vxlan.tunnelAddr, dev: VXLAN_DEVICE });
  }
}

/** Makes `addr`/32 the device's only address (or none), as Felix's address sync does. */
function setOnlyAddress(node: IpNode, devName: string, addr: Ipv4 | undefined): void {
  const dev = node.dev(devName);
  if (dev === undefined) return;
  if (dev.addresses.length === 1 && dev.addresses[0]!.addr === addr && dev.addresses[0]!.len === 32) return;
  dev.addresses.splice(0);
  if (addr !== undefined) node.addAddress(devName, { addr, len: 32 });
}
