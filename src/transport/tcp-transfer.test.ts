/**
 * TCP moving data: a megabyte over three hops, intact under seeded loss, reordering and duplication (a
 * property over many seeds); fast retransmit on three duplicate ACKs; the retransmission timer's backoff
 * and Karn's rule; delayed ACKs; flow control down to a zero window with persist probes; path MTU.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MS, SECOND } from '../sim/engine.js';
import { TCP_ACK } from '../wire/tcp.js';
import type { TcpCloseReason, TcpSocket } from './tcp.js';
import { readAll } from './socket.js';
import { UdpStack } from './udp.js';
import {
  SegmentTap,
  dropOnly,
  ip,
  patternBytes,
  queueFanOut,
  tcpOf,
  threeHopLab,
  twoHostLab,
  type TcpLab,
  type TcpLabOptions,
} from './testing.js';

const MB = 1 << 20;

interface Transfer {
  lab: TcpLab;
  client: TcpSocket;
  server: () => TcpSocket;
  received: () => Uint8Array | undefined;
  closes: Record<'client' | 'server', TcpCloseReason | undefined>;
}

/** A writes `data` to B and closes; B reads to the end and closes too. */
function transfer(labOpts: TcpLabOptions, data: Uint8Array, build = threeHopLab): Transfer {
  const lab = build(labOpts);
  let server: TcpSocket | undefined;
  let received: Uint8Array | undefined;
  const closes: Transfer['closes'] = { client: undefined, server: undefined };
  lab.tb.listen(5001, (s) => {
    server = s;
    readAll(s, (b) => {
      received = b;
      s.end();
    });
    s.on('close', (r) => (closes.server = r));
  });
  const client = lab.ta.connect(lab.B, 5001);
  client.on('connect', () => {
    client.write(data);
    client.end();
  });
  client.on('close', (r) => (closes.client = r));
  return { lab, client, server: () => server!, received: () => received, closes };
}

