/**
 * Property tests of NetworkPolicy (fast-check, fixed seeds): random pods, namespaces and policies
 * (test/netpol-e2e/arbitraries.ts). Every generated world is one the API server accepts, and the judge
 * (src/cluster/netpol-eval.ts) does not depend on the order policies were created in.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluateNetpol, type NetpolWorld } from '../src/cluster/netpol-eval.js';
import type { NetworkPolicy } from '../src/cluster/k8s-objects.js';
import { loadCluster } from '../src/scenario/manifests.js';
import { parseIpv4 } from '../src/wire/addr.js';
import { disagreements, worldYaml } from './netpol-e2e/prop-datapath.js';
import { GEN_PROBES, policyDocs, worldArb, worldDocs, type GenWorld } from './netpol-e2e/arbitraries.js';

/** Addresses as a Flannel cluster of two nodes gives them: pods alternate between 10.42.0.0/24 and 10.42.1.0/24. */
const fakeIps = (w: GenWorld): number[] => w.pods.map((_, i) => parseIpv4(`10.42.${i % 2}.${i + 2}`)!);

/** `w` read as the cluster reads it; fails on any validation error. */
function read(w: GenWorld, ips: readonly number[]): { world: NetpolWorld; policies: NetworkPolicy[] } {
  const text = [...worldDocs(w, 'flannel'), ...policyDocs(w, ips)].join('\n---\n');
  const r = loadCluster([{ file: 'prop.yaml', text }]);
  assert.ok(r.ok, r.ok ? '' : `${r.errors.map((e) => e.message).join('\n')}\n${text}`);
  const plan = r.cluster.plan;
  const world: NetpolWorld = {
    pods: plan.pods.map((p, i) => ({
      namespace: p.namespace,
      name: p.name,
      labels: p.labels,
      ip: ips[i]!,
      ports: p.spec.containers.flatMap((c) =>
        c.ports.map((cp) => ({
          ...(cp.name !== undefined ? { name: cp.name } : {}),
          port: cp.containerPort,
          protocol: cp.protocol,
        })),
      ),
    })),
    namespaceLabels: plan.namespaceLabels,
    policies: plan.networkPolicies,
  };
  return { world, policies: plan.networkPolicies };
}

/** Every pair's verdict on every probed port, as "from>to port/proto: allowed". */
function matrix(world: NetpolWorld): string[] {
  return world.pods.flatMap((f) =>
    world.pods.flatMap((t) =>
      GEN_PROBES.map(
        (p) =>
          `${f.namespace}/${f.name}>${t.namespace}/${t.name} ${p.port}/${p.protocol}: ${evaluateNetpol(world, { pod: f }, { pod: t }, p.port, p.protocol).allowed}`,
      ),
    ),
  );
}

/** Random worlds per enforcer: each builds two small clusters and probes every pair on three ports. */
const RUNS = Number(process.env.NETPOL_PROPERTY_RUNS ?? 12);

describe('NetworkPolicy properties', () => {
  it('every generated world is valid cluster input, with its pods in the order generated', () => {
    fc.assert(
      fc.property(worldArb(), (w) => {
        const { world } = read(w, fakeIps(w));
        assert.deepEqual(
          world.pods.map((p) => `${p.namespace}/${p.name}`),
          w.pods.map((p) => `${p.namespace}/${p.name}`),
        );
      }),
      { numRuns: 100, seed: 1212 },
    );
  });

  it('the judge does not depend on the order the policies were created in', () => {
    fc.assert(
      fc.property(worldArb(), (w) => {
        const { world } = read(w, fakeIps(w));
        const reversed = { ...world, policies: [...world.policies].reverse() };
        assert.deepEqual(matrix(reversed), matrix(world));
      }),
      { numRuns: 100, seed: 1213 },
    );
  });
});

/** Seeds: fixed, or NETPOL_PROPERTY_SEED to explore (with NETPOL_PROPERTY_RUNS for more worlds). */
const SEED = Number(process.env.NETPOL_PROPERTY_SEED ?? 4242);

for (const [cni, kind, seed] of [
  ['flannel', 'kube-router', SEED],
  ['calico', 'felix', SEED + 1],
] as const)
  describe(`NetworkPolicy properties through ${cni} with ${kind}`, () => {
    it("the measured matrix is the judge's, pair by pair (TCP 80, TCP 81, UDP 80)", async (t) => {
      let probes = 0;
      let quirks = 0;
      const t0 = performance.now();
      await fc.assert(
        fc.asyncProperty(worldArb(), async (w) => {
          const found = await disagreements(w, cni);
          probes += found.probes;
          quirks += found.quirks;
          assert.deepEqual(found.disagreements, [], worldYaml(w, cni, []));
        }),
        { numRuns: RUNS, seed },
      );
      t.diagnostic(
        `${RUNS} worlds, ${probes} probes in ${((performance.now() - t0) / 1000).toFixed(1)} s` +
          (cni === 'flannel'
            ? `; ${quirks} where kube-router parts from v1 (src/cluster/netpol-kube-router-deviations.ts)`
            : ''),
      );
    });
  });
