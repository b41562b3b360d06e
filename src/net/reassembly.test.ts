import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reassembler, REASSEMBLY_TIMEOUT_NS } from './reassembly.js';
import { buildIpv4, checkIpv4, fragmentIpv4 } from '../wire/ipv4.js';

/** A UDP-protocol datagram of `n` payload bytes, DF clear, as a frame with 14 bytes of Ethernet room. */
function datagram(n: number, id = 0x1234): Uint8Array {
  const payload = Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
  return buildIpv4(
    {
      tos: 0,
      id,
      df: false,
      mf: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: 17,
      src: 0x0a000001,
      dst: 0x0a000002,
      options: new Uint8Array(0),
    },
    payload,
  );
}

function framed(p: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + p.length);
  f.set(p, 14);
  return f;
}

describe('IPv4 reassembly', () => {
  it('rebuilds the datagram byte for byte from fragments in any order, with a valid header', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 9, max: 4000 }),
        fc.integer({ min: 68, max: 1500 }),
        fc.integer(),
        (n, mtu, seed) => {
          const d = datagram(n);
          const pieces = fragmentIpv4(d, mtu)!;
          // a deterministic shuffle
          const order = pieces
            .map((_, i) => i)
            .sort((a, b) => ((a * 2654435761 + seed) % 97) - ((b * 2654435761 + seed) % 97));
          const r = new Reassembler();
          let done: Uint8Array | undefined;
          for (const i of order) {
            const f = framed(pieces[i]!);
            const res = r.add(f, 14, pieces[i]!.length, 0);
            if (res.kind === 'complete') done = res.frame.subarray(14, 14 + res.ipLen);
            else assert.equal(res.kind, 'pending');
          }
          if (pieces.length === 1) return true; // an unfragmented datagram never reaches the reassembler
          assert.ok(done !== undefined);
          assert.equal(checkIpv4(done, 0, done.length), 'ok');
          assert.deepEqual(done, d);
          assert.equal(r.pending, 0);
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('discards the whole datagram when fragments overlap (Linux since 4.19)', () => {
    const pieces = fragmentIpv4(datagram(3000), 1500)!;
    const r = new Reassembler();
    assert.equal(r.add(framed(pieces[0]!), 14, pieces[0]!.length, 0).kind, 'pending');
    const dup = r.add(framed(pieces[0]!), 14, pieces[0]!.length, 0);
    assert.equal(dup.kind, 'invalid');
    assert.equal(r.pending, 0);
  });

  it('keeps separate queues per identification and expires them after 30 s with the first header', () => {
    const a = fragmentIpv4(datagram(3000, 1), 1500)!;
    const b = fragmentIpv4(datagram(3000, 2), 1500)!;
    const r = new Reassembler();
    r.add(framed(a[0]!), 14, a[0]!.length, 0);
    r.add(framed(b[1]!), 14, b[1]!.length, 0);
    assert.equal(r.pending, 2);
    const expired: (Uint8Array | undefined)[] = [];
    r.expire(REASSEMBLY_TIMEOUT_NS - 1, (h) => expired.push(h));
    assert.equal(expired.length, 0);
    r.expire(REASSEMBLY_TIMEOUT_NS, (h) => expired.push(h));
    assert.equal(expired.length, 2);
    assert.equal(
      expired.filter((h) => h !== undefined).length,
      1,
      'only the queue that had fragment 0 can quote a header',
    );
  });

  it('refuses a fragment that would make the datagram longer than 65535 bytes', () => {
    const f = framed(datagram(16));
    // offset 8189 * 8 = 65512, plus 16 bytes of payload > 65515
    f[14 + 6] = 0x1f;
    f[14 + 7] = 0xfd;
    assert.equal(new Reassembler().add(f, 14, 36, 0).kind, 'invalid');
  });
});
