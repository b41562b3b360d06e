/**
 * Tables in the notes' style: the per-hop table (one row per frame put on a wire, with the decisions that
 * led to it in between) and the small views (MAC table, routes, ARP cache). Plain text, fixed-width columns.
 */
import type { TraceEvent } from './recorder.js';
import type { FrameSummary } from './summary.js';

/** Renders rows as a fixed-width table with a header and a rule. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Time in µs with 3 decimals, for hop tables. */
export function formatMicros(ns: number): string {
  return `${(ns / 1000).toFixed(3)}us`;
}

const HOP_HEADER = [
  'hop',
  'time',
  'device',
  'in',
  'out',
  'src MAC',
  'dst MAC',
  'VLAN',
  'src IP',
  'dst IP',
  'proto',
  'sport',
  'dport',
  'TTL',
  'info',
];

function hopCells(n: string, time: string, device: string, inPort: string, outPort: string, s: FrameSummary): string[] {
  return [
    n,
    time,
    device,
    inPort,
    outPort,
    s.srcMac,
    s.dstMac,
    s.vlan === undefined ? '' : String(s.vlan),
    s.srcIp ?? '',
    s.dstIp ?? '',
    s.protocol,
    s.srcPort?.toString() ?? '',
    s.dstPort?.toString() ?? '',
    s.ttl?.toString() ?? '',
    s.info,
  ];
}

/** Options for the hop table. */
export interface HopTableOptions {
  /** Print decision lines ("why") under the frames they explain. Default true. */
  explain?: boolean;
  /** Print times from this instant (ns) on, e.g. when the traced action started; default 0. */
  since?: number;
}

/**
 * The per-hop table: each frame a row numbered in order; an encapsulated frame gets a second row for its
 * inner headers; decisions and drops are printed as indented lines before the row they led to.
 */
export function formatHopTable(events: readonly TraceEvent[], opts: HopTableOptions = {}): string {
  const explain = opts.explain ?? true;
  const rows: string[][] = [];
  const notes: Map<number, string[]> = new Map();
  let pending: string[] = [];
  let hop = 0;
  for (const ev of events) {
    if (ev.kind === 'note') {
      if (explain) pending.push(`${ev.device}: ${ev.message}`);
    } else if (ev.kind === 'drop') {
      pending.push(`${ev.device}: DROPPED (${ev.reason})${ev.detail ? `: ${ev.detail}` : ''}`);
    } else {
      hop++;
      if (pending.length > 0) notes.set(rows.length, pending);
      pending = [];
      rows.push(
        hopCells(
          String(hop),
          formatMicros(ev.time - (opts.since ?? 0)),
          ev.device,
          ev.inPort ?? '-',
          ev.outPort,
          ev.frame,
        ),
      );
      let inner = ev.frame.inner;
      while (inner !== undefined) {
        rows.push(hopCells('', '', '  inner', '', '', inner));
        inner = inner.inner;
      }
    }
  }
  if (pending.length > 0) notes.set(rows.length, pending);
  const table = renderTable(HOP_HEADER, rows).split('\n');
  const out: string[] = [table[0]!, table[1]!];
  for (let i = 0; i <= rows.length; i++) {
    for (const n of notes.get(i) ?? []) out.push(`      · ${n}`);
    if (i < rows.length) out.push(table[i + 2]!);
  }
  return out.join('\n');
}
