/**
 * Emitting BGP path attributes (RFC 4271 §4.3): the flags each attribute carries, the Extended Length bit
 * when a value passes 255 bytes, 2- or 4-octet AS numbers per the session (RFC 6793 §4).
 */
import { writeIpv4 } from './addr.js';
import { writeU16, writeU32 } from './bytes.js';
import {
  type AsPathSegment,
  type BgpAggregator,
  type BgpRawAttr,
  type PathAttributes,
  BGP_ATTR_EXPECTED_FLAGS,
  ORIGINS,
  SEGMENT_TYPES,
} from './bgp-attr-types.js';
import { BGP_ATTR, BGP_ATTR_FLAG } from './bgp-codes.js';
import { encodePrefixes } from './bgp-prefix.js';

/** Bytes of AS_PATH segments with `asSize`-octet ASNs. Segments over 255 ASNs are split (RFC 4271 §9.2.2.1 rule). */
function asPathBytes(segs: readonly AsPathSegment[], asSize: 2 | 4): Uint8Array {
  const parts: number[] = [];
  for (const s of segs) {
    for (let i = 0; i === 0 || i < s.asns.length; i += 255) {
      const chunk = s.asns.slice(i, i + 255);
      parts.push(SEGMENT_TYPES.indexOf(s.type) + 1, chunk.length);
      for (const as of chunk) {
        if (asSize === 4) parts.push(as >>> 24, (as >>> 16) & 0xff, (as >>> 8) & 0xff, as & 0xff);
        else parts.push((as >>> 8) & 0xff, as & 0xff);
      }
    }
  }
  return Uint8Array.from(parts);
}

function u32Bytes(...vals: number[]): Uint8Array {
  const out = new Uint8Array(4 * vals.length);
  vals.forEach((x, i) => writeU32(out, 4 * i, x));
  return out;
}

function aggregatorBytes(a: BgpAggregator, asSize: 2 | 4): Uint8Array {
  const out = new Uint8Array(asSize + 4);
  if (asSize === 4) writeU32(out, 0, a.as);
  else writeU16(out, 0, a.as);
  writeIpv4(out, asSize, a.id);
  return out;
}

/**
 * The attributes in wire form: (flags, type code, value) triples in type-code order (RFC 4271 §5: a
 * sender SHOULD order them by type code), MP_REACH/MP_UNREACH first as RFC 7606 §5.1 recommends.
 */
export function pathAttributeTriples(a: PathAttributes, asSize: 2 | 4): BgpRawAttr[] {
  const O = BGP_ATTR_FLAG.OPTIONAL;
  const T = BGP_ATTR_FLAG.TRANSITIVE;
  const out: BgpRawAttr[] = [];
  const add = (code: number, value: Uint8Array): void => {
    out.push({ flags: BGP_ATTR_EXPECTED_FLAGS[code]!, code, value });
  };
  if (a.mpReach !== undefined) {
    const r = a.mpReach;
    const nlri = r.nlriRaw ?? encodePrefixes(r.nlri);
    const v = new Uint8Array(5 + r.nextHop.length + nlri.length);
    writeU16(v, 0, r.afi);
    v[2] = r.safi;
    v[3] = r.nextHop.length;
    v.set(r.nextHop, 4);
    v.set(nlri, 5 + r.nextHop.length);
    add(BGP_ATTR.MP_REACH_NLRI, v);
  }
  if (a.mpUnreach !== undefined) {
    const u = a.mpUnreach;
    const w = u.withdrawnRaw ?? encodePrefixes(u.withdrawn);
    const v = new Uint8Array(3 + w.length);
    writeU16(v, 0, u.afi);
    v[2] = u.safi;
    v.set(w, 3);
    add(BGP_ATTR.MP_UNREACH_NLRI, v);
  }
  if (a.origin !== undefined) add(BGP_ATTR.ORIGIN, Uint8Array.of(ORIGINS.indexOf(a.origin)));
  if (a.asPath !== undefined) add(BGP_ATTR.AS_PATH, asPathBytes(a.asPath, asSize));
  if (a.nextHop !== undefined) add(BGP_ATTR.NEXT_HOP, u32Bytes(a.nextHop));
  if (a.med !== undefined) add(BGP_ATTR.MULTI_EXIT_DISC, u32Bytes(a.med));
  if (a.localPref !== undefined) add(BGP_ATTR.LOCAL_PREF, u32Bytes(a.localPref));
  if (a.atomicAggregate === true) add(BGP_ATTR.ATOMIC_AGGREGATE, new Uint8Array(0));
  if (a.aggregator !== undefined) add(BGP_ATTR.AGGREGATOR, aggregatorBytes(a.aggregator, asSize));
  if (a.communities !== undefined) add(BGP_ATTR.COMMUNITIES, u32Bytes(...a.communities));
  if (a.originatorId !== undefined) add(BGP_ATTR.ORIGINATOR_ID, u32Bytes(a.originatorId));
  if (a.clusterList !== undefined) add(BGP_ATTR.CLUSTER_LIST, u32Bytes(...a.clusterList));
  if (a.as4Path !== undefined) add(BGP_ATTR.AS4_PATH, asPathBytes(a.as4Path, 4));
  if (a.as4Aggregator !== undefined) add(BGP_ATTR.AS4_AGGREGATOR, aggregatorBytes(a.as4Aggregator, 4));
  for (const u of a.unknown) {
    const partial = (u.flags & (O | T)) === (O | T) ? BGP_ATTR_FLAG.PARTIAL : 0;
    out.push({ flags: u.flags | partial, code: u.code, value: u.value });
  }
  return out;
}

/** Encodes the Path Attributes field; an attribute over 255 bytes gets the Extended Length bit (RFC 4271 §4.3). */
export function encodePathAttributes(a: PathAttributes, asSize: 2 | 4): Uint8Array {
  return encodeAttributeTriples(pathAttributeTriples(a, asSize));
}

/** The Path Attributes field from (flags, type code, value) triples, in their order. */
export function encodeAttributeTriples(triples: readonly BgpRawAttr[]): Uint8Array {
  const size = triples.reduce((n, t) => n + (t.value.length > 255 ? 4 : 3) + t.value.length, 0);
  const out = new Uint8Array(size);
  let off = 0;
  for (const t of triples) {
    const ext = t.value.length > 255;
    out[off] = (t.flags & ~BGP_ATTR_FLAG.EXTENDED_LENGTH) | (ext ? BGP_ATTR_FLAG.EXTENDED_LENGTH : 0);
    out[off + 1] = t.code;
    if (ext) writeU16(out, off + 2, t.value.length);
    else out[off + 2] = t.value.length;
    out.set(t.value, off + (ext ? 4 : 3));
    off += (ext ? 4 : 3) + t.value.length;
  }
  return out;
}
