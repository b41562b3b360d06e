/**
 * The podnet Cluster document as a validated value: the nodes with their underlay addresses, the CNI and
 * its Flannel config, the cluster and service CIDRs, cluster DNS, and the underlay between the nodes.
 * Defaults are k3s's (pkg/cli/cmds/server.go). Reading it from YAML with located errors is the scenario
 * layer's (scenario/cluster-doc.ts).
 */
import type { LinkProps } from '../link/channel.js';
import { parseCidr, parseIpv4, type Ipv4, type Ipv4Prefix } from '../wire/addr.js';
import type { FlannelBackendType, FlannelNetConf } from './flannel-net-conf.js';
import type { Labels } from './k8s-objects.js';
import type { FieldPath, Origin } from './source-ref.js';

/** apiVersion of the Cluster document. */
export const CLUSTER_API_VERSION = 'podnet.dev/v1alpha1';

/** k3s's defaults for what a Cluster may leave out. */
export const K3S_DEFAULTS = {
  /** --cluster-cidr. */
  clusterCIDR: parseCidr('10.42.0.0/16')!,
  /** --service-cidr. */
  serviceCIDR: parseCidr('10.43.0.0/16')!,
  /** --cluster-dns: the kube-dns Service's clusterIP. */
  clusterDNS: parseIpv4('10.43.0.10')!,
  /** --cluster-domain. */
  clusterDomain: 'cluster.local',
  /** --flannel-backend. */
  flannelBackend: 'vxlan' as FlannelBackendType,
  /** kube-controller-manager's --node-cidr-mask-size: each node's podCIDR. */
  nodeCIDRMaskSize: 24,
  /** The kubelet's --max-pods (KubeletConfiguration maxPods): pods a node runs, k3s leaves it at 110. */
  maxPodsPerNode: 110,
  /** --service-node-port-range. */
  nodePortRange: { min: 30000, max: 32767 },
} as const;

/** k3s's packaged components that `disable` may name (k3s --disable); podnet builds CoreDNS and Traefik so far. */
export const K3S_COMPONENTS = [
  'coredns',
  'servicelb',
  'traefik',
  'local-storage',
  'metrics-server',
  // k3s --disable-network-policy: no kube-router network policy controller on a Flannel cluster
  'network-policy',
] as const;

/** A packaged component. */
export type K3sComponent = (typeof K3S_COMPONENTS)[number];

/** A k3s node: a server (runs the control plane, and workloads too) or an agent. */
export interface ClusterNodeSpec {
  name: string;
  /** Underlay address with its prefix, e.g. 192.168.56.11/24 (Flannel's PublicIP). */
  address: Ipv4Prefix;
  role: 'server' | 'agent';
  /** Labels given in the document (k3s's own node labels are added by the plan). */
  labels: Labels;
  /** Path of this node in the Cluster document, for located problems. */
  path: FieldPath;
}

/** The network between the nodes. */
export type UnderlaySpec =
  | {
      /** All nodes on one L2 segment (one switch): the default. */
      type: 'switch';
      link: Partial<LinkProps>;
    }
  | {
      /** Nodes in several subnets, one switch each, joined by a router with one address per subnet. */
      type: 'routed';
      /** The router's address in each node subnet, in order of first appearance. */
      gateways: Ipv4Prefix[];
      link: Partial<LinkProps>;
    };

/**
 * The `internet` router (spec.internet): the nodes' default gateway, standing in for every address outside
 * the underlay (it answers ping to any of them, and accepts TCP on any port), with the upstream
 * DNS server the nodes' resolv.conf names. On a routed underlay the underlay's router plays this part.
 */
export interface InternetSpec {
  /** Its address on a switch underlay (default: the lowest address of the nodes' subnet no host uses). */
  address: Ipv4Prefix;
  /** Names its DNS server answers (A records); every other name is NXDOMAIN. */
  dns: { name: string; ip: Ipv4 }[];
}

/** A machine outside the cluster on the underlay (spec.outsideClients), e.g. a laptop reaching NodePorts. */
export interface OutsideClientSpec {
  name: string;
  /** Its address with prefix, in one of the nodes' subnets; its default route goes to the internet router. */
  address: Ipv4Prefix;
  path: FieldPath;
}

