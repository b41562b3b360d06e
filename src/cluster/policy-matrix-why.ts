/**
 * One pair explained (`podnet policy why`): which policies select the source for egress and the target
 * for ingress, every rule of them with whether its peers and its ports match this connection, the judge's
 * verdict in words, and a real probe with the drops it met on the way (the netfilter drop detail names
 * the chain, the rule number and, through the enforcer's explainer, the policy). Whether a rule's peers
 * or ports match is asked of the judge itself (evaluateNetpol on the rule with only its peers, then only
 * its ports), so this file holds no second copy of the semantics.
 */
import type { DropReason } from '../link/trace.js';
import type { NetworkPolicy, NetworkPolicyRule } from './k8s-objects.js';
import {
  evaluateNetpol,
  type NetpolPod,
  type NetpolProtocol,
  type NetpolVerdict,
  type NetpolWorld,
} from './netpol-eval.js';
import { describeVerdict } from './netpol-world.js';
import { PolicyProber, type Probe, type ProbeOptions, type ProbeResult } from './policy-matrix.js';
import type { ClusterRuntime } from './runtime.js';

/** One rule of a selecting policy, weighed against the connection. */
export interface RuleWeighed {
  /** namespace/name. */
  policy: string;
  direction: 'ingress' | 'egress';
  /** 0-based index in the policy's ingress or egress list. */
  rule: number;
  peersMatch: boolean;
  portsMatch: boolean;
}

/** The pair explained on paper. */
export interface PairExplanation {
  /** Policies that select the source for egress / the target for ingress (namespace/name). */
  egressSelectedBy: string[];
  ingressSelectedBy: string[];
  rules: RuleWeighed[];
  verdict: NetpolVerdict;
  /** describeVerdict's sentence (or the loopback rule for a pod to itself). */
  sentence: string;
}

/** Weighs every rule of the policies that select `from` (egress) and `to` (ingress). */
export function explainPair(
  world: NetpolWorld,
  from: NetpolPod,
  to: NetpolPod,
  port: number,
  protocol: NetpolProtocol,
): PairExplanation {
  const verdict = evaluateNetpol(world, { pod: from }, { pod: to }, port, protocol);
  const rules: RuleWeighed[] = [];
  const weigh = (direction: 'ingress' | 'egress', names: readonly string[]): void => {
    for (const name of names) {
      const p = world.policies.find((x) => `${x.metadata.namespace}/${x.metadata.name}` === name)!;
      const list = direction === 'ingress' ? p.spec.ingress : p.spec.egress;
      list.forEach((rule, i) => {
        const allows = (r: NetworkPolicyRule): boolean => {
          const one = withOnlyRule(p, direction, r);
          const v = evaluateNetpol({ ...world, policies: [one] }, { pod: from }, { pod: to }, port, protocol);
          return (direction === 'ingress' ? v.ingress : v.egress).allowedBy.length > 0;
        };
        rules.push({
          policy: name,
          direction,
          rule: i,
          peersMatch: allows({ peers: rule.peers, ports: [] }),
          portsMatch: allows({ peers: [], ports: rule.ports }),
        });
      });
    }
  };
  weigh('egress', verdict.egress.selectedBy);
  weigh('ingress', verdict.ingress.selectedBy);
  const sentence =
    from === to
      ? "allowed: a pod's traffic to its own address stays on its lo, where no policy applies"
      : describeVerdict(verdict, { pod: from }, { pod: to }, port, protocol);
  return {
    egressSelectedBy: verdict.egress.selectedBy,
    ingressSelectedBy: verdict.ingress.selectedBy,
    rules,
    verdict: from === to ? { ...verdict, allowed: true } : verdict,
    sentence,
  };
}

/** `p` with `rule` as its only rule of `direction` (and none of the other). */
function withOnlyRule(p: NetworkPolicy, direction: 'ingress' | 'egress', rule: NetworkPolicyRule): NetworkPolicy {
  return {
    ...p,
    spec: {
      ...p.spec,
      ingress: direction === 'ingress' ? [rule] : [],
      egress: direction === 'egress' ? [rule] : [],
    },
  };
}

/** A drop the probe met. */
export interface ProbeDrop {
  time: number;
  device: string;
  reason: DropReason;
  detail: string;
}

/** One probe with the drops recorded while it ran (a tracer on the network for its duration). */
export function probeWithDrops(
  rt: ClusterRuntime,
  probe: Probe,
  opts: Partial<ProbeOptions> = {},
): { result: ProbeResult; drops: ProbeDrop[] } {
  const drops: ProbeDrop[] = [];
  const before = rt.network.tracer;
  rt.network.tracer = {
    drop: (time, device, _port, reason, detail) => drops.push({ time, device, reason, detail }),
  };
  try {
    const run = new PolicyProber(rt, { ...opts, batch: 1 }).run([probe]);
    return { result: run.results[0]!, drops };
  } finally {
    rt.network.tracer = before;
  }
}
