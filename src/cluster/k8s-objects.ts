/**
 * The Kubernetes objects podnet understands, as validated values with the API server's defaults applied
 * (namespace "default", protocol TCP, targetPort = port, Service type ClusterIP, ...). Reading them out of
 * YAML and reporting located errors is the scenario layer's; turning them into nodes, pods and services is
 * plan.ts's. Field names follow the Kubernetes API so a reader can map each one back to the manifest.
 */
import type { Ipv4, Ipv4Prefix } from '../wire/addr.js';
import type { CalicoObject } from './calico-resources.js';
import type { Origin } from './source-ref.js';

/** L4 protocols of container, service and policy ports. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** Label maps: metadata.labels, selectors' matchLabels, nodeSelector. */
export type Labels = Readonly<Record<string, string>>;

/** The parts of metadata podnet uses. */
export interface ObjectMeta {
  name: string;
  /** "default" when the manifest leaves it out; "" for cluster-scoped objects (Namespace). */
  namespace: string;
  labels: Labels;
  annotations: Labels;
}

/** A selector requirement (metav1.LabelSelectorRequirement). */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  /** Non-empty for In and NotIn, empty for Exists and DoesNotExist. */
  values: string[];
}

/** metav1.LabelSelector: matchLabels AND matchExpressions; an empty selector selects everything. */
export interface LabelSelector {
  matchLabels: Labels;
  matchExpressions: LabelSelectorRequirement[];
}

/** A port a container listens on (v1.ContainerPort). */
export interface ContainerPort {
  /** IANA_SVC_NAME, referenced by a Service's targetPort or a NetworkPolicy port; absent when unnamed. */
  name?: string;
  containerPort: number;
  protocol: Protocol;
  /** Port on the node (with hostNetwork: always the containerPort). */
  hostPort?: number;
  hostIP?: Ipv4;
}

/** What a probe does (v1.ProbeHandler): podnet's kubelet sends httpGet and tcpSocket; exec and grpc are kept typed. */
export type ProbeAction =
  | {
      type: 'httpGet';
      path: string;
      port: number | string;
      host?: Ipv4;
      scheme: 'HTTP' | 'HTTPS';
      headers: [string, string][];
    }
  | { type: 'tcpSocket'; port: number | string; host?: Ipv4 }
  | { type: 'exec'; command: string[] }
  | { type: 'grpc'; port: number; service?: string };

/** v1.Probe with the API server's defaults (period 10 s, timeout 1 s, success 1, failure 3, delay 0). */
export interface Probe {
  action: ProbeAction;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/** v1.EnvVar: a literal value, or a field of the pod the kubelet fills in (`status.hostIPs`, `status.podIP`). */
export type EnvVar = { name: string; value: string } | { name: string; valueFrom: { fieldRef: { fieldPath: string } } };

/** A container: podnet cares about its ports, and runs its image's behaviour with its command and args. */
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports: ContainerPort[];
  /** Environment variables, in order (podnet's own pods set them; manifests' env is not read yet). */
  env?: EnvVar[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}

/** v1.PodSpec, the parts that matter to the network. */
export interface PodSpec {
  /** Pinned to this node: the scheduler is bypassed, as with kubelet. */
  nodeName?: string;
  nodeSelector: Labels;
  /** The pod shares its node's network namespace (and address). */
  hostNetwork: boolean;
  /** Default ClusterFirst: resolv.conf points at the cluster DNS (for hostNetwork pods only with ClusterFirstWithHostNet). */
  dnsPolicy: 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  hostname?: string;
  subdomain?: string;
  /** Nameservers, searches and options merged into (or, with dnsPolicy None, making) the pod's resolv.conf. */
  dnsConfig?: PodDnsConfig;
  /** Extra /etc/hosts entries (v1.HostAlias), in order. */
  hostAliases: HostAlias[];
  containers: Container[];
}

/** v1.PodDNSConfig. */
export interface PodDnsConfig {
  nameservers: Ipv4[];
  searches: string[];
  /** v1.PodDNSConfigOption: `value` absent for a flag option (rotate). */
  options: { name: string; value?: string }[];
}

/** v1.HostAlias: one address and the names /etc/hosts gives it. */
export interface HostAlias {
  ip: Ipv4;
  hostnames: string[];
}

/** v1 Namespace. */
export interface Namespace {
  kind: 'Namespace';
  metadata: ObjectMeta;
  origin: Origin;
}

/** v1 Pod. */
export interface Pod {
  kind: 'Pod';
  metadata: ObjectMeta;
  spec: PodSpec;
  origin: Origin;
}

/** apps/v1 Deployment: `replicas` pods from `template`, selected by `selector` (which matches the template's labels). */
export interface Deployment {
  kind: 'Deployment';
  metadata: ObjectMeta;
  /** Default 1. */
  replicas: number;
  selector: LabelSelector;
  template: { labels: Labels; annotations: Labels; spec: PodSpec };
  origin: Origin;
}

/** Service types. */
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';

/** v1.ServicePort with defaults applied. */
export interface ServicePort {
  /** '' when the Service has a single unnamed port. */
  name: string;
  protocol: Protocol;
  port: number;
  /** A container port number, or the name of a container port (resolved per pod). Defaults to `port`. */
  targetPort: number | string;
  /** As written; allocated by the plan for NodePort and LoadBalancer services when absent. */
  nodePort?: number;
  appProtocol?: string;
}

/** v1 Service. */
export interface Service {
  kind: 'Service';
  metadata: ObjectMeta;
  spec: {
    type: ServiceType;
    /** As written: an address, 'None' (headless), or absent (allocated by the plan). */
    clusterIP?: Ipv4 | 'None';
    /** Absent: a Service without a selector (its endpoints are managed by hand; podnet gives it none). */
    selector?: Labels;
    ports: ServicePort[];
    sessionAffinity: 'None' | 'ClientIP';
    /** sessionAffinityConfig.clientIP.timeoutSeconds: 10800 unless given (kube-proxy's DefaultClientIPServiceAffinitySeconds). */
    sessionAffinityTimeoutSeconds: number;
    /** Only for NodePort and LoadBalancer (default Cluster there); absent otherwise. */
    externalTrafficPolicy?: 'Cluster' | 'Local';
    internalTrafficPolicy: 'Cluster' | 'Local';
    /** Only for type ExternalName. */
    externalName?: string;
    externalIPs: Ipv4[];
    /** LoadBalancer with externalTrafficPolicy Local; allocated by the plan when absent. */
    healthCheckNodePort?: number;
    publishNotReadyAddresses: boolean;
    /** LoadBalancer only; default true. */
    allocateLoadBalancerNodePorts: boolean;
    /** LoadBalancer only: the sources kube-proxy lets reach the load-balancer IPs (masked); absent: all. */
    loadBalancerSourceRanges?: Ipv4Prefix[];
  };
  origin: Origin;
}

/** A NetworkPolicy peer: ipBlock alone, or podSelector and/or namespaceSelector (ANDed). */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: Ipv4Prefix; except: Ipv4Prefix[] };
}

