/**
 * kubectl get's human-readable tables for Nodes, Pods, Services and Endpoints. Columns, cell contents and
 * `<none>` placeholders follow k8s.io/kubernetes/pkg/printers/internalversion/printers.go (checked against
 * printNode, printPod, printService, getServiceExternalIP, makePortString, printEndpoints, formatEndpoints,
 * printEndpointSlice, formatDiscoveryPorts and formatDiscoveryEndpoints of the current tree); alignment follows kubectl's tabwriter (minwidth 6, padding 3,
 * k8s.io/cli-runtime/pkg/printers/tabwriter.go) and AGE k8s.io/apimachinery/pkg/util/duration.HumanDuration.
 */
import { HTTP_EPOCH_MS } from '../apps/http/message.js';
import type { KubeEndpointSlice, KubeEndpoints, KubeNode, KubePod, KubeService } from './kube-objects.js';

/** One table: column headers and rows of cells. */
export interface KubeTable {
  headers: string[];
  rows: string[][];
}

const NS_PER_S = 1e9;

/**
 * duration.HumanDuration: up to 2 minutes in seconds (`90s`), then `4m30s` below 10 minutes, minutes below
 * 3 hours, `5h20m` below 8 hours, hours below 2 days, `3d4h` below 8 days, days below 2 years, then years.
 */
export function humanDuration(ns: number): string {
  // Go: int(d.Seconds()) truncates toward zero, so -1.9 s is "0s" and -2 s "<invalid>"
  const seconds = Math.trunc(ns / NS_PER_S);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 2) return `${days}d`;
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${days / 365}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

/** labels.FormatLabels: `k=v,k=v` sorted by key, `<none>` when empty. */
export function formatLabels(l: Record<string, string> | undefined): string {
  const keys = Object.keys(l ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${l![k]}`).join(',');
}

/** printNode: roles from `node-role.kubernetes.io/<role>` labels (and `kubernetes.io/role`), sorted, `<none>` if none. */
export function nodeRoles(n: KubeNode): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(n.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

/** NAME STATUS ROLES AGE VERSION, wide: INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME. */
export function nodeTable(nodes: readonly KubeNode[], nowNs: number, wide: boolean): KubeTable {
  const headers = ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'];
  if (wide) headers.push('INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME');
  const rows = nodes.map((n) => {
    const ready = n.status.conditions.find((c) => c.type === 'Ready');
    const status = ready?.status === 'True' ? 'Ready' : ready === undefined ? 'Unknown' : 'NotReady';
    const row = [
      n.metadata.name,
      status,
      nodeRoles(n),
      age(n.metadata.creationTimestamp, nowNs),
      n.status.nodeInfo.kubeletVersion,
    ];
    if (wide) {
      const addr = (t: string): string => n.status.addresses.find((a) => a.type === t)?.address ?? '<none>';
      const info = n.status.nodeInfo;
      row.push(addr('InternalIP'), addr('ExternalIP'), info.osImage, info.kernelVersion, info.containerRuntimeVersion);
    }
    return row;
  });
  return { headers, rows };
}

/** NAME READY STATUS RESTARTS AGE, wide: IP NODE NOMINATED NODE READINESS GATES (printPod). */
export function podTable(pods: readonly KubePod[], nowNs: number, wide: boolean): KubeTable {
  const headers = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'];
  if (wide) headers.push('IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES');
  const rows = pods.map((p) => {
    const statuses = p.status.containerStatuses ?? [];
    let reason: string = p.status.phase;
    let ready = 0;
    // printPod walks the container statuses last to first: a waiting reason replaces the phase
    for (const c of [...statuses].reverse()) {
      if ('waiting' in c.state) reason = c.state.waiting.reason;
      else if (c.ready) ready++;
    }
    const restarts = statuses.reduce((n, c) => n + c.restartCount, 0);
    const row = [
      p.metadata.name,
      `${ready}/${p.spec.containers.length}`,
      reason,
      String(restarts),
      age(p.metadata.creationTimestamp, nowNs),
    ];
    if (wide) row.push(p.status.podIPs?.[0]?.ip ?? '<none>', p.spec.nodeName ?? '<none>', '<none>', '<none>');
    return row;
  });
  return { headers, rows };
}

/** NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, wide: SELECTOR (printService). */
export function serviceTable(services: readonly KubeService[], nowNs: number, wide: boolean): KubeTable {
  const headers = ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'];
  if (wide) headers.push('SELECTOR');
  const rows = services.map((s) => {
    const ports = s.spec.ports
      .map((p) => (p.nodePort !== undefined ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`))
      .join(',');
    const row = [
      s.metadata.name,
      s.spec.type,
      s.spec.clusterIPs?.[0] ?? '<none>',
      serviceExternalIp(s, wide),
      ports === '' ? '<none>' : ports,
      age(s.metadata.creationTimestamp, nowNs),
    ];
    if (wide) row.push(formatLabels(s.spec.selector));
    return row;
  });
  return { headers, rows };
}

