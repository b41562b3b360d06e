/**
 * The notes' Calico scale problem, measured: a cluster of N nodes running Calico in BGP mode (IP-in-IP
 * Always, the Calico default, so each node's tunnel address claims a /26 block without any pod), either
 * as a node-to-node full mesh (N(N-1)/2 sessions) or with two route reflectors (a BGPPeer `nodeSelector:
 * all()`, `peerSelector: route-reflector == 'true'`, two projectcalico.org/v3 Nodes with a
 * routeReflectorClusterID, and BGPConfiguration `nodeToNodeMeshEnabled: false`: 2N-3 sessions).
 *
 * The cluster is built from a generated Cluster document, then run until it has converged: every node's
 * BIRD has a best route to every other node's block and the kernel route is installed. Reported: sessions
 * (Established, once per pair), sessions per node, routes in a non-RR node's kernel table, iptables rules
 * per node (kube-proxy's and Felix's, every table), the simulated time of convergence and the wall time
 * of build plus run. `node dist/bench/bgp.js --nodes N --mode mesh|rr [--json]`, or `--table` for the
 * notes' table (10, 100, 1,000 nodes x mesh and 2 RRs); `podnet bench bgp` is the same.
 */
import { pathToFileURL } from 'node:url';
import { buildCluster, type ClusterRuntime } from '../src/cluster/runtime.js';
import { loadCluster } from '../src/scenario/manifests.js';
import { SECOND } from '../src/sim/engine.js';
import { formatCidr, formatIpv4 } from '../src/wire/addr.js';

/** Full node-to-node mesh, or two route reflectors with the mesh off. */
export type BgpBenchMode = 'mesh' | 'rr';

/** One measured cluster. */
export interface BgpBenchResult {
  nodes: number;
  mode: BgpBenchMode;
  /** Established BGP sessions, counted once per pair. */
  sessions: number;
  /** Established sessions on a non-RR node, and on a route reflector (rr mode only). */
  sessionsPerNode: number;
  sessionsPerReflector?: number;
  /** Routes in a non-RR node's main table (`ip route | wc -l`). */
  routesPerNode: number;
  /** Rules in a non-RR node's netfilter ruleset, every table (`iptables-save | grep -c '^-A'`). */
  iptablesRulesPerNode: number;
  /** Simulated time from the cluster's start to the last node's last block route. */
  convergedSimSeconds: number;
  /** Wall time to build the cluster and run it to convergence (performance.now). */
  wallSeconds: number;
  /** Of which building (plan, nodes, Felix, peers). */
  buildWallSeconds: number;
  /** Engine events run to convergence. */
  events: number;
  /** BGP UPDATE messages sent, all speakers. */
  updates: number;
  /** Frames put on links (packet-hops), ARP and TCP acknowledgments included. */
  frames: number;
  peakRssBytes: number;
}

/** The route reflectors' cluster ID, as Calico's documentation uses. */
const RR_CLUSTER_ID = '244.0.0.1';

/** Node i's (0-based) underlay address: 10.0.0.2 onwards on 10.0.0.0/16 (outside Calico's 192.168.0.0/16). */
export function nodeAddress(i: number): string {
  const n = i + 2;
  return `10.0.${n >> 8}.${n & 255}`;
}

/** The Cluster document (and Calico resources) for `nodes` nodes in `mode`. */
export function bgpClusterText(nodes: number, mode: BgpBenchMode): string {
  if (nodes < 2 || nodes > 60_000) throw new Error(`bgp bench: ${nodes} nodes is outside 2..60000`);
  if (mode === 'rr' && nodes < 3) throw new Error('bgp bench: rr mode needs at least 3 nodes');
  const rr = (i: number): boolean => mode === 'rr' && i < 2;
  const lines = [
    'apiVersion: podnet.dev/v1alpha1',
    'kind: Cluster',
    `metadata: { name: bgp-${mode}-${nodes} }`,
    'spec:',
    '  seed: 1',
    '  cni: calico',
    '  calico: { ipipMode: Always }',
    '  disable: [traefik, servicelb, coredns]',
    '  nodes:',
  ];
  for (let i = 0; i < nodes; i++) {
    const labels = rr(i) ? ", labels: { route-reflector: 'true' }" : '';
    lines.push(
      `    - { name: n${i + 1}, address: ${nodeAddress(i)}/16, role: ${i === 0 ? 'server' : 'agent'}${labels} }`,
    );
  }
  if (mode === 'rr') {
    lines.push(
      '---',
      'apiVersion: projectcalico.org/v3',
      'kind: BGPConfiguration',
      'metadata: { name: default }',
      'spec: { nodeToNodeMeshEnabled: false, asNumber: 64512 }',
      '---',
      'apiVersion: projectcalico.org/v3',
      'kind: BGPPeer',
      'metadata: { name: peer-with-route-reflectors }',
      "spec: { nodeSelector: all(), peerSelector: route-reflector == 'true' }",
    );
    for (let i = 0; i < 2; i++)
      lines.push(
        '---',
        'apiVersion: projectcalico.org/v3',
        'kind: Node',
        `metadata: { name: n${i + 1}, labels: { route-reflector: 'true' } }`,
        `spec: { bgp: { ipv4Address: ${nodeAddress(i)}/16, routeReflectorClusterID: ${RR_CLUSTER_ID} } }`,
      );
  }
  return lines.join('\n') + '\n';
}

