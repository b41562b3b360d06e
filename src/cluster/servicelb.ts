/**
 * k3s's ServiceLB (pkg/cloudprovider/servicelb.go) as the plan sees it: for every LoadBalancer Service a
 * DaemonSet `svclb-<name>-<uid8>` in kube-system, and its pods, one per eligible node, named as the DaemonSet
 * controller names them. Each Service port is a container `lb-<proto>-<port>` running klipper-lb with
 * hostPort = port and the environment servicelb.go gives it. A node whose host port is already taken keeps
 * its svclb pod Pending with kube-scheduler's message (k3s#2270). What klipper-lb does in the pod is
 * apps/images/klipper-lb.ts's; the Service's status.loadBalancer is servicelb-status.ts's.
 */
import { formatCidr, formatIpv4 } from '../wire/addr.js';
import type { Container, Labels, PodSpec } from './k8s-objects.js';
import { generateName, objectPrng } from './k8s-names.js';
import type { ClusterPlan, PlannedNode, PlannedPod, PlannedService } from './plan-types.js';
import { bindPod, placePod, podHostPorts, type SchedulerNode } from './scheduler.js';
import { objectName, planWarning, type PlanWarning } from './cluster-warnings.js';
import type { Origin } from './source-ref.js';
import type { Prng } from '../sim/prng.js';

/** Where k3s puts the svclb DaemonSets (servicelb.go DefaultLBNS, metav1.NamespaceSystem). */
export const SVCLB_NAMESPACE = 'kube-system';
/** A node label: once any node has it, only nodes labelled `true` run svclb pods. */
export const ENABLELB_LABEL = 'svccontroller.k3s.cattle.io/enablelb';
/** Pod label naming the Service a svclb pod serves. */
export const SVCNAME_LABEL = 'svccontroller.k3s.cattle.io/svcname';
/** Pod label naming that Service's namespace. */
export const SVCNAMESPACE_LABEL = 'svccontroller.k3s.cattle.io/svcnamespace';
/** servicelb.go DefaultLBImage. */
export const KLIPPER_LB_IMAGE = 'rancher/klipper-lb:v0.4.9';

/** A svclb DaemonSet of the plan. */
export interface PlannedServiceLb {
  /** `svclb-<name[:48]>-<uid[:8]>`. */
  name: string;
  /** The Service it serves, 'namespace/name'. */
  service: string;
  /** The DaemonSet's labels (servicelb.go newDaemonSet). */
  labels: Labels;
  /** Its pod template. */
  template: { labels: Labels; spec: PodSpec };
  /** The Service's origin, where warnings about its pods point. */
  origin: Origin;
}

/**
 * The first 8 hex digits of a Service's uid. podnet has no API server to hand out uids: a Service's uid is
 * drawn from the cluster seed and its namespace/name, the same draw as cli/kube-objects.ts kubeUid (whose
 * first 32 bits are these), so `podnet get svc -o yaml` shows the uid the DaemonSet name is made from.
 */
export function serviceUid8(seed: number, namespace: string, name: string): string {
  return objectPrng(seed, `uid/Service/${namespace}/${name}`).nextU32().toString(16).padStart(8, '0');
}

/** servicelb.go generateName: the name cut to 48 characters, not at a trailing hyphen, then the uid's first 8. */
export function svclbName(serviceName: string, uid8: string): string {
  let name = serviceName;
  if (name.length > 48) {
    let cut = 48;
    while (cut > 0 && name[cut - 1] === '-') cut--;
    name = name.slice(0, cut);
  }
  return `svclb-${name}-${uid8}`;
}

/** servicelb.go nodeHasDaemonSetLabel: if any node carries the enablelb label, pods go only to `=true` nodes. */
export function svclbNodeSelector(nodes: readonly Pick<PlannedNode, 'labels'>[]): Labels {
  return nodes.some((n) => ENABLELB_LABEL in n.labels) ? { [ENABLELB_LABEL]: 'true' } : {};
}

