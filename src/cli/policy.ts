/**
 * `podnet policy matrix FILE [--port P] [--protocol TCP|UDP|SCTP] [--json]` and `podnet policy why FILE
 * --from NS/POD --to NS/POD:PORT [--protocol P]`: who reaches whom in a cluster, measured with real probes
 * (cluster/policy-matrix.ts) and checked against the NetworkPolicy judge, and one pair explained. This
 * file reads the arguments, builds the cluster as `podnet run` does (a minute up, so probes have passed),
 * and prints.
 */
import { readFileSync } from 'node:fs';
import { loadCluster } from '../scenario/manifests.js';
import { formatSpecErrors } from '../scenario/source.js';
import { bringUp, buildCluster, type ClusterPod, type ClusterRuntime } from '../cluster/runtime.js';
import {
  PolicyProber,
  declaredColumns,
  matrixPods,
  matrixProbes,
  podListens,
  type MatrixColumn,
  type ProbeProtocol,
  type ProbeResult,
  type ProbeRun,
} from '../cluster/policy-matrix.js';
import { checkWithJudge, describeDeviation, describeDisagreement, judgeFor } from '../cluster/policy-matrix-judge.js';
import { columnHeading, matrixJsonLine, matrixTable } from '../cluster/policy-matrix-format.js';
import { explainPair, probeWithDrops } from '../cluster/policy-matrix-why.js';
import { netpolWorld } from '../cluster/netpol-world.js';
import { formatWarnings } from '../cluster/cluster-warnings.js';
import { loadedWarnings } from './demo.js';
import { formatIpv4 } from '../wire/addr.js';

/** A bad `policy` command line: main prints it with the usage text and exits 2. */
export class PolicyUsageError extends Error {}

/** A cluster file that does not load: printed without usage, exit 2. */
export class PolicyFileError extends Error {}

/** The usage lines of `policy`, for main's usage text. */
export const POLICY_USAGE = `  podnet policy matrix CLUSTER.yaml [--port P] [--protocol TCP|UDP|SCTP] [--json]
                                             who reaches whom: a real probe (TCP connect, UDP datagram) from
                                             every pod to every pod, on every port the pods declare (or P),
                                             printed as the Kubernetes e2e suite prints its truth tables
                                             ("." reaches, "X" does not), checked against the NetworkPolicy
                                             judge (exit 1 on a disagreement); --json: one pair a line
  podnet policy why CLUSTER.yaml --from NS/POD --to NS/POD:PORT [--protocol TCP|UDP|SCTP]
                                             one pair explained: the policies that select each side, each
                                             of their rules with whether its peers and ports match, the
                                             verdict, and the probe with the drops it met (chain, rule)`;

type Out = (s: string) => void;

interface PolicyArgs {
  sub: 'matrix' | 'why';
  file: string;
  port?: number;
  protocol?: ProbeProtocol;
  json: boolean;
  from?: string;
  to?: string;
}

/** Reads policy's arguments (after the word `policy`). */
export function parsePolicyArgs(args: readonly string[]): PolicyArgs {
  const positional: string[] = [];
  const values = new Map<string, string>();
  let json = false;
  const valueFlags = ['--port', '--protocol', '--from', '--to'];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (valueFlags.includes(name)) {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : args[++i];
      if (v === undefined || v === '') throw new PolicyUsageError(`${name} needs a value`);
      values.set(name, v);
    } else if (a === '--json') json = true;
    else if (a.startsWith('-')) throw new PolicyUsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  const [sub, file, ...extra] = positional;
  if (sub !== 'matrix' && sub !== 'why')
    throw new PolicyUsageError(
      sub === undefined ? 'policy needs matrix or why' : `unknown policy command ${JSON.stringify(sub)}`,
    );
  if (file === undefined || extra.length > 0) throw new PolicyUsageError(`policy ${sub} takes one cluster file`);
  const protocolText = values.get('--protocol');
  let protocol: ProbeProtocol | undefined;
  if (protocolText !== undefined) {
    const p = protocolText.toUpperCase();
    if (p !== 'TCP' && p !== 'UDP' && p !== 'SCTP')
      throw new PolicyUsageError(`--protocol must be TCP, UDP or SCTP, got ${JSON.stringify(protocolText)}`);
    protocol = p;
  }
  const out: PolicyArgs = { sub, file, json, ...(protocol !== undefined ? { protocol } : {}) };
  if (sub === 'matrix') {
    if (values.has('--from') || values.has('--to')) throw new PolicyUsageError('--from and --to are for policy why');
    const port = values.get('--port');
    if (port !== undefined) out.port = portNumber('--port', port);
    return out;
  }
  if (values.has('--port') || json) throw new PolicyUsageError('policy why takes the port in --to NS/POD:PORT');
  const from = values.get('--from');
  const to = values.get('--to');
  if (from === undefined || to === undefined)
    throw new PolicyUsageError('policy why needs --from NS/POD and --to NS/POD:PORT');
  return { ...out, from, to };
}

