/**
 * The engine's contract, as ns-3 states it: events run in (time, insertion order), the clock is an integer
 * number of nanoseconds that only moves forward, and a run can be bounded, stopped and resumed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Engine, MS, SECOND, US } from './engine.js';
import { type Prng, streamPrng } from './prng.js';

describe('engine ordering', () => {
  it('runs events at the same instant in the order they were scheduled', () => {
    const e = new Engine();
    const order: string[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) e.schedule(5 * US, () => order.push(name));
    e.run();
    assert.deepEqual(order, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(e.now, 5 * US);
  });

  it('runs an event scheduled for "now" from inside an event after those already waiting at that instant', () => {
    const e = new Engine();
    const order: string[] = [];
    e.at(100, () => {
      order.push('first');
      e.schedule(0, () => order.push('scheduled by first'));
    });
    e.at(100, () => order.push('second'));
    e.at(101, () => order.push('later'));
    e.run();
    assert.deepEqual(order, ['first', 'second', 'scheduled by first', 'later']);
  });

  it('passes the argument to the callback', () => {
    const e = new Engine();
    const got: number[] = [];
    e.schedule(1, (x: number) => got.push(x), 42);
    e.schedule(2, (x: number) => got.push(x), 7);
    e.run();
    assert.deepEqual(got, [42, 7]);
    assert.equal(e.eventsRun, 2);
  });

  it('orders any batch of events by (time, insertion) like a stable sort', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (times) => {
        const e = new Engine();
        const ran: number[] = [];
        times.forEach((t, i) =>
          e.at(t, () => {
            assert.equal(e.now, t); // the clock reads the event's own time while it runs
            ran.push(i);
          }),
        );
        e.run();
        const expected = times
          .map((t, i) => ({ t, i }))
          .sort((x, y) => x.t - y.t || x.i - y.i)
          .map((x) => x.i);
        assert.deepEqual(ran, expected);
        assert.equal(e.pendingEvents, 0);
      }),
    );
  });

  it('keeps (time, seq) order when events schedule more events while running', () => {
    // Each event may spawn children at now + d. Reference: a list kept sorted by (time, seq), seq counting
    // every schedule call across the whole run, exactly the order a correct engine must produce.
    const spec = fc.array(
      fc.tuple(fc.integer({ min: 0, max: 20 }), fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 })),
      {
        minLength: 1,
        maxLength: 60,
      },
    );
    fc.assert(
      fc.property(spec, (roots) => {
        let budget = 500;
        // engine run
        const e = new Engine();
        const got: string[] = [];
        const spawn = (label: string, delays: number[], depth: number): void => {
          got.push(`${label}@${e.now}`);
          if (depth >= 2) return;
          delays.forEach((d, k) => {
            if (budget-- <= 0) return;
            e.schedule(d, () => spawn(`${label}.${k}`, delays, depth + 1));
          });
        };
        roots.forEach(([t, delays], i) => e.at(t, () => spawn(`${i}`, delays, 0)));
        e.run();
        // reference run
        budget = 500;
        type Item = { time: number; seq: number; run: () => void };
        const queue: Item[] = [];
        let seq = 0;
        let now = 0;
        const want: string[] = [];
        const push = (time: number, run: () => void): void => {
          queue.push({ time, seq: seq++, run });
          queue.sort((x, y) => x.time - y.time || x.seq - y.seq);
        };
        const refSpawn = (label: string, delays: number[], depth: number): void => {
          want.push(`${label}@${now}`);
          if (depth >= 2) return;
          delays.forEach((d, k) => {
            if (budget-- <= 0) return;
            push(now + d, () => refSpawn(`${label}.${k}`, delays, depth + 1));
          });
        };
        roots.forEach(([t, delays], i) => push(t, () => refSpawn(`${i}`, delays, 0)));
        while (queue.length > 0) {
          const it = queue.shift()!;
          now = it.time;
          it.run();
        }
        assert.deepEqual(got, want);
      }),
    );
  });
});

describe('engine chains (same-instant events share a heap entry)', () => {
  it('keeps (time, seq) order, pendingEvents and cancelled timers through stops and event budgets', () => {
    // Ops per event: schedule a child at now + d (d often 0, so chains form and grow while they run), arm a
    // timer, cancel the oldest live timer, or stop the run. The run is cut into slices by small event
    // budgets and by stop(); after each slice pendingEvents must equal the reference queue's live events.
    type Op = { kind: 'child'; d: number } | { kind: 'timer'; d: number } | { kind: 'cancel' } | { kind: 'stop' };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('child' as const), d: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('timer' as const), d: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('cancel' as const) }),
      fc.record({ kind: fc.constant('stop' as const) }),
    );
    const spec = fc.record({
      roots: fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.array(op, { maxLength: 3 })), {
        minLength: 1,
        maxLength: 40,
      }),
      slices: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }),
    });
    fc.assert(
      fc.property(spec, ({ roots, slices }) => {
        // the reference: a list sorted by (time, seq), live timers in arming order
        type Item = { time: number; seq: number; label: string; ops: Op[]; depth: number; timer?: { live: boolean } };
        let queue: Item[] = [];
        let seq = 0;
        let refNow = 0;
        let refStopped = false;
        const refTimers: { live: boolean }[] = [];
        const refPush = (it: Omit<Item, 'seq'>): void => {
          queue.push({ ...it, seq: seq++ });
          queue.sort((x, y) => x.time - y.time || x.seq - y.seq);
        };
        const refRun = (it: Item): void => {
          refNow = it.time;
          want.push(`${it.label}@${refNow}`);
          if (it.depth >= 3) return;
          it.ops.forEach((o, k) => {
            const label = `${it.label}.${k}`;
            if (o.kind === 'child') refPush({ time: refNow + o.d, label, ops: it.ops, depth: it.depth + 1 });
            else if (o.kind === 'timer') {
              const t = { live: true };
              refTimers.push(t);
              refPush({ time: refNow + o.d, label: `${label}t`, ops: it.ops, depth: it.depth + 1, timer: t });
            } else if (o.kind === 'cancel') {
              const t = refTimers.find((x) => x.live);
              if (t !== undefined) t.live = false;
            } else refStopped = true;
          });
        };
        const want: string[] = [];
        roots.forEach(([t, ops], i) => refPush({ time: t, label: `${i}`, ops, depth: 0 }));
        const refLive = (): number => queue.filter((x) => x.timer === undefined || x.timer.live).length;
        // the engine, driven the same way
        const e = new Engine();
        const got: string[] = [];
        const timers: { t: ReturnType<Engine['timer']>; live: boolean }[] = [];
        const run = (label: string, ops: Op[], depth: number): void => {
          got.push(`${label}@${e.now}`);
          if (depth >= 3) return;
          ops.forEach((o, k) => {
            const l = `${label}.${k}`;
            if (o.kind === 'child') e.schedule(o.d, () => run(l, ops, depth + 1));
            else if (o.kind === 'timer') {
              const rec = { t: e.timer(o.d, () => ((rec.live = false), run(`${l}t`, ops, depth + 1))), live: true };
              timers.push(rec);
            } else if (o.kind === 'cancel') {
              const rec = timers.find((x) => x.live);
              if (rec !== undefined) {
                rec.live = false;
                rec.t.cancel();
              }
            } else e.stop();
          });
        };
        roots.forEach(([t, ops], i) => e.at(t, () => run(`${i}`, ops, 0)));
        for (let i = 0; refLive() > 0 || e.pendingEvents > 0; i++) {
          const budget = slices[i % slices.length]!;
          e.runBounded(100, budget);
          // the reference runs the same slice: live events until the budget or a stop
          let n = 0;
          refStopped = false;
          while (queue.length > 0 && !refStopped) {
            const it = queue[0]!;
            if (it.timer !== undefined && !it.timer.live) {
              queue = queue.slice(1);
              continue;
            }
            if (n >= budget) break;
            queue = queue.slice(1);
            if (it.timer !== undefined) it.timer.live = false;
            n++;
            refRun(it);
          }
          assert.deepEqual(got, want);
          assert.equal(e.pendingEvents, refLive());
          assert.ok(i < 10_000);
        }
      }),
    );
  });
});

describe('engine clock', () => {
  it('run(until) runs events up to and including `until`, then leaves the clock at `until`', () => {
    const e = new Engine();
    const ran: number[] = [];
    for (const t of [1 * MS, 2 * MS, 3 * MS]) e.at(t, () => ran.push(t));
    e.run(2 * MS);
    assert.deepEqual(ran, [1 * MS, 2 * MS]);
    assert.equal(e.now, 2 * MS);
    assert.equal(e.pendingEvents, 1);
    e.run(2500 * US);
    assert.deepEqual(ran, [1 * MS, 2 * MS], 'nothing due before 2.5 ms');
    assert.equal(e.now, 2500 * US, 'the clock advances to `until` even with no event there');
    e.run();
    assert.deepEqual(ran, [1 * MS, 2 * MS, 3 * MS]);
    assert.equal(e.now, 3 * MS);
  });

  it('run(until) on an empty queue still advances the clock', () => {
    const e = new Engine();
    e.run(SECOND);
    assert.equal(e.now, SECOND);
  });

  it('runFor(d) advances by d from now', () => {
    const e = new Engine();
    e.runFor(10);
    e.runFor(15);
    assert.equal(e.now, 25);
  });

  it('runUntilIdle leaves the clock at the last event, not at the limit', () => {
    const e = new Engine();
    e.at(700, () => {});
    e.at(300, () => {});
    e.runUntilIdle();
    assert.equal(e.now, 700);
    assert.equal(e.pendingEvents, 0);
  });

  it('runUntilIdle(limit) stops at now + limit and leaves later events waiting', () => {
    const e = new Engine();
    e.run(1000);
    const ran: number[] = [];
    for (const t of [1100, 1500, 2001]) e.at(t, () => ran.push(t));
    e.runUntilIdle(1000);
    assert.deepEqual(ran, [1100, 1500]);
    assert.equal(e.now, 1500);
    assert.equal(e.pendingEvents, 1);
  });

  it('stop() ends the run after the current event; the clock stays there and run() resumes', () => {
    const e = new Engine();
    const ran: number[] = [];
    e.at(10, () => ran.push(10));
    e.at(20, () => {
      ran.push(20);
      e.stop();
    });
    e.at(20, () => ran.push(21)); // same instant, scheduled after the stopping event
    e.at(30, () => ran.push(30));
    e.run(1000);
    assert.deepEqual(ran, [10, 20]);
    assert.equal(e.now, 20, 'a stopped run does not jump to `until`');
    e.run();
    assert.deepEqual(ran, [10, 20, 21, 30]);
    assert.equal(e.now, 30);
  });

  it('schedule(delay) is relative to the current time', () => {
    const e = new Engine();
    let at = -1;
    e.at(1000, () => e.schedule(234, () => (at = e.now)));
    e.run();
    assert.equal(at, 1234);
  });
});

describe('engine timers', () => {
  it('a cancelled timer never fires; an uncancelled one fires once', () => {
    const e = new Engine();
    const fired: string[] = [];
    const t1 = e.timer(100, () => fired.push('t1'));
    const t2 = e.timer(200, () => fired.push('t2'));
    assert.equal(t1.pending, true);
    e.at(50, () => t1.cancel());
    e.run();
    assert.deepEqual(fired, ['t2']);
    assert.equal(t1.pending, false);
    assert.equal(t2.pending, false);
  });

  it('cancelling after the timer fired is harmless', () => {
    const e = new Engine();
    let n = 0;
    const t = e.timer(5, () => n++);
    e.run();
    t.cancel();
    e.run();
    assert.equal(n, 1);
  });
});

describe('engine rejects bad times (caller bugs)', () => {
  it('throws for negative, fractional, NaN and past times', () => {
    const e = new Engine();
    e.run(1000);
    const noop = (): void => {};
    assert.throws(() => e.schedule(-1, noop), /bad event time/);
    assert.throws(() => e.schedule(0.5, noop), /bad event time/);
    assert.throws(() => e.schedule(Number.NaN, noop), /bad event time/);
    assert.throws(() => e.at(999, noop), /bad event time 999 at now=1000/);
    assert.throws(() => e.at(Number.POSITIVE_INFINITY, noop), /bad event time/);
    assert.equal(e.pendingEvents, 0, 'a rejected event is not queued');
    e.at(1000, noop); // exactly now is fine
    assert.equal(e.pendingEvents, 1);
  });
});

describe('engine rejects times past 2^53 ns', () => {
  it('throws a RangeError for a time or a delay past Number.MAX_SAFE_INTEGER, and queues nothing', () => {
    const e = new Engine();
    const noop = (): void => {};
    assert.throws(() => e.at(2 ** 53, noop), RangeError);
    assert.throws(() => e.at(2 ** 60, noop), /event time 1152921504606847000 ns is past Number.MAX_SAFE_INTEGER/);
    e.run(1000);
    assert.throws(() => e.schedule(Number.MAX_SAFE_INTEGER, noop), RangeError, 'now + delay is past the limit');
    assert.equal(e.pendingEvents, 0);
    e.at(Number.MAX_SAFE_INTEGER, noop); // the last representable nanosecond is still fine
    assert.equal(e.pendingEvents, 1);
  });
});

describe('engine determinism', () => {
  it('the same seed gives the same random draws inside events', () => {
    const draw = (seed: number): number[] => {
      const e = new Engine(seed);
      const out: number[] = [];
      for (let i = 0; i < 5; i++) e.schedule(i, () => out.push(e.stream('node:A/tcp').nextU32()));
      e.run();
      return out;
    };
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
  });
});

describe('engine random streams', () => {
  const take = (p: Prng, n: number): number[] => Array.from({ length: n }, () => p.nextU32());

  it('stream(name) is the same object on every call, and is streamPrng(seed, name)', () => {
    const e = new Engine(42);
    const a = e.stream('node:A/tcp');
    assert.equal(e.stream('node:A/tcp'), a, 'memoised: draws continue where the last caller left off');
    assert.deepEqual(take(a, 20), take(streamPrng(42, 'node:A/tcp'), 20));
    assert.equal(e.seed, 42);
  });

  it('distinct names give distinct sequences; the same name in another run gives the same one', () => {
    const e = new Engine(1);
    const names = ['node:A/tcp', 'node:B/tcp', 'node:A/ip-id', 'link:A:eth0>sw1:p1', 'link:sw1:p1>A:eth0', 'cni:node1'];
    const firsts = names.map((n) => take(e.stream(n), 4).join(','));
    assert.equal(new Set(firsts).size, names.length);
    const again = new Engine(1);
    assert.deepEqual(
      names.map((n) => take(again.stream(n), 4).join(',')),
      firsts,
    );
    assert.notDeepEqual(take(new Engine(2).stream('node:A/tcp'), 4), take(new Engine(1).stream('node:A/tcp'), 4));
  });

  it("an extra draw from one node's stream leaves another node's values unchanged, whatever the order", () => {
    // two runs of the same "scenario" (A and B draw alternately in events); run 2 adds draws to A only
    const run = (extraOnA: number): { a: number[]; b: number[] } => {
      const e = new Engine(9);
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < 10; i++) {
        e.schedule(i, () => {
          for (let k = 0; k <= (i === 3 ? extraOnA : 0); k++) a.push(e.stream('node:A/tcp').nextU32());
        });
        e.schedule(i, () => b.push(e.stream('node:B/tcp').nextU32()));
      }
      // a stream first asked for late (a node added mid-run) starts at the same place as any other time
      e.schedule(5, () => e.stream('node:C/tcp').nextU32());
      e.run();
      return { a, b };
    };
    const plain = run(0);
    const more = run(5);
    assert.deepEqual(more.b, plain.b, "B's values do not move");
    assert.notDeepEqual(more.a, plain.a, 'the test can fail: A itself did change');
    assert.deepEqual(more.a.slice(0, 4), plain.a.slice(0, 4), "A's draws before the extra ones are the same");
  });

  it('refuses a seed that is not a safe integer (streams would silently collapse)', () => {
    assert.throws(() => new Engine(1.5), /not a safe integer/);
    assert.throws(() => new Engine(Number.NaN), /not a safe integer/);
  });
});

describe('engine budgets', () => {
  it('runBounded says why it returned: idle, event budget, time budget, stopped', () => {
    const e = new Engine();
    e.schedule(10, () => {});
    assert.equal(e.runBounded(1000, 100), 'idle');
    const tick = (): void => e.schedule(1, tick);
    tick();
    const before = e.eventsRun;
    assert.equal(e.runBounded(1_000_000, 500), 'event-budget');
    assert.equal(e.eventsRun - before, 500, 'exactly the budget ran');
    const t = e.now;
    assert.equal(e.runBounded(100, 1_000_000), 'time-budget');
    assert.equal(e.now, t + 100, 'the clock stays at the last event inside the budget');
    e.schedule(0, () => e.stop());
    assert.equal(e.runBounded(1_000_000, 1_000_000), 'stopped');
    // a cancelled timer past the budget is not work left over
    const f = new Engine();
    f.timer(5000, () => {}).cancel();
    assert.equal(f.runBounded(100), 'idle');
  });
});
