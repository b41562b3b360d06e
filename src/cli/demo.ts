/**
 * `podnet demo`: the front door. A k3s-like two-node cluster with Flannel (examples/cluster-demo.yaml):
 * the nodes and their leases, the pods and their addresses, what flanneld programmed, then one ping from a
 * pod on one node to a pod on the other, hop by hop, every decision explained, with pcaps on request. On a
 * single-node cluster (examples/cluster-single-node.yaml) it pings pod to pod on the node, then pod to node.
 * `--backend` picks vxlan, host-gw or udp; `--compare` puts the three side by side.
 */
import { readFileSync } from 'node:fs';
import { formatCidr, formatIpv4 } from '../wire/addr.js';
import { ping, type PingResult } from '../apps/ping.js';
import { ipNeigh, ipRoute, bridgeFdb } from '../net/views.js';
import type { BackendType } from '../control/flannel/backends.js';
import {
  buildCluster,
  bringUp,
  type ClusterNode,
  type ClusterPod,
  type ClusterRuntime,
  flannelOf,
} from '../cluster/runtime.js';
import type { CommandResult } from '../apps/shell.js';
import { calicoPodMtu } from '../cluster/calico-node.js';
import { clusterMachine, runOnMachine } from '../scenario/cluster-shell.js';
import { loadCluster } from '../scenario/manifests.js';
import { formatSpecErrors } from '../scenario/source.js';
import { TraceRecorder } from '../observe/recorder.js';
import { captureLinks, type LinkCapture } from '../observe/capture.js';
import { formatHopTable, renderTable } from '../observe/table.js';
import { clusterWarnings, type ClusterWarning } from '../cluster/cluster-warnings.js';
import type { PlannedService } from '../cluster/plan-types.js';
import type { Problem } from '../cluster/source-ref.js';
import { openDatastore, type DatastoreChoice, type OpenedDatastore } from './datastore-flag.js';
import { runAct2 } from './demo-act2.js';

/** What the demo was asked for. */
export interface DemoOptions {
  file: string;
  backend?: BackendType;
  compare: boolean;
  pcap: boolean;
  json: boolean;
  explain: boolean;
  /** --datastore: flannel's subnet manager and its store (default: kube subnet manager, as k3s). */
  datastore?: DatastoreChoice;
  /** --cni: the file's CNI must be this one (the default file follows it). */
  cni?: 'flannel' | 'calico';
  /** --backend with --cni calico: every pool IP-in-IP Always, VXLAN Always (no BGP), or neither (BGP). */
  calicoMode?: 'ipip' | 'bgp' | 'vxlan';
  /** --act: only act 1 (pod to pod across nodes) or only act 2 (Services); both when undefined. */
  act?: 1 | 2;
}

/** The demo's outcome: text to print, pcaps to write, exit status, and the warnings (the CLI prints them). */
export interface DemoOutput {
  status: number;
  text: string;
  captures: LinkCapture[];
  json?: unknown;
  warnings: ClusterWarning[];
}

/** Reads and plans the cluster file; throws an Error with file:line messages when it does not validate. */
function load(file: string) {
  const text = readFileSync(file, 'utf8');
  const r = loadCluster([{ file, text }]);
  if (!r.ok)
    throw new DemoInputError(
      [formatSpecErrors(r.errors), ...r.notHandled.map((n) => n.message)].filter((s) => s !== '').join('\n'),
    );
  return { ...r.cluster, clusterWarnings: loadedWarnings(r.cluster) };
}

/** Every warning about a loaded cluster: reading's, the plan's, and what podnet does not emulate. */
export function loadedWarnings(loaded: {
  plan: Parameters<typeof clusterWarnings>[0];
  notHandled: Parameters<typeof clusterWarnings>[1];
  warnings: readonly Problem[];
}): ClusterWarning[] {
  const planned = new Set<Problem>(loaded.plan.warnings);
  return clusterWarnings(
    loaded.plan,
    loaded.notHandled,
    loaded.warnings.filter((w) => !planned.has(w)),
  );
}

/** The cluster file did not validate. */
export class DemoInputError extends Error {}

/**
 * Two pods to ping between: the client pod if there is one, and a pod on another node (a default-namespace
 * one first). On a single-node cluster (k3s's default install) the other pod is on the same node.
 */
