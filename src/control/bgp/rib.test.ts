import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { prefixMask } from '../../wire/addr.js';
import type { PathAttributes } from '../../wire/bgp.js';
import { type Candidate, type RouteSource, selectBest } from './best-path.js';
import { LocRib, PendingOut, keyPrefix, prefixKey } from './rib.js';

describe('RIB prefix keys', () => {
  const addr = fc.integer({ min: 0, max: 0xffff_ffff });
  const len = fc.integer({ min: 0, max: 32 });
  it('give the prefix back, host bits and all', () => {
    fc.assert(
      fc.property(addr, len, (a, l) => assert.deepEqual(keyPrefix(prefixKey(a, l)), { addr: a, len: l })),
      { numRuns: 3000 },
    );
  });
  it('differ for different prefixes', () => {
    fc.assert(
      fc.property(addr, len, addr, len, fc.boolean(), (a, l, b, m, clean) => {
        const pa = clean ? (a & prefixMask(l)) >>> 0 : a;
        const pb = clean ? (b & prefixMask(m)) >>> 0 : b;
        if (pa === pb && l === m) return;
        assert.notEqual(prefixKey(pa, l), prefixKey(pb, m));
      }),
      { numRuns: 3000 },
    );
  });
  it('are signed 32-bit integers for clean prefixes shorter than /32 (small integers in a Map)', () => {
    for (const [a, l] of [
      [0, 0],
      [0xc0a8_0040, 26],
      [0xffff_fffe, 31],
      [0x0a00_0000, 8],
    ] as const) {
      const k = prefixKey(a, l);
      assert.equal(k, k | 0);
      assert.deepEqual(keyPrefix(k), { addr: a, len: l });
    }
    assert.deepEqual(keyPrefix(prefixKey(0xc0a8_0001, 32)), { addr: 0xc0a8_0001, len: 32 });
  });
});

describe('PendingOut', () => {
  it('behaves as a Map of changes: order first set, size, has, first entry, clear', () => {
    const values: (PathAttributes | null)[] = [null, { unknown: [] }, { origin: 'igp', unknown: [] }];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 4 }), v: fc.nat({ max: 2 }) }),
      fc.record({ kind: fc.constant('clear' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const model = new Map<number, PathAttributes | null>();
        const p = new PendingOut();
        for (const o of ops) {
          if (o.kind === 'set') {
            model.set(o.key, values[o.v]!);
            p.set(o.key, values[o.v]!);
          } else {
            model.clear();
            p.clear();
          }
          assert.equal(p.size, model.size);
          const seen: [number, PathAttributes | null][] = [];
          p.forEach((v, k) => seen.push([k, v]));
          assert.deepEqual(seen, [...model]);
          for (let k = 0; k <= 4; k++) assert.equal(p.has(k), model.has(k));
          if (model.size > 0) {
            const [k, v] = model.entries().next().value!;
            assert.equal(p.firstKey(), k);
            assert.equal(p.firstValue(), v);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('Loc-RIB', () => {
  const sources: RouteSource[] = [0, 1, 2, 3].map((i) => ({
    local: false,
    ebgp: i === 3,
    peerAddr: 0x0a00_0001 + i,
    peerBgpId: 0x0a00_0001 + ((i * 7) % 4),
  }));
  const attrsArb: fc.Arbitrary<PathAttributes> = fc
    .record({
      localPref: fc.integer({ min: 99, max: 101 }),
      pathLen: fc.integer({ min: 0, max: 2 }),
      med: fc.integer({ min: 0, max: 1 }),
    })
    .map((a) => ({
      origin: 'igp',
      asPath: a.pathLen === 0 ? [] : [{ type: 'sequence', asns: Array.from({ length: a.pathLen }, () => 65000) }],
      localPref: a.localPref,
      med: a.med,
      unknown: [],
    }));
  // a change: a source announces attributes or withdraws (undefined)
  const stepArb = fc.record({ source: fc.integer({ min: 0, max: 3 }), attrs: fc.option(attrsArb, { nil: undefined }) });

  it('keeps one candidate per source in arrival order and chooses as selectBest over them does (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 30 }), (steps) => {
        const rib = new LocRib(100);
        const key = prefixKey(0xc0a8_0040, 26);
        // the model: an array of candidates in arrival order, the best by selectBest
        let model: Candidate[] = [];
        let modelBest: Candidate | undefined;
        for (const s of steps) {
          const source = sources[s.source]!;
          const i = model.findIndex((c) => c.source === source);
          if (s.attrs === undefined) {
            if (i >= 0) model = model.filter((_, j) => j !== i);
          } else if (i >= 0) model[i] = { attrs: s.attrs, source };
          else model.push({ attrs: s.attrs, source });
          const before = modelBest;
          modelBest = selectBest(model, 100);
          const changed = rib.set(key, source, s.attrs);
          const e = rib.get(key);
          assert.deepEqual(
            e?.candidates.map((c) => [c.source.peerAddr, c.attrs]) ?? [],
            model.map((c) => [c.source.peerAddr, c.attrs]),
          );
          assert.equal(e?.best?.source, modelBest?.source);
          const same = before?.source === modelBest?.source && before?.attrs === modelBest?.attrs;
          assert.equal(changed !== undefined, !same);
          assert.equal(rib.size, model.length === 0 ? 0 : 1);
        }
      }),
      { seed: 20261204, numRuns: 2000 },
    );
  });
});
