/**
 * dig on an emulated node: reads a dig command line, sends the query dig 9.18 sends (RD and AD set,
 * EDNS0 with a 1232-byte buffer and an 8-byte client COOKIE), retries as dig does (+tries attempts of
 * +time seconds per server, then the next server; TCP after a truncated answer) and prints the result
 * with dig-format.ts. Simulated time stands in for the wall clock: `;; WHEN:` is DIG_EPOCH_MS plus the
 * engine's clock.
 *
 * Supported: @server (IPv4), -p, -x, -t, -c, -q, and +[no]tcp/vc, +[no]edns, +[no]cookie, +[no]recurse,
 * +[no]rdflag, +[no]adflag, +[no]cdflag, +[no]dnssec, +[no]nsid, +[no]ignore, +[no]short, +bufsize=,
 * +time=, +tries=, +retry=, +[no]search, +ndots=. Without @server the resolv.conf nameservers are used. As
 * dig(1) says, the search list is not used unless +search: `dig web` asks for `web.` only. With +search a
 * relative name with fewer dots than ndots (resolv.conf's unless +ndots) is tried with each search domain,
 * then as it is, moving on only after NXDOMAIN (BIND dighost.c next_origin); a name with ndots dots or more
 * is asked as it is and only so (unlike glibc's res_search). Only the last answer is printed.
 */
import { formatIpv4, parseIpv4, type Ipv4 } from '../../wire/addr.js';
import {
  type DnsMessage,
  type EdnsOption,
  DNS_CLASS_IN,
  DNS_TYPE_A,
  DNS_TYPE_NS,
  DNS_TYPE_PTR,
  DNS_RCODE_NXDOMAIN,
  EDNS_OPTION_COOKIE,
  EDNS_OPTION_NSID,
  buildDns,
  canonicalName,
  checkName,
  dnsTypeCode,
  emptyDnsMessage,
} from '../../wire/dns.js';
import { SECOND } from '../../sim/engine.js';
import type { UdpStack } from '../../transport/udp.js';
import { DIG_VERSION, type DigNote, type DigReply, type DigRun, formatDig } from './dig-format.js';
import { type ExchangeOutcome, type ExchangeRequest, exchangeStream, exchangeUdp } from './exchange.js';
import { reverseName } from './hosts.js';
import { DEFAULT_RESOLV_CONF, type ResolvConf, parseResolvConf } from './resolv-conf.js';
import type { StreamConnector } from './stream.js';

/** Simulated wall clock at engine time 0: 2026-01-01 00:00:00 UTC. */
export const DIG_EPOCH_MS = Date.UTC(2026, 0, 1);

/** What dig runs with on its node. */
export interface DigEnv {
  readonly udp: UdpStack;
  /** The node's resolv.conf (text or parsed): its nameservers are used without @server. */
  readonly resolvConf?: ResolvConf | string;
  /** Opens TCP streams (for +tcp and after truncation); without it those attempts are refused. */
  readonly connect?: StreamConnector;
  /** Wall-clock ms at engine time 0 (default DIG_EPOCH_MS). */
  readonly epochMs?: number;
  /** Version in the greeting (default DIG_VERSION). */
  readonly version?: string;
}

/** Parsed command line. */
export interface DigOptions {
  name: string;
  type: number;
  cls: number;
  server?: { addr: Ipv4; text: string };
  port: number;
  tcp: boolean;
  edns: boolean;
  bufsize: number;
  cookie: boolean;
  recurse: boolean;
  adflag: boolean;
  cdflag: boolean;
  dnssec: boolean;
  nsid: boolean;
  ignoreTc: boolean;
  short: boolean;
  /** Seconds per attempt (+time, default 5). */
  time: number;
  /** Attempts per server over UDP (+tries, default 3). */
  tries: number;
  /** +search: walk the resolv.conf search list (default off). */
  search: boolean;
  /** +ndots=N (default: resolv.conf's). */
  ndots?: number;
}

