/**
 * kube-proxy in iptables mode as a pure function: (service ports with their endpoints, the node, options) ->
 * the filter and nat tables it programs, as pkg/proxy/iptables/proxier.go's syncProxyRules builds them
 * (kubernetes v1.29+: KUBE-SVC/SVL/EXT/SEP chains, REJECT/DROP in filter when no endpoint is usable).
 *
 * The text is in the form `iptables-save` prints it back (checked against iptables v1.8.9 (nf_tables)):
 * kube-proxy writes `-m tcp -p tcp -d 10.43.0.10 --dport 53 ... --or-mark 0x004000` to iptables-restore, and
 * the kernel hands it back as `-d 10.43.0.10/32 -p tcp ... -m tcp --dport 53`, `--set-xmark 0x4000/0x4000`,
 * with a `--probability` re-read from the kernel's 31-bit fixed point (0.3333333333 -> 0.33333333349). Chains
 * are listed sorted and each chain's rules together, as iptables-save lists them; within a chain the order is
 * the proxier's. Service ports are taken in a fixed order (by "ns/name:port" and protocol): the real proxier
 * walks a Go map, so its order between services varies from sync to sync.
 *
 * Not modelled: healthCheckNodePort rules, topology hints,
 * --nodeport-addresses, masqueradeAll, and large-cluster mode (over 1000 endpoints comments are dropped).
 */
import { formatCidr, formatIpv4, prefixContains, type Ipv4, type Ipv4Prefix } from '../../wire/addr.js';
import { endpointChainName, serviceChainName } from './chain-names.js';
import type { ProxyEndpoint, ProxyNode, ProxyOptions, ProxyService, ProxyServicePort } from './types.js';

/** Chain names kube-proxy owns in nat and may delete when unused (isServiceChainName). */
export const SERVICE_CHAIN_PREFIXES = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-EXT-', 'KUBE-FW-', 'KUBE-SEP-'] as const;

/** One table's chains and rules (rules as `-A CHAIN ...` lines, in chain order then proxier order). */
export interface ProxyTable {
  chains: string[];
  rules: string[];
}

/** What one sync writes. */
export interface ProxyRules {
  filter: ProxyTable;
  nat: ProxyTable;
}

/** `"ns/name:port"` (ServicePortName.String(); no ":port" for an unnamed port). */
export function servicePortName(p: ProxyServicePort): string {
  return `${p.namespace}/${p.service}${p.portName === '' ? '' : `:${p.portName}`}`;
}

/** An endpoint as kube-proxy prints it: "ip:port". */
export function endpointString(e: ProxyEndpoint): string {
  return `${formatIpv4(e.ip)}:${e.port}`;
}

/**
 * `--probability` of rule i of n as iptables-save prints it: kube-proxy writes 1/(n-i) with %0.10f, libxt_statistic
 * stores lround(p * 2^31) and prints it back divided by 2^31 with %.11f.
 */
export function savedProbability(remaining: number): string {
  const written = Number((1 / remaining).toFixed(10));
  return (Math.round(written * 0x8000_0000) / 0x8000_0000).toFixed(11);
}

const q = (s: string): string => `"${s}"`;
const host = (ip: Ipv4): string => `${formatIpv4(ip)}/32`;

/** The mark bit as iptables-save prints it (masqueradeBit 14 -> 0x4000). */
function markHex(bit: number): string {
  return `0x${(2 ** bit).toString(16)}`;
}

/** Endpoint categories, as pkg/proxy/topology.go CategorizeEndpoints (without topology hints). */
function categorize(
  svc: ProxyServicePort,
  eps: ProxyEndpoint[],
  node: string,
): { cluster: ProxyEndpoint[]; local: ProxyEndpoint[]; reachable: ProxyEndpoint[]; hasAny: boolean } {
  const usable = (list: ProxyEndpoint[]): ProxyEndpoint[] => {
    const ready = list.filter((e) => e.ready);
    // no ready endpoint: fall back to serving-and-terminating ones (KEP-1669, ProxyTerminatingEndpoints)
    return ready.length > 0 ? ready : list.filter((e) => e.serving && e.terminating);
  };
  const cluster = usable(eps);
  const local = usable(eps.filter((e) => e.nodeName === node));
  const usesCluster =
    svc.internalTrafficPolicy === 'Cluster' || (external(svc) && svc.externalTrafficPolicy === 'Cluster');
  const usesLocal = svc.internalTrafficPolicy === 'Local' || (external(svc) && svc.externalTrafficPolicy === 'Local');
  const reachable = !usesLocal ? cluster : !usesCluster ? local : union(cluster, local);
  return { cluster, local, reachable, hasAny: cluster.length > 0 };
}

