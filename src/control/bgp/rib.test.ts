import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { prefixMask } from '../../wire/addr.js';
import type { PathAttributes } from '../../wire/bgp.js';
import { PendingOut, keyPrefix, prefixKey } from './rib.js';

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
