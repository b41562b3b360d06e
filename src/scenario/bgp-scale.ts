/**
 * The notes' Calico scale problem as a workload (`podnet bench bgp`): a cluster of N nodes running Calico
 * in BGP mode (IP-in-IP Always, the Calico default, so each node's tunnel address claims a /26 block
 * without any pod), either as the node-to-node full mesh (N(N-1)/2 sessions) or with two route
 * reflectors (a BGPPeer `nodeSelector: all()`, `peerSelector: route-reflector == 'true'`, two
 * projectcalico.org/v3 Nodes with a routeReflectorClusterID, and BGPConfiguration
 * `nodeToNodeMeshEnabled: false`: 2(N-2)+1 sessions). The cluster is built from a generated Cluster
 * document and run until it has converged: every node's BIRD has a best route to every other node's
 * block, and the kernel route is installed. Wall time is the caller's (cli/ and bench/ own the clock).
 *
 * The nodes share one switch, 10 Gbit/s and 10 µs per link by default (a data-centre underlay, as
 * `podnet bench cluster` has). At 1 Gbit/s a reflector's NIC queue overflows somewhere between 600 nodes
 * (no refusal) and 800 (5,216), because podnet's BIRD spends no CPU time: the UPDATEs of a route to all
 * its clients reach the queue in the same instant, where a real reflector's writes are spread over its
 * processing.
 */
import { buildCluster, type ClusterRuntime } from '../cluster/runtime.js';
import { SECOND } from '../sim/engine.js';
import { prefixKey } from '../control/bgp/rib.js';
import { formatCidr } from '../wire/addr.js';
import { loadCluster } from './manifests.js';
import { formatSpecError } from './source.js';

/** Full node-to-node mesh, or two route reflectors with the mesh off. */
export type BgpScaleMode = 'mesh' | 'rr';

/** What one converged cluster shows. */
export interface BgpScaleResult {
  nodes: number;
  mode: BgpScaleMode;
  /** Established BGP sessions, counted once per pair. */
  sessions: number;
  /** Established sessions of a node that is not a route reflector. */
  sessionsPerNode: number;
  /** Established sessions of a route reflector (rr mode). */
  sessionsPerReflector?: number;
  /** Routes in a non-RR node's main table (`ip route | wc -l`). */
  routesPerNode: number;
  /** Rules in a non-RR node's netfilter ruleset, every table (`iptables-save | grep -c '^-A'`): kube-proxy's and Felix's. */
  iptablesRulesPerNode: number;
  /** Simulated time from the cluster's start to the last node's last block route. */
  convergedSimSeconds: number;
  /** Engine events run to convergence. */
  events: number;
  /** BGP UPDATE messages sent, all speakers. */
  updates: number;
  /** The underlay's bit rate (every node's link to the switch). */
  underlayBps: number;
  /** Frames put on links (packet-hops), ARP and TCP acknowledgments included. */
  frames: number;
  /**
   * Frames a full transmit queue refused (Linux's qdisc drops): at 1,000 nodes the reflectors' own NICs,
   * while a route goes out to every client. Their TCP keeps each such segment and sends it later.
   */
  queueFullDrops: number;
}

/** The route reflectors' cluster ID, the one Calico's documentation uses. */
const RR_CLUSTER_ID = '244.0.0.1';

/** Node i's (0-based) underlay address: 10.0.0.2 onwards in 10.0.0.0/16 (outside Calico's 192.168.0.0/16). */
export function bgpScaleNodeAddress(i: number): string {
  const n = i + 2;
  return `10.0.${n >> 8}.${n & 255}`;
}

/** The underlay's default bit rate: 10 GbE, as `podnet bench cluster`'s. */
export const BGP_SCALE_DEFAULT_BPS = 10_000_000_000;

/** The most nodes: Calico's default pool (192.168.0.0/16 in /26 blocks) has 1,024 blocks, one per node. */
export const BGP_SCALE_MAX_NODES = 1024;

/** The Cluster document (and Calico resources) for `nodes` nodes in `mode`, over a switch at `bps`. */
export function bgpScaleClusterText(nodes: number, mode: BgpScaleMode, bps = BGP_SCALE_DEFAULT_BPS): string {
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
    `  underlay: { type: switch, link: { latency: 10us, bandwidth: ${bps}bps, mtu: 1500 } }`,
    '  nodes:',
  ];
  for (let i = 0; i < nodes; i++) {
    const labels = rr(i) ? ", labels: { route-reflector: 'true' }" : '';
    const role = i === 0 ? 'server' : 'agent';
    lines.push(`    - { name: n${i + 1}, address: ${bgpScaleNodeAddress(i)}/16, role: ${role}${labels} }`);
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
        `spec: { bgp: { ipv4Address: ${bgpScaleNodeAddress(i)}/16, routeReflectorClusterID: ${RR_CLUSTER_ID} } }`,
      );
  }
  return lines.join('\n') + '\n';
}

