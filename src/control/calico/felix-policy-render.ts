/**
 * Felix's policy rules for one node's filter table, as Calico v3.31 writes them with the iptables dataplane:
 * - policy chains `cali-pi-<policy>` / `cali-po-<policy>` (rules/policy.go ProtoRuleToIptablesRules,
 *   CombineMatchAndActionsForProtoRule): a matching Allow rule sets the accept mark and returns, Pass the pass
 *   mark, Deny the drop mark and drops; the chain's first rule carries "Policy <name> ingress|egress"; a
 *   trailing RETURN is dropped; source nets with excepts go through match blocks on the scratch marks;
 * - profile chains `cali-pri-`/`cali-pro-` (kns.<ns> allows everything, ksa.<ns>.<sa> has no rules);
 * - per endpoint `cali-tw-<iface>` (to the workload: ingress) and `cali-fw-<iface>` (from it: egress)
 *   (rules/endpoints.go endpointIptablesChain): conntrack accept/drop, the mark clearing, for the default
 *   tier (when a policy applies) the tier start, a jump per policy (or per policy group) each followed by
 *   "Return if policy accepted", and "End of tier default. Drop if no policies passed packet"; then each
 *   profile with "Return if profile accepted", and "Drop if no profiles matched";
 * - the dispatch chains (rules/dispatch.go): one `--goto` per interface, split into child chains by the
 *   character after the interfaces' common prefix when several share it; "Unknown interface" drops;
 * - the static chains (rules/static.go) cali-FORWARD, cali-INPUT, cali-OUTPUT, cali-wl-to-host and the
 *   empty host-endpoint and cidr-block chains, and the jumps from INPUT, FORWARD and OUTPUT.
 * - named ports (calc/rule_scanner.go ruleToParsedRule): each becomes a `hash:ip,port` ipset `cali40n:...` of
 *   the endpoints the rule side's positive selector (all() when none) selects, one `IP,proto:port` entry per
 *   port of theirs with that name and the rule's protocol (TCP unless UDP or SCTP: labelindex
 *   CalculateEndpointContribution), matched with `-m set --match-set N dst,dst` (src,src for a source port);
 *   a side with named ports and no numeric ones drops its selector ipset (the named-port set is already
 *   filtered by it); ports that do not fit one match (a named port with others, more than 15 slots) go into
 *   a port match block (policy.go AppendPortMatchBlock).
 * Not modelled (cluster/cluster-warnings.ts names them): ICMP type matches, service-account and service
 * matches, other tiers.
 */
import { formatCidr, formatIpv4, type Ipv4 } from '../../wire/addr.js';
import {
  comparePolicies,
  normaliseSelector,
  selects,
  type FelixEntity,
  type FelixPolicy,
  type FelixPort,
  type FelixRule,
  type FelixWorkload,
} from './felix-policy-model.js';
import {
  ALL_CALICO_MARKS,
  MARK_ACCEPT,
  MARK_DROP,
  MARK_PASS,
  MARK_SCRATCH0,
  MARK_SCRATCH1,
  endpointChainName,
  policyChainName,
  policyGroupChainName,
  profileChainName,
  namedPortIpsetName,
  selectorIpsetName,
} from './felix-policy-names.js';
import {
  clearMark,
  markClear,
  markSet,
  renderChain,
  setMark,
  type FelixIptRule,
  type Fragment,
} from './felix-policy-rule.js';

/** What Felix programs from. */
export interface FelixPolicyInput {
  /** This node's workload endpoints. */
  local: readonly FelixWorkload[];
  /** Every workload endpoint of the cluster (selector ipsets hold the matching ones from every node). */
  all: readonly FelixWorkload[];
  policies: readonly FelixPolicy[];
  /** Every Calico node's address (the all-hosts-net and all-vxlan-net ipsets); never changed once passed. */
  hosts: readonly Ipv4[];
  ipip: boolean;
  vxlan: boolean;
  vxlanPort: number;
}

