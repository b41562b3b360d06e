/**
 * What every topology layout produces (box positions by id) and the size of a box for its name and
 * addresses, shared by the cluster layout (cluster-layout.ts) and ELK's (layout.ts).
 */

/** A placed box of the topology. */
export interface Placed {
  x: number;
  y: number;
  w: number;
  h: number;
  /** A box with others inside (a node and its pods): cables meet it at its title. */
  compound?: boolean;
}

/** The topology's layout: box positions by id and the drawing's size. */
export interface Layout {
  boxes: Map<string, Placed>;
  width: number;
  height: number;
}

/** Box size: wide enough for the name (11px text) and two addresses. */
export function boxSize(label: string, lines: number): { w: number; h: number } {
  return { w: Math.max(84, Math.min(200, label.length * 6.6 + 14)), h: 20 + lines * 12 };
}
