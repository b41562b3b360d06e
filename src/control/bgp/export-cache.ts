/**
 * Sharing export work across peers (what BIRD's per-channel buckets give it): within one flush, a best
 * route's exported attributes are built once per kind of peer, not once per peer, and an UPDATE for the
 * same attributes and prefixes is encoded once and its bytes written to every peer that needs it. A route
 * reflector fanning one client route out to 1,000 clients then encodes one UPDATE, not 1,000; and an
 * UPDATE for one prefix is kept while its attribute set lives, so the table dumps to clients that come up
 * later send the same bytes again instead of encoding the route once per client.
 */
import type { BgpCodecCtx, PathAttributes } from '../../wire/bgp.js';
import type { Candidate, RouteSource } from './best-path.js';
import { type ExportContext, exportAttrs, exportKind } from './export.js';
import type { BgpPeer } from './peer.js';

// the classes of peer that get identical attributes for one best route (see exportAttrs): NEXT_HOP self
// makes the class depend on our address toward the peer
const REFLECT = -1;
const IBGP_KEEP = -2;
const IBGP_SELF = 2 ** 32;
const EBGP_SELF = 2 ** 33;

/**
 * Values by a small key, the first one held inline: most attribute sets in a flush meet one class of
 * peer and one prefix, so the common case allocates no Map.
 */
class FirstThenMap<K, V> {
  private firstKey: K;
  private firstValue: V | undefined = undefined;
  private rest: Map<K, V> | undefined = undefined;

  constructor(key: K, value: V) {
    this.firstKey = key;
    this.firstValue = value;
  }

  get(key: K): V | undefined {
    if (key === this.firstKey) return this.firstValue;
    return this.rest?.get(key);
  }

  set(key: K, value: V): void {
    if (key === this.firstKey) this.firstValue = value;
    else (this.rest ??= new Map()).set(key, value);
  }
}

/** A route's reflected attributes, and what they were built from besides the route's own attributes. */
interface Reflected {
  readonly source: RouteSource;
  readonly peerBgpId: number;
  readonly out: PathAttributes | null;
}

/**
 * Exported attributes and encoded UPDATEs, valid until `clear()` (once per flush); reflected attributes
 * are kept as long as the route's attributes live.
 */
export class ExportCache {
  private readonly attrs = new Map<PathAttributes, FirstThenMap<number, PathAttributes | null>>();
  private readonly updates = new Map<PathAttributes, FirstThenMap<string, Uint8Array[]>>();
  // the last attribute set looked up in each table, and its entry: a best route meets every peer in turn,
  // and a flush writes one route to every client in turn, so most lookups are the previous one again
  private lastAttrs: PathAttributes | undefined = undefined;
  private lastByClass: FirstThenMap<number, PathAttributes | null> | undefined = undefined;
  // one-prefix UPDATEs by attribute set, kept across flushes (see encodedOne), and the last one looked up
  private readonly singles = new WeakMap<PathAttributes, FirstThenMap<number, Uint8Array[]>>();
  private lastOneAttrs: PathAttributes | undefined = undefined;
  private lastOneByKey: FirstThenMap<number, Uint8Array[]> | undefined = undefined;
  // a reflector gives a route the same attributes in every flush (its ORIGINATOR_ID and CLUSTER_LIST come
  // from the route alone): built once, so the dump to each new client shares them rather than making a
  // set per client and route, and the clients' Adj-RIB-Out hold one object (attributes are interned,
  // immutable: a route that is gone takes its entry with it)
  private readonly reflected = new WeakMap<PathAttributes, Reflected>();
  private lastReflectedAttrs: PathAttributes | undefined = undefined;
  private lastReflected: Reflected | undefined = undefined;

  /** Forgets everything. */
  clear(): void {
    this.attrs.clear();
    this.updates.clear();
    this.lastAttrs = undefined;
    this.lastByClass = undefined;
  }

