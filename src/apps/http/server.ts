/**
 * An HTTP/1.1 origin server for emulated nodes (RFC 9110, RFC 9112): reads requests off each connection
 * with the incremental parser, hands complete requests to a handler one at a time (pipelined requests
 * wait their turn, so responses keep request order), and writes responses with Server, Date (simulated
 * time from HTTP_EPOCH_MS, IMF-fixdate) and Content-Length or chunked framing. Connections persist as
 * HTTP/1.1 says (Connection: close, HTTP/1.0 keep-alive) and close after an idle keep-alive timeout.
 * A malformed request is answered with the parser's status (400, 413, 414, 431, 501, 505) and
 * "Connection: close", then the connection is closed.
 *
 * The server runs over any `HttpTransport` (a TCP socket of the emulated stack via `listen`, or a real
 * socket in a tool that records goldens) and any clock with `now` and `timer` (the engine).
 */
import { formatIpv4 } from '../../wire/addr.js';
import type { TcpStack, TcpListener, TcpSocket } from '../../transport/tcp.js';
import { SECOND } from '../../sim/engine.js';
import {
  DEFAULT_HTTP_LIMITS,
  HTTP_EPOCH_MS,
  concatBytes,
  fieldValues,
  httpDateAt,
  reasonPhrase,
  utf8,
  type HttpError,
  type HttpField,
  type HttpLimits,
  type HttpRequest,
  type HttpRequestHead,
} from './message.js';
import { HttpRequestParser } from './parser.js';
import { serializeResponse, statusHasNoBody, toFields, type FieldsInit } from './serialize.js';

/** A connection as the server sees it. */
export interface HttpTransport {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  write(bytes: Uint8Array): void;
  /** Closes our sending side (FIN) once written data is out. */
  end(): void;
  /** Aborts (RST). */
  destroy(): void;
  onData(fn: (bytes: Uint8Array) => void): void;
  /** The peer closed its sending side. */
  onEnd(fn: () => void): void;
  /** The connection is gone. */
  onClose(fn: () => void): void;
}

/** Time as the server needs it; the engine is one. */
export interface HttpClock {
  /** ns. */
  readonly now: number;
  timer(delayNs: number, fn: () => void): { cancel(): void };
}

/** A request as a handler receives it. */
export interface HttpServerRequest extends HttpRequest {
  /** The client's address and port as this server sees them (after any NAT on the way). */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The address and port the request arrived on. */
  readonly localAddress: string;
  readonly localPort: number;
  /** The path of the target (absolute-form reduced to its path), without the query. */
  readonly path: string;
  /** The query without '?', or ''. */
  readonly query: string;
}

/** What a handler answers. */
export interface HttpResponseInit {
  /** Default 200. */
  status?: number;
  reason?: string;
  /** Fields besides Server, Date, the framing field and Connection, which the server writes. */
  headers?: FieldsInit | Readonly<Record<string, string>>;
  /** Text is sent as UTF-8. */
  body?: Uint8Array | string;
  /** Send the body in the chunked coding instead of with Content-Length. */
  chunked?: boolean;
  /** Close the connection after this response. */
  close?: boolean;
}

/**
 * Answers a request: return the response, or return nothing and call `respond` later (exactly once).
 * A handler that throws gets its client a 500.
 */
export type HttpHandler = (req: HttpServerRequest, respond: (res: HttpResponseInit) => void) => HttpResponseInit | void;

/** The server's tunables. */
export interface HttpServerOptions {
  limits: HttpLimits;
  /** Idle time after which a persistent connection is closed (Node's keepAliveTimeout: 5 s). */
  keepAliveTimeoutNs: number;
  /** Time allowed for a started request head to complete before 408 (Node's headersTimeout: 60 s). */
  headersTimeoutNs: number;
  /** Requests served on one connection before it is closed (nginx keepalive_requests: 1000). */
  maxRequestsPerConnection: number;
  /** The Server field value; '' omits the field. */
  serverName: string;
  /** Wall-clock ms at engine time 0, for Date. */
  epochMs: number;
  /**
   * Puts the response's fields in a particular server's order (nginx, Apache and Go each write their own)
   * and adds what that server adds; absent: Server, Date, the handler's fields, framing, Connection.
   */
  arrangeFields?: (fields: HttpField[], ctx: ResponseFieldsContext) => HttpField[];
}

