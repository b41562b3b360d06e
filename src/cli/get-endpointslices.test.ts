/**
 * `podnet get endpoints` and `podnet get endpointslices` from the EndpointSlices kube-proxy follows: a
 * pod whose readiness probe fails is in its slice with ready false, and in the Endpoints only under
 * notReadyAddresses, so kubectl's ENDPOINTS column (formatEndpoints) leaves it out while the slice's
 * (formatDiscoveryEndpoints) lists it. Columns and cells follow printers.go printEndpointSlice; the
 * objects are discovery.k8s.io/v1 as the endpointslice controller and the API server write them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCluster } from '../scenario/manifests.js';
import { bringUp, buildCluster, type ClusterRuntime } from '../cluster/runtime.js';
import { formatIpv4 } from '../wire/addr.js';
import { getView } from './get.js';
import { kubeObjects, type KubeEndpointSlice, type KubeEndpoints } from './kube-objects.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), 'bin.js');

/** Three web pods, one of them (web-sick) never ready; a Service with no pods at all. */
const CLUSTER = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: eps }
spec:
  seed: 5
  nodes:
    - { name: server, address: 192.168.56.11/24, role: server }
    - { name: agent, address: 192.168.56.12/24, role: agent }
---
apiVersion: v1
kind: Pod
metadata: { name: web-a, labels: { app: web } }
spec: { nodeName: server, containers: [{ name: c, image: nginx, ports: [{ name: http, containerPort: 80 }] }] }
---
apiVersion: v1
kind: Pod
metadata: { name: web-b, labels: { app: web } }
spec: { nodeName: agent, containers: [{ name: c, image: nginx, ports: [{ name: http, containerPort: 80 }] }] }
---
apiVersion: v1
kind: Pod
metadata: { name: web-sick, labels: { app: web } }
spec:
  nodeName: agent
  containers:
    - name: c
      image: nginx
      ports: [{ name: http, containerPort: 80 }]
      readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 2 }
