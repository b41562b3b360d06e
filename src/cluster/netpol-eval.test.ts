/**
 * The NetworkPolicy semantics, case by case, on the Kubernetes e2e suite's world (test/e2e/network/netpol:
 * namespaces x, y, z with pods a, b, c serving ports 80 and 81). Policies are read from real manifests; the
 * expected verdicts follow the API's documentation, each stated in the test's name.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster } from '../scenario/manifests.js';
import { parseIpv4 } from '../wire/addr.js';
import type { Labels, NetworkPolicy } from './k8s-objects.js';
import { evaluateNetpol, type NetpolPod, type NetpolWorld } from './netpol-eval.js';

const HEAD = `
apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: netpol }
spec:
  nodes: [{ name: n1, address: 192.168.56.11/24 }]
---
apiVersion: v1
kind: Namespace
metadata: { name: x, labels: { ns: x } }
---
apiVersion: v1
kind: Namespace
metadata: { name: y, labels: { ns: y } }
---
apiVersion: v1
kind: Namespace
metadata: { name: z, labels: { ns: z } }
`;

/** The policies of `yaml` (NetworkPolicy documents), read as `kubectl apply` would take them. */
function policies(yaml: string): NetworkPolicy[] {
  const r = loadCluster([{ file: 'netpol.yaml', text: yaml === '' ? HEAD : `${HEAD}---\n${yaml}` }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.cluster.plan.networkPolicies;
}

/** x/a, x/b, x/c, y/a, ..., z/c: label pod=<name>, addresses 10.42.<ns>.<pod>, ports serve-80-tcp and serve-81-tcp. */
const PODS: NetpolPod[] = ['x', 'y', 'z'].flatMap((ns, i) =>
  ['a', 'b', 'c'].map((name, j) => ({
    namespace: ns,
    name,
    labels: { pod: name },
    ip: parseIpv4(`10.42.${i}.${j + 2}`)!,
    ports: [
      { name: 'serve-80-tcp', port: 80, protocol: 'TCP' as const },
      { name: 'serve-81-tcp', port: 81, protocol: 'TCP' as const },
    ],
  })),
);
const NS_LABELS = new Map<string, Labels>([
  ['x', { ns: 'x' }],
  ['y', { ns: 'y' }],
  ['z', { ns: 'z' }],
]);

function pod(ref: string): NetpolPod {
  const p = PODS.find((q) => `${q.namespace}/${q.name}` === ref);
  assert.ok(p, ref);
  return p;
}

/** The pairs (from -> to) allowed on `port`, as "x/a>y/b". */
function allowed(world: NetpolWorld, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): Set<string> {
  const out = new Set<string>();
  for (const f of PODS)
    for (const t of PODS)
      if (evaluateNetpol(world, { pod: f }, { pod: t }, port, protocol).allowed)
        out.add(`${f.namespace}/${f.name}>${t.namespace}/${t.name}`);
  return out;
}

const world = (yaml: string): NetpolWorld => ({ pods: PODS, namespaceLabels: NS_LABELS, policies: policies(yaml) });
const ALL = PODS.length * PODS.length;

describe('NetworkPolicy semantics (the e2e suite world: x, y, z with a, b, c)', () => {
  it('no policy: every pair is allowed', () => {
    assert.equal(allowed(world(''), 80).size, ALL);
  });

  it('default deny ingress in x: nothing reaches x, everything else unchanged', () => {
    const w = world(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-all, namespace: x }
spec: { podSelector: {} }
`);
    const ok = allowed(w, 80);
    assert.equal(ok.size, ALL - 9 * 3);
    assert.ok(!ok.has('y/a>x/a') && !ok.has('x/b>x/a') && ok.has('x/a>y/a'));
    const v = evaluateNetpol(w, { pod: pod('y/b') }, { pod: pod('x/a') }, 80, 'TCP');
    assert.deepEqual(v.ingress, { isolated: true, selectedBy: ['x/deny-all'], allowedBy: [], allowed: false });
  });

  it('allow from pod b in the same namespace only (podSelector alone means the policy namespace)', () => {
    const w = world(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-b, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress: [{ from: [{ podSelector: { matchLabels: { pod: b } } }] }]
`);
    const into = [...allowed(w, 80)].filter((p) => p.endsWith('>x/a'));
    assert.deepEqual(into, ['x/b>x/a']);
  });

  it('namespaceSelector alone: every pod of y; both selectors in one peer: only b of y (AND); as two peers: OR', () => {
    const nsOnly = world(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: from-y, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: y } } }] }]
