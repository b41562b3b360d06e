/**
 * The notes' Calico scale problem, measured (the same as `podnet bench bgp`): a Calico cluster in BGP mode,
 * IP-in-IP Always, as a node-to-node full mesh or with two route reflectors, built from a generated Cluster
 * document (scenario/bgp-scale.ts) and run until every node's BIRD has installed a route to every other
 * node's block. Without options it prints the notes' table (10, 100 and 1,000 nodes x mesh and 2 RRs, each
 * row in a process of its own); a full mesh of 1,000 nodes (499,500 sessions) does not fit this machine
 * and is printed with its computed session counts, marked as not run.
 * `node dist/bench/bgp.js [--nodes N --mode mesh|rr [--json]]`.
 */
import { bgpBenchJson, bgpBenchText, formatBgpTable, runBgpBench, runBgpTable } from '../src/cli/bench-bgp.js';

const args = process.argv.slice(2);
const value = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const nodes = value('--nodes');
const mode = value('--mode');
if (nodes === undefined && mode === undefined) {
  const rows = runBgpTable((row) =>
    console.error('run' in row ? bgpBenchText(row.run) : `${row.nodes} nodes, ${row.mode}: ${row.notRun}`),
  );
  console.log(formatBgpTable(rows));
} else if (nodes !== undefined && /^[0-9]+$/.test(nodes) && (mode === 'mesh' || mode === 'rr')) {
  const r = await runBgpBench(Number(nodes), mode);
  console.log(args.includes('--json') ? bgpBenchJson(r) : bgpBenchText(r));
} else {
  console.error('usage: node dist/bench/bgp.js [--nodes N --mode mesh|rr [--json]]');
  process.exit(2);
}
