/**
 * Runs a lab's steps in order on one network, checking each step's expectations. Each step runs under an
 * event budget and a simulated-time budget (budget.ts), and a broadcast storm stops it (link/storm.ts):
 * a step that does not settle fails with a message naming why, and the steps after it are not run.
 * Recording is bounded: drops are always counted; frames are kept when a check needs them or the reader
 * asked for them (`record: 'all'`), notes only then, and never more than the run's recording cap.
 * What each step kind does is in step-runners.ts, one runner per kind.
 */
import { RecordingCap, TraceRecorder, DEFAULT_RECORDING_CAP } from '../observe/recorder.js';
import type { Tracer } from '../link/trace.js';
import { buildLab, type LabNetwork } from './build.js';
import type { LabSpec, StepSpec } from './lab.js';
import { DEFAULT_BUDGETS, formatStop, settle, stopFor, type Budgets, type StepStop } from './budget.js';
import { needsFrames, startStepResult, type StepContext, type StepResult } from './step-context.js';
import { STEP_RUNNERS } from './step-runners.js';

export type { StepResult } from './step-context.js';
export { execCommand, shellRun, show } from './lab-shell.js';

/** The outcome of a lab run. */
export interface LabRunResult {
  lab: LabNetwork;
  steps: StepResult[];
  /** Names of the steps not run because an earlier one was stopped (budget or storm). */
  notRun: string[];
  ok: boolean;
}

/** How a run records and how far a step may go. */
export interface RunOptions {
  /**
   * `all`: every frame, decision and drop of every step, for per-hop tables (the default); `needed`: only
   * what the step's checks use (drops always; frames for path/seenBy). Both stop at `cap`.
   */
  record?: 'all' | 'needed';
  /** Events kept across the whole run (default DEFAULT_RECORDING_CAP). */
  cap?: RecordingCap;
  /** Per-step budgets; unset fields come from the lab's spec.limits, then DEFAULT_BUDGETS. */
  budgets?: Partial<Budgets>;
}

/** The budgets for `spec` given command-line overrides. */
export function budgetsFor(spec: Pick<LabSpec, 'limits'>, o: Partial<Budgets> = {}): Budgets {
  return { ...DEFAULT_BUDGETS, ...spec.limits, ...o };
}

/** Builds `spec` and runs its steps. `prepare` runs after building, before the first step (pcap taps). */
export function runLab(
  spec: LabSpec,
  opts: RunOptions & { seed?: number; prepare?: (lab: LabNetwork) => void } = {},
): LabRunResult {
  const lab = buildLab(spec, opts.seed);
  opts.prepare?.(lab);
  const run: RunOptions = { ...opts, cap: opts.cap ?? new RecordingCap(DEFAULT_RECORDING_CAP) };
  const steps: StepResult[] = [];
  const notRun: string[] = [];
  for (const [i, s] of spec.steps.entries()) {
    if (steps.some((x) => x.stopped !== undefined)) notRun.push(s.name);
    else steps.push(runStep(lab, s, { ...run, index: i + 1 }));
  }
  return { lab, steps, notRun, ok: notRun.length === 0 && steps.every((s) => s.ok) };
}

/** Runs one step on a built lab (`index` is its 1-based number, for messages). */
export function runStep(lab: LabNetwork, step: StepSpec, opts: RunOptions & { index?: number } = {}): StepResult {
  const rec = new TraceRecorder(opts.cap !== undefined ? { cap: opts.cap } : {});
  const all = opts.record !== 'needed';
  const mine: Tracer = rec.only({ frames: all || needsFrames(step), notes: all });
  const prev = lab.network.tracer;
  lab.network.tracer = prev === undefined ? mine : tee(prev, mine);
  const pos = lab.spec.doc.locate(step.path);
  const r = startStepResult(step.name, `${lab.spec.file}:${pos.line}`, rec.events);
  const budgets = budgetsFor(lab.spec, opts.budgets);
  const stopped = (s: StepStop | undefined): boolean => {
    if (s === undefined) return true;
    r.stopped = formatStop(opts.index ?? 1, step.name, s);
    r.failures.push(r.stopped);
    return false;
  };
  const { engine, network } = lab;
  const ctx: StepContext = {
    lab,
    step,
    result: r,
    rec,
    fail: (m) => {
      r.failures.push(m);
    },
    settle: () => stopped(settle(engine, network, budgets)),
    advance: (duration) => {
      const from = engine.now;
      const end = engine.runBounded(duration, budgets.maxEvents);
      // nothing is left before the end of the wait (or nothing at all): move the clock there
      if (end === 'time-budget' || end === 'idle') {
        engine.run(from + duration);
        return true;
      }
      return stopped(stopFor(end, engine, network, budgets));
    },
  };
  try {
    dispatch(ctx);
  } finally {
    lab.network.tracer = prev;
  }
  r.omitted = rec.omitted;
  r.ok = r.failures.length === 0;
  return r;
}

/** Looks the step's kind up in the table of runners. */
function dispatch(ctx: StepContext): void {
  const a = ctx.step.action;
  // each runner takes its own kind of action; TypeScript cannot follow the correlation through the index
  (STEP_RUNNERS[a.kind] as (c: StepContext, x: typeof a) => void)(ctx, a);
}

function tee(a: Tracer, b: Tracer): Tracer {
  const t: Tracer = {};
  if (a.frame !== undefined || b.frame !== undefined) t.frame = (...x) => (a.frame?.(...x), b.frame?.(...x));
  if (a.note !== undefined || b.note !== undefined) t.note = (...x) => (a.note?.(...x), b.note?.(...x));
  if (a.drop !== undefined || b.drop !== undefined) t.drop = (...x) => (a.drop?.(...x), b.drop?.(...x));
  return t;
}

/** Re-export for the CLI. */
export type { LabSpec };
