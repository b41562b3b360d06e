/**
 * The cluster changing while it runs, as the controllers and the kubelet change a real one:
 * - deleting a pod: the kubelet stops its containers and runs CNI DEL (host-local releases the IP); a pod
 *   a ReplicaSet owns is replaced by a new one (a new name, scheduled, wired by CNI ADD);
 * - scaling a Deployment: its ReplicaSet adds pods or deletes the ones it ranks first (not ready, then newest);
 * - a node joining: the kubelet registers it, the range allocator gives it the next podCIDR, flanneld starts
 *   and the other nodes' flanneld program routes to it; Pending pods are scheduled again;
 * - a node leaving (`kubectl delete node` after it is shut down): its pods are garbage-collected and
 *   replaced elsewhere; with the kube subnet manager the Node's deletion is what makes every other flanneld
 *   remove its route, neighbour and FDB entries; with etcd the lease stays until its TTL runs out (24 h),
 *   unless it is revoked;
 * - flanneld restarting on a node, in place.
 * Every change updates the plan (the API objects `podnet get` prints) and is published on `rt.changes`.
 */
import { formatCidr, formatIpv4, prefixContains, type Ipv4Prefix } from '../wire/addr.js';
import { kubeNodeKey } from '../control/flannel/kube-subnet.js';
import { Flanneld } from '../control/flannel/flanneld.js';
import { k3sNodeLabels } from './cluster-spec.js';
import { generateName } from './k8s-names.js';
import type { Labels } from './k8s-objects.js';
import { refreshEndpoints } from './plan-services.js';
import type { PlannedDeployment, PlannedNode, PlannedPod } from './plan-types.js';
import { bindPod, placePod, schedulerNodes } from './scheduler.js';
import { missingSvclbPods } from './servicelb.js';
import {
  podSandbox,
  portMappings,
  flanneldOptions,
  refreshNodeHosts,
  startNode,
  startPod,
  type ClusterPod,
  type ClusterRuntime,
  flannelOf,
} from './runtime.js';

/** A change that could not be made, with a message for the user. */
export class LifecycleError extends Error {}

/** What a lifecycle operation did, one line per thing, in the order it happened. */
export type ChangeLog = string[];

/** Deletes pod `ref` (name or namespace/name); a ReplicaSet's pod is replaced. */
export function deletePod(rt: ClusterRuntime, ref: string): ChangeLog {
  const p = findPlannedPod(rt, ref);
  const log: ChangeLog = [];
  removePod(rt, p, log, { cniDel: true });
  if (p.owner !== undefined) replace(rt, p, log);
  if (p.daemonSet !== undefined)
    daemonSetPods(
      rt,
      rt.plan.nodes.find((n) => n.name === p.spec.nodeSelector['kubernetes.io/hostname']),
      log,
    );
  finish(rt, log);
  return log;
}

/** Sets a Deployment's replicas (`kubectl scale deployment NAME --replicas=N`). */
export function scaleDeployment(rt: ClusterRuntime, ref: string, replicas: number): ChangeLog {
  const [ns, name] = splitRef(ref);
  const d = rt.plan.deployments.find((x) => x.namespace === ns && x.name === name);
  if (d === undefined)
    throw new LifecycleError(
      `deployment ${ns}/${name} not found (deployments: ${rt.plan.deployments.map((x) => `${x.namespace}/${x.name}`).join(', ')})`,
    );
  const owned = rt.plan.pods.filter((p) => p.owner?.deployment === name && p.namespace === ns);
  const log: ChangeLog = [`deployment.apps/${name} scaled from ${d.replicas} to ${replicas}`];
  d.replicas = replicas;
  if (replicas > owned.length) {
    for (let i = owned.length; i < replicas; i++) create(rt, d.template, log);
  } else {
    // ReplicaSet getPodsToDelete (controller_utils ActivePodsWithRanks): unscheduled first, then not
    // ready, then the newest
    const rank = (p: PlannedPod): number =>
      p.node === undefined ? 0 : rt.pods.get(`${p.namespace}/${p.name}`)?.ready === true ? 2 : 1;
    const order = owned
      .map((p, i) => ({ p, i }))
      .sort((a, b) => rank(a.p) - rank(b.p) || b.i - a.i)
      .map((x) => x.p);
    for (const p of order.slice(0, owned.length - replicas)) removePod(rt, p, log, { cniDel: true });
  }
  finish(rt, log);
  return log;
}

