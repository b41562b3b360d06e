/**
 * `conntrack -L [TABLE] [FILTERS]` as conntrack-tools 1.4.7 reads and prints it: the protocol (`-p`, a
 * name in any case or a number), the original and reply addresses (`-s`/`--src`/`--orig-src`, `-d`,
 * `-r`/`--reply-src`, `-q`/`--reply-dst`, each with an optional /len), the ports after a protocol that has
 * them (`--sport`, `--dport`, `--orig-port-*`, `--reply-port-*`), `--state` after `-p tcp`, `--icmp-type`,
 * `--icmp-code` and `--icmp-id` after `-p icmp`, `-u`/`--status`, `-m`/`--mark` (with a mask), `-f`,
 * the NAT selectors `-n`/`--src-nat`, `-g`/`--dst-nat`, `-j`/`--any-nat`, and `-o extended`. Each entry is
 * printed as the kernel's conntrack table shows it, and the count line last (it goes to stderr, which a
 * terminal shows after). `-C` (`--count`) prints the number of entries. Errors in the tool's words, exit
 * status 2. Checked against conntrack 1.4.7 and a namespace's table (test/conntrack-kernel.test.ts).
 */
import { parseIpv4, prefixMask, type Ipv4 } from '../wire/addr.js';
import { formatConn, type Conn } from '../net/netfilter/conntrack.js';

const TOOL = 'conntrack v1.4.7 (conntrack-tools)';
const TRY = "Try `conntrack -h' or 'conntrack --help' for more information.";

/** Protocols conntrack knows by name (its extensions), and their numbers. */
const PROTOS: Record<string, number> = {
  tcp: 6,
  udp: 17,
  udplite: 136,
  sctp: 132,
  dccp: 33,
  icmp: 1,
  icmpv6: 58,
  gre: 47,
};
/** The protocols with ports, and the TCP states `--state` takes. */
const WITH_PORTS = new Set([6, 17, 136, 132, 33]);
const TCP_STATES = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'LISTEN',
  'SYN_SENT2',
];
const STATUSES = ['EXPECTED', 'ASSURED', 'SEEN_REPLY', 'FIXED_TIMEOUT', 'UNSET', 'OFFLOAD', 'HW_OFFLOAD'];

class UsageError extends Error {}

/** C's atoi: the leading digits, 0 for none. */
function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number(m[1]);
}