/** A NetworkPolicy port: protocol (TCP), port number or named port (absent: all), endPort for a range. */
export interface NetworkPolicyPort {
  protocol: Protocol;
  port?: number | string;
  endPort?: number;
}

/** One ingress or egress rule. `peers` empty: every source/destination; `ports` empty: every port. */
export interface NetworkPolicyRule {
  peers: NetworkPolicyPeer[];
  ports: NetworkPolicyPort[];
}

/** networking.k8s.io/v1 NetworkPolicy (enforced by a later CNI; kept typed here). */
export interface NetworkPolicy {
  kind: 'NetworkPolicy';
  metadata: ObjectMeta;
  spec: {
    /** Selects the pods the policy isolates; empty selects every pod of the namespace. */
    podSelector: LabelSelector;
    /** Default [Ingress], plus Egress when egress rules are present (the API server's defaulting). */
    policyTypes: ('Ingress' | 'Egress')[];
    ingress: NetworkPolicyRule[];
    egress: NetworkPolicyRule[];
  };
  origin: Origin;
}

/** An Ingress backend: a Service port (by number or name), or a resource reference. */
export type IngressBackend =
  | { service: { name: string; port: { number: number } | { name: string } } }
  | { resource: { apiGroup?: string; kind: string; name: string } };

/** One path of an Ingress rule. */
export interface IngressPath {
  /** Absent means every path (allowed only for ImplementationSpecific). */
  path?: string;
  pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  backend: IngressBackend;
}

/** networking.k8s.io/v1 Ingress (served by a later ingress controller; kept typed here). */
export interface Ingress {
  kind: 'Ingress';
  metadata: ObjectMeta;
  spec: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    /** `host` absent: every host. */
    rules: { host?: string; paths: IngressPath[] }[];
    tls: { hosts: string[]; secretName?: string }[];
  };
  origin: Origin;
}

/** Every Kubernetes object podnet reads. */
export type K8sObject = Namespace | Pod | Deployment | Service | NetworkPolicy | Ingress | CalicoObject;

/** A manifest object of a kind podnet does not handle yet: kept by name so it is reported, never dropped silently. */
export interface NotHandled {
  kind: string;
  apiVersion: string;
  /** metadata.name when it has one. */
  name?: string;
  /** metadata.namespace when it has one. */
  namespace?: string;
  file: string;
  line: number;
  col: number;
  /** `kind DaemonSet (apps/v1) at app.yaml:40 is not handled by podnet yet: ignored`. */
  message: string;
}
