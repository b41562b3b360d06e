/**
 * From a Cluster document and Kubernetes objects to a deterministic plan of what the cluster runs: its
 * namespaces, its nodes (with k3s's labels), every pod and the node it is bound to (Deployment replicas
 * named and spread as Kubernetes would), every Service with its clusterIP, nodePorts and endpoints.
 * Same input and seed, same plan. Pod IPs are not decided here: the CNI's IPAM assigns them when the
 * plan is built (control/); endpoints therefore name pods, not addresses.
 */
import { formatCidr, prefixContains, prefixMask, type Ipv4Prefix } from '../wire/addr.js';
import { k3sNodeLabels, type ClusterSpec } from './cluster-spec.js';
import { isCalicoObject, type CalicoObject } from './calico-resources.js';
import {
  BUILTIN_NAMESPACES,
  coreDnsDeployment,
  kubeDnsService,
  kubernetesService,
  traefikDeployment,
  traefikService,
} from './k3s-addons.js';
import { objectPrng, generateName, podTemplateHash } from './k8s-names.js';
import type { Deployment, Ingress, K8sObject, Labels, NetworkPolicy, Service } from './k8s-objects.js';
import { checkIngressBackends, planServices } from './plan-services.js';
import { planServiceLb } from './servicelb.js';
import type { PlannedDeployment, PlannedNode, PlannedPod, PlanResult } from './plan-types.js';
import { bindPod, placePod, schedulerNodes } from './scheduler.js';
import { objectName, planWarning, type PlanWarning } from './cluster-warnings.js';
import { problemAt, type FieldPath, type Problem } from './source-ref.js';

export type * from './plan-types.js';
export { resolveTargetPort } from './plan-services.js';

/** A pod waiting to be placed. */
interface PodDraft extends Omit<PlannedPod, 'node' | 'pendingReason'> {
  /** Path of the pod spec inside its origin, for problems ('spec' or 'spec.template.spec'). */
  specPath: FieldPath;
}

