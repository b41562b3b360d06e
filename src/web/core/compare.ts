/**
 * Flannel's backends side by side on the same cluster, as `podnet demo --compare` measures them: one pod
 * on each of the first two nodes pings the other once; the frame that carries the echo request out of the
 * first node's eth0 gives the bytes on the wire; the first node's flannel routes, permanent neighbours and
 * FDB entries are what flanneld programmed. Each backend is a fresh, deterministic build.
 */
import { bringUp, buildCluster, flannelOf } from '../../cluster/runtime.js';
import type { ClusterPlan } from '../../cluster/plan-types.js';
import { bridgeFdb, ipNeigh } from '../../net/views.js';
import { formatIpv4 } from '../../wire/addr.js';
import { TraceRecorder } from '../../observe/recorder.js';
import { clusterMachine, runOnMachine } from '../../scenario/cluster-shell.js';
import type { CompareRow } from './protocol.js';

/** The backends compared. */
export const COMPARED_BACKENDS = ['vxlan', 'host-gw', 'udp'] as const;

/** One row per backend for `plan` (a Flannel cluster). */
export async function compareBackends(plan: ClusterPlan): Promise<CompareRow[]> {
  const rows: CompareRow[] = [];
  for (const backend of COMPARED_BACKENDS) {
    const c = await buildCluster(plan, { backend });
    bringUp(c);
    const nodes = [...c.nodes.values()];
    const podOn = (node: string | undefined) =>
      [...c.pods.values()].find((p) => p.node === node && !p.hostNetwork && p.ready);
    const from = podOn(nodes[0]?.name);
    const to = podOn(nodes[1]?.name);
    let wire = 0;
    let inner = 0;
    let ok = false;
    if (from !== undefined && to !== undefined) {
      const rec = new TraceRecorder();
      c.network.tracer = rec;
      const where = clusterMachine(c, from.id)!;
      let running = false;
      runOnMachine(where, ['ping', '-c', '1', formatIpv4(to.ip)], (r) => {
        ok = r.status === 0;
        if (running) c.engine.stop();
      });
      running = true;
      c.engine.runBounded(60_000_000_000);
      c.network.tracer = undefined;
      for (const e of rec.events) {
        if (e.kind !== 'frame' || (e.frame.inner ?? e.frame).protocol !== 'ICMP echo request') continue;
        // the frame as the pod sent it, and as it left the first node on the underlay
        if (e.device === from.id && inner === 0) inner = e.frame.length;
        if (e.device === from.node && e.outPort === 'eth0' && wire === 0) wire = e.frame.length;
      }
    }
    const n = nodes[0]!;
    rows.push({
      backend,
      wireBytes: wire,
      innerBytes: inner,
      mtu: flannelOf(n).backend.mtu,
      routes: n.stack.routes.routes().filter((r) => r.proto === 'flannel').length,
      neighbours: ipNeigh(n.stack)
        .split('\n')
        .filter((l) => l.includes('PERMANENT')).length,
      fdb: bridgeFdb(n.stack)
        .split('\n')
        .filter((l) => l.includes('flannel')).length,
      ok,
    });
  }
  return rows;
}
