/**
 * The simulation's steps: one per frame put on a cable, with the decisions and drops that led to it.
 * Stepping forward and back moves through these; the labels shown on devices are the decisions of the
 * current step, shortened by the dissector's hop labels (observe/dissect/hop-label.ts).
 */
import type { DropReason } from '../../link/trace.js';
import { hopLabel, noteLabel, type HopLabelKind } from '../../observe/dissect/index.js';
import type { WebEvent } from '../core/protocol.js';

/** One decision or drop of a device. */
export interface Decision {
  device: string;
  /** The whole note, or `dropped: reason (detail)`. */
  text: string;
  /** Its short label and what kind of decision it is. */
  label: string;
  kind: HopLabelKind;
}

/** One step of the timeline. */
export interface SimStep {
  /** Index of the frame event in the run's events (or of the last event, for trailing decisions). */
  event: number;
  /** Decisions and drops since the previous frame, in order. */
  decisions: Decision[];
}

/** The steps of a run's events. */
export function simSteps(events: readonly WebEvent[]): SimStep[] {
  const steps: SimStep[] = [];
  let pending: Decision[] = [];
  events.forEach((e, i) => {
    if (e.kind === 'note') {
      const l = noteLabel(e.message);
      pending.push({ device: e.device, text: e.message, label: l.text, kind: l.kind });
    } else if (e.kind === 'drop') {
      const l = hopLabel({ ...e, port: e.port, reason: e.reason as DropReason });
      pending.push({
        device: e.device,
        text: `dropped: ${e.reason}${e.detail ? ` (${e.detail})` : ''}`,
        label: l.text,
        kind: l.kind,
      });
    } else {
      steps.push({ event: i, decisions: pending });
      pending = [];
    }
  });
  if (pending.length > 0) steps.push({ event: events.length - 1, decisions: pending });
  return steps;
}

/** Kinds of decision that say what a device did, kept over details (an ARP answer, a frame sent). */
const TELLING = new Set<HopLabelKind>(['drop', 'route', 'tunnel', 'nat', 'switch', 'filter']);

/**
 * Box -> short label of its device's decisions in `step`. A VXLAN frame a device sends itself (not
 * forwarded) is its encapsulation, whatever detail (an ARP answer it waited for) came just before.
 */
export function stepLabels(
  step: SimStep | undefined,
  boxOf: (device: string) => string,
  frame?: WebEvent,
): Map<string, string> {
  const m = new Map<string, string>();
  const telling = new Set<string>();
  if (frame?.kind === 'frame' && frame.inPort === undefined && frame.frame.vni !== undefined) {
    m.set(boxOf(frame.device), `encapsulated VNI ${frame.frame.vni}`);
    telling.add(boxOf(frame.device));
  }
  for (const d of step?.decisions ?? []) {
    const box = boxOf(d.device);
    if (telling.has(box)) continue;
    m.set(box, d.label);
    if (TELLING.has(d.kind)) telling.add(box);
  }
  return m;
}
