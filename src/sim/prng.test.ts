/**
 * The PRNG is the only randomness in a run, so its stream is part of every scenario's golden output. These
 * tests pin it to the published algorithms: splitmix32-style seeding (a Weyl sequence through the murmur3
 * 32-bit finalizer) feeding xoshiro128** (Blackman & Vigna), checked against a reference written here in
 * BigInt arithmetic, so a slip in the 32-bit tricks of prng.ts (>>> 0, Math.imul) cannot hide. Named
 * streams (streamPrng) are pinned to FNV-1a-64 and SplitMix64's published vectors and to a C reference.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fnv1a64, Prng, splitmix64, streamPrng } from './prng.js';

const M32 = 0xffff_ffffn;

function rotlBig(x: bigint, k: bigint): bigint {
  return ((x << k) | (x >> (32n - k))) & M32;
}

/** The seeding stream: x += golden ratio, then the murmur3 fmix32 finalizer. */
function seedWords(seed: number): bigint[] {
  let x = BigInt(seed >>> 0);
  const out: bigint[] = [];
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e37_79b9n) & M32;
    let z = x;
    z = ((z ^ (z >> 16n)) * 0x85eb_ca6bn) & M32;
    z = ((z ^ (z >> 13n)) * 0xc2b2_ae35n) & M32;
    out.push(z ^ (z >> 16n));
  }
  return out;
}

/** xoshiro128** from Vigna's reference C, one word per call. */
function* xoshiro128ss(state: bigint[]): Generator<number> {
  const s = state.slice();
  for (;;) {
    const result = (rotlBig((s[1]! * 5n) & M32, 7n) * 9n) & M32;
    const t = (s[1]! << 9n) & M32;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotlBig(s[3]!, 11n);
    yield Number(result);
  }
}

function take(g: Generator<number>, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(g.next().value as number);
  return out;
}

function draws(p: Prng, n: number): number[] {
  return Array.from({ length: n }, () => p.nextU32());
}

describe('prng golden values', () => {
  it('seed 1 expands to the state splitmix32 gives', () => {
    // x = 1 + 0x9e3779b9 = 0x9e3779ba goes through the two multiply-xorshift rounds and a final xorshift;
    // these words were computed independently (a short Python script), not copied from prng.ts.
    assert.deepEqual(seedWords(1), [0x96a0_f96bn, 0x12bc_8390n, 0x971e_9964n, 0x79ad_c7e7n]);
  });

  it('the first words for seed 1 are fixed forever (every scenario golden depends on them)', () => {
    assert.deepEqual(draws(new Prng(1), 6), [2442144158, 3238099751, 3819917871, 2104621829, 2021136066, 4223536128]);
  });

  it('the BigInt reference reproduces the published xoshiro128** vector for state {1, 2, 3, 4}', () => {
    assert.deepEqual(
      take(xoshiro128ss([1n, 2n, 3n, 4n]), 8),
      [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849],
    );
  });

  it('Prng with state {1, 2, 3, 4} gives the same published vector', () => {
    const p = new Prng(0) as unknown as { s0: number; s1: number; s2: number; s3: number };
    Object.assign(p, { s0: 1, s1: 2, s2: 3, s3: 4 });
    assert.deepEqual(
      draws(p as unknown as Prng, 8),
      [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849],
    );
  });

  it('agrees with the BigInt reference for any seed, over 200 words', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (seed) => {
        assert.deepEqual(draws(new Prng(seed), 200), take(xoshiro128ss(seedWords(seed)), 200));
      }),
      { numRuns: 50 },
    );
  });
});

describe('prng streams', () => {
  it('same seed, same sequence; different seeds, different sequences', () => {
    assert.deepEqual(draws(new Prng(42), 50), draws(new Prng(42), 50));
    assert.notDeepEqual(draws(new Prng(42), 50), draws(new Prng(43), 50));
    assert.notDeepEqual(draws(new Prng(0), 5), draws(new Prng(1), 5));
  });

  it('seeds are taken as unsigned 32-bit: -1 and 2^32-1 are the same seed', () => {
    assert.deepEqual(draws(new Prng(-1), 10), draws(new Prng(0xffff_ffff), 10));
  });

  it('next() = nextU32() / 2^32, always in [0, 1)', () => {
    const a = new Prng(9);
    const b = new Prng(9);
    for (let i = 0; i < 1000; i++) {
      const x = a.next();
      assert.ok(x >= 0 && x < 1, `${x}`);
      assert.equal(x, b.nextU32() / 4294967296);
    }
  });

  it('int(n) stays in [0, n) and is an integer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 1, max: 1_000_000 }), (seed, n) => {
        const p = new Prng(seed);
        for (let i = 0; i < 20; i++) {
          const k = p.int(n);
          assert.ok(Number.isInteger(k) && k >= 0 && k < n, `${k} for n=${n}`);
        }
      }),
    );
  });

  it('int(6) hits every face about equally (6000 rolls, each face within 5 sigma of 1000)', () => {
    const p = new Prng(2024);
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 6000; i++) counts[p.int(6)]!++;
    // binomial(6000, 1/6): sigma = sqrt(6000 * 1/6 * 5/6) = 28.9
    for (const c of counts) assert.ok(Math.abs(c - 1000) < 145, counts.join(','));
  });
});

