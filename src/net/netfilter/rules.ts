/**
 * iptables rules as data, read from and written back to the `iptables-save` format that users, kube-proxy,
 * flanneld and k3s's ServiceLB already speak. This file owns the rule model and its text; matching and
 * packet rewriting live in netfilter.ts, connections in conntrack.ts.
 */
import { formatIpv4, parseIpv4, prefixMask, type Ipv4 } from '../../wire/addr.js';

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

/** Connection-tracking states (`-m conntrack --ctstate` / `-m state --state`). */
export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | 'DNAT' | 'SNAT';

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
  | { kind: 'LOG' };

/** One rule. Undefined fields match everything. */
export interface Rule {
  src?: AddrMatch;
  dst?: AddrMatch;
  proto?: { num: number; neg: boolean };
  inIf?: { name: string; neg: boolean };
  outIf?: { name: string; neg: boolean };
  sport?: PortMatch;
  dport?: PortMatch;
  mark?: { value: number; mask: number; neg: boolean };
  /** `-m statistic --mode random --probability P`. */
  probability?: number;
  /** `-m addrtype --dst-type LOCAL` (or ! ...). */
  dstTypeLocal?: boolean;
  srcTypeLocal?: boolean;
  ctstate?: { states: CtState[]; neg: boolean };
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

/** A problem in iptables-save text: 1-based line, and what is wrong. */
export interface RulesError {
  line: number;
  message: string;
}

const PROTOS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, ipip: 4, all: 0, sctp: 132 };

/** Splits a rule line into words, honouring double quotes (comments). */
export function tokenize(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    if (line[i] === '"') {
      let j = i + 1;
      let s = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length) j++;
        s += line[j];
        j++;
      }
      if (j >= line.length) return undefined;
      out.push(s);
      i = j + 1;
    } else {
      let j = i;
      while (j < line.length && line[j] !== ' ' && line[j] !== '\t') j++;
      out.push(line.slice(i, j));
      i = j;
    }
  }
  return out;
}

function parseAddr(text: string, neg: boolean): AddrMatch | undefined {
  const [a, l] = text.split('/');
  const addr = parseIpv4(a ?? '');
  const len = l === undefined ? 32 : /^[0-9]{1,2}$/.test(l) && Number(l) <= 32 ? Number(l) : -1;
  if (addr === undefined || len < 0) return undefined;
  const mask = prefixMask(len);
  return { addr: (addr & mask) >>> 0, mask, len, neg };
}

function parsePorts(text: string, neg: boolean): PortMatch | undefined {
  const m = /^([0-9]{1,5})(?::([0-9]{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo > 65535 || hi > 65535 || hi < lo) return undefined;
  return { lo, hi, neg };
}

function parseMark(text: string): { value: number; mask: number } | undefined {
  const m = /^(0x[0-9a-f]+|[0-9]+)(?:\/(0x[0-9a-f]+|[0-9]+))?$/i.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]) >>> 0;
  const mask = m[2] === undefined ? 0xffff_ffff : Number(m[2]) >>> 0;
  return { value, mask };
}

function parseHostPort(text: string): { ip: Ipv4; portLo?: number; portHi?: number } | undefined {
  const m = /^([0-9.]+)(?::([0-9]{1,5})(?:-([0-9]{1,5}))?)?$/.exec(text);
  if (!m) return undefined;
  const ip = parseIpv4(m[1]!);
  if (ip === undefined) return undefined;
  const r: { ip: Ipv4; portLo?: number; portHi?: number } = { ip };
  if (m[2] !== undefined) {
    r.portLo = Number(m[2]);
    r.portHi = m[3] === undefined ? r.portLo : Number(m[3]);
    if (r.portLo > 65535 || r.portHi > 65535 || r.portHi < r.portLo) return undefined;
  }
  return r;
}

/**
 * Parses the words of one `-A CHAIN ...` rule (without `-A CHAIN`). Returns the rule or an error message.
 * Understands what kube-proxy, flanneld and klipper-lb write; anything else is an error naming the word.
 */
