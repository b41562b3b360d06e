/**
 * Response fields in the order real servers write them, for the images that serve HTTP. podnet's
 * HttpServer writes Server, Date, the handler's fields, the framing and Connection; nginx, Apache httpd
 * and Go's net/http each have their own order and their own Connection/Keep-Alive habits, which a
 * `curl -v` shows. The orders below come from the servers' sources: nginx
 * ngx_http_header_filter_module.c (Server, Date, Content-Type, Content-Length, Last-Modified, Location,
 * Connection, then the other headers_out list: ETag, Accept-Ranges), Apache's http_filters.c
 * (Date, Server, then the table in insertion order, Content-Type added last by basic_http_header_check)
 * and Go's net/http server.go (the handler's header sorted by key, then Date, Content-Length,
 * Content-Type, Connection, Transfer-Encoding).
 */
import type { HttpField } from '../http/message.js';
import type { ResponseFieldsContext } from '../http/server.js';

function orderBy(fields: readonly HttpField[], order: readonly string[], rest: 'before' | 'after'): HttpField[] {
  const rank = (f: HttpField): number => {
    const i = order.indexOf(f.name.toLowerCase());
    return i >= 0 ? i : rest === 'before' ? -1 : order.length;
  };
  return fields
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .map((x) => x.f);
}

const withoutConnection = (fields: readonly HttpField[]): HttpField[] =>
  fields.filter((f) => !/^(connection|keep-alive)$/i.test(f.name));

const NGINX_ORDER = [
  'server',
  'date',
  'content-type',
  'content-length',
  'transfer-encoding',
  'last-modified',
  'location',
  'connection',
  'etag',
  'accept-ranges',
];

/** nginx: Connection keep-alive or close on every response (ngx_http_header_filter). */
export function nginxFields(fields: HttpField[], ctx: ResponseFieldsContext): HttpField[] {
  const out = withoutConnection(fields);
  out.push({ name: 'Connection', value: ctx.keep ? 'keep-alive' : 'close' });
  return orderBy(out, NGINX_ORDER, 'after');
}

const APACHE_ORDER = [
  'date',
  'server',
  'last-modified',
  'etag',
  'accept-ranges',
  'content-length',
  'keep-alive',
  'connection',
  'transfer-encoding',
  'content-type',
];

/** Apache's default KeepAliveTimeout (5 s) and MaxKeepAliveRequests (100). */
export const APACHE_KEEPALIVE = { timeoutSeconds: 5, maxRequests: 100 };

/**
 * Apache httpd: "Keep-Alive: timeout=5, max=N" and "Connection: Keep-Alive" while the connection persists,
 * N counting down from MaxKeepAliveRequests (ap_set_keepalive in http_protocol.c); "Connection: close" when not.
 */
export function apacheFields(fields: HttpField[], ctx: ResponseFieldsContext): HttpField[] {
  const out = withoutConnection(fields);
  // ap_set_keepalive (modules/http/http_protocol.c): Keep-Alive and "Connection: Keep-Alive" only when the
  // client sent the keep-alive token; an HTTP/1.1 client that did not (curl) gets neither. Checked against
  // Debian's apache2 2.4 with curl -si.
  if (ctx.keep && ctx.askedKeepAlive) {
    const left = APACHE_KEEPALIVE.maxRequests - ctx.served;
    out.push({ name: 'Keep-Alive', value: `timeout=${APACHE_KEEPALIVE.timeoutSeconds}, max=${left}` });
    out.push({ name: 'Connection', value: 'Keep-Alive' });
  } else if (!ctx.keep) out.push({ name: 'Connection', value: 'close' });
  return orderBy(out, APACHE_ORDER, 'before');
}

const GO_EXTRA = ['date', 'content-length', 'content-type', 'connection', 'transfer-encoding'];

/** Go's net/http: the handler's own fields sorted by name, then Date, Content-Length, Content-Type, Connection. */
export function goFields(fields: HttpField[]): HttpField[] {
  const own = fields
    .filter((f) => !GO_EXTRA.includes(f.name.toLowerCase()) && f.name.toLowerCase() !== 'server')
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const extra = orderBy(
    fields.filter((f) => GO_EXTRA.includes(f.name.toLowerCase())),
    GO_EXTRA,
    'after',
  );
  return [...own, ...extra];
}
