/**
 * `podnet demo`: the front door. A k3s-like two-node cluster with Flannel (examples/cluster-demo.yaml):
 * the nodes and their leases, the pods and their addresses, what flanneld programmed, then one ping from a
 * pod on one node to a pod on the other, hop by hop, every decision explained, with pcaps on request.
 * `--backend` picks vxlan, host-gw or udp; `--compare` puts the three side by side.
 */
import { readFileSync } from 'node:fs';
import { formatCidr, formatIpv4 } from '../wire/addr.js';
import { ping, type PingResult } from '../apps/ping.js';
import { ipNeigh, ipRoute, bridgeFdb } from '../net/views.js';
import type { BackendType } from '../control/flannel/backends.js';
import { buildCluster, type ClusterPod, type ClusterRuntime } from '../cluster/runtime.js';
import { loadCluster } from '../scenario/manifests.js';
import { formatSpecErrors } from '../scenario/source.js';
import { TraceRecorder } from '../observe/recorder.js';
import { captureLinks, type LinkCapture } from '../observe/capture.js';
import { formatHopTable, renderTable } from '../observe/table.js';

/** What the demo was asked for. */
export interface DemoOptions {
  file: string;
  backend?: BackendType;
  compare: boolean;
  pcap: boolean;
  json: boolean;
  explain: boolean;
}

/** The demo's outcome: text to print, pcaps to write, exit status. */
export interface DemoOutput {
  status: number;
  text: string;
  captures: LinkCapture[];
  json?: unknown;
}

/** Reads and plans the cluster file; throws an Error with file:line messages when it does not validate. */
function load(file: string) {
  const text = readFileSync(file, 'utf8');
  const r = loadCluster([{ file, text }]);
  if (!r.ok)
    throw new DemoInputError(
      [formatSpecErrors(r.errors), ...r.notHandled.map((n) => n.message)].filter((s) => s !== '').join('\n'),
    );
  return r.cluster;
}

/** The cluster file did not validate. */
export class DemoInputError extends Error {}

/** Two pods on different nodes: the client pod if there is one, and a web pod elsewhere. */
function pickPair(c: ClusterRuntime): [ClusterPod, ClusterPod] | undefined {
  const pods = [...c.pods.values()].filter((p) => !p.hostNetwork);
  const from = pods.find((p) => p.name === 'client') ?? pods[0];
  if (from === undefined) return undefined;
  const to =
    pods.find((p) => p.node !== from.node && p.namespace === 'default') ?? pods.find((p) => p.node !== from.node);
  return to === undefined ? undefined : [from, to];
}

function pingOnce(c: ClusterRuntime, from: ClusterPod, to: ClusterPod): PingResult | undefined {
  let r: PingResult | undefined;
  ping(from.stack, to.ip, { count: 1 }, (x) => (r = x));
  c.engine.runUntilIdle(60e9);
  return r;
}

