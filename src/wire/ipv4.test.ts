import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { internetChecksum } from './checksum.js';
import {
  IPPROTO_ICMP,
  IPPROTO_UDP,
  type Ipv4Header,
  buildIpv4,
  checkIpv4,
  decrementTtl,
  emitIpv4Header,
  fragmentIpv4,
  ipv4HeaderLength,
  parseIpv4,
} from './ipv4.js';
import { bytesArb, concat, flipBits, hex, ipv4Arb, mutatedArb, u16Arb } from './testing.js';
import type { WireErrorCode } from './result.js';

// The classic example (Wikipedia, "Internet checksum" / "IPv4 header checksum"), 192.168.0.1 ->
// 192.168.0.199, UDP. Its total length says 115 bytes, so 95 zero bytes stand in for the datagram.
const WIKI_HEADER = hex(`
  45        // version 4, IHL 5 (20 bytes)
  00        // TOS
  00 73     // total length 115
  00 00     // id 0
  40 00     // flags DF, fragment offset 0
  40        // TTL 64
  11        // protocol 17 (UDP)
  b8 61     // checksum: 4500+0073+0000+4000+4011+c0a8+0001+c0a8+00c7 = 0x2479c -> 479e -> ~ = b861
  c0 a8 00 01  // src 192.168.0.1
  c0 a8 00 c7  // dst 192.168.0.199
`);
const WIKI_PACKET = concat(WIKI_HEADER, new Uint8Array(95));

// An ICMP echo request captured with tcpdump on a Linux veth (netns 10.0.1.1 pinging 10.0.2.2 through a
// router, via a ping socket), and the same packet captured after the router (TTL 63).
const ECHO_PACKET = hex(`
  45 00     // version 4, IHL 5; TOS 0
  00 3c     // total length 60
  17 50     // id 0x1750
  00 00     // flags 0 (this ping socket did not set DF), fragment offset 0
  40 01     // TTL 64, protocol 1 (ICMP)
  4c 6f     // checksum: 4500+003c+1750+0000+4001+0a00+0101+0a00+0202 = 0xb390 -> ~ = 4c6f
  0a 00 01 01  // src 10.0.1.1
  0a 00 02 02  // dst 10.0.2.2
  08 00 3b 27 12 34 00 01 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75 76 77 61 62 63 64 65 66 67 68 69
`);
const ECHO_AFTER_ROUTER = ECHO_PACKET.slice();
ECHO_AFTER_ROUTER.set(hex('3f 01 4d 6f'), 8); // TTL 63; checksum + 0x0100 (as captured on the far side)

const ECHO_HEADER: Ipv4Header = {
  tos: 0,
  totalLength: 60,
  id: 0x1750,
  df: false,
  mf: false,
  fragmentOffset: 0,
  ttl: 64,
  protocol: IPPROTO_ICMP,
  checksum: 0x4c6f,
  src: 0x0a_00_01_01,
  dst: 0x0a_00_02_02,
  options: new Uint8Array(0),
};

// A 100-byte UDP datagram sent without DF from 10.0.1.1 (captured before the router), and the three
// fragments the Linux router made of it for its 68-byte-MTU link (captured after): 48 + 48 + 12 data bytes.
const BIG_UDP = concat(
  hex(`
    45 00 00 80   // IHL 5, total length 128
    0e ac 00 00   // id 0x0eac, no flags, offset 0
    40 11 54 bf   // TTL 64, UDP, checksum
    0a 00 01 01 0a 00 02 02
    9c 42 00 09 00 6c af fa  // UDP 40002 -> 9, length 108, checksum
  `),
  Uint8Array.from({ length: 100 }, (_, i) => i),
);
const KERNEL_FRAGMENTS = [
  hex(`45 00 00 44 0e ac 20 00 3f 11 35 fb 0a 00 01 01 0a 00 02 02  // total 68, MF, offset 0, TTL 63
       9c 42 00 09 00 6c af fa 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15
       16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25 26 27`),
  hex(`45 00 00 44 0e ac 20 06 3f 11 35 f5 0a 00 01 01 0a 00 02 02  // total 68, MF, offset 6 (48 bytes)
       28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 44 45
       46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55 56 57`),
  hex(`45 00 00 20 0e ac 00 0c 3f 11 56 13 0a 00 01 01 0a 00 02 02  // total 32, last, offset 12 (96 bytes)
       58 59 5a 5b 5c 5d 5e 5f 60 61 62 63`),
];

