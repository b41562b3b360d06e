import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { PathAttributes } from '../../wire/bgp.js';
import { type Candidate, type RouteSource, compareCandidates, selectBest } from './best-path.js';

const peer = (addr: number, o: Partial<RouteSource> = {}): RouteSource => ({
  local: false,
  ebgp: false,
  peerAddr: addr,
  peerBgpId: addr,
  ...o,
});
const route = (source: RouteSource, a: Partial<PathAttributes> = {}): Candidate => ({
  source,
  attrs: { origin: 'igp', asPath: [], unknown: [], ...a },
});
const seq = (...asns: number[]): PathAttributes['asPath'] => [{ type: 'sequence', asns }];

/** Each step alone decides between two routes equal on every earlier step: [winner, loser]. */
const STEPS: [string, Candidate, Candidate][] = [
  [
    'a route we originate beats any learned one',
    route({ local: true, ebgp: false, peerAddr: 0, peerBgpId: 0 }),
    route(peer(1), { localPref: 500 }),
  ],
  ['higher LOCAL_PREF', route(peer(9), { localPref: 200 }), route(peer(1), { localPref: 100 })],
  ['a missing LOCAL_PREF counts as 100', route(peer(9), { localPref: 101 }), route(peer(1))],
  ['shorter AS_PATH', route(peer(9), { asPath: seq(65001) }), route(peer(1), { asPath: seq(65001, 65002) })],
  [
    'an AS_SET counts as one',
    route(peer(9), { asPath: [{ type: 'set', asns: [1, 2, 3] }] }),
    route(peer(1), { asPath: seq(1, 2) }),
  ],
  ['lower ORIGIN', route(peer(9), { origin: 'egp' }), route(peer(1), { origin: 'incomplete' })],
  [
    'lower MED from the same neighbour AS',
    route(peer(9), { asPath: seq(65001), med: 5 }),
    route(peer(1), { asPath: seq(65001), med: 10 }),
  ],
  ['a missing MED counts as 0', route(peer(9), { asPath: seq(65001) }), route(peer(1), { asPath: seq(65001), med: 1 })],
  ['eBGP over iBGP', route(peer(9, { ebgp: true }), { asPath: seq(65001) }), route(peer(1), { asPath: seq(65002) })],
  ['lower IGP cost', { ...route(peer(9)), igpCost: 1 }, { ...route(peer(1)), igpCost: 2 }],
  ['lower BGP Identifier', route(peer(9, { peerBgpId: 3 })), route(peer(1, { peerBgpId: 4 }))],
  [
    'ORIGINATOR_ID stands in for the BGP Identifier (RFC 4456 §9)',
    route(peer(9, { peerBgpId: 9 }), { originatorId: 2 }),
    route(peer(1, { peerBgpId: 3 })),
  ],
  [
    'shorter CLUSTER_LIST (RFC 4456 §9)',
    route(peer(9), { originatorId: 5, clusterList: [1] }),
    route(peer(1), { originatorId: 5, clusterList: [1, 2] }),
  ],
  ['lowest peer address last', route(peer(1, { peerBgpId: 5 })), route(peer(2, { peerBgpId: 5 }))],
];

for (const [name, win, lose] of STEPS) {
  test(`best path: ${name}`, () => {
    assert.equal(selectBest([win, lose]), win);
    assert.equal(selectBest([lose, win]), win);
    assert.ok(compareCandidates(win, lose) < 0);
  });
}

test('best path: LOCAL_PREF received from an eBGP peer is ignored (RFC 4271 §5.1.5)', () => {
  const ebgp = route(peer(1, { ebgp: true }), { localPref: 1000, asPath: seq(65001, 65002) });
  const ibgp = route(peer(2), { localPref: 150, asPath: seq(65003, 65004) });
  assert.equal(selectBest([ebgp, ibgp]), ibgp);
});