/** An ipset Felix keeps. */
export interface FelixIpset {
  type: 'hash:ip' | 'hash:net' | 'hash:ip,port';
  /** Addresses, CIDRs or `IP,proto:port` entries as ipset prints them (shared between nodes: never changed). */
  members: readonly string[];
}

/** What Felix programs: the chains it owns (rules as iptables-save prints them), its jumps, its ipsets. */
export interface FelixPolicyTables {
  chains: Map<string, string[]>;
  /** Rules inserted at the top of the built-in chains. */
  inserts: { INPUT: string[]; FORWARD: string[]; OUTPUT: string[] };
  /** Rules appended to FORWARD (hashed under `FORWARD*appends*`, table.go). */
  appends: { FORWARD: string[] };
  ipsets: Map<string, FelixIpset>;
}

const PROTO_NUM: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1 };

/** A numeric port or range. */
type NumericPort = { first: number; last: number };

/** Felix's rendering of a port list (match_builder.go PortRangesToMultiport). */
function portList(ports: readonly NumericPort[]): string {
  return ports.map((p) => (p.first === p.last ? `${p.first}` : `${p.first}:${p.last}`)).join(',');
}

/** policy.go SplitPortList: groups of at most 15 multiport slots (a range takes two). */
function splitPortList(ports: readonly NumericPort[]): NumericPort[][] {
  const splits: NumericPort[][] = [];
  let split: NumericPort[] = [];
  let free = 15;
  for (const p of ports) {
    const need = p.first === p.last ? 1 : 2;
    if (free < need) {
      splits.push(split);
      split = [];
      free = 15;
    }
    split.push(p);
    free -= need;
  }
  if (split.length > 0) splits.push(split);
  return splits;
}

/** rule_scanner.go splitNamedAndNumericPorts. */
function splitPorts(ports: readonly FelixPort[]): { numeric: NumericPort[]; named: string[] } {
  const numeric: NumericPort[] = [];
  const named: string[] = [];
  for (const p of ports)
    if ('name' in p) named.push(p.name);
    else numeric.push(p);
  return { numeric, named };
}

/**
 * ruleToParsedRule's named-port protocol: TCP, unless the rule's protocol is UDP or SCTP
 * (ipsetmember.Protocol.MatchesModelProtocol, by name or number).
 */
function namedPortProtocol(p: string | number | undefined): 'tcp' | 'udp' | 'sctp' {
  if (p === 'udp' || p === 17) return 'udp';
  if (p === 'sctp' || p === 132) return 'sctp';
  return 'tcp';
}

function protoFragment(p: string | number, neg: boolean): Fragment {
  return `${neg ? '! ' : ''}-p ${p}`;
}

/** What an ipset of the rules holds: the endpoints a selector matches, or their ports of one name. */
interface IpsetSource {
  /** The selector's canonical text. */
  canonical: string;
  namedPort?: { protocol: 'tcp' | 'udp' | 'sctp'; name: string };
}

/** Collects the selector and named-port ipsets a node's active rules use. */
class IpsetCollector {
  readonly sets = new Map<string, IpsetSource>();
  /** The ipset of `selector` (v1 text), remembered with its canonical text. */
  of(selector: string): string {
    const canonical = normaliseSelector(selector);
    const name = selectorIpsetName(canonical);
    this.sets.set(name, { canonical });
    return name;
  }
  /** The ipset of the `name` ports (with `protocol`) of the endpoints `selector` ('' for all()) selects. */
  namedPort(selector: string, protocol: 'tcp' | 'udp' | 'sctp', name: string): string {
    const canonical = normaliseSelector(selector === '' ? 'all()' : selector);
    const set = namedPortIpsetName(canonical, protocol, name);
    this.sets.set(set, { canonical, namedPort: { protocol, name } });
    return set;
  }
}

