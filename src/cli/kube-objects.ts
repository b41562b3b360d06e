/**
 * The objects the API server of a podnet cluster would return: Nodes, Pods, Services, Endpoints and
 * EndpointSlices, built from the plan (what exists) and the built runtime (pod IPs, node pod CIDRs, and the
 * EndpointSlices kube-proxy follows, with each pod's readiness; Endpoints are derived from those). `podnet get` prints them as
 * kubectl does (kube-printers.ts). Only fields podnet knows are filled in; the rest of what a real API server
 * adds (resourceVersion, managedFields, resource requests, ...) is left out rather than invented.
 *
 * Time: the cluster is created at simulated t=0, which is HTTP_EPOCH_MS on the wall clock (the same epoch
 * podnet's HTTP Date headers use), so every creationTimestamp is that instant.
 */
import { loadBalancerIngress } from '../cluster/servicelb-status.js';
import { HTTP_EPOCH_MS } from '../apps/http/message.js';
import type { ClusterRuntime } from '../cluster/runtime.js';
import type { PlannedPod, PlannedService } from '../cluster/plan.js';
import { objectPrng } from '../cluster/k8s-names.js';
import { EndpointSliceController, type EndpointSlice } from '../cluster/endpoint-slices.js';
import type { Container } from '../cluster/k8s-objects.js';
import { formatCidr, formatIpv4 } from '../wire/addr.js';

/**
 * The kubelet version a node reports. A Cluster document has no version field, so every node reports this
 * fixed k3s release (k3s names its releases `v<kubernetes>+k3s<n>`).
 */
export const K3S_DEFAULT_VERSION = 'v1.28.5+k3s1';
/** containerd as shipped in that k3s release (node.status.nodeInfo.containerRuntimeVersion). */
export const K3S_CONTAINER_RUNTIME = 'containerd://1.7.11-k3s2';
/** What the emulated nodes say they run (nodeInfo.osImage and kernelVersion): fixed stand-ins. */
export const NODE_OS_IMAGE = 'Ubuntu 22.04.3 LTS';
/** See NODE_OS_IMAGE. */
export const NODE_KERNEL_VERSION = '5.15.0-91-generic';

/** metadata of a listed object. */
export interface KubeMeta {
  name: string;
  namespace?: string;
  uid: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generateName?: string;
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller: boolean;
    blockOwnerDeletion: boolean;
  }[];
}

/** A condition of a node or pod status. */
export interface KubeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime: string;
}

/** v1 Node. */
export interface KubeNode {
  apiVersion: 'v1';
  kind: 'Node';
  metadata: KubeMeta;
  spec: { podCIDR?: string; podCIDRs?: string[] };
  status: {
    addresses: { type: 'InternalIP' | 'Hostname'; address: string }[];
    conditions: KubeCondition[];
    nodeInfo: {
      architecture: string;
      containerRuntimeVersion: string;
      kernelVersion: string;
      kubeProxyVersion: string;
      kubeletVersion: string;
      operatingSystem: string;
      osImage: string;
    };
  };
}

/** A container's state in a pod status. */
export interface KubeContainerStatus {
  name: string;
  image: string;
  ready: boolean;
  restartCount: number;
  started: boolean;
  state: { running: { startedAt: string } } | { waiting: { reason: string; message?: string } };
}

/** v1 Pod. */
export interface KubePod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: KubeMeta;
  spec: {
    containers: (Omit<Container, 'ports'> & { ports?: Container['ports'] })[];
    dnsPolicy: string;
    hostNetwork?: boolean;
    hostname?: string;
    nodeName?: string;
    nodeSelector?: Record<string, string>;
    restartPolicy: string;
    schedulerName: string;
    subdomain?: string;
  };
  status: {
    phase: 'Pending' | 'Running';
    conditions: KubeCondition[];
    hostIP?: string;
    podIP?: string;
    podIPs?: { ip: string }[];
    startTime?: string;
    containerStatuses?: KubeContainerStatus[];
    qosClass: 'BestEffort';
  };
}

