/**
 * Traefik's Kubernetes Ingress provider (pkg/provider/kubernetes/ingress/kubernetes.go, v3): from the
 * plan's Ingresses, Services and the running pods' readiness to the routers and servers the traefik image
 * routes with (apps/images/traefik-routes.ts). Recomputed from the current state on every call, in
 * manifest order, so it follows readiness changes with no copy of its own.
 *
 * - Which Ingresses (shouldProcessIngress): ingressClassName naming an IngressClass whose controller is
 *   traefik.io/ingress-controller (k3s's `traefik`); without one, the kubernetes.io/ingress.class
 *   annotation absent, empty or `traefik`.
 * - One router per path: `Host("h") && Path("/p")` for Exact, `PathPrefix("/p")` for Prefix,
 *   ImplementationSpecific and no type (annotation router.pathmatcher may say Path); key
 *   Normalize(ns-ingress-host+path); service key Normalize(ns-service-port).
 * - defaultBackend, only in an Ingress without rules: `default-router`, `PathPrefix("/")`, priority
 *   MinInt32, the first such Ingress only.
 * - Servers: the ready endpoint pod IPs of the Service port (no ClusterIP: nativeLB is off by default); a
 *   service without any is skipped with its routers ("Skipping service: no endpoints found"), and so is
 *   an ExternalName Service (allowExternalNameServices is off by default).
 *
 * Known differences: Traefik gives routers that share a key a `-<sha256(rule)[:10]>` suffix, podnet
 * `-<n>`; PathRegexp is not supported (such paths are skipped).
 */
import type { Ipv4 } from '../wire/addr.js';
import type {
  IngressView,
  PathMatcher,
  TraefikConfig,
  TraefikRouter,
  TraefikServer,
} from '../apps/images/traefik-routes.js';
import { TRAEFIK_INGRESS_CLASS } from './k3s-addons.js';
import type { Ingress, IngressBackend, IngressPath } from './k8s-objects.js';
import type { ClusterPlan, PlannedService } from './plan-types.js';

/** The controller name Traefik's IngressClasses carry. */
export const TRAEFIK_CONTROLLER = 'traefik.io/ingress-controller';

/** Annotation prefix of router options. */
const ROUTER_ANNOTATION = 'traefik.ingress.kubernetes.io/router.';

/** math.MinInt32: the default router's priority. */
export const MIN_INT32 = -2147483648;

/** What the provider reads. */
export interface TraefikProviderInput {
  ingresses: readonly Ingress[];
  services: readonly PlannedService[];
  /** Names of the IngressClasses whose controller is traefik.io/ingress-controller. */
  ingressClasses: readonly string[];
  /** The address of a ready pod `namespace/name`, or undefined when it is not running or not ready. */
  readyPodIp(namespace: string, name: string): Ipv4 | undefined;
  /** A node's address (endpoints without a pod: the kubernetes Service). */
  nodeIp(name: string): Ipv4 | undefined;
}

/** provider.Normalize: runs of characters other than letters and digits become one "-", none at the ends. */
export function normalizeName(name: string): string {
  return name
    .split(/[^\p{L}\p{N}]+/u)
    .filter((s) => s !== '')
    .join('-');
}

/** shouldProcessIngress with no ingressClass configured (k3s's chart sets none). */
export function traefikServes(ing: Ingress, ingressClasses: readonly string[]): boolean {
  if (ing.spec.ingressClassName !== undefined) return ingressClasses.includes(ing.spec.ingressClassName);
  const annotation = ing.metadata.annotations['kubernetes.io/ingress.class'] ?? '';
  return annotation === '' || annotation === 'traefik';
}

const portString = (b: { port: { number: number } | { name: string } }): string =>
  'number' in b.port ? String(b.port.number) : b.port.name;

/** The path matcher of one Ingress path (loadRouter), or an error text. */
function pathMatcher(pa: IngressPath, annotations: Record<string, string>): PathMatcher | string | undefined {
  if (pa.path === undefined || pa.path === '') return undefined;
  let matcher = 'PathPrefix';
  if (pa.pathType === 'Exact') matcher = 'Path';
  else if (pa.pathType === 'ImplementationSpecific')
    matcher = annotations[`${ROUTER_ANNOTATION}pathmatcher`] ?? matcher;
  if (matcher !== 'Path' && matcher !== 'PathPrefix') return `router path matcher ${matcher} is not supported`;
  return { matcher, path: pa.path };
}

