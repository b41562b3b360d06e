/**
 * What Felix's per-node dataplane is told (a plain value the cluster builds from Calico's resources and
 * IPAM and feeds again when they change), and the defaults it takes from FelixConfiguration. Felix itself
 * is felix.ts; its iptables and ipsets are felix-nat.ts; the route choice BIRD makes is bird-routes.ts.
 */
import { prefixMask, type Ipv4, type Ipv4Prefix, type Mac } from '../../wire/addr.js';

/** An IPv4 prefix (a pool, a block). */
export type Cidr = Ipv4Prefix;

/** An IPPool's encapsulation modes (projectcalico.org/v3 IPPool ipipMode / vxlanMode). */
export type EncapMode = 'Always' | 'CrossSubnet' | 'Never';

/** The IPPool fields Felix acts on. */
export interface FelixPool {
  name: string;
  cidr: Cidr;
  ipipMode: EncapMode;
  vxlanMode: EncapMode;
  natOutgoing: boolean;
  disabled: boolean;
}

/** Another Calico node, as Felix learns it from the datastore. */
export interface FelixPeer {
  name: string;
  /** Its underlay address (Node spec.bgp.ipv4Address without the length). */
  address: Ipv4;
  /** The blocks affine to it. */
  blocks: Cidr[];
  /** Its VXLAN tunnel address and VTEP MAC (Node spec.ipv4VXLANTunnelAddr, vxlanTunnelMACAddr), if it has one. */
  vxlan?: { tunnelAddr: Ipv4; mac?: Mac };
}

/** The FelixConfiguration values the dataplane uses, with Felix's defaults. */
export interface FelixConfig {
  /** vxlanVNI, default 4096. */
  vxlanVni: number;
  /** vxlanPort, default 4789. */
  vxlanPort: number;
  /** ipipMTU: 1480 over a 1500 underlay (20 bytes of outer header). */
  ipipMtu: number;
  /** vxlanMTU: 1450 over a 1500 underlay (50 bytes of overhead). */
  vxlanMtu: number;
}

/** Felix's defaults (felix/config/config_params.go, with a 1500-byte underlay). */
export const DEFAULT_FELIX_CONFIG: FelixConfig = { vxlanVni: 4096, vxlanPort: 4789, ipipMtu: 1480, vxlanMtu: 1450 };

/**
 * CALICO_NETWORKING_BACKEND: `bird` (BGP; BIRD exports the block blackholes and programs IPIP and
 * unencapsulated routes) or `vxlan` (no BGP; Felix programs everything, its routes with proto 80).
 */
export type NetworkingBackend = 'bird' | 'vxlan';

/** Everything Felix on one node is given. */
export interface FelixState {
  nodeName: string;
  /** The node's underlay address and the length of its subnet (172.171.5.95/24). */
  address: Ipv4;
  subnetLen: number;
  /** The underlay device (eth0). */
  device: string;
  backend: NetworkingBackend;
  pools: FelixPool[];
  /** The blocks affine to this node. */
  blocks: Cidr[];
  /** tunl0's address (IPAM handle ipip-tunnel-addr-<node>), when some pool uses IPIP. */
  ipipTunnelAddr?: Ipv4;
  /** vxlan.calico's address and MAC (the MAC defaults to the one Felix derives from the node name). */
  vxlanTunnelAddr?: Ipv4;
  vxlanMac?: Mac;
  peers: FelixPeer[];
  /** Addresses borrowed from another node's block, with the node whose pod has each. */
  borrowed: { ip: Ipv4; node: string }[];
  config?: Partial<FelixConfig>;
}

/** True when `ip` is inside `c`. */
export function cidrContains(c: Cidr, ip: Ipv4): boolean {
  return (ip & prefixMask(c.len)) >>> 0 === (c.addr & prefixMask(c.len)) >>> 0;
}

/** The enabled pool a block (or address) belongs to. */
export function poolOf(pools: readonly FelixPool[], p: Cidr): FelixPool | undefined {
  return pools.find((pool) => !pool.disabled && pool.cidr.len <= p.len && cidrContains(pool.cidr, p.addr));
}

/** True when two addresses are in the same subnet of length `len` (Calico's CrossSubnet test). */
export function sameSubnet(a: Ipv4, b: Ipv4, len: number): boolean {
  return (a & prefixMask(len)) >>> 0 === (b & prefixMask(len)) >>> 0;
}
