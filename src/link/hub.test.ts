/**
 * A hub repeats every frame out of every other port, never back out of the one it came in on, and each
 * receiver owns its copy (a NIC may rewrite its buffer in place).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../sim/engine.js';
import { buildEthernet } from '../wire/ethernet.js';
import { MAC_BROADCAST } from '../wire/addr.js';
import { Device, Network, type Port } from './device.js';
import { Hub } from './hub.js';
import { TraceRecorder } from '../observe/recorder.js';

class Sink extends Device {
  readonly got: { time: number; frame: Uint8Array }[] = [];
  get kind(): string {
    return 'sink';
  }
  receive(_port: Port, frame: Uint8Array): void {
    this.got.push({ time: this.engine.now, frame });
  }
}

const MAC = (n: number): number => 0x02_00_00_00_00_00 + n;

function lab(hosts = 4) {
  const engine = new Engine();
  const net = new Network(engine);
  const hub = new Hub(net, 'hub1');
  const hs: Sink[] = [];
  for (let i = 1; i <= hosts; i++) {
    const h = new Sink(net, `h${i}`);
    net.connect(h.addPort('eth0'), hub.addPort(`p${i}`), { bandwidth: 0, latency: 1000 });
    hs.push(h);
  }
  return { engine, net, hub, hs };
}

function ethFrame(src: number, dst: number, text: string): Uint8Array {
  return buildEthernet({ dst, src, ethertype: 0x88b5, payload: new TextEncoder().encode(text) });
}

describe('hub', () => {
  it('repeats a unicast frame to every other port, whoever it is for, and not back to the sender', () => {
    const { engine, hub, hs } = lab();
    const f = ethFrame(MAC(1), MAC(2), 'to h2');
    const copy = f.slice();
    hs[0]!.transmit(hs[0]!.port('eth0')!, f);
    engine.run();
    assert.equal(hs[0]!.got.length, 0, 'nothing comes back to h1');
    for (const h of hs.slice(1)) {
      assert.equal(h.got.length, 1, h.name);
      assert.deepEqual(h.got[0]!.frame, copy, `${h.name} gets the bytes unchanged`);
      assert.equal(h.got[0]!.time, 2000, 'one link to the hub, one from it, 1 µs each');
    }
    assert.equal(hub.framesReceived, 1);
    assert.equal(hub.framesSent, 3);
    assert.deepEqual(hub.drops, {});
  });

  it('gives every receiver its own buffer: rewriting one copy changes no other', () => {
    const { engine, hs } = lab();
    hs[3]!.transmit(hs[3]!.port('eth0')!, ethFrame(MAC(4), MAC_BROADCAST, 'hello all'));
    engine.run();
    const frames = hs.slice(0, 3).map((h) => h.got[0]!.frame);
    const before = frames.map((f) => f.slice());
    frames[0]!.fill(0xee);
    assert.deepEqual(frames[1], before[1]);
    assert.deepEqual(frames[2], before[2]);
  });

  it('skips ports with no cable and still serves the rest', () => {
    const { engine, hub, hs } = lab(2);
    hub.addPort('p9'); // not connected
    hs[0]!.transmit(hs[0]!.port('eth0')!, ethFrame(MAC(1), MAC(2), 'x'));
    engine.run();
    assert.equal(hs[1]!.got.length, 1);
    assert.deepEqual(hub.drops, {}, 'an empty port is not a drop');
  });

  it('has no memory: the second frame between the same pair floods again', () => {
    const { engine, hs } = lab(3);
    const send = (from: number, to: number): void => {
      hs[from]!.transmit(hs[from]!.port('eth0')!, ethFrame(MAC(from + 1), MAC(to + 1), 'x'));
    };
    send(0, 1);
    engine.run();
    send(1, 0);
    engine.run();
    send(0, 1);
    engine.run();
    assert.equal(hs[2]!.got.length, 3, 'h3 sees all three frames, including the one after h2 answered');
  });

  it('traces each repeat as a frame event with the in and out ports', () => {
    const { engine, net, hs } = lab(3);
    const rec = new TraceRecorder();
    net.tracer = rec;
    hs[1]!.transmit(hs[1]!.port('eth0')!, ethFrame(MAC(2), MAC(1), 'x'));
    engine.run();
    const out = rec.events
      .filter((e) => e.kind === 'frame' && e.device === 'hub1')
      .map((e) => (e.kind === 'frame' ? `${e.inPort}->${e.outPort}` : ''));
    assert.deepEqual(out, ['p2->p1', 'p2->p3']);
  });
});