/** The iptables rules of one policy rule (policy.go ProtoRuleToIptablesRules), or why it is left out. */
function ruleToIptables(rule: FelixRule, ipsets: IpsetCollector): FelixIptRule[] {
  // FilterRuleToIPVersion: a negated catch-all CIDR drops the whole rule
  for (const e of [rule.src, rule.dst]) if (e.notNets.some((n) => n.len === 0)) return [];
  const srcSel = combined(rule.src);
  const dstSel = combined(rule.dst);
  // ruleToParsedRule: named ports become ipsets filtered by the side's positive selector (also for the
  // negated ones), and a side's selector ipset is left out when its named ports already cover it
  const proto = namedPortProtocol(rule.protocol);
  const src = splitPorts(rule.src.ports);
  const dst = splitPorts(rule.dst.ports);
  const notSrc = splitPorts(rule.src.notPorts);
  const notDst = splitPorts(rule.dst.notPorts);
  const named = (names: readonly string[], selector: string): string[] =>
    names.map((n) => ipsets.namedPort(selector, proto, n));
  let srcNamed = named(src.named, srcSel.positive);
  let dstNamed = named(dst.named, dstSel.positive);
  const notSrcNamed = named(notSrc.named, srcSel.positive);
  const notDstNamed = named(notDst.named, dstSel.positive);
  const srcSelSet =
    srcSel.positive !== '' && (src.numeric.length > 0 || src.named.length === 0) ? ipsets.of(srcSel.positive) : '';
  const dstSelSet =
    dstSel.positive !== '' && (dst.numeric.length > 0 || dst.named.length === 0) ? ipsets.of(dstSel.positive) : '';

  const blocks: FelixIptRule[] = [];
  let usingBlocks = false;
  let doneFirstPositive = false;
  const initial = (bits: number): void => {
    if (usingBlocks) return;
    blocks.push({
      match: [],
      action: `--jump MARK --set-mark 0x${bits.toString(16)}/0x${(MARK_SCRATCH0 | MARK_SCRATCH1).toString(16)}`,
    });
    usingBlocks = true;
  };
  const positiveBlock = (frags: Fragment[][]): void => {
    initial(0);
    const mark = doneFirstPositive ? MARK_SCRATCH1 : MARK_SCRATCH0;
    for (const f of frags) blocks.push({ match: f, action: setMark(mark) });
    if (doneFirstPositive) blocks.push({ match: [markClear(MARK_SCRATCH1)], action: clearMark(MARK_SCRATCH0) });
    doneFirstPositive = true;
  };
  const negatedBlock = (frags: Fragment[]): void => {
    initial(MARK_SCRATCH0);
    for (const f of frags) blocks.push({ match: [f], action: clearMark(MARK_SCRATCH0) });
  };
  // port blocks (AppendPortMatchBlock): one rule per split of numeric ports (with the protocol), one per
  // named-port set, or-ed
  const protoMatch: Fragment[] = rule.protocol !== undefined ? [protoFragment(rule.protocol, false)] : [];
  let srcPorts = splitPortList(src.numeric);
  let dstPorts = splitPortList(dst.numeric);
  const portBlock = (splits: NumericPort[][], sets: string[], dir: 'source' | 'destination'): void => {
    const flags = dir === 'source' ? 'src,src' : 'dst,dst';
    positiveBlock([
      ...splits.map((p) => [...protoMatch, `-m multiport --${dir}-ports ${portList(p)}`]),
      ...sets.map((n) => [`-m set --match-set ${n} ${flags}`]),
    ]);
  };
  if (srcPorts.length + srcNamed.length > 1) {
    portBlock(srcPorts, srcNamed, 'source');
    srcPorts = [];
    srcNamed = [];
  }
  if (dstPorts.length + dstNamed.length > 1) {
    portBlock(dstPorts, dstNamed, 'destination');
    dstPorts = [];
    dstNamed = [];
  }
  const cidrs = (opt: string, list: FelixEntity['nets']): Fragment[] => list.map((n) => `${opt} ${formatCidr(n)}`);
  let srcNets = cidrs('--source', rule.src.nets);
  let dstNets = cidrs('--destination', rule.dst.nets);
  let notSrcNets = cidrs('! --source', rule.src.notNets);
  let notDstNets = cidrs('! --destination', rule.dst.notNets);
  if (srcNets.length > 1) {
    positiveBlock(srcNets.map((f) => [f]));
    srcNets = [];
  }
  if (dstNets.length > 1) {
    positiveBlock(dstNets.map((f) => [f]));
    dstNets = [];
  }
  if (srcNets.length + notSrcNets.length > 1) {
    negatedBlock(cidrs('--source', rule.src.notNets));
    notSrcNets = [];
  }
  if (dstNets.length + notDstNets.length > 1) {
    negatedBlock(cidrs('--destination', rule.dst.notNets));
    notDstNets = [];
  }
  // CalculateRuleMatch's order
  const match: Fragment[] = [...protoMatch];
  match.push(...srcNets);
  if (srcSelSet !== '') match.push(`-m set --match-set ${srcSelSet} src`);
  for (const p of srcPorts) match.push(`-m multiport --source-ports ${portList(p)}`);
  for (const n of srcNamed) match.push(`-m set --match-set ${n} src,src`);
  match.push(...dstNets);
  if (dstSelSet !== '') match.push(`-m set --match-set ${dstSelSet} dst`);
  for (const p of dstPorts) match.push(`-m multiport --destination-ports ${portList(p)}`);
  for (const n of dstNamed) match.push(`-m set --match-set ${n} dst,dst`);
  if (rule.notProtocol !== undefined) match.push(protoFragment(rule.notProtocol, true));
  match.push(...notSrcNets);
  if (srcSel.negative !== '') match.push(`-m set ! --match-set ${ipsets.of(srcSel.negative)} src`);
  for (const p of splitPortList(notSrc.numeric)) match.push(`-m multiport ! --source-ports ${portList(p)}`);
  for (const n of notSrcNamed) match.push(`-m set ! --match-set ${n} src,src`);
  match.push(...notDstNets);
  if (dstSel.negative !== '') match.push(`-m set ! --match-set ${ipsets.of(dstSel.negative)} dst`);
  for (const p of splitPortList(notDst.numeric)) match.push(`-m multiport ! --destination-ports ${portList(p)}`);
  for (const n of notDstNamed) match.push(`-m set ! --match-set ${n} dst,dst`);
  if (usingBlocks) match.push(markSet(MARK_SCRATCH0));
  return [...blocks, ...combineWithAction(rule, match)];
}

