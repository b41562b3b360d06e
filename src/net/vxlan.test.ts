// VXLAN's UDP tunnel socket (vxlan.ts): one owned socket per port in the node's tunnel registry, shared by
// the devices of different VNIs on that port, as Linux's vxlan_sock is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../sim/engine.js';
import { Network } from '../link/device.js';
import { parseIpv4 } from '../wire/addr.js';
import { hex } from '../wire/testing.js';
import { IpNode } from './ip-node.js';
import { VxlanDev, VxlanSocket, flowHash, sourcePortOf } from './vxlan.js';

/** The outer source port VXLAN gives a frame that carries no socket hash (as encapsulate computes it). */
const flowSourcePort = (inner: Uint8Array): number => sourcePortOf(flowHash(inner));

const LOCAL = parseIpv4('192.168.0.1')!;

function node(): IpNode {
  return new IpNode(new Network(new Engine(1)), 'n1');
}

/** An outer frame with the VXLAN header at byte 42 (Ethernet 14 + IPv4 20 + UDP 8), then `inner`. */
function datagram(vxlanHeader: string): { frame: Uint8Array; off: number; end: number } {
  const vx = hex(vxlanHeader);
  const frame = new Uint8Array(42 + vx.length);
  frame.set(vx, 42);
  return { frame, off: 42, end: frame.length };
}

describe('vxlan socket', () => {
  it('is one object per port, registered in the node, shared by two VNIs', () => {
    const n = node();
    const a = new VxlanDev(n, { name: 'vx1', mac: 0x02_00_00_00_00_01, vni: 1, local: LOCAL });
    const b = new VxlanDev(n, { name: 'vx2', mac: 0x02_00_00_00_00_02, vni: 2, local: LOCAL });
    const sock = n.udpTunnel(4789);
    assert.ok(sock instanceof VxlanSocket);
    assert.equal(VxlanSocket.of(n, a.dstPort), sock);
    assert.equal(VxlanSocket.of(n, b.dstPort), sock);
    assert.equal(n.udpTunnel(8472), undefined, 'no socket on a port no device uses');
  });

  it('drops a datagram of an unknown VNI and one with the I flag clear, through the node', () => {
    const n = node();
    new VxlanDev(n, { name: 'vx1', mac: 0x02_00_00_00_00_01, vni: 1, local: LOCAL });
    const sock = n.udpTunnel(4789)!;
    const unknown = datagram('08 00 00 00 00 00 07 00'); // RFC 7348: I flag, VNI 7
    sock.receive(unknown.frame, unknown.off, unknown.end, undefined);
    const noI = datagram('00 00 00 00 00 00 01 00'); // VNI 1 but the I flag clear
    sock.receive(noI.frame, noI.off, noI.end, undefined);
    assert.deepEqual(n.drops, { 'unknown-vni': 1, malformed: 1 });
  });

  it('refuses a port another kind of tunnel holds', () => {
    const n = node();
    n.setUdpTunnel(4789, { receive: () => undefined });
    assert.throws(
      () => new VxlanDev(n, { name: 'vx1', mac: 0x02_00_00_00_00_01, vni: 1, local: LOCAL }),
      /UDP port 4789 already has a tunnel/,
    );
  });
});

describe('flowSourcePort', () => {
  /** An inner Ethernet + IPv4 (proto 17, 10.1.0.2 -> 10.2.0.2) frame with `frag` as flags+offset and 8 bytes after. */
  const inner = (frag: number, next: number[]): Uint8Array =>
    Uint8Array.from([
      ...[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00],
      ...[0x45, 0, 0, 36, 0x12, 0x34, frag >> 8, frag & 0xff, 64, 17, 0, 0, 10, 1, 0, 2, 10, 2, 0, 2],
      ...next,
    ]);
  it('gives every fragment of a datagram one port, as skb_get_hash leaves ports out of fragments', () => {
    const first = flowSourcePort(inner(0x2000, [0x9c, 0x40, 0x00, 0x35, 0, 16, 0, 0])); // MF, offset 0: UDP header
    const middle = flowSourcePort(inner(0x2000 | 178, [1, 2, 3, 4, 5, 6, 7, 8])); // MF, offset 1424
    const last = flowSourcePort(inner(356, [9, 9, 9, 9, 9, 9, 9, 9])); // offset 2848
    assert.equal(middle, first);
    assert.equal(last, first);
  });
  it('hashes the ports of a whole datagram, symmetrically', () => {
    const a = flowSourcePort(inner(0x4000, [0x9c, 0x40, 0x00, 0x35, 0, 16, 0, 0]));
    const b = flowSourcePort(inner(0x4000, [0x9c, 0x41, 0x00, 0x35, 0, 16, 0, 0]));
    assert.notEqual(a, b, 'another source port is another flow');
    assert.ok(a >= 32768 && a <= 60999);
  });
});
