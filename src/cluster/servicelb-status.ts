/**
 * A LoadBalancer Service's status.loadBalancer.ingress as k3s's ServiceLB writes it (servicelb.go getStatus,
 * podIPs, filterByIPFamily), computed from the running cluster's current state: the nodes that run a Ready
 * svclb pod of the Service (with externalTrafficPolicy Local, only those with a ready endpoint pod too);
 * their ExternalIPs if any such node has one, else their InternalIPs; sorted as strings (Go sort.Strings).
 * podnet's nodes have no ExternalIP, so these are the nodes' underlay addresses. Empty: kubectl's `<pending>`.
 */
import { formatIpv4 } from '../wire/addr.js';
import { labelsMatch } from '../control/label-selector.js';
import type { PlannedService } from './plan-types.js';
import type { ClusterRuntime } from './runtime.js';
import { SVCLB_NAMESPACE, SVCNAMESPACE_LABEL, SVCNAME_LABEL } from './servicelb.js';

/** The ingress IPs ServiceLB publishes for `svc` now; [] for other Service types or none ready. */
export function loadBalancerIngress(rt: Pick<ClusterRuntime, 'pods' | 'nodes'>, svc: PlannedService): string[] {
  if (svc.type !== 'LoadBalancer') return [];
  let readyNodes: Set<string> | undefined;
  if (svc.externalTrafficPolicy === 'Local') {
    // servicehelper.RequestsOnlyLocalTraffic: only nodes with a ready endpoint pod of the Service
    readyNodes = new Set();
    const selector = svc.selector;
    if (selector !== undefined)
      for (const p of rt.pods.values())
        if (p.namespace === svc.namespace && p.ready && labelsMatch(selector, p.labels)) readyNodes.add(p.node);
  }
  const ips = new Set<string>();
  for (const p of rt.pods.values()) {
    if (p.namespace !== SVCLB_NAMESPACE || !p.ready) continue;
    if (p.labels[SVCNAME_LABEL] !== svc.name || p.labels[SVCNAMESPACE_LABEL] !== svc.namespace) continue;
    if (readyNodes !== undefined && !readyNodes.has(p.node)) continue;
    const node = rt.nodes.get(p.node);
    if (node !== undefined) ips.add(formatIpv4(node.ip));
  }
  return [...ips].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
