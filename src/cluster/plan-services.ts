/**
 * The Services of a plan: clusterIPs and NodePorts allocated as the API server allocates them (written ones
 * reserved first, then the rest from each Service's own PRNG), and endpoints: the ready pods a selector
 * matches, with named targetPorts resolved per pod. Also checks Ingress backends against the Services.
 */
import type { Prng } from '../sim/prng.js';
import { formatCidr, type Ipv4 } from '../wire/addr.js';
import type { ClusterSpec } from './cluster-spec.js';
import { APISERVER_PORT } from './k3s-addons.js';
import { objectPrng } from './k8s-names.js';
import type { Ingress, IngressBackend, K8sObject, PodSpec, Protocol, Service, ServicePort } from './k8s-objects.js';
import { formatSelector, labelsMatch } from '../control/label-selector.js';
import type { PlannedPod, PlannedService, PlannedServicePort } from './plan-types.js';
import { ClusterIpAllocator, NodePortAllocator } from './service-alloc.js';
import { objectName, planWarning, type PlanWarning } from './cluster-warnings.js';
import { problemAt, type FieldPath, type Problem } from './source-ref.js';

/** ClusterIPs, NodePorts and endpoints. Written addresses and ports are reserved before any is allocated. */
export function planServices(
  cluster: ClusterSpec,
  svcs: Service[],
  pods: PlannedPod[],
  isBuiltin: (o: K8sObject) => boolean,
  errors: Problem[],
  warnings: PlanWarning[],
): PlannedService[] {
  const ips = new ClusterIpAllocator(cluster.serviceCIDR);
  const ports = new NodePortAllocator(cluster.nodePortRange);
  const clusterIPs = new Map<Service, Ipv4>();
  const nodePorts = new Map<Service, (number | undefined)[]>();
  const healthPorts = new Map<Service, number>();

  // Written clusterIPs first (the kubernetes Service's .1 among them), in order.
  for (const s of svcs) {
    const ip = s.spec.clusterIP;
    if (typeof ip !== 'number') continue;
    const err = ips.take(ip);
    if (err !== undefined)
      errors.push(problemAt(s.origin, ['spec', 'clusterIP'], `${ips.describe(err)}${clashWith(ip, clusterIPs)}`));
    else clusterIPs.set(s, ip);
  }
  // Written nodePorts: a port number may repeat within one Service only for different protocols.
  for (const s of svcs) {
    const own = new Map<number, Protocol[]>();
    const list: (number | undefined)[] = [];
    s.spec.ports.forEach((p, i) => {
      list.push(p.nodePort);
      if (p.nodePort === undefined) return;
      const protos = own.get(p.nodePort);
      if (protos !== undefined) {
        if (protos.includes(p.protocol))
          errors.push(
            problemAt(
              s.origin,
              ['spec', 'ports', i, 'nodePort'],
              `nodePort ${p.nodePort}/${p.protocol} is used twice in this Service`,
            ),
          );
        protos.push(p.protocol);
        return;
      }
      own.set(p.nodePort, [p.protocol]);
      const err = ports.take(p.nodePort);
      if (err !== undefined) errors.push(problemAt(s.origin, ['spec', 'ports', i, 'nodePort'], ports.describe(err)));
    });
    nodePorts.set(s, list);
    if (s.spec.healthCheckNodePort !== undefined) {
      const err = ports.take(s.spec.healthCheckNodePort);
      if (err !== undefined) errors.push(problemAt(s.origin, ['spec', 'healthCheckNodePort'], ports.describe(err)));
      else healthPorts.set(s, s.spec.healthCheckNodePort);
    }
  }
  // Then allocation, from each Service's own PRNG so one Service's numbers do not depend on the others'.
  for (const s of svcs) {
    const prng: Prng = objectPrng(cluster.seed, `Service/${s.metadata.namespace}/${s.metadata.name}`);
    if (s.spec.clusterIP === undefined && s.spec.type !== 'ExternalName') {
      const ip = ips.next(prng);
      if (ip === undefined)
        errors.push(
          problemAt(s.origin, ['metadata', 'name'], `no clusterIP left in ${formatCidr(cluster.serviceCIDR)}`),
        );
      else clusterIPs.set(s, ip);
    }
    const wantsNodePorts =
      s.spec.type === 'NodePort' || (s.spec.type === 'LoadBalancer' && s.spec.allocateLoadBalancerNodePorts);
    if (wantsNodePorts) {
      const list = nodePorts.get(s)!;
      // Ports of one Service with the same port number (DNS on UDP and TCP) share one nodePort, as the API server allocates them.
      const byPort = new Map<number, number>();
      s.spec.ports.forEach((p, i) => {
        if (list[i] !== undefined) byPort.set(p.port, list[i]);
      });
      s.spec.ports.forEach((p, i) => {
        if (list[i] !== undefined) return;
        const shared = byPort.get(p.port);
        if (shared !== undefined) {
          list[i] = shared;
          return;
        }
        const np = ports.next(prng);
        if (np === undefined)
          errors.push(
            problemAt(
              s.origin,
              ['spec', 'ports', i],
              `no nodePort left in ${cluster.nodePortRange.min}-${cluster.nodePortRange.max}`,
            ),
          );
        else {
          list[i] = np;
          byPort.set(p.port, np);
        }
      });
    }
    if (
      s.spec.type === 'LoadBalancer' &&
      s.spec.externalTrafficPolicy === 'Local' &&
      s.spec.healthCheckNodePort === undefined
    ) {
      const np = ports.next(prng);
      if (np === undefined)
        errors.push(
          problemAt(
            s.origin,
            ['spec', 'externalTrafficPolicy'],
            `no nodePort left for healthCheckNodePort in ${cluster.nodePortRange.min}-${cluster.nodePortRange.max}`,
          ),
        );
      else healthPorts.set(s, np);
    }
  }

  return svcs.map((s) => {
    const builtin = isBuiltin(s);
    const planned: PlannedService = {
      namespace: s.metadata.namespace,
      name: s.metadata.name,
      type: s.spec.type,
      labels: s.metadata.labels,
      headless: s.spec.clusterIP === 'None',
      ports: s.spec.ports.map((p, i) => {
        const np = nodePorts.get(s)![i];
        const out: PlannedServicePort = { ...p, endpoints: [] };
        if (np !== undefined) out.nodePort = np;
        else delete out.nodePort;
        return out;
      }),
      sessionAffinity: s.spec.sessionAffinity,
      sessionAffinityTimeoutSeconds: s.spec.sessionAffinityTimeoutSeconds,
      internalTrafficPolicy: s.spec.internalTrafficPolicy,
      externalIPs: s.spec.externalIPs,
      builtin,
      origin: s.origin,
    };
    const ip = clusterIPs.get(s);
    if (ip !== undefined) planned.clusterIP = ip;
    if (s.spec.selector !== undefined) planned.selector = s.spec.selector;
    if (s.spec.externalTrafficPolicy !== undefined) planned.externalTrafficPolicy = s.spec.externalTrafficPolicy;
    if (s.spec.externalName !== undefined) planned.externalName = s.spec.externalName;
    if (s.spec.publishNotReadyAddresses) planned.publishNotReadyAddresses = true;
    if (s.spec.loadBalancerSourceRanges !== undefined)
      planned.loadBalancerSourceRanges = s.spec.loadBalancerSourceRanges;
    const hc = healthPorts.get(s);
    if (hc !== undefined) planned.healthCheckNodePort = hc;
    if (builtin && s.metadata.name === 'kubernetes' && s.metadata.namespace === 'default') {
      // The API server runs on every server, on the host: its endpoints are the servers' addresses.
      for (const n of cluster.nodes)
        if (n.role === 'server')
          planned.ports[0]!.endpoints.push({ node: n.name, port: APISERVER_PORT, hostNetwork: true });
    } else if (s.spec.selector !== undefined && s.spec.type !== 'ExternalName') {
      fillEndpoints(s, planned, pods, warnings);
    }
    return planned;
  });
}

