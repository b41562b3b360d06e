/**
 * One HTTP/1.1 header section, parsed (RFC 9112 §2-§6): the start line (request line or status line),
 * the field lines, and what they imply: how the body is delimited, whether the connection persists, the
 * Host. Pure functions over a byte range holding exactly one header section; finding where a section ends
 * and reading bodies is the incremental parser's job (parser.ts).
 *
 * Strictness (requests are checked as a server must, responses as a client may): a bare CR, a NUL, a
 * field line starting with whitespace (obs-fold), whitespace before a field's colon, a missing or repeated
 * Host in HTTP/1.1, differing Content-Lengths, Transfer-Encoding together with Content-Length, and a
 * Transfer-Encoding whose last coding is not chunked are all 400. A response with obs-fold has it replaced
 * by a space, as RFC 9112 §5.2 lets a user agent do.
 */
import {
  fieldTokens,
  fieldValues,
  isTchar,
  isToken,
  latin1,
  type HttpError,
  type HttpField,
  type HttpFraming,
  type HttpLimits,
  type HttpRequestHead,
  type HttpResponseHead,
} from './message.js';

/** A parse result: the value, or the error with the status to answer. */
export type HttpResult<T> = { ok: true; value: T } | { ok: false; error: HttpError };

/** Which kind of message a parser reads. */
export type HttpSide = 'request' | 'response';

/** Builds an error of `side`: a response error is always 502 (what a proxy relaying it answers). */
export function httpError(
  side: HttpSide,
  status: number,
  field: string,
  offset: number,
  reason: string,
): { ok: false; error: HttpError } {
  return {
    ok: false,
    error: { protocol: 'HTTP', field, offset, code: 'malformed', reason, status: side === 'response' ? 502 : status },
  };
}

/** The lines of a header section `bytes[0..len)`, ending at the empty line (the terminator is excluded). */
interface Lines {
  lines: string[];
  /** Offset of each line in the section, for errors. */
  offsets: number[];
}

/** Splits a header section into lines (CRLF, or a bare LF as RFC 9112 §2.2 allows); rejects NUL and bare CR. */
function splitLines(side: HttpSide, bytes: Uint8Array, base: number): HttpResult<Lines> {
  const lines: string[] = [];
  const offsets: number[] = [];
  let p = 0;
  while (p < bytes.length) {
    let lf = bytes.indexOf(10, p);
    if (lf < 0) lf = bytes.length; // the caller passes whole lines; be safe
    let end = lf;
    if (end > p && bytes[end - 1] === 13) end--;
    for (let i = p; i < end; i++) {
      // RFC 9112 §2.2: a bare CR is invalid; RFC 9110 §5.5: NUL in a field is dangerous
      if (bytes[i] === 13) return httpError(side, 400, 'line', base + i, 'bare CR in the header section');
      if (bytes[i] === 0) return httpError(side, 400, 'line', base + i, 'NUL in the header section');
    }
    if (end === p) break; // the empty line ending the section
    lines.push(latin1(bytes, p, end));
    offsets.push(base + p);
    p = lf + 1;
  }
  return { ok: true, value: { lines, offsets } };
}

/**
 * Parses field lines (RFC 9112 §5). Requests reject obs-fold; responses unfold it into one space. Field
 * values are trimmed of OWS and may not hold control characters other than HTAB.
 */
