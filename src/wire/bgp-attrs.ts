/**
 * Parsing BGP path attributes (RFC 4271 §4.3 and §5) with the RFC 7606 revised error handling: each
 * malformed attribute becomes a `BgpAttrError` naming the action the receiver takes (treat-as-withdraw,
 * attribute-discard, session-reset, AFI/SAFI disable) instead of failing the parse. The value types are
 * bgp-attr-types.ts, the emitter bgp-attrs-emit.ts, the UPDATE framing (withdrawn, total attribute
 * length, NLRI, missing attributes) bgp-update.ts; what a speaker then does with the routes is control/bgp.
 */
import { readIpv4 } from './addr.js';
import { readU16, readU32 } from './bytes.js';
import {
  type AsPathSegment,
  type BgpAttrError,
  type BgpMpReach,
  type BgpMpUnreach,
  type BgpUpdateAction,
  type PathAttributes,
  BGP_ATTR_EXPECTED_FLAGS,
  ORIGINS,
  SEGMENT_TYPES,
} from './bgp-attr-types.js';
import { AFI_IPV4, BGP_ATTR, BGP_ATTR_FLAG, BGP_ERR, BGP_UPDATE_SUBCODE, SAFI_UNICAST } from './bgp-codes.js';
import { parsePrefixes } from './bgp-prefix.js';

/** Parses AS_PATH / AS4_PATH segments; undefined when malformed (RFC 7606 §7.2). */
function parseAsPath(v: Uint8Array, asSize: 2 | 4): AsPathSegment[] | undefined {
  const segs: AsPathSegment[] = [];
  let off = 0;
  while (off < v.length) {
    // RFC 7606 §7.2: an underrun (no room for a segment header), an unrecognized segment type, a zero
    // segment length or an overrun make the AS_PATH malformed.
    if (off + 2 > v.length) return undefined;
    const type = SEGMENT_TYPES[v[off]! - 1];
    const count = v[off + 1]!;
    if (type === undefined || count === 0 || off + 2 + count * asSize > v.length) return undefined;
    const asns: number[] = [];
    for (let i = 0; i < count; i++) {
      const p = off + 2 + i * asSize;
      asns.push(asSize === 4 ? readU32(v, p) : readU16(v, p));
    }
    segs.push({ type, asns });
    off += 2 + count * asSize;
  }
  return segs;
}

/** The attributes of an UPDATE with the errors found in them. */
export interface ParsedAttrs {
  attrs: PathAttributes;
  errors: BgpAttrError[];
  /** Attribute type codes seen (first occurrences), for the missing-mandatory check. */
  seen: Set<number>;
  /** The index in `errors` of an attribute overrunning the field (RFC 7606 §4), if one did. */
  overrun?: number;
}

function attrBytes(buf: Uint8Array, start: number, end: number): Uint8Array {
  return buf.slice(start, Math.min(end, buf.length));
}

/**
 * Walks the Path Attributes field `buf[start, end)` with `asSize`-octet AS numbers (RFC 6793 §4),
 * classifying each error per RFC 7606. The caller checks missing mandatory attributes (it knows the NLRI).
 */
