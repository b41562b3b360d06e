/**
 * Places a lab's boxes with ELK's layered algorithm (elkjs, in its own worker, elk-worker.js): switches
 * and routers in the middle layers, hosts at the edges. Only underlay cables shape the layout; tunnels
 * are drawn over it as straight dashed lines. The page loads this module (and ELK) only when it opens a
 * lab; clusters are laid out by cluster-layout.ts.
 */
import elkModule from 'elkjs/lib/elk-api.js';
import type { ELK, ELKConstructorArguments, ElkNode } from 'elkjs/lib/elk-api.js';
import type { Topology } from '../core/protocol.js';
import { boxSize, type Layout, type Placed } from './box-size.js';

type ElkConstructor = new (args?: ELKConstructorArguments) => ELK;
// elkjs is CommonJS: a bundler hands over module.exports (the constructor), Node's ESM loader a namespace
const Elk: ElkConstructor =
  (elkModule as unknown as { default?: ElkConstructor }).default ?? (elkModule as unknown as ElkConstructor);

// started when this module loads, so ELK's code is parsed while the emulator builds the lab
const elk = new Elk({ workerUrl: 'elk-worker.js' });

/** Lays `t` out: a node's pods inside its box (packed in rows), everything else in layers top to bottom. */
export async function layoutTopology(t: Topology): Promise<Layout> {
  const byId = new Map(t.nodes.map((n) => [n.id, n]));
  const inside = (id: string): boolean => {
    const p = byId.get(id)?.parent;
    return p !== undefined && byId.has(p);
  };
  const kids = new Map<string, ElkNode[]>();
  for (const n of t.nodes) {
    if (!inside(n.id)) continue;
    const list = kids.get(n.parent!) ?? [];
    list.push({ id: n.id, ...size(n.label, Math.min(n.addresses.length, 1)) });
    kids.set(n.parent!, list);
  }
  const children: ElkNode[] = t.nodes
    .filter((n) => !inside(n.id))
    .map((n) => {
      const lines = Math.min(n.addresses.length, 2);
      const own = kids.get(n.id);
      if (own === undefined) return { id: n.id, ...size(n.label, lines) };
      return {
        id: n.id,
        children: own,
        layoutOptions: {
          'elk.algorithm': 'rectpacking',
          'elk.aspectRatio': '2.2',
          'elk.spacing.nodeNode': '6',
          'elk.padding': `[top=${boxSize(n.label, lines).h + 4},left=6,bottom=6,right=6]`,
        },
      };
    });
  // a pod's cable to its own node is drawn by containment; the rest shape the layers
  const edges = t.edges
    .filter((e) => e.layer === 'underlay' && !inside(e.a) && !inside(e.b))
    .map((e) => ({ id: e.id, sources: [e.a], targets: [e.b] }));
  const input: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.spacing.nodeNode': '24',
      'elk.layered.spacing.nodeNodeBetweenLayers': '40',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.separateConnectedComponents': 'true',
    },
    children,
    edges,
  };
  const graph = await elk.layout(input);
  const boxes = new Map<string, Placed>();
  for (const c of graph.children ?? []) {
    const x = c.x ?? 0;
    const y = c.y ?? 0;
    boxes.set(c.id, { x, y, w: c.width ?? 0, h: c.height ?? 0, compound: c.children !== undefined });
    for (const k of c.children ?? [])
      boxes.set(k.id, { x: x + (k.x ?? 0), y: y + (k.y ?? 0), w: k.width ?? 0, h: k.height ?? 0 });
  }
  return { boxes, width: graph.width ?? 0, height: graph.height ?? 0 };
}

function size(label: string, lines: number): { width: number; height: number } {
  const s = boxSize(label, lines);
  return { width: s.w, height: s.h };
}
