/**
 * The cluster as CoreDNS's kubernetes plugin sees it (apps/dns/kubernetes-view.ts), built from the plan's
 * Services and the running pods each time it is asked, so a readiness change or a pod added or removed
 * is in the next answer. Endpoints are what the EndpointSlice controller publishes: the running pods of
 * the Service's namespace its selector matches (in plan order), `ready` from the pod's Ready condition,
 * the target port resolved per pod, and a hostname when the pod's spec.hostname is set and its
 * spec.subdomain names the Service (endpointslice utils: hostname only then). A Service without a selector
 * keeps the plan's endpoints (the kubernetes Service: its servers).
 */
import { DIG_EPOCH_MS } from '../apps/dns/dig.js';
import type { KubeDnsEndpoint, KubeDnsPort, KubeDnsService, KubernetesView } from '../apps/dns/kubernetes-view.js';
import type { Ipv4 } from '../wire/addr.js';
import { labelsMatch } from '../control/label-selector.js';
import { resolveTargetPort } from './plan-services.js';
import type { ClusterPlan, PlannedService } from './plan-types.js';

/** What the view is built from: the plan, the running pods and nodes (ClusterRuntime's fields). */
export interface DnsViewSource {
  readonly plan: ClusterPlan;
  readonly pods: ReadonlyMap<string, { readonly ip: Ipv4; readonly ready: boolean; readonly node: string }>;
  readonly nodes: ReadonlyMap<string, { readonly ip: Ipv4 }>;
  /** Engine ns of the last change CoreDNS saw (its SOA serial is that moment in Unix seconds). */
  readonly lastChange: () => number;
}

/** The Unix seconds of engine time `ns`, on dig's simulated wall clock. */
export function unixSeconds(ns: number): number {
  return Math.floor((DIG_EPOCH_MS + Math.floor(ns / 1_000_000)) / 1000);
}

/** The view now. */
export function clusterDnsView(src: DnsViewSource): KubernetesView {
  return {
    namespaces: src.plan.namespaces,
    services: src.plan.services.map((s) => dnsService(src, s)),
    pods: src.plan.pods.flatMap((p) => {
      const run = src.pods.get(`${p.namespace}/${p.name}`);
      return run === undefined ? [] : [{ namespace: p.namespace, name: p.name, ip: run.ip }];
    }),
    serial: unixSeconds(src.lastChange()),
  };
}

function dnsService(src: DnsViewSource, s: PlannedService): KubeDnsService {
  const ports: KubeDnsPort[] = s.ports.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port }));
  return {
    namespace: s.namespace,
    name: s.name,
    type: s.type,
    headless: s.headless,
    ...(s.clusterIP !== undefined ? { clusterIP: s.clusterIP } : {}),
    ...(s.externalName !== undefined ? { externalName: s.externalName } : {}),
    ports,
    endpoints: s.type === 'ExternalName' ? [] : endpoints(src, s),
  };
}

function endpoints(src: DnsViewSource, s: PlannedService): KubeDnsEndpoint[] {
  if (s.selector === undefined) {
    // node endpoints (the API server on each server), as the plan has them
    const out = new Map<string, KubeDnsEndpoint>();
    for (const p of s.ports)
      for (const e of p.endpoints) {
        const node = src.nodes.get(e.node);
        if (node === undefined || e.pod !== undefined) continue;
        const prev = out.get(e.node);
        const port = { name: p.name, protocol: p.protocol, port: e.port };
        out.set(e.node, {
          ip: node.ip,
          ready: true,
          nodeName: e.node,
          ports: [...(prev?.ports ?? []), port],
        });
      }
    return [...out.values()];
  }
  const selector = s.selector;
  const out: KubeDnsEndpoint[] = [];
  for (const p of src.plan.pods) {
    if (p.namespace !== s.namespace || !labelsMatch(selector, p.labels)) continue;
    const run = src.pods.get(`${p.namespace}/${p.name}`);
    if (run === undefined) continue; // Pending or not wired: no address, no endpoint
    const ports: KubeDnsPort[] = [];
    for (const sp of s.ports) {
      const target = resolveTargetPort(sp, p.spec);
      if (target !== undefined) ports.push({ name: sp.name, protocol: sp.protocol, port: target });
    }
    const hostname = p.spec.hostname !== undefined && p.spec.subdomain === s.name ? p.spec.hostname : undefined;
    out.push({
      ip: run.ip,
      ready: run.ready,
      nodeName: run.node,
      podName: p.name,
      ports,
      ...(hostname !== undefined ? { hostname } : {}),
    });
  }
  return out;
}
