/**
 * The BGP UPDATE message body (RFC 4271 §4.3): Withdrawn Routes, Path Attributes, NLRI. Attribute decoding
 * and the per-attribute RFC 7606 classification are bgp-attrs.ts; this file checks the framing and the
 * UPDATE-wide rules (missing well-known attributes, the NLRI field) and folds the actions into one.
 */
import type { Ipv4Prefix } from './addr.js';
import { readU16, writeU16 } from './bytes.js';
import {
  type BgpAttrError,
  type BgpUpdateAction,
  type PathAttributes,
  NO_ATTR_ERRORS,
  mostSevere,
} from './bgp-attr-types.js';
import { encodePathAttributes } from './bgp-attrs-emit.js';
import type { BgpAttrIntern } from './bgp-attr-intern.js';
import { parsePathAttributes } from './bgp-attrs.js';
import { encodePrefixes, parsePrefixes, prefixWireLen, writePrefix } from './bgp-prefix.js';
import {
  BGP_ATTR,
  BGP_ERR,
  BGP_HEADER_LEN,
  BGP_MAX_MESSAGE_LEN,
  BGP_TYPE,
  BGP_UPDATE_SUBCODE,
  type BgpResult,
  bgpFail,
} from './bgp-codes.js';

/** An UPDATE: routes withdrawn, the attributes of the routes in `nlri`, and those routes. */
export interface BgpUpdate {
  type: 'update';
  withdrawn: Ipv4Prefix[];
  attrs: PathAttributes;
  nlri: Ipv4Prefix[];
}

/**
 * A decoded UPDATE with its length on the wire, its RFC 7606 findings and the action they add up to (§3 h:
 * the most severe): what parseBgpMessage returns for it, made once.
 */
export interface BgpUpdateParsed {
  message: BgpUpdate;
  length: number;
  attrErrors: readonly BgpAttrError[];
  action: BgpUpdateAction | 'none';
}

/**
 * Parses an UPDATE body `buf[start, end)` (after the 19-byte header). Never throws. Fails (with the
 * NOTIFICATION to send) only when the message cannot be delimited: Withdrawn Routes or Total Path
 * Attribute Length overrunning the message, or an unparsable Withdrawn Routes / NLRI field (RFC 7606 §5.3:
 * session reset, since treat-as-withdraw needs every NLRI). Everything else yields the message and errors.
 * With `intern`, attribute bytes seen before are not parsed again: the attributes are shared (immutable);
 * so is the whole result for a small UPDATE body seen before (a reflector's one-route UPDATE).
 */
export function parseBgpUpdateBody(
  buf: Uint8Array,
  start: number,
  end: number,
  asSize: 2 | 4,
  intern?: BgpAttrIntern,
): BgpResult<BgpUpdateParsed> {
  const shared = intern?.findUpdate(buf, start, end, asSize);
  if (shared !== undefined) return shared;
  const r = parseBody(buf, start, end, asSize, intern);
  intern?.keepUpdate(buf, start, end, asSize, r);
  return r;
}

