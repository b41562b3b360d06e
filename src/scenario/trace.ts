/**
 * `podnet trace`: one packet from a node to another on a freshly powered-on lab (empty MAC tables and ARP
 * caches, as the notes assume), answered by the far end, with every frame and decision recorded. UDP by
 * default (ports 88 -> 99, the notes' example), or an ICMP echo.
 */
import { formatIpv4, parseIpv4 } from '../wire/addr.js';
import { ping } from '../apps/ping.js';
import { DEFAULT_RECORDING_CAP, RecordingCap, TraceRecorder, type TraceEvent } from '../observe/recorder.js';
import { captureLinks, type LinkCapture } from '../observe/capture.js';
import { buildLab, type LabNetwork } from './build.js';
import { budgetsFor, runStep } from './run.js';
import { describeStop, settle, type Budgets } from './budget.js';
import type { LabSpec } from './lab.js';

/** What to trace. */
export interface TraceOptions {
  from: string;
  /** A node name or an IPv4 address. */
  to: string;
  protocol: 'udp' | 'icmp';
  srcPort: number;
  dstPort: number;
  /** Run the lab's steps first (warm caches) instead of starting from power-on. */
  afterSteps: boolean;
  capture: boolean;
  seed?: number;
  /** Budgets for the traced packet (and each step with `afterSteps`); unset fields: spec.limits, defaults. */
  budgets?: Partial<Budgets>;
  /** Events kept (default DEFAULT_RECORDING_CAP); the rest are counted in `omitted`. */
  cap?: number;
}

/** A finished trace. */
export type TraceResult =
  | {
      ok: true;
      title: string;
      summary: string;
      delivered: boolean;
      replied: boolean;
      events: TraceEvent[];
      /** Events not kept because of the recording cap. */
      omitted: number;
      /** Why the trace stopped before the network was quiet (a budget or a storm), if it did. */
      stopped?: string;
      captures: LinkCapture[];
      lab: LabNetwork;
    }
  | { ok: false; error: string };

/** Runs a trace on `spec`. */
export function traceLab(spec: LabSpec, o: TraceOptions): TraceResult {
  const lab = buildLab(spec, o.seed);
  const captures = o.capture ? captureLinks(lab.network) : [];
  const from = lab.ipNodes.get(o.from);
  if (from === undefined)
    return { ok: false, error: `--from ${o.from}: no host or router of that name in ${spec.file}` };
  const toNode = lab.ipNodes.get(o.to);
  const dst = toNode?.primaryAddress ?? parseIpv4(o.to);
  if (dst === undefined)
    return { ok: false, error: `--to ${o.to}: neither a node with an address nor an IPv4 address` };
  const budgets = budgetsFor(spec, o.budgets);
  if (o.afterSteps)
    for (const [i, s] of spec.steps.entries()) {
      const r = runStep(lab, s, { budgets, record: 'needed', index: i + 1 });
      if (r.stopped !== undefined) return { ok: false, error: `--after-steps: ${r.stopped}` };
    }
  const target = [...lab.ipNodes.values()].find((n) => n.isLocal(dst));
  const rec = new TraceRecorder({ cap: new RecordingCap(o.cap ?? DEFAULT_RECORDING_CAP) });
  lab.network.tracer = rec;
  let delivered = false;
  let replied = false;
  const { engine } = lab;
  const what = o.protocol === 'udp' ? `UDP ${o.srcPort} -> ${o.dstPort}` : 'ICMP echo';
  if (o.protocol === 'icmp') {
    ping(from, dst, { count: 1 }, (r) => {
      delivered = r.received > 0;
      replied = r.received > 0;
    });
  } else {
    const fromUdp = lab.udp.get(from.name)!;
    const toUdp = target === undefined ? undefined : lab.udp.get(target.name);
    if (toUdp !== undefined && !toUdp.isBound(o.dstPort)) {
      toUdp.bind(o.dstPort, (d) => {
        delivered = true;
        // answer like the notes' E: same ports reversed
        toUdp.send(o.dstPort, d.src, d.srcPort, d.payload.slice());
      });
    }
    if (!fromUdp.isBound(o.srcPort)) fromUdp.bind(o.srcPort, () => (replied = true));
    fromUdp.send(o.srcPort, dst, o.dstPort, new TextEncoder().encode('hello from podnet'));
  }
  const stop = settle(engine, lab.network, budgets);
  lab.network.tracer = undefined;
  const title = `trace ${o.from} -> ${o.to} (${formatIpv4(dst)}), ${what}, lab ${spec.name}${o.afterSteps ? ' after its steps' : ', all caches empty'}`;
  const frames = rec.events.filter((e) => e.kind === 'frame').length;
  const drops = rec.events.filter((e) => e.kind === 'drop').length;
  const capped = rec.omitted > 0 ? `; recording capped: ${rec.omitted} more events not kept` : '';
  const stopped = stop === undefined ? undefined : `trace stopped: ${describeStop(stop)}`;
  const summary = `${stopped !== undefined ? `${stopped}\n` : ''}${delivered ? `delivered to ${target?.name ?? formatIpv4(dst)}` : 'NOT delivered'}${o.protocol === 'udp' ? `, ${replied ? 'reply received' : 'no reply'}` : ''}; ${frames} frames on the wire, ${drops} dropped${capped}`;
  const res: TraceResult = {
    ok: true,
    title,
    summary,
    delivered,
    replied,
    events: rec.events,
    omitted: rec.omitted,
    captures,
    lab,
  };
  if (stopped !== undefined) res.stopped = stopped;
  return res;
}