function pickPair(c: ClusterRuntime): [ClusterPod, ClusterPod] | undefined {
  const pods = [...c.pods.values()].filter((p) => !p.hostNetwork);
  const from = pods.find((p) => p.name === 'client') ?? pods.find((p) => p.namespace === 'default') ?? pods[0];
  if (from === undefined) return undefined;
  const others = c.nodes.size === 1 ? pods.filter((p) => p !== from) : pods.filter((p) => p.node !== from.node);
  const to = others.find((p) => p.namespace === 'default') ?? others[0];
  return to === undefined ? undefined : [from, to];
}

function pingOnce(c: ClusterRuntime, from: ClusterPod, to: ClusterPod | number): PingResult | undefined {
  let r: PingResult | undefined;
  ping(from.stack, typeof to === 'number' ? to : to.ip, { count: 1 }, (x) => (r = x));
  c.engine.runUntilIdle(60e9);
  return r;
}

/** One traced ping: its hop table and summary line, and whether the reply came. */
function tracedPing(
  c: ClusterRuntime,
  from: ClusterPod,
  to: ClusterPod | number,
  explain: boolean,
): { ok: boolean; lines: string[]; events: TraceRecorder['events'] } {
  const rec = new TraceRecorder();
  const since = c.engine.now;
  c.network.tracer = rec;
  const r = pingOnce(c, from, to);
  c.network.tracer = undefined;
  const ok = r !== undefined && r.received === 1;
  const frames = rec.events.filter((e) => e.kind === 'frame').length;
  const summary = ok
    ? `reply received: ${frames} frames on the wire`
    : `NO reply: ${frames} frames on the wire; drops: ${
        rec.events
          .filter((e) => e.kind === 'drop')
          .map((e) => (e.kind === 'drop' ? `${e.device}: ${e.reason}` : ''))
          .join(', ') || 'none'
      }`;
  return { ok, lines: [formatHopTable(rec.events, { explain, since }), '', summary], events: rec.events };
}

/** Runs the demo. */
export async function runDemo(o: DemoOptions): Promise<DemoOutput> {
  const loaded = load(o.file);
  const ds = openDatastore(o.datastore ?? { kind: 'kube' });
  try {
    return o.compare ? await compare(loaded.plan, loaded.clusterWarnings, o, ds) : await demo(loaded, o, ds);
  } finally {
    await ds.close();
  }
}