/** What dig printed and returned. */
export interface DigResult {
  readonly stdout: string;
  readonly stderr: string;
  /** 0 answer, 1 usage error, 9 no reply, 10 bad input (dig's exit codes). */
  readonly exitCode: number;
  readonly response?: DnsMessage;
  readonly run?: DigRun;
}

/** Splits a command line on blanks (no quoting: dig arguments never need it here). */
function words(args: string | readonly string[]): string[] {
  return typeof args === 'string'
    ? args
        .trim()
        .split(/\s+/)
        .filter((w) => w !== '')
    : [...args];
}

/** BIND's words (isc_result_totext) for why a name's text is not a name, from the codec's reason. */
export function iscNameError(reason: string): string {
  if (reason.startsWith('empty label')) return 'empty label';
  if (reason.startsWith('label of')) return 'label too long';
  if (reason.startsWith('name of')) return 'ran out of space';
  if (reason.startsWith('escape')) return 'bad escape';
  if (reason.startsWith('dangling backslash')) return 'unexpected end of input';
  return reason;
}

/** What dig 9.18 prints after "Invalid option: ..." (and exits 1). */
const DIG_USAGE = `Usage:  dig [@global-server] [domain] [q-type] [q-class] {q-opt}
            {global-d-opt} host [@local-server] {local-d-opt}
            [ host [@local-server] {local-d-opt} [...]]

Use "dig -h" (or "dig -h | more") for complete list of options
`;

/** Parses dig arguments (without the program name); a string is an error message as dig prints it. */
export function parseDigArgs(argv: readonly string[]): DigOptions | string {
  const o: DigOptions = {
    name: '',
    type: -1,
    cls: DNS_CLASS_IN,
    port: 53,
    tcp: false,
    edns: true,
    bufsize: 1232,
    cookie: true,
    recurse: true,
    adflag: true,
    cdflag: false,
    dnssec: false,
    nsid: false,
    ignoreTc: false,
    short: false,
    time: 5,
    tries: 3,
    search: false,
  };
  let named = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | undefined => argv[++i];
    if (a.startsWith('@')) {
      const addr = parseIpv4(a.slice(1));
      if (addr === undefined) return `dig: couldn't get address for '${a.slice(1)}': not found`;
      o.server = { addr, text: a.slice(1) };
    } else if (a.startsWith('+')) {
      const e = plusOption(o, a.slice(1));
      if (e !== undefined) return e;
    } else if (a === '-p') {
      const p = Number(value());
      if (!Number.isInteger(p) || p < 0 || p > 65535) return 'dig: invalid port number';
      o.port = p;
    } else if (a === '-x') {
      const ip = parseIpv4(value() ?? '');
      if (ip === undefined) return 'dig: invalid IP address';
      o.name = reverseName(ip);
      o.type = DNS_TYPE_PTR;
      named = true;
    } else if (a === '-t') {
      const t = dnsTypeCode(value() ?? '');
      if (t === undefined) return `dig: invalid type: ${argv[i]}`;
      o.type = t;
    } else if (a === '-c') {
      const c = classCode(value() ?? '');
      if (c === undefined) return `dig: invalid class: ${argv[i]}`;
      o.cls = c;
    } else if (a === '-q') {
      o.name = value() ?? '';
      named = true;
    } else if (a === '-4') {
      // IPv4 only: the emulation has nothing else
    } else if (a.startsWith('-')) {
      return `dig: invalid argument ${a}`;
    } else if (dnsTypeCode(a) !== undefined) {
      o.type = dnsTypeCode(a)!;
    } else if (classCode(a) !== undefined) {
      o.cls = classCode(a)!;
    } else {
      o.name = a;
      named = true;
    }
  }
  if (!named) {
    // dig with no name asks for the root's NS records
    o.name = '.';
    if (o.type < 0) o.type = DNS_TYPE_NS;
  }
  if (o.type < 0) o.type = DNS_TYPE_A;
  const bad = checkName(o.name);
  if (bad !== undefined) return `dig: '${o.name}' is not a legal name (${iscNameError(bad)})`;
  return o;
}

