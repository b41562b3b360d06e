/**
 * The frame inspector's data, for the web UI (and anything else that shows frames): layers and fields with
 * byte ranges (dissectFrame), the hex dump and byte-to-field lookup, and the short decision label of a hop.
 * Isomorphic: no Node APIs.
 */
export { dissectFrame } from './dissect.js';
export { fieldAt, hexDump, layerAt, HEX_ROW_BYTES, type FieldHit, type HexRow } from './hexdump.js';
export type { DissectedField, DissectedLayer, DissectOptions } from './types.js';
export { hopLabel, noteLabel, HOP_LABEL_MAX, type HopLabel, type HopLabelKind } from './hop-label.js';
export {
  bgpSessionTable,
  conntrackTable,
  deviceTables,
  fdbTable,
  iptablesTables,
  macTable,
  neighbourTable,
  routeTable,
  type DeviceTable,
} from './device-tables.js';
