/**
 * A built lab or cluster behind one interface, for the worker: its network and engine, the machines
 * commands run on, how to run a command to completion, and its steps. Building is deterministic (the
 * seed is in the file), so every request rebuilds from the text: re-running to an instant gives the same
 * state the timeline showed.
 */
import { formatIpv4 } from '../../wire/addr.js';
import type { Engine } from '../../sim/engine.js';
import type { Network } from '../../link/device.js';
import type { CommandResult } from '../../apps/shell.js';
import { parseLab } from '../../scenario/lab.js';
import { buildLab } from '../../scenario/build.js';
import { budgetsFor, execCommand, runStep } from '../../scenario/run.js';
import { settle } from '../../scenario/budget.js';
import { holdsClusterDoc } from '../../scenario/cluster-doc.js';
import { loadCluster } from '../../scenario/manifests.js';
import { bringUp, buildCluster, type ClusterRuntime } from '../../cluster/runtime.js';
import { clusterMachine, runOnMachine } from '../../scenario/cluster-shell.js';
import { runClusterSteps } from '../../scenario/cluster-run.js';
import type { SpecError } from '../../scenario/source.js';
import type { StepResult } from '../../scenario/step-context.js';
import type { ClusterPlan } from '../../cluster/plan-types.js';
import type { DocKind, LabProblem, Machine } from './protocol.js';
import { clusterTunnels, type Tunnel } from './overlay.js';

/** How long a command may run in a cluster, whose timers never let it go quiet (as `podnet exec`). */
const CLUSTER_COMMAND_NS = 600_000_000_000;

/** A built lab or cluster. */
export interface World {
  kind: DocKind;
  name: string;
  engine: Engine;
  network: Network;
  machines: Machine[];
  stepNames: string[];
  /** Overlay tunnels between devices known from the spec: [a, b, label, segment]. */
  tunnels: Tunnel[];
  /** Starts `argv` on `machine` and drives the engine until it finishes (or the budget ends). */
  command(machine: string, argv: string[]): CommandResult | undefined;
  /** Starts `argv` on `machine` without driving the engine (the caller runs it to an instant). */
  start(machine: string, argv: string[]): boolean;
  /** Runs the file's steps in order; `starting(i)` is called before step i runs (to mark the recording). */
  runSteps(starting?: (i: number) => void): Promise<StepResult[]>;
  /** The cluster, when it is one. */
  cluster?: ClusterRuntime;
}

/** The file parsed: problems, or a way to build it. */
export type Parsed =
  | {
      ok: true;
      kind: DocKind;
      name: string;
      /**
       * Builds it. A cluster is brought up (a minute of simulated time, as `podnet exec` sees it) unless
       * `up` is false: enough to draw it, not to run commands in it.
       */
      build: (opts?: { up?: boolean }) => Promise<World>;
      /** The names of the file's steps. */
      stepNames: string[];
      /** A cluster's plan (drawn without building when it is big). */
      plan?: ClusterPlan;
    }
  | { ok: false; kind: DocKind; problems: LabProblem[] };

/** Problems for the editor, from the scenario layer's errors. */
function problems(errors: readonly SpecError[]): LabProblem[] {
  return errors.map((e) => ({ line: e.line, col: e.col, field: e.field, message: e.message }));
}

/** Parses and validates `text` (a lab, or a Cluster document with manifests). */
export function parseWorld(file: string, text: string): Parsed {
  if (holdsClusterDoc(text)) {
    const loaded = loadCluster([{ file, text }]);
    if (!loaded.ok) return { ok: false, kind: 'cluster', problems: problems(loaded.errors) };
    const c = loaded.cluster;
    return {
      ok: true,
      kind: 'cluster',
      name: c.plan.cluster.name,
      build: async (opts) => clusterWorld(await buildCluster(c.plan), c.run, opts?.up !== false),
      stepNames: c.run.steps.map((s) => s.name),
      plan: c.plan,
    };
  }
  const r = parseLab(file, text);
  if (!r.ok) return { ok: false, kind: 'lab', problems: problems(r.errors) };
  const spec = r.lab;
  return {
    ok: true,
    kind: 'lab',
    name: spec.name,
    build: async () => labWorld(spec),
    stepNames: spec.steps.map((s) => s.name),
  };
}

