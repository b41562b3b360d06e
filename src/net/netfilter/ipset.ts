/**
 * IP sets (the kernel's ip_set, driven by the `ipset` 7.x tool): named, typed sets of addresses that
 * iptables rules match with `-m set --match-set NAME src|dst`. One registry per node (per network
 * namespace, as in Linux). Two types are modelled, the two Calico's Felix uses for IPv4:
 * - `hash:ip`: single addresses (a CIDR given to `add` adds every address in it, as ipset does);
 * - `hash:net`: networks of any prefix length; `test` matches an address inside any stored network.
 * The `list` and `save` text is ipset v7.17's, checked with the real tool in a network namespace: the
 * member order of a real hash is its bucket order (random initval), so podnet prints the `-sorted` order
 * (by address, as `ipset -sorted list` does) for both. "Size in memory" follows the kernel's figures while
 * each entry has its own bucket (216 + 40 n for hash:ip, 456 + 48 n for hash:net, measured on 6.1).
 * The matching itself is netfilter.ts's; this file owns the sets and the command.
 */
import { formatIpv4, parseIpv4, prefixMask, type Ipv4 } from '../../wire/addr.js';
import type { Ruleset } from './rules.js';

/** The set types modelled. */
export type IpsetType = 'hash:ip' | 'hash:net';

/** One member: an address (len 32) or a network. */
export interface IpsetMember {
  readonly addr: Ipv4;
  readonly len: number;
  /**
   * hash:net only: an exception (`add S 10.1.0.0/16 nomatch`): an address whose most specific matching
   * member is a nomatch one is not in the set (the kernel's mtype_test_cidrs tries the longest prefix first
   * and a nomatch entry answers -ENOTEMPTY, which xt_set reads as no match). kube-router writes ipBlock
   * `except` entries this way.
   */
  readonly nomatch?: boolean;
}

/** Why an ipset operation failed, as a code to act on; the tool's message is `ipsetMessage(code)`. */
export type IpsetErrorCode = 'exists' | 'already-added' | 'not-added' | 'no-such-set' | 'in-use' | 'bad-type';

/** The tool's text for each error (ipset v7.17, checked in a namespace). */
const MESSAGES: Record<IpsetErrorCode, string> = {
  exists: 'Set cannot be created: set with the same name already exists',
  'already-added': "Element cannot be added to the set: it's already added",
  'not-added': "Element cannot be deleted from the set: it's not added",
  'no-such-set': 'The set with the given name does not exist',
  'in-use': 'Set cannot be destroyed: it is in use by a kernel component',
  'bad-type': 'Syntax error: typename is unknown',
};

/** The message ipset prints for `code` (without the "ipset v7.17: " prefix). */
export function ipsetMessage(code: IpsetErrorCode): string {
  return MESSAGES[code];
}

/** Creation options (`hashsize`, `maxelem`, `timeout`), with ipset's defaults. */
export interface IpsetOptions {
  hashsize?: number;
  maxelem?: number;
  /**
   * `timeout N`: the set supports per-entry timeouts, N the default in seconds (0: entries never expire,
   * what kube-router creates its sets with). Expiry itself is not modelled; only 0 is accepted on entries.
   */
  timeout?: number;
}

/** One set. */
export class Ipset {
  /** Members by prefix length, then network address -> nomatch. */
  private readonly byLen = new Map<number, Map<Ipv4, boolean>>();
  /** The prefix lengths present, longest first (the order the kernel tries them in). */
  private lens: number[] = [];
  private count = 0;
  readonly hashsize: number;
  readonly maxelem: number;
  readonly timeout: number | undefined;

  constructor(
    readonly name: string,
    readonly type: IpsetType,
    /** The hash seed the kernel draws at creation (shown as `initval`). */
    readonly initval: number,
    opts: IpsetOptions = {},
  ) {
    this.hashsize = opts.hashsize ?? 1024;
    this.maxelem = opts.maxelem ?? 65536;
    this.timeout = opts.timeout;
  }

  /** Number of entries. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds a member. hash:ip expands a network into its addresses (stopping at the first one already
   * there, as the kernel's range add does); hash:net stores the network with host bits cleared.
   */
  add(m: IpsetMember): IpsetErrorCode | undefined {
    const base = (m.addr & prefixMask(m.len)) >>> 0;
    if (this.type === 'hash:net') return this.insert(base, m.len, m.nomatch === true);
    const n = 2 ** (32 - m.len);
    for (let i = 0; i < n; i++) {
      const e = this.insert((base + i) >>> 0, 32, false);
      if (e !== undefined) return e;
    }
    return undefined;
  }

