/**
 * The contract between the lab runner (run.ts) and the step runners: what a runner gets to do its step,
 * and the table type that maps each step kind to its runner. Adding a step kind is adding one runner to
 * the table in step-runners.ts.
 */
import type { TraceRecorder, TraceEvent } from '../observe/recorder.js';
import type { LabNetwork } from './build.js';
import type { StepAction, StepSpec } from './lab-types.js';

/** The outcome of one step. */
export interface StepResult {
  name: string;
  ok: boolean;
  /** What the step printed (ping output, a table, a delivery line). */
  output: string;
  /** One line per failed expectation. */
  failures: string[];
  /** What devices reported during the step, as far as it was recorded (see `omitted`). */
  events: TraceEvent[];
  /** Events of this step not recorded: the run's recording cap was reached, or nobody asked for them. */
  omitted: number;
  /** Set when a budget or a storm stopped the step before the network was quiet (also in `failures`). */
  stopped?: string;
  /** file:line of the step, for messages. */
  where: string;
}

/** What a step runner works with. */
export interface StepContext {
  lab: LabNetwork;
  step: StepSpec;
  result: StepResult;
  /** Records the step's frames (when a check or the reader needs them), drops (always counted) and notes. */
  rec: TraceRecorder;
  /** Adds a failed expectation. */
  fail: (message: string) => void;
  /**
   * Runs the engine until the network is quiet, within the step's budgets. False when a budget ran out or a
   * storm stopped it: the step has failed with a message naming why, and the runner should return.
   */
  settle: () => boolean;
  /** Like `settle`, but runs exactly `duration` ns (a `wait`): only the event budget and storms stop it. */
  advance: (duration: number) => boolean;
}

/** Runs one kind of step. */
export type StepRunner<K extends StepAction['kind']> = (ctx: StepContext, action: StepAction & { kind: K }) => void;

/** One runner per step kind. */
export type StepRunners = { [K in StepAction['kind']]: StepRunner<K> };

/** True when a step's checks need its frames recorded (not only its drops). */
export function needsFrames(step: StepSpec): boolean {
  return step.expect.path !== undefined || step.expect.seenBy !== undefined;
}

/** A step's result before it runs: passing, with nothing printed, its events kept in `events`. */
export function startStepResult(name: string, where: string, events: TraceEvent[]): StepResult {
  return { name, ok: true, output: '', failures: [], events, omitted: 0, where };
}
