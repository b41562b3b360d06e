/**
 * Interned path attributes: BIRD keeps one copy of each distinct attribute set (`ea_lookup`, `rta_lookup`
 * in nest/rt-attr.c) however many routes and peers carry it. podnet does the same across every speaker of
 * one simulation: a route reflector sends the same attribute bytes to hundreds of clients, so each client
 * would otherwise parse them again and keep its own copy. An intern table maps the exact bytes of an
 * UPDATE's Path Attributes field (and the AS size they were read with) to one parse.
 *
 * Only clean parses are kept (no RFC 7606 error, no overrun): an erroneous UPDATE is parsed afresh, so
 * its error objects are its own. What the table returns is shared: callers must treat the attributes as
 * immutable, as the speaker already does (it copies before changing anything).
 */
import { type ParsedAttrs, parsePathAttributes } from './bgp-attrs.js';

/** Entries kept before the table starts over (a bound for long-running `serve`; a cluster has far fewer). */
const MAX_ENTRIES = 1 << 16;

interface Entry {
  bytes: Uint8Array;
  asSize: 2 | 4;
  parsed: ParsedAttrs;
}

/** FNV-1a over the bytes, with the AS size mixed in; signed 32-bit, a small integer as a Map key in V8. */
function hashOf(buf: Uint8Array, start: number, end: number, asSize: 2 | 4): number {
  let h = 0x811c9dc5 ^ asSize;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h;
}

function sameBytes(a: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}

/** A table of parsed attribute sets, keyed by their bytes. */
export class BgpAttrIntern {
  private readonly buckets = new Map<number, Entry[]>();
  private size = 0;
  /** Parses served from the table, and parses done. */
  hits = 0;
  misses = 0;

  /** parsePathAttributes for `buf[start, end)`, shared with every earlier caller that had the same bytes. */
  parse(buf: Uint8Array, start: number, end: number, asSize: 2 | 4): ParsedAttrs {
    if (end > buf.length) return parsePathAttributes(buf, start, end, asSize);
    const h = hashOf(buf, start, end, asSize);
    const bucket = this.buckets.get(h);
    if (bucket !== undefined)
      for (let i = 0; i < bucket.length; i++) {
        const e = bucket[i]!;
        if (e.asSize === asSize && sameBytes(e.bytes, buf, start, end)) {
          this.hits++;
          return e.parsed;
        }
      }
    this.misses++;
    const parsed = parsePathAttributes(buf, start, end, asSize);
    if (parsed.errors.length > 0 || parsed.overrun !== undefined) return parsed;
    if (this.size >= MAX_ENTRIES) {
      this.buckets.clear();
      this.size = 0;
    }
    const entry: Entry = { bytes: buf.slice(start, end), asSize, parsed };
    if (bucket !== undefined && this.buckets.has(h)) bucket.push(entry);
    else this.buckets.set(h, [entry]);
    this.size++;
    return parsed;
  }
}
