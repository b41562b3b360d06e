/**
 * A learning bridge as a network engineer checks one: it learns source MACs per VLAN, floods broadcast and
 * unknown unicast inside the VLAN only, sends known unicast out of one port, filters frames for the port
 * they came from, forgets after the aging time, follows a station that moves, and tags frames on trunks
 * (IEEE 802.1Q) except for the native VLAN.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, SECOND } from '../sim/engine.js';
import { buildEthernet } from '../wire/ethernet.js';
import { MAC_BROADCAST } from '../wire/addr.js';
import { Device, Network, type Port } from './device.js';
import { Switch, type SwitchPortConfig } from './switch.js';
import { TraceRecorder } from '../observe/recorder.js';

class Host extends Device {
  readonly got: { time: number; frame: Uint8Array }[] = [];
  get kind(): string {
    return 'host';
  }
  receive(_port: Port, frame: Uint8Array): void {
    this.got.push({ time: this.engine.now, frame });
  }
  send(frame: Uint8Array): void {
    this.transmit(this.port('eth0')!, frame);
  }
  /** Payload texts received, in order (for untagged frames: after the 14-byte header). */
  texts(): string[] {
    return this.got.map((g) => new TextDecoder().decode(g.frame.subarray(g.frame[12] === 0x81 ? 18 : 14)));
  }
}

const MAC = (n: number): number => 0x02_00_00_00_00_00 + n;
const TYPE = 0x88b5; // IEEE local experimental ethertype

function frame(src: number, dst: number, text: string, vid?: number): Uint8Array {
  const payload = new TextEncoder().encode(text);
  return buildEthernet(
    vid === undefined
      ? { dst, src, ethertype: TYPE, payload }
      : { dst, src, ethertype: TYPE, vlan: { pcp: 0, dei: false, vid }, payload },
  );
}

/** A switch with one host per port; `configs[i]` configures port p(i+1). Links are instant (latency 0). */
function lab(configs: SwitchPortConfig[], agingNs?: number) {
  const engine = new Engine();
  const net = new Network(engine);
  const sw = new Switch(net, 'sw1', agingNs);
  const hosts: Host[] = [];
  configs.forEach((c, i) => {
    const h = new Host(net, `h${i + 1}`);
    net.connect(h.addPort('eth0'), sw.addSwitchPort(`p${i + 1}`, c), { bandwidth: 0, latency: 0 });
    hosts.push(h);
  });
  return { engine, net, sw, hosts };
}

const access = (vlan = 1): SwitchPortConfig => ({ mode: 'access', vlan });
const counts = (hosts: Host[]): number[] => hosts.map((h) => h.got.length);