  /** Removes a member (the exact network for hash:net; every address of it for hash:ip). */
  del(m: IpsetMember): IpsetErrorCode | undefined {
    const base = (m.addr & prefixMask(m.len)) >>> 0;
    const len = this.type === 'hash:net' ? m.len : 32;
    const n = this.type === 'hash:net' ? 1 : 2 ** (32 - m.len);
    for (let i = 0; i < n; i++) {
      const s = this.byLen.get(len);
      if (s === undefined || !s.delete((base + i) >>> 0)) return 'not-added';
      this.count--;
      if (s.size === 0) {
        this.byLen.delete(len);
        this.lens = this.lens.filter((l) => l !== len);
      }
    }
    return undefined;
  }

  /**
   * True when `ip` is a member (hash:ip) or inside a member network (hash:net): what `-m set` asks. The
   * longest matching prefix decides, so a nomatch member carves its range out of a shorter one.
   */
  has(ip: Ipv4): boolean {
    for (const len of this.lens) {
      const nomatch = this.byLen.get(len)!.get((ip & prefixMask(len)) >>> 0);
      if (nomatch !== undefined) return !nomatch;
    }
    return false;
  }

  /** Empties the set (`ipset flush`). */
  flush(): void {
    this.byLen.clear();
    this.lens = [];
    this.count = 0;
  }

  /** Exchanges the members of two sets (`ipset swap`; the names stay, the contents move). */
  swapMembers(other: Ipset): void {
    const mine = [...this.byLen];
    const myLens = this.lens;
    const myCount = this.count;
    this.byLen.clear();
    for (const [l, m] of other.byLen) this.byLen.set(l, m);
    this.lens = other.lens;
    this.count = other.count;
    other.byLen.clear();
    for (const [l, m] of mine) other.byLen.set(l, m);
    other.lens = myLens;
    other.count = myCount;
  }

  /** The members in `ipset -sorted` order: by address, then prefix length. */
  members(): IpsetMember[] {
    const out: IpsetMember[] = [];
    for (const [len, s] of this.byLen)
      for (const [addr, nomatch] of s) out.push(nomatch ? { addr, len, nomatch } : { addr, len });
    return out.sort((a, b) => a.addr - b.addr || a.len - b.len);
  }

  private insert(addr: Ipv4, len: number, nomatch: boolean): IpsetErrorCode | undefined {
    let s = this.byLen.get(len);
    if (s === undefined) {
      s = new Map();
      this.byLen.set(len, s);
      this.lens = [...this.lens, len].sort((a, b) => b - a);
    }
    if (s.has(addr)) return 'already-added';
    s.set(addr, nomatch);
    this.count++;
    return undefined;
  }
}

/** A member as ipset prints it: a /32 without its length. */
export function formatMember(m: IpsetMember): string {
  return m.len === 32 ? formatIpv4(m.addr) : `${formatIpv4(m.addr)}/${m.len}`;
}

/** A member with the options `list` and `save` print after it in a set `s` (`10.1.0.0/16 timeout 0 nomatch`). */
function formatEntry(s: Ipset, m: IpsetMember): string {
  return `${formatMember(m)}${s.timeout !== undefined ? ' timeout 0' : ''}${m.nomatch === true ? ' nomatch' : ''}`;
}

/** Reads `A.B.C.D` or `A.B.C.D/LEN`; undefined when it is neither. */
export function parseMember(text: string): IpsetMember | undefined {
  const [a, l, extra] = text.split('/');
  const addr = parseIpv4(a ?? '');
  if (addr === undefined || extra !== undefined) return undefined;
  if (l === undefined) return { addr, len: 32 };
  if (!/^[0-9]{1,2}$/.test(l) || Number(l) > 32) return undefined;
  return { addr, len: Number(l) };
}

/** The kernel's revision of each type's module (ip_set_hash_ip rev 6, ip_set_hash_net rev 7 on 6.1). */
const REVISION: Record<IpsetType, number> = { 'hash:ip': 6, 'hash:net': 7 };

/** The `Header:` line's fields, as both `list` and `save` print them. */
function header(s: Ipset): string {
  const initval = `0x${s.initval.toString(16).padStart(8, '0')}`;
  const timeout = s.timeout !== undefined ? ` timeout ${s.timeout}` : '';
  return `family inet hashsize ${s.hashsize} maxelem ${s.maxelem}${timeout} bucketsize 12 initval ${initval}`;
}