/** Runs the demo. */
export async function runDemo(o: DemoOptions): Promise<DemoOutput> {
  const loaded = load(o.file);
  if (o.compare) return compare(loaded.plan, o);
  const c = await buildCluster(loaded.plan, o.backend !== undefined ? { backend: o.backend } : {});
  const out: string[] = [];
  const spec = loaded.plan.cluster;
  out.push(
    `podnet demo: cluster "${spec.name}" from ${o.file}: ${c.nodes.size} nodes, Flannel ${c.backend}, pods in ${formatCidr(spec.clusterCIDR)}, services in ${formatCidr(spec.serviceCIDR)}`,
  );
  for (const w of loaded.notHandled) out.push(`warning: ${w.message}`);
  out.push('');
  out.push(
    renderTable(
      ['NODE', 'ADDRESS', 'FLANNEL LEASE', 'BACKEND', 'POD MTU'],
      [...c.nodes.values()].map((n) => [
        n.name,
        formatCidr({ addr: n.ip, len: loaded.plan.nodes.find((p) => p.name === n.name)!.address.len }),
        formatCidr(n.flanneld.lease.subnet),
        c.backend,
        String(n.flanneld.backend.mtu),
      ]),
    ),
  );
  out.push('');
  out.push(
    renderTable(
      ['POD', 'NODE', 'IP'],
      [...c.pods.values()].map((p) => [p.id, p.node, formatIpv4(p.ip) + (p.hostNetwork ? ' (host)' : '')]),
    ),
  );
  for (const f of c.failedPods) out.push(`pod ${f.id} on ${f.node} failed to start: ${f.error}`);
  for (const n of c.nodes.values()) {
    out.push('', `${n.name}$ ip route`, ipRoute(n.stack));
    const neigh = ipNeigh(n.stack)
      .split('\n')
      .filter((l) => l.includes('PERMANENT'));
    if (neigh.length > 0) out.push(`${n.name}$ ip neigh | grep PERMANENT`, ...neigh);
    const fdb = bridgeFdb(n.stack)
      .split('\n')
      .filter((l) => l.includes('flannel'));
    if (fdb.length > 0) out.push(`${n.name}$ bridge fdb show dev flannel.1`, ...fdb);
    for (const e of n.flanneld.errors) out.push(`flanneld on ${n.name}: ${e}`);
  }
  const pair = pickPair(c);
  if (pair === undefined) {
    out.push('', 'no two pods on different nodes to ping between');
    return { status: 1, text: out.join('\n'), captures: [] };
  }
  const [from, to] = pair;
  const captures = o.pcap ? captureLinks(c.network) : [];
  const rec = new TraceRecorder();
  c.network.tracer = rec;
  const r = pingOnce(c, from, to);
  c.network.tracer = undefined;
  out.push('');
  out.push(
    `ping ${from.id} (${formatIpv4(from.ip)} on ${from.node}) -> ${to.id} (${formatIpv4(to.ip)} on ${to.node}), all caches empty:`,
  );
  out.push('');
  out.push(formatHopTable(rec.events, { explain: o.explain }));
  out.push('');
  const ok = r !== undefined && r.received === 1;
  const frames = rec.events.filter((e) => e.kind === 'frame').length;
  out.push(
    ok
      ? `reply received: ${frames} frames on the wire`
      : `NO reply: ${frames} frames on the wire; drops: ${
          rec.events
            .filter((e) => e.kind === 'drop')
            .map((e) => (e.kind === 'drop' ? `${e.device}: ${e.reason}` : ''))
            .join(', ') || 'none'
        }`,
  );
  const json = o.json
    ? {
        cluster: spec.name,
        backend: c.backend,
        nodes: [...c.nodes.values()].map((n) => ({
          name: n.name,
          ip: formatIpv4(n.ip),
          lease: formatCidr(n.flanneld.lease.subnet),
          mtu: n.flanneld.backend.mtu,
        })),
        pods: [...c.pods.values()].map((p) => ({ id: p.id, node: p.node, ip: formatIpv4(p.ip) })),
        ping: { from: from.id, to: to.id, received: ok },
        events: rec.events,
      }
    : undefined;
  return { status: ok ? 0 : 1, text: out.join('\n'), captures, json };
}

/** --compare: the three backends on the same cluster, side by side. */
async function compare(plan: Parameters<typeof buildCluster>[0], o: DemoOptions): Promise<DemoOutput> {
  const rows: string[][] = [];
  const data: Record<string, unknown>[] = [];
  let status = 0;
  for (const backend of ['vxlan', 'host-gw', 'udp'] as const) {
    const c = await buildCluster(plan, { backend });
    const pair = pickPair(c);
    let wire = 0;
    let ok = false;
    if (pair !== undefined) {
      const [from, to] = pair;
      // the size of the echo request as it crosses the underlay between the two nodes
      const up = c.nodes.get(from.node)!.stack.port('eth0')!;
      const rec = new TraceRecorder();
      c.network.tracer = rec;
      ok = pingOnce(c, from, to)?.received === 1;
      c.network.tracer = undefined;
      for (const e of rec.events) {
        if (e.kind === 'frame' && e.device === from.node && e.outPort === up.name && wire === 0) {
          const inner = e.frame.inner ?? e.frame;
          if (e.frame.protocol.startsWith('ICMP echo request') || inner.protocol === 'ICMP echo request')
            wire = e.frame.length;
        }
      }
    }
    if (!ok) status = 1;
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
      bytesOnWire: wire,
      podMtu: n.flanneld.backend.mtu,
      routesPerNode: routes,
      permanentNeighboursPerNode: neigh,
      fdbEntriesPerNode: fdb,
    };
    data.push(row);
    rows.push([
      backend,
      ok ? 'yes' : 'NO',
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
    'bytes on the wire: the frame carrying one 64-byte ping (84 bytes of IP) between the nodes; per node: what flanneld programmed',
    '',
    renderTable(
      ['BACKEND', 'PING', 'BYTES ON WIRE', 'POD MTU', 'ROUTES', 'PERM. NEIGH', 'FDB', 'NEEDS L2', 'USER-SPACE HOP'],
      rows,
    ),
  ].join('\n');
  return { status, text, captures: [], json: o.json ? data : undefined };
}
