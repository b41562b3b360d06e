/**
 * The plan's types: what cluster/plan.ts decides about nodes, pods and services, for the builder (control/)
 * that turns it into devices, addresses and rules. Pod IPs are not here: IPAM assigns them at build time.
 */
import type { Ipv4, Ipv4Prefix } from '../wire/addr.js';
import type { ClusterSpec } from './cluster-spec.js';
import type { CalicoObject } from './calico-resources.js';
import type { Ingress, Labels, NetworkPolicy, PodSpec, ServicePort, ServiceType } from './k8s-objects.js';
import type { PlanWarning } from './cluster-warnings.js';
import type { PlannedServiceLb } from './servicelb.js';
import type { Origin, Problem } from './source-ref.js';

/** A node of the plan. */
export interface PlannedNode {
  name: string;
  address: Ipv4Prefix;
  role: 'server' | 'agent';
  /** k3s's node labels plus the document's. */
  labels: Labels;
  /** Pods bound to it, as 'namespace/name', in the order of ClusterPlan.pods. */
  pods: string[];
}

/** A pod of the plan. */
export interface PlannedPod {
  namespace: string;
  name: string;
  labels: Labels;
  annotations: Labels;
  spec: PodSpec;
  /** The node it runs on; absent while Pending. */
  node?: string;
  /** Why no node took it (kube-scheduler's wording). */
  pendingReason?: string;
  /** For Deployment replicas: the ReplicaSet `<deployment>-<hash>` that owns it. */
  owner?: { kind: 'ReplicaSet'; name: string; deployment: string; podTemplateHash: string };
  /** For ServiceLB's pods: the DaemonSet that owns them (servicelb.ts). */
  daemonSet?: string;
  /** Added by podnet as k3s adds it (CoreDNS). */
  builtin: boolean;
  /** The Pod or Deployment it came from. */
  origin: Origin;
}

/** One endpoint of a service port: a pod (or, for the kubernetes Service, a server node) and the port it listens on. */
export interface PlannedEndpoint {
  /** Pod name (in the service's namespace); absent for node endpoints (the API server on each server). */
  pod?: string;
  /** The node the pod runs on, or the node itself. */
  node: string;
  /** Resolved target port. */
  port: number;
  /** The endpoint's address is its node's (hostNetwork pod, or a node endpoint). */
  hostNetwork: boolean;
}

/** A Deployment of the plan: its ReplicaSet and the pod it makes (scaling and replacing pods use it). */
export interface PlannedDeployment {
  namespace: string;
  name: string;
  replicas: number;
  /** A pod of the ReplicaSet as it is made, before it gets a name and a node. */
  template: Omit<PlannedPod, 'name' | 'node' | 'pendingReason'>;
}

/** A service port of the plan. */
export interface PlannedServicePort extends ServicePort {
  /** Ready pods selected by the service, in pod order, with the targetPort resolved per pod. */
  endpoints: PlannedEndpoint[];
}

/** A Service of the plan. */
export interface PlannedService {
  namespace: string;
  name: string;
  type: ServiceType;
  labels: Labels;
  /** Allocated or as written; absent for headless and ExternalName services. */
  clusterIP?: Ipv4;
  headless: boolean;
  selector?: Labels;
  ports: PlannedServicePort[];
  sessionAffinity: 'None' | 'ClientIP';
  sessionAffinityTimeoutSeconds: number;
  externalTrafficPolicy?: 'Cluster' | 'Local';
  internalTrafficPolicy: 'Cluster' | 'Local';
  externalName?: string;
  externalIPs: Ipv4[];
  /** spec.loadBalancerSourceRanges (LoadBalancer only); absent: every source. */
  loadBalancerSourceRanges?: Ipv4Prefix[];
  healthCheckNodePort?: number;
  /** Not-ready pods are published as ready endpoints too (spec.publishNotReadyAddresses). */
  publishNotReadyAddresses?: boolean;
  builtin: boolean;
  origin: Origin;
}

/** What the cluster runs. */
export interface ClusterPlan {
  cluster: ClusterSpec;
  /** Sorted. */
  namespaces: string[];
  /**
   * Each namespace's labels, with kubernetes.io/metadata.name=<name> as the API server sets it (what a
   * NetworkPolicy's namespaceSelector matches).
   */
  namespaceLabels: Map<string, Labels>;
  /** In document order. */
  nodes: PlannedNode[];
  /** Built-in pods first, then in manifest order (a Deployment's replicas together). */
  pods: PlannedPod[];
  /** kubernetes and kube-dns first, then in manifest order. */
  services: PlannedService[];
  /** Built-in ones first, then in manifest order. */
  deployments: PlannedDeployment[];
  /** k3s ServiceLB's DaemonSets, one per LoadBalancer Service (servicelb.ts); their pods are in `pods`. */
  serviceLbs: PlannedServiceLb[];
  networkPolicies: NetworkPolicy[];
  ingresses: Ingress[];
  /** projectcalico.org/v3 resources (IPPool, BGPConfiguration, BGPPeer, FelixConfiguration, Node), in manifest order. */
  calicoResources: CalicoObject[];
  /** Things that work but probably not as meant: Pending pods, services without endpoints, ... */
  warnings: PlanWarning[];
}

/** planCluster's outcome. */
export type PlanResult = { ok: true; plan: ClusterPlan } | { ok: false; errors: Problem[]; warnings: PlanWarning[] };
