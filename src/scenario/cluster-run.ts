/**
 * Runs a Cluster document's steps on a built cluster, in order, each under the run's budgets, checking
 * each step's expectations; results have the lab runner's shape (step-context.ts StepResult), so the CLI
 * prints both alike. A cluster never goes quiet (leases, probes), so a command's step runs until the
 * command ends rather than until the network is idle. What a change did is the step's output: the
 * controllers' log lines, then what the nodes reported (flanneld adding and removing routes).
 */
import { RecordingCap, TraceRecorder, DEFAULT_RECORDING_CAP, teeTracer } from '../observe/recorder.js';
import type { CommandResult } from '../apps/shell.js';
import type { ClusterRuntime } from '../cluster/runtime.js';
import {
  addNode,
  deletePod,
  LifecycleError,
  removeNode,
  restartFlanneld,
  scaleDeployment,
  type ChangeLog,
} from '../cluster/lifecycle.js';
import { DEFAULT_BUDGETS, formatStop, stopFor, type Budgets, type StepStop } from './budget.js';
import { startStepResult, type StepResult } from './step-context.js';
import { checkCommandOutput } from './step-runners.js';
import { showIpNode } from './lab-shell.js';
import { clusterMachine, clusterMachineNames, runOnMachine } from './cluster-shell.js';
import type { ClusterRunSpec, ClusterStep, ClusterStepAction } from './cluster-steps.js';

/** The outcome of a cluster's steps. */
export interface ClusterRunResult {
  steps: StepResult[];
  /** Steps not run because an earlier one was stopped by a budget. */
  notRun: string[];
  ok: boolean;
}

/** Options of runClusterSteps. */
export interface ClusterRunOptions {
  /** The file the steps came from, for `where`. */
  file: string;
  /** Command-line budgets over spec.limits over the defaults. */
  budgets?: Partial<Budgets>;
  /** `all`: keep every frame for per-hop tables (--verbose); `needed`: notes and drops only. */
  record?: 'all' | 'needed';
  cap?: RecordingCap;
}

/** Runs `run`'s steps on `rt`. */
export async function runClusterSteps(
  rt: ClusterRuntime,
  run: ClusterRunSpec,
  opts: ClusterRunOptions,
): Promise<ClusterRunResult> {
  const budgets: Budgets = { ...DEFAULT_BUDGETS, ...run.limits, ...opts.budgets };
  const cap = opts.cap ?? new RecordingCap(DEFAULT_RECORDING_CAP);
  const steps: StepResult[] = [];
  const notRun: string[] = [];
  for (const [i, s] of run.steps.entries()) {
    if (steps.some((x) => x.stopped !== undefined)) notRun.push(s.name);
    else steps.push(await runClusterStep(rt, s, i + 1, budgets, { ...opts, cap }));
  }
  return { steps, notRun, ok: notRun.length === 0 && steps.every((s) => s.ok) };
}

async function runClusterStep(
  rt: ClusterRuntime,
  step: ClusterStep,
  index: number,
  budgets: Budgets,
  opts: ClusterRunOptions & { cap: RecordingCap },
): Promise<StepResult> {
  const rec = new TraceRecorder({ cap: opts.cap });
  const prev = rt.network.tracer;
  const mine = rec.only({ frames: opts.record === 'all', notes: true });
  rt.network.tracer = prev === undefined ? mine : teeTracer(prev, mine);
  const r = startStepResult(step.name, `${opts.file}:${rt.plan.cluster.origin.doc.locate(step.path).line}`, rec.events);
  const fail = (m: string): void => {
    r.failures.push(m);
  };
  const stopped = (s: StepStop | undefined): boolean => {
    if (s === undefined) return false;
    r.stopped = formatStop(index, step.name, s);
    r.failures.push(r.stopped);
    return true;
  };
  try {
    await act(rt, step.action, { r, fail, stopped, budgets, step });
  } catch (e) {
    if (!(e instanceof LifecycleError)) throw e;
    fail(e.message);
  } finally {
    rt.network.tracer = prev;
  }
  r.omitted = rec.omitted;
  r.ok = r.failures.length === 0;
  return r;
}

/** What a step's action works with. */
interface ActCtx {
  r: StepResult;
  fail: (m: string) => void;
  /** Records why the step was stopped; true when it was. */
  stopped: (s: StepStop | undefined) => boolean;
  budgets: Budgets;
  step: ClusterStep;
}