/** rule_scanner.go combineMatchesIfPossible: a selector and a notSelector become one selector. */
function combined(e: FelixEntity): { positive: string; negative: string } {
  if (e.selector === '') return { positive: '', negative: e.notSelector };
  if (e.notSelector === '') return { positive: e.selector, negative: '' };
  return { positive: `(${e.selector}) && (!(${e.notSelector}))`, negative: '' };
}

/** policy.go CombineMatchAndActionsForProtoRule. */
function combineWithAction(rule: FelixRule, match: Fragment[]): FelixIptRule[] {
  switch (rule.action) {
    case 'log':
      return [{ match, action: '--jump LOG --log-prefix "calico-packet: " --log-level 5' }];
    case 'allow':
      return [
        { match, action: setMark(MARK_ACCEPT) },
        { match: [markSet(MARK_ACCEPT)], action: '--jump RETURN' },
      ];
    case 'pass':
      return [
        { match, action: setMark(MARK_PASS) },
        { match: [markSet(MARK_PASS)], action: '--jump RETURN' },
      ];
    case 'deny':
      return [
        { match, action: setMark(MARK_DROP) },
        { match: [markSet(MARK_DROP)], action: '--jump DROP' },
      ];
  }
}

/** policy.go ProtoRulesToIptablesRules: the rules, trailing RETURNs dropped, the chain comment on the first. */
function rulesToChain(rules: readonly FelixRule[], comment: string, ipsets: IpsetCollector): FelixIptRule[] {
  const out: FelixIptRule[] = [];
  for (const r of rules) out.push(...ruleToIptables(r, ipsets));
  while (out.length > 0 && out[out.length - 1]!.action === '--jump RETURN') out.pop();
  if (out.length === 0) out.push({ match: [] });
  out[0] = { ...out[0]!, comments: [...(out[0]!.comments ?? []), comment] };
  return out;
}