describe('named streams: streamPrng(seed, name)', () => {
  it('FNV-1a-64 gives the published test vectors (Fowler/Noll/Vo test suite)', () => {
    const enc = (t: string): Uint8Array => new TextEncoder().encode(t);
    assert.equal(fnv1a64(enc('')), 0xcbf29ce484222325n);
    assert.equal(fnv1a64(enc('a')), 0xaf63dc4c8601ec8cn);
    assert.equal(fnv1a64(enc('foobar')), 0x85944171f73967e8n);
  });

  it("SplitMix64 from state 0 gives Vigna's splitmix64.c outputs", () => {
    const a = splitmix64(0n);
    const b = splitmix64(a.state);
    assert.equal(a.value, 0xe220a8397b1dcdafn);
    assert.equal(b.value, 0x6e789e6aa1b965f4n);
  });

  // Computed by a 20-line C program (uint64_t FNV-1a over the seed's 8 little-endian bytes then the name,
  // two splitmix64 outputs split into four uint32 words, Vigna's xoshiro128** reference), not by prng.ts.
  const C_REFERENCE: [number, string, number[]][] = [
    [1, 'node:A/tcp', [3265715375, 2915093083, 1888532052, 1400895923]],
    [1, 'node:B/tcp', [120470577, 2590346950, 363385512, 4289282249]],
    [2, 'node:A/tcp', [1286695284, 4180005277, 3184930873, 1055359297]],
    [0, '', [3578933133, 1119036580, 2112909528, 2995757203]],
    [1, 'link:A:eth0-sw1:p1', [713472476, 2735504797, 3870120952, 2313416174]],
    [1, 'node:\u00e9', [2803869432, 302791172, 268303619, 3193924329]], // UTF-8 c3 a9
  ];
  for (const [seed, name, want] of C_REFERENCE) {
    it(`seed ${seed}, name ${JSON.stringify(name)}: the C reference's first words (fixed forever)`, () => {
      assert.deepEqual(draws(streamPrng(seed, name), 4), want);
    });
  }

  it('the state words are the two SplitMix64 outputs, low half first', () => {
    const bytes = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode('node:A/tcp')]);
    const key = fnv1a64(bytes);
    assert.equal(key, 0xa55859921c6adb5dn, 'the C reference printed this key');
    const w0 = splitmix64(key);
    const w1 = splitmix64(w0.state);
    const words = [w0.value & M32, w0.value >> 32n, w1.value & M32, w1.value >> 32n];
    assert.deepEqual(words, [0xba096f00n, 0xfcbeb215n, 0xc7222cc5n, 0xd39eaaadn]);
    assert.deepEqual(draws(streamPrng(1, 'node:A/tcp'), 50), take(xoshiro128ss(words), 50));
  });

  it('negative and large seeds are distinct 64-bit values, not folded to 32 bits', () => {
    assert.notDeepEqual(draws(streamPrng(-1, 'x'), 4), draws(streamPrng(0xffff_ffff, 'x'), 4));
    assert.notDeepEqual(draws(streamPrng(2 ** 32, 'x'), 4), draws(streamPrng(0, 'x'), 4));
    assert.throws(() => streamPrng(0.5, 'x'), /not a safe integer/);
  });

  it('distinct names, distinct streams (1000 node names, no two first words alike)', () => {
    const firsts = new Set<number>();
    for (let i = 0; i < 1000; i++) firsts.add(streamPrng(1, `node:pod-${i}/tcp`).nextU32());
    assert.equal(firsts.size, 1000);
  });

  it('fromState refuses the all-zero state', () => {
    assert.throws(() => Prng.fromState(0, 0, 0, 0), /all-zero/);
  });
});