  /** `exportAttrs(ctx, peer, best)`, shared by every peer of the same class. */
  exported(ctx: ExportContext, peer: BgpPeer, best: Candidate): PathAttributes | undefined {
    const kind = exportKind(peer, best);
    if (kind === 'none') return undefined;
    // a reflection with a NEXT_HOP of its own is the same for every client and every flush: kept per
    // route (reflect), without this flush's table (a dump to a new client looks up every route once)
    if (kind === 'reflect' && best.attrs.nextHop !== undefined) return this.reflect(ctx, peer, best) ?? undefined;
    // our address matters only where NEXT_HOP is self
    const cls = peer.ebgp
      ? EBGP_SELF + (peer.localAddress ?? 0)
      : kind === 'reflect'
        ? REFLECT
        : best.source.local
          ? IBGP_SELF + (peer.localAddress ?? 0)
          : IBGP_KEEP;
    let byClass: FirstThenMap<number, PathAttributes | null> | undefined;
    if (best.attrs === this.lastAttrs) byClass = this.lastByClass;
    else {
      byClass = this.attrs.get(best.attrs);
      if (byClass !== undefined) {
        this.lastAttrs = best.attrs;
        this.lastByClass = byClass;
      }
    }
    let out = byClass?.get(cls);
    if (out === undefined) {
      out = exportAttrs(ctx, peer, best) ?? null;
      if (byClass === undefined) {
        byClass = new FirstThenMap(cls, out);
        this.attrs.set(best.attrs, byClass);
        this.lastAttrs = best.attrs;
        this.lastByClass = byClass;
      } else byClass.set(cls, out);
    }
    return out ?? undefined;
  }

  /** exportAttrs for a reflection of `best` (with a NEXT_HOP of its own: no peer's address goes in). */
  private reflect(ctx: ExportContext, peer: BgpPeer, best: Candidate): PathAttributes | null {
    // a route meets every client in turn: most lookups are the previous one again
    const r = best.attrs === this.lastReflectedAttrs ? this.lastReflected : this.reflected.get(best.attrs);
    if (r !== undefined && r.source === best.source && r.peerBgpId === best.source.peerBgpId) {
      this.lastReflectedAttrs = best.attrs;
      this.lastReflected = r;
      return r.out;
    }
    const out = exportAttrs(ctx, peer, best) ?? null;
    const made: Reflected = { source: best.source, peerBgpId: best.source.peerBgpId, out };
    this.reflected.set(best.attrs, made);
    this.lastReflectedAttrs = best.attrs;
    this.lastReflected = made;
    return out;
  }

  /**
   * The UPDATE announcing one prefix with `attrs` (4-octet AS encoding), built once by `build` and kept as
   * long as `attrs` lives: attribute sets are immutable, so the bytes are a function of the set and the
   * prefix alone. A reflector then encodes each route once, however many clients it fans the route out to
   * and however many table dumps to new clients carry it later, without a closure or key list per peer.
   */
  encodedOne(
    attrs: PathAttributes,
    key: number,
    ctx: BgpCodecCtx,
    build: (attrs: PathAttributes, keys: readonly number[], ctx: BgpCodecCtx) => Uint8Array[],
  ): Uint8Array[] {
    let byKey: FirstThenMap<number, Uint8Array[]> | undefined;
    if (attrs === this.lastOneAttrs) byKey = this.lastOneByKey;
    else {
      byKey = this.singles.get(attrs);
      if (byKey !== undefined) {
        this.lastOneAttrs = attrs;
        this.lastOneByKey = byKey;
      }
    }
    let msgs = byKey?.get(key);
    if (msgs === undefined) {
      msgs = build(attrs, [key], ctx);
      if (byKey === undefined) {
        byKey = new FirstThenMap<number, Uint8Array[]>(key, msgs);
        this.singles.set(attrs, byKey);
        this.lastOneAttrs = attrs;
        this.lastOneByKey = byKey;
      } else byKey.set(key, msgs);
    }
    return msgs;
  }

  /** The UPDATE messages announcing several `keys` with `attrs` (4-octet AS encoding), built once per flush by `build`. */
  encoded(attrs: PathAttributes, keys: readonly number[], build: () => Uint8Array[]): Uint8Array[] {
    const sig = keys.join(',');
    const bySig = this.updates.get(attrs);
    let msgs = bySig?.get(sig);
    if (msgs === undefined) {
      msgs = build();
      if (bySig === undefined) this.updates.set(attrs, new FirstThenMap(sig, msgs));
      else bySig.set(sig, msgs);
    }
    return msgs;
  }
}
