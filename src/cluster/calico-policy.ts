/**
 * The policies and workload endpoints of a Calico cluster in the form Felix receives them
 * (control/calico/felix-policy-model.ts):
 * - Kubernetes NetworkPolicy converted as libcalico-go's converter does (lib/backend/k8s/conversion
 *   conversion.go K8sNetworkPolicyToCalico): name `knp.default.<name>`, order 1000, the pod selector
 *   prefixed with `projectcalico.org/orchestrator == 'k8s'`, one rule per protocol and peer, a peer's
 *   ipBlock as nets and its except as notNets, an empty namespaceSelector as `all()`, policyTypes kept;
 * - projectcalico.org/v3 NetworkPolicy and GlobalNetworkPolicy of the default tier, through the update
 *   processors (networkpolicyprocessor.go, rules.go);
 * - each running pod as a workload endpoint: its cali interface, labels with Calico's additions, profiles
 *   and named container ports.
 */
import type { ClusterRuntime } from './runtime.js';
import type { CalicoEntityRule, CalicoObject, CalicoPolicySpec, CalicoRule } from './calico-resources.js';
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyRule } from './k8s-objects.js';
import { calicoVethName } from '../control/cni/calico.js';
import {
  calicoEndpointPorts,
  calicoWorkloadLabels,
  calicoWorkloadProfiles,
  entitySelector,
  namespacedPolicySelector,
  type FelixAction,
  type FelixEntity,
  type FelixPolicy,
  type FelixPort,
  type FelixRule,
  type FelixWorkload,
} from '../control/calico/felix-policy-model.js';