export function parseFieldLines(
  side: HttpSide,
  lines: readonly string[],
  offsets: readonly number[],
): HttpResult<HttpField[]> {
  const fields: { name: string; value: string }[] = [];
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k]!;
    const at = offsets[k]!;
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      // RFC 9112 §5.2 obs-fold; §2.2: whitespace before the first field is invalid too
      if (side === 'request' || fields.length === 0)
        return httpError(side, 400, 'obs-fold', at, 'field line starts with whitespace (obsolete line folding)');
      const prev = fields[fields.length - 1]!;
      const more = trimOws(line);
      if (!validValue(more)) return httpError(side, 400, 'field-value', at, 'control character in a field value');
      prev.value = prev.value === '' ? more : more === '' ? prev.value : `${prev.value} ${more}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) return httpError(side, 400, 'field-line', at, 'field line without a colon');
    const name = line.slice(0, colon);
    if (name.length === 0) return httpError(side, 400, 'field-name', at, 'empty field name');
    if (!isToken(name)) {
      const ws = /[ \t]$/.test(name);
      // RFC 9112 §5.1: whitespace between name and colon MUST be answered with 400
      return httpError(
        side,
        400,
        'field-name',
        at,
        ws ? 'whitespace between field name and colon' : `invalid character in field name ${JSON.stringify(name)}`,
      );
    }
    const value = trimOws(line.slice(colon + 1));
    if (!validValue(value))
      return httpError(side, 400, 'field-value', at + colon + 1, `control character in the value of ${name}`);
    fields.push({ name, value });
  }
  return { ok: true, value: fields };
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return s.slice(a, b);
}

/** RFC 9110 §5.5: field-vchar / SP / HTAB / obs-text; other controls (and DEL) are rejected. */
function validValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
  }
  return true;
}

/** "HTTP/d.d" → the two digits, or undefined. */
function versionDigits(v: string): [number, number] | undefined {
  const m = /^HTTP\/([0-9])\.([0-9])$/.exec(v);
  return m === null ? undefined : [Number(m[1]), Number(m[2])];
}

/** The Content-Length of `fields`: undefined when absent, NaN when invalid or the values differ. */
function contentLength(fields: readonly HttpField[]): number | undefined {
  const values = fieldValues(fields, 'content-length');
  if (values.length === 0) return undefined;
  let n: number | undefined;
  for (const v of values) {
    // RFC 9110 §8.6: a list of identical values ("42, 42") may stand for one
    for (const part of v.split(',')) {
      const t = part.trim();
      if (!/^[0-9]+$/.test(t) || t.length > 15) return Number.NaN;
      const x = Number(t);
      if (n !== undefined && n !== x) return Number.NaN;
      n = x;
    }
  }
  return n;
}

/** Host = uri-host [ ":" port ] (RFC 9110 §7.2): reg-name, IPv4 or [IP-literal] characters only. */
function validHost(h: string): boolean {
  return /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(:[0-9]*)?$/.test(h);
}

/** RFC 9112 §3.2: the request-target forms and the methods they go with. */
function validTarget(method: string, target: string): boolean {
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  if (method === 'CONNECT') return /^[^/?#]+:[0-9]+$/.test(target); // authority-form
  if (target === '*') return method === 'OPTIONS'; // asterisk-form
  return target.startsWith('/') || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(target); // origin-form, absolute-form
}

/**
 * Parses a request header section `bytes` (start line through the line before the empty line; the empty
 * line may be included). `base` is its offset in the message, for errors.
 */
export function parseRequestHead(
  bytes: Uint8Array,
  headerBytes: number,
  limits: HttpLimits,
  base = 0,
): HttpResult<HttpRequestHead> {
  const side = 'request';
  const split = splitLines(side, bytes, base);
  if (!split.ok) return split;
  const { lines, offsets } = split.value;
  const start = lines[0];
  if (start === undefined) return httpError(side, 400, 'request-line', base, 'empty request');
  const sp1 = start.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : start.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0)
    return httpError(side, 400, 'request-line', base, 'request line is not "method SP request-target SP HTTP-version"');
  const method = start.slice(0, sp1);
  const target = start.slice(sp1 + 1, sp2);
  const version = start.slice(sp2 + 1);
  if (!isToken(method)) return httpError(side, 400, 'method', base, `method ${JSON.stringify(method)} is not a token`);
  if (target === '' || !validTarget(method, target))
    return httpError(side, 400, 'request-target', base + sp1 + 1, `invalid request-target ${JSON.stringify(target)}`);
  const digits = versionDigits(version);
  if (digits === undefined)
    return httpError(side, 400, 'HTTP-version', base + sp2 + 1, `invalid HTTP-version ${JSON.stringify(version)}`);
  // RFC 9110 §15.6.6: a major version we do not speak
  if (digits[0] !== 1)
    return httpError(side, 505, 'HTTP-version', base + sp2 + 1, `HTTP major version ${digits[0]} is not supported`);
  const minor = digits[1];
  const parsed = parseFieldLines(side, lines.slice(1), offsets.slice(1));
  if (!parsed.ok) return parsed;
  const fields = parsed.value;

  const hosts = fieldValues(fields, 'host');
  // RFC 9112 §3.2: a 1.1 request without Host, or with more than one, gets 400
  if (minor >= 1 && hosts.length === 0) return httpError(side, 400, 'Host', base, 'HTTP/1.1 request without Host');
  if (hosts.length > 1) return httpError(side, 400, 'Host', base, 'more than one Host field');
  const host = hosts[0] ?? '';
  if (!validHost(host)) return httpError(side, 400, 'Host', base, `invalid Host ${JSON.stringify(host)}`);

  const te = fieldTokens(fields, 'transfer-encoding');
  const cl = contentLength(fields);
  let framing: HttpFraming;
  if (te.length > 0 || fieldValues(fields, 'transfer-encoding').length > 0) {
    // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing
    if (minor === 0) return httpError(side, 400, 'Transfer-Encoding', base, 'Transfer-Encoding in an HTTP/1.0 request');
    // RFC 9112 §6.3 item 3: both present may be a smuggling attempt; we reject
    if (cl !== undefined)
      return httpError(side, 400, 'Transfer-Encoding', base, 'both Transfer-Encoding and Content-Length');
    const codings = te.map((t) => t.split(';')[0]!.trim());
    // RFC 9112 §6.3 item 4: chunked must be the final coding of a request, and only once (§7)
    if (codings[codings.length - 1] !== 'chunked')
      return httpError(
        side,
        400,
        'Transfer-Encoding',
        base,
        `final transfer coding is ${JSON.stringify(codings[codings.length - 1] ?? '')}, not chunked`,
      );
    if (codings.filter((c) => c === 'chunked').length > 1)
      return httpError(side, 400, 'Transfer-Encoding', base, 'chunked applied more than once');
    // RFC 9112 §6.1: a transfer coding we do not understand is 501
    const other = codings.find((c) => c !== 'chunked');
    if (other !== undefined)
      return httpError(
        side,
        501,
        'Transfer-Encoding',
        base,
        `transfer coding ${JSON.stringify(other)} is not implemented`,
      );
    framing = { kind: 'chunked' };
  } else if (cl !== undefined) {
    if (Number.isNaN(cl)) return httpError(side, 400, 'Content-Length', base, 'invalid or conflicting Content-Length');
    if (cl > limits.maxBodyBytes)
      return httpError(
        side,
        413,
        'Content-Length',
        base,
        `body of ${cl} bytes exceeds the limit of ${limits.maxBodyBytes}`,
      );
    framing = cl === 0 ? { kind: 'none' } : { kind: 'length', length: cl };
  } else {
    framing = { kind: 'none' }; // RFC 9112 §6.3 item 7: a request without either has no body
  }

  const expect = fieldTokens(fields, 'expect');
  const conn = fieldTokens(fields, 'connection');
  const keepAlive = !conn.includes('close') && (minor >= 1 || conn.includes('keep-alive'));
  return {
    ok: true,
    value: {
      method,
      target,
      version,
      minor,
      fields,
      host,
      expectContinue: expect.includes('100-continue'),
      keepAlive,
      framing,
      lines,
      headerBytes,
    },
  };
}

/** Request methods whose 2xx responses carry no body of their own (HEAD: never; CONNECT: becomes a tunnel). */
function noBodyFor(method: string, status: number): boolean {
  return (
    method === 'HEAD' ||
    (status >= 100 && status < 200) ||
    status === 204 ||
    status === 304 ||
    (method === 'CONNECT' && status >= 200 && status < 300)
  );
}

/** Parses a response header section; `method` is that of the request it answers (HEAD has no body). */
export function parseResponseHead(
  bytes: Uint8Array,
  headerBytes: number,
  method: string,
  base = 0,
): HttpResult<HttpResponseHead> {
  const side = 'response';
  const split = splitLines(side, bytes, base);
  if (!split.ok) return split;
  const { lines, offsets } = split.value;
  const start = lines[0] ?? '';
  const m = /^(HTTP\/([0-9])\.([0-9])) ([0-9]{3})(?: (.*))?$/.exec(start);
  if (m === null)
    return httpError(
      side,
      502,
      'status-line',
      base,
      `not an HTTP/1.x status line: ${JSON.stringify(start.slice(0, 40))}`,
    );
  if (m[2] !== '1') return httpError(side, 502, 'HTTP-version', base, `HTTP major version ${m[2]} is not supported`);
  const status = Number(m[4]);
  if (status < 100) return httpError(side, 502, 'status-code', base + 9, `status code ${m[4]} below 100`);
  const reason = m[5] ?? '';
  if (!validValue(reason))
    return httpError(side, 502, 'reason-phrase', base + 13, 'control character in the reason phrase');
  const minor = Number(m[3]);
  const parsed = parseFieldLines(side, lines.slice(1), offsets.slice(1));
  if (!parsed.ok) return parsed;
  const fields = parsed.value;

  const conn = fieldTokens(fields, 'connection');
  let keepAlive = !conn.includes('close') && (minor >= 1 || conn.includes('keep-alive'));
  let framing: HttpFraming;
  const te = fieldTokens(fields, 'transfer-encoding').map((t) => t.split(';')[0]!.trim());
  const cl = contentLength(fields);
  if (noBodyFor(method, status)) {
    framing = { kind: 'none' };
  } else if (te.length > 0) {
    // RFC 9112 §6.3 item 3: Transfer-Encoding overrides Content-Length, and the connection must close after
    if (cl !== undefined) keepAlive = false;
    if (te[te.length - 1] === 'chunked') framing = { kind: 'chunked' };
    else {
      framing = { kind: 'close' };
      keepAlive = false;
    }
  } else if (cl !== undefined) {
    // RFC 9112 §6.3 item 5: an invalid Content-Length in a response is unrecoverable
    if (Number.isNaN(cl)) return httpError(side, 502, 'Content-Length', base, 'invalid or conflicting Content-Length');
    framing = cl === 0 ? { kind: 'none' } : { kind: 'length', length: cl };
  } else {
    framing = { kind: 'close' }; // item 8: read until the connection closes
    keepAlive = false;
  }
  return { ok: true, value: { version: m[1]!, minor, status, reason, fields, keepAlive, framing, lines, headerBytes } };
}

/**
 * RFC 9112 §7.1.1 chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), the value a
 * token or a quoted-string (RFC 9110 §5.6.4). Extensions are then ignored, as the RFC requires.
 */
export function validChunkExt(s: string): boolean {
  let i = 0;
  const n = s.length;
  const ws = (): void => {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const token = (): boolean => {
    const from = i;
    while (i < n && isTchar(s.charCodeAt(i))) i++;
    return i > from;
  };
  for (;;) {
    ws();
    if (i === n) return true;
    if (s[i] !== ';') return false;
    i++;
    ws();
    if (!token()) return false;
    ws();
    if (i < n && s[i] === '=') {
      i++;
      ws();
      if (s[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) return false;
          const c = s.charCodeAt(i);
          if (c === 0x22) break;
          if (c === 0x5c)
            i++; // quoted-pair
          else if (c < 0x20 ? c !== 0x09 : c === 0x7f) return false;
          i++;
        }
        i++;
      } else if (!token()) return false;
    }
  }
}
