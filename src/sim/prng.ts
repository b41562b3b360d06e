/**
 * The one source of randomness: xoshiro128** (Blackman & Vigna). A run never draws from one shared
 * generator: every object (node, link, application) draws from its own named stream, whose state is derived
 * from the run's seed and the stream's name (`streamPrng`), as ns-3 gives each model its own RngStream.
 * A new draw in one object therefore never moves another object's values. Same seed and name, same
 * sequence, on every platform.
 */

/** A seeded pseudo-random number generator. */
export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** A uniform unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A generator with the exact xoshiro128** state words given (not all zero). */
  static fromState(s0: number, s1: number, s2: number, s3: number): Prng {
    if ((s0 | s1 | s2 | s3) === 0) throw new Error('prng: the all-zero state is a fixed point of xoshiro128**');
    const p = new Prng(0);
    p.s0 = s0 >>> 0;
    p.s1 = s1 >>> 0;
    p.s2 = s2 >>> 0;
    p.s3 = s3 >>> 0;
    return p;
  }
}

const M64 = 0xffff_ffff_ffff_ffffn;

/** 64-bit FNV-1a (FNV offset basis 0xcbf29ce484222325, prime 0x100000001b3) of `bytes`. */
export function fnv1a64(bytes: Uint8Array): bigint {
  // in two 32-bit halves (BigInt per byte is slow): h * (2^40 + 0x1b3) = h * 0x1b3 + (low word << 40)
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (const b of bytes) {
    lo = (lo ^ b) >>> 0;
    const loProd = lo * 0x1b3; // < 2^41, exact
    hi = (Math.imul(hi, 0x1b3) + Math.floor(loProd / 0x1_0000_0000) + (lo << 8)) >>> 0;
    lo = loProd >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** SplitMix64 (Steele, Lea & Flood; Vigna's splitmix64.c): the next output and state after `state`. */
export function splitmix64(state: bigint): { value: bigint; state: bigint } {
  const next = (state + 0x9e37_79b9_7f4a_7c15n) & M64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58_476d_1ce4_e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d0_49bb_1331_11ebn) & M64;
  return { value: z ^ (z >> 31n), state: next };
}

const utf8 = new TextEncoder();

/**
 * The stream called `name` of the run seeded with `seed` (a safe integer). Its derivation is part of every
 * golden, so it must never change:
 *   key   = FNV-1a-64( seed as 8 bytes little-endian two's complement ‖ UTF-8 bytes of name )
 *   w0,w1 = the first two SplitMix64 outputs from state key (Vigna's advice for seeding xoshiro)
 *   state = [low32(w0), high32(w0), low32(w1), high32(w1)] of xoshiro128**
 * Distinct names give unrelated streams; nothing but (seed, name) decides a stream's values.
 */
export function streamPrng(seed: number, name: string): Prng {
  if (!Number.isSafeInteger(seed)) throw new Error(`prng: seed ${seed} is not a safe integer`);
  const nameBytes = utf8.encode(name);
  const bytes = new Uint8Array(8 + nameBytes.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(seed)), true);
  bytes.set(nameBytes, 8);
  const a = splitmix64(fnv1a64(bytes));
  const b = splitmix64(a.state);
  const w0 = a.value;
  const w1 = b.value;
  return Prng.fromState(Number(w0 & 0xffff_ffffn), Number(w0 >> 32n), Number(w1 & 0xffff_ffffn), Number(w1 >> 32n));
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
