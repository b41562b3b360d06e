/**
 * Incremental HTTP/1.1 parsers over a byte stream (RFC 9112): bytes go in with push() as the transport
 * delivers them, split anywhere; events come out of next(): a message head, body bytes (the chunked coding
 * already removed), the end of the message with its trailer fields, or an error carrying the status a
 * server answers it with. Messages follow one another on a connection (keep-alive and pipelining), so after
 * 'end' the next head may already be buffered. The parsers never throw on input; after an error they
 * stay failed (the connection has lost its framing and must close).
 *
 * The header section itself is parsed by head.ts; this file finds where it ends, enforces the size
 * limits (431 for a header section over maxHeaderBytes, 414 for a request line that alone is over it, 413
 * for a body over maxBodyBytes) and reads bodies by Content-Length, chunked, or until the peer closes.
 */
import {
  DEFAULT_HTTP_LIMITS,
  concatBytes,
  latin1,
  type HttpError,
  type HttpField,
  type HttpFraming,
  type HttpLimits,
  type HttpRequest,
  type HttpRequestHead,
  type HttpResponse,
  type HttpResponseHead,
} from './message.js';
import {
  httpError,
  parseFieldLines,
  parseRequestHead,
  parseResponseHead,
  validChunkExt,
  type HttpResult,
  type HttpSide,
} from './head.js';

/** What a parser yields. `data` is the parser's copy: keep it. */
export type HttpEvent<H> =
  | { readonly kind: 'head'; readonly head: H }
  | { readonly kind: 'body'; readonly data: Uint8Array }
  | { readonly kind: 'end'; readonly trailers: HttpField[] }
  | { readonly kind: 'error'; readonly error: HttpError };

type State =
  'idle' | 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'until-close' | 'failed';

/** RFC 9112 §2.2: empty lines a server skips before a request line (robustness); more is an attack. */
const MAX_LEADING_EMPTY_LINES = 8;

/** The engine shared by the request and the response parser. */
abstract class MessageParser<H extends { readonly framing: HttpFraming }> {
  readonly limits: HttpLimits;
  private buf = new Uint8Array(1024);
  private start = 0;
  private end = 0;
  private state: State = 'idle';
  private eof = false;
  private readonly queue: HttpEvent<H>[] = [];
  private failure: HttpError | undefined;
  /** Bytes of the current message consumed so far (offsets in errors count from its first byte). */
  private consumed = 0;
  /** Where the search for the end of the header section resumes, relative to `start`. */
  private scan = 0;
  private leadingEmpty = 0;
  private remaining = 0;
  private bodyBytes = 0;
  /** Messages completed. */
  messages = 0;

  constructor(
    protected readonly side: HttpSide,
    limits: Partial<HttpLimits>,
  ) {
    this.limits = { ...DEFAULT_HTTP_LIMITS, ...limits };
  }