/** A run of consecutive policies with one selector (endpoint_mgr.go groupPolicies). */
interface PolicyGroup {
  selector: string;
  names: string[];
}

function groupPolicies(policies: readonly FelixPolicy[]): PolicyGroup[] {
  const groups: PolicyGroup[] = [];
  for (const p of policies) {
    const sel = normaliseSelector(p.selector);
    const last = groups[groups.length - 1];
    if (last !== undefined && last.selector === sel) last.names.push(p.name);
    else groups.push({ selector: sel, names: [p.name] });
  }
  return groups;
}

/** rules_defs.go PolicyGroupToIptablesChains: jumps to the group's policies, a RETURN on a verdict every 5. */
function groupChain(group: PolicyGroup, prefix: 'cali-pi-' | 'cali-po-'): FelixIptRule[] {
  const rules: FelixIptRule[] = [];
  group.names.forEach((name, count) => {
    if (count !== 0 && count % 5 === 0)
      rules.push({
        match: [`-m mark ! --mark 0/0x${(MARK_PASS | MARK_ACCEPT).toString(16)}`],
        action: '--jump RETURN',
        comments: ['Return on verdict'],
      });
    rules.push({
      match: count % 5 === 0 ? [] : [markClear(MARK_PASS | MARK_ACCEPT)],
      action: `--jump ${policyChainName(prefix, 'default', name)}`,
    });
  });
  return rules;
}

/** endpoints.go endpointIptablesChain for a workload (normal chain, filter allow action ACCEPT). */
function endpointChain(
  dir: 'ingress' | 'egress',
  groups: readonly PolicyGroup[],
  profiles: readonly string[],
  groupChains: Map<string, FelixIptRule[]>,
): FelixIptRule[] {
  const polPrefix = dir === 'ingress' ? 'cali-pi-' : 'cali-po-';
  const rules: FelixIptRule[] = [
    { match: ['-m conntrack --ctstate RELATED,ESTABLISHED'], action: '--jump ACCEPT' },
    { match: ['-m conntrack --ctstate INVALID'], action: '--jump DROP' },
    { match: [], action: clearMark(MARK_ACCEPT | MARK_PASS) },
  ];
  if (dir === 'egress') {
    // AllowVXLANPacketsFromWorkloads / AllowIPIPPacketsFromWorkloads default false
    rules.push(
      {
        match: ['-p 17', '-m multiport --destination-ports 4789'],
        action: '--jump DROP',
        comments: ['Drop VXLAN encapped packets originating in workloads'],
      },
      { match: ['-p 4'], action: '--jump DROP', comments: ['Drop IPinIP encapped packets originating in workloads'] },
    );
  }
  if (groups.length > 0) {
    rules.push({ match: [], action: clearMark(MARK_PASS), comments: ['Start of tier default'] });
    for (const g of groups) {
      let target: string[];
      if (g.names.length > 1) {
        const chain = policyGroupChainName(dir === 'ingress' ? 'inbound' : 'outbound', 'default', g.selector, g.names);
        groupChains.set(chain, groupChain(g, polPrefix));
        target = [chain];
      } else target = g.names.map((n) => policyChainName(polPrefix, 'default', n));
      for (const t of target)
        rules.push(
          { match: [markClear(MARK_PASS)], action: `--jump ${t}` },
          { match: [markSet(MARK_ACCEPT)], action: '--jump RETURN', comments: ['Return if policy accepted'] },
        );
    }
    rules.push({
      match: [markClear(MARK_PASS)],
      action: '--jump DROP',
      comments: ['End of tier default. Drop if no policies passed packet'],
    });
  }
  const profPrefix = dir === 'ingress' ? 'cali-pri-' : 'cali-pro-';
  for (const p of profiles)
    rules.push(
      { match: [], action: `--jump ${profileChainName(profPrefix, p)}` },
      { match: [markSet(MARK_ACCEPT)], action: '--jump RETURN', comments: ['Return if profile accepted'] },
    );
  rules.push({ match: [], action: '--jump DROP', comments: ['Drop if no profiles matched'] });
  return rules;
}