/** What a joining node is: the Cluster document's node fields. */
export interface NewNode {
  name: string;
  address: Ipv4Prefix;
  role: 'server' | 'agent';
  labels: Labels;
}

/** A machine joins as a node; Pending pods are scheduled again. */
export async function addNode(rt: ClusterRuntime, n: NewNode): Promise<ChangeLog> {
  if (rt.nodes.has(n.name) || rt.plan.nodes.some((x) => x.name === n.name))
    throw new LifecycleError(`node ${n.name} already exists`);
  const taken = [...rt.nodes.values()].find((x) => x.ip === n.address.addr);
  if (taken !== undefined) throw new LifecycleError(`${formatIpv4(n.address.addr)} is ${taken.name}'s address`);
  const subnets = rt.machinery.underlaySubnets;
  if (!subnets.some((s) => s.len === n.address.len && prefixContains(s, n.address.addr)))
    throw new LifecycleError(
      `${formatCidr(n.address)} is not in a subnet of the cluster's underlay (${subnets.map(formatCidr).join(', ')})`,
    );
  const pn: PlannedNode = { name: n.name, address: n.address, role: n.role, labels: k3sNodeLabels(n), pods: [] };
  rt.plan.nodes.push(pn);
  const node = await startNode(rt, pn);
  refreshNodeHosts(rt);
  const log: ChangeLog = [
    node.flanneld !== undefined
      ? `node/${n.name} joined at ${formatIpv4(node.ip)}: podCIDR ${formatCidr(node.flanneld.lease.subnet)}`
      : `node/${n.name} joined at ${formatIpv4(node.ip)}: calico-node started`,
  ];
  rt.changes.publish({ kind: 'node-added', node });
  // confd has rewritten every bird.cfg: the new node's sessions, as each node's BIRD lists them
  if (node.calico !== undefined)
    log.push(`calico-node on ${n.name}: BGP peers ${node.calico.peers.map((p) => p.name).join(', ') || 'none'}`);
  for (const p of rt.plan.pods.filter((x) => x.node === undefined)) schedule(rt, p, log);
  daemonSetPods(rt, pn, log);
  finish(rt, log);
  return log;
}

/**
 * A node leaves: it is shut down (off the underlay) and deleted from the cluster. `revokeLease` (etcd
 * subnet manager only) has flanneld give its lease up first (as `flanneld` stopping cleanly would, or
 * `etcdctl del` by hand), so peers drop its routes now instead of when the TTL runs out.
 */
export async function removeNode(
  rt: ClusterRuntime,
  name: string,
  o: { revokeLease?: boolean } = {},
): Promise<ChangeLog> {
  const node = rt.nodes.get(name);
  if (node === undefined)
    throw new LifecycleError(`node ${name} not found (nodes: ${[...rt.nodes.keys()].join(', ')})`);
  if (rt.nodes.size === 1) throw new LifecycleError(`node ${name} is the cluster's last node`);
  const log: ChangeLog = [];
  if (node.flanneld === undefined) {
    if (o.revokeLease === true) throw new LifecycleError('revokeLease: a Calico node has no flannel lease');
  } else if (o.revokeLease === true) {
    if (rt.subnetManager !== 'etcd')
      throw new LifecycleError(
        'revokeLease: the kube subnet manager has no lease to revoke (deleting the Node is what counts)',
      );
    await node.flanneld.stop();
    log.push(`flanneld on ${name}: lease ${formatCidr(node.flanneld.lease.subnet)} revoked`);
  } else node.flanneld.exit();
  // shut down: off the underlay, its pods' namespaces gone with it, its name free for a machine to come
  for (const [path] of node.host.netnsEntries()) node.host.deleteNetns(path);
  for (const port of node.stack.ports) if (port.peer !== undefined) rt.network.disconnect(port);
  rt.network.devices.delete(name);
  log.push(`${name} shut down`);
  // kubectl delete node: the Node object goes; the pod garbage collector deletes its pods
  // (and the DaemonSet controller deletes its Pending pods pinned to the node)
  const planned = rt.plan.pods.filter(
    (p) => p.node === name || (p.daemonSet !== undefined && p.spec.nodeSelector['kubernetes.io/hostname'] === name),
  );
  for (const p of planned) removePod(rt, p, log, { cniDel: false });
  rt.plan.nodes.splice(
    rt.plan.nodes.findIndex((x) => x.name === name),
    1,
  );
  rt.nodes.delete(name);
  if (node.calico !== undefined) {
    rt.podCIDRs?.release(name);
    log.push(
      `node/${name} deleted: kube-controllers releases its addresses and blocks; every other BIRD ends its session with ${formatIpv4(node.ip)} and withdraws its routes`,
    );
  } else if (rt.podCIDRs !== undefined) {
    await rt.store.delete(kubeNodeKey(name));
    rt.podCIDRs.release(name);
    log.push(
      `node/${name} deleted: podCIDR ${formatCidr(flannelOf(node).lease.subnet)} released; every flanneld removes its route`,
    );
  } else
    log.push(
      `node/${name} deleted${o.revokeLease === true ? '' : `: its flannel lease stays until the TTL runs out (24 h), and with it the other nodes' routes`}`,
    );
  refreshNodeHosts(rt);
  rt.changes.publish({ kind: 'node-removed', node });
  for (const p of planned) if (p.owner !== undefined) replace(rt, p, log);
  finish(rt, log);
  return log;
}

