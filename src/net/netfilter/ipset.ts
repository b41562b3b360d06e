/**
 * IP sets (the kernel's ip_set, driven by the `ipset` 7.x tool): named, typed sets of addresses that
 * iptables rules match with `-m set --match-set NAME src|dst[,src|dst]`. One registry per node (per network
 * namespace, as in Linux). Three types are modelled, the three Calico's Felix uses for IPv4:
 * - `hash:ip`: single addresses (a CIDR given to `add` adds every address in it, as ipset does);
 * - `hash:net`: networks of any prefix length; `test` matches an address inside any stored network;
 * - `hash:ip,port`: an address with a protocol and port (`10.42.0.2,tcp:80`; a bare port is TCP), Felix's
 *   named-port sets. Only TCP, UDP and SCTP members are modelled (not ICMP type/code members).
 * The `list` and `save` text is ipset v7.17's, checked with the real tool in a network namespace: the
 * member order of a real hash is its bucket order (random initval), so podnet prints the `-sorted` order
 * (by address, then protocol number, then port, as `ipset -sorted list` does). "Size in memory" follows the
 * kernel's figures while each entry has its own bucket (216 + 40 n for hash:ip, 456 + 48 n for hash:net,
 * 216 + 48 n for hash:ip,port, measured on 6.1). This file owns the sets, the command and what one
 * `-m set` match asks of a set (`setMatchHit`); netfilter.ts calls it for each rule.
 */
import { formatIpv4, parseIpv4, prefixMask, type Ipv4 } from '../../wire/addr.js';
import type { Ruleset } from './rules.js';

/** The set types modelled. */
export type IpsetType = 'hash:ip' | 'hash:net' | 'hash:ip,port';

/** The types `create` accepts. */
export const IPSET_TYPES: readonly IpsetType[] = ['hash:ip', 'hash:net', 'hash:ip,port'];

/** How many values a type's entries have: the flags a `-m set` match needs at least (ip_set_test). */
const DIMENSION: Record<IpsetType, number> = { 'hash:ip': 1, 'hash:net': 1, 'hash:ip,port': 2 };

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
  /** hash:ip,port only: the IP protocol number (6, 17, 132). */
  readonly proto?: number;
  /** hash:ip,port only: the port. */
  readonly port?: number;
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
  /** `initval N`: the hash seed, as `ipset save` prints it (drawn from the node's stream when not given). */
  initval?: number;
}

/** One set. */
export class Ipset {
  /** hash:ip and hash:net members by prefix length, then network address -> nomatch. */
  private readonly byLen = new Map<number, Map<Ipv4, boolean>>();
  /** The prefix lengths present, longest first (the order the kernel tries them in). */
  private lens: number[] = [];
  /** hash:ip,port members: address -> `proto << 16 | port`. */
  private readonly ipPorts = new Map<Ipv4, Set<number>>();
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

  /** How many values an entry has (1, or 2 for hash:ip,port): a `-m set` match needs that many flags. */
  get dimension(): number {
    return DIMENSION[this.type];
  }

  /**
   * Adds a member. hash:ip expands a network into its addresses (stopping at the first one already
   * there, as the kernel's range add does); hash:net stores the network with host bits cleared; hash:ip,port
   * takes one address (a /32) with its protocol and port. With `exist` (`ipset -exist`, `restore -exist`)
   * a member already there is not an error and takes the new entry's nomatch flag: the kernel's mtype_add
   * (ip_set_hash_gen.h) overwrites an existing entry's extensions and flags under IPSET_FLAG_EXIST, so the
   * last add wins.
   */
  add(m: IpsetMember, exist = false): IpsetErrorCode | undefined {
    const base = (m.addr & prefixMask(m.len)) >>> 0;
    if (this.type === 'hash:ip,port') {
      const key = ((m.proto ?? 6) << 16) | (m.port ?? 0);
      let ports = this.ipPorts.get(m.addr);
      if (ports === undefined) this.ipPorts.set(m.addr, (ports = new Set()));
      if (ports.has(key)) return exist ? undefined : 'already-added';
      ports.add(key);
      this.count++;
      return undefined;
    }
    if (this.type === 'hash:net') return this.insert(base, m.len, m.nomatch === true, exist);
    const n = 2 ** (32 - m.len);
    for (let i = 0; i < n; i++) {
      const e = this.insert((base + i) >>> 0, 32, false, exist);
      if (e !== undefined) return e;
    }
    return undefined;
  }

