/**
 * The semantics of networking.k8s.io/v1 NetworkPolicy, evaluated on paper: given the pods, the namespaces'
 * labels and the policies, may a connection from A to B on a port go through, and which policies and
 * rules decide it. This is the independent judge issue 12's enforcers (kube-router's chains, Felix's)
 * are checked against; it knows nothing of iptables. The rules, from the API's documentation
 * (k8s.io/api/networking/v1/types.go):
 * - a pod is isolated for ingress (egress) once any policy in its namespace selects it with Ingress
 *   (Egress) in policyTypes; an isolated pod accepts only what some rule of some such policy allows
 *   (the union); a pod no policy selects is not isolated;
 * - a rule allows a peer when its `from`/`to` list is empty or any peer matches, and the port when its
 *   `ports` list is empty or any entry matches;
 * - a peer with podSelector and/or namespaceSelector matches pods (podSelector alone: in the policy's
 *   namespace; namespaceSelector alone: every pod of the matching namespaces; both: the pods matching
 *   podSelector in the matching namespaces); an ipBlock matches addresses in cidr and not in except;
 * - a port entry matches its protocol and a number, a range up to endPort, or a name resolved on the
 *   destination pod's container ports;
 * - a connection is allowed when the source's egress and the destination's ingress both allow it.
 * Every namespace carries the label kubernetes.io/metadata.name=<name> (the API server sets it).
 */
import { prefixContains, type Ipv4 } from '../wire/addr.js';
import type { Labels, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyRule, Protocol } from './k8s-objects.js';
import { selectorMatches } from '../control/label-selector.js';

/**
 * What a connection carries: a protocol a policy port can name, or ICMP (and any other protocol without
 * ports), which only a rule with no ports allows.
 */
export type NetpolProtocol = Protocol | 'ICMP';

/** A pod as policy sees it: where it is, its labels, its address and its named container ports. */
export interface NetpolPod {
  namespace: string;
  name: string;
  labels: Labels;
  ip: Ipv4;
  ports: readonly { name?: string; port: number; protocol: Protocol }[];
}

/** What the evaluation reads. */
export interface NetpolWorld {
  pods: readonly NetpolPod[];
  /** Each namespace's labels (kubernetes.io/metadata.name is added). */
  namespaceLabels: ReadonlyMap<string, Labels>;
  policies: readonly NetworkPolicy[];
}

/** One end of a connection: a pod, or an address outside every pod. */
export type NetpolEndpoint = { pod: NetpolPod } | { ip: Ipv4 };

/** How one direction (the source's egress, or the destination's ingress) judged the connection. */
export interface DirectionVerdict {
  /** Some policy selects the pod for this direction. */
  isolated: boolean;
  /** Those policies, as namespace/name. */
  selectedBy: string[];
  /** The rules that allow the connection: policy namespace/name and the rule's index. */
  allowedBy: { policy: string; rule: number }[];
  /** Not isolated, or allowed by some rule. */
  allowed: boolean;
}

/** The verdict on one connection. */
export interface NetpolVerdict {
  allowed: boolean;
  egress: DirectionVerdict;
  ingress: DirectionVerdict;
}

/** Whether `from` may open a connection to `to` on `port`/`protocol`, and why. */
/** Whether policy `p` selects `pod`: the pod is in the policy's namespace and matches its podSelector. */
export function policySelects(p: NetworkPolicy, pod: NetpolPod): boolean {
  return p.metadata.namespace === pod.namespace && selectorMatches(p.spec.podSelector, pod.labels);
}

export function evaluateNetpol(
  world: NetpolWorld,
  from: NetpolEndpoint,
  to: NetpolEndpoint,
  port: number,
  protocol: NetpolProtocol,
): NetpolVerdict {
  const egress = direction(world, from, 'Egress', to, port, protocol);
  const ingress = direction(world, to, 'Ingress', from, port, protocol);
  return { allowed: egress.allowed && ingress.allowed, egress, ingress };
}

/** How `self`'s policies of one type judge traffic with `other` (the destination's port is `port`). */
function direction(
  world: NetpolWorld,
  self: NetpolEndpoint,
  type: 'Ingress' | 'Egress',
  other: NetpolEndpoint,
  port: number,
  protocol: NetpolProtocol,
): DirectionVerdict {
  // an address outside the cluster has no policies of its own
  if (!('pod' in self)) return { isolated: false, selectedBy: [], allowedBy: [], allowed: true };
  const pod = self.pod;
  const selecting = world.policies.filter((p) => p.spec.policyTypes.includes(type) && policySelects(p, pod));
  const destination = type === 'Ingress' ? self : other;
  const allowedBy: { policy: string; rule: number }[] = [];
  for (const p of selecting) {
    const rules = type === 'Ingress' ? p.spec.ingress : p.spec.egress;
    rules.forEach((rule, i) => {
      if (ruleAllows(world, p, rule, other, destination, port, protocol))
        allowedBy.push({ policy: `${p.metadata.namespace}/${p.metadata.name}`, rule: i });
    });
  }
  const isolated = selecting.length > 0;
  return {
    isolated,
    selectedBy: selecting.map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
    allowedBy,
    allowed: !isolated || allowedBy.length > 0,
  };
}

function ruleAllows(
  world: NetpolWorld,
  policy: NetworkPolicy,
  rule: NetworkPolicyRule,
  peer: NetpolEndpoint,
  destination: NetpolEndpoint,
  port: number,
  protocol: NetpolProtocol,
): boolean {
  const peerOk = rule.peers.length === 0 || rule.peers.some((p) => peerMatches(world, policy, p, peer));
  if (!peerOk) return false;
  if (rule.ports.length === 0) return true;
  return rule.ports.some((pp) => {
    if (pp.protocol !== protocol) return false;
    if (pp.port === undefined) return true;
    if (typeof pp.port === 'number')
      return pp.endPort === undefined ? port === pp.port : port >= pp.port && port <= pp.endPort;
    // a named port is the destination pod's container port of that name and protocol
    const name = pp.port;
    return (
      'pod' in destination &&
      destination.pod.ports.some((cp) => cp.name === name && cp.protocol === protocol && cp.port === port)
    );
  });
}

function peerMatches(world: NetpolWorld, policy: NetworkPolicy, peer: NetworkPolicyPeer, e: NetpolEndpoint): boolean {
  if (peer.ipBlock !== undefined) {
    const ip = 'pod' in e ? e.pod.ip : e.ip;
    return prefixContains(peer.ipBlock.cidr, ip) && !peer.ipBlock.except.some((x) => prefixContains(x, ip));
  }
  if (!('pod' in e)) return false;
  const pod = e.pod;
  if (peer.namespaceSelector !== undefined) {
    const labels = { ...world.namespaceLabels.get(pod.namespace), 'kubernetes.io/metadata.name': pod.namespace };
    if (!selectorMatches(peer.namespaceSelector, labels)) return false;
  } else if (pod.namespace !== policy.metadata.namespace) return false;
  return peer.podSelector === undefined || selectorMatches(peer.podSelector, pod.labels);
}
