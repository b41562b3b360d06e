/**
 * The simulation's steps: one per frame put on a cable, with the decisions and drops that led to it.
 * Stepping forward and back moves through these; the labels shown on devices are the decisions of the
 * current step, shortened.
 */
import type { WebEvent } from '../core/protocol.js';
import { hopLabel } from './dissect-port.js';

/** One step of the timeline. */
export interface SimStep {
  /** Index of the frame event in the run's events (or of the last event, for trailing decisions). */
  event: number;
  /** Decisions and drops since the previous frame, in order: [device, text]. */
  decisions: [string, string][];
  /** True when one of them is a drop. */
  dropped: boolean;
}

/** Labels that say what a device did, kept over details such as an ARP answer. */
const TELLING = /^(dropped|matched|encapsulated|decapsulated|DNAT|learned|flooded)/;

/** The steps of a run's events. */
export function simSteps(events: readonly WebEvent[]): SimStep[] {
  const steps: SimStep[] = [];
  let pending: [string, string][] = [];
  let dropped = false;
  events.forEach((e, i) => {
    if (e.kind === 'note') pending.push([e.device, e.message]);
    else if (e.kind === 'drop') {
      pending.push([e.device, `dropped: ${e.reason}${e.detail ? ` (${e.detail})` : ''}`]);
      dropped = true;
    } else {
      steps.push({ event: i, decisions: pending, dropped });
      pending = [];
      dropped = false;
    }
  });
  if (pending.length > 0) steps.push({ event: events.length - 1, decisions: pending, dropped });
  return steps;
}

/**
 * Device -> short label of its decisions in `step`. A VXLAN frame a device sends itself (not forwarded)
 * is its encapsulation, whatever detail (an ARP answer it waited for) came just before.
 */
export function stepLabels(
  step: SimStep | undefined,
  boxOf: (device: string) => string,
  frame?: WebEvent,
): Map<string, string> {
  const m = new Map<string, string>();
  if (frame?.kind === 'frame' && frame.inPort === undefined && frame.frame.vni !== undefined)
    m.set(boxOf(frame.device), `encapsulated VNI ${frame.frame.vni}`);
  for (const [device, text] of step?.decisions ?? []) {
    const short = text.startsWith('dropped: ') ? text.split(' (')[0]! : hopLabel(text);
    // keep the most telling label of a device: a drop or a route match over an ARP detail
    const prev = m.get(boxOf(device));
    if (prev === undefined || !TELLING.test(prev)) m.set(boxOf(device), short);
  }
  return m;
}
