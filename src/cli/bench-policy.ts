/**
 * `podnet bench policy --pods N --policies M [--cni flannel|calico] [--pairs K] [--threads 1|2] [--compare]
 * [--json]`: the notes' "iptables scale" problem for NetworkPolicy. It builds the scale world
 * (scenario/policy-bench.ts) with M policies and measures the matrix as a user would wait for it:
 * `wallSeconds` (and `cpuSeconds`, the process's user + system time, every thread, over the same span)
 * covers generating and reading the cluster's YAML, building the cluster and bringing it up (the enforcer
 * programming its rules included), the K probe pairs (all N x N by default) and the judge's check. With two
 * threads (bench-policy-split.ts) a worker builds its own copy of the cluster at the same time and probes
 * about half the pairs; the matrix and the judge's disagreements are those of one thread. Beside the
 * totals: the enforcer's footprint on each node (rules in its chains, ipset entries), the parts (build,
 * probes, judge), the wall ns per packet-hop (a packet-hop being one frame put on one link) and the
 * agreement with the judge. `--compare` first builds and probes the same world without policies, in one
 * thread, for the time to program them (the difference of the builds) and the ns per packet-hop without
 * policies; that pass is not counted in `wallSeconds`. `bench/policy.ts` runs the issue's table.
 */
import { availableParallelism } from 'node:os';
import type { PolicyCni } from '../scenario/policy-bench.js';
import { PolicyProber } from '../cluster/policy-matrix.js';
import { benchProbes, buildBenchWorld, framesSent, probeSplit, startShare } from './bench-policy-split.js';
import { checkWithJudge, netpolJudge } from '../cluster/policy-matrix-judge.js';
import { PolicyUsageError } from './policy.js';

/** The usage lines of `bench policy`, for main's usage text. */
export const BENCH_POLICY_USAGE = `  podnet bench policy --pods N --policies M [--cni flannel|calico] [--pairs K] [--threads 1|2]
                      [--compare] [--json]
                                             N agnhost pods, M generated NetworkPolicies: rules and ipset
                                             entries per node, the probe matrix (K pairs, all N x N by
                                             default) checked against the judge, its wall and CPU time
                                             (build, program, probe, judge), ns per packet-hop; --threads 2
                                             (the default from 10,000 pairs on 2 cores) probes half the
                                             pairs in a worker; --compare also runs it without policies
                                             (program time, ns/hop without)`;

/** What one bench run measured. */
export interface PolicyBenchResult {
  pods: number;
  policies: number;
  /** Mean over the nodes of the enforcer's rules (0 when no enforcer runs). */
  rulesPerNode: number;
  matrixPairs: number;
  /** Wall seconds of the matrix with policies: build and bring-up (programming included), probes, judge. */
  wallSeconds: number;
  /** The process's CPU seconds (user + system, every thread) over the same span. */
  cpuSeconds: number;
  /** Threads that probed (2: a worker probed about half the pairs in its own copy of the cluster). */
  threads: number;
  cni: PolicyCni;
  /** Which enforcer ran: kube-router, felix, or none (not built into this podnet). */
  enforcer: string;
  nodes: number;
  rulesPerNodeMax: number;
  ipsetEntriesPerNode: number;
  /** Reading, building and a minute up, with the policies (the enforcer programming them included). */
  buildSecondsWith: number;
  /** With --compare: the same without policies, and the difference, the time to program them. */
  buildSecondsWithout?: number;
  programSeconds?: number;
  probeSeconds: number;
  judgeSeconds: number;
  /** Wall ns per packet-hop while probing with the policies (and, with --compare, without). */
  nsPerHop: number;
  nsPerHopWithout?: number;
  /** Probes that got through, and the pairs the judge disagrees with (must be 0). */
  allowedPairs: number;
  disagreements: number;
}

/** Wall seconds since `t0` (performance.now()), to the millisecond. */
const seconds = (t0: number): number => +((performance.now() - t0) / 1000).toFixed(3);

/** Wall seconds of `f`, with its value. */
async function timed<T>(f: () => Promise<T> | T): Promise<{ value: T; s: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, s: seconds(t0) };
}

/** Options of one bench run. */
export interface PolicyBenchOptions {
  /** Probe only the first K pairs of the matrix's order (all by default). */
  pairs?: number;
  /** Also build and probe the world without policies first (program time, ns per hop without). */
  compare?: boolean;
  /** 1: probe in this thread; 2: a worker thread probes about half the pairs in its own copy of the cluster. */
  threads?: 1 | 2;
}

