/**
 * Where k3s's kube-router (v2.6.3) decides otherwise than networking.k8s.io/v1, found by the property
 * tests (test/netpol-property.test.ts) and read in its source (pkg/controllers/netpol); podnet's
 * kube-router writes the same rules and sets, so the data path does what the real one does, and these
 * are the four ways it parts from the v1 judge:
 * 1. Both policyTypes open each other. For a policy with both types, setupPodNetpolRules (pod.go) jumps
 *    from a selected pod's KUBE-POD-FW chain to the policy's KUBE-NWPLCY chain without `-d`/`-s` (an
 *    Ingress-only policy gets `-d <pod ip>`, an Egress-only one `-s <pod ip>`), and that chain holds the
 *    ingress rules (`--match-set <targets> dst`) and the egress rules (`--match-set <targets> src`)
 *    alike (policy.go). Traffic between two pods the policy selects is accepted by its egress rules in
 *    the destination's chain and by its ingress rules in the source's chain: one direction's rules open
 *    the other. Two policies, one per type, do not do this.
 * 2. The ipBlocks of one rule share one hash:net set (policyIndexedSource/DestinationIPBlockIPSetName;
 *    evalIPBlockPeer adds each cidr, then its excepts with `nomatch`). The kernel's hash:net answers by
 *    the longest matching member, so one block's except also cuts the address out of another block of
 *    the same rule that covers it; v1 takes the union of the peers. (A member added twice keeps the last
 *    add's flag, as the kernel does: test/netpol-ipset-readd.test.ts.)
 * 3. An egress rule's ipBlocks get only its numbered ports: processEgressRules (policy.go) loops over
 *    `egressRule.ports` for the ipBlock set, never `namedPorts`, so a named port allows nothing towards
 *    an ipBlock (ingress from ipBlocks does match named ports).
 * 4. An egress rule without `to` resolves a named port on the pods of the policy's own namespace
 *    (buildNetworkPoliciesInfo: "we must try to grab NamedPort from pods that in same namespace") and
 *    allows those numbers towards every destination, not the number each destination gives the name.
 */
import {
  evaluateNetpol,
  type NetpolPod,
  type NetpolProtocol,
  type NetpolVerdict,
  type NetpolWorld,
} from '../../src/cluster/netpol-eval.js';
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyRule } from '../../src/cluster/k8s-objects.js';
import { selectorMatches } from '../../src/cluster/label-selector.js';
import { prefixContains, type Ipv4, type Ipv4Prefix } from '../../src/wire/addr.js';

/** Whether the policy `p` selects `pod` (its namespace, its podSelector). */
const selects = (p: NetworkPolicy, pod: NetpolPod): boolean =>
  p.metadata.namespace === pod.namespace && selectorMatches(p.spec.podSelector, pod.labels);

/** Whether `ip` is in the one hash:net set kube-router makes of a rule's ipBlocks (quirk 2). */
function inRuleIpBlockSet(peers: readonly NetworkPolicyPeer[], ip: Ipv4): boolean {
  const members = new Map<string, { p: Ipv4Prefix; nomatch: boolean }>();
  for (const peer of peers) {
    if (peer.ipBlock === undefined) continue;
    const { cidr, except } = peer.ipBlock;
    members.set(`${cidr.addr}/${cidr.len}`, { p: cidr, nomatch: false });
    for (const x of except) members.set(`${x.addr}/${x.len}`, { p: x, nomatch: true });
  }
  let best: { p: Ipv4Prefix; nomatch: boolean } | undefined;
  for (const m of members.values())
    if (prefixContains(m.p, ip) && (best === undefined || m.p.len > best.p.len)) best = m;
  return best !== undefined && !best.nomatch;
}

/** A never-matching peer (no pod has 255.255.255.255). */
const NOWHERE: NetworkPolicyPeer = { ipBlock: { cidr: { addr: 0xffffffff, len: 32 }, except: [] } };