/** v1 Service. */
export interface KubeService {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: KubeMeta;
  spec: {
    type: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalIPs?: string[];
    externalName?: string;
    externalTrafficPolicy?: string;
    internalTrafficPolicy: string;
    ports: { name?: string; protocol: string; port: number; targetPort: number | string; nodePort?: number }[];
    selector?: Record<string, string>;
    sessionAffinity: string;
  };
  /** status.loadBalancer: ServiceLB's ingress IPs for a LoadBalancer (cluster/servicelb-status.ts). */
  status: { loadBalancer: { ingress?: { ip: string }[] } };
}

/** v1 Endpoints. */
export interface KubeEndpoints {
  apiVersion: 'v1';
  kind: 'Endpoints';
  metadata: KubeMeta;
  subsets?: {
    /** Ready addresses (the endpoints controller leaves the field out when there are none). */
    addresses?: KubeEndpointAddress[];
    /** Addresses of pods that are not Ready. */
    notReadyAddresses?: KubeEndpointAddress[];
    ports: { name?: string; port: number; protocol: string }[];
  }[];
}

/** An address of a v1 Endpoints subset. */
export interface KubeEndpointAddress {
  ip: string;
  nodeName: string;
  targetRef?: { kind: 'Pod'; name: string; namespace: string; uid: string };
}

/** A discovery.k8s.io/v1 EndpointSlice. */
export interface KubeEndpointSlice {
  apiVersion: 'discovery.k8s.io/v1';
  kind: 'EndpointSlice';
  metadata: KubeMeta;
  addressType: 'IPv4';
  /** null when empty: the field has no omitempty (discovery/v1 types.go). */
  endpoints:
    | {
        addresses: string[];
        conditions: { ready: boolean; serving: boolean; terminating: boolean };
        nodeName: string;
        targetRef?: { kind: 'Pod'; name: string; namespace: string; uid: string };
      }[]
    | null;
  /** null on the controller's placeholder slice (a Service with no endpoints). */
  ports: { name: string; port: number; protocol: string }[] | null;
}

/** Every object of the four kinds, each list sorted as the API server lists it (by namespace, then name). */
export interface KubeObjects {
  nodes: KubeNode[];
  pods: KubePod[];
  services: KubeService[];
  endpoints: KubeEndpoints[];
  endpointSlices: KubeEndpointSlice[];
  /** The simulated time the view is taken at (ns since the cluster was created). */
  nowNs: number;
}

/** An RFC 3339 timestamp at simulated time `ns`, seconds precision as metav1.Time marshals. */
export function kubeTime(ns: number): string {
  return new Date(HTTP_EPOCH_MS + Math.floor(ns / 1e9) * 1000).toISOString().replace('.000Z', 'Z');
}