/** dispatch.go buildSingleDispatchChainTree for one direction. */
function dispatchChains(
  root: string,
  ifaces: readonly string[],
  opt: '--in-interface' | '--out-interface',
  prefix: 'cali-fw-' | 'cali-tw-',
): Map<string, FelixIptRule[]> {
  const names = [...new Set(ifaces)].sort();
  const common = commonPrefix(names);
  const byPrefix = new Map<string, string[]>();
  for (const n of names) {
    const p = n.length > common.length ? n.slice(0, common.length + 1) : common;
    byPrefix.set(p, [...(byPrefix.get(p) ?? []), n]);
  }
  const end: FelixIptRule = { match: [], action: '--jump DROP', comments: ['Unknown interface'] };
  const out = new Map<string, FelixIptRule[]>();
  const rootRules: FelixIptRule[] = [];
  for (const [p, group] of byPrefix) {
    if (group.length > 1) {
      const child = `${root}-${p.slice(common.length)}`;
      rootRules.push({ match: [`${opt} ${p}+`], action: `--goto ${child}` });
      out.set(child, [
        ...group.map((n) => ({ match: [`${opt} ${n}`], action: `--goto ${endpointChainName(prefix, n)}` })),
        end,
      ]);
    } else rootRules.push({ match: [`${opt} ${group[0]!}`], action: `--goto ${endpointChainName(prefix, group[0]!)}` });
  }
  out.set(root, [...rootRules, end]);
  return out;
}

/** stringutils.CommonPrefix. */
function commonPrefix(names: readonly string[]): string {
  if (names.length === 0) return '';
  let p = names[0]!;
  for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1);
  return p;
}

