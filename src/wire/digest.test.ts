/**
 * The digests and their text forms against Node's crypto on inputs around every block boundary (64 bytes
 * for SHA-1 and SHA-2/256, 128 for SHA-512, 144 for SHA3-224), against the FIPS 180-4 examples, and the
 * encodings against RFC 4648's test vectors and Node's base64url (kube-proxy's chain-names test checks base32 on
 * digests against an encoder of its own).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { base32, base64url, hex, sha1, sha224, sha256, sha3_224, sha512, utf8 } from './digest.js';

/** Lengths on both sides of the padding and block boundaries of every digest here. */
const LENGTHS = [0, 1, 55, 56, 63, 64, 65, 111, 112, 119, 120, 127, 128, 129, 143, 144, 145, 200, 300];

describe('digests', () => {
  it('SHA-1, SHA-224, SHA-256, SHA-512 and SHA3-224 equal node:crypto around the block boundaries', () => {
    const digests = [
      ['sha1', sha1],
      ['sha224', sha224],
      ['sha256', sha256],
      ['sha512', sha512],
      ['sha3-224', sha3_224],
    ] as const;
    for (const n of LENGTHS) {
      const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
      for (const [name, fn] of digests)
        assert.equal(hex(fn(data)), createHash(name).update(data).digest('hex'), `${name} of ${n} bytes`);
    }
  });

  it('the FIPS 180-4 examples: SHA-1 and SHA-512 of "abc", SHA-1 of the two-block message', () => {
    assert.equal(hex(sha1(utf8('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.equal(
      hex(sha1(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
      '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
    );
    assert.equal(
      hex(sha512(utf8('abc'))),
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    );
    assert.equal(hex(sha512(utf8(''))).slice(0, 16), 'cf83e1357eefb8bd');
  });
});

describe('text forms', () => {
  it('base32 is RFC 4648 section 6 with padding (its test vectors)', () => {
    const enc = (s: string): string => base32(utf8(s));
    assert.deepEqual(['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'].map(enc), [
      '',
      'MY======',
      'MZXQ====',
      'MZXW6===',
      'MZXW6YQ=',
      'MZXW6YTB',
      'MZXW6YTBOI======',
    ]);
  });

  it("base64url is Go's RawURLEncoding: Node's base64url, no padding", () => {
    for (const n of [0, 1, 2, 3, 4, 28, 32, 64]) {
      const data = new Uint8Array(n).map((_, i) => (i * 97 + 250) & 0xff);
      assert.equal(base64url(data), Buffer.from(data).toString('base64url'), `${n} bytes`);
    }
  });

  it('hex is lower case, two digits a byte', () => {
    assert.equal(hex(Uint8Array.of(0, 9, 10, 255)), '00090aff');
    assert.equal(hex(new Uint8Array(0)), '');
  });
});
