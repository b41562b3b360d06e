/**
 * A folded node opened to show its pods. A big cluster's nodes are drawn folded (their pods as one box),
 * and a 1,000-node drawing is rendered once (topology-view.tsx): opening a node must not move or redraw
 * the others. So an opened node is drawn as a card of its own over the grid, in a layer above the
 * drawing: the node's box grown in place (same corner, so its title stays where it was) with its pods
 * packed inside, as a built cluster draws a node and its pods (cluster-layout.ts), over its neighbours.
 * Folding it removes the card; nothing else on the page changes either way.
 */
import type { ComponentChildren } from 'preact';
import type { TopoNode, Topology } from '../core/protocol.js';
import type { Layout, Placed } from './box-size.js';
import { sized } from './cluster-layout.js';
import { kindFill, segmentColor } from './colors.js';

/** Shown in place of a pod's address until the worker has built the cluster (IPAM gives it then). */
export const PENDING_ADDRESS = '…';

/**
 * A box's face, as every box in the drawing has it: its kind's fill, a stripe per segment it is on (when
 * `stripes`), its name with `suffix` (a folded node's ▸, an opened one's ▾) and up to `lines` addresses,
 * a pending one greyed.
 */
export function BoxFace({
  node,
  w,
  h,
  suffix,
  lines = 2,
  stripes = true,
}: {
  node: TopoNode;
  w: number;
  h: number;
  suffix?: string;
  lines?: number;
  stripes?: boolean;
}): ComponentChildren {
  return (
    <>
      <rect width={w} height={h} rx={4} fill={kindFill(node.kind)} />
      {stripes &&
        node.segments.map((s, i) => <rect key={s} x={i * 6} y={0} width={5} height={h} fill={segmentColor(s)} />)}
      <text x={w / 2} y={14} class="box-name">
        {suffix === undefined ? node.label : `${node.label} ${suffix}`}
      </text>
      {node.addresses.slice(0, lines).map((a, i) => (
        <text key={a} x={w / 2} y={27 + i * 13} class={`box-addr${a === PENDING_ADDRESS ? ' pending' : ''}`}>
          {a}
        </text>
      ))}
    </>
  );
}

/** Node id -> its folded group of pods (the `pods@node` box, with the pods as `members`). */
export function foldedGroups(t: Topology): Map<string, TopoNode> {
  const m = new Map<string, TopoNode>();
  for (const n of t.nodes)
    if (n.kind === 'pods' && n.parent !== undefined && n.members !== undefined) m.set(n.parent, n);
  return m;
}

/** An opened node: what it shows and where (absolute positions in the drawing). */
export interface Unfolded {
  /** The node's box as drawn opened (the built one's addresses when known). */
  node: TopoNode;
  pods: TopoNode[];
  /** The card: the node's box grown to hold its pods. */
  box: Placed;
  /** Each pod's box. */
  podBoxes: Map<string, Placed>;
}

/**
 * Places node `node` opened: its pods packed in rows under its title (sized as if every box had its
 * addresses, so the card keeps its size when they arrive), the card's corner on the folded box's, moved
 * left when it would stick out of the drawing on the right.
 */
export function unfold(
  node: TopoNode,
  group: TopoNode,
  layout: Layout,
  built: ReadonlyMap<string, TopoNode> | undefined,
): Unfolded | undefined {
  const at = layout.boxes.get(node.id);
  if (at === undefined) return undefined;
  // before the build, the node's box shows its underlay address and a place for the next (flannel.1, tunl0)
  const shown = built?.get(node.id) ?? { ...node, addresses: [...node.addresses, PENDING_ADDRESS].slice(0, 2) };
  const pods = (group.members ?? []).map((m) => {
    const b = built?.get(m.id) ?? m;
    return b.addresses.length > 0 ? b : { ...b, addresses: [PENDING_ADDRESS] };
  });
  const s = sized(shown, pods);
  const x = Math.max(0, Math.min(at.x, layout.width - s.w));
  const podBoxes = new Map<string, Placed>();
  for (const k of s.kids) podBoxes.set(k.id, { x: x + k.x, y: at.y + k.y, w: k.w, h: k.h });
  return { node: shown, pods, box: { x, y: at.y, w: s.w, h: s.h, compound: true }, podBoxes };
}

/** Props of one opened node's card. */
export interface UnfoldedNodeProps {
  u: Unfolded;
  /** Folds it (a click on the node's part of the card, or Enter on it). */
  onFold: (node: string, byKey: boolean) => void;
  /** Selects a device: a pod clicked (its node stays open), or the node folded by a click. */
  onSelect: (id: string) => void;
}

/** One opened node, drawn at its place over the grid. */
export function UnfoldedNode({ u, onFold, onSelect }: UnfoldedNodeProps) {
  const { node, box } = u;
  return (
    <g class="unfolded" data-unfolded={node.id} transform={`translate(${box.x} ${box.y})`}>
      <g
        class="box unfolded-node"
        role="button"
        tabindex={0}
        aria-expanded="true"
        aria-label={`${node.id}: ${u.pods.length} pods shown, Enter folds them`}
        onClick={() => {
          onFold(node.id, false);
          onSelect(node.id);
        }}
        onKeyDown={(e) => {
          if (e.key !== 'Enter') return;
          e.preventDefault();
          onFold(node.id, true);
        }}
      >
        <BoxFace node={node} w={box.w} h={box.h} suffix="▾" />
      </g>
      {u.pods.map((pod) => {
        const b = u.podBoxes.get(pod.id);
        if (b === undefined) return null;
        return (
          <g
            class="box"
            key={pod.id}
            data-node={pod.id}
            transform={`translate(${b.x - box.x} ${b.y - box.y})`}
            onClick={() => onSelect(pod.id)}
          >
            <BoxFace node={pod} w={b.w} h={b.h} lines={1} stripes={false} />
          </g>
        );
      })}
    </g>
  );
}