/** flanneld on `name` is restarted (killed and started again, as `systemctl restart k3s` does to it). */
export async function restartFlanneld(rt: ClusterRuntime, name: string): Promise<ChangeLog> {
  const node = rt.nodes.get(name);
  if (node === undefined)
    throw new LifecycleError(`node ${name} not found (nodes: ${[...rt.nodes.keys()].join(', ')})`);
  if (node.flanneld === undefined)
    throw new LifecycleError(`node ${name} runs no flanneld: this cluster's CNI is ${rt.plan.cluster.cni}`);
  const before = flannelOf(node).lease;
  flannelOf(node).exit();
  node.flanneld = await Flanneld.start(flanneldOptions(rt, node.stack, node.udp, node.ip));
  node.host.store.write('/run/flannel/subnet.env', flannelOf(node).subnetEnv);
  const after = flannelOf(node).lease;
  return [
    `flanneld on ${name} restarted: ${formatCidr(after.subnet)}${
      after.subnet.addr === before.subnet.addr && after.vtepMac === before.vtepMac ? ' (same subnet and VTEP MAC)' : ''
    }, ${flannelOf(node).peers.size} peer(s) programmed`,
  ];
}

// ---- helpers ----------------------------------------------------------------------------------------

function splitRef(ref: string): [string, string] {
  const i = ref.indexOf('/');
  return i < 0 ? ['default', ref] : [ref.slice(0, i), ref.slice(i + 1)];
}

function findPlannedPod(rt: ClusterRuntime, ref: string): PlannedPod {
  const matches = rt.plan.pods.filter((p) => `${p.namespace}/${p.name}` === ref || p.name === ref);
  const exact = matches.find((p) => `${p.namespace}/${p.name}` === ref);
  if (exact !== undefined) return exact;
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    throw new LifecycleError(`pod ${ref} is in several namespaces: ${matches.map((p) => p.namespace).join(', ')}`);
  throw new LifecycleError(
    `pod ${ref} not found (pods: ${rt.plan.pods.map((p) => `${p.namespace}/${p.name}`).join(', ')})`,
  );
}

/** Takes a pod out: the kubelet stops it (and, when the node is still there, runs CNI DEL). */
function removePod(rt: ClusterRuntime, p: PlannedPod, log: ChangeLog, o: { cniDel: boolean }): void {
  const id = `${p.namespace}/${p.name}`;
  const running = rt.pods.get(id);
  rt.plan.pods.splice(rt.plan.pods.indexOf(p), 1);
  const pn = rt.plan.nodes.find((n) => n.name === p.node);
  if (pn !== undefined) pn.pods = pn.pods.filter((x) => x !== id);
  const failed = rt.failedPods.findIndex((f) => f.id === id);
  if (failed >= 0) rt.failedPods.splice(failed, 1);
  if (running === undefined) {
    log.push(`pod/${id} deleted${p.node === undefined ? ' (it was Pending)' : ''}`);
    return;
  }
  running.containers.stop();
  rt.pods.delete(id);
  if (o.cniDel && !running.hostNetwork) cniDel(rt, running, p, log);
  else log.push(`pod/${id} deleted (${formatIpv4(running.ip)})`);
  rt.changes.publish({ kind: 'pod-deleted', pod: running });
}