/** What arrangeFields may need to know about the response being written. */
export interface ResponseFieldsContext {
  readonly status: number;
  /** The connection stays open after this response. */
  readonly keep: boolean;
  /** The request's HTTP minor version. */
  readonly minor: number;
  /** Responses already sent on this connection, this one not included. */
  readonly served: number;
  /** The request's Connection field named the keep-alive token (Apache answers with Keep-Alive only then). */
  readonly askedKeepAlive: boolean;
}

/** The defaults. */
export const DEFAULT_HTTP_SERVER: HttpServerOptions = {
  limits: DEFAULT_HTTP_LIMITS,
  keepAliveTimeoutNs: 5 * SECOND,
  headersTimeoutNs: 60 * SECOND,
  maxRequestsPerConnection: 1000,
  serverName: 'podnet',
  epochMs: HTTP_EPOCH_MS,
};

/** Counters of a server. */
export interface HttpServerStats {
  connections: number;
  requests: number;
  /** Responses sent, by status. */
  responses: Map<number, number>;
  /** Requests rejected by the parser (each answered with its status). */
  parseErrors: HttpError[];
}

/** Adapts a socket of the emulated TCP stack. */
export function tcpTransport(s: TcpSocket): HttpTransport {
  let closed = false;
  let ended = false;
  s.on('close', () => {
    closed = true;
  });
  return {
    remoteAddress: formatIpv4(s.remoteIp),
    remotePort: s.remotePort,
    localAddress: formatIpv4(s.localIp),
    localPort: s.localPort,
    write: (b) => {
      if (!closed && !ended) s.write(b);
    },
    end: () => {
      if (closed || ended) return;
      ended = true;
      s.end();
    },
    destroy: () => s.destroy(),
    onData: (fn) => s.on('data', fn),
    onEnd: (fn) => s.on('end', fn),
    onClose: (fn) => s.on('close', () => fn()),
  };
}

/** An HTTP server: one handler, any number of listening ports and connections. */
export class HttpServer {
  readonly options: HttpServerOptions;
  readonly stats: HttpServerStats = { connections: 0, requests: 0, responses: new Map(), parseErrors: [] };
  private readonly listeners: TcpListener[] = [];

  constructor(
    readonly handler: HttpHandler,
    options: Partial<HttpServerOptions> = {},
  ) {
    this.options = { ...DEFAULT_HTTP_SERVER, ...options, limits: { ...DEFAULT_HTTP_LIMITS, ...options.limits } };
  }

  /**
   * Listens on `port` of a node's TCP stack (default 80), with the program's listen() backlog (default
   * 511, nginx's and Apache's; Go programs pass GO_LISTEN_BACKLOG).
   */
  listen(tcp: TcpStack, port = 80, backlog?: number): TcpListener {
    const engine = tcp.node.engine;
    const l = tcp.listen(port, backlog === undefined ? {} : { backlog }, (s) => this.serve(tcpTransport(s), engine));
    this.listeners.push(l);
    return l;
  }

  /** Stops listening (open connections finish what they are doing). */
  close(): void {
    for (const l of this.listeners.splice(0)) l.close();
  }

  /** Serves one connection. */
  serve(t: HttpTransport, clock: HttpClock): void {
    this.stats.connections++;
    new ServerConnection(this, t, clock);
  }

  /** @internal */
  count(status: number): void {
    this.stats.responses.set(status, (this.stats.responses.get(status) ?? 0) + 1);
  }
}

