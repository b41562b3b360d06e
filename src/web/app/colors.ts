/**
 * Colours of VLANs and VNIs: one hue per segment number, the same in the topology, the timeline and the
 * legend, so VLAN 10's cables and frames always look alike.
 */

const PALETTE = ['#d9480f', '#2b8a3e', '#1971c2', '#9c36b5', '#e67700', '#0c8599', '#c2255c', '#5c940d'];

/** The colour of VLAN/VNI `segment`. */
export function segmentColor(segment: number): string {
  return PALETTE[segment % PALETTE.length]!;
}

/** Fill of a box by device kind. */
export function kindFill(kind: string): string {
  switch (kind) {
    case 'switch':
    case 'hub':
      return '#e7f5ff';
    case 'router':
      return '#fff4e6';
    case 'node':
      return '#f3f0ff';
    case 'pod':
    case 'pods':
      return '#ebfbee';
    default:
      return '#f8f9fa';
  }
}