/** Endpoints of a Service with a selector: its namespace's scheduled pods that match, targetPort resolved per pod. */
function fillEndpoints(s: Service, planned: PlannedService, pods: PlannedPod[], warnings: PlanWarning[]): void {
  const selector = s.spec.selector!;
  const object = objectName('Service', s.metadata.namespace, s.metadata.name);
  const selected = pods.filter((p) => p.namespace === s.metadata.namespace && labelsMatch(selector, p.labels));
  const ready = selected.filter((p) => p.node !== undefined);
  if (selected.length === 0) {
    const sel = formatSelector({ matchLabels: selector, matchExpressions: [] });
    warnings.push(
      planWarning(
        s.origin,
        ['spec', 'selector'],
        'selector-matches-nothing',
        object,
        `selector ${sel === '' ? '{}' : sel} matches no pod in namespace ${JSON.stringify(s.metadata.namespace)}: the service has no endpoints`,
      ),
    );
    return;
  }
  if (ready.length === 0) {
    warnings.push(
      planWarning(
        s.origin,
        ['spec', 'selector'],
        'endpoints-pending',
        object,
        `every pod the selector matches is Pending: the service has no endpoints`,
      ),
    );
    return;
  }
  planned.ports.forEach((port, i) => {
    const missing: string[] = [];
    for (const pod of ready) {
      const target = resolveTargetPort(port, pod.spec);
      if (target === undefined) missing.push(pod.name);
      else port.endpoints.push({ pod: pod.name, node: pod.node!, port: target, hostNetwork: pod.spec.hostNetwork });
    }
    if (missing.length > 0) {
      warnings.push(
        planWarning(
          s.origin,
          ['spec', 'ports', i, 'targetPort'],
          'target-port-missing',
          object,
          `no container port named ${JSON.stringify(port.targetPort)} (${port.protocol}) in pod${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: ${missing.length > 1 ? 'they get' : 'it gets'} no endpoint for this port`,
        ),
      );
    }
  });
}

