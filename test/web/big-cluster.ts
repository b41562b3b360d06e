/**
 * A big Flannel (vxlan) cluster for the UI's scale tests: `nodes` nodes on one underlay switch, a
 * Deployment of `podsPerNode` pods per node. Only what the data path needs runs: k3s's CoreDNS, Traefik,
 * ServiceLB and network-policy controller are disabled (the network-policy controller alone re-syncs
 * every node on every pod change). `node dist/test/web/big-cluster.js 1000 2 > big.yaml` writes one.
 */
import { fileURLToPath } from 'node:url';
import { scaleClusterText } from '../../src/scenario/scale.js';

/** The Cluster document and its Deployment. */
export function bigClusterText(nodes: number, podsPerNode: number): string {
  const text = scaleClusterText(nodes, podsPerNode, 'vxlan');
  const disabled = text.replace(
    'disable: [coredns, traefik]',
    'disable: [coredns, traefik, servicelb, network-policy]',
  );
  if (disabled === text) throw new Error('big-cluster: the scale cluster no longer disables coredns and traefik');
  return disabled.replace('metadata: { name: scale }', `metadata: { name: big-${nodes} }`);
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  process.stdout.write(bigClusterText(Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 2)));
