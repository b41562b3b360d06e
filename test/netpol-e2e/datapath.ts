/**
 * Running the e2e cases through the emulated data path with one enforcer: build the e2e world
 * (world.ts) with a step's labels and policies, probe it with the policy prober (src/cluster/
 * policy-matrix.ts: real TCP SYNs and UDP datagrams from every pod to every pod), and compare with the
 * suite's table, the diagonal aside (its ignoreLoopback). Each enforcer's test file calls
 * `describeE2eThrough` (one file per enforcer, so the test runner can run them side by side).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster } from '../../src/scenario/manifests.js';
import type { ClusterPlan } from '../../src/cluster/plan-types.js';
import { bringUp, buildCluster, type ClusterRuntime } from '../../src/cluster/runtime.js';
import { PolicyProber, matrixPods, outcomeAllowed, type Probe } from '../../src/cluster/policy-matrix.js';
import { formatIpv4 } from '../../src/wire/addr.js';
import { E2E_CASES, type E2eProbe } from './cases.js';
import { applyStep, E2E_POD_IDS, initialState, readPolicies, type E2eState } from './state.js';
import { buildTruthTable, formatTruthTable, parseTruthTable, truthTableDiff, type TruthTable } from './truth-table.js';
import { e2eClusterYaml, type E2eCni } from './world.js';

/** Where the time goes, summed over a file's cases (printed as a diagnostic). */
export interface E2eTimings {
  steps: number;
  readMs: number;
  buildMs: number;
  probeMs: number;
  probes: number;
}

/**
 * Plans of the world without policies, by its labels: reading the pods' YAML is most of a step's cost,
 * and only two cases change labels. A step's plan is that plan with the step's policies, read from their
 * own manifests (planning keeps a NetworkPolicy as read, once its namespace exists: plan.ts).
 */
class PlanCache {
  private readonly plans = new Map<string, ClusterPlan>();
  constructor(private readonly cni: E2eCni) {}

  plan(state: E2eState, ipOf: (pod: string) => string): ClusterPlan {
    const key = JSON.stringify([...state.podLabels, ...state.namespaceLabels]);
    let base = this.plans.get(key);
    if (base === undefined) {
      const bare: E2eState = { ...state, policies: new Map() };
      const r = loadCluster([{ file: 'netpol-e2e.yaml', text: e2eClusterYaml(this.cni, bare) }]);
      assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
      base = r.cluster.plan;
      this.plans.set(key, base);
    }
    return { ...base, networkPolicies: readPolicies(state, ipOf) };
  }
}

/** Each pod's address in `rt`, by "ns/pod". */
const addresses = (rt: ClusterRuntime): Map<string, string> =>
  new Map([...rt.pods.values()].map((p) => [p.id, formatIpv4(p.ip)]));

/** The world of `plan`, built and up as a person finds it (BGP sessions up with Calico, probes passed). */
async function build(plan: ClusterPlan): Promise<ClusterRuntime> {
  const rt = await buildCluster(plan);
  bringUp(rt);
  return rt;
}

/** The matrix `probe` measures in `rt`, every pod to every pod. */
function measure(rt: ClusterRuntime, probe: E2eProbe): TruthTable {
  const pods = new Map(matrixPods(rt).map((p) => [p.id, p]));
  const probes: Probe[] = E2E_POD_IDS.flatMap((f) =>
    E2E_POD_IDS.map((t) => ({ from: pods.get(f)!, to: pods.get(t)!, port: probe.port, protocol: probe.protocol })),
  );
  const { results } = new PolicyProber(rt).run(probes);
  const got = new Map(results.map((r) => [`${r.from.id}>${r.to.id}`, outcomeAllowed(r.outcome) === true]));
  return buildTruthTable(E2E_POD_IDS, (f, t) => got.get(`${f}>${t}`)!);
}

/**
 * Every e2e case through `cni`'s enforcer (`kind`). Cases in `knownGaps` are run as todo, with the gap
 * as the reason: they are expected to fail until the enforcer closes it.
 */
export function describeE2eThrough(
  cni: E2eCni,
  kind: 'kube-router' | 'felix',
  knownGaps: ReadonlyMap<string, string> = new Map(),
): void {
  describe(`the Kubernetes e2e netpol truth tables through ${cni} with ${kind}`, () => {
    const cache = new PlanCache(cni);
    const t: E2eTimings = { steps: 0, readMs: 0, buildMs: 0, probeMs: 0, probes: 0 };
    let ips: Map<string, string> | undefined;
    for (const c of E2E_CASES) {
      const gap = knownGaps.get(c.name);
      it(`${c.context}: ${c.name}`, gap !== undefined ? { todo: gap } : {}, async () => {
        // pod addresses do not depend on policies: learn them once, for the cases that write them into ipBlocks
        ips ??= addresses(await build(cache.plan(initialState(), () => '')));
        const ipOf = (p: string): string => ips!.get(p)!;
        const state = initialState();
        for (const [s, step] of c.steps.entries()) {
          applyStep(state, step);
          const t0 = performance.now();
          const plan = cache.plan(state, ipOf);
          const t1 = performance.now();
          const rt = await build(plan);
          const t2 = performance.now();
          assert.equal(rt.policy?.kind, kind);
          assert.deepEqual(addresses(rt), ips, 'the pods moved: the ipBlocks would be wrong');
          t.steps++;
          t.readMs += t1 - t0;
          t.buildMs += t2 - t1;
          for (const probe of step.probes) {
            const t3 = performance.now();
            const measured = measure(rt, probe);
            t.probeMs += performance.now() - t3;
            t.probes++;
            const diff = truthTableDiff(parseTruthTable(probe.reachability), measured, { ignoreLoopback: true });
            assert.deepEqual(
              diff,
              [],
              `step ${s + 1}, ${probe.protocol} ${probe.port}: measured\n${formatTruthTable(measured)}`,
            );
          }
        }
      });
    }
    it('time spent', (ctx) => {
      ctx.diagnostic(
        `${t.steps} clusters built (read ${t.readMs.toFixed(0)} ms, build ${t.buildMs.toFixed(0)} ms), ` +
          `${t.probes} matrices of 81 probes (${t.probeMs.toFixed(0)} ms)`,
      );
    });
  });
}