function classCode(text: string): number | undefined {
  const t = text.toUpperCase();
  if (t === 'IN') return 1;
  if (t === 'CH' || t === 'CHAOS') return 3;
  if (t === 'HS') return 4;
  const m = /^CLASS([0-9]{1,5})$/.exec(t);
  return m !== null && Number(m[1]) <= 0xffff ? Number(m[1]) : undefined;
}

type BooleanOption =
  'tcp' | 'edns' | 'cookie' | 'recurse' | 'adflag' | 'cdflag' | 'dnssec' | 'nsid' | 'ignoreTc' | 'short' | 'search';

/** dig's on/off options (+X and +noX), with their aliases, and the field each sets. */
const BOOLEAN_OPTIONS: ReadonlyMap<string, BooleanOption> = new Map([
  ['tcp', 'tcp'],
  ['vc', 'tcp'],
  ['edns', 'edns'],
  ['cookie', 'cookie'],
  ['recurse', 'recurse'],
  ['rdflag', 'recurse'],
  ['adflag', 'adflag'],
  ['cdflag', 'cdflag'],
  ['dnssec', 'dnssec'],
  ['nsid', 'nsid'],
  ['ignore', 'ignoreTc'],
  ['short', 'short'],
  ['search', 'search'],
]);

/** A numeric +option as dig 9.18 reads it (isc parse_uint): its name in messages, and its largest value. */
const NUMERIC_OPTIONS: ReadonlyMap<string, { what: string; max: number }> = new Map([
  ['bufsize', { what: 'buffer size', max: 65535 }],
  ['time', { what: 'timeout', max: 65535 }],
  ['ndots', { what: 'ndots', max: 65535 }],
  ['tries', { what: 'tries', max: 0xffffffff }],
  ['retry', { what: 'retries', max: 0xffffffff }],
]);

function plusOption(o: DigOptions, text: string): string | undefined {
  const [rawKey, val] = text.split('=', 2) as [string, string | undefined];
  const no = rawKey.startsWith('no');
  const key = no ? rawKey.slice(2) : rawKey;
  const flag = BOOLEAN_OPTIONS.get(key);
  if (flag !== undefined) {
    o[flag] = !no;
    // +dnssec and +nsid need an OPT record
    if (!no && (flag === 'dnssec' || flag === 'nsid')) o.edns = true;
    return undefined;
  }
  const numeric = NUMERIC_OPTIONS.get(key);
  if (numeric === undefined) return `Invalid option: +${text}`;
  if (val === undefined || val === '') {
    // +bufsize alone is the default size again; the others need a value
    if (key !== 'bufsize') return `Invalid option: +${rawKey}`;
    o.bufsize = 1232;
    return undefined;
  }
  const bad = !/^[0-9]+$/.test(val) ? 'not a valid number' : Number(val) > numeric.max ? 'out of range' : undefined;
  if (bad !== undefined) return `invalid ${numeric.what} '${val}': ${bad}\ndig: Couldn't parse ${numeric.what}`;
  const n = Number(val);
  if (key === 'bufsize') o.bufsize = n;
  else if (key === 'time') o.time = Math.max(1, n);
  else if (key === 'ndots') o.ndots = n;
  // +retry=N is N retries after the first try
  else o.tries = Math.max(1, key === 'retry' ? n + 1 : n);
  return undefined;
}

/** Builds dig's query. `cookie` is the 8-byte client cookie (RFC 7873 4.1), when sent. */
export function digQuery(o: DigOptions, id: number, cookie: Uint8Array | undefined): DnsMessage {
  const options: EdnsOption[] = [];
  // dig puts NSID before COOKIE (as captured from dig 9.18)
  if (o.nsid) options.push({ code: EDNS_OPTION_NSID, data: new Uint8Array(0) });
  if (cookie !== undefined) options.push({ code: EDNS_OPTION_COOKIE, data: cookie });
  return {
    ...emptyDnsMessage({ id, rd: o.recurse, ad: o.adflag, cd: o.cdflag }),
    questions: [{ name: canonicalName(o.name), type: o.type, class: o.cls }],
    ...(o.edns
      ? { edns: { udpSize: o.bufsize, extendedRcode: 0, version: 0, dnssecOk: o.dnssec, z: 0, options } }
      : {}),
  };
}

