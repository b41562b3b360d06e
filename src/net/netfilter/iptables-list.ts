/**
 * The `iptables` command's listings, as iptables v1.8.9 (nf_tables) prints them, checked against the real
 * tool in a network namespace (test/iptables-list-kernel.test.ts): `-L` (with -n, and -v, -x,
 * --line-numbers) and `-S`, for one table (-t, filter by default) and optionally one chain.
 *
 * -L's columns are the standard ones (target, protocol, fragment option, interfaces with -v, source and
 * destination), then each match module's text in the order the rule names them, then the target's. The
 * order comes from the rule's own words; the values from its parsed form. Without -n iptables looks
 * names up (addresses through DNS and /etc/hosts, ports in /etc/services, protocols in /etc/protocols):
 * podnet does not emulate that and says so. Commands that change rules (-A, -D, -I, -F...) are not
 * emulated either: a node's rules are written by its kube-proxy, Felix or the lab.
 */
import { formatIpv4 } from '../../wire/addr.js';
import { tokenize } from './rule-parse.js';
import { BUILTIN_CHAINS, emptyRuleset, type Chain, type Rule, type Ruleset, type TableName } from './rules.js';
import type { SaveOutput } from './iptables-save.js';

const VERSION = 'iptables v1.8.9 (nf_tables)';

/** What was asked. */
interface ListArgs {
  mode: 'list' | 'rules';
  chain: string | undefined;
  table: string;
  numeric: boolean;
  verbose: boolean;
  exact: boolean;
  lineNumbers: boolean;
  /** `-L CHAIN N`: only rule N (1-based). */
  rule: number | undefined;
}

function usageError(message: string): SaveOutput {
  return {
    status: 2,
    stdout: '',
    stderr: `${VERSION}: ${message}\nTry \`iptables -h' or 'iptables --help' for more information.\n`,
  };
}

/** Options that change rules or counters: iptables has them, podnet's does not. */
const CHANGES = new Set(['A', 'C', 'D', 'I', 'R', 'F', 'Z', 'N', 'X', 'P', 'E']);
const LONG_CHANGES = new Set([
  '--append',
  '--check',
  '--delete',
  '--insert',
  '--replace',
  '--flush',
  '--zero',
  '--new-chain',
  '--delete-chain',
  '--policy',
  '--rename-chain',
]);

function notEmulated(what: string): SaveOutput {
  return {
    status: 2,
    stdout: '',
    stderr:
      `podnet: iptables ${what} is not emulated: podnet's iptables lists rules (-L, -S); a node's rules are ` +
      `written by its kube-proxy and Felix, or by the lab\n`,
  };
}

