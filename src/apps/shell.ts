/**
 * The commands people type, run on an emulated node: `ping`, `traceroute`, `ip addr|route|neigh`,
 * `bridge fdb`, `iptables-save`, `conntrack -L`, and whatever later layers add (dig, curl, nc). Each
 * command gets its arguments as words and finishes with an exit status and the text it printed, in the
 * real tool's layout. Argument errors get the tool's usage line and status 2, as the real tools do.
 */
import { parseIpv4, type Ipv4 } from '../wire/addr.js';
import type { IpNode } from '../net/ip-node.js';
import { ipRouteCache, ipRouteGet, ipShow } from '../net/views.js';
import { ipNeighShow } from './ip-neigh-show.js';
import { conntrackCommand } from './conntrack-cmd.js';
import { bridgeCommand } from './bridge-cmd.js';
import { catProcSys, sysctlCommand } from './sysctl.js';
import { parseIpShow } from './ip-addr-show.js';
import { ipRouteShow } from './ip-route-show.js';
import { parsePrefix } from './iproute2-args.js';
import { iptablesSave } from '../net/netfilter/iptables-save.js';
import { iptablesCommand } from '../net/netfilter/iptables-list.js';
import { ipsetCommand } from '../net/netfilter/ipset.js';
import { emptyRuleset } from '../net/netfilter/rules.js';
import type { UdpStack } from '../transport/udp.js';
import { DEFAULT_PING, formatPing, ping, type PingOptions } from './ping.js';
import { ssCommand } from './ss.js';
import { arpCommand, netstatCommand, routeCommand } from './net-tools.js';
import { dig, type DigEnv } from './dns/dig.js';
import { nslookup, type NslookupEnv } from './dns/nslookup.js';
import { host, type HostEnv } from './dns/host.js';
import { getent } from './getent.js';
import { tcpConnector } from './dns/tcp.js';
import type { TcpStack } from '../transport/tcp.js';
import { EAI_NONAME, type Lookup, type LookupResult } from './dns/lookup.js';
import { DEFAULT_TRACEROUTE, formatTraceroute, traceroute, type TracerouteOptions } from './traceroute.js';

/** What a command finished with. */
export interface CommandResult {
  status: number;
  /** What it printed, without the newline that ends its last line (unless `unterminated`). */
  stdout: string;
  /**
   * Set when the last line has no newline: the tool printed exactly `stdout` (curl of a body without a
   * final newline, nc echoing what came in), so `podnet exec` adds nothing after it.
   */
  unterminated?: boolean;
}

/** A command's result for the text a tool wrote: one final newline taken off, or `unterminated` when none. */
export function printed(status: number, text: string): CommandResult {
  if (text === '' || text.endsWith('\n')) return { status, stdout: text.slice(0, -1) };
  return { status, stdout: text, unterminated: true };
}

/** Where a command runs. `resolve` turns a name into an address (node names, later DNS). */
export interface ShellContext {
  node: IpNode;
  udp: UdpStack;
  resolve(name: string): Ipv4 | undefined;
  /** The node's TCP stack, for the commands that need one (curl, nc, dig +tcp). */
  tcp?: TcpStack;
  /** The node's /etc/resolv.conf text, when it has one (dig reads its nameserver and search list). */
  resolvConf?: string;
  /** The node's /etc/hosts text, when it has one (`cat /etc/hosts`). */
  hostsFile?: string;
  /** Commands this machine has beyond the shell's own (a Calico node's calicoctl and birdcl). */
  extraCommands?: ReadonlyMap<string, Command>;
  /**
   * getaddrinfo (dns/lookup.ts): when set, ping, traceroute, curl and nc resolve names that are not
   * addresses with it instead of `resolve`.
   */
  lookup?: Lookup;
}

/**
 * Resolves `name` as the commands do: an IPv4 literal, else `ctx.lookup` (getaddrinfo; `ipv4Only` for
 * AF_INET, as `nc -4` asks), else `ctx.resolve`.
 */