/** The session count the configuration asks for: N(N-1)/2 for a mesh, 2(N-2)+1 with two reflectors. */
export function expectedSessions(nodes: number, mode: BgpBenchMode): number {
  return mode === 'mesh' ? (nodes * (nodes - 1)) / 2 : 2 * (nodes - 2) + 1;
}

function fail(what: string): never {
  throw new Error(`bgp bench: ${what}`);
}

/** Rules in every chain of every table of a node. */
function ruleCount(c: ClusterRuntime, node: string): number {
  const rs = c.nodes.get(node)?.stack.netfilter?.ruleset;
  if (rs === undefined) return 0;
  let n = 0;
  for (const table of Object.values(rs)) for (const chain of table.values()) n += chain.rules.length;
  return n;
}

/** Builds the cluster, runs it to convergence (or `limitSeconds` of simulated time) and measures. */
export async function runBgpBench(nodes: number, mode: BgpBenchMode, limitSeconds = 600): Promise<BgpBenchResult> {
  const t0 = performance.now();
  const loaded = loadCluster([{ file: `bgp-${mode}-${nodes}.yaml`, text: bgpClusterText(nodes, mode) }]);
  if (!loaded.ok) fail(loaded.errors.map((e) => e.message).join('\n'));
  const c = await buildCluster(loaded.cluster.plan);
  const calico = c.calico ?? fail('the cluster runs no Calico');
  const buildWallSeconds = (performance.now() - t0) / 1000;
  // every node has exactly one block (its tunnel address's), so it has converged with N-1 BIRD routes
  const agents = [...calico.agents.values()];
  let done = 0;
  let convergedAt: number | undefined;
  for (const a of agents) {
    let complete = false;
    a.bird?.onBestChange(() => {
      const now = a.kernel.size === nodes - 1;
      if (now === complete) return;
      complete = now;
      done += now ? 1 : -1;
      if (done === nodes) {
        convergedAt = c.engine.now;
        c.engine.stop();
      }
    });
  }
  c.engine.runUntilIdle(limitSeconds * SECOND);
  const wallSeconds = (performance.now() - t0) / 1000;
  if (convergedAt === undefined) fail(`not converged after ${c.engine.now / SECOND} s simulated (${done}/${nodes})`);
  // check what "converged" claims: each node's kernel routes are exactly the other nodes' blocks
  for (const a of agents)
    for (const b of agents)
      if (b !== a)
        for (const block of b.blocks)
          if (!a.kernel.has(formatCidr(block))) fail(`${a.name} has no route to ${b.name}'s ${formatCidr(block)}`);
  const established = (name: string): number =>
    calico.agents
      .get(name)
      ?.bird?.status()
      .filter((s) => s.state === 'Established').length ?? 0;
  let ends = 0;
  for (const a of agents) ends += established(a.name);
  const sessions = ends / 2;
  if (sessions !== expectedSessions(nodes, mode))
    fail(`${sessions} sessions Established, ${expectedSessions(nodes, mode)} configured`);
  const client = mode === 'rr' ? 'n3' : 'n2';
  const clientNode = c.nodes.get(client) ?? fail(`no node ${client}`);
  return {
    nodes,
    mode,
    sessions,
    sessionsPerNode: established(client),
    ...(mode === 'rr' ? { sessionsPerReflector: established('n1') } : {}),
    routesPerNode: clientNode.stack.routes.size,
    iptablesRulesPerNode: ruleCount(c, client),
    convergedSimSeconds: +(convergedAt / SECOND).toFixed(3),
    wallSeconds: +wallSeconds.toFixed(3),
    buildWallSeconds: +buildWallSeconds.toFixed(3),
    events: c.engine.eventsRun,
    updates: agents.reduce((n, a) => n + (a.bird?.updatesOut ?? 0), 0),
    frames: c.network.links.reduce((n, l) => n + l.ab.transmitted + l.ba.transmitted, 0),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/** The one JSON line of `podnet bench bgp --json`. */
export function bgpJsonLine(r: BgpBenchResult): string {
  return JSON.stringify({
    nodes: r.nodes,
    mode: r.mode,
    sessions: r.sessions,
    routesPerNode: r.routesPerNode,
    iptablesRulesPerNode: r.iptablesRulesPerNode,
    convergedSimSeconds: r.convergedSimSeconds,
    wallSeconds: r.wallSeconds,
  });
}

/** The readable line of a non-JSON run. */
export function bgpTextLine(r: BgpBenchResult): string {
  const per =
    r.mode === 'rr'
      ? `${r.sessionsPerNode} per node, ${r.sessionsPerReflector ?? 0} per route reflector`
      : `${r.sessionsPerNode} per node`;
  return `${r.nodes} nodes, ${r.mode === 'mesh' ? 'full mesh' : '2 route reflectors'}: ${r.sessions} BGP sessions (${per}); ${r.routesPerNode} routes and ${r.iptablesRulesPerNode} iptables rules per node; converged at ${r.convergedSimSeconds} s simulated, in ${r.wallSeconds} s wall (build ${r.buildWallSeconds} s), peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--nodes');
  const nodes = Number(args[i + 1]);
  const mode = args[args.indexOf('--mode') + 1] === 'rr' ? 'rr' : 'mesh';
  const r = await runBgpBench(nodes, mode);
  console.log(args.includes('--json') ? bgpJsonLine(r) : bgpTextLine(r));
  void formatIpv4;
}