/** Index of the first differing byte, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

describe('tcp bulk transfer', () => {
  it('moves 1 MB over host-router-router-host intact, without a retransmission, and closes cleanly', () => {
    const data = patternBytes(MB, 42);
    const t = transfer({}, data);
    const tap = new SegmentTap(['A', 'B']);
    t.lab.net.tracer = tap;
    t.lab.engine.run();
    assert.equal(firstDifference(t.received()!, data), -1);
    assert.deepEqual(t.closes, { client: 'closed', server: 'closed' });
    const c = t.client.stats;
    assert.deepEqual([c.retransmissions, c.timeouts, c.bytesAcked, t.server().stats.bytesReceived], [0, 0, MB, MB]);
    assert.ok(c.cwnd > 100 * 1448, `slow start grew cwnd to ${c.cwnd}`);
    // no loss, but HyStart (CUBIC's default) ended slow start once the ACK train of a round outlasted half
    // the minimum RTT plus its cushion: ssthresh is the cwnd of then, a whole number of segments past 16
    assert.ok(c.ssthresh < Number.MAX_SAFE_INTEGER && c.ssthresh % 1448 === 0 && c.ssthresh >= 16 * 1448);
    const dataSegs = tap.from('A').filter((s) => s.seg.payload.length > 0).length;
    // 1448-byte segments: MSS 1460 less the 12 bytes of timestamps on every segment (Linux's mss_cache;
    // a bulk send between two Linux 6.18 namespaces at MTU 1500 shows the same, test/tcp-kernel.test.ts)
    assert.equal(dataSegs, Math.ceil(MB / 1448));
    // delayed ACKs: one ACK per two full-sized segments (RFC 5681 §4.2), except in quickack mode: the
    // first 16 (tcp_incr_quickack), and each ACK that offers a wider window, since tcp_grow_window puts the
    // receiver back in quickack mode whenever it raises rcv_ssthresh (icsk_ack.quick |= 1). A 1 MB send
    // between two Linux 6.18 namespaces shows the same: windows 532, 555, 577, ... one segment apart.
    const acks = tap.from('B').filter((s) => s.seg.flags === TCP_ACK && s.seg.payload.length === 0);
    const kinds = { grew: 0, quick: 0, delayed: 0 };
    for (let i = 1; i < acks.length; i++) {
      const [prev, cur] = [acks[i - 1]!.seg, acks[i]!.seg];
      const segs = ((cur.ack - prev.ack) >>> 0) / 1448;
      if (segs === 1 && cur.window > prev.window) kinds.grew++;
      else if (segs === 1) kinds.quick++;
      else if (segs === 2) kinds.delayed++;
      else assert.fail(`an ACK for ${segs} segments`);
    }
    assert.ok(kinds.quick <= 16, `${kinds.quick} quick ACKs`);
    assert.ok(kinds.grew > 100 && kinds.delayed > 100, JSON.stringify(kinds));
    for (const r of t.lab.routers) assert.deepEqual(r.drops, {});
  });

  it('arrives intact and closes cleanly under seeded loss, reordering and duplication (property over seeds)', () => {
    const totals = { retransmissions: 0, fastRetransmits: 0, timeouts: 0, outOfOrder: 0, duplicates: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0.01, max: 0.05, noNaN: true }),
        fc.double({ min: 0, max: 0.05, noNaN: true }),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        (seed, loss, duplicate, reorder) => {
          const data = patternBytes(MB, seed);
          const t = transfer({ seed, impair: { loss, duplicate, reorder, reorderDelayNs: 500_000 } }, data);
          t.lab.engine.run();
          const got = t.received();
          assert.ok(got !== undefined, `seed ${seed}: the server never saw the end of the stream`);
          assert.equal(firstDifference(got, data), -1, `seed ${seed}: data differs`);
          assert.deepEqual(t.closes, { client: 'closed', server: 'closed' }, `seed ${seed}`);
          assert.equal(t.client.state, 'CLOSED');
          assert.equal(t.lab.ta.connections().length + t.lab.tb.connections().length, 0);
          const c = t.client.stats;
          const s = t.server().stats;
          totals.retransmissions += c.retransmissions;
          totals.fastRetransmits += c.fastRetransmits;
          totals.timeouts += c.timeouts;
          totals.outOfOrder += s.outOfOrder;
          totals.duplicates += s.duplicates;
        },
      ),
      { numRuns: 30, seed: 20240601 },
    );
    // the impairments did happen, and each recovery path was exercised
    for (const [k, v] of Object.entries(totals)) assert.ok(v > 0, `${k} never happened`);
  });

  it('repeats exactly: the same seed gives the same segments at the same times', () => {
    const run = (): string => {
      const t = transfer(
        { seed: 5, impair: { loss: 0.03, duplicate: 0.02, reorder: 0.05, reorderDelayNs: 300_000 } },
        patternBytes(200_000),
      );
      const tap = new SegmentTap(['A', 'B']);
      t.lab.net.tracer = tap;
      t.lab.engine.run();
      return tap.segments.map((s) => `${s.time} ${s.device} ${s.seg.seq} ${s.seg.ack} ${s.seg.flags}`).join('\n');
    };
    assert.equal(run(), run());
  });
});

describe('tcp loss recovery', () => {
  /** Drops the n-th data segment `from` sends (1-based), once. */
  function dropNthData(n: number, from = ip('10.0.1.2')): (f: Uint8Array) => boolean {
    let seen = 0;
    return (f) => {
      const t = tcpOf(f);
      if (t === undefined || t.src !== from || t.seg.payload.length === 0) return false;
      return ++seen === n;
    };
  }

  it('fast-retransmits a lost segment on the third duplicate ACK, without waiting for the timer', () => {
    const data = patternBytes(100_000, 3);
    const t = transfer({ impair: dropOnly(dropNthData(5)) }, data);
    const tap = new SegmentTap(['A', 'B']);
    t.lab.net.tracer = tap;
    t.lab.engine.run();
    assert.equal(firstDifference(t.received()!, data), -1);
    const c = t.client.stats;
    assert.deepEqual([c.fastRetransmits, c.timeouts, c.retransmissions], [1, 0, 1]);
    assert.ok(c.dupAcksReceived >= 3);
    // the lost segment (the fifth: offset 4 * 1460) goes again right after the third duplicate ACK
    const fromA = tap.from('A').filter((s) => s.seg.payload.length > 0);
    const lostSeq = fromA[4]!.seg.seq;
    const again = fromA.findIndex((s, i) => i > 4 && s.seg.seq === lostSeq);
    assert.ok(again > 0, 'retransmitted');
    const dupAcks = tap.from('B').filter((s) => s.seg.ack === lostSeq && s.time < fromA[again]!.time);
    // the ACK that first asked for it and three duplicates (B sent more while they were in flight)
    assert.ok(dupAcks.length >= 4, `${dupAcks.length} ACKs for the hole`);
    const transit = fromA[again]!.time - dupAcks[3]!.time;
    assert.ok(
      transit > 300_000 && transit < 400_000,
      `sent as the third duplicate arrived (3 hops of 100 µs), not ${transit} ns later`,
    );
    assert.ok(c.ssthresh < Number.MAX_SAFE_INTEGER, 'ssthresh was set');
    assert.equal(t.server().stats.outOfOrder >= 3, true);
  });

  it('backs off the retransmission timer: 200 ms, 400, 800, 1600, then "timeout"', () => {
    const lab = twoHostLab({ tcp: { retries: 4 } });
    const tap = new SegmentTap(['A']);
    lab.net.tracer = tap;
    lab.tb.listen(80, () => {});
    const c = lab.ta.connect(lab.B, 80);
    const reasons: [number, TcpCloseReason][] = [];
    c.on('close', (r) => reasons.push([lab.engine.now, r]));
    lab.engine.run(1 * SECOND);
    assert.equal(c.stats.rtoNs, 200 * MS, 'a 200 µs RTT gives the 200 ms floor');
    lab.net.links[0]!.props.loss = 1; // the cable is cut
    c.write(new Uint8Array(1000));
    lab.engine.run(20 * SECOND);
    const sends = tap.segments.filter((s) => s.seg.payload.length > 0).map((s) => s.time);
    const gaps = sends.slice(1).map((t, i) => (t - sends[i]!) / MS);
    assert.deepEqual(gaps, [200, 400, 800, 1600]);
    assert.deepEqual(
      reasons,
      [[sends.at(-1)! + 3200 * MS, 'timeout']],
      'the fifth expiry (RTO 3.2 s) exceeds retries 4',
    );
    assert.deepEqual([c.stats.timeouts, c.stats.retransmissions], [4, 4]);
  });

  it("follows Karn's rule without timestamps: no RTT sample from a retransmitted segment, the RTO stays backed off", () => {
    const t = transfer(
      { impair: dropOnly(dropNthData(1, ip('10.0.0.1'))), tcp: { timestamps: false } },
      patternBytes(1000),
      twoHostLab,
    );
    t.lab.engine.run(1 * SECOND);
    const c = t.client.stats;
    assert.deepEqual([c.timeouts, c.retransmissions], [1, 1], 'one segment alone: no duplicate ACKs, the timer fires');
    assert.equal(c.rttSamples, 1, 'only the handshake sample');
    assert.equal(c.rtoNs, 400 * MS, 'backed off once and not recomputed');
  });

  it('takes an RTT sample from the echoed timestamp of a retransmission (RFC 7323 §4.1 RTTM, tcp_ack_update_rtt)', () => {
    const t = transfer({ impair: dropOnly(dropNthData(1, ip('10.0.0.1'))) }, patternBytes(1000), twoHostLab);
    t.lab.engine.run(1 * SECOND);
    const c = t.client.stats;
    assert.deepEqual([c.timeouts, c.retransmissions], [1, 1]);
    assert.equal(c.rttSamples, 2, 'the handshake and the retransmission, timed by its TSecr');
    assert.equal(c.rtoNs, 200 * MS, 'the new sample ends the backoff: back to the floor');
  });

  it('shrinks the MSS on ICMP fragmentation needed (path MTU discovery) and finishes the transfer', () => {
    const data = patternBytes(100_000, 9);
    const t = transfer({ middleMtu: 1400 }, data);
    t.lab.engine.run();
    assert.equal(firstDifference(t.received()!, data), -1);
    assert.equal(t.client.stats.mss, 1348, '1400 - 40, less 12 bytes of timestamps');
    assert.ok((t.lab.routers[0]!.drops['mtu-exceeded'] ?? 0) >= 1);
    assert.deepEqual(t.closes, { client: 'closed', server: 'closed' });
  });
});

