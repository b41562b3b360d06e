/**
 * Interned path attributes: BIRD keeps one copy of each distinct attribute set (`ea_lookup`, `rta_lookup`
 * in nest/rt-attr.c) however many routes and peers carry it. podnet does the same across every speaker of
 * one simulation: a route reflector sends the same attribute bytes to hundreds of clients, so each client
 * would otherwise parse them again and keep its own copy. An intern table maps the exact bytes of an
 * UPDATE's Path Attributes field (and the AS size they were read with) to one parse.
 *
 * Small whole UPDATE bodies are kept the same way: a reflector's one-route UPDATE reaches its clients byte
 * for byte, and each of them would otherwise build the same prefix list and message objects again.
 *
 * Only clean parses are kept (no RFC 7606 error, no overrun): an erroneous UPDATE is parsed afresh, so
 * its error objects are its own. What the table returns is shared: callers must treat the attributes and
 * messages as immutable, as the speaker already does (it copies before changing anything).
 */
import { type ParsedAttrs, parsePathAttributes } from './bgp-attrs.js';
import type { BgpResult } from './bgp-codes.js';
import type { BgpUpdateParsed } from './bgp-update.js';

/** Entries kept before a table starts over (a bound for long-running `serve`; a cluster has far fewer). */
const MAX_ENTRIES = 1 << 16;

/** The longest UPDATE body kept whole (a one-route UPDATE is 40 to 100 bytes): at most 16 MiB of bytes. */
export const MAX_INTERNED_UPDATE_BODY = 256;

interface Entry<T> {
  bytes: Uint8Array;
  asSize: 2 | 4;
  value: T;
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

/** Values keyed by exact bytes and an AS size. */
class BytesTable<T> {
  private readonly buckets = new Map<number, Entry<T>[]>();
  private size = 0;

  get(buf: Uint8Array, start: number, end: number, asSize: 2 | 4): T | undefined {
    const bucket = this.buckets.get(hashOf(buf, start, end, asSize));
    if (bucket !== undefined)
      for (let i = 0; i < bucket.length; i++) {
        const e = bucket[i]!;
        if (e.asSize === asSize && sameBytes(e.bytes, buf, start, end)) return e.value;
      }
    return undefined;
  }

  /** Keeps `value` for bytes that get() did not find. */
  add(buf: Uint8Array, start: number, end: number, asSize: 2 | 4, value: T): void {
    if (this.size >= MAX_ENTRIES) {
      this.buckets.clear();
      this.size = 0;
    }
    const h = hashOf(buf, start, end, asSize);
    const entry: Entry<T> = { bytes: buf.slice(start, end), asSize, value };
    const bucket = this.buckets.get(h);
    if (bucket !== undefined) bucket.push(entry);
    else this.buckets.set(h, [entry]);
    this.size++;
  }
}

/** Tables of parsed attribute sets and small UPDATE bodies, keyed by their bytes. */
export class BgpAttrIntern {
  private readonly attrs = new BytesTable<ParsedAttrs>();
  private readonly updates = new BytesTable<BgpResult<BgpUpdateParsed>>();
  /** Parses served from the tables, and parses done (attribute sets and UPDATE bodies alike). */
  hits = 0;
  misses = 0;

  /** parsePathAttributes for `buf[start, end)`, shared with every earlier caller that had the same bytes. */
  parse(buf: Uint8Array, start: number, end: number, asSize: 2 | 4): ParsedAttrs {
    if (end > buf.length) return parsePathAttributes(buf, start, end, asSize);
    const had = this.attrs.get(buf, start, end, asSize);
    if (had !== undefined) {
      this.hits++;
      return had;
    }
    this.misses++;
    const parsed = parsePathAttributes(buf, start, end, asSize);
    if (parsed.errors.length === 0 && parsed.overrun === undefined) this.attrs.add(buf, start, end, asSize, parsed);
    return parsed;
  }

  /** The parse of the UPDATE body `buf[start, end)` an earlier caller kept with keepUpdate, if any. */
  findUpdate(buf: Uint8Array, start: number, end: number, asSize: 2 | 4): BgpResult<BgpUpdateParsed> | undefined {
    if (end > buf.length || end - start > MAX_INTERNED_UPDATE_BODY) return undefined;
    const had = this.updates.get(buf, start, end, asSize);
    if (had !== undefined) this.hits++;
    return had;
  }

  /** Keeps a clean parse of a small UPDATE body for the next caller with the same bytes. */
  keepUpdate(buf: Uint8Array, start: number, end: number, asSize: 2 | 4, r: BgpResult<BgpUpdateParsed>): void {
    if (end > buf.length || end - start > MAX_INTERNED_UPDATE_BODY || !r.ok || r.value.action !== 'none') return;
    this.updates.add(buf, start, end, asSize, r);
  }
}
