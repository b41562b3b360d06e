/**
 * A restartable one-shot timer for TCP's retransmission, persist, delayed-ACK and TIME-WAIT timers.
 * Engine events cannot be cancelled and TCP restarts its retransmission timer on nearly every ACK, so the
 * timer keeps a deadline and at most one live event: moving the deadline later costs nothing (the early
 * event re-arms itself when it fires), only moving it earlier schedules a new event.
 */
import type { Engine } from '../sim/engine.js';

/** A timer that calls `fn` once its deadline passes, unless cleared or moved first. */
export class DeadlineTimer {
  private deadline = -1;
  private eventAt = -1;
  private token = 0;
  private readonly onEvent = (token: number): void => this.fire(token);

  constructor(
    private readonly engine: Engine,
    private readonly fn: () => void,
  ) {}

  /** True while a deadline is set. */
  get pending(): boolean {
    return this.deadline >= 0;
  }

  /** Sets the deadline `delay` ns from now, replacing any earlier or later one. */
  set(delay: number): void {
    const at = this.engine.now + Math.max(0, Math.round(delay));
    this.deadline = at;
    if (this.eventAt < 0 || this.eventAt > at) {
      this.eventAt = at;
      this.engine.at(at, this.onEvent, ++this.token);
    }
  }

  /** Clears the deadline; the callback will not run. */
  clear(): void {
    this.deadline = -1;
  }

  private fire(token: number): void {
    if (token !== this.token) return; // superseded by an earlier event
    this.eventAt = -1;
    if (this.deadline < 0) return;
    if (this.engine.now < this.deadline) {
      this.eventAt = this.deadline;
      this.engine.at(this.deadline, this.onEvent, ++this.token);
      return;
    }
    this.deadline = -1;
    this.fn();
  }
}
