/**
 * The vocabulary of podnet's HTTP/1.1 (RFC 9110 semantics, RFC 9112 syntax): header fields, the parsed
 * heads of requests and responses, how a message body is delimited, parse errors that carry the status a
 * server answers them with, the limits a server enforces, reason phrases, and IMF-fixdate (the Date
 * header) from simulated time. Parsing lives in parser.ts, serializing in serialize.ts.
 *
 * Field names and values are kept as "binary strings": one char per byte (latin1), so a field written
 * back is byte-identical to what arrived, whatever octets it held (RFC 9110 §5.5 obs-text).
 */
import { civilTime, MONTHS, twoDigits, WEEKDAYS } from '../../wire/civil-time.js';
import type { WireError } from '../../wire/result.js';

/** One header (or trailer) field line: the name as received (case kept) and the trimmed value. */
export interface HttpField {
  readonly name: string;
  readonly value: string;
}

/**
 * How the body of a message is delimited (RFC 9112 §6.3): no body, exactly `length` bytes, the chunked
 * transfer coding, or everything until the connection closes (responses only).
 */
export type HttpFraming =
  { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

/** What request and response heads share. */
export interface HttpHeadBase {
  /** "HTTP/1.1" or "HTTP/1.0" as received. */
  readonly version: string;
  /** The minor version digit (the major is always 1 once parsed). */
  readonly minor: number;
  /** The field lines, in order, duplicates kept. */
  readonly fields: HttpField[];
  /** Whether the connection stays open after this message (RFC 9112 §9.3). */
  readonly keepAlive: boolean;
  readonly framing: HttpFraming;
  /** The start line and field lines exactly as received (binary strings, no line terminators). */
  readonly lines: string[];
  /** Bytes of the header section on the wire, start line and final empty line included. */
  readonly headerBytes: number;
}

/** A parsed request line and header section. */
export interface HttpRequestHead extends HttpHeadBase {
  readonly method: string;
  /** The request-target as sent: "/path?query", "http://host/path", "host:port" (CONNECT) or "*". */
  readonly target: string;
  /** The Host field value ('' for an HTTP/1.0 request without one). */
  readonly host: string;
  /** "Expect: 100-continue" was sent (RFC 9110 §10.1.1). */
  readonly expectContinue: boolean;
}

/** A parsed status line and header section. */
export interface HttpResponseHead extends HttpHeadBase {
  readonly status: number;
  readonly reason: string;
}

/** A complete request: head, decoded body, trailer fields. */
export interface HttpRequest extends HttpRequestHead {
  readonly body: Uint8Array;
  readonly trailers: HttpField[];
}

/** A complete response: head, decoded body, trailer fields. */
export interface HttpResponse extends HttpResponseHead {
  readonly body: Uint8Array;
  readonly trailers: HttpField[];
}

/**
 * Why bytes are not a valid HTTP message. `status` is what a server answers (400, 413, 414, 431, 501,
 * 505); for a malformed response it is 502, what a proxy relaying it would answer. `offset` counts bytes
 * from the start of the message.
 */
export interface HttpError extends WireError {
  readonly status: number;
}

/** Limits a parser enforces; each overflow has its own status (RFC 9110 §15.5, RFC 6585 §5). */
export interface HttpLimits {
  /** Start line plus field lines plus the empty line (and, separately, a trailer section): over it, 431. */
  maxHeaderBytes: number;
  /** Decoded body bytes of a request: over it, 413 Content Too Large. Responses are not limited. */
  maxBodyBytes: number;
  /** A chunk-size line with its extensions: over it, 400. */
  maxChunkLineBytes: number;
}

/** Default limits: 8 KiB of header (nginx's large_client_header_buffers, Apache's LimitRequestFieldSize), 1 MiB body (nginx client_max_body_size). */
export const DEFAULT_HTTP_LIMITS: HttpLimits = { maxHeaderBytes: 8192, maxBodyBytes: 1 << 20, maxChunkLineBytes: 4096 };

/** Wall-clock ms at engine time 0 for HTTP dates: 2026-01-01T00:00:00Z (as dig's WHEN). */
export const HTTP_EPOCH_MS = 1_767_225_600_000;

/** RFC 9110 §15 reason phrases. */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Continue',
  101: 'Switching Protocols',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  206: 'Partial Content',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  411: 'Length Required',
  413: 'Content Too Large',
  414: 'URI Too Long',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

/** The reason phrase for `status` ('' for an unknown code: RFC 9112 §4 allows an empty one). */
export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? '';
}

/** The values of every field named `name` (case-insensitive), in order. */
export function fieldValues(fields: readonly HttpField[], name: string): string[] {
  const lower = name.toLowerCase();
  return fields.filter((f) => f.name.toLowerCase() === lower).map((f) => f.value);
}

/** The combined value of `name` (RFC 9110 §5.3: joined with ", "), or undefined when absent. */
export function fieldValue(fields: readonly HttpField[], name: string): string | undefined {
  const v = fieldValues(fields, name);
  return v.length === 0 ? undefined : v.join(', ');
}

/** The comma-separated list elements of every `name` field, trimmed and lower-cased (RFC 9110 §5.6.1). */
export function fieldTokens(fields: readonly HttpField[], name: string): string[] {
  const out: string[] = [];
  for (const v of fieldValues(fields, name)) {
    for (const part of v.split(',')) {
      const t = part.trim().toLowerCase();
      if (t !== '') out.push(t);
    }
  }
  return out;
}

/** RFC 9110 §5.6.2 tchar. */
export function isTchar(c: number): boolean {
  if (c >= 0x30 && c <= 0x39) return true; // DIGIT
  if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) return true; // ALPHA
  return c < 0x80 && "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c));
}

/** True when `s` is a non-empty token (methods, field names). */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTchar(s.charCodeAt(i))) return false;
  return true;
}

/** Bytes to a binary string (one char per byte). */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i += 8192) s += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 8192)));
  return s;
}

/** A binary string back to bytes. Throws on a char above 0xff (a caller bug: encode text as UTF-8 first). */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`http: char U+${c.toString(16)} in a header (encode as UTF-8 bytes first)`);
    out[i] = c;
  }
  return out;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** UTF-8 bytes of `text` (a body given as a string). */
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** `bytes` decoded as UTF-8 (malformed sequences become U+FFFD, as a terminal shows them). */
export function utf8Text(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** Joins byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** RFC 9110 §5.6.7 IMF-fixdate of a Unix time in ms: "Thu, 01 Jan 2026 00:00:00 GMT". */
export function formatHttpDate(unixMs: number): string {
  const t = civilTime(Math.floor(unixMs / 1000));
  const time = `${twoDigits(t.hour)}:${twoDigits(t.minute)}:${twoDigits(t.second)}`;
  return `${WEEKDAYS[t.weekday]}, ${twoDigits(t.day)} ${MONTHS[t.month - 1]} ${t.year} ${time} GMT`;
}

/** The Date header for engine time `nowNs` (ns since engine start) counted from `epochMs`. */
export function httpDateAt(nowNs: number, epochMs = HTTP_EPOCH_MS): string {
  return formatHttpDate(epochMs + Math.floor(nowNs / 1_000_000));
}
