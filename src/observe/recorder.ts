/**
 * Records what devices report (frames put on wires, decisions, drops) as plain events, for tables, JSON and
 * tests. Frames are summarized at once (routers rewrite buffers in place later), optionally with a copy of
 * their bytes.
 */
import type { DropReason, Tracer } from '../link/trace.js';
import { summarizeFrame, type FrameSummary } from './summary.js';
import { VXLAN_PORT_IANA, VXLAN_PORT_LINUX } from '../wire/vxlan.js';

/** One recorded event. Times are integer nanoseconds. */
export type TraceEvent =
  | {
      kind: 'frame';
      time: number;
      device: string;
      inPort: string | undefined;
      outPort: string;
      frame: FrameSummary;
      bytes?: Uint8Array;
    }
  | { kind: 'note'; time: number; device: string; message: string }
  | {
      kind: 'drop';
      time: number;
      device: string;
      port: string | undefined;
      reason: DropReason;
      detail: string;
      frame?: FrameSummary;
    };

/** Options for a recorder. */
export interface RecorderOptions {
  /** Keep a copy of every frame's bytes. */
  keepBytes?: boolean;
  /** UDP ports decoded as VXLAN. */
  vxlanPorts?: number[];
  /** A limit on events kept, shared by every recorder given the same object (a whole lab run). */
  cap?: RecordingCap;
}

/**
 * How many events recorders may keep between them. Past the limit, events are counted, not kept: memory
 * stays bounded however long a run is, and whoever prints the events can say how many are missing.
 */
export class RecordingCap {
  /** Events kept so far. */
  kept = 0;
  constructor(readonly limit: number) {}
}

/** Default cap on recorded events per run: about 100-200 MB of summaries, far more than a person reads. */
export const DEFAULT_RECORDING_CAP = 200_000;

/** A Tracer that keeps what it is told in memory, up to an optional cap, and counts drops always. */
export class TraceRecorder implements Tracer {
  readonly events: TraceEvent[] = [];
  /** Events not kept because the cap was reached. */
  omitted = 0;
  /** Drops seen, kept or not: "device: reason" -> count, in first-seen order. */
  readonly dropCounts = new Map<string, number>();
  /** Drop reasons seen, kept or not. */
  readonly dropReasons = new Set<DropReason>();
  private readonly ports: number[];
  constructor(private readonly opts: RecorderOptions = {}) {
    this.ports = opts.vxlanPorts ?? [VXLAN_PORT_IANA, VXLAN_PORT_LINUX];
  }

  /** True when one more event may be kept (and counts it); false counts it as omitted. */
  private room(): boolean {
    const cap = this.opts.cap;
    if (cap === undefined) return true;
    if (cap.kept >= cap.limit) {
      this.omitted++;
      return false;
    }
    cap.kept++;
    return true;
  }

  frame(time: number, device: string, inPort: string | undefined, outPort: string, frame: Uint8Array): void {
    if (!this.room()) return;
    const ev: TraceEvent = { kind: 'frame', time, device, inPort, outPort, frame: summarizeFrame(frame, this.ports) };
    if (this.opts.keepBytes === true) ev.bytes = frame.slice();
    this.events.push(ev);
  }

  note(time: number, device: string, message: string): void {
    if (!this.room()) return;
    this.events.push({ kind: 'note', time, device, message });
  }

  drop(
    time: number,
    device: string,
    port: string | undefined,
    reason: DropReason,
    detail: string,
    frame: Uint8Array | undefined,
  ): void {
    const key = `${device}: ${reason}`;
    this.dropCounts.set(key, (this.dropCounts.get(key) ?? 0) + 1);
    this.dropReasons.add(reason);
    if (!this.room()) return;
    const ev: TraceEvent = { kind: 'drop', time, device, port, reason, detail };
    if (frame !== undefined) ev.frame = summarizeFrame(frame, this.ports);
    this.events.push(ev);
  }

  /** Forgets what was recorded. */
  clear(): void {
    this.events.length = 0;
    this.omitted = 0;
    this.dropCounts.clear();
    this.dropReasons.clear();
  }

  /**
   * This recorder as a Tracer with only the hooks asked for: a device builds no note text and a frame is
   * not summarized when nobody keeps it. Drops are always hooked (they are counted).
   */
  only(keep: { frames: boolean; notes: boolean }): Tracer {
    const t: Tracer = { drop: (...a) => this.drop(...a) };
    if (keep.frames) t.frame = (...a) => this.frame(...a);
    if (keep.notes) t.note = (...a) => this.note(...a);
    return t;
  }
}

/** Fans one tracer hook out to several tracers. */
export function teeTracer(...ts: Tracer[]): Tracer {
  return {
    frame: (...a) => ts.forEach((t) => t.frame?.(...a)),
    note: (...a) => ts.forEach((t) => t.note?.(...a)),
    drop: (...a) => ts.forEach((t) => t.drop?.(...a)),
  };
}