export function lookupHost(
  ctx: ShellContext,
  name: string,
  done: (r: LookupResult) => void,
  opts?: { ipv4Only?: boolean },
): void {
  const literal = parseIpv4(name);
  if (literal !== undefined) done({ ok: true, ip: literal });
  else if (ctx.lookup !== undefined) ctx.lookup(name, done, opts);
  else {
    const ip = ctx.resolve(name);
    done(ip === undefined ? { ok: false, error: EAI_NONAME } : { ok: true, ip });
  }
}

/** `ctx` with `name` already looked up: its `resolve` answers that name from the lookup (curl, nc). */
export function withLookedUp(
  ctx: ShellContext,
  name: string | undefined,
  done: (c: ShellContext) => void,
  opts?: { ipv4Only?: boolean },
): void {
  if (name === undefined || ctx.lookup === undefined || parseIpv4(name) !== undefined) {
    done(ctx);
    return;
  }
  lookupHost(ctx, name, (r) => done({ ...ctx, resolve: (n) => (n === name && r.ok ? r.ip : ctx.resolve(n)) }), opts);
}

/** A command: reads `args` (without its own name) and calls `done` exactly once. */
export type Command = (ctx: ShellContext, args: string[], done: (r: CommandResult) => void) => void;

/** Splits a command line into words (single and double quotes, backslash escapes). */
export function splitWords(line: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote !== undefined) return undefined;
  if (inWord) out.push(cur);
  return out;
}

/** A set of commands. */
export class Shell {
  readonly commands = new Map<string, Command>();

  constructor() {
    this.commands.set('ping', pingCommand);
    this.commands.set('traceroute', tracerouteCommand);
    this.commands.set('ip', ipCommand);
    this.commands.set('bridge', (ctx, args, done) => done(bridgeCommand(ctx.node, args)));
    this.commands.set('dig', digCommand);
    this.commands.set('nslookup', nslookupCommand);
    this.commands.set('host', hostCommand);
    this.commands.set('getent', getentCommand);
    this.commands.set('cat', catCommand);
    this.commands.set('sysctl', (ctx, args, done) => done(sysctlCommand(ctx.node, args)));
    this.commands.set('iptables-save', (ctx, args, done) => {
      const nf = ctx.node.netfilter;
      const r = iptablesSave(nf?.ruleset ?? emptyRuleset(), args, ctx.node.engine.now);
      // a node that never loaded a rule has no tables, and nf_tables' iptables-save prints nothing there
      const text = r.status === 0 ? (nf === undefined ? '' : r.stdout) : r.stderr;
      done({ status: r.status, stdout: text.replace(/\n$/, '') });
    });
    this.commands.set('iptables', (ctx, args, done) => {
      const r = iptablesCommand(ctx.node.netfilter?.ruleset, args);
      done({ status: r.status, stdout: (r.status === 0 ? r.stdout : r.stderr).replace(/\n$/, '') });
    });
    this.commands.set('ipset', (ctx, args, done) => {
      const nf = ctx.node.netfilter;
      const r = ipsetCommand(nf?.ipsets, nf?.ruleset, args);
      done({ status: r.status, stdout: (r.status === 0 ? r.stdout : r.stderr).replace(/\n$/, '') });
    });
    this.commands.set('route', (ctx, args, done) => done(routeCommand(ctx.node, args)));
    this.commands.set('netstat', (ctx, args, done) => done(netstatCommand(ctx, args)));
    this.commands.set('arp', (ctx, args, done) => done(arpCommand(ctx.node, args)));
    this.commands.set('ss', (ctx, args, done) => {
      done(ssCommand(ctx, args));
    });
    this.commands.set('conntrack', (ctx, args, done) => {
      const nf = ctx.node.netfilter;
      const now = ctx.node.engine.now;
      done(conntrackCommand(nf === undefined ? [] : nf.conntrack.entries(now), now, args));
    });
  }