describe('tcp flow control', () => {
  it('stops at a zero window, probes it with backoff, and resumes when the reader does', () => {
    const lab = twoHostLab();
    const tap = new SegmentTap(['A', 'B']);
    lab.net.tracer = tap;
    const data = patternBytes(400_000, 11);
    let server: TcpSocket | undefined;
    let got: Uint8Array | undefined;
    lab.tb.listen(80, (s) => {
      server = s;
      s.pause(); // the application does not read
      readAll(s, (b) => (got = b));
    });
    const c = lab.ta.connect(lab.B, 80);
    c.on('connect', () => {
      c.write(data);
      c.end();
    });
    lab.engine.run(5 * SECOND);
    // the window is what the free buffer holds (tcp_space): each 1448-byte segment waits charged its skb's
    // truesize, 832 + 1448 bytes, so the 131072-byte buffer is full with some 57 segments in it
    const held = server!.bufferedBytes;
    assert.ok(held > 55 * 1448 && held < 60 * 1448, `the receive buffer is full (${held} bytes)`);
    assert.equal(tap.from('B').at(-1)!.seg.window, 0, 'and says so');
    const probes = tap.from('A').filter((s) => s.seg.payload.length === 1);
    assert.ok(probes.length >= 3, `${probes.length} probes`);
    assert.equal(c.stats.windowProbes, probes.length);
    const gaps = probes.slice(1).map((p, i) => p.time - probes[i]!.time);
    for (let i = 1; i < gaps.length; i++) assert.equal(gaps[i], 2 * gaps[i - 1]!, 'persist timer backs off');
    assert.equal(c.state, 'FIN-WAIT-1', 'the FIN waits behind the data');
    server!.resume();
    lab.engine.run(10 * SECOND);
    assert.equal(firstDifference(got!, data), -1);
    assert.equal(c.state, 'FIN-WAIT-2');
  });

  it('advertises the window that is left while the reader lags', () => {
    const lab = twoHostLab();
    const tap = new SegmentTap(['B']);
    lab.net.tracer = tap;
    lab.tb.listen(80, (s) => s.pause());
    const c = lab.ta.connect(lab.B, 80);
    c.on('connect', () => c.write(new Uint8Array(14600)));
    lab.engine.run(1 * SECOND);
    // Linux 6.18 between two namespaces, the reader asleep, ten segments and 120 bytes sent at once, every
    // one acknowledged (quickack): the first full segment measures the scaling ratio (1448 * 256 / 2280 =
    // 162 of 256) and lifts the clamp to 82944; rcv_ssthresh grows two segments an ACK to 76744, then
    // the free buffer (131072 less 2280 a segment, times 162/256) is less, and at last the right edge of
    // an earlier offer, which never moves left, is further
    const windows = tap.segments.filter((s) => s.seg.flags === TCP_ACK).map((s) => s.seg.window);
    assert.deepEqual(windows, [532, 555, 577, 600, 592, 581, 570, 559, 548, 537, 537]);
  });

  it('write() returns false past the send buffer and "drain" follows', () => {
    const lab = twoHostLab({ tcp: { sndBuf: 10_000 } });
    lab.tb.listen(80, () => {});
    const c = lab.ta.connect(lab.B, 80);
    const seen: string[] = [];
    c.on('connect', () => seen.push(`write ${c.write(new Uint8Array(20_000))}`));
    c.on('drain', () => seen.push(`drain, ${c.pendingBytes} pending`));
    lab.engine.run(1 * SECOND);
    assert.equal(seen[0], 'write false');
    assert.equal(seen.length, 2);
    assert.match(seen[1]!, /^drain, \d+ pending$/);
  });
});