/** Plans `objects` on `cluster`; every problem found is reported, not just the first. */
export function planCluster(cluster: ClusterSpec, objects: readonly K8sObject[]): PlanResult {
  const errors: Problem[] = [];
  const warnings: PlanWarning[] = [];
  const disabled = new Set(cluster.disable);

  // The objects k3s creates itself come first, as they exist before anything is applied.
  const builtins: K8sObject[] = [];
  if (!disabled.has('coredns')) builtins.push(coreDnsDeployment(), kubeDnsService(cluster.clusterDNS));
  if (!disabled.has('traefik')) builtins.push(traefikDeployment(), traefikService());
  // The API server's Service takes the first address of the service CIDR.
  builtins.unshift(kubernetesService(((cluster.serviceCIDR.addr & prefixMask(cluster.serviceCIDR.len)) >>> 0) + 1));
  const all = [...builtins, ...objects];
  const isBuiltin = (o: K8sObject): boolean => builtins.includes(o);

  // Namespaces, and objects by identity.
  const namespaces = new Set<string>(BUILTIN_NAMESPACES);
  const namespaceLabels = new Map<string, Labels>(
    BUILTIN_NAMESPACES.map((n) => [n, { 'kubernetes.io/metadata.name': n }]),
  );
  const seen = new Map<string, K8sObject>();
  for (const o of all) {
    const id = `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
    const before = seen.get(id);
    if (before !== undefined) {
      const what =
        o.metadata.namespace === ''
          ? `${o.kind} ${JSON.stringify(o.metadata.name)}`
          : `${o.kind} ${JSON.stringify(o.metadata.name)} in namespace ${JSON.stringify(o.metadata.namespace)}`;
      const hint = isBuiltin(before)
        ? ' (k3s creates it; add coredns to spec.disable of the Cluster to supply your own)'
        : ` (first defined at ${before.origin.doc.file}:${before.origin.doc.locate([...before.origin.path, 'metadata', 'name']).line})`;
      errors.push(problemAt(o.origin, ['metadata', 'name'], `${what} already exists${hint}`));
      continue;
    }
    seen.set(id, o);
    if (o.kind === 'Namespace') {
      namespaces.add(o.metadata.name);
      namespaceLabels.set(o.metadata.name, { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name });
    }
  }
  const unique = [...seen.values()];
  const inKnownNamespace = unique.filter((o) => {
    // cluster-scoped kinds (Namespace, Calico's resources) have namespace ''
    if (o.kind === 'Namespace' || o.metadata.namespace === '' || namespaces.has(o.metadata.namespace)) return true;
    errors.push(
      problemAt(
        o.origin,
        ['metadata', 'namespace'],
        `namespaces ${JSON.stringify(o.metadata.namespace)} not found (declare it with a v1 Namespace)`,
      ),
    );
    return false;
  });

  // Nodes.
  const nodes: PlannedNode[] = cluster.nodes.map((n) => ({
    name: n.name,
    address: n.address,
    role: n.role,
    labels: k3sNodeLabels(n),
    pods: [],
  }));
  const schedNodes = schedulerNodes(nodes, cluster.maxPodsPerNode);

  // Pods in manifest order (built-ins first): written ones as they are, Deployment replicas named as the
  // ReplicaSet controller names them. Written names are reserved first so a generated one never takes them.
  const podNames = new Set<string>(
    inKnownNamespace.flatMap((o) => (o.kind === 'Pod' ? [`${o.metadata.namespace}/${o.metadata.name}`] : [])),
  );
  const deployments: PlannedDeployment[] = [];
  const drafts: PodDraft[] = inKnownNamespace.flatMap((o): PodDraft[] => {
    if (o.kind === 'Pod')
      return [
        {
          namespace: o.metadata.namespace,
          name: o.metadata.name,
          labels: o.metadata.labels,
          annotations: o.metadata.annotations,
          spec: o.spec,
          builtin: isBuiltin(o),
          origin: o.origin,
          specPath: ['spec'],
        },
      ];
    if (o.kind === 'Deployment') return replicaPods(o, cluster.seed, podNames, isBuiltin(o), deployments);
    return [];
  });

  // Pods pinned with nodeName are bound first (kubelet takes them whatever the scheduler does), then the rest in order.
  const placed = new Map<PodDraft, { node: string } | { pending: string }>();
  for (const pass of ['pinned', 'scheduled'] as const) {
    for (const d of drafts) {
      if ((d.spec.nodeName !== undefined) !== (pass === 'pinned')) continue;
      const where = placePod(schedNodes, d.spec);
      placed.set(d, where);
      if ('node' in where)
        bindPod(
          schedNodes.find((n) => n.name === where.node)!,
          d.spec,
        );
    }
  }
  const pods: PlannedPod[] = drafts.map((d) => {
    const { specPath, ...rest } = d;
    const where = placed.get(d)!;
    if ('node' in where) {
      nodes.find((n) => n.name === where.node)!.pods.push(`${d.namespace}/${d.name}`);
      return { ...rest, node: where.node };
    }
    const field =
      d.spec.nodeName !== undefined
        ? [...specPath, 'nodeName']
        : Object.keys(d.spec.nodeSelector).length > 0
          ? [...specPath, 'nodeSelector']
          : specPath;
    const pod = objectName('Pod', d.namespace, d.name);
    warnings.push(planWarning(d.origin, field, 'pod-pending', pod, `${pod} stays Pending: ${where.pending}`));
    return { ...rest, pendingReason: where.pending };
  });

  const services = planServices(
    cluster,
    inKnownNamespace.filter((o): o is Service => o.kind === 'Service'),
    pods,
    isBuiltin,
    errors,
    warnings,
  );
  // k3s ServiceLB: its DaemonSets' pods come after every other pod (the controller follows the Services)
  const serviceLbs = disabled.has('servicelb')
    ? { daemonSets: [], pods: [] }
    : planServiceLb({ seed: cluster.seed, services, nodes, schedNodes, warnings });
  pods.push(...serviceLbs.pods);
  const networkPolicies = inKnownNamespace.filter((o): o is NetworkPolicy => o.kind === 'NetworkPolicy');
  const ingresses = inKnownNamespace.filter((o): o is Ingress => o.kind === 'Ingress');
  const calicoResources = unique.filter((o): o is CalicoObject => isCalicoObject(o));
  // Calico's resources mean something only to Calico: say so rather than ignore them quietly
  if (cluster.cni !== 'calico')
    for (const r of calicoResources)
      warnings.push(
        planWarning(
          r.origin,
          ['kind'],
          'calico-resource-ignored',
          `${r.kind}/${r.metadata.name}`,
          `${r.kind}/${r.metadata.name} has no effect: this cluster's CNI is ${cluster.cni} (set spec.cni: calico)`,
        ),
      );
  for (const ing of ingresses) checkIngressBackends(ing, services, warnings);
  underlayWarnings(cluster, warnings);

  if (errors.length > 0) return { ok: false, errors, warnings };
  return {
    ok: true,
    plan: {
      cluster,
      namespaces: [...namespaces].sort(),
      namespaceLabels,
      nodes,
      pods,
      services,
      deployments,
      serviceLbs: serviceLbs.daemonSets,
      networkPolicies,
      ingresses,
      calicoResources,
      warnings,
    },
  };
}

