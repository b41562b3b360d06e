/**
 * `podnet bench policy --pods N --policies M [--cni flannel|calico] [--pairs K] [--json]`: the notes'
 * "iptables scale" problem for NetworkPolicy. It builds the scale world (scenario/policy-bench.ts) twice
 * from one seed, with no policy and with M, and measures: the build time of each (their difference is the
 * time the enforcer took to program the rules), the enforcer's footprint on each node (rules in its
 * chains, ipset entries), the matrix (K probe pairs, all N x N by default) in both, so the per-packet cost
 * with policies can be set against the cost without (wall ns per packet-hop, a packet-hop being one frame
 * put on one link), and the agreement with the judge. `bench/policy.ts` runs the issue's table.
 */
import { loadCluster } from '../scenario/manifests.js';
import { formatSpecError } from '../scenario/source.js';
import { policyBenchText, type PolicyCni } from '../scenario/policy-bench.js';
import { bringUp, buildCluster, type ClusterRuntime } from '../cluster/runtime.js';
import { PolicyProber, matrixPods, matrixProbes } from '../cluster/policy-matrix.js';
import { checkWithJudge, netpolJudge } from '../cluster/policy-matrix-judge.js';
import { PolicyUsageError } from './policy.js';

/** The usage lines of `bench policy`, for main's usage text. */
export const BENCH_POLICY_USAGE = `  podnet bench policy --pods N --policies M [--cni flannel|calico] [--pairs K] [--json]
                                             N agnhost pods, M generated NetworkPolicies: rules and ipset
                                             entries per node, time to program them, ns per packet-hop
                                             with and without policies, and the probe matrix (K pairs,
                                             all N x N by default) checked against the judge`;

/** What one bench run measured. */
export interface PolicyBenchResult {
  pods: number;
  policies: number;
  /** Mean over the nodes of the enforcer's rules (0 when no enforcer runs). */
  rulesPerNode: number;
  matrixPairs: number;
  /** Wall seconds of the matrix with policies: probes and the judge's check. */
  wallSeconds: number;
  cni: PolicyCni;
  /** Which enforcer ran: kube-router, felix, or none (not built into this podnet). */
  enforcer: string;
  nodes: number;
  rulesPerNodeMax: number;
  ipsetEntriesPerNode: number;
  /** Build (and a minute up) without policies and with them; their difference is the programming. */
  buildSecondsWithout: number;
  buildSecondsWith: number;
  programSeconds: number;
  probeSeconds: number;
  judgeSeconds: number;
  /** Wall ns per packet-hop while probing, with the policies and without. */
  nsPerHop: number;
  nsPerHopWithout: number;
  /** Probes that got through, and the pairs the judge disagrees with (must be 0). */
  allowedPairs: number;
  disagreements: number;
}

const seconds = (t0: number): number => +((performance.now() - t0) / 1000).toFixed(3);

async function build(pods: number, policies: number, cni: PolicyCni): Promise<{ rt: ClusterRuntime; s: number }> {
  const r = loadCluster([{ file: 'policy-bench.yaml', text: policyBenchText({ pods, policies, cni }) }]);
  if (!r.ok) throw new Error(r.errors.map(formatSpecError).join('\n'));
  const t0 = performance.now();
  const rt = await buildCluster(r.cluster.plan);
  bringUp(rt);
  return { rt, s: seconds(t0) };
}

function framesSent(rt: ClusterRuntime): number {
  let n = 0;
  for (const d of rt.network.devices.values()) n += d.framesSent;
  return n;
}

/** Probes the first `pairs` pairs of the rotating matrix order; wall seconds, hops, results. */
function probe(rt: ClusterRuntime, pairs: number | undefined) {
  const pods = matrixPods(rt);
  const probes = matrixProbes(pods, { port: 80, protocol: 'TCP' });
  const chosen = pairs === undefined ? probes : probes.slice(0, pairs);
  const f0 = framesSent(rt);
  const t0 = performance.now();
  const run = new PolicyProber(rt).run(chosen);
  const s = seconds(t0);
  return { run, s, hops: framesSent(rt) - f0 };
}

