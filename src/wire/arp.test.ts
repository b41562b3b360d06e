import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ARP_LEN,
  ARP_OP_REPLY,
  ARP_OP_REQUEST,
  type ArpPacket,
  buildArpFrame,
  emitArp,
  isArpRequestAt,
  parseArp,
} from './arp.js';
import { MAC_BROADCAST } from './addr.js';
import { bytesArb, concat, hex, ipv4Arb, macArb, mutatedArb } from './testing.js';

// Both captured with tcpdump on a Linux veth: netns 10.0.1.1 (02:00:00:00:01:01) resolving its gateway
// 10.0.1.254 (02:00:00:00:01:fe). Linux sends them unpadded, 42 bytes on the wire.
const REQUEST_FRAME = hex(`
  ff ff ff ff ff ff  // eth dst: broadcast
  02 00 00 00 01 01  // eth src
  08 06              // ethertype: ARP
  00 01              // htype: Ethernet
  08 00              // ptype: IPv4
  06 04              // hlen 6, plen 4
  00 01              // op: request
  02 00 00 00 01 01  // sha: 02:00:00:00:01:01
  0a 00 01 01        // spa: 10.0.1.1
  00 00 00 00 00 00  // tha: unknown, zero (RFC 826 leaves it unspecified; Linux sends zeros)
  0a 00 01 fe        // tpa: 10.0.1.254 ("who has 10.0.1.254?")
`);
const REPLY_FRAME = hex(`
  02 00 00 00 01 01  // eth dst: the asker
  02 00 00 00 01 fe  // eth src
  08 06 00 01 08 00 06 04
  00 02              // op: reply
  02 00 00 00 01 fe  // sha: "10.0.1.254 is at 02:00:00:00:01:fe"
  0a 00 01 fe        // spa: 10.0.1.254
  02 00 00 00 01 01  // tha
  0a 00 01 01        // tpa: 10.0.1.1
`);

const REQUEST: ArpPacket = {
  op: ARP_OP_REQUEST,
  senderMac: 0x02_00_00_00_01_01,
  senderIp: 0x0a_00_01_01,
  targetMac: 0,
  targetIp: 0x0a_00_01_fe,
};
const REPLY: ArpPacket = {
  op: ARP_OP_REPLY,
  senderMac: 0x02_00_00_00_01_fe,
  senderIp: 0x0a_00_01_fe,
  targetMac: 0x02_00_00_00_01_01,
  targetIp: 0x0a_00_01_01,
};

describe('arp vectors', () => {
  it('parses the captured request and reply', () => {
    assert.deepEqual(parseArp(REQUEST_FRAME.subarray(14)), { ok: true, value: REQUEST });
    assert.deepEqual(parseArp(REPLY_FRAME.subarray(14)), { ok: true, value: REPLY });
  });

  it('builds the captured frames byte for byte', () => {
    assert.deepEqual(buildArpFrame(REQUEST, 0x02_00_00_00_01_01, MAC_BROADCAST), REQUEST_FRAME);
    assert.deepEqual(buildArpFrame(REPLY, 0x02_00_00_00_01_fe, 0x02_00_00_00_01_01), REPLY_FRAME);
  });

  it('ignores Ethernet padding after the 28 bytes', () => {
    assert.deepEqual(parseArp(concat(REQUEST_FRAME.subarray(14), new Uint8Array(18))), { ok: true, value: REQUEST });
  });

  it('names the field it rejects', () => {
    const cases = [
      { field: 'htype', offset: 0, code: 'unsupported', bytes: [0x00, 0x06] }, // IEEE 802 networks
      { field: 'ptype', offset: 2, code: 'unsupported', bytes: [0x86, 0xdd] }, // IPv6
      { field: 'hlen', offset: 4, code: 'unsupported', bytes: [8] },
      { field: 'plen', offset: 5, code: 'unsupported', bytes: [16] },
      { field: 'op', offset: 6, code: 'bad-value', bytes: [0x00, 0x03] }, // RARP request (RFC 903) is not ARP
    ];
    for (const { field, offset, code, bytes } of cases) {
      const b = REQUEST_FRAME.slice(14);
      b.set(bytes, offset);
      const r = parseArp(b);
      assert.ok(!r.ok, field);
      assert.equal(r.error.field, field);
      assert.equal(r.error.offset, offset);
      assert.equal(r.error.code, code, field);
    }
    const short = parseArp(REQUEST_FRAME.subarray(14, 14 + ARP_LEN - 1));
    assert.ok(!short.ok);
    assert.equal(short.error.field, 'packet');
    assert.equal(short.error.code, 'truncated');
  });

  it('throws when emitting into a buffer that is too small', () => {
    assert.throws(() => emitArp(REQUEST, new Uint8Array(30), 3), RangeError);
  });
});

const arpArb: fc.Arbitrary<ArpPacket> = fc
  .record({
    op: fc.constantFrom(ARP_OP_REQUEST, ARP_OP_REPLY),
    senderMac: macArb,
    senderIp: ipv4Arb,
    targetMac: macArb,
    targetIp: ipv4Arb,
  })
  .map((p) => ({ ...p }));

describe('arp properties', () => {
  it('parse(emit(p)) equals p', () => {
    fc.assert(
      fc.property(arpArb, fc.nat({ max: 8 }), (p, off) => {
        const buf = new Uint8Array(off + ARP_LEN);
        assert.equal(emitArp(p, buf, off), ARP_LEN);
        assert.deepEqual(parseArp(buf.subarray(off)), { ok: true, value: p });
      }),
    );
  });

  it('never throws on arbitrary or mutated bytes', () => {
    const valid = arpArb.map((p) => {
      const b = new Uint8Array(ARP_LEN);
      emitArp(p, b);
      return b;
    });
    fc.assert(fc.property(fc.oneof(bytesArb(), mutatedArb(valid)), (b) => void parseArp(b)));
  });

  it('isArpRequestAt says yes exactly when parseArp accepts a request, at any offset', () => {
    const valid = arpArb.map((p) => {
      const b = new Uint8Array(ARP_LEN);
      emitArp(p, b);
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(bytesArb(), mutatedArb(valid), valid), fc.nat({ max: 4 }), (b, off) => {
        const buf = concat(new Uint8Array(off), b);
        const r = parseArp(b);
        assert.equal(isArpRequestAt(buf, off), r.ok && r.value.op === ARP_OP_REQUEST);
      }),
    );
  });
});
