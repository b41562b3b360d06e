import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Bpdu, type ConfigBpdu, buildBpduFrame, parseBpdu, parseBpduFrame } from './stp.js';
import { bytesArb, hex, macArb, mutatedArb, u16Arb, u32Arb } from './testing.js';

// Captured with tcpdump on a veth port of a Linux 6.x bridge (`ip link add br0 type bridge stp_state 1`,
// br0 address 02:00:00:00:00:0b, ports vb3 = port 1, vb1 = port 2) joined to a root bridge 02:00:00:00:00:0a.
// Linux hands the frame to the driver unpadded: 52 bytes for a config BPDU, 21 for a TCN.
const RELAYED_CONFIG = hex(`
  01 80 c2 00 00 00  // dst: Bridge Group Address
  02 00 00 00 0b 03  // src: the port's own MAC (vb3)
  00 26              // 802.3 length: 38 = 3 LLC + 35 BPDU
  42 42 03           // LLC DSAP 0x42, SSAP 0x42, UI
  00 00              // protocol identifier 0
  00                 // version 0 (802.1D STP)
  00                 // type: Configuration BPDU
  00                 // flags: none
  80 00 02 00 00 00 00 0a  // root id 8000.02:00:00:00:00:0a
  00 00 00 02        // root path cost 2 (one veth hop: 10 Gb/s -> 2)
  80 00 02 00 00 00 00 0b  // bridge id 8000.02:00:00:00:00:0b
  80 01              // port id 0x8001: priority 32 << 10 | port 1
  00 01              // message age 1/256 s (Linux MESSAGE_AGE_INCR)
  14 00              // max age 20 s
  02 00              // hello time 2 s
  0f 00              // forward delay 15 s
`);
const ROOT_TC_ACK = hex(`
  01 80 c2 00 00 00 02 00 00 00 0a 01 00 26 42 42 03
  00 00 00 00
  81                 // flags: TCA 0x80 | TC 0x01 (the root answering a TCN)
  80 00 02 00 00 00 00 0a  00 00 00 00  80 00 02 00 00 00 00 0a  80 01
  00 00 14 00 02 00 0f 00
`);
const TCN = hex(`
  01 80 c2 00 00 00 02 00 00 00 0b 01
  00 07              // 802.3 length: 3 LLC + 4 BPDU
  42 42 03
  00 00 00 80        // protocol 0, version 0, type 0x80: Topology Change Notification
`);

const RELAYED: ConfigBpdu = {
  type: 'config',
  topologyChange: false,
  topologyChangeAck: false,
  root: { priority: 0x8000, mac: 0x02_00_00_00_00_0a },
  rootPathCost: 2,
  bridge: { priority: 0x8000, mac: 0x02_00_00_00_00_0b },
  portId: 0x8001,
  messageAge: 1,
  maxAge: 20 * 256,
  helloTime: 2 * 256,
  forwardDelay: 15 * 256,
};
const TC_ACK: ConfigBpdu = {
  ...RELAYED,
  topologyChange: true,
  topologyChangeAck: true,
  rootPathCost: 0,
  bridge: RELAYED.root,
  messageAge: 0,
};

describe('stp vectors', () => {
  it('parses the captured frames', () => {
    assert.deepEqual(parseBpduFrame(RELAYED_CONFIG), { ok: true, value: RELAYED });
    assert.deepEqual(parseBpduFrame(ROOT_TC_ACK), { ok: true, value: TC_ACK });
    assert.deepEqual(parseBpduFrame(TCN), { ok: true, value: { type: 'tcn' } });
  });

  it('builds them byte for byte', () => {
    assert.deepEqual(buildBpduFrame(RELAYED, 0x02_00_00_00_0b_03), RELAYED_CONFIG);
    assert.deepEqual(buildBpduFrame(TC_ACK, 0x02_00_00_00_0a_01), ROOT_TC_ACK);
    assert.deepEqual(buildBpduFrame({ type: 'tcn' }, 0x02_00_00_00_0b_01), TCN);
  });

  it('ignores NIC padding after the length field, and rejects what Linux br_stp_rcv rejects', () => {
    const padded = new Uint8Array(60);
    padded.set(TCN);
    assert.deepEqual(parseBpduFrame(padded), { ok: true, value: { type: 'tcn' } });
    const rstp = RELAYED_CONFIG.slice();
    rstp[19] = 2; // version 2: an RSTP BPDU
    const r = parseBpduFrame(rstp);
    assert.ok(!r.ok && r.error.field === 'version' && r.error.offset === 19);
    const ipv4 = RELAYED_CONFIG.slice();
    ipv4[12] = 0x08; // 0x0826 is an ethertype, not a length
    assert.ok(!parseBpduFrame(ipv4).ok);
    assert.ok(!parseBpduFrame(RELAYED_CONFIG.subarray(0, 40)).ok, 'length field says more than the frame has');
    const snap = RELAYED_CONFIG.slice();
    snap[14] = 0xaa;
    const s = parseBpduFrame(snap);
    assert.ok(!s.ok && s.error.field === 'dsap');
  });
});

const bridgeIdArb = fc.record({ priority: u16Arb, mac: macArb });
const bpduArb: fc.Arbitrary<Bpdu> = fc.oneof(
  fc.constant<Bpdu>({ type: 'tcn' }),
  fc.record({
    type: fc.constant('config' as const),
    topologyChange: fc.boolean(),
    topologyChangeAck: fc.boolean(),
    root: bridgeIdArb,
    rootPathCost: u32Arb,
    bridge: bridgeIdArb,
    portId: u16Arb,
    messageAge: u16Arb,
    maxAge: u16Arb,
    helloTime: u16Arb,
    forwardDelay: u16Arb,
  }),
);

describe('stp properties', () => {
  it('parse(build(b)) is b', () => {
    fc.assert(
      fc.property(bpduArb, macArb, (b, src) => {
        // fc.record builds null-prototype objects; compare as plain data
        assert.deepEqual(parseBpduFrame(buildBpduFrame(b, src)), {
          ok: true,
          value: JSON.parse(JSON.stringify(b)) as Bpdu,
        });
      }),
    );
  });

  it('never throws on arbitrary or mutated bytes', () => {
    fc.assert(
      fc.property(fc.oneof(bytesArb(80), mutatedArb(bpduArb.map((b) => buildBpduFrame(b, 2)))), (bytes) => {
        parseBpduFrame(bytes);
        parseBpdu(bytes);
      }),
    );
  });
});