  /** Runs `argv` on `ctx`; unknown commands answer as bash does (status 127). */
  run(ctx: ShellContext, argv: string[], done: (r: CommandResult) => void): void {
    const [name, ...args] = argv;
    const cmd = name === undefined ? undefined : (ctx.extraCommands?.get(name) ?? this.commands.get(name));
    if (cmd === undefined) {
      const known = [...this.commands.keys(), ...(ctx.extraCommands?.keys() ?? [])].sort().join(', ');
      done({
        status: 127,
        stdout: `bash: ${name ?? ''}: command not found (podnet knows: ${known})`,
      });
      return;
    }
    cmd(ctx, args, done);
  }
}

/**
 * Reads options as getopt(3) does: `-c 1`, `-c1` and clustered flags (`-nc1`); words that are not options
 * are the positional ones, in order (GNU getopt permutes them). Returns those or getopt's error text.
 */
function options(
  args: string[],
  withValue: string,
  flags: string,
): { opts: Map<string, string>; rest: string[] } | string {
  const opts = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a.length === 1) {
      rest.push(a);
      continue;
    }
    for (let k = 1; k < a.length; k++) {
      const ch = a[k]!;
      if (withValue.includes(ch)) {
        const v = k + 1 < a.length ? a.slice(k + 1) : args[++i];
        if (v === undefined) return `option requires an argument -- '${ch}'`;
        opts.set(ch, v);
        break;
      }
      if (!flags.includes(ch)) return `invalid option -- '${ch}'`;
      opts.set(ch, '');
    }
  }
  return { opts, rest };
}

function num(v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= min && n <= max ? n : Number.NaN;
}

const pingCommand: Command = (ctx, args, done) => {
  const usage =
    'Usage: ping [-b] [-c count] [-i interval] [-s packetsize] [-t ttl] [-W timeout] [-M do|want|dont] destination';
  const p = options(args, 'cistWM', 'nb');
  if (typeof p === 'string' || p.rest.length !== 1) {
    done({
      status: 2,
      stdout: `ping: ${typeof p === 'string' ? p : 'usage error: Destination address required'}\n${usage}`,
    });
    return;
  }
  const o: Partial<PingOptions> = {};
  const c = num(p.opts.get('c'), 1, 1e6);
  const i = num(p.opts.get('i'), 0.001, 3600);
  const s = num(p.opts.get('s'), 0, 65507);
  const t = num(p.opts.get('t'), 1, 255);
  const w = num(p.opts.get('W'), 0.001, 3600);
  if ([c, i, s, t, w].some((x) => Number.isNaN(x))) {
    done({ status: 2, stdout: `ping: invalid argument\n${usage}` });
    return;
  }
  if (c !== undefined) o.count = c;
  if (i !== undefined) o.interval = Math.round(i * 1e9);
  if (s !== undefined) o.size = s;
  if (t !== undefined) o.ttl = t;
  if (w !== undefined) o.timeout = Math.round(w * 1e9);
  const m = p.opts.get('M');
  if (m === 'do' || m === 'dont') o.df = m === 'do';
  lookupHost(ctx, p.rest[0]!, (dst) => {
    // iputils: "ping: NAME: " and gai_strerror's text, status 2
    if (!dst.ok) done({ status: 2, stdout: `ping: ${p.rest[0]}: ${dst.error}` });
    else if (ctx.node.isBroadcast(dst.ip) && dst.ip >>> 28 !== 0xe && !p.opts.has('b'))
      // iputils connects a probe socket first; to a broadcast address without SO_BROADCAST that is EACCES
      done({
        status: 2,
        stdout: 'ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules',
      });
    else
      ping(ctx.node, dst.ip, o, (r) =>
        done({
          status: r.received > 0 ? 0 : 1,
          stdout:
            (ctx.node.isBroadcast(dst.ip) && dst.ip >>> 28 !== 0xe ? 'WARNING: pinging broadcast address\n' : '') +
            // iputils names the host by its canonical name (AI_CANONNAME): the FQDN the search found
            formatPing(r, o.size ?? DEFAULT_PING.size, dst.canonical ?? p.rest[0]),
        }),
      );
  });
};