function parseBody(
  buf: Uint8Array,
  start: number,
  end: number,
  asSize: 2 | 4,
  intern: BgpAttrIntern | undefined,
): BgpResult<BgpUpdateParsed> {
  const MAL = BGP_UPDATE_SUBCODE.MALFORMED_ATTRIBUTE_LIST;
  if (start + 4 > end)
    return bgpFail('length', start, 'truncated', 'UPDATE shorter than 4 bytes of body', BGP_ERR.UPDATE_MESSAGE, MAL);
  const wLen = readU16(buf, start);
  const wEnd = start + 2 + wLen;
  // RFC 4271 §6.3 / RFC 7606 §5.3: lengths that overrun the message are a Malformed Attribute List.
  if (wEnd + 2 > end)
    return bgpFail(
      'withdrawn-routes-length',
      start,
      'bad-length',
      'Withdrawn Routes Length overruns the message',
      BGP_ERR.UPDATE_MESSAGE,
      MAL,
    );
  const aLen = readU16(buf, wEnd);
  const aEnd = wEnd + 2 + aLen;
  if (aEnd > end)
    return bgpFail(
      'total-path-attribute-length',
      wEnd,
      'bad-length',
      'Total Path Attribute Length overruns the message',
      BGP_ERR.UPDATE_MESSAGE,
      MAL,
    );
  const withdrawn = parsePrefixes(buf, start + 2, wEnd);
  if (withdrawn === undefined)
    return bgpFail(
      'withdrawn-routes',
      start + 2,
      'malformed',
      'Withdrawn Routes cannot be parsed',
      BGP_ERR.UPDATE_MESSAGE,
      BGP_UPDATE_SUBCODE.INVALID_NETWORK_FIELD,
    );
  const nlri = parsePrefixes(buf, aEnd, end);
  if (nlri === undefined)
    return bgpFail(
      'nlri',
      aEnd,
      'malformed',
      'NLRI field cannot be parsed',
      BGP_ERR.UPDATE_MESSAGE,
      BGP_UPDATE_SUBCODE.INVALID_NETWORK_FIELD,
    );
  const parsed =
    intern === undefined ? parsePathAttributes(buf, wEnd + 2, aEnd, asSize) : intern.parse(buf, wEnd + 2, aEnd, asSize);
  const { attrs, seen, overrun } = parsed;
  // an interned parse has no errors and is shared: missing-attribute errors go in a list of our own, made
  // only when there is one
  let errors = parsed.errors.length === 0 ? undefined : parsed.errors;
  const announces = nlri.length > 0 || attrs.mpReach !== undefined;
  // RFC 7606 §4: an overrun attribute list can be treated as withdraw only when the routes are known; with
  // no NLRI, no withdrawn routes and no MP attribute parsed before the overrun, there is nothing to act on.
  const overrunError = overrun === undefined ? undefined : errors?.[overrun];
  if (
    overrunError !== undefined &&
    nlri.length === 0 &&
    withdrawn.length === 0 &&
    attrs.mpReach === undefined &&
    attrs.mpUnreach === undefined
  ) {
    overrunError.action = 'session-reset';
  }
  if (announces) {
    // RFC 7606 §3 d: a missing well-known mandatory attribute: treat-as-withdraw. NEXT_HOP is mandatory
    // only with routes in the NLRI field (RFC 4760 §3 moves it into MP_REACH for the others).
    if (!seen.has(BGP_ATTR.ORIGIN)) (errors ??= []).push(missingAttribute(BGP_ATTR.ORIGIN));
    if (!seen.has(BGP_ATTR.AS_PATH)) (errors ??= []).push(missingAttribute(BGP_ATTR.AS_PATH));
    if (nlri.length > 0 && !seen.has(BGP_ATTR.NEXT_HOP)) (errors ??= []).push(missingAttribute(BGP_ATTR.NEXT_HOP));
  }
  const message: BgpUpdate = { type: 'update', withdrawn, attrs, nlri };
  const length = BGP_HEADER_LEN + end - start;
  return errors === undefined
    ? { ok: true, value: { message, length, attrErrors: NO_ATTR_ERRORS, action: 'none' } }
    : { ok: true, value: { message, length, attrErrors: errors, action: mostSevere(errors.map((e) => e.action)) } };
}

/** RFC 7606 §3 d: the finding for a well-known mandatory attribute the UPDATE lacks. */
function missingAttribute(m: number): BgpAttrError {
  return {
    attr: m,
    action: 'treat-as-withdraw',
    code: BGP_ERR.UPDATE_MESSAGE,
    subcode: BGP_UPDATE_SUBCODE.MISSING_WELL_KNOWN_ATTRIBUTE,
    data: Uint8Array.of(m),
    reason: `missing well-known attribute ${m}`,
  };
}

/** The UPDATE body bytes (after the header) with `asSize`-octet AS numbers. */
export function encodeBgpUpdateBody(u: BgpUpdate, asSize: 2 | 4): Uint8Array {
  const w = encodePrefixes(u.withdrawn);
  const a = encodePathAttributes(u.attrs, asSize);
  const n = encodePrefixes(u.nlri);
  const out = new Uint8Array(4 + w.length + a.length + n.length);
  writeU16(out, 0, w.length);
  out.set(w, 2);
  writeU16(out, 2 + w.length, a.length);
  out.set(a, 4 + w.length);
  out.set(n, 4 + w.length + a.length);
  return out;
}

/**
 * A whole UPDATE message, header included, announcing `nlri` with Path Attributes already encoded
 * (`encodePathAttributes`) and no withdrawn routes: the same bytes as emitBgpMessage of that UPDATE, in
 * one buffer, so a sender that splits many prefixes over several messages encodes the attributes once.
 * Throws RangeError past 4,096 bytes (a caller bug, as emitBgpMessage does).
 */
export function emitBgpUpdateWithAttrBytes(attrBytes: Uint8Array, nlri: readonly Ipv4Prefix[]): Uint8Array {
  let nlriLen = 0;
  for (let i = 0; i < nlri.length; i++) nlriLen += prefixWireLen(nlri[i]!);
  const len = BGP_HEADER_LEN + 4 + attrBytes.length + nlriLen;
  if (len > BGP_MAX_MESSAGE_LEN) throw new RangeError(`bgp: update of ${len} bytes exceeds ${BGP_MAX_MESSAGE_LEN}`);
  const out = new Uint8Array(len);
  out.fill(0xff, 0, 16);
  writeU16(out, 16, len);
  out[18] = BGP_TYPE.UPDATE;
  // Withdrawn Routes Length stays 0 (bytes 19-20); then Total Path Attribute Length
  writeU16(out, BGP_HEADER_LEN + 2, attrBytes.length);
  out.set(attrBytes, BGP_HEADER_LEN + 4);
  let off = BGP_HEADER_LEN + 4 + attrBytes.length;
  for (let i = 0; i < nlri.length; i++) off = writePrefix(out, off, nlri[i]!);
  return out;
}
