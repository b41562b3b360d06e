/**
 * DNS domain names (RFC 1035 3.1, 4.1.4): their text form, their wire form, and message compression.
 * Owns the name reader (with pointer-loop and forward-pointer protection), the compressing writer every
 * DNS encoder shares, and the error type of the DNS codec. Record types live in dns-rr.ts, messages in
 * dns.ts.
 *
 * Names are held as text in BIND's presentation form, always absolute: "www.example.com.", the root ".".
 * A label byte outside 0x21..0x7e is written \DDD and the characters . \ " ( ) ; @ $ are escaped with a
 * backslash, as dns_name_totext does, so every wire name has exactly one text form and parse/emit round
 * trip. Case is kept (RFC 1035 2.3.3: compare case-insensitively, but preserve it).
 */
import type { WireError, WireOk } from './result.js';

/** RFC 1035 2.3.4: a label is at most 63 octets. */
export const DNS_MAX_LABEL = 63;
/** RFC 1035 2.3.4: a name is at most 255 octets on the wire, length bytes and the root label included. */
export const DNS_MAX_NAME = 255;
/** RFC 1035 4.1.4: a pointer holds a 14-bit offset, so only the first 16 KiB of a message can be pointed at. */
export const DNS_MAX_POINTER = 0x3fff;

/**
 * Why bytes are not a valid DNS message. `formerr` is true when a server must answer FORMERR (RFC 1035
 * 4.1.1, RFC 6891 6.1.1): the header could be read, so the ID can be echoed. It is false when there is no
 * header to answer (fewer than 12 bytes): such a datagram is dropped, as BIND and CoreDNS do.
 */
export interface DnsWireError extends WireError {
  readonly formerr: boolean;
}

/** A failed DNS parse. */
export interface DnsFail {
  readonly ok: false;
  readonly error: DnsWireError;
}

/** What the DNS parsers return. Assignable to WireResult<T>. */
export type DnsResult<T> = WireOk<T> | DnsFail;

/**
 * Builds a DNS rejection of `field` at `offset`; FORMERR-worthy unless `formerr` is false. Its code is
 * `truncated` when there is no header to answer, else `malformed` (`formerr` is what DNS callers act on).
 */
export function dnsFail(field: string, offset: number, reason: string, formerr = true): DnsFail {
  return {
    ok: false,
    error: { protocol: 'dns', field, offset, code: formerr ? 'malformed' : 'truncated', reason, formerr },
  };
}

// ---- text form ------------------------------------------------------------------------------------------

// dns_name_totext: these printable characters are special in master files and get a backslash
const SPECIAL = new Set([0x22, 0x24, 0x28, 0x29, 0x2e, 0x3b, 0x40, 0x5c]);
const BYTE_TEXT: string[] = Array.from({ length: 256 }, (_, b) => {
  if (b <= 0x20 || b >= 0x7f) return `\\${String(b).padStart(3, '0')}`;
  const c = String.fromCharCode(b);
  return SPECIAL.has(b) ? `\\${c}` : c;
});

/** One label's bytes in presentation form (without the dot). */
export function formatLabel(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += BYTE_TEXT[bytes[i]!]!;
  return s;
}

/** A name split into labels (root excluded) and the canonical text of every suffix (keys[i] starts at labels[i]). */
export interface NameParts {
  readonly labels: readonly Uint8Array[];
  readonly keys: readonly string[];
}

const encoder = new TextEncoder();
const partsCache = new Map<string, NameParts>();
const PARTS_CACHE_MAX = 4096;

/**
 * Splits presentation text into labels, reading \X and \DDD escapes; a missing final dot is allowed (the
 * name is taken as absolute). Non-ASCII characters become their UTF-8 bytes. Returns the reason when the
 * text is not a name (empty label, label over 63, name over 255 octets, bad escape).
 */
