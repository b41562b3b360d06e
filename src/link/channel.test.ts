/**
 * One direction of a link, timed by hand: a frame of B bytes on a link of R bit/s and latency L arrives
 * ceil(8·W·1e9 / R) + L ns after its transmission starts, W = 8 (preamble, SFD) + max(B, 60) + 4 (FCS)
 * bytes (IEEE 802.3); the next frame may start 12 byte times (the inter-frame gap) after that, so a frame
 * keeps the transmitter busy for W + 12 bytes. Frames behind it wait (FIFO) up to the queue limit;
 * bigger-than-MTU and lost frames are dropped with a reason, counted at the sending device.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, MS, US } from '../sim/engine.js';
import { Channel, DEFAULT_LINK, type LinkProps } from './channel.js';
import { Device, Network, type Port } from './device.js';
import type { DropReason } from './trace.js';

/** A device that keeps what arrives, with the arrival time. */
class Sink extends Device {
  readonly got: { time: number; port: string; frame: Uint8Array }[] = [];
  get kind(): string {
    return 'sink';
  }
  receive(port: Port, frame: Uint8Array): void {
    this.got.push({ time: this.engine.now, port: port.name, frame });
  }
}

/** A bare channel with a recording receiver and drop callback. */
function channel(props: Partial<LinkProps>, seed = 1) {
  const engine = new Engine(seed);
  const arrivals: { time: number; frame: Uint8Array }[] = [];
  const drops: { time: number; reason: DropReason; frame: Uint8Array }[] = [];
  const ch = new Channel(
    engine,
    { ...DEFAULT_LINK, ...props },
    { deliver: (f) => arrivals.push({ time: engine.now, frame: f }) },
    (reason, f) => drops.push({ time: engine.now, reason, frame: f }),
    'A:eth0>B:eth0',
  );
  return { engine, ch, arrivals, drops };
}

/** A frame of `n` bytes whose first byte is `tag` (to tell frames apart). */
function frame(n: number, tag = 0): Uint8Array {
  const f = new Uint8Array(n);
  f[0] = tag;
  return f;
}