/**
 * The sessions the configuration asks for: N(N-1)/2 in a full mesh; with two reflectors, each of the N-2
 * clients peers with both, and the reflectors with each other (the BGPPeer selects them too).
 */
export function expectedBgpSessions(
  nodes: number,
  mode: BgpScaleMode,
): { total: number; perNode: number; perReflector?: number } {
  return mode === 'mesh'
    ? { total: (nodes * (nodes - 1)) / 2, perNode: nodes - 1 }
    : { total: 2 * (nodes - 2) + 1, perNode: 2, perReflector: nodes - 1 };
}

/** Why a run could not be measured (a bad size, a cluster that did not converge): a message for the user. */
export class BgpScaleError extends Error {}

function fail(what: string): never {
  throw new BgpScaleError(`bench bgp: ${what}`);
}

/** Rules in every chain of every table of a node. */
function ruleCount(c: ClusterRuntime, node: string): number {
  const rs = c.nodes.get(node)?.stack.netfilter?.ruleset;
  if (rs === undefined) return 0;
  let n = 0;
  for (const table of Object.values(rs)) for (const chain of table.values()) n += chain.rules.length;
  return n;
}

/** Options of a run. */
export interface BgpScaleOptions {
  /** Simulated seconds to wait for convergence (default 600). */
  limitSeconds?: number;
  /** The underlay's bit rate (default 10 Gbit/s). */
  bps?: number;
  /** Called once the cluster is built, before it runs (the caller times the build). */
  built?: () => void;
}

/** Builds the cluster, runs it to convergence and measures it; throws BgpScaleError when it does not converge. */
export async function runBgpScale(
  nodes: number,
  mode: BgpScaleMode,
  opts: BgpScaleOptions = {},
): Promise<BgpScaleResult> {
  if (!Number.isInteger(nodes) || nodes < (mode === 'rr' ? 3 : 2) || nodes > BGP_SCALE_MAX_NODES)
    fail(`--nodes must be from ${mode === 'rr' ? 3 : 2} to ${BGP_SCALE_MAX_NODES} in ${mode} mode, got ${nodes}`);
  const bps = opts.bps ?? BGP_SCALE_DEFAULT_BPS;
  if (!Number.isSafeInteger(bps) || bps <= 0) fail(`--bandwidth must be a positive bit rate, got ${bps} bit/s`);
  const loaded = loadCluster([{ file: `bgp-${mode}-${nodes}.yaml`, text: bgpScaleClusterText(nodes, mode, bps) }]);
  if (!loaded.ok) fail(loaded.errors.map(formatSpecError).join('\n'));
  const c = await buildCluster(loaded.cluster.plan);
  const calico = c.calico ?? fail('the cluster runs no Calico');
  opts.built?.();
  // every node has exactly one block (its tunnel address's): it has converged with N-1 routes from BIRD
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
  c.engine.runUntilIdle((opts.limitSeconds ?? 600) * SECOND);
  if (convergedAt === undefined)
    fail(`not converged after ${c.engine.now / SECOND} s of simulated time (${done} of ${nodes} nodes complete)`);
  // what "converged" claims: each node's kernel routes are the other nodes' blocks
  for (const a of agents)
    for (const b of agents)
      if (b !== a)
        for (const block of b.blocks)
          if (!a.kernel.has(prefixKey(block.addr, block.len)))
            fail(`${a.name} has no route to ${b.name}'s ${formatCidr(block)}`);
  const established = (name: string): number =>
    calico.agents
      .get(name)
      ?.bird?.status()
      .filter((s) => s.state === 'Established').length ?? 0;
  let ends = 0;
  for (const a of agents) ends += established(a.name);
  const want = expectedBgpSessions(nodes, mode);
  if (ends / 2 !== want.total) fail(`${ends / 2} sessions Established, ${want.total} configured`);
  const client = mode === 'rr' ? 'n3' : 'n2';
  const clientNode = c.nodes.get(client) ?? fail(`no node ${client}`);
  return {
    nodes,
    mode,
    sessions: ends / 2,
    sessionsPerNode: established(client),
    ...(mode === 'rr' ? { sessionsPerReflector: established('n1') } : {}),
    routesPerNode: clientNode.stack.routes.size,
    iptablesRulesPerNode: ruleCount(c, client),
    convergedSimSeconds: +(convergedAt / SECOND).toFixed(3),
    underlayBps: bps,
    events: c.engine.eventsRun,
    updates: agents.reduce((n, a) => n + (a.bird?.updatesOut ?? 0), 0),
    frames: c.network.links.reduce((n, l) => n + l.ab.transmitted + l.ba.transmitted, 0),
    queueFullDrops: [...c.network.devices.values()].reduce((n, d) => n + (d.drops['queue-full'] ?? 0), 0),
  };
}