/** static.go's filter chains (iptables backend, kube-proxy in iptables mode, no host endpoints). */
function staticChains(input: FelixPolicyInput): Map<string, FelixIptRule[]> {
  const acceptIfMarked: FelixIptRule = { match: [markSet(MARK_ACCEPT)], action: '--jump ACCEPT' };
  const inputRules: FelixIptRule[] = [];
  const outputRules: FelixIptRule[] = [acceptIfMarked, { match: ['--out-interface cali+'], action: '--jump RETURN' }];
  if (input.ipip) {
    inputRules.push(
      {
        match: ['-p 4', '-m set --match-set cali40all-hosts-net src', '-m addrtype --dst-type LOCAL'],
        action: '--jump ACCEPT',
        comments: ['Allow IPIP packets from Calico hosts'],
      },
      { match: ['-p 4'], action: '--jump DROP', comments: ['Drop IPIP packets from non-Calico hosts'] },
    );
    outputRules.push({
      match: ['-p 4', '-m set --match-set cali40all-hosts-net dst', '-m addrtype --src-type LOCAL'],
      action: '--jump ACCEPT',
      comments: ['Allow IPIP packets to other Calico hosts'],
    });
  }
  if (input.vxlan) {
    const port = `-m multiport --destination-ports ${input.vxlanPort}`;
    inputRules.push(
      {
        match: ['-p 17', port, '-m set --match-set cali40all-vxlan-net src', '-m addrtype --dst-type LOCAL'],
        action: '--jump ACCEPT',
        comments: ['Allow IPv4 VXLAN packets from allowed hosts'],
      },
      {
        match: ['-p 17', port, '-m addrtype --dst-type LOCAL'],
        action: '--jump DROP',
        comments: ['Drop IPv4 VXLAN packets from non-allowed hosts'],
      },
    );
    outputRules.push({
      match: ['-p 17', port, '-m addrtype --src-type LOCAL', '-m set --match-set cali40all-vxlan-net dst'],
      action: '--jump ACCEPT',
      comments: ['Allow IPv4 VXLAN packets to other allowed hosts'],
    });
  }
  inputRules.push(
    { match: ['--in-interface cali+'], action: '--goto cali-wl-to-host' },
    acceptIfMarked,
    { match: [], action: clearMark(ALL_CALICO_MARKS) },
    { match: [], action: '--jump cali-from-host-endpoint' },
    { match: [markSet(MARK_ACCEPT)], action: '--jump ACCEPT', comments: ['Host endpoint policy accepted packet.'] },
  );
  outputRules.push(
    { match: [], action: clearMark(ALL_CALICO_MARKS) },
    { match: ['-m conntrack ! --ctstate DNAT'], action: '--jump cali-to-host-endpoint' },
    { match: [markSet(MARK_ACCEPT)], action: '--jump ACCEPT', comments: ['Host endpoint policy accepted packet.'] },
  );
  return new Map<string, FelixIptRule[]>([
    [
      'cali-FORWARD',
      [
        { match: [], action: clearMark(ALL_CALICO_MARKS & ~MARK_ACCEPT) },
        { match: [markClear(MARK_ACCEPT)], action: '--jump cali-from-hep-forward' },
        { match: ['--in-interface cali+'], action: '--jump cali-from-wl-dispatch' },
        { match: ['--out-interface cali+'], action: '--jump cali-to-wl-dispatch' },
        { match: [], action: '--jump cali-to-hep-forward' },
        { match: [], action: '--jump cali-cidr-block' },
      ],
    ],
    ['cali-INPUT', inputRules],
    ['cali-OUTPUT', outputRules],
    [
      'cali-wl-to-host',
      [
        { match: [], action: '--jump cali-from-wl-dispatch' },
        { match: [], action: '--jump ACCEPT', comments: ['Configured DefaultEndpointToHostAction'] },
      ],
    ],
    ['cali-from-hep-forward', []],
    ['cali-to-hep-forward', []],
    ['cali-from-host-endpoint', []],
    ['cali-to-host-endpoint', []],
    ['cali-cidr-block', []],
  ]);
}

/** The policies that apply to `w` in one direction, in Felix's order. */
export function policiesFor(
  w: FelixWorkload,
  policies: readonly FelixPolicy[],
  dir: 'ingress' | 'egress',
): FelixPolicy[] {
  return policies
    .filter((p) => (dir === 'ingress' ? p.ingress : p.egress))
    .filter((p) => selects(p.selector, w.labels))
    .sort(comparePolicies);
}

// one programming pass renders every node with the same hosts array, and every node's all-hosts set lists
// every node: one members list for all of them, not a thousand strings for each of a thousand nodes
const hostNetsByHosts = new WeakMap<readonly Ipv4[], readonly string[]>();

/** The all-hosts-net members for `hosts` ("10.0.0.1/32"), shared by every caller with the same array. */
function hostNetsOf(hosts: readonly Ipv4[]): readonly string[] {
  let nets = hostNetsByHosts.get(hosts);
  if (nets === undefined) hostNetsByHosts.set(hosts, (nets = hosts.map((h) => `${formatIpv4(h)}/32`)));
  return nets;
}