/** Reads iptables' arguments: what to list, or the error to print (a usage error, or what podnet does not emulate). */
function parseArgs(args: readonly string[]): ListArgs | SaveOutput {
  const a: ListArgs = {
    mode: 'list',
    chain: undefined,
    table: 'filter',
    numeric: false,
    verbose: false,
    exact: false,
    lineNumbers: false,
    rule: undefined,
  };
  let command: 'list' | 'rules' | undefined;
  // the chain is the word right after -L or -S (as iptables reads it), when that is not an option, and a
  // rule number may follow it
  let bad: SaveOutput | undefined;
  const takeRule = (i: number): number => {
    const next = args[i + 1];
    if (next === undefined || next.startsWith('-')) return i;
    if (!/^[0-9]+$/.test(next) || Number(next) === 0) bad ??= usageError(`Invalid rule number \`${next}'`);
    a.rule = Number(next);
    return i + 1;
  };
  const takeChain = (i: number): number => {
    const next = args[i + 1];
    if (next !== undefined && !next.startsWith('-')) {
      a.chain = next;
      return takeRule(i + 1);
    }
    return i;
  };
  const setCommand = (c: 'L' | 'S'): SaveOutput | undefined => {
    if (command !== undefined) return usageError(`Cannot use -${c} with -${command === 'list' ? 'L' : 'S'}`);
    command = c === 'L' ? 'list' : 'rules';
    return undefined;
  };
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w.startsWith('--')) {
      if (LONG_CHANGES.has(w)) return notEmulated(w);
      if (w === '--list' || w === '--list-rules') {
        const e = setCommand(w === '--list' ? 'L' : 'S');
        if (e !== undefined) return e;
        i = takeChain(i);
      } else if (w === '--numeric') a.numeric = true;
      else if (w === '--verbose') a.verbose = true;
      else if (w === '--exact') a.exact = true;
      else if (w === '--line-numbers') a.lineNumbers = true;
      else if (w === '--table') {
        const t = args[++i];
        if (t === undefined) return usageError('option "--table" requires an argument');
        a.table = t;
      } else return usageError(`unknown option ${JSON.stringify(w)}`);
      continue;
    }
    if (!w.startsWith('-') || w.length < 2) return usageError(`Bad argument \`${w}'`);
    // a cluster of short options: -nvL, -t nat, -tnat
    for (let k = 1; k < w.length; k++) {
      const c = w[k]!;
      if (CHANGES.has(c)) return notEmulated(`-${c}`);
      if (c === 'n') a.numeric = true;
      else if (c === 'v') a.verbose = true;
      else if (c === 'x') a.exact = true;
      else if (c === 'L' || c === 'S') {
        const e = setCommand(c);
        if (e !== undefined) return e;
        // the chain may be attached (-LINPUT), as getopt reads an optional argument
        if (k < w.length - 1) {
          a.chain = w.slice(k + 1);
          i = takeRule(i);
          break;
        }
        i = takeChain(i);
      } else if (c === 't') {
        const rest = w.slice(k + 1);
        const t = rest !== '' ? rest : args[++i];
        if (t === undefined) return usageError('option "-t" requires an argument');
        a.table = t;
        break;
      } else return usageError(`invalid option -- '${c}'`);
    }
  }
  if (bad !== undefined) return bad;
  if (command === undefined) return usageError('no command specified');
  a.mode = command;
  return a;
}

const NOT_NUMERIC: SaveOutput = {
  status: 2,
  stdout: '',
  stderr:
    'podnet: iptables -L without -n looks names up (addresses in DNS and /etc/hosts, ports in /etc/services), ' +
    'which podnet does not emulate: use iptables -L -n\n',
};

/** Runs `iptables ARGS` (the listing forms) on `rs` (a node without netfilter lists empty built-in chains). */
export function iptablesCommand(rs: Ruleset | undefined, args: readonly string[]): SaveOutput {
  const a = parseArgs(args);
  if ('status' in a) return a;
  if (!(a.table in BUILTIN_CHAINS))
    return {
      status: 3,
      stdout: '',
      stderr: `${VERSION}: table '${a.table}' does not exist\nPerhaps iptables or your kernel needs to be upgraded.\n`,
    };
  const table = a.table as TableName;
  const chains = orderedChains(rs ?? emptyRuleset(), table);
  const shown = a.chain === undefined ? chains : chains.filter((c) => c.name === a.chain);
  if (shown.length === 0)
    return {
      status: 1,
      stdout: '',
      stderr: `${VERSION}: chain \`${a.chain}' in table \`${table}' is incompatible, use 'nft' tool.\n`,
    };
  if (a.rule !== undefined) {
    // one rule: its line alone (nothing, and success, when the chain has no such rule, as nf_tables' does)
    const c = shown[0]!;
    const r = c.rules[a.rule - 1];
    if (r === undefined) return { status: 0, stdout: '', stderr: '' };
    if (a.mode === 'rules') return { status: 0, stdout: `${ruleSpec(r, a.verbose)}\n`, stderr: '' };
    if (!a.numeric) return NOT_NUMERIC;
    return { status: 0, stdout: `${ruleLine(r, a.rule, a)}\n`, stderr: '' };
  }
  if (a.mode === 'rules') return { status: 0, stdout: listRules(shown, a.verbose), stderr: '' };
  if (!a.numeric) return NOT_NUMERIC;
  const refs = references(chains);
  const blocks = shown.map((c) => listChain(c, refs.get(c.name) ?? 0, a).join('\n'));
  return { status: 0, stdout: blocks.join('\n\n') + '\n', stderr: '' };
}