/** Runs dig with `args` from `env`'s node; `done` gets what it printed. Drive the engine to make it progress. */
export function dig(env: DigEnv, args: string | readonly string[], done: (r: DigResult) => void): void {
  const argv = words(args);
  const parsed = parseDigArgs(argv);
  if (typeof parsed === 'string') {
    // an option dig does not know: its usage follows (exit 1). Anything else exits 10; for a value it
    // cannot read, dig prints the first line on stdout ("invalid timeout 'x': ...") and the rest on stderr
    if (parsed.startsWith('Invalid option')) done({ stdout: '', stderr: `${parsed}\n${DIG_USAGE}`, exitCode: 1 });
    else {
      const nl = parsed.indexOf('\n');
      done(
        nl < 0
          ? { stdout: '', stderr: `${parsed}\n`, exitCode: 10 }
          : { stdout: parsed.slice(0, nl + 1), stderr: `${parsed.slice(nl + 1)}\n`, exitCode: 10 },
      );
    }
    return;
  }
  let o = parsed;
  const engine = env.udp.node.engine;
  // cookies and query IDs: the stream `node:<name>/dig`, shared by every dig run on that node
  const rng = engine.stream(`node:${env.udp.node.name}/dig`);
  const conf =
    env.resolvConf === undefined
      ? DEFAULT_RESOLV_CONF
      : typeof env.resolvConf === 'string'
        ? parseResolvConf(env.resolvConf)
        : env.resolvConf;
  const servers =
    o.server !== undefined
      ? [{ addr: o.server.addr, name: o.server.text }]
      : conf.nameservers.map((a) => ({ addr: a, name: formatIpv4(a) }));
  let cookie: Uint8Array | undefined;
  if (o.edns && o.cookie) {
    cookie = new Uint8Array(8);
    for (let i = 0; i < 8; i += 4) {
      const v = rng.nextU32();
      cookie.set([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff], i);
    }
  }
  const notes: DigNote[] = [];
  const base = {
    argv,
    serverCount: o.server === undefined ? 0 : 1,
    notes,
    ...(cookie === undefined ? {} : { sentCookie: cookie }),
    short: o.short,
    ...(env.version === undefined ? {} : { version: env.version }),
  };
  const epoch = env.epochMs ?? DIG_EPOCH_MS;
  const walk = searchWalk(o, conf);
  let at = 0;
  const finish = (server: { addr: Ipv4; name: string } | undefined, reply: DigReply | undefined): void => {
    const later = walk.names[at + 1];
    if (later !== undefined && reply?.message.rcode === DNS_RCODE_NXDOMAIN) {
      at++;
      o = { ...o, name: later.name };
      tryServer(0);
      return;
    }
    const origin = walk.names[at]!.origin;
    const rcode = reply?.message.rcode;
    // dighost recv_done: the statistics follow the message where the search ends on an NXDOMAIN it was
    // walking, and again where the last name had no search domain or the answer is NOERROR
    const statsBlocks = ((rcode === DNS_RCODE_NXDOMAIN && (origin || walk.needSearch) ? 1 : 0) +
      (rcode === 0 || !origin ? 1 : 0)) as 0 | 1 | 2;
    const s = server ?? servers[0] ?? { addr: 0, name: '0.0.0.0' };
    const run: DigRun = {
      ...base,
      serverAddr: s.addr,
      serverPort: o.port,
      serverName: s.name,
      whenMs: epoch + Math.floor(engine.now / 1e6),
      ...(reply === undefined ? {} : { reply }),
      ...(statsBlocks === 1 ? {} : { statsBlocks }),
    };
    done({
      stdout: formatDig(run),
      stderr: '',
      exitCode: reply === undefined ? 9 : 0,
      ...(reply === undefined ? {} : { response: reply.message }),
      run,
    });
  };
  const request = (server: Ipv4, id: number): ExchangeRequest => {
    const q = digQuery(o, id, cookie);
    return { server, port: o.port, bytes: buildDns(q), id, questions: q.questions, timeout: o.time * SECOND };
  };
  const viaTcp = (si: number, id: number, onFail: () => void): void => {
    const s = servers[si]!;
    const fail = (kind: 'timeout' | 'refused'): void => {
      notes.push({ kind, server: `${formatIpv4(s.addr)}#${o.port}` });
      onFail();
    };
    if (env.connect === undefined) {
      fail('refused');
      return;
    }
    exchangeStream(env.connect, env.udp, request(s.addr, id), (x) => {
      if (x.kind === 'answer') finish(s, { bytes: x.bytes, message: x.message, transport: 'TCP', rtt: x.rtt });
      else fail(x.kind === 'timeout' ? 'timeout' : 'refused');
    });
  };
  function tryServer(si: number): void {
    if (si >= servers.length) {
      finish(undefined, undefined);
      return;
    }
    const s = servers[si]!;
    const id = rng.nextU32() & 0xffff;
    if (o.tcp) {
      viaTcp(si, id, () => tryServer(si + 1));
      return;
    }
    // dig resends the same query (same ID) on each UDP attempt
    const attempt = (left: number): void => {
      exchangeUdp(env.udp, request(s.addr, id), (x: ExchangeOutcome) => {
        if (x.kind === 'answer') {
          if (x.message.tc && !o.ignoreTc) {
            notes.push({ kind: 'truncated' });
            viaTcp(si, rng.nextU32() & 0xffff, () => tryServer(si + 1));
            return;
          }
          finish(s, { bytes: x.bytes, message: x.message, transport: 'UDP', rtt: x.rtt });
          return;
        }
        notes.push({ kind: x.kind === 'timeout' ? 'timeout' : 'refused', server: `${formatIpv4(s.addr)}#${o.port}` });
        if (x.kind === 'timeout' && left > 1) attempt(left - 1);
        else tryServer(si + 1);
      });
    };
    attempt(o.tries);
  }
  o = { ...o, name: walk.names[0]!.name };
  tryServer(0);
}

