/**
 * What the `kubernetes` DNS plugin reads about a cluster: namespaces, Services with their ports and
 * endpoints, and pods, as CoreDNS's plugin/kubernetes reads them from the API (Services, EndpointSlices,
 * Namespaces, Pods). apps/ cannot see the cluster layer, so the cluster builds this view and hands it over
 * through the image environment (images/registry.ts); the plugin asks for a fresh view on every query, so
 * readiness changes and added or removed pods are seen at once.
 */
import type { Ipv4 } from '../../wire/addr.js';

/** A Service port, or an EndpointSlice port (its `port` then the resolved target port). */
export interface KubeDnsPort {
  /** '' for the single unnamed port of a Service. */
  readonly name: string;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly port: number;
}

/** One endpoint of a Service (an EndpointSlice endpoint with one IPv4 address). */
export interface KubeDnsEndpoint {
  readonly ip: Ipv4;
  /** The endpoint's hostname: the pod's spec.hostname when its spec.subdomain names the Service. */
  readonly hostname?: string;
  /** conditions.ready: only ready endpoints are published (CoreDNS endpointsliceReady). */
  readonly ready: boolean;
  readonly nodeName?: string;
  /** targetRef.name: the pod behind it. */
  readonly podName?: string;
  /** The endpoint's ports, target ports resolved (none: CoreDNS's sentinel port -1). */
  readonly ports: readonly KubeDnsPort[];
}

/** A Service as DNS sees it. */
export interface KubeDnsService {
  readonly namespace: string;
  readonly name: string;
  readonly type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  /** Absent for headless and ExternalName Services. */
  readonly clusterIP?: Ipv4;
  /** spec.clusterIP: None. */
  readonly headless: boolean;
  /** spec.externalName, for type ExternalName. */
  readonly externalName?: string;
  readonly ports: readonly KubeDnsPort[];
  /** Every endpoint, ready or not, in a fixed order. */
  readonly endpoints: readonly KubeDnsEndpoint[];
}

/** A running pod, for `pods verified`. */
export interface KubeDnsPod {
  readonly namespace: string;
  readonly name: string;
  readonly ip: Ipv4;
}

/** The cluster as the plugin sees it at one moment. */
export interface KubernetesView {
  /** Existing namespaces (CoreDNS answers NXDOMAIN below a namespace that does not exist). */
  readonly namespaces: readonly string[];
  readonly services: readonly KubeDnsService[];
  readonly pods: readonly KubeDnsPod[];
  /** The SOA serial: CoreDNS uses the Unix time of the last change it saw from the API. */
  readonly serial: number;
}