describe('ipv4 vectors', () => {
  it('parses the Wikipedia header and emits it back', () => {
    const r = parseIpv4(WIKI_PACKET);
    assert.ok(r.ok);
    const h = r.value.header;
    assert.deepEqual(h, {
      tos: 0,
      totalLength: 115,
      id: 0,
      df: true,
      mf: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IPPROTO_UDP,
      checksum: 0xb861,
      src: 0xc0a80001,
      dst: 0xc0a800c7,
      options: new Uint8Array(0),
    });
    assert.equal(r.value.headerLength, 20);
    assert.equal(r.value.payload.length, 95);
    const out = new Uint8Array(20);
    assert.equal(emitIpv4Header({ ...h, checksum: 0 }, out), 20);
    assert.deepEqual(out, WIKI_HEADER);
  });

  it('parses the captured echo request, and builds it byte for byte', () => {
    const r = parseIpv4(ECHO_PACKET);
    assert.ok(r.ok);
    assert.deepEqual(r.value.header, ECHO_HEADER);
    assert.deepEqual(r.value.payload, ECHO_PACKET.subarray(20));
    const { checksum: _c, totalLength: _t, ...fields } = ECHO_HEADER;
    assert.deepEqual(buildIpv4(fields, ECHO_PACKET.subarray(20)), ECHO_PACKET);
  });

  it('decrements the TTL as the Linux router did', () => {
    const p = ECHO_PACKET.slice();
    assert.equal(decrementTtl(p, 0), 63);
    assert.deepEqual(p, ECHO_AFTER_ROUTER);
  });

  it('fragments exactly as the Linux router did for a 68-byte MTU', () => {
    const p = BIG_UDP.slice();
    decrementTtl(p, 0);
    assert.deepEqual(fragmentIpv4(p, 68), KERNEL_FRAGMENTS);
  });

  it('ignores trailing Ethernet padding', () => {
    const padded = concat(KERNEL_FRAGMENTS[2]!, new Uint8Array(14));
    const r = parseIpv4(padded);
    assert.ok(r.ok);
    assert.equal(r.value.payload.length, 12);
    assert.equal(checkIpv4(padded, 0, padded.length), 'ok');
  });

  it('checks headers at an offset, with the bytes available', () => {
    const frame = concat(new Uint8Array(14), ECHO_PACKET);
    assert.equal(checkIpv4(frame, 14, frame.length - 14), 'ok');
    assert.equal(checkIpv4(frame, 14, 59), 'truncated');
  });

  it('names the field of each rejection', () => {
    const bad = (edit: (b: Uint8Array) => void, len = ECHO_PACKET.length) => {
      const b = ECHO_PACKET.slice(0, len);
      edit(b);
      return b;
    };
    const fixSum = (b: Uint8Array) => {
      b[10] = b[11] = 0;
      const c = internetChecksum(b, 0, (b[0]! & 0xf) * 4);
      b[10] = c >>> 8;
      b[11] = c & 0xff;
    };
    const cases: [Uint8Array, string, string, number, WireErrorCode][] = [
      [ECHO_PACKET.subarray(0, 19), 'truncated', 'header', 0, 'truncated'],
      [bad((b) => (b[0] = 0x65)), 'bad-version', 'version', 0, 'bad-value'],
      [bad((b) => (b[0] = 0x44)), 'bad-ihl', 'ihl', 0, 'bad-length'],
      [bad((b) => (b[0] = 0x4f), 40), 'truncated', 'ihl', 0, 'truncated'], // IHL 15 needs 60 bytes
      [bad((b) => ((b[3] = 19), fixSum(b))), 'bad-total-length', 'totalLength', 2, 'bad-length'],
      [bad(() => undefined, 59), 'truncated', 'totalLength', 2, 'truncated'],
      [bad((b) => ((b[6] = 0x80), fixSum(b))), 'bad-flags', 'flags', 6, 'bad-value'],
      [bad((b) => flipBits(b, 11, 1)), 'bad-checksum', 'checksum', 10, 'bad-checksum'],
    ];
    for (const [bytes, check, field, offset, code] of cases) {
      assert.equal(checkIpv4(bytes, 0, bytes.length), check, field);
      const r = parseIpv4(bytes);
      assert.ok(!r.ok);
      assert.equal(r.error.protocol, 'ipv4');
      assert.equal(r.error.field, field, check);
      assert.equal(r.error.offset, offset);
      assert.equal(r.error.code, code, check);
    }
    const r = parseIpv4(bad((b) => flipBits(b, 11, 1)));
    assert.equal(!r.ok && r.error.reason, 'bad checksum');
  });

  it('fragments: keeps a fitting packet whole, refuses DF, throws on impossible MTUs', () => {
    assert.deepEqual(fragmentIpv4(BIG_UDP, 128), [BIG_UDP]);
    const df = BIG_UDP.slice();
    df[6] = 0x40;
    assert.equal(fragmentIpv4(df, 68), undefined);
    assert.throws(() => fragmentIpv4(BIG_UDP, 27), RangeError);
    assert.throws(() => fragmentIpv4(BIG_UDP.subarray(0, 100), 68), RangeError);
  });

  it('fragments: later fragments carry only options with the copy bit (RFC 791 §3.1)', () => {
    const options = hex(`
      01                    // NOP: not copied
      07 07 04 00 00 00 00  // record route (type 7, copy bit 0), room for 1 address: first fragment only
      94 04 00 00           // router alert (type 0x94, copy bit 1, RFC 2113): copied
    `);
    const { checksum: _c, totalLength: _t, ...fields } = ECHO_HEADER;
    const packet = buildIpv4({ ...fields, options }, new Uint8Array(60));
    const frags = fragmentIpv4(packet, 60)!;
    // [length, IHL]: a 32-byte header + 24 data ((60 - 32) rounded down to 8), then 24 + 32, then 24 + 4.
    assert.deepEqual(
      frags.map((f) => [f.length, f[0]! & 0xf]),
      [
        [56, 8],
        [56, 6],
        [28, 6],
      ],
    );
    for (const f of frags) assert.equal(checkIpv4(f, 0, f.length), 'ok');
    assert.deepEqual(frags[0]!.subarray(20, 32), options);
    assert.deepEqual(frags[1]!.subarray(20, 24), hex('94 04 00 00'));
  });
});