function labWorld(spec: Parameters<typeof buildLab>[0]): World {
  const lab = buildLab(spec);
  const budgets = budgetsFor(spec);
  const machines: Machine[] = [...lab.ipNodes.values()].map((n) => {
    const m: Machine = { name: n.name, kind: n.kind === 'router' ? 'router' : 'host' };
    if (n.primaryAddress !== undefined) m.ip = formatIpv4(n.primaryAddress);
    return m;
  });
  return {
    kind: 'lab',
    name: spec.name,
    engine: lab.engine,
    network: lab.network,
    machines,
    stepNames: spec.steps.map((s) => s.name),
    tunnels: [],
    start(machine, argv) {
      if (!lab.ipNodes.has(machine)) return false;
      execCommand(lab, machine, argv, () => undefined);
      return true;
    },
    command(machine, argv) {
      let result: CommandResult | undefined;
      execCommand(lab, machine, argv, (x) => (result = x));
      settle(lab.engine, lab.network, budgets);
      return result;
    },
    async runSteps(starting) {
      const out: StepResult[] = [];
      for (const [i, s] of spec.steps.entries()) {
        // as runLab: after a stopped step, the rest are not run
        if (out.some((x) => x.stopped !== undefined)) break;
        starting?.(i);
        out.push(runStep(lab, s, { budgets, record: 'all', index: i + 1 }));
      }
      return out;
    },
  };
}

function clusterWorld(rt: ClusterRuntime, run: Parameters<typeof runClusterSteps>[1], up: boolean): World {
  // commands run in a cluster that has been up a minute, as `podnet exec` and `podnet get` show it
  if (up) bringUp(rt);
  const machines: Machine[] = [];
  for (const n of rt.nodes.values()) machines.push({ name: n.name, kind: 'node', ip: formatIpv4(n.ip) });
  for (const p of rt.pods.values())
    if (!p.hostNetwork) machines.push({ name: p.id, kind: 'pod', ip: formatIpv4(p.ip), node: p.node });
  for (const o of rt.outside.values()) machines.push({ name: o.name, kind: 'outside', ip: formatIpv4(o.ip) });
  const tunnels = clusterTunnels(rt.plan.cluster, [...rt.nodes.keys()]);
  return {
    kind: 'cluster',
    name: rt.plan.cluster.name,
    engine: rt.engine,
    network: rt.network,
    machines,
    stepNames: run.steps.map((s) => s.name),
    tunnels,
    cluster: rt,
    start(machine, argv) {
      const where = clusterMachine(rt, machine);
      if (where === undefined) return false;
      runOnMachine(where, argv, () => undefined);
      return true;
    },
    command(machine, argv) {
      const where = clusterMachine(rt, machine);
      if (where === undefined) return { status: 2, stdout: `no pod or node named ${machine}` };
      let result: CommandResult | undefined;
      let running = false;
      runOnMachine(where, argv, (x) => {
        result = x;
        if (running) rt.engine.stop();
      });
      running = true;
      // a command that answered at once (calicoctl, ip route) needs no simulated time
      if (result === undefined) rt.engine.runBounded(CLUSTER_COMMAND_NS);
      return result;
    },
    async runSteps(starting) {
      const out: StepResult[] = [];
      for (const [i, s] of run.steps.entries()) {
        if (out.some((x) => x.stopped !== undefined)) break;
        starting?.(i);
        // one step at a time, so the recording can be marked between them
        const r = await runClusterSteps(rt, { ...run, steps: [s] }, { file: rt.plan.cluster.name, record: 'all' });
        out.push(...r.steps);
      }
      return out;
    },
  };
}
