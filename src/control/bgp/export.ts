/**
 * Who is told about a best route, and with which attributes (RFC 4271 §9.1.3, §5.1; RFC 4456 §8;
 * RFC 6793 §4.2.2). The speaker calls `exportAttrs` for each peer when a best route changes; the UPDATE
 * building is update-out.ts.
 *
 * - never back to the peer it came from;
 * - iBGP-learned routes go to iBGP peers only by reflection: a client's route to every iBGP peer, a
 *   non-client's route to clients only (RFC 4456 §8); without reflection, not at all (full mesh);
 * - to eBGP: own AS prepended, NEXT_HOP self, no LOCAL_PREF, no MED learned from another AS (§5.1.4), no
 *   ORIGINATOR_ID or CLUSTER_LIST (they are non-transitive and local to the AS);
 * - to iBGP: LOCAL_PREF always, NEXT_HOP self for our own routes and unchanged otherwise (Calico's nodes
 *   announce their blocks with their own address); when reflecting, ORIGINATOR_ID set if absent and the
 *   cluster ID prepended to CLUSTER_LIST (RFC 4456 §8).
 */
import type { Ipv4 } from '../../wire/addr.js';
import { AS_TRANS, type AsPathSegment, type PathAttributes } from '../../wire/bgp.js';
import { type Candidate, localPrefOf } from './best-path.js';
import type { BgpPeer } from './peer.js';

/** What the export rules need to know about the speaker. */
export interface ExportContext {
  readonly asn: number;
  readonly clusterId: Ipv4;
  readonly defaultLocalPref: number;
}

/** Whether `best` may go to `peer` at all, and whether that is a reflection. */
export function exportKind(peer: BgpPeer, best: Candidate): 'none' | 'normal' | 'reflect' {
  const src = best.source;
  if (src === peer) return 'none';
  if (src.local || src.ebgp || peer.ebgp) return 'normal';
  // both iBGP: RFC 4456 §8
  const fromClient = (src as BgpPeer).rrClient;
  if (fromClient || peer.rrClient) return 'reflect';
  return 'none';
}

/** The attributes `best` carries to `peer`, or undefined when `peer` must not have it. */
export function exportAttrs(ctx: ExportContext, peer: BgpPeer, best: Candidate): PathAttributes | undefined {
  const kind = exportKind(peer, best);
  if (kind === 'none') return undefined;
  const a = best.attrs;
  const self = peer.localAddress ?? 0;
  const out: PathAttributes = { origin: a.origin ?? 'incomplete', asPath: a.asPath ?? [], unknown: a.unknown };
  if (a.atomicAggregate === true) out.atomicAggregate = true;
  if (a.aggregator !== undefined) out.aggregator = a.aggregator;
  if (a.communities !== undefined) out.communities = a.communities;
  if (peer.ebgp) {
    out.asPath = prependAs(ctx.asn, out.asPath!);
    out.nextHop = self;
    // RFC 4271 §5.1.4: a MED received from a neighbouring AS is not passed to another one
    if (best.source.local && a.med !== undefined) out.med = a.med;
    return out;
  }
  out.nextHop = best.source.local ? self : (a.nextHop ?? self);
  if (a.med !== undefined) out.med = a.med;
  out.localPref = localPrefOf(best, ctx.defaultLocalPref);
  if (kind === 'reflect') {
    out.originatorId = a.originatorId ?? best.source.peerBgpId;
    out.clusterList = [ctx.clusterId, ...(a.clusterList ?? [])];
  }
  return out;
}

/** RFC 4271 §5.1.2: our AS in front, as a new AS_SEQUENCE when the first segment is not one (or is full). */
export function prependAs(asn: number, path: readonly AsPathSegment[]): AsPathSegment[] {
  const first = path[0];
  if (first !== undefined && first.type === 'sequence' && first.asns.length < 255)
    return [{ type: 'sequence', asns: [asn, ...first.asns] }, ...path.slice(1)];
  return [{ type: 'sequence', asns: [asn] }, ...path];
}

/**
 * RFC 6793 §4.2.2: toward a peer without the 4-octet AS capability, ASNs above 65535 become AS_TRANS in
 * AS_PATH (and AGGREGATOR), and the true path travels in AS4_PATH (and AS4_AGGREGATOR).
 */
export function toTwoOctet(a: PathAttributes): PathAttributes {
  const big = (as: number): boolean => as > 0xffff;
  const path = a.asPath ?? [];
  const needPath = path.some((s) => s.asns.some(big));
  const needAgg = a.aggregator !== undefined && big(a.aggregator.as);
  if (!needPath && !needAgg) return a;
  const out: PathAttributes = { ...a };
  if (needPath) {
    out.asPath = path.map((s) => ({ type: s.type, asns: s.asns.map((as) => (big(as) ? AS_TRANS : as)) }));
    // RFC 6793 §3: AS4_PATH carries no confederation segments
    out.as4Path = path.filter((s) => s.type === 'sequence' || s.type === 'set');
  }
  if (needAgg) {
    out.as4Aggregator = a.aggregator;
    out.aggregator = { as: AS_TRANS, id: a.aggregator!.id };
  }
  return out;
}

/** AS_PATH length counted as RFC 6793 §4.2.3 counts it (an AS_SET is 1; confederation segments 0). */
function pathCount(path: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of path) n += s.type === 'sequence' ? s.asns.length : s.type === 'set' ? 1 : 0;
  return n;
}

/**
 * RFC 6793 §4.2.3: from a 2-octet peer, rebuilds the true AS_PATH from AS_PATH and AS4_PATH (the AS4_PATH
 * replaces the tail of AS_PATH it covers; ignored when longer than AS_PATH), and AGGREGATOR from
 * AS4_AGGREGATOR when AGGREGATOR holds AS_TRANS.
 */
export function fromTwoOctet(a: PathAttributes): PathAttributes {
  if (a.as4Path === undefined && a.as4Aggregator === undefined) return a;
  const out: PathAttributes = { ...a };
  delete out.as4Path;
  delete out.as4Aggregator;
  if (a.aggregator !== undefined && a.aggregator.as !== AS_TRANS) return out; // §4.2.3: AS4_* ignored
  if (a.as4Aggregator !== undefined) out.aggregator = a.as4Aggregator;
  const path = a.asPath ?? [];
  const as4 = a.as4Path;
  if (as4 === undefined) return out;
  let keep = pathCount(path) - pathCount(as4);
  if (keep < 0) return out;
  const head: AsPathSegment[] = [];
  for (const s of path) {
    if (keep <= 0) break;
    if (s.type === 'sequence') {
      const take = s.asns.slice(0, keep);
      head.push({ type: 'sequence', asns: take });
      keep -= take.length;
    } else if (s.type === 'set') {
      head.push(s);
      keep -= 1;
    } else head.push(s);
  }
  // one sequence where the kept head meets the AS4_PATH (a path, not two)
  const last = head[head.length - 1];
  const next = as4[0];
  if (last?.type === 'sequence' && next?.type === 'sequence' && last.asns.length + next.asns.length <= 255)
    out.asPath = [...head.slice(0, -1), { type: 'sequence', asns: [...last.asns, ...next.asns] }, ...as4.slice(1)];
  else out.asPath = [...head, ...as4];
  return out;
}
