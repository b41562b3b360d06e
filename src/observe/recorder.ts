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
}

/** A Tracer that keeps everything in memory. */
export class TraceRecorder implements Tracer {
  readonly events: TraceEvent[] = [];
  private readonly ports: number[];
  constructor(private readonly opts: RecorderOptions = {}) {
    this.ports = opts.vxlanPorts ?? [VXLAN_PORT_IANA, VXLAN_PORT_LINUX];
  }

  frame(time: number, device: string, inPort: string | undefined, outPort: string, frame: Uint8Array): void {
    const ev: TraceEvent = { kind: 'frame', time, device, inPort, outPort, frame: summarizeFrame(frame, this.ports) };
    if (this.opts.keepBytes === true) ev.bytes = frame.slice();
    this.events.push(ev);
  }

  note(time: number, device: string, message: string): void {
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
    const ev: TraceEvent = { kind: 'drop', time, device, port, reason, detail };
    if (frame !== undefined) ev.frame = summarizeFrame(frame, this.ports);
    this.events.push(ev);
  }

  /** Forgets what was recorded. */
  clear(): void {
    this.events.length = 0;
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