/** Built-in chains in the kernel's order, then the others by name (byte order), as iptables lists them. */
function orderedChains(rs: Ruleset, table: TableName): Chain[] {
  const builtin = BUILTIN_CHAINS[table].flatMap((n) => rs[table].get(n) ?? []);
  const user = [...rs[table].values()]
    .filter((c) => !BUILTIN_CHAINS[table].includes(c.name))
    .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return [...builtin, ...user];
}

/** Rules that jump or go to each chain. */
function references(chains: readonly Chain[]): Map<string, number> {
  const refs = new Map<string, number>();
  for (const c of chains)
    for (const r of c.rules) {
      const t = r.target;
      if (t !== undefined && (t.kind === 'JUMP' || t.kind === 'GOTO')) refs.set(t.chain, (refs.get(t.chain) ?? 0) + 1);
    }
  return refs;
}

/** `iptables -S`: policies, new chains, then the rules as iptables-save writes them (-v: with counters). */
function listRules(chains: readonly Chain[], verbose: boolean): string {
  const out: string[] = [];
  for (const c of chains)
    out.push(
      c.policy !== undefined
        ? `-P ${c.name} ${c.policy}${verbose ? ` -c ${c.packets} ${c.bytes}` : ''}`
        : `-N ${c.name}`,
    );
  for (const c of chains) for (const r of c.rules) out.push(ruleSpec(r, verbose));
  return out.join('\n') + '\n';
}

/** A rule as -S prints it; with -v its counters stand before the target (`-c 1 60 -j ACCEPT`). */
function ruleSpec(r: Rule, verbose: boolean): string {
  if (!verbose) return r.text;
  const c = `-c ${r.packets} ${r.bytes}`;
  // the target's -j or -g, outside any quoted comment
  let at = -1;
  let quoted = false;
  for (let i = 0; i < r.text.length; i++) {
    const ch = r.text[i];
    if (ch === '\\') i++;
    else if (ch === '"') quoted = !quoted;
    else if (!quoted && (r.text.startsWith(' -j ', i) || r.text.startsWith(' -g ', i))) at = i;
  }
  return at < 0 ? `${r.text} ${c}` : `${r.text.slice(0, at)} ${c}${r.text.slice(at)}`;
}

/** xshared.c print_num: a counter, in a column (or not), shortened to K, M, G, T unless exact. */
function counter(n: number, exact: boolean, column: boolean): string {
  if (exact) return column ? `${String(n).padStart(8)} ` : `${n} `;
  if (n <= 99999) return column ? `${String(n).padStart(5)} ` : `${n} `;
  for (const unit of ['K', 'M', 'G']) {
    n = Math.floor((n + 500) / 1000);
    if (n <= 9999) return column ? `${String(n).padStart(4)}${unit} ` : `${n}${unit} `;
  }
  n = Math.floor((n + 500) / 1000);
  return column ? `${String(n).padStart(4)}T ` : `${n}T `;
}

function listChain(c: Chain, refs: number, a: ListArgs): string[] {
  const head =
    c.policy !== undefined
      ? a.verbose
        ? `Chain ${c.name} (policy ${c.policy} ${counter(c.packets, a.exact, false)}packets, ${counter(c.bytes, a.exact, false)}bytes)`
        : `Chain ${c.name} (policy ${c.policy})`
      : `Chain ${c.name} (${refs} references)`;
  let cols = a.lineNumbers ? 'num  ' : '';
  if (a.verbose) cols += a.exact ? '    pkts      bytes ' : ' pkts bytes ';
  cols += 'target     prot opt ';
  if (a.verbose) cols += 'in     out     ';
  cols += 'source               destination         ';
  return [head, cols, ...c.rules.map((r, i) => ruleLine(r, i + 1, a))];
}

function addr(m: Rule['src']): string {
  if (m === undefined || m.len === 0) return '0.0.0.0/0';
  return m.len === 32 ? formatIpv4(m.addr) : `${formatIpv4(m.addr)}/${m.len}`;
}

