/**
 * One sync of kube-router's network policy controller for one node (fullPolicySync), as pure text: the
 * ipsets (utils.BuildIPSetRestore's `ipset restore -exist` input and the sets themselves) and the filter
 * table's kube-router chains, from kube-router v2.6.3 as k3s vendors it (k3s-io/kube-router v2.6.3-k3s1):
 * - ensureTopLevelChains: KUBE-ROUTER-INPUT/FORWARD/OUTPUT, jumped to from INPUT/FORWARD/OUTPUT at
 *   position 1; KUBE-ROUTER-INPUT first RETURNs traffic to the service range and LOCAL node ports;
 * - ensureDefaultNetworkPolicyChain (KUBE-NWPLCY-DEFAULT marks 0x10000) and ensureCommonPolicyChain
 *   (KUBE-NWPLCY-COMMON: INVALID dropped, RELATED,ESTABLISHED and three ICMP types accepted; its first two
 *   comments carry literal double quotes, because the controller passes "\"...\"" to the iptables command
 *   with no shell to strip them);
 * - syncNetworkPolicyChains (policy.go): a KUBE-NWPLCY-<hash> chain per policy, each allowing rule a MARK
 *   0x10000 and a RETURN, an NFLOG "DROP by policy ns/name" at the end (the k3s fork's addition);
 * - syncPodFirewallChains (pod.go): a KUBE-POD-FW-<hash> chain per local pod, hooked from the top-level
 *   chains by destination and source (and again for bridged traffic, `-m physdev --physdev-is-bridged`),
 *   ending in NFLOG, REJECT of unmarked traffic and the 0x20000 mark;
 * - ensureExplicitAccept (k3s fork): `-m mark --mark 0x20000/0x20000 -j ACCEPT` in INPUT, FORWARD and
 *   OUTPUT right after the last rule that mentions KUBE.
 * The real controller writes the pod chains with `-I CHAIN 1` lines into a full `iptables-restore` of the
 * filter table; here the result (each chain's rules in their final order) is written for
 * `iptables-restore --noflush`, which flushes each declared chain, and the last sync's chains (other hashes)
 * are flushed and deleted as cleanupStaleRules drops them.
 */
import {
  BUILTIN_TO_KR,
  KR_CHAINS,
  egressNamedPortSetName,
  egressRuleIPBlockSetName,
  egressRulePodSetName,
  ingressNamedPortSetName,
  ingressRuleIPBlockSetName,
  ingressRulePodSetName,
  networkPolicyChainName,
  podFirewallChainName,
  policyDestinationPodIPSetName,
  policySourcePodIPSetName,
  safeJoin,
  withRuleUuid,
} from './names.js';
import { buildPoliciesInfo, type PolicyInfo, type ProtocolAndPort } from './policy-info.js';
import { commentMatch, MARK } from './iptables-words.js';
import type { KrInput, KrIpset, KrPod } from './types.js';

/** One node's sync, as text and as data. */
export interface KrSync {
  /** Every chain the sync declares (top-level, default, common, policy and pod chains). */
  chains: string[];
  /** The rules of each declared chain, in order, as iptables-save prints them (`-A CHAIN ...`). */
  rules: Map<string, string[]>;
  /** The policy ipsets, sorted by name (BuildIPSetRestore's order). */
  ipsets: KrIpset[];
}

/** The NFLOG words kube-router's log rules end with (limit 10/minute burst 10, group 100). */
const LIMIT = '-m limit --limit 10/min --limit-burst 10';