/** One connection's request loop. */
class ServerConnection {
  private readonly parser: HttpRequestParser;
  private busy = false;
  /** No more requests are read (a Connection: close response or an error went out). */
  private closing = false;
  private peerEnded = false;
  private served = 0;
  private head: HttpRequestHead | undefined;
  private chunks: Uint8Array[] = [];
  private idleTimer: { cancel(): void } | undefined;
  private headTimer: { cancel(): void } | undefined;

  constructor(
    private readonly server: HttpServer,
    private readonly t: HttpTransport,
    private readonly clock: HttpClock,
  ) {
    this.parser = new HttpRequestParser(server.options.limits);
    t.onData((b) => {
      if (this.closing) return;
      this.parser.push(b);
      this.pump();
    });
    t.onEnd(() => {
      this.peerEnded = true;
      this.parser.finish();
      this.pump();
    });
    t.onClose(() => this.stopTimers());
    this.pump();
  }

  private stopTimers(): void {
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
    this.headTimer?.cancel();
    this.headTimer = undefined;
  }

  private pump(): void {
    while (!this.busy && !this.closing) {
      const ev = this.parser.next();
      if (ev === undefined) break;
      if (ev.kind === 'error') {
        this.server.stats.parseErrors.push(ev.error);
        this.reject(ev.error.status, ev.error.reason);
        return;
      }
      this.idleTimer?.cancel();
      this.idleTimer = undefined;
      if (ev.kind === 'head') {
        this.head = ev.head;
        this.chunks = [];
        const expect = fieldValues(ev.head.fields, 'expect');
        // RFC 9110 §10.1.1: an expectation we cannot meet is 417
        if (expect.length > 0 && !ev.head.expectContinue) {
          this.reject(417, `unsupported expectation ${JSON.stringify(expect.join(', '))}`);
          return;
        }
        // ... and 100-continue gets the interim response before the body is sent
        if (ev.head.expectContinue && ev.head.minor >= 1 && ev.head.framing.kind !== 'none') {
          this.t.write(serializeResponse({ status: 100, fields: [] }));
        }
      } else if (ev.kind === 'body') {
        this.chunks.push(ev.data);
      } else {
        this.headTimer?.cancel();
        this.headTimer = undefined;
        this.dispatch({ ...this.head!, body: concatBytes(this.chunks), trailers: ev.trailers });
      }
    }
    if (this.busy || this.closing) return;
    if (this.peerEnded) {
      // the client is done sending: nothing more will be asked on this connection
      this.closing = true;
      this.stopTimers();
      this.t.end();
      return;
    }
    if (this.parser.inMessage) {
      this.headTimer ??= this.clock.timer(this.server.options.headersTimeoutNs, () => {
        this.headTimer = undefined;
        if (!this.busy && !this.closing) this.reject(408, 'request not received in time');
      });
    } else if (this.idleTimer === undefined) {
      this.idleTimer = this.clock.timer(this.server.options.keepAliveTimeoutNs, () => {
        this.idleTimer = undefined;
        if (this.busy || this.closing || this.parser.inMessage) return;
        this.closing = true;
        this.t.end();
      });
    }
  }

  /** Answers an unusable request with `status` and closes. */
  private reject(status: number, why: string): void {
    this.closing = true;
    this.stopTimers();
    const body = utf8(`${status} ${reasonPhrase(status)}: ${why}\n`);
    this.write(status, [{ name: 'Content-Type', value: 'text/plain; charset=utf-8' }], body, false, false, false, 0);
    this.t.end();
  }

