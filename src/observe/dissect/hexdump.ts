/**
 * The hex pane beside the layer tree: a frame as rows of 16 bytes (offset, hex, ASCII, as `tshark -x`
 * prints them), and the reverse lookup a click on a byte needs: the most specific field covering it.
 */
import type { DissectedField, DissectedLayer } from './types.js';

/** Bytes per hex dump row. */
export const HEX_ROW_BYTES = 16;

/** One row of the hex dump. */
export interface HexRow {
  /** Offset of the row's first byte in the frame. */
  offset: number;
  /** '0000', '0010', ...: the offset as four hex digits, as tshark prints it. */
  offsetText: string;
  /** The row's bytes as two-digit hex ('08', 'ff'); fewer than 16 on the last row. */
  hex: string[];
  /** The row's bytes as text: printable ASCII as itself, anything else as '.'. */
  ascii: string;
}

/** The frame as hex dump rows. */
export function hexDump(frame: Uint8Array): HexRow[] {
  const rows: HexRow[] = [];
  for (let off = 0; off < frame.length; off += HEX_ROW_BYTES) {
    const bytes = frame.subarray(off, Math.min(frame.length, off + HEX_ROW_BYTES));
    const hex: string[] = [];
    let ascii = '';
    for (const b of bytes) {
      hex.push(b.toString(16).padStart(2, '0'));
      ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    rows.push({ offset: off, offsetText: off.toString(16).padStart(4, '0'), hex, ascii });
  }
  return rows;
}

/** What covers one byte: the layer, the most specific field, and the fields from the layer's top level down to it. */
export interface FieldHit {
  layer: DissectedLayer;
  field: DissectedField;
  /** The field's ancestors then the field itself, outermost first: what the tree must expand to show it. */
  path: DissectedField[];
}

/**
 * The field a click on byte `byteOffset` selects: the shortest field holding it, whole-byte fields before bit
 * fields (a click on a flags byte selects the flags, not one bit), and of equal ranges the outermost (the
 * destination address rather than its repeated 'Address' child). Undefined when no field holds the byte.
 */
export function fieldAt(layers: readonly DissectedLayer[], byteOffset: number): FieldHit | undefined {
  let best: FieldHit | undefined;
  const better = (f: DissectedField): boolean => {
    if (best === undefined) return true;
    const bitNow = best.field.bitmask !== undefined;
    const bitNew = f.bitmask !== undefined;
    if (bitNow !== bitNew) return bitNow;
    return f.length < best.field.length;
  };
  const visit = (layer: DissectedLayer, fields: readonly DissectedField[], above: DissectedField[]): void => {
    for (const f of fields) {
      const path = [...above, f];
      if (f.length > 0 && byteOffset >= f.offset && byteOffset < f.offset + f.length && better(f))
        best = { layer, field: f, path };
      if (f.children !== undefined) visit(layer, f.children, path);
    }
  };
  for (const l of layers) visit(l, l.fields, []);
  return best;
}

/** The layer that owns `byteOffset`: the innermost whose range holds it. */
export function layerAt(layers: readonly DissectedLayer[], byteOffset: number): DissectedLayer | undefined {
  let best: DissectedLayer | undefined;
  for (const l of layers) if (byteOffset >= l.offset && byteOffset < l.offset + l.length) best = l;
  return best;
}