async function demo(loaded: ReturnType<typeof load>, o: DemoOptions, ds: OpenedDatastore): Promise<DemoOutput> {
  if (o.cni !== undefined && loaded.plan.cluster.cni !== o.cni)
    throw new DemoInputError(`${o.file}: its cluster runs ${loaded.plan.cluster.cni}, not ${o.cni} (spec.cni)`);
  if (o.calicoMode !== undefined) withCalicoMode(loaded.plan, o.calicoMode);
  const c = await buildCluster(loaded.plan, {
    ...ds.build,
    ...(o.backend !== undefined ? { backend: o.backend } : {}),
  });
  await ds.settle(c);
  // BIRD's sessions come up seconds after the nodes (confd's connect delay): look at a Calico cluster as
  // `podnet get` does, once it has been up a minute
  if (c.calico !== undefined) bringUp(c);
  const out: string[] = [];
  const spec = loaded.plan.cluster;
  const addressOf = (n: ClusterNode): string =>
    formatCidr({ addr: n.ip, len: loaded.plan.nodes.find((p) => p.name === n.name)!.address.len });
  out.push(
    `podnet demo: cluster "${spec.name}" from ${o.file}: ${c.nodes.size} node${c.nodes.size === 1 ? '' : 's'}, ${c.calico !== undefined ? `Calico (${calicoModeText(c.calico)})` : `Flannel ${c.backend}`}, pods in ${formatCidr(spec.clusterCIDR)}, services in ${formatCidr(spec.serviceCIDR)}`,
  );
  out.push('');
  out.push(
    c.calico !== undefined
      ? renderTable(
          ['NODE', 'ADDRESS', 'BLOCKS', 'TUNNEL ADDRESS', 'BGP PEERS', 'POD MTU'],
          [...c.nodes.values()].map((n) => {
            const a = n.calico!;
            const tunnel = a.ipipTunnelAddr ?? a.vxlanTunnelAddr;
            return [
              n.name,
              addressOf(n),
              a.blocks.map(formatCidr).join(',') || '<none>',
              tunnel === undefined
                ? '<none>'
                : `${formatIpv4(tunnel)} (${a.ipipTunnelAddr !== undefined ? 'tunl0' : 'vxlan.calico'})`,
              String(a.peers.length),
              String(calicoPodMtu(a)),
            ];
          }),
        )
      : renderTable(
          ['NODE', 'ADDRESS', 'FLANNEL LEASE', 'BACKEND', 'POD MTU'],
          [...c.nodes.values()].map((n) => [
            n.name,
            addressOf(n),
            formatCidr(flannelOf(n).lease.subnet),
            c.backend,
            String(flannelOf(n).backend.mtu),
          ]),
        ),
  );
  out.push('');
  out.push(
    renderTable(
      ['POD', 'READY', 'STATUS', 'NODE', 'IP'],
      [
        ...[...c.pods.values()].map((p) => [
          p.id,
          // kubectl's READY: containers ready / containers (at build time, before any readiness probe ran)
          `${p.containers.statuses.filter((s) => s.ready).length}/${p.containers.statuses.length}`,
          'Running',
          p.node,
          formatIpv4(p.ip) + (p.hostNetwork ? ' (host)' : ''),
        ]),
        ...loaded.plan.pods
          .filter((p) => p.node === undefined)
          .map((p) => [`${p.namespace}/${p.name}`, `0/${p.spec.containers.length}`, 'Pending', '<none>', '<none>']),
      ],
    ),
  );
  out.push('');
  out.push(
    renderTable(
      ['NAMESPACE', 'SERVICE', 'TYPE', 'CLUSTER-IP', 'PORT(S)', 'ENDPOINTS'],
      loaded.plan.services.map((s) => serviceRow(s, c)),
    ),
  );
  for (const f of c.failedPods) out.push(`pod ${f.id} on ${f.node} failed to start: ${f.error}`);
  for (const n of c.nodes.values()) {
    out.push('', `${n.name}$ ip route`, ipRoute(n.stack));
    const neigh = ipNeigh(n.stack)
      .split('\n')
      .filter((l) => l.includes('PERMANENT'));
    if (neigh.length > 0) out.push(`${n.name}$ ip neigh | grep PERMANENT`, ...neigh);
    const vtep = n.calico !== undefined ? 'vxlan.calico' : 'flannel.1';
    const fdb = bridgeFdb(n.stack)
      .split('\n')
      .filter((l) => l.includes(vtep));
    if (fdb.length > 0) out.push(`${n.name}$ bridge fdb show dev ${vtep}`, ...fdb);
    for (const e of n.flanneld?.errors ?? []) out.push(`flanneld on ${n.name}: ${e}`);
  }
  // the first node's BGP sessions, as calicoctl shows them (BIRD runs unless the pools use VXLAN)
  const first = [...c.nodes.values()][0];
  if (first?.calico?.bird !== undefined) {
    const status = viewOn(c, first.name, ['calicoctl', 'node', 'status']);
    out.push('', `${first.name}$ calicoctl node status`, status);
  }
  const captures = o.pcap ? captureLinks(c.network) : [];
  const one = o.act === 2 ? undefined : act1(c, o, out);
  // without --act, act 2 needs a machine outside the cluster to curl from; a cluster without one shows act 1
  const two = o.act === 1 || (o.act === undefined && c.outside.size === 0) ? undefined : runAct2(c, o.explain);
  if (two !== undefined) out.push('', ...two.lines);
  else if (o.act === undefined)
    out.push('', 'Act 2 (Services from outside) needs an outside client: add spec.outsideClients');
  const ok = (one?.ok ?? true) && (two?.result.ok ?? true);
  const json = o.json
    ? {
        cluster: spec.name,
        backend: c.backend,
        nodes: [...c.nodes.values()].map((n) =>
          n.calico !== undefined
            ? {
                name: n.name,
                ip: formatIpv4(n.ip),
                blocks: n.calico.blocks.map(formatCidr),
                mtu: calicoPodMtu(n.calico),
                bgpPeers: n.calico.peers.length,
              }
            : {
                name: n.name,
                ip: formatIpv4(n.ip),
                lease: formatCidr(flannelOf(n).lease.subnet),
                mtu: flannelOf(n).backend.mtu,
              },
        ),
        pods: [...c.pods.values()].map((p) => ({ id: p.id, node: p.node, ip: formatIpv4(p.ip) })),
        pendingPods: loaded.plan.pods
          .filter((p) => p.node === undefined)
          .map((p) => ({ id: `${p.namespace}/${p.name}`, reason: p.pendingReason ?? '' })),
        services: loaded.plan.services.map((s) => {
          const [namespace, name, type, clusterIP, ports, endpoints] = serviceRow(s, c);
          return { namespace, name, type, clusterIP, ports, endpoints };
        }),
        ...(one?.json ?? {}),
        ...(two !== undefined
          ? {
              act2: {
                ok: two.result.ok,
                commands: two.result.commands,
                rewrites: two.result.rewrites,
                events: two.result.events,
              },
            }
          : {}),
        warnings: loaded.clusterWarnings,
      }
    : undefined;
  return { status: ok ? 0 : 1, text: out.join('\n'), captures, json, warnings: loaded.clusterWarnings };
}

