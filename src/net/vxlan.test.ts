// VXLAN's UDP tunnel socket (vxlan.ts): one owned socket per port in the node's tunnel registry, shared by
// the devices of different VNIs on that port, as Linux's vxlan_sock is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../sim/engine.js';
import { Network } from '../link/device.js';
import { parseIpv4 } from '../wire/addr.js';
import { hex } from '../wire/testing.js';
import { IpNode } from './ip-node.js';
import { VxlanDev, VxlanSocket } from './vxlan.js';

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
