/**
 * Runs what the Run panel asks for on a freshly built world: one command (ping, traceroute, curl, dig)
 * from a machine, or the file's steps, recording every frame with its bytes for the timeline and the
 * inspectors. Also re-runs the same action to an instant, for the device inspector.
 */
import { formatHopTable } from '../../observe/table.js';
import type { TraceEvent } from '../../observe/recorder.js';
import type { RunRequest, RunResult, RunStepInfo, Tool, WebEvent } from './protocol.js';
import { WebRecorder } from './record.js';
import type { TopologyIndex } from './topology.js';
import type { World } from './world.js';

/** The command line a tool runs, as a person would type it. */
export function toolArgv(tool: Tool, to: string): string[] {
  switch (tool) {
    case 'ping':
      return ['ping', '-c', '1', to];
    case 'traceroute':
      return ['traceroute', to];
    case 'curl':
      return ['curl', `http://${to}/`];
    case 'dig':
      return ['dig', to];
  }
}

/** The destination as the command takes it: a machine's address when a machine is named (pods have no DNS name). */
export function destination(w: World, tool: Tool, to: string): string {
  if (tool === 'dig') return to;
  return w.machines.find((m) => m.name === to)?.ip ?? to;
}

/** Runs `req` on `w` (built just before) with everything recorded. */
export async function runOn(w: World, topo: TopologyIndex, req: RunRequest): Promise<RunResult> {
  const rec = new WebRecorder(w.network, topo.edgeOfLink, topo.boxOf);
  const start = w.engine.now;
  w.network.tracer = rec;
  const steps: RunStepInfo[] = [];
  let title: string;
  try {
    if (req.mode === 'action') {
      const argv = toolArgv(req.tool, destination(w, req.tool, req.to));
      title = `${req.from}$ ${argv.join(' ')}`;
      if (!w.machines.some((m) => m.name === req.from)) throw new Error(`no machine named ${req.from}`);
      const r = w.command(req.from, argv);
      steps.push({
        name: title,
        ok: r !== undefined && r.status === 0,
        output: r?.stdout ?? '(did not finish)',
        failures: r === undefined ? ['the command did not finish'] : [],
        firstEvent: 0,
      });
    } else {
      title = `the steps of ${w.name}`;
      // each step's recorder tees to ours: a step's events start where ours stood when it began
      const marks: number[] = [];
      const results = await w.runSteps(() => marks.push(rec.events.length));
      results.forEach((s, i) =>
        steps.push({ name: s.name, ok: s.ok, output: s.output, failures: s.failures, firstEvent: marks[i] ?? 0 }),
      );
    }
  } finally {
    rec.detach();
  }
  return {
    title,
    events: rec.events,
    steps,
    hopTable: formatHopTable(rec.events.map(asTraceEvent), { since: start }),
    pcapng: rec.pcap.bytes(),
    start,
    omitted: rec.omitted,
  };
}

/** A page event as the observe layer's TraceEvent (for the per-hop table). */
export function asTraceEvent(e: WebEvent): TraceEvent {
  if (e.kind === 'frame')
    return { kind: 'frame', time: e.time, device: e.device, inPort: e.inPort, outPort: e.outPort, frame: e.frame };
  if (e.kind === 'note') return e;
  return { kind: 'drop', time: e.time, device: e.device, port: e.port, reason: e.reason as never, detail: e.detail };
}

/**
 * Re-runs `req` on a fresh `w` and calls `at` with the world as it is at `time` (absolute ns): after every
 * event at that instant, before any later one, as `engine.run(time)` leaves it. An action runs to the
 * instant. Steps run as they ran (they are not resumable in the middle), and `step`, the index of the step
 * the instant is in, says when to look: when that step starts, a timer is set for 1 ns after the instant
 * (times are whole nanoseconds, so nothing else can happen in between) and `at` runs there.
 */
export async function runTo<T>(w: World, req: RunRequest, time: number, at: () => T, step = 0): Promise<T> {
  if (req.mode === 'action') {
    w.start(req.from, toolArgv(req.tool, destination(w, req.tool, req.to)));
    w.engine.run(time);
    return at();
  }
  let seen: { value: T } | undefined;
  await w.runSteps((i) => {
    if (i !== step) return;
    w.engine.timer(Math.max(0, time + 1 - w.engine.now), () => (seen ??= { value: at() }));
  });
  // an instant past the end of what ran (a stopped step): the end
  return (seen ?? { value: at() }).value;
}
