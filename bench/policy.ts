/**
 * The issue's NetworkPolicy scale table (the notes' "iptables scale" problem), as `podnet bench policy`
 * measures it (src/cli/bench-policy.ts): 10, 100 and 1,000 generated policies over 1,000 agnhost pods, with
 * each enforcer (kube-router's with Flannel, Felix with Calico), K sampled pairs of the matrix per row
 * (default 20,000: each pod to 20 others), in one thread; then the target rows, the full matrix of 300 pods
 * (90,000 pairs, one port) with 100 policies, with each enforcer, in one thread and in two. Every row also runs its world without policies first
 * (`--compare`: program time, ns per hop without). One JSON line per row, then a table. A row's wall and
 * CPU seconds are the matrix's: generating and reading the YAML, building and bringing the cluster up (the
 * enforcer programming its rules), the probes and the judge's check, not the pass without policies. The
 * machine may be shared: read CPU seconds beside wall ones.
 * `node dist/bench/policy.js [--pairs K] [--only-target]`.
 */
import { policyBenchReport, runPolicyBench, type PolicyBenchResult } from '../src/cli/bench-policy.js';

const args = process.argv.slice(2);
const at = args.indexOf('--pairs');
const pairs = at < 0 ? 20_000 : Number(args[at + 1]);
if (!Number.isInteger(pairs) || pairs <= 0) {
  console.error('usage: node dist/bench/policy.js [--pairs K] [--only-target]');
  process.exit(2);
}

const rows: PolicyBenchResult[] = [];
async function row(
  pods: number,
  policies: number,
  cni: 'flannel' | 'calico',
  k: number | undefined,
  threads: 1 | 2,
): Promise<void> {
  const r = await runPolicyBench(pods, policies, cni, {
    ...(k === undefined ? {} : { pairs: k }),
    compare: true,
    threads,
  });
  rows.push(r);
  console.log(JSON.stringify(r));
  console.error(policyBenchReport(r));
}

if (!args.includes('--only-target'))
  for (const cni of ['flannel', 'calico'] as const) for (const m of [10, 100, 1000]) await row(1000, m, cni, pairs, 1);
for (const cni of ['flannel', 'calico'] as const)
  for (const threads of [1, 2] as const) await row(300, 100, cni, undefined, threads);

const head =
  '| pods | policies | cni | enforcer | rules/node | ipset entries/node | program s | pairs | threads | wall s | CPU s | ns/hop (without) |';
console.log(
  [
    '',
    head,
    head.replace(/[^|]/g, '-'),
    ...rows.map(
      (r) =>
        `| ${r.pods} | ${r.policies} | ${r.cni} | ${r.enforcer} | ${r.rulesPerNode} | ${r.ipsetEntriesPerNode} | ${r.programSeconds} | ${r.matrixPairs} | ${r.threads} | ${r.wallSeconds} | ${r.cpuSeconds} | ${r.nsPerHop} (${r.nsPerHopWithout}) |`,
    ),
  ].join('\n'),
);
