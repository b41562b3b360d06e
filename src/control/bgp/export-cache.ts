/**
 * Sharing export work across peers (what BIRD's per-channel buckets give it): within one flush, a best
 * route's exported attributes are built once per kind of peer, not once per peer, and an UPDATE for the
 * same attributes and prefixes is encoded once and its bytes written to every peer that needs it. A route
 * reflector fanning one client route out to 1,000 clients then encodes one UPDATE, not 1,000.
 */
import type { BgpCodecCtx, PathAttributes } from '../../wire/bgp.js';
import type { Candidate } from './best-path.js';
import { type ExportContext, exportAttrs, exportKind } from './export.js';
import type { BgpPeer } from './peer.js';

// the classes of peer that get identical attributes for one best route (see exportAttrs): NEXT_HOP self
// makes the class depend on our address toward the peer
const REFLECT = -1;
const IBGP_KEEP = -2;
const IBGP_SELF = 2 ** 32;
const EBGP_SELF = 2 ** 33;

/** Exported attributes and encoded UPDATEs, valid until `clear()` (once per flush). */
export class ExportCache {
  private readonly attrs = new Map<PathAttributes, Map<number, PathAttributes | null>>();
  private readonly updates = new Map<PathAttributes, Map<number | string, Uint8Array[]>>();

  /** Forgets everything. */
  clear(): void {
    this.attrs.clear();
    this.updates.clear();
  }

  /** `exportAttrs(ctx, peer, best)`, shared by every peer of the same class. */
  exported(ctx: ExportContext, peer: BgpPeer, best: Candidate): PathAttributes | undefined {
    const kind = exportKind(peer, best);
    if (kind === 'none') return undefined;
    // our address matters only where NEXT_HOP is self
    const cls = peer.ebgp
      ? EBGP_SELF + (peer.localAddress ?? 0)
      : kind === 'reflect'
        ? REFLECT
        : best.source.local
          ? IBGP_SELF + (peer.localAddress ?? 0)
          : IBGP_KEEP;
    let byClass = this.attrs.get(best.attrs);
    if (byClass === undefined) {
      byClass = new Map();
      this.attrs.set(best.attrs, byClass);
    }
    let out = byClass.get(cls);
    if (out === undefined) {
      out = exportAttrs(ctx, peer, best) ?? null;
      byClass.set(cls, out);
    }
    return out ?? undefined;
  }

  /** `encoded` for one prefix, without a closure or a key list per peer (the reflector's fan-out). */
  encodedOne(
    attrs: PathAttributes,
    key: number,
    ctx: BgpCodecCtx,
    build: (attrs: PathAttributes, keys: readonly number[], ctx: BgpCodecCtx) => Uint8Array[],
  ): Uint8Array[] {
    let bySig = this.updates.get(attrs);
    if (bySig === undefined) {
      bySig = new Map();
      this.updates.set(attrs, bySig);
    }
    let msgs = bySig.get(key);
    if (msgs === undefined) {
      msgs = build(attrs, [key], ctx);
      bySig.set(key, msgs);
    }
    return msgs;
  }

  /** The UPDATE messages announcing `keys` with `attrs` (4-octet AS encoding), built once by `build`. */
  encoded(attrs: PathAttributes, keys: readonly number[], build: () => Uint8Array[]): Uint8Array[] {
    const sig: number | string = keys.length === 1 ? keys[0]! : keys.join(',');
    let bySig = this.updates.get(attrs);
    if (bySig === undefined) {
      bySig = new Map();
      this.updates.set(attrs, bySig);
    }
    let msgs = bySig.get(sig);
    if (msgs === undefined) {
      msgs = build();
      bySig.set(sig, msgs);
    }
    return msgs;
  }
}
