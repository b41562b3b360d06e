/**
 * DNS messages against real bytes both ways, the FORMERR cases a server must recognise, and fast-check
 * properties: parse(build(m)) equals m, truncation keeps whole records within the limit, arbitrary or
 * mutated bytes never throw.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type DnsMessage,
  type DnsRecord,
  type Edns,
  DNS_EMPTY_HEADER,
  DnsWriter,
  buildDns,
  dnsLength,
  emitDns,
  encodeDns,
  formatLabel,
  fullRcode,
  parseDns,
  peekDnsHeader,
  peekDnsQuestion,
} from './dns.js';
import { bytesArb, concat, hex, mutatedArb, u16Arb, u32Arb } from './testing.js';

// `dig @127.0.0.1 -p 5300 example.com A` as BIND 9.18.49's dig sent it (captured with a Node dgram socket
// on 127.0.0.1:5300; the same query shape is in golden/cases.json for every case).
const DIG_QUERY = hex(`
  17 fd                 // ID 0x17fd (random per dig run)
  01 20                 // flags: QR=0 opcode=0 AA=0 TC=0 RD=1 | RA=0 Z=0 AD=1 CD=0 RCODE=0 (dig sets AD, RFC 6840 5.7)
  00 01 00 00 00 00 00 01 // QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 1 (the OPT record)
  07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 // QNAME example.com.
  00 01 00 01           // QTYPE A, QCLASS IN
  00                    // OPT owner: the root (RFC 6891 6.1.2)
  00 29                 // TYPE OPT (41)
  04 d0                 // CLASS = requestor's UDP payload size 1232
  00 00 00 00           // TTL = extended RCODE 0, VERSION 0, DO 0, Z 0
  00 0c                 // RDLENGTH 12
  00 0a 00 08           // option COOKIE (10), length 8 (RFC 7873: client cookie only)
  5b 33 a2 75 f4 e4 a5 4a // client cookie
`);
const DIG_QUERY_VALUE: DnsMessage = {
  ...DNS_EMPTY_HEADER,
  id: 0x17fd,
  rd: true,
  ad: true,
  questions: [{ name: 'example.com.', type: 1, class: 1 }],
  answers: [],
  authorities: [],
  additionals: [],
  edns: {
    udpSize: 1232,
    extendedRcode: 0,
    version: 0,
    dnssecOk: false,
    z: 0,
    options: [{ code: 10, data: hex('5b33a275f4e4a54a') }],
  },
};

// An NXDOMAIN with the SOA in the authority section, encoded by podnet and accepted by the real dig 9.18,
// which printed golden/nxdomain.txt from these exact bytes. Three compression pointers to offset 0x1d.
const NXDOMAIN = hex(`
  a0 0e                 // ID
  85 03                 // QR=1 opcode=0 AA=1 TC=0 RD=1 | RA=0 Z=0 AD=0 CD=0 RCODE=3 (NXDOMAIN)
  00 01 00 00 00 01 00 01 // QD 1, AN 0, NS 1, AR 1
  04 6e 6f 70 65        // @12 "nope"
  07 64 65 66 61 75 6c 74 // @17 "default"
  03 73 76 63           // @25 "svc"
  07 63 6c 75 73 74 65 72 // @29 = 0x1d "cluster"
  05 6c 6f 63 61 6c 00  // @37 "local", root
  00 01 00 01           // A, IN
  c0 1d                 // owner: pointer to 0x1d, "cluster.local."
  00 06 00 01           // SOA, IN
  00 00 00 1e           // TTL 30
  00 2a                 // RDLENGTH 42
  02 6e 73 03 64 6e 73 c0 1d // MNAME ns.dns + pointer: ns.dns.cluster.local.
  0a 68 6f 73 74 6d 61 73 74 65 72 c0 1d // RNAME hostmaster + pointer
  65 53 f1 00           // SERIAL 1700000000
  00 00 1c 20           // REFRESH 7200
  00 00 07 08           // RETRY 1800
  00 01 51 80           // EXPIRE 86400
  00 00 00 1e           // MINIMUM 30
  00 00 29 04 d0 00 00 00 00 00 0c // OPT: root, type 41, udp 1232, ext-rcode 0, version 0, flags 0, RDLENGTH 12
  00 0a 00 08 f7 13 7e b1 86 7e 1b 7e // COOKIE echoed (client part only, as CoreDNS does)
`);
const SOA: DnsRecord = {
  name: 'cluster.local.',
  class: 1,
  ttl: 30,
  data: {
    type: 'SOA',
    mname: 'ns.dns.cluster.local.',
    rname: 'hostmaster.cluster.local.',
    serial: 1700000000,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: 30,
  },
};
const NXDOMAIN_VALUE: DnsMessage = {
  ...DNS_EMPTY_HEADER,
  id: 0xa00e,
  qr: true,
  aa: true,
  rd: true,
  rcode: 3,
  questions: [{ name: 'nope.default.svc.cluster.local.', type: 1, class: 1 }],
  answers: [],
  authorities: [SOA],
  additionals: [],
  edns: {
    udpSize: 1232,
    extendedRcode: 0,
    version: 0,
    dnssecOk: false,
    z: 0,
    options: [{ code: 10, data: hex('f7137eb1867e1b7e') }],
  },
};

function fails(bytes: Uint8Array): { field: string; offset: number; reason: string; formerr: boolean } {
  const r = parseDns(bytes);
  assert.ok(!r.ok, 'expected a parse failure');
  const { field, offset, reason, formerr } = r.error;
  return { field, offset, reason, formerr };
}

describe('dns vectors', () => {
  it("parses dig's query and builds it byte for byte", () => {
    assert.deepEqual(parseDns(DIG_QUERY), { ok: true, value: DIG_QUERY_VALUE });
    assert.deepEqual(buildDns(DIG_QUERY_VALUE), DIG_QUERY);
    assert.equal(dnsLength(DIG_QUERY_VALUE), DIG_QUERY.length);
  });

  it('parses the NXDOMAIN answer through its pointers, and compresses the same way', () => {
    assert.deepEqual(parseDns(NXDOMAIN), { ok: true, value: NXDOMAIN_VALUE });
    assert.deepEqual(buildDns(NXDOMAIN_VALUE), NXDOMAIN);
  });

  it('starts each message afresh in a reused writer (no pointers into the previous one)', () => {
    const w = new DnsWriter();
    encodeDns(NXDOMAIN_VALUE, 65535, w);
    assert.deepEqual(encodeDns(DIG_QUERY_VALUE, 65535, w).bytes, DIG_QUERY);
    assert.deepEqual(encodeDns(NXDOMAIN_VALUE, 65535, w).bytes, NXDOMAIN);
  });

  it('emits at an offset and throws when it does not fit', () => {
    const buf = new Uint8Array(DIG_QUERY.length + 3);
    assert.equal(emitDns(DIG_QUERY_VALUE, buf, 3), DIG_QUERY.length);
    assert.deepEqual(buf.subarray(3), DIG_QUERY);
    assert.throws(() => emitDns(DIG_QUERY_VALUE, buf, 4), RangeError);
  });

  it('reads the header and question of a message that fails later, for the FORMERR reply', () => {
    const broken = concat(DIG_QUERY, hex('ff'));
    assert.equal(parseDns(broken).ok, false);
    assert.equal(peekDnsHeader(broken)?.id, 0x17fd);
    assert.deepEqual(peekDnsQuestion(broken), { name: 'example.com.', type: 1, class: 1 });
    assert.equal(peekDnsHeader(DIG_QUERY.subarray(0, 11)), undefined);
  });

  it('splits the RCODE between the header and EDNS (RFC 6891 6.1.3)', () => {
    const badvers: DnsMessage = { ...NXDOMAIN_VALUE, rcode: 0, edns: { ...NXDOMAIN_VALUE.edns!, extendedRcode: 1 } };
    assert.equal(fullRcode(badvers), 16);
    assert.equal(fullRcode(NXDOMAIN_VALUE), 3);
  });
});

describe('dns malformed messages', () => {
  const header = (qd: number, an: number, ns: number, ar: number): Uint8Array =>
    hex(`ab cd 01 00 00 ${qd.toString(16).padStart(2, '0')} 00 0${an} 00 0${ns} 00 0${ar}`);
  const cases: [string, Uint8Array, Partial<ReturnType<typeof fails>>][] = [
    ['fewer than 12 bytes: nothing to answer', DIG_QUERY.subarray(0, 11), { field: 'header', formerr: false }],
    [
      'a pointer to itself',
      concat(header(1, 0, 0, 0), hex('c0 0c 00 01 00 01')),
      { field: 'question[0].name', offset: 12, formerr: true },
    ],
    [
      'a forward pointer',
      concat(header(1, 0, 0, 0), hex('c0 12 00 01 00 01 01 61 00')),
      { field: 'question[0].name', offset: 12 },
    ],
    [
      'a two-pointer loop',
      concat(header(1, 0, 0, 0), hex('01 61 c0 0e 00 01 00 01')),
      { field: 'question[0].name', offset: 14 },
    ],
    [
      'a label of 64 (extended label type 01)',
      concat(header(1, 0, 0, 0), hex('40'), new Uint8Array(64), hex('00 00 01 00 01')),
      { field: 'question[0].name', reason: 'label type 0x40 is reserved' },
    ],
    [
      'a name over 255 octets',
      concat(
        header(1, 0, 0, 0),
        ...Array.from({ length: 5 }, () => concat(hex('3f'), new Uint8Array(63).fill(0x61))),
        hex('00 00 01 00 01'),
      ),
      { field: 'question[0].name', reason: 'name longer than 255 octets' },
    ],
    ['a question cut short', concat(header(1, 0, 0, 0), hex('01 61 00 00 01')), { field: 'question[0]', offset: 15 }],
    [
      'a question missing',
      header(1, 0, 0, 0),
      { field: 'question[0].name', reason: 'name runs past the end of the message' },
    ],
    [
      'RDLENGTH beyond the message',
      concat(header(0, 1, 0, 0), hex('00 00 01 00 01 00 00 00 3c 00 08 0a 00 00 01')),
      { field: 'answer[0].rdlength' },
    ],
    [
      'an A record of 5 bytes',
      concat(header(0, 1, 0, 0), hex('00 00 01 00 01 00 00 00 3c 00 05 0a 00 00 01 02')),
      { field: 'answer[0].rdata', reason: 'A RDATA is 5 bytes, not 4' },
    ],
    [
      'a CNAME whose name runs past RDLENGTH',
      concat(header(0, 1, 0, 0), hex('00 00 05 00 01 00 00 00 3c 00 02 01 61 00')),
      { field: 'answer[0].target' },
    ],
    [
      'a TXT string past RDLENGTH',
      concat(header(0, 1, 0, 0), hex('00 00 10 00 01 00 00 00 3c 00 02 05 61')),
      { field: 'answer[0].rdata' },
    ],
    [
      'two OPT records (RFC 6891 6.1.1)',
      concat(header(0, 0, 0, 2), hex('00 00 29 04 d0 00 00 00 00 00 00'), hex('00 00 29 04 d0 00 00 00 00 00 00')),
      { field: 'additional[1]', reason: 'more than one OPT record (RFC 6891 6.1.1)' },
    ],
    [
      'OPT in the answer section',
      concat(header(0, 1, 0, 0), hex('00 00 29 04 d0 00 00 00 00 00 00')),
      { field: 'answer[0]' },
    ],
    [
      'OPT with an owner name',
      concat(header(0, 0, 0, 1), hex('01 61 00 00 29 04 d0 00 00 00 00 00 00')),
      { field: 'additional[0].name' },
    ],
    [
      'an EDNS option overrunning the OPT',
      concat(header(0, 0, 0, 1), hex('00 00 29 04 d0 00 00 00 00 00 06 00 0a 00 08 01 02')),
      { field: 'additional[0].option' },
    ],
    [
      'bytes after the last record',
      concat(DIG_QUERY, hex('00')),
      { field: 'message', offset: DIG_QUERY.length, reason: '1 bytes after the last record' },
    ],
  ];
  for (const [name, bytes, expected] of cases) {
    it(`rejects ${name}`, () => {
      const got = fails(bytes);
      for (const [k, v] of Object.entries(expected)) assert.equal(got[k as keyof typeof got], v, `${k}: ${got.reason}`);
      if (expected.formerr === undefined) assert.equal(got.formerr, true);
    });
  }

  it('accepts a pointer to a suffix of an earlier name, as compression intends', () => {
    const m = concat(
      header(2, 0, 0, 0),
      hex('03 77 77 77 07 65 78 61 6d 70 6c 65 00 00 01 00 01'),
      hex('01 61 c0 10 00 01 00 01'),
    );
    const r = parseDns(m);
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.questions.map((q) => q.name),
      ['www.example.', 'a.example.'],
    );
  });
});

// ---- properties -----------------------------------------------------------------------------------------

const labelArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .constantFrom('a', 'svc', 'cluster', 'local', 'Example', 'default', '_tcp', 'xn--p1ai')
    .map((s) => new TextEncoder().encode(s)),
  fc.uint8Array({ minLength: 1, maxLength: 63 }),
);
/** Absolute names in canonical text, at most 255 octets on the wire. */
const nameArb: fc.Arbitrary<string> = fc.array(labelArb, { maxLength: 5 }).map((labels) => {
  const kept: Uint8Array[] = [];
  let wire = 1;
  for (const l of labels) {
    if (wire + 1 + l.length > 255) break;
    kept.push(l);
    wire += 1 + l.length;
  }
  return kept.length === 0 ? '.' : kept.map((l) => formatLabel(l)).join('.') + '.';
});
const ttlArb = u32Arb;
const rdataArb = fc.oneof(
  u32Arb.map((address) => ({ type: 'A' as const, address })),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((address) => ({ type: 'AAAA' as const, address })),
  nameArb.map((target) => ({ type: 'CNAME' as const, target })),
  nameArb.map((target) => ({ type: 'NS' as const, target })),
  nameArb.map((target) => ({ type: 'PTR' as const, target })),
  fc
    .record({
      mname: nameArb,
      rname: nameArb,
      serial: u32Arb,
      refresh: u32Arb,
      retry: u32Arb,
      expire: u32Arb,
      minimum: u32Arb,
    })
    .map((s) => ({ type: 'SOA' as const, ...s })),
  fc
    .record({ priority: u16Arb, weight: u16Arb, port: u16Arb, target: nameArb })
    .map((s) => ({ type: 'SRV' as const, ...s })),
  fc
    .array(fc.uint8Array({ maxLength: 255 }), { minLength: 1, maxLength: 3 })
    .map((strings) => ({ type: 'TXT' as const, strings })),
  fc
    .record({
      code: u16Arb.filter((c) => ![1, 2, 5, 6, 12, 16, 28, 33, 41].includes(c)),
      data: fc.uint8Array({ maxLength: 40 }),
    })
    .map((u) => ({ type: 'UNKNOWN' as const, ...u })),
);
/** fc.record builds objects without a prototype; deepStrictEqual wants plain ones like the parser's. */
const plain = <T extends object>(o: T): T => ({ ...o });
const recordArb: fc.Arbitrary<DnsRecord> = fc.oneof(
  fc.record({ name: nameArb, class: fc.constant(1), ttl: ttlArb, data: rdataArb }).map(plain),
  // outside class IN every type is raw (RFC 3597), except OPT which is never a record
  fc
    .record({
      name: nameArb,
      class: u16Arb.filter((c) => c !== 1),
      ttl: ttlArb,
      data: fc
        .record({ code: u16Arb.filter((c) => c !== 41), data: fc.uint8Array({ maxLength: 20 }) })
        .map((u) => ({ type: 'UNKNOWN' as const, ...u })),
    })
    .map(plain),
);
const ednsArb: fc.Arbitrary<Edns> = fc
  .record({
    udpSize: u16Arb,
    extendedRcode: fc.integer({ min: 0, max: 255 }),
    version: fc.integer({ min: 0, max: 255 }),
    dnssecOk: fc.boolean(),
    z: fc.integer({ min: 0, max: 0x7fff }),
    options: fc.array(fc.record({ code: u16Arb, data: fc.uint8Array({ maxLength: 20 }) }).map(plain), { maxLength: 3 }),
  })
  .map(plain);
