/**
 * The attribute intern table: the same bytes (and AS size) give the one parse made first, wherever the
 * bytes sit; other bytes, another AS size or a malformed set get parses of their own; thousands of sets
 * each keep theirs; and what it returns is what parsePathAttributes makes of the bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BgpAttrIntern } from './bgp-attr-intern.js';
import { parsePathAttributes } from './bgp-attrs.js';
import { encodePathAttributes } from './bgp-attrs-emit.js';

/** A reflected client route's attributes, as a route reflector sends them: one set per next hop. */
function attrs(nextHop: number): Uint8Array {
  return encodePathAttributes(
    {
      origin: 'igp',
      asPath: [],
      nextHop,
      localPref: 100,
      originatorId: nextHop,
      clusterList: [0xf4000001],
      unknown: [],
    },
    4,
  );
}

/** `bytes` inside a larger buffer, at `at`. */
function inside(bytes: Uint8Array, at: number): Uint8Array {
  const b = new Uint8Array(at + bytes.length + 7).fill(0xee);
  b.set(bytes, at);
  return b;
}

describe('BgpAttrIntern', () => {
  it('the same bytes give the first parse again, wherever they sit, and it is parsePathAttributes of them', () => {
    const t = new BgpAttrIntern();
    const a = attrs(0x0a000002);
    const first = t.parse(a, 0, a.length, 4);
    const b = inside(a, 13);
    assert.equal(t.parse(b, 13, 13 + a.length, 4), first);
    assert.deepEqual(first, parsePathAttributes(a, 0, a.length, 4));
    assert.deepEqual([t.hits, t.misses], [1, 1]);
  });

  it('other bytes, the other AS size, or a shorter run of the same bytes: a parse of their own', () => {
    const t = new BgpAttrIntern();
    const a = attrs(0x0a000002);
    const first = t.parse(a, 0, a.length, 4);
    const other = attrs(0x0a000003);
    assert.notEqual(t.parse(other, 0, other.length, 4), first);
    assert.notEqual(t.parse(a, 0, a.length, 2), first);
    // ORIGIN alone, the first 4 bytes: a valid set, not the whole one
    assert.notEqual(t.parse(a, 0, 4, 4), first);
    assert.equal(t.parse(a, 0, a.length, 4), first);
  });

  it('a set with errors is not kept: each parse is new, so its error objects are its own', () => {
    const t = new BgpAttrIntern();
    // ORIGIN with value 7: RFC 7606 treat-as-withdraw
    const bad = Uint8Array.of(0x40, 1, 1, 7);
    const x = t.parse(bad, 0, bad.length, 4);
    assert.ok(x.errors.length > 0);
    assert.notEqual(t.parse(bad, 0, bad.length, 4), x);
  });

  it('5,000 sets each keep their parse', () => {
    const t = new BgpAttrIntern();
    const sets = Array.from({ length: 5000 }, (_, i) => attrs(0x0a000000 + i));
    const parses = sets.map((a) => t.parse(a, 0, a.length, 4));
    for (let i = sets.length - 1; i >= 0; i--) {
      const b = inside(sets[i]!, i % 5);
      assert.equal(t.parse(b, i % 5, (i % 5) + sets[i]!.length, 4), parses[i], `set ${i}`);
    }
    assert.deepEqual([t.misses, t.hits], [5000, 5000]);
  });
});
