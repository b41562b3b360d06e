import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ICMP_DEST_UNREACH,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_FRAG_NEEDED,
  ICMP_PORT_UNREACH,
  ICMP_TIME_EXCEEDED,
  ICMP_TTL_EXCEEDED_IN_TRANSIT,
  type IcmpMessage,
  buildIcmp,
  emitIcmp,
  icmpErrorQuote,
  icmpLength,
  parseIcmp,
} from './icmp.js';
import { bytesArb, concat, flipBits, hex, mutatedArb, u16Arb, u32Arb } from './testing.js';

// All captured with tcpdump on Linux veths: netns 10.0.1.1 talking to 10.0.2.2 through a router
// 10.0.1.254 whose link to 10.0.2.2 has a 68-byte MTU. These are the ICMP parts of the IP packets.
const PING_DATA = hex(
  '61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75 76 77 61 62 63 64 65 66 67 68 69',
); // "abcdefghijklmnopqrstuvwabcdefghi"

const ECHO_REQUEST = concat(
  hex(`
    08      // type 8: echo request
    00      // code 0
    3b 27   // checksum: 0800+1234+0001 + the 16 data words = 0x6c4d2 -> c4d8 -> ~ = 3b27
    12 34   // identifier (the ping socket's bound port)
    00 01   // sequence number 1
  `),
  PING_DATA,
);
// The kernel's answer: the type word 0800 -> 0000, so the checksum rises by 0x0800 (RFC 1624).
const ECHO_REPLY = concat(hex('00 00 43 27 12 34 00 01'), PING_DATA);

// 10.0.2.2 answering a UDP datagram to its closed port 33434. Linux quotes the whole offending packet
// (RFC 1812 §4.3.2.3 allows up to 576 bytes), not just the RFC 792 minimum of header + 8.
const UDP_TO_CLOSED_PORT = hex(`
  45 00 00 23 0d f1 00 00 3f 11 56 d7 0a 00 01 01 0a 00 02 02  // as received there: TTL 63
  9c 40 82 9a 00 0f 85 a0 70 6f 64 6e 65 74 0a                 // UDP 40000 -> 33434, "podnet\\n"
`);
const PORT_UNREACHABLE = concat(
  hex(`
    03           // type 3: destination unreachable
    03           // code 3: port unreachable
    14 20        // checksum
    00 00 00 00  // unused
  `),
  UDP_TO_CLOSED_PORT,
);

// The router answering a UDP datagram sent with TTL 1 (quoted as received, TTL still 1).
const TTL_ONE_UDP = hex(`
  45 00 00 24 0d f3 00 00 01 11 94 d4 0a 00 01 01 0a 00 02 02
  9c 41 82 9b 00 10 14 e1 74 74 6c 20 6f 6e 65 0a  // UDP 40001 -> 33435, "ttl one\\n"
`);
const TIME_EXCEEDED = concat(hex('0b 00 0c 24 00 00 00 00'), TTL_ONE_UDP); // type 11, code 0, checksum, unused

// The router refusing a 128-byte DF datagram for its 68-byte link.
const DF_UDP = concat(
  hex('45 00 00 80 00 00 40 00 40 11 23 6b 0a 00 01 01 0a 00 02 02 9c 43 00 09 00 6c af f9'),
  Uint8Array.from({ length: 100 }, (_, i) => i),
);
const FRAG_NEEDED = concat(
  hex(`
    03 04   // type 3, code 4: fragmentation needed and DF set
    14 38   // checksum
    00 00   // unused
    00 44   // next-hop MTU 68 (RFC 1191 §4)
  `),
  DF_UDP,
);

const VECTORS: [string, Uint8Array, IcmpMessage][] = [
  [
    'echo request',
    ECHO_REQUEST,
    { kind: 'echo', type: ICMP_ECHO_REQUEST, code: 0, id: 0x1234, seq: 1, data: PING_DATA },
  ],
  ['echo reply', ECHO_REPLY, { kind: 'echo', type: ICMP_ECHO_REPLY, code: 0, id: 0x1234, seq: 1, data: PING_DATA }],
  [
    'port unreachable',
    PORT_UNREACHABLE,
    {
      kind: 'unreachable',
      type: ICMP_DEST_UNREACH,
      code: ICMP_PORT_UNREACH,
      nextHopMtu: 0,
      original: UDP_TO_CLOSED_PORT,
    },
  ],
  [
    'time exceeded',
    TIME_EXCEEDED,
    { kind: 'time-exceeded', type: ICMP_TIME_EXCEEDED, code: ICMP_TTL_EXCEEDED_IN_TRANSIT, original: TTL_ONE_UDP },
  ],
  [
    'fragmentation needed',
    FRAG_NEEDED,
    { kind: 'unreachable', type: ICMP_DEST_UNREACH, code: ICMP_FRAG_NEEDED, nextHopMtu: 68, original: DF_UDP },
  ],
];

