/**
 * 802.1Q sub-interfaces as Linux's 8021q makes them, seen from the wire: a probe on the trunk sends tagged
 * frames built by hand and parses what the node sends back. The expected bytes follow IEEE 802.1Q (TPID
 * 0x8100, then PCP/DEI/VID) and the kernel's receive order in net/core/dev.c (__netif_receive_skb_core:
 * VLAN device first; VID 0 is a priority tag for the parent; an unknown VID is PACKET_OTHERHOST). This
 * kernel has no 8021q module, so these are not compared with a namespace here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../sim/engine.js';
import { Network } from '../link/device.js';
import { FrameProbe } from '../link/testing.js';
import { MAC_BROADCAST, parseIpv4, type Ipv4 } from '../wire/addr.js';
import { ARP_OP_REPLY, ARP_OP_REQUEST, buildArpFrame, parseArp } from '../wire/arp.js';
import { ETHERTYPE_ARP, ETHERTYPE_VLAN, insertVlanTag } from '../wire/ethernet.js';
import { readU16 } from '../wire/bytes.js';
import { IpNode } from './ip-node.js';
import { VlanDev } from './vlan.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;
const R_MAC = 0x02_00_00_00_00_01;
const PROBE_MAC = 0x02_00_00_00_00_99;

/** R with eth0 (10.0.0.1/24, untagged) and eth0.10 (10.0.10.1/24) and eth0.20 (own MAC, 10.0.20.1/24). */
function trunk() {
  const engine = new Engine(1);
  const net = new Network(engine);
  const r = new IpNode(net, 'R', { forwarding: true });
  const eth0 = r.addNic('eth0', R_MAC);
  r.addAddress('eth0', { addr: ip('10.0.0.1'), len: 24 });
  r.addDev(new VlanDev(eth0, { name: 'eth0.10', id: 10 }));
  r.addAddress('eth0.10', { addr: ip('10.0.10.1'), len: 24 });
  r.addDev(new VlanDev(eth0, { name: 'eth0.20', id: 20, mac: 0x02_00_00_00_00_20 }));
  r.addAddress('eth0.20', { addr: ip('10.0.20.1'), len: 24 });
  const probe = new FrameProbe(net, 'probe');
  net.connect(probe.addPort('p0'), r.port('eth0')!);
  return { engine, r, probe };
}

/** A who-has for `target` from the probe (as 10.0.x.99), tagged with `vid` when given. */
function whoHas(target: string, vid?: number): Uint8Array {
  const t = ip(target);
  const frame = buildArpFrame(
    { op: ARP_OP_REQUEST, senderMac: PROBE_MAC, senderIp: ((t & 0xffffff00) | 99) >>> 0, targetMac: 0, targetIp: t },
    PROBE_MAC,
    MAC_BROADCAST,
  );
  return vid === undefined ? frame : insertVlanTag(frame, vid);
}