/** Sets every Calico pool of `plan` (the default one and IPPools) to one mode, as --backend asks. */
function withCalicoMode(plan: ReturnType<typeof load>['plan'], mode: 'ipip' | 'bgp' | 'vxlan'): void {
  const modes = {
    ipipMode: mode === 'ipip' ? ('Always' as const) : ('Never' as const),
    vxlanMode: mode === 'vxlan' ? ('Always' as const) : ('Never' as const),
  };
  if (plan.cluster.calico !== undefined) plan.cluster.calico = { ...plan.cluster.calico, ...modes };
  plan.calicoResources = plan.calicoResources.map((r) =>
    r.kind === 'IPPool' ? { ...r, spec: { ...r.spec, ...modes } } : r,
  );
}

/** The pool modes in a line: "IP-in-IP Always, BGP node-to-node mesh", "VXLAN CrossSubnet, no BGP", "BGP, no encapsulation". */
function calicoModeText(calico: NonNullable<ClusterRuntime['calico']>): string {
  const pools = calico.pools.filter((p) => !p.disabled);
  const ipip = [...new Set(pools.map((p) => p.ipipMode).filter((m) => m !== 'Never'))];
  const vxlan = [...new Set(pools.map((p) => p.vxlanMode).filter((m) => m !== 'Never'))];
  const encap =
    ipip.length > 0 ? `IP-in-IP ${ipip.join('/')}` : vxlan.length > 0 ? `VXLAN ${vxlan.join('/')}` : 'no encapsulation';
  const bgp =
    calico.backend === 'vxlan'
      ? 'no BGP'
      : calico.bgp.nodeToNodeMeshEnabled
        ? 'BGP node-to-node mesh'
        : 'BGP with route reflectors';
  return `${encap}, ${bgp}`;
}

/** The output of a command that answers at once (a view such as calicoctl node status) on a cluster machine. */
function viewOn(c: ClusterRuntime, where: string, argv: string[]): string {
  const m = clusterMachine(c, where);
  let result: CommandResult | undefined;
  if (m !== undefined) runOnMachine(m, argv, (r) => (result = r));
  return result?.stdout ?? `${argv.join(' ')}: no answer on ${where}`;
}