function portNumber(flag: string, v: string): number {
  if (!/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > 65535)
    throw new PolicyUsageError(`${flag} must be a port from 1 to 65535, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** Runs `podnet policy ...`; returns the exit status. */
export async function cmdPolicy(args: readonly string[], out: Out, err: Out): Promise<number> {
  const a = parsePolicyArgs(args);
  let text: string;
  try {
    text = readFileSync(a.file, 'utf8');
  } catch (e) {
    throw new PolicyUsageError(`cannot read ${a.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const loaded = loadCluster([{ file: a.file, text }]);
  if (!loaded.ok) throw new PolicyFileError(formatSpecErrors(loaded.errors));
  const warnings = formatWarnings(loadedWarnings(loaded.cluster));
  if (warnings.length > 0) err(['', ...warnings].join('\n'));
  const rt = await buildCluster(loaded.cluster.plan);
  // probes go out in a cluster that has been up a minute, as `podnet run` and `get` show it
  bringUp(rt);
  if (rt.policy === undefined && rt.plan.networkPolicies.length > 0)
    err(
      `podnet: no NetworkPolicy enforcer runs in this cluster (${rt.plan.cluster.cni === 'calico' ? "Felix's policy chains" : "k3s's kube-router controller"} not built in): the probes see the data path without policy`,
    );
  return a.sub === 'matrix' ? matrix(rt, a, out) : why(rt, a, out);
}

function matrix(rt: ClusterRuntime, a: PolicyArgs, out: Out): number {
  const pods = matrixPods(rt);
  const columns: MatrixColumn[] =
    a.port !== undefined
      ? [{ port: a.port, protocol: a.protocol ?? 'TCP' }]
      : declaredColumns(rt, pods).filter((c) => a.protocol === undefined || c.protocol === a.protocol);
  if (columns.length === 0) {
    out(`no pod declares a ${a.protocol ?? ''} port: give one with --port`.replace('  ', ' '));
    return 1;
  }
  const prober = new PolicyProber(rt);
  const runs: { column: MatrixColumn; run: ProbeRun }[] = columns.map((column) => ({
    column,
    run: prober.run(matrixProbes(pods, column)),
  }));
  // results in the matrix's order: column, then source, then target
  const index = new Map(pods.map((p, i) => [p, i]));
  const sorted = runs.map(({ run }) => [...run.results].sort((x, y) => order(index, x, y)));
  const judge = judgeFor(rt);
  const check = checkWithJudge(sorted.flat(), judge.judge);
  if (a.json) {
    const deviations = new Map(check.deviations.map((d) => [d.result, d.deviation]));
    for (const results of sorted) for (const r of results) out(matrixJsonLine(r, deviations.get(r)));
    return check.disagreements.length === 0 ? 0 : 1;
  }
  const names = pods.map((p) => p.id);
  for (const { column, run } of runs) {
    out(columnHeading(column));
    if (column.protocol !== 'SCTP') out(matrixTable(names, run.results));
    const lost = Object.entries(run.interference);
    if (lost.length > 0)
      out(
        `warning: frames lost to congestion while probing (${lost.map(([k, v]) => `${k} ${v}`).join(', ')}): a timeout may be one of them`,
      );
    out('');
  }
  summarize(check, judge.name, out);
  return check.disagreements.length === 0 ? 0 : 1;
}

function order(index: Map<ClusterPod, number>, x: ProbeResult, y: ProbeResult): number {
  return index.get(x.from)! - index.get(y.from)! || index.get(x.to)! - index.get(y.to)!;
}

function summarize(check: ReturnType<typeof checkWithJudge>, judgeName: string, out: Out): void {
  const byReason = new Map<string, number>();
  for (const n of check.notCompared) byReason.set(n.reason, (byReason.get(n.reason) ?? 0) + 1);
  for (const [reason, count] of byReason) out(`not compared: ${count} pairs (${reason})`);
  if (check.deviations.length > 0) {
    out(`${check.deviations.length} pairs where the enforcer knowingly parts from v1 NetworkPolicy (not failures):`);
    for (const d of check.deviations) out(`  ${describeDeviation(d)}`);
  }
  if (check.disagreements.length === 0) {
    out(`${check.compared} pairs probed, all as the ${judgeName} expects`);
    return;
  }
  out(`${check.disagreements.length} of ${check.compared} pairs disagree with the ${judgeName}:`);
  for (const d of check.disagreements) out(`  ${describeDisagreement(d)}`);
}

function findPod(rt: ClusterRuntime, name: string, flag: string): ClusterPod {
  const id = name.includes('/') ? name : `default/${name}`;
  const pod = rt.pods.get(id);
  if (pod === undefined || pod.hostNetwork)
    throw new PolicyUsageError(
      `${flag} ${name}: no pod ${id} with its own network namespace (has: ${matrixPods(rt)
        .map((p) => p.id)
        .join(', ')})`,
    );
  return pod;
}

function why(rt: ClusterRuntime, a: PolicyArgs, out: Out): number {
  const m = /^(.+):([0-9]+)$/.exec(a.to!);
  if (m === null) throw new PolicyUsageError(`--to must be NS/POD:PORT, got ${JSON.stringify(a.to)}`);
  const port = portNumber('--to', m[2]!);
  const from = findPod(rt, a.from!, '--from');
  const to = findPod(rt, m[1]!, '--to');
  const protocol = a.protocol ?? 'TCP';
  const world = netpolWorld(rt);
  const wf = world.pods.find((p) => `${p.namespace}/${p.name}` === from.id)!;
  const wt = world.pods.find((p) => `${p.namespace}/${p.name}` === to.id)!;
  const x = explainPair(world, wf, wt, port, protocol);
  out(`${from.id} (${fmtIp(from)}) -> ${to.id} (${fmtIp(to)}) ${protocol} ${port}`);
  out('');
  out(`egress of ${from.id}: ${selected(x.egressSelectedBy)}`);
  out(`ingress of ${to.id}: ${selected(x.ingressSelectedBy)}`);
  for (const r of x.rules)
    out(
      `  ${r.policy} ${r.direction} rule ${r.rule + 1}: peers ${r.peersMatch ? 'match' : 'do not match'}, ports ${r.portsMatch ? 'match' : 'do not match'}${r.peersMatch && r.portsMatch ? ': allows' : ''}`,
    );
  out('');
  // on Calico the verdict is Calico's judge's (v3 policies, order, actions); the rules above are v1's view.
  // Where kube-router enforces, its known deviations from v1 decide what the probe should see
  const judged =
    rt.plan.cluster.cni === 'calico' || rt.policy?.kind === 'kube-router'
      ? judgeFor(rt).judge(from, to, port, protocol)
      : undefined;
  const calico = rt.plan.cluster.cni === 'calico' ? judged : undefined;
  const allowed = judged?.allowed ?? x.verdict.allowed;
  out(`verdict: ${calico?.why ?? x.sentence}`);
  if (judged?.deviation !== undefined)
    out(`enforcer: ${judged.allowed ? 'allowed' : 'denied'}, knowingly otherwise than v1: ${judged.deviation}`);
  if (protocol === 'SCTP') {
    out('probe: not sent: SCTP is not emulated (podnet has no SCTP transport)');
    return 0;
  }
  const { result, drops } = probeWithDrops(rt, { from, to, port, protocol });
  const listens = podListens(to, port, protocol);
  out(
    `probe: ${protocol === 'TCP' ? 'connect' : 'datagram'} from port ${result.srcPort}: ${result.outcome}${result.icmpCode !== undefined ? ` (ICMP code ${result.icmpCode})` : ''}${listens ? '' : ` (nothing listens on ${to.id} ${protocol} ${port})`}`,
  );
  for (const d of drops) out(`  dropped on ${d.device}: ${d.reason}${d.detail !== '' ? `: ${d.detail}` : ''}`);
  const seen = result.outcome === 'connected' || result.outcome === 'answered';
  if (listens && seen !== allowed) {
    out(`the probe disagrees with the verdict: a bug in the enforcer or in the judge`);
    return 1;
  }
  return 0;
}

function selected(names: readonly string[]): string {
  return names.length === 0 ? 'no policy selects it (not isolated)' : `selected by ${names.join(', ')}`;
}

function fmtIp(p: ClusterPod): string {
  return formatIpv4(p.ip);
}
