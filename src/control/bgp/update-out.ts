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
  encodePathAttributes,
  prefixWireLen,
} from '../../wire/bgp.js';
import { toTwoOctet } from './export.js';
import type { BgpPeer } from './peer.js';
import { keyPrefix } from './rib.js';

// an UPDATE's fixed part: the header, Withdrawn Routes Length and Total Path Attribute Length
const UPDATE_FIXED = BGP_HEADER_LEN + 4;

/** Sends `peer`'s pending changes; returns the number of UPDATE messages sent. */
export function flushUpdates(peer: BgpPeer): number {
  const conn = peer.session;
  if (conn === undefined || peer.pendingOut.size === 0) {
    peer.pendingOut.clear();
    return 0;
  }
  const withdrawn: Ipv4Prefix[] = [];
  const groups = new Map<PathAttributes, Ipv4Prefix[]>();
  for (const [key, attrs] of peer.pendingOut) {
    const had = peer.adjOut.get(key);
    if (attrs === null) {
      if (had === undefined) continue;
      peer.adjOut.delete(key);
      withdrawn.push(keyPrefix(key));
      continue;
    }
    if (had === attrs) continue;
    peer.adjOut.set(key, attrs);
    let g = groups.get(attrs);
    if (g === undefined) {
      g = [];
      groups.set(attrs, g);
    }
    g.push(keyPrefix(key));
  }
  peer.pendingOut.clear();
  let sent = 0;
  for (const chunk of chunks(withdrawn, BGP_MAX_MESSAGE_LEN - UPDATE_FIXED)) {
    conn.send({ type: 'update', withdrawn: chunk, attrs: { unknown: [] }, nlri: [] });
    sent++;
  }
  const four = conn.ctx.fourOctetAs;
  for (const [attrs, nlri] of groups) {
    const wire = four ? attrs : toTwoOctet(attrs);
    const attrLen = encodePathAttributes(wire, four ? 4 : 2).length;
    for (const chunk of chunks(nlri, BGP_MAX_MESSAGE_LEN - UPDATE_FIXED - attrLen)) {
      conn.send({ type: 'update', withdrawn: [], attrs: wire, nlri: chunk });
      sent++;
    }
  }
  return sent;
}

/** Splits prefixes into runs whose NLRI encoding fits in `budget` bytes. */
function* chunks(ps: Ipv4Prefix[], budget: number): Generator<Ipv4Prefix[]> {
  let start = 0;
  let used = 0;
  for (let i = 0; i < ps.length; i++) {
    const n = prefixWireLen(ps[i]!);
    if (used + n > budget) {
      yield ps.slice(start, i);
      start = i;
      used = 0;
    }
    used += n;
  }
  if (start < ps.length) yield start === 0 ? ps : ps.slice(start);
}
