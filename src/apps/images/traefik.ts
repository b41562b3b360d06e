/**
 * Traefik (traefik, rancher/mirrored-library-traefik) as k3s's chart runs it: entry point `web` on 8000
 * routes by the cluster's Ingresses (traefik-routes.ts; the view comes from the cluster through the image
 * environment) and reverse-proxies over the pod's own TCP straight to the endpoint pod IPs, round-robin per
 * service (the WRR balancer with equal weights), with the forwarded headers of traefik-forward.ts;
 * `traefik` on 9000 answers /ping ("OK", the chart's probes); `metrics` on 9100 answers /metrics.
 *
 * TLS is not emulated: nothing listens on `websecure` (8443), so a connection there is refused.
 *
 * Answers Traefik gives itself, as Go's net/http writes them: no router matches (or the router's service
 * has no servers, which the provider skips) -> http.NotFound, 404 "404 page not found\n"; the server
 * refuses, resets or closes without an answer -> 502 "Bad Gateway"; a deadline passes -> 504 "Gateway
 * Timeout" (pkg/proxy/httputil ComputeStatusCode and ErrorHandler: the status text with no newline).
 */
import { SECOND } from '../../sim/engine.js';
import type { TcpStack } from '../../transport/tcp.js';
import { HttpConnection, httpExchange, type HttpExchangeResult } from '../http/client.js';
import type { HttpField } from '../http/message.js';
import { HttpServer, type HttpHandler, type HttpResponseInit } from '../http/server.js';
import { goFields } from './server-fields.js';
import { forwardedRequestFields, forwardedResponseFields } from './traefik-forward.js';
import { matchRouter, type IngressView, type TraefikRouter, type TraefikServer } from './traefik-routes.js';
import type { ContainerContext, ImageBehaviour, RunningContainer } from './types.js';
import { GO_LISTEN_BACKLOG } from '../../transport/tcp.js';

/** The chart's entry points (traefik-helm-chart values.yaml `ports`). */
export const TRAEFIK_PORTS = { web: 8000, websecure: 8443, traefik: 9000, metrics: 9100 } as const;

/** Traefik's serversTransport dialTimeout default (30 s). */
const DIAL_TIMEOUT_NS = 30 * SECOND;

/**
 * Marks a response whose fields the handler put in Go's header map, which Go writes sorted by key before
 * what it adds itself (Date, Content-Length, a sniffed Content-Type, Connection). `all`: a proxied
 * response, whose Date and Content-Length were copied from the server into the map too; `own`: http.Error,
 * whose Content-Type is explicit. Removed before the response is written.
 */
const GO_HEADER_MAP = 'X-Podnet-Go-Header-Map';

/** Go's order for Traefik's responses (net/http chunkWriter.writeHeader). */
function traefikFields(fields: HttpField[]): HttpField[] {
  const mark = fields.find((f) => f.name === GO_HEADER_MAP)?.value;
  if (mark === undefined) return goFields(fields); // the ErrorHandler's: Content-Type sniffed
  const rest = fields.filter((f) => f.name !== GO_HEADER_MAP);
  const connection = rest.filter((f) => f.name === 'Connection');
  const added = mark === 'all' ? [] : rest.filter((f) => /^(date|content-length)$/i.test(f.name));
  const map = rest.filter((f) => f.name !== 'Connection' && !added.includes(f));
  map.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...map, ...added, ...connection];
}

/** Go's http.NotFound. */
const NOT_FOUND: HttpResponseInit = {
  status: 404,
  headers: [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['X-Content-Type-Options', 'nosniff'],
    [GO_HEADER_MAP, 'own'],
  ],
  body: '404 page not found\n',
};

/** ErrorHandler: the status and its text, Content-Type sniffed. */
function proxyError(status: 502 | 504): HttpResponseInit {
  return {
    status,
    headers: [['Content-Type', 'text/plain; charset=utf-8']],
    body: status === 502 ? 'Bad Gateway' : 'Gateway Timeout',
  };
}

/** What one traefik process keeps: idle connections per server, and each service's round-robin position. */
export class TraefikProxy {
  /** Requests per router name, for tests and listings. */
  readonly routed = new Map<string, number>();
  private readonly idle = new Map<string, HttpConnection[]>();
  private readonly turn = new Map<string, number>();

  constructor(
    private readonly tcp: TcpStack,
    private readonly view: IngressView,
    private readonly hostname: string,
  ) {}

