import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, SECOND } from '../sim/engine.js';
import { Network, type Port } from './device.js';
import { Switch } from './switch.js';
import { FrameProbe } from './testing.js';
import { makePortId, portCostForSpeed } from './stp.js';
import { buildBpduFrame, parseBpduFrame } from '../wire/stp.js';
import { readMac } from '../wire/addr.js';

/** Switches named sw1.. with bridge MACs 02:00:00:00:0N:00 and the given priorities, linked as `links`. */
function topo(priorities: number[], links: [string, string][]) {
  const engine = new Engine(1);
  const net = new Network(engine);
  const sws = priorities.map((_, i) => new Switch(net, `sw${i + 1}`));
  const port = (id: string): Port => {
    const [dev, name] = id.split(':') as [string, string];
    const sw = sws.find((s) => s.name === dev)!;
    return sw.port(name) ?? sw.addSwitchPort(name);
  };
  for (const [a, b] of links) net.connect(port(a), port(b));
  sws.forEach((s, i) => s.enableStp(0x02_00_00_00_00_00 + (i + 1) * 256, { priority: priorities[i]! }));
  const state = (id: string): string => {
    const [dev, name] = id.split(':') as [string, string];
    const sw = sws.find((s) => s.name === dev)!;
    return sw.stpState(sw.port(name)!);
  };
  return { engine, net, sws, state };
}

const TRIANGLE: [string, string][] = [
  ['sw1:p1', 'sw2:p1'],
  ['sw2:p2', 'sw3:p1'],
  ['sw3:p2', 'sw1:p2'],
];

describe('stp: Linux defaults', () => {
  it('port ids and path costs follow br_make_port_id and port_cost', () => {
    assert.equal(makePortId(32, 1), 0x8001); // bridge link show: port_id 0x8001
    assert.equal(makePortId(32, 3), 0x8003);
    assert.deepEqual([10e9, 1e9, 100e6, 10e6, 25e9, 0].map(portCostForSpeed), [2, 4, 19, 100, 1, 100]);
  });
});

describe('stp: root election', () => {
  it('the lowest MAC wins at equal priority; the lower priority wins over a lower MAC', () => {
    const a = topo([32768, 32768, 32768], TRIANGLE);
    a.engine.run(40 * SECOND);
    for (const s of a.sws) assert.equal(s.stp!.designatedRoot.mac, 0x02_00_00_00_01_00, s.name);
    const b = topo([32768, 32768, 4096], TRIANGLE);
    b.engine.run(40 * SECOND);
    for (const s of b.sws) assert.equal(s.stp!.designatedRoot.mac, 0x02_00_00_00_03_00, s.name);
    assert.ok(b.sws[2]!.stp!.isRootBridge());
    assert.equal(b.sws[0]!.stp!.rootPathCost, 4, 'one 1 Gb/s hop to the root');
  });

  it('a triangle blocks exactly one port: the one on the bridge farthest from the root', () => {
    const t = topo([32768, 32768, 32768], TRIANGLE);
    t.engine.run(40 * SECOND);
    const all = ['sw1:p1', 'sw1:p2', 'sw2:p1', 'sw2:p2', 'sw3:p1', 'sw3:p2'];
    const blocked = all.filter((id) => t.state(id) === 'blocking');
    // sw2 and sw3 tie on cost to sw1 (4); on the sw2-sw3 link sw2 (lower MAC) is designated, so sw3:p1 blocks
    assert.deepEqual(blocked, ['sw3:p1']);
    assert.deepEqual(
      all.filter((id) => t.state(id) === 'forwarding'),
      ['sw1:p1', 'sw1:p2', 'sw2:p1', 'sw2:p2', 'sw3:p2'],
    );
    const sw3 = t.sws[2]!.stp!;
    assert.deepEqual(
      sw3.ports.map((p) => sw3.role(p)),
      ['alternate', 'root'],
    );
  });
});

