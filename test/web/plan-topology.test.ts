/**
 * A big cluster is drawn from its plan before it is built (src/web/core/plan-topology.ts). That picture
 * must be the one the built cluster gives, folded: the same boxes (kinds, parents, pod counts), the same
 * pods inside each folded group (what a node shows when it is opened: device names, labels, in order),
 * the same cables and tunnels, the same VNI colours, the same machines. Checked on a switch underlay with
 * outside clients and on a routed underlay. The pods' addresses come from the worker's `boxes` answer,
 * which builds the cluster: they must be the ones its IPAM gave.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWorld } from '../../src/web/core/world.js';
import { topologyOf } from '../../src/web/core/topology.js';
import { plannedPodCount, planTopology } from '../../src/web/core/plan-topology.js';
import { handle } from '../../src/web/core/handle.js';
import type { TopoNode } from '../../src/web/core/protocol.js';
import { formatIpv4 } from '../../src/wire/addr.js';
import { bigClusterText } from './big-cluster.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function bothPictures(file: string, text: string) {
  const parsed = parseWorld(file, text);
  assert.ok(parsed.ok && parsed.plan !== undefined, 'a valid cluster');
  const planned = planTopology(parsed.plan);
  const built = await parsed.build({ up: false });
  return { planned, built: { topology: topologyOf(built, true).topology, machines: built.machines } };
}

const boxes = (t: { nodes: TopoNode[] }) =>
  t.nodes.map((n) => `${n.id} ${n.kind} ${n.kind === 'pods' ? n.label : ''} ${n.parent ?? ''}`).sort();
/** Each folded group's pods, in the order they are drawn when their node is opened. */
const members = (t: { nodes: TopoNode[] }) =>
  t.nodes
    .filter((n) => n.kind === 'pods')
    .map((n) => `${n.id}: ${(n.members ?? []).map((m) => `${m.id} ${m.kind} ${m.label} ${m.parent ?? ''}`).join(', ')}`)
    .sort();
const cables = (t: { edges: { a: string; b: string; layer: string; label?: string; segment?: number }[] }) =>
  t.edges.map((e) => `${[e.a, e.b].sort().join(' -- ')} ${e.layer} ${e.label ?? ''} ${e.segment ?? ''}`).sort();
const colours = (t: { nodes: { id: string; segments: number[] }[] }) =>
  t.nodes.map((n) => `${n.id} ${n.segments.join(',')}`).sort();

for (const [name, text] of [
  ['cluster-demo.yaml', readFileSync(join(root, 'examples', 'cluster-demo.yaml'), 'utf8')],
  [
    'cluster-calico-cross-subnet.yaml',
    readFileSync(join(root, 'examples', 'cluster-calico-cross-subnet.yaml'), 'utf8'),
  ],
  ['big (12 nodes)', bigClusterText(12, 2)],
] as const)
  test(`${name}: the picture from the plan is the built cluster's, folded`, async () => {
    const { planned, built } = await bothPictures(name, text);
    assert.deepEqual(boxes(planned.topology), boxes(built.topology));
    assert.deepEqual(members(planned.topology), members(built.topology));
    assert.ok(planned.topology.nodes.every((n) => n.kind !== 'pods' || (n.members ?? []).length > 0));
    assert.deepEqual(cables(planned.topology), cables(built.topology));
    assert.deepEqual(colours(planned.topology), colours(built.topology));
    assert.equal(planned.topology.deviceCount, built.topology.deviceCount);
    // the same machines in the same order; pods get their addresses only when built
    assert.deepEqual(
      planned.machines.map((m) => [m.name, m.kind, m.node]),
      built.machines.map((m) => [m.name, m.kind, m.node]),
    );
    for (const m of planned.machines)
      if (m.kind !== 'pod') assert.equal(m.ip, built.machines.find((x) => x.name === m.name)?.ip);
    // node boxes carry their underlay address, as built
    for (const n of planned.topology.nodes.filter((x) => x.kind === 'node'))
      assert.deepEqual(n.addresses.slice(0, 1), built.topology.nodes.find((x) => x.id === n.id)?.addresses.slice(0, 1));
  });

test('a 1,000-node cluster opens from its plan without being built: folded, every node a box', async () => {
  const text = bigClusterText(1000, 2);
  const parsed = parseWorld('big.yaml', text);
  assert.ok(parsed.ok && parsed.plan !== undefined);
  assert.equal(plannedPodCount(parsed.plan), 2000);
  const t0 = performance.now();
  const r = (await handle({ id: 1, type: 'open', text, file: 'big.yaml' })).msg;
  const ms = performance.now() - t0;
  assert.equal(r.type, 'opened');
  if (r.type !== 'opened') return;
  assert.equal(r.topology?.collapsed, true);
  assert.equal(r.topology?.nodes.filter((n) => n.kind === 'node').length, 1000);
  assert.equal(r.topology?.nodes.filter((n) => n.kind === 'pods' && n.label === '2 pods').length, 1000);
  assert.equal(r.machines.filter((m) => m.kind === 'pod').length, 2000);
  // parsing and planning 1,000 nodes, not building them (which takes many seconds)
  assert.ok(ms < 10_000, `open took ${ms.toFixed(0)} ms`);
});

test("a folded node's pods get their addresses from the worker's build: the ones IPAM gave each pod", async () => {
  const text = bigClusterText(12, 2);
  const parsed = parseWorld('big.yaml', text);
  assert.ok(parsed.ok && parsed.plan !== undefined);
  const r = (await handle({ id: 1, type: 'boxes', text, file: 'big.yaml' })).msg;
  assert.equal(r.type, 'boxes');
  if (r.type !== 'boxes') return;
  const byId = new Map(r.boxes.map((b) => [b.id, b]));
  // the oracle: the pods of a cluster built apart from the worker, by the runtime
  const w = await parsed.build({ up: false });
  const pods = [...w.cluster!.pods.values()].filter((p) => !p.hostNetwork);
  assert.equal(pods.length, 24);
  for (const p of pods) {
    const box = byId.get(p.stack.name);
    assert.equal(box?.parent, p.node, p.id);
    assert.deepEqual(box?.addresses, [`${formatIpv4(p.ip)}/24`], p.id);
  }
  // and every node's box as the built picture draws it (its underlay address first)
  for (const n of parsed.plan.nodes) assert.equal(byId.get(n.name)?.addresses[0], `${formatIpv4(n.address.addr)}/16`);
  assert.equal(r.boxes.length, 12 + 24);
});