/** How a Calico IP pool carries traffic between nodes (projectcalico.org/v3 IPPool ipipMode, vxlanMode). */
export type CalicoEncapMode = 'Always' | 'CrossSubnet' | 'Never';

/** The encapsulation modes, in the order Calico's API lists them. */
export const CALICO_ENCAP_MODES: readonly CalicoEncapMode[] = ['Always', 'CrossSubnet', 'Never'];

/**
 * The default IP pool calico-node creates at first start when no IPPool exists
 * (node/pkg/lifecycle/startup/startup.go), from calico-node's environment as Calico's calico.yaml sets it.
 */
export interface CalicoClusterSpec {
  /** CALICO_IPV4POOL_IPIP: calico.yaml sets "Always" (an empty value would mean Never). */
  ipipMode: CalicoEncapMode;
  /** CALICO_IPV4POOL_VXLAN: calico.yaml sets "Never". */
  vxlanMode: CalicoEncapMode;
  /** CALICO_IPV4POOL_NAT_OUTGOING: true by default for IPv4. */
  natOutgoing: boolean;
  /** CALICO_IPV4POOL_BLOCK_SIZE: 26. */
  blockSize: number;
}

/** Calico's defaults (calico.yaml and startup.go): the pool 192.168.0.0/16 in /26 blocks, IP-in-IP always. */
export const CALICO_DEFAULTS = {
  /** CALICO_IPV4POOL_CIDR's default, and so the cluster CIDR k3s's Calico guide tells users to pass. */
  poolCIDR: parseCidr('192.168.0.0/16')!,
  ipipMode: 'Always' as CalicoEncapMode,
  vxlanMode: 'Never' as CalicoEncapMode,
  natOutgoing: true,
  blockSize: 26,
} as const;

/** A validated Cluster document. */
export interface ClusterSpec {
  name: string;
  seed: number;
  nodes: ClusterNodeSpec[];
  /** The CNI: Flannel (k3s's own) or Calico (k3s with --flannel-backend=none and Calico's manifests). */
  cni: 'flannel' | 'calico';
  /** With cni: calico, the default IP pool's settings (calico.yaml's CALICO_IPV4POOL_* of calico-node). */
  calico?: CalicoClusterSpec;
  flannel: {
    backend: FlannelBackendType;
    /** The config flanneld runs with: given as spec.flannel.netConf, or what k3s writes from clusterCIDR and backend. */
    netConf: FlannelNetConf;
    /** The net-conf.json text (as given, or as k3s would write it). */
    netConfText: string;
  };
  clusterCIDR: Ipv4Prefix;
  /**
   * Prefix length of each node's podCIDR, carved from clusterCIDR by kube-controller-manager in node order
   * (the first node gets the first subnet). Flannel in k3s runs with --kube-subnet-mgr and takes that
   * subnet; net-conf.json's SubnetLen/Min/Max matter only to Flannel's etcd subnet manager.
   */
  nodeCIDRMaskSize: number;
  /**
   * The kubelet's max-pods on every node (its Node's status.allocatable.pods): the scheduler binds no more
   * pods than this to a node (NodeResourcesFit's "Too many pods"). hostNetwork pods count too.
   */
  maxPodsPerNode: number;
  serviceCIDR: Ipv4Prefix;
  clusterDNS: Ipv4;
  clusterDomain: string;
  nodePortRange: { min: number; max: number };
  /** Packaged components turned off. */
  disable: K3sComponent[];
  underlay: UnderlaySpec;
  internet: InternetSpec;
  outsideClients: OutsideClientSpec[];
  origin: Origin;
}

/**
 * The labels k3s (kubelet plus k3s's own) puts on a node: hostname, OS and arch, instance type, and the
 * control-plane/master roles on servers. User labels from the Cluster document are added on top.
 */
export function k3sNodeLabels(node: Pick<ClusterNodeSpec, 'name' | 'role' | 'labels'>): Record<string, string> {
  const out: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/instance-type': 'k3s',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': node.name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': 'k3s',
  };
  if (node.role === 'server') {
    out['node-role.kubernetes.io/control-plane'] = 'true';
    out['node-role.kubernetes.io/master'] = 'true';
  }
  return { ...out, ...node.labels };
}