async function act(rt: ClusterRuntime, a: ClusterStepAction, x: ActCtx): Promise<void> {
  const e = x.step.expect;
  switch (a.kind) {
    case 'wait': {
      const from = rt.engine.now;
      const end = rt.engine.runBounded(a.duration, x.budgets.maxEvents);
      if (x.stopped(stopFor(end === 'time-budget' ? 'idle' : end, rt.engine, rt.network, x.budgets))) return;
      // nothing is left before the end of the wait: the clock moves there
      rt.engine.run(from + a.duration);
      x.r.output = `waited ${a.duration / 1e9}s (now ${rt.engine.now / 1e9}s)`;
      return;
    }
    case 'exec':
    case 'ping': {
      const on = a.kind === 'exec' ? a.on : a.from;
      const argv =
        a.kind === 'exec'
          ? a.argv
          : [
              'ping',
              '-c',
              String(a.count),
              ...(a.interval !== undefined ? ['-i', String(a.interval / 1e9)] : []),
              a.to,
            ];
      const res = command(rt, on, argv, x);
      if (res === undefined) return;
      x.r.output = `${on}$ ${argv.join(' ')}\n${res.stdout}`;
      checkCommandOutput(e, res, x.fail);
      if (a.kind === 'ping') checkPing(res.stdout, e, x.fail);
      return;
    }
    case 'show': {
      const m = clusterMachine(rt, a.on);
      if (m === undefined) return x.fail(`no pod, node or outside machine named ${a.on} (${clusterMachineNames(rt)})`);
      x.r.output = showIpNode(m.stack, a.what, a.on);
      checkCommandOutput(e, { status: 0, stdout: x.r.output }, x.fail);
      return;
    }
    case 'scale':
      return changed(scaleDeployment(rt, a.deployment, a.replicas), x);
    case 'delete':
      return changed(deletePod(rt, a.pod), x);
    case 'addNode':
      return changed(await addNode(rt, a.node), x);
    case 'removeNode':
      return changed(await removeNode(rt, a.name, { revokeLease: a.revokeLease }), x);
    case 'restart':
      return changed(await restartFlanneld(rt, a.flanneld), x);
  }
}

/** Runs a command to its end, within the budgets; undefined when it could not (the step has failed). */
function command(rt: ClusterRuntime, on: string, argv: string[], x: ActCtx): CommandResult | undefined {
  const m = clusterMachine(rt, on);
  if (m === undefined) {
    x.fail(`no pod, node or outside machine named ${on} (${clusterMachineNames(rt)})`);
    return undefined;
  }
  let result: CommandResult | undefined;
  runOnMachine(m, argv, (res) => {
    result = res;
    rt.engine.stop();
  });
  if (result !== undefined) return result;
  const end = rt.engine.runBounded(x.budgets.maxSimTime, x.budgets.maxEvents);
  if (result !== undefined) return result;
  if (!x.stopped(stopFor(end, rt.engine, rt.network, x.budgets)))
    x.fail(`${argv.join(' ')} did not finish (nothing was left to happen)`);
  return undefined;
}

/** A change's log, then what the nodes reported while it happened. */
function changed(log: ChangeLog, x: ActCtx): void {
  const notes = x.r.events.flatMap((ev) => (ev.kind === 'note' ? [`${ev.device}: ${ev.message}`] : []));
  x.r.output = [...log, ...notes].join('\n');
  checkCommandOutput(x.step.expect, { status: 0, stdout: x.r.output }, x.fail);
}

/** ping's summary line: "3 packets transmitted, 3 received, 0% packet loss, time 2003ms". */
function checkPing(stdout: string, e: ClusterStep['expect'], fail: (m: string) => void): void {
  const m = /(\d+) packets transmitted, (\d+) received(?:, \+\d+ errors)?, (\d+(?:\.\d+)?)% packet loss/.exec(stdout);
  if (m === null) {
    if (e.received !== undefined || e.loss !== undefined) fail('ping printed no summary line');
    return;
  }
  const received = Number(m[2]);
  const loss = Number(m[3]);
  if (e.received !== undefined && received !== e.received) fail(`${received} replies received, expected ${e.received}`);
  if (e.loss !== undefined && loss !== e.loss) fail(`${loss}% packet loss, expected ${e.loss}%`);
}
