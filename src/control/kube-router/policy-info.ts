/**
 * buildNetworkPoliciesInfo (kube-router pkg/controllers/netpol/policy.go): each NetworkPolicy turned into
 * what the chain writer needs: its type (ingress, egress or both), the pods it selects, and per rule the
 * peer pods, the ipBlock entries (with `nomatch` for except) and the ports, named ports resolved to
 * numbers with the pods that carry them (grabNamedPortFromPod, processNetworkPolicyPorts). Selectors are
 * Kubernetes' label selectors. Where Go iterates a map (listers, the named-port maps) the order here is
 * sorted: pods by namespace/name, policies by namespace/name, a named port's numbers ascending.
 */
import { selectorMatches } from '../label-selector.js';
import type { KrPeer, KrPod, KrPolicy, KrPort, KrProtocol, KrSelector } from './types.js';

/** A port of a rule: protocol, and a port and end port as the words kube-router writes ("" when absent). */
export interface ProtocolAndPort {
  protocol: KrProtocol;
  port: string;
  endport: string;
}

/** A named port resolved: the number, and the pods (addresses) that have it. */
export interface NamedPortEndpoints extends ProtocolAndPort {
  /**
   * The addresses, shared between every named port the first pod with that port number brought in: Go's
   * grabNamedPortFromPod keeps that pod's `ips` map in each new entry and appends later pods into it, so
   * all of them see the additions (kept as kube-router v2.6.3 has it).
   */
  ips: { v4: string[] };
}

/** One rule, as kube-router's ingressRule/egressRule. */
export interface RuleInfo {
  matchAllPorts: boolean;
  ports: ProtocolAndPort[];
  namedPorts: NamedPortEndpoints[];
  /** `from`/`to` is empty. */
  matchAllPeers: boolean;
  peerPods: KrPod[];
  /** ipset entries (`cidr timeout 0 [nomatch]`) of the rule's ipBlock peers. */
  ipBlocks: string[][];
}

/** One policy, as kube-router's networkPolicyInfo. */
export interface PolicyInfo {
  namespace: string;
  name: string;
  type: 'ingress' | 'egress' | 'both';
  targetPods: KrPod[];
  /** The selected pods' addresses (the controller's targetPods map is keyed by pod IP). */
  targets: ReadonlySet<string>;
  ingressRules: RuleInfo[];
  egressRules: RuleInfo[];
}

const EVERYTHING: KrSelector = { matchLabels: {}, matchExpressions: [] };

type NamedPortMap = Map<string, Map<KrProtocol, Map<number, NamedPortEndpoints>>>;

/** grabNamedPortFromPod: every named container port of `pod` into `m` (see NamedPortEndpoints.ips). */
function grabNamedPorts(pod: KrPod, m: NamedPortMap): void {
  const ips = { v4: [pod.ip] };
  for (const p of pod.ports) {
    const name = p.name ?? '';
    let byProto = m.get(name);
    if (byProto === undefined) m.set(name, (byProto = new Map<KrProtocol, Map<number, NamedPortEndpoints>>()));
    let byNum = byProto.get(p.protocol);
    if (byNum === undefined) byProto.set(p.protocol, (byNum = new Map<number, NamedPortEndpoints>()));
    const eps = byNum.get(p.containerPort);
    if (eps === undefined)
      byNum.set(p.containerPort, { ips, protocol: p.protocol, port: String(p.containerPort), endport: '' });
    else eps.ips.v4 = [...eps.ips.v4, ...ips.v4];
  }
}

/** processNetworkPolicyPorts: numbers (with endPort when not below port) and named ports resolved. */
function processPorts(ports: readonly KrPort[], named: NamedPortMap): Pick<RuleInfo, 'ports' | 'namedPorts'> {
  const out: Pick<RuleInfo, 'ports' | 'namedPorts'> = { ports: [], namedPorts: [] };
  for (const p of ports) {
    if (p.port === undefined) out.ports.push({ protocol: p.protocol, port: '', endport: '' });
    else if (typeof p.port === 'number')
      out.ports.push({
        protocol: p.protocol,
        port: String(p.port),
        endport: p.endPort !== undefined && p.endPort >= p.port ? String(p.endPort) : '',
      });
    else {
      const byNum = named.get(p.port)?.get(p.protocol);
      if (byNum !== undefined)
        for (const n of [...byNum.keys()].sort((a, b) => a - b)) out.namedPorts.push(byNum.get(n)!);
    }
  }
  return out;
}

