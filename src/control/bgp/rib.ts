/**
 * The routing information bases of RFC 4271 §3.2: Adj-RIB-In per peer (what it sent us), the Loc-RIB
 * (every candidate per prefix and the one the decision process chose) and Adj-RIB-Out per peer (what we
 * told it). Prefixes are keyed by one number (see prefixKey), so lookups hash a number, not a string.
 * The decision itself is best-path.ts; who gets what is speaker.ts.
 */
import type { Ipv4Prefix } from '../../wire/addr.js';
import type { PathAttributes } from '../../wire/bgp.js';
import { type Candidate, type RouteSource, bestOfTwo, selectBest } from './best-path.js';

// /32s, and prefixes with host bits set, are keyed above the signed 32-bit range
const HOST_KEY_BASE = 2 ** 32;
const LOOSE_KEY_BASE = 2 ** 40;

/**
 * The RIB key of a prefix. A prefix shorter than /32 with its host bits clear (every prefix the wire
 * carries) is its address with a marker bit just past the prefix, as a signed 32-bit integer: V8 keeps
 * those as small integers in a Map, where a larger number is a heap number (an allocation and a pointer
 * to follow on every probe). A /32 is 2^32 + its address; anything else 2^40 + address * 64 + length.
 */
export function prefixKey(addr: number, len: number): number {
  const a = addr >>> 0;
  if (len === 32) return HOST_KEY_BASE + a;
  if (len >= 0 && len < 32 && (len === 0 ? a === 0 : (a & ((1 << (32 - len)) - 1)) === 0))
    return a | (1 << (31 - len)) | 0;
  return LOOSE_KEY_BASE + a * 64 + len;
}

/** The prefix of a RIB key. */
export function keyPrefix(key: number): Ipv4Prefix {
  if (key >= LOOSE_KEY_BASE) {
    const k = key - LOOSE_KEY_BASE;
    return { addr: Math.floor(k / 64), len: k % 64 };
  }
  if (key >= HOST_KEY_BASE) return { addr: key - HOST_KEY_BASE, len: 32 };
  const low = key & -key;
  return { addr: (key ^ low) >>> 0, len: Math.clz32(low) };
}

/**
 * A Loc-RIB entry: the candidates for one prefix and the one chosen. The prefix is worked out from the key
 * when asked (at a best-path change, in views): kept, it would be two more objects per route and node (the
 * prefix and, for an address above 2^31, the boxed number V8 stores it in) for the garbage collector to
 * copy and mark, a million of each at 1,000 nodes.
 */
export class LocRibEntry {
  /**
   * The candidates, one per source (a peer, or this speaker), in arrival order: the first two in fields of
   * their own, the rest in an array. A client of two route reflectors has two per prefix, which an array
   * would hold in two more objects per route and node.
   */
  c0: Candidate | undefined = undefined;
  c1: Candidate | undefined = undefined;
  rest: Candidate[] | undefined = undefined;
  best: Candidate | undefined = undefined;

  constructor(readonly key: number) {}

  get prefix(): Ipv4Prefix {
    return keyPrefix(this.key);
  }

  /** Every candidate, in arrival order (a new array: for views, and a choice among three or more). */
  get candidates(): Candidate[] {
    const out: Candidate[] = [];
    if (this.c0 !== undefined) out.push(this.c0);
    if (this.c1 !== undefined) out.push(this.c1);
    if (this.rest !== undefined) out.push(...this.rest);
    return out;
  }

  /** Puts `c` in place of the candidate from its source; false when that source has none here. */
  replace(c: Candidate): boolean {
    if (this.c0?.source === c.source) this.c0 = c;
    else if (this.c1?.source === c.source) this.c1 = c;
    else {
      const i = this.rest?.findIndex((x) => x.source === c.source) ?? -1;
      if (i < 0) return false;
      this.rest![i] = c;
    }
    return true;
  }

  /** Adds `c` after the others (its source has none here). */
  append(c: Candidate): void {
    if (this.c0 === undefined) this.c0 = c;
    else if (this.c1 === undefined) this.c1 = c;
    else (this.rest ??= []).push(c);
  }

  /** Removes `source`'s candidate, the later ones moving up; false when it had none. */
  remove(source: RouteSource): boolean {
    if (this.c0?.source === source) {
      this.c0 = this.c1;
      this.c1 = this.rest?.shift();
    } else if (this.c1?.source === source) this.c1 = this.rest?.shift();
    else {
      const i = this.rest?.findIndex((x) => x.source === source) ?? -1;
      if (i < 0) return false;
      this.rest!.splice(i, 1);
    }
    if (this.rest?.length === 0) this.rest = undefined;
    return true;
  }
}

/** The Loc-RIB: candidates per prefix and the best of each. */
export class LocRib {
  private readonly entries = new Map<number, LocRibEntry>();