/** Everything Felix programs on one node for policy. */
export function renderFelixPolicy(input: FelixPolicyInput): FelixPolicyTables {
  const chains = new Map<string, FelixIptRule[]>(staticChains(input));
  const ipsets = new IpsetCollector();
  const active = new Set<FelixPolicy>();
  const profiles = new Set<string>();
  const groupChains = new Map<string, FelixIptRule[]>();
  for (const w of input.local) {
    const ing = policiesFor(w, input.policies, 'ingress');
    const eg = policiesFor(w, input.policies, 'egress');
    for (const p of input.policies) if (selects(p.selector, w.labels)) active.add(p);
    chains.set(
      endpointChainName('cali-tw-', w.iface),
      endpointChain('ingress', groupPolicies(ing), w.profiles, groupChains),
    );
    chains.set(
      endpointChainName('cali-fw-', w.iface),
      endpointChain('egress', groupPolicies(eg), w.profiles, groupChains),
    );
    for (const p of w.profiles) profiles.add(p);
  }
  for (const [k, v] of groupChains) chains.set(k, v);
  for (const p of [...active].sort(comparePolicies)) {
    chains.set(
      policyChainName('cali-pi-', 'default', p.name),
      rulesToChain(p.inbound, `Policy ${p.name} ingress`, ipsets),
    );
    chains.set(
      policyChainName('cali-po-', 'default', p.name),
      rulesToChain(p.outbound, `Policy ${p.name} egress`, ipsets),
    );
  }
  for (const prof of [...profiles].sort()) {
    // kns.<ns> allows everything both ways (conversion.go NamespaceToProfile); ksa.* has no rules
    const allow = prof.startsWith('kns.') ? [allowAll] : [];
    chains.set(profileChainName('cali-pri-', prof), rulesToChain(allow, `Profile ${prof} ingress`, ipsets));
    chains.set(profileChainName('cali-pro-', prof), rulesToChain(allow, `Profile ${prof} egress`, ipsets));
  }
  const ifaces = input.local.map((w) => w.iface);
  for (const [k, v] of dispatchChains('cali-from-wl-dispatch', ifaces, '--in-interface', 'cali-fw-')) chains.set(k, v);
  for (const [k, v] of dispatchChains('cali-to-wl-dispatch', ifaces, '--out-interface', 'cali-tw-')) chains.set(k, v);

  const sets = new Map<string, FelixIpset>();
  for (const [name, source] of [...ipsets.sets].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const selected = input.all.filter((w) => selects(source.canonical, w.labels));
    const np = source.namedPort;
    if (np === undefined) sets.set(name, { type: 'hash:ip', members: selected.map((w) => formatIpv4(w.ip)) });
    else {
      // labelindex CalculateEndpointContribution: every port of that name and protocol, on each address
      const members = selected.flatMap((w) =>
        w.ports
          .filter((p) => p.name === np.name && p.protocol === np.protocol)
          .map((p) => `${formatIpv4(w.ip)},${p.protocol}:${p.port}`),
      );
      sets.set(name, { type: 'hash:ip,port', members });
    }
  }
  const hostNets = hostNetsOf(input.hosts);
  if (input.ipip) sets.set('cali40all-hosts-net', { type: 'hash:net', members: hostNets });
  if (input.vxlan) sets.set('cali40all-vxlan-net', { type: 'hash:net', members: hostNets });

  const rendered = new Map<string, string[]>();
  for (const [name, rules] of chains) rendered.set(name, renderChain(name, rules));
  const appendRules: FelixIptRule[] = [
    { match: [markSet(MARK_ACCEPT)], action: '--jump ACCEPT', comments: ['Policy explicitly accepted packet.'] },
    { match: [], action: setMark(MARK_ACCEPT) },
  ];
  return {
    chains: rendered,
    inserts: {
      INPUT: renderChain('INPUT', [{ match: [], action: '--jump cali-INPUT' }]),
      FORWARD: renderChain('FORWARD', [{ match: [], action: '--jump cali-FORWARD' }]),
      OUTPUT: renderChain('OUTPUT', [{ match: [], action: '--jump cali-OUTPUT' }]),
    },
    appends: {
      FORWARD: renderChain('FORWARD*appends*', appendRules).map((l) =>
        l.replace('-A FORWARD*appends* ', '-A FORWARD '),
      ),
    },
    ipsets: sets,
  };
}

const noEntity: FelixEntity = { nets: [], notNets: [], selector: '', notSelector: '', ports: [], notPorts: [] };
const allowAll: FelixRule = { action: 'allow', src: noEntity, dst: noEntity };

/** The number Felix's rules use for a protocol name (for callers matching packets). */
export function felixProtocolNumber(p: string | number): number | undefined {
  return typeof p === 'number' ? p : PROTO_NUM[p];
}
