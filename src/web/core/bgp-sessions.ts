/**
 * BGP sessions against node count, for the Compare view: Calico's node-to-node full mesh against two
 * route reflectors at 10, 100 and 1,000 nodes. The figures are computed from the configuration
 * (`expectedBgpSessions`: N(N-1)/2 sessions in a mesh, 2(N-2)+1 with two reflectors); the smallest size
 * is also built and run to convergence (`podnet bench bgp`'s workload), and its established sessions are
 * given beside the computed ones, so the chart shows the formula agrees with a running cluster.
 */
import { expectedBgpSessions, runBgpScale, type BgpScaleMode } from '../../scenario/bgp-scale.js';
import type { BgpSessionsRow } from './protocol.js';

/** The node counts charted. */
export const BGP_NODE_COUNTS = [10, 100, 1000] as const;

/** Rows for every node count and mode; sizes up to `measureUpTo` nodes are also run and counted. */
export async function bgpSessionRows(measureUpTo = 10): Promise<BgpSessionsRow[]> {
  const rows: BgpSessionsRow[] = [];
  for (const nodes of BGP_NODE_COUNTS)
    for (const mode of ['mesh', 'rr'] as BgpScaleMode[]) {
      const want = expectedBgpSessions(nodes, mode);
      const row: BgpSessionsRow = { nodes, mode, total: want.total, perNode: want.perNode };
      if (want.perReflector !== undefined) row.perReflector = want.perReflector;
      if (nodes <= measureUpTo) {
        const got = await runBgpScale(nodes, mode);
        row.measured = { total: got.sessions, perNode: got.sessionsPerNode };
        if (got.sessionsPerReflector !== undefined) row.measured.perReflector = got.sessionsPerReflector;
      }
      rows.push(row);
    }
  return rows;
}
