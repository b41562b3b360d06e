/**
 * The data-path property: a random world (arbitraries.ts) built with one enforcer, every pod probed to
 * every other pod on TCP 80, TCP 81 and UDP 80 by the policy prober, and each measured verdict compared
 * with the judge's (netpol-eval.ts) on the running cluster's own world (netpol-world.ts). The pods'
 * addresses are learned from a first build without policies (ipBlocks are written around them), then the
 * world is built again with its policies.
 */
import assert from 'node:assert/strict';
import { loadCluster } from '../../src/scenario/manifests.js';
import type { ClusterPlan } from '../../src/cluster/plan-types.js';
import { bringUp, buildCluster, type ClusterRuntime } from '../../src/cluster/runtime.js';
import { PolicyProber, matrixPods, outcomeAllowed, type Probe } from '../../src/cluster/policy-matrix.js';
import { evaluateNetpol } from '../../src/cluster/netpol-eval.js';
import { netpolWorld, describeVerdict } from '../../src/cluster/netpol-world.js';
import { GEN_PROBES, policyDocs, worldDocs, type GenWorld } from './arbitraries.js';
import type { E2eCni } from './world.js';
import { kubeRouterAllows } from '../../src/cluster/netpol-kube-router-deviations.js';

function read(docs: readonly string[]): ClusterPlan {
  const r = loadCluster([{ file: 'prop.yaml', text: docs.join('\n---\n') }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.cluster.plan;
}

async function build(plan: ClusterPlan): Promise<ClusterRuntime> {
  const rt = await buildCluster(plan);
  bringUp(rt);
  return rt;
}

/** The manifests of `w` as one YAML stream (for a counterexample a person can run). */
export function worldYaml(w: GenWorld, cni: E2eCni, ips: readonly number[]): string {
  return [...worldDocs(w, cni), ...policyDocs(w, ips)].join('\n---\n');
}

/** What a property run found: real disagreements, and pairs kube-router allows by its known quirk. */
export interface PropertyOutcome {
  disagreements: string[];
  /** Pairs where kube-router decides otherwise than the v1 judge, as src/cluster/netpol-kube-router-deviations.ts explains. */
  quirks: number;
  /** Probes sent. */
  probes: number;
}

/**
 * Builds `w` with `cni`'s enforcer and returns every pair where the data path and the judge disagree
 * (the diagonal aside), each with the judge's reasoning. With Flannel the expectation is kube-router's
 * (src/cluster/netpol-kube-router-deviations.ts): where it parts from the judge is counted apart, not as a disagreement.
 */
export async function disagreements(w: GenWorld, cni: E2eCni): Promise<PropertyOutcome> {
  const base = read(worldDocs(w, cni));
  const bare = await build(base);
  const byId = new Map([...bare.pods.values()].map((p) => [p.id, p.ip]));
  const ips = w.pods.map((p) => byId.get(`${p.namespace}/${p.name}`)!);
  const withPolicies = read([...worldDocs(w, cni).filter((d) => !d.includes('"kind":"Pod"')), ...policyDocs(w, ips)]);
  const rt = await build({ ...base, networkPolicies: withPolicies.networkPolicies });
  assert.deepEqual(
    [...rt.pods.values()].map((p) => p.ip),
    [...bare.pods.values()].map((p) => p.ip),
    'the pods moved between builds',
  );
  const pods = matrixPods(rt);
  const probes: Probe[] = GEN_PROBES.flatMap((c) =>
    pods.flatMap((from) => pods.filter((to) => to !== from).map((to) => ({ from, to, ...c }))),
  );
  const { results } = new PolicyProber(rt).run(probes);
  const world = netpolWorld(rt);
  const out: string[] = [];
  let quirks = 0;
  for (const r of results) {
    const from = { pod: world.pods.find((p) => p.ip === r.from.ip)! };
    const to = { pod: world.pods.find((p) => p.ip === r.to.ip)! };
    const v = evaluateNetpol(world, from, to, r.port, r.protocol === 'UDP' ? 'UDP' : 'TCP');
    const measured = outcomeAllowed(r.outcome) === true;
    const protocol = r.protocol === 'UDP' ? 'UDP' : 'TCP';
    // with Flannel the data path is kube-router's: its two known differences from v1 are expected
    const expected = cni === 'flannel' ? kubeRouterAllows(world, from.pod, to.pod, r.port, protocol) : v.allowed;
    if (expected !== v.allowed) quirks++;
    if (measured !== expected)
      out.push(
        `${r.from.id} -> ${r.to.id} ${r.protocol} ${r.port}: measured ${r.outcome}, expected ${expected ? 'allowed' : 'denied'}; judge: ` +
          describeVerdict(v, from, to, r.port, protocol),
      );
  }
  return { disagreements: out, quirks, probes: probes.length };
}
