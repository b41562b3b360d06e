/**
 * Real time as a datastore Clock (control/datastore/types.ts), for running the embedded store outside a
 * simulation, e.g. beside real programs. Time is integer nanoseconds of a monotonic clock, counted from when
 * the clock was made, so it starts near 0 like the engine's and never jumps with the system date.
 */
import type { Clock } from '../control/datastore/types.js';

/** Options of a wall clock. */
export interface WallClockOptions {
  /**
   * Whether pending callbacks keep the Node process alive (default false: a lease timer alone should not
   * stop a program from exiting, as etcd's server-side expiry would not).
   */
  keepProcessAlive?: boolean;
}

/** A Clock on real time: `now` from process.hrtime, `schedule` with setTimeout. */
export class WallClock implements Clock {
  private readonly origin = process.hrtime.bigint();
  private readonly keepAlive: boolean;

  constructor(opts: WallClockOptions = {}) {
    this.keepAlive = opts.keepProcessAlive ?? false;
  }

  /** Nanoseconds since this clock was made. */
  get now(): number {
    return Number(process.hrtime.bigint() - this.origin);
  }

  /** Runs `fn` after at least `delayNs` nanoseconds (timers have millisecond resolution). */
  schedule(delayNs: number, fn: () => void): void {
    if (!(delayNs >= 0)) throw new RangeError(`WallClock.schedule: bad delay ${delayNs}`);
    this.at(this.now + delayNs, fn);
  }

  /**
   * setTimeout counts from libuv's loop time, cached when the loop last woke, so it can fire up to about a
   * millisecond before the delay has passed on the monotonic clock; such a wake-up waits out the rest.
   */
  private at(deadline: number, fn: () => void): void {
    const timer = setTimeout(
      () => {
        const left = deadline - this.now;
        if (left > 0) this.at(deadline, fn);
        else fn();
      },
      Math.ceil(Math.max(0, deadline - this.now) / 1_000_000),
    );
    if (!this.keepAlive) timer.unref();
  }
}