  /** The `web` entry point's handler. */
  readonly handler: HttpHandler = (req, respond) => {
    const config = this.view.configuration();
    const usable = config.routers.filter((r) => (config.services.get(r.service)?.length ?? 0) > 0);
    const router = matchRouter(usable, req.host, req.path);
    if (router === undefined) return NOT_FOUND;
    this.routed.set(router.name, (this.routed.get(router.name) ?? 0) + 1);
    const server = this.pick(router, config.services.get(router.service)!);
    const fields = forwardedRequestFields(req, { hostname: this.hostname, trusted: false });
    const conn = this.connection(server);
    const body = req.body.length > 0 || ['POST', 'PUT', 'PATCH'].includes(req.method) ? req.body : undefined;
    const target = req.path + (req.query === '' ? '' : `?${req.query}`);
    httpExchange(
      conn,
      { method: req.method, target: target === '' ? '/' : target, fields, ...(body === undefined ? {} : { body }) },
      {},
      (r) => {
        this.release(server, conn, r);
        respond(this.answer(r));
      },
    );
  };

  /** Stops: idle connections close. */
  close(): void {
    for (const pool of this.idle.values()) for (const c of pool) c.end();
    this.idle.clear();
  }

  /** The WRR balancer with equal weights: the servers in turn, from the first. */
  private pick(router: TraefikRouter, servers: readonly TraefikServer[]): TraefikServer {
    const n = this.turn.get(router.service) ?? 0;
    this.turn.set(router.service, n + 1);
    return servers[n % servers.length]!;
  }

  private connection(s: TraefikServer): HttpConnection {
    const pool = this.idle.get(`${s.ip}:${s.port}`) ?? [];
    while (pool.length > 0) {
      const c = pool.shift()!;
      if (c.reusable) return c;
    }
    return new HttpConnection(this.tcp, s.ip, s.port, { connectTimeoutNs: DIAL_TIMEOUT_NS });
  }

  private release(s: TraefikServer, conn: HttpConnection, r: HttpExchangeResult): void {
    if (!r.reusable) {
      conn.end();
      return;
    }
    const key = `${s.ip}:${s.port}`;
    this.idle.set(key, [...(this.idle.get(key) ?? []), conn]);
  }

  private answer(r: HttpExchangeResult): HttpResponseInit {
    // no answer at all: the ErrorHandler's status (a body cut short is passed on as far as it came)
    const head = r.head;
    if (head === undefined) return proxyError(r.failure?.kind === 'timeout' ? 504 : 502);
    return {
      status: head.status,
      reason: head.reason,
      headers: [...forwardedResponseFields(head.fields), { name: GO_HEADER_MAP, value: 'all' }],
      body: r.body,
    };
  }
}

/** A Go server that answers `path` with `text` and everything else with http.NotFound. */
function oneRoute(path: string, text: string): HttpServer {
  return new HttpServer((req) => (req.path === path ? { body: text } : NOT_FOUND), {
    serverName: '',
    arrangeFields: traefikFields,
  });
}

/** Traefik, routing with the view `ingress()` gives (none: every request is a 404). */
export function traefikImage(ingress: () => IngressView | undefined): ImageBehaviour {
  return {
    repositories: ['traefik', 'library/traefik', 'rancher/mirrored-library-traefik'],
    summary:
      'Ingress on 8000 (routers from the Ingresses, straight to pod IPs, X-Forwarded-*), /ping on 9000, /metrics on 9100; TLS not emulated: 8443 refuses',
    start(ctx: ContainerContext): RunningContainer {
      const view = ingress() ?? { configuration: () => ({ routers: [], services: new Map() }) };
      const proxy = new TraefikProxy(ctx.tcp, view, ctx.hostname);
      const web = new HttpServer(proxy.handler, { serverName: '', arrangeFields: traefikFields });
      web.listen(ctx.tcp, TRAEFIK_PORTS.web, GO_LISTEN_BACKLOG);
      const ping = oneRoute('/ping', 'OK');
      ping.listen(ctx.tcp, TRAEFIK_PORTS.traefik, GO_LISTEN_BACKLOG);
      const metrics = oneRoute('/metrics', '# podnet does not emulate traefik metrics\n');
      metrics.listen(ctx.tcp, TRAEFIK_PORTS.metrics, GO_LISTEN_BACKLOG);
      return {
        listening: [
          { protocol: 'TCP', port: TRAEFIK_PORTS.web, serves: 'ingress (web)' },
          { protocol: 'TCP', port: TRAEFIK_PORTS.traefik, serves: 'ping' },
          { protocol: 'TCP', port: TRAEFIK_PORTS.metrics, serves: 'metrics' },
        ],
        stop: () => {
          web.close();
          ping.close();
          metrics.close();
          proxy.close();
        },
      };
    },
  };
}
