/**
 * IPv4 prefixes in BGP's NLRI encoding (RFC 4271 §4.3: a length octet, then just the octets the length
 * needs), used by the Withdrawn Routes and NLRI fields and by MP_REACH/MP_UNREACH for IPv4 unicast.
 */
import { type Ipv4Prefix, prefixMask } from './addr.js';

/** Bytes a prefix takes in NLRI encoding: a length octet and the significant octets (RFC 4271 §4.3). */
export function prefixWireLen(p: Ipv4Prefix): number {
  return 1 + ((p.len + 7) >> 3);
}

/** Writes a prefix in NLRI encoding at `off` (host bits cleared); returns the next offset. */
export function writePrefix(buf: Uint8Array, off: number, p: Ipv4Prefix): number {
  const addr = (p.addr & prefixMask(p.len)) >>> 0;
  buf[off] = p.len;
  const n = (p.len + 7) >> 3;
  for (let i = 0; i < n; i++) buf[off + 1 + i] = (addr >>> (24 - 8 * i)) & 0xff;
  return off + 1 + n;
}

/**
 * Parses a run of NLRI-encoded IPv4 prefixes filling `buf[start, end)` exactly; undefined when a length
 * exceeds 32 or a prefix overruns `end` (RFC 4271 §6.3 Invalid Network Field). Trailing host bits are
 * cleared (RFC 4271 §4.3: they are irrelevant).
 */
export function parsePrefixes(buf: Uint8Array, start: number, end: number): Ipv4Prefix[] | undefined {
  // validate and count first: an array of the exact size (one route per UPDATE is the common case, and a
  // push onto an empty array reserves 17 slots)
  let count = 0;
  for (let off = start; off < end; count++) {
    const len = buf[off]!;
    const n = (len + 7) >> 3;
    if (len > 32 || off + 1 + n > end) return undefined;
    off += 1 + n;
  }
  if (count === 0) return [];
  const out = new Array<Ipv4Prefix>(count);
  let off = start;
  for (let k = 0; k < count; k++) {
    const len = buf[off]!;
    const n = (len + 7) >> 3;
    let addr = 0;
    for (let i = 0; i < 4; i++) addr = addr * 256 + (i < n ? buf[off + 1 + i]! : 0);
    out[k] = { addr: (addr & prefixMask(len)) >>> 0, len };
    off += 1 + n;
  }
  return out;
}

/** Bytes of several prefixes. */
function prefixesBytes(ps: readonly Ipv4Prefix[]): Uint8Array {
  const out = new Uint8Array(ps.reduce((n, p) => n + prefixWireLen(p), 0));
  let off = 0;
  for (const p of ps) off = writePrefix(out, off, p);
  return out;
}

/** The NLRI encoding of a list of prefixes (the Withdrawn Routes and NLRI fields, RFC 4271 §4.3). */
export function encodePrefixes(ps: readonly Ipv4Prefix[]): Uint8Array {
  return prefixesBytes(ps);
}
