/**
 * The probe matrix of `podnet bench policy` over two threads. Both threads build the same cluster from the
 * same seed (a build is deterministic), and each probes its share of the matrix's pairs in the matrix's
 * own order; the main thread then puts the outcomes back in that order and the judge reads them as from one
 * run. The share keeps a pair and its reverse together (rounds k and N-k of the rotating order), so that
 * the ARP exchange one direction starts serves the other in the same thread, as it does in one run. A
 * probe's outcome depends on the policies, not on which other probes ran (each is a fresh connection from
 * a fresh port, and interference is reported): the matrix (allowed or not) and the disagreements are those
 * of one thread; the source ports, the per-hop counts, and how a denied probe ends are not (a REJECT's ICMP
 * error is subject to the node's per-peer ICMP rate limit, whose tokens depend on the probes before it, so
 * one run's "rejected" can be the other's "timeout"). This file owns the split; bench-policy-worker.ts is the
 * worker's entry, bench-policy.ts the measuring.
 */
import { Worker } from 'node:worker_threads';
import { loadCluster } from '../scenario/manifests.js';
import { formatSpecError } from '../scenario/source.js';
import { policyBenchText, type PolicyCni } from '../scenario/policy-bench.js';
import { bringUp, buildCluster, type ClusterRuntime } from '../cluster/runtime.js';
import {
  PROBE_OUTCOMES,
  PolicyProber,
  matrixPods,
  matrixProbes,
  type Probe,
  type ProbeResult,
} from '../cluster/policy-matrix.js';

/** What the worker is asked: the world and the pairs (its share is shareOf's 1). */
export interface SplitTask {
  pods: number;
  policies: number;
  cni: PolicyCni;
  pairs: number | undefined;
}

/** What the worker answers: per probe of its share, in order, the outcome (index), ICMP code and port. */
export interface SplitAnswer {
  outcomes: Uint8Array;
  icmpCodes: Uint8Array;
  srcPorts: Uint16Array;
  hops: number;
}

/** The scale world's cluster, generated, read, built and a minute up. */
export async function buildBenchWorld(pods: number, policies: number, cni: PolicyCni): Promise<ClusterRuntime> {
  const r = loadCluster([{ file: 'policy-bench.yaml', text: policyBenchText({ pods, policies, cni }) }]);
  if (!r.ok) throw new Error(r.errors.map(formatSpecError).join('\n'));
  const rt = await buildCluster(r.cluster.plan);
  bringUp(rt);
  return rt;
}

/** Frames put on links so far (packet-hops). */
export function framesSent(rt: ClusterRuntime): number {
  let n = 0;
  for (const d of rt.network.devices.values()) n += d.framesSent;
  return n;
}

/** The first `pairs` probes of the matrix's rotating order on TCP 80 (all N x N by default). */
export function benchProbes(rt: ClusterRuntime, pairs: number | undefined): Probe[] {
  const probes = matrixProbes(matrixPods(rt), { port: 80, protocol: 'TCP' });
  return pairs === undefined ? probes : probes.slice(0, pairs);
}

/**
 * The thread (0: main, 1: worker) that probes the i-th probe of the rotating order over `n` pods: round
 * k = floor(i / n) and its mirror N-k together, the rounds nearest 0 (and N) in the main thread, about
 * half the probes each.
 */
export function shareOf(i: number, n: number): 0 | 1 {
  const k = Math.floor(i / n);
  return Math.min(k, n - k) < n / 4 ? 0 : 1;
}

/**
 * Starts the worker on `task` (at once, so that its build overlaps the main thread's): its answer, the
 * worker gone once it has answered.
 */
export function startShare(task: SplitTask): Promise<SplitAnswer> {
  const worker = new Worker(new URL('./bench-policy-worker.js', import.meta.url), { workerData: task });
  return new Promise<SplitAnswer>((resolve, reject) => {
    worker.once('message', (m: SplitAnswer) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`bench policy: the probe worker exited with ${code}`)));
  });
}

/**
 * Probes the main thread's share of `probes` (the matrix order over the cluster's pods) and puts the
 * worker's answer for the rest in place: the results in the probes' order, the packet-hops of both.
 */
export async function probeSplit(
  rt: ClusterRuntime,
  probes: readonly Probe[],
  share: Promise<SplitAnswer>,
): Promise<{ results: ProbeResult[]; hops: number }> {
  const n = matrixPods(rt).length;
  const mine = probes.filter((_, i) => shareOf(i, n) === 0);
  const f0 = framesSent(rt);
  const run = new PolicyProber(rt).run(mine);
  const hops = framesSent(rt) - f0;
  const theirs = await share;
  const results: ProbeResult[] = [];
  let a = 0;
  let b = 0;
  probes.forEach((p, i) => {
    if (shareOf(i, n) === 0) {
      results.push(run.results[a++]!);
      return;
    }
    const outcome = PROBE_OUTCOMES[theirs.outcomes[b]!]!;
    results.push({
      ...p,
      outcome,
      srcPort: theirs.srcPorts[b]!,
      ...(outcome === 'rejected' ? { icmpCode: theirs.icmpCodes[b]! } : {}),
    });
    b++;
  });
  if (a !== run.results.length || b !== theirs.outcomes.length)
    throw new Error(
      `bench policy: the shares do not add up (${a}/${run.results.length}, ${b}/${theirs.outcomes.length})`,
    );
  return { results, hops: hops + theirs.hops };
}

/** The worker's side: builds the same world, probes its share, answers with compact arrays. */
export async function probeShare(task: SplitTask): Promise<SplitAnswer> {
  const rt = await buildBenchWorld(task.pods, task.policies, task.cni);
  const n = matrixPods(rt).length;
  const share = benchProbes(rt, task.pairs).filter((_, i) => shareOf(i, n) === 1);
  const f0 = framesSent(rt);
  const run = new PolicyProber(rt).run(share);
  return {
    outcomes: Uint8Array.from(run.results, (r) => PROBE_OUTCOMES.indexOf(r.outcome)),
    icmpCodes: Uint8Array.from(run.results, (r) => r.icmpCode ?? 0),
    srcPorts: Uint16Array.from(run.results, (r) => r.srcPort),
    hops: framesSent(rt) - f0,
  };
}
