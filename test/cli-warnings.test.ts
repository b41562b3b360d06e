/**
 * What podnet says it does not emulate, end to end through the built `podnet` program (dist/src/cli/bin.js):
 * the WARNINGS and NOT EMULATED sections on stderr and the `warnings` array in --json for demo, run and exec;
 * the demo's Services table; exec on a Pending pod; demo --compare pinging across every pair of node subnets
 * on a routed underlay; and a cluster file recognised by parsing it (a quoted kind, a trailing comment).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLES_DIR } from './support/examples.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../src/cli/bin.js');

/** Runs the built podnet program. */
function podnet(...argv: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8' });
  assert.equal(r.error, undefined, `podnet did not start: ${String(r.error)}`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function tempFile(t: { after(fn: () => void): void }, name: string, lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-warn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Two nodes on one switch; the Cluster's kind quoted and commented, as a person may write it. */
const CLUSTER = [
  'apiVersion: podnet.dev/v1alpha1', // 1
  'kind: "Cluster" # mine', // 2
  'metadata: { name: w }', // 3
  'spec:', // 4
  '  disable: [network-policy]', // 5: k3s --disable-network-policy (the default seed, 1)
  '  nodes:', // 6
  '    - { name: server, address: 192.168.56.11/24, role: server }', // 7
  '    - { name: agent, address: 192.168.56.12/24, role: agent }', // 8
];

/** Objects that draw every kind of warning. */
const OBJECTS = [
  '---',
  'apiVersion: v1', // 10
  'kind: Pod',
  'metadata: { name: client }',
  'spec: { containers: [{ name: c, image: busybox }] }',
  '---',
  'apiVersion: v1', // 15
  'kind: Pod',
  'metadata: { name: stuck }',
  'spec: { nodeName: nowhere, containers: [{ name: c, image: busybox }] }',
  '---',
  'apiVersion: v1', // 20
  'kind: Service',
  'metadata: { name: typo }',
  'spec: { type: NodePort, selector: { app: wbe }, ports: [{ port: 80, nodePort: 30080 }] }',
  '---',
  'apiVersion: networking.k8s.io/v1', // 25
  'kind: Ingress',
  'metadata: { name: site }',
  'spec: { defaultBackend: { service: { name: missing, port: { number: 80 } } } }',
  '---',
  'apiVersion: networking.k8s.io/v1', // 30
  'kind: NetworkPolicy',
  'metadata: { name: deny-all }',
  'spec: { podSelector: {} }',
  '---',
  'apiVersion: apps/v1', // 35
  'kind: StatefulSet',
  'metadata: { name: db, namespace: default }',
  'spec: {}',
];

interface Warning {
  code: string;
  object: string;
  message: string;
  at?: string;
}

test('demo prints WARNINGS and NOT EMULATED on stderr, naming each object, and a Services table like kubectl', (t) => {
  const file = tempFile(t, 'cluster.yaml', [...CLUSTER, ...OBJECTS]);
  const r = podnet('demo', '--no-pcap', '--file', file);
  assert.equal(r.code, 0, r.out + r.err);
  const warnings = r.err.slice(r.err.indexOf('WARNINGS\n'), r.err.indexOf('NOT EMULATED\n'));
  const notEmulated = r.err.slice(r.err.indexOf('NOT EMULATED\n'));
  assert.match(warnings, /^ {2}Pod default\/stuck stays Pending: node "nowhere" not found \(.*cluster\.yaml:18\)$/m);
  assert.match(warnings, /^ {2}Service default\/typo: selector app=wbe matches no pod in namespace "default"/m);
  assert.match(warnings, /^ {2}Ingress default\/site: service "missing" not found in namespace "default"/m);
  // kube-proxy answers ClusterIPs and NodePorts: no Service warns about them any more
  assert.doesNotMatch(notEmulated, /kube-proxy is not emulated/);
  assert.doesNotMatch(notEmulated, /Service /);
  assert.match(
    notEmulated,
    /^ {2}NetworkPolicy default\/deny-all: not enforced: spec.disable lists network-policy \(k3s --disable-network-policy\)/m,
  );
  assert.match(
    notEmulated,
    /^ {2}StatefulSet default\/db: kind StatefulSet \(apps\/v1\) is not handled by podnet yet/m,
  );
  // stdout: the Pending pod in the pod list, and the Services as `kubectl get svc -A` and `get endpoints` show them
  assert.match(r.out, /^default\/stuck\s+0\/1\s+Pending\s+<none>\s+<none>$/m);
  assert.match(r.out, /^NAMESPACE\s+SERVICE\s+TYPE\s+CLUSTER-IP\s+PORT\(S\)\s+ENDPOINTS$/m);
  assert.match(r.out, /^default\s+kubernetes\s+ClusterIP\s+10\.43\.0\.1\s+443\/TCP\s+192\.168\.56\.11:6443$/m);
  assert.match(
    r.out,
    /^kube-system\s+kube-dns\s+ClusterIP\s+10\.43\.0\.10\s+53\/UDP,53\/TCP,9153\/TCP\s+(10\.42\.\d+\.\d+):53,\1:53,\1:9153$/m,
  );
  assert.match(r.out, /^default\s+typo\s+NodePort\s+10\.43\.\d+\.\d+\s+80:30080\/TCP\s+<none>$/m);
  assert.doesNotMatch(r.out, /WARNINGS|NOT EMULATED/);
});

test('demo --json carries the same warnings as {code, object, message} objects, and nothing on stderr', (t) => {
  const file = tempFile(t, 'cluster.yaml', [...CLUSTER, ...OBJECTS]);
  const r = podnet('demo', '--no-pcap', '--json', '--file', file);
  assert.equal(r.code, 0, r.out + r.err);
  assert.equal(r.err, '');
  const j = JSON.parse(r.out) as { warnings: Warning[]; services: { name: string; endpoints: string }[] };
  const byCode = (code: string): string[] => j.warnings.filter((w) => w.code === code).map((w) => w.object);
  assert.deepEqual(byCode('pod-pending'), ['Pod default/stuck']);
  assert.deepEqual(byCode('selector-matches-nothing'), ['Service default/typo']);
  assert.deepEqual(byCode('ingress-no-backend'), ['Ingress default/site']);
  assert.deepEqual(byCode('networkpolicy-not-enforced'), ['NetworkPolicy default/deny-all']);
  assert.deepEqual(byCode('kind-not-handled'), ['StatefulSet default/db']);
  assert.deepEqual(byCode('service-not-emulated'), []);
  const pending = j.warnings.find((w) => w.code === 'pod-pending')!;
  assert.deepEqual(Object.keys(pending).sort(), ['at', 'code', 'message', 'object']);
  assert.equal(pending.message, 'Pod default/stuck stays Pending: node "nowhere" not found');
  assert.match(pending.at!, /cluster\.yaml:18$/);
  assert.equal(j.services.find((s) => s.name === 'typo')!.endpoints, '<none>');
});

test('exec finds a cluster file by parsing it (quoted kind, trailing comment), prints the warnings on stderr', (t) => {
  const file = tempFile(t, 'cluster.yaml', [...CLUSTER, ...OBJECTS]);
  const r = podnet('exec', file, 'client', '--', 'ip', 'route');
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^default via 10\.42\.\d+\.1 dev eth0/m);
  assert.doesNotMatch(r.out, /WARNINGS|NOT EMULATED/, 'the command output stays clean');
  assert.match(r.err, /^WARNINGS$/m);
  assert.match(r.err, /^ {2}Pod default\/stuck stays Pending/m);
  assert.match(r.err, /^NOT EMULATED$/m);
});

test('exec on a Pending pod says it is Pending and why, exit 1', (t) => {
  const file = tempFile(t, 'cluster.yaml', [...CLUSTER, ...OBJECTS]);
  for (const target of ['stuck', 'default/stuck']) {
    const r = podnet('exec', file, target, '--', 'ping', '-c', '1', '10.42.0.1');
    assert.equal(r.code, 1, r.out + r.err);
    assert.equal(r.out, '');
    assert.match(
      r.err,
      /^podnet: pod default\/stuck is Pending \(node "nowhere" not found\): it runs nowhere, so there is nothing to exec in$/m,
    );
    assert.doesNotMatch(r.err, /Usage:/);
  }
});

test('a cluster file whose kind is flow-style or single-quoted is a cluster file too; a lab stays a lab', (t) => {
  const flow = tempFile(t, 'flow.yaml', [
    "{ apiVersion: podnet.dev/v1alpha1, kind: 'Cluster', metadata: { name: f }, spec: { nodes: [",
    '  { name: a, address: 192.168.56.11/24, role: server }, { name: b, address: 192.168.56.12/24, role: agent } ] } }',
  ]);
  const r = podnet('exec', flow, 'a', '--', 'ip', 'route');
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^192\.168\.56\.0\/24 dev eth0 proto kernel scope link src 192\.168\.56\.11 $/m);
  const lab = podnet('exec', join(EXAMPLES_DIR, 'two-subnets.yaml'), 'A', '--fresh', '--', 'ip', 'route');
  assert.equal(lab.code, 0, lab.out + lab.err);
  assert.equal(lab.err, '', 'a lab has no warnings');
});

test('run --json on a lab has an empty warnings array; run on a cluster file without steps builds it and says so', (t) => {
  const r = podnet('run', join(EXAMPLES_DIR, 'same-subnet.yaml'), '--json');
  assert.equal(r.code, 0, r.out + r.err);
  assert.deepEqual((JSON.parse(r.out) as { warnings: unknown[] }).warnings, []);
  const file = tempFile(t, 'cluster.yaml', [...CLUSTER, ...OBJECTS]);
  const c = podnet('run', file);
  assert.equal(c.code, 0, c.out + c.err);
  assert.match(c.out, /^cluster \S+: \d+ nodes, \d+ pods$/m);
  assert.match(c.out, /the Cluster document has no steps: add spec\.steps/);
  // its warnings go to stderr, as with demo
  assert.match(c.err, /NOT EMULATED/);
  // trace reads labs only, and names both ways to run a Cluster file
  const tr = podnet('trace', file, '--from', 'a', '--to', 'b');
  assert.equal(tr.code, 2);
  assert.match(tr.err, /this is a Cluster file, run it with `podnet run .*` \(its steps\) or `podnet demo --file /);
});

/** Three nodes: a and b share 192.168.56.0/24, c sits in 192.168.57.0/24 behind the underlay router. */
const ROUTED = [
  'apiVersion: podnet.dev/v1alpha1',
  'kind: Cluster',
  'metadata: { name: routed }',
  'spec:',
  '  seed: 1',
  '  nodes:',
  '    - { name: a, address: 192.168.56.11/24, role: server }',
  '    - { name: b, address: 192.168.56.12/24, role: agent }',
  '    - { name: c, address: 192.168.57.13/24, role: agent }',
  '  underlay: { type: routed }',
  '---',
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata: { name: web }',
  'spec:',
  '  replicas: 3',
  '  selector: { matchLabels: { app: web } }',
  '  template:',
  '    metadata: { labels: { app: web } }',
  '    spec: { containers: [{ name: web, image: nginx }] }',
];

test('demo --compare pings every pair of nodes: host-gw fails across the router, and says why', (t) => {
  const file = tempFile(t, 'routed.yaml', ROUTED);
  const r = podnet('demo', '--compare', '--file', file);
  assert.equal(r.code, 1, 'host-gw does not reach every node: the comparison is not all green');
  assert.match(r.out, /^vxlan\s+yes\s+148\s+1450\s+2\s+2\s+2\s+no\s+no$/m);
  // only a <-> b (same subnet) answers; a -> c and b -> c cross the router. udp: one route, the /16 via flannel0
  assert.match(r.out, /^host-gw\s+NO \(1\/3\)\s+98\s+1500\s+1\s+0\s+0\s+yes\s+no$/m);
  assert.match(r.out, /^udp\s+yes\s+126\s+1472\s+1\s+0\s+0\s+no\s+yes \(flanneld\)$/m);
  assert.match(r.out, /^host-gw: 1 of 3 node pairs answer ping; no reply for a -> c, b -> c$/m);
  assert.match(r.out, /one L2 hop away; across a router Linux refuses such a route \("Nexthop has invalid gateway"\)/);
  assert.match(r.out, /^ {2}flanneld: host-gw: 192\.168\.57\.13 \(lease [\d./]+\) is not on eth0's subnet/m);

  const j = JSON.parse(podnet('demo', '--compare', '--json', '--file', file).out) as {
    backends: { backend: string; pingOk: boolean; pairs: number; pairsOk: number; failedPairs: string[] }[];
    warnings: Warning[];
  };
  assert.deepEqual(
    j.backends.map((b) => [b.backend, b.pingOk, b.pairsOk, b.pairs]),
    [
      ['vxlan', true, 3, 3],
      ['host-gw', false, 1, 3],
      ['udp', true, 3, 3],
    ],
  );
  assert.deepEqual(j.backends[1]!.failedPairs, ['a -> c', 'b -> c']);
  assert.deepEqual(
    j.warnings.filter((w) => w.code === 'service-not-emulated'),
    [],
    'kube-proxy serves every Service',
  );
});

test('demo --compare on one switch: every pair answers with every backend (the two-node demo)', () => {
  const r = podnet('demo', '--compare', '--file', join(EXAMPLES_DIR, 'cluster-demo.yaml'));
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^host-gw\s+yes\s+98\s/m);
  assert.doesNotMatch(r.out, /node pairs answer/);
});