describe('switch learning and forwarding', () => {
  it('floods a broadcast to every other port', () => {
    const { engine, hosts, sw } = lab([access(), access(), access(), access()]);
    hosts[0]!.send(frame(MAC(1), MAC_BROADCAST, 'who'));
    engine.run();
    assert.deepEqual(counts(hosts), [0, 1, 1, 1]);
    assert.deepEqual(
      sw.macTable().map((r) => [r.vlan, r.mac, r.port]),
      [[1, MAC(1), 'p1']],
    );
  });

  it('floods unknown unicast, then sends known unicast out of one port only', () => {
    const { engine, hosts } = lab([access(), access(), access(), access()]);
    hosts[0]!.send(frame(MAC(1), MAC(2), 'h1->h2 (unknown)'));
    engine.run();
    assert.deepEqual(counts(hosts), [0, 1, 1, 1], 'h2 unknown: flooded');
    hosts[1]!.send(frame(MAC(2), MAC(1), 'h2->h1 (known)'));
    engine.run();
    assert.deepEqual(counts(hosts), [1, 1, 1, 1], 'h1 learned on p1: only p1');
    hosts[0]!.send(frame(MAC(1), MAC(2), 'h1->h2 (known now)'));
    engine.run();
    assert.deepEqual(counts(hosts), [1, 2, 1, 1], 'h2 learned on p2: only p2');
    assert.deepEqual(hosts[2]!.texts(), ['h1->h2 (unknown)']);
  });

  it('floods multicast (group bit set) like broadcast', () => {
    const { engine, hosts } = lab([access(), access(), access()]);
    hosts[1]!.send(frame(MAC(2), MAC(3), 'learn h2')); // make sure a learned table does not matter
    hosts[0]!.send(frame(MAC(1), 0x01_00_5e_00_00_fb, 'mdns'));
    engine.run();
    assert.deepEqual(
      hosts.map((h) => h.texts().filter((t) => t === 'mdns').length),
      [0, 1, 1],
    );
  });

  it('filters a frame whose destination was learned on the port it came in on (same-port)', () => {
    // h1 and a second station behind p1 (as if a hub were there): learn MAC(9) on p1, then h1 -> MAC(9)
    const { engine, hosts, sw } = lab([access(), access(), access()]);
    hosts[0]!.send(frame(MAC(9), MAC_BROADCAST, 'MAC 9 speaks on p1'));
    engine.run();
    hosts[0]!.send(frame(MAC(1), MAC(9), 'to MAC 9'));
    engine.run();
    assert.deepEqual(counts(hosts), [0, 1, 1]);
    assert.deepEqual(sw.drops, { 'same-port': 1 });
  });

  it('forgets an entry after the aging time, so the frame floods again', () => {
    const aging = 10 * SECOND;
    const { engine, hosts, sw } = lab([access(), access(), access()], aging);
    // t=0: h1 speaks, learned on p1 with expiry t=10 s
    engine.at(0, () => hosts[0]!.send(frame(MAC(1), MAC_BROADCAST, 'hello')));
    // t=10 s - 1 ns: still known, so only h1 gets h2's frame
    engine.at(aging - 1, () => hosts[1]!.send(frame(MAC(2), MAC(1), 'just in time')));
    engine.run();
    assert.deepEqual(hosts[2]!.texts(), ['hello'], 'h3 did not see the known unicast');
    // that frame did not refresh h1's entry (only h1's own frames do): at t=10 s it is gone
    engine.at(aging, () => {
      assert.deepEqual(
        sw.macTable().map((r) => r.mac),
        [MAC(2)],
        'h1 aged out of the table',
      );
      hosts[1]!.send(frame(MAC(2), MAC(1), 'too late'));
    });
    engine.run();
    assert.deepEqual(hosts[2]!.texts(), ['hello', 'too late'], 'flooded again, so h3 sees it');
    assert.deepEqual(hosts[0]!.texts(), ['just in time', 'too late']);
  });

  it('refreshes the aging timer whenever the station sends', () => {
    const aging = 10 * SECOND;
    const { engine, hosts } = lab([access(), access(), access()], aging);
    engine.at(0, () => hosts[0]!.send(frame(MAC(1), MAC_BROADCAST, 'a')));
    engine.at(8 * SECOND, () => hosts[0]!.send(frame(MAC(1), MAC_BROADCAST, 'b'))); // entry now lasts until 18 s
    engine.at(15 * SECOND, () => hosts[1]!.send(frame(MAC(2), MAC(1), 'c')));
    engine.run();
    assert.deepEqual(hosts[2]!.texts(), ['a', 'b'], 'at 15 s h1 is still known: c is not flooded');
  });

  it('reports age in the MAC table', () => {
    const { engine, hosts, sw } = lab([access(), access()]);
    engine.at(2 * SECOND, () => hosts[0]!.send(frame(MAC(1), MAC_BROADCAST, 'x')));
    engine.run(7 * SECOND);
    assert.deepEqual(sw.macTable(), [{ vlan: 1, mac: MAC(1), port: 'p1', age: 5 }]);
    sw.flushMacTable();
    assert.deepEqual(sw.macTable(), []);
  });

  it('forgets what a port learned when its cable is unplugged (as the Linux bridge standing in for it in podnet up)', () => {
    const { engine, net, hosts, sw } = lab([access(), access(), access()]);
    hosts[0]!.send(frame(MAC(1), MAC_BROADCAST, 'from p1'));
    hosts[1]!.send(frame(MAC(2), MAC_BROADCAST, 'from p2'));
    engine.run();
    net.disconnect(hosts[0]!.port('eth0')!);
    assert.deepEqual(
      sw.macTable().map((r) => [r.mac, r.port]),
      [[MAC(2), 'p2']],
    );
  });

  it('follows a station that moves to another port', () => {
    const { engine, hosts, sw } = lab([access(), access(), access()]);
    hosts[0]!.send(frame(MAC(7), MAC_BROADCAST, 'MAC 7 on p1'));
    engine.run();
    hosts[2]!.send(frame(MAC(7), MAC_BROADCAST, 'MAC 7 now on p3'));
    engine.run();
    assert.deepEqual(
      sw.macTable().map((r) => [r.mac, r.port]),
      [[MAC(7), 'p3']],
    );
    hosts[1]!.send(frame(MAC(2), MAC(7), 'to MAC 7'));
    engine.run();
    assert.deepEqual(hosts[2]!.texts(), ['MAC 7 on p1', 'to MAC 7']);
    assert.deepEqual(hosts[0]!.texts(), ['MAC 7 now on p3'], 'the old port gets nothing more');
  });

  it('drops a frame with a group source address as malformed and learns nothing', () => {
    const { engine, hosts, sw } = lab([access(), access()]);
    hosts[0]!.send(frame(0x01_00_5e_00_00_01, MAC(2), 'bad source'));
    hosts[0]!.send(new Uint8Array(10));
    engine.run();
    assert.deepEqual(counts(hosts), [0, 0]);
    assert.deepEqual(sw.drops, { malformed: 2 });
    assert.deepEqual(sw.macTable(), []);
  });

  it('gives each flooded copy its own buffer', () => {
    const { engine, hosts } = lab([access(), access(), access(), access()]);
    hosts[0]!.send(frame(MAC(1), MAC_BROADCAST, 'x'));
    engine.run();
    const got = hosts.slice(1).map((h) => h.got[0]!.frame);
    got[0]!.fill(0);
    assert.deepEqual(hosts[2]!.texts(), ['x']);
    assert.deepEqual(hosts[3]!.texts(), ['x']);
  });

  it('explains its decisions in notes', () => {
    const { engine, net, hosts } = lab([access(), access()]);
    const rec = new TraceRecorder();
    net.tracer = rec;
    hosts[0]!.send(frame(MAC(1), MAC(2), 'x'));
    engine.run();
    const notes = rec.events.filter((e) => e.kind === 'note').map((e) => (e.kind === 'note' ? e.message : ''));
    assert.deepEqual(notes, [
      'learned 02:00:00:00:00:01 on p1 (VLAN 1)',
      'unknown unicast 02:00:00:00:00:02: flooded in VLAN 1 to p2',
    ]);
  });
});

