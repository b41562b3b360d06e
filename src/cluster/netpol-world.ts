/**
 * The running cluster as NetworkPolicy sees it (netpol-eval.ts's NetpolWorld: pods with labels, addresses
 * and named ports; namespaces' labels; the policies), the verdict on one connection in a sentence, and the
 * drop explainer a policy enforcer hangs on every node's netfilter so a dropped packet names the policy
 * that decided it. Both enforcers (kube-router's, Felix's), `podnet policy why` and the matrix share it.
 */
import { formatIpv4, readIpv4, type Ipv4 } from '../wire/addr.js';
import type { DecidingRule, DropExplainer } from '../net/netfilter/netfilter.js';
import {
  evaluateNetpol,
  type DirectionVerdict,
  type NetpolEndpoint,
  type NetpolPod,
  type NetpolProtocol,
  type NetpolVerdict,
  type NetpolWorld,
} from './netpol-eval.js';
import type { ClusterRuntime } from './runtime.js';

/**
 * The world of `rt` as it is now: every running pod that has its own network namespace (a hostNetwork
 * pod's traffic is its node's, which policies do not select), with its plan's container ports.
 */
export function netpolWorld(rt: ClusterRuntime): NetpolWorld {
  const planned = new Map(rt.plan.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const pods: NetpolPod[] = [];
  for (const p of rt.pods.values()) {
    if (p.hostNetwork) continue;
    const spec = planned.get(p.id)?.spec;
    pods.push({
      namespace: p.namespace,
      name: p.name,
      labels: p.labels,
      ip: p.ip,
      ports: (spec?.containers ?? []).flatMap((c) =>
        c.ports.map((cp) => ({
          ...(cp.name !== undefined ? { name: cp.name } : {}),
          port: cp.containerPort,
          protocol: cp.protocol,
        })),
      ),
    });
  }
  return { pods, namespaceLabels: rt.plan.namespaceLabels, policies: rt.plan.networkPolicies };
}

/**
 * The world of `rt`, kept until the cluster changes (a pod or node comes or goes), for explainers that
 * run on every drop.
 */
export function cachedNetpolWorld(rt: ClusterRuntime): () => NetpolWorld {
  let world: NetpolWorld | undefined;
  rt.changes.subscribe(() => (world = undefined));
  return () => (world ??= netpolWorld(rt));
}

/** The endpoint an address is: the pod that has it, or the address itself. */
export function endpointAt(world: NetpolWorld, ip: Ipv4): NetpolEndpoint {
  const pod = world.pods.find((p) => p.ip === ip);
  return pod !== undefined ? { pod } : { ip };
}

/** "x/a", or the address. */
export function endpointName(e: NetpolEndpoint): string {
  return 'pod' in e ? `${e.pod.namespace}/${e.pod.name}` : formatIpv4(e.ip);
}

/** "default-deny in namespace x", "a, b in namespace x" (the policies as namespace/name). */
function policyNames(refs: readonly string[]): string {
  const byNs = new Map<string, string[]>();
  for (const r of refs) {
    const [ns, name] = r.split('/') as [string, string];
    byNs.set(ns, [...(byNs.get(ns) ?? []), name]);
  }
  return [...byNs].map(([ns, names]) => `${names.join(', ')} in namespace ${ns}`).join('; ');
}

/** One direction's refusal in words, or undefined when it allows. */
function refusal(
  d: DirectionVerdict,
  self: NetpolEndpoint,
  other: NetpolEndpoint,
  dir: 'ingress' | 'egress',
  port: number,
  protocol: NetpolProtocol,
): string | undefined {
  if (d.allowed) return undefined;
  const what = protocol === 'ICMP' ? 'ICMP' : `${protocol} ${port}`;
  const peer = dir === 'ingress' ? `from ${endpointName(other)}` : `to ${endpointName(other)}`;
  return `dropped by ${policyNames(d.selectedBy)}: ${endpointName(self)} is selected for ${dir} and no rule allows ${what} ${peer}`;
}

/**
 * The verdict in a sentence: "allowed" with the rules that allow it, or which policies refused it in which
 * direction ("dropped by default-deny in namespace x: x/a is selected for ingress and no rule allows TCP 80
 * from y/b").
 */
export function describeVerdict(
  v: NetpolVerdict,
  from: NetpolEndpoint,
  to: NetpolEndpoint,
  port: number,
  protocol: NetpolProtocol,
): string {
  if (v.allowed) {
    const by = [...v.egress.allowedBy, ...v.ingress.allowedBy].map((a) => `${a.policy} rule ${a.rule + 1}`);
    return by.length === 0 ? 'allowed: no policy isolates either pod' : `allowed by ${by.join(', ')}`;
  }
  return [
    refusal(v.egress, from, to, 'egress', port, protocol),
    refusal(v.ingress, to, from, 'ingress', port, protocol),
  ]
    .filter((s) => s !== undefined)
    .join('; ');
}

const PROTOCOLS: Record<number, NetpolProtocol> = { 6: 'TCP', 17: 'UDP', 132: 'SCTP' };

/**
 * A drop explainer for a policy enforcer's chains: when a rule of a chain `isPolicyChain` accepts drops a
 * packet, `explain` is asked about its connection (addresses, protocol, destination port) and says why in
 * words. Other drops get nothing added.
 */
export function policyChainExplainer(
  isPolicyChain: (chain: string) => boolean,
  explain: (src: Ipv4, dst: Ipv4, port: number, protocol: NetpolProtocol) => string | undefined,
): DropExplainer {
  return (frame: Uint8Array, _ipLen: number, decided: DecidingRule | undefined) => {
    if (decided === undefined || !isPolicyChain(decided.chain)) return undefined;
    const ip = 14;
    // ICMP and other protocols without ports: only a rule with no ports allows them
    const protocol = PROTOCOLS[frame[ip + 9]!] ?? 'ICMP';
    const l4 = ip + (frame[ip]! & 0x0f) * 4;
    const port = protocol === 'ICMP' ? 0 : (frame[l4 + 2]! << 8) | frame[l4 + 3]!;
    return explain(readIpv4(frame, ip + 12), readIpv4(frame, ip + 16), port, protocol);
  };
}

/** The Kubernetes NetworkPolicy judge's reason for a packet a policy chain dropped (policyChainExplainer). */
export function policyDropExplainer(
  world: () => NetpolWorld,
  isPolicyChain: (chain: string) => boolean,
): DropExplainer {
  return policyChainExplainer(isPolicyChain, (src, dst, port, protocol) => {
    const w = world();
    const from = endpointAt(w, src);
    const to = endpointAt(w, dst);
    const v = evaluateNetpol(w, from, to, port, protocol);
    return v.allowed ? undefined : describeVerdict(v, from, to, port, protocol);
  });
}