/**
 * The port a pod serves a service port on: a number as it is (whether or not a container declares it,
 * as in Kubernetes), a name through the pod's container ports of the same protocol (podutil.FindPort).
 */
export function resolveTargetPort(
  port: Pick<ServicePort, 'targetPort' | 'protocol'>,
  spec: PodSpec,
): number | undefined {
  if (typeof port.targetPort === 'number') return port.targetPort;
  for (const c of spec.containers) {
    for (const cp of c.ports) if (cp.name === port.targetPort && cp.protocol === port.protocol) return cp.containerPort;
  }
  return undefined;
}

/** Warns about Ingress backends naming a Service, or a port of it, that does not exist. */
export function checkIngressBackends(ing: Ingress, services: PlannedService[], warnings: PlanWarning[]): void {
  const object = objectName('Ingress', ing.metadata.namespace, ing.metadata.name);
  const check = (b: IngressBackend, path: FieldPath): void => {
    if (!('service' in b)) return;
    const svc = services.find((s) => s.namespace === ing.metadata.namespace && s.name === b.service.name);
    if (svc === undefined) {
      warnings.push(
        planWarning(
          ing.origin,
          [...path, 'service', 'name'],
          'ingress-no-backend',
          object,
          `service ${JSON.stringify(b.service.name)} not found in namespace ${JSON.stringify(ing.metadata.namespace)}: requests routed here get 404 or 503`,
        ),
      );
      return;
    }
    const p = b.service.port;
    const found = 'number' in p ? svc.ports.some((x) => x.port === p.number) : svc.ports.some((x) => x.name === p.name);
    if (!found)
      warnings.push(
        planWarning(
          ing.origin,
          [...path, 'service', 'port'],
          'ingress-no-backend',
          object,
          `service ${JSON.stringify(svc.name)} has no port ${'number' in p ? p.number : JSON.stringify(p.name)}`,
        ),
      );
  };
  if (ing.spec.defaultBackend !== undefined) check(ing.spec.defaultBackend, ['spec', 'defaultBackend']);
  ing.spec.rules.forEach((r, i) =>
    r.paths.forEach((p, j) => check(p.backend, ['spec', 'rules', i, 'http', 'paths', j, 'backend'])),
  );
}

function clashWith(ip: Ipv4, taken: Map<Service, Ipv4>): string {
  for (const [s, x] of taken) if (x === ip) return ` (by Service ${s.metadata.namespace}/${s.metadata.name})`;
  return '';
}

/**
 * Recomputes every selector Service's endpoints from the plan's pods as they are now (the endpoints
 * controller following pods that came and went). Services without a selector keep theirs.
 */
export function refreshEndpoints(plan: { pods: PlannedPod[]; services: PlannedService[] }): void {
  for (const svc of plan.services) {
    if (svc.selector === undefined) continue;
    const selector = svc.selector;
    const ready = plan.pods.filter(
      (p) => p.node !== undefined && p.namespace === svc.namespace && labelsMatch(selector, p.labels),
    );
    for (const port of svc.ports) {
      port.endpoints = [];
      for (const pod of ready) {
        const target = resolveTargetPort(port, pod.spec);
        if (target !== undefined)
          port.endpoints.push({ pod: pod.name, node: pod.node!, port: target, hostNetwork: pod.spec.hostNetwork });
      }
    }
  }
}
