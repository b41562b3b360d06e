/**
 * The notes' Calico scale problem, measured (the same as `podnet bench bgp`): a Calico cluster in BGP mode,
 * IP-in-IP Always, as a node-to-node full mesh or with two route reflectors, built from a generated Cluster
 * document (scenario/bgp-scale.ts) and run until every node's BIRD has installed a route to every other
 * node's block. Without options it prints the notes' table (10, 100 and 1,000 nodes x mesh and 2 RRs, each
 * row in a process of its own); a full mesh of 1,000 nodes (499,500 sessions) does not fit this machine
 * and is printed with its computed session counts, marked as not run.
 * `node dist/bench/bgp.js [--nodes N --mode mesh|rr [--bandwidth RATE] [--json]]`.
 */
import { getHeapStatistics } from 'node:v8';
import {
  bgpBenchJson,
  bgpBenchText,
  formatBgpTable,
  meshTooBig,
  runBgpBench,
  runBgpTable,
} from '../src/cli/bench-bgp.js';
import { parseBandwidth } from '../src/scenario/units.js';

const args = process.argv.slice(2);
const value = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const nodes = value('--nodes');
const mode = value('--mode');
const bandwidth = value('--bandwidth');
const bps = bandwidth === undefined ? undefined : parseBandwidth(bandwidth);
if (nodes === undefined && mode === undefined && bandwidth === undefined) {
  const rows = runBgpTable((row) =>
    console.error('run' in row ? bgpBenchText(row.run) : `${row.nodes} nodes, ${row.mode}: ${row.notRun}`),
  );
  console.log(formatBgpTable(rows));
} else if (
  nodes !== undefined &&
  /^[0-9]+$/.test(nodes) &&
  (mode === 'mesh' || mode === 'rr') &&
  (bandwidth === undefined || (bps !== undefined && bps > 0))
) {
  const tooBig = mode === 'mesh' ? meshTooBig(Number(nodes), getHeapStatistics().heap_size_limit) : undefined;
  if (tooBig !== undefined) {
    console.error(`bench bgp: ${tooBig}`);
    process.exit(2);
  }
  const r = await runBgpBench(Number(nodes), mode, bps);
  console.log(args.includes('--json') ? bgpBenchJson(r) : bgpBenchText(r));
} else {
  console.error('usage: node dist/bench/bgp.js [--nodes N --mode mesh|rr [--bandwidth RATE] [--json]]');
  process.exit(2);
}
