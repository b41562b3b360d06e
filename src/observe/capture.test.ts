/**
 * Tests for link captures: names that cannot collide (and are the same every run), and captures that
 * follow the network (a link connected after capture started is tapped too), in pcap and pcapng.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../sim/engine.js';
import { Network } from '../link/device.js';
import { FrameProbe } from '../link/testing.js';
import { captureLinks, captureLinksPcapng } from './capture.js';
import { parsePcap } from './pcap.js';
import { PcapngWriter, parsePcapng } from './pcapng.js';
import { hex, toHex } from '../wire/testing.js';

/** Probes by name, each with the ports asked for. */
function probes(net: Network, spec: Record<string, string[]>): Record<string, FrameProbe> {
  const out: Record<string, FrameProbe> = {};
  for (const [name, ports] of Object.entries(spec)) {
    const p = new FrameProbe(net, name);
    for (const port of ports) p.addPort(port);
    out[name] = p;
  }
  return out;
}

test('names: both ends, unsafe characters replaced, and ~2, ~3 for names that would clash', () => {
  const net = new Network(new Engine(1));
  const d = probes(net, {
    A: ['eth0', 'eth1'],
    sw1: ['p1', 'p2', 'p3'],
    'A-eth0': ['x'], // "A-eth0" + "x" and "A" + "eth0-x" would make the same name
    a: ['eth0'], // differs from A only in case: the same file on a case-insensitive file system
    'h:1': ['e/0'],
  });
  const port = (dev: string, p: string) => d[dev]!.port(p)!;
  net.connect(port('A', 'eth0'), port('sw1', 'p1'));
  const caps = captureLinks(net);
  net.connect(port('a', 'eth0'), port('sw1', 'p2'));
  net.connect(port('h:1', 'e/0'), port('sw1', 'p3'));
  // a VM unplugged and plugged back into the same port: a new link with the same ends
  net.disconnect(port('A', 'eth0'));
  net.connect(port('A', 'eth0'), port('sw1', 'p1'));
  net.disconnect(port('A', 'eth0'));
  net.connect(port('A', 'eth0'), port('sw1', 'p1'));
  assert.deepEqual(
    caps.map((c) => c.fileName),
    [
      'A-eth0__sw1-p1.pcap',
      'a-eth0__sw1-p2.pcap',
      'h_1-e_0__sw1-p3.pcap',
      'A-eth0__sw1-p1~2.pcap',
      'A-eth0__sw1-p1~3.pcap',
    ],
  );
  assert.equal(new Set(caps.map((c) => c.fileName.toLowerCase())).size, caps.length);
});

test('names: device and port names that concatenate alike still get distinct files', () => {
  const net = new Network(new Engine(1));
  const f = probes(net, { A: ['eth0-x'], 'A-eth0': ['x'], s: ['1', '2'] });
  const caps = captureLinks(net);
  // "A" + "eth0-x" and "A-eth0" + "x" both read "A-eth0-x"
  net.connect(f.A!.port('eth0-x')!, f.s!.port('1')!);
  net.disconnect(f.s!.port('1')!);
  net.connect(f['A-eth0']!.port('x')!, f.s!.port('1')!);
  assert.deepEqual(
    caps.map((c) => c.fileName),
    ['A-eth0-x__s-1.pcap', 'A-eth0-x__s-1~2.pcap'],
  );
});

test('a link connected after capture started is captured, in time order, both directions', () => {
  const engine = new Engine(1);
  const net = new Network(engine);
  const d = probes(net, { vm: ['eth0'], hv1: ['vnet0'], hv2: ['vnet0'] });
  net.connect(d.vm!.port('eth0')!, d.hv1!.port('vnet0')!);
  const caps = captureLinks(net);
  d.vm!.send(hex('01'));
  engine.runUntilIdle(1e9);
  net.disconnect(d.vm!.port('eth0')!);
  net.connect(d.vm!.port('eth0')!, d.hv2!.port('vnet0')!);
  engine.run(engine.now + 1000);
  d.vm!.send(hex('02'));
  d.hv2!.send(hex('03'));
  engine.runUntilIdle(1e9);
  assert.deepEqual(
    caps.map((c) => [c.fileName, c.writer.frameCount]),
    [
      ['vm-eth0__hv1-vnet0.pcap', 1],
      ['vm-eth0__hv2-vnet0.pcap', 2],
    ],
  );
  const r = parsePcap(caps[1]!.writer.bytes());
  assert.ok(r.ok);
  assert.deepEqual(
    r.value.records.map((x) => toHex(x.data)),
    ['02', '03'],
  );
  assert.equal(d.hv2!.got.length, 1, 'the frame was delivered as well as captured');
});

test('pcapng: one interface per link, named like the pcap files, new links get new interfaces', () => {
  const engine = new Engine(1);
  const net = new Network(engine);
  const d = probes(net, { vm: ['eth0'], hv1: ['vnet0'], hv2: ['vnet0'] });
  net.connect(d.vm!.port('eth0')!, d.hv1!.port('vnet0')!);
  const file = new PcapngWriter();
  const ifaces = captureLinksPcapng(net, file);
  d.vm!.send(hex('01'));
  engine.runUntilIdle(1e9);
  net.disconnect(d.vm!.port('eth0')!);
  net.connect(d.vm!.port('eth0')!, d.hv2!.port('vnet0')!);
  d.vm!.send(hex('02'));
  engine.runUntilIdle(1e9);
  net.disconnect(d.vm!.port('eth0')!);
  net.connect(d.vm!.port('eth0')!, d.hv1!.port('vnet0')!);
  d.vm!.send(hex('03'));
  engine.runUntilIdle(1e9);
  assert.deepEqual(
    ifaces.map((i) => [i.interfaceId, i.name, i.linkId]),
    [
      [0, 'vm-eth0__hv1-vnet0', 'vm:eth0--hv1:vnet0'],
      [1, 'vm-eth0__hv2-vnet0', 'vm:eth0--hv2:vnet0'],
      [2, 'vm-eth0__hv1-vnet0~2', 'vm:eth0--hv1:vnet0'],
    ],
  );
  const r = parsePcapng(file.bytes());
  assert.ok(r.ok);
  assert.deepEqual(
    r.value.interfaces.map((i) => i.name),
    ifaces.map((i) => i.name),
  );
  assert.deepEqual(
    r.value.packets.map((p) => [p.interfaceId, toHex(p.data)]),
    [
      [0, '01'],
      [1, '02'],
      [2, '03'],
    ],
  );
});
