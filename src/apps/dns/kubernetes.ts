/**
 * The `kubernetes` plugin, as CoreDNS's plugin/kubernetes answers per the Kubernetes DNS specification
 * v1.1.0 (kubernetes/dns docs/specification.md): A records for Services (`<svc>.<ns>.svc.<zone>`), one A
 * per ready endpoint for headless Services plus `<hostname>.<svc>.<ns>.svc.<zone>` (the dashed IP when the
 * endpoint has no hostname), SRV for ports, PTR for Service and endpoint IPs, pod records
 * `1-2-3-4.<ns>.pod.<zone>` (`pods insecure`), CNAME for ExternalName, TXT `dns-version.<zone>`, and the SOA
 * in the authority section of NXDOMAIN and NODATA answers. The rules for which is which follow CoreDNS's
 * parse.go (parseRequest), kubernetes.go (Records, findServices, findPods, serviceRecordForIP), handler.go
 * and plugin/backend_lookup.go (A, SRV, SOA). The cluster's objects come from a `KubernetesView` read at
 * every query (kubernetes-view.ts). Not modelled: IPv6, `ns.dns.<zone>` addresses, `endpoint_pod_names`,
 * multicluster and zonal names, wildcard queries (CoreDNS removed them too).
 */
import { type Ipv4, formatIpv4, parseIpv4 } from '../../wire/addr.js';
import {
  type DnsRecord,
  type DnsRData,
  DNS_CLASS_IN,
  DNS_RCODE_NOERROR,
  DNS_RCODE_NXDOMAIN,
  DNS_TYPE_A,
  DNS_TYPE_AAAA,
  DNS_TYPE_CNAME,
  DNS_TYPE_NS,
  DNS_TYPE_PTR,
  DNS_TYPE_SOA,
  DNS_TYPE_SRV,
  DNS_TYPE_TXT,
  isSubdomain,
  nameKey,
  txtData,
} from '../../wire/dns.js';
import type { KubernetesView } from './kubernetes-view.js';
import { type DnsHandler, type DnsPlugin, type DnsRequest, replyTo } from './plugin.js';

/** The schema version TXT record `dns-version.<zone>` carries (spec 2.1). */
export const DNS_SCHEMA_VERSION = '1.1.0';
/** CoreDNS's default record TTL (plugin/kubernetes: `ttl` default 5, 0..3600). */
export const KUBERNETES_DEFAULT_TTL = 5;
/** CoreDNS answers dns-version with this TTL (kubernetes.go Services, TypeTXT). */
export const DNS_VERSION_TTL = 28800;

/** Configuration, as the Corefile's `kubernetes ZONES { pods MODE; fallthrough ZONES; ttl N }`. */
export interface KubernetesConfig {
  /** Zones served: k3s's `cluster.local in-addr.arpa ip6.arpa`. The first forward zone is the primary. */
  readonly zones: readonly string[];
  /** `pods`: disabled (CoreDNS's default: NXDOMAIN), insecure (any dashed IP) or verified (a pod has it). */
  readonly pods?: 'disabled' | 'insecure' | 'verified';
  /** `fallthrough ZONES`: a name error in these zones goes to the next plugin; [] means every zone. */
  readonly fallthrough?: readonly string[];
  /** `ttl` (default 5). */
  readonly ttl?: number;
  /** The cluster now. */
  readonly view: () => KubernetesView;
}

/** One thing a name stands for (CoreDNS's msg.Service): an address or a CNAME target, a port, a domain name. */
interface Found {
  /** An IPv4 address, or an external name (a CNAME). */
  readonly host: Ipv4 | string;
  /** -1: no port known (CoreDNS's sentinel); such entries give A records but no SRV. */
  readonly port: number;
  /** The record's own name: the Service's or the endpoint's domain (SRV targets). */
  readonly domain: string;
}

/** What a name is: a name error, or a list (empty: the name exists, NODATA). */
type Lookup = { readonly kind: 'nxdomain' } | { readonly kind: 'found'; readonly found: readonly Found[] };

const NXDOMAIN: Lookup = { kind: 'nxdomain' };
const EMPTY: Lookup = { kind: 'found', found: [] };
/** CoreDNS's A() stops following CNAMEs after 8 (previousRecords > 7). */
const MAX_CNAMES = 8;

