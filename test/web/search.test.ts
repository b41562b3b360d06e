/**
 * The topology's search (src/web/app/search.ts) without a browser: it keeps the rules it had for the
 * drawn devices (the id contains the query, case aside, or an address starts with it) and finds the pods
 * folded inside a big cluster's nodes too, each with the node to open; a node's name finds the node, not
 * its folded group; pods' addresses count once the built cluster's boxes are known. Over 1,000 nodes of
 * 30 pods, making the index and answering a query are timed (the page searches on every keystroke).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWorld } from '../../src/web/core/world.js';
import { topologyOf } from '../../src/web/core/topology.js';
import { planTopology } from '../../src/web/core/plan-topology.js';
import type { TopoNode } from '../../src/web/core/protocol.js';
import { looksLikeAddress, search, searchIndex } from '../../src/web/app/search.js';
import { bigClusterText, expectedPodsOn } from './big-cluster.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('search: a drawn topology is searched as before (id contains the query, an address starts with it)', async () => {
  const parsed = parseWorld('cluster-demo.yaml', readFileSync(join(root, 'examples', 'cluster-demo.yaml'), 'utf8'));
  assert.ok(parsed.ok);
  const { topology } = topologyOf(await parsed.build({ up: false }));
  const index = searchIndex(topology);
  // the search as it was: a filter of the drawing's boxes
  const before = (query: string) => {
    const q = query.trim().toLowerCase();
    return q === ''
      ? []
      : topology.nodes.filter((n) => n.id.toLowerCase().includes(q) || n.addresses.some((a) => a.startsWith(q)));
  };
  for (const q of ['', 'server', 'SERV', ' web ', 'web-7f64b55889-xbwcj', '10.42.0', '10.42.1.5', '192.168.56.1', 'x'])
    assert.deepEqual(
      search(index, q).map((e) => e.id),
      before(q).map((n) => n.id),
      q,
    );
  assert.ok(search(index, 'web').length >= 2, 'several web pods');
  assert.equal(index.addressesPending, false);
});

test('search: 1,000 nodes of 30 pods drawn from the plan: pods inside folded nodes are found with their node, fast', (t) => {
  const parsed = parseWorld('big.yaml', bigClusterText(1000, 30));
  assert.ok(parsed.ok && parsed.plan !== undefined);
  const { topology } = planTopology(parsed.plan);
  let t0 = performance.now();
  const index = searchIndex(topology);
  const indexMs = performance.now() - t0;
  assert.equal(index.entries.length, 2 + 1000 + 30_000, 'the switch, the internet router, the nodes, the pods');
  const want = expectedPodsOn(parsed.plan, 'node517')[7]!;
  // by name, by a part of it, by its start
  for (const q of [want.id, want.id.toUpperCase(), want.id.slice(-5), ` ${want.id} `])
    assert.deepEqual(search(index, q), [{ id: want.id, addresses: [], node: 'node517', group: 'pods@node517' }], q);
  assert.equal(search(index, want.id.slice(0, 4)).length, 30_000, 'every pod is app-…');
  // a node's name finds the node (its folded group is no device)
  assert.deepEqual(
    search(index, 'node517').map((e) => e.id),
    ['node517'],
  );
  assert.deepEqual(search(index, 'no-such-pod'), []);
  // addresses: the nodes' from the plan; the pods' not until the cluster is built
  const node = parsed.plan.nodes.find((n) => n.name === 'node517')!;
  assert.deepEqual(
    search(index, `${node.address.addr >>> 24}.`).some((e) => e.id === 'node517'),
    true,
  );
  const ip = want.address.split('/')[0]!;
  assert.equal(index.addressesPending, true);
  assert.deepEqual(search(index, ip), []);
  const built = new Map<string, TopoNode>(
    expectedPodsOn(parsed.plan, 'node517').map((p) => [
      p.id,
      { id: p.id, kind: 'pod', label: p.label, parent: 'node517', addresses: [p.address], segments: [] },
    ]),
  );
  assert.deepEqual(
    search(searchIndex(topology, built), ip).map((e) => [e.id, e.node]),
    [[want.id, 'node517']],
  );
  // timed: every keystroke of a pod's name, and the worst queries (all 30,000 pods match; none does)
  const queries = [...Array.from(want.id, (_, i) => want.id.slice(0, i + 1)), 'a', 'zzz', '10.'];
  const times = queries.map((q) => {
    t0 = performance.now();
    search(index, q);
    return performance.now() - t0;
  });
  const worst = Math.max(...times);
  t.diagnostic(
    `index of ${index.entries.length} devices: ${indexMs.toFixed(1)} ms; a query: worst ${worst.toFixed(1)} ms over ${queries.length}`,
  );
  assert.ok(worst < 50, `a query took ${worst.toFixed(1)} ms`);
  assert.ok(indexMs < 200, `the index took ${indexMs.toFixed(1)} ms`);
});

test('search: what looks like the start of an address (and so may be a pod’s)', () => {
  for (const q of ['10.', '10.42', '10.42.1.5', ' 10.42.1.5 ', '10.42.1.0/2', '10.42.1.0/24'])
    assert.ok(looksLikeAddress(q), q);
  for (const q of ['', '10', 'node5', 'app-7696c49449', '10.42.1.5.6', '10..', 'a.b'])
    assert.ok(!looksLikeAddress(q), q);
});
