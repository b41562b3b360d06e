/**
 * A small deterministic scheduler: a pod with spec.nodeName goes there (as kubelet takes it, bypassing
 * the scheduler); any other pod goes to the node, among those its nodeSelector allows and whose host
 * ports it does not clash with and that run fewer than their max-pods, running the fewest pods, ties broken by
 * node name. A pod no node fits
 * stays Pending with kube-scheduler's kind of message. Real kube-scheduler scores on resources and
 * topology spread; "fewest pods" gives the same even spread for a cluster of equal nodes.
 */
import type { Labels, PodSpec } from './k8s-objects.js';
import { labelsMatch } from '../control/label-selector.js';

/** A node as the scheduler sees it. */
export interface SchedulerNode {
  name: string;
  labels: Labels;
  /** Pods bound so far. */
  pods: number;
  /** The kubelet's max-pods: its Node's allocatable pods. */
  maxPods: number;
  /** Host ports in use, as 'TCP/80'. */
  hostPorts: Set<string>;
}

/**
 * The scheduler's view of `nodes`, sorted by name (as placePod wants them), with the pods already bound to
 * each (their count and host ports): none when a plan starts, the running ones when a pod comes later.
 */
export function schedulerNodes(
  nodes: readonly { name: string; labels: Labels }[],
  maxPods: number,
  bound: readonly { node?: string; spec: PodSpec }[] = [],
): SchedulerNode[] {
  return nodes
    .map((n) => {
      const mine = bound.filter((x) => x.node === n.name);
      return {
        name: n.name,
        labels: n.labels,
        pods: mine.length,
        maxPods,
        hostPorts: new Set(mine.flatMap((x) => podHostPorts(x.spec))),
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Where a pod goes, or why it stays Pending. */
export type Placement = { node: string } | { pending: string };

/** The host ports a pod needs ('TCP/80'); with hostNetwork every container port is a host port. */
export function podHostPorts(spec: PodSpec): string[] {
  const out: string[] = [];
  for (const c of spec.containers) {
    for (const p of c.ports) {
      const hostPort = spec.hostNetwork ? p.containerPort : p.hostPort;
      if (hostPort !== undefined && hostPort !== 0) out.push(`${p.protocol}/${hostPort}`);
    }
  }
  return out;
}

/** Picks a node for a pod with `spec`; does not bind it (see bindPod). `nodes` must be sorted by name. */
export function placePod(nodes: readonly SchedulerNode[], spec: PodSpec): Placement {
  if (nodes.length === 0) return { pending: 'no nodes available to schedule pods' };
  if (spec.nodeName !== undefined) {
    const pinned = nodes.find((n) => n.name === spec.nodeName);
    if (pinned === undefined) return { pending: `node ${JSON.stringify(spec.nodeName)} not found` };
    // the kubelet's own admission (pkg/kubelet/lifecycle/predicate.go): reason "OutOf" + resource name,
    // message from InsufficientResourceError (a real kubelet marks the pod Failed; it never runs)
    if (pinned.pods + 1 > pinned.maxPods)
      return {
        pending: `OutOfpods: Node didn't have enough resource: pods, requested: 1, used: ${pinned.pods}, capacity: ${pinned.maxPods}`,
      };
    return { node: pinned.name };
  }
  const ports = podHostPorts(spec);
  // most pods have no nodeSelector: skip the label check then (this loop runs pods x nodes times)
  const anySelector = Object.keys(spec.nodeSelector).length > 0;
  let best: SchedulerNode | undefined;
  let selectorMisses = 0;
  let portClashes = 0;
  let full = 0;
  for (const n of nodes) {
    if (anySelector && !labelsMatch(spec.nodeSelector, n.labels)) {
      selectorMisses++;
      continue;
    }
    if (ports.length > 0 && ports.some((p) => n.hostPorts.has(p))) {
      portClashes++;
      continue;
    }
    // NodeResourcesFit (pkg/scheduler/framework/plugins/noderesources/fit.go fitsRequest):
    // len(nodeInfo.Pods)+1 > allowedPodNumber gives the reason "Too many pods"
    if (n.pods + 1 > n.maxPods) {
      full++;
      continue;
    }
    if (best === undefined || n.pods < best.pods) best = n;
  }
  if (best !== undefined) return { node: best.name };
  const reasons: string[] = [];
  if (selectorMisses > 0) reasons.push(`${selectorMisses} node(s) didn't match Pod's node affinity/selector`);
  if (portClashes > 0) reasons.push(`${portClashes} node(s) didn't have free ports for the requested pod ports`);
  if (full > 0) reasons.push(`${full} Too many pods`);
  return { pending: `0/${nodes.length} nodes are available: ${reasons.sort().join(', ')}.` };
}

/** Records a pod with `spec` as running on `node`. */
export function bindPod(node: SchedulerNode, spec: PodSpec): void {
  node.pods++;
  for (const p of podHostPorts(spec)) node.hostPorts.add(p);
}
