/**
 * The two-thread matrix of `podnet bench policy` against the one-thread run: the same verdict (allowed or
 * not) for every pair, in the matrix's order, so the same matrix and the same disagreements with the judge.
 * How a denied probe ends may differ: a REJECT's ICMP error is subject to the node's per-peer ICMP rate
 * limit (icmp_ratelimit, net/ipv4/icmp.c), whose tokens depend on which probes came before, so one run's
 * "rejected" is the other's "timeout".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyProber, outcomeAllowed } from '../cluster/policy-matrix.js';
import { checkWithJudge, netpolJudge } from '../cluster/policy-matrix-judge.js';
import { benchProbes, buildBenchWorld, probeSplit, shareOf, startShare } from './bench-policy-split.js';

describe('bench policy over two threads', () => {
  it('keeps a pair and its reverse in one share, and splits the rounds about in half', () => {
    const n = 300;
    let main = 0;
    for (let i = 0; i < n * n; i++) {
      const k = Math.floor(i / n);
      const from = i % n;
      const reverse = ((n - k) % n) * n + ((from + k) % n); // round N-k from the target back to the source
      assert.equal(shareOf(reverse, n), shareOf(i, n), `probe ${i}`);
      if (shareOf(i, n) === 0) main++;
    }
    assert.ok(Math.abs(main - (n * n) / 2) <= n * 2, `main thread has ${main} of ${n * n}`);
  });

  it('gives every pair the verdict one thread gives it (flannel, kube-router; 40 pods, 12 policies)', async () => {
    const task = { pods: 40, policies: 12, cni: 'flannel' as const, pairs: undefined };
    const share = startShare(task);
    const one = await buildBenchWorld(task.pods, task.policies, task.cni);
    const single = new PolicyProber(one).run(benchProbes(one, undefined)).results;
    const two = await buildBenchWorld(task.pods, task.policies, task.cni);
    const split = (await probeSplit(two, benchProbes(two, undefined), share)).results;
    assert.equal(split.length, 1600);
    const verdicts = (rs: typeof single): string[] =>
      rs.map((r) => `${r.from.id}>${r.to.id}:${outcomeAllowed(r.outcome)}`);
    assert.deepEqual(verdicts(split), verdicts(single));
    // the connected ones exactly; the denied ones are denied (rejected or timed out)
    assert.deepEqual(
      split.map((r) => r.outcome === 'connected'),
      single.map((r) => r.outcome === 'connected'),
    );
    const outcomes = new Set(single.map((r) => r.outcome));
    assert.ok(outcomes.has('connected') && outcomes.size > 1, [...outcomes].join(','));
    assert.equal(checkWithJudge(split, netpolJudge(two)).disagreements.length, 0);
  });
});
