/**
 * The Kubernetes e2e NetworkPolicy suite's truth tables (test/netpol-e2e/cases.ts) against podnet's
 * independent judge of the API's semantics (src/cluster/netpol-eval.ts): for every case, step and probe,
 * the judge's verdict on each of the 81 pairs must be the table's. The judge has no data path, so here
 * the diagonal counts too (a pod's connection to itself follows policy on paper).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateNetpol, type NetpolPod, type NetpolWorld } from '../src/cluster/netpol-eval.js';
import { formatIpv4, parseIpv4 } from '../src/wire/addr.js';
import { E2E_CASES, E2E_PORTS } from './netpol-e2e/cases.js';
import { applyStep, E2E_POD_IDS, initialState, readPolicies, type E2eState } from './netpol-e2e/state.js';
import { buildTruthTable, formatTruthTable, parseTruthTable, truthTableDiff } from './netpol-e2e/truth-table.js';

/** x/a is 10.42.0.2 ... z/c 10.42.2.4: three nodes' pod ranges, as a Flannel cluster would give them. */
const IPS = new Map(E2E_POD_IDS.map((id, i) => [id, parseIpv4(`10.42.${Math.floor(i / 3)}.${(i % 3) + 2}`)!]));

/** The e2e model's pods with `state`'s labels: every pod serves TCP and UDP on 80 and 81 (model.go). */
function worldOf(state: E2eState): NetpolWorld {
  const pods: NetpolPod[] = E2E_POD_IDS.map((id) => {
    const [namespace, name] = id.split('/') as [string, string];
    return {
      namespace,
      name,
      labels: state.podLabels.get(id)!,
      ip: IPS.get(id)!,
      ports: E2E_PORTS.flatMap((port) =>
        (['TCP', 'UDP'] as const).map((protocol) => ({
          name: `serve-${port}-${protocol.toLowerCase()}`,
          port,
          protocol,
        })),
      ),
    };
  });
  const policies = readPolicies(state, (pod) => formatIpv4(IPS.get(pod)!));
  return { pods, namespaceLabels: state.namespaceLabels, policies };
}

describe('the Kubernetes e2e netpol truth tables, judged by netpol-eval', () => {
  it('has at least 30 cases, each name once per context', () => {
    assert.ok(E2E_CASES.length >= 30, `${E2E_CASES.length} cases`);
    const names = E2E_CASES.map((c) => `${c.context} ${c.name}`);
    assert.equal(new Set(names).size, names.length);
  });

  for (const c of E2E_CASES)
    it(`${c.context}: ${c.name}`, () => {
      const state = initialState();
      c.steps.forEach((step, s) => {
        applyStep(state, step);
        const world = worldOf(state);
        const pod = (id: string): NetpolPod => world.pods.find((p) => `${p.namespace}/${p.name}` === id)!;
        for (const probe of step.probes) {
          const expected = parseTruthTable(probe.reachability);
          assert.deepEqual(expected.pods, E2E_POD_IDS);
          const judged = buildTruthTable(
            E2E_POD_IDS,
            (f, t) => evaluateNetpol(world, { pod: pod(f) }, { pod: pod(t) }, probe.port, probe.protocol).allowed,
          );
          const diff = truthTableDiff(expected, judged, { ignoreLoopback: false });
          assert.deepEqual(
            diff,
            [],
            `step ${s + 1}, ${probe.protocol} ${probe.port}: the judge says\n${formatTruthTable(judged)}`,
          );
        }
      });
    });
});