/** CNI DEL for the pod's sandbox, as the kubelet runs it: the veth goes, host-local frees the address. */
function cniDel(rt: ClusterRuntime, pod: ClusterPod, planned: PlannedPod, log: ChangeLog): void {
  const node = rt.nodes.get(pod.node)!;
  const sandbox = podSandbox(pod);
  // containerd tears down with the capability arguments it set up with, so portmap finds its rules
  const r = node.cni.delNetworkList(node.conflist, {
    ...sandbox,
    capabilityArgs: { portMappings: portMappings(planned) },
  });
  node.host.deleteNetns(sandbox.netns);
  log.push(
    r.ok
      ? `pod/${pod.id} deleted: CNI DEL on ${pod.node} released ${formatIpv4(pod.ip)}`
      : `pod/${pod.id} deleted: CNI DEL on ${pod.node} failed: ${r.error.msg}`,
  );
}

/** The ReplicaSet that owns `gone` makes a pod in its place (the Deployment still wants as many). */
function replace(rt: ClusterRuntime, gone: PlannedPod, log: ChangeLog): void {
  const d = rt.plan.deployments.find((x) => x.namespace === gone.namespace && x.name === gone.owner!.deployment);
  if (d !== undefined) create(rt, d.template, log);
}

/** The ReplicaSet creates a pod from its template, with a new name, and the scheduler places it. */
function create(rt: ClusterRuntime, template: PlannedDeployment['template'], log: ChangeLog): void {
  const rs = template.owner!.name;
  const prng = rt.engine.stream(`k8s:ReplicaSet/${template.namespace}/${rs}`);
  const taken = new Set(rt.plan.pods.map((p) => `${p.namespace}/${p.name}`));
  let name = generateName(prng, `${rs}-`);
  while (taken.has(`${template.namespace}/${name}`)) name = generateName(prng, `${rs}-`);
  const p: PlannedPod = { ...template, labels: { ...template.labels }, name };
  rt.plan.pods.push(p);
  log.push(`replicaset.apps/${rs} created pod/${template.namespace}/${name}`);
  schedule(rt, p, log);
}

/** The DaemonSet controller: ServiceLB's pods that `node` should run and does not (servicelb.ts). */
function daemonSetPods(rt: ClusterRuntime, node: PlannedNode | undefined, log: ChangeLog): void {
  if (node === undefined) return;
  for (const p of missingSvclbPods(rt.plan, node, (key) => rt.engine.stream(key))) {
    rt.plan.pods.push(p);
    log.push(`daemonset.apps/${p.daemonSet ?? ''} created pod/${p.namespace}/${p.name}`);
    schedule(rt, p, log);
  }
}

/** kube-scheduler places a Pending pod now, and its kubelet runs it. */
function schedule(rt: ClusterRuntime, p: PlannedPod, log: ChangeLog): void {
  const nodes = schedulerNodes(rt.plan.nodes, rt.plan.cluster.maxPodsPerNode, rt.plan.pods);
  const where = placePod(nodes, p.spec);
  const id = `${p.namespace}/${p.name}`;
  if (!('node' in where)) {
    p.pendingReason = where.pending;
    log.push(`pod/${id} stays Pending: ${where.pending}`);
    return;
  }
  bindPod(
    nodes.find((n) => n.name === where.node)!,
    p.spec,
  );
  p.node = where.node;
  delete p.pendingReason;
  rt.plan.nodes.find((n) => n.name === where.node)!.pods.push(id);
  const pod = startPod(rt, p);
  if (pod === undefined) {
    log.push(`pod/${id} on ${where.node}: ${rt.failedPods.find((f) => f.id === id)?.error ?? 'failed'}`);
    return;
  }
  log.push(`pod/${id} scheduled on ${where.node}: ${formatIpv4(pod.ip)}`);
  rt.changes.publish({ kind: 'pod-added', pod });
}

/** After a change: the Services' endpoints follow the pods. */
function finish(rt: ClusterRuntime, _log: ChangeLog): void {
  refreshEndpoints(rt.plan);
}