describe('icmp vectors', () => {
  for (const [name, bytes, message] of VECTORS) {
    it(`parses and builds the captured ${name}`, () => {
      assert.deepEqual(parseIcmp(bytes), { ok: true, value: message });
      assert.equal(icmpLength(message), bytes.length);
      assert.deepEqual(buildIcmp(message), bytes);
    });
  }

  it('keeps unknown types raw', () => {
    // Timestamp request (type 13, RFC 792): identifier 0x0102, sequence 0x0304 stay in `rest`.
    const m: IcmpMessage = { kind: 'other', type: 13, code: 0, rest: 0x01020304, data: new Uint8Array(12) };
    const bytes = buildIcmp(m);
    assert.deepEqual(bytes.subarray(0, 8), hex('0d 00 ee f9 01 02 03 04')); // checksum ~(0d00+0102+0304) = ~1106 = eef9
    assert.deepEqual(parseIcmp(bytes), { ok: true, value: m });
  });

  it('rejects a bad checksum and a short message', () => {
    const bad = ECHO_REQUEST.slice();
    flipBits(bad, bad.length - 1, 0x40);
    assert.deepEqual(parseIcmp(bad), {
      ok: false,
      error: { protocol: 'icmp', field: 'checksum', offset: 2, code: 'bad-checksum', reason: 'bad checksum' },
    });
    const short = parseIcmp(ECHO_REQUEST.subarray(0, 7));
    assert.ok(!short.ok);
    assert.equal(short.error.field, 'header');
  });

  it('emits at an offset and throws when the buffer is too small', () => {
    const buf = new Uint8Array(3 + ECHO_REQUEST.length);
    assert.equal(emitIcmp(VECTORS[0]![2], buf, 3), ECHO_REQUEST.length);
    assert.deepEqual(buf.subarray(3), ECHO_REQUEST);
    assert.throws(() => emitIcmp(VECTORS[0]![2], buf, 4), RangeError);
  });

  it('quotes the IP header and 8 bytes of data (RFC 792), as a copy', () => {
    const quote = icmpErrorQuote(TTL_ONE_UDP);
    assert.deepEqual(quote, TTL_ONE_UDP.subarray(0, 28));
    assert.notEqual(quote.buffer, TTL_ONE_UDP.buffer);
    // A shorter packet is quoted whole, without the Ethernet padding behind it.
    const tiny = hex('45 00 00 18 00 01 00 00 40 11 00 00 0a 00 01 01 0a 00 02 02 01 02 03 04');
    assert.deepEqual(icmpErrorQuote(concat(tiny, new Uint8Array(22))), tiny);
  });
});

const bodyArb = fc.uint8Array({ maxLength: 64 });
const messageArb: fc.Arbitrary<IcmpMessage> = fc.oneof(
  fc
    .record({
      type: fc.constantFrom(0 as const, 8 as const),
      code: fc.nat({ max: 255 }),
      id: u16Arb,
      seq: u16Arb,
      data: bodyArb,
    })
    .map((m) => ({ kind: 'echo' as const, ...m })),
  fc.tuple(fc.nat({ max: 255 }), u16Arb, bodyArb).map(([code, mtu, original]) => ({
    kind: 'unreachable' as const,
    type: 3 as const,
    code,
    nextHopMtu: code === ICMP_FRAG_NEEDED ? mtu : 0,
    original,
  })),
  fc
    .tuple(fc.nat({ max: 255 }), bodyArb)
    .map(([code, original]) => ({ kind: 'time-exceeded' as const, type: 11 as const, code, original })),
  fc
    .record({
      type: fc.nat({ max: 255 }).filter((t) => ![0, 3, 8, 11].includes(t)),
      code: fc.nat({ max: 255 }),
      rest: u32Arb,
      data: bodyArb,
    })
    .map((m) => ({ kind: 'other' as const, ...m })),
);

describe('icmp properties', () => {
  it('parse(build(m)) equals m', () => {
    fc.assert(fc.property(messageArb, (m) => assert.deepEqual(parseIcmp(buildIcmp(m)), { ok: true, value: m })));
  });

  it('never throws on arbitrary or mutated bytes', () => {
    fc.assert(fc.property(fc.oneof(bytesArb(), mutatedArb(messageArb.map(buildIcmp))), (b) => void parseIcmp(b)));
  });

  it('icmpErrorQuote never throws and never quotes more than header + 8', () => {
    fc.assert(
      fc.property(bytesArb(), (b) => {
        const q = icmpErrorQuote(b);
        assert.ok(q.length <= b.length && q.length <= 68);
      }),
    );
  });
});