const tracerouteCommand: Command = (ctx, args, done) => {
  const usage =
    'Usage: traceroute [ -nIT ] [ -m max_ttl ] [ -N squeries ] [ -q nqueries ] [ -w waittime ] [ -p port ] host [ packetlen ]';
  const p = options(args, 'mqwpN', 'nIT4');
  if (typeof p === 'string' || p.rest.length < 1 || p.rest.length > 2) {
    done({ status: 2, stdout: typeof p === 'string' ? `${p}\n${usage}` : usage });
    return;
  }
  const o: Partial<TracerouteOptions> = {};
  const m = num(p.opts.get('m'), 1, 255);
  const q = num(p.opts.get('q'), 1, 10);
  const w = num(p.opts.get('w'), 0, 60);
  const port = num(p.opts.get('p'), 1, 65535);
  const sim = num(p.opts.get('N'), 1, 1000);
  const len = num(p.rest[1], 28, 65000);
  if ([m, q, w, port, sim, len].some((x) => Number.isNaN(x))) {
    done({ status: 2, stdout: `Bad option value\n${usage}` });
    return;
  }
  if (m !== undefined) o.maxHops = m;
  if (q !== undefined) o.queries = q;
  if (w !== undefined) o.wait = Math.round(w * 1e9);
  if (port !== undefined) o.port = port;
  if (sim !== undefined) o.simProbes = sim;
  if (len !== undefined) o.packetLen = len;
  if (p.opts.has('I')) o.method = 'icmp';
  if (p.opts.has('T')) o.method = 'tcp';
  lookupHost(ctx, p.rest[0]!, (dst) => {
    if (!dst.ok)
      done({
        status: 2,
        stdout: `${p.rest[0]}: ${dst.error}\nCannot handle "host" cmdline arg \`${p.rest[0]}' on position 1 (argc 1)`,
      });
    else
      traceroute(ctx.node, ctx.udp, dst.ip, o, (r) =>
        done({
          status: 0,
          stdout: formatTraceroute(r, { ...DEFAULT_TRACEROUTE, ...o }, p.opts.has('n'), p.rest[0]),
        }),
      );
  });
};

/** iproute2's verbs that change state (ip route/addr/link/neigh add, del, flush, ...): real, but not emulated here. */
const CHANGING_VERBS = [
  'add',
  'append',
  'change',
  'chg',
  'delete',
  'flush',
  'prepend',
  'replace',
  'restore',
  'save',
  'set',
];

/** ip's option `opt` (`--x` read as `-x`) is -brief: at least `-br`, since `-b` is `-batch` (ip.c's order). */
function isBriefOption(opt: string): boolean {
  const o = opt.startsWith('--') ? opt.slice(1) : opt;
  return o.length >= 3 && '-brief'.startsWith(o);
}

/** ip's option `opt` is -stats (`-s`, `-statistics`, any abbreviation: matches(opt, "-stats")). */
function isStatsOption(opt: string): boolean {
  const o = opt.startsWith('--') ? opt.slice(1) : opt;
  return o.length >= 2 && ('-stats'.startsWith(o) || '-statistics'.startsWith(o));
}

