/**
 * An HTTP/1.1 client over the emulated TCP stack: a connection object that owns one TCP socket and the
 * response parser reading it (so bytes of the next response stay with the connection across
 * keep-alive), one request/response exchange at a time on it with hooks for every step (what curl -v
 * prints), bodies delimited by Content-Length, chunked or the close, deadlines for the handshake and the
 * whole exchange, and a small client that reuses persistent connections per host and port.
 *
 * Failures are values, named after what a user sees: refused, unreachable (no route: `immediate`),
 * connect-failed (SYN retries ran out), timeout, reset, empty (closed before any response byte),
 * truncated (closed inside the body), protocol (a malformed response), stopped (a hook ended it).
 */
import { formatIpv4, type Ipv4 } from '../../wire/addr.js';
import type { TcpCloseReason, TcpSocket, TcpStack } from '../../transport/tcp.js';
import { SECOND } from '../../sim/engine.js';
import { concatBytes, utf8, type HttpError, type HttpField, type HttpResponseHead } from './message.js';
import { HttpResponseParser } from './parser.js';
import { serializeRequest, toFields, type FieldsInit } from './serialize.js';

/**
 * A request as the client sends it: fields written in the order given (Host included; Content-Length is
 * added unless the fields frame the body), or the exact bytes of a request a tool composed itself (curl
 * writes -H lines verbatim) with its method, which tells how the response is framed.
 */
export type HttpClientRequest =
  { method: string; target: string; fields: FieldsInit; body?: Uint8Array } | { method: string; raw: Uint8Array };

/** Why an exchange failed. */
export type HttpFailureKind =
  'refused' | 'unreachable' | 'connect-failed' | 'timeout' | 'reset' | 'empty' | 'truncated' | 'protocol' | 'stopped';

/** A failed exchange. */
export interface HttpFailure {
  readonly kind: HttpFailureKind;
  /** Whether the handshake had completed. */
  readonly phase: 'connect' | 'transfer';
  /** 'unreachable' with no route at all (ENETUNREACH at connect(), before any packet). */
  readonly immediate?: boolean;
  /** The parser's error ('protocol', 'truncated'). */
  readonly error?: HttpError;
}

/** Simulated times (ns) of an exchange's steps. */
export interface HttpTimings {
  start: number;
  connected?: number;
  firstByte?: number;
  done: number;
}

/** How an exchange ended. */
export interface HttpExchangeResult {
  readonly ok: boolean;
  readonly failure?: HttpFailure;
  /** The final response head, if one arrived. */
  readonly head?: HttpResponseHead;
  /** Interim 1xx heads before it. */
  readonly interim: HttpResponseHead[];
  /** The decoded body (empty with `discardBody`). */
  readonly body: Uint8Array;
  readonly trailers: HttpField[];
  /** Decoded body bytes received. */
  readonly bodyBytes: number;
  /** The connection can carry another request. */
  readonly reusable: boolean;
  readonly timings: HttpTimings;
}

/** Observers of an exchange, called inside simulated time. */
export interface HttpExchangeHooks {
  /** The handshake completed (not called for a reused connection). */
  connected?(conn: HttpConnection): void;
  /** The request bytes were handed to TCP. */
  sent?(bytes: Uint8Array): void;
  /** A response head arrived (interim ones too). Return false to stop the exchange here. */
  head?(head: HttpResponseHead): boolean | void;
  /** Body bytes arrived. */
  data?(bytes: Uint8Array): void;
}

/** Options of an exchange. */
export interface HttpExchangeOptions {
  /** Deadline for the whole exchange, from its start (curl --max-time). */
  timeoutNs?: number;
  /** Do not keep the body (it still goes to hooks.data). */
  discardBody?: boolean;
  hooks?: HttpExchangeHooks;
}

/** What a connection tells the exchange running on it. */
interface Sink {
  connected(): void;
  pump(): void;
  closed(reason: TcpCloseReason): void;
}

/** One client connection: a TCP socket and the response parser over its bytes. */
export class HttpConnection {
  readonly socket: TcpSocket;
  readonly parser = new HttpResponseParser();
  established = false;
  peerEnded = false;
  closed: TcpCloseReason | undefined = undefined;
  /** The handshake could not start: no route (ENETUNREACH). */
  readonly noRoute: boolean;
  /** Exchanges run on this connection. */
  exchanges = 0;
  /** The last response allowed another request. */
  keepAlive = true;
  private sink: Sink | undefined;

