/**
 * TCP's parts on their own: the RFC 6298 estimator with numbers worked by hand, NewReno's window
 * arithmetic (RFC 5681, RFC 6582), the send ring and reassembly queue, and the deadline timer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Engine, MS, SECOND } from '../sim/engine.js';
import { ByteRing, ReassemblyQueue } from './tcp-buffers.js';
import { Cubic } from './tcp-cubic.js';
import { Hystart } from './tcp-hystart.js';
import { NewReno } from './tcp-congestion.js';
import { RtoEstimator } from './tcp-rto.js';
import { DeadlineTimer } from './tcp-timer.js';

const LINUX_RTO = { initialRtoNs: 1 * SECOND, minRtoNs: 200 * MS, maxRtoNs: 120 * SECOND, granularityNs: 1 * MS };

describe('RFC 6298 estimator', () => {
  it('starts at 1 s, then follows §2.2 and §2.3 (worked by hand)', () => {
    const e = new RtoEstimator(LINUX_RTO);
    assert.equal(e.rto, 1 * SECOND);
    // first sample R = 100 ms: SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4 RTTVAR) = 100 + 200 = 300 ms
    e.sample(100 * MS);
    assert.deepEqual([e.srtt, e.rttvar, e.rto], [100 * MS, 50 * MS, 300 * MS]);
    // R' = 200 ms: RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; SRTT = 7/8 * 100 + 1/8 * 200 = 112.5;
    // RTO = 112.5 + 4 * 62.5 = 362.5 ms
    e.sample(200 * MS);
    assert.deepEqual([e.srtt, e.rttvar, e.rto], [112.5 * MS, 62.5 * MS, 362.5 * MS]);
    assert.equal(e.samples, 2);
  });

  it('doubles on each expiry up to the ceiling (§5.5), and a new sample ends the backoff', () => {
    const e = new RtoEstimator(LINUX_RTO);
    e.sample(100 * MS);
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) {
      e.backoff();
      seen.push(e.rto / MS);
    }
    assert.deepEqual(seen, [600, 1200, 2400, 4800, 9600, 19200, 38400, 76800, 120000, 120000, 120000, 120000]);
    e.sample(100 * MS);
    assert.ok(e.rto < 1 * SECOND);
  });

  it('never goes below the floor, and G counts when the variance is tiny', () => {
    const e = new RtoEstimator(LINUX_RTO);
    e.sample(1 * MS);
    assert.equal(e.rto, 200 * MS);
    const fine = new RtoEstimator({ ...LINUX_RTO, minRtoNs: 0 });
    for (let i = 0; i < 200; i++) fine.sample(10 * MS);
    assert.equal(fine.rto, 11 * MS, 'SRTT 10 ms + G 1 ms once RTTVAR has decayed below G/4');
  });
});

describe('NewReno', () => {
  const MSS = 1000;

  it('grows by one MSS per ACK in slow start and about one MSS per RTT in congestion avoidance', () => {
    const cc = new NewReno(MSS, 10);
    assert.equal(cc.cwnd, 10_000);
    cc.onNewAck(2000, 2001, 0);
    assert.equal(cc.cwnd, 11_000, 'RFC 5681 eq. (2): min(N, SMSS)');
    cc.ssthresh = 11_000;
    cc.onNewAck(1000, 3001, 0);
    assert.equal(cc.cwnd, 11_000 + Math.floor((1000 * 1000) / 11_000), 'eq. (3): SMSS*SMSS/cwnd');
  });

  it('enters fast recovery on the third duplicate ACK, inflates, deflates on a partial ACK, exits on a full one', () => {
    const cc = new NewReno(MSS, 10);
    const flight = 10_000;
    assert.equal(cc.onDupAck(1, flight, 10_001), 'none');
    assert.equal(cc.onDupAck(1, flight, 10_001), 'none');
    assert.equal(cc.onDupAck(1, flight, 10_001), 'fast-retransmit');
    assert.deepEqual(
      [cc.ssthresh, cc.cwnd, cc.recover, cc.inRecovery],
      [5000, 8000, 10_001, true],
      'ssthresh = flight/2, cwnd = ssthresh + 3 MSS',
    );
    assert.equal(cc.onDupAck(1, flight, 10_001), 'send-more');
    assert.equal(cc.cwnd, 9000);
    // partial ACK of 3000 bytes: cwnd - 3000 + MSS, and the next hole goes out
    assert.equal(cc.onNewAck(3000, 3001, 7000), 'retransmit-next');
    assert.equal(cc.cwnd, 7000);
    // full ACK covering recover: cwnd = min(ssthresh, max(flight, MSS) + MSS)
    assert.equal(cc.onNewAck(7000, 10_001, 0), 'none');
    assert.deepEqual([cc.cwnd, cc.inRecovery], [2000, false]);
  });

  it('does not fast-retransmit again for losses from before the last recovery (RFC 6582 §3.2 step 2)', () => {
    const cc = new NewReno(MSS, 10);
    cc.onTimeout(10_000, 20_001);
    assert.deepEqual([cc.cwnd, cc.ssthresh], [1000, 5000], 'loss window and half the flight');
    for (let i = 0; i < 3; i++) assert.equal(cc.onDupAck(15_001, 5000, 20_001), 'none');
  });

  it('keeps ssthresh at least two segments', () => {
    const cc = new NewReno(MSS, 10);
    cc.onTimeout(1500, 1501);
    assert.equal(cc.ssthresh, 2000);
  });

  it('local congestion (tcp_enter_cwr): ssthresh as after a loss, no growth until the reduction point is acknowledged', () => {
    const cc = new NewReno(MSS, 10);
    cc.enterCwr(8000, 8001);
    assert.deepEqual([cc.ssthresh, cc.cwnd, cc.cwr], [4000, 4000, true], 'Reno: half the flight, cwnd falls to it');
    cc.enterCwr(4000, 9001);
    assert.deepEqual([cc.ssthresh, cc.cwnd], [4000, 4000], 'one reduction at a time');
    cc.onNewAck(1000, 1001, 7000);
    assert.deepEqual([cc.cwnd, cc.cwr], [4000, true], 'no growth below the reduction point');
    cc.onNewAck(7000, 8001, 0);
    assert.equal(cc.cwr, false);
    assert.equal(cc.cwnd, 4000 + Math.floor((MSS * MSS) / 4000), 'congestion avoidance again, on the ACK that ends it');
  });

  it('loss recovery takes over from a local-congestion reduction (TCP_CA_Recovery above TCP_CA_CWR)', () => {
    const cc = new NewReno(MSS, 10);
    cc.enterCwr(10_000, 10_001);
    for (let i = 0; i < 2; i++) cc.onDupAck(1, 10_000, 10_001);
    assert.equal(cc.onDupAck(1, 10_000, 10_001), 'fast-retransmit');
    assert.deepEqual([cc.cwr, cc.inRecovery], [false, true]);
    cc.enterCwr(10_000, 10_001);
    assert.equal(cc.cwr, false, 'no reduction during recovery');
  });
});

describe('tcp buffers', () => {
  it('ByteRing reads back any range across wrap-around and growth', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 400 })), { maxLength: 30 }),
        (ops) => {
          const ring = new ByteRing(16);
          let model: number[] = [];
          for (const [bytes, consume] of ops) {
            ring.push(bytes);
            model.push(...bytes);
            const n = Math.min(consume, model.length);
            ring.consume(n);
            model = model.slice(n);
            assert.equal(ring.length, model.length);
            const off = Math.floor(model.length / 3);
            const out = new Uint8Array(model.length - off);
            ring.copyOut(off, out.length, out, 0);
            assert.deepEqual([...out], model.slice(off));
          }
        },
      ),
    );
  });

  it('ByteRing throws on reads past its end (a caller bug)', () => {
    const ring = new ByteRing();
    ring.push(new Uint8Array(10));
    assert.throws(() => ring.copyOut(5, 6, new Uint8Array(6), 0), RangeError);
    assert.throws(() => ring.consume(11), RangeError);
  });

  it('ReassemblyQueue yields the stream in order from overlapping, duplicated, out-of-order pieces', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 199 }), fc.integer({ min: 1, max: 40 })), { maxLength: 40 }),
        fc.nat(),
        (pieces, seed) => {
          const stream = Uint8Array.from({ length: 240 }, (_, i) => (i * 7 + seed) & 0xff);
          const q = new ReassemblyQueue();
          let next = 0;
          const out: number[] = [];
          const all: [number, number][] = [...pieces, [0, 240]]; // finally the whole stream, so it completes
          for (const [start, len] of all) {
            const end = Math.min(start + len, 240);
            if (end <= next) continue;
            const s = Math.max(start, next);
            if (s === next) {
              out.push(...stream.subarray(s, end));
              next = end;
              for (const c of q.take(next)) {
                out.push(...c);
                next += c.length;
              }
            } else q.insert(s, stream.subarray(s, end));
          }
          assert.deepEqual(out, [...stream]);
          assert.equal(q.size, 0);
        },
      ),
    );
  });
});

describe('DeadlineTimer', () => {
  it('fires once at the latest deadline set, or earlier when moved earlier, and never after clear', () => {
    const engine = new Engine(1);
    const fired: number[] = [];
    const t = new DeadlineTimer(engine, () => fired.push(engine.now));
    t.set(100);
    t.set(300); // moved later: the event at 100 re-arms itself
    engine.run(200);
    assert.deepEqual(fired, []);
    t.set(50); // from 200: 250, earlier than 300
    engine.run(1000);
    assert.deepEqual(fired, [250]);
    t.set(10);
    t.clear();
    engine.run(2000);
    assert.deepEqual(fired, [250]);
    assert.equal(t.pending, false);
  });
});

describe('CUBIC (RFC 9438)', () => {
  const MSS = 1000;

  it('falls to 0.7 of the window on a loss and regains it along the cubic curve, reaching W_max at t = K', () => {
    const cubic = new Cubic();
    // loss at 100 segments: ssthresh 70 segments (§4.6, Linux beta 717/1024 ~ 0.7), W_max 100
    assert.equal(cubic.lossThreshold(100 * MSS, 100 * MSS, MSS), 70 * MSS);
    assert.equal(cubic.wMax, 100);
    // K = cbrt(W_max (1 - beta) / C) = cbrt(100 * 0.3 / 0.4) = cbrt(75) = 4.217 s (RFC 9438 eq. 2)
    const K = Math.cbrt(75);
    let cwnd = 70 * MSS;
    let now = 0;
    const rtt = 100_000_000; // 100 ms
    const at: number[] = [];
    while (now < 8 * SECOND) {
      cwnd = cubic.avoid(cwnd, cwnd, MSS, now, rtt); // one window acknowledged per RTT
      now += rtt;
      at.push(cwnd / MSS);
    }
    // concave: fast at first, flat near W_max around K, convex beyond it
    const near = at[Math.round(K * 10) - 1]!;
    assert.ok(Math.abs(near - 100) < 3, `about W_max at K: ${near}`);
    assert.ok(at[9]! - at[0]! > at[39]! - at[30]!, 'grows faster right after the loss than near W_max');
    assert.ok(at.at(-1)! > 110, `probes beyond W_max afterwards: ${at.at(-1)}`);
  });

  it('lowers W_max on a loss before the window regained it (§4.7 fast convergence)', () => {
    const cubic = new Cubic();
    cubic.lossThreshold(100 * MSS, 0, MSS);
    cubic.lossThreshold(80 * MSS, 0, MSS);
    assert.equal(cubic.wMax, (80 * 1.7) / 2);
  });

  it('grows at least as its Reno-friendly estimate: alpha = 3(1 - beta)/(1 + beta) segments per window (§4.3)', () => {
    const cubic = new Cubic();
    cubic.lossThreshold(20 * MSS, 0, MSS);
    let c = 14 * MSS;
    let est = 14;
    // 1 ms apart with a 1 ms RTT: far too early for the cubic curve (K = 2.3 s) to matter
    for (let i = 0; i < 200; i++) {
      est += (3 * 0.3) / 1.7 / (c / MSS);
      c = cubic.avoid(c, MSS, MSS, i * 1_000_000, 1_000_000);
    }
    assert.ok(Math.abs(c / MSS - est) < 0.5, `cubic ${c / MSS} segments, estimate ${est}`);
  });
});

describe('HyStart (Linux tcp_cubic.c hystart_update, hystart_detect = ACK_TRAIN | DELAY)', () => {
  const MSS = 1448;
  const US = 1000;
  /** An ACK in slow start at `t` µs with RTT `rtt` µs, cwnd `segs` segments, SND.UNA `una` of SND.NXT `nxt`. */
  const ack = (t: number, rtt: number, segs: number, una: number, nxt: number, srtt = rtt) => ({
    nowNs: t * US,
    rttNs: rtt * US,
    cwnd: segs * MSS,
    ssthresh: Number.MAX_SAFE_INTEGER,
    mss: MSS,
    una,
    nxt,
    srttNs: srtt * US,
  });

  it('ACK train: a round whose ACKs, each within 2 ms of the last, outlast (delay_min + cushion) / 2 ends slow start', () => {
    const h = new Hystart();
    // RTT 600 µs; cwnd 20 segments, srtt 600 µs: pacing rate 2 * 20 * 1448 B / 600 µs = 96.5 MB/s, so the
    // cushion min(1 ms, 4 * 65536 B / rate) is 1000 µs and the threshold (600 + 1000) / 2 = 800 µs
    assert.equal(h.acked(ack(0, 600, 20, 1, 100_000)), false, 'the first ACK starts the round');
    let t = 0;
    while (t < 800) {
      t += 100;
      assert.equal(h.acked(ack(t, 600, 20, 1 + t, 100_000)), false, `still in the train at ${t} µs`);
    }
    assert.equal(h.acked(ack(t + 100, 600, 20, 1 + t + 100, 100_000)), true, 'past 800 µs: found');
    assert.equal(h.found, true);
    assert.equal(h.acked(ack(t + 200, 600, 20, 1 + t + 200, 100_000)), false, 'only once');
  });

  it('no detection below hystart_low_window (16 segments), nor when ACKs are more than 2 ms apart', () => {
    const h = new Hystart();
    for (let t = 0; t <= 5000; t += 100) assert.equal(h.acked(ack(t, 600, 15, 1 + t, 100_000)), false);
    const g = new Hystart();
    for (let t = 0; t <= 50_000; t += 2500) assert.equal(g.acked(ack(t, 600, 30, 1 + t, 10_000_000)), false);
  });

  it('delay: after 8 samples, a round minimum above delay_min + clamp(delay_min / 8, 4 ms, 16 ms) ends slow start', () => {
    const h = new Hystart();
    // round 1 (until SND.UNA passes 1000): RTT 10 ms; ACKs 3 ms apart, so no ACK train
    for (let i = 0; i < 10; i++) assert.equal(h.acked(ack(i * 3000, 10_000, 30, 1 + i, 1000)), false);
    assert.equal(h.delayMin, 10_000);
    // round 2: RTTs of 14 ms (not more than 10 + 4 ms) do not trigger; 14.001 ms after 8 samples does
    let t = 100_000;
    for (let i = 0; i < 9; i++) assert.equal(h.acked(ack((t += 3000), 14_000, 30, 1001 + i, 5000)), false);
    const g = new Hystart();
    for (let i = 0; i < 10; i++) g.acked(ack(i * 3000, 10_000, 30, 1 + i, 1000));
    const got: boolean[] = [];
    for (let i = 0; i < 9; i++) got.push(g.acked(ack((t += 3000), 14_001, 30, 1001 + i, 5000)));
    assert.deepEqual(got, [false, false, false, false, false, false, false, false, true]);
  });

  it('a sample covering a retransmission is ignored; a timeout starts HyStart over', () => {
    const h = new Hystart();
    assert.equal(h.acked({ ...ack(0, 600, 20, 1, 100), rttNs: undefined }), false);
    assert.equal(h.delayMin, 0);
    h.acked(ack(0, 600, 20, 1, 100));
    h.found = true;
    h.restart();
    assert.deepEqual([h.found, h.delayMin], [false, 0]);
  });

  it("CUBIC's slow start ends where HyStart says: NewReno then takes ssthresh = cwnd", () => {
    const cubic = new Cubic();
    let now = 0;
    const cc = new NewReno(MSS, 10, cubic, { now: () => now, srtt: () => 600 * US });
    let una = 1;
    let rounds = 0;
    while (cc.ssthresh === Number.MAX_SAFE_INTEGER && rounds < 50) {
      // one round: a whole window acknowledged in 100 µs steps, one ACK per two segments
      const segs = cc.cwnd / MSS;
      const nxt = una + cc.cwnd;
      for (let i = 0; i < segs / 2; i++) {
        now += 100 * US;
        una += 2 * MSS;
        cc.onNewAck(2 * MSS, una, nxt - una, { rttNs: 600 * US, nxt });
      }
      rounds++;
    }
    assert.ok(cubic.hystart.found);
    assert.ok(cc.ssthresh >= 16 * MSS && cc.ssthresh < 100 * MSS, `ssthresh ${cc.ssthresh / MSS} segments`);
  });
});