/** A version-4 UUID for an object, drawn from its own stream of the cluster seed (same seed, same uid). */
export function kubeUid(seed: number, key: string): string {
  const prng = objectPrng(seed, `uid/${key}`);
  const hex = [0, 1, 2, 3].map(() => prng.nextU32().toString(16).padStart(8, '0')).join('');
  // RFC 9562 section 5.4: version 4 in the high nibble of byte 6, variant 10 in the top bits of byte 8
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Orders by namespace, then name, byte-wise: etcd's key order, in which the API server lists. */
function byKey(a: { metadata: KubeMeta }, b: { metadata: KubeMeta }): number {
  const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The objects of a built cluster, as the API server would hold them at the runtime's current time. */
export function kubeObjects(rt: ClusterRuntime): KubeObjects {
  const seed = rt.plan.cluster.seed;
  const created = kubeTime(0);
  const meta = (kind: string, name: string, namespace?: string): KubeMeta => ({
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    uid: kubeUid(seed, `${kind}/${namespace ?? ''}/${name}`),
    creationTimestamp: created,
  });

  const nodes = rt.plan.nodes.map((pn): KubeNode => {
    // flanneld's lease, or with Calico the podCIDR kube-controller-manager still gives each Node
    const node = rt.nodes.get(pn.name);
    const subnet =
      node?.flanneld?.lease.subnet ?? (node?.calico !== undefined ? rt.podCIDRs?.held(pn.name) : undefined);
    const cidr = subnet === undefined ? undefined : formatCidr(subnet);
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { ...meta('Node', pn.name), labels: pn.labels },
      spec: cidr === undefined ? {} : { podCIDR: cidr, podCIDRs: [cidr] },
      status: {
        addresses: [
          { type: 'InternalIP', address: formatIpv4(pn.address.addr) },
          { type: 'Hostname', address: pn.name },
        ],
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status',
            lastTransitionTime: created,
          },
        ],
        nodeInfo: {
          architecture: 'amd64',
          containerRuntimeVersion: K3S_CONTAINER_RUNTIME,
          kernelVersion: NODE_KERNEL_VERSION,
          kubeProxyVersion: K3S_DEFAULT_VERSION,
          kubeletVersion: K3S_DEFAULT_VERSION,
          operatingSystem: 'linux',
          osImage: NODE_OS_IMAGE,
        },
      },
    };
  });

  const podIp = (namespace: string, name: string): string | undefined => {
    const p = rt.pods.get(`${namespace}/${name}`);
    return p === undefined ? undefined : formatIpv4(p.ip);
  };
  const pods = rt.plan.pods.map((p) => kubePod(rt, p, meta, created, podIp(p.namespace, p.name)));
  const services = rt.plan.services.map((s) => kubeService(s, meta, loadBalancerIngress(rt, s)));
  // the slices kube-proxy follows (or the same controller's, where no kube-proxy runs): one truth for both
  const slices = (rt.kubeProxy?.endpointSlices ?? new EndpointSliceController(rt)).slices();
  const endpoints = slices.map((sl) => kubeEndpoints(rt, sl, meta));
  const endpointSlices = slices.map((sl) => kubeEndpointSlice(rt, sl, meta));
  return {
    nodes: nodes.sort(byKey),
    pods: pods.sort(byKey),
    services: services.sort(byKey),
    endpoints: endpoints.sort(byKey),
    endpointSlices: endpointSlices.sort(byKey),
    nowNs: rt.engine.now,
  };
}

type MetaFn = (kind: string, name: string, namespace?: string) => KubeMeta;

