/**
 * The probe engine on the e2e netpol world (x, y, z x a, b, c, agnhost serve-hostname on 80 TCP and UDP,
 * two nodes), with deny-all ingress in x: first with nothing enforcing it (k3s's controller disabled: the
 * probes all get through and the judge disagrees on exactly the pairs into x), then with a stand-in
 * enforcer that DROPs, then one that REJECTs, then with the real enforcers (kube-router's on Flannel,
 * Felix on Calico), checked probe by probe and against the judge.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  PolicyProber,
  declaredColumns,
  matrixPods,
  matrixProbes,
  outcomeAllowed,
  type ProbeResult,
} from './policy-matrix.js';
import { LOOPBACK_VERDICT, checkWithJudge, judgeFor, netpolJudge, type MatrixJudge } from './policy-matrix-judge.js';
import { explainPair, probeWithDrops } from './policy-matrix-why.js';
import { netpolWorld } from './netpol-world.js';
import {
  denyAllIngressYaml,
  standInDenyIngress,
  STAND_IN_CHAIN,
  upE2eWorld,
} from '../scenario/policy-bench-testing.js';

const intoX = (r: ProbeResult): boolean => r.to.namespace === 'x' && r.from !== r.to;
const pair = (r: ProbeResult): string => `${r.from.id}>${r.to.id}`;

describe('the policy probe engine', () => {
  it('probes every pair on every declared port, and tells enforced from unenforced policy', async () => {
    const rt = await upE2eWorld(denyAllIngressYaml('x'), { ports: [80], protocols: ['TCP', 'UDP'], enforce: false });
    const pods = matrixPods(rt);
    assert.deepEqual(
      pods.map((p) => p.id),
      ['x/a', 'x/b', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c'],
    );
    assert.deepEqual(declaredColumns(rt, pods), [
      { port: 80, protocol: 'TCP' },
      { port: 80, protocol: 'UDP' },
    ]);
    const prober = new PolicyProber(rt);
    const judge = netpolJudge(rt);

    // nothing enforces deny-all yet: every probe gets through, and the judge catches each pair into x
    const open = prober.run(matrixProbes(pods, { port: 80, protocol: 'TCP' }));
    assert.equal(open.results.length, 81);
    assert.ok(open.results.every((r) => r.outcome === 'connected'));
    assert.deepEqual(open.interference, {});
    const unenforced = checkWithJudge(open.results, judge);
    assert.equal(unenforced.compared, 81);
    assert.deepEqual(
      unenforced.disagreements.map((d) => pair(d.result)).sort(),
      open.results.filter(intoX).map(pair).sort(),
    );
    assert.equal(unenforced.disagreements.length, 24, '9 sources x 3 targets in x, less the 3 loopback pairs');

    // a stand-in enforcer DROPs new connections into x: those probes time out, all others connect, and the
    // connections of the run before (same pods, same ports) let nothing through: each probe is a new tuple
    standInDenyIngress(rt, 'x', 'DROP');
    for (const protocol of ['TCP', 'UDP'] as const) {
      const run = prober.run(matrixProbes(pods, { port: 80, protocol }));
      for (const r of run.results) {
        const want = intoX(r) ? 'timeout' : protocol === 'TCP' ? 'connected' : 'answered';
        assert.equal(r.outcome, want, `${pair(r)} ${protocol}`);
      }
      const check = checkWithJudge(run.results, judge);
      assert.equal(check.compared, 81);
      assert.deepEqual(check.disagreements, [], `${protocol}: the probes agree with the judge`);
      // distinct source ports per source pod within the run
      for (const p of pods) {
        const ports = run.results.filter((r) => r.from === p).map((r) => r.srcPort);
        assert.equal(new Set(ports).size, ports.length);
      }
    }
  });

  it('a REJECT is told apart from a DROP: ICMP port unreachable comes back at once', async () => {
    const rt = await upE2eWorld(denyAllIngressYaml('x'), { ports: [80], protocols: ['TCP'], enforce: false });
    standInDenyIngress(rt, 'x', 'REJECT');
    const pods = matrixPods(rt);
    const run = new PolicyProber(rt).run(matrixProbes(pods, { port: 80, protocol: 'TCP' }));
    const rejected = run.results.filter((r) => r.outcome === 'rejected');
    assert.deepEqual(rejected.map(pair).sort(), run.results.filter(intoX).map(pair).sort());
    assert.ok(rejected.every((r) => r.icmpCode === 3 && outcomeAllowed(r.outcome) === false));
    // nothing waited for the timeout: the whole run took far less than the 1 s a DROP costs
    assert.ok(run.simNs < 100_000_000, `${run.simNs} ns`);
    assert.deepEqual(checkWithJudge(run.results, netpolJudge(rt)).disagreements, []);
  });

  it('a judge that is wrong is caught, pair by pair, with both verdicts', async () => {
    const rt = await upE2eWorld('', { ports: [80], protocols: ['TCP'] });
    const pods = matrixPods(rt);
    const run = new PolicyProber(rt).run(matrixProbes(pods, { port: 80, protocol: 'TCP' }));
    // deliberately wrong: y/b may reach nobody
    const wrong: MatrixJudge = (from, to) =>
      from.id === 'y/b' && from !== to ? { allowed: false, why: 'planted' } : LOOPBACK_VERDICT;
    const check = checkWithJudge(run.results, wrong);
    assert.equal(check.disagreements.length, 8);
    assert.ok(check.disagreements.every((d) => d.result.from.id === 'y/b' && d.judge.why === 'planted'));
    assert.deepEqual(checkWithJudge(run.results, netpolJudge(rt)).disagreements, []);
  });

  it('a port nothing serves is refused and left out of the comparison; SCTP is not emulated', async () => {
    const rt = await upE2eWorld('', { ports: [80], protocols: ['TCP'] });
    const pods = matrixPods(rt);
    const prober = new PolicyProber(rt);
    const closed = prober.run(matrixProbes(pods, { port: 82, protocol: 'TCP' }));
    assert.ok(closed.results.every((r) => r.outcome === 'refused'));
    const check = checkWithJudge(closed.results, netpolJudge(rt));
    assert.equal(check.compared, 0);
    assert.equal(check.notCompared[0]?.reason, 'nothing listens on x/a TCP 82');
    const sctp = prober.run(matrixProbes(pods, { port: 80, protocol: 'SCTP' }));
    assert.ok(sctp.results.every((r) => r.outcome === 'not-emulated' && outcomeAllowed(r.outcome) === undefined));
    assert.equal(checkWithJudge(sctp.results, netpolJudge(rt)).notCompared[0]?.reason, 'SCTP is not emulated');
  });

  for (const cni of ['flannel', 'calico'] as const)
    it(`the real enforcer on ${cni} denies exactly the pairs into x, as the judge says`, async () => {
      const rt = await upE2eWorld(denyAllIngressYaml('x'), { ports: [80], protocols: ['TCP', 'UDP'], cni });
      assert.equal(rt.policy?.kind, cni === 'flannel' ? 'kube-router' : 'felix');
      const pods = matrixPods(rt);
      const prober = new PolicyProber(rt);
      const { judge } = judgeFor(rt);
      for (const protocol of ['TCP', 'UDP'] as const) {
        const run = prober.run(matrixProbes(pods, { port: 80, protocol }));
        assert.deepEqual(
          run.results
            .filter((r) => outcomeAllowed(r.outcome) === false)
            .map(pair)
            .sort(),
          run.results.filter(intoX).map(pair).sort(),
          `${cni} ${protocol}`,
        );
        // kube-router's pod chain REJECTs (icmp-port-unreachable), Felix's cali-tw- chain DROPs
        const denied = new Set(run.results.filter(intoX).map((r) => r.outcome));
        assert.deepEqual([...denied], [cni === 'flannel' ? 'rejected' : 'timeout'], `${cni} ${protocol}`);
        assert.deepEqual(checkWithJudge(run.results, judge).disagreements, [], `${cni} ${protocol}`);
      }
    });

  it('why: the selecting policies, each rule weighed, and the drop naming chain, rule and policy', async () => {
    const allowB = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-b-81, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: b } } }], ports: [{ port: 81 }] }]
`;
    const rt = await upE2eWorld(`${denyAllIngressYaml('x')}---\n${allowB}`, {
      ports: [80],
      protocols: ['TCP'],
      enforce: false,
    });
    standInDenyIngress(rt, 'x', 'DROP');
    const world = netpolWorld(rt);
    const wp = (id: string) => world.pods.find((p) => `${p.namespace}/${p.name}` === id)!;
    const x = explainPair(world, wp('y/b'), wp('x/a'), 80, 'TCP');
    assert.deepEqual(x.egressSelectedBy, []);
    assert.deepEqual(x.ingressSelectedBy, ['x/deny-all', 'x/allow-b-81']);
    assert.deepEqual(x.rules, [
      { policy: 'x/allow-b-81', direction: 'ingress', rule: 0, peersMatch: true, portsMatch: false },
    ]);
    assert.equal(
      x.sentence,
      'dropped by deny-all, allow-b-81 in namespace x: x/a is selected for ingress and no rule allows TCP 80 from y/b',
    );
    const { result, drops } = probeWithDrops(rt, {
      from: rt.pods.get('y/b')!,
      to: rt.pods.get('x/a')!,
      port: 80,
      protocol: 'TCP',
    });
    assert.equal(result.outcome, 'timeout');
    assert.equal(drops.length, 1);
    assert.equal(drops[0]!.reason, 'policy');
    assert.match(
      drops[0]!.detail,
      new RegExp(`filter FORWARD: DROP by ${STAND_IN_CHAIN} rule 2 \\("deny-all in x"\\)`),
    );
    assert.match(drops[0]!.detail, /no rule allows TCP 80 from y\/b/);
  });
});
