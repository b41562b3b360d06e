/**
 * Traefik's HTTP muxer as its Kubernetes Ingress provider feeds it: routers with a rule of `Host`, `Path`
 * and `PathPrefix` matchers, a priority (len(rule) when unset: pkg/server/router/router.go and
 * pkg/muxer/http/mux.go GetRulePriority), sorted in descending priority, the first match winning; each
 * router names a service with its servers (pod IPs and ports). Turning Ingress objects into routers is the
 * cluster's (cluster/traefik-provider.ts): this file only holds the view the traefik image reads and the
 * matching, so apps/ needs nothing from cluster/.
 */
import type { Ipv4 } from '../../wire/addr.js';

/** A path matcher of a router: `Path` is exact, `PathPrefix` a character-wise prefix (traefik#9514). */
export interface PathMatcher {
  matcher: 'Path' | 'PathPrefix';
  path: string;
}

/** One HTTP router (dynamic.Router, the parts the Ingress provider sets). */
export interface TraefikRouter {
  /** Router key, e.g. "default-web-whoami-local-api" or "default-router". */
  name: string;
  /** The rule as Traefik writes it: `Host("a") && PathPrefix("/p")`. */
  rule: string;
  /** `Host` matcher (absent: any host). */
  host?: string;
  /** Path matcher (absent: any path). */
  path?: PathMatcher;
  /** 0: unset, so len(rule) is used (the router manager's default). */
  priority: number;
  /** Service key, e.g. "default-whoami-80". */
  service: string;
}

/** A server of a service's load balancer: `http://ip:port`. */
export interface TraefikServer {
  ip: Ipv4;
  port: number;
}

/** The dynamic configuration the image routes with. */
export interface TraefikConfig {
  routers: TraefikRouter[];
  /** Servers per service key, in EndpointSlice order. */
  services: Map<string, TraefikServer[]>;
}

/** What the cluster tells the traefik image: its current configuration, recomputed on each call. */
export interface IngressView {
  configuration(): TraefikConfig;
}

/** The priority a router runs with: its own, or len(rule) when unset (router.go: `if Priority == 0`). */
export function effectivePriority(r: TraefikRouter): number {
  return r.priority === 0 ? r.rule.length : r.priority;
}

/**
 * Routers in the muxer's order: descending priority (mux.go routes.Less). Traefik adds routers while
 * ranging over a Go map, so equal priorities come in no fixed order there; podnet breaks ties by router
 * name, to stay deterministic.
 */
export function sortRouters(routers: readonly TraefikRouter[]): TraefikRouter[] {
  return [...routers].sort(
    (a, b) => effectivePriority(b) - effectivePriority(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

/**
 * The Host matcher (matcher.go host, muxer.DomainMatchHostExpression): the request host lower-cased without
 * its port equals the expression, or the expression is `*.domain` and the host is one label under domain.
 */
export function hostMatches(expr: string, requestHost: string): boolean {
  const host = canonicalHost(requestHost);
  if (host === '') return false;
  const e = expr.toLowerCase();
  if (e.startsWith('*.')) {
    const suffix = e.slice(1);
    return host.endsWith(suffix) && host.length > suffix.length && !host.slice(0, -suffix.length).includes('.');
  }
  return host === e;
}

/** requestdecorator's canonical host: lower case, without the port (and without a trailing dot). */
export function canonicalHost(requestHost: string): string {
  const colon = requestHost.lastIndexOf(':');
  const noPort = colon >= 0 && /^\d*$/.test(requestHost.slice(colon + 1)) ? requestHost.slice(0, colon) : requestHost;
  return noPort.toLowerCase().replace(/\.$/, '');
}

/** Whether `r` matches a request for `host` and `path`. */
export function routerMatches(r: TraefikRouter, host: string, path: string): boolean {
  if (r.host !== undefined && !hostMatches(r.host, host)) return false;
  if (r.path === undefined) return true;
  return r.path.matcher === 'Path' ? path === r.path.path : path.startsWith(r.path.path);
}

/** The router that takes a request: the first match in muxer order, or undefined (the 404 handler). */
export function matchRouter(routers: readonly TraefikRouter[], host: string, path: string): TraefikRouter | undefined {
  return sortRouters(routers).find((r) => routerMatches(r, host, path));
}