/** A header's settable fields (parse fills in totalLength and checksum). */
type HeaderFields = Omit<Ipv4Header, 'checksum' | 'totalLength'>;

/** Options as an (unvalidated) raw blob, a multiple of 4 up to 40 bytes. */
const rawOptionsArb = fc
  .integer({ min: 0, max: 10 })
  .chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 }));

function headerArb(options: fc.Arbitrary<Uint8Array>): fc.Arbitrary<HeaderFields> {
  return fc
    .record({
      tos: fc.nat({ max: 255 }),
      id: u16Arb,
      df: fc.boolean(),
      mf: fc.boolean(),
      fragmentOffset: fc.nat({ max: 0x1fff }),
      ttl: fc.nat({ max: 255 }),
      protocol: fc.nat({ max: 255 }),
      src: ipv4Arb,
      dst: ipv4Arb,
      options,
    })
    .map((h) => ({ ...h }));
}

const packetArb = fc
  .tuple(headerArb(rawOptionsArb), fc.uint8Array({ maxLength: 80 }))
  .map(([h, payload]) => buildIpv4(h, payload));

describe('ipv4 properties', () => {
  it('parse(build(h, payload)) gives h, the payload, and a header checkIpv4 accepts', () => {
    fc.assert(
      fc.property(headerArb(rawOptionsArb), fc.uint8Array({ maxLength: 80 }), (h, payload) => {
        const bytes = buildIpv4(h, payload);
        const r = parseIpv4(bytes);
        assert.ok(r.ok);
        const { checksum, totalLength, ...fields } = r.value.header;
        assert.deepEqual(fields, h);
        assert.equal(totalLength, bytes.length);
        assert.equal(r.value.headerLength, ipv4HeaderLength(h));
        assert.deepEqual(r.value.payload, payload);
        assert.equal(checksum, (bytes[10]! << 8) | bytes[11]!);
        assert.equal(checkIpv4(bytes, 0, bytes.length), 'ok');
      }),
    );
  });

  it('never throws on arbitrary or mutated bytes, and checkIpv4 agrees with parseIpv4', () => {
    fc.assert(
      fc.property(fc.oneof(bytesArb(), mutatedArb(packetArb)), (b) => {
        const r = parseIpv4(b);
        assert.equal(checkIpv4(b, 0, b.length) === 'ok', r.ok);
        if (r.ok) fragmentIpv4(b, r.value.headerLength + 8);
      }),
      { numRuns: 1000 },
    );
  });

  it('decrementTtl keeps the checksum valid and equal to a full recomputation', () => {
    fc.assert(
      fc.property(
        packetArb.filter((p) => p[8]! > 1),
        (p) => {
          const ttl = p[8]!;
          assert.equal(decrementTtl(p, 0), ttl - 1);
          assert.equal(p[8], ttl - 1);
          assert.equal(checkIpv4(p, 0, p.length), 'ok');
          const r = parseIpv4(p);
          assert.ok(r.ok);
          const again = new Uint8Array(r.value.headerLength);
          emitIpv4Header(r.value.header, again);
          assert.deepEqual(again, p.subarray(0, r.value.headerLength));
        },
      ),
    );
  });

  it('fragments reassemble to the original payload, each within the MTU at 8-byte offsets', () => {
    // Well-formed options: NOP, or type/length/body with the copy bit either way.
    const optionArb = fc.oneof(
      fc.constant(Uint8Array.of(1)),
      fc
        .tuple(fc.constantFrom(0x07, 0x44, 0x83, 0x89, 0x94), fc.uint8Array({ maxLength: 6 }))
        .map(([t, body]) => concat(Uint8Array.of(t, body.length + 2), body)),
    );
    const optionsArb = fc
      .array(optionArb, { maxLength: 6 })
      .map((opts) => concat(...opts))
      .filter((o) => o.length <= 40)
      .map((o) => concat(o, new Uint8Array((4 - (o.length % 4)) % 4)));
    const arb = fc.tuple(headerArb(optionsArb), fc.uint8Array({ maxLength: 600 }), fc.nat({ max: 700 }));
    fc.assert(
      fc.property(arb, ([h, payload, extra]) => {
        const packet = buildIpv4({ ...h, df: false, fragmentOffset: h.fragmentOffset & 0xff }, payload);
        const hl = ipv4HeaderLength(h);
        const mtu = hl + 8 + extra;
        const frags = fragmentIpv4(packet, mtu);
        assert.ok(frags);
        const reassembled = new Uint8Array(payload.length);
        let covered = 0;
        frags.forEach((f, i) => {
          const r = parseIpv4(f);
          assert.ok(r.ok);
          const fh = r.value.header;
          assert.ok(f.length <= mtu);
          assert.equal(fh.id, h.id);
          assert.equal(fh.mf, i < frags.length - 1 || h.mf);
          const at = (fh.fragmentOffset - (h.fragmentOffset & 0xff)) * 8;
          assert.equal(at, covered, 'fragments are in order and contiguous');
          if (i < frags.length - 1) assert.equal(r.value.payload.length % 8, 0);
          if (i === 0) assert.deepEqual(fh.options, h.options);
          else assert.deepEqual(fh.options, copiedOptions(h.options));
          reassembled.set(r.value.payload, at);
          covered += r.value.payload.length;
        });
        assert.equal(covered, payload.length);
        assert.deepEqual(reassembled, payload);
      }),
    );
  });
});

/** A plain reference for well-formed options: those with the copy bit, padded with EOL to 4 bytes. */
function copiedOptions(options: Uint8Array): Uint8Array {
  const kept: number[] = [];
  for (let o = 0; o < options.length && options[o] !== 0;) {
    const len = options[o] === 1 ? 1 : options[o + 1]!;
    if (options[o]! & 0x80) kept.push(...options.subarray(o, o + len));
    o += len;
  }
  while (kept.length % 4) kept.push(0);
  return Uint8Array.from(kept);
}