/** The DaemonSet servicelb.go newDaemonSet makes for `svc`. */
export function svclbDaemonSet(svc: PlannedService, uid8: string, nodeSelector: Labels): PlannedServiceLb {
  const name = svclbName(svc.name, uid8);
  const local = svc.externalTrafficPolicy === 'Local';
  const clusterIps = svc.clusterIP === undefined ? '' : formatIpv4(svc.clusterIP);
  const ranges = (svc.loadBalancerSourceRanges ?? []).map(formatCidr);
  const srcRanges = ranges.length === 0 ? '0.0.0.0/0' : [...new Set(ranges)].join(' ');
  const containers = svc.ports.map((p): Container => {
    const portName = `lb-${p.protocol.toLowerCase()}-${p.port}`;
    return {
      name: portName,
      image: KLIPPER_LB_IMAGE,
      ports: [{ name: portName, containerPort: p.port, hostPort: p.port, protocol: p.protocol }],
      env: [
        { name: 'SRC_PORT', value: String(p.port) },
        // servicehelper.GetLoadBalancerSourceRanges (masked networks, 0.0.0.0/0 when none), joined by spaces;
        // its IPNetSet is a Go map, so k3s's order varies: podnet keeps the spec's order, duplicates dropped
        { name: 'SRC_RANGES', value: srcRanges },
        { name: 'DEST_PROTO', value: p.protocol },
        // Local: to the node's own NodePort (kube-proxy keeps the source there); Cluster: to the ClusterIP
        ...(local
          ? [
              { name: 'DEST_PORT', value: String(p.nodePort ?? p.port) },
              { name: 'DEST_IPS', valueFrom: { fieldRef: { fieldPath: 'status.hostIPs' } } },
            ]
          : [
              { name: 'DEST_PORT', value: String(p.port) },
              { name: 'DEST_IPS', value: clusterIps },
            ]),
      ],
    };
  });
  const podLabels = { app: name, [SVCNAME_LABEL]: svc.name, [SVCNAMESPACE_LABEL]: svc.namespace };
  return {
    name,
    service: `${svc.namespace}/${svc.name}`,
    origin: svc.origin,
    labels: {
      'svccontroller.k3s.cattle.io/nodeselector': String(Object.keys(nodeSelector).length > 0),
      [SVCNAME_LABEL]: svc.name,
      [SVCNAMESPACE_LABEL]: svc.namespace,
    },
    template: {
      labels: podLabels,
      spec: {
        nodeSelector,
        hostNetwork: false,
        dnsPolicy: 'ClusterFirst',
        restartPolicy: 'Always',
        hostAliases: [],
        containers,
      },
    },
  };
}

/** What planServiceLb needs from the plan being made. */
export interface ServiceLbInput {
  seed: number;
  services: readonly PlannedService[];
  /** In document order. */
  nodes: readonly PlannedNode[];
  /** The scheduler's view, sorted by name, with every other pod already bound. */
  schedNodes: SchedulerNode[];
  warnings: PlanWarning[];
}

/**
 * The svclb DaemonSets and their pods, after every other pod is placed (the controller acts once the
 * Service exists). The DaemonSet controller makes a pod for each node its nodeSelector allows and pins it
 * there with node affinity (metadata.name); kube-scheduler then checks the pod's host ports, so a taken
 * port leaves that pod Pending. svclb pods run at priority 0 in k3s (as `kubectl describe` shows in the
 * reports of k3s#2270), so no preemption frees the port.
 */