function kubePod(rt: ClusterRuntime, p: PlannedPod, meta: MetaFn, created: string, ip: string | undefined): KubePod {
  const m: KubeMeta = { ...meta('Pod', p.name, p.namespace) };
  if (Object.keys(p.labels).length > 0) m.labels = p.labels;
  if (Object.keys(p.annotations).length > 0) m.annotations = p.annotations;
  const owner = p.owner ?? (p.daemonSet === undefined ? undefined : { kind: 'DaemonSet', name: p.daemonSet });
  if (owner !== undefined) {
    m.generateName = `${owner.name}-`;
    m.ownerReferences = [
      {
        apiVersion: 'apps/v1',
        kind: owner.kind,
        name: owner.name,
        uid: kubeUid(rt.plan.cluster.seed, `${owner.kind}/${p.namespace}/${owner.name}`),
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  }
  const s = p.spec;
  const spec: KubePod['spec'] = {
    // the API server omits empty lists (omitempty)
    containers: s.containers.map(({ ports, ...c }) => (ports.length > 0 ? { ...c, ports } : c)),
    dnsPolicy: s.dnsPolicy,
    ...(s.hostNetwork ? { hostNetwork: true } : {}),
    ...(s.hostname !== undefined ? { hostname: s.hostname } : {}),
    ...(p.node !== undefined ? { nodeName: p.node } : {}),
    ...(Object.keys(s.nodeSelector).length > 0 ? { nodeSelector: s.nodeSelector } : {}),
    restartPolicy: s.restartPolicy,
    schedulerName: 'default-scheduler',
    ...(s.subdomain !== undefined ? { subdomain: s.subdomain } : {}),
  };
  const cond = (type: string, ok: boolean, extra: Partial<KubeCondition> = {}): KubeCondition => ({
    type,
    status: ok ? 'True' : 'False',
    ...extra,
    lastTransitionTime: created,
  });
  if (p.node === undefined) {
    // kube-scheduler's failure: PodScheduled False, reason Unschedulable, the message it logs
    // (k8s.io/kubernetes/pkg/scheduler/schedule_one.go handleSchedulingFailure); nothing else is set
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: m,
      spec,
      status: {
        phase: 'Pending',
        conditions: [
          cond('PodScheduled', false, {
            reason: 'Unschedulable',
            message: p.pendingReason ?? 'no node is available',
          }),
        ],
        qosClass: 'BestEffort',
      },
    };
  }
  const hostIP = formatIpv4(rt.nodes.get(p.node)!.ip);
  const failed = rt.failedPods.find((f) => f.id === `${p.namespace}/${p.name}`);
  if (ip === undefined || failed !== undefined) {
    // the sandbox never came up (CNI ADD failed): the kubelet leaves the containers waiting in ContainerCreating
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: m,
      spec,
      status: {
        phase: 'Pending',
        conditions: [
          cond('Initialized', true),
          cond('Ready', false, { reason: 'ContainersNotReady' }),
          cond('ContainersReady', false, { reason: 'ContainersNotReady' }),
          cond('PodScheduled', true),
        ],
        hostIP,
        startTime: created,
        containerStatuses: s.containers.map((c) => ({
          name: c.name,
          image: c.image,
          ready: false,
          restartCount: 0,
          started: false,
          state: { waiting: { reason: 'ContainerCreating', ...(failed ? { message: failed.error } : {}) } },
        })),
        qosClass: 'BestEffort',
      },
    };
  }
  // readiness and restarts as the kubelet's probes left them (pod-containers.ts)
  const running = rt.pods.get(`${p.namespace}/${p.name}`);
  const statusOf = (name: string) => running?.containers.statuses.find((c) => c.name === name);
  const podReady = running?.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: m,
    spec,
    status: {
      phase: 'Running',
      conditions: [
        cond('Initialized', true),
        cond('Ready', podReady),
        cond('ContainersReady', podReady),
        cond('PodScheduled', true),
      ],
      hostIP,
      podIP: ip,
      podIPs: [{ ip }],
      startTime: created,
      containerStatuses: s.containers.map((c) => ({
        name: c.name,
        image: c.image,
        ready: statusOf(c.name)?.ready ?? true,
        restartCount: statusOf(c.name)?.restartCount ?? 0,
        started: true,
        state: { running: { startedAt: created } },
      })),
      qosClass: 'BestEffort',
    },
  };
}

function kubeService(s: PlannedService, meta: MetaFn, ingress: readonly string[]): KubeService {
  const m = meta('Service', s.name, s.namespace);
  if (Object.keys(s.labels).length > 0) m.labels = s.labels;
  const clusterIP = s.headless ? 'None' : s.clusterIP === undefined ? undefined : formatIpv4(s.clusterIP);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: m,
    spec: {
      type: s.type,
      ...(clusterIP !== undefined ? { clusterIP, clusterIPs: [clusterIP] } : {}),
      ...(s.externalIPs.length > 0 ? { externalIPs: s.externalIPs.map(formatIpv4) } : {}),
      ...(s.externalName !== undefined ? { externalName: s.externalName } : {}),
      ...(s.externalTrafficPolicy !== undefined ? { externalTrafficPolicy: s.externalTrafficPolicy } : {}),
      internalTrafficPolicy: s.internalTrafficPolicy,
      ports: s.ports.map((p) => ({
        ...(p.name !== '' ? { name: p.name } : {}),
        protocol: p.protocol,
        port: p.port,
        targetPort: p.targetPort,
        ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
      })),
      ...(s.selector !== undefined ? { selector: s.selector } : {}),
      sessionAffinity: s.sessionAffinity,
    },
    status: { loadBalancer: ingress.length > 0 ? { ingress: ingress.map((ip) => ({ ip })) } : {} },
  };
}

/** A pod's targetRef with its uid. */
function podRef(rt: ClusterRuntime, namespace: string, name: string): NonNullable<KubeEndpointAddress['targetRef']> {
  return { kind: 'Pod', name, namespace, uid: kubeUid(rt.plan.cluster.seed, `Pod/${namespace}/${name}`) };
}