function ruleLine(r: Rule, n: number, a: ListArgs): string {
  let s = a.lineNumbers ? `${String(n).padEnd(4)} ` : '';
  if (a.verbose) s += counter(r.packets, a.exact, true) + counter(r.bytes, a.exact, true);
  const t = r.target;
  const target = t === undefined ? '' : t.kind === 'JUMP' || t.kind === 'GOTO' ? t.chain : t.kind;
  s += `${target.padEnd(9)} `;
  s += `${r.proto?.neg === true ? '!' : ' '}${String(r.proto?.num ?? 0).padEnd(5)}`;
  s += '-- ';
  if (a.verbose) {
    const iface = (m: Rule['inIf']): string => (m === undefined ? '*' : `${m.neg ? '!' : ''}${m.name}`);
    s += ` ${iface(r.inIf).padEnd(6)} ${iface(r.outIf).padEnd(6)} `;
  }
  s += `${r.src?.neg === true ? '!' : ' '}${addr(r.src).padEnd(19)} `;
  s += `${r.dst?.neg === true ? '!' : ' '}${addr(r.dst).padEnd(19)} `;
  if (t?.kind === 'GOTO') s += '[goto] ';
  return s + matchesText(r);
}

/** One option of a match or target: `--dport 80`, `! --ctstate NEW`, a flag's value is ''. */
interface Opt {
  key: string;
  value: string;
  neg: boolean;
}

/** A match module (`-m NAME`, or '' for the protocol's implicit one) or the target (`target:NAME`), with its options. */
interface Section {
  name: string;
  opts: Opt[];
}

/** The rule's words after the standard options, split at each -m (a match) and the -j/-g (the target). */
function sections(text: string): Section[] {
  const words = tokenize(text) ?? [];
  const out: Section[] = [];
  let cur: Section | undefined;
  let neg = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '!') {
      neg = true;
      continue;
    }
    const n = neg;
    neg = false;
    if (w === '-A' || w === '--append') {
      i++;
      continue;
    }
    if (w === '-m' || w === '--match' || w === '-j' || w === '--jump' || w === '-g' || w === '--goto') {
      cur = { name: (w === '-m' || w === '--match' ? '' : 'target:') + (words[++i] ?? ''), opts: [] };
      out.push(cur);
      continue;
    }
    // the standard options are columns; their values are read from the parsed rule
    if (/^(-[sdpio]|--(source|destination|protocol|in-interface|out-interface))$/.test(w)) {
      i++;
      continue;
    }
    if (!w.startsWith('--')) continue;
    const next = words[i + 1];
    const flag = FLAGS.has(w);
    if (cur === undefined) {
      cur = { name: '', opts: [] };
      out.push(cur);
    }
    if (w === '--match-set') {
      // two words: the set's name and its src/dst flags
      cur.opts.push({ key: w, value: `${next ?? ''} ${words[i + 2] ?? ''}`, neg: n });
      i += 2;
      continue;
    }
    cur.opts.push({ key: w, value: flag ? '' : (next ?? ''), neg: n });
    if (!flag) i++;
  }
  return out;
}

/** The options that take no value. */
const FLAGS = new Set([
  '--physdev-is-bridged',
  '--set',
  '--rcheck',
  '--update',
  '--remove',
  '--reap',
  '--rsource',
  '--rdest',
  '--random',
  '--random-fully',
  '--persistent',
]);