/** conversion.go k8sSelectorToCalico: `pod` selectors gain the orchestrator clause; an empty namespace one is all(). */
export function k8sSelectorToCalico(s: LabelSelector | undefined, kind: 'pod' | 'namespace'): string {
  const parts: string[] = kind === 'pod' ? ["projectcalico.org/orchestrator == 'k8s'"] : [];
  if (s === undefined) return parts.join(' && ');
  if (kind === 'namespace' && Object.keys(s.matchLabels).length === 0 && s.matchExpressions.length === 0)
    return 'all()';
  for (const k of Object.keys(s.matchLabels).sort()) parts.push(`${k} == '${s.matchLabels[k]!}'`);
  for (const e of s.matchExpressions) {
    const values = e.values.join("', '");
    if (e.operator === 'In') parts.push(`${e.key} in { '${values}' }`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} not in { '${values}' }`);
    else if (e.operator === 'Exists') parts.push(`has(${e.key})`);
    else parts.push(`! has(${e.key})`);
  }
  return parts.join(' && ');
}

const noEntity: FelixEntity = { nets: [], notNets: [], selector: '', notSelector: '', ports: [], notPorts: [] };

/** conversion.go SimplifyPorts: numeric ports merged into sorted ranges, names kept first. */
function simplifyPorts(ports: readonly FelixPort[]): FelixPort[] {
  if (ports.length <= 1) return [...ports];
  const named = ports.filter((p): p is { name: string } => 'name' in p);
  const nums = ports.flatMap((p) =>
    'name' in p ? [] : Array.from({ length: p.last - p.first + 1 }, (_, i) => p.first + i),
  );
  if (nums.length <= 1) return [...ports];
  nums.sort((a, b) => a - b);
  const out: FelixPort[] = [...named];
  let i = 0;
  while (i < nums.length) {
    const first = nums[i]!;
    let last = first;
    while (i + 1 < nums.length && nums[i + 1]! <= last + 1) last = nums[++i]!;
    out.push({ first, last });
    i++;
  }
  return out;
}

/** conversion.go k8sRuleToCalico: one rule per protocol (sorted) and peer. */
function k8sRule(rule: NetworkPolicyRule, ns: string, ingress: boolean): FelixRule[] {
  // protocol -> ports (undefined: all ports); '' with no ports entry at all
  let byProto = new Map<string, FelixPort[] | undefined>();
  for (const p of rule.ports) {
    const ports: FelixPort[] | undefined =
      p.port === undefined
        ? undefined
        : typeof p.port === 'string'
          ? [{ name: p.port }]
          : [{ first: p.port, last: p.endPort ?? p.port }];
    const had = byProto.get(p.protocol);
    if (ports === undefined) byProto.set(p.protocol, undefined);
    else if (!byProto.has(p.protocol) || (had !== undefined && had.length > 0))
      byProto.set(p.protocol, [...(had ?? []), ...ports]);
  }
  if (rule.ports.length === 0) byProto = new Map([['', undefined]]);
  const peers: (NetworkPolicyPeer | undefined)[] = rule.peers.length === 0 ? [undefined] : rule.peers;
  const out: FelixRule[] = [];
  for (const proto of [...byProto.keys()].sort()) {
    const ports = simplifyPorts(byProto.get(proto) ?? []);
    for (const peer of peers) {
      let selector = '';
      let nsSelector = '';
      let nets: FelixEntity['nets'] = [];
      let notNets: FelixEntity['notNets'] = [];
      if (peer?.ipBlock !== undefined) {
        nets = [peer.ipBlock.cidr];
        notNets = peer.ipBlock.except;
      } else if (peer !== undefined) {
        selector = k8sSelectorToCalico(peer.podSelector, 'pod');
        nsSelector =
          peer.namespaceSelector === undefined ? '' : k8sSelectorToCalico(peer.namespaceSelector, 'namespace');
      }
      const peerEntity: FelixEntity = {
        ...noEntity,
        nets,
        notNets,
        selector: entitySelector(selector, nsSelector, '', ns),
      };
      const portEntity: FelixEntity = { ...noEntity, ports };
      out.push({
        action: 'allow',
        ...(proto !== '' ? { protocol: proto.toLowerCase() } : {}),
        src: ingress ? peerEntity : noEntity,
        dst: ingress ? portEntity : { ...peerEntity, ports },
      });
    }
  }
  return out;
}

/** A Kubernetes NetworkPolicy as Felix gets it: `<ns>/knp.default.<name>`, order 1000. */
export function k8sToFelixPolicy(np: NetworkPolicy): FelixPolicy {
  const ns = np.metadata.namespace;
  return {
    tier: 'default',
    name: `${ns}/knp.default.${np.metadata.name}`,
    namespace: ns,
    order: 1000,
    selector: namespacedPolicySelector(k8sSelectorToCalico(np.spec.podSelector, 'pod'), ns),
    ingress: np.spec.policyTypes.includes('Ingress'),
    egress: np.spec.policyTypes.includes('Egress'),
    inbound: np.spec.ingress.flatMap((r) => k8sRule(r, ns, true)),
    outbound: np.spec.egress.flatMap((r) => k8sRule(r, ns, false)),
    source: `NetworkPolicy ${ns}/${np.metadata.name}`,
  };
}

function v3Entity(e: CalicoEntityRule, ns: string): FelixEntity {
  return {
    nets: e.nets,
    notNets: e.notNets,
    selector: entitySelector(e.selector, e.namespaceSelector, e.notSelector, ns),
    notSelector: e.notSelector,
    ports: e.ports,
    notPorts: e.notPorts,
  };
}

function v3Rule(r: CalicoRule, ns: string): FelixRule {
  const proto = (p: string | number): string | number => (typeof p === 'number' ? p : p.toLowerCase());
  return {
    action: r.action.toLowerCase() as FelixAction,
    ...(r.protocol !== undefined ? { protocol: proto(r.protocol) } : {}),
    ...(r.notProtocol !== undefined ? { notProtocol: proto(r.notProtocol) } : {}),
    src: v3Entity(r.source, ns),
    dst: v3Entity(r.destination, ns),
  };
}

/** A projectcalico.org/v3 policy as Felix gets it. */
export function calicoToFelixPolicy(
  kind: 'CalicoNetworkPolicy' | 'GlobalNetworkPolicy',
  name: string,
  namespace: string,
  spec: CalicoPolicySpec,
): FelixPolicy {
  const ns = kind === 'CalicoNetworkPolicy' ? namespace : '';
  return {
    tier: 'default',
    name: ns === '' ? name : `${ns}/${name}`,
    ...(ns !== '' ? { namespace: ns } : {}),
    ...(spec.order !== undefined ? { order: spec.order } : {}),
    selector: ns === '' ? spec.selector : namespacedPolicySelector(spec.selector, ns),
    ingress: spec.types.includes('Ingress'),
    egress: spec.types.includes('Egress'),
    inbound: spec.ingress.map((r) => v3Rule(r, ns)),
    outbound: spec.egress.map((r) => v3Rule(r, ns)),
    source: ns === '' ? `GlobalNetworkPolicy ${name}` : `NetworkPolicy ${ns}/${name} (projectcalico.org/v3)`,
  };
}

/** Every policy Felix enforces: the Kubernetes ones and Calico's own of the default tier. */
export function felixPolicies(
  networkPolicies: readonly NetworkPolicy[],
  calicoResources: readonly CalicoObject[],
): FelixPolicy[] {
  const out = networkPolicies.map(k8sToFelixPolicy);
  for (const r of calicoResources)
    if ((r.kind === 'CalicoNetworkPolicy' || r.kind === 'GlobalNetworkPolicy') && r.spec.tier === 'default')
      out.push(calicoToFelixPolicy(r.kind, r.metadata.name, r.metadata.namespace, r.spec));
  return out;
}

/** Whether any Calico v3 policy of the default tier is in force (the explanations then come from Calico's judge). */
export function hasCalicoPolicies(calicoResources: readonly CalicoObject[]): boolean {
  return calicoResources.some(
    (r) => (r.kind === 'CalicoNetworkPolicy' || r.kind === 'GlobalNetworkPolicy') && r.spec.tier === 'default',
  );
}

/** Every running pod with its own network namespace, as a workload endpoint. */
export function felixWorkloads(rt: ClusterRuntime): { node: string; workload: FelixWorkload }[] {
  const out: { node: string; workload: FelixWorkload }[] = [];
  const planned = new Map(rt.plan.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  for (const p of rt.pods.values()) {
    if (p.hostNetwork) continue;
    const nsLabels = { ...rt.plan.namespaceLabels.get(p.namespace), 'kubernetes.io/metadata.name': p.namespace };
    out.push({
      node: p.node,
      workload: {
        iface: calicoVethName(p.namespace, p.name),
        ip: p.ip,
        namespace: p.namespace,
        pod: p.name,
        labels: calicoWorkloadLabels(p.labels, p.namespace, nsLabels, 'default'),
        profiles: calicoWorkloadProfiles(p.namespace, 'default'),
        ports: calicoEndpointPorts(planned.get(p.id)?.spec.containers ?? []),
      },
    });
  }
  return out;
}
