import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_VLAN,
  type EthernetFrame,
  buildEthernet,
  emitEthernet,
  etherTypeAt,
  ethernetLength,
  hasVlanTag,
  insertVlanTag,
  parseEthernet,
  stripVlanTag,
  vlanIdAt,
} from './ethernet.js';
import { bytesArb, concat, hex, macArb, mutatedArb } from './testing.js';

// An ARP request captured with tcpdump on a Linux veth (netns 10.0.1.1 asking for its gateway 10.0.1.254).
// The kernel sends it unpadded: 42 bytes, below the 60-byte minimum (veth does not pad).
const ARP_REQUEST_FRAME = hex(`
  ff ff ff ff ff ff  // dst: broadcast
  02 00 00 00 01 01  // src: 02:00:00:00:01:01
  08 06              // ethertype: ARP
  00 01 08 00 06 04 00 01 02 00 00 00 01 01 0a 00 01 01 00 00 00 00 00 00 0a 00 01 fe  // ARP (arp.test.ts)
`);

// The ICMP echo request from the same capture, with an 802.1Q tag inserted by hand after the source MAC
// (the capture host has no 8021q module). tshark decodes it as "802.1Q Virtual LAN, PRI: 5, DEI: 0, ID: 10".
const IP_PACKET = hex(
  '45 00 00 3c 17 50 00 00 40 01 4c 6f 0a 00 01 01 0a 00 02 02 08 00 3b 27 12 34 00 01 6162636465666768696a6b6c6d6e6f7071727374757677616263646566676869',
);
const TAGGED_FRAME = concat(
  hex(`
    02 00 00 00 01 fe  // dst: 02:00:00:00:01:fe
    02 00 00 00 01 01  // src: 02:00:00:00:01:01
    81 00              // TPID: 802.1Q
    a0 0a              // TCI: PCP 5 (101), DEI 0 (0), VID 10 (0000 0000 1010); IEEE 802.1Q §9.6
    08 00              // ethertype: IPv4
  `),
  IP_PACKET,
);

