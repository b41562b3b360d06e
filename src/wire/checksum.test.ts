import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checksumAdjust, foldChecksum, internetChecksum, onesComplementSum } from './checksum.js';
import { hex, u16Arb } from './testing.js';

describe('internet checksum (RFC 1071)', () => {
  it('matches the numerical example of RFC 1071 §3', () => {
    // 0001 + f203 + f4f5 + f6f7 = 0x2ddf0; folded: ddf0 + 2 = ddf2; checksum = ~ddf2 = 220d.
    const bytes = hex('00 01 f2 03 f4 f5 f6 f7');
    assert.equal(onesComplementSum(bytes, 0, 8), 0x2ddf0);
    assert.equal(internetChecksum(bytes, 0, 8), 0x220d);
  });

  it('computes the classic IPv4 header example (Wikipedia "Internet checksum")', () => {
    // 4500+0073+0000+4000+4011+[0000]+c0a8+0001+c0a8+00c7 = 0x2479c; fold 479c+2 = 479e; ~ = b861.
    const header = hex('45 00 00 73 00 00 40 00 40 11 00 00 c0 a8 00 01 c0 a8 00 c7');
    assert.equal(internetChecksum(header, 0, 20), 0xb861);
    header[10] = 0xb8;
    header[11] = 0x61;
    assert.equal(internetChecksum(header, 0, 20), 0, 'over a header with its checksum, the result is 0');
  });

  it('pads an odd trailing byte with zero (RFC 1071 §4.1)', () => {
    assert.equal(onesComplementSum(hex('12 34 56'), 0, 3), 0x1234 + 0x5600);
  });

  it('honours offset and length', () => {
    assert.equal(onesComplementSum(hex('ff ff 00 01 00 02 ff'), 2, 4), 3);
  });

  it('chains through `initial`', () => {
    const a = hex('12 34 56 78');
    const b = hex('9a bc');
    assert.equal(
      onesComplementSum(b, 0, 2, onesComplementSum(a, 0, 4)),
      onesComplementSum(hex('12 34 56 78 9a bc'), 0, 6),
    );
  });

  it('folds sums beyond 32 bits exactly', () => {
    assert.equal(foldChecksum(0), 0xffff);
    assert.equal(foldChecksum(0xffff), 0);
    assert.equal(foldChecksum(0x1_0000_0000), ~1 & 0xffff);
    assert.equal(foldChecksum(0xffff_ffff_ffff), 0);
  });

  it('is unchanged by where the data sits, and 0 over data with its own checksum appended', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }).map((b) => (b.length % 2 ? b.subarray(1) : b)),
        fc.nat({ max: 7 }),
        (data, shift) => {
          const buf = new Uint8Array(shift + data.length + 2);
          buf.set(data, shift);
          const c = internetChecksum(buf, shift, data.length);
          buf[shift + data.length] = c >>> 8;
          buf[shift + data.length + 1] = c & 0xff;
          assert.equal(internetChecksum(data, 0, data.length), c);
          assert.equal(internetChecksum(buf, shift, data.length + 2), 0);
        },
      ),
    );
  });
});

describe('checksumAdjust (RFC 1624 eqn 3)', () => {
  it('patches the TTL decrement of the Wikipedia header: ttl 0x40 -> 0x3f', () => {
    // TTL/protocol word 4011 -> 3f11: the checksum rises by 0x0100, b861 -> b961.
    assert.equal(checksumAdjust(0xb861, 0x4011, 0x3f11), 0xb961);
  });

  it('agrees with a full recomputation when one word changes', () => {
    // The first word stays 0x4500 (as in an IPv4 header) so the data is never all zeros: the one case
    // where eqn 3 answers 0x0000 and RFC 1071 0xffff (RFC 1624 §3).
    const words = fc.array(u16Arb, { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(words, fc.nat(), u16Arb, (rest, at, newWord) => {
        const buf = new Uint8Array(2 + rest.length * 2);
        buf[0] = 0x45;
        rest.forEach((w, i) => {
          buf[2 + 2 * i] = w >>> 8;
          buf[3 + 2 * i] = w & 0xff;
        });
        const off = 2 + 2 * (at % rest.length);
        const before = internetChecksum(buf, 0, buf.length);
        const oldWord = (buf[off]! << 8) | buf[off + 1]!;
        buf[off] = newWord >>> 8;
        buf[off + 1] = newWord & 0xff;
        assert.equal(checksumAdjust(before, oldWord, newWord), internetChecksum(buf, 0, buf.length));
      }),
    );
  });
});
