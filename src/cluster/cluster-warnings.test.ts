/** Tests for the not-emulated warnings: each Service type, cluster-scoped kinds, and the two sections. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster } from '../scenario/manifests.js';
import { clusterWarnings, formatWarnings } from './cluster-warnings.js';

const CLUSTER = [
  'apiVersion: podnet.dev/v1alpha1',
  'kind: Cluster',
  'metadata: { name: t }',
  'spec:',
  '  disable: [coredns, traefik]',
  '  nodes: [{ name: n1, address: 192.168.56.11/24, role: server }]',
].join('\n');

function warningsFor(...docs: string[]) {
  const r = loadCluster([{ file: 'c.yaml', text: [CLUSTER, ...docs].join('\n---\n') }]);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return clusterWarnings(r.cluster.plan, r.cluster.notHandled);
}

test('every Service type is served (kube-proxy, ServiceLB, cluster DNS); only a health-check node port is not', () => {
  const ws = warningsFor(
    'apiVersion: v1\nkind: Service\nmetadata: { name: lb }\nspec: { type: LoadBalancer, clusterIP: 10.43.0.50, ports: [{ port: 80, nodePort: 30001 }] }',
    'apiVersion: v1\nkind: Service\nmetadata: { name: hl }\nspec: { clusterIP: None, ports: [{ port: 80 }] }',
    'apiVersion: v1\nkind: Service\nmetadata: { name: ext }\nspec: { type: ExternalName, externalName: example.com }',
    'apiVersion: v1\nkind: Service\nmetadata: { name: local }\nspec: { type: LoadBalancer, externalTrafficPolicy: Local, healthCheckNodePort: 32000, ports: [{ port: 81 }] }',
  );
  assert.deepEqual(
    ws.filter((w) => w.code === 'service-not-emulated').map((w) => w.message),
    [
      "Service default/local: healthCheckNodePort 32000 is allocated but kube-proxy's health-check server is not emulated: nothing answers on it",
    ],
  );
  assert.deepEqual(ws.find((w) => w.object === 'Service default/local')!.at, 'c.yaml:24');
  assert.equal(
    ws.find((w) => w.object === 'Service default/kubernetes'),
    undefined,
    'kube-proxy answers its ClusterIP',
  );
});

test('kinds podnet does not read are named with their namespace, or without one when cluster-scoped', () => {
  const ws = warningsFor(
    'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: agent, namespace: kube-system }\nspec: {}',
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: reader }',
    'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cfg }',
  );
  assert.deepEqual(
    ws.filter((w) => w.code === 'kind-not-handled').map((w) => w.object),
    ['DaemonSet kube-system/agent', 'ClusterRole reader', 'ConfigMap default/cfg'],
  );
  const text = formatWarnings(ws);
  assert.equal(text[0], 'NOT EMULATED', 'nothing here is a mistake in the manifests: only the second section');
  assert.ok(
    text.includes('  ConfigMap default/cfg: kind ConfigMap (v1) is not handled by podnet yet: ignored (c.yaml:18)'),
  );
});

test('NetworkPolicy: enforced on Flannel (kube-router) and Calico (Felix, named ports included); warned when disabled', () => {
  const byName =
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: by-name }\nspec: { podSelector: {}, ingress: [{ ports: [{ port: http }] }] }';
  const byNumber =
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: by-number }\nspec: { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] }';
  const codes = (text: string) => {
    const r = loadCluster([{ file: 'c.yaml', text: [text, byName, byNumber].join('\n---\n') }]);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    return clusterWarnings(r.cluster.plan, r.cluster.notHandled)
      .filter((w) => w.code === 'networkpolicy-not-enforced')
      .map((w) => w.message);
  };
  assert.deepEqual(codes(CLUSTER), []);
  assert.deepEqual(codes(CLUSTER.replace('[coredns, traefik]', '[coredns, traefik, network-policy]')), [
    'NetworkPolicy default/by-name: not enforced: spec.disable lists network-policy (k3s --disable-network-policy), so no controller enforces it; traffic the policy would deny is allowed',
    'NetworkPolicy default/by-number: not enforced: spec.disable lists network-policy (k3s --disable-network-policy), so no controller enforces it; traffic the policy would deny is allowed',
  ]);
  // Felix programs the named port (a hash:ip,port cali40n: set): no warning for it any more
  assert.deepEqual(codes(`${CLUSTER.replace(/192\.168\.56\.11/, '172.16.0.11')}\n  cni: calico`), []);
});

test('on Calico, what Felix does not enforce of a Calico policy is still named: service accounts, ICMP types, tiers', () => {
  const policy = [
    'apiVersion: projectcalico.org/v3',
    'kind: GlobalNetworkPolicy',
    'metadata: { name: p }',
    'spec:',
    '  tier: security',
    '  serviceAccountSelector: all()',
    '  ingress: [{ action: Allow, protocol: ICMP, icmp: { type: 8 }, source: { serviceAccounts: { names: [a] } } }]',
  ].join('\n');
  const text = [`${CLUSTER.replace(/192\.168\.56\.11/, '172.16.0.11')}\n  cni: calico`, policy].join('\n---\n');
  const r = loadCluster([{ file: 'c.yaml', text }]);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const messages = clusterWarnings(r.cluster.plan, r.cluster.notHandled, r.cluster.warnings).map((w) => w.message);
  for (const what of [
    /serviceAccountSelector is not emulated/,
    /icmp is not emulated/,
    /serviceAccounts is not emulated/,
    /tier "security" is not emulated/,
  ])
    assert.ok(
      messages.some((m) => what.test(m)),
      `${String(what)} in ${JSON.stringify(messages)}`,
    );
});
