/** Tests for the pcap writer and reader: header bytes per the libpcap spec, round trip, truncation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PcapWriter, parsePcap, LINKTYPE_ETHERNET, PCAP_MAGIC_MICROS } from './pcap.js';

test('global header matches the libpcap savefile format, field by field', () => {
  const w = new PcapWriter();
  // pcap-savefile(5) / draft-ietf-opsawg-pcap section 4, all fields little-endian here.
  const expected = Uint8Array.of(
    0x4d,
    0x3c,
    0xb2,
    0xa1, // magic 0xa1b23c4d: nanosecond timestamps
    0x02,
    0x00, // version_major 2
    0x04,
    0x00, // version_minor 4
    0x00,
    0x00,
    0x00,
    0x00, // thiszone 0 (GMT)
    0x00,
    0x00,
    0x00,
    0x00, // sigfigs 0
    0x00,
    0x00,
    0x04,
    0x00, // snaplen 262144 = 0x00040000
    0x01,
    0x00,
    0x00,
    0x00, // linktype 1 = LINKTYPE_ETHERNET
  );
  assert.deepEqual(w.bytes(), expected);
  assert.equal(w.byteLength, 24);
  assert.equal(w.frameCount, 0);
});

test('record header carries seconds, nanoseconds, incl_len and orig_len', () => {
  const w = new PcapWriter();
  w.write(3_000_000_123, Uint8Array.of(0xaa, 0xbb, 0xcc));
  const rec = w.bytes().subarray(24);
  assert.deepEqual(
    rec,
    Uint8Array.of(
      0x03,
      0x00,
      0x00,
      0x00, // ts_sec 3
      0x7b,
      0x00,
      0x00,
      0x00, // ts_nsec 123
      0x03,
      0x00,
      0x00,
      0x00, // incl_len 3
      0x03,
      0x00,
      0x00,
      0x00, // orig_len 3
      0xaa,
      0xbb,
      0xcc,
    ),
  );
});

test('round trip keeps time, length and bytes; the frame is copied at write time', () => {
  const w = new PcapWriter();
  const frame = new Uint8Array(60).map((_, i) => i);
  w.write(0, frame);
  frame.fill(0xff); // the caller reuses its buffer
  w.write(1_500_000_001, frame.subarray(0, 14));
  for (let i = 0; i < 500; i++) w.write(2_000_000_000 + i, frame); // force several growths
  const r = parsePcap(w.bytes());
  assert.ok(r.ok);
  assert.equal(r.value.linktype, LINKTYPE_ETHERNET);
  assert.equal(r.value.nanos, true);
  assert.equal(r.value.records.length, 502);
  assert.equal(w.frameCount, 502);
  const [a, b] = r.value.records;
  assert.equal(a!.timeNs, 0);
  assert.deepEqual(
    a!.data,
    new Uint8Array(60).map((_, i) => i),
  );
  assert.equal(b!.timeNs, 1_500_000_001);
  assert.equal(b!.origLen, 14);
  assert.deepEqual(b!.data, new Uint8Array(14).fill(0xff));
  assert.equal(r.value.records[501]!.timeNs, 2_000_000_499);
});

test('frames longer than snaplen are truncated and keep orig_len', () => {
  const w = new PcapWriter({ snaplen: 64 });
  w.write(5, new Uint8Array(100).fill(7));
  const r = parsePcap(w.bytes());
  assert.ok(r.ok);
  const rec = r.value.records[0]!;
  assert.equal(rec.data.length, 64);
  assert.equal(rec.origLen, 100);
  assert.equal(w.byteLength, 24 + 16 + 64);
});

test('reads microsecond big-endian files', () => {
  const f = new Uint8Array(24 + 16 + 2);
  const v = new DataView(f.buffer);
  v.setUint32(0, PCAP_MAGIC_MICROS, false);
  v.setUint16(4, 2, false);
  v.setUint16(6, 4, false);
  v.setUint32(16, 65535, false);
  v.setUint32(20, 1, false);
  v.setUint32(24, 7, false); // 7 s
  v.setUint32(28, 250_000, false); // 250000 µs
  v.setUint32(32, 2, false);
  v.setUint32(36, 2, false);
  const r = parsePcap(f);
  assert.ok(r.ok);
  assert.equal(r.value.nanos, false);
  assert.equal(r.value.records[0]!.timeNs, 7_250_000_000);
});

test('bad input is reported with field and offset', () => {
  assert.deepEqual(parsePcap(new Uint8Array(10)), {
    ok: false,
    error: {
      protocol: 'pcap',
      field: 'header',
      offset: 0,
      reason: 'file is 10 bytes, shorter than the 24-byte global header',
    },
  });
  const bad = new PcapWriter();
  bad.write(0, new Uint8Array(20));
  const cut = bad.bytes().slice(0, 24 + 16 + 5);
  const r = parsePcap(cut);
  assert.ok(!r.ok);
  assert.equal(r.error.field, 'record[0].data');
  assert.equal(r.error.offset, 40);
  const notPcap = parsePcap(new Uint8Array(24));
  assert.ok(!notPcap.ok);
  assert.equal(notPcap.error.field, 'magic');
});

test('arbitrary bytes never make parsePcap throw', () => {
  const header = new PcapWriter().bytes().slice();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (tail, withHeader) => {
      const input = withHeader ? new Uint8Array([...header, ...tail]) : tail;
      const r = parsePcap(input);
      assert.equal(typeof r.ok, 'boolean');
    }),
    { numRuns: 2000 },
  );
});

test('two writers fed the same frames produce byte-identical files', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat({ max: 4_000_000_000_000 }), fc.uint8Array({ maxLength: 1600 })), { maxLength: 40 }),
      (frames) => {
        const a = new PcapWriter();
        const b = new PcapWriter();
        for (const [t, f] of frames) a.write(t, f);
        for (const [t, f] of frames) b.write(t, f.slice());
        assert.deepEqual(a.bytes(), b.bytes());
        const r = parsePcap(a.bytes());
        assert.ok(r.ok);
        assert.deepEqual(
          r.value.records.map((x) => [x.timeNs, x.data]),
          frames.map(([t, f]) => [t, f]),
        );
      },
    ),
    { numRuns: 200 },
  );
});