describe('stp: timers', () => {
  it('a port listens for 15 s, learns for 15 s, and forwards at 30 s', () => {
    const t = topo([32768, 32768], [['sw1:p1', 'sw2:p1']]);
    t.engine.run(1 * SECOND);
    assert.equal(t.state('sw1:p1'), 'listening');
    t.engine.run(15 * SECOND + 1);
    assert.equal(t.state('sw1:p1'), 'learning');
    assert.equal(t.state('sw2:p1'), 'learning');
    t.engine.run(30 * SECOND - 1);
    assert.equal(t.state('sw2:p1'), 'learning', 'not before 2 x forward delay');
    t.engine.run(30 * SECOND + 1);
    assert.equal(t.state('sw1:p1'), 'forwarding');
    assert.equal(t.state('sw2:p1'), 'forwarding');
  });

  it('the root sets topology change when its port forwards, so MAC ageing drops to 2 x forward delay for 35 s', () => {
    const t = topo([32768, 32768], [['sw1:p1', 'sw2:p1']]);
    t.engine.run(31 * SECOND);
    const root = t.sws[0]!.stp!;
    assert.equal(root.topologyChange, true);
    assert.equal(root.ageingNs(300 * SECOND), 30 * SECOND);
    assert.equal(t.sws[1]!.stp!.topologyChange, true, 'learned from the root BPDU flag');
    t.engine.run(30 * SECOND + 35 * SECOND + 1);
    assert.equal(root.topologyChange, false, 'topology change timer = forward delay + max age');
    assert.equal(root.ageingNs(300 * SECOND), 300 * SECOND);
  });

  it('root failure seen only through missing BPDUs reconverges after max age + 2 x forward delay', () => {
    // sw1 (root) reaches sw3 through a hub, so sw3 keeps carrier when sw1's side is unplugged
    const engine = new Engine(1);
    const net = new Network(engine);
    const sw = [1, 2, 3].map((i) => new Switch(net, `sw${i}`));
    const hub = new (class extends FrameProbe {
      override receive(p: Port, f: Uint8Array): void {
        for (const q of this.ports) if (q !== p) this.transmit(q, f);
      }
    })(net, 'hub');
    const [s1, s2, s3] = sw as [Switch, Switch, Switch];
    net.connect(s1.addSwitchPort('p1'), s2.addSwitchPort('p1'));
    net.connect(s2.addSwitchPort('p2'), s3.addSwitchPort('p1'));
    net.connect(s1.addSwitchPort('p2'), hub.addPort('h1'));
    net.connect(hub.addPort('h2'), s3.addSwitchPort('p2'));
    sw.forEach((s, i) => s.enableStp(0x02_00_00_00_00_00 + (i + 1) * 256));
    engine.run(40 * SECOND);
    const s3p1 = s3.port('p1')!;
    assert.equal(s3.stpState(s3p1), 'blocking');
    const t0 = engine.now;
    net.disconnect(s1.port('p2')!);
    // before max age runs out, sw3 still believes the stale root info on p2 and keeps p1 blocked
    engine.run(t0 + 19 * SECOND);
    assert.equal(s3.stpState(s3p1), 'blocking');
    engine.run(t0 + 21 * SECOND);
    assert.equal(s3.stpState(s3p1), 'listening');
    engine.run(t0 + 20 * SECOND + 29 * SECOND);
    assert.notEqual(s3.stpState(s3p1), 'forwarding');
    engine.run(t0 + 20 * SECOND + 31 * SECOND);
    assert.equal(s3.stpState(s3p1), 'forwarding');
    assert.equal(s3.stp!.designatedRoot.mac, 0x02_00_00_00_01_00, 'still sw1, now through sw2');
  });

  it('a bridge that loses its root port by carrier moves to the alternate at once: 2 x forward delay', () => {
    const t = topo([32768, 32768, 32768], TRIANGLE);
    t.engine.run(40 * SECOND);
    const t0 = t.engine.now;
    t.net.disconnect(t.sws[2]!.port('p2')!); // sw3's root port
    t.engine.run(t0 + 2 * SECOND);
    assert.equal(t.state('sw3:p1'), 'listening');
    t.engine.run(t0 + 32 * SECOND);
    assert.equal(t.state('sw3:p1'), 'forwarding');
  });
});

describe('stp: BPDUs on the wire', () => {
  it('the root sends a config BPDU every hello time; BPDUs are never forwarded', () => {
    const engine = new Engine(1);
    const net = new Network(engine);
    const sw = new Switch(net, 'sw1');
    const a = new FrameProbe(net, 'a');
    const b = new FrameProbe(net, 'b');
    net.connect(a.addPort('eth0'), sw.addSwitchPort('p1'));
    net.connect(b.addPort('eth0'), sw.addSwitchPort('p2'));
    sw.enableStp(0x02_00_00_00_01_00);
    engine.run(10 * SECOND);
    const bpdus = a.got.map((f) => parseBpduFrame(f));
    // br_stp_enable_bridge arms the hello timer before any port is enabled: the first BPDU leaves at 2 s
    assert.equal(bpdus.length, 4, 'sent at 2, 4, 6, 8 s (the one of 10 s is still on the wire)');
    const first = bpdus[0]!;
    assert.ok(first.ok && first.value.type === 'config');
    if (first.ok && first.value.type === 'config') {
      assert.equal(first.value.portId, 0x8001);
      assert.equal(first.value.maxAge, 20 * 256);
      assert.equal(first.value.helloTime, 2 * 256);
      assert.equal(first.value.forwardDelay, 15 * 256);
    }
    // a BPDU from another bridge (worse id) is consumed by STP, not flooded to b
    const foreign = {
      ...(first.ok ? first.value : ({} as never)),
      bridge: { priority: 0x8000, mac: 0x02_00_00_00_aa_00 },
    };
    a.send(buildBpduFrame({ ...foreign, root: foreign.bridge }, 0x02_00_00_00_aa_01));
    engine.run(12 * SECOND);
    assert.ok(b.got.length > 0);
    assert.ok(
      b.got.every((f) => readMac(f, 6) === 0x02_00_00_00_01_02),
      'b only hears sw1 itself',
    );
  });
});
