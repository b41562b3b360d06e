/**
 * The objects a fresh k3s cluster has before any manifest is applied, as far as podnet models them: the
 * `kubernetes` Service in default (the API server, first address of the service CIDR, endpoints on each
 * server at 6443), and CoreDNS (k3s manifests/coredns.yaml: Deployment `coredns` and Service `kube-dns`
 * at the cluster DNS address in kube-system). Traefik, ServiceLB, metrics-server and local-storage are
 * k3s components too; later issues add them.
 */
import type { Ipv4 } from '../wire/addr.js';
import type { Deployment, Service } from './k8s-objects.js';
import { BUILTIN_ORIGIN } from './source-ref.js';

/** Namespaces every k3s cluster has. */
export const BUILTIN_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'] as const;

/** The API server's secure port, where the kubernetes Service's endpoints point. */
export const APISERVER_PORT = 6443;

/** What the API server fills in for a ClusterIP Service that says nothing more (a fresh object per Service). */
function clusterIpDefaults() {
  return {
    type: 'ClusterIP',
    sessionAffinity: 'None',
    sessionAffinityTimeoutSeconds: 10800,
    internalTrafficPolicy: 'Cluster',
    externalIPs: [],
    publishNotReadyAddresses: false,
    allocateLoadBalancerNodePorts: true,
  } satisfies Partial<Service['spec']>;
}

/** The `kubernetes` Service (no selector: its endpoints are the servers, added by the plan). */
export function kubernetesService(clusterIP: Ipv4): Service {
  return {
    kind: 'Service',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { component: 'apiserver', provider: 'kubernetes' },
      annotations: {},
    },
    spec: {
      clusterIP,
      ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: APISERVER_PORT }],
      ...clusterIpDefaults(),
    },
    origin: BUILTIN_ORIGIN,
  };
}

/** k3s's CoreDNS Deployment: one replica, labelled k8s-app=kube-dns, resolving upstream through the node (dnsPolicy Default). */
export function coreDnsDeployment(): Deployment {
  const labels = { 'k8s-app': 'kube-dns' };
  return {
    kind: 'Deployment',
    metadata: {
      name: 'coredns',
      namespace: 'kube-system',
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' },
      annotations: {},
    },
    replicas: 1,
    selector: { matchLabels: labels, matchExpressions: [] },
    template: {
      labels,
      annotations: {},
      spec: {
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        hostNetwork: false,
        dnsPolicy: 'Default',
        restartPolicy: 'Always',
        hostAliases: [],
        containers: [
          {
            name: 'coredns',
            // k3s pins a version in its manifest; podnet runs its own DNS server in its place.
            image: 'rancher/mirrored-coredns-coredns',
            args: ['-conf', '/etc/coredns/Corefile'],
            ports: [
              { name: 'dns', containerPort: 53, protocol: 'UDP' },
              { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
              { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
            ],
          },
        ],
      },
    },
    origin: BUILTIN_ORIGIN,
  };
}

/** k3s's kube-dns Service at the cluster DNS address: DNS over UDP and TCP, and CoreDNS's metrics. */
export function kubeDnsService(clusterDNS: Ipv4): Service {
  return {
    kind: 'Service',
    metadata: {
      name: 'kube-dns',
      namespace: 'kube-system',
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
      annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
    },
    spec: {
      clusterIP: clusterDNS,
      selector: { 'k8s-app': 'kube-dns' },
      ports: [
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
        { name: 'metrics', protocol: 'TCP', port: 9153, targetPort: 9153 },
      ],
      ...clusterIpDefaults(),
    },
    origin: BUILTIN_ORIGIN,
  };
}
