/**
 * Drives a simulation Engine on the wall clock, for `podnet serve` and `podnet port-forward`: simulated time
 * follows real time from the moment `start()` is called, so a link's 100 µs latency takes 100 µs of real time
 * and real programs (curl, dig, wrk) can talk to emulated ones. Runs are no longer repeatable: when events
 * happen depends on when real bytes arrive. The engine itself is unchanged; this file only decides when to
 * run it and how far. Real sockets live in port-forward.ts.
 */
import type { Engine } from '../sim/engine.js';

/** How often the runner wakes to run due events while nothing real happens (timers have 1 ms resolution). */
const TICK_MS = 1;

/** Runs an Engine in step with real time until stopped. */
export class WallRunner {
  private wallOrigin = 0n;
  private simOrigin = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running = false;
  /** The longest catch-up, in ns: real time one advance() took to run the events due (how far the engine fell behind). */
  maxLagNs = 0;

  constructor(readonly engine: Engine) {}

  /** Simulated time that matches the wall clock now. */
  get target(): number {
    return this.simOrigin + Number(process.hrtime.bigint() - this.wallOrigin);
  }

  /** Real nanoseconds since start(). */
  get wallElapsedNs(): number {
    return Number(process.hrtime.bigint() - this.wallOrigin);
  }

  /** Starts following real time from the engine's current time. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.wallOrigin = process.hrtime.bigint();
    this.simOrigin = this.engine.now;
    this.timer = setInterval(() => this.advance(), TICK_MS);
  }

  /**
   * Runs every event due by now. Call it before handing real input to an emulated object, so what that object
   * schedules counts from the real present rather than from the last tick.
   */
  advance(): void {
    if (!this.running) return;
    const target = this.target;
    if (target > this.engine.now) this.engine.run(target);
    const lag = this.target - target;
    if (lag > this.maxLagNs) this.maxLagNs = lag;
  }

  /** Runs due events soon (after the current I/O callback): real input just arrived. */
  kick(): void {
    if (!this.running || this.immediate !== undefined) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.advance();
    });
  }

  /** Stops following real time; the engine keeps its state. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}