  /** Removes a member (the exact network for hash:net; every address of it for hash:ip; the entry for hash:ip,port). */
  del(m: IpsetMember): IpsetErrorCode | undefined {
    if (this.type === 'hash:ip,port') {
      const ports = this.ipPorts.get(m.addr);
      if (ports === undefined || !ports.delete(((m.proto ?? 6) << 16) | (m.port ?? 0))) return 'not-added';
      if (ports.size === 0) this.ipPorts.delete(m.addr);
      this.count--;
      return undefined;
    }
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
   * longest matching prefix decides, so a nomatch member carves its range out of a shorter one. A
   * hash:ip,port set answers `hasIpPort` instead (false here).
   */
  has(ip: Ipv4): boolean {
    for (const len of this.lens) {
      const nomatch = this.byLen.get(len)!.get((ip & prefixMask(len)) >>> 0);
      if (nomatch !== undefined) return !nomatch;
    }
    return false;
  }

  /** hash:ip,port: whether `ip` with protocol `proto` and `port` is an entry. */
  hasIpPort(ip: Ipv4, proto: number, port: number): boolean {
    return this.ipPorts.get(ip)?.has((proto << 16) | port) ?? false;
  }

  /** Empties the set (`ipset flush`). */
  flush(): void {
    this.byLen.clear();
    this.ipPorts.clear();
    this.lens = [];
    this.count = 0;
  }

  /** Exchanges the members of two sets of one type (`ipset swap`; the names stay, the contents move). */
  swapMembers(other: Ipset): void {
    swapMaps(this.byLen, other.byLen);
    swapMaps(this.ipPorts, other.ipPorts);
    const myLens = this.lens;
    const myCount = this.count;
    this.lens = other.lens;
    this.count = other.count;
    other.lens = myLens;
    other.count = myCount;
  }

  /** The members in `ipset -sorted` order: by address, then prefix length (or protocol number, then port). */
  members(): IpsetMember[] {
    const out: IpsetMember[] = [];
    for (const [len, s] of this.byLen)
      for (const [addr, nomatch] of s) out.push(nomatch ? { addr, len, nomatch } : { addr, len });
    for (const [addr, ports] of this.ipPorts)
      for (const key of ports) out.push({ addr, len: 32, proto: key >>> 16, port: key & 0xffff });
    return out.sort(
      (a, b) => a.addr - b.addr || a.len - b.len || (a.proto ?? 0) - (b.proto ?? 0) || (a.port ?? 0) - (b.port ?? 0),
    );
  }

  private insert(addr: Ipv4, len: number, nomatch: boolean, exist: boolean): IpsetErrorCode | undefined {
    let s = this.byLen.get(len);
    if (s === undefined) {
      s = new Map();
      this.byLen.set(len, s);
      this.lens = [...this.lens, len].sort((a, b) => b - a);
    }
    if (s.has(addr)) {
      if (!exist) return 'already-added';
      s.set(addr, nomatch);
      return undefined;
    }
    s.set(addr, nomatch);
    this.count++;
    return undefined;
  }
}

/** Exchanges the entries of two maps in place. */
function swapMaps<K, V>(a: Map<K, V>, b: Map<K, V>): void {
  const saved = [...a];
  a.clear();
  for (const [k, v] of b) a.set(k, v);
  b.clear();
  for (const [k, v] of saved) b.set(k, v);
}

/** ipset's protocol names for hash:ip,port members (the ones modelled). */
const PROTO_NAMES: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };
const PROTO_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };

