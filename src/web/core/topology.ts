/**
 * The picture of a built lab or cluster: its devices and cables (the underlay) and the tunnels between
 * them (the overlay). A big cluster's pods are folded into one box per node, so a 1,000-node cluster is
 * about a thousand boxes, not tens of thousands; frames on a folded pod's cable are drawn on its group's.
 * A group keeps its pods' boxes (`members`), so the page can unfold one node without asking again.
 */
import { formatIpv4 } from '../../wire/addr.js';
import { Switch } from '../../link/switch.js';
import { IpNode } from '../../net/ip-node.js';
import type { Link } from '../../link/device.js';
import type { TopoEdge, TopoNode, Topology } from './protocol.js';
import type { World } from './world.js';

/** Above this many pods, pods are folded into one box per node. */
export const COLLAPSE_PODS_ABOVE = 60;

/** The topology and where each cable is drawn (link id -> edge id). */
export interface TopologyIndex {
  topology: Topology;
  edgeOfLink: Map<string, string>;
  /** Device name -> the box it is drawn as. */
  boxOf: Map<string, string>;
}

/** Builds the picture of `w`; pods are folded when there are many, or when `fold` says so. */
export function topologyOf(w: World, fold?: boolean): TopologyIndex {
  const rt = w.cluster;
  const podNode = new Map<string, string>();
  if (rt !== undefined) for (const p of rt.pods.values()) if (!p.hostNetwork) podNode.set(p.stack.name, p.node);
  const collapsed = fold ?? podNode.size > COLLAPSE_PODS_ABOVE;
  const nodes: TopoNode[] = [];
  const boxOf = new Map<string, string>();
  const groups = new Map<string, TopoNode>();
  for (const d of w.network.devices.values()) {
    const owner = podNode.get(d.name);
    const kind = rt?.nodes.has(d.name) === true ? 'node' : owner !== undefined ? 'pod' : d.kind;
    // a pod's box shows its name without the namespace (the full id is in the search and the tooltip)
    const label = owner !== undefined ? d.name.slice(d.name.indexOf('/') + 1) : d.name;
    const n: TopoNode = { id: d.name, kind, label, addresses: [], segments: [] };
    if (owner !== undefined) n.parent = owner;
    if (d instanceof IpNode)
      for (const dev of d.devs)
        if (dev.name !== 'lo') for (const a of dev.addresses) n.addresses.push(`${formatIpv4(a.addr)}/${a.len}`);
    if (collapsed && owner !== undefined) {
      // folded: the group's box stands for the pod, which it keeps as it would be drawn unfolded
      const gid = `pods@${owner}`;
      let g = groups.get(gid);
      if (g === undefined) {
        g = { id: gid, kind: 'pods', label: '0 pods', parent: owner, addresses: [], segments: [], members: [] };
        groups.set(gid, g);
        nodes.push(g);
      }
      g.members!.push(n);
      g.label = `${g.members!.length} pods`;
      boxOf.set(d.name, gid);
      continue;
    }
    nodes.push(n);
    boxOf.set(d.name, d.name);
  }
  const edges: TopoEdge[] = [];
  const edgeOfLink = new Map<string, string>();
  const seen = new Set<string>();
  for (const l of w.network.links) {
    const a = boxOf.get(l.a.device.name) ?? l.a.device.name;
    const b = boxOf.get(l.b.device.name) ?? l.b.device.name;
    const folded = a !== l.a.device.name || b !== l.b.device.name;
    const id = folded ? `${a}--${b}` : l.id;
    edgeOfLink.set(l.id, id);
    if (seen.has(id)) continue;
    seen.add(id);
    const e: TopoEdge = { id, a, b, aPort: folded ? '' : l.a.name, bPort: folded ? '' : l.b.name, layer: 'underlay' };
    const vlan = accessVlan(l);
    if (vlan !== undefined) e.segment = vlan;
    edges.push(e);
  }
  for (const [a, b, label, segment] of w.tunnels) {
    const e: TopoEdge = { id: `tunnel:${a}--${b}`, a, b, aPort: '', bPort: '', layer: 'overlay', label };
    if (segment !== undefined) e.segment = segment;
    edges.push(e);
  }
  for (const e of edges)
    if (e.segment !== undefined)
      for (const id of [e.a, e.b]) {
        const n = nodes.find((x) => x.id === id);
        if (n !== undefined && !n.segments.includes(e.segment)) n.segments.push(e.segment);
      }
  return { topology: { nodes, edges, collapsed, deviceCount: w.network.devices.size }, edgeOfLink, boxOf };
}

/** The VLAN of a cable on a switch's access port other than VLAN 1 (the default, left uncoloured). */
function accessVlan(l: Link): number | undefined {
  for (const p of [l.a, l.b])
    if (p.device instanceof Switch) {
      const c = p.device.portConfig(p);
      if (c.mode === 'access' && c.vlan !== 1) return c.vlan;
    }
  return undefined;
}