/** `ipset list NAME`'s block for one set; `references` is how many rules use it. */
export function formatIpsetList(s: Ipset, references: number): string {
  // with timeout support each entry carries its expiry: 64 bytes an entry for both types (measured on 6.1)
  const perEntry = s.timeout !== undefined ? 64 : s.type === 'hash:ip' ? 40 : 48;
  const memory = (s.type === 'hash:ip' ? 216 : 456) + perEntry * s.size;
  return [
    `Name: ${s.name}`,
    `Type: ${s.type}`,
    `Revision: ${REVISION[s.type]}`,
    `Header: ${header(s)}`,
    `Size in memory: ${memory}`,
    `References: ${references}`,
    `Number of entries: ${s.size}`,
    'Members:',
    ...s.members().map((m) => formatEntry(s, m)),
  ].join('\n');
}

/** `ipset save NAME`'s lines for one set. */
export function formatIpsetSave(s: Ipset): string {
  return [
    `create ${s.name} ${s.type} ${header(s)}`,
    ...s.members().map((m) => `add ${s.name} ${formatEntry(s, m)}`),
  ].join('\n');
}

/** The sets of one node (network namespace), in creation order as `ipset list` prints them. */
export class IpsetRegistry {
  private readonly sets = new Map<string, Ipset>();

  /** @param seed draws each new set's initval (the node's netfilter stream, so runs repeat) */
  constructor(private readonly seed: () => number) {}

  /** The set called `name`. */
  get(name: string): Ipset | undefined {
    return this.sets.get(name);
  }

  /** Every set, in creation order. */
  all(): Ipset[] {
    return [...this.sets.values()];
  }

  /** `ipset create NAME TYPE [hashsize N] [maxelem N]`. */
  create(name: string, type: IpsetType, opts: IpsetOptions = {}): Ipset | IpsetErrorCode {
    if (this.sets.has(name)) return 'exists';
    const s = new Ipset(name, type, this.seed() >>> 0, opts);
    this.sets.set(name, s);
    return s;
  }

  /** `ipset destroy NAME`; a set a rule still references cannot go (`inUse` says whether one does). */
  destroy(name: string, inUse: boolean): IpsetErrorCode | undefined {
    if (!this.sets.has(name)) return 'no-such-set';
    if (inUse) return 'in-use';
    this.sets.delete(name);
    return undefined;
  }
}

/** How many rules of `rs` match on set `name` (ipset's "References"). */
export function ipsetReferences(rs: Ruleset, name: string): number {
  let n = 0;
  for (const t of Object.values(rs))
    for (const c of t.values()) for (const r of c.rules) if (r.sets?.some((s) => s.name === name)) n++;
  return n;
}

