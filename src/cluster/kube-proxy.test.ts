/**
 * kube-proxy following the cluster: the EndpointSlices as the controller writes them, and the node's rules
 * after a Deployment is scaled and a pod deleted (one resync after the step, stale KUBE-SEP chains gone,
 * conntrack kept), and a node that joins later getting the same Services.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster } from '../scenario/manifests.js';
import { buildCluster, type ClusterRuntime } from './runtime.js';
import { addNode, deletePod, scaleDeployment } from './lifecycle.js';
import { formatIpv4, parseCidr } from '../wire/addr.js';

const DOC = [
  'apiVersion: podnet.dev/v1alpha1',
  'kind: Cluster',
  'metadata: { name: kp }',
  'spec:',
  '  seed: 1',
  '  disable: [coredns]',
  '  nodes:',
  '    - { name: server, address: 192.168.56.11/24, role: server }',
  '    - { name: agent, address: 192.168.56.12/24, role: agent }',
  '---',
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata: { name: web }',
  'spec:',
  '  replicas: 1',
  '  selector: { matchLabels: { app: web } }',
  '  template:',
  '    metadata: { labels: { app: web } }',
  '    spec: { containers: [{ name: w, image: nginx, ports: [{ name: http, containerPort: 80 }] }] }',
  '---',
  'apiVersion: v1',
  'kind: Service',
  'metadata: { name: web }',
  'spec: { clusterIP: 10.43.0.80, selector: { app: web }, ports: [{ name: http, port: 80, targetPort: http }] }',
].join('\n');

async function cluster(): Promise<ClusterRuntime> {
  const r = loadCluster([{ file: 'c.yaml', text: DOC }]);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return buildCluster(r.cluster.plan);
}

/** The DNAT targets of default/web on `node`, sorted. */
function dnats(rt: ClusterRuntime, node: string): string[] {
  const nat = rt.nodes.get(node)!.stack.netfilter!.ruleset.nat;
  return [...nat.values()]
    .flatMap((c) => c.rules)
    .filter((r) => r.text.includes('"default/web:http"') && r.target?.kind === 'DNAT')
    .map((r) => r.text.replace(/.*--to-destination /, ''))
    .sort();
}

const webPods = (rt: ClusterRuntime): string[] =>
  [...rt.pods.values()]
    .filter((p) => p.labels.app === 'web')
    .map((p) => `${formatIpv4(p.ip)}:80`)
    .sort();

test('EndpointSlices: one per Service with a selector, named <svc>-xxxxx, labelled, with conditions and targetRef', async () => {
  const rt = await cluster();
  const slices = rt.kubeProxy!.endpointSlices.slices();
  const web = slices.find((s) => s.metadata.labels['kubernetes.io/service-name'] === 'web')!;
  assert.match(web.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.equal(web.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
  assert.equal(web.addressType, 'IPv4');
  assert.deepEqual(web.ports, [{ name: 'http', port: 80, protocol: 'TCP' }]);
  assert.equal(web.endpoints.length, 1);
  const e = web.endpoints[0]!;
  assert.deepEqual(e.conditions, { ready: true, serving: true, terminating: false });
  assert.equal(e.targetRef?.kind, 'Pod');
  assert.match(e.targetRef.name, /^web-/);
  // the kubernetes Service's slice holds the server's API server
  const api = slices.find((s) => s.metadata.labels['kubernetes.io/service-name'] === 'kubernetes')!;
  assert.deepEqual(
    api.endpoints.map((x) => x.addresses[0]),
    ['192.168.56.11'],
  );
  // the name is stable across syncs
  assert.equal(
    rt.kubeProxy!.endpointSlices.slices().find((s) => s.service.name === 'web')!.metadata.name,
    web.metadata.name,
  );
});

test('scale and delete: every node resyncs once after the step, with exactly the running pods as endpoints', async () => {
  const rt = await cluster();
  assert.deepEqual(dnats(rt, 'server'), webPods(rt));
  const before = rt.kubeProxy!.syncs.get('server');
  scaleDeployment(rt, 'web', 3);
  rt.engine.run(rt.engine.now + 1);
  assert.equal(webPods(rt).length, 3);
  for (const n of ['server', 'agent']) assert.deepEqual(dnats(rt, n), webPods(rt), n);
  assert.equal(rt.kubeProxy!.syncs.get('server'), before! + 1, 'the changes of one step coalesce into one sync');
  const victim = [...rt.pods.values()].find((p) => p.labels.app === 'web')!;
  const gone = `${formatIpv4(victim.ip)}:80`;
  deletePod(rt, victim.id);
  rt.engine.run(rt.engine.now + 1);
  for (const n of ['server', 'agent']) {
    assert.deepEqual(dnats(rt, n), webPods(rt), n);
    assert.ok(!dnats(rt, n).includes(gone) || webPods(rt).includes(gone));
    // no chain is left behind without rules (stale KUBE-SEP chains are deleted)
    const nat = rt.nodes.get(n)!.stack.netfilter!.ruleset.nat;
    for (const [name, c] of nat) if (name.startsWith('KUBE-SEP-')) assert.ok(c.rules.length > 0, name);
  }
});

test("a node that joins later gets kube-proxy's rules too", async () => {
  const rt = await cluster();
  await addNode(rt, { name: 'agent2', address: parseCidr('192.168.56.13/24')!, role: 'agent', labels: {} });
  rt.engine.run(rt.engine.now + 1);
  assert.deepEqual(dnats(rt, 'agent2'), webPods(rt));
  const pre = rt.nodes
    .get('agent2')!
    .stack.netfilter!.ruleset.nat.get('PREROUTING')!
    .rules.map((r) => r.text);
  assert.ok(pre.includes('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'));
});