describe('ethernet vectors', () => {
  it('parses a captured ARP request frame', () => {
    const r = parseEthernet(ARP_REQUEST_FRAME);
    assert.ok(r.ok);
    assert.equal(r.value.dst, 0xffff_ffff_ffff);
    assert.equal(r.value.src, 0x02_00_00_00_01_01);
    assert.equal(r.value.vlan, undefined);
    assert.equal(r.value.ethertype, ETHERTYPE_ARP);
    assert.equal(r.value.payload.length, 28);
    assert.equal(r.value.payload.buffer, ARP_REQUEST_FRAME.buffer, 'payload is a view, not a copy');
    assert.deepEqual(buildEthernet(r.value), ARP_REQUEST_FRAME);
  });

  it('parses and re-emits an 802.1Q-tagged frame', () => {
    const r = parseEthernet(TAGGED_FRAME);
    assert.ok(r.ok);
    assert.deepEqual(r.value.vlan, { pcp: 5, dei: false, vid: 10 });
    assert.equal(r.value.ethertype, ETHERTYPE_IPV4);
    assert.deepEqual(r.value.payload, IP_PACKET);
    assert.equal(ethernetLength(r.value), TAGGED_FRAME.length);
    assert.deepEqual(buildEthernet(r.value), TAGGED_FRAME);
    assert.equal(etherTypeAt(TAGGED_FRAME), ETHERTYPE_VLAN);
    assert.ok(hasVlanTag(TAGGED_FRAME));
    assert.equal(vlanIdAt(TAGGED_FRAME), 10);
  });

  it('inserts and strips a tag in place of a switch trunk port', () => {
    const untagged = buildEthernet({
      dst: 0x02_00_00_00_01_fe,
      src: 0x02_00_00_00_01_01,
      ethertype: ETHERTYPE_IPV4,
      payload: IP_PACKET,
    });
    const tagged = insertVlanTag(untagged, 10, 5);
    assert.deepEqual(tagged, TAGGED_FRAME);
    const stripped = stripVlanTag(tagged);
    assert.deepEqual(stripped, untagged);
    assert.equal(stripped.buffer, tagged.buffer, 'stripping does not allocate');
    assert.equal(stripped.byteOffset, tagged.byteOffset + 4);
  });

  it('refuses to strip an untagged frame (a caller bug)', () => {
    assert.throws(() => stripVlanTag(ARP_REQUEST_FRAME.slice()), RangeError);
  });

  it('rejects short frames, VID 4095 and 802.3 length fields', () => {
    assert.deepEqual(parseEthernet(ARP_REQUEST_FRAME.subarray(0, 13)), {
      ok: false,
      error: {
        protocol: 'ethernet',
        field: 'header',
        offset: 0,
        code: 'truncated',
        reason: 'truncated: 13 of 14 bytes',
      },
    });
    const shortTag = parseEthernet(TAGGED_FRAME.subarray(0, 17));
    assert.ok(!shortTag.ok);
    assert.equal(shortTag.error.field, 'vlan');
    assert.equal(shortTag.error.code, 'truncated');
    const reserved = TAGGED_FRAME.slice();
    reserved[14] = 0x0f;
    reserved[15] = 0xff;
    const r = parseEthernet(reserved);
    assert.ok(!r.ok);
    assert.equal(r.error.field, 'vlan.vid');
    assert.equal(r.error.code, 'bad-value');
    const llc = ARP_REQUEST_FRAME.slice();
    llc[12] = 0x00;
    llc[13] = 0x1c; // an IEEE 802.3 length (28), not an ethertype
    const l = parseEthernet(llc);
    assert.ok(!l.ok);
    assert.equal(l.error.reason, 'not Ethernet II');
    assert.equal(l.error.code, 'unsupported');
    assert.equal(l.error.offset, 12);
  });

  it('throws when emitting into a buffer that is too small', () => {
    const f: EthernetFrame = { dst: 1, src: 2, ethertype: ETHERTYPE_IPV4, payload: new Uint8Array(10) };
    assert.throws(() => emitEthernet(f, new Uint8Array(23)), RangeError);
    assert.equal(emitEthernet(f, new Uint8Array(30), 6), 24);
  });
});

// fc.record builds null-prototype objects; spreading gives the plain objects parse returns.
const vlanArb = fc
  .record({ pcp: fc.integer({ min: 0, max: 7 }), dei: fc.boolean(), vid: fc.integer({ min: 0, max: 4094 }) })
  .map((v) => ({ ...v }));
const frameArb: fc.Arbitrary<EthernetFrame> = fc
  .record({
    dst: macArb,
    src: macArb,
    vlan: fc.option(vlanArb, { nil: undefined }),
    ethertype: fc.integer({ min: 0x0600, max: 0xffff }),
    payload: fc.uint8Array({ maxLength: 64 }),
  })
  .map(({ vlan, ...rest }) => (vlan ? { ...rest, vlan } : rest));

describe('ethernet properties', () => {
  it('parse(build(f)) equals f', () => {
    fc.assert(
      fc.property(frameArb, (f) => {
        const r = parseEthernet(buildEthernet(f));
        assert.ok(r.ok);
        assert.deepEqual(r.value, f);
      }),
    );
  });

  it('strip(insert(frame)) gives the frame back, and the tag reads back', () => {
    fc.assert(
      fc.property(frameArb, fc.integer({ min: 0, max: 4094 }), fc.integer({ min: 0, max: 7 }), (f, vid, pcp) => {
        const untagged = buildEthernet({ ...f, vlan: undefined });
        const tagged = insertVlanTag(untagged, vid, pcp);
        assert.equal(vlanIdAt(tagged), vid);
        const r = parseEthernet(tagged);
        assert.ok(r.ok);
        assert.deepEqual(r.value.vlan, { pcp, dei: false, vid });
        assert.deepEqual(stripVlanTag(tagged), untagged);
      }),
    );
  });

  it('never throws on arbitrary or mutated bytes', () => {
    fc.assert(fc.property(fc.oneof(bytesArb(), mutatedArb(frameArb.map(buildEthernet))), (b) => void parseEthernet(b)));
  });
});