/**
 * The names dig tries, in order, as dighost does (setup_lookup, next_origin), each with whether it carries a
 * search domain (dighost's origin), and whether the first was asked as it is with the search still pending
 * (need_search: +search and at least ndots dots, counting a final one). Without +search, or with no search
 * list, just the name. With +search a name with fewer dots than ndots (resolv.conf's unless +ndots) is
 * tried with each search domain, then as it is (an absolute one only as it is, but with the first domain
 * as its origin); one with ndots dots or more is asked as it is and only so, since it has more labels than
 * ndots (checked against dig 9.18.49: +search +ndots=1 web.default stops at its NXDOMAIN).
 */
export function searchWalk(
  o: Pick<DigOptions, 'name' | 'search' | 'ndots'>,
  conf: ResolvConf,
): { names: { name: string; origin: boolean }[]; needSearch: boolean } {
  const dots = o.name.split('.').length - 1;
  if (!o.search || dots >= (o.ndots ?? conf.ndots))
    return { names: [{ name: o.name, origin: false }], needSearch: o.search };
  if (conf.search.length === 0) return { names: [{ name: o.name, origin: false }], needSearch: false };
  if (o.name.endsWith('.')) return { names: [{ name: o.name, origin: true }], needSearch: false };
  return {
    names: [...conf.search.map((d) => ({ name: `${o.name}.${d}`, origin: true })), { name: o.name, origin: false }],
    needSearch: false,
  };
}

export { DIG_VERSION };