/** The pods of a Deployment: ReplicaSet `<name>-<pod-template-hash>`, pods `<replicaset>-<5 chars>`, labelled with the hash. */
function replicaPods(
  d: Deployment,
  seed: number,
  taken: Set<string>,
  builtin: boolean,
  deployments: PlannedDeployment[],
): PodDraft[] {
  const ns = d.metadata.namespace;
  const prng = objectPrng(seed, `Deployment/${ns}/${d.metadata.name}`);
  const hash = podTemplateHash(prng);
  const rs = `${d.metadata.name}-${hash}`;
  const template: PlannedDeployment['template'] = {
    namespace: ns,
    labels: { ...d.template.labels, 'pod-template-hash': hash },
    annotations: d.template.annotations,
    spec: d.template.spec,
    owner: { kind: 'ReplicaSet', name: rs, deployment: d.metadata.name, podTemplateHash: hash },
    builtin,
    origin: d.origin,
  };
  deployments.push({ namespace: ns, name: d.metadata.name, replicas: d.replicas, template });
  const out: PodDraft[] = [];
  for (let i = 0; i < d.replicas; i++) {
    let name = generateName(prng, `${rs}-`);
    while (taken.has(`${ns}/${name}`)) name = generateName(prng, `${rs}-`);
    taken.add(`${ns}/${name}`);
    out.push({ ...template, labels: { ...template.labels }, name, specPath: ['spec', 'template', 'spec'] });
  }
  return out;
}

/** host-gw routes pod subnets via the peer node's address, which must be on a shared L2 segment. */
function underlayWarnings(cluster: ClusterSpec, warnings: PlanWarning[]): void {
  if (cluster.flannel.backend !== 'host-gw') return;
  const [first, ...rest] = cluster.nodes;
  if (first === undefined) return;
  const apart = rest.filter((n) => !sameSubnet(first.address, n.address));
  if (apart.length === 0) return;
  warnings.push(
    planWarning(
      cluster.origin,
      ['spec', 'flannel', 'backend'],
      'backend-needs-l2',
      `Cluster ${cluster.name}`,
      `flannel host-gw needs every node on one L2 segment, but ${apart.map((n) => n.name).join(', ')} ${apart.length > 1 ? 'are' : 'is'} not in ${first.name}'s subnet ${formatCidr({ addr: (first.address.addr & prefixMask(first.address.len)) >>> 0, len: first.address.len })}: routes to pods there cannot be installed (use vxlan, or vxlan with DirectRouting)`,
    ),
  );
}

function sameSubnet(a: Ipv4Prefix, b: Ipv4Prefix): boolean {
  return a.len === b.len && prefixContains(a, b.addr);
}