/** The rules of one sync on `input.node`. */
export function generateKubeRouterSync(input: KrInput): KrSync {
  const v = input.syncVersion;
  const rules = new Map<string, string[]>();
  const add = (chain: string, spec: string): void => {
    let r = rules.get(chain);
    if (r === undefined) rules.set(chain, (r = []));
    r.push(`-A ${chain} ${spec}`);
  };
  const chains: string[] = [KR_CHAINS.input, KR_CHAINS.forward, KR_CHAINS.output, KR_CHAINS.default, KR_CHAINS.common];
  for (const c of chains) rules.set(c, []);

  // ensureTopLevelChains: the service range and LOCAL node ports RETURN before anything else on INPUT
  const range = input.serviceClusterIPRange;
  const rangeComment = 'allow traffic to primary/secondary cluster IP range';
  add(
    KR_CHAINS.input,
    `-d ${range} ${commentMatch(withRuleUuid(KR_CHAINS.input, ['-m', 'comment', '--comment', rangeComment, '-d', range, '-j', 'RETURN'], rangeComment))} -j RETURN`,
  );
  for (const proto of ['tcp', 'udp'] as const) {
    const comment = `allow LOCAL ${proto.toUpperCase()} traffic to node ports`;
    const words = ['-p', proto, '-m', 'comment', '--comment', comment, '-m', 'addrtype', '--dst-type', 'LOCAL'];
    const all = [...words, '-m', 'multiport', '--dports', input.nodePortRange, '-j', 'RETURN'];
    add(
      KR_CHAINS.input,
      `-p ${proto} ${commentMatch(withRuleUuid(KR_CHAINS.input, all, comment))} -m addrtype --dst-type LOCAL -m multiport --dports ${input.nodePortRange} -j RETURN`,
    );
  }
  // ensureDefaultNetworkPolicyChain
  add(
    KR_CHAINS.default,
    `${commentMatch('rule to mark traffic matching a network policy')} -j MARK --set-xmark ${MARK.allowed}`,
  );
  // ensureCommonPolicyChain (utils.CommonICMPRules for IPv4)
  add(
    KR_CHAINS.common,
    `${commentMatch('"rule to drop invalid state for pod"')} -m conntrack --ctstate INVALID -j DROP`,
  );
  add(
    KR_CHAINS.common,
    `${commentMatch('"rule for stateful firewall for pod"')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );
  // echo-request (8), destination-unreachable (3), time-exceeded (11): iptables-save prints the numbers
  for (const [num, comment] of [
    [8, 'allow icmp echo requests'],
    [3, 'allow icmp destination unreachable messages'],
    [11, 'allow icmp time exceeded messages'],
  ] as const)
    add(KR_CHAINS.common, `-p icmp ${commentMatch(comment)} -m icmp --icmp-type ${num} -j ACCEPT`);

  const policies = buildPoliciesInfo(input.policies, input.pods, input.namespaces);
  const sets = new IpsetBuilder();
  for (const p of policies) {
    const chain = networkPolicyChainName(p.namespace, p.name, v);
    chains.push(chain);
    rules.set(chain, []);
    writePolicyChain(p, chain, sets, (spec) => add(chain, spec));
  }

  // syncPodFirewallChains over the node's pods (getLocalPods; Go's map order, here by address)
  const local = input.pods.filter((p) => p.node === input.node).sort((a, b) => ipOrder(a.ip) - ipOrder(b.ip));
  for (const pod of local) {
    const fw = podFirewallChainName(pod.namespace, pod.name, v);
    chains.push(fw);
    rules.set(fw, []);
    writePodChain(pod, fw, policies, v, (spec) => add(fw, spec));
    // interceptPodInboundTraffic, then interceptPodOutboundTraffic
    const to = commentMatch(
      `rule to jump traffic destined to POD name:${pod.name} namespace: ${pod.namespace} to chain ${fw}`,
    );
    const from = commentMatch(
      `rule to jump traffic from POD name:${pod.name} namespace: ${pod.namespace} to chain ${fw}`,
    );
    add(KR_CHAINS.forward, `-d ${pod.ip}/32 ${to} -j ${fw}`);
    add(KR_CHAINS.output, `-d ${pod.ip}/32 ${to} -j ${fw}`);
    add(KR_CHAINS.forward, `-d ${pod.ip}/32 -m physdev --physdev-is-bridged ${to} -j ${fw}`);
    for (const [, kr] of BUILTIN_TO_KR) add(kr, `-s ${pod.ip}/32 ${from} -j ${fw}`);
    add(KR_CHAINS.forward, `-s ${pod.ip}/32 -m physdev --physdev-is-bridged ${from} -j ${fw}`);
  }
  return { chains, rules, ipsets: sets.sorted() };
}

/** setupPodNetpolRules + dropUnmarkedTrafficRules + the comply mark, in the chain's final order. */
function writePodChain(
  pod: KrPod,
  fw: string,
  policies: PolicyInfo[],
  version: string,
  add: (spec: string) => void,
): void {
  const ip = `${pod.ip}/32`;
  // written with "-I FW 1" in this order: policies, default ingress, default egress, LOCAL, COMMON; so
  // the chain reads them backwards
  const inserted: string[] = [];
  let hasIngress = false;
  let hasEgress = false;
  for (const p of policies) {
    if (!p.targets.has(pod.ip)) continue;
    const jump = `${commentMatch(`run through nw policy ${p.name}`)} -j ${networkPolicyChainName(p.namespace, p.name, version)}`;
    if (p.type === 'both') {
      hasIngress = hasEgress = true;
      inserted.push(jump);
    } else if (p.type === 'ingress') {
      hasIngress = true;
      inserted.push(`-d ${ip} ${jump}`);
    } else {
      hasEgress = true;
      inserted.push(`-s ${ip} ${jump}`);
    }
  }
  if (!hasIngress)
    inserted.push(
      `-d ${ip} ${commentMatch('run through default ingress network policy chain')} -j ${KR_CHAINS.default}`,
    );
  if (!hasEgress)
    inserted.push(
      `-s ${ip} ${commentMatch('run through default egress network policy chain')} -j ${KR_CHAINS.default}`,
    );
  inserted.push(
    `-d ${ip} ${commentMatch("rule to permit the traffic traffic to pods when source is the pod's local node")} -m addrtype --src-type LOCAL -j ACCEPT`,
  );
  inserted.push(`${commentMatch('common bi-directional traffic policy rules')} -j ${KR_CHAINS.common}`);
  for (const spec of inserted.reverse()) add(spec);
  const who = `POD name:${pod.name} namespace: ${pod.namespace}`;
  add(
    `${commentMatch(`rule to log dropped traffic ${who}`)} -m mark ! --mark ${MARK.allowed} ${LIMIT} -j NFLOG --nflog-group 100`,
  );
  add(
    `${commentMatch(`rule to REJECT traffic destined for ${who}`)} -m mark ! --mark ${MARK.allowed} -j REJECT --reject-with icmp-port-unreachable`,
  );
  add('-j MARK --set-xmark 0x0/0x10000');
  add(
    `${commentMatch('set mark to ACCEPT traffic that comply to network policies')} -j MARK --set-xmark ${MARK.comply}`,
  );
}

/** The ipsets a sync refreshes: RefreshSet keeps the type of a set's first refresh and the last entries. */
class IpsetBuilder {
  private readonly sets = new Map<string, KrIpset>();

  refresh(name: string, type: KrIpset['type'], entries: string[][]): void {
    const s = this.sets.get(name);
    if (s === undefined) this.sets.set(name, { name, type, entries });
    else s.entries = entries;
  }

  /** A set of addresses, each `IP timeout 0`. */
  refreshIps(name: string, type: KrIpset['type'], ips: readonly string[]): void {
    this.refresh(
      name,
      type,
      ips.map((ip) => [ip, 'timeout', '0']),
    );
  }

  sorted(): KrIpset[] {
    return [...this.sets.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** appendRuleToPolicyChain: the MARK rule and the RETURN rule with the same matches. */
function allowRule(
  add: (spec: string) => void,
  comment: string,
  src: string,
  dst: string,
  port: Pick<ProtocolAndPort, 'protocol' | 'port' | 'endport'> | undefined,
): void {
  const proto = port?.protocol.toLowerCase();
  let spec = proto !== undefined ? `-p ${proto} ` : '';
  spec += commentMatch(comment);
  if (src !== '') spec += ` -m set --match-set ${src} src`;
  if (dst !== '') spec += ` -m set --match-set ${dst} dst`;
  if (port !== undefined && port.port !== '')
    spec += ` -m ${proto} --dport ${port.endport !== '' ? `${port.port}:${port.endport}` : port.port}`;
  add(`${spec} -j MARK --set-xmark ${MARK.allowed}`);
  add(`${spec} -m mark --mark ${MARK.allowed} -j RETURN`);
}

/** syncNetworkPolicyChains for one policy: its ipsets and its chain's rules. */
function writePolicyChain(p: PolicyInfo, chain: string, sets: IpsetBuilder, add: (spec: string) => void): void {
  const ips = p.targetPods.map((t) => t.ip);
  const by = `policy name ${p.name} namespace ${p.namespace}`;
  const byColon = `policy name: ${p.name} namespace ${p.namespace}`;
  if (p.type !== 'egress') {
    const target = policyDestinationPodIPSetName(p.namespace, p.name);
    sets.refreshIps(target, 'hash:ip', ips);
    p.ingressRules.forEach((r, i) => {
      const fromPods = `rule to ACCEPT traffic from source pods to dest pods selected by ${by}`;
      const fromAll = `rule to ACCEPT traffic from all sources to dest pods selected by ${byColon}`;
      const fromBlocks = `rule to ACCEPT traffic from specified ipBlocks to dest pods selected by ${byColon}`;
      const named = (n: number, type: 'hash:ip' | 'hash:net'): string => {
        const name = ingressNamedPortSetName(p.namespace, p.name, i, n);
        sets.refreshIps(name, type, r.namedPorts[n]!.ips.v4);
        return name;
      };
      if (r.peerPods.length > 0) {
        const src = ingressRulePodSetName(p.namespace, p.name, i);
        sets.refreshIps(
          src,
          'hash:ip',
          r.peerPods.map((x) => x.ip),
        );
        for (const port of r.ports) allowRule(add, fromPods, src, target, port);
        r.namedPorts.forEach((np, n) => allowRule(add, fromPods, src, named(n, 'hash:ip'), np));
        if (r.ports.length === 0 && r.namedPorts.length === 0) allowRule(add, fromPods, src, target, undefined);
      }
      if (r.matchAllPeers && !r.matchAllPorts) {
        for (const port of r.ports) allowRule(add, fromAll, '', target, port);
        r.namedPorts.forEach((np, n) => allowRule(add, fromAll, '', named(n, 'hash:ip'), np));
      }
      if (r.matchAllPeers && r.matchAllPorts) allowRule(add, fromAll, '', target, undefined);
      if (r.ipBlocks.length > 0) {
        const src = ingressRuleIPBlockSetName(p.namespace, p.name, i);
        sets.refresh(src, 'hash:net', r.ipBlocks);
        if (!r.matchAllPorts) {
          for (const port of r.ports) allowRule(add, fromBlocks, src, target, port);
          r.namedPorts.forEach((np, n) => allowRule(add, fromBlocks, src, named(n, 'hash:net'), np));
        } else allowRule(add, fromBlocks, src, target, undefined);
      }
    });
  }
  if (p.type !== 'ingress') {
    const target = policySourcePodIPSetName(p.namespace, p.name);
    sets.refreshIps(target, 'hash:ip', ips);
    p.egressRules.forEach((r, i) => {
      const toPods = `rule to ACCEPT traffic from source pods to dest pods selected by ${by}`;
      const toAll = `rule to ACCEPT traffic from source pods to all destinations selected by ${byColon}`;
      const toBlocks = `rule to ACCEPT traffic from source pods to specified ipBlocks selected by ${byColon}`;
      if (r.peerPods.length > 0) {
        const dst = egressRulePodSetName(p.namespace, p.name, i);
        sets.refreshIps(
          dst,
          'hash:ip',
          r.peerPods.map((x) => x.ip),
        );
        for (const port of r.ports) allowRule(add, toPods, target, dst, port);
        r.namedPorts.forEach((np, n) => {
          const name = egressNamedPortSetName(p.namespace, p.name, i, n);
          sets.refreshIps(name, 'hash:ip', np.ips.v4);
          allowRule(add, toPods, target, name, np);
        });
        if (r.ports.length === 0 && r.namedPorts.length === 0) allowRule(add, toPods, target, dst, undefined);
      }
      if (r.matchAllPeers && !r.matchAllPorts)
        for (const port of [...r.ports, ...r.namedPorts]) allowRule(add, toAll, target, '', port);
      if (r.matchAllPeers && r.matchAllPorts) allowRule(add, toAll, target, '', undefined);
      if (r.ipBlocks.length > 0) {
        const dst = egressRuleIPBlockSetName(p.namespace, p.name, i);
        sets.refresh(dst, 'hash:net', r.ipBlocks);
        if (!r.matchAllPorts) for (const port of r.ports) allowRule(add, toBlocks, target, dst, port);
        else allowRule(add, toBlocks, target, dst, undefined);
      }
    });
  }
  add(
    `${commentMatch('rule to log dropped traffic')} ${LIMIT} -m mark ! --mark ${MARK.allowed} -j NFLOG --nflog-prefix "DROP by policy ${safeJoin(p.namespace, p.name)}" --nflog-group 100`,
  );
}

function ipOrder(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
