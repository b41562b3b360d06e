/**
 * What k3s's embedded kube-router network policy controller reads (its informers' view of the cluster,
 * reduced to what pkg/controllers/netpol uses) and what its rule generator returns. The controller's own
 * types, so this folder does not import cluster/; the cluster component (cluster/netpol-kube-router.ts)
 * fills them from the running cluster.
 */

/** A metav1.LabelSelector: matchLabels and every matchExpression must hold; empty selects everything. */
export interface KrSelector {
  matchLabels: Readonly<Record<string, string>>;
  matchExpressions: readonly {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values: readonly string[];
  }[];
}

/** The protocols a NetworkPolicy port names (the API server defaults an absent one to TCP). */
export type KrProtocol = 'TCP' | 'UDP' | 'SCTP';

/**
 * A pod kube-router acts on (isNetPolActionable: not finished, has an IP, not hostNetwork); the caller
 * leaves the others out.
 */
export interface KrPod {
  namespace: string;
  name: string;
  /** status.podIP, dotted. */
  ip: string;
  /** The node it runs on (kube-router compares status.hostIP with the node's addresses). */
  node: string;
  labels: Readonly<Record<string, string>>;
  /** Container ports, for named ports: name (may be absent), number and protocol, in spec order. */
  ports: readonly { name?: string; containerPort: number; protocol: KrProtocol }[];
}

/** A NetworkPolicy peer: ipBlock alone, or podSelector and/or namespaceSelector. */
export interface KrPeer {
  podSelector?: KrSelector;
  namespaceSelector?: KrSelector;
  /** cidr and except as the spec writes them ("10.0.0.0/8"). */
  ipBlock?: { cidr: string; except: readonly string[] };
}

/** A NetworkPolicy port: a number, a name, or absent (every port of the protocol), and endPort. */
export interface KrPort {
  protocol: KrProtocol;
  port?: number | string;
  endPort?: number;
}

/** One ingress (from) or egress (to) rule. */
export interface KrRule {
  peers: readonly KrPeer[];
  ports: readonly KrPort[];
}

/** A networking.k8s.io/v1 NetworkPolicy, policyTypes already defaulted by the API server. */
export interface KrPolicy {
  namespace: string;
  name: string;
  podSelector: KrSelector;
  policyTypes: readonly ('Ingress' | 'Egress')[];
  ingress: readonly KrRule[];
  egress: readonly KrRule[];
}

/** Everything one node's sync reads. */
export interface KrInput {
  /** The node being programmed. */
  node: string;
  /** Every actionable pod of the cluster. */
  pods: readonly KrPod[];
  /** Each namespace's labels (with kubernetes.io/metadata.name). */
  namespaces: ReadonlyMap<string, Readonly<Record<string, string>>>;
  policies: readonly KrPolicy[];
  /** --service-cluster-ip-range (k3s: its service CIDR, 10.43.0.0/16). */
  serviceClusterIPRange: string;
  /** --service-node-port-range as kube-router writes it for multiport ("30000:32767"). */
  nodePortRange: string;
  /**
   * The sync's version: strconv.FormatInt(time.Now().UnixNano(), 10) in fullPolicySync, hashed into every
   * pod and policy chain name, so each sync writes new chains and removes the old ones.
   */
  syncVersion: string;
}

/** One ipset as kube-router refreshes it: type, and its entries with their options. */
export interface KrIpset {
  name: string;
  type: 'hash:ip' | 'hash:net';
  /** Each entry's words after the set name: `10.42.0.5 timeout 0`, `10.1.0.0/16 timeout 0 nomatch`. */
  entries: string[][];
}