describe('tcp SACK (RFC 2018, RFC 6675)', () => {
  /** Drops the data segments of A whose number (1-based) is in `which`, once each. */
  function dropData(which: number[]): (f: Uint8Array) => boolean {
    let seen = 0;
    return (f) => {
      const t = tcpOf(f);
      if (t === undefined || t.src !== ip('10.0.1.2') || t.seg.payload.length === 0) return false;
      return which.includes(++seen);
    };
  }

  it('reports held out-of-order data in SACK blocks after the timestamps, the newest block first', () => {
    const data = patternBytes(100_000, 4);
    const t = transfer({ impair: dropOnly(dropData([3, 6])) }, data);
    const tap = new SegmentTap(['B']);
    t.lab.net.tracer = tap;
    t.lab.engine.run();
    assert.equal(firstDifference(t.received()!, data), -1);
    const withSack = tap.segments.filter((s) => s.seg.options.some((o) => o.kind === 'sack'));
    assert.ok(withSack.length > 0);
    const first = withSack[0]!.seg;
    // tcp_options_write: NOP NOP TS, then NOP NOP SACK
    assert.deepEqual(
      first.options.map((o) => o.kind),
      ['nop', 'nop', 'timestamps', 'nop', 'nop', 'sack'],
    );
    // a later ACK, with both holes open, names two blocks: the one holding the newest segment first
    const two = withSack.find((s) => {
      const o = s.seg.options.find((x) => x.kind === 'sack');
      return o?.kind === 'sack' && o.blocks.length === 2;
    });
    assert.ok(two !== undefined, 'two blocks while both holes are open');
    const o = two.seg.options.find((x) => x.kind === 'sack');
    assert.ok(o?.kind === 'sack');
    assert.ok(o.blocks[0]![0] > o.blocks[1]![0], 'the block above the second hole, which grew last, comes first');
    for (const [l, r] of o.blocks) assert.ok(((r - l) >>> 0) % 1448 === 0, 'blocks of whole segments');
  });

  it('recovers two losses in one window with exactly two retransmissions and no timeout (RFC 6675)', () => {
    const data = patternBytes(200_000, 5);
    const t = transfer({ impair: dropOnly(dropData([5, 8])) }, data);
    t.lab.engine.run();
    assert.equal(firstDifference(t.received()!, data), -1);
    const c = t.client.stats;
    assert.deepEqual([c.retransmissions, c.timeouts, c.fastRetransmits], [2, 0, 1], 'one recovery, both holes');
    // CUBIC: ssthresh is 0.7 of the window at the loss
    assert.ok(c.ssthresh < Number.MAX_SAFE_INTEGER);
  });

  it('net.ipv4.tcp_congestion_control: reno halves the flight on a loss, cubic keeps 0.7 of the window', () => {
    const data = patternBytes(200_000, 5);
    const ssthresh = (cc: 'cubic' | 'reno'): number => {
      const t = transfer({ impair: dropOnly(dropData([5, 8])), tcp: { congestionControl: cc } }, data);
      const notes: string[] = [];
      t.lab.net.tracer = { note: (_time, _device, message) => notes.push(message) };
      t.lab.engine.run();
      assert.equal(firstDifference(t.received()!, data), -1);
      // the trace says which algorithm the connection runs
      assert.ok(
        notes.some((n) => n.includes(`SACK loss recovery`) && n.includes(`: ${cc} cwnd `)),
        notes.join('\n'),
      );
      return t.client.stats.ssthresh;
    };
    const cubic = ssthresh('cubic');
    const reno = ssthresh('reno');
    // the same slow start up to the loss: the window then is cubic / 0.7 and the flight about that
    const window = cubic / 0.7;
    assert.ok(Math.abs(reno - window / 2) <= 2 * 1448, `reno ${reno}, half of ${window}`);
    assert.ok(reno < cubic);
  });

  it('HyStart: CUBIC leaves slow start before the queue overflows, Reno (no HyStart) fills it and loses', () => {
    const data = patternBytes(8 * MB, 3);
    // the routers' link is the bottleneck: a queue at the sender's own device would refuse segments, which
    // Linux's TCP takes as local congestion, never as loss
    const run = (cc: 'cubic' | 'reno'): { retransmissions: number; ssthresh: number; queueRefused: number } => {
      const t = transfer({ tcp: { congestionControl: cc }, middle: { bandwidth: 500_000_000 } }, data);
      t.lab.engine.run();
      assert.equal(firstDifference(t.received()!, data), -1);
      return t.client.stats;
    };
    const cubic = run('cubic');
    const reno = run('reno');
    assert.equal(cubic.retransmissions, 0);
    assert.ok(reno.retransmissions > 0, 'slow start until a router queue drops');
    assert.deepEqual([cubic.queueRefused, reno.queueRefused], [0, 0]);
  });

  it('HyStart on one 1 Gbps hop ends slow start near where the kernel did on a veth pair under tbf 1gbit', () => {
    // Linux 6.18: TcpExtTCPHystartTrainCwnd 30, no retransmission (tcp-hystart.ts); the veth's own delay
    // is some microseconds, so the link here has 20 us: the same order, not the same path
    const data = patternBytes(8 * MB, 3);
    const t = transfer({ link: { bandwidth: 1e9, latency: 20_000 } }, data, twoHostLab);
    t.lab.engine.run();
    const c = t.client.stats;
    assert.equal(c.retransmissions, 0);
    const segs = c.ssthresh / 1448;
    assert.ok(segs >= 20 && segs <= 40, `HyStart left slow start at ${segs} segments`);
  });

  it('without SACK, NewReno recovers the second hole on a partial ACK (RFC 6582)', () => {
    const data = patternBytes(200_000, 5);
    const t = transfer({ impair: dropOnly(dropData([5, 8])), tcp: { sack: false } }, data);
    t.lab.engine.run();
    assert.equal(firstDifference(t.received()!, data), -1);
    const c = t.client.stats;
    assert.deepEqual([c.retransmissions, c.timeouts, c.fastRetransmits], [2, 0, 1]);
  });
});