  constructor(private readonly defaultLocalPref: number) {}

  /** The entry for `key`, if any candidate exists. */
  get(key: number): LocRibEntry | undefined {
    return this.entries.get(key);
  }

  /** Every entry, in insertion order. */
  all(): IterableIterator<LocRibEntry> {
    return this.entries.values();
  }

  /** Number of prefixes with at least one candidate. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Sets (attrs) or removes (undefined) `source`'s candidate for `key` and re-runs the decision. Returns
   * the entry when its best changed (the object or its attributes), undefined when it did not.
   */
  set(key: number, source: RouteSource, attrs: PathAttributes | undefined, igpCost?: number): LocRibEntry | undefined {
    let e = this.entries.get(key);
    if (e === undefined) {
      if (attrs === undefined) return undefined;
      e = new LocRibEntry(key);
      this.entries.set(key, e);
    }
    if (attrs === undefined) {
      if (!e.remove(source)) return undefined;
    } else {
      const c: Candidate = igpCost === undefined ? { attrs, source } : { attrs, source, igpCost };
      if (!e.replace(c)) e.append(c);
    }
    const before = e.best;
    const lp = this.defaultLocalPref;
    e.best =
      e.rest !== undefined ? selectBest(e.candidates, lp) : e.c1 === undefined ? e.c0 : bestOfTwo(e.c0!, e.c1, lp);
    if (e.c0 === undefined) this.entries.delete(key);
    if (before === e.best) return undefined;
    if (
      before !== undefined &&
      e.best !== undefined &&
      before.source === e.best.source &&
      before.attrs === e.best.attrs
    )
      return undefined;
    return e;
  }
}

/** Adj-RIB-In of one peer: what it advertised, and whether import accepted it (null: received, rejected). */
export class AdjRibIn {
  readonly routes = new Map<number, PathAttributes | null>();
  /** Routes import accepted. */
  accepted = 0;

  /** Records a route (`attrs` null when rejected); returns the previous value. */
  set(key: number, attrs: PathAttributes | null): PathAttributes | null | undefined {
    const prev = this.routes.get(key);
    if (prev !== undefined && prev !== null) this.accepted--;
    if (attrs !== null) this.accepted++;
    this.routes.set(key, attrs);
    return prev;
  }

  /** Forgets a route; returns what it was. */
  delete(key: number): PathAttributes | null | undefined {
    const prev = this.routes.get(key);
    if (prev === undefined) return undefined;
    if (prev !== null) this.accepted--;
    this.routes.delete(key);
    return prev;
  }

  /** Routes received (accepted or not). */
  get received(): number {
    return this.routes.size;
  }

  /** Forgets everything (the session went down). */
  clear(): void {
    this.routes.clear();
    this.accepted = 0;
  }
}

/**
 * A peer's changes waiting for the next flush (attributes to announce, null to withdraw), in the order
 * first set, as a Map keeps them. A reflector fanning one route out gives each peer one change per flush:
 * that one is held inline, so it costs no Map entry, no table the clear allocates, no iterator to read it.
 */
export class PendingOut {
  private hasOne = false;
  private oneKey = 0;
  private oneValue: PathAttributes | null = null;
  private readonly many = new Map<number, PathAttributes | null>();

  /** Number of prefixes with a pending change. */
  get size(): number {
    return this.hasOne ? 1 : this.many.size;
  }

  /** Whether `key` has a pending change. */
  has(key: number): boolean {
    return this.hasOne ? this.oneKey === key : this.many.has(key);
  }

  /** Sets `key`'s change; a key already pending keeps its place. */
  set(key: number, value: PathAttributes | null): void {
    if (this.many.size === 0) {
      if (!this.hasOne || this.oneKey === key) {
        this.hasOne = true;
        this.oneKey = key;
        this.oneValue = value;
        return;
      }
      this.many.set(this.oneKey, this.oneValue);
      this.hasOne = false;
      this.oneValue = null;
    }
    this.many.set(key, value);
  }

  /** The key of the first pending change (when size > 0). */
  firstKey(): number {
    return this.hasOne ? this.oneKey : this.many.keys().next().value!;
  }

  /** The value of the first pending change (when size > 0). */
  firstValue(): PathAttributes | null {
    return this.hasOne ? this.oneValue : this.many.values().next().value!;
  }

  /** Forgets every pending change. */
  clear(): void {
    if (this.hasOne) {
      this.hasOne = false;
      this.oneValue = null;
    } else if (this.many.size > 0) this.many.clear();
  }

  /** Calls `fn` with each pending change, in the order first set (no entry array per change). */
  forEach(fn: (value: PathAttributes | null, key: number) => void): void {
    if (this.hasOne) fn(this.oneValue, this.oneKey);
    else this.many.forEach(fn);
  }
}
