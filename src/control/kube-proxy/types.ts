/**
 * What kube-proxy reads, in its own terms (it follows Services, EndpointSlices and its Node, never the
 * cluster builder): service ports with their addresses and policies, endpoints with their conditions and
 * node, and the node it runs on. The cluster layer fills these from the running cluster.
 */
import type { Ipv4, Ipv4Prefix } from '../../wire/addr.js';

/** One port of a Service, as kube-proxy's ServicePort sees it. */
export interface ProxyServicePort {
  namespace: string;
  /** The Service's name. */
  service: string;
  /** The port's name; '' for a Service's single unnamed port. */
  portName: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  port: number;
  clusterIP: Ipv4;
  /** 0 when the Service has none (ClusterIP type). */
  nodePort: number;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  externalTrafficPolicy: 'Cluster' | 'Local';
  internalTrafficPolicy: 'Cluster' | 'Local';
  sessionAffinity: 'None' | 'ClientIP';
  /** sessionAffinityConfig.clientIP.timeoutSeconds (10800 by default). */
  stickyMaxAgeSeconds: number;
  externalIPs: Ipv4[];
  /** status.loadBalancer.ingress IPs. */
  loadBalancerIPs: Ipv4[];
  /** spec.loadBalancerSourceRanges, network addresses masked; absent or empty: no KUBE-FW- chain. */
  loadBalancerSourceRanges?: Ipv4Prefix[];
}

/** One endpoint of a service port, from an EndpointSlice (discovery.k8s.io/v1). */
export interface ProxyEndpoint {
  ip: Ipv4;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** The node it runs on (for Local traffic policies). */
  nodeName: string;
}

/** The node kube-proxy runs on. */
export interface ProxyNode {
  name: string;
  ip: Ipv4;
}

/** kube-proxy's settings (k3s's defaults). */
export interface ProxyOptions {
  /** --cluster-cidr, for detect-local-mode ClusterCIDR. */
  clusterCIDR: Ipv4Prefix;
  /** --iptables-masquerade-bit (14). */
  masqueradeBit?: number;
}

/** A service port and its endpoints. */
export interface ProxyService {
  port: ProxyServicePort;
  endpoints: ProxyEndpoint[];
}