/** Act 1: one ping from a pod to a pod on another node (on a single node: pod to pod, then pod to node). */
function act1(c: ClusterRuntime, o: DemoOptions, out: string[]): { ok: boolean; json: Record<string, unknown> } {
  const pair = pickPair(c);
  if (pair === undefined) {
    out.push('', c.nodes.size === 1 ? 'no two pods to ping between' : 'no two pods on different nodes to ping between');
    return { ok: false, json: {} };
  }
  const [from, to] = pair;
  out.push('', c.nodes.size === 1 ? 'Act 1: pod to pod, and pod to node' : 'Act 1: pod to pod across nodes', '');
  out.push(
    `ping ${from.id} (${formatIpv4(from.ip)} on ${from.node}) -> ${to.id} (${formatIpv4(to.ip)} on ${to.node}), ${c.calico !== undefined ? 'the cluster up a minute (BGP converged), no pod has talked yet' : 'all caches empty'}:`,
  );
  out.push('');
  const podPing = tracedPing(c, from, to, o.explain);
  out.push(...podPing.lines);
  // A single node has no other node to cross to: show pod-to-node instead, the pod's own node's address.
  const node = c.nodes.size === 1 ? c.nodes.get(from.node) : undefined;
  const nodePing = node === undefined ? undefined : tracedPing(c, from, node.ip, o.explain);
  if (node !== undefined && nodePing !== undefined) {
    out.push('', `ping ${from.id} (${formatIpv4(from.ip)}) -> node ${node.name} (${formatIpv4(node.ip)}):`, '');
    out.push(...nodePing.lines);
  }
  const json = {
    ping: { from: from.id, to: to.id, received: podPing.ok },
    ...(node !== undefined ? { nodePing: { from: from.id, to: node.name, received: nodePing?.ok ?? false } } : {}),
    events: [...podPing.events, ...(nodePing?.events ?? [])],
  };
  return { ok: podPing.ok && (nodePing?.ok ?? true), json };
}

/** One pod per node (the first not on the host network), for pinging between every pair of nodes. */
function podPerNode(c: ClusterRuntime): ClusterPod[] {
  const out: ClusterPod[] = [];
  for (const n of c.nodes.keys()) {
    const pod = [...c.pods.values()].find((p) => p.node === n && !p.hostNetwork);
    if (pod !== undefined) out.push(pod);
  }
  return out;
}

/** Every pair of nodes, one pod on each: every pair of node subnets is crossed when the underlay is routed. */
function nodePairs(c: ClusterRuntime): [ClusterPod, ClusterPod][] {
  const reps = podPerNode(c);
  return reps.flatMap((a, i) => reps.slice(i + 1).map((b): [ClusterPod, ClusterPod] => [a, b]));
}