describe('802.1Q sub-interfaces (eth0.10)', () => {
  it('answers ARP for its address tagged with its VID, from the parent MAC, on the parent wire', () => {
    const { engine, probe } = trunk();
    probe.send(whoHas('10.0.10.1', 10));
    engine.run();
    assert.equal(probe.got.length, 1);
    const f = probe.got[0]!;
    assert.equal(f.length, 42 + 4, 'an ARP frame plus the 4-byte tag');
    assert.equal(readU16(f, 12), ETHERTYPE_VLAN);
    assert.equal(readU16(f, 14), 10, 'PCP 0, DEI 0, VID 10');
    assert.equal(readU16(f, 16), ETHERTYPE_ARP);
    const a = parseArp(f.subarray(18));
    assert.ok(a.ok);
    assert.equal(a.value.op, ARP_OP_REPLY);
    assert.equal(a.value.senderIp, ip('10.0.10.1'));
    assert.equal(a.value.senderMac, R_MAC, 'a VLAN device has its parent MAC unless set');
  });

  it('a VLAN device with its own MAC answers from it, and frames to that MAC are not dropped by the parent', () => {
    const { engine, probe, r } = trunk();
    probe.send(whoHas('10.0.20.1', 20));
    engine.run();
    const a = parseArp(probe.got[0]!.subarray(18));
    assert.ok(a.ok);
    assert.equal(a.value.senderMac, 0x02_00_00_00_00_20);
    assert.equal(readU16(probe.got[0]!, 14), 20);
    assert.equal(r.drops['not-for-us'] ?? 0, 0);
  });

  it('an untagged frame stays on the parent: ARP for eth0.10 address on eth0 gets the reply untagged', () => {
    const { engine, probe } = trunk();
    probe.send(whoHas('10.0.0.1'));
    engine.run();
    assert.equal(probe.got.length, 1);
    assert.equal(readU16(probe.got[0]!, 12), ETHERTYPE_ARP);
  });

  it('VID 0 is a priority tag: the parent takes the frame and answers untagged', () => {
    const { engine, probe } = trunk();
    probe.send(whoHas('10.0.0.1', 0));
    engine.run();
    assert.equal(probe.got.length, 1);
    assert.equal(readU16(probe.got[0]!, 12), ETHERTYPE_ARP);
    const a = parseArp(probe.got[0]!.subarray(14));
    assert.ok(a.ok && a.value.senderIp === ip('10.0.0.1'));
  });

  it('a VID with no device is dropped as vlan-mismatch, naming the VID and the parent', () => {
    const { engine, probe, r } = trunk();
    const details: string[] = [];
    r.network.tracer = { drop: (_t, _d, _p, reason, detail) => details.push(`${reason}: ${detail}`) };
    probe.send(whoHas('10.0.30.1', 30));
    engine.run();
    assert.equal(probe.got.length, 0);
    assert.equal(r.drops['vlan-mismatch'], 1);
    assert.deepEqual(details, ['vlan-mismatch: eth0 has no VLAN device for VID 30']);
  });

  it('a tagged frame too short for its tag is malformed, not a crash', () => {
    const { engine, probe, r } = trunk();
    probe.send(Uint8Array.of(...whoHas('10.0.10.1', 10).subarray(0, 16)));
    engine.run();
    assert.equal(r.drops.malformed, 1);
  });

  it('routes between two VLAN devices: a packet in on eth0.10 goes out on eth0.20 with tag 20', () => {
    const { engine, probe, r } = trunk();
    // the probe is 10.0.10.99 and 10.0.20.99 on both VLANs; R learns both by ARP
    r.addPermanentNeighbor('eth0.20', ip('10.0.20.99'), PROBE_MAC);
    r.addPermanentNeighbor('eth0.10', ip('10.0.10.99'), PROBE_MAC);
    const ipPacket = [
      0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 10, 99, 10, 0, 20, 99, 8, 0, 0xf7, 0xfe, 0, 1, 0, 0,
    ];
    const frame = new Uint8Array(14 + ipPacket.length);
    frame.set([0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x99, 0x08, 0x00]);
    frame.set(ipPacket, 14);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (frame[14 + i]! << 8) | frame[15 + i]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    frame[24] = (~sum >> 8) & 0xff;
    frame[25] = ~sum & 0xff;
    probe.send(insertVlanTag(frame, 10));
    engine.run();
    const out = probe.got.find((f) => readU16(f, 12) === ETHERTYPE_VLAN && readU16(f, 14) === 20);
    assert.ok(out, `no frame tagged 20 came back (${probe.got.length} frames)`);
    assert.equal(out[18 + 8], 63, 'TTL decremented once');
  });

  it('refuses a VID outside 1-4094 and a second device with the same VID', () => {
    const { r } = trunk();
    const eth0 = r.dev('eth0')!;
    assert.throws(() => new VlanDev(eth0, { name: 'x', id: 4095 }), /not in 1-4094/);
    assert.throws(() => new VlanDev(eth0, { name: 'x', id: 0 }), /not in 1-4094/);
    assert.throws(() => new VlanDev(eth0, { name: 'eth0.10b', id: 10 }), /already has a VLAN device with id 10/);
  });
});
