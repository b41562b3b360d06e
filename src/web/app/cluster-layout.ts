/**
 * A cluster's layout, computed at once on the page (no ELK): the machines outside the cluster and the
 * routers on top, the underlay switches under them, and the nodes below in rows that wrap into a grid
 * about as wide as the panel is (a 1,000-node cluster is some thirty rows, not one endless row). A node's
 * pods, or its folded pods box, are packed in rows inside the node's box. Labs keep ELK's layered layout
 * (layout.ts), which a cluster's star around one switch does not need.
 */
import type { TopoNode, Topology } from '../core/protocol.js';
import { boxSize, type Layout, type Placed } from './box-size.js';

/** Gap between boxes in a row, and between rows. */
const GAP_X = 24;
const GAP_Y = 40;
/** Gap between nodes when tunnels (with their names) are drawn between them. */
const GAP_TUNNEL = 150;
/** Padding inside a node's box around its pods, and between pods. */
const PAD = 6;
/** Width over height the node grid aims for (the topology panel is about 2.4 times wider than high). */
const ASPECT = 2.4;

/** True when `t` is a cluster's picture (it has nodes), which this layout is for. */
export function isClusterTopology(t: Topology): boolean {
  return t.nodes.some((n) => n.kind === 'node');
}

/** A box and its children packed inside it. */
export interface Sized {
  node: TopoNode;
  w: number;
  h: number;
  /** Children relative to the box's corner. */
  kids: { id: string; x: number; y: number; w: number; h: number }[];
}

/** A box with its children packed in rows under its title (a node and its pods). */
export function sized(n: TopoNode, kids: readonly TopoNode[]): Sized {
  const title = boxSize(n.label, Math.min(n.addresses.length, 2));
  if (kids.length === 0) return { node: n, w: title.w, h: title.h, kids: [] };
  const ks = kids.map((k) => ({ id: k.id, ...boxSize(k.label, Math.min(k.addresses.length, 1)) }));
  // rows about twice as wide as they are high, and never narrower than the title
  const area = ks.reduce((s, k) => s + (k.w + PAD) * (k.h + PAD), 0);
  const rowMax = Math.max(title.w - 2 * PAD, Math.sqrt(area * 2.2), ...ks.map((k) => k.w));
  const top = title.h + 4;
  const placed: Sized['kids'] = [];
  let x = 0;
  let y = 0;
  let rowH = 0;
  let width = 0;
  for (const k of ks) {
    if (x > 0 && x + k.w > rowMax) {
      x = 0;
      y += rowH + PAD;
      rowH = 0;
    }
    placed.push({ id: k.id, x: PAD + x, y: top + y, w: k.w, h: k.h });
    x += k.w + PAD;
    rowH = Math.max(rowH, k.h);
    width = Math.max(width, x - PAD);
  }
  return { node: n, w: Math.max(title.w, width + 2 * PAD), h: top + y + rowH + PAD, kids: placed };
}

/** Lays out rows of boxes left to right with `gap` between them, wrapping at `maxWidth`. */
function rows(items: readonly Sized[], maxWidth: number, gap = GAP_X): { rows: Sized[][]; width: number; gap: number } {
  const out: Sized[][] = [];
  let row: Sized[] = [];
  let x = 0;
  for (const it of items) {
    if (row.length > 0 && x + it.w > maxWidth) {
      out.push(row);
      row = [];
      x = 0;
    }
    row.push(it);
    x += it.w + gap;
  }
  if (row.length > 0) out.push(row);
  const width = Math.max(0, ...out.map((r) => r.reduce((s, it) => s + it.w, 0) + gap * (r.length - 1)));
  return { rows: out, width, gap };
}

/** The layout of a cluster's picture. */
export function clusterLayout(t: Topology): Layout {
  const byId = new Map(t.nodes.map((n) => [n.id, n]));
  const kidsOf = new Map<string, TopoNode[]>();
  for (const n of t.nodes)
    if (n.parent !== undefined && byId.has(n.parent)) {
      const list = kidsOf.get(n.parent) ?? [];
      list.push(n);
      kidsOf.set(n.parent, list);
    }
  const top = t.nodes.filter((n) => n.parent === undefined || !byId.has(n.parent));
  const nodes = top.filter((n) => n.kind === 'node').map((n) => sized(n, kidsOf.get(n.id) ?? []));
  const switches = top.filter((n) => n.kind === 'switch' || n.kind === 'hub').map((n) => sized(n, []));
  const others = top
    .filter((n) => n.kind !== 'node' && n.kind !== 'switch' && n.kind !== 'hub')
    .map((n) => sized(n, kidsOf.get(n.id) ?? []));
  // the node grid: as wide as ASPECT times its height would be if it were square-ish
  // room between nodes for the tunnels' names when they are drawn (small clusters)
  const gap = t.edges.some((e) => e.layer === 'overlay') ? GAP_TUNNEL : GAP_X;
  const area = nodes.reduce((s, n) => s + (n.w + gap) * (n.h + GAP_Y), 0);
  const widest = Math.max(0, ...nodes.map((n) => n.w));
  const grid = rows(nodes, Math.max(widest, Math.sqrt(area * ASPECT)), gap);
  const bands = [rows(others, Math.max(grid.width, 600)), rows(switches, Math.max(grid.width, 600)), grid];
  const width = Math.max(...bands.map((b) => b.width));
  const boxes = new Map<string, Placed>();
  let y = 0;
  for (const band of bands)
    for (const row of band.rows) {
      const rowW = row.reduce((s, it) => s + it.w, 0) + band.gap * (row.length - 1);
      // short rows (the last of the grid, the switch) are centred; full rows start at the left
      let x = (width - rowW) / 2;
      const rowH = Math.max(...row.map((it) => it.h));
      for (const it of row) {
        boxes.set(it.node.id, { x, y, w: it.w, h: it.h, compound: it.kids.length > 0 });
        for (const k of it.kids) boxes.set(k.id, { x: x + k.x, y: y + k.y, w: k.w, h: k.h });
        x += it.w + band.gap;
      }
      y += rowH + GAP_Y;
    }
  return { boxes, width, height: Math.max(0, y - GAP_Y) };
}
