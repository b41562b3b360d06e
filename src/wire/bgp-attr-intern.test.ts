/**
 * The attribute intern table: the same bytes (and AS size) give the one parse made first, wherever the
 * bytes sit; other bytes, another AS size or a malformed set get parses of their own; thousands of sets
 * each keep theirs; and what it returns is what parsePathAttributes makes of the bytes. Small UPDATE bodies
 * likewise: the same bytes give the first result, larger ones and ones with RFC 7606 findings a parse each.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BgpAttrIntern, MAX_INTERNED_UPDATE_BODY } from './bgp-attr-intern.js';
import { parsePathAttributes } from './bgp-attrs.js';
import { encodePathAttributes } from './bgp-attrs-emit.js';
import { BGP_HEADER_LEN, type BgpUpdate, type PathAttributes, emitBgpMessage, parseBgpMessage } from './bgp.js';

/** A reflected client route's attributes, as a route reflector sends them: one set per next hop. */
function reflected(nextHop: number): PathAttributes {
  return {
    origin: 'igp',
    asPath: [],
    nextHop,
    localPref: 100,
    originatorId: nextHop,
    clusterList: [0xf4000001],
    unknown: [],
  };
}

/** Those attributes' bytes. */
function attrs(nextHop: number): Uint8Array {
  return encodePathAttributes(reflected(nextHop), 4);
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

  describe('small UPDATE bodies', () => {
    /** An UPDATE announcing `prefixes` /26s from 192.168.0.0 with a reflected route's attributes. */
    function update(prefixes: number, nextHop = 0x0a000002): Uint8Array {
      const nlri = Array.from({ length: prefixes }, (_, i) => ({ addr: 0xc0a80000 + i * 64, len: 26 }));
      return emitBgpMessage({ type: 'update', withdrawn: [], attrs: reflected(nextHop), nlri }, { fourOctetAs: true });
    }

    it('the same bytes give the first result again, wherever they sit, and it is what a plain parse makes', () => {
      const t = new BgpAttrIntern();
      const u = update(1);
      const first = parseBgpMessage(u, 0, { fourOctetAs: true, attrIntern: t });
      const moved = inside(u, 5);
      const again = parseBgpMessage(moved, 5, { fourOctetAs: true, attrIntern: t }, 5 + u.length);
      assert.equal(again, first);
      assert.deepEqual(first, parseBgpMessage(u, 0, { fourOctetAs: true }));
      assert.ok(first.ok);
      assert.deepEqual((first.value.message as BgpUpdate).nlri, [{ addr: 0xc0a80000, len: 26 }]);
      // the first: a miss for its attributes; the second: the whole body from the table
      assert.deepEqual([t.misses, t.hits], [1, 1]);
    });

    it('another next hop, or the 2-octet AS size: a result of its own', () => {
      const t = new BgpAttrIntern();
      const u = update(1);
      const first = parseBgpMessage(u, 0, { fourOctetAs: true, attrIntern: t });
      assert.notEqual(parseBgpMessage(update(1, 0x0a000003), 0, { fourOctetAs: true, attrIntern: t }), first);
      assert.notEqual(parseBgpMessage(u, 0, { fourOctetAs: false, attrIntern: t }), first);
      assert.equal(parseBgpMessage(u, 0, { fourOctetAs: true, attrIntern: t }), first);
    });

    it(`a body over ${MAX_INTERNED_UPDATE_BODY} bytes is parsed each time; its attributes are still shared`, () => {
      const t = new BgpAttrIntern();
      const big = update(60); // 60 prefixes of 4 bytes: 240 bytes of NLRI
      assert.ok(big.length - BGP_HEADER_LEN > MAX_INTERNED_UPDATE_BODY);
      const a = parseBgpMessage(big, 0, { fourOctetAs: true, attrIntern: t });
      const b = parseBgpMessage(big, 0, { fourOctetAs: true, attrIntern: t });
      assert.ok(a.ok && b.ok);
      assert.notEqual(a, b);
      assert.equal((a.value.message as BgpUpdate).attrs, (b.value.message as BgpUpdate).attrs);
      assert.equal((a.value.message as BgpUpdate).nlri.length, 60);
    });

    it('an UPDATE with an RFC 7606 finding is not kept: each parse has its own findings', () => {
      const t = new BgpAttrIntern();
      // no NEXT_HOP with routes in the NLRI field: treat-as-withdraw (RFC 7606 §3 d)
      const bad = emitBgpMessage(
        {
          type: 'update',
          withdrawn: [],
          attrs: { origin: 'igp', asPath: [], unknown: [] },
          nlri: [{ addr: 0xc0a80000, len: 26 }],
        },
        { fourOctetAs: true },
      );
      const a = parseBgpMessage(bad, 0, { fourOctetAs: true, attrIntern: t });
      const b = parseBgpMessage(bad, 0, { fourOctetAs: true, attrIntern: t });
      assert.ok(a.ok && b.ok);
      assert.equal(a.value.action, 'treat-as-withdraw');
      assert.notEqual(a, b);
      assert.notEqual(a.value.attrErrors, b.value.attrErrors);
    });
  });
});
