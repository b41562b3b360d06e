/**
 * The BPDUs our switches send, as tshark decodes them: 802.3 + LLC + STP with the root, cost, bridge,
 * port id and timers 802.1D and Linux's defaults give (checked against a real Linux bridge capture in
 * src/wire/stp.test.ts). A triangle of switches runs 40 s; its capture is handed to tshark.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, SECOND } from '../src/sim/engine.js';
import { Network } from '../src/link/device.js';
import { Switch } from '../src/link/switch.js';
import { PcapWriter } from '../src/observe/pcap.js';
import { requirePeer } from './support/peers.js';
import { assertCleanDecode, tsharkFramesOf } from './support/tshark.js';

const TSHARK = { bin: 'tshark', install: 'apt-get install -y tshark' };

test('tshark decodes podnet BPDUs as STP with the right fields', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const engine = new Engine(1);
  const net = new Network(engine);
  const sw = [1, 2, 3].map((i) => new Switch(net, `sw${i}`));
  const pcap = new PcapWriter();
  net.tracer = { frame: (time, _dev, _in, _out, frame) => pcap.write(time, frame.slice()) };
  const [a, b, c] = sw as [Switch, Switch, Switch];
  net.connect(a.addSwitchPort('p1'), b.addSwitchPort('p1'));
  net.connect(b.addSwitchPort('p2'), c.addSwitchPort('p1'));
  net.connect(c.addSwitchPort('p2'), a.addSwitchPort('p2'));
  sw.forEach((s, i) => s.enableStp(0x02_00_00_00_00_00 + (i + 1) * 256));
  engine.run(40 * SECOND);
  const frames = tsharkFramesOf(pcap.bytes());
  assert.ok(frames.length > 20);
  assertCleanDecode(frames);
  for (const f of frames) assert.deepEqual(f.protocols, ['eth', 'llc', 'stp'], `frame ${f.number}`);
  const configs = frames.filter((f) => f.fields['stp.type']?.[0] === '0x00');
  const tcns = frames.filter((f) => f.fields['stp.type']?.[0] === '0x80');
  assert.ok(configs.length > 0 && tcns.length > 0, 'config BPDUs and TCNs both seen');
  const last = configs.at(-1)!;
  const v = (k: string): string | undefined => last.fields[k]?.[0];
  assert.equal(v('eth.dst'), '01:80:c2:00:00:00');
  assert.equal(v('llc.dsap'), '0x42');
  assert.equal(v('stp.protocol'), '0x0000');
  assert.equal(v('stp.version'), '0');
  assert.equal(v('stp.root.hw'), '02:00:00:00:01:00', 'sw1 (lowest MAC) is the root everywhere');
  assert.equal(v('stp.root.prio'), '32768');
  assert.equal(v('stp.max_age'), '20');
  assert.equal(v('stp.hello'), '2');
  assert.equal(v('stp.forward'), '15');
  assert.match(v('stp.port') ?? '', /^0x800[12]$/);
  // sw2 relays the root's BPDU to sw3 at cost 4 (one 1 Gb/s hop) with message age 1/256 s
  const relayed = [...configs].reverse().find((f) => f.fields['stp.bridge.hw']?.[0] === '02:00:00:00:02:00');
  assert.ok(relayed !== undefined);
  assert.equal(relayed.fields['stp.root.cost']?.[0], '4');
  assert.equal(relayed.fields['stp.msg_age']?.[0], '0.00390625');
  // the root answers a TCN with TC + TCA
  assert.ok(configs.some((f) => f.fields['stp.flags']?.[0] === '0x81'));
});