describe('switch VLANs (IEEE 802.1Q)', () => {
  // p1, p2: access VLAN 10; p3: access VLAN 20; p4: trunk, native VLAN 1, all VLANs allowed
  const vlanLab = () => lab([access(10), access(10), access(20), { mode: 'trunk', vlan: 1 }]);

  it('floods a broadcast only inside its VLAN: untagged to access ports, tagged on the trunk', () => {
    const { engine, hosts } = vlanLab();
    const f = frame(MAC(1), MAC_BROADCAST, 'v10');
    const untagged = f.slice();
    hosts[0]!.send(f);
    engine.run();
    assert.deepEqual(counts(hosts), [0, 1, 0, 1], 'h3 (VLAN 20) sees nothing');
    assert.deepEqual(hosts[1]!.got[0]!.frame, untagged, 'access port: the frame as sent, untagged');
    // trunk: the 4-byte tag goes after the source MAC: TPID 81 00, TCI 00 0a (PCP 0, DEI 0, VID 10)
    const t = hosts[3]!.got[0]!.frame;
    assert.equal(t.length, untagged.length + 4);
    assert.deepEqual(t.subarray(0, 12), untagged.subarray(0, 12));
    assert.deepEqual([...t.subarray(12, 18)], [0x81, 0x00, 0x00, 0x0a, 0x88, 0xb5]);
    assert.deepEqual(t.subarray(18), untagged.subarray(14));
  });

  it('takes a tagged frame from the trunk into its VLAN and strips the tag on the access port', () => {
    const { engine, hosts } = vlanLab();
    hosts[3]!.send(frame(MAC(4), MAC_BROADCAST, 'v20 from trunk', 20));
    engine.run();
    assert.deepEqual(counts(hosts), [0, 0, 1, 0]);
    assert.deepEqual(hosts[2]!.got[0]!.frame, frame(MAC(4), MAC_BROADCAST, 'v20 from trunk'));
  });

  it('sends the native VLAN untagged on a trunk, and takes untagged trunk frames into it', () => {
    // trunk p3 has native VLAN 10
    const { engine, hosts } = lab([access(10), access(20), { mode: 'trunk', vlan: 10 }]);
    hosts[0]!.send(frame(MAC(1), MAC_BROADCAST, 'native'));
    engine.run();
    assert.deepEqual(hosts[2]!.got[0]!.frame, frame(MAC(1), MAC_BROADCAST, 'native'), 'no tag for the native VLAN');
    hosts[2]!.send(frame(MAC(3), MAC_BROADCAST, 'untagged in'));
    engine.run();
    assert.deepEqual(hosts[0]!.texts(), ['untagged in']);
    assert.deepEqual(hosts[1]!.texts(), []);
  });

  it('accepts a priority-tagged frame (VID 0) on a trunk as native VLAN traffic', () => {
    const { engine, hosts } = lab([access(10), access(20), { mode: 'trunk', vlan: 20 }]);
    hosts[2]!.send(frame(MAC(3), MAC_BROADCAST, 'prio', 0));
    engine.run();
    assert.deepEqual(hosts[0]!.texts(), []);
    assert.deepEqual(hosts[1]!.texts(), ['prio']);
  });

  it('drops a tagged frame on an access port (vlan-mismatch)', () => {
    const { engine, hosts, sw } = vlanLab();
    hosts[0]!.send(frame(MAC(1), MAC_BROADCAST, 'tagged on access', 10));
    engine.run();
    assert.deepEqual(counts(hosts), [0, 0, 0, 0]);
    assert.deepEqual(sw.drops, { 'vlan-mismatch': 1 });
    assert.deepEqual(sw.macTable(), [], 'nothing learned from a dropped frame');
  });

  it('drops a VLAN the trunk does not allow, on the way in and on the way out', () => {
    const allowed = new Set([10]);
    const { engine, hosts, sw } = lab([access(10), access(20), { mode: 'trunk', vlan: 1, allowed }]);
    hosts[2]!.send(frame(MAC(3), MAC_BROADCAST, 'v20 on trunk', 20));
    engine.run();
    assert.deepEqual(counts(hosts), [0, 0, 0]);
    assert.deepEqual(sw.drops, { 'vlan-mismatch': 1 });
    hosts[1]!.send(frame(MAC(2), MAC_BROADCAST, 'v20 from access'));
    engine.run();
    assert.deepEqual(counts(hosts), [0, 0, 0], 'VLAN 20 is not flooded to a trunk that does not carry it');
    hosts[0]!.send(frame(MAC(1), MAC_BROADCAST, 'v10 from access'));
    engine.run();
    assert.deepEqual(hosts[2]!.texts(), ['v10 from access']);
  });

  it('drops untagged frames on a trunk whose native VLAN is not allowed', () => {
    const { engine, hosts, sw } = lab([access(1), { mode: 'trunk', vlan: 1, allowed: new Set([10]) }]);
    hosts[1]!.send(frame(MAC(2), MAC_BROADCAST, 'untagged'));
    engine.run();
    assert.deepEqual(counts(hosts), [0, 0]);
    assert.deepEqual(sw.drops, { 'vlan-mismatch': 1 });
  });

  it('keeps a separate MAC table per VLAN: one MAC can live in two VLANs on two ports', () => {
    // p1 access 10, p2 access 10, p3 access 20, p4 access 20; MAC(5) speaks from p1 (VLAN 10) and p3 (VLAN 20)
    const { engine, hosts, sw } = lab([access(10), access(10), access(20), access(20)]);
    hosts[0]!.send(frame(MAC(5), MAC_BROADCAST, 'M in 10'));
    hosts[2]!.send(frame(MAC(5), MAC_BROADCAST, 'M in 20'));
    engine.run();
    assert.deepEqual(
      sw.macTable().map((r) => [r.vlan, r.mac, r.port]),
      [
        [10, MAC(5), 'p1'],
        [20, MAC(5), 'p3'],
      ],
    );
    hosts[1]!.send(frame(MAC(2), MAC(5), 'to M via 10'));
    hosts[3]!.send(frame(MAC(4), MAC(5), 'to M via 20'));
    engine.run();
    assert.deepEqual(hosts[0]!.texts(), ['to M via 10']);
    assert.deepEqual(hosts[2]!.texts(), ['to M via 20']);
    assert.deepEqual(hosts[1]!.texts(), ['M in 10']);
    assert.deepEqual(hosts[3]!.texts(), ['M in 20']);
  });

  it('does not forward known unicast across VLANs: a MAC learned in VLAN 10 is unknown in VLAN 20', () => {
    const { engine, hosts } = lab([access(10), access(20), access(20)]);
    hosts[0]!.send(frame(MAC(1), MAC_BROADCAST, 'h1 in 10'));
    engine.run();
    hosts[1]!.send(frame(MAC(2), MAC(1), 'h2 -> h1 MAC from 20'));
    engine.run();
    assert.deepEqual(hosts[0]!.texts(), [], 'never leaks into VLAN 10');
    assert.deepEqual(hosts[2]!.texts(), ['h2 -> h1 MAC from 20'], 'unknown in VLAN 20: flooded there');
  });

  it('connects two switches over a trunk: VLAN 10 reaches VLAN 10 only, with the tag on the trunk', () => {
    const engine = new Engine();
    const net = new Network(engine);
    const s1 = new Switch(net, 's1');
    const s2 = new Switch(net, 's2');
    const h = (name: string, sw: Switch, port: string, vlan: number): Host => {
      const host = new Host(net, name);
      net.connect(host.addPort('eth0'), sw.addSwitchPort(port, access(vlan)), { bandwidth: 0, latency: 0 });
      return host;
    };
    const a10 = h('a10', s1, 'p1', 10);
    const a20 = h('a20', s1, 'p2', 20);
    const b10 = h('b10', s2, 'p1', 10);
    const b20 = h('b20', s2, 'p2', 20);
    const rec = new TraceRecorder();
    net.tracer = rec;
    net.connect(
      s1.addSwitchPort('trunk', { mode: 'trunk', vlan: 1 }),
      s2.addSwitchPort('trunk', { mode: 'trunk', vlan: 1 }),
      { bandwidth: 0, latency: 0 },
    );
    a10.send(frame(MAC(1), MAC_BROADCAST, 'a10 hello'));
    engine.run();
    assert.deepEqual(
      [a20, b10, b20].map((x) => x.texts()),
      [[], ['a10 hello'], []],
    );
    const onTrunk = rec.events.find((e) => e.kind === 'frame' && e.device === 's1' && e.outPort === 'trunk');
    assert.equal(onTrunk?.kind === 'frame' ? onTrunk.frame.vlan : undefined, 10);
    b10.send(frame(MAC(3), MAC(1), 'b10 reply'));
    engine.run();
    assert.deepEqual(a10.texts(), ['b10 reply']);
    assert.deepEqual(a20.texts(), []);
  });
});