export function parsePathAttributes(buf: Uint8Array, start: number, end: number, asSize: 2 | 4): ParsedAttrs {
  const attrs: PathAttributes = { unknown: [] };
  const errors: BgpAttrError[] = [];
  const seen = new Set<number>();
  let overrun: number | undefined;
  const err = (attr: number, action: BgpUpdateAction, subcode: number, data: Uint8Array, reason: string): void => {
    errors.push({ attr, action, code: BGP_ERR.UPDATE_MESSAGE, subcode, data, reason });
  };
  let off = start;
  while (off < end) {
    const flags = buf[off]!;
    const ext = (flags & BGP_ATTR_FLAG.EXTENDED_LENGTH) !== 0;
    const hdr = ext ? 4 : 3;
    if (off + hdr > end) {
      overrun = errors.length;
      // RFC 7606 §4: too few octets left for an attribute header: treat-as-withdraw (bgp-update.ts
      // escalates to session-reset when no NLRI could be identified).
      err(
        0,
        'treat-as-withdraw',
        BGP_UPDATE_SUBCODE.MALFORMED_ATTRIBUTE_LIST,
        new Uint8Array(0),
        'attribute header overruns',
      );
      break;
    }
    const code = buf[off + 1]!;
    const len = ext ? readU16(buf, off + 2) : buf[off + 2]!;
    const vStart = off + hdr;
    if (vStart + len > end) {
      overrun = errors.length;
      // RFC 7606 §4: the last attribute's length overruns the Total Path Attribute Length.
      err(
        code,
        'treat-as-withdraw',
        BGP_UPDATE_SUBCODE.ATTRIBUTE_LENGTH_ERROR,
        attrBytes(buf, off, end),
        'attribute length overruns',
      );
      break;
    }
    const whole = buf.slice(off, vStart + len);
    const v = buf.subarray(vStart, vStart + len);
    off = vStart + len;
    if (seen.has(code)) {
      // RFC 7606 §3 g: a repeated MP_REACH/MP_UNREACH is a Malformed Attribute List (session reset); any
      // other repeat is discarded and processing goes on.
      if (code === BGP_ATTR.MP_REACH_NLRI || code === BGP_ATTR.MP_UNREACH_NLRI)
        err(
          code,
          'session-reset',
          BGP_UPDATE_SUBCODE.MALFORMED_ATTRIBUTE_LIST,
          new Uint8Array(0),
          'repeated MP attribute',
        );
      continue;
    }
    seen.add(code);
    const expected = BGP_ATTR_EXPECTED_FLAGS[code];
    if (expected === undefined) {
      if ((flags & BGP_ATTR_FLAG.OPTIONAL) === 0) {
        // RFC 4271 §6.3, unchanged by RFC 7606: an unrecognized well-known attribute resets the session.
        err(
          code,
          'session-reset',
          BGP_UPDATE_SUBCODE.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
          whole,
          'unrecognized well-known attribute',
        );
      } else if ((flags & BGP_ATTR_FLAG.TRANSITIVE) !== 0) {
        attrs.unknown.push({ flags: flags & ~BGP_ATTR_FLAG.EXTENDED_LENGTH, code, value: v.slice() });
      } // RFC 4271 §5: an unrecognized optional non-transitive attribute is quietly ignored
      continue;
    }
    if ((flags & (BGP_ATTR_FLAG.OPTIONAL | BGP_ATTR_FLAG.TRANSITIVE)) !== expected) {
      // RFC 7606 §3 c: Optional/Transitive bits in conflict with the attribute: treat-as-withdraw.
      err(
        code,
        'treat-as-withdraw',
        BGP_UPDATE_SUBCODE.ATTRIBUTE_FLAGS_ERROR,
        whole,
        'attribute flags conflict with its type',
      );
      continue;
    }
    const bad = (action: BgpUpdateAction, subcode: number, reason: string): void =>
      err(code, action, subcode, whole, reason);
    const LEN = BGP_UPDATE_SUBCODE.ATTRIBUTE_LENGTH_ERROR;
    switch (code) {
      case BGP_ATTR.ORIGIN: {
        // RFC 7606 §7.1: length not 1 or an undefined value: treat-as-withdraw.
        const o = ORIGINS[v[0] ?? 255];
        if (len !== 1) bad('treat-as-withdraw', LEN, 'ORIGIN length is not 1');
        else if (o === undefined)
          bad('treat-as-withdraw', BGP_UPDATE_SUBCODE.INVALID_ORIGIN_ATTRIBUTE, 'undefined ORIGIN');
        else attrs.origin = o;
        break;
      }
      case BGP_ATTR.AS_PATH: {
        const segs = parseAsPath(v, asSize); // RFC 7606 §7.2: malformed AS_PATH: treat-as-withdraw
        if (segs === undefined) bad('treat-as-withdraw', BGP_UPDATE_SUBCODE.MALFORMED_AS_PATH, 'malformed AS_PATH');
        else attrs.asPath = segs;
        break;
      }
      case BGP_ATTR.NEXT_HOP: // RFC 7606 §7.3
        if (len !== 4) bad('treat-as-withdraw', LEN, 'NEXT_HOP length is not 4');
        else attrs.nextHop = readIpv4(v, 0);
        break;
      case BGP_ATTR.MULTI_EXIT_DISC: // RFC 7606 §7.4
        if (len !== 4) bad('treat-as-withdraw', LEN, 'MULTI_EXIT_DISC length is not 4');
        else attrs.med = readU32(v, 0);
        break;
      case BGP_ATTR.LOCAL_PREF: // RFC 7606 §7.5 (ignoring it from an external peer is the speaker's job)
        if (len !== 4) bad('treat-as-withdraw', LEN, 'LOCAL_PREF length is not 4');
        else attrs.localPref = readU32(v, 0);
        break;
      case BGP_ATTR.ATOMIC_AGGREGATE: // RFC 7606 §7.6: length not 0: attribute-discard
        if (len !== 0) bad('attribute-discard', LEN, 'ATOMIC_AGGREGATE length is not 0');
        else attrs.atomicAggregate = true;
        break;
      case BGP_ATTR.AGGREGATOR: // RFC 7606 §7.7: length not 6 (or 8 with 4-octet ASes): attribute-discard
        if (len !== asSize + 4) bad('attribute-discard', LEN, `AGGREGATOR length is not ${asSize + 4}`);
        else attrs.aggregator = { as: asSize === 4 ? readU32(v, 0) : readU16(v, 0), id: readIpv4(v, asSize) };
        break;
      case BGP_ATTR.COMMUNITIES: // RFC 7606 §7.8: length 0 or not a multiple of 4: treat-as-withdraw
        if (len === 0 || len % 4 !== 0)
          bad(
            'treat-as-withdraw',
            BGP_UPDATE_SUBCODE.OPTIONAL_ATTRIBUTE_ERROR,
            'COMMUNITIES length is not a non-zero multiple of 4',
          );
        else attrs.communities = Array.from({ length: len / 4 }, (_, i) => readU32(v, 4 * i));
        break;
      case BGP_ATTR.ORIGINATOR_ID: // RFC 7606 §7.9
        if (len !== 4) bad('treat-as-withdraw', LEN, 'ORIGINATOR_ID length is not 4');
        else attrs.originatorId = readIpv4(v, 0);
        break;
      case BGP_ATTR.CLUSTER_LIST: // RFC 7606 §7.10
        if (len === 0 || len % 4 !== 0)
          bad('treat-as-withdraw', LEN, 'CLUSTER_LIST length is not a non-zero multiple of 4');
        else attrs.clusterList = Array.from({ length: len / 4 }, (_, i) => readIpv4(v, 4 * i));
        break;
      case BGP_ATTR.MP_REACH_NLRI: {
        const r = parseMpReach(v); // RFC 7606 §7.11 / §3 j: malformed MP_REACH: session reset
        if (r === undefined)
          bad('session-reset', BGP_UPDATE_SUBCODE.OPTIONAL_ATTRIBUTE_ERROR, 'malformed MP_REACH_NLRI');
        else attrs.mpReach = r;
        break;
      }
      case BGP_ATTR.MP_UNREACH_NLRI: {
        const r = parseMpUnreach(v); // RFC 7606 §7.12
        if (r === undefined)
          bad('session-reset', BGP_UPDATE_SUBCODE.OPTIONAL_ATTRIBUTE_ERROR, 'malformed MP_UNREACH_NLRI');
        else attrs.mpUnreach = r;
        break;
      }
      case BGP_ATTR.AS4_PATH: {
        // RFC 6793 §6: a malformed AS4_PATH is discarded (attribute-discard), the UPDATE goes on.
        const segs = parseAsPath(v, 4);
        if (segs === undefined)
          bad('attribute-discard', BGP_UPDATE_SUBCODE.OPTIONAL_ATTRIBUTE_ERROR, 'malformed AS4_PATH');
        else attrs.as4Path = segs;
        break;
      }
      case BGP_ATTR.AS4_AGGREGATOR: // RFC 6793 §6: attribute-discard
        if (len !== 8)
          bad('attribute-discard', BGP_UPDATE_SUBCODE.OPTIONAL_ATTRIBUTE_ERROR, 'AS4_AGGREGATOR length is not 8');
        else attrs.as4Aggregator = { as: readU32(v, 0), id: readIpv4(v, 4) };
        break;
    }
  }
  return overrun === undefined ? { attrs, errors, seen } : { attrs, errors, seen, overrun };
}

