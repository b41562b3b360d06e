/**
 * Helpers for the wire/ tests only: hex literals and fast-check arbitraries. Not re-exported by index.ts
 * and not imported by any codec.
 */
import fc from 'fast-check';
import type { Ipv4, Mac } from './addr.js';

/** Bytes from hex text; whitespace and `// comments` are ignored. Throws on anything else (a typo in a vector). */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\/\/.*$/gm, '').replace(/\s+/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(clean)) throw new Error(`bad hex vector: ${text}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** Flips the bits of `mask` in byte `offset` (a test's way to corrupt one field); throws past the end. */
export function flipBits(bytes: Uint8Array, offset: number, mask: number): Uint8Array {
  const b = bytes[offset];
  if (b === undefined) throw new RangeError(`flipBits: offset ${offset} is past the end (${bytes.length} bytes)`);
  bytes[offset] = b ^ mask;
  return bytes;
}

/** The byte arrays one after another, in a new array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Lowercase hex of `bytes`, for readable assertion failures (digest.ts's hex). */
export { hex as toHex } from './digest.js';

/** Any unsigned 16-bit number. */
export const u16Arb: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffff });

/** Any unsigned 32-bit number (fc.integer stops at 2^31 - 1, so it is built from two halves). */
export const u32Arb: fc.Arbitrary<number> = fc.tuple(u16Arb, u16Arb).map(([hi, lo]) => hi * 0x10000 + lo);

/** Any IPv4 address. */
export const ipv4Arb: fc.Arbitrary<Ipv4> = u32Arb;

/** Any MAC address (48 bits). */
export const macArb: fc.Arbitrary<Mac> = fc.tuple(u16Arb, u32Arb).map(([hi, lo]) => hi * 0x1_0000_0000 + lo);

/** Arbitrary bytes up to `maxLength` long, for "parsers never throw". */
export function bytesArb(maxLength = 100): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength });
}

/** Valid packets from `valid`, then up to 4 bytes overwritten and, sometimes, cut short. */
export function mutatedArb(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const edits = fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 });
  return fc.tuple(valid, edits, fc.option(fc.nat())).map(([bytes, changes, cut]) => {
    const out = bytes.slice();
    for (const [at, value] of changes) if (out.length > 0) out[at % out.length] = value;
    return cut === null ? out : out.subarray(0, cut % (out.length + 1));
  });
}
