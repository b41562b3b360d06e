/**
 * The picture of a big cluster straight from its plan, before anything is built: building a 1,000-node
 * cluster takes seconds of CPU (every node programs a route, a neighbour and an FDB entry for every
 * other), but its boxes are known from the document. Pods are folded into one box per node, so their
 * addresses (which IPAM assigns at build time) are not needed. The devices and cables are the ones
 * cluster/runtime.ts builds (the underlay switch or the routed underlay's router and switches, the
 * internet router, the outside clients, the nodes and their pods); a test compares the two pictures.
 * Each folded group keeps its pods' boxes (names, no addresses) for the page to unfold a node.
 */
import { formatCidr, formatIpv4, prefixContains } from '../../wire/addr.js';
import type { ClusterPlan } from '../../cluster/plan-types.js';
import type { Machine, TopoEdge, TopoNode, Topology } from './protocol.js';
import { podStackName } from '../../cluster/runtime.js';
import { clusterTunnels } from './overlay.js';

/** Pods that get a device of their own: scheduled, not on the host's network. */
export function plannedPodCount(plan: ClusterPlan): number {
  return plan.pods.filter((p) => p.node !== undefined && !p.spec.hostNetwork).length;
}

/** The folded picture of `plan` and the machines commands can run on (pods without addresses yet). */
export function planTopology(plan: ClusterPlan): { topology: Topology; machines: Machine[] } {
  const spec = plan.cluster;
  const nodes: TopoNode[] = [];
  const edges: TopoEdge[] = [];
  const outside: Machine[] = [];
  const pods: Machine[] = [];
  const nodeMachines: Machine[] = [];
  const box = (id: string, kind: string, addresses: string[] = [], parent?: string): void => {
    const n: TopoNode = { id, kind, label: id, addresses, segments: [] };
    if (parent !== undefined) n.parent = parent;
    nodes.push(n);
  };
  const cable = (a: string, b: string): void => {
    edges.push({ id: `${a}--${b}`, a, b, aPort: '', bPort: '', layer: 'underlay' });
  };
  let devices = 0;
  // the underlay, as buildCluster makes it
  const u = spec.underlay;
  const switchFor = (addr: number): string =>
    u.type === 'routed' ? `underlay${u.gateways.findIndex((g) => prefixContains(g, addr))}` : 'underlay';
  if (u.type === 'routed') {
    box(
      'underlay-router',
      'router',
      u.gateways.map((g) => formatCidr(g)),
    );
    u.gateways.forEach((_, i) => {
      box(`underlay${i}`, 'switch');
      cable('underlay-router', `underlay${i}`);
    });
    devices += 1 + u.gateways.length;
  } else {
    box('underlay', 'switch');
    box('internet', 'router', [formatCidr(spec.internet.address)]);
    cable('internet', 'underlay');
    devices += 2;
  }
  for (const o of spec.outsideClients) {
    box(o.name, 'host', [formatCidr(o.address)]);
    cable(o.name, switchFor(o.address.addr));
    outside.push({ name: o.name, kind: 'outside', ip: formatIpv4(o.address.addr) });
    devices++;
  }
  // each node's pods, boxed as topologyOf boxes a built pod (named by its device), for unfolding
  const podsOn = new Map<string, TopoNode[]>();
  for (const p of plan.pods)
    if (p.node !== undefined && !p.spec.hostNetwork) {
      const members = podsOn.get(p.node) ?? [];
      members.push({ id: podStackName(p), kind: 'pod', label: p.name, parent: p.node, addresses: [], segments: [] });
      podsOn.set(p.node, members);
      pods.push({ name: `${p.namespace}/${p.name}`, kind: 'pod', node: p.node });
      devices++;
    }
  for (const n of plan.nodes) {
    box(n.name, 'node', [formatCidr(n.address)]);
    cable(n.name, switchFor(n.address.addr));
    nodeMachines.push({ name: n.name, kind: 'node', ip: formatIpv4(n.address.addr) });
    devices++;
    const members = podsOn.get(n.name);
    if (members !== undefined) {
      box(`pods@${n.name}`, 'pods', [], n.name);
      const g = nodes[nodes.length - 1]!;
      g.label = `${members.length} pods`;
      g.members = members;
      cable(`pods@${n.name}`, n.name);
    }
  }
  // the overlay, as topologyOf draws a built cluster's (and colours the nodes with its VNI)
  for (const [a, b, label, segment] of clusterTunnels(
    spec,
    plan.nodes.map((n) => n.name),
  )) {
    const e: TopoEdge = { id: `tunnel:${a}--${b}`, a, b, aPort: '', bPort: '', layer: 'overlay', label };
    if (segment === undefined) {
      edges.push(e);
      continue;
    }
    e.segment = segment;
    edges.push(e);
    for (const n of nodes) if ((n.id === a || n.id === b) && !n.segments.includes(segment)) n.segments.push(segment);
  }
  // machines as the built world lists them: nodes, then pods, then outside clients
  const machines = [...nodeMachines, ...pods, ...outside];
  return { topology: { nodes, edges, collapsed: true, deviceCount: devices }, machines };
}
