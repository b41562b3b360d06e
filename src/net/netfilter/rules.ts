/**
 * The iptables rule model: tables, chains, rules, their matches and targets, as data. This file owns only
 * the shapes (and an empty ruleset); reading one rule's words is rule-parse.ts's, whole iptables-save text
 * (iptables-restore) is iptables-restore.ts's, matching and rewriting packets netfilter.ts's and nat.ts's.
 */
import { formatIpv4, type Ipv4 } from '../../wire/addr.js';

/** The tables modelled. (mangle and raw are read but hold nothing podnet acts on yet.) */
export type TableName = 'filter' | 'nat' | 'mangle' | 'raw';
/** Built-in chains. */
export const BUILTIN_CHAINS: Record<TableName, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};

/** An address match: `-s 10.42.0.0/16`, possibly negated. */
export interface AddrMatch {
  addr: Ipv4;
  mask: Ipv4;
  len: number;
  neg: boolean;
}

/** A port range match: `--dport 80`, `--dport 30000:32767`. */
export interface PortMatch {
  lo: number;
  hi: number;
  neg: boolean;
}

/**
 * `-m multiport [!] --dports|--sports 80,81:90` (xt_multiport, up to 15 ports, a range counting two): the
 * port is one of the list. Felix writes every port match this way.
 */
export interface MultiportMatch {
  dir: 'src' | 'dst';
  ranges: { lo: number; hi: number }[];
  neg: boolean;
}

/** Connection-tracking states (`-m conntrack --ctstate` / `-m state --state`). */
export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | 'DNAT' | 'SNAT';

/** `-m recent --name NAME --set | --rcheck [--seconds S] [--reap]`, on the source address (--rsource). */
export interface RecentMatch {
  name: string;
  op: 'set' | 'rcheck' | 'update' | 'remove';
  /** Only entries seen within this many seconds count. */
  seconds?: number;
  /** Forget entries older than `seconds` while checking. */
  reap: boolean;
  neg: boolean;
}

/**
 * `-m set [!] --match-set NAME FLAGS` (xt_set): the packet is in an ipset. FLAGS are one `src` or `dst` per
 * dimension of the set's entries, comma-separated (`src` for a hash:ip set; `dst,dst` for a hash:ip,port
 * set: destination address and destination port), up to six (IPSET_DIM_MAX).
 */
export interface SetMatch {
  name: string;
  flags: readonly ('src' | 'dst')[];
  neg: boolean;
}

/** What a rule does when it matches. */
export type Target =
  | { kind: 'ACCEPT' | 'DROP' | 'RETURN' }
  | { kind: 'REJECT'; with: string }
  | { kind: 'JUMP'; chain: string }
  | { kind: 'GOTO'; chain: string }
  | { kind: 'DNAT'; ip: Ipv4; port?: number }
  | { kind: 'SNAT'; ip: Ipv4; portLo?: number; portHi?: number; randomFully: boolean }
  | { kind: 'MASQUERADE'; portLo?: number; portHi?: number; randomFully: boolean }
  | { kind: 'MARK'; op: 'set' | 'or' | 'xor' | 'and'; value: number; mask: number }
  | { kind: 'LOG' }
  /** NFLOG (xt_NFLOG): hands a copy to a userspace logger (ulogd) and continues; podnet has none, so it only counts. */
  | { kind: 'NFLOG'; group: number; prefix?: string };

/** One rule. Undefined fields match everything. */
export interface Rule {
  src?: AddrMatch;
  dst?: AddrMatch;
  proto?: { num: number; neg: boolean };
  inIf?: { name: string; neg: boolean };
  outIf?: { name: string; neg: boolean };
  sport?: PortMatch;
  dport?: PortMatch;
  multiport?: MultiportMatch[];
  mark?: { value: number; mask: number; neg: boolean };
  /** `-m statistic --mode random --probability P`. */
  probability?: number;
  /** `-m addrtype --dst-type LOCAL` (or ! ...). */
  dstTypeLocal?: boolean;
  srcTypeLocal?: boolean;
  ctstate?: { states: CtState[]; neg: boolean };
  /** `-m recent` (xt_recent): a named list of source addresses with the time each was last seen. */
  recent?: RecentMatch;
  /** `-m physdev --physdev-is-bridged` (or ! ...): the packet is being bridged, not routed (br_netfilter). */
  physdevIsBridged?: boolean;
  /** `--icmp-type T[/C]` (xt_icmp): the ICMP type, and the code when given. */
  icmpType?: { type: number; code?: number; neg: boolean };
  /** `-m set` matches, all of which must hold (a rule may carry several, as Felix's do). */
  sets?: SetMatch[];
  comment?: string;
  target: Target | undefined;
  /** The rule as read, for `iptables-save`-style output. */
  text: string;
  /** Counters, as `iptables -L -v` shows them. */
  packets: number;
  bytes: number;
}

/** A chain: its rules, and for built-in chains the policy. */
export interface Chain {
  name: string;
  policy: 'ACCEPT' | 'DROP' | undefined;
  rules: Rule[];
  packets: number;
  bytes: number;
}

/** All tables of one node. */
export type Ruleset = Record<TableName, Map<string, Chain>>;

/** An empty ruleset with the built-in chains (policy ACCEPT), as a fresh network namespace has. */
export function emptyRuleset(): Ruleset {
  const rs = {} as Ruleset;
  for (const t of Object.keys(BUILTIN_CHAINS) as TableName[]) {
    rs[t] = new Map(BUILTIN_CHAINS[t].map((c) => [c, { name: c, policy: 'ACCEPT', rules: [], packets: 0, bytes: 0 }]));
  }
  return rs;
}

/** For messages: an address match as iptables prints it. */
export function formatAddrMatch(a: AddrMatch): string {
  return `${a.neg ? '! ' : ''}${formatIpv4(a.addr)}/${a.len}`;
}