/**
 * Whether one `-m set` match holds for a packet (xt_set's set_match_v4 -> ip_set_test): each flag says where
 * that dimension's value comes from (`dst,dst`: the destination address and the destination port); a match
 * with fewer flags than the set's dimension never holds (ip_set_test returns 0), extra flags are ignored
 * (checked with iptables 1.8.9 and ipset 7.17 on Linux 6.1). The port dimension (ip_set_get_ip4_port) is the
 * TCP, UDP or SCTP port with the packet's protocol; other protocols never match the entries modelled.
 */
export function setMatchHit(
  set: Ipset | undefined,
  flags: readonly ('src' | 'dst')[],
  src: Ipv4,
  dst: Ipv4,
  /** The frame and where its IPv4 header starts (the port dimension is read from it only when needed). */
  frame: Uint8Array,
  ipOff: number,
): boolean {
  if (set === undefined || flags.length < set.dimension) return false;
  const ip = flags[0] === 'src' ? src : dst;
  if (set.type !== 'hash:ip,port') return set.has(ip);
  const proto = frame[ipOff + 9]!;
  if (PROTO_NAMES[proto] === undefined) return false;
  // TCP, UDP and SCTP all carry the source then the destination port in their first four bytes
  const at = ipOff + (frame[ipOff]! & 0x0f) * 4 + (flags[1] === 'src' ? 0 : 2);
  return set.hasIpPort(ip, proto, (frame[at]! << 8) | frame[at + 1]!);
}

/** A member as ipset prints it: a /32 without its length; a hash:ip,port entry as `10.42.0.2,tcp:80`. */
export function formatMember(m: IpsetMember): string {
  if (m.proto !== undefined) return `${formatIpv4(m.addr)},${PROTO_NAMES[m.proto] ?? String(m.proto)}:${m.port ?? 0}`;
  return m.len === 32 ? formatIpv4(m.addr) : `${formatIpv4(m.addr)}/${m.len}`;
}

/** A member with the options `list` and `save` print after it in a set `s` (`10.1.0.0/16 timeout 0 nomatch`). */
function formatEntry(s: Ipset, m: IpsetMember): string {
  return `${formatMember(m)}${s.timeout !== undefined ? ' timeout 0' : ''}${m.nomatch === true ? ' nomatch' : ''}`;
}

/** Reads `A.B.C.D` or `A.B.C.D/LEN`; undefined when it is neither. */
export function parseMember(text: string): IpsetMember | undefined {
  if (text.includes(',')) return undefined;
  const [a, l, extra] = text.split('/');
  const addr = parseIpv4(a ?? '');
  if (addr === undefined || extra !== undefined) return undefined;
  if (l === undefined) return { addr, len: 32 };
  if (!/^[0-9]{1,2}$/.test(l) || Number(l) > 32) return undefined;
  return { addr, len: Number(l) };
}

/**
 * Reads a hash:ip,port entry `A.B.C.D,[PROTO:]PORT` (PROTO tcp, udp or sctp; TCP when left out, as ipset's
 * parser does); the error text is ipset v7.17's where it has one.
 */
export function parseIpPortMember(text: string): IpsetMember | string {
  const comma = text.indexOf(',');
  if (comma < 0) return `Syntax error: Second element is missing from ${text}.`;
  const addr = parseIpv4(text.slice(0, comma));
  if (addr === undefined) return `Syntax error: cannot parse ${text}: resolving to IPv4 address failed`;
  const rest = text.slice(comma + 1);
  const colon = rest.indexOf(':');
  const protoName = colon < 0 ? 'tcp' : rest.slice(0, colon);
  const portText = colon < 0 ? rest : rest.slice(colon + 1);
  const proto = PROTO_NUMBERS[protoName];
  if (proto === undefined) return `Syntax error: protocol ${protoName} is not modelled (tcp, udp, sctp)`;
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535)
    return `Syntax error: cannot parse '${portText}' as a ${protoName} port`;
  return { addr, len: 32, proto, port: Number(portText) };
}