/**
 * The Endpoints the endpoints controller keeps for a Service with a selector (and the API server's own for
 * the kubernetes Service), from the same EndpointSlice: ready pods in `addresses`, the others in
 * `notReadyAddresses` (endpoints_controller.go addEndpointSubset). Ports with the same addresses share a
 * subset, addresses sorted by IP string as endpoints.RepackSubsets/SortSubsets leave them
 * (k8s.io/kubernetes/pkg/api/v1/endpoints/util.go).
 */
function kubeEndpoints(rt: ClusterRuntime, slice: EndpointSlice, meta: MetaFn): KubeEndpoints {
  const s = slice.service;
  const m = meta('Endpoints', s.name, s.namespace);
  if (Object.keys(s.labels).length > 0) m.labels = s.labels;
  type Subset = NonNullable<KubeEndpoints['subsets']>[number];
  const subsets: Subset[] = [];
  const byIp = (a: KubeEndpointAddress, b: KubeEndpointAddress): number => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);
  for (const sp of s.ports) {
    // a named targetPort can resolve to different numbers in different pods: one subset per number
    const byPort = new Map<number, { ready: KubeEndpointAddress[]; notReady: KubeEndpointAddress[] }>();
    for (const e of slice.endpoints) {
      const number = e.portsByName.get(sp.name);
      if (number === undefined) continue;
      const group = byPort.get(number) ?? { ready: [], notReady: [] };
      byPort.set(number, group);
      const addr: KubeEndpointAddress = {
        ip: e.addresses[0],
        nodeName: e.nodeName,
        ...(e.targetRef !== undefined ? { targetRef: podRef(rt, e.targetRef.namespace, e.targetRef.name) } : {}),
      };
      (e.conditions.ready ? group.ready : group.notReady).push(addr);
    }
    for (const [number, g] of byPort) {
      g.ready.sort(byIp);
      g.notReady.sort(byIp);
      const port = { ...(sp.name !== '' ? { name: sp.name } : {}), port: number, protocol: sp.protocol };
      const subset: Subset = {
        ...(g.ready.length > 0 ? { addresses: g.ready } : {}),
        ...(g.notReady.length > 0 ? { notReadyAddresses: g.notReady } : {}),
        ports: [port],
      };
      const key = (x: Subset): string => JSON.stringify([x.addresses, x.notReadyAddresses]);
      const same = subsets.find((x) => key(x) === key(subset));
      if (same !== undefined) same.ports.push(port);
      else subsets.push(subset);
    }
  }
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: m, ...(subsets.length > 0 ? { subsets } : {}) };
}

/**
 * An EndpointSlice as the API server returns it: the controller's slice with generateName and the owning
 * Service (endpointslice reconciler newEndpointSlice) and the Service's labels beside the two it sets; the
 * API server's own `kubernetes` slice has neither owner nor generateName (endpointsadapter.go).
 */
function kubeEndpointSlice(rt: ClusterRuntime, slice: EndpointSlice, meta: MetaFn): KubeEndpointSlice {
  const s = slice.service;
  const apiServer = s.builtin && s.namespace === 'default' && s.name === 'kubernetes';
  const m: KubeMeta = {
    ...meta('EndpointSlice', slice.metadata.name, s.namespace),
    labels: apiServer ? slice.metadata.labels : { ...s.labels, ...slice.metadata.labels },
  };
  if (!apiServer) {
    m.generateName = `${s.name}-`;
    m.ownerReferences = [
      {
        apiVersion: 'v1',
        kind: 'Service',
        name: s.name,
        uid: kubeUid(rt.plan.cluster.seed, `Service/${s.namespace}/${s.name}`),
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  }
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: m,
    addressType: 'IPv4',
    endpoints:
      slice.endpoints.length === 0
        ? null
        : slice.endpoints.map((e) => ({
            addresses: [...e.addresses],
            conditions: { ...e.conditions },
            nodeName: e.nodeName,
            ...(e.targetRef !== undefined ? { targetRef: podRef(rt, e.targetRef.namespace, e.targetRef.name) } : {}),
          })),
    // the controller's placeholder slice for a Service without endpoints carries no ports (reconciler.go)
    ports: slice.endpoints.length === 0 ? null : slice.ports.map((p) => ({ ...p })),
  };
}