const messageArb: fc.Arbitrary<DnsMessage> = fc
  .record({
    id: u16Arb,
    qr: fc.boolean(),
    opcode: fc.integer({ min: 0, max: 15 }),
    aa: fc.boolean(),
    tc: fc.boolean(),
    rd: fc.boolean(),
    ra: fc.boolean(),
    z: fc.boolean(),
    ad: fc.boolean(),
    cd: fc.boolean(),
    rcode: fc.integer({ min: 0, max: 15 }),
    questions: fc.array(fc.record({ name: nameArb, type: u16Arb, class: u16Arb }).map(plain), { maxLength: 2 }),
    answers: fc.array(recordArb, { maxLength: 4 }),
    authorities: fc.array(recordArb, { maxLength: 2 }),
    additionals: fc.array(recordArb, { maxLength: 2 }),
    edns: fc.option(ednsArb, { nil: undefined }),
  })
  .map(({ edns, ...m }) => (edns === undefined ? m : { ...m, edns }));

describe('dns properties', () => {
  it('parse(build(m)) gives m back', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        assert.deepEqual(parseDns(buildDns(m)), { ok: true, value: m });
      }),
      { numRuns: 500 },
    );
  });

  it('truncation keeps whole records, stays within the limit and sets TC only for answer/authority', () => {
    fc.assert(
      fc.property(messageArb, fc.integer({ min: 512, max: 1500 }), (m0, limit) => {
        const m = { ...m0, tc: false, questions: m0.questions.slice(0, 1) };
        let enc;
        try {
          enc = encodeDns(m, limit);
        } catch {
          return; // header, question and OPT alone exceed the limit: a caller bug, reported by throwing
        }
        assert.ok(enc.bytes.length <= limit);
        const r = parseDns(enc.bytes);
        assert.ok(r.ok);
        const back = r.value;
        assert.equal(back.tc, enc.truncated);
        assert.deepEqual(back.answers, m.answers.slice(0, back.answers.length));
        assert.deepEqual(back.authorities, m.authorities.slice(0, back.authorities.length));
        assert.deepEqual(back.additionals, m.additionals.slice(0, back.additionals.length));
        assert.deepEqual(back.edns, m.edns);
        const full = back.answers.length === m.answers.length && back.authorities.length === m.authorities.length;
        assert.equal(enc.truncated, !full);
        if (!enc.truncated) assert.equal(back.additionals.length + enc.droppedAdditional, m.additionals.length);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary or mutated bytes', () => {
    const valid = messageArb.map((m) => buildDns(m));
    fc.assert(
      fc.property(fc.oneof(bytesArb(300), mutatedArb(valid)), (b) => {
        const r = parseDns(b);
        if (!r.ok) assert.equal(r.error.formerr, b.length >= 12);
        peekDnsHeader(b);
        peekDnsQuestion(b);
      }),
      { numRuns: 2000 },
    );
  });
});