/** Runs the bench once. */
export async function runPolicyBench(
  pods: number,
  policies: number,
  cni: PolicyCni,
  o: PolicyBenchOptions = {},
): Promise<PolicyBenchResult> {
  const threads = o.threads ?? 1;
  let bare: { s: number; nsPerHop: number } | undefined;
  if (o.compare === true) {
    const b = await timed(() => buildBenchWorld(pods, 0, cni));
    const f0 = framesSent(b.value);
    const p = await timed(() => new PolicyProber(b.value).run(benchProbes(b.value, o.pairs)));
    bare = { s: b.s, nsPerHop: Math.round((p.s * 1e9) / Math.max(1, framesSent(b.value) - f0)) };
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const share = threads === 2 ? startShare({ pods, policies, cni, pairs: o.pairs }) : undefined;
  const { value: rt, s: buildSeconds } = await timed(() => buildBenchWorld(pods, policies, cni));
  const probes = benchProbes(rt, o.pairs);
  const f0 = framesSent(rt);
  const p = await timed(() =>
    share === undefined
      ? { results: new PolicyProber(rt).run(probes).results, hops: framesSent(rt) - f0 }
      : probeSplit(rt, probes, share),
  );
  const results = p.value.results;
  const j = await timed(() => checkWithJudge(results, netpolJudge(rt)));
  const wallSeconds = seconds(t0);
  const cpu = process.cpuUsage(c0);
  const foot = [...rt.nodes.keys()].map((n) => rt.policy?.footprint(n) ?? { rules: 0, ipsetEntries: 0 });
  const mean = (xs: number[]): number => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
  return {
    pods: rt.pods.size,
    policies: rt.plan.networkPolicies.length,
    rulesPerNode: mean(foot.map((f) => f.rules)),
    matrixPairs: results.length,
    wallSeconds,
    cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(3),
    threads,
    cni,
    enforcer: rt.policy?.kind ?? 'none',
    nodes: rt.nodes.size,
    rulesPerNodeMax: Math.max(0, ...foot.map((f) => f.rules)),
    ipsetEntriesPerNode: mean(foot.map((f) => f.ipsetEntries)),
    buildSecondsWith: buildSeconds,
    ...(bare === undefined
      ? {}
      : { buildSecondsWithout: bare.s, programSeconds: +Math.max(0, buildSeconds - bare.s).toFixed(3) }),
    probeSeconds: p.s,
    judgeSeconds: j.s,
    nsPerHop: Math.round((p.s * 1e9) / Math.max(1, p.value.hops)),
    ...(bare === undefined ? {} : { nsPerHopWithout: bare.nsPerHop }),
    allowedPairs: results.filter((r) => r.outcome === 'connected').length,
    disagreements: j.value.disagreements.length,
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
    `matrix: ${r.matrixPairs} pairs in ${r.wallSeconds} s wall, ${r.cpuSeconds} s CPU (build and program ${r.buildSecondsWith} s, probes ${r.probeSeconds} s, judge ${r.judgeSeconds} s), ${r.allowedPairs} allowed, ${r.disagreements} disagreements with the judge`,
    ...(r.buildSecondsWithout === undefined
      ? []
      : [`build ${r.buildSecondsWithout} s without policies: ${r.programSeconds} s to program them`]),
    `per packet-hop: ${r.nsPerHop} ns with policies${r.nsPerHopWithout === undefined ? '' : `, ${r.nsPerHopWithout} ns without`}`,
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
  const known = new Set(['--pods', '--policies', '--cni', '--pairs', '--threads', '--compare', '--json']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (!known.has(name)) throw new PolicyUsageError(`bench policy: unexpected ${JSON.stringify(a)}`);
    if (name !== '--json' && name !== '--compare' && !a.includes('=')) i++;
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
  // two threads by default when there are two cores and enough pairs to pay for the second build
  const threads =
    intArg(args, '--threads', 1, 2) ?? (availableParallelism() >= 2 && (pairs ?? pods * pods) >= 10_000 ? 2 : 1);
  const r = await runPolicyBench(pods, policies, cniText, {
    ...(pairs === undefined ? {} : { pairs }),
    compare: args.includes('--compare'),
    threads: threads === 2 ? 2 : 1,
  });
  if (json) out(policyBenchJson(r));
  else out(policyBenchReport(r));
  if (r.enforcer === 'none' && policies > 0)
    err('podnet: bench policy: no NetworkPolicy enforcer is built into this podnet yet (rt.policy is undefined)');
  return r.disagreements === 0 ? 0 : 1;
}