const CT_ORDER = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT'];

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** xt_limit's rate as iptables prints it: the largest unit the average divides evenly (libxt_limit print_rate). */
function limitRate(text: string): string {
  const SCALE = 10000;
  const units: [string, number][] = [
    ['day', SCALE * 24 * 60 * 60],
    ['hour', SCALE * 60 * 60],
    ['min', SCALE * 60],
    ['sec', SCALE],
  ];
  const m = /^([0-9]+)(?:\/(\w+))?$/.exec(text);
  const rate = Number(m?.[1] ?? 3);
  const unit = m?.[2] ?? 'sec';
  const mult = unit.startsWith('d')
    ? units[0]![1]
    : unit.startsWith('h')
      ? units[1]![1]
      : unit.startsWith('m')
        ? units[2]![1]
        : SCALE;
  const period = Math.floor(mult / rate);
  let i = 1;
  for (; i < units.length; i++) {
    const u = units[i]![1];
    if (period > u || Math.floor(u / period) < u % period) break;
  }
  const [name, mul] = units[i - 1]!;
  return `${Math.floor(mul / period)}/${name}`;
}

/** xtables_save_string: bare when only letters, digits, _ and -, else double-quoted with \ before " \ '. */
function saveString(s: string): string {
  return /^[A-Za-z0-9_-]+$/.test(s) ? s : `"${s.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

/** Every match's and the target's text, each after a space, in the rule's order. */
function matchesText(r: Rule): string {
  const parts: string[] = [];
  const proto = r.proto?.num === 6 ? 'tcp' : r.proto?.num === 17 ? 'udp' : r.proto?.num === 132 ? 'sctp' : '';
  for (const sec of sections(r.text)) {
    const get = (k: string): Opt | undefined => sec.opts.find((o) => o.key === k);
    const name = sec.name === '' ? proto : sec.name;
    switch (name) {
      case 'comment':
        parts.push(`/* ${get('--comment')?.value ?? ''} */`);
        break;
      case 'conntrack':
      case 'state': {
        const o = get('--ctstate') ?? get('--state');
        if (o === undefined) break;
        const states = o.value.split(',');
        const sorted = CT_ORDER.filter((x) => states.includes(x));
        parts.push(`${o.neg ? '! ' : ''}${name === 'state' ? 'state' : 'ctstate'} ${sorted.join(',')}`);
        break;
      }
      case 'mark': {
        const o = get('--mark');
        if (o === undefined) break;
        const [v, m] = o.value.split('/');
        const mask = m === undefined ? 0xffffffff : Number(m) >>> 0;
        parts.push(`mark match ${o.neg ? '! ' : ''}${hex(Number(v))}${mask === 0xffffffff ? '' : `/${hex(mask)}`}`);
        break;
      }
      case 'set':
        // the value is the set's name and its flags (`cali40all-hosts-net src`)
        for (const o of sec.opts) if (o.key === '--match-set') parts.push(`${o.neg ? '! ' : ''}match-set ${o.value}`);
        break;
      case 'addrtype': {
        let s = 'ADDRTYPE match';
        const src = get('--src-type');
        const dst = get('--dst-type');
        if (src !== undefined) s += ` src-type ${src.neg ? '!' : ''}${src.value}`;
        if (dst !== undefined) s += ` dst-type ${dst.neg ? '!' : ''}${dst.value}`;
        parts.push(s);
        break;
      }
      case 'tcp':
      case 'udp':
      case 'sctp': {
        let s = name;
        for (const [k, label] of [
          [['--sport', '--source-port'], 'spt'],
          [['--dport', '--destination-port'], 'dpt'],
        ] as const) {
          const o = sec.opts.find((x) => (k as readonly string[]).includes(x.key));
          if (o === undefined) continue;
          const range = o.value.includes(':');
          s += ` ${label}${range ? 's' : ''}:${o.neg ? '!' : ''}${o.value}`;
        }
        parts.push(s);
        break;
      }
      case 'multiport':
        for (const o of sec.opts) {
          const dir = /^--(dports|destination-ports)$/.test(o.key) ? 'dports' : 'sports';
          parts.push(`multiport ${dir} ${o.neg ? ' !' : ''}${o.value}`);
        }
        break;
      case 'icmp': {
        const o = get('--icmp-type');
        if (o === undefined) break;
        const [type, code] = o.value.split('/');
        parts.push(`icmp${o.neg ? ' !' : ''}type ${type}${code !== undefined ? ` code ${code}` : ''}`);
        break;
      }
      case 'statistic': {
        const p = Number(get('--probability')?.value ?? 0);
        // kept as a fraction of 2^31 (libxt_statistic) and printed back with 11 decimals
        parts.push(`statistic mode random probability ${(Math.round(p * 0x80000000) / 0x80000000).toFixed(11)}`);
        break;
      }
      case 'recent': {
        const op = sec.opts.find((o) => ['--set', '--rcheck', '--update', '--remove'].includes(o.key));
        const words: Record<string, string> = {
          '--set': 'SET',
          '--rcheck': 'CHECK',
          '--update': 'UPDATE',
          '--remove': 'REMOVE',
        };
        let s = `${op?.neg === true ? '! ' : ''}recent: ${words[op?.key ?? '--set']}`;
        const seconds = get('--seconds');
        if (seconds !== undefined) s += ` seconds: ${seconds.value}`;
        if (get('--reap') !== undefined) s += ' reap';
        s += ` name: ${get('--name')?.value ?? 'DEFAULT'} side: ${get('--rdest') !== undefined ? 'dest' : 'source'}`;
        s += ` mask: ${get('--mask')?.value ?? '255.255.255.255'}`;
        parts.push(s);
        break;
      }
      case 'physdev': {
        const o = get('--physdev-is-bridged');
        if (o !== undefined) parts.push(`PHYSDEV match${o.neg ? ' !' : ''} --physdev-is-bridged`);
        break;
      }
      case 'limit': {
        const burst = get('--limit-burst')?.value ?? '5';
        parts.push(`limit: avg ${limitRate(get('--limit')?.value ?? '3/hour')} burst ${burst}`);
        break;
      }
      default:
        if (name.startsWith('target:')) parts.push(...targetText(r, get));
    }
  }
  return parts.map((p) => ` ${p}`).join('');
}

/**
 * The target's own text (libxt_<TARGET> print), from the parsed target and, where iptables prints an option
 * as it was written (a NAT address, LOG's level and prefix), from the target's options (`opt`).
 */
function targetText(r: Rule, opt: (key: string) => Opt | undefined): string[] {
  const t = r.target;
  if (t === undefined) return [];
  switch (t.kind) {
    case 'REJECT':
      return [`reject-with ${t.with}`];
    case 'DNAT':
      return [`to:${opt('--to-destination')?.value ?? formatIpv4(t.ip)}`];
    case 'SNAT':
      return [`to:${opt('--to-source')?.value ?? formatIpv4(t.ip)}${t.randomFully ? ' random-fully' : ''}`];
    case 'MASQUERADE': {
      const out: string[] = [];
      if (t.portLo !== undefined) out.push(`masq ports: ${t.portLo}${t.portHi !== t.portLo ? `-${t.portHi}` : ''}`);
      if (t.randomFully) out.push('random-fully');
      return out;
    }
    case 'MARK': {
      // as the kernel keeps it: zero the mask's bits, then XOR the value (libxt_MARK mark_tg_print)
      const [v, m] =
        t.op === 'or' ? [t.value, t.value] : t.op === 'and' ? [0, ~t.value >>> 0] : [t.value >>> 0, t.mask >>> 0];
      if (v === 0) return [`MARK and ${hex(~m >>> 0)}`];
      if (v === m) return [`MARK or ${hex(v)}`];
      if (m === 0) return [`MARK xor ${hex(v)}`];
      if (m === 0xffffffff) return [`MARK set ${hex(v)}`];
      return [`MARK xset ${hex(v)}/${hex(m)}`];
    }
    case 'LOG': {
      const prefix = opt('--log-prefix')?.value;
      return [
        `LOG flags 0 level ${opt('--log-level')?.value ?? 4}${prefix !== undefined ? ` prefix "${prefix}"` : ''}`,
      ];
    }
    case 'NFLOG': {
      const out: string[] = [];
      if (t.prefix !== undefined) out.push(`nflog-prefix ${saveString(t.prefix)}`);
      if (t.group !== 0) out.push(`nflog-group ${t.group}`);
      return out.length === 0 ? [] : [out.join(' ')];
    }
    default:
      return [];
  }
}