  /** Opens a connection to `dst`:`port`; `connectTimeoutNs` bounds the handshake. */
  constructor(
    readonly tcp: TcpStack,
    readonly dst: Ipv4,
    readonly port: number,
    opts: { connectTimeoutNs?: number; srcPort?: number } = {},
  ) {
    const node = tcp.node;
    this.noRoute = !node.isLocal(dst) && node.routes.lookup(dst) === undefined;
    this.socket = tcp.connect(dst, port, {
      ...(opts.srcPort === undefined ? {} : { srcPort: opts.srcPort }),
      ...(opts.connectTimeoutNs === undefined ? {} : { timeoutNs: opts.connectTimeoutNs }),
    });
    this.socket.on('connect', () => {
      this.established = true;
      this.sink?.connected();
    });
    this.socket.on('data', (d) => {
      this.parser.push(d);
      this.sink?.pump();
    });
    this.socket.on('end', () => {
      this.peerEnded = true;
      this.parser.finish();
      this.sink?.pump();
    });
    this.socket.on('close', (r) => {
      this.closed = r;
      this.sink?.closed(r);
    });
  }

  /** True when another request may be sent on this connection. */
  get reusable(): boolean {
    return (
      this.established &&
      this.keepAlive &&
      !this.peerEnded &&
      this.closed === undefined &&
      this.sink === undefined &&
      !this.parser.inMessage &&
      this.parser.error === undefined
    );
  }

  /** "10.0.0.2:80". */
  get name(): string {
    return `${formatIpv4(this.dst)}:${this.port}`;
  }

  /** Closes our side (FIN), as a client process closing its socket does. */
  end(): void {
    if (this.closed === undefined) this.socket.end();
  }

  /** Aborts (RST if the connection is open). */
  destroy(): void {
    if (this.closed === undefined) this.socket.destroy();
  }

  /** @internal */
  attach(sink: Sink | undefined): void {
    this.sink = sink;
  }
}

/**
 * Runs one request/response exchange on `conn` (new or reused) and calls `done` once. Returns a
 * function that abandons it (the connection is then closed).
 */
export function httpExchange(
  conn: HttpConnection,
  req: HttpClientRequest,
  opts: HttpExchangeOptions,
  done: (r: HttpExchangeResult) => void,
): () => void {
  const engine = conn.tcp.node.engine;
  const hooks = opts.hooks ?? {};
  const timings: HttpTimings = { start: engine.now, done: engine.now };
  const interim: HttpResponseHead[] = [];
  const body: Uint8Array[] = [];
  let head: HttpResponseHead | undefined;
  let bodyBytes = 0;
  let sent = false;
  let finished = false;
  const reused = conn.established;
  conn.exchanges++;

  const finish = (failure: HttpFailure | undefined, trailers: HttpField[] = []): void => {
    if (finished) return;
    finished = true;
    timer?.cancel();
    conn.attach(undefined);
    timings.done = engine.now;
    if (head !== undefined) conn.keepAlive = head.keepAlive;
    const result: HttpExchangeResult = {
      ok: failure === undefined,
      ...(failure === undefined ? {} : { failure }),
      ...(head === undefined ? {} : { head }),
      interim,
      body: concatBytes(body),
      trailers,
      bodyBytes,
      reusable: failure === undefined && conn.reusable,
      timings,
    };
    done(result);
  };

  const send = (): void => {
    if (sent) return;
    sent = true;
    timings.connected ??= engine.now;
    const bytes =
      'raw' in req
        ? req.raw
        : serializeRequest({
            method: req.method,
            target: req.target,
            fields: toFields(req.fields),
            ...(req.body === undefined ? {} : { body: req.body }),
          });
    conn.parser.expect(req.method);
    conn.socket.write(bytes);
    hooks.sent?.(bytes);
  };

  const pump = (): void => {
    while (!finished) {
      const ev = conn.parser.next();
      if (ev === undefined) {
        // the peer closed before a single response byte
        if (conn.peerEnded && head === undefined && interim.length === 0) finish({ kind: 'empty', phase: 'transfer' });
        return;
      }
      timings.firstByte ??= engine.now;
      if (ev.kind === 'error') {
        const truncated = conn.peerEnded && head !== undefined;
        finish({ kind: truncated ? 'truncated' : 'protocol', phase: 'transfer', error: ev.error });
        return;
      }
      if (ev.kind === 'head') {
        const h = ev.head;
        if (h.status < 200 && h.status !== 101) interim.push(h);
        else head = h;
        if (hooks.head?.(h) === false) {
          finish({ kind: 'stopped', phase: 'transfer' });
          return;
        }
      } else if (ev.kind === 'body') {
        bodyBytes += ev.data.length;
        if (opts.discardBody !== true) body.push(ev.data);
        hooks.data?.(ev.data);
      } else if (head !== undefined) {
        finish(undefined, ev.trailers);
        return;
      }
    }
  };

  const sink: Sink = {
    connected: () => {
      hooks.connected?.(conn);
      send();
      pump();
    },
    pump,
    closed: (reason) => {
      if (finished) return;
      if (!conn.established) {
        const kind: HttpFailureKind =
          reason === 'refused'
            ? 'refused'
            : reason === 'unreachable'
              ? 'unreachable'
              : reason === 'timeout'
                ? 'connect-failed'
                : 'reset';
        finish({ kind, phase: 'connect', ...(reason === 'unreachable' && conn.noRoute ? { immediate: true } : {}) });
        return;
      }
      pump();
      if (!finished) finish({ kind: reason === 'closed' ? 'truncated' : 'reset', phase: 'transfer' });
    },
  };

  const timer =
    opts.timeoutNs === undefined
      ? undefined
      : engine.timer(opts.timeoutNs, () => {
          const phase = conn.established ? 'transfer' : 'connect';
          finish({ kind: 'timeout', phase });
          if (phase === 'connect') conn.destroy();
          else conn.end();
        });
  conn.attach(sink);
  if (conn.closed !== undefined) sink.closed(conn.closed);
  else if (reused) {
    send();
    pump();
  } else if (conn.established) sink.connected();
  return () => {
    if (finished) return;
    finish({ kind: 'stopped', phase: conn.established ? 'transfer' : 'connect' });
    conn.destroy();
  };
}

