/**
 * BGP-4 messages (RFC 4271 §4): the 19-byte header and the OPEN (with RFC 5492 capabilities), NOTIFICATION,
 * KEEPALIVE and ROUTE-REFRESH (RFC 2918, RFC 7313) bodies; UPDATE is bgp-update.ts and bgp-attrs.ts, the
 * numbers bgp-codes.ts. Pure and stateless: what the session negotiated (4-octet AS) comes in a
 * `BgpCodecCtx`. Parse errors carry the NOTIFICATION (code, subcode, data) the receiver must send
 * (RFC 4271 §6.1, §6.2). The speaker (FSM, RIBs) is control/bgp.
 */
import { readU16, writeU16 } from './bytes.js';
import type { BgpAttrIntern } from './bgp-attr-intern.js';
import { type BgpAttrError, type BgpUpdateAction, NO_ATTR_ERRORS } from './bgp-attr-types.js';
import {
  BGP_ERR,
  BGP_HEADER_LEN,
  BGP_HEADER_SUBCODE,
  BGP_MAX_MESSAGE_LEN,
  BGP_ROUTE_REFRESH_SUBCODE,
  BGP_TYPE,
  type BgpError,
  type BgpResult,
  bgpFail,
} from './bgp-codes.js';
import { type BgpOpen, emitOpenBody, parseOpenBody } from './bgp-open.js';
import { type BgpUpdate, encodeBgpUpdateBody, parseBgpUpdateBody } from './bgp-update.js';

export * from './bgp-codes.js';
export * from './bgp-attr-types.js';
export * from './bgp-attrs.js';
export * from './bgp-attrs-emit.js';
export * from './bgp-open.js';
export * from './bgp-prefix.js';
export * from './bgp-update.js';

/** What the session negotiated that changes the encoding. */
export interface BgpCodecCtx {
  /** Both sides sent the 4-octet AS capability (RFC 6793 §3): AS_PATH and AGGREGATOR carry 4-octet ASNs. */
  fourOctetAs: boolean;
  /** Where parsed attribute sets are shared (bgp-attr-intern.ts); none: every UPDATE is parsed afresh. */
  attrIntern?: BgpAttrIntern;
}

/** A NOTIFICATION (RFC 4271 §4.5). */
export interface BgpNotification {
  type: 'notification';
  code: number;
  subcode: number;
  data: Uint8Array;
}

/** A KEEPALIVE (RFC 4271 §4.4): the header alone. */
export interface BgpKeepalive {
  type: 'keepalive';
}

/** A ROUTE-REFRESH (RFC 2918 §3); subtype 0 request, 1 BoRR, 2 EoRR (RFC 7313 §3). */
export interface BgpRouteRefresh {
  type: 'route-refresh';
  afi: number;
  safi: number;
  subtype: number;
}

export type { BgpUpdate } from './bgp-update.js';

/** Any BGP message. */
export type BgpMessage = BgpOpen | BgpUpdate | BgpNotification | BgpKeepalive | BgpRouteRefresh;

/** A parsed message: the message, its length on the wire, and for an UPDATE its RFC 7606 findings. */
export interface BgpParsed {
  message: BgpMessage;
  /** Bytes consumed (the header's Length). */
  length: number;
  /** RFC 7606 errors in an UPDATE's attributes (empty for other messages); shared, not to be changed. */
  attrErrors: readonly BgpAttrError[];
  /** The most severe of their actions (RFC 7606 §3 h), 'none' when there are none. */
  action: BgpUpdateAction | 'none';
}

const TYPE_CODE: Record<BgpMessage['type'], number> = {
  open: BGP_TYPE.OPEN,
  update: BGP_TYPE.UPDATE,
  notification: BGP_TYPE.NOTIFICATION,
  keepalive: BGP_TYPE.KEEPALIVE,
  'route-refresh': BGP_TYPE.ROUTE_REFRESH,
};

/** Smallest Length of each type (RFC 4271 §4.2–4.5, §6.1; RFC 2918 §3). */
const MIN_LEN: Record<number, number> = { 1: 29, 2: 23, 3: 21, 4: 19, 5: 23 };

function markerOk(bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 16; i++) if (bytes[offset + i] !== 0xff) return false;
  return true;
}

/**
 * For framing a TCP byte stream: undefined until 19 bytes are there, then the Length field. When the
 * header is already wrong (marker, Length outside 19..4096) it returns 19, so the caller hands just the
 * header to parseBgpMessage, which reports the error and its NOTIFICATION, instead of waiting for bytes.
 */
export function bgpMessageLength(bytes: Uint8Array, offset: number): number | undefined {
  if (bytes.length - offset < BGP_HEADER_LEN) return undefined;
  const len = readU16(bytes, offset + 16);
  if (!markerOk(bytes, offset) || len < BGP_HEADER_LEN || len > BGP_MAX_MESSAGE_LEN) return BGP_HEADER_LEN;
  return len;
}

function bodyOf(msg: BgpMessage, ctx: BgpCodecCtx): Uint8Array {
  switch (msg.type) {
    case 'open':
      return emitOpenBody(msg);
    case 'update':
      return encodeBgpUpdateBody(msg, ctx.fourOctetAs ? 4 : 2);
    case 'notification': {
      const out = new Uint8Array(2 + msg.data.length);
      out[0] = msg.code;
      out[1] = msg.subcode;
      out.set(msg.data, 2);
      return out;
    }
    case 'keepalive':
      return new Uint8Array(0);
    case 'route-refresh': {
      const out = new Uint8Array(4);
      writeU16(out, 0, msg.afi);
      out[2] = msg.subtype;
      out[3] = msg.safi;
      return out;
    }
  }
}