export function parseRule(words: string[], text: string, table: TableName): Rule | string {
  const r: Rule = { target: undefined, text, packets: 0, bytes: 0 };
  let neg = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const arg = (): string | undefined => words[++i];
    if (w === '!') {
      neg = true;
      continue;
    }
    const n = neg;
    neg = false;
    switch (w) {
      case '-s':
      case '--source':
      case '-d':
      case '--destination': {
        const v = arg();
        const a = v === undefined ? undefined : parseAddr(v, n);
        if (a === undefined) return `${w} needs an IPv4 address or CIDR, got ${JSON.stringify(v ?? '')}`;
        if (w === '-s' || w === '--source') r.src = a;
        else r.dst = a;
        break;
      }
      case '-p':
      case '--protocol': {
        const v = (arg() ?? '').toLowerCase();
        const num = PROTOS[v] ?? (/^[0-9]+$/.test(v) ? Number(v) : undefined);
        if (num === undefined) return `unknown protocol ${JSON.stringify(v)}`;
        if (num !== 0) r.proto = { num, neg: n };
        break;
      }
      case '-i':
      case '--in-interface':
      case '-o':
      case '--out-interface': {
        const v = arg();
        if (v === undefined) return `${w} needs an interface name`;
        if (w === '-i' || w === '--in-interface') r.inIf = { name: v, neg: n };
        else r.outIf = { name: v, neg: n };
        break;
      }
      case '-m':
      case '--match': {
        const v = arg();
        if (
          v === undefined ||
          ![
            'comment',
            'statistic',
            'mark',
            'addrtype',
            'conntrack',
            'state',
            'tcp',
            'udp',
            'icmp',
            'multiport',
          ].includes(v)
        )
          return `unsupported match module ${JSON.stringify(v ?? '')}`;
        break;
      }
      case '--comment':
        r.comment = arg() ?? '';
        break;
      case '--mode': {
        if (arg() !== 'random') return '--mode: only "random" is supported';
        break;
      }
      case '--probability': {
        const p = Number(arg());
        if (!(p >= 0 && p <= 1)) return '--probability needs a number between 0 and 1';
        r.probability = p;
        break;
      }
      case '--dport':
      case '--destination-port':
      case '--sport':
      case '--source-port': {
        const v = arg() ?? '';
        const p = parsePorts(v, n);
        if (p === undefined) return `${w} needs a port or range (80, 30000:32767), got ${JSON.stringify(v)}`;
        if (w === '--dport' || w === '--destination-port') r.dport = p;
        else r.sport = p;
        break;
      }
      case '--mark': {
        const v = arg() ?? '';
        const m = parseMark(v);
        if (m === undefined) return `--mark needs VALUE[/MASK], got ${JSON.stringify(v)}`;
        r.mark = { ...m, neg: n };
        break;
      }
      case '--dst-type':
      case '--src-type': {
        const v = arg();
        if (v !== 'LOCAL') return `${w}: only LOCAL is supported, got ${JSON.stringify(v ?? '')}`;
        if (w === '--dst-type') r.dstTypeLocal = !n;
        else r.srcTypeLocal = !n;
        break;
      }
      case '--ctstate':
      case '--state': {
        const v = arg() ?? '';
        const states = v.split(',') as CtState[];
        if (!states.every((s) => ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'DNAT', 'SNAT'].includes(s)))
          return `unknown conntrack state in ${JSON.stringify(v)}`;
        r.ctstate = { states, neg: n };
        break;
      }
      case '-j':
      case '--jump':
      case '-g':
      case '--goto': {
        const t = arg();
        if (t === undefined) return `${w} needs a target`;
        const res = parseTarget(t, words, i, table, w === '-g' || w === '--goto');
        if (typeof res === 'string') return res;
        r.target = res.target;
        i = res.next - 1;
        break;
      }
      default:
        return `unsupported option ${JSON.stringify(w)}`;
    }
  }
  return r;
}