/** --compare: the three backends on the same cluster, side by side, each pinging across every pair of nodes. */
async function compare(
  plan: Parameters<typeof buildCluster>[0],
  warnings: ClusterWarning[],
  o: DemoOptions,
  ds: OpenedDatastore,
): Promise<DemoOutput> {
  const rows: string[][] = [];
  const data: Record<string, unknown>[] = [];
  const notes: string[] = [];
  let status = 0;
  for (const backend of ['vxlan', 'host-gw', 'udp'] as const) {
    const c = await buildCluster(plan, { ...ds.build, backend });
    await ds.settle(c);
    const pairs = nodePairs(c);
    let wire = 0;
    const failed: string[] = [];
    pairs.forEach(([from, to], i) => {
      // the size of the echo request as it crosses the underlay, measured on the first pair
      const up = c.nodes.get(from.node)!.stack.port('eth0')!;
      const rec = new TraceRecorder();
      c.network.tracer = rec;
      if (pingOnce(c, from, to)?.received !== 1) failed.push(`${from.node} -> ${to.node}`);
      c.network.tracer = undefined;
      if (i > 0) return;
      for (const e of rec.events) {
        if (e.kind === 'frame' && e.device === from.node && e.outPort === up.name && wire === 0) {
          const inner = e.frame.inner ?? e.frame;
          if (e.frame.protocol.startsWith('ICMP echo request') || inner.protocol === 'ICMP echo request')
            wire = e.frame.length;
        }
      }
    });
    const ok = pairs.length > 0 && failed.length === 0;
    if (!ok) status = 1;
    const errors = [...new Set([...c.nodes.values()].flatMap((n) => flannelOf(n).errors))];
    if (pairs.length === 0) notes.push(`${backend}: no two nodes with a pod each to ping between`);
    else if (!ok) {
      notes.push(
        `${backend}: ${pairs.length - failed.length} of ${pairs.length} node pairs answer ping; no reply for ${failed.join(', ')}`,
      );
      if (backend === 'host-gw' && plan.cluster.underlay.type === 'routed')
        notes.push(
          "  host-gw routes each pod subnet via the peer node's own address, so every node must be one L2 hop away; " +
            'across a router Linux refuses such a route ("Nexthop has invalid gateway"), so flanneld has no route to the pods of nodes in other subnets (use vxlan)',
        );
      for (const e of errors.slice(0, 3)) notes.push(`  flanneld: ${e}`);
      if (errors.length > 3) notes.push(`  flanneld: ... and ${errors.length - 3} more`);
    }
    const n = [...c.nodes.values()][0]!;
    const routes = n.stack.routes.routes().filter((r) => r.proto === 'flannel').length;
    const neigh = ipNeigh(n.stack)
      .split('\n')
      .filter((l) => l.includes('PERMANENT')).length;
    const fdb = bridgeFdb(n.stack)
      .split('\n')
      .filter((l) => l.includes('flannel')).length;
    const row = {
      backend,
      pingOk: ok,
      pairs: pairs.length,
      pairsOk: pairs.length - failed.length,
      failedPairs: failed,
      flanneldErrors: errors,
      bytesOnWire: wire,
      podMtu: flannelOf(n).backend.mtu,
      routesPerNode: routes,
      permanentNeighboursPerNode: neigh,
      fdbEntriesPerNode: fdb,
    };
    data.push(row);
    rows.push([
      backend,
      ok ? 'yes' : `NO (${row.pairsOk}/${pairs.length})`,
      String(wire),
      String(row.podMtu),
      String(routes),
      String(neigh),
      String(fdb),
      backend === 'host-gw' ? 'yes' : 'no',
      backend === 'udp' ? 'yes (flanneld)' : 'no',
    ]);
  }
  const text = [
    `podnet demo --compare: Flannel's three backends on the same ${plan.nodes.length}-node cluster (${o.file})`,
    'ping: one pod on each node, every pair of nodes; bytes on the wire: the frame carrying one 64-byte ping (84 bytes of IP) between the first two nodes; per node: what flanneld programmed on the first',
    '',
    renderTable(
      ['BACKEND', 'PING', 'BYTES ON WIRE', 'POD MTU', 'ROUTES', 'PERM. NEIGH', 'FDB', 'NEEDS L2', 'USER-SPACE HOP'],
      rows,
    ),
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n');
  return { status, text, captures: [], json: o.json ? { backends: data, warnings } : undefined, warnings };
}

/** A row of the Services table, as `kubectl get svc -A` and `kubectl get endpoints` print them. */
function serviceRow(s: PlannedService, c: ClusterRuntime): [string, string, string, string, string, string] {
  const clusterIp = s.type === 'ExternalName' ? '<none>' : s.clusterIP === undefined ? 'None' : formatIpv4(s.clusterIP);
  const ports =
    s.ports.map((p) => `${p.port}${p.nodePort === undefined ? '' : `:${p.nodePort}`}/${p.protocol}`).join(',') ||
    '<none>';
  return [s.namespace, s.name, s.type, clusterIp, ports, formatEndpoints(s, c)];
}

/**
 * kubectl's ENDPOINTS column (printers.go formatEndpoints): ip:port for each port, then each address, the
 * first three and `+ N more...`; `<none>` when there is none. Only ready pods count, as in the Endpoints
 * object (at the demo's first look, t=0, a pod with a readiness probe has not passed it yet).
 */
function formatEndpoints(s: PlannedService, c: ClusterRuntime): string {
  const all = s.ports.flatMap((p) =>
    p.endpoints.flatMap((e) => {
      const pod = e.pod === undefined ? undefined : c.pods.get(`${s.namespace}/${e.pod}`);
      // a pod that is not ready is a notReadyAddress: kubectl leaves it out of this column
      if (pod !== undefined && !pod.ready && s.publishNotReadyAddresses !== true) return [];
      const ip = e.pod === undefined || e.hostNetwork ? c.nodes.get(e.node)?.ip : pod?.ip;
      return ip === undefined ? [] : [`${formatIpv4(ip)}:${e.port}`];
    }),
  );
  if (all.length === 0) return '<none>';
  const shown = all.slice(0, 3).join(',');
  return all.length > 3 ? `${shown} + ${all.length - 3} more...` : shown;
}