/** A request for HttpClient: what is not given gets a default. */
export interface HttpClientCall {
  method?: string;
  /** Default "/". */
  target?: string;
  /** Host field value; default the address (with ":port" unless 80). */
  host?: string;
  headers?: FieldsInit;
  body?: Uint8Array | string;
  timeoutNs?: number;
}

/** Options of HttpClient. */
export interface HttpClientOptions {
  /** Keep connections open between requests and reuse them (default true). */
  keepAlive: boolean;
  userAgent: string;
  /** Default deadline per request. */
  timeoutNs: number;
}

/** A client that reuses persistent connections per address and port (one request at a time on each). */
export class HttpClient {
  readonly options: HttpClientOptions;
  /** Connections opened so far. */
  connectionsOpened = 0;
  private readonly idle = new Map<string, HttpConnection[]>();

  constructor(
    readonly tcp: TcpStack,
    options: Partial<HttpClientOptions> = {},
  ) {
    this.options = { keepAlive: true, userAgent: 'podnet', timeoutNs: 30 * SECOND, ...options };
  }

  /** Sends a request to `dst`:`port`; `done` gets the result. */
  request(dst: Ipv4, port: number, call: HttpClientCall, done: (r: HttpExchangeResult) => void): void {
    const key = `${dst}:${port}`;
    const pool = this.idle.get(key) ?? [];
    let conn: HttpConnection | undefined;
    while (conn === undefined && pool.length > 0) {
      const c = pool.shift()!;
      if (c.reusable) conn = c;
    }
    if (conn === undefined) {
      conn = new HttpConnection(this.tcp, dst, port);
      this.connectionsOpened++;
    }
    const body = typeof call.body === 'string' ? utf8(call.body) : call.body;
    const fields: HttpField[] = [
      { name: 'Host', value: call.host ?? (port === 80 ? formatIpv4(dst) : `${formatIpv4(dst)}:${port}`) },
      { name: 'User-Agent', value: this.options.userAgent },
      ...toFields(call.headers),
    ];
    if (!this.options.keepAlive) fields.push({ name: 'Connection', value: 'close' });
    const c = conn;
    httpExchange(
      c,
      {
        method: call.method ?? (body === undefined ? 'GET' : 'POST'),
        target: call.target ?? '/',
        fields,
        ...(body === undefined ? {} : { body }),
      },
      { timeoutNs: call.timeoutNs ?? this.options.timeoutNs },
      (r) => {
        if (r.reusable && this.options.keepAlive) {
          const p = this.idle.get(key) ?? [];
          p.push(c);
          this.idle.set(key, p);
        } else c.end();
        done(r);
      },
    );
  }

  /** Closes the idle connections. */
  close(): void {
    for (const pool of this.idle.values()) for (const c of pool) c.end();
    this.idle.clear();
  }
}
