/**
 * The objects a fresh k3s cluster has before any manifest is applied, as far as podnet models them: the
 * `kubernetes` Service in default (the API server, first address of the service CIDR, endpoints on each
 * server at 6443), and CoreDNS (k3s manifests/coredns.yaml: Deployment `coredns` and Service `kube-dns`
 * at the cluster DNS address in kube-system), and Traefik (k3s manifests/traefik.yaml installs the
 * traefik Helm chart, 27.x for Traefik 2.11: Deployment and LoadBalancer Service `traefik`, IngressClass
 * `traefik`). ServiceLB, metrics-server and local-storage are k3s components too; other work adds them.
 */
import type { Ipv4 } from '../wire/addr.js';
import type { Deployment, Probe, Service } from './k8s-objects.js';
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

/** The traefik chart's selector labels (traefik.labelselector: name, and instance `<release>-<namespace>`). */
const TRAEFIK_LABELS = { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/instance': 'traefik-kube-system' };

/** The IngressClass the traefik chart creates (ingressClass.enabled, isDefaultClass: true). */
export const TRAEFIK_INGRESS_CLASS = {
  name: 'traefik',
  controller: 'traefik.io/ingress-controller',
  annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' },
} as const;

/** The chart's probes: GET /ping on the traefik port 9000 (readiness fails after 1, liveness after 3). */
function traefikProbe(failureThreshold: number): Probe {
  return {
    action: { type: 'httpGet', path: '/ping', port: 9000, scheme: 'HTTP', headers: [] },
    initialDelaySeconds: 2,
    periodSeconds: 10,
    timeoutSeconds: 2,
    successThreshold: 1,
    failureThreshold,
  };
}

/**
 * The traefik chart's Deployment: one replica, the container ports in the chart's order (metrics 9100,
 * traefik 9000, web 8000, websecure 8443), probes on /ping.
 */
export function traefikDeployment(): Deployment {
  return {
    kind: 'Deployment',
    metadata: { name: 'traefik', namespace: 'kube-system', labels: { ...TRAEFIK_LABELS }, annotations: {} },
    replicas: 1,
    selector: { matchLabels: { ...TRAEFIK_LABELS }, matchExpressions: [] },
    template: {
      labels: { ...TRAEFIK_LABELS },
      annotations: { 'prometheus.io/path': '/metrics', 'prometheus.io/port': '9100', 'prometheus.io/scrape': 'true' },
      spec: {
        nodeSelector: {},
        hostNetwork: false,
        dnsPolicy: 'ClusterFirst',
        restartPolicy: 'Always',
        hostAliases: [],
        containers: [
          {
            name: 'traefik',
            image: 'rancher/mirrored-library-traefik',
            // the chart's entry points and providers (podnet's image reads none of them: it runs as the chart sets it)
            args: [
              '--entrypoints.metrics.address=:9100/tcp',
              '--entrypoints.traefik.address=:9000/tcp',
              '--entrypoints.web.address=:8000/tcp',
              '--entrypoints.websecure.address=:8443/tcp',
              '--api.dashboard=true',
              '--ping=true',
              '--metrics.prometheus=true',
              '--metrics.prometheus.entrypoint=metrics',
              '--providers.kubernetescrd',
              '--providers.kubernetesingress',
              '--providers.kubernetesingress.ingressendpoint.publishedservice=kube-system/traefik',
              '--entrypoints.websecure.http.tls=true',
            ],
            ports: [
              { name: 'metrics', containerPort: 9100, protocol: 'TCP' },
              { name: 'traefik', containerPort: 9000, protocol: 'TCP' },
              { name: 'web', containerPort: 8000, protocol: 'TCP' },
              { name: 'websecure', containerPort: 8443, protocol: 'TCP' },
            ],
            readinessProbe: traefikProbe(1),
            livenessProbe: traefikProbe(3),
          },
        ],
      },
    },
    origin: BUILTIN_ORIGIN,
  };
}

/** The traefik chart's Service: type LoadBalancer, web 80 -> web, websecure 443 -> websecure. */
export function traefikService(): Service {
  return {
    kind: 'Service',
    metadata: { name: 'traefik', namespace: 'kube-system', labels: { ...TRAEFIK_LABELS }, annotations: {} },
    spec: {
      ...clusterIpDefaults(),
      type: 'LoadBalancer',
      selector: { ...TRAEFIK_LABELS },
      ports: [
        { name: 'web', protocol: 'TCP', port: 80, targetPort: 'web' },
        { name: 'websecure', protocol: 'TCP', port: 443, targetPort: 'websecure' },
      ],
      externalTrafficPolicy: 'Cluster',
    },
    origin: BUILTIN_ORIGIN,
  };
}
