/**
 * The engine: an integer-nanosecond clock and an event queue ordered by (time, insertion sequence), so
 * events at the same instant run in the order they were scheduled and every run repeats exactly (as ns-3).
 * The queue is a binary heap; events scheduled one after another for the same instant (a switch flooding
 * a broadcast to 1,000 ports) share one heap entry as a chain, each taking the heap's top in turn.
 * It owns time and randomness for all model code; it knows nothing of packets. Randomness comes only as
 * named streams (`stream`), one per object, so there is no shared generator a new draw could shift.
 */
import { type Prng, streamPrng } from './prng.js';

/** Nanoseconds per unit, for readable schedules. */
export const NS = 1;
export const US = 1_000;
export const MS = 1_000_000;
export const SECOND = 1_000_000_000;

/** A scheduled callback: `fn(arg)` at `time`. Handles are pooled; do not keep one after it ran. */
interface SimEvent {
  time: number;
  seq: number;
  // each event pairs a handler with the argument it was scheduled with; the pairing is checked at `at`/`after`
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  fn: ((arg: any) => void) | undefined;
  arg: unknown;
  /** The event scheduled right after this one for the same instant (its seq is this one's + 1). */
  next: SimEvent | undefined;
}

/** A timer's state; its engine event calls fireTimer with it. */
class TimerEvent implements Timer {
  pending = true;
  constructor(
    readonly engine: Engine,
    readonly fn: () => void,
    readonly background = false,
  ) {}

  cancel(): void {
    if (!this.pending) return;
    this.pending = false;
    this.engine.timerCancelled(this.background);
  }
}

function fireTimer(t: TimerEvent): void {
  t.pending = false;
  if (t.background) t.engine.backgroundDone();
  t.fn();
}

/** A cancellable timer returned by `Engine.timer`. */
export interface Timer {
  /** Stops the timer if it has not fired. */
  cancel(): void;
  readonly pending: boolean;
}

/**
 * Why a bounded run (`runBounded`) returned: the queue emptied (`idle`), `stop()` was called (`stopped`, e.g.
 * a storm detector), the event budget ran out (`event-budget`), or the next event lies past the simulated-time
 * budget (`time-budget`).
 */
export type RunEnd = 'idle' | 'stopped' | 'event-budget' | 'time-budget';

/** The discrete-event engine. */
export class Engine {
  /** Current simulated time in integer nanoseconds. */
  now = 0;
  /** Events executed so far. */
  eventsRun = 0;
  /** The run's seed; every random stream is derived from it and the stream's name. */
  readonly seed: number;
  private readonly streams = new Map<string, Prng>();
  private heap: SimEvent[] = [];
  /** Events waiting in chains behind a heap entry (not in `heap` itself). */
  private chained = 0;
  /** The last event scheduled, while it waits: the next one for the same instant joins its chain. */
  private last: SimEvent | undefined = undefined;
  private free: SimEvent[] = [];
  private seq = 0;
  private stopped = false;
  /** Cancelled timers whose events are still in the heap. */
  private cancelledTimers = 0;
  /** Background timers still pending: they run in time but do not keep runUntilIdle going. */
  private backgroundTimers = 0;

  constructor(seed = 1) {
    if (!Number.isSafeInteger(seed)) throw new Error(`engine: seed ${seed} is not a safe integer`);
    this.seed = seed;
  }

  /**
   * The random stream called `name` (as ns-3's per-object RngStream): derived from the seed and the name
   * only (`streamPrng`), and the same object on every call with that name. Each object takes its stream once,
   * when it is built, under a name that says whose it is: `node:A/tcp`, `link:A:eth0-sw1:p1`,
   * `node:A/ping`, `cni:node1`. Draws from one stream never move another's values.
   */
  stream(name: string): Prng {
    let s = this.streams.get(name);
    if (s === undefined) {
      s = streamPrng(this.seed, name);
      this.streams.set(name, s);
    }
    return s;
  }

  /** Runs `fn(arg)` after `delay` ns (integer, >= 0). */
  schedule<T>(delay: number, fn: (arg: T) => void, arg?: T): void {
    this.at(this.now + delay, fn, arg);
  }