/** The message on the wire: 16 0xff marker, Length, Type, body. Throws past 4096 bytes (a caller bug). */
export function emitBgpMessage(msg: BgpMessage, ctx: BgpCodecCtx): Uint8Array {
  const body = bodyOf(msg, ctx);
  const len = BGP_HEADER_LEN + body.length;
  if (len > BGP_MAX_MESSAGE_LEN)
    throw new RangeError(`bgp: ${msg.type} of ${len} bytes exceeds ${BGP_MAX_MESSAGE_LEN}`);
  const out = new Uint8Array(len);
  out.fill(0xff, 0, 16);
  writeU16(out, 16, len);
  out[18] = TYPE_CODE[msg.type];
  out.set(body, BGP_HEADER_LEN);
  return out;
}

/** A message other than an UPDATE, parsed: no attribute findings. */
function parsedOk(message: BgpMessage, length: number): BgpResult<BgpParsed> {
  return { ok: true, value: { message, length, attrErrors: NO_ATTR_ERRORS, action: 'none' } };
}

/** RFC 4271 §6.1: Bad Message Length carries the erroneous Length field as Data. */
function badLength(bytes: Uint8Array, offset: number, reason: string): { ok: false; error: BgpError } {
  return bgpFail(
    'length',
    offset + 16,
    'bad-length',
    reason,
    BGP_ERR.MESSAGE_HEADER,
    BGP_HEADER_SUBCODE.BAD_MESSAGE_LENGTH,
    bytes.slice(offset + 16, offset + 18),
  );
}

/**
 * Parses the message at `offset`, seeing no byte at or past `end` (a stream's buffer may hold the next
 * message there). Never throws. On failure the error's `notification` is what RFC 4271 §6 says to send
 * before closing. An UPDATE with malformed attributes still parses: act on `action`.
 */
export function parseBgpMessage(
  bytes: Uint8Array,
  offset: number,
  ctx: BgpCodecCtx,
  end = bytes.length,
): BgpResult<BgpParsed> {
  const HDR = BGP_ERR.MESSAGE_HEADER;
  if (offset < 0 || end - offset < BGP_HEADER_LEN) {
    return bgpFail('header', offset, 'truncated', 'fewer than 19 bytes', HDR, BGP_HEADER_SUBCODE.BAD_MESSAGE_LENGTH);
  }
  // RFC 4271 §6.1: a marker that is not all ones: Connection Not Synchronized.
  if (!markerOk(bytes, offset))
    return bgpFail(
      'marker',
      offset,
      'bad-value',
      'marker is not all ones',
      HDR,
      BGP_HEADER_SUBCODE.CONNECTION_NOT_SYNCHRONIZED,
    );
  const len = readU16(bytes, offset + 16);
  const type = bytes[offset + 18]!;
  if (len < BGP_HEADER_LEN || len > BGP_MAX_MESSAGE_LEN)
    return badLength(bytes, offset, `Length ${len} outside 19..4096`);
  const min = MIN_LEN[type];
  // RFC 4271 §6.1: Bad Message Type carries the erroneous Type field as Data.
  if (min === undefined)
    return bgpFail(
      'type',
      offset + 18,
      'bad-value',
      `message type ${type}`,
      HDR,
      BGP_HEADER_SUBCODE.BAD_MESSAGE_TYPE,
      Uint8Array.of(type),
    );
  if (len < min || (type === BGP_TYPE.KEEPALIVE && len !== BGP_HEADER_LEN))
    return badLength(bytes, offset, `Length ${len} wrong for type ${type}`);
  if (end - offset < len) return badLength(bytes, offset, `Length ${len} but only ${end - offset} bytes`);
  const s = offset + BGP_HEADER_LEN;
  const e = offset + len;
  switch (type) {
    case BGP_TYPE.OPEN: {
      const r = parseOpenBody(bytes, s, e);
      return r.ok ? parsedOk(r.value, len) : r;
    }
    case BGP_TYPE.UPDATE: {
      return parseBgpUpdateBody(bytes, s, e, ctx.fourOctetAs ? 4 : 2, ctx.attrIntern);
    }
    case BGP_TYPE.NOTIFICATION:
      return parsedOk(
        { type: 'notification', code: bytes[s]!, subcode: bytes[s + 1]!, data: bytes.slice(s + 2, e) },
        len,
      );
    case BGP_TYPE.KEEPALIVE:
      return parsedOk({ type: 'keepalive' }, len);
    default: {
      // ROUTE-REFRESH: RFC 7313 §5: a body that is not 4 bytes is ROUTE-REFRESH Message Error / Invalid
      // Message Length, with the whole message as Data.
      if (len !== 23)
        return bgpFail(
          'length',
          offset + 16,
          'bad-length',
          `ROUTE-REFRESH Length ${len}`,
          BGP_ERR.ROUTE_REFRESH_MESSAGE,
          BGP_ROUTE_REFRESH_SUBCODE.INVALID_MESSAGE_LENGTH,
          bytes.slice(offset, e),
        );
      return parsedOk(
        { type: 'route-refresh', afi: readU16(bytes, s), subtype: bytes[s + 2]!, safi: bytes[s + 3]! },
        len,
      );
    }
  }
}
