/**
 * The probes' results checked against an independent judge of the policies' meaning: for v1
 * NetworkPolicy, netpol-eval.ts's evaluateNetpol on the running cluster's world (netpol-world.ts). A
 * disagreement is a bug in the enforcer or in the judge, and fails the run. A pod's traffic to its own
 * address never leaves it (Linux delivers it on lo), so no policy applies: the e2e suite's
 * Reachability.AllowLoopback expects such pairs to connect whatever the policies say, and so does this
 * judge. Pairs whose target serves nothing on the port (the probe is refused by the pod, not by policy)
 * and SCTP pairs (not emulated) are not compared, and are listed as such. On a Flannel cluster the enforcer
 * is k3s's kube-router, which knowingly parts from v1 in five ways (netpol-kube-router-deviations.ts): there
 * the judge expects kube-router's verdict and labels the pair with the deviation, which does not fail the run.
 */
import type { NetworkPolicy } from './k8s-objects.js';
import { evaluateNetpol, policySelects, type NetpolPod, type NetpolProtocol, type NetpolWorld } from './netpol-eval.js';
import { describeVerdict, netpolWorld } from './netpol-world.js';
import { outcomeAllowed, podListens, type ProbeResult } from './policy-matrix.js';
import type { ClusterPod, ClusterRuntime } from './runtime.js';
import { calicoPeerAt, evaluateCalicoPolicy } from './calico-policy-eval.js';
import { kubeRouterDeviation } from './netpol-kube-router-deviations.js';
import { calicoWorld, describeCalicoVerdict } from './calico-policy-world.js';

/** What a judge says about one connection. */
export interface JudgeVerdict {
  allowed: boolean;
  /** The verdict in words (describeVerdict's sentence; the judges build it when it is read). */
  readonly why: string;
  /** Where the enforcer knowingly decides otherwise than v1 (`allowed` is then the enforcer's): why, in words. */
  deviation?: string;
}

/** A judge: may `from` open a connection to `to` on `port`/`protocol`? */
export type MatrixJudge = (from: ClusterPod, to: ClusterPod, port: number, protocol: NetpolProtocol) => JudgeVerdict;

/** The words for a pod's traffic to itself. */
export const LOOPBACK_VERDICT: JudgeVerdict = {
  allowed: true,
  why: "allowed: a pod's traffic to its own address stays on its lo, where no policy applies",
};

/**
 * The v1 NetworkPolicy judge of `rt` as it is now: evaluateNetpol on netpolWorld(rt). Each call gives it
 * only the policies that select one of the two pods (the only ones its evaluation reads), so a big matrix
 * does not re-filter every policy for every pair.
 */
