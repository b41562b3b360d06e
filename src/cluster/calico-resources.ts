/**
 * Calico's own resources (projectcalico.org/v3, also read in their crd.projectcalico.org/v1 CRD form) as
 * typed values with Calico's defaults applied: IPPool, BGPConfiguration, BGPPeer, FelixConfiguration and the
 * Calico Node. Field names and defaults are those of api/pkg/apis/projectcalico/v3 (ippool.go, bgpconfig.go,
 * bgppeer.go, felixconfig.go), libcalico-go's clientv3 defaulting (ippool.go convertIpPoolFromStorage) and
 * node/pkg/lifecycle/startup/startup.go for the pool calico-node creates when none exists. Reading them from
 * YAML, with located errors, is scenario/manifest-calico.ts's; using them is the Calico control plane's.
 */
import type { Ipv4, Ipv4Prefix } from '../wire/addr.js';
import type { IpPool, IpPoolUse } from '../control/calico/ipam.js';
import type { ObjectMeta } from './k8s-objects.js';
import type { Origin } from './source-ref.js';

/** The apiVersions Calico resources are read at: calicoctl's and the CRDs' (both are common in manifests). */
export const CALICO_API_VERSIONS = ['projectcalico.org/v3', 'crd.projectcalico.org/v1'] as const;

/** IPPool ipipMode / vxlanMode. */
export type EncapMode = 'Always' | 'CrossSubnet' | 'Never';

/** projectcalico.org/v3 IPPool spec, defaulted as clientv3 does. */
export interface CalicoIpPool extends IpPool {
  /** Default Never (clientv3); the pool calico-node creates from calico.yaml is Always (defaultIpPool). */
  readonly ipipMode: EncapMode;
  /** Default Never. */
  readonly vxlanMode: EncapMode;
  /** Default false (the default pool: true). */
  readonly natOutgoing: boolean;
  readonly disableBGPExport: boolean;
}

/** The `default` BGPConfiguration's defaults (bgpconfig.go; AS 64512 is confd's default). */
export interface BgpConfiguration {
  readonly name: string;
  /** Default 64512. */
  readonly asNumber: number;
  /** Default true. */
  readonly nodeToNodeMeshEnabled: boolean;
  /** Default Info. */
  readonly logSeverityScreen: string;
  readonly serviceClusterIPs: readonly Ipv4Prefix[];
  readonly serviceExternalIPs: readonly Ipv4Prefix[];
  readonly serviceLoadBalancerIPs: readonly Ipv4Prefix[];
  /** Default 179. */
  readonly listenPort: number;
}

/** projectcalico.org/v3 BGPPeer. */
export interface BgpPeer {
  readonly name: string;
  /** Peer with this address (`peerIP`, which may carry `:port`). */
  readonly peerIP?: Ipv4;
  /** The port of `peerIP:port`; absent means 179. */
  readonly peerPort?: number;
  readonly asNumber?: number;
  /** Only this node peers (`node`). */
  readonly node?: string;
  /** The nodes that peer (selector text); absent with `node` absent means every node. */
  readonly nodeSelector?: string;
  /** Peer with the Calico nodes this selects, instead of `peerIP`. */
  readonly peerSelector?: string;
  readonly keepOriginalNextHop: boolean;
}

/** The FelixConfiguration fields podnet's Felix uses, with Felix's defaults. */
export interface FelixConfiguration {
  readonly name: string;
  /** Absent: Felix decides from the pools. */
  readonly ipipEnabled?: boolean;
  readonly vxlanEnabled?: boolean;
  /** Default 4096. */
  readonly vxlanVNI: number;
  /** Default 4789. */
  readonly vxlanPort: number;
  /** Absent: Felix derives it from the host MTU (minus 20). */
  readonly ipipMTU?: number;
  /** Absent: host MTU minus 50. */
  readonly vxlanMTU?: number;
  readonly natOutgoingAddress?: Ipv4;
  /** Default Auto. */
  readonly iptablesBackend: 'Legacy' | 'NFT' | 'Auto';
}

/** projectcalico.org/v3 Node: a Calico node's BGP identity. */
export interface CalicoNodeSpec {
  readonly bgp?: {
    /** The node's address with its prefix length (a CIDR, as calico-node writes it). */
    readonly ipv4Address?: Ipv4Prefix;
    readonly ipv4IPIPTunnelAddr?: Ipv4;
    readonly asNumber?: number;
    readonly routeReflectorClusterID?: Ipv4;
  };
  readonly ipv4VXLANTunnelAddr?: Ipv4;
}

/** A port of a Calico rule (numorstring.Port): a number, a range "80:90", or a named port. */
export type CalicoPort = { first: number; last: number } | { name: string };