export function planServiceLb(input: ServiceLbInput): { daemonSets: PlannedServiceLb[]; pods: PlannedPod[] } {
  const daemonSets: PlannedServiceLb[] = [];
  const pods: PlannedPod[] = [];
  const selector = svclbNodeSelector(input.nodes);
  for (const svc of input.services) {
    if (svc.type !== 'LoadBalancer' || svc.ports.length === 0) continue;
    const ds = svclbDaemonSet(svc, serviceUid8(input.seed, svc.namespace, svc.name), selector);
    daemonSets.push(ds);
    const prng = objectPrng(input.seed, `DaemonSet/${SVCLB_NAMESPACE}/${ds.name}`);
    for (const node of input.nodes) {
      if (!Object.entries(selector).every(([k, v]) => node.labels[k] === v)) continue;
      const pod = svclbPod(ds, node.name, generateName(prng, `${ds.name}-`));
      const pinned = pod.spec;
      const where = placePod(input.schedNodes, pinned);
      if ('node' in where) {
        bindPod(
          input.schedNodes.find((n) => n.name === where.node)!,
          pinned,
        );
        node.pods.push(`${pod.namespace}/${pod.name}`);
        pods.push({ ...pod, node: where.node });
        continue;
      }
      pods.push({ ...pod, pendingReason: where.pending });
      const object = objectName('Pod', pod.namespace, pod.name);
      const service = objectName('Service', svc.namespace, svc.name);
      const taken = podHostPorts(pinned).filter((p) =>
        input.schedNodes.find((n) => n.name === node.name)?.hostPorts.has(p),
      );
      const why = taken.length > 0 ? `host port ${taken.join(', ')} is already taken there, so ` : '';
      input.warnings.push(
        planWarning(
          svc.origin,
          ['spec', 'ports'],
          'pod-pending',
          object,
          `${object} stays Pending: ${where.pending} ServiceLB for ${service} wants node ${node.name}; ${why}${node.name} does not serve the load balancer (k3s#2270)`,
        ),
      );
    }
  }
  return { daemonSets, pods };
}

/**
 * The DaemonSet controller's pod for `node`, not yet scheduled. It pins the pod to its node with node
 * affinity (`matchFields metadata.name`); podnet writes that as a nodeSelector on the node's
 * kubernetes.io/hostname label, which the scheduler then treats the same way (and a Pending pod scheduled
 * again later still waits for its own node).
 */
export function svclbPod(ds: PlannedServiceLb, node: string, name: string): PlannedPod {
  const nodeSelector = { ...ds.template.spec.nodeSelector, 'kubernetes.io/hostname': node };
  return {
    namespace: SVCLB_NAMESPACE,
    name,
    labels: ds.template.labels,
    annotations: {},
    spec: { ...ds.template.spec, nodeSelector },
    daemonSet: ds.name,
    builtin: true,
    origin: ds.origin,
  };
}

/**
 * What the DaemonSet controller adds when a node joins or one of its pods is deleted: a pod for every svclb
 * DaemonSet whose nodeSelector takes `node` and that has none there yet, unscheduled (the caller schedules
 * them). `prngOf` gives the stream a DaemonSet draws pod names from. The enablelb rule is the one decided
 * when the DaemonSet was made (k3s updates it when a node's label changes; podnet's labels do not change).
 */
export function missingSvclbPods(
  plan: Pick<ClusterPlan, 'serviceLbs' | 'pods'>,
  node: Pick<PlannedNode, 'name' | 'labels'>,
  prngOf: (key: string) => Prng,
): PlannedPod[] {
  const out: PlannedPod[] = [];
  const taken = new Set(plan.pods.map((p) => `${p.namespace}/${p.name}`));
  for (const ds of plan.serviceLbs) {
    if (!Object.entries(ds.template.spec.nodeSelector).every(([k, v]) => node.labels[k] === v)) continue;
    const has = plan.pods.some(
      (p) => p.daemonSet === ds.name && p.spec.nodeSelector['kubernetes.io/hostname'] === node.name,
    );
    if (has) continue;
    // its own stream, apart from the plan's (which drew the first pods' names): a pod deleted now never
    // comes back under the name it had
    const prng = prngOf(`k8s:DaemonSet/${SVCLB_NAMESPACE}/${ds.name}/controller`);
    let name = generateName(prng, `${ds.name}-`);
    while (taken.has(`${SVCLB_NAMESPACE}/${name}`)) name = generateName(prng, `${ds.name}-`);
    taken.add(`${SVCLB_NAMESPACE}/${name}`);
    out.push(svclbPod(ds, node.name, name));
  }
  return out;
}
