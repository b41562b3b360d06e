/**
 * HTTP/1.x messages (RFC 9112): the request or status line split into its parts, each header line (named
 * as tshark names the headers it knows), the blank line, and the body as file data. One segment is read
 * alone: a message split over segments shows what this segment holds.
 */
import { field, latin1, layer, u8 } from './build.js';
import { push, type DissectContext } from './context.js';
import type { DissectedField } from './types.js';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'];

// header name (lower case) -> tshark field
const HEADERS: Record<string, string> = {
  host: 'http.host',
  'user-agent': 'http.user_agent',
  accept: 'http.accept',
  'accept-encoding': 'http.accept_encoding',
  'accept-language': 'http.accept_language',
  'content-type': 'http.content_type',
  'content-length': 'http.content_length_header',
  'content-encoding': 'http.content_encoding',
  date: 'http.date',
  server: 'http.server',
  connection: 'http.connection',
  location: 'http.location',
  'cache-control': 'http.cache_control',
  cookie: 'http.cookie',
  'set-cookie': 'http.set_cookie',
  referer: 'http.referer',
  'transfer-encoding': 'http.transfer_encoding',
  'last-modified': 'http.last_modified',
  authorization: 'http.authorization',
  upgrade: 'http.upgrade',
  'x-forwarded-for': 'http.x_forwarded_for',
};

// RFC 9110 §15 reason phrases Wireshark names status codes with
const STATUS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** True when the bytes at `off` start like an HTTP request line or status line. */
export function looksLikeHttp(f: Uint8Array, off: number, end: number): boolean {
  const head = latin1(f, off, Math.min(end - off, 9));
  return head.startsWith('HTTP/1.') || METHODS.some((m) => head.startsWith(`${m} `));
}

/** Shows CR and LF as Wireshark's labels do ('GET / HTTP/1.1\r\n'). */
function escaped(s: string): string {
  return s.replaceAll('\r', '\\r').replaceAll('\n', '\\n');
}

/** Dissects an HTTP message (or the first part of one) at `off`. */
export function dissectHttp(c: DissectContext, off: number, end: number): void {
  const f = c.f;
  const l = push(c, layer('http', 'Hypertext Transfer Protocol', off, end - off));
  let p = off;
  let first = true;
  let request = true;
  while (p < end) {
    let e = p;
    while (e < end && u8(f, e) !== 0x0a) e++;
    if (e >= end) {
      // a line without its end: this segment stops inside the headers
      l.fields.push(field('', escaped(latin1(f, p, end - p)), p, end - p, ''));
      return;
    }
    const size = e + 1 - p;
    const line = latin1(f, p, size);
    const text = line.replace(/\r?\n$/, '');
    if (first) {
      request = !text.startsWith('HTTP/');
      l.fields.push(startLine(text, escaped(line), p, size, request));
      first = false;
    } else if (text === '') {
      l.fields.push(field('', escaped(line), p, size, ''));
      p += size;
      break;
    } else l.fields.push(headerField(text, line, p, size, request));
    p += size;
  }
  if (p < end) l.fields.push(field('http.file_data', `File Data: ${end - p} bytes`, p, end - p, latin1(f, p, end - p)));
}

function startLine(text: string, label: string, p: number, size: number, request: boolean): DissectedField {
  const parts = text.split(' ');
  const kids: DissectedField[] = [];
  if (request) {
    const [method = '', uri = '', version = ''] = parts;
    kids.push(
      field('http.request.method', `Request Method: ${method}`, p, method.length, method),
      field('http.request.uri', `Request URI: ${uri}`, p + method.length + 1, uri.length, uri),
      field(
        'http.request.version',
        `Request Version: ${version}`,
        p + method.length + uri.length + 2,
        version.length,
        version,
      ),
    );
  } else {
    const [version = '', code = ''] = parts;
    const phrase = parts.slice(2).join(' ');
    const at = p + version.length + 1;
    kids.push(
      field('http.response.version', `Response Version: ${version}`, p, version.length, version),
      field('http.response.code', `Status Code: ${code}`, at, code.length, code),
    );
    const desc = STATUS[Number(code)];
    if (desc !== undefined)
      kids.push(field('http.response.code.desc', `Status Code Description: ${desc}`, at, code.length, desc));
    kids.push(field('http.response.phrase', `Response Phrase: ${phrase}`, at + code.length + 1, phrase.length, phrase));
  }
  return field('', label, p, size, '', kids);
}

function headerField(text: string, line: string, p: number, size: number, request: boolean): DissectedField {
  const colon = text.indexOf(':');
  const name = colon < 0 ? '' : text.slice(0, colon).toLowerCase();
  const value = colon < 0 ? '' : text.slice(colon + 1).trim();
  const known = HEADERS[name];
  if (known === undefined)
    return field(request ? 'http.request.line' : 'http.response.line', escaped(line), p, size, line);
  const kids =
    known === 'http.content_length_header'
      ? [field('http.content_length', `Content length: ${value}`, p, size, value)]
      : undefined;
  return field(known, escaped(line), p, size, value, kids);
}