`);
    assert.deepEqual(
      [...allowed(nsOnly, 80)].filter((p) => p.endsWith('>x/a')),
      ['y/a>x/a', 'y/b>x/a', 'y/c>x/a'],
    );
    const and = world(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: from-y-b, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: y } }, podSelector: { matchLabels: { pod: b } } }] }]
`);
    assert.deepEqual(
      [...allowed(and, 80)].filter((p) => p.endsWith('>x/a')),
      ['y/b>x/a'],
    );
    const or = world(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: from-y-or-b, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: y } } }, { podSelector: { matchLabels: { pod: b } } }] }]
`);
    assert.deepEqual([...allowed(or, 80)].filter((p) => p.endsWith('>x/a')).sort(), [
      'x/b>x/a',
      'y/a>x/a',
      'y/b>x/a',
      'y/c>x/a',
    ]);
  });

  it('ports: a number, a named port resolved on the target, a range with endPort; the protocol must match', () => {
    const w = world(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: port-81, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress: [{ ports: [{ port: serve-81-tcp }] }]
`);
    assert.equal([...allowed(w, 80)].filter((p) => p.endsWith('>x/a')).length, 0);
    assert.equal([...allowed(w, 81)].filter((p) => p.endsWith('>x/a')).length, 9);
    assert.equal([...allowed(w, 81, 'UDP')].filter((p) => p.endsWith('>x/a')).length, 0);
    const range = world(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: range, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress: [{ ports: [{ protocol: TCP, port: 79, endPort: 80 }] }]
`);
    assert.equal([...allowed(range, 80)].filter((p) => p.endsWith('>x/a')).length, 9);
    assert.equal([...allowed(range, 81)].filter((p) => p.endsWith('>x/a')).length, 0);
  });

  it('egress: default deny egress in y stops y talking out, and nothing else', () => {
    const w = world(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-egress, namespace: y }
spec: { podSelector: {}, policyTypes: [Egress] }
`);
    const ok = allowed(w, 80);
    assert.equal(ok.size, ALL - 3 * 9);
    assert.ok(!ok.has('y/a>y/b') && !ok.has('y/a>x/a') && ok.has('x/a>y/a'));
  });

  it('the union of policies: a deny-all and an allow together allow what the allow allows', () => {
    const w = world(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-all, namespace: x }
spec: { podSelector: {} }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-z, namespace: x }
spec:
  podSelector: {}
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: z } } }] }]
`);
    const v = evaluateNetpol(w, { pod: pod('z/c') }, { pod: pod('x/b') }, 80, 'TCP');
    assert.equal(v.allowed, true);
    assert.deepEqual(v.ingress.selectedBy, ['x/deny-all', 'x/allow-z']);
    assert.deepEqual(v.ingress.allowedBy, [{ policy: 'x/allow-z', rule: 0 }]);
    assert.equal(evaluateNetpol(w, { pod: pod('y/c') }, { pod: pod('x/b') }, 80, 'TCP').allowed, false);
  });

  it('ipBlock with except matches addresses, of pods and of the outside alike', () => {
    const w = world(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: from-block, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress: [{ from: [{ ipBlock: { cidr: 10.42.1.0/24, except: [10.42.1.3/32] } }] }]
`);
    assert.deepEqual(
      [...allowed(w, 80)].filter((p) => p.endsWith('>x/a')),
      ['y/a>x/a', 'y/c>x/a'],
    );
    assert.equal(evaluateNetpol(w, { ip: parseIpv4('10.42.1.9')! }, { pod: pod('x/a') }, 80, 'TCP').allowed, true);
    assert.equal(evaluateNetpol(w, { ip: parseIpv4('8.8.8.8')! }, { pod: pod('x/a') }, 80, 'TCP').allowed, false);
  });
});