test('best path: MED is not compared across neighbour ASes, and elimination does not depend on order', () => {
  // a (AS 1, MED 10) loses to b (AS 1, MED 5); c (AS 2, MED 0) is not compared with them by MED;
  // among b and c, eBGP decides: c is iBGP, b eBGP -> b
  const a = route(peer(1, { ebgp: true }), { asPath: seq(1), med: 10 });
  const b = route(peer(2, { ebgp: true }), { asPath: seq(1), med: 5 });
  const c = route(peer(3), { asPath: seq(2), med: 0 });
  for (const order of [
    [a, b, c],
    [c, b, a],
    [b, c, a],
    [a, c, b],
  ])
    assert.equal(selectBest(order), b);
});

const arbCandidate = (
  sameNeighbourAs: boolean,
): fc.Arbitrary<Omit<Candidate, 'source'> & { src: Omit<RouteSource, 'peerAddr'> }> =>
  fc
    .record({
      src: fc.record({ local: fc.constant(false), ebgp: fc.boolean(), peerBgpId: fc.integer({ min: 1, max: 6 }) }),
      attrs: fc.record({
        origin: fc.constantFrom('igp' as const, 'egp' as const, 'incomplete' as const),
        asPath: sameNeighbourAs
          ? fc
              .array(fc.integer({ min: 2, max: 4 }), { maxLength: 2 })
              .map((t) => [{ type: 'sequence' as const, asns: [1, ...t] }])
          : fc
              .array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 })
              .map((t) => (t.length === 0 ? [] : [{ type: 'sequence' as const, asns: t }])),
        localPref: fc.option(fc.integer({ min: 99, max: 101 }), { nil: undefined }),
        med: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
        originatorId: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        clusterList: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
        unknown: fc.constant([]),
      }),
      igpCost: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
    })
    .map((c) => {
      const attrs: PathAttributes = { unknown: [] };
      for (const [k, v] of Object.entries(c.attrs))
        if (v !== undefined) (attrs as unknown as Record<string, unknown>)[k] = v;
      return c.igpCost === undefined ? { src: c.src, attrs } : { src: c.src, attrs, igpCost: c.igpCost };
    });

/** Candidates with distinct peer addresses, so no two tie on every step. */
const arbCandidates = (same: boolean): fc.Arbitrary<Candidate[]> =>
  fc
    .array(arbCandidate(same), { minLength: 1, maxLength: 6 })
    .map((cs) => cs.map((c, i) => ({ ...c, source: { ...c.src, peerAddr: 100 + i } })));

test('best path (property): the chosen route is beaten by no candidate when MEDs are comparable', () => {
  fc.assert(
    fc.property(arbCandidates(true), (cs) => {
      const best = selectBest(cs)!;
      for (const c of cs) assert.ok(compareCandidates(best, c) <= 0, 'a candidate beats the chosen route');
    }),
    { numRuns: 500 },
  );
});

test('best path (property): the choice does not depend on the order of the candidates', () => {
  fc.assert(
    fc.property(arbCandidates(false), fc.nat(), (cs, k) => {
      const best = selectBest(cs);
      const rotated = [...cs.slice(k % cs.length), ...cs.slice(0, k % cs.length)].reverse();
      assert.equal(selectBest(rotated), best);
    }),
    { numRuns: 500 },
  );
});

test('best path (property): two candidates get what the elimination over them gives, ties included', () => {
  // a third candidate that step 1 always removes (iBGP, LOCAL_PREF 0 against 99..101) leaves the
  // elimination with the two in their order: the two-candidate shortcut must choose as it does
  const worse: Candidate = {
    attrs: { origin: 'igp', asPath: [], localPref: 0, unknown: [] },
    source: { local: false, ebgp: false, peerAddr: 1, peerBgpId: 1 },
  };
  fc.assert(
    fc.property(arbCandidate(false), arbCandidate(false), fc.boolean(), (x, y, samePeer) => {
      const a: Candidate = { ...x, source: { ...x.src, peerAddr: 100 } };
      const b: Candidate = { ...y, source: { ...y.src, peerAddr: samePeer ? 100 : 101 } };
      for (const pair of [
        [a, b],
        [b, a],
      ])
        assert.equal(selectBest(pair), selectBest([...pair, worse]));
    }),
    { numRuns: 1000 },
  );
});