/** What the `ipset` command printed and its exit status. */
export interface IpsetOutput {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * The read-only `ipset` commands: `list [NAME]`, `list -n` / `-n list` (names only), `save [NAME]`, with
 * ipset v7.17's text (sets in creation order, a blank line between listed sets) and its error for an
 * unknown set. `reg` is undefined on a node that never loaded netfilter (no sets).
 */
export function ipsetCommand(reg: IpsetRegistry | undefined, rs: Ruleset | undefined, args: string[]): IpsetOutput {
  const words = args.filter((a) => a !== '-sorted' && a !== '-s' && a !== '-n' && a !== '-name');
  const namesOnly = args.includes('-n') || args.includes('-name');
  const [cmd, name] = words;
  const sets = reg?.all() ?? [];
  const pick = name === undefined ? sets : sets.filter((s) => s.name === name);
  if (name !== undefined && pick.length === 0)
    return { status: 1, stdout: '', stderr: `ipset v7.17: ${ipsetMessage('no-such-set')}\n` };
  const text = (lines: string[], sep: string): IpsetOutput => ({
    status: 0,
    stdout: lines.length === 0 ? '' : lines.join(sep) + '\n',
    stderr: '',
  });
  switch (cmd) {
    case 'list':
    case '-L':
      if (namesOnly)
        return text(
          pick.map((s) => s.name),
          '\n',
        );
      return text(
        pick.map((s) => formatIpsetList(s, rs === undefined ? 0 : ipsetReferences(rs, s.name))),
        '\n\n',
      );
    case 'save':
    case '-S':
      return text(pick.map(formatIpsetSave), '\n');
    default:
      // the tool's words for no command and for an unknown one (exit status 2, a usage error)
      return {
        status: 2,
        stdout: '',
        stderr: `ipset v7.17: No command specified${cmd === undefined ? '.' : `: unknown argument ${cmd}`}\nTry \`ipset help' for more information.\n`,
      };
  }
}

/** Where `ipset restore` stopped: the 1-based line and the tool's message. */
export interface IpsetRestoreError {
  line: number;
  message: string;
}

/**
 * `ipset restore [-exist]`: the commands of a save file (create, add, del, flush, swap, destroy), one a line,
 * applied in order as the tool does (not atomically: it stops at the first error, which it reports with the
 * line). With `exist`, creating a set that exists with the same type and adding a member already there are
 * not errors. `inUse(name)` says whether a rule references a set (destroy refuses then). Options other than
 * hashsize, maxelem and timeout on create, and timeout and nomatch on add, are refused.
 */
export function applyIpsetRestore(
  reg: IpsetRegistry,
  text: string,
  opts: { exist?: boolean; inUse?: (name: string) => boolean } = {},
): IpsetRestoreError | undefined {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const words = lines[i]!.trim().split(/\s+/);
    const [cmd, name] = words;
    if (cmd === undefined || cmd === '' || cmd.startsWith('#')) continue;
    const err = (message: string): IpsetRestoreError => ({ line: i + 1, message });
    if (name === undefined) return err(`Syntax error: missing set name after ${cmd}`);
    const set = reg.get(name);
    const options = (from: number): Map<string, string | true> | string => {
      const m = new Map<string, string | true>();
      for (let j = from; j < words.length; j++) {
        const w = words[j]!;
        if (w === 'nomatch') m.set(w, true);
        else if (['hashsize', 'maxelem', 'timeout', 'family'].includes(w) && words[j + 1] !== undefined)
          m.set(w, words[++j]!);
        else return `Syntax error: unknown or unsupported option ${w}`;
      }
      return m;
    };
    switch (cmd) {
      case 'create':
      case '-N': {
        const type = words[2];
        if (type !== 'hash:ip' && type !== 'hash:net') return err(ipsetMessage('bad-type'));
        const o = options(3);
        if (typeof o === 'string') return err(o);
        if (o.has('nomatch') || (o.has('family') && o.get('family') !== 'inet'))
          return err('Syntax error: only family inet sets are modelled');
        if (set !== undefined) {
          if (opts.exist === true && set.type === type) break;
          return err(ipsetMessage('exists'));
        }
        const num = (k: string): number | undefined => (o.has(k) ? Number(o.get(k)) : undefined);
        const created: IpsetOptions = {};
        for (const k of ['hashsize', 'maxelem', 'timeout'] as const) {
          const v = num(k);
          if (v !== undefined) created[k] = v;
        }
        reg.create(name, type, created);
        break;
      }
      case 'add':
      case 'del':
      case '-A':
      case '-D': {
        if (set === undefined) return err(ipsetMessage('no-such-set'));
        const m = parseMember(words[2] ?? '');
        if (m === undefined)
          return err(`Syntax error: cannot parse ${words[2] ?? ''}: resolving to IPv4 address failed`);
        const o = options(3);
        if (typeof o === 'string') return err(o);
        if (o.has('timeout') && (set.timeout === undefined || o.get('timeout') !== '0'))
          return err('Kernel error received: ipset protocol error (only timeout 0, in a set with timeout)');
        if (o.has('nomatch') && set.type !== 'hash:net') return err('Syntax error: nomatch is only for hash:net');
        const member = o.has('nomatch') ? { ...m, nomatch: true } : m;
        const e = cmd === 'add' || cmd === '-A' ? set.add(member) : set.del(member);
        if (e !== undefined && !(opts.exist === true && (e === 'already-added' || e === 'not-added')))
          return err(ipsetMessage(e));
        break;
      }
      case 'flush':
      case '-F':
        if (set === undefined) return err(ipsetMessage('no-such-set'));
        set.flush();
        break;
      case 'swap':
      case '-W': {
        const other = reg.get(words[2] ?? '');
        if (set === undefined || other === undefined) return err(ipsetMessage('no-such-set'));
        if (set.type !== other.type || set.timeout !== other.timeout)
          return err('The sets cannot be swapped: their type does not match');
        set.swapMembers(other);
        break;
      }
      case 'destroy':
      case '-X': {
        const e = reg.destroy(name, opts.inUse?.(name) ?? false);
        if (e !== undefined) return err(ipsetMessage(e));
        break;
      }
      default:
        return err(`Syntax error: unknown command ${cmd}`);
    }
  }
  return undefined;
}
