/**
 * kube-proxy on every node of a running cluster: the Services of the plan and the EndpointSlices of the
 * running pods (endpoint-slices.ts) turned into control/kube-proxy's input, its rules loaded into each
 * node's netfilter with iptables-restore --noflush (after flannel's, with the jumps from the built-in chains
 * on the first sync), and loaded again on every cluster change whose rules differ. Conntrack is kept, so
 * established connections keep their endpoint, as on Linux.
 */
import { loadBalancerIngress } from './servicelb-status.js';
import { parseIpv4, type Ipv4 } from '../wire/addr.js';
import { parseIptablesSave } from '../net/netfilter/iptables-restore.js';
import {
  generateProxyRules,
  jumpRulesText,
  restoreText,
  SERVICE_CHAIN_PREFIXES,
} from '../control/kube-proxy/proxier.js';
import type { ProxyService } from '../control/kube-proxy/types.js';
import { EndpointSliceController, type EndpointSlice } from './endpoint-slices.js';
import type { ClusterNode, ClusterRuntime } from './runtime.js';

/** kube-proxy's default for sessionAffinityConfig.clientIP.timeoutSeconds (DefaultClientIPServiceAffinitySeconds). */
const DEFAULT_AFFINITY_SECONDS = 10800;

/** The service ports kube-proxy proxies, with their endpoints from the slices. */
export function proxyServices(
  slices: EndpointSlice[],
  lbIPs: (svc: EndpointSlice['service']) => Ipv4[] = () => [],
): ProxyService[] {
  const out: ProxyService[] = [];
  for (const slice of slices) {
    const svc = slice.service;
    // headless and ExternalName Services are not proxied (no ClusterIP)
    if (svc.clusterIP === undefined || svc.headless || svc.type === 'ExternalName') continue;
    for (const p of svc.ports)
      out.push({
        port: {
          namespace: svc.namespace,
          service: svc.name,
          portName: p.name,
          protocol: p.protocol,
          port: p.port,
          clusterIP: svc.clusterIP,
          nodePort: svc.type === 'NodePort' || svc.type === 'LoadBalancer' ? (p.nodePort ?? 0) : 0,
          type: svc.type,
          externalTrafficPolicy: svc.externalTrafficPolicy ?? 'Cluster',
          internalTrafficPolicy: svc.internalTrafficPolicy,
          sessionAffinity: svc.sessionAffinity,
          stickyMaxAgeSeconds: svc.sessionAffinityTimeoutSeconds || DEFAULT_AFFINITY_SECONDS,
          externalIPs: svc.externalIPs,
          loadBalancerIPs: svc.type === 'LoadBalancer' ? lbIPs(svc) : [],
          loadBalancerSourceRanges: svc.loadBalancerSourceRanges ?? [],
        },
        endpoints: slice.endpoints.flatMap((e) => {
          const port = e.portsByName.get(p.name);
          if (port === undefined) return [];
          return [{ ip: e.ip, port, ...e.conditions, nodeName: e.nodeName }];
        }),
      });
  }
  return out;
}

/** kube-proxy of a cluster: one per node, all following the same slices. */
export class KubeProxy {
  readonly endpointSlices: EndpointSliceController;
  /** The last text loaded per node. */
  private readonly loaded = new Map<string, string>();
  /** Sync count per node (how many times rules were loaded). */
  readonly syncs = new Map<string, number>();

  constructor(private readonly rt: ClusterRuntime) {
    this.endpointSlices = new EndpointSliceController(rt);
  }

  /**
   * Programs every node now, and again after cluster changes: one sync at the current simulated time
   * after the change's step is done (a step updates the Services' endpoints after it publishes), however
   * many changes came, as kube-proxy's BoundedFrequencyRunner coalesces them.
   */
  start(): void {
    this.syncAll();
    let pending = false;
    this.rt.changes.subscribe(() => {
      if (pending) return;
      pending = true;
      this.rt.engine.schedule(0, () => {
        pending = false;
        this.syncAll();
      });
    });
  }

  /** One sync on every node, in node order. */
  syncAll(): void {
    // status.loadBalancer.ingress as ServiceLB publishes it: kube-proxy DNATs those addresses itself, so on a
    // k3s node traffic to a node IP's LoadBalancer port never reaches the svclb pod (k3s discussion #9927)
    // (none without ServiceLB: no svclb pod, no address)
    const services = proxyServices(this.endpointSlices.slices(), (svc) =>
      loadBalancerIngress(this.rt, svc).map((ip) => parseIpv4(ip)!),
    );
    for (const node of this.rt.nodes.values()) this.sync(node, services);
  }

  private sync(node: ClusterNode, services: ProxyService[]): void {
    const rules = generateProxyRules(
      services,
      { name: node.name, ip: node.ip },
      { clusterCIDR: this.rt.plan.cluster.clusterCIDR },
    );
    const nf = node.stack.enableNetfilter();
    // k3s loads br_netfilter and sets net.bridge.bridge-nf-call-iptables=1 (pkg/agent/syssetup)
    node.stack.bridgeNfCallIptables = true;
    const first = !this.loaded.has(node.name);
    const active = new Set(rules.nat.chains);
    const stale = [...nf.ruleset.nat.keys()].filter(
      (c) => !active.has(c) && SERVICE_CHAIN_PREFIXES.some((p) => c.startsWith(p)),
    );
    const text = restoreText(rules, stale);
    if (!first && text === this.loaded.get(node.name)) return;
    if (first) {
      const j = parseIptablesSave(jumpRulesText(), nf.ruleset, { noflush: true });
      if (!j.ok)
        throw new Error(`kube-proxy on ${node.name}: ${j.errors.map((e) => `${e.line}: ${e.message}`).join('; ')}`);
    }
    const r = parseIptablesSave(text, nf.ruleset, { noflush: true });
    if (!r.ok)
      throw new Error(`kube-proxy on ${node.name}: ${r.errors.map((e) => `${e.line}: ${e.message}`).join('; ')}`);
    this.loaded.set(node.name, text);
    this.syncs.set(node.name, (this.syncs.get(node.name) ?? 0) + 1);
  }
}
