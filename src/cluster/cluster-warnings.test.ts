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

test('each Service type says what does not answer: ClusterIP, NodePort, LoadBalancer, headless, ExternalName', () => {
  const ws = warningsFor(
    'apiVersion: v1\nkind: Service\nmetadata: { name: lb }\nspec: { type: LoadBalancer, clusterIP: 10.43.0.50, ports: [{ port: 80, nodePort: 30001 }] }',
    'apiVersion: v1\nkind: Service\nmetadata: { name: hl }\nspec: { clusterIP: None, ports: [{ port: 80 }] }',
    'apiVersion: v1\nkind: Service\nmetadata: { name: ext }\nspec: { type: ExternalName, externalName: example.com }',
  );
  assert.deepEqual(
    ws.filter((w) => w.code === 'service-not-emulated').map((w) => w.message),
    [
      'Service default/kubernetes: ClusterIP 10.43.0.1 is allocated but kube-proxy is not emulated yet; connections to it will fail',
      'Service default/lb: ClusterIP 10.43.0.50 and NodePort 30001/TCP are allocated but kube-proxy is not emulated yet; connections to them will fail; no load balancer (k3s servicelb) is emulated: no external IP',
      'Service default/hl: headless: its DNS records are served by cluster DNS, which is not emulated yet',
      'Service default/ext: ExternalName example.com is a DNS CNAME, and cluster DNS is not emulated yet',
    ],
  );
  assert.deepEqual(ws.find((w) => w.object === 'Service default/lb')!.at, 'c.yaml:9');
  assert.equal(ws.find((w) => w.object === 'Service default/kubernetes')!.at, undefined, 'built in: no file');
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