export function netpolJudge(rt: ClusterRuntime, world: NetpolWorld = netpolWorld(rt)): MatrixJudge {
  const byId = new Map<string, NetpolPod>(world.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const selecting = new Map<NetpolPod, NetworkPolicy[]>();
  const policiesOf = (pod: NetpolPod): NetworkPolicy[] => {
    let ps = selecting.get(pod);
    if (ps === undefined) {
      ps = world.policies.filter((p) => policySelects(p, pod));
      selecting.set(pod, ps);
    }
    return ps;
  };
  return (from, to, port, protocol) => {
    if (from === to) return LOOPBACK_VERDICT;
    const a = byId.get(from.id);
    const b = byId.get(to.id);
    if (a === undefined || b === undefined) throw new Error(`netpolJudge: ${from.id} or ${to.id} is not in the world`);
    const pa = policiesOf(a);
    const pb = policiesOf(b);
    const policies = a.namespace === b.namespace && pa === pb ? pa : [...pa, ...pb.filter((p) => !pa.includes(p))];
    const v = evaluateNetpol({ ...world, policies }, { pod: a }, { pod: b }, port, protocol);
    // the sentence only when someone reads it (a matrix of 90,000 pairs reads a few)
    return {
      allowed: v.allowed,
      get why() {
        return describeVerdict(v, { pod: a }, { pod: b }, port, protocol);
      },
    };
  };
}

/**
 * Calico's judge of `rt` as it is now (calico-policy-eval.ts on calicoWorld(rt)): Kubernetes policies as
 * Felix converts them, beside projectcalico.org/v3 NetworkPolicy and GlobalNetworkPolicy with their order
 * and actions.
 */
export function calicoJudge(rt: ClusterRuntime): MatrixJudge {
  const world = calicoWorld(rt);
  return (from, to, port, protocol) => {
    if (from === to) return LOOPBACK_VERDICT;
    const a = calicoPeerAt(world, from.ip);
    const b = calicoPeerAt(world, to.ip);
    const v = evaluateCalicoPolicy(world, a, b, port, protocol);
    return {
      allowed: v.allowed,
      get why() {
        return describeCalicoVerdict(v, a, b, port, protocol);
      },
    };
  };
}

/**
 * The v1 judge with kube-router's known deviations: where kube-router decides otherwise than v1
 * (kubeRouterDeviation), its verdict is expected and the pair carries the deviation.
 */
export function kubeRouterJudge(rt: ClusterRuntime): MatrixJudge {
  const world = netpolWorld(rt);
  const v1 = netpolJudge(rt, world);
  const byId = new Map<string, NetpolPod>(world.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  return (from, to, port, protocol) => {
    const v = v1(from, to, port, protocol);
    if (from === to) return v;
    const d = kubeRouterDeviation(world, byId.get(from.id)!, byId.get(to.id)!, port, protocol);
    return d === undefined ? v : { allowed: d.allowed, why: `v1 ${v.why}`, deviation: d.deviation };
  };
}

/**
 * The judge for `rt`'s enforcer: Calico's semantics on a Calico cluster; v1 NetworkPolicy's with
 * kube-router's deviations where kube-router enforces; v1's otherwise.
 */
export function judgeFor(rt: ClusterRuntime): { name: string; judge: MatrixJudge } {
  if (rt.plan.cluster.cni === 'calico') return { name: 'Calico policy judge', judge: calicoJudge(rt) };
  return rt.policy?.kind === 'kube-router'
    ? { name: 'NetworkPolicy judge', judge: kubeRouterJudge(rt) }
    : { name: 'NetworkPolicy judge', judge: netpolJudge(rt) };
}

/** A probe the judge disagrees with. */
export interface Disagreement {
  result: ProbeResult;
  judge: JudgeVerdict;
}

/** The comparison of a run with the judge. */
export interface MatrixCheck {
  /** Pairs compared. */
  compared: number;
  disagreements: Disagreement[];
  /** Pairs where the probe saw what the enforcer knowingly does against v1 (not failures), with the deviation. */
  deviations: { result: ProbeResult; deviation: string }[];
  /** Pairs left out of the comparison, with the reason. */
  notCompared: { result: ProbeResult; reason: string }[];
}

/** Compares every result with `judge`. */
export function checkWithJudge(results: readonly ProbeResult[], judge: MatrixJudge): MatrixCheck {
  const out: MatrixCheck = { compared: 0, disagreements: [], deviations: [], notCompared: [] };
  for (const r of results) {
    const seen = outcomeAllowed(r.outcome);
    if (seen === undefined || r.protocol === 'SCTP') {
      out.notCompared.push({ result: r, reason: 'SCTP is not emulated' });
      continue;
    }
    if (!podListens(r.to, r.port, r.protocol)) {
      out.notCompared.push({ result: r, reason: `nothing listens on ${r.to.id} ${r.protocol} ${r.port}` });
      continue;
    }
    out.compared++;
    const v = judge(r.from, r.to, r.port, r.protocol);
    if (v.allowed !== seen) out.disagreements.push({ result: r, judge: v });
    else if (v.deviation !== undefined) out.deviations.push({ result: r, deviation: v.deviation });
  }
  return out;
}

/** One disagreement in a line: the pair, what the probe saw, what the judge said. */
export function describeDisagreement(d: Disagreement): string {
  const r = d.result;
  const probe = outcomeAllowed(r.outcome) === true ? 'allowed' : 'denied';
  return `${r.from.id} -> ${r.to.id} ${r.protocol} ${r.port}: probe ${r.outcome} (${probe}); judge: ${d.judge.allowed ? 'allowed' : 'denied'} (${d.judge.why})`;
}

/** One deviation in a line: the pair, what the probe saw, and the enforcer's known difference from v1. */
export function describeDeviation(d: { result: ProbeResult; deviation: string }): string {
  const r = d.result;
  const seen = outcomeAllowed(r.outcome) === true ? 'allowed' : 'denied';
  return `${r.from.id} -> ${r.to.id} ${r.protocol} ${r.port}: ${seen} (v1: ${seen === 'allowed' ? 'denied' : 'allowed'}); ${d.deviation}`;
}
