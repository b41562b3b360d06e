import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../sim/engine.js';
import { Network } from '../link/device.js';
import { IpNode } from './ip-node.js';
import { BridgeDev } from './bridge.js';
import { writeMac } from '../wire/addr.js';
import { FrameProbe } from '../link/testing.js';

function frame(dst: number, src: number): Uint8Array {
  const f = new Uint8Array(60);
  writeMac(f, 0, dst);
  writeMac(f, 6, src);
  f[12] = 0x88;
  f[13] = 0xb5; // IEEE local experimental ethertype: nobody's protocol
  return f;
}

/** node with br0 over two ports p1, p2; a probe on each; MACs 0xa1 behind p1, 0xb2 behind p2. */
function lab(hairpin: boolean) {
  const engine = new Engine(1);
  const net = new Network(engine);
  const node = new IpNode(net, 'node');
  const br = new BridgeDev(node, 'br0', 0x02_00_00_00_00_01);
  node.addDev(br);
  const probes: FrameProbe[] = [];
  for (const name of ['p1', 'p2']) {
    const nic = node.addNic(name, 0x02_00_00_00_01_00 + probes.length);
    br.enslave(nic);
    nic.hairpin = hairpin;
    const p = new FrameProbe(net, `probe-${name}`);
    net.connect(p.addPort('eth0'), node.port(name)!);
    probes.push(p);
  }
  return { engine, net, node, br, probes };
}

describe('bridge', () => {
  it("lists a port's entries newest first, its own MAC last; re-learning does not move one, one that aged out comes back first", () => {
    // as a Linux 6.1 bridge listed them in a namespace (bridge fdb show dev veth1): frames from
    // 02:..:11 then 02:..:12 gave `12, 11, <port MAC> permanent`, and 11 again left that order
    const { engine, probes, br, node } = lab(false);
    const send = (src: number): void => {
      probes[0]!.transmit(probes[0]!.port('eth0')!, frame(0xffff_ffff_ffff, src));
      engine.run();
    };
    const listed = (): string[] =>
      br.portEntries(node.dev('p1')!).map((e) => `${e.mac.toString(16)}${e.permanent ? ' permanent' : ''}`);
    send(0x11);
    send(0x12);
    send(0x11);
    assert.deepEqual(listed(), ['12', '11', '20000000100 permanent']);
    engine.runFor(301 * 1_000_000_000); // past the 300 s ageing time of both
    send(0x12);
    assert.deepEqual(listed(), ['12', '20000000100 permanent']);
    send(0x11);
    assert.deepEqual(listed(), ['11', '12', '20000000100 permanent']);
  });

  it('learns, forwards known unicast to its port only, floods unknown', () => {
    const { engine, probes, br } = lab(false);
    probes[0]!.transmit(probes[0]!.port('eth0')!, frame(0xb2, 0xa1)); // unknown: flooded to p2
    engine.run();
    probes[1]!.transmit(probes[1]!.port('eth0')!, frame(0xa1, 0xb2)); // known: to p1 only
    engine.run();
    assert.equal(probes[1]!.got.length, 1);
    assert.equal(probes[0]!.got.length, 1);
    assert.deepEqual(
      br.entries().map((e) => e.dev),
      ['p1', 'p2'],
    );
  });

  it('without hairpin a frame for a MAC behind its own port is dropped; with hairpin it goes back out', () => {
    for (const hairpin of [false, true]) {
      const { engine, probes, node } = lab(hairpin);
      probes[0]!.transmit(probes[0]!.port('eth0')!, frame(0xb2, 0xa1)); // learns 0xa1 on p1
      engine.run();
      probes[0]!.transmit(probes[0]!.port('eth0')!, frame(0xa1, 0xa3)); // for 0xa1, arriving on p1
      engine.run();
      assert.equal(probes[0]!.got.length, hairpin ? 1 : 0, `hairpin ${hairpin}`);
      assert.equal(node.drops['same-port'] ?? 0, hairpin ? 0 : 1);
    }
  });

  it('a member that loses its carrier loses its learned entries, STP or not (br_fdb_delete_by_port)', () => {
    // checked on this kernel: a bridge of two veths with STP off; `ip link set` the far end of one down,
    // and `bridge fdb show` no longer lists the MAC learned on that port
    const { engine, probes, br, net } = lab(false);
    probes[0]!.transmit(probes[0]!.port('eth0')!, frame(0xb2, 0xa1));
    probes[1]!.transmit(probes[1]!.port('eth0')!, frame(0xa1, 0xb2));
    engine.run();
    net.disconnect(probes[0]!.port('eth0')!);
    assert.deepEqual(
      br.entries().map((e) => e.dev),
      ['p2'],
    );
  });
});