  /**
   * Runs `fn(arg)` at absolute time `time` (an integer >= now, at most Number.MAX_SAFE_INTEGER ns, about
   * 104 days: past it the clock could no longer tell neighbouring nanoseconds apart). Throws otherwise.
   */
  at<T>(time: number, fn: (arg: T) => void, arg?: T): void {
    if (!(time >= this.now) || !Number.isSafeInteger(time)) {
      if (Number.isInteger(time) && time > Number.MAX_SAFE_INTEGER)
        throw new RangeError(`engine: event time ${time} ns is past Number.MAX_SAFE_INTEGER (2^53 - 1 ns)`);
      throw new Error(`engine: bad event time ${time} at now=${this.now}`);
    }
    const ev = this.free.pop() ?? { time: 0, seq: 0, fn: undefined, arg: undefined, next: undefined };
    ev.time = time;
    ev.seq = this.seq++;
    ev.fn = fn;
    ev.arg = arg;
    ev.next = undefined;
    // the previous schedule was for this instant too and still waits: nothing can come between the two in
    // (time, seq) order, so this one follows it in its chain instead of taking a heap entry of its own
    const prev = this.last;
    this.last = ev;
    if (prev !== undefined && prev.time === time) {
      prev.next = ev;
      this.chained++;
      return;
    }
    const h = this.heap;
    let i = h.length;
    h.push(ev);
    // sift up
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = h[p]!;
      if (pe.time < time || (pe.time === time && pe.seq < ev.seq)) break;
      h[i] = pe;
      i = p;
    }
    h[i] = ev;
  }

  /** A cancellable one-shot timer. */
  timer(delay: number, fn: () => void): Timer {
    const t = new TimerEvent(this, fn);
    this.schedule(delay, fireTimer, t);
    return t;
  }

  /**
   * A timer for a protocol's periodic housekeeping (STP hellos, ageing): it fires in time order like any
   * event, but a network whose only pending events are background timers counts as idle, so
   * `runUntilIdle` returns instead of running the clock to its limit. What the timer sends (frames on a
   * link) is ordinary work again.
   */
  backgroundTimer(delay: number, fn: () => void): Timer {
    const t = new TimerEvent(this, fn, true);
    this.backgroundTimers++;
    this.schedule(delay, fireTimer, t);
    return t;
  }

  /** Called by a timer when it is cancelled: its event no longer counts as work. */
  timerCancelled(background = false): void {
    this.cancelledTimers++;
    if (background) this.backgroundTimers--;
  }

  /** Called when a background timer fires. */
  backgroundDone(): void {
    this.backgroundTimers--;
  }

  /** Number of events waiting (cancelled and background timers not counted). */
  get pendingEvents(): number {
    return this.heap.length + this.chained - this.cancelledTimers - this.backgroundTimers;
  }

  /** Stops `run` after the current event. */
  stop(): void {
    this.stopped = true;
  }

  /** Runs events until the queue is empty, `until` (absolute ns) is passed, or `stop()` is called. */
  run(until = Number.POSITIVE_INFINITY): void {
    this.loop(until);
    if (until !== Number.POSITIVE_INFINITY && !this.stopped && until > this.now) this.now = until;
  }

  /**
   * Runs until no event is left, `stop()` is called, or `limit` ns of simulated time have passed. Unlike
   * `run`, the clock stays at the last event when the queue empties (nothing happened after it).
   */
  runUntilIdle(limit = Number.POSITIVE_INFINITY): void {
    this.loop(this.now + limit, Number.POSITIVE_INFINITY, true);
  }

  /**
   * Like `runUntilIdle(maxSimTime)`, but also stops after `maxEvents` events, and says why it returned. The
   * clock stays at the last event run, so `now` tells where a budget ran out.
   */
  runBounded(maxSimTime: number, maxEvents = Number.POSITIVE_INFINITY): RunEnd {
    return this.loop(this.now + maxSimTime, this.eventsRun + maxEvents, true);
  }

  /** The event loop; with `untilIdle`, pending background timers alone do not keep it going. */
  private loop(end: number, eventLimit = Number.POSITIVE_INFINITY, untilIdle = false): RunEnd {
    this.stopped = false;
    const h = this.heap;
    while (h.length + this.chained > this.cancelledTimers + (untilIdle ? this.backgroundTimers : 0) && !this.stopped) {
      const ev = h[0]!;
      if (ev.time > end) return 'time-budget';
      // one compare per event: the budget that turns a runaway (a loop, a storm) into a clear failure
      if (this.eventsRun >= eventLimit) return 'event-budget';
      if (ev.next !== undefined) {
        // the next of its chain is the least event left: same time, and every other one at this time was
        // scheduled later (the chain's events were scheduled one after another)
        h[0] = ev.next;
        this.chained--;
      } else {
        const tail = h.pop()!;
        if (h.length > 0) this.siftDown(tail);
      }
      if (ev === this.last) this.last = undefined;
      ev.next = undefined;
      if (ev.fn === fireTimer && !(ev.arg as TimerEvent).pending) {
        // a cancelled timer: nothing happens, and the clock does not move for it
        this.cancelledTimers--;
        ev.fn = undefined;
        ev.arg = undefined;
        this.free.push(ev);
        continue;
      }
      this.now = ev.time;
      const fn = ev.fn!;
      const arg = ev.arg;
      ev.fn = undefined;
      ev.arg = undefined;
      this.free.push(ev);
      this.eventsRun++;
      fn(arg);
    }
    return this.stopped ? 'stopped' : 'idle';
  }

  /** Runs for `duration` ns of simulated time from now. */
  runFor(duration: number): void {
    this.run(this.now + duration);
  }

  private siftDown(ev: SimEvent): void {
    const h = this.heap;
    const n = h.length;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n) {
        const a = h[c]!;
        const b = h[r]!;
        if (b.time < a.time || (b.time === a.time && b.seq < a.seq)) c = r;
      }
      const ce = h[c]!;
      if (ev.time < ce.time || (ev.time === ce.time && ev.seq < ce.seq)) break;
      h[i] = ce;
      i = c;
    }
    h[i] = ev;
  }
}
