/**
 * The notes' Calico scale problem, measured (the same as `podnet bench bgp`): a Calico cluster in BGP mode,
 * IP-in-IP Always, as a node-to-node full mesh or with two route reflectors, built from a generated Cluster
 * document (scenario/bgp-scale.ts) and run until every node's BIRD has installed a route to every other
 * node's block. Without options it prints the notes' table (10, 100 and 1,000 nodes x mesh and 2 RRs, each
 * row in a process of its own), each row's line on stderr as it is done; a full mesh of 1,000 nodes
 * (499,500 sessions) does not fit this machine and is printed with its computed session counts, marked as
 * not run. With options it is `podnet bench bgp` itself, its checks and messages included.
 * `node dist/bench/bgp.js [--nodes N --mode mesh|rr [--bandwidth RATE] [--json]]`.
 */
import { bgpBenchText, formatBgpTable, runBgpTable } from '../src/cli/bench-bgp.js';
import { main } from '../src/cli/main.js';

const args = process.argv.slice(2);
if (args.length === 0) {
  const rows = runBgpTable((row) =>
    console.error('run' in row ? bgpBenchText(row.run) : `${row.nodes} nodes, ${row.mode}: ${row.notRun}`),
  );
  console.log(formatBgpTable(rows));
} else process.exitCode = await main(['bench', 'bgp', ...args]);
