/**
 * What every protocol dissector gets: the frame, the list of layers it appends to, the decoding options,
 * and the entry points of the dissectors that can nest (Ethernet inside VXLAN, IPv4 inside IPv4, UDP and
 * ICMP errors), passed in by dissect.ts so the protocol files do not import each other in a cycle.
 */
import type { DissectedLayer } from './types.js';

/** A dissector of the bytes [off, end) of the frame. */
export type Dissector = (c: DissectContext, off: number, end: number) => void;

/** Nesting deeper than this (a tunnel in a tunnel in ...) is left as data: crafted bytes cannot recurse forever. */
export const MAX_NESTING = 8;

/** The state of one dissection. */
export interface DissectContext {
  /** The whole frame. */
  readonly f: Uint8Array;
  /** Layers found so far, in frame order. */
  readonly out: DissectedLayer[];
  readonly vxlanPorts: readonly number[];
  readonly ipInUdpPorts: readonly number[];
  /** Tunnels and quotes entered so far. */
  depth: number;
  /** Inside the packet an ICMP error quotes: lengths may exceed what was quoted without being malformed. */
  quoted: boolean;
  /** Inside a first fragment: the transport header's lengths count bytes that come in later fragments. */
  partial: boolean;
  readonly ethernet: Dissector;
  readonly ipv4: Dissector;
}

/** Appends `l` to the output, marking it quoted when inside an ICMP error, and returns it. */
export function push(c: DissectContext, l: DissectedLayer): DissectedLayer {
  if (c.quoted) l.quoted = true;
  c.out.push(l);
  return l;
}
