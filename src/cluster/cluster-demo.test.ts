/** examples/cluster-*.yaml: each reads, validates and plans cleanly; the front-door demo plans as its header says. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCluster } from '../scenario/manifests.js';
import { formatSpecError } from '../scenario/source.js';
import { formatCidr, formatIpv4 } from '../wire/addr.js';

/** The repository's examples/ (this file runs from dist/src/cluster/). */
const EXAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples');
const clusterExamples = readdirSync(EXAMPLES)
  .filter((f) => f.startsWith('cluster-') && f.endsWith('.yaml'))
  .sort();

function loadExample(name: string) {
  const r = loadCluster([{ file: `examples/${name}`, text: readFileSync(join(EXAMPLES, name), 'utf8') }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatSpecError).join('\n'));
  return r.cluster;
}

test('there is a cluster demo', () => {
  assert.ok(clusterExamples.includes('cluster-demo.yaml'), clusterExamples.join(', '));
});

for (const name of clusterExamples) {
  test(`examples/${name}: opens with a comment, validates and plans without warnings`, () => {
    assert.match(readFileSync(join(EXAMPLES, name), 'utf8').split('\n')[0]!, /^# \S/);
    const c = loadExample(name);
    assert.deepEqual(c.warnings.map(formatSpecError), []);
    assert.deepEqual(c.notHandled, []);
  });
}

test('cluster-demo: two k3s nodes, four web replicas two per node, a Service in front of them, a client pod', () => {
  const { plan } = loadExample('cluster-demo.yaml');
  assert.deepEqual(
    plan.nodes.map((n) => [n.name, n.role, formatCidr(n.address)]),
    [
      ['server', 'server', '192.168.56.11/24'],
      ['agent', 'agent', '192.168.56.12/24'],
    ],
  );
  assert.equal(plan.cluster.flannel.backend, 'vxlan');
  assert.equal(formatCidr(plan.cluster.clusterCIDR), '10.42.0.0/16');
  assert.equal(formatIpv4(plan.cluster.clusterDNS), '10.43.0.10');
  const web = plan.pods.filter((p) => p.owner?.deployment === 'web');
  assert.equal(web.length, 4);
  assert.deepEqual(
    ['server', 'agent'].map((n) => web.filter((p) => p.node === n).length),
    [2, 2],
  );
  const client = plan.pods.find((p) => p.name === 'client')!;
  assert.ok(client.node !== undefined);
  const svc = plan.services.find((s) => s.name === 'web')!;
  assert.equal(svc.type, 'ClusterIP');
  assert.equal(svc.ports[0]!.port, 80);
  assert.deepEqual(
    svc.ports[0]!.endpoints.map((e) => e.port),
    [80, 80, 80, 80],
  );
  assert.deepEqual(svc.ports[0]!.endpoints.map((e) => e.pod).sort(), web.map((p) => p.name).sort());
  assert.ok(
    plan.services.some((s) => s.name === 'kube-dns' && s.ports[0]!.endpoints.length === 1),
    'CoreDNS is running',
  );
});