/** One side of a Calico rule (v3 EntityRule). Selectors are in Calico's syntax ('' when absent). */
export interface CalicoEntityRule {
  readonly selector: string;
  readonly namespaceSelector: string;
  readonly notSelector: string;
  readonly nets: readonly Ipv4Prefix[];
  readonly notNets: readonly Ipv4Prefix[];
  readonly ports: readonly CalicoPort[];
  readonly notPorts: readonly CalicoPort[];
}

/** One rule of a Calico policy (v3 Rule). */
export interface CalicoRule {
  readonly action: 'Allow' | 'Deny' | 'Log' | 'Pass';
  /** TCP, UDP, SCTP, ICMP (as written, upper case) or a number. */
  readonly protocol?: string | number;
  readonly notProtocol?: string | number;
  readonly source: CalicoEntityRule;
  readonly destination: CalicoEntityRule;
}

/**
 * projectcalico.org/v3 NetworkPolicy and GlobalNetworkPolicy spec (policy.go). `types` defaulted as the API
 * server defaults it: Ingress, plus Egress when there are egress rules.
 */
export interface CalicoPolicySpec {
  /** Only `default` is emulated. */
  readonly tier: string;
  readonly order?: number;
  readonly selector: string;
  readonly types: readonly ('Ingress' | 'Egress')[];
  readonly ingress: readonly CalicoRule[];
  readonly egress: readonly CalicoRule[];
}

/**
 * A Calico resource read from a manifest. All but CalicoNetworkPolicy are cluster-scoped (metadata.namespace
 * ''). The projectcalico Node is kind `CalicoNode` here, so it never meets a Kubernetes v1 Node under one
 * name; projectcalico.org/v3 NetworkPolicy is `CalicoNetworkPolicy`, apart from networking.k8s.io's.
 */
export type CalicoObject =
  | { kind: 'IPPool'; metadata: ObjectMeta; spec: CalicoIpPool; origin: Origin }
  | { kind: 'BGPConfiguration'; metadata: ObjectMeta; spec: BgpConfiguration; origin: Origin }
  | { kind: 'BGPPeer'; metadata: ObjectMeta; spec: BgpPeer; origin: Origin }
  | { kind: 'FelixConfiguration'; metadata: ObjectMeta; spec: FelixConfiguration; origin: Origin }
  | { kind: 'CalicoNode'; metadata: ObjectMeta; spec: CalicoNodeSpec; origin: Origin }
  | { kind: 'CalicoNetworkPolicy'; metadata: ObjectMeta; spec: CalicoPolicySpec; origin: Origin }
  | { kind: 'GlobalNetworkPolicy'; metadata: ObjectMeta; spec: CalicoPolicySpec; origin: Origin };

/** The kinds of Calico's resources (the projectcalico Node is `CalicoNode`). */
const CALICO_KINDS: ReadonlySet<string> = new Set([
  'IPPool',
  'BGPConfiguration',
  'BGPPeer',
  'FelixConfiguration',
  'CalicoNode',
  'CalicoNetworkPolicy',
  'GlobalNetworkPolicy',
]);

/** True for a Calico resource. */
export function isCalicoObject(o: { kind: string }): o is CalicoObject {
  return CALICO_KINDS.has(o.kind);
}

/** IPPool allowedUses' default (clientv3): Workload and Tunnel. */
export const DEFAULT_ALLOWED_USES: readonly IpPoolUse[] = ['Workload', 'Tunnel'];

/**
 * The pool calico-node creates when there is none (startup.go): `default-ipv4-ippool`, CALICO_IPV4POOL_CIDR
 * (default 192.168.0.0/16), blockSize 26, natOutgoing true. Its IPIP mode comes from CALICO_IPV4POOL_IPIP:
 * empty means Never in the code, but the calico.yaml manifest most clusters apply sets Always (and VXLAN
 * Never); podnet follows the manifest.
 */
export function defaultIpPool(cidr: Ipv4Prefix = { addr: 0xc0a8_0000, len: 16 }): CalicoIpPool {
  return {
    name: 'default-ipv4-ippool',
    cidr,
    blockSize: 26,
    nodeSelector: 'all()',
    disabled: false,
    allowedUses: DEFAULT_ALLOWED_USES,
    ipipMode: 'Always',
    vxlanMode: 'Never',
    natOutgoing: true,
    disableBGPExport: false,
  };
}

/** The BGPConfiguration in force when there is no `default` one. */
export function defaultBgpConfiguration(): BgpConfiguration {
  return {
    name: 'default',
    asNumber: 64512,
    nodeToNodeMeshEnabled: true,
    logSeverityScreen: 'Info',
    serviceClusterIPs: [],
    serviceExternalIPs: [],
    serviceLoadBalancerIPs: [],
    listenPort: 179,
  };
}

/** The FelixConfiguration in force when there is no `default` one. */
export function defaultFelixConfiguration(): FelixConfiguration {
  return { name: 'default', vxlanVNI: 4096, vxlanPort: 4789, iptablesBackend: 'Auto' };
}