/** The hostname DNS gives an endpoint: its hostname, else its address with dashes (CoreDNS endpointHostname). */
export function endpointHostname(ep: { readonly ip: Ipv4; readonly hostname?: string }): string {
  return ep.hostname !== undefined && ep.hostname !== '' ? ep.hostname : formatIpv4(ep.ip).replaceAll('.', '-');
}

/** True for in-addr.arpa and ip6.arpa names. */
function isReverse(name: string): boolean {
  return isSubdomain(name, 'in-addr.arpa.') || isSubdomain(name, 'ip6.arpa.');
}

/** The IPv4 address of a `d.c.b.a.in-addr.arpa.` name (lower-cased key), or undefined. */
function reverseAddress(key: string): Ipv4 | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa\.$/.exec(key);
  return m === null ? undefined : parseIpv4(`${m[4]}.${m[3]}.${m[2]}.${m[1]}`);
}

/** The plugin. */
export function kubernetesPlugin(cfg: KubernetesConfig): DnsPlugin {
  const zones = cfg.zones.map((z) => nameKey(z)).sort((a, b) => b.length - a.length);
  const primary = cfg.zones.map((z) => nameKey(z)).find((z) => !isReverse(z)) ?? zones[0]!;
  const ttl = cfg.ttl ?? KUBERNETES_DEFAULT_TTL;
  const podMode = cfg.pods ?? 'disabled';
  const through = cfg.fallthrough?.map((z) => nameKey(z));
  const fallsThrough = (key: string): boolean =>
    through !== undefined && (through.length === 0 || through.some((z) => isSubdomain(key, z)));

  /** backend_lookup.go SOA: ns.dns.<zone> hostmaster.<zone>, refresh 7200, retry 1800, expire 86400, minimum = ttl. */
  const soa = (zone: string, view: KubernetesView): DnsRecord => ({
    name: zone,
    class: DNS_CLASS_IN,
    ttl: Math.min(ttl, 300),
    data: {
      type: 'SOA',
      mname: `ns.dns.${zone}`,
      rname: `hostmaster.${zone}`,
      serial: view.serial >>> 0,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: ttl,
    },
  });
  const rr = (name: string, data: DnsRData, t = ttl): DnsRecord => ({ name, class: DNS_CLASS_IN, ttl: t, data });

  /** kubernetes.go findServices for `[endpoint|_port._proto].<svc>.<ns>.svc.<zone>`. */
  const services = (
    view: KubernetesView,
    zone: string,
    r: { ns: string; svc: string; endpoint?: string; port?: string; proto?: string },
  ): Lookup => {
    const out: Found[] = [];
    let hit = false;
    const portMatches = (p: { name: string; protocol: string }): boolean =>
      (r.port === undefined || r.port === p.name.toLowerCase()) &&
      (r.proto === undefined || r.proto === p.protocol.toLowerCase());
    for (const s of view.services) {
      if (s.namespace !== r.ns || s.name !== r.svc) continue;
      const base = `${s.name}.${s.namespace}.svc.${zone}`;
      if (s.type === 'ExternalName') {
        // no endpoints, ports or protocols below an ExternalName Service
        if (r.endpoint !== undefined || r.port !== undefined || r.proto !== undefined) continue;
        if (s.externalName === undefined || s.externalName === '') continue;
        out.push({
          host: s.externalName.endsWith('.') ? s.externalName : `${s.externalName}.`,
          port: -1,
          domain: base,
        });
        hit = true;
        continue;
      }
      if (s.headless || r.endpoint !== undefined) {
        for (const ep of s.endpoints) {
          if (!ep.ready) continue; // CoreDNS publishes only ready endpoints
          const host = endpointHostname(ep);
          if (r.endpoint !== undefined && r.endpoint !== host.toLowerCase()) continue;
          const ports = ep.ports.length === 0 ? [{ name: '', protocol: '', port: -1 }] : ep.ports;
          for (const p of ports) {
            if (!portMatches(p)) continue;
            out.push({ host: ep.ip, port: p.port, domain: `${host}.${base}` });
            hit = true;
          }
        }
        continue;
      }
      const ports = s.ports.length === 0 ? [{ name: '', protocol: '', port: -1 }] : s.ports;
      for (const p of ports) {
        if (!portMatches(p) || s.clusterIP === undefined) continue;
        out.push({ host: s.clusterIP, port: p.port, domain: base });
        hit = true;
      }
    }
    return hit ? { kind: 'found', found: out } : NXDOMAIN;
  };

  /** kubernetes.go findPods for `<dashed-ip>.<ns>.pod.<zone>`. */
  const pods = (view: KubernetesView, zone: string, ns: string, label: string): Lookup => {
    if (podMode === 'disabled') return NXDOMAIN;
    const dashes = label.split('-').length - 1;
    const ip = dashes === 3 && !label.includes('--') ? parseIpv4(label.replaceAll('-', '.')) : undefined;
    if (ip === undefined) return NXDOMAIN; // IPv6 pod names are not modelled
    const domain = `${label}.${ns}.pod.${zone}`;
    if (podMode === 'verified' && !view.pods.some((p) => p.ip === ip && p.namespace === ns)) return NXDOMAIN;
    return { kind: 'found', found: [{ host: ip, port: -1, domain }] };
  };

  /** kubernetes.go Records with parse.go parseRequest: what `key` (below `zone`) names. */
  const records = (view: KubernetesView, key: string, zone: string): Lookup => {
    const base = key === zone ? '' : key.slice(0, key.length - zone.length - 1);
    if (base === '' || base === 'svc' || base === 'pod') return EMPTY; // NODATA at the apex
    const segs = base.split('.');
    const kind = segs.pop()!;
    if (kind !== 'svc' && kind !== 'pod') return NXDOMAIN;
    const ns = segs.pop();
    if (ns === undefined) return EMPTY;
    if (!view.namespaces.includes(ns)) return NXDOMAIN;
    const name = segs.pop();
    if (name === undefined) return EMPTY; // an existing namespace: NODATA
    if (kind === 'pod') return segs.length > 2 ? NXDOMAIN : pods(view, zone, ns, name);
    if (segs.length === 0) return services(view, zone, { ns, svc: name });
    if (segs.length === 1) return services(view, zone, { ns, svc: name, endpoint: segs[0]! });
    if (segs.length === 2) {
      const strip = (s: string): string => (s.startsWith('_') ? s.slice(1) : s);
      return services(view, zone, { ns, svc: name, port: strip(segs[0]!), proto: strip(segs[1]!) });
    }
    return NXDOMAIN; // too long
  };

  /** kubernetes.go serviceRecordForIP: a Service's ClusterIP first, else every ready endpoint with that IP. */
  const ptr = (view: KubernetesView, ip: Ipv4): string[] => {
    const svc = view.services.find((s) => s.clusterIP === ip);
    if (svc !== undefined) return [`${svc.name}.${svc.namespace}.svc.${primary}`];
    const out: string[] = [];
    for (const s of view.services)
      for (const ep of s.endpoints)
        if (ep.ready && ep.ip === ip) out.push(`${endpointHostname(ep)}.${s.name}.${s.namespace}.svc.${primary}`);
    return out;
  };

  return (next) => (req, respond) => {
    const q = req.question;
    const key = nameKey(q.name);
    const zone = q.class === DNS_CLASS_IN ? zones.find((z) => isSubdomain(key, z)) : undefined;
    if (zone === undefined) {
      next(req, respond);
      return;
    }
    const view = cfg.view();
    const msg = req.message;
    const answer = (answers: DnsRecord[], additionals: DnsRecord[] = []): void =>
      respond(
        answers.length === 0
          ? replyTo(msg, { aa: true, authorities: [soa(zone, view)] }) // NODATA
          : replyTo(msg, { aa: true, answers, additionals }),
      );
    const nameError = (): void => {
      if (fallsThrough(key)) next(req, respond);
      else respond(replyTo(msg, { aa: true, rcode: DNS_RCODE_NXDOMAIN, authorities: [soa(zone, view)] }));
    };

    if (isReverse(zone)) {
      const ip = q.type === DNS_TYPE_PTR ? reverseAddress(key) : undefined;
      const names = ip === undefined ? [] : ptr(view, ip);
      if (names.length === 0) nameError();
      else answer(names.map((n) => rr(q.name, { type: 'PTR', target: n })));
      return;
    }
    if (key === zone) {
      if (q.type === DNS_TYPE_SOA) answer([soa(zone, view)]);
      else if (q.type === DNS_TYPE_NS) answer([rr(q.name, { type: 'NS', target: `ns.dns.${zone}` })]);
      else answer([]);
      return;
    }
    if (q.type === DNS_TYPE_TXT) {
      if (key === `dns-version.${zone}`) answer([rr(q.name, txtData(DNS_SCHEMA_VERSION), DNS_VERSION_TTL)]);
      else {
        // kubernetes.go: another type's records make this NODATA; anything else is NXDOMAIN
        const r = records(view, key, zone);
        if (r.kind === 'found' && r.found.length > 0) answer([]);
        else nameError();
      }
      return;
    }
    const r = records(view, key, zone);
    if (r.kind === 'nxdomain') {
      nameError();
      return;
    }
    switch (q.type) {
      case DNS_TYPE_A:
      case DNS_TYPE_AAAA:
      case DNS_TYPE_CNAME:
        chase(
          req,
          next,
          q.name,
          q.type,
          r.found,
          0,
          (k) => records(view, k, zone),
          zone,
          (recs) => answer(recs),
        );
        return;
      case DNS_TYPE_SRV:
        answer(...srv(q.name, r.found, ttl));
        return;
      default:
        answer([]); // the name exists: NODATA
    }
  };

  /**
   * backend_lookup.go A/AAAA/CNAME: the addresses (each once), or the CNAME of an ExternalName Service
   * followed by its target's records: looked up again inside the zone (the CNAME is kept only when the
   * target has records), or by the rest of the server for names outside it (plugin/pkg/upstream).
   */
  function chase(
    req: DnsRequest,
    next: DnsHandler,
    owner: string,
    qtype: number,
    found: readonly Found[],
    depth: number,
    lookup: (key: string) => Lookup,
    zone: string,
    done: (records: DnsRecord[]) => void,
  ): void {
    const ext = found.find((f): f is Found & { host: string } => typeof f.host === 'string');
    if (ext === undefined) {
      const seen = new Set<Ipv4>();
      const out: DnsRecord[] = [];
      for (const f of found)
        if (qtype === DNS_TYPE_A && typeof f.host === 'number' && !seen.has(f.host)) {
          seen.add(f.host);
          out.push(rr(owner, { type: 'A', address: f.host }));
        }
      done(out);
      return;
    }
    const target = nameKey(ext.host);
    if (target === nameKey(owner) || depth >= MAX_CNAMES) {
      done([]); // a loop, or too long a chain
      return;
    }
    const cname = rr(owner, { type: 'CNAME', target: ext.host });
    if (qtype === DNS_TYPE_CNAME) {
      done([cname]);
      return;
    }
    if (isSubdomain(target, zone)) {
      const r = lookup(target);
      if (r.kind === 'nxdomain') done([]);
      else
        chase(req, next, ext.host, qtype, r.found, depth + 1, lookup, zone, (more) =>
          done(more.length > 0 ? [cname, ...more] : []),
        );
      return;
    }
    const q1 = { name: ext.host, type: qtype, class: DNS_CLASS_IN };
    next({ ...req, message: { ...req.message, questions: [q1] }, question: q1 }, (m) =>
      done(m.rcode === DNS_RCODE_NOERROR || m.rcode === DNS_RCODE_NXDOMAIN ? [cname, ...m.answers] : []),
    );
  }
}

/** backend_lookup.go SRV: priority 0, weight ⌊100/N⌋ (at least 1), targets' addresses in the additional section. */
function srv(qname: string, found: readonly Found[], ttl: number): [DnsRecord[], DnsRecord[]] {
  const internal = found.filter((f): f is Found & { host: Ipv4 } => typeof f.host === 'number');
  const weight = Math.max(1, Math.floor(100 / internal.length));
  const answers: DnsRecord[] = [];
  const extra: DnsRecord[] = [];
  const seen = new Set<string>();
  for (const f of internal) {
    if (f.port === -1) continue;
    const srvKey = `${f.domain} ${f.port}`;
    if (!seen.has(srvKey)) {
      seen.add(srvKey);
      answers.push({
        name: qname,
        class: DNS_CLASS_IN,
        ttl,
        data: { type: 'SRV', priority: 0, weight, port: f.port, target: f.domain },
      });
    }
    const aKey = `${f.domain} ${f.host}`;
    if (!seen.has(aKey)) {
      seen.add(aKey);
      extra.push({ name: f.domain, class: DNS_CLASS_IN, ttl, data: { type: 'A', address: f.host } });
    }
  }
  return [answers, extra];
}
