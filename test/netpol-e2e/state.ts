/**
 * Running an e2e case's steps on paper: which policies are in force (by namespace/name, an update
 * replacing), which labels the pods and namespaces carry, and the manifests that state is (Namespaces,
 * then NetworkPolicies with `{{ns/pod}}` replaced by the pod's address). The judge's test and the data
 * path's test both walk the cases through this.
 */
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import type { Labels, NetworkPolicy } from '../../src/cluster/k8s-objects.js';
import { loadCluster } from '../../src/scenario/manifests.js';
import { E2E_NAMESPACES, E2E_PODS, type E2eStep } from './cases.js';

/** Where a case stands after some steps. */
export interface E2eState {
  /** NetworkPolicy documents in force, by "namespace/name" (with `{{ns/pod}}` placeholders). */
  policies: Map<string, string>;
  /** Every pod's labels, by "ns/pod" (model.go: `pod: <name>`). */
  podLabels: Map<string, Labels>;
  /** Every namespace's labels (model.go: `ns: <name>`; the API server adds kubernetes.io/metadata.name). */
  namespaceLabels: Map<string, Labels>;
}

/** The suite's pods as "ns/pod", in its print order. */
export const E2E_POD_IDS: readonly string[] = E2E_NAMESPACES.flatMap((ns) => E2E_PODS.map((p) => `${ns}/${p}`));

/** The model before any policy: no policies, the model's labels. */
export function initialState(): E2eState {
  return {
    policies: new Map(),
    podLabels: new Map(E2E_POD_IDS.map((id) => [id, { pod: id.split('/')[1]! }])),
    namespaceLabels: new Map(E2E_NAMESPACES.map((ns) => [ns, { ns }])),
  };
}

/** Applies what `step` does before it probes. */
export function applyStep(state: E2eState, step: E2eStep): void {
  if (step.deleteAllPolicies === true) state.policies.clear();
  if (step.apply !== undefined)
    for (const doc of parseAllDocuments(step.apply)) {
      const meta = (doc.toJS() as { metadata: { name: string; namespace: string } }).metadata;
      state.policies.set(`${meta.namespace}/${meta.name}`, doc.toString());
    }
  if (step.podLabels !== undefined) {
    const { pod, labels } = step.podLabels;
    state.podLabels.set(pod, { ...state.podLabels.get(pod), ...labels });
  }
  if (step.namespaceLabels !== undefined) {
    const { namespace, labels } = step.namespaceLabels;
    state.namespaceLabels.set(namespace, { ...state.namespaceLabels.get(namespace), ...labels });
  }
}

/** The Namespace manifests of `state`. */
export function namespaceManifests(state: E2eState): string {
  return [...state.namespaceLabels]
    .map(
      ([ns, labels]) =>
        `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns}, labels: ${JSON.stringify(labels)} }\n`,
    )
    .join('---\n');
}

/** The NetworkPolicy manifests of `state`, each `{{ns/pod}}` replaced by `ipOf("ns/pod")`. */
export function policyManifests(state: E2eState, ipOf: (pod: string) => string): string {
  return [...state.policies.values()]
    .map((doc) =>
      doc.replace(/\{\{([a-z]\/[a-z])\}\}/g, (_, pod: string) => {
        assert.ok(E2E_POD_IDS.includes(pod), `unknown pod ${pod} in a policy`);
        return ipOf(pod);
      }),
    )
    .join('---\n');
}

/** The policies of `state` as the cluster reads them (validated: a case's YAML that does not read fails). */
export function readPolicies(state: E2eState, ipOf: (pod: string) => string): NetworkPolicy[] {
  const policies = policyManifests(state, ipOf);
  const text = [
    'apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nmetadata: { name: netpol-e2e }\nspec:\n  nodes: [{ name: n1, address: 192.168.56.11/24 }]\n',
    namespaceManifests(state),
    ...(policies === '' ? [] : [policies]),
  ].join('---\n');
  const r = loadCluster([{ file: 'netpol-e2e.yaml', text }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.cluster.plan.networkPolicies;
}
