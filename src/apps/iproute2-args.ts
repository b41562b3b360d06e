/**
 * What iproute2's commands share when they read their words (lib/utils.c, ip/ip_common.h): NEXT_ARG and
 * its "Command line is not complete" error, invarg's `Error: argument "X" is wrong: ...`, matches() for
 * abbreviations, C's number syntax, and get_prefix for IPv4 (`10.1`, `10/8`, `255.255.255.192` as a
 * mask, `default`/`all`/`any`). Used by `ip route|addr|link|neigh` and `bridge`.
 */
import { prefixMask, type Ipv4 } from '../wire/addr.js';

/** A command's words, read one after another as iproute2's `while (argc > 0)` loops read them. */
export class Words {
  /** The index of the word being read. */
  i = 0;

  constructor(readonly args: readonly string[]) {}

  /** Whether a word is left. */
  get more(): boolean {
    return this.i < this.args.length;
  }

  /** The word being read. */
  get word(): string {
    return this.args[this.i]!;
  }

  /** NEXT_ARG: the word after this one, or iproute2's error for a command line that stops short. */
  next(): string {
    this.i++;
    if (this.i >= this.args.length) throw new IpError(255, 'Command line is not complete. Try option "help"');
    return this.args[this.i]!;
  }
}

/** An inet_prefix as iproute2's get_prefix leaves it (IPv4 only). */
export interface Prefix {
  /** AF_INET (4) or AF_UNSPEC (0: `all`, `any` and `default` without -4). */
  family: 0 | 4;
  addr: Ipv4;
  bitlen: number;
  /** PREFIXLEN_SPECIFIED: a `/len` was given, or `default`. */
  specified: boolean;
}

/** A usage error as iproute2 ends it: the message and its exit status. */
export class IpError extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
  ) {
    super(text);
  }
}

/** invarg(): `Error: argument "ARG" is wrong: MSG`; exit(-1). MSG keeps its own newline, as iproute2's do. */
export function invarg(msg: string, arg: string): IpError {
  return new IpError(255, `Error: argument "${arg}" is wrong: ${msg}`);
}

/** strtoul(text, &end, base) consuming the whole word (base 0: 0x hex, 0 octal, else decimal). */
export function strtoul(text: string, base: 0 | 16): number | undefined {
  const m =
    base === 16
      ? /^\+?(?:0[xX])?([0-9a-fA-F]+)$/.exec(text)
      : /^\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (m === null) return undefined;
  const t = m[1]!;
  const v =
    base === 16
      ? parseInt(t, 16)
      : /^0[xX]/.test(t)
        ? parseInt(t.slice(2), 16)
        : t.length > 1 && t.startsWith('0')
          ? parseInt(t, 8)
          : parseInt(t, 10);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** iproute2's matches(word, keyword): the word is a non-empty prefix of the keyword. */
export function matches(word: string, keyword: string): boolean {
  return word.length > 0 && keyword.startsWith(word);
}

/** get_addr_ipv4: up to four dotted parts in C's number syntax ("10", "10.1", "0x0a.1.0.0"). */
function parseAddr(text: string): Ipv4 | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  let addr = 0;
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    const n = p === undefined ? 0 : strtoul(p, 0);
    if (n === undefined || n > 255) return undefined;
    addr = addr * 256 + n;
  }
  return addr >>> 0;
}

/** get_netmask: a length, or a dotted mask that is one (255.255.255.192 is 26). */
function parseNetmask(text: string): number | undefined {
  const n = strtoul(text, 0);
  if (n !== undefined) return n;
  const m = parseAddr(text);
  if (m === undefined || !text.includes('.')) return undefined;
  const len = Math.clz32(~m);
  return prefixMask(len) >>> 0 === m ? len : undefined;
}

/** get_prefix(dst, arg, family): undefined where iproute2 says "any valid prefix is expected". */
export function parsePrefix(arg: string, family: 0 | 4): Prefix | undefined {
  const slash = arg.indexOf('/');
  const a = slash < 0 ? arg : arg.slice(0, slash);
  if (a === 'default' || a === 'all' || a === 'any') {
    if (slash >= 0) return undefined;
    return { family, addr: 0, bitlen: 0, specified: a === 'default' };
  }
  const addr = parseAddr(a);
  if (addr === undefined) return undefined;
  if (slash < 0) return { family: 4, addr, bitlen: 32, specified: false };
  const len = parseNetmask(arg.slice(slash + 1));
  if (len === undefined || len > 32) return undefined;
  return { family: 4, addr, bitlen: len, specified: true };
}

export function prefixOrFail(arg: string, family: 0 | 4): Prefix {
  if (arg.includes(':')) throw new IpError(255, `podnet: ${arg} is an IPv6 prefix; IPv6 is not emulated`);
  const p = parsePrefix(arg, family);
  if (p === undefined)
    throw new IpError(1, `Error: ${family === 4 ? 'inet' : 'any valid'} prefix is expected rather than "${arg}".`);
  return p;
}

/** inet_addr_match(a, b, bits) === 0: the first `bits` bits agree. */
export function addrMatch(a: Ipv4, b: Ipv4, bits: number): boolean {
  return bits <= 0 || ((a ^ b) & prefixMask(Math.min(bits, 32))) === 0;
}

/** /etc/iproute2/rt_scopes of iproute2 6.1 (Debian 12): what `scope NAME` takes and prints. */
export const SCOPE_NAMES: Readonly<Record<number, string>> = {
  0: 'global',
  200: 'site',
  253: 'link',
  254: 'host',
  255: 'nowhere',
};

/**
 * rtnl_rtprot_a2n / rtnl_rtscope_a2n: a name from `names` (exact), else a number in C's syntax up to
 * 255; undefined where iproute2 says the value is invalid.
 */
export function rtNameToNumber(names: Readonly<Record<number, string>>, v: string): number | undefined {
  for (const [n, name] of Object.entries(names)) if (name === v) return Number(n);
  const n = strtoul(v, 0);
  return n === undefined || n > 255 ? undefined : n;
}