export function splitName(text: string): NameParts | string {
  const cached = partsCache.get(text);
  if (cached !== undefined) return cached;
  const r = splitUncached(text);
  if (typeof r !== 'string') {
    if (partsCache.size >= PARTS_CACHE_MAX) partsCache.clear();
    partsCache.set(text, r);
  }
  return r;
}

function splitUncached(text: string): NameParts | string {
  if (text === '.' || text === '') return { labels: [], keys: [] };
  const labels: Uint8Array[] = [];
  let cur: number[] = [];
  let i = 0;
  const endLabel = (): string | undefined => {
    if (cur.length === 0) return `empty label in "${text}"`;
    if (cur.length > DNS_MAX_LABEL) return `label of ${cur.length} octets (max ${DNS_MAX_LABEL}) in "${text}"`;
    labels.push(Uint8Array.from(cur));
    cur = [];
    return undefined;
  };
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      const e = endLabel();
      if (e !== undefined) return e;
      i++;
      continue;
    }
    if (c === 0x5c) {
      const d = /^[0-9]{3}/.exec(text.slice(i + 1, i + 4));
      if (d !== null) {
        const v = Number(d[0]);
        if (v > 255) return `escape \\${d[0]} is above 255 in "${text}"`;
        cur.push(v);
        i += 4;
        continue;
      }
      if (i + 1 >= text.length) return `dangling backslash in "${text}"`;
      i++;
    }
    const ch = text.codePointAt(i)!;
    const size = ch > 0xffff ? 2 : 1;
    if (ch < 0x80) cur.push(ch);
    else for (const b of encoder.encode(String.fromCodePoint(ch))) cur.push(b);
    i += size;
  }
  if (cur.length > 0) {
    const e = endLabel();
    if (e !== undefined) return e;
  }
  let wire = 1;
  for (const l of labels) wire += 1 + l.length;
  if (wire > DNS_MAX_NAME) return `name of ${wire} octets (max ${DNS_MAX_NAME}): "${text}"`;
  const keys: string[] = new Array<string>(labels.length);
  let suffix = '.';
  for (let k = labels.length - 1; k >= 0; k--) {
    suffix = formatLabel(labels[k]!) + (suffix === '.' ? '.' : `.${suffix}`);
    keys[k] = suffix;
  }
  return { labels, keys };
}

/** The labels of a name, throwing RangeError on text that is not one (a caller bug: validate user input with checkName). */
export function nameParts(text: string): NameParts {
  const r = splitName(text);
  if (typeof r === 'string') throw new RangeError(`dns: ${r}`);
  return r;
}

/** Undefined when `text` is a valid name, else why not. */
export function checkName(text: string): string | undefined {
  const r = splitName(text);
  return typeof r === 'string' ? r : undefined;
}

/** The canonical absolute text of a name: escapes normalised, final dot added. Throws on invalid text. */
export function canonicalName(text: string): string {
  const p = nameParts(text);
  return p.keys[0] ?? '.';
}