/** The Traefik configuration for the current state. */
export function traefikConfiguration(input: TraefikProviderInput): TraefikConfig {
  const routers: TraefikRouter[] = [];
  const services = new Map<string, TraefikServer[]>();
  const serviceFor = (ns: string, b: IngressBackend): string | undefined => {
    if (!('service' in b)) return undefined; // "Resource backends are not supported"
    const key = normalizeName(`${ns}-${b.service.name}-${portString(b.service)}`);
    if (services.has(key)) return key;
    const servers = loadServers(input, ns, b.service);
    if (servers === undefined || servers.length === 0) return undefined; // "Skipping service: no endpoints found"
    services.set(key, servers);
    return key;
  };
  for (const ing of input.ingresses) {
    if (!traefikServes(ing, input.ingressClasses)) continue;
    const ns = ing.metadata.namespace;
    const priorityText = ing.metadata.annotations[`${ROUTER_ANNOTATION}priority`];
    const priority = priorityText !== undefined && /^-?\d+$/.test(priorityText) ? Number(priorityText) : 0;
    const def = ing.spec.defaultBackend;
    if (ing.spec.rules.length === 0 && def !== undefined && !routers.some((r) => r.name === 'default-router')) {
      const service = serviceFor(ns, def);
      if (service !== undefined) {
        services.set('default-backend', services.get(service)!);
        routers.push({
          name: 'default-router',
          rule: 'PathPrefix("/")',
          path: { matcher: 'PathPrefix', path: '/' },
          priority: MIN_INT32,
          service: 'default-backend',
        });
      }
    }
    const byKey = new Map<string, TraefikRouter[]>();
    for (const rule of ing.spec.rules)
      for (const pa of rule.paths) {
        const service = serviceFor(ns, pa.backend);
        if (service === undefined) continue;
        const path = pathMatcher(pa, ing.metadata.annotations);
        if (typeof path === 'string') continue; // "Skipping path."
        const parts: string[] = [];
        if (rule.host !== undefined && rule.host !== '') parts.push(`Host(${JSON.stringify(rule.host)})`);
        if (path !== undefined) parts.push(`${path.matcher}(${JSON.stringify(path.path)})`);
        if (parts.length === 0) continue; // an empty rule does not parse: the router is in error
        const key = normalizeName(`${ns}-${ing.metadata.name}-${rule.host ?? ''}${pa.path ?? ''}`);
        const r: TraefikRouter = {
          name: key,
          rule: parts.join(' && '),
          ...(rule.host !== undefined && rule.host !== '' ? { host: rule.host } : {}),
          ...(path !== undefined ? { path } : {}),
          priority,
          service,
        };
        byKey.set(key, [...(byKey.get(key) ?? []), r]);
      }
    for (const [key, rs] of byKey) {
      if (rs.length === 1) routers.push(rs[0]!);
      else rs.forEach((r, i) => routers.push({ ...r, name: `${key}-${i + 1}` }));
    }
  }
  return { routers, services };
}

/** loadService: the port by number or name, then one server per ready endpoint address. */
function loadServers(
  input: TraefikProviderInput,
  ns: string,
  b: { name: string; port: { number: number } | { name: string } },
): TraefikServer[] | undefined {
  const svc = input.services.find((s) => s.namespace === ns && s.name === b.name);
  if (svc === undefined || svc.type === 'ExternalName') return undefined;
  const port = svc.ports.find((p) =>
    'number' in b.port ? p.port === b.port.number : p.name !== undefined && p.name !== '' && p.name === b.port.name,
  );
  if (port === undefined) return undefined; // "service port not found"
  const seen = new Set<Ipv4>();
  const out: TraefikServer[] = [];
  for (const ep of port.endpoints) {
    const ip = ep.pod !== undefined ? input.readyPodIp(ns, ep.pod) : input.nodeIp(ep.node);
    if (ip === undefined || seen.has(ip)) continue;
    seen.add(ip);
    out.push({ ip, port: ep.port });
  }
  return out;
}

/**
 * The view the traefik image reads in a running cluster: the plan's Ingresses and Services, k3s's
 * IngressClass `traefik` (unless traefik is disabled), and readiness as the runtime knows it now.
 */
export function traefikIngressView(
  plan: () => ClusterPlan,
  readyPodIp: TraefikProviderInput['readyPodIp'],
  nodeIp: TraefikProviderInput['nodeIp'],
): IngressView {
  return {
    configuration: () => {
      const p = plan();
      const ingressClasses = p.cluster.disable.includes('traefik') ? [] : [TRAEFIK_INGRESS_CLASS.name];
      return traefikConfiguration({ ingresses: p.ingresses, services: p.services, ingressClasses, readyPodIp, nodeIp });
    },
  };
}