/**
 * getServiceExternalIP: a LoadBalancer shows its status ingress IPs (loadBalancerStatusStringer: joined by
 * commas, cut to 13 characters and "..." past 16 unless wide), then its externalIPs; `<pending>` when both are empty.
 */
function serviceExternalIp(s: KubeService, wide: boolean): string {
  const ext = s.spec.externalIPs ?? [];
  switch (s.spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length > 0 ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      let lb = (s.status.loadBalancer.ingress ?? []).map((i) => i.ip).join(',');
      if (!wide && lb.length > 16) lb = `${lb.slice(0, 13)}...`;
      const all = [...(lb === '' ? [] : lb.split(',')), ...ext];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return s.spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/**
 * NAME ENDPOINTS AGE; formatEndpoints shows the first 3 ready `ip:port` (notReadyAddresses are not shown)
 * and `+ N more...`, `<none>` without subsets.
 */
export function endpointsTable(eps: readonly KubeEndpoints[], nowNs: number): KubeTable {
  const rows = eps.map((e) => {
    const list: string[] = [];
    let count = 0;
    for (const ss of e.subsets ?? [])
      for (const port of ss.ports)
        for (const a of ss.addresses ?? []) {
          if (list.length < 3) list.push(`${a.ip}:${port.port}`);
          count++;
        }
    const cell =
      e.subsets === undefined || e.subsets.length === 0
        ? '<none>'
        : count > 3
          ? `${list.join(',')} + ${count - 3} more...`
          : list.join(',');
    return [e.metadata.name, cell, age(e.metadata.creationTimestamp, nowNs)];
  });
  return { headers: ['NAME', 'ENDPOINTS', 'AGE'], rows };
}

/** Adds kubectl's NAMESPACE column in front (get with --all-namespaces). */
export function withNamespaceColumn(t: KubeTable, namespaces: readonly string[]): KubeTable {
  return { headers: ['NAMESPACE', ...t.headers], rows: t.rows.map((r, i) => [namespaces[i] ?? '', ...r]) };
}

/**
 * The table as kubectl's tabwriter lays it out: each column as wide as its widest cell plus 3 spaces (at
 * least 6), the last column unpadded.
 */
export function renderTable(t: KubeTable): string {
  const lines = [t.headers, ...t.rows];
  const widths = t.headers.map((_, i) => Math.max(6, ...lines.map((r) => (r[i] ?? '').length + 3)));
  return lines.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('')).join('\n');
}

/** AGE: simulated time since the object was created (its creationTimestamp counted from the simulated epoch). */
function age(creationTimestamp: string, nowNs: number): string {
  const createdNs = (Date.parse(creationTimestamp) - HTTP_EPOCH_MS) * 1e6;
  return humanDuration(nowNs - createdNs);
}

/** listWithMoreString: the first 3 items, `+ N more...` past them, `<unset>` for none. */
function listWithMore(items: readonly string[]): string {
  if (items.length > 3) return `${items.slice(0, 3).join(',')} + ${items.length - 3} more...`;
  return items.length === 0 ? '<unset>' : items.join(',');
}

/**
 * NAME ADDRESSTYPE PORTS ENDPOINTS AGE (printEndpointSlice): PORTS the port numbers (formatDiscoveryPorts),
 * ENDPOINTS every address whatever its conditions (formatDiscoveryEndpoints), each list cut at 3.
 */
export function endpointSliceTable(slices: readonly KubeEndpointSlice[], nowNs: number): KubeTable {
  const rows = slices.map((s) => [
    s.metadata.name,
    s.addressType,
    listWithMore((s.ports ?? []).map((p) => String(p.port))),
    listWithMore((s.endpoints ?? []).flatMap((e) => e.addresses)),
    age(s.metadata.creationTimestamp, nowNs),
  ]);
  return { headers: ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'], rows };
}