  private dispatch(req: HttpRequest): void {
    this.busy = true;
    this.served++;
    this.server.stats.requests++;
    const { path, query } = splitTarget(req.target);
    const full: HttpServerRequest = {
      ...req,
      remoteAddress: this.t.remoteAddress,
      remotePort: this.t.remotePort,
      localAddress: this.t.localAddress,
      localPort: this.t.localPort,
      path,
      query,
    };
    let answered = false;
    const respond = (res: HttpResponseInit): void => {
      if (answered) throw new Error('http: respond() called twice');
      answered = true;
      this.respond(req, res);
    };
    let r: HttpResponseInit | void;
    try {
      r = this.server.handler(full, respond);
    } catch (e) {
      if (!answered)
        respond({
          status: 500,
          body: `500 Internal Server Error: ${(e as Error).message}\n`,
          headers: [['Content-Type', 'text/plain; charset=utf-8']],
          close: true,
        });
      return;
    }
    if (r !== undefined && !answered) respond(r);
  }

  private respond(req: HttpRequest, res: HttpResponseInit): void {
    const status = res.status ?? 200;
    const keep =
      req.keepAlive &&
      res.close !== true &&
      !this.closing &&
      this.served < this.server.options.maxRequestsPerConnection;
    const body = typeof res.body === 'string' ? utf8(res.body) : (res.body ?? new Uint8Array(0));
    const headers =
      res.headers === undefined
        ? []
        : isRecord(res.headers)
          ? Object.entries(res.headers).map(([name, value]) => ({ name, value }))
          : toFields(res.headers);
    const askedKeepAlive = fieldValues(req.fields, 'connection').some((v) =>
      v.split(',').some((t) => t.trim().toLowerCase() === 'keep-alive'),
    );
    this.write(
      status,
      headers,
      body,
      res.chunked === true,
      req.method === 'HEAD',
      keep,
      req.minor,
      res.reason,
      askedKeepAlive,
    );
    this.busy = false;
    if (!keep) {
      this.closing = true;
      this.stopTimers();
      this.t.end();
      return;
    }
    this.pump();
  }

  private write(
    status: number,
    headers: HttpField[],
    body: Uint8Array,
    chunked: boolean,
    headOnly: boolean,
    keep: boolean,
    minor: number,
    reason?: string,
    askedKeepAlive = false,
  ): void {
    const o = this.server.options;
    const fields: HttpField[] = [];
    if (o.serverName !== '') fields.push({ name: 'Server', value: o.serverName });
    fields.push({ name: 'Date', value: httpDateAt(this.clock.now, o.epochMs) });
    // the framing and Connection are the server's to write
    fields.push(...headers.filter((h) => !/^(content-length|transfer-encoding|connection|date|server)$/i.test(h.name)));
    const noBody = statusHasNoBody(status);
    const useChunked = chunked && !noBody && minor >= 1;
    if (!noBody)
      fields.push(
        useChunked
          ? { name: 'Transfer-Encoding', value: 'chunked' }
          : { name: 'Content-Length', value: String(body.length) },
      );
    if (!keep) fields.push({ name: 'Connection', value: 'close' });
    else if (minor === 0) fields.push({ name: 'Connection', value: 'keep-alive' }); // RFC 9112 §9.3: a 1.0 client must be told
    this.server.count(status);
    const arranged =
      o.arrangeFields === undefined
        ? fields
        : o.arrangeFields(fields, { status, keep, minor, served: this.served - 1, askedKeepAlive });
    this.t.write(
      serializeResponse({
        status,
        ...(reason === undefined ? {} : { reason }),
        fields: arranged,
        body,
        chunked: useChunked,
        headOnly,
      }),
    );
  }
}

function isRecord(h: FieldsInit | Readonly<Record<string, string>>): h is Readonly<Record<string, string>> {
  return !Array.isArray(h);
}

/** Splits a request-target into path and query (absolute-form loses its scheme and authority). */
export function splitTarget(target: string): { path: string; query: string } {
  let t = target;
  const abs = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(t);
  if (abs !== null) t = t.slice(abs[0].length) || '/';
  const hash = t.indexOf('#');
  if (hash >= 0) t = t.slice(0, hash);
  const q = t.indexOf('?');
  return q < 0 ? { path: t, query: '' } : { path: t.slice(0, q), query: t.slice(q + 1) };
}