/** The name lower-cased (ASCII only, RFC 4343) in canonical form: the key for case-insensitive lookups. */
export function nameKey(text: string): string {
  return canonicalName(text).replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** True when two names are equal ignoring ASCII case (RFC 4343). */
export function sameName(a: string, b: string): boolean {
  return a === b || nameKey(a) === nameKey(b);
}

/** True when `name` is `zone` or below it (case-insensitive). */
export function isSubdomain(name: string, zone: string): boolean {
  const n = nameKey(name);
  const z = nameKey(zone);
  return z === '.' || n === z || n.endsWith(`.${z}`);
}

/** Octets the name takes on the wire, uncompressed. */
export function nameWireLength(text: string): number {
  let n = 1;
  for (const l of nameParts(text).labels) n += 1 + l.length;
  return n;
}

/** The number of labels of a name, root excluded ("a.b." has 2). */
export function labelCount(text: string): number {
  return nameParts(text).labels.length;
}

// ---- wire form: reading ------------------------------------------------------------------------------------

/** A name read from a message: its text and the offset just after it where it started (not where pointers led). */
export interface NameRead {
  readonly name: string;
  readonly end: number;
}

/**
 * Reads the possibly compressed name at `off` of the message `msg` (which starts at index 0). Every pointer
 * must point strictly before the label run that contains it (RFC 1035 4.1.4 "a prior occurrence"), which
 * rules out loops and forward pointers, as BIND does; labels with the reserved 01/10 prefixes (RFC 6891 5:
 * extended label types are deprecated) and names over 255 octets are FORMERR.
 */
export function readName(msg: Uint8Array, off: number, field = 'name'): DnsResult<NameRead> {
  let text = '';
  let pos = off;
  let runStart = off;
  let end = -1;
  let wire = 1;
  for (;;) {
    if (pos >= msg.length) return dnsFail(field, pos, 'name runs past the end of the message');
    const b = msg[pos]!;
    if (b === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = b & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= msg.length) return dnsFail(field, pos, 'compression pointer cut short');
      const ptr = ((b & 0x3f) << 8) | msg[pos + 1]!;
      if (end < 0) end = pos + 2;
      if (ptr >= runStart)
        return dnsFail(
          field,
          pos,
          `compression pointer to ${ptr} does not point before ${runStart} (loop or forward pointer)`,
        );
      pos = ptr;
      runStart = ptr;
      continue;
    }
    if (kind !== 0) return dnsFail(field, pos, `label type 0x${kind.toString(16)} is reserved`);
    if (pos + 1 + b > msg.length) return dnsFail(field, pos, `label of ${b} octets runs past the end of the message`);
    wire += 1 + b;
    if (wire > DNS_MAX_NAME) return dnsFail(field, pos, `name longer than ${DNS_MAX_NAME} octets`);
    text += formatLabel(msg, pos + 1, pos + 1 + b) + '.';
    pos += 1 + b;
  }
  return { ok: true, value: { name: text === '' ? '.' : text, end } };
}

// ---- wire form: writing --------------------------------------------------------------------------------------

/**
 * A growing output buffer with the compression table of one message. Offsets are from the start of the
 * message. When `limit` is set, `overflow` turns true as soon as a write would pass it (the bytes are still
 * kept, so a caller can roll back to a mark and truncate, RFC 2181 9).
 */
export class DnsWriter {
  buf: Uint8Array;
  pos = 0;
  private readonly table = new Map<string, number>();

  constructor(initial = 512) {
    this.buf = new Uint8Array(initial);
  }

  /** Starts a new message: position 0 and an empty compression table. */
  reset(): void {
    this.pos = 0;
    this.table.clear();
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Appends one byte. */
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v;
  }

  /** Appends a big-endian 16-bit word. */
  u16(v: number): void {
    this.reserve(2);
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v;
  }

  /** Appends a big-endian 32-bit word. */
  u32(v: number): void {
    this.reserve(4);
    this.buf[this.pos++] = v >>> 24;
    this.buf[this.pos++] = v >>> 16;
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v;
  }

  /** Appends bytes. */
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /**
   * Appends a name. With `compress`, the longest suffix already written is replaced by a pointer (RFC 1035
   * 4.1.4); suffixes written here are remembered either way unless `remember` is false. Matching is
   * case-sensitive so the bytes read back are exactly the bytes meant.
   */
  name(text: string, compress: boolean, remember = true): void {
    const { labels, keys } = nameParts(text);
    for (let i = 0; i < labels.length; i++) {
      if (compress) {
        const at = this.table.get(keys[i]!);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          return;
        }
      }
      if (remember && this.pos <= DNS_MAX_POINTER && !this.table.has(keys[i]!)) this.table.set(keys[i]!, this.pos);
      const l = labels[i]!;
      this.u8(l.length);
      this.bytes(l);
    }
    this.u8(0);
  }

  /** Forgets compression targets at or after `pos` (after rolling back to a mark). */
  forgetFrom(pos: number): void {
    for (const [k, at] of this.table) if (at >= pos) this.table.delete(k);
  }

  /** The bytes written so far (a view). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
