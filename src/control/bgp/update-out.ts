/**
 * Turning a peer's pending changes into UPDATE messages (RFC 4271 §9.2): withdrawals together, then one
 * UPDATE per set of prefixes that share attributes, each message kept under 4,096 bytes (§4.1). What is
 * sent is recorded in the peer's Adj-RIB-Out; a change that matches it sends nothing. Encoded messages
 * are shared between peers through the ExportCache.
 */
import type { Ipv4Prefix } from '../../wire/addr.js';
import {
  BGP_HEADER_LEN,
  BGP_MAX_MESSAGE_LEN,
  type BgpCodecCtx,
  type PathAttributes,
  emitBgpUpdateWithAttrBytes,
  encodePathAttributes,
  prefixWireLen,
} from '../../wire/bgp.js';
import type { ExportCache } from './export-cache.js';
import { toTwoOctet } from './export.js';
import type { BgpPeer } from './peer.js';
import { keyPrefix } from './rib.js';

// an UPDATE's fixed part: the header, Withdrawn Routes Length and Total Path Attribute Length
const UPDATE_FIXED = BGP_HEADER_LEN + 4;
const NO_ATTRS: PathAttributes = { unknown: [] };

/** Sends `peer`'s pending changes; returns the number of UPDATE messages sent. */
export function flushUpdates(peer: BgpPeer, cache: ExportCache): number {
  const conn = peer.session;
  if (conn === undefined || peer.pendingOut.size === 0) {
    peer.pendingOut.clear();
    return 0;
  }
  if (peer.pendingOut.size === 1) return flushOne(peer, cache);
  const withdrawn: Ipv4Prefix[] = [];
  // prefixes by attribute set, in the order the sets first appear: one prefix held as a number (a table
  // dump has a set per route), an array only for more
  const groups = new Map<PathAttributes, number | number[]>();
  peer.pendingOut.forEach((attrs, key) => {
    const had = peer.adjOut.get(key);
    if (attrs === null) {
      if (had === undefined) return;
      peer.adjOut.delete(key);
      withdrawn.push(keyPrefix(key));
      return;
    }
    if (had === attrs) return;
    peer.adjOut.set(key, attrs);
    const g = groups.get(attrs);
    if (g === undefined) groups.set(attrs, key);
    else if (typeof g === 'number') groups.set(attrs, [g, key]);
    else g.push(key);
  });
  peer.pendingOut.clear();
  let sent = 0;
  for (const chunk of chunks(withdrawn, BGP_MAX_MESSAGE_LEN - UPDATE_FIXED)) {
    conn.send({ type: 'update', withdrawn: chunk, attrs: NO_ATTRS, nlri: [] });
    sent++;
  }
  const ctx = conn.ctx;
  groups.forEach((keys, attrs) => {
    const msgs =
      typeof keys === 'number'
        ? ctx.fourOctetAs
          ? cache.encodedOne(attrs, keys, ctx, build)
          : build(attrs, [keys], ctx)
        : ctx.fourOctetAs
          ? cache.encoded(attrs, keys, () => build(attrs, keys, ctx))
          : build(attrs, keys, ctx);
    for (let i = 0; i < msgs.length; i++) conn.sendBytes(msgs[i]!);
    sent += msgs.length;
  });
  return sent;
}

/** One pending change (a reflector fanning one route out): no grouping, no per-peer allocation. */
function flushOne(peer: BgpPeer, cache: ExportCache): number {
  const conn = peer.session!;
  const key = peer.pendingOut.firstKey();
  const attrs = peer.pendingOut.firstValue();
  peer.pendingOut.clear();
  const had = peer.adjOut.get(key);
  if (attrs === null) {
    if (had === undefined) return 0;
    peer.adjOut.delete(key);
    conn.send({ type: 'update', withdrawn: [keyPrefix(key)], attrs: NO_ATTRS, nlri: [] });
    return 1;
  }
  if (had === attrs) return 0;
  peer.adjOut.set(key, attrs);
  const ctx = conn.ctx;
  const msgs = ctx.fourOctetAs ? cache.encodedOne(attrs, key, ctx, build) : build(attrs, [key], ctx);
  for (let i = 0; i < msgs.length; i++) conn.sendBytes(msgs[i]!);
  return msgs.length;
}

/** The UPDATEs announcing `keys` with `attrs`, split to fit. */
function build(attrs: PathAttributes, keys: readonly number[], ctx: BgpCodecCtx): Uint8Array[] {
  const wire = ctx.fourOctetAs ? attrs : toTwoOctet(attrs);
  const nlri = keys.map(keyPrefix);
  // the attributes are encoded once and copied into each message
  const attrBytes = encodePathAttributes(wire, ctx.fourOctetAs ? 4 : 2);
  const out: Uint8Array[] = [];
  for (const chunk of chunks(nlri, BGP_MAX_MESSAGE_LEN - UPDATE_FIXED - attrBytes.length))
    out.push(emitBgpUpdateWithAttrBytes(attrBytes, chunk));
  return out;
}

/** Splits prefixes into runs whose NLRI encoding fits in `budget` bytes. */
function chunks(ps: Ipv4Prefix[], budget: number): Ipv4Prefix[][] {
  const out: Ipv4Prefix[][] = [];
  let start = 0;
  let used = 0;
  for (let i = 0; i < ps.length; i++) {
    const n = prefixWireLen(ps[i]!);
    if (used + n > budget) {
      out.push(ps.slice(start, i));
      start = i;
      used = 0;
    }
    used += n;
  }
  if (start < ps.length) out.push(start === 0 ? ps : ps.slice(start));
  return out;
}
