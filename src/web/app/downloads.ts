/// <reference lib="dom" />
/**
 * Downloads: the pcapng of the whole run (every link, as the worker captured it), the pcapng of one
 * cable (its frames as they were put on it), and the trace as JSON.
 */
import { PcapngWriter } from '../../observe/pcapng.js';
import type { RunResult } from '../core/protocol.js';
import { hex } from '../../wire/digest.js';

/** Saves `bytes` as `name` through a temporary link. */
export function save(name: string, bytes: Uint8Array | string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A pcapng of the frames put on cable `edge` during `run`. */
export function edgePcapng(run: RunResult, edge: string): Uint8Array {
  const w = new PcapngWriter();
  const iface = w.addInterface(edge.replace(/[^A-Za-z0-9_.-]/g, '_'));
  for (const e of run.events)
    if (e.kind === 'frame' && e.edge === edge && e.bytes !== undefined) iface.write(e.time, e.bytes);
  return w.bytes();
}

/** The trace as JSON: every event, frame bytes in hex. */
export function traceJson(run: RunResult): string {
  return JSON.stringify(
    {
      title: run.title,
      start: run.start,
      steps: run.steps,
      omitted: run.omitted,
      events: run.events.map((e) => (e.kind === 'frame' && e.bytes !== undefined ? { ...e, bytes: hex(e.bytes) } : e)),
    },
    null,
    1,
  );
}
