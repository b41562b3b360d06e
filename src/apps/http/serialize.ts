/**
 * Writing HTTP/1.1 messages (RFC 9112): a start line, the field lines in the order given, the empty
 * line, and the body either as is (with Content-Length) or in the chunked transfer coding (§7.1) with
 * optional trailer fields. Fields are written exactly as given; the serializer adds only the framing
 * field the body needs when the caller did not write one. Invalid names or values are caller bugs and
 * throw; parsing is parser.ts.
 */
import { concatBytes, fieldValues, isToken, latin1Bytes, reasonPhrase, type HttpField } from './message.js';

/** Fields as a list of pairs or field objects. */
export type FieldsInit = readonly HttpField[] | readonly (readonly [string, string])[];

/** A request to write. */
export interface HttpRequestOut {
  method: string;
  target: string;
  /** Default "HTTP/1.1". */
  version?: string;
  fields: FieldsInit;
  body?: Uint8Array;
  /** Send the body in the chunked coding (adds "Transfer-Encoding: chunked" if absent). */
  chunked?: boolean;
  /** Trailer fields after a chunked body. */
  trailers?: FieldsInit;
}

/** A response to write. */
export interface HttpResponseOut {
  status: number;
  /** Default: the RFC 9110 phrase. */
  reason?: string;
  /** Default "HTTP/1.1". */
  version?: string;
  fields: FieldsInit;
  body?: Uint8Array;
  chunked?: boolean;
  trailers?: FieldsInit;
  /** Write the head only, describing a body that is not sent (the answer to HEAD, RFC 9110 §9.3.2). */
  headOnly?: boolean;
}

/** Normalises a fields argument. */
export function toFields(init: FieldsInit | undefined): HttpField[] {
  if (init === undefined) return [];
  return init.map((f) =>
    Array.isArray(f)
      ? { name: (f as readonly [string, string])[0], value: (f as readonly [string, string])[1] }
      : (f as HttpField),
  );
}

function checkField(f: HttpField): void {
  if (!isToken(f.name)) throw new Error(`http: invalid field name ${JSON.stringify(f.name)}`);
  // RFC 9110 §5.5: CR, LF and NUL never appear in a field value
  if (/[\r\n\0]/.test(f.value)) throw new Error(`http: CR, LF or NUL in the value of ${f.name}`);
}

/** The bytes of a header section: `startLine`, the fields, the empty line. */
export function serializeHead(startLine: string, fields: readonly HttpField[]): Uint8Array {
  let text = `${startLine}\r\n`;
  for (const f of fields) {
    checkField(f);
    text += `${f.name}: ${f.value}\r\n`;
  }
  return latin1Bytes(`${text}\r\n`);
}

/** A body in the chunked coding: chunks of at most `chunkSize` bytes, the last-chunk, trailers, CRLF. */
export function encodeChunked(
  body: Uint8Array,
  chunkSize = Math.max(1, body.length),
  trailers: FieldsInit = [],
): Uint8Array {
  if (!(chunkSize >= 1)) throw new RangeError(`http: chunk size ${chunkSize}`);
  const parts: Uint8Array[] = [];
  for (let off = 0; off < body.length; off += chunkSize) {
    const n = Math.min(chunkSize, body.length - off);
    parts.push(latin1Bytes(`${n.toString(16)}\r\n`), body.subarray(off, off + n), CRLF);
  }
  let tail = '0\r\n';
  for (const f of toFields(trailers)) {
    checkField(f);
    tail += `${f.name}: ${f.value}\r\n`;
  }
  parts.push(latin1Bytes(`${tail}\r\n`));
  return concatBytes(parts);
}

const CRLF = Uint8Array.of(13, 10);

/** Adds the framing field a body needs unless one is there. */
function framed(
  fields: HttpField[],
  body: Uint8Array | undefined,
  chunked: boolean,
  lengthAlways: boolean,
): HttpField[] {
  const hasTe = fieldValues(fields, 'transfer-encoding').length > 0;
  const hasCl = fieldValues(fields, 'content-length').length > 0;
  if (chunked) return hasTe ? fields : [...fields, { name: 'Transfer-Encoding', value: 'chunked' }];
  if (hasTe || hasCl) return fields;
  if (body === undefined && !lengthAlways) return fields;
  return [...fields, { name: 'Content-Length', value: String(body?.length ?? 0) }];
}

/** The bytes of a request; a body gets Content-Length (or the chunked coding) unless the fields frame it. */
export function serializeRequest(r: HttpRequestOut): Uint8Array {
  if (!isToken(r.method)) throw new Error(`http: invalid method ${JSON.stringify(r.method)}`);
  if (/[\s]/.test(r.target) || r.target === '')
    throw new Error(`http: invalid request-target ${JSON.stringify(r.target)}`);
  const chunked = r.chunked === true;
  const fields = framed(toFields(r.fields), r.body, chunked, false);
  const head = serializeHead(`${r.method} ${r.target} ${r.version ?? 'HTTP/1.1'}`, fields);
  const body = r.body ?? new Uint8Array(0);
  return concatBytes([head, chunked ? encodeChunked(body, undefined, r.trailers) : body]);
}

/** True when a response with `status` has no body (RFC 9110 §6.4.1: 1xx, 204, 304). */
export function statusHasNoBody(status: number): boolean {
  return (status >= 100 && status < 200) || status === 204 || status === 304;
}

/**
 * The bytes of a response. Unless the fields frame the body, Content-Length is added (for 1xx, 204 and
 * 304 nothing is: they have no body).
 */
export function serializeResponse(r: HttpResponseOut): Uint8Array {
  if (!(Number.isInteger(r.status) && r.status >= 100 && r.status <= 999))
    throw new Error(`http: invalid status ${r.status}`);
  const reason = r.reason ?? reasonPhrase(r.status);
  if (/[\r\n\0]/.test(reason)) throw new Error('http: CR, LF or NUL in the reason phrase');
  const noBody = statusHasNoBody(r.status);
  const chunked = r.chunked === true && !noBody;
  const fields = noBody ? toFields(r.fields) : framed(toFields(r.fields), r.body, chunked, true);
  const head = serializeHead(`${r.version ?? 'HTTP/1.1'} ${r.status} ${reason}`, fields);
  if (noBody || r.headOnly === true) return head;
  const body = r.body ?? new Uint8Array(0);
  return concatBytes([head, chunked ? encodeChunked(body, undefined, r.trailers) : body]);
}