function union(a: ProxyEndpoint[], b: ProxyEndpoint[]): ProxyEndpoint[] {
  const seen = new Set(a.map(endpointString));
  return sortEndpoints([...a, ...b.filter((e) => !seen.has(endpointString(e)))]);
}

/** ServicePort.ExternallyAccessible: a NodePort, an external IP or a load-balancer IP. */
function external(svc: ProxyServicePort): boolean {
  return svc.nodePort !== 0 || svc.externalIPs.length > 0 || svc.loadBalancerIPs.length > 0;
}

/** Endpoints in kube-proxy's order: sorted by their "ip:port" string (endpointslicecache's byEndpoint). */
function sortEndpoints(eps: ProxyEndpoint[]): ProxyEndpoint[] {
  return [...eps].sort((a, b) => cmp(endpointString(a), endpointString(b)));
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Collects rules per chain, keeping each chain's rule order. */
class Table {
  private readonly order: string[] = [];
  private readonly byChain = new Map<string, string[]>();

  chain(name: string): void {
    if (!this.byChain.has(name)) {
      this.byChain.set(name, []);
      this.order.push(name);
    }
  }

  add(chain: string, rest: string): void {
    this.chain(chain);
    this.byChain.get(chain)!.push(`-A ${chain} ${rest}`);
  }

  done(): ProxyTable {
    const chains = [...this.order].sort(cmp);
    return { chains, rules: chains.flatMap((c) => this.byChain.get(c)!) };
  }
}

/** What kube-proxy programs on `node` for `services`: the filter and nat tables of one full sync. */
export function generateProxyRules(services: ProxyService[], node: ProxyNode, opts: ProxyOptions): ProxyRules {
  const mark = markHex(opts.masqueradeBit ?? 14);
  const cidr = formatCidr(opts.clusterCIDR);
  const filter = new Table();
  const nat = new Table();
  for (const c of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL'])
    filter.chain(c);
  for (const c of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']) nat.chain(c);

  nat.add('KUBE-POSTROUTING', `-m mark ! --mark ${mark}/${mark} -j RETURN`);
  // clear the mark so a packet traversing the stack again is not masqueraded twice
  nat.add('KUBE-POSTROUTING', `-j MARK --set-xmark ${mark}/0x0`);
  nat.add(
    'KUBE-POSTROUTING',
    `-m comment --comment ${q('kubernetes service traffic requiring SNAT')} -j MASQUERADE --random-fully`,
  );
  nat.add('KUBE-MARK-MASQ', `-j MARK --set-xmark ${mark}/${mark}`);
  // localhost NodePorts are on by default (route_localnet=1), so kube-proxy writes kubelet's martian guard too
  filter.add(
    'KUBE-FIREWALL',
    `! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment ${q('block incoming localnet connections')} ` +
      `-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
  );

  const sorted = [...services].sort(
    (a, b) => cmp(servicePortName(a.port), servicePortName(b.port)) || cmp(a.port.protocol, b.port.protocol),
  );
  for (const { port: svc, endpoints } of sorted) writeService(svc, sortEndpoints(endpoints), node, cidr, filter, nat);

  nat.add(
    'KUBE-SERVICES',
    `-m comment --comment ${q('kubernetes service nodeports; NOTE: this must be the last rule in this chain')} ` +
      `-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`,
  );
  // nf_conntrack_tcp_be_liberal is 0: INVALID packets are dropped (kubernetes#74839)
  filter.add('KUBE-FORWARD', '-m conntrack --ctstate INVALID -j DROP');
  filter.add(
    'KUBE-FORWARD',
    `-m comment --comment ${q('kubernetes forwarding rules')} -m mark --mark ${mark}/${mark} -j ACCEPT`,
  );
  filter.add(
    'KUBE-FORWARD',
    `-m comment --comment ${q('kubernetes forwarding conntrack rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );
  return { filter: filter.done(), nat: nat.done() };
}

function writeService(
  svc: ProxyServicePort,
  eps: ProxyEndpoint[],
  node: ProxyNode,
  cidr: string,
  filter: Table,
  nat: Table,
): void {
  const name = servicePortName(svc);
  const proto = svc.protocol.toLowerCase();
  const svcChain = serviceChainName('KUBE-SVC-', name, proto);
  const svlChain = serviceChainName('KUBE-SVL-', name, proto);
  const extChain = serviceChainName('KUBE-EXT-', name, proto);
  const { cluster, local, reachable, hasAny } = categorize(svc, eps, node.name);
  const usesClusterChain =
    cluster.length > 0 &&
    (svc.internalTrafficPolicy === 'Cluster' || (external(svc) && svc.externalTrafficPolicy === 'Cluster'));
  const usesLocalChain =
    local.length > 0 &&
    (svc.internalTrafficPolicy === 'Local' || (external(svc) && svc.externalTrafficPolicy === 'Local'));
  const internalChain = svc.internalTrafficPolicy === 'Local' ? svlChain : svcChain;
  const hasInternal = hasAny && !(svc.internalTrafficPolicy === 'Local' && local.length === 0);
  const externalPolicyChain = svc.externalTrafficPolicy === 'Local' ? svlChain : svcChain;
  const hasExternal = hasAny && !(svc.externalTrafficPolicy === 'Local' && local.length === 0);
  const usesExtChain = hasAny && external(svc);
  // loadBalancerSourceRanges: load-balancer IP traffic goes through KUBE-FW- first (proxier.go usesFWChain)
  const fwChain = serviceChainName('KUBE-FW-', name, proto);
  const sourceRanges = svc.loadBalancerSourceRanges ?? [];
  const usesFwChain = hasAny && svc.loadBalancerIPs.length > 0 && sourceRanges.length > 0;
  const loadBalancerChain = usesFwChain ? fwChain : extChain;

  let internalTarget = '';
  let internalComment = '';
  let externalTarget = '';
  let externalComment = '';
  if (!hasAny) {
    internalTarget = externalTarget = 'REJECT --reject-with icmp-port-unreachable';
    internalComment = externalComment = q(`${name} has no endpoints`);
  } else {
    if (!hasInternal) {
      internalTarget = 'DROP';
      internalComment = q(`${name} has no local endpoints`);
    }
    if (!hasExternal) {
      externalTarget = 'DROP';
      externalComment = q(`${name} has no local endpoints`);
    }
  }
  const dport = `-m ${proto} --dport ${svc.port}`;
  const clusterIpMatch = `-d ${host(svc.clusterIP)} -p ${proto} -m comment --comment ${q(`${name} cluster IP`)} ${dport}`;

  // the ClusterIP
  if (hasInternal) nat.add('KUBE-SERVICES', `${clusterIpMatch} -j ${internalChain}`);
  else
    filter.add(
      'KUBE-SERVICES',
      `-d ${host(svc.clusterIP)} -p ${proto} -m comment --comment ${internalComment} ${dport} -j ${internalTarget}`,
    );
  // external IPs, then load-balancer IPs
  for (const [ips, what] of [
    [svc.externalIPs, 'external IP'],
    [svc.loadBalancerIPs, 'loadbalancer IP'],
  ] as const) {
    for (const ip of ips) {
      if (hasAny)
        nat.add(
          'KUBE-SERVICES',
          `-d ${host(ip)} -p ${proto} -m comment --comment ${q(`${name} ${what}`)} ${dport} -j ${what === 'external IP' ? extChain : loadBalancerChain}`,
        );
      // what the KUBE-FW- chain did not send on (not DNATed) is dropped in filter, from INPUT/FORWARD/OUTPUT
      if (what === 'loadbalancer IP' && usesFwChain)
        filter.add(
          'KUBE-PROXY-FIREWALL',
          `-d ${host(ip)} -p ${proto} -m comment --comment ${q(`${name} traffic not accepted by ${fwChain}`)} ${dport} -j DROP`,
        );
      if (what === 'external IP' && !hasExternal)
        filter.add(
          'KUBE-EXTERNAL-SERVICES',
          `-d ${host(ip)} -p ${proto} -m comment --comment ${externalComment} ${dport} -j ${externalTarget}`,
        );
    }
    if (what === 'loadbalancer IP' && !hasExternal)
      for (const ip of ips)
        filter.add(
          'KUBE-EXTERNAL-SERVICES',
          `-d ${host(ip)} -p ${proto} -m comment --comment ${externalComment} ${dport} -j ${externalTarget}`,
        );
  }
  // the NodePort
  if (svc.nodePort !== 0) {
    if (hasAny)
      nat.add(
        'KUBE-NODEPORTS',
        `-p ${proto} -m comment --comment ${q(name)} -m ${proto} --dport ${svc.nodePort} -j ${extChain}`,
      );
    if (!hasExternal)
      filter.add(
        'KUBE-EXTERNAL-SERVICES',
        `-p ${proto} -m comment --comment ${externalComment} -m addrtype --dst-type LOCAL -m ${proto} --dport ${svc.nodePort} -j ${externalTarget}`,
      );
  }

  // traffic to the ClusterIP from outside the cluster CIDR is masqueraded (detect-local-mode ClusterCIDR)
  if (hasInternal) nat.add(internalChain, `! -s ${cidr} ${clusterIpMatch} -j KUBE-MARK-MASQ`);

  if (usesExtChain) {
    nat.chain(extChain);
    if (svc.externalTrafficPolicy !== 'Local')
      nat.add(
        extChain,
        `-m comment --comment ${q(`masquerade traffic for ${name} external destinations`)} -j KUBE-MARK-MASQ`,
      );
    else {
      nat.add(
        extChain,
        `-s ${cidr} -m comment --comment ${q(`pod traffic for ${name} external destinations`)} -j ${svcChain}`,
      );
      nat.add(
        extChain,
        `-m comment --comment ${q(`masquerade LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      );
      nat.add(
        extChain,
        `-m comment --comment ${q(`route LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${svcChain}`,
      );
    }
    if (hasExternal) nat.add(extChain, `-j ${externalPolicyChain}`);
  }

  if (usesFwChain) writeFirewallChain(nat, name, svc, sourceRanges, node, fwChain, extChain);

  if (usesClusterChain) writeServiceToEndpoints(nat, name, proto, svc, svcChain, cluster);
  if (usesLocalChain) writeServiceToEndpoints(nat, name, proto, svc, svlChain, local);

  for (const ep of reachable) {
    const sep = endpointChainName(name, proto, endpointString(ep));
    nat.add(sep, `-s ${host(ep.ip)} -m comment --comment ${q(name)} -j KUBE-MARK-MASQ`);
    const recent =
      svc.sessionAffinity === 'ClientIP' ? ` -m recent --set --name ${sep} --mask 255.255.255.255 --rsource` : '';
    nat.add(
      sep,
      `-p ${proto} -m comment --comment ${q(name)}${recent} -m ${proto} -j DNAT --to-destination ${endpointString(ep)}`,
    );
  }
}

/**
 * The KUBE-FW- chain: each source range on to KUBE-EXT-; when a range holds the node's IP, the load-balancer
 * IPs as sources too (a VIP bound locally loops a node's own request back with the VIP as source); then a
 * rule with no target, so the rest falls through undNATed to KUBE-PROXY-FIREWALL's DROP in filter.
 */
function writeFirewallChain(
  nat: Table,
  name: string,
  svc: ProxyServicePort,
  ranges: readonly Ipv4Prefix[],
  node: ProxyNode,
  fwChain: string,
  extChain: string,
): void {
  const comment = `-m comment --comment ${q(`${name} loadbalancer IP`)}`;
  for (const r of ranges) nat.add(fwChain, `-s ${formatCidr(r)} ${comment} -j ${extChain}`);
  if (ranges.some((r) => prefixContains(r, node.ip)))
    for (const ip of svc.loadBalancerIPs) nat.add(fwChain, `-s ${host(ip)} ${comment} -j ${extChain}`);
  nat.add(fwChain, `-m comment --comment ${q(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`)}`);
}

/** writeServiceToEndpointRules: affinity checks first, then the probability chain (rule i of n: 1/(n-i)). */
function writeServiceToEndpoints(
  nat: Table,
  name: string,
  proto: string,
  svc: ProxyServicePort,
  chain: string,
  eps: ProxyEndpoint[],
): void {
  const sep = (e: ProxyEndpoint): string => endpointChainName(name, proto, endpointString(e));
  const comment = (e: ProxyEndpoint): string => `-m comment --comment ${q(`${name} -> ${endpointString(e)}`)}`;
  if (svc.sessionAffinity === 'ClientIP')
    for (const e of eps)
      nat.add(
        chain,
        `${comment(e)} -m recent --rcheck --seconds ${svc.stickyMaxAgeSeconds} --reap --name ${sep(e)} --mask 255.255.255.255 --rsource -j ${sep(e)}`,
      );
  eps.forEach((e, i) => {
    const stat =
      i < eps.length - 1 ? ` -m statistic --mode random --probability ${savedProbability(eps.length - i)}` : '';
    nat.add(chain, `${comment(e)}${stat} -j ${sep(e)}`);
  });
}

/** A table as iptables-restore --noflush input: declares kube-proxy's chains (flushing them) and appends its rules. */
export function restoreText(rules: ProxyRules, deleteNat: string[] = []): string {
  const lines: string[] = ['*filter'];
  for (const c of rules.filter.chains) lines.push(`:${c} - [0:0]`);
  lines.push(...rules.filter.rules, 'COMMIT', '*nat');
  for (const c of rules.nat.chains) lines.push(`:${c} - [0:0]`);
  // stale service chains: a chain line flushes them, -X deletes them (syncProxyRules does the same)
  for (const c of deleteNat) lines.push(`:${c} - [0:0]`);
  lines.push(...rules.nat.rules);
  for (const c of deleteNat) lines.push(`-X ${c}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/**
 * The jumps from the built-in chains, as they stand on a k3s node after kube-proxy's EnsureRule(Prepend)
 * calls (later entries of iptablesJumpChains end up first) and kubelet's KUBE-FIREWALL jumps (appended).
 */
export function jumpRulesText(): string {
  const nat = [
    ['PREROUTING', `-m comment --comment ${q('kubernetes service portals')} -j KUBE-SERVICES`],
    ['OUTPUT', `-m comment --comment ${q('kubernetes service portals')} -j KUBE-SERVICES`],
    ['POSTROUTING', `-m comment --comment ${q('kubernetes postrouting rules')} -j KUBE-POSTROUTING`],
  ];
  const fw = `-m conntrack --ctstate NEW -m comment --comment ${q('kubernetes load balancer firewall')} -j KUBE-PROXY-FIREWALL`;
  const ext = `-m conntrack --ctstate NEW -m comment --comment ${q('kubernetes externally-visible service portals')} -j KUBE-EXTERNAL-SERVICES`;
  const portals = `-m conntrack --ctstate NEW -m comment --comment ${q('kubernetes service portals')} -j KUBE-SERVICES`;
  const filter: [string, string[]][] = [
    ['INPUT', [fw, `-m comment --comment ${q('kubernetes health check service ports')} -j KUBE-NODEPORTS`, ext]],
    ['FORWARD', [fw, `-m comment --comment ${q('kubernetes forwarding rules')} -j KUBE-FORWARD`, portals, ext]],
    ['OUTPUT', [fw, portals]],
  ];
  const lines = ['*filter'];
  for (const c of [
    'KUBE-EXTERNAL-SERVICES',
    'KUBE-FIREWALL',
    'KUBE-FORWARD',
    'KUBE-NODEPORTS',
    'KUBE-PROXY-FIREWALL',
    'KUBE-SERVICES',
  ])
    lines.push(`:${c} - [0:0]`);
  for (const [chain, rules] of filter) rules.forEach((r, i) => lines.push(`-I ${chain} ${i + 1} ${r}`));
  lines.push('-A INPUT -j KUBE-FIREWALL', '-A OUTPUT -j KUBE-FIREWALL', 'COMMIT', '*nat');
  for (const c of ['KUBE-MARK-MASQ', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-SERVICES'])
    lines.push(`:${c} - [0:0]`);
  for (const [chain, r] of nat) lines.push(`-I ${chain} 1 ${r}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}
