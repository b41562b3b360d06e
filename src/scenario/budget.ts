/**
 * Budgets that bound every step of a lab run: a number of engine events and an amount of simulated time.
 * A step that goes over either, or that a broadcast storm stops, ends as a failed step naming what stopped
 * it, never as a hang or an out-of-memory crash. Owns the defaults and the messages; the engine counts.
 */
import type { Engine } from '../sim/engine.js';
import type { Network } from '../link/device.js';
import { formatSeconds, formatStorm, groupDigits } from '../link/storm.js';
import { summarizeFrame } from '../observe/summary.js';

/** Limits of one step. */
export interface Budgets {
  /** Engine events one step may run. */
  maxEvents: number;
  /** Simulated time (ns) one step may take to become quiet (a `wait` step waits as long as it says). */
  maxSimTime: number;
}

/**
 * 10 million events: a few seconds of wall time at the engine's 1-3 million events/s, and some 500 times
 * what the largest example step needs; 1 hour of simulated time: a ping of 3,600 at the default interval
 * fits, and ARP (3 s) or TCP (60 s TIME_WAIT, 2 min of SYN retries) give up long before.
 */
export const DEFAULT_BUDGETS: Budgets = { maxEvents: 10_000_000, maxSimTime: 3_600_000_000_000 };

/** A step stopped before the network was quiet, and why. */
export type StepStop =
  | { kind: 'event-budget'; maxEvents: number; time: number }
  | { kind: 'time-budget'; maxSimTime: number; time: number }
  | { kind: 'storm'; message: string };

/**
 * Runs `engine` until nothing is left to do, within `b`. Returns undefined when it became quiet, or why
 * it stopped. A storm is read from the network's watch.
 */
export function settle(engine: Engine, network: Network, b: Budgets): StepStop | undefined {
  const end = engine.runBounded(b.maxSimTime, b.maxEvents);
  return stopFor(end, engine, network, b);
}

/** What an engine run's end means for a step (undefined: fine). */
export function stopFor(
  end: ReturnType<Engine['runBounded']>,
  engine: Engine,
  network: Network,
  b: Budgets,
): StepStop | undefined {
  switch (end) {
    case 'idle':
      return undefined;
    case 'event-budget':
      return { kind: 'event-budget', maxEvents: b.maxEvents, time: engine.now };
    case 'time-budget':
      return { kind: 'time-budget', maxSimTime: b.maxSimTime, time: engine.now };
    case 'stopped': {
      const r = network.stormWatch.report;
      if (r === undefined) return undefined;
      return { kind: 'storm', message: formatStorm(r, describeFrame) };
    }
  }
}

/** "step 3 (ping A -> B) stopped: event budget of 10,000,000 events exhausted at t=0.5s". */
export function formatStop(index: number, name: string, s: StepStop): string {
  return `step ${index} (${name}) stopped: ${describeStop(s)}`;
}

/** The reason part of `formatStop`. */
export function describeStop(s: StepStop): string {
  switch (s.kind) {
    case 'event-budget':
      return `event budget of ${groupDigits(s.maxEvents)} events exhausted at t=${formatSeconds(s.time)} (raise it with --max-events or spec.limits.maxEvents)`;
    case 'time-budget':
      return `simulated-time budget of ${formatDuration(s.maxSimTime)} exhausted at t=${formatSeconds(s.time)} with events still pending (raise it with --max-sim-time or spec.limits.maxSimTime)`;
    case 'storm':
      return s.message;
  }
}

/** A duration in the largest unit that divides it: 1h, 90s, 250ms, 17ns. */
export function formatDuration(ns: number): string {
  for (const [unit, n] of [
    ['h', 3_600_000_000_000],
    ['m', 60_000_000_000],
    ['s', 1_000_000_000],
    ['ms', 1_000_000],
    ['us', 1_000],
  ] as const)
    if (ns >= n && ns % n === 0) return `${ns / n}${unit}`;
  return `${ns}ns`;
}

function describeFrame(f: Uint8Array): string {
  const s = summarizeFrame(f, []);
  return `${s.protocol} ${s.srcMac} -> ${s.dstMac}${s.srcIp !== undefined ? ` (${s.srcIp} -> ${s.dstIp ?? '?'})` : ''}`;
}