/** The kernel's revision of each type's module (on 6.1: ip_set_hash_ip 6, ip_set_hash_net 7, ip_set_hash_ipport 7). */
const REVISION: Record<IpsetType, number> = { 'hash:ip': 6, 'hash:net': 7, 'hash:ip,port': 7 };

/** The `Header:` line's fields, as both `list` and `save` print them. */
function header(s: Ipset): string {
  const initval = `0x${s.initval.toString(16).padStart(8, '0')}`;
  const timeout = s.timeout !== undefined ? ` timeout ${s.timeout}` : '';
  return `family inet hashsize ${s.hashsize} maxelem ${s.maxelem}${timeout} bucketsize 12 initval ${initval}`;
}

/** `ipset list NAME`'s block for one set; `references` is how many rules use it. */
export function formatIpsetList(s: Ipset, references: number): string {
  // with timeout support each entry carries its expiry: 64 bytes an entry for every type (measured on 6.1)
  const perEntry = s.timeout !== undefined ? 64 : s.type === 'hash:ip' ? 40 : 48;
  const memory = (s.type === 'hash:net' ? 456 : 216) + perEntry * s.size;
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
    const s = new Ipset(name, type, opts.initval ?? this.seed() >>> 0, opts);
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
 * not errors (the member takes the new add's nomatch flag, as the kernel does). `inUse(name)` says whether a
 * rule references a set (destroy refuses then). Options other than hashsize, maxelem, timeout, initval and
 * bucketsize 12 on create, and timeout and nomatch on add, are refused.
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
        else if (
          ['hashsize', 'maxelem', 'timeout', 'family', 'bucketsize', 'initval'].includes(w) &&
          words[j + 1] !== undefined
        )
          m.set(w, words[++j]!);
        else return `Syntax error: unknown or unsupported option ${w}`;
      }
      return m;
    };
    switch (cmd) {
      case 'create':
      case '-N': {
        const type = IPSET_TYPES.find((t) => t === words[2]);
        if (type === undefined) return err(ipsetMessage('bad-type'));
        const o = options(3);
        if (typeof o === 'string') return err(o);
        if (o.has('nomatch') || (o.has('family') && o.get('family') !== 'inet'))
          return err('Syntax error: only family inet sets are modelled');
        // the kernel's bucket size is 12 whatever is asked (hash:* rev >= 7 print it; podnet does not model buckets)
        if (o.has('bucketsize') && o.get('bucketsize') !== '12')
          return err('Syntax error: only bucketsize 12 is modelled');
        if (set !== undefined) {
          if (opts.exist === true && set.type === type) break;
          return err(ipsetMessage('exists'));
        }
        const num = (k: string): number | undefined => (o.has(k) ? Number(o.get(k)) : undefined);
        const created: IpsetOptions = {};
        for (const k of ['hashsize', 'maxelem', 'timeout', 'initval'] as const) {
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
        const m = set.type === 'hash:ip,port' ? parseIpPortMember(words[2] ?? '') : parseMember(words[2] ?? '');
        if (m === undefined)
          return err(`Syntax error: cannot parse ${words[2] ?? ''}: resolving to IPv4 address failed`);
        if (typeof m === 'string') return err(m);
        const o = options(3);
        if (typeof o === 'string') return err(o);
        if (o.has('timeout') && (set.timeout === undefined || o.get('timeout') !== '0'))
          return err('Kernel error received: ipset protocol error (only timeout 0, in a set with timeout)');
        if (o.has('nomatch') && set.type !== 'hash:net') return err('Syntax error: nomatch is only for hash:net');
        const member = o.has('nomatch') ? { ...m, nomatch: true } : m;
        const e = cmd === 'add' || cmd === '-A' ? set.add(member, opts.exist === true) : set.del(member);
        if (e !== undefined && !(opts.exist === true && e === 'not-added')) return err(ipsetMessage(e));
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