---
apiVersion: v1
kind: Service
metadata: { name: web, labels: { tier: front } }
spec: { selector: { app: web }, ports: [{ name: http, port: 80, targetPort: http }] }
---
apiVersion: v1
kind: Service
metadata: { name: nobody }
spec: { selector: { app: nothing }, ports: [{ port: 81 }] }
`;

async function cluster(): Promise<ClusterRuntime> {
  const r = loadCluster([{ file: 'eps.yaml', text: CLUSTER }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  const rt = await buildCluster(r.cluster.plan);
  bringUp(rt);
  return rt;
}

const ipOf = (rt: ClusterRuntime, pod: string): string => formatIpv4(rt.pods.get(`default/${pod}`)!.ip);

/** The rows of a table as cells split on runs of 2+ spaces (no cell here holds two spaces). */
const rows = (text: string): string[][] =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/ {2,}/));

test('get endpoints: ready pods only; the not-ready one is under notReadyAddresses', async () => {
  const rt = await cluster();
  assert.equal(rt.pods.get('default/web-sick')!.ready, false);
  const objs = kubeObjects(rt);
  const ready = [ipOf(rt, 'web-a'), ipOf(rt, 'web-b')].sort();
  const table = getView(objs, { resource: 'endpoints', output: 'table', namespace: 'default' });
  assert.deepEqual(rows(table.text), [
    ['NAME', 'ENDPOINTS', 'AGE'],
    ['kubernetes', '192.168.56.11:6443', '60s'],
    // a Service with no pods has an Endpoints without subsets: <none>
    ['nobody', '<none>', '60s'],
    ['web', ready.map((ip) => `${ip}:80`).join(','), '60s'],
  ]);
  const web = objs.endpoints.find((e) => e.metadata.name === 'web')!;
  const subsets: KubeEndpoints['subsets'] = web.subsets;
  assert.equal(subsets?.length, 1);
  assert.deepEqual(
    subsets[0]!.addresses!.map((a) => [a.ip, a.targetRef?.name]),
    ready.map((ip) => [ip, ['web-a', 'web-b'].find((p) => ipOf(rt, p) === ip)]),
  );
  assert.deepEqual(
    subsets[0]!.notReadyAddresses!.map((a) => [a.ip, a.nodeName, a.targetRef?.name]),
    [[ipOf(rt, 'web-sick'), 'agent', 'web-sick']],
  );
  assert.deepEqual(subsets[0]!.ports, [{ name: 'http', port: 80, protocol: 'TCP' }]);
});

test('get endpointslices: NAME ADDRESSTYPE PORTS ENDPOINTS AGE, every address whatever its readiness', async () => {
  const rt = await cluster();
  const objs = kubeObjects(rt);
  const table = getView(objs, { resource: 'endpointslices', output: 'table', namespace: 'default' });
  const [head, ...body] = rows(table.text);
  assert.deepEqual(head, ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
  // the names are the ones kube-proxy programs from: one controller, one truth
  const proxied = rt.kubeProxy!.endpointSlices.slices().filter((s) => s.metadata.namespace === 'default');
  const name = (svc: string): string => proxied.find((s) => s.service.name === svc)!.metadata.name;
  assert.equal(name('kubernetes'), 'kubernetes');
  assert.match(name('web'), /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  const sliceOrder = ['kubernetes', 'nobody', 'web'].map(name).sort();
  assert.deepEqual(
    body.map((r) => r[0]),
    sliceOrder,
  );
  const byName = new Map(body.map((r) => [r[0], r.slice(1)]));
  assert.deepEqual(byName.get('kubernetes'), ['IPv4', '6443', '192.168.56.11', '60s']);
  // the placeholder slice of a Service without pods: no ports, no endpoints (listWithMoreString's <unset>)
  assert.deepEqual(byName.get(name('nobody')), ['IPv4', '<unset>', '<unset>', '60s']);
  const web = byName.get(name('web'))!;
  assert.deepEqual(web.slice(0, 2), ['IPv4', '80']);
  assert.deepEqual(web[2]!.split(',').sort(), ['web-a', 'web-b', 'web-sick'].map((p) => ipOf(rt, p)).sort());
});

test('get endpointslices -o json: discovery.k8s.io/v1 objects with conditions, owner and labels', async () => {
  const rt = await cluster();
  const view = getView(kubeObjects(rt), { resource: 'endpointslices', output: 'json', namespace: 'default' });
  const list = JSON.parse(view.text) as { apiVersion: string; kind: string; items: KubeEndpointSlice[] };
  assert.equal(list.kind, 'List');
  for (const s of list.items) {
    assert.equal(s.apiVersion, 'discovery.k8s.io/v1');
    assert.equal(s.kind, 'EndpointSlice');
    assert.equal(s.addressType, 'IPv4');
  }
  const web = list.items.find((s) => s.metadata.name.startsWith('web-'))!;
  assert.equal(web.metadata.generateName, 'web-');
  assert.deepEqual(web.metadata.labels, {
    tier: 'front',
    'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    'kubernetes.io/service-name': 'web',
  });
  const owner = web.metadata.ownerReferences![0]!;
  assert.deepEqual([owner.apiVersion, owner.kind, owner.name, owner.controller], ['v1', 'Service', 'web', true]);
  assert.deepEqual(web.ports, [{ name: 'http', port: 80, protocol: 'TCP' }]);
  const sick = web.endpoints!.find((e) => e.targetRef?.name === 'web-sick')!;
  assert.deepEqual(sick.conditions, { ready: false, serving: false, terminating: false });
  assert.deepEqual(sick.addresses, [ipOf(rt, 'web-sick')]);
  assert.equal(sick.nodeName, 'agent');
  const a = web.endpoints!.find((e) => e.targetRef?.name === 'web-a')!;
  assert.deepEqual(a.conditions, { ready: true, serving: true, terminating: false });
  // the API server's own slice: named kubernetes, only the service-name label, no owner
  const api = list.items.find((s) => s.metadata.name === 'kubernetes')!;
  assert.deepEqual(api.metadata.labels, { 'kubernetes.io/service-name': 'kubernetes' });
  assert.equal(api.metadata.ownerReferences, undefined);
  // endpoints has no omitempty: an empty slice says null
  const nobody = list.items.find((s) => s.metadata.name.startsWith('nobody-'))!;
  assert.equal(nobody.endpoints, null);
  assert.equal(nobody.ports, null);
});

test('podnet get endpointslice (the CLI) prints the table; -o yaml the List', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-eps-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'eps.yaml');
  writeFileSync(file, CLUSTER);
  const r = spawnSync(process.execPath, [BIN, 'get', 'endpointslice', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\n/);
  assert.match(r.stdout, /^kubernetes\s+IPv4\s+6443\s+192\.168\.56\.11\s+60s$/m);
  const y = spawnSync(process.execPath, [BIN, 'get', 'endpointslices', file, '-o', 'yaml'], { encoding: 'utf8' });
  assert.equal(y.status, 0, y.stderr);
  assert.match(y.stdout, /^- addressType: IPv4\n {2}apiVersion: discovery\.k8s\.io\/v1\n/m);
  assert.match(y.stdout, /^ {2}endpoints: null$/m);
});
