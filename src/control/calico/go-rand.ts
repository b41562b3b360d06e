/**
 * Go's math/rand generator, as `rand.New(rand.NewSource(seed))` produces it (rng.go: an additive lagged
 * Fibonacci generator, 607 words with a tap at 273, seeded through seedrand's Lehmer sequence xor the cooked
 * table), with `Uint32` (rand.go: the top 32 of Int63's 63 bits) and `big.Int.Rand` (math/big nat.random on
 * a 64-bit machine: two Uint32 per word, the top word masked to the limit's bit length, drawn again until
 * below the limit). Calico's randomBlockGenerator uses exactly these to pick where a host starts looking for
 * a free block, so podnet picks the block a real calico-node would. Go's regress_test.go outputs are the test.
 */
import { RNG_COOKED_TEXT } from './go-rand-cooked.js';

const LEN = 607;
const TAP = 273;
const MASK63 = (1n << 63n) - 1n;
const M = 2147483647;

let cooked: bigint[] | undefined;

/** seedrand: x[n+1] = 48271 * x[n] mod (2^31 - 1), by Schrage's method as rng.go computes it. */
function seedrand(x: number): number {
  const hi = Math.trunc(x / 44488);
  const lo = x % 44488;
  const r = 48271 * lo - 3399 * hi;
  return r < 0 ? r + M : r;
}

/** A Go `*rand.Rand` over `rand.NewSource(seed)`. */
export class GoRand {
  private readonly vec: bigint[] = new Array<bigint>(LEN).fill(0n);
  private tap = 0;
  private feed = LEN - TAP;

  constructor(seed: bigint) {
    cooked ??= RNG_COOKED_TEXT.trim().split(/\s+/).map(BigInt);
    let s = seed % BigInt(M); // Go's % truncates toward zero, as BigInt's does
    if (s < 0n) s += BigInt(M);
    if (s === 0n) s = 89482311n;
    let x = Number(s);
    for (let i = -20; i < LEN; i++) {
      x = seedrand(x);
      if (i >= 0) {
        let u = BigInt(x) << 40n;
        x = seedrand(x);
        u ^= BigInt(x) << 20n;
        x = seedrand(x);
        u ^= BigInt(x);
        u ^= cooked[i]!;
        this.vec[i] = u & MASK63;
      }
    }
  }

  /** A non-negative 63-bit integer (rngSource.Int63). */
  int63(): bigint {
    this.tap = this.tap === 0 ? LEN - 1 : this.tap - 1;
    this.feed = this.feed === 0 ? LEN - 1 : this.feed - 1;
    const x = (this.vec[this.feed]! + this.vec[this.tap]!) & MASK63;
    this.vec[this.feed] = x;
    return x;
  }

  /** rand.Uint32: the top 32 bits of Int63. */
  uint32(): number {
    return Number(this.int63() >> 31n);
  }

  /** new(big.Int).Rand(r, limit) for 0 < limit < 2^64, on a 64-bit machine: uniform in [0, limit). */
  bigIntRand(limit: bigint): bigint {
    if (limit <= 0n || limit >= 1n << 64n) throw new RangeError(`go-rand: limit ${limit} out of range`);
    const bits = limit.toString(2).length;
    const mask = (1n << BigInt(bits)) - 1n;
    for (;;) {
      const lo = BigInt(this.uint32());
      const hi = BigInt(this.uint32());
      const z = (lo | (hi << 32n)) & mask;
      if (z < limit) return z;
    }
  }
}

/** Go's hash/fnv New32 (FNV-1, not 1a) of the UTF-8 bytes of `text`, as Calico seeds a host's block order. */
export function fnv1_32(text: string): number {
  let h = 2166136261;
  for (const b of new TextEncoder().encode(text)) {
    h = Math.imul(h, 16777619) >>> 0;
    h = (h ^ b) >>> 0;
  }
  return h;
}