function parseTarget(
  t: string,
  words: string[],
  at: number,
  table: TableName,
  isGoto: boolean,
): { target: Target; next: number } | string {
  let i = at + 1;
  const opts = new Map<string, string | true>();
  while (i < words.length && words[i]!.startsWith('--')) {
    const k = words[i]!;
    if (k === '--random-fully' || k === '--random' || k === '--persistent') {
      opts.set(k, true);
      i++;
    } else {
      const v = words[i + 1];
      if (v === undefined) return `${k} needs a value`;
      opts.set(k, v);
      i += 2;
    }
  }
  const str = (k: string): string | undefined => {
    const v = opts.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  switch (t) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
      return { target: { kind: t }, next: i };
    case 'LOG':
      return { target: { kind: 'LOG' }, next: i };
    case 'REJECT':
      return { target: { kind: 'REJECT', with: str('--reject-with') ?? 'icmp-port-unreachable' }, next: i };
    case 'DNAT': {
      if (table !== 'nat') return 'DNAT is only valid in the nat table';
      const hp = parseHostPort(str('--to-destination') ?? '');
      if (hp === undefined) return 'DNAT needs --to-destination IP[:PORT]';
      return {
        target: hp.portLo === undefined ? { kind: 'DNAT', ip: hp.ip } : { kind: 'DNAT', ip: hp.ip, port: hp.portLo },
        next: i,
      };
    }
    case 'SNAT': {
      if (table !== 'nat') return 'SNAT is only valid in the nat table';
      const hp = parseHostPort(str('--to-source') ?? '');
      if (hp === undefined) return 'SNAT needs --to-source IP[:PORT[-PORT]]';
      const target: Target = { kind: 'SNAT', ip: hp.ip, randomFully: opts.has('--random-fully') };
      if (hp.portLo !== undefined) Object.assign(target, { portLo: hp.portLo, portHi: hp.portHi });
      return { target, next: i };
    }
    case 'MASQUERADE': {
      if (table !== 'nat') return 'MASQUERADE is only valid in the nat table';
      const target: Target = { kind: 'MASQUERADE', randomFully: opts.has('--random-fully') };
      const ports = str('--to-ports');
      if (ports !== undefined) {
        const m = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(ports);
        if (!m) return '--to-ports needs PORT[-PORT]';
        Object.assign(target, { portLo: Number(m[1]), portHi: Number(m[2] ?? m[1]) });
      }
      return { target, next: i };
    }
    case 'MARK': {
      for (const [k, op] of [
        ['--set-xmark', 'set'],
        ['--set-mark', 'set'],
        ['--or-mark', 'or'],
        ['--xor-mark', 'xor'],
        ['--and-mark', 'and'],
      ] as const) {
        const v = str(k);
        if (v === undefined) continue;
        const m = parseMark(v);
        if (m === undefined) return `${k} needs VALUE[/MASK]`;
        // --set-xmark v/m is "zero the mask bits then XOR v" (iptables-save writes --set-mark as --set-xmark)
        return {
          target: {
            kind: 'MARK',
            op: k === '--set-xmark' ? 'xor' : op,
            value: m.value,
            mask: k === '--set-xmark' ? m.mask : op === 'set' ? m.mask : 0,
          },
          next: i,
        };
      }
      return 'MARK needs --set-xmark, --set-mark, --or-mark, --xor-mark or --and-mark';
    }
    default:
      if (/^[A-Za-z0-9_.-]{1,28}$/.test(t)) return { target: { kind: isGoto ? 'GOTO' : 'JUMP', chain: t }, next: i };
      return `bad target ${JSON.stringify(t)}`;
  }
}

/**
 * Parses iptables-save text (`*table`, `:CHAIN POLICY [p:b]`, `-A CHAIN ...`, `COMMIT`) into `into`, as
 * `iptables-restore` does: all-or-nothing (on any error nothing changes), and each table named in the text
 * is replaced. With `noflush` (iptables-restore --noflush, what kube-proxy and flanneld use) tables are
 * merged instead: a declared chain is created or flushed, others keep their rules, and `-I`, `-D`, `-N`,
 * `-F` and `-X` edit chains in place.
 */