/** evalIPBlockPeer: a peer that is only an ipBlock gives its cidr, a /0 as its two halves, and except as nomatch. */
function ipBlockEntries(peer: KrPeer): string[][] {
  if (peer.podSelector !== undefined || peer.namespaceSelector !== undefined || peer.ipBlock === undefined) return [];
  const halves = (cidr: string, extra: string[]): string[][] =>
    cidr.endsWith('/0')
      ? [
          ['0.0.0.0/1', 'timeout', '0', ...extra],
          ['128.0.0.0/1', 'timeout', '0', ...extra],
        ]
      : [[cidr, 'timeout', '0', ...extra]];
  return [...halves(peer.ipBlock.cidr, []), ...peer.ipBlock.except.flatMap((e) => halves(e, ['nomatch']))];
}

/** buildNetworkPoliciesInfo over `policies`, sorted by namespace/name. */
export function buildPoliciesInfo(
  policies: readonly KrPolicy[],
  pods: readonly KrPod[],
  namespaces: ReadonlyMap<string, Readonly<Record<string, string>>>,
): PolicyInfo[] {
  const sortedPods = [...pods].sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name));
  const inNs = (ns: string, sel: KrSelector): KrPod[] =>
    sortedPods.filter((p) => p.namespace === ns && selectorMatches(sel, p.labels));
  // evalPodPeer: namespaceSelector (with podSelector or everything) over the matching namespaces, or
  // podSelector alone in the policy's namespace
  const peerPods = (policy: KrPolicy, peer: KrPeer): KrPod[] => {
    if (peer.namespaceSelector !== undefined) {
      const nsSel = peer.namespaceSelector;
      const names = [...namespaces].filter(([, l]) => selectorMatches(nsSel, l)).map(([n]) => n);
      return names.sort(cmp).flatMap((n) => inNs(n, peer.podSelector ?? EVERYTHING));
    }
    return peer.podSelector !== undefined ? inNs(policy.namespace, peer.podSelector) : [];
  };
  const sorted = [...policies].sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name));
  return sorted.map((policy) => {
    const ingress = policy.policyTypes.includes('Ingress');
    const egress = policy.policyTypes.includes('Egress');
    const targetPods = inNs(policy.namespace, policy.podSelector);
    const ingressNamed: NamedPortMap = new Map();
    for (const p of targetPods) grabNamedPorts(p, ingressNamed);
    const ingressRules = policy.ingress.map((r): RuleInfo => {
      const all = r.peers.length === 0;
      return {
        matchAllPeers: all,
        peerPods: all ? [] : r.peers.flatMap((peer) => peerPods(policy, peer)),
        ipBlocks: all ? [] : r.peers.flatMap(ipBlockEntries),
        matchAllPorts: r.ports.length === 0,
        ...processPorts(r.ports, ingressNamed),
      };
    });
    const egressRules = policy.egress.map((r): RuleInfo => {
      const all = r.peers.length === 0;
      const named: NamedPortMap = new Map();
      let dst: KrPod[] = [];
      if (all) {
        // "match all dst but match some named dst-port": the names are looked up on the policy's namespace
        if (r.ports.some((p) => typeof p.port === 'string'))
          for (const p of inNs(policy.namespace, EVERYTHING)) grabNamedPorts(p, named);
      } else {
        dst = r.peers.flatMap((peer) => peerPods(policy, peer));
        for (const p of dst) grabNamedPorts(p, named);
      }
      return {
        matchAllPeers: all,
        peerPods: dst,
        ipBlocks: all ? [] : r.peers.flatMap(ipBlockEntries),
        matchAllPorts: r.ports.length === 0,
        ...processPorts(r.ports, named),
      };
    });
    return {
      namespace: policy.namespace,
      name: policy.name,
      // the controller starts from "ingress" and looks at policyTypes
      type: ingress && egress ? 'both' : egress ? 'egress' : 'ingress',
      targetPods,
      targets: new Set(targetPods.map((p) => p.ip)),
      ingressRules,
      egressRules,
    };
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
