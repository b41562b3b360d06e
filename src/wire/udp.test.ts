import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type UdpDatagram, buildUdp, emitUdp, parseUdp, udpChecksum, udpLength, verifyUdpChecksum } from './udp.js';
import { bytesArb, concat, hex, ipv4Arb, mutatedArb, u16Arb } from './testing.js';
import type { WireErrorCode } from './result.js';

const SRC = 0x0a_00_01_01; // 10.0.1.1
const DST = 0x0a_00_02_02; // 10.0.2.2

// A datagram captured with tcpdump on a Linux veth (tx checksum offload off, so the kernel's own sum).
const PODNET = hex(`
  9c 40   // source port 40000
  82 9a   // destination port 33434
  00 0f   // length 15 = 8 + 7
  85 a0   // checksum, by hand: pseudo-header 0a00+0101 + 0a00+0202 + 0011 + 000f, header 9c40+829a+000f+[0000],
          // data 706f+646e+6574+0a00 (the odd last byte padded, RFC 1071) = 0x27a5d -> 7a5f -> ~ = 85a0
  70 6f 64 6e 65 74 0a  // "podnet\\n"
`);
const PODNET_VALUE: UdpDatagram = {
  srcPort: 40000,
  dstPort: 33434,
  checksum: 0x85a0,
  payload: new TextEncoder().encode('podnet\n'),
};

describe('udp vectors', () => {
  it('parses the captured datagram, verifying its checksum', () => {
    assert.deepEqual(parseUdp(PODNET, SRC, DST), { ok: true, value: PODNET_VALUE });
    assert.ok(verifyUdpChecksum(SRC, DST, PODNET, 0, PODNET.length));
    assert.equal(udpLength(PODNET_VALUE), 15);
  });

  it('builds it byte for byte', () => {
    assert.deepEqual(buildUdp(PODNET_VALUE, SRC, DST), PODNET);
    const zeroed = PODNET.slice();
    zeroed[6] = zeroed[7] = 0;
    assert.equal(udpChecksum(SRC, DST, zeroed, 0, zeroed.length), 0x85a0);
  });

  it('rejects the checksum under the wrong addresses, and skips the check without them', () => {
    assert.deepEqual(parseUdp(PODNET, SRC, DST + 1), {
      ok: false,
      error: { protocol: 'udp', field: 'checksum', offset: 6, code: 'bad-checksum', reason: 'bad checksum' },
    });
    assert.ok(parseUdp(PODNET).ok);
  });

  it('treats a zero checksum as none (RFC 768)', () => {
    const none = buildUdp(PODNET_VALUE, SRC, DST, false);
    assert.deepEqual(none.subarray(6, 8), hex('00 00'));
    assert.ok(verifyUdpChecksum(SRC, DST + 1, none, 0, none.length));
    assert.deepEqual(parseUdp(none, SRC, DST + 1), { ok: true, value: { ...PODNET_VALUE, checksum: 0 } });
  });

  it('sends a computed zero as 0xffff (RFC 768)', () => {
    // 10.0.0.1 -> 10.0.0.2, 1000 -> 2000, data e0 1f: 0a00+0001+0a00+0002+0011+000a + 03e8+07d0+000a + e01f
    // = 0xffff, whose complement is 0: sent as ffff, which verifies (ffff + ffff folds to ffff again).
    const bytes = buildUdp({ srcPort: 1000, dstPort: 2000, payload: hex('e0 1f') }, 0x0a000001, 0x0a000002);
    assert.deepEqual(bytes, hex('03 e8 07 d0 00 0a ff ff e0 1f'));
    assert.ok(verifyUdpChecksum(0x0a000001, 0x0a000002, bytes, 0, bytes.length));
  });

  it('validates the length field and ignores bytes after it', () => {
    const padded = parseUdp(concat(PODNET, new Uint8Array(4)), SRC, DST);
    assert.deepEqual(padded, { ok: true, value: PODNET_VALUE });
    const cases: [Uint8Array, string, WireErrorCode, string][] = [
      [PODNET.subarray(0, 7), 'header', 'truncated', 'truncated: 7 of 8 bytes'],
      [PODNET.subarray(0, 14), 'length', 'truncated', 'truncated: length 15, only 14 bytes present'],
      [
        concat(PODNET.subarray(0, 4), hex('00 07'), PODNET.subarray(6)),
        'length',
        'bad-length',
        'length 7 is shorter than the header',
      ],
    ];
    for (const [bytes, field, code, reason] of cases) {
      const r = parseUdp(bytes);
      assert.ok(!r.ok);
      assert.deepEqual([r.error.field, r.error.code, r.error.reason], [field, code, reason]);
    }
  });

  it('emits at an offset, and throws when it does not fit', () => {
    const buf = new Uint8Array(20);
    assert.equal(emitUdp(PODNET_VALUE, SRC, DST, buf, 5), 15);
    assert.deepEqual(buf.subarray(5), PODNET);
    assert.ok(verifyUdpChecksum(SRC, DST, buf, 5, 15));
    assert.throws(() => emitUdp(PODNET_VALUE, SRC, DST, buf, 6), RangeError);
  });
});

const datagramArb = fc
  .record({ srcPort: u16Arb, dstPort: u16Arb, payload: fc.uint8Array({ maxLength: 100 }) })
  .map((d) => ({ ...d }));

describe('udp properties', () => {
  it('parse(build(d)) gives d back with a checksum that verifies', () => {
    fc.assert(
      fc.property(datagramArb, ipv4Arb, ipv4Arb, fc.boolean(), (d, src, dst, withChecksum) => {
        const bytes = buildUdp(d, src, dst, withChecksum);
        const r = parseUdp(bytes, src, dst);
        assert.ok(r.ok);
        const { checksum, ...rest } = r.value;
        assert.deepEqual(rest, d);
        assert.equal(checksum === 0, !withChecksum);
        assert.ok(verifyUdpChecksum(src, dst, bytes, 0, bytes.length));
      }),
    );
  });

  it('detects any single corrupted byte', () => {
    fc.assert(
      fc.property(
        datagramArb,
        ipv4Arb,
        ipv4Arb,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (d, src, dst, at, flip) => {
          const bytes = buildUdp(d, src, dst);
          const i = at % bytes.length;
          bytes[i] = bytes[i]! ^ flip;
          // One byte changes one word by a non-zero amount below 0xffff, which the sum always sees; the only
          // escape is a corrupted checksum field that became 0, which means "none" (RFC 768).
          if (((bytes[6]! << 8) | bytes[7]!) === 0) return;
          assert.equal(verifyUdpChecksum(src, dst, bytes, 0, bytes.length), false);
        },
      ),
    );
  });

  it('never throws on arbitrary or mutated bytes', () => {
    const valid = fc.tuple(datagramArb, ipv4Arb, ipv4Arb).map(([d, s, t]) => buildUdp(d, s, t));
    fc.assert(
      fc.property(fc.oneof(bytesArb(), mutatedArb(valid)), ipv4Arb, ipv4Arb, (b, src, dst) => {
        parseUdp(b);
        parseUdp(b, src, dst);
      }),
    );
  });
});
