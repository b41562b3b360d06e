/**
 * Tests for the pcapng writer and reader: block bytes per draft-ietf-opsawg-pcapng (annotated field by
 * field), round trip, streaming equal to in-memory, and a reader that never throws. tshark reads the same
 * vector in test/capture-cli.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PcapngWriter, parsePcapng } from './pcapng.js';
import { bytesArb, concat, hex, toHex } from '../wire/testing.js';

/** The draft's blocks for one interface "A-eth0__sw1-p1" and one 5-byte frame at 2^32 + 5 ns. */
const PCAPNG_VECTOR = hex(`
  // Section Header Block (section 4.1)
  0a0d0d0a // block type
  1c000000 // block total length 28
  4d3c2b1a // byte-order magic 0x1A2B3C4D, written little-endian
  0100     // major version 1
  0000     // minor version 0
  ffffffffffffffff // section length -1: not specified
  1c000000 // block total length again
  // Interface Description Block (section 4.2)
  01000000 // block type 1
  34000000 // block total length 52
  0100     // LinkType 1: LINKTYPE_ETHERNET
  0000     // reserved
  00000400 // SnapLen 262144
  0200 0e00 // option if_name (2), 14 bytes
  412d657468305f5f7377312d7031 0000 // "A-eth0__sw1-p1", padded to 32 bits
  0900 0100 // option if_tsresol (9), 1 byte
  09000000 // 9: 10^-9 s, then padding
  0000 0000 // opt_endofopt
  34000000 // block total length again
  // Enhanced Packet Block (section 4.3)
  06000000 // block type 6
  28000000 // block total length 40
  00000000 // interface id 0
  01000000 // timestamp (high) 1
  05000000 // timestamp (low) 5: 2^32 + 5 units of 10^-9 s
  05000000 // captured packet length 5
  05000000 // original packet length 5
  deadbeef01 000000 // packet data, padded to 32 bits
  28000000 // block total length again
`);

test('SHB, IDB and EPB match the draft, byte for byte', () => {
  const w = new PcapngWriter();
  const iface = w.addInterface('A-eth0__sw1-p1');
  assert.equal(iface.id, 0);
  iface.write(0x1_0000_0005, hex('deadbeef01'));
  assert.equal(toHex(w.bytes()), toHex(PCAPNG_VECTOR));
  assert.equal(w.byteLength, PCAPNG_VECTOR.length);
  assert.equal(w.frameCount, 1);
  assert.equal(w.interfaceCount, 1);
});

test('the reader gets back the interface, its resolution and the packet', () => {
  const r = parsePcapng(PCAPNG_VECTOR);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.value.interfaces, [{ linktype: 1, snaplen: 262144, name: 'A-eth0__sw1-p1', tsresol: 9 }]);
  assert.equal(r.value.packets.length, 1);
  const p = r.value.packets[0]!;
  assert.equal(p.interfaceId, 0);
  assert.equal(p.timeNs, 4294967301);
  assert.equal(p.origLen, 5);
  assert.equal(toHex(p.data), 'deadbeef01');
});

test('interfaces added between packets, each packet on its own interface, in file order', () => {
  const w = new PcapngWriter();
  const a = w.addInterface('a');
  a.write(10, hex('01'));
  const b = w.addInterface('b-with-a-longer-name');
  b.write(20, hex('0203'));
  a.write(30, hex('04050607'));
  const r = parsePcapng(w.bytes());
  assert.ok(r.ok);
  assert.deepEqual(
    r.value.interfaces.map((i) => i.name),
    ['a', 'b-with-a-longer-name'],
  );
  assert.deepEqual(
    r.value.packets.map((p) => [p.interfaceId, p.timeNs, toHex(p.data)]),
    [
      [0, 10, '01'],
      [1, 20, '0203'],
      [0, 30, '04050607'],
    ],
  );
});

test('snaplen truncates the captured bytes and keeps the original length', () => {
  const w = new PcapngWriter({ snaplen: 3 });
  w.addInterface('x').write(1, hex('0102030405'));
  const r = parsePcapng(w.bytes());
  assert.ok(r.ok);
  assert.equal(r.value.interfaces[0]!.snaplen, 3);
  assert.equal(toHex(r.value.packets[0]!.data), '010203');
  assert.equal(r.value.packets[0]!.origLen, 5);
});

test('bad timestamps are caller bugs and throw', () => {
  const i = new PcapngWriter().addInterface('x');
  for (const t of [-1, 1.5, Number.NaN, 2 ** 53]) assert.throws(() => i.write(t, hex('00')), RangeError, String(t));
});

test('streamed chunks (a reused buffer) concatenate to the in-memory file, zero padding included', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(3), fc.nat(2 ** 40), bytesArb(3000)), { maxLength: 300 }), (packets) => {
      const parts: Uint8Array[] = [];
      const streamed = new PcapngWriter({ sink: (c) => parts.push(c.slice()) });
      const kept = new PcapngWriter();
      const names = ['p', 'q', 'r', 's'];
      const si = names.map((n) => streamed.addInterface(n));
      const ki = names.map((n) => kept.addInterface(n));
      for (const [i, t, data] of packets) {
        si[i]!.write(t, data);
        ki[i]!.write(t, data);
      }
      streamed.flush();
      assert.deepEqual(concat(...parts), kept.bytes());
      const r = parsePcapng(kept.bytes());
      assert.ok(r.ok);
      assert.deepEqual(
        r.value.packets.map((p) => [p.interfaceId, p.timeNs, toHex(p.data)]),
        packets.map(([i, t, d]) => [i, t, toHex(d)]),
      );
    }),
    { numRuns: 30 },
  );
});

test('the reader never throws and reports where a file is broken', () => {
  fc.assert(
    fc.property(bytesArb(200), (b) => {
      parsePcapng(b);
      parsePcapng(concat(PCAPNG_VECTOR.subarray(0, 28), b));
    }),
  );
  const cut = parsePcapng(PCAPNG_VECTOR.subarray(0, PCAPNG_VECTOR.length - 4));
  assert.ok(!cut.ok);
  assert.equal(cut.error.field, 'block[2].total_length');
  const noIdb = parsePcapng(concat(PCAPNG_VECTOR.subarray(0, 28), PCAPNG_VECTOR.subarray(80)));
  assert.ok(!noIdb.ok);
  assert.equal(noIdb.error.field, 'block[1].interface_id');
});