function parseMpReach(v: Uint8Array): BgpMpReach | undefined {
  if (v.length < 5) return undefined;
  const afi = readU16(v, 0);
  const safi = v[2]!;
  const nhLen = v[3]!;
  const nlriStart = 4 + nhLen + 1; // one Reserved octet after the next hop (RFC 4760 §3)
  if (nlriStart > v.length) return undefined;
  const nextHop = v.slice(4, 4 + nhLen);
  if (afi === AFI_IPV4 && safi === SAFI_UNICAST) {
    const nlri = parsePrefixes(v, nlriStart, v.length);
    if (nlri === undefined) return undefined;
    return { afi, safi, nextHop, nlri };
  }
  return { afi, safi, nextHop, nlri: [], nlriRaw: v.slice(nlriStart) };
}

function parseMpUnreach(v: Uint8Array): BgpMpUnreach | undefined {
  if (v.length < 3) return undefined;
  const afi = readU16(v, 0);
  const safi = v[2]!;
  if (afi === AFI_IPV4 && safi === SAFI_UNICAST) {
    const withdrawn = parsePrefixes(v, 3, v.length);
    return withdrawn === undefined ? undefined : { afi, safi, withdrawn };
  }
  return { afi, safi, withdrawn: [], withdrawnRaw: v.slice(3) };
}
