/**
 * The notes' tenant-isolation problem as the README shows it: examples/cluster-tenant-isolation.yaml's
 * steps pass, and `podnet policy matrix --port 80` finds each tenant reaching only its own pods, every
 * probe agreeing with the independent judge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cli } from './support/cli.js';
import { EXAMPLES_DIR } from './support/examples.js';

const FILE = join(EXAMPLES_DIR, 'cluster-tenant-isolation.yaml');

test('podnet run examples/cluster-tenant-isolation.yaml: every step passes', async () => {
  const r = await cli('run', FILE);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^3 passed, 0 failed$/m);
});

test('policy matrix: tenant-a and tenant-b reach only themselves on TCP 80, as the judge expects', async () => {
  const r = await cli('policy', 'matrix', FILE, '--port', '80', '--json');
  assert.equal(r.code, 0, r.out + r.err);
  const pairs = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { from: string; to: string; allowed: boolean })
    .filter((p) => p.from.startsWith('tenant-') && p.to.startsWith('tenant-'));
  assert.equal(pairs.length, 16);
  for (const p of pairs) assert.equal(p.allowed, p.from.split('/')[0] === p.to.split('/')[0], `${p.from} -> ${p.to}`);
});