/** Runs the bench once. */
export async function runPolicyBench(
  pods: number,
  policies: number,
  cni: PolicyCni,
  pairs?: number,
): Promise<PolicyBenchResult> {
  const bare = await build(pods, 0, cni);
  const bareProbe = probe(bare.rt, pairs);
  const nsPerHopWithout = Math.round((bareProbe.s * 1e9) / Math.max(1, bareProbe.hops));
  const withP = await build(pods, policies, cni);
  const rt = withP.rt;
  const foot = [...rt.nodes.keys()].map((n) => rt.policy?.footprint(n) ?? { rules: 0, ipsetEntries: 0 });
  const p = probe(rt, pairs);
  const t1 = performance.now();
  const check = checkWithJudge(p.run.results, netpolJudge(rt));
  const judgeSeconds = seconds(t1);
  const mean = (xs: number[]): number => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
  return {
    pods: rt.pods.size,
    policies: rt.plan.networkPolicies.length,
    rulesPerNode: mean(foot.map((f) => f.rules)),
    matrixPairs: p.run.results.length,
    wallSeconds: +(p.s + judgeSeconds).toFixed(3),
    cni,
    enforcer: rt.policy?.kind ?? 'none',
    nodes: rt.nodes.size,
    rulesPerNodeMax: Math.max(0, ...foot.map((f) => f.rules)),
    ipsetEntriesPerNode: mean(foot.map((f) => f.ipsetEntries)),
    buildSecondsWithout: bare.s,
    buildSecondsWith: withP.s,
    programSeconds: +Math.max(0, withP.s - bare.s).toFixed(3),
    probeSeconds: p.s,
    judgeSeconds,
    nsPerHop: Math.round((p.s * 1e9) / Math.max(1, p.hops)),
    nsPerHopWithout,
    allowedPairs: p.run.results.filter((r) => r.outcome === 'connected').length,
    disagreements: check.disagreements.length,
  };
}

/** The result as text. */
export function policyBenchReport(r: PolicyBenchResult): string {
  const enforcer =
    r.enforcer === 'none'
      ? `no enforcer: this podnet builds no NetworkPolicy enforcer for ${r.cni} yet, so policies cost nothing and the judge disagrees`
      : `enforcer ${r.enforcer}`;
  return [
    `${r.pods} pods on ${r.nodes} nodes, ${r.policies} policies, ${r.cni}: ${enforcer}`,
    `rules per node ${r.rulesPerNode} (max ${r.rulesPerNodeMax}), ipset entries per node ${r.ipsetEntriesPerNode}`,
    `build ${r.buildSecondsWithout} s without policies, ${r.buildSecondsWith} s with: ${r.programSeconds} s to program them`,
    `matrix: ${r.matrixPairs} pairs in ${r.wallSeconds} s (probes ${r.probeSeconds} s, judge ${r.judgeSeconds} s), ${r.allowedPairs} allowed, ${r.disagreements} disagreements with the judge`,
    `per packet-hop: ${r.nsPerHop} ns with policies, ${r.nsPerHopWithout} ns without`,
  ].join('\n');
}

/** The JSON line: pods, policies, rulesPerNode, matrixPairs, wallSeconds first, the rest after. */
export function policyBenchJson(r: PolicyBenchResult): string {
  return JSON.stringify(r);
}

function intArg(args: readonly string[], name: string, min: number, max: number): number | undefined {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  const a = args[i]!;
  const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[i + 1];
  if (v === undefined || !/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new PolicyUsageError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v ?? '')}`);
  return Number(v);
}

/** `podnet bench policy ...` (the arguments after `bench policy`); the exit status. */
export async function cmdBenchPolicy(args: readonly string[], out: (s: string) => void, err: (s: string) => void) {
  const known = new Set(['--pods', '--policies', '--cni', '--pairs', '--json']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (!known.has(name)) throw new PolicyUsageError(`bench policy: unexpected ${JSON.stringify(a)}`);
    if (name !== '--json' && !a.includes('=')) i++;
  }
  const pods = intArg(args, '--pods', 2, 5000);
  const policies = intArg(args, '--policies', 0, 100000);
  if (pods === undefined || policies === undefined)
    throw new PolicyUsageError('bench policy needs --pods N and --policies M');
  const pairs = intArg(args, '--pairs', 1, pods * pods);
  const ci = args.findIndex((a) => a === '--cni' || a.startsWith('--cni='));
  const cniText = ci < 0 ? 'flannel' : args[ci]!.includes('=') ? args[ci]!.slice(6) : args[ci + 1];
  if (cniText !== 'flannel' && cniText !== 'calico')
    throw new PolicyUsageError(`--cni must be flannel or calico, got ${JSON.stringify(cniText ?? '')}`);
  const json = args.includes('--json');
  const r = await runPolicyBench(pods, policies, cniText, pairs);
  if (json) out(policyBenchJson(r));
  else out(policyBenchReport(r));
  if (r.enforcer === 'none' && policies > 0)
    err('podnet: bench policy: no NetworkPolicy enforcer is built into this podnet yet (rt.policy is undefined)');
  return r.disagreements === 0 ? 0 : 1;
}
