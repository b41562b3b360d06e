/**
 * `podnet bench bgp`: the notes' Calico scale problem measured (scenario/bgp-scale.ts builds and runs the
 * cluster; this file owns the wall clock and the output). One run prints one line, `--json` the machine
 * form; `--table` runs 10, 100 and 1,000 nodes in full mesh and with two route reflectors and prints the
 * notes' table. A full mesh too big for this machine is not run: its row gives the session counts the
 * configuration implies, marked as computed, and says why.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expectedBgpSessions, runBgpScale, type BgpScaleMode, type BgpScaleResult } from '../scenario/bgp-scale.js';
import { formatBitRate } from '../scenario/units.js';

/** One measured run: the cluster's figures and what it cost. */
export interface BgpBenchResult extends BgpScaleResult {
  /** Wall time to build the cluster and run it to convergence. */
  wallSeconds: number;
  /** Of which the build (plan, nodes, IPAM, Felix, confd's peers). */
  buildWallSeconds: number;
  /** CPU time (user + system) of this process during the run: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  /** The process's peak resident set so far. */
  peakRssBytes: number;
}

/** Builds, runs to convergence, and times one cluster. */
export async function runBgpBench(nodes: number, mode: BgpScaleMode, bps?: number): Promise<BgpBenchResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let built = t0;
  const r = await runBgpScale(nodes, mode, {
    ...(bps !== undefined ? { bps } : {}),
    built: () => (built = performance.now()),
  });
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  return {
    ...r,
    wallSeconds: +((t1 - t0) / 1000).toFixed(3),
    buildWallSeconds: +((built - t0) / 1000).toFixed(3),
    cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(3),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/** The one JSON line of `podnet bench bgp --json`: the figures asked for first, then the rest. */
export function bgpBenchJson(r: BgpBenchResult): string {
  return JSON.stringify({
    nodes: r.nodes,
    sessions: r.sessions,
    routesPerNode: r.routesPerNode,
    convergedSimSeconds: r.convergedSimSeconds,
    wallSeconds: r.wallSeconds,
    mode: r.mode,
    sessionsPerNode: r.sessionsPerNode,
    ...(r.sessionsPerReflector !== undefined ? { sessionsPerReflector: r.sessionsPerReflector } : {}),
    iptablesRulesPerNode: r.iptablesRulesPerNode,
    underlayBps: r.underlayBps,
    buildWallSeconds: r.buildWallSeconds,
    cpuSeconds: r.cpuSeconds,
    peakRssBytes: r.peakRssBytes,
    events: r.events,
    updates: r.updates,
    frames: r.frames,
    queueFullDrops: r.queueFullDrops,
  });
}

const MiB = 2 ** 20;

/** The full transmit queues' refusals, when there were any: ", 1234 refused by full transmit queues (sent again later)". */
function refused(n: number): string {
  return n === 0 ? '' : `, ${n} refused by full transmit queues (sent again later)`;
}

/** The readable line of a run. */
export function bgpBenchText(r: BgpBenchResult): string {
  const per =
    r.mode === 'rr'
      ? `${r.sessionsPerNode} per node, ${r.sessionsPerReflector ?? 0} per route reflector`
      : `${r.sessionsPerNode} per node`;
  const how = r.mode === 'mesh' ? 'full mesh' : '2 route reflectors';
  return (
    `${r.nodes} nodes, ${how}, ${formatBitRate(r.underlayBps)} underlay: ${r.sessions} BGP sessions (${per}); ${r.routesPerNode} routes and ` +
    `${r.iptablesRulesPerNode} iptables rules per node; converged at ${r.convergedSimSeconds} s simulated ` +
    `(${r.updates} UPDATEs, ${r.frames} frames${refused(r.queueFullDrops)}); ${r.wallSeconds} s wall (build ${r.buildWallSeconds} s), ` +
    `${r.cpuSeconds} s CPU, peak RSS ${(r.peakRssBytes / MiB).toFixed(0)} MiB`
  );
}

/** A row of the table: measured, or only computed (a full mesh too big to run here). */
export type BgpTableRow = { run: BgpBenchResult } | { nodes: number; mode: BgpScaleMode; notRun: string };

/**
 * Memory a full mesh takes per session beyond the process's own, measured: a 200-node mesh (19,900
 * sessions) peaked at 922 MiB on 2026-12-05, about 44 KiB a session (two TCP connections' buffers and
 * state, two BGP peers, their Adj-RIBs) over the 70 MiB of an empty run.
 */
export const MESH_BYTES_PER_SESSION = 44 * 1024;

/**
 * Why a full mesh of `nodes` cannot run in a heap of `heapLimitBytes` (V8's limit, which a run that
 * passes it dies on, minutes in), or undefined when it fits: the sessions it needs, the memory they
 * would take, and the largest mesh that fits.
 */
export function meshTooBig(nodes: number, heapLimitBytes: number): string | undefined {
  const sessions = expectedBgpSessions(nodes, 'mesh').total;
  const need = sessions * MESH_BYTES_PER_SESSION;
  if (need <= heapLimitBytes) return undefined;
  let fits = nodes;
  while (fits > 2 && expectedBgpSessions(fits, 'mesh').total * MESH_BYTES_PER_SESSION > heapLimitBytes) fits--;
  const gib = (b: number): string => (b / 2 ** 30).toFixed(1);
  return (
    `a full mesh of ${nodes} nodes has ${sessions.toLocaleString('en-US')} sessions, about ${gib(need)} GiB at ` +
    `${MESH_BYTES_PER_SESSION / 1024} KiB a session, past this Node's ${gib(heapLimitBytes)} GiB heap ` +
    `(node --max-old-space-size raises it); run --mode rr, or at most ${fits} nodes`
  );
}

/** The sizes and modes of the notes' table. */
export const BGP_TABLE_SIZES: readonly number[] = [10, 100, 1000];

/**
 * Sessions a full mesh may have and still be run by `--table` on this machine: 100 nodes (4,950 sessions)
 * peak at about 300 MiB, so memory grows by about 60 KiB a session; 1,000 nodes (499,500) would need
 * some 30 GB, more than this 23 GB machine has, and hours of CPU at the 100-node rate.
 */
export const MESH_TABLE_MAX_SESSIONS = 50_000;

/**
 * Runs the table's rows, each in a process of its own (`podnet bench bgp --json`), so each row's wall
 * time, CPU and peak RSS are its own; `onRow` hears of each as it is done.
 */
export function runBgpTable(onRow: (row: BgpTableRow) => void): BgpTableRow[] {
  const bin = fileURLToPath(new URL('./bin.js', import.meta.url));
  const rows: BgpTableRow[] = [];
  let perSession: number | undefined;
  for (const nodes of BGP_TABLE_SIZES)
    for (const mode of ['mesh', 'rr'] as const) {
      const want = expectedBgpSessions(nodes, mode);
      let row: BgpTableRow;
      if (mode === 'mesh' && want.total > MESH_TABLE_MAX_SESSIONS) {
        const need = perSession === undefined ? '' : `, about ${((want.total * perSession) / 2 ** 30).toFixed(0)} GiB`;
        row = {
          nodes,
          mode,
          notRun: `not run: ${want.total.toLocaleString('en-US')} sessions${need} at the measured memory per session`,
        };
      } else {
        const args = [bin, 'bench', 'bgp', '--nodes', String(nodes), '--mode', mode, '--json'];
        const p = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
        const last = p.stdout.trim().split('\n').pop() ?? '';
        if (p.status !== 0 || !last.startsWith('{'))
          throw new Error(`bench bgp --nodes ${nodes} --mode ${mode}: ${(p.stderr || last).trim().slice(0, 500)}`);
        const run = JSON.parse(last) as BgpBenchResult;
        if (mode === 'mesh') perSession = run.peakRssBytes / run.sessions;
        row = { run };
      }
      rows.push(row);
      onRow(row);
    }
  return rows;
}

const HEADER = [
  'nodes',
  'mode',
  'sessions',
  'per node',
  'per RR',
  'routes/node',
  'iptables rules/node',
  'converged (sim)',
  'wall',
  'CPU',
  'peak RSS',
];

/** One row's cells. */
function cells(row: BgpTableRow): string[] {
  const n = (x: number): string => x.toLocaleString('en-US');
  if ('notRun' in row) {
    const want = expectedBgpSessions(row.nodes, row.mode);
    // computed, not measured: the configuration's session counts; routes as every run shows them (N-1 from
    // BIRD, the default route, the underlay subnet, the node's own block's blackhole)
    return [
      n(row.nodes),
      row.mode === 'mesh' ? 'full mesh' : '2 RRs',
      `${n(want.total)}*`,
      `${n(want.perNode)}*`,
      '-',
      `${n(row.nodes + 2)}*`,
      '-',
      row.notRun,
      '-',
      '-',
      '-',
    ];
  }
  const r = row.run;
  return [
    n(r.nodes),
    r.mode === 'mesh' ? 'full mesh' : '2 RRs',
    n(r.sessions),
    n(r.sessionsPerNode),
    r.sessionsPerReflector === undefined ? '-' : n(r.sessionsPerReflector),
    n(r.routesPerNode),
    n(r.iptablesRulesPerNode),
    `${r.convergedSimSeconds} s`,
    `${r.wallSeconds} s`,
    `${r.cpuSeconds} s`,
    `${(r.peakRssBytes / MiB).toFixed(0)} MiB`,
  ];
}

/** The table as Markdown (the README's form). */
export function formatBgpTable(rows: readonly BgpTableRow[]): string {
  const lines = [`| ${HEADER.join(' | ')} |`, `| ${HEADER.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${cells(r).join(' | ')} |`);
  if (rows.some((r) => 'notRun' in r)) lines.push('', '\\* computed from the configuration, not measured');
  return lines.join('\n');
}