export function parseIptablesSave(
  text: string,
  into: Ruleset = emptyRuleset(),
  opts: { noflush?: boolean } = {},
): { ok: true; ruleset: Ruleset } | { ok: false; errors: RulesError[] } {
  const errors: RulesError[] = [];
  const staged = new Map<TableName, Map<string, Chain>>();
  let table: TableName | undefined;
  let chains: Map<string, Chain> | undefined;
  const jumps: { line: number; table: TableName; target: string }[] = [];
  const clone = (m: Map<string, Chain>): Map<string, Chain> =>
    new Map([...m].map(([k, c]) => [k, { ...c, rules: [...c.rules] }]));
  const lines = text.split('\n');
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    const s = raw.trim();
    if (s === '' || s.startsWith('#')) return;
    if (s.startsWith('*')) {
      const t = s.slice(1) as TableName;
      if (!(t in BUILTIN_CHAINS)) {
        errors.push({ line, message: `unknown table ${JSON.stringify(t)}` });
        table = undefined;
        return;
      }
      table = t;
      chains = opts.noflush === true ? clone(staged.get(t) ?? into[t]) : new Map();
      return;
    }
    if (table === undefined || chains === undefined) {
      errors.push({ line, message: 'rule outside a table (missing "*nat" or "*filter")' });
      return;
    }
    if (s === 'COMMIT') {
      for (const b of BUILTIN_CHAINS[table])
        if (!chains.has(b)) chains.set(b, { name: b, policy: 'ACCEPT', rules: [], packets: 0, bytes: 0 });
      staged.set(table, chains);
      table = undefined;
      return;
    }
    if (s.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)(?:\s+\[(\d+):(\d+)\])?$/.exec(s);
      if (!m) {
        errors.push({ line, message: `bad chain line ${JSON.stringify(s)}` });
        return;
      }
      const builtin = BUILTIN_CHAINS[table].includes(m[1]!);
      if (builtin && m[2] !== 'ACCEPT' && m[2] !== 'DROP' && !(opts.noflush === true && m[2] === '-'))
        errors.push({ line, message: `policy of ${m[1]} must be ACCEPT or DROP` });
      const old = chains.get(m[1]!);
      const policy = builtin ? (m[2] === '-' ? (old?.policy ?? 'ACCEPT') : (m[2] as 'ACCEPT' | 'DROP')) : undefined;
      // --noflush flushes declared user chains only; a declared built-in chain just gets its policy
      const keep = opts.noflush === true && builtin && old !== undefined ? old.rules : [];
      chains.set(m[1]!, {
        name: m[1]!,
        policy,
        rules: keep,
        packets: m[3] !== undefined ? Number(m[3]) : (old?.packets ?? 0),
        bytes: m[4] !== undefined ? Number(m[4]) : (old?.bytes ?? 0),
      });
      return;
    }
    // iptables-save -c puts each rule's counters first: "[packets:bytes] -A CHAIN ..."
    const counters = /^\[(\d+):(\d+)\]\s+/.exec(s);
    const body = counters === null ? s : s.slice(counters[0].length);
    const words = tokenize(body);
    if (words === undefined) {
      errors.push({ line, message: 'unterminated quote' });
      return;
    }
    const op = words[0];
    const chainName = words[1];
    const chain = chainName === undefined ? undefined : chains.get(chainName);
    if (op === '-N' || op === '--new-chain') {
      if (chainName === undefined || chain !== undefined)
        errors.push({ line, message: `-N: chain ${JSON.stringify(chainName ?? '')} already exists or has no name` });
      else chains.set(chainName, { name: chainName, policy: undefined, rules: [], packets: 0, bytes: 0 });
      return;
    }
    if (chain === undefined) {
      errors.push({ line, message: `chain ${JSON.stringify(chainName ?? '')} is not declared in *${table}` });
      return;
    }
    if (op === '-X' || op === '--delete-chain') {
      const users = [...chains.values()].filter((c) =>
        c.rules.some((r) => (r.target?.kind === 'JUMP' || r.target?.kind === 'GOTO') && r.target.chain === chain.name),
      );
      if (BUILTIN_CHAINS[table].includes(chain.name))
        errors.push({ line, message: `-X: cannot delete built-in chain ${chain.name}` });
      else if (users.length > 0)
        errors.push({
          line,
          message: `-X ${chain.name}: Too many links (rules in ${users.map((c) => c.name).join(', ')} still jump to it)`,
        });
      else chains.delete(chain.name);
      return;
    }
    if (op === '-F' || op === '--flush') {
      chain.rules = [];
      return;
    }
    if (op !== '-A' && op !== '--append' && op !== '-I' && op !== '--insert' && op !== '-D' && op !== '--delete') {
      errors.push({ line, message: `expected -A, -I, -D, -N, -F or -X, got ${JSON.stringify(op)}` });
      return;
    }
    let rest = words.slice(2);
    let position = 1;
    if ((op === '-I' || op === '--insert') && /^[0-9]+$/.test(rest[0] ?? '')) {
      position = Number(rest[0]);
      rest = rest.slice(1);
    }
    // every rule is kept as iptables-save would print it: "-A CHAIN <spec>"
    const textOf = `-A ${chain.name} ${body
      .slice(body.indexOf(chain.name) + chain.name.length)
      .trim()
      .replace(/^\d+\s+/, op === '-I' || op === '--insert' ? '' : '$&')}`.trim();
    if (op === '-D' || op === '--delete') {
      const i = chain.rules.findIndex((x) => x.text === textOf);
      if (i < 0)
        errors.push({
          line,
          message: `-D: no rule "${textOf}" in ${chain.name} (Bad rule: does a matching rule exist in that chain?)`,
        });
      else chain.rules.splice(i, 1);
      return;
    }
    const r = parseRule(rest, textOf, table);
    if (typeof r === 'string') {
      errors.push({ line, message: r });
      return;
    }
    if (r.target?.kind === 'JUMP' || r.target?.kind === 'GOTO') jumps.push({ line, table, target: r.target.chain });
    if (counters !== null) {
      r.packets = Number(counters[1]);
      r.bytes = Number(counters[2]);
    }
    if (op === '-I' || op === '--insert') chain.rules.splice(Math.min(position - 1, chain.rules.length), 0, r);
    else chain.rules.push(r);
  });
  const uncommitted = table;
  if (uncommitted !== undefined) errors.push({ line: lines.length, message: `table *${uncommitted} has no COMMIT` });
  // jumps are checked against the tables as they will be (a table without COMMIT has its own error)
  for (const j of jumps)
    if (j.table !== uncommitted && !(staged.get(j.table) ?? into[j.table]).has(j.target))
      errors.push({
        line: j.line,
        message: `jump to chain ${JSON.stringify(j.target)}, which does not exist in *${j.table}`,
      });
  if (errors.length > 0) return { ok: false, errors };
  for (const [t, c] of staged) into[t] = c;
  return { ok: true, ruleset: into };
}

/** The ruleset as `iptables-save -c` prints it (with counters). */
export function formatIptablesSave(rs: Ruleset, tables: TableName[] = ['filter', 'nat']): string {
  const out: string[] = [];
  for (const t of tables) {
    out.push(`*${t}`);
    for (const c of rs[t].values()) out.push(`:${c.name} ${c.policy ?? '-'} [${c.packets}:${c.bytes}]`);
    for (const c of rs[t].values()) for (const r of c.rules) out.push(`[${r.packets}:${r.bytes}] ${r.text}`);
    out.push('COMMIT');
  }
  return out.join('\n');
}

/** For messages: an address match as iptables prints it. */
export function formatAddrMatch(a: AddrMatch): string {
  return `${a.neg ? '! ' : ''}${formatIpv4(a.addr)}/${a.len}`;
}
