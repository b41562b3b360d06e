/**
 * The issue's NetworkPolicy scale table (the notes' "iptables scale" problem), as `podnet bench policy`
 * measures it (src/cli/bench-policy.ts): 10, 100 and 1,000 generated policies over 1,000 agnhost pods, with
 * each enforcer (kube-router's with Flannel, Felix with Calico), K sampled pairs of the matrix per row
 * (default 20,000: each pod to 20 others); then the target row, the full matrix of 300 pods (90,000 pairs,
 * one port). One JSON line per row, then a table. The machine is shared: read CPU seconds beside wall ones.
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

const rows: { r: PolicyBenchResult; cpuSeconds: number }[] = [];
async function row(pods: number, policies: number, cni: 'flannel' | 'calico', k?: number): Promise<void> {
  const c0 = process.cpuUsage();
  const r = await runPolicyBench(pods, policies, cni, k);
  const c = process.cpuUsage(c0);
  const cpuSeconds = +((c.user + c.system) / 1e6).toFixed(2);
  rows.push({ r, cpuSeconds });
  console.log(JSON.stringify({ ...r, benchCpuSeconds: cpuSeconds }));
  console.error(policyBenchReport(r));
}

if (!args.includes('--only-target'))
  for (const cni of ['flannel', 'calico'] as const) for (const m of [10, 100, 1000]) await row(1000, m, cni, pairs);
await row(300, 100, 'flannel');

const head =
  '| pods | policies | cni | enforcer | rules/node | ipset entries/node | program s | pairs | matrix s | ns/hop (without) |';
console.log(
  [
    '',
    head,
    head.replace(/[^|]/g, '-'),
    ...rows.map(
      ({ r }) =>
        `| ${r.pods} | ${r.policies} | ${r.cni} | ${r.enforcer} | ${r.rulesPerNode} | ${r.ipsetEntriesPerNode} | ${r.programSeconds} | ${r.matrixPairs} | ${r.wallSeconds} | ${r.nsPerHop} (${r.nsPerHopWithout}) |`,
    ),
  ].join('\n'),
);
