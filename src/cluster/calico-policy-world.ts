/**
 * A running Calico cluster as Calico's policy judge sees it (calico-policy-eval.ts's CalicoWorld), the
 * judge's verdict in a sentence, and the drop explainer Felix's chains get on every node, so a packet a
 * policy dropped names the policy and rule ("dropped by rule 1 (Deny) of GlobalNetworkPolicy deny-db: ...").
 */
import { formatIpv4 } from '../wire/addr.js';
import type { DropExplainer } from '../net/netfilter/netfilter.js';
import {
  calicoPeerAt,
  evaluateCalicoPolicy,
  type CalicoDirectionVerdict,
  type CalicoEndpoint,
  type CalicoPeer,
  type CalicoVerdict,
  type CalicoWorld,
} from './calico-policy-eval.js';
import { felixPolicies, felixWorkloads } from './calico-policy.js';
import type { NetpolProtocol } from './netpol-eval.js';
import { policyChainExplainer } from './netpol-world.js';
import type { ClusterRuntime } from './runtime.js';

/** The world of `rt` as it is now. */
export function calicoWorld(rt: ClusterRuntime): CalicoWorld {
  const planned = new Map(rt.plan.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const endpoints: CalicoEndpoint[] = felixWorkloads(rt).map(({ workload: w }) => ({
    namespace: w.namespace,
    name: w.pod,
    ip: w.ip,
    labels: w.labels,
    ports: (planned.get(`${w.namespace}/${w.pod}`)?.spec.containers ?? []).flatMap((c) =>
      c.ports.map((cp) => ({
        ...(cp.name !== undefined ? { name: cp.name } : {}),
        port: cp.containerPort,
        protocol: cp.protocol,
      })),
    ),
  }));
  return { endpoints, policies: felixPolicies(rt.plan.networkPolicies, rt.plan.calicoResources) };
}

/** "x/a", or the address. */
function peerName(p: CalicoPeer): string {
  return 'endpoint' in p ? `${p.endpoint.namespace}/${p.endpoint.name}` : formatIpv4(p.ip);
}

function refusal(
  d: CalicoDirectionVerdict,
  self: CalicoPeer,
  other: CalicoPeer,
  dir: 'ingress' | 'egress',
  port: number,
  protocol: NetpolProtocol,
): string | undefined {
  if (d.allowed) return undefined;
  const what = protocol === 'ICMP' ? 'ICMP' : `${protocol} ${port}`;
  const peer = dir === 'ingress' ? `from ${peerName(other)}` : `to ${peerName(other)}`;
  if (d.decision.kind === 'rule')
    return `dropped by rule ${d.decision.rule + 1} (Deny) of ${d.decision.policy.source}: ${dir} of ${peerName(self)}, ${what} ${peer}`;
  const by = d.policies.map((p) => p.source).join(', ');
  return `dropped at the end of tier default (${by}): ${peerName(self)} is selected for ${dir} and no rule allows ${what} ${peer}`;
}

/** The verdict in a sentence: what allowed it, or which policy and rule refused it in which direction. */
export function describeCalicoVerdict(
  v: CalicoVerdict,
  from: CalicoPeer,
  to: CalicoPeer,
  port: number,
  protocol: NetpolProtocol,
): string {
  if (v.allowed) {
    const by = [v.egress, v.ingress].flatMap((d) =>
      d.decision.kind === 'rule' ? [`rule ${d.decision.rule + 1} of ${d.decision.policy.source}`] : [],
    );
    return by.length === 0 ? 'allowed: the namespace profiles allow it' : `allowed by ${by.join(', ')}`;
  }
  return [
    refusal(v.egress, from, to, 'egress', port, protocol),
    refusal(v.ingress, to, from, 'ingress', port, protocol),
  ]
    .filter((s) => s !== undefined)
    .join('; ');
}

/** A drop explainer for Felix's chains: the Calico judge's reason for a packet one of them dropped. */
export function calicoDropExplainer(
  world: () => CalicoWorld,
  isPolicyChain: (chain: string) => boolean,
): DropExplainer {
  return policyChainExplainer(isPolicyChain, (src, dst, port, protocol) => {
    const w = world();
    const from = calicoPeerAt(w, src);
    const to = calicoPeerAt(w, dst);
    const v = evaluateCalicoPolicy(w, from, to, port, protocol);
    return v.allowed ? undefined : describeCalicoVerdict(v, from, to, port, protocol);
  });
}