/** C's strtoul(s, NULL, 0) for marks: 0x hex, 0 octal, decimal; 0 where nothing parses. */
function strtoul0(s: string): number {
  const m = /^\s*(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(s);
  if (m === null) return 0;
  const t = m[1]!;
  const v = /^0[xX]/.test(t) ? parseInt(t, 16) : t.length > 1 && t.startsWith('0') ? parseInt(t, 8) : parseInt(t, 10);
  return v >>> 0;
}

interface AddrFilter {
  addr: Ipv4;
  len: number;
}

function parseAddrFilter(v: string): AddrFilter {
  const slash = v.indexOf('/');
  const a = parseIpv4(slash < 0 ? v : v.slice(0, slash));
  if (a === undefined) throw new UsageError(`Invalid IP address \`${slash < 0 ? v : v.slice(0, slash)}'`);
  if (slash < 0) return { addr: a, len: 32 };
  const len = /^\d+$/.test(v.slice(slash + 1)) ? Number(v.slice(slash + 1)) : NaN;
  if (!(len >= 0 && len <= 32)) throw new UsageError('Invalid netmask');
  return { addr: a, len };
}

function inPrefix(ip: Ipv4, f: AddrFilter): boolean {
  return ((ip ^ f.addr) & prefixMask(f.len)) === 0;
}

/**
 * One entry's NAT as conntrack-tools decides it (libnetfilter_conntrack's NFCT_GOPT_IS_SNAT/IS_DNAT): a
 * reply tuple that does not mirror the original. Its layer-4 comparison reads an ICMP tuple's 16-bit
 * field as it is in memory: the echo's identifier on one side, its type and code bytes on the other, so
 * an ICMP echo entry counts as source NAT unless its id is 0 and as destination NAT unless it is 8 (the
 * bytes 08 00 read on x86), as the real tool lists them.
 */
function snat(c: Conn): boolean {
  if (c.orig.proto === 1) return c.reply.dst !== c.orig.src || c.orig.sport !== 0;
  return c.reply.dst !== c.orig.src || c.reply.dport !== c.orig.sport;
}
function dnat(c: Conn): boolean {
  if (c.orig.proto === 1) return c.reply.src !== c.orig.dst || c.orig.sport !== 8;
  return c.reply.src !== c.orig.dst || c.reply.sport !== c.orig.dport;
}

type Test = (c: Conn) => boolean;

/** conntrack-tools' long names of the options `-C` refuses (its error names the option so). */
const LONG_NAMES: Record<string, string> = {
  '-p': '--protonum',
  '-s': '--orig-src',
  '-d': '--orig-dst',
  '-r': '--reply-src',
  '-q': '--reply-dst',
  '-m': '--mark',
  '-u': '--status',
};

/**
 * `conntrack -C [conntrack|expect]`: the number of entries (nf_conntrack_count; podnet keeps no
 * expectations). The tool takes no filter here: `-C -p tcp` is its "Illegal option" error.
 */
function count(conns: readonly Conn[], args: readonly string[]): { status: number; stdout: string } {
  const [table, ...rest] = args;
  if (table !== undefined && table.startsWith('-')) {
    const long = LONG_NAMES[table] ?? (table.startsWith('--') ? table : undefined);
    if (long === undefined) return { status: 2, stdout: `podnet: conntrack -C ${table} is not emulated` };
    throw new UsageError(`Illegal option \`${long}' with this command`);
  }
  if (rest.length > 0) return { status: 2, stdout: `podnet: conntrack -C ${args.join(' ')} is not emulated` };
  if (table === 'expect') return { status: 0, stdout: '0' };
  if (table !== undefined && table !== 'conntrack')
    return {
      status: 2,
      stdout: `podnet: conntrack -C ${table} is not emulated (podnet has the conntrack and expect tables)`,
    };
  return { status: 0, stdout: String(conns.length) };
}

/** `conntrack ARGS...` over `conns` (the node's table at `now`); the text a terminal shows and the exit status. */
export function conntrackCommand(
  conns: readonly Conn[],
  now: number,
  args: readonly string[],
): { status: number; stdout: string } {
  try {
    return list(conns, now, args);
  } catch (e) {
    if (e instanceof UsageError) return { status: 2, stdout: `${TOOL}: ${e.message}\n${TRY}` };
    throw e;
  }
}

function list(conns: readonly Conn[], now: number, args: readonly string[]): { status: number; stdout: string } {
  if (args[0] === '-C' || args[0] === '--count') return count(conns, args.slice(1));
  if (args[0] !== '-L' && args[0] !== '--dump')
    return { status: 2, stdout: `${TOOL}: podnet emulates conntrack -L (--dump) and -C (--count) only` };
  const tests: Test[] = [];
  let table = 'conntrack';
  let proto: number | undefined;
  let extended = false;
  let i = 1;
  const value = (opt: string): string => {
    i++;
    if (i >= args.length) throw new UsageError(`option \`${opt}' requires an argument`);
    return args[i]!;
  };
  const needProto = (opt: string, ok: boolean): void => {
    if (!ok) throw new UsageError(`unknown option \`${opt}'`);
  };
  const tuple =
    (dir: 'orig' | 'reply', side: 'src' | 'dst', f: AddrFilter): Test =>
    (c) =>
      inPrefix(c[dir][side], f);
  const port =
    (dir: 'orig' | 'reply', side: 'sport' | 'dport', p: number): Test =>
    (c) =>
      c[dir][side] === p;
  for (; i < args.length; i++) {
    const o = args[i]!;
    switch (o) {
      case '-p':
      case '--proto': {
        const v = value(o);
        const n = PROTOS[v.toLowerCase()] ?? (/^\d+$/.test(v) && Number(v) <= 255 ? Number(v) : undefined);
        if (n === undefined) throw new UsageError(`\`${v}' unsupported protocol`);
        proto = n;
        tests.push((c) => c.orig.proto === n);
        break;
      }
      case '-s':
      case '--src':
      case '--orig-src':
        tests.push(tuple('orig', 'src', parseAddrFilter(value(o))));
        break;
      case '-d':
      case '--dst':
      case '--orig-dst':
        tests.push(tuple('orig', 'dst', parseAddrFilter(value(o))));
        break;
      case '-r':
      case '--reply-src':
      case '-q':
      case '--reply-dst': {
        const long = o === '-r' || o === '--reply-src' ? '--reply-src' : '--reply-dst';
        const v = value(o);
        // the reply tuple's addresses take no /len (conntrack 1.4.7)
        if (v.includes('/')) throw new UsageError(`CIDR notation unavailable for \`${long}'`);
        tests.push(tuple('reply', long === '--reply-src' ? 'src' : 'dst', parseAddrFilter(v)));
        break;
      }
      case '--sport':
      case '--orig-port-src':
        needProto(o, proto !== undefined && WITH_PORTS.has(proto));
        tests.push(port('orig', 'sport', atoi(value(o))));
        break;
      case '--dport':
      case '--orig-port-dst':
        needProto(o, proto !== undefined && WITH_PORTS.has(proto));
        tests.push(port('orig', 'dport', atoi(value(o))));
        break;
      case '--reply-port-src':
        needProto(o, proto !== undefined && WITH_PORTS.has(proto));
        tests.push(port('reply', 'sport', atoi(value(o))));
        break;
      case '--reply-port-dst':
        needProto(o, proto !== undefined && WITH_PORTS.has(proto));
        tests.push(port('reply', 'dport', atoi(value(o))));
        break;
      case '--state': {
        needProto(o, proto === 6);
        const v = value(o);
        if (!TCP_STATES.includes(v)) throw new UsageError(`unknown TCP state \`${v}'`);
        tests.push((c) => c.tcp === v);
        break;
      }
      case '--icmp-type':
      case '--icmp-code':
      case '--icmp-id': {
        needProto(o, proto === 1);
        const n = atoi(value(o));
        // podnet tracks echo requests: type 8, code 0, the identifier in the tuple's ports
        tests.push(
          o === '--icmp-type'
            ? () => n === 8
            : o === '--icmp-code'
              ? () => n === 0
              : (c) => (c.orig.sport || c.orig.dport) === n,
        );
        break;
      }
      case '-u':
      case '--status': {
        const want = value(o).split(',');
        for (const s of want) if (!STATUSES.includes(s)) throw new UsageError(`Bad parameter \`${s}'`);
        tests.push((c) =>
          want.every((s) =>
            s === 'ASSURED'
              ? c.assured
              : s === 'SEEN_REPLY'
                ? c.seenReply
                : s === 'UNSET'
                  ? !c.assured && !c.seenReply
                  : false,
          ),
        );
        break;
      }
      case '-m':
      case '--mark': {
        const [v, m] = value(o).split('/');
        const mark = strtoul0(v!);
        const mask = m === undefined ? 0xffff_ffff : strtoul0(m);
        tests.push((c) => (c.mark & mask) >>> 0 === (mark & mask) >>> 0);
        break;
      }
      case '-f':
      case '--family': {
        const v = value(o);
        if (v !== 'ipv4' && v !== 'ipv6') throw new UsageError(`Bad parameter \`${v}'`);
        // podnet tracks IPv4 only
        if (v === 'ipv6') tests.push(() => false);
        break;
      }
      case '-n':
      case '--src-nat':
        tests.push(snat);
        break;
      case '-g':
      case '--dst-nat':
        tests.push(dnat);
        break;
      case '-j':
      case '--any-nat':
        tests.push((c) => snat(c) || dnat(c));
        break;
      case '-o':
      case '--output': {
        const v = value(o);
        for (const f of v.split(',')) {
          if (f === 'extended') extended = true;
          else
            return {
              status: 2,
              stdout: `${TOOL}: podnet does not emulate -o ${f} (it prints the default and extended forms)`,
            };
        }
        break;
      }
      case '-z':
      case '--zero':
        // podnet's listing has no counters to zero
        break;
      default:
        if (o === 'conntrack' || o === 'expect' || o === 'dying' || o === 'unconfirmed') table = o;
        else if (o.startsWith('-')) throw new UsageError(`unknown option \`${o}'`);
        else return { status: 2, stdout: `${TOOL}: podnet does not emulate the argument \`${o}'` };
    }
  }
  if (table === 'expect') return { status: 0, stdout: `${TOOL}: 0 expectations have been shown.` };
  // dying and unconfirmed entries live for a moment inside the kernel; podnet's table has none
  const shown = table === 'conntrack' ? conns.filter((c) => tests.every((t) => t(c))) : [];
  return {
    status: 0,
    stdout: [
      ...shown.map((c) => `${extended ? 'ipv4     2 ' : ''}${formatConn(c, now)}`),
      `${TOOL}: ${shown.length} flow entries have been shown.`,
    ].join('\n'),
  };
}
