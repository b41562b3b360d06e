/**
 * `podnet policy matrix` on a Flannel cluster, where k3s's kube-router enforces: a policy in x with both
 * policyTypes and `egress: [{}]` isolates x's pods for ingress with no ingress rule, so v1 refuses every
 * connection into x; kube-router jumps from each selected pod's chain to the policy's chain without -d, so
 * its egress rule also accepts what x's own pods send each other (netpol-kube-router-deviations.ts,
 * difference 1, measured in test/netpol-kube-router-deviations.test.ts). The matrix shows what the data
 * path does, labels exactly those six pairs as kube-router's deviation, in the text and in --json, and
 * exits 0; a pair that disagrees for any other reason still fails the run (the Calico cluster beside it,
 * where the same file's judge has no deviation to excuse, must agree with v1 all through).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { e2eWorldText } from '../src/scenario/policy-bench.js';
import { checkWithJudge, judgeFor, netpolJudge, type MatrixJudge } from '../src/cluster/policy-matrix-judge.js';
import { PolicyProber, matrixPods, matrixProbes, type ProbeResult } from '../src/cluster/policy-matrix.js';
import { upE2eWorld } from '../src/scenario/policy-bench-testing.js';

const BOTH_TYPES = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: all-egress, namespace: x }
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  egress: [{}]
`;

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    args,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The six ordered pairs among x/a, x/b and x/c. */
const X_PAIRS = ['a', 'b', 'c'].flatMap((f) => ['a', 'b', 'c'].filter((t) => t !== f).map((t) => `x/${f} -> x/${t}`));

describe("podnet policy matrix labels kube-router's known deviations from v1", () => {
  let dir = '';
  let flannel = '';
  let calico = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-deviation-'));
    flannel = join(dir, 'flannel.yaml');
    calico = join(dir, 'calico.yaml');
    writeFileSync(flannel, e2eWorldText(BOTH_TYPES, { ports: [80], protocols: ['TCP'] }));
    writeFileSync(calico, e2eWorldText(BOTH_TYPES, { ports: [80], protocols: ['TCP'], cni: 'calico' }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the text: x reaches x (the data path), the six pairs are listed as deviations, exit 0', async () => {
    const r = await run('policy', 'matrix', flannel, '--port', '80');
    assert.equal(r.code, 0, r.out + r.err);
    const rows = r.out.split('\n');
    const row = (from: string): string[] =>
      rows
        .find((l) => l.startsWith(`${from}\t`))!
        .split('\t')
        .slice(1);
    // columns x/a x/b x/c y/a ...: x's pods reach each other (and themselves), nobody else reaches x
    assert.deepEqual(row('x/a').slice(0, 3), ['.', '.', '.']);
    assert.deepEqual(row('y/a').slice(0, 3), ['X', 'X', 'X']);
    const at = rows.findIndex((l) => l.startsWith('6 pairs where the enforcer knowingly parts from v1'));
    assert.ok(at >= 0, r.out);
    const listed = rows.slice(at + 1, at + 7);
    assert.deepEqual(
      listed.map((l) => l.trim().split(' TCP')[0]),
      X_PAIRS,
    );
    for (const l of listed)
      assert.match(
        l,
        /: allowed \(v1: denied\); kube-router: x\/all-egress has both policyTypes, so one direction's rules open the other/,
      );
    assert.match(r.out, /pairs probed, all as the NetworkPolicy judge expects$/);
  });

  it('--json: the deviating pairs, and only they, carry "deviation"', async () => {
    const r = await run('policy', 'matrix', flannel, '--port', '80', '--json');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 81);
    const marked = lines.filter((l) => 'deviation' in l);
    assert.deepEqual(
      marked.map((l) => `${String(l.from)} -> ${String(l.to)}`),
      X_PAIRS,
    );
    for (const l of marked) {
      assert.equal(l.allowed, true);
      assert.match(String(l.deviation), /^kube-router: x\/all-egress has both policyTypes/);
      assert.deepEqual(Object.keys(l), ['from', 'to', 'port', 'protocol', 'allowed', 'deviation']);
    }
  });

  it('policy why on a deviating pair: the v1 verdict, then what kube-router does and why; the probe agrees, exit 0', async () => {
    const r = await run('policy', 'why', flannel, '--from', 'x/a', '--to', 'x/b:80');
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^verdict: dropped by all-egress in namespace x: x\/b is selected for ingress/m);
    assert.match(
      r.out,
      /^enforcer: allowed, knowingly otherwise than v1: kube-router: x\/all-egress has both policyTypes/m,
    );
    assert.match(r.out, /^probe: connect from port \d+: connected$/m);
  });

  it("on Calico, Felix follows v1: x's pods do not reach each other, and nothing is labelled", async () => {
    const r = await run('policy', 'matrix', calico, '--port', '80', '--json');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.every((l) => !('deviation' in l)));
    assert.equal(lines.find((l) => l.from === 'x/a' && l.to === 'x/b')!.allowed, false);
  });

  it('only the deviations are excused: the plain v1 judge finds those six pairs, a wrong claim is still a disagreement', async () => {
    const rt = await upE2eWorld(BOTH_TYPES, { ports: [80], protocols: ['TCP'] });
    const { results } = new PolicyProber(rt).run(matrixProbes(matrixPods(rt), { port: 80, protocol: 'TCP' }));
    const pair = (r: ProbeResult): string => `${r.from.id} -> ${r.to.id}`;
    const v1 = checkWithJudge(results, netpolJudge(rt));
    assert.deepEqual(v1.disagreements.map((d) => pair(d.result)).sort(), X_PAIRS);
    const kr = checkWithJudge(results, judgeFor(rt).judge);
    assert.deepEqual(kr.disagreements, []);
    assert.deepEqual(kr.deviations.map((d) => pair(d.result)).sort(), X_PAIRS);
    // a judge that names a deviation but expects the other verdict is not excused
    const judge = judgeFor(rt).judge;
    const wrong: MatrixJudge = (f, t, port, protocol) => {
      const v = judge(f, t, port, protocol);
      return v.deviation === undefined ? v : { ...v, allowed: !v.allowed };
    };
    const bad = checkWithJudge(results, wrong);
    assert.deepEqual(bad.disagreements.map((d) => pair(d.result)).sort(), X_PAIRS);
    assert.deepEqual(bad.deviations, []);
  });
});