describe('channel timing', () => {
  it('delivers after serialization plus latency: 1500 B at 1 Gb/s + 1 µs = 13.096 µs', () => {
    // 8 + 1500 + 4 = 1512 bytes = 12096 bits; at 1e9 bit/s that is 12096 ns; plus 1000 ns of cable
    const { engine, ch, arrivals } = channel({ bandwidth: 1_000_000_000, latency: 1 * US });
    assert.equal(ch.send(frame(1500), 1486), true);
    engine.run();
    assert.deepEqual(
      arrivals.map((a) => a.time),
      [13_096],
    );
    assert.equal(ch.delivered, 1);
    assert.equal(ch.transmitted, 1);
  });

  it('rounds the serialization time up to a whole nanosecond', () => {
    // 100 B is 112 on the wire at 3 Mb/s: 896 bits * 1e9 / 3e6 = 298666.67 ns -> 298667 ns; plus 5 ms
    const { engine, ch, arrivals } = channel({ bandwidth: 3_000_000, latency: 5 * MS });
    ch.send(frame(100), 86);
    engine.run();
    assert.deepEqual(
      arrivals.map((a) => a.time),
      [298_667 + 5_000_000],
    );
  });

  it('measures time from when the frame is sent, not from zero', () => {
    // 64 B (76 on the wire) at 10 Mb/s = 608 bits = 60800 ns; sent at t = 1 ms, latency 20 µs
    const { engine, ch, arrivals } = channel({ bandwidth: 10_000_000, latency: 20 * US });
    engine.at(1 * MS, () => ch.send(frame(64), 50));
    engine.run();
    assert.deepEqual(
      arrivals.map((a) => a.time),
      [1_000_000 + 60_800 + 20_000],
    );
  });

  it('queues back-to-back frames FIFO, each starting when the previous one finished', () => {
    // 1000 B at 100 Mb/s: received after 1012 bytes (80.96 µs), the wire busy for 1024 (81.92 µs, with the
    // gap); latency 10 µs; three sent at t=0 start at 0, 81.92, 163.84 µs and arrive 90.96 µs after that
    const { engine, ch, arrivals } = channel({ bandwidth: 100_000_000, latency: 10 * US });
    for (let i = 1; i <= 3; i++) ch.send(frame(1000, i), 986);
    assert.equal(ch.queued, 2, 'one on the wire, two waiting');
    engine.run();
    assert.deepEqual(
      arrivals.map((a) => [a.time, a.frame[0]]),
      [
        [90_960, 1],
        [172_880, 2],
        [254_800, 3],
      ],
    );
  });

  it('lets the queue drain: a frame sent after the link went idle starts at once', () => {
    // 113 B (125 on the wire) at 1 Mb/s = 1000 µs, the gap until 1096 µs; the second frame is sent at
    // 1500 µs, after the first finished
    const { engine, ch, arrivals } = channel({ bandwidth: 1_000_000, latency: 0 });
    ch.send(frame(113, 1), 99);
    engine.at(1500 * US, () => ch.send(frame(113, 2), 99));
    engine.run();
    assert.deepEqual(
      arrivals.map((a) => a.time),
      [1000 * US, 2500 * US],
    );
  });

  it('mixes sizes correctly: a small frame behind a big one waits for it', () => {
    // 1 Mb/s: 1000 B is received after 1012 bytes (8.096 ms) and holds the wire for 1024 (8.192 ms);
    // 100 B takes 112 bytes (0.896 ms); latency 1 ms -> arrivals 9.096 ms and 8.192 + 0.896 + 1 = 10.088 ms
    const { engine, ch, arrivals } = channel({ bandwidth: 1_000_000, latency: 1 * MS });
    ch.send(frame(1000, 1), 986);
    ch.send(frame(100, 2), 86);
    engine.run();
    assert.deepEqual(
      arrivals.map((a) => [a.time, a.frame[0]]),
      [
        [9_096_000, 1],
        [10_088_000, 2],
      ],
    );
  });

  it('bandwidth 0 means no serialization delay and no queueing: every frame arrives after the latency alone', () => {
    const { engine, ch, arrivals, drops } = channel({ bandwidth: 0, latency: 7 * US, queueLimit: 1 });
    for (let i = 0; i < 10; i++) ch.send(frame(1500, i), 1486);
    engine.run();
    assert.deepEqual(
      arrivals.map((a) => a.time),
      Array(10).fill(7_000),
    );
    assert.deepEqual(
      arrivals.map((a) => a.frame[0]),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      'still in order',
    );
    assert.equal(drops.length, 0, 'the queue limit never applies');
  });

  it('hands over the very buffer it was given (ownership passes, no copy)', () => {
    const { engine, ch, arrivals } = channel({});
    const f = frame(60);
    ch.send(f, 46);
    engine.run();
    assert.equal(arrivals[0]!.frame, f);
  });

  it('keeps FIFO order and timing across many frames (ring buffer growth)', () => {
    // 40 frames of 101 B at 1 Mb/s (101 + 24 = 125 bytes = 1 ms of wire each), latency 0: frame i starts
    // at i ms and arrives 113 bytes (904 µs) later
    const { engine, ch, arrivals } = channel({ bandwidth: 1_000_000, latency: 0, queueLimit: 100 });
    for (let i = 0; i < 40; i++) ch.send(frame(101, i), 87);
    engine.run();
    assert.deepEqual(
      arrivals.map((a) => a.frame[0]),
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.deepEqual(
      arrivals.map((a) => a.time),
      Array.from({ length: 40 }, (_, i) => i * MS + 904 * US),
    );
  });
});

describe('channel Ethernet overhead (IEEE 802.3)', () => {
  it('pads a short frame to 60 bytes on the wire but delivers the bytes it was given', () => {
    // a 42-byte ARP frame: 8 + 60 (padded) + 4 = 72 bytes = 576 ns at 1 Gb/s; the receiver gets 42 bytes,
    // as tcpdump shows an ARP frame on a veth (length 42 on both ends, checked in namespaces)
    const { engine, ch, arrivals } = channel({ bandwidth: 1_000_000_000, latency: 0 });
    ch.send(frame(42), 28);
    engine.run();
    assert.deepEqual(
      arrivals.map((a) => [a.time, a.frame.length]),
      [[576, 42]],
    );
  });

  it('sends minimum frames back to back at 1,488,095 frames/s: 84 bytes (672 ns) apart', () => {
    const { engine, ch, arrivals } = channel({ bandwidth: 1_000_000_000, latency: 0, queueLimit: 100 });
    for (let i = 0; i < 3; i++) ch.send(frame(60, i), 46);
    engine.run();
    assert.deepEqual(
      arrivals.map((a) => a.time),
      [576, 576 + 672, 576 + 2 * 672],
    );
  });

  it('carries 1500-byte packets at 1500 / 1538 of the bit rate: 81,274 a second on 1 GbE', () => {
    // 14 + 1500 + 4 + 8 + 12 = 1538 bytes = 12304 ns per full frame
    const { engine, ch, arrivals } = channel({ bandwidth: 1_000_000_000, latency: 0, queueLimit: 1000 });
    for (let i = 0; i < 100; i++) ch.send(frame(1514), 1500);
    engine.run();
    assert.equal(arrivals[99]!.time - arrivals[0]!.time, 99 * 12_304);
  });
});

describe('channel queue limit', () => {
  it('tail-drops with queue-full once queueLimit frames wait behind the one on the wire', () => {
    // queueLimit 2: frame 1 transmitting, 2 and 3 waiting, 4 and 5 dropped at once
    const { engine, ch, arrivals, drops } = channel({ bandwidth: 1_000_000, latency: 0, queueLimit: 2 });
    const sent = [1, 2, 3, 4, 5].map((i) => ch.send(frame(125, i), 111));
    assert.deepEqual(sent, [true, true, true, false, false]);
    assert.deepEqual(
      drops.map((d) => [d.reason, d.frame[0], d.time]),
      [
        ['queue-full', 4, 0],
        ['queue-full', 5, 0],
      ],
    );
    engine.run();
    assert.deepEqual(
      arrivals.map((a) => a.frame[0]),
      [1, 2, 3],
    );
    assert.equal(ch.transmitted, 3, 'tail-dropped frames never reach the wire');
  });

  it('frees a queue slot when a frame starts transmitting', () => {
    // queueLimit 1, 1 ms of wire per frame (101 + 24 bytes at 1 Mb/s), received after 904 µs. t=0: f1 on
    // the wire, f2 waiting. t=0.5 ms: f3 dropped (f2 still waits). t=1 ms: f2 starts, so at t=1.5 ms f4
    // fits in the queue; it starts at 2 ms.
    const { engine, ch, arrivals, drops } = channel({ bandwidth: 1_000_000, latency: 0, queueLimit: 1 });
    ch.send(frame(101, 1), 87);
    ch.send(frame(101, 2), 87);
    engine.at(500 * US, () => assert.equal(ch.send(frame(101, 3), 87), false));
    engine.at(1500 * US, () => assert.equal(ch.send(frame(101, 4), 87), true));
    engine.run();
    assert.deepEqual(
      drops.map((d) => d.frame[0]),
      [3],
    );
    assert.deepEqual(
      arrivals.map((a) => [a.frame[0], a.time]),
      [
        [1, 904 * US],
        [2, 1904 * US],
        [4, 2904 * US],
      ],
    );
  });

  it('counts queue-full at the sending device when used through a link', () => {
    const engine = new Engine();
    const net = new Network(engine);
    const a = new Sink(net, 'a');
    const b = new Sink(net, 'b');
    const pa = a.addPort('eth0');
    const pb = b.addPort('eth0');
    net.connect(pa, pb, { bandwidth: 1_000_000, latency: 0, queueLimit: 3 });
    for (let i = 0; i < 10; i++) a.transmit(pa, frame(125, i));
    engine.run();
    // 1 on the wire + 3 queued = 4 delivered, 6 tail-dropped
    assert.equal(b.got.length, 4);
    assert.deepEqual(a.drops, { 'queue-full': 6 });
    assert.deepEqual(b.drops, {});
    assert.equal(net.dropCount, 6);
    assert.equal(a.framesSent, 10, 'framesSent counts frames handed to the link');
    assert.equal(b.framesReceived, 4);
  });
});

describe('channel MTU', () => {
  it('drops a frame whose L3 length exceeds the MTU with mtu-exceeded, delivers one exactly at the MTU', () => {
    const { engine, ch, arrivals, drops } = channel({ mtu: 1500 });
    assert.equal(ch.send(frame(1514, 1), 1500), true);
    assert.equal(ch.send(frame(1515, 2), 1501), false);
    engine.run();
    assert.deepEqual(
      arrivals.map((a) => a.frame[0]),
      [1],
    );
    assert.deepEqual(
      drops.map((d) => [d.reason, d.frame[0]]),
      [['mtu-exceeded', 2]],
    );
    assert.equal(ch.transmitted, 1);
  });

  it('through a device, the MTU counts bytes after the Ethernet header and after an 802.1Q tag', () => {
    const engine = new Engine();
    const net = new Network(engine);
    const a = new Sink(net, 'a');
    const b = new Sink(net, 'b');
    const pa = a.addPort('eth0');
    net.connect(pa, b.addPort('eth0'), { mtu: 1000 });
    const untagged = (n: number): Uint8Array => {
      const f = frame(n);
      f[12] = 0x08; // IPv4
      return f;
    };
    const tagged = (n: number): Uint8Array => {
      const f = frame(n);
      f[12] = 0x81; // 802.1Q
      return f;
    };
    a.transmit(pa, untagged(14 + 1000)); // L3 1000: fits
    a.transmit(pa, untagged(14 + 1001)); // L3 1001: too big
    a.transmit(pa, tagged(18 + 1000)); // L3 1000 behind a tag: fits
    a.transmit(pa, tagged(18 + 1001)); // too big
    engine.run();
    assert.deepEqual(
      b.got.map((g) => g.frame.length),
      [1014, 1018],
    );
    assert.deepEqual(a.drops, { 'mtu-exceeded': 2 });
  });
});

describe('channel loss', () => {
  const lossRun = (seed: number): { lost: number[]; delivered: number[] } => {
    const { engine, ch, arrivals, drops } = channel({ loss: 0.5, bandwidth: 0, latency: 1 }, seed);
    for (let i = 0; i < 1000; i++) {
      const f = new Uint8Array(64);
      f[0] = i >> 8;
      f[1] = i & 0xff;
      ch.send(f, 50);
    }
    engine.run();
    const id = (f: Uint8Array): number => (f[0]! << 8) | f[1]!;
    for (const d of drops) assert.equal(d.reason, 'link-loss');
    return { lost: drops.map((d) => id(d.frame)), delivered: arrivals.map((a) => id(a.frame)) };
  };

  it('loss 0.5 drops roughly half (1000 frames: within 5 sigma of 500)', () => {
    const { lost, delivered } = lossRun(1);
    // binomial(1000, 0.5): sigma = sqrt(250) = 15.8
    assert.ok(Math.abs(lost.length - 500) < 80, `lost ${lost.length}`);
    assert.equal(lost.length + delivered.length, 1000);
  });

  it('the same seed loses exactly the same frames; another seed loses others', () => {
    const a = lossRun(77);
    const b = lossRun(77);
    const c = lossRun(78);
    assert.deepEqual(a.lost, b.lost);
    assert.deepEqual(a.delivered, b.delivered);
    assert.notDeepEqual(a.lost, c.lost);
  });

  it('a lost frame still occupies the wire (counted as transmitted) and is dropped when it would have arrived', () => {
    // loss 0.999...: the frame is almost surely lost; 113 B (125 on the wire) at 1 Mb/s + 2 ms latency = 3 ms
    const { engine, ch, drops, arrivals } = channel({ loss: 0.999999, bandwidth: 1_000_000, latency: 2 * MS });
    ch.send(frame(113), 99);
    engine.run();
    assert.equal(arrivals.length, 0);
    assert.deepEqual(
      drops.map((d) => [d.reason, d.time]),
      [['link-loss', 3 * MS]],
    );
    assert.equal(ch.transmitted, 1);
    assert.equal(ch.delivered, 0);
  });

  it('loss 0 never draws from its stream; a lossy channel draws from its own stream only', () => {
    const { engine, ch } = channel({ loss: 0 }, 5);
    for (let i = 0; i < 10; i++) ch.send(frame(64), 50);
    engine.run();
    const ref = new Engine(5);
    assert.equal(engine.stream('link:A:eth0>B:eth0').nextU32(), ref.stream('link:A:eth0>B:eth0').nextU32());
    const lossy = channel({ loss: 0.5 }, 5);
    for (let i = 0; i < 10; i++) lossy.ch.send(frame(64), 50);
    lossy.engine.run();
    assert.equal(lossy.engine.stream('node:A/tcp').nextU32(), ref.stream('node:A/tcp').nextU32());
    assert.notEqual(
      lossy.engine.stream('link:A:eth0>B:eth0').nextU32(),
      new Engine(5).stream('link:A:eth0>B:eth0').nextU32(),
    );
  });
});

describe('link wiring', () => {
  it('a link is full duplex: each direction has its own transmitter and queue', () => {
    // 113 B (125 on the wire) at 1 Mb/s = 1 ms; both ends send at t=0; neither waits for the other
    const engine = new Engine();
    const net = new Network(engine);
    const a = new Sink(net, 'a');
    const b = new Sink(net, 'b');
    const pa = a.addPort('eth0');
    const pb = b.addPort('eth0');
    net.connect(pa, pb, { bandwidth: 1_000_000, latency: 500 * US });
    a.transmit(pa, frame(113, 1));
    b.transmit(pb, frame(113, 2));
    engine.run();
    assert.deepEqual(
      a.got.map((g) => [g.frame[0], g.time]),
      [[2, 1500 * US]],
    );
    assert.deepEqual(
      b.got.map((g) => [g.frame[0], g.time]),
      [[1, 1500 * US]],
    );
  });

  it('transmitting on an unconnected port is a link-down drop, and connecting a port twice throws', () => {
    const engine = new Engine();
    const net = new Network(engine);
    const a = new Sink(net, 'a');
    const b = new Sink(net, 'b');
    const c = new Sink(net, 'c');
    const pa = a.addPort('eth0');
    a.transmit(pa, frame(60));
    assert.deepEqual(a.drops, { 'link-down': 1 });
    const pb = b.addPort('eth0');
    net.connect(pa, pb);
    assert.throws(() => net.connect(pa, c.addPort('eth0')), /already linked/);
    assert.equal(pa.peer, pb);
    assert.equal(pb.peer, pa);
    assert.throws(() => new Sink(net, 'a'), /duplicate device name/);
    assert.throws(() => a.addPort('eth0'), /duplicate port/);
  });
});
