/**
 * The request Traefik sends to a server, from the one it received: its forwarded-headers middleware
 * (pkg/middlewares/forwardedheaders/forwarded_header.go: incoming X-Forwarded-* and X-Real-Ip dropped from
 * untrusted peers, then X-Real-Ip, X-Forwarded-Proto, -Port, -Host and -Server set, Connection-listed
 * fields removed), its reverse proxy (pkg/proxy/httputil/proxy.go with Go's httputil.ReverseProxy:
 * hop-by-hop fields removed, the client address appended to X-Forwarded-For, Host passed on) and Go's
 * http.Transport (Host, User-Agent, the header sorted by key, then "Accept-Encoding: gzip" when the client
 * asked for no encoding: the transport decompresses for itself).
 */
import type { HttpField } from '../http/message.js';
import type { HttpServerRequest } from '../http/server.js';
import { canonicalHeaderKey } from '../http/whoami.js';

/** forwardedheaders XHeadersSet: the fields Traefik manages, dropped when the peer is not trusted. */
export const MANAGED_X_HEADERS: ReadonlySet<string> = new Set([
  'X-Forwarded-Proto',
  'X-Forwarded-Scheme',
  'X-Forwarded-For',
  'X-Forwarded-Host',
  'X-Forwarded-Port',
  'X-Forwarded-Server',
  'X-Forwarded-Uri',
  'X-Forwarded-Method',
  'X-Forwarded-Prefix',
  'X-Forwarded-Tls-Client-Cert',
  'X-Forwarded-Tls-Client-Cert-Info',
  'X-Scheme',
  'X-Real-Ip',
]);

/** Go's httputil hopHeaders (RFC 9110 §7.6.1 and the old Proxy-* and Keep-Alive fields). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'Connection',
  'Proxy-Connection',
  'Keep-Alive',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Te',
  'Trailer',
  'Transfer-Encoding',
  'Upgrade',
]);

/** isManagedXHeader: a managed name, also when written with underscores (X_Forwarded_For). */
export function isManagedXHeader(key: string): boolean {
  if (MANAGED_X_HEADERS.has(key)) return true;
  return key.includes('_') && MANAGED_X_HEADERS.has(canonicalHeaderKey(key.replaceAll('_', '-')));
}

/** How the entry point treats a request. */
export interface ForwardContext {
  /** The traefik pod's hostname (os.Hostname): X-Forwarded-Server. */
  hostname: string;
  /** The peer is in forwardedHeaders.trustedIPs (k3s sets none: false). */
  trusted: boolean;
}

/** A Go http.Header: canonical keys with their values, in first-seen order (Go sorts when writing). */
type GoHeader = Map<string, string[]>;

function toHeader(fields: readonly HttpField[]): GoHeader {
  const h: GoHeader = new Map();
  for (const f of fields) {
    const k = canonicalHeaderKey(f.name);
    h.set(k, [...(h.get(k) ?? []), f.value]);
  }
  return h;
}

const first = (h: GoHeader, k: string): string => h.get(k)?.[0] ?? '';

/** forwardedPort: the Host's port, else 443 for https/wss, else 80. */
function forwardedPort(host: string, proto: string): string {
  const m = /:(\d+)$/.exec(host);
  if (m !== null && !host.endsWith(']')) return m[1]!;
  return proto === 'https' || proto === 'wss' ? '443' : '80';
}

/** The outgoing request's fields, in the order Go's transport writes them (Host first). */
export function forwardedRequestFields(req: HttpServerRequest, ctx: ForwardContext): HttpField[] {
  const h = toHeader(req.fields);
  h.delete('Host');
  // forwardedheaders ServeHTTP: untrusted peers' X-Forwarded-* are not believed
  if (!ctx.trusted) for (const k of [...h.keys()]) if (isManagedXHeader(k)) h.delete(k);
  // rewrite
  if (first(h, 'X-Real-Ip') === '') h.set('X-Real-Ip', [req.remoteAddress]);
  const websocket = /(^|,)\s*upgrade\s*(,|$)/i.test(first(h, 'Connection')) && /websocket/i.test(first(h, 'Upgrade'));
  if (first(h, 'X-Forwarded-Proto') === '') h.set('X-Forwarded-Proto', [websocket ? 'ws' : 'http']);
  if (first(h, 'X-Forwarded-Port') === '')
    h.set('X-Forwarded-Port', [forwardedPort(req.host, first(h, 'X-Forwarded-Proto'))]);
  if (first(h, 'X-Forwarded-Host') === '' && req.host !== '') h.set('X-Forwarded-Host', [req.host]);
  const xff = h.get('X-Forwarded-For');
  if (xff !== undefined && xff.length > 0) h.set('X-Forwarded-For', [xff.join(', ')]);
  if (ctx.hostname !== '') h.set('X-Forwarded-Server', [ctx.hostname]);
  // removeConnectionHeaders: fields the Connection field names go, managed X fields stay
  for (const v of h.get('Connection') ?? [])
    for (const t of v.split(',')) {
      const k = canonicalHeaderKey(t.trim());
      if (k !== '' && !isManagedXHeader(k)) h.delete(k);
    }
  // ReverseProxy: hop-by-hop fields, then the client's address appended to X-Forwarded-For
  for (const k of HOP_BY_HOP) h.delete(k);
  const prior = h.get('X-Forwarded-For') ?? [];
  h.set('X-Forwarded-For', [[...prior, req.remoteAddress].join(', ')]);
  // Request.Write: Host, User-Agent (none when the client sent none: ReverseProxy sets it empty), the body's length
  const out: HttpField[] = [{ name: 'Host', value: req.host }];
  const ua = first(h, 'User-Agent');
  h.delete('User-Agent');
  if (ua !== '') out.push({ name: 'User-Agent', value: ua });
  h.delete('Content-Length');
  if (req.body.length > 0 || ['POST', 'PUT', 'PATCH'].includes(req.method))
    out.push({ name: 'Content-Length', value: String(req.body.length) });
  for (const k of [...h.keys()].sort()) for (const v of h.get(k)!) out.push({ name: k, value: v });
  // http.Transport asks for gzip itself unless the request names an encoding or a range, or is HEAD
  if (!h.has('Accept-Encoding') && !h.has('Range') && req.method !== 'HEAD')
    out.push({ name: 'Accept-Encoding', value: 'gzip' });
  return out;
}

/** The response fields Traefik passes back from a server: all but the hop-by-hop ones. */
export function forwardedResponseFields(fields: readonly HttpField[]): HttpField[] {
  const named = new Set<string>();
  for (const f of fields)
    if (canonicalHeaderKey(f.name) === 'Connection')
      for (const t of f.value.split(',')) named.add(canonicalHeaderKey(t.trim()));
  return fields.filter((f) => {
    const k = canonicalHeaderKey(f.name);
    return !HOP_BY_HOP.has(k) && !named.has(k);
  });
}
