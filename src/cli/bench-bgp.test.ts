import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bgpBenchJson, bgpBenchText, meshTooBig, type BgpBenchResult } from './bench-bgp.js';

/** An 800-node run of 2026-12-04 over a 1 Gbit/s underlay, as `bench bgp --json` printed it (wall, CPU and RSS from another run). */
const RUN: BgpBenchResult = {
  nodes: 800,
  mode: 'rr',
  sessions: 1597,
  sessionsPerNode: 2,
  sessionsPerReflector: 799,
  routesPerNode: 802,
  iptablesRulesPerNode: 60,
  convergedSimSeconds: 2.204,
  events: 1_589_630,
  updates: 1_277_600,
  frames: 1_561_936,
  queueFullDrops: 6715,
  underlayBps: 1_000_000_000,
  wallSeconds: 13.528,
  buildWallSeconds: 1.128,
  cpuSeconds: 16.848,
  peakRssBytes: 990 * 2 ** 20,
};

test('bench bgp --json: the issue five first, then the rest with the full queues refusals', () => {
  const o = JSON.parse(bgpBenchJson(RUN)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(o).slice(0, 5), [
    'nodes',
    'sessions',
    'routesPerNode',
    'convergedSimSeconds',
    'wallSeconds',
  ]);
  assert.equal(o.queueFullDrops, 6715);
});

test('bench bgp: the line names the refusals when there were some, and says nothing of them otherwise', () => {
  assert.match(
    bgpBenchText(RUN),
    /\(1277600 UPDATEs, 1561936 frames, 6715 refused by full transmit queues \(sent again later\)\)/,
  );
  assert.match(bgpBenchText({ ...RUN, queueFullDrops: 0 }), /\(1277600 UPDATEs, 1561936 frames\); /);
});

test('bench bgp: the underlay rate as people write it', () => {
  assert.match(bgpBenchText(RUN), /^800 nodes, 2 route reflectors, 1 Gbit\/s underlay: 1597 BGP sessions/);
});

test('bench bgp: a full mesh past the heap is refused up front, naming the largest that fits', () => {
  const fourGiB = 4 * 2 ** 30;
  // 100 nodes: 4,950 sessions, about 0.2 GiB
  assert.equal(meshTooBig(100, fourGiB), undefined);
  const m = meshTooBig(1000, fourGiB);
  assert.match(
    m ?? '',
    /^a full mesh of 1000 nodes has 499,500 sessions, about 21\.0 GiB at 44 KiB a session, past this Node's 4\.0 GiB heap/,
  );
  // n(n-1)/2 x 44 KiB <= 4 GiB: 437 nodes (95,266 sessions, 3.997 GiB) fit, 438 (95,703) do not
  assert.match(m ?? '', /at most 437 nodes$/);
  assert.equal(meshTooBig(437, fourGiB), undefined);
  assert.notEqual(meshTooBig(438, fourGiB), undefined);
});
