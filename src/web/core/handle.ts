/**
 * The worker's request handler, without the worker: the same function runs in the Web Worker and in
 * Node's tests. Errors become `error` messages with the file's problems (line and column) when there are.
 */
import type { FromWorker, ToWorker } from './protocol.js';
import { parseWorld } from './world.js';
import { COLLAPSE_PODS_ABOVE, topologyOf } from './topology.js';
import { plannedPodCount, planTopology } from './plan-topology.js';
import { runOn, runTo } from './run.js';
import { deviceTables } from './tables.js';
import { compareBackends } from './compare.js';
import { bgpSessionRows } from './bgp-sessions.js';
import { loadCluster } from '../../scenario/manifests.js';

/** A reply and the buffers it hands over. */
export interface Reply {
  msg: FromWorker;
  transfer: ArrayBuffer[];
}

/** Answers one request. Never throws: a failure is an `error` reply. */
export async function handle(req: ToWorker): Promise<Reply> {
  try {
    return await answer(req);
  } catch (e) {
    return {
      msg: { id: req.id, type: 'error', message: e instanceof Error ? e.message : String(e), problems: [] },
      transfer: [],
    };
  }
}

async function answer(req: ToWorker): Promise<Reply> {
  // not about the file
  if (req.type === 'bgp-sessions')
    return { msg: { id: req.id, type: 'bgp-sessions', rows: await bgpSessionRows() }, transfer: [] };
  const t0 = performance.now();
  const parsed = parseWorld(req.file, req.text);
  if (!parsed.ok) {
    if (req.type === 'open')
      return {
        msg: {
          id: req.id,
          type: 'opened',
          kind: parsed.kind,
          name: '',
          problems: parsed.problems,
          machines: [],
          steps: [],
          ms: 0,
        },
        transfer: [],
      };
    return {
      msg: { id: req.id, type: 'error', message: 'the file has errors', problems: parsed.problems },
      transfer: [],
    };
  }
  switch (req.type) {
    case 'open': {
      const plan = parsed.plan;
      // a big cluster is drawn from its plan (building it takes seconds); a small one is built, not run
      const fromPlan = plan !== undefined && plannedPodCount(plan) > COLLAPSE_PODS_ABOVE;
      const drawn =
        plan !== undefined && fromPlan
          ? { ...planTopology(plan), steps: parsed.stepNames }
          : await parsed.build({ up: false }).then((w) => ({
              topology: topologyOf(w).topology,
              machines: w.machines,
              steps: w.stepNames,
            }));
      return {
        msg: {
          id: req.id,
          type: 'opened',
          kind: parsed.kind,
          name: parsed.name,
          problems: [],
          topology: drawn.topology,
          machines: drawn.machines,
          steps: drawn.steps,
          ms: performance.now() - t0,
          ...(fromPlan ? { fromPlan } : {}),
        },
        transfer: [],
      };
    }
    case 'run': {
      const w = await parsed.build();
      const result = await runOn(w, topologyOf(w), req.run);
      const transfer: ArrayBuffer[] = [result.pcapng.buffer as ArrayBuffer];
      for (const e of result.events)
        if (e.kind === 'frame' && e.bytes !== undefined) transfer.push(e.bytes.buffer as ArrayBuffer);
      return { msg: { id: req.id, type: 'ran', result }, transfer };
    }
    case 'tables': {
      const w = await parsed.build();
      const tables = await runTo(w, req.run, req.time, () => deviceTables(w, req.device), req.step);
      return { msg: { id: req.id, type: 'tables', device: req.device, time: req.time, tables }, transfer: [] };
    }
    case 'boxes': {
      // IPAM gives pods their addresses as the cluster is built: built (not brought up), then unfolded
      if (parsed.kind !== 'cluster') throw new Error('boxes are asked for a cluster');
      const w = await parsed.build({ up: false });
      const boxes = topologyOf(w, true).topology.nodes.flatMap((n) =>
        n.kind === 'node' ? [n] : n.kind === 'pods' ? (n.members ?? []) : [],
      );
      return { msg: { id: req.id, type: 'boxes', boxes, ms: performance.now() - t0 }, transfer: [] };
    }
    case 'compare': {
      if (parsed.kind !== 'cluster') throw new Error('compare needs a cluster file (Flannel backends)');
      const loaded = loadCluster([{ file: req.file, text: req.text }]);
      if (!loaded.ok) throw new Error('the file has errors');
      if (loaded.cluster.plan.cluster.cni !== 'flannel')
        throw new Error("compare puts Flannel's backends side by side: the cluster's CNI is not flannel");
      return { msg: { id: req.id, type: 'compared', rows: await compareBackends(loaded.cluster.plan) }, transfer: [] };
    }
  }
}
