/**
 * `podnet run CLUSTER.yaml` through the command: the lifecycle example passes every step, its output shows
 * the departed node's route leave every other node, and --json carries the same results.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { cli, tempDir } from './support/cli.js';
import { EXAMPLES_DIR } from './support/examples.js';

const LIFECYCLE = join(EXAMPLES_DIR, 'cluster-lifecycle.yaml');

test('podnet run examples/cluster-lifecycle.yaml passes every step and shows the routes come and go', async () => {
  const r = await cli('run', LIFECYCLE);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^cluster lifecycle: 3 nodes, \d+ pods$/m);
  assert.match(r.out, /^\d+ passed, 0 failed$/m);
  // the trace of the removal: each remaining node's flanneld says it removed the route
  for (const n of ['server', 'agent1', 'agent3'])
    assert.match(
      r.out,
      new RegExp(
        `^  ${n}: flanneld: lease 10\\.42\\.2\\.0/24 of 192\\.168\\.56\\.13 is gone: its routes removed$`,
        'm',
      ),
    );
  const json = await cli('run', LIFECYCLE, '--json');
  assert.equal(json.code, 0);
  const parsed = JSON.parse(json.out) as { cluster: string; ok: boolean; steps: { name: string; ok: boolean }[] };
  assert.equal(parsed.cluster, 'lifecycle');
  assert.ok(parsed.ok && parsed.steps.length > 5 && parsed.steps.every((s) => s.ok));
});

test('a cluster step that fails makes run exit 1 and says what was expected', async (t) => {
  const file = join(tempDir(t, 'podnet-crun-'), 'c.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: podnet.dev/v1alpha1',
      'kind: Cluster',
      'metadata: { name: c }',
      'spec:',
      '  nodes: [{ name: solo, address: 192.168.56.11/24, role: server }]',
      '  steps:',
      '    - exec: { node: solo, command: ip route }',
      '      expect: { contains: [10.42.9.0/24] }',
      '',
    ].join('\n'),
  );
  const r = await cli('run', file);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /^FAIL {2}exec on solo: ip route {2}\(.*c\.yaml:7\)$/m);
  assert.match(r.out, /^ {2}expected: output does not contain "10\.42\.9\.0\/24"$/m);
});

test('run on a cluster: --seed is refused with the reason, and a bad step is named by file:line', async (t) => {
  const seeded = await cli('run', LIFECYCLE, '--seed', '3');
  assert.equal(seeded.code, 2);
  assert.match(seeded.err, /--seed is for labs: a cluster's seed is its spec\.seed/);
  const file = join(tempDir(t, 'podnet-crun-'), 'bad.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: podnet.dev/v1alpha1',
      'kind: Cluster',
      'metadata: { name: c }',
      'spec:',
      '  nodes: [{ name: solo, address: 192.168.56.11/24, role: server }]',
      '  steps:',
      '    - scale: { deployment: web, replicas: lots }',
      '',
    ].join('\n'),
  );
  const bad = await cli('run', file);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /bad\.yaml:7:\d+: spec\.steps\[0\]\.scale\.replicas: /);
});
