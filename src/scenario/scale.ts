/**
 * The scale workload of `podnet bench cluster`: N nodes on one underlay switch, one Deployment of N x M
 * replicas spread evenly by the scheduler, Flannel vxlan, built for real (leases, CNI for every pod),
 * then pings between randomly sampled pod pairs on different nodes.
 */
import { ping } from '../apps/ping.js';
import { buildCluster, type BuildProgress, type ClusterRuntime } from '../cluster/runtime.js';
import type { BackendType } from '../control/flannel/backends.js';
import { loadCluster } from './manifests.js';
import { formatSpecError } from './source.js';

/** The cluster and manifest text for `nodes` x `podsPerNode`. */
export function scaleClusterText(nodes: number, podsPerNode: number, backend: BackendType = 'vxlan', seed = 1): string {
  // a /9 pod network holds 32,767 node /24s; the underlay /16 holds 65,533 nodes
  const lines = [
    'apiVersion: podnet.dev/v1alpha1',
    'kind: Cluster',
    'metadata: { name: scale }',
    'spec:',
    `  seed: ${seed}`,
    '  clusterCIDR: 10.128.0.0/9',
    '  serviceCIDR: 10.96.0.0/16',
    '  clusterDNS: 10.96.0.10',
    '  disable: [coredns, traefik]',
    `  flannel: { backend: ${backend} }`,
    '  underlay: { type: switch, link: { latency: 10us, bandwidth: 10Gbps, mtu: 1500 } }',
    '  nodes:',
  ];
  for (let i = 0; i < nodes; i++)
    lines.push(
      `    - { name: node${i}, address: 172.16.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}/16${i === 0 ? ', role: server' : ''} }`,
    );
  lines.push(
    '---',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: { name: app }',
    'spec:',
    `  replicas: ${nodes * podsPerNode}`,
    '  selector: { matchLabels: { app: app } }',
    '  template:',
    '    metadata: { labels: { app: app } }',
    '    spec: { containers: [{ name: app, image: app:1 }] }',
  );
  return lines.join('\n') + '\n';
}

/** The figures of one run (wall time and memory are measured by the caller). */
export interface ScaleResult {
  nodes: number;
  pods: number;
  pairsChecked: number;
  pairsReachable: number;
  failedPods: number;
  cluster: ClusterRuntime;
}

/** Builds the scale cluster and pings `pairs` random pod pairs on different nodes. */
export async function runScale(
  nodes: number,
  podsPerNode: number,
  pairs: number,
  opts: { backend?: BackendType; progress?: BuildProgress } = {},
): Promise<ScaleResult> {
  const text = scaleClusterText(nodes, podsPerNode, opts.backend ?? 'vxlan');
  const r = loadCluster([{ file: 'scale.yaml', text }]);
  if (!r.ok) throw new Error(r.errors.map(formatSpecError).join('\n'));
  const c = await buildCluster(r.cluster.plan, opts.progress !== undefined ? { progress: opts.progress } : {});
  const pods = [...c.pods.values()];
  let reachable = 0;
  let checked = 0;
  // the sampled pairs: the scenario's own stream, apart from every model's
  const rng = c.engine.stream('scenario:scale/pairs');
  for (let i = 0; i < pairs && pods.length > 1 && c.nodes.size > 1; i++) {
    const a = pods[rng.int(pods.length)]!;
    let b = pods[rng.int(pods.length)]!;
    while (b.node === a.node) b = pods[rng.int(pods.length)]!;
    checked++;
    let got = false;
    ping(a.stack, b.ip, { count: 1, timeout: 1e9 }, (res) => (got = res.received === 1));
    c.engine.runUntilIdle(10e9);
    if (got) reachable++;
  }
  return {
    nodes: c.nodes.size,
    pods: c.pods.size,
    pairsChecked: checked,
    pairsReachable: reachable,
    failedPods: c.failedPods.length,
    cluster: c,
  };
}
