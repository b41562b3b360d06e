/**
 * The wire layer: pure codecs between bytes and typed values (see ARCHITECTURE.md). No state, no clock,
 * no I/O, no Node APIs. Test helpers (testing.ts) and the fuzz corpus are not re-exported.
 */
export * from './addr.js';
export * from './arp.js';
export * from './bytes.js';
export * from './checksum.js';
export * from './ethernet.js';
export * from './icmp.js';
export * from './ipv4.js';
export * from './result.js';
export * from './udp.js';
// addr.ts and ipv4.ts both export `parseIpv4`; from here it is the packet parser, and the dotted-quad
// text parser is re-exported as `parseIpv4Address`.
export { parseIpv4 } from './ipv4.js';
export { parseIpv4 as parseIpv4Address } from './addr.js';