  /** Appends bytes received from the peer (copied). */
  push(bytes: Uint8Array): void {
    if (this.state === 'failed' || bytes.length === 0) return;
    const held = this.end - this.start;
    if (this.end + bytes.length > this.buf.length) {
      if (held + bytes.length <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let cap = this.buf.length;
        while (cap < held + bytes.length) cap *= 2;
        const next = new Uint8Array(cap);
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = held;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  /** The peer closed its side: a body read until close ends, a partial message becomes an error. */
  finish(): void {
    this.eof = true;
  }

  /** True while a message is partly received (a head, a body not yet ended). */
  get inMessage(): boolean {
    return this.state !== 'idle' && this.state !== 'failed';
  }

  /** Bytes received and not yet consumed. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** The error that stopped the parser, if any. */
  get error(): HttpError | undefined {
    return this.failure;
  }

  /** The next event, or undefined when more bytes (or finish()) are needed. */
  next(): HttpEvent<H> | undefined {
    const q = this.queue.shift();
    if (q !== undefined) return q;
    if (this.failure !== undefined) return { kind: 'error', error: this.failure };
    for (;;) {
      const ev = this.step();
      if (ev !== 'again') return ev;
    }
  }

  /** Parses a header section (`bytes` without the empty line); `size` is its length on the wire. */
  protected abstract parseHead(bytes: Uint8Array, size: number): HttpResult<H>;

  private fail(status: number, field: string, at: number, reason: string): HttpEvent<H> {
    const e = httpError(this.side, status, field, this.consumed + at, reason).error;
    this.failure = e;
    this.state = 'failed';
    return { kind: 'error', error: e };
  }

  /** A header section over the limit: 414 when the request line alone is (RFC 9110 §15.5.15), else 431 (RFC 6585 §5). */
  private oversized(trailers: boolean): HttpEvent<H> {
    const limit = this.limits.maxHeaderBytes;
    const lf = this.buf.subarray(this.start, this.end).indexOf(10);
    if (!trailers && this.side === 'request' && (lf < 0 || lf >= limit))
      return this.fail(414, 'request-target', 0, `request line longer than ${limit} bytes`);
    return this.fail(
      431,
      trailers ? 'trailer-section' : 'header-section',
      0,
      `${trailers ? 'trailer' : 'header'} section larger than ${limit} bytes`,
    );
  }

  private take(n: number): void {
    this.start += n;
    this.consumed += n;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
  }

  private body(n: number): HttpEvent<H> {
    const data = this.buf.slice(this.start, this.start + n);
    this.take(n);
    return { kind: 'body', data };
  }

  private endMessage(trailers: HttpField[]): HttpEvent<H> {
    this.state = 'idle';
    this.consumed = 0;
    this.messages++;
    return { kind: 'end', trailers };
  }

  /** One transition; 'again' to keep going, undefined to wait for bytes. */
  private step(): HttpEvent<H> | undefined | 'again' {
    const avail = this.end - this.start;
    switch (this.state) {
      case 'idle': {
        if (avail === 0) return undefined;
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before a request line
        const b = this.buf[this.start]!;
        if (this.side === 'request' && (b === 10 || b === 13)) {
          if (b === 13 && avail < 2) return this.eof ? this.fail(400, 'request-line', 0, 'bare CR') : undefined;
          if (b === 13 && this.buf[this.start + 1] !== 10)
            return this.fail(400, 'request-line', 0, 'bare CR before the request line');
          if (++this.leadingEmpty > MAX_LEADING_EMPTY_LINES)
            return this.fail(400, 'request-line', 0, 'too many empty lines before the request line');
          this.start += b === 13 ? 2 : 1;
          if (this.start === this.end) this.start = this.end = 0;
          return 'again';
        }
        this.leadingEmpty = 0;
        this.state = 'head';
        this.scan = 0;
        this.bodyBytes = 0;
        return 'again';
      }
      case 'head':
      case 'trailers': {
        const trailers = this.state === 'trailers';
        const section = this.findSectionEnd(trailers);
        if (section === undefined) {
          const limit = this.limits.maxHeaderBytes;
          if (avail > limit) return this.oversized(trailers);
          if (this.eof)
            return avail === 0 && !trailers
              ? undefined
              : this.fail(
                  400,
                  trailers ? 'trailer-section' : 'header-section',
                  avail,
                  'connection closed inside the header section',
                );
          return undefined;
        }
        const { contentEnd, size } = section;
        if (size > this.limits.maxHeaderBytes) return this.oversized(trailers);
        const bytes = this.buf.subarray(this.start, this.start + contentEnd);
        if (trailers) {
          const lines = latin1(bytes)
            .split('\n')
            .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
          if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
          const offsets: number[] = [];
          let at = 0;
          for (const l of lines) {
            offsets.push(this.consumed + at);
            at += l.length + 2;
          }
          if (lines.some((l) => l.includes('\r') || l.includes('\0')))
            return this.fail(400, 'trailer-section', 0, 'bare CR or NUL in the trailer section');
          const fields = parseFieldLines(this.side, lines, offsets);
          if (!fields.ok) {
            this.failure = fields.error;
            this.state = 'failed';
            return { kind: 'error', error: fields.error };
          }
          this.take(size);
          return this.endMessage(fields.value);
        }
        const parsed = this.parseHead(bytes, size);
        if (!parsed.ok) {
          this.failure = parsed.error;
          this.state = 'failed';
          return { kind: 'error', error: parsed.error };
        }
        this.take(size);
        const head = parsed.value;
        const framing = head.framing;
        if (framing.kind === 'none') {
          this.queue.push(this.endMessage([]));
        } else if (framing.kind === 'length') {
          this.state = 'length';
          this.remaining = framing.length;
        } else if (framing.kind === 'chunked') {
          this.state = 'chunk-size';
        } else {
          this.state = 'until-close';
        }
        return { kind: 'head', head };
      }
      case 'length':
      case 'chunk-data': {
        if (this.remaining === 0) {
          if (this.state === 'length') return this.endMessage([]);
          this.state = 'chunk-crlf';
          return 'again';
        }
        if (avail === 0)
          return this.eof
            ? this.fail(400, 'body', 0, `connection closed with ${this.remaining} body bytes outstanding`)
            : undefined;
        const n = Math.min(avail, this.remaining);
        this.remaining -= n;
        return this.body(n);
      }
      case 'chunk-crlf': {
        // RFC 9112 §7.1: chunk-data is followed by CRLF
        if (avail < 2)
          return this.eof ? this.fail(400, 'chunk-data', 0, 'connection closed inside a chunk') : undefined;
        if (this.buf[this.start] !== 13 || this.buf[this.start + 1] !== 10)
          return this.fail(400, 'chunk-data', 0, 'chunk data not followed by CRLF');
        this.take(2);
        this.state = 'chunk-size';
        return 'again';
      }
      case 'chunk-size': {
        const window = this.buf.subarray(this.start, this.start + Math.min(avail, this.limits.maxChunkLineBytes + 1));
        const lf = window.indexOf(10);
        if (lf < 0) {
          if (avail > this.limits.maxChunkLineBytes)
            return this.fail(
              400,
              'chunk-size',
              0,
              `chunk-size line longer than ${this.limits.maxChunkLineBytes} bytes`,
            );
          return this.eof ? this.fail(400, 'chunk-size', 0, 'connection closed inside a chunk-size line') : undefined;
        }
        if (lf === 0 || window[lf - 1] !== 13)
          return this.fail(400, 'chunk-size', lf, 'chunk-size line not ended by CRLF');
        const line = latin1(window, 0, lf - 1);
        const m = /^[0-9A-Fa-f]+/.exec(line);
        if (m === null)
          return this.fail(400, 'chunk-size', 0, `invalid chunk size ${JSON.stringify(line.slice(0, 20))}`);
        const digits = m[0].replace(/^0+(?=.)/, '');
        if (digits.length > 13)
          return this.fail(this.side === 'request' ? 413 : 400, 'chunk-size', 0, 'chunk size too large');
        if (!validChunkExt(line.slice(m[0].length)))
          return this.fail(
            400,
            'chunk-ext',
            m[0].length,
            `invalid chunk extension ${JSON.stringify(line.slice(m[0].length, m[0].length + 20))}`,
          );
        const size = parseInt(digits, 16);
        this.take(lf + 1);
        if (size === 0) {
          this.state = 'trailers';
          this.scan = 0;
          return 'again';
        }
        this.bodyBytes += size;
        if (this.side === 'request' && this.bodyBytes > this.limits.maxBodyBytes)
          return this.fail(413, 'chunk-size', 0, `chunked body exceeds the limit of ${this.limits.maxBodyBytes} bytes`);
        this.remaining = size;
        this.state = 'chunk-data';
        return 'again';
      }
      case 'until-close': {
        if (avail > 0) return this.body(avail);
        return this.eof ? this.endMessage([]) : undefined;
      }
      case 'failed':
        return { kind: 'error', error: this.failure! };
    }
  }

  /**
   * Finds the empty line ending a header (or trailer) section in the buffer: returns the length of the
   * content before it and the section's size including it. A trailer section may be empty (just CRLF).
   */
  private findSectionEnd(trailers: boolean): { contentEnd: number; size: number } | undefined {
    const b = this.buf;
    const s = this.start;
    const avail = this.end - s;
    // trailers: the terminating empty line may come first
    if (trailers && this.scan === 0 && avail >= 1) {
      if (b[s] === 10) return { contentEnd: 0, size: 1 };
      if (b[s] === 13 && avail >= 2 && b[s + 1] === 10) return { contentEnd: 0, size: 2 };
    }
    for (let i = Math.max(this.scan, 1); i < avail; i++) {
      if (b[s + i] !== 10) continue;
      // LF LF, or LF CR LF: an empty line
      if (b[s + i - 1] === 10) return { contentEnd: i, size: i + 1 };
      if (b[s + i - 1] === 13 && i >= 2 && b[s + i - 2] === 10) return { contentEnd: i - 1, size: i + 1 };
    }
    this.scan = Math.max(1, avail);
    return undefined;
  }
}

/** Reads requests, as a server does. */
export class HttpRequestParser extends MessageParser<HttpRequestHead> {
  constructor(limits: Partial<HttpLimits> = {}) {
    super('request', limits);
  }

  protected parseHead(bytes: Uint8Array, size: number): HttpResult<HttpRequestHead> {
    return parseRequestHead(bytes, size, this.limits);
  }
}

/**
 * Reads responses, as a client does. A response's framing depends on the request (a HEAD response has
 * no body), so call expect(method) for each request sent, in order; unannounced responses are taken as
 * answers to GET. Interim 1xx responses come out as a head and an end of their own.
 */
export class HttpResponseParser extends MessageParser<HttpResponseHead> {
  private readonly methods: string[] = [];

  constructor(limits: Partial<HttpLimits> = {}) {
    super('response', limits);
  }

  /** Announces the method of the next request on this connection. */
  expect(method: string): void {
    this.methods.push(method);
  }

  protected parseHead(bytes: Uint8Array, size: number): HttpResult<HttpResponseHead> {
    const r = parseResponseHead(bytes, size, this.methods[0] ?? 'GET');
    // a final (non-1xx) response answers the request: the next one answers the next request
    if (r.ok && (r.value.status >= 200 || r.value.status === 101)) this.methods.shift();
    return r;
  }
}

/** A whole message parsed from bytes in hand, and how many bytes it took. */
export interface Parsed<T> {
  readonly message: T;
  readonly consumed: number;
}

function collect<H>(
  p: MessageParser<H & { framing: HttpFraming }>,
): HttpResult<{ head: H; body: Uint8Array; trailers: HttpField[] }> | undefined {
  let head: H | undefined;
  const body: Uint8Array[] = [];
  for (;;) {
    const ev = p.next();
    if (ev === undefined) return undefined;
    if (ev.kind === 'error') return { ok: false, error: ev.error };
    if (ev.kind === 'head') head = ev.head;
    else if (ev.kind === 'body') body.push(ev.data);
    else return { ok: true, value: { head: head!, body: concatBytes(body), trailers: ev.trailers } };
  }
}

/**
 * Parses one complete request at the start of `bytes`. Returns undefined when the bytes end before the
 * message does; the error when it is invalid.
 */
export function parseHttpRequest(
  bytes: Uint8Array,
  limits: Partial<HttpLimits> = {},
): HttpResult<Parsed<HttpRequest>> | undefined {
  const p = new HttpRequestParser(limits);
  p.push(bytes);
  const r = collect(p);
  if (r === undefined || !r.ok) return r;
  return {
    ok: true,
    value: {
      message: { ...r.value.head, body: r.value.body, trailers: r.value.trailers },
      consumed: bytes.length - p.buffered,
    },
  };
}

/**
 * Parses one complete response at the start of `bytes`, answering a `method` request; interim 1xx
 * responses before it are skipped. With `closed`, the bytes are all the connection carried (a body
 * delimited by the close ends with them).
 */
export function parseHttpResponse(
  bytes: Uint8Array,
  method = 'GET',
  closed = false,
): HttpResult<Parsed<HttpResponse>> | undefined {
  const p = new HttpResponseParser();
  p.expect(method);
  p.push(bytes);
  if (closed) p.finish();
  for (;;) {
    const r = collect(p);
    if (r === undefined || !r.ok) return r;
    const head = r.value.head;
    // RFC 9110 §15.2: interim responses precede the final one
    if (head.status >= 100 && head.status < 200 && head.status !== 101) continue;
    return {
      ok: true,
      value: {
        message: { ...head, body: r.value.body, trailers: r.value.trailers },
        consumed: bytes.length - p.buffered,
      },
    };
  }
}