const ipCommand: Command = (ctx, args, done) => {
  // options before the object: -4 (podnet's addresses are all IPv4), -brief and -stats; the others are
  // not emulated
  const firstWord = args.findIndex((x) => !x.startsWith('-'));
  const opts = args.slice(0, firstWord < 0 ? args.length : firstWord);
  const opt = opts.find((x) => x !== '-4' && !isBriefOption(x) && !isStatsOption(x));
  if (opt !== undefined) {
    done({ status: 255, stdout: `podnet: ip ${opt} is not emulated (podnet's ip takes -4, -brief and -s only)` });
    return;
  }
  const ipv4Only = opts.includes('-4');
  const brief = opts.some(isBriefOption);
  const stats = opts.filter(isStatsOption).length;
  const a = args.slice(opts.length);
  const obj = a[0] ?? '';
  const sub = a[1] ?? 'show';
  const is = (full: string): boolean => obj.length > 0 && full.startsWith(obj);
  const addrOrLink = is('address') || obj === 'a' || is('link') || obj === 'l';
  if (stats > 1 || (stats === 1 && obj !== '' && !addrOrLink)) {
    // -s -s adds the error counters and carrier transitions, which podnet does not keep; -s changes
    // `ip neigh` (use and probe counts) and `ip route` cache entries
    done({
      status: 255,
      stdout:
        stats > 1
          ? 'podnet: ip -s -s is not emulated (podnet keeps no error counters or carrier transitions; ip -s shows the rest)'
          : `podnet: ip -s ${obj} is not emulated (podnet's ip -s shows ip link and ip addr counters)`,
    });
    return;
  }
  if ((is('route') || obj === 'r') && sub.length > 0 && 'get'.startsWith(sub)) {
    // `ip route get [to] ADDR` (iproute_get: the last address wins, a /len is warned about and taken as
    // /32); the lookup's other keys (from, iif, oif, mark, ...) are not emulated
    const GET_KEYS = [
      'from',
      'iif',
      'mark',
      'oif',
      'notify',
      'connected',
      'vrf',
      'uid',
      'fibmatch',
      'sport',
      'dport',
      'ipproto',
    ];
    let target: number | undefined;
    let warning = '';
    for (let i = 2; i < a.length; i++) {
      const w = a[i]!;
      const key =
        w === 'tos' ||
        w === 'dev' ||
        w === 'as' ||
        GET_KEYS.some((k) => w.length > 0 && k.startsWith(w)) ||
        (w.length > 0 && 'dsfield'.startsWith(w));
      if (key) {
        done({ status: 255, stdout: `podnet: ip route get ... ${w} is not emulated (podnet looks up [to] ADDR)` });
        return;
      }
      const v = w === 'to' ? a[++i] : w;
      const p = v === undefined ? undefined : parsePrefix(v, ipv4Only ? 4 : 0);
      if (v === undefined) {
        done({ status: 255, stdout: 'Command line is not complete. Try option "help"' });
        return;
      }
      if (p === undefined) {
        done({ status: 1, stdout: `Error: any valid prefix is expected rather than "${v}".` });
        return;
      }
      target = p.addr;
      warning =
        p.family === 4 && p.bitlen !== 32
          ? `Warning: /${p.bitlen} as prefix is invalid, only /32 (or none) is supported.\n`
          : '';
    }
    if (target === undefined) {
      done({ status: 1, stdout: 'need at least a destination address' });
      return;
    }
    const text = ipRouteGet(ctx.node, target);
    done(
      text === undefined
        ? { status: 2, stdout: `${warning}RTNETLINK answers: Network is unreachable` }
        : { status: 0, stdout: warning + blankEnded(text) },
    );
    return;
  }
  // iproute2 takes any abbreviation: `ip a s`, `ip l sh`
  if (!['show', 'list', 'lst', 'ls'].some((w) => sub !== '' && w.startsWith(sub))) {
    const changes = CHANGING_VERBS.some((w) => sub !== '' && w.startsWith(sub));
    done({
      status: 255,
      stdout: changes
        ? `podnet: ip ${obj} ${sub} is not emulated (podnet's ip shows a node's state; the lab or cluster file sets it)`
        : `Command "${sub}" is unknown, try "ip ${obj} help".`,
    });
    return;
  }
  if (addrOrLink) {
    // `ip addr show dev eth0`, `ip link show type veth`, `ip -br a`, `ip -s link`
    const o = parseIpShow(ctx.node, a.slice(2), ipv4Only, brief);
    if ('status' in o) done(o);
    else done({ status: 0, stdout: ipShow(ctx.node, { ...o, stats: stats > 0 }, is('link') || obj === 'l') ?? '' });
  } else if (is('route') || obj === 'r') {
    const r = ipRouteShow(ctx.node, a.slice(2), ipv4Only);
    if (r === undefined) done({ status: 0, stdout: blankEnded(ipRouteCache(ctx.node)) });
    else done(r.status === 0 ? { status: 0, stdout: blankEnded(r.stdout) } : r);
  } else if (is('neighbour') || is('neighbor') || obj === 'n') {
    const r = ipNeighShow(ctx.node, a.slice(2), ipv4Only, brief);
    // a brief line ends with its lladdr, no blank
    done(r.status === 0 && !brief ? { status: 0, stdout: blankEnded(r.stdout) } : r);
  } else done({ status: 255, stdout: `Object "${obj}" is unknown, try "ip help".` });
};

