/**
 * A big Flannel (vxlan) cluster for the UI's scale tests: `nodes` nodes on one underlay switch, a
 * Deployment of `podsPerNode` pods per node. Only what the data path needs runs: k3s's CoreDNS, Traefik,
 * ServiceLB and network-policy controller are disabled (the network-policy controller alone re-syncs
 * every node on every pod change). `node dist/test/web/big-cluster.js 1000 2 > big.yaml` writes one.
 */
import { fileURLToPath } from 'node:url';
import { scaleClusterText } from '../../src/scenario/scale.js';
import { RangeAllocator } from '../../src/cluster/range-allocator.js';
import { podStackName } from '../../src/cluster/runtime.js';
import type { ClusterPlan } from '../../src/cluster/plan-types.js';
import { formatIpv4 } from '../../src/wire/addr.js';

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

/** A pod as an opened node must show it: its device's name, its label and its address. */
export interface ExpectedPod {
  id: string;
  label: string;
  address: string;
}

/**
 * The pods `node` of a Flannel cluster runs and their addresses, worked out from the plan as k3s gives
 * them, not as the UI shows them: the node's podCIDR is kube-controller-manager's range allocator's, in
 * the order nodes join (the plan's), and the CNI's host-local IPAM hands out addresses from the start of
 * that range in the order the node's pods are wired (the plan's), skipping .1, the gateway (cni0).
 */
export function expectedPodsOn(plan: ClusterPlan, node: string): ExpectedPod[] {
  if (plan.cluster.cni !== 'flannel') throw new Error('expectedPodsOn: the podCIDRs of a Flannel (kube) cluster');
  const ranges = new RangeAllocator(plan.cluster.clusterCIDR, plan.cluster.nodeCIDRMaskSize);
  let podCIDR: ReturnType<RangeAllocator['allocate']>;
  for (const n of plan.nodes) {
    const r = ranges.allocate(n.name);
    if (n.name === node) podCIDR = r;
  }
  if (podCIDR === undefined) throw new Error(`expectedPodsOn: no node ${node}`);
  const base = podCIDR.addr;
  return plan.pods
    .filter((p) => p.node === node && p.spec.hostNetwork !== true)
    .map((p, i) => ({
      id: podStackName(p),
      label: p.name,
      address: `${formatIpv4((base + 2 + i) >>> 0)}/${podCIDR.len}`,
    }));
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  process.stdout.write(bigClusterText(Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 2)));
