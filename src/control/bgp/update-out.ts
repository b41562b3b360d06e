/**
 * Turning a peer's pending changes into UPDATE messages (RFC 4271 §9.2): withdrawals together, then one
 * UPDATE per set of prefixes that share attributes, each message kept under 4,096 bytes (§4.1). What is
 * sent is recorded in the peer's Adj-RIB-Out; a change that matches it sends nothing.
 */
import type { Ipv4Prefix } from '../../wire/addr.js';
import {
  BGP_HEADER_LEN,
  BGP_MAX_MESSAGE_LEN,
  type PathAttributes,
  emitBgpUpdateAnnounce,
  encodePathAttributes,
  prefixWireLen,
} from '../../wire/bgp.js';
import { toTwoOctet } from './export.js';
import type { BgpPeer } from './peer.js';
import { keyPrefix } from './rib.js';

// an UPDATE's fixed part: the header, Withdrawn Routes Length and Total Path Attribute Length
const UPDATE_FIXED = BGP_HEADER_LEN + 4;

// Exported attribute sets are never changed once made (export.ts builds a new object each time), so each
// one is encoded once, however many peers and flushes send it (a route reflector sends one to every client).
const encoded4 = new WeakMap<PathAttributes, Uint8Array>();
const encoded2 = new WeakMap<PathAttributes, Uint8Array>();

/** The Path Attributes field of `attrs` for a peer with (four) or without the 4-octet AS capability. */
function attrBytes(attrs: PathAttributes, four: boolean): Uint8Array {
  const cache = four ? encoded4 : encoded2;
  let b = cache.get(attrs);
  if (b === undefined) {
    b = four ? encodePathAttributes(attrs, 4) : encodePathAttributes(toTwoOctet(attrs), 2);
    cache.set(attrs, b);
  }
  return b;
}

/** Sends `peer`'s pending changes; returns the number of UPDATE messages sent. */
export function flushUpdates(peer: BgpPeer): number {
  const conn = peer.session;
  if (conn === undefined || peer.pendingOut.size === 0) {
    peer.pendingOut.clear();
    return 0;
  }
  if (peer.pendingOut.size === 1) return flushOne(peer, conn);
  let withdrawn: Ipv4Prefix[] | undefined;
  let groups: Map<PathAttributes, Ipv4Prefix[]> | undefined;
  for (const [key, attrs] of peer.pendingOut) {
    const had = peer.adjOut.get(key);
    if (attrs === null) {
      if (had === undefined) continue;
      peer.adjOut.delete(key);
      (withdrawn ??= []).push(keyPrefix(key));
      continue;
    }
    if (had === attrs) continue;
    peer.adjOut.set(key, attrs);
    groups ??= new Map();
    const g = groups.get(attrs);
    if (g === undefined) groups.set(attrs, [keyPrefix(key)]);
    else g.push(keyPrefix(key));
  }
  peer.pendingOut.clear();
  let sent = 0;
  if (withdrawn !== undefined)
    for (const chunk of chunks(withdrawn, BGP_MAX_MESSAGE_LEN - UPDATE_FIXED)) {
      conn.send({ type: 'update', withdrawn: chunk, attrs: { unknown: [] }, nlri: [] });
      sent++;
    }
  if (groups === undefined) return sent;
  const four = conn.ctx.fourOctetAs;
  for (const [attrs, nlri] of groups) {
    const bytes = attrBytes(attrs, four);
    for (const chunk of chunks(nlri, BGP_MAX_MESSAGE_LEN - UPDATE_FIXED - bytes.length)) {
      conn.sendBytes(emitBgpUpdateAnnounce(bytes, chunk));
      sent++;
    }
  }
  return sent;
}

/** flushUpdates for a single pending change, the common case (one route learned, sent on to every peer). */
function flushOne(peer: BgpPeer, conn: NonNullable<BgpPeer['session']>): number {
  const [key, attrs] = peer.pendingOut.entries().next().value!;
  peer.pendingOut.clear();
  const had = peer.adjOut.get(key);
  if (attrs === null) {
    if (had === undefined) return 0;
    peer.adjOut.delete(key);
    conn.send({ type: 'update', withdrawn: [keyPrefix(key)], attrs: { unknown: [] }, nlri: [] });
    return 1;
  }
  if (had === attrs) return 0;
  peer.adjOut.set(key, attrs);
  conn.sendBytes(emitBgpUpdateAnnounce(attrBytes(attrs, conn.ctx.fourOctetAs), [keyPrefix(key)]));
  return 1;
}

/** Splits prefixes into runs whose NLRI encoding fits in `budget` bytes. */
function chunks(ps: Ipv4Prefix[], budget: number): Ipv4Prefix[][] {
  let start = 0;
  let used = 0;
  const out: Ipv4Prefix[][] = [];
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