/**
 * Route and neighbour lines as iproute2 6.1 prints them: each ends with a blank (print_route and
 * print_neigh put one after every field, the last included; `ip route get`'s cache line too). Checked with
 * `cat -A` in a namespace. The views (net/views.ts) leave it off for the tables they also feed.
 */
function blankEnded(text: string): string {
  return text === '' ? text : text.replaceAll('\n', ' \n') + ' ';
}

/** dig over the node's UDP (and TCP, for +tcp and truncated answers), with the node's resolv.conf. */
const digCommand: Command = (ctx, args, done) =>
  // dig ends its lines (and its full answer with a blank line, as BIND's does): one final newline is the
  // line's own, which `exec` adds back
  dig(bindToolEnv(ctx), args, (r) => done(printed(r.exitCode, r.stdout + r.stderr)));

/** What BIND's tools run with on `ctx`'s node: its UDP, TCP streams, and its resolv.conf. */
function bindToolEnv(ctx: ShellContext): DigEnv & NslookupEnv & HostEnv {
  const { tcp, resolvConf } = ctx;
  return {
    udp: ctx.udp,
    ...(tcp !== undefined ? { connect: tcpConnector(tcp) } : {}),
    ...(resolvConf !== undefined ? { resolvConf } : {}),
  };
}

/** nslookup (BIND 9.18's) over the node's UDP (and TCP for -vc), with the node's resolv.conf. */
const nslookupCommand: Command = (ctx, args, done) =>
  // nslookup ends with an empty line: the final newline is the last line's own, which `exec` adds back
  nslookup(bindToolEnv(ctx), args, (r) => done(printed(r.exitCode, r.stdout)));

/** host (BIND 9.18's) over the node's UDP (and TCP for -T), with the node's resolv.conf. */
const hostCommand: Command = (ctx, args, done) =>
  host(bindToolEnv(ctx), args, (r) => done(printed(r.exitCode, r.stdout)));

/** getent's host databases, as glibc resolves with the node's /etc/hosts and resolv.conf. */
const getentCommand: Command = (ctx, args, done) =>
  getent({ ...bindToolEnv(ctx), ...(ctx.hostsFile !== undefined ? { hostsFile: ctx.hostsFile } : {}) }, args, (r) =>
    done(printed(r.exitCode, r.stdout)),
  );

/** `cat` of the files a node has: /etc/resolv.conf and /etc/hosts (coreutils' wording for the rest). */
const catCommand: Command = (ctx, args, done) => {
  const files = new Map<string, string | undefined>([
    ['/etc/resolv.conf', ctx.resolvConf],
    ['/etc/hosts', ctx.hostsFile],
  ]);
  if (args.length === 0) {
    done({ status: 1, stdout: 'cat: podnet: reading standard input is not supported' });
    return;
  }
  let out = '';
  let status = 0;
  for (const a of args) {
    const proc = catProcSys(ctx.node, a);
    if (proc !== undefined) {
      out += proc.ok ? proc.text : `${proc.text}\n`;
      if (!proc.ok) status = 1;
      continue;
    }
    const text = files.get(a);
    if (text === undefined) {
      out += `cat: ${a}: No such file or directory\n`;
      status = 1;
    } else out += text;
  }
  done({ status, stdout: out.endsWith('\n') ? out.slice(0, -1) : out });
};

/** The usual resolver of a shell: an IPv4 literal, else a node name via `names`. */
export function literalOr(names: (n: string) => Ipv4 | undefined): (name: string) => Ipv4 | undefined {
  return (name) => parseIpv4(name) ?? names(name);
}