describe("tcp local congestion (the sender's own device queue is full)", () => {
  it('a segment the full queue refuses is not lost: no retransmission, every byte arrives', () => {
    const { clients, received, refusedDrops } = queueFanOut(40, 50);
    const sum = (k: 'queueRefused' | 'retransmissions' | 'timeouts'): number =>
      clients.reduce((n, c) => n + c.stats[k], 0);
    assert.ok(refusedDrops > 0, 'the queue overflowed');
    assert.equal(sum('queueRefused'), refusedDrops, 'each refusal reached its sender');
    assert.deepEqual([sum('retransmissions'), sum('timeouts')], [0, 0]);
    assert.equal(received(), 40 * 50 * 100);
  });

  it('a retransmission the full queue refuses goes again 500 ms later, the RTO not backed off (tcp_retransmit_timer)', () => {
    // A's first data segment is lost on the wire; when its RTO fires, a burst of datagrams fills A's queue
    let lost = false;
    const lab = twoHostLab({
      middle: { bandwidth: 10_000_000, queueLimit: 2 },
      impair: dropOnly((f) => {
        const t = tcpOf(f);
        if (lost || t === undefined || t.src !== lab.A || t.seg.payload.length === 0) return false;
        return (lost = true);
      }),
    });
    const udp = new UdpStack(lab.a);
    let arrived = -1;
    lab.tb.listen(80, (s) => s.on('data', () => (arrived = lab.engine.now)));
    const c = lab.ta.connect(lab.B, 80);
    let sentAt = -1;
    let rto0 = -1;
    c.on('connect', () => {
      c.write(new Uint8Array(1000));
      sentAt = lab.engine.now;
      rto0 = c.stats.rtoNs;
      // one datagram on the wire and two queued when the timer fires a microsecond later
      lab.engine.schedule(rto0 - 1000, () => {
        for (let i = 0; i < 3; i++) udp.send(40000, lab.B, 9, new Uint8Array(1400));
      });
    });
    lab.engine.run(5 * SECOND);
    const st = c.stats;
    assert.ok(lost && rto0 >= 200 * MS);
    assert.deepEqual([st.queueRefused, st.timeouts, st.retransmissions], [1, 2, 1]);
    // sent again at the second expiry, 500 ms after the first; backing off would have made it rto0 * 2
    const again = sentAt + rto0 + 500 * MS;
    assert.ok(arrived > again && arrived < again + 2 * MS, `arrived ${(arrived - sentAt) / MS} ms after the send`);
  });

  it('a datagram the full queue refuses is counted (Udp SndbufErrors) and the send still succeeds', () => {
    const lab = twoHostLab({ middle: { bandwidth: 10_000_000, queueLimit: 2 } });
    lab.a.addPermanentNeighbor('eth0', lab.B, lab.b.dev('eth0')!.mac);
    const udp = new UdpStack(lab.a);
    const errs = Array.from({ length: 5 }, () => udp.send(40000, lab.B, 9, new Uint8Array(100)));
    assert.deepEqual(errs, [undefined, undefined, undefined, undefined, undefined]);
    // one on the wire, two queued, the last two refused
    assert.equal(udp.sndbufErrors, 2);
    assert.equal(lab.a.drops['queue-full'], 2);
  });
});
