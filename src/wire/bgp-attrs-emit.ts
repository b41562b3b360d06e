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
  // the attributes a route reflector and Calico's nodes send are written straight into the field; the
  // rarer ones (MP_REACH/MP_UNREACH, AGGREGATOR, AS4_*) take the general path through the triples
  if (
    a.mpReach !== undefined ||
    a.mpUnreach !== undefined ||
    a.aggregator !== undefined ||
    a.as4Path !== undefined ||
    a.as4Aggregator !== undefined
  )
    return encodeAttributeTriples(pathAttributeTriples(a, asSize));
  return encodeCommonAttributes(a, asSize);
}

/** The Path Attributes field from (flags, type code, value) triples, in their order. */
export function encodeAttributeTriples(triples: readonly BgpRawAttr[]): Uint8Array {
  const size = triples.reduce((n, t) => n + (t.value.length > 255 ? 4 : 3) + t.value.length, 0);
  const out = new Uint8Array(size);
  let off = 0;
  for (const t of triples) off = writeAttrHeader(out, off, t.flags, t.code, t.value.length, t.value);
  return out;
}

/** Writes one attribute's flags, type code, length (and `value` when given); returns where its value ends. */
function writeAttrHeader(
  out: Uint8Array,
  off: number,
  flags: number,
  code: number,
  len: number,
  value: Uint8Array | undefined,
): number {
  const ext = len > 255;
  out[off] = (flags & ~BGP_ATTR_FLAG.EXTENDED_LENGTH) | (ext ? BGP_ATTR_FLAG.EXTENDED_LENGTH : 0);
  out[off + 1] = code;
  if (ext) writeU16(out, off + 2, len);
  else out[off + 2] = len;
  const at = off + (ext ? 4 : 3);
  if (value !== undefined) out.set(value, at);
  return at + len;
}

/** Bytes an attribute of value length `len` takes, header included. */
function attrSize(len: number): number {
  return (len > 255 ? 4 : 3) + len;
}

/** Length of AS_PATH's value as asPathBytes writes it. */
function asPathLen(segs: readonly AsPathSegment[], asSize: 2 | 4): number {
  let n = 0;
  for (const s of segs) {
    const chunks = s.asns.length === 0 ? 1 : Math.ceil(s.asns.length / 255);
    n += 2 * chunks + asSize * s.asns.length;
  }
  return n;
}

/** Writes AS_PATH's value as asPathBytes does; returns the next offset. */
function writeAsPath(out: Uint8Array, off: number, segs: readonly AsPathSegment[], asSize: 2 | 4): number {
  for (const s of segs) {
    for (let i = 0; i === 0 || i < s.asns.length; i += 255) {
      const end = Math.min(i + 255, s.asns.length);
      out[off++] = SEGMENT_TYPES.indexOf(s.type) + 1;
      out[off++] = end - i;
      for (let j = i; j < end; j++) {
        const as = s.asns[j]!;
        if (asSize === 4) {
          out[off++] = as >>> 24;
          out[off++] = (as >>> 16) & 0xff;
        }
        out[off++] = (as >>> 8) & 0xff;
        out[off++] = as & 0xff;
      }
    }
  }
  return off;
}

/** The same bytes as the triples path for attributes without MP_*, AGGREGATOR or AS4_*, with one allocation. */
function encodeCommonAttributes(a: PathAttributes, asSize: 2 | 4): Uint8Array {
  const F = BGP_ATTR_EXPECTED_FLAGS;
  const O = BGP_ATTR_FLAG.OPTIONAL;
  const T = BGP_ATTR_FLAG.TRANSITIVE;
  const pathLen = a.asPath === undefined ? 0 : asPathLen(a.asPath, asSize);
  let size = 0;
  if (a.origin !== undefined) size += attrSize(1);
  if (a.asPath !== undefined) size += attrSize(pathLen);
  if (a.nextHop !== undefined) size += attrSize(4);
  if (a.med !== undefined) size += attrSize(4);
  if (a.localPref !== undefined) size += attrSize(4);
  if (a.atomicAggregate === true) size += attrSize(0);
  if (a.communities !== undefined) size += attrSize(4 * a.communities.length);
  if (a.originatorId !== undefined) size += attrSize(4);
  if (a.clusterList !== undefined) size += attrSize(4 * a.clusterList.length);
  for (const u of a.unknown) size += attrSize(u.value.length);
  const out = new Uint8Array(size);
  let off = 0;
  if (a.origin !== undefined) {
    off = writeAttrHeader(out, off, F[BGP_ATTR.ORIGIN]!, BGP_ATTR.ORIGIN, 1, undefined);
    out[off - 1] = ORIGINS.indexOf(a.origin);
  }
  if (a.asPath !== undefined) {
    const at = writeAttrHeader(out, off, F[BGP_ATTR.AS_PATH]!, BGP_ATTR.AS_PATH, pathLen, undefined) - pathLen;
    off = writeAsPath(out, at, a.asPath, asSize);
  }
  const u32 = (code: number, v: number): void => {
    off = writeAttrHeader(out, off, F[code]!, code, 4, undefined);
    writeU32(out, off - 4, v);
  };
  const u32s = (code: number, vs: readonly number[]): void => {
    off = writeAttrHeader(out, off, F[code]!, code, 4 * vs.length, undefined) - 4 * vs.length;
    for (const v of vs) {
      writeU32(out, off, v);
      off += 4;
    }
  };
  if (a.nextHop !== undefined) u32(BGP_ATTR.NEXT_HOP, a.nextHop);
  if (a.med !== undefined) u32(BGP_ATTR.MULTI_EXIT_DISC, a.med);
  if (a.localPref !== undefined) u32(BGP_ATTR.LOCAL_PREF, a.localPref);
  if (a.atomicAggregate === true)
    off = writeAttrHeader(out, off, F[BGP_ATTR.ATOMIC_AGGREGATE]!, BGP_ATTR.ATOMIC_AGGREGATE, 0, undefined);
  if (a.communities !== undefined) u32s(BGP_ATTR.COMMUNITIES, a.communities);
  if (a.originatorId !== undefined) u32(BGP_ATTR.ORIGINATOR_ID, a.originatorId);
  if (a.clusterList !== undefined) u32s(BGP_ATTR.CLUSTER_LIST, a.clusterList);
  for (const u of a.unknown) {
    const partial = (u.flags & (O | T)) === (O | T) ? BGP_ATTR_FLAG.PARTIAL : 0;
    off = writeAttrHeader(out, off, u.flags | partial, u.code, u.value.length, u.value);
  }
  return out;
}