/**
 * `rule` as kube-router's chain has it for the address `ip`: its ipBlocks replaced by what the rule's set
 * answers (2), and, in an egress rule, the ipBlock half without its named ports (3). One rule may become
 * two (pods and ipBlocks apart).
 */
function withIpBlockSet(rule: NetworkPolicyRule, ip: Ipv4, egress: boolean): NetworkPolicyRule[] {
  if (!rule.peers.some((p) => p.ipBlock !== undefined)) return [rule];
  const others = rule.peers.filter((p) => p.ipBlock === undefined);
  const block: NetworkPolicyPeer = inRuleIpBlockSet(rule.peers, ip)
    ? { ipBlock: { cidr: { addr: ip, len: 32 }, except: [] } }
    : NOWHERE;
  const numbered = rule.ports.filter((p) => typeof p.port !== 'string');
  const out: NetworkPolicyRule[] = others.length > 0 ? [{ ...rule, peers: others }] : [];
  // an empty ports list would mean every port: a rule left with named ports only gives the blocks nothing
  if (!egress || rule.ports.length === 0) out.push({ ...rule, peers: [block] });
  else if (numbered.length > 0) out.push({ peers: [block], ports: numbered });
  return out;
}

/**
 * An egress rule without peers as kube-router has it (4): each named port replaced by the numbers the
 * policy's namespace's pods give that name; none at all if no named port resolves and nothing else is left.
 */
function withNamespaceNamedPorts(
  world: NetpolWorld,
  policy: NetworkPolicy,
  rule: NetworkPolicyRule,
): NetworkPolicyRule[] {
  if (rule.peers.length > 0 || !rule.ports.some((p) => typeof p.port === 'string')) return [rule];
  const ports = rule.ports.flatMap((pp) => {
    if (typeof pp.port !== 'string') return [pp];
    const numbers = new Set(
      world.pods
        .filter((pod) => pod.namespace === policy.metadata.namespace)
        .flatMap((pod) => pod.ports.filter((cp) => cp.name === pp.port && cp.protocol === pp.protocol))
        .map((cp) => cp.port),
    );
    return [...numbers].map((port) => ({ protocol: pp.protocol, port }));
  });
  return ports.length === 0 ? [] : [{ ...rule, ports }];
}

/** The policies as kube-router's chains see the pair: ingress rules at `from`'s address, egress at `to`'s. */
function kubeRouterView(world: NetpolWorld, from: NetpolPod, to: NetpolPod): NetpolWorld {
  return {
    ...world,
    policies: world.policies.map((p) => ({
      ...p,
      spec: {
        ...p.spec,
        ingress: p.spec.ingress.flatMap((r) => withIpBlockSet(r, from.ip, false)),
        egress: p.spec.egress
          .flatMap((r) => withNamespaceNamedPorts(world, p, r))
          .flatMap((r) => withIpBlockSet(r, to.ip, true)),
      },
    })),
  };
}

/** kube-router's verdict on `from` -> `to`: the v1 judge's with the four differences above. */
export function kubeRouterAllows(
  world: NetpolWorld,
  from: NetpolPod,
  to: NetpolPod,
  port: number,
  protocol: NetpolProtocol,
): boolean {
  const view = kubeRouterView(world, from, to);
  const v: NetpolVerdict = evaluateNetpol(view, { pod: from }, { pod: to }, port, protocol);
  if (v.allowed) return true;
  const both = view.policies.filter(
    (p) =>
      p.spec.policyTypes.includes('Ingress') &&
      p.spec.policyTypes.includes('Egress') &&
      selects(p, from) &&
      selects(p, to),
  );
  const alone = (p: NetworkPolicy): NetpolVerdict =>
    evaluateNetpol({ ...view, policies: [p] }, { pod: from }, { pod: to }, port, protocol);
  // the destination's chain also runs its both-type policies' egress rules; the source's, their ingress rules
  const ingress = v.ingress.allowed || both.some((p) => alone(p).egress.allowedBy.length > 0);
  const egress = v.egress.allowed || both.some((p) => alone(p).ingress.allowedBy.length > 0);
  return ingress && egress;
}
