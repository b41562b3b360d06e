/**
 * nslookup as BIND 9.18 ships it (bin/dig/nslookup.c over dighost.c, Debian's bind9-dnsutils
 * 1:9.18.49-1~deb12u3), in its non-interactive form: `nslookup [-opt ...] NAME [SERVER]`, on the lookup
 * engine it shares with host (dighost.ts). What it sends:
 * a plain query (RD set, no EDNS, no cookie), a new ID per lookup, the same ID on each retry. What it
 * prints, all on stdout, as the real one does:
 * - `;; Got recursion not available from S` for an answer without RA when the servers are resolv.conf's
 *   (CoreDNS's own answers have no RA), `..., trying next server` when another server is left, which then
 *   gets the query instead; SERVFAIL the same way (nslookup's default `nofail`);
 * - the `Server:` / `Address:` header before an A answer (every answer with `-type=`), then
 *   `Non-authoritative answer:` when AA is clear, then the records (`Name:` / `Address:` for A and AAAA,
 *   `NAME<TAB>canonical name = ...` and the like for the rest, an SOA spread over seven lines);
 * - after an A answer, an AAAA lookup of the name the CNAMEs lead to, printed without a header;
 *   `*** Can't find NAME: No answer` when neither has an address;
 * - `** server can't find NAME: RCODE` for an error (exit status 1);
 * - the search list walked as dighost does: a name with at least ndots dots is asked as it is and only
 *   so; one with fewer is tried with each search domain, then as it is; only NXDOMAIN moves on;
 * - an address is looked up as its in-addr.arpa PTR name;
 * - errors per attempt (`;; communications error to S#53: timed out`), the attempts counted per lookup
 *   (resolv.conf's `attempts`, default 3; `timeout`, default 5 s), then the next server, then
 *   `;; no servers could be reached` (exit status 1);
 * - a final empty line.
 * Interactive mode, `-debug`, `-d2`, `-all`, classes other than IN and a server given by name are not
 * emulated and say so.
 */
import { formatIpv4, parseIpv4, type Ipv4 } from '../../wire/addr.js';
import {
  type DnsRecord,
  DNS_TYPE_A,
  DNS_TYPE_AAAA,
  DNS_TYPE_PTR,
  canonicalName,
  checkName,
  dnsTypeCode,
  rdataTypeCode,
} from '../../wire/dns.js';
import type { UdpStack } from '../../transport/udp.js';
import { DIG_VERSION, rdataText } from './dig-format.js';
import { iscNameError } from './dig.js';
import {
  type DighostPrint,
  type DighostServer,
  type DighostSettings,
  bindResolvOptions,
  chaseCnames,
  formatName,
  rcodeText,
  newLookup,
  runLookups,
} from './dighost.js';
import { reverseName } from './hosts.js';
import { DEFAULT_RESOLV_CONF, parseResolvConf } from './resolv-conf.js';
import type { StreamConnector } from './stream.js';

/** What nslookup runs with on its node. */
export interface NslookupEnv {
  readonly udp: UdpStack;
  /** The node's /etc/resolv.conf: its nameservers, search list, ndots, attempts and timeout. */
  readonly resolvConf?: string;
  /** Opens TCP streams (-vc, and after a truncated answer). */
  readonly connect?: StreamConnector;
}

/** What nslookup printed (stdout and stderr, in order) and its exit status. */
export interface NslookupResult {
  readonly stdout: string;
  readonly exitCode: number;
  /** True when the command line asks for something podnet does not emulate (the text says what). */
  readonly notEmulated?: boolean;
}

/** nslookup.c rtypetext: what precedes a record's RDATA, by type (0..41); later types are `rdata_N = `. */
const RTYPE_TEXT = [
  'rtype_0 = ',
  'internet address = ',
  'nameserver = ',
  'md = ',
  'mf = ',
  'canonical name = ',
  'soa = ',
  'mb = ',
  'mg = ',
  'mr = ',
  'rtype_10 = ',
  'protocol = ',
  'name = ',
  'hinfo = ',
  'minfo = ',
  'mail exchanger = ',
  'text = ',
  'rp = ',
  'afsdb = ',
  'x25 address = ',
  'isdn address = ',
  'rt = ',
  'nsap = ',
  'nsap_ptr = ',
  'signature = ',
  'key = ',
  'px = ',
  'gpos = ',
  'has AAAA address ',
  'loc = ',
  'next = ',
  'rtype_31 = ',
  'rtype_32 = ',
  'service = ',
  'rtype_34 = ',
  'naptr = ',
  'kx = ',
  'cert = ',
  'v6 address = ',
  'dname = ',
  'rtype_40 = ',
  'optional = ',
];

const USAGE = `Usage:
   nslookup [-opt ...]             # interactive mode using default server
   nslookup [-opt ...] - server    # interactive mode using 'server'
   nslookup [-opt ...] host        # just look up 'host' using default server
   nslookup [-opt ...] host server # just look up 'host' using 'server'
`;

/** The settings nslookup's options change (nslookup.c's globals). */
interface Settings {
  deftype: number;
  /** No -type given: A lookups, each followed by AAAA. */
  defaultLookups: boolean;
  port: number;
  /** Seconds; 0: resolv.conf's, else UDP_TIMEOUT / TCP_TIMEOUT. */
  timeout: number;
  /** Attempts per lookup; -1: resolv.conf's. */
  tries: number;
  ndots: number;
  recurse: boolean;
  usesearch: boolean;
  tcp: boolean;
  tcpSet: boolean;
  /** `fail`: a SERVFAIL ends the lookup instead of trying the next server. */
  servfailStops: boolean;
  domain?: string;
}

/** isc CHECKOPT(A, N): `opt` is a prefix of `full`, at least `min` characters long, ignoring case. */
function checkopt(opt: string, full: string, min: number): boolean {
  return opt.length >= min && opt.length <= full.length && full.startsWith(opt.toLowerCase());
}

/** isc parse_uint: a decimal number up to `max`, else nslookup's message. */
function parseUint(value: string, max: number, what: string, out: string[]): number | undefined {
  if (!/^[0-9]+$/.test(value)) {
    out.push(`invalid ${what} '${value}': not a valid number\n`);
    return undefined;
  }
  const n = Number(value);
  if (n > max) {
    out.push(`invalid ${what} '${value}': out of range\n`);
    return undefined;
  }
  return n;
}

/** dns_rdatatype_fromtext: a mnemonic or TYPEnnn, any case. */
function typeCode(text: string): number | undefined {
  const m = /^TYPE([0-9]{1,5})$/i.exec(text);
  if (m !== null) return Number(m[1]) <= 0xffff ? Number(m[1]) : undefined;
  return dnsTypeCode(text.toUpperCase());
}

/** Runs nslookup with `argv` (without the program name); `done` gets what it printed. Drive the engine. */
export function nslookup(env: NslookupEnv, argv: readonly string[], done: (r: NslookupResult) => void): void {
  const out: string[] = [];
  const s: Settings = {
    deftype: DNS_TYPE_A,
    defaultLookups: true,
    port: 53,
    timeout: 0,
    tries: -1,
    ndots: -1,
    recurse: true,
    usesearch: true,
    tcp: false,
    tcpSet: false,
    servfailStops: false,
  };
  const notEmulated = (what: string): void =>
    done({ stdout: `podnet: nslookup ${what} is not emulated\n`, exitCode: 255, notEmulated: true });
  let name: { text: string; rdtype: number } | undefined;
  let server: { addr: Ipv4; text: string } | undefined;
  let haveLookup = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('-')) {
      if (a.slice(0, 4).toLowerCase() === '-ver') {
        done({ stdout: `nslookup ${DIG_VERSION}\n`, exitCode: 0 });
        return;
      }
      if (a.length === 1) {
        haveLookup = true;
        continue;
      }
      const unsupported = setOption(s, a.slice(1), out);
      if (unsupported !== undefined) {
        notEmulated(unsupported);
        return;
      }
    } else if (!haveLookup) {
      haveLookup = true;
      // addlookup: the type is the one set so far; an address becomes its PTR name
      const ip = parseIpv4(a);
      name = ip !== undefined ? { text: reverseName(ip), rdtype: DNS_TYPE_PTR } : { text: a, rdtype: s.deftype };
    } else {
      if (i + 1 < argv.length) {
        done({ stdout: out.join('') + USAGE, exitCode: 1 });
        return;
      }
      const ip = parseIpv4(a);
      if (ip === undefined) {
        notEmulated(`with a server given by name (${a}; give its IPv4 address)`);
        return;
      }
      server = { addr: ip, text: a };
    }
  }
  if (name === undefined) {
    notEmulated("in interactive mode (podnet's nslookup takes: nslookup [-opt ...] NAME [SERVER])");
    return;
  }
  const bad = checkName(name.text);
  if (bad !== undefined) {
    done({
      stdout: `${out.join('')}nslookup: '${name.text}' is not in legal name syntax (${iscNameError(bad)})\n`,
      exitCode: 1,
    });
    return;
  }
  run(env, s, name, server, out, done);
}

/** nslookup.c setoption; returns what is not emulated, if the option is one of those. */
function setOption(s: Settings, opt: string, out: string[]): string | undefined {
  const lower = opt.toLowerCase();
  const value = (prefixes: readonly string[]): string | undefined => {
    const p = prefixes.find((x) => lower.startsWith(x));
    return p === undefined ? undefined : opt.slice(p.length);
  };
  const type = value(['type=', 'ty=', 'querytype=', 'query=', 'qu=', 'q=']);
  const cls = value(['class=', 'cl=']);
  const domain = value(['domain=', 'do=']);
  const port = value(['port=', 'po=']);
  const timeout = value(['timeout=', 't=']);
  const retry = value(['retry=', 'ret=']);
  const ndots = value(['ndots=']);
  if (checkopt(opt, 'all', 3)) return '-all';
  if (cls !== undefined) {
    if (/^(in|class0*1)$/i.test(cls)) return undefined;
    if (/^(ch|chaos|hs|none|any|class[0-9]+)$/i.test(cls)) return `-class=${cls} (podnet asks class IN only)`;
    out.push(`unknown query class: ${cls}\n`);
  } else if (type !== undefined) {
    const t = typeCode(type);
    if (t === undefined) out.push(`unknown query type: ${type}\n`);
    else {
      s.deftype = t;
      s.defaultLookups = false;
    }
  } else if (domain !== undefined) {
    s.domain = domain;
    s.usesearch = true;
  } else if (port !== undefined) {
    const n = parseUint(port, 65535, 'port', out);
    if (n !== undefined) s.port = n;
  } else if (timeout !== undefined) {
    const n = parseUint(timeout, 0xffffffff, 'timeout', out);
    if (n !== undefined) s.timeout = n;
  } else if (checkopt(opt, 'recurse', 3)) s.recurse = true;
  else if (checkopt(opt, 'norecurse', 5)) s.recurse = false;
  else if (retry !== undefined) {
    const n = parseUint(retry, 0x7fffffff, 'tries', out);
    if (n !== undefined) s.tries = n;
  } else if (checkopt(opt, 'defname', 3)) s.usesearch = true;
  else if (checkopt(opt, 'nodefname', 5)) s.usesearch = false;
  else if (checkopt(opt, 'vc', 2)) {
    s.tcp = true;
    s.tcpSet = true;
  } else if (checkopt(opt, 'novc', 4)) {
    s.tcp = false;
    s.tcpSet = true;
  } else if (checkopt(opt, 'debug', 3)) return '-debug';
  else if (checkopt(opt, 'nodebug', 5)) return undefined;
  else if (checkopt(opt, 'd2', 2)) return '-d2';
  else if (checkopt(opt, 'nod2', 4)) return undefined;
  else if (checkopt(opt, 'search', 3)) s.usesearch = true;
  else if (checkopt(opt, 'nosearch', 5)) s.usesearch = false;
  else if (checkopt(opt, 'sil', 3)) return undefined;
  else if (checkopt(opt, 'fail', 3)) s.servfailStops = true;
  else if (checkopt(opt, 'nofail', 5)) s.servfailStops = false;
  else if (ndots !== undefined) {
    const n = parseUint(ndots, 128, 'ndots', out);
    if (n !== undefined) s.ndots = n;
  } else out.push(`*** Invalid option: ${opt}\n`);
  return undefined;
}

/** The lookup, and the AAAA lookup an A answer adds, as dighost runs them. */
function run(
  env: NslookupEnv,
  s: Settings,
  first: { text: string; rdtype: number },
  server: DighostServer | undefined,
  out: string[],
  done: (r: NslookupResult) => void,
): void {
  const conf = env.resolvConf === undefined ? DEFAULT_RESOLV_CONF : parseResolvConf(env.resolvConf);
  const bind = bindResolvOptions(env.resolvConf);
  // setup_system: ndots, timeout and tries from resolv.conf unless the command line set them
  const tries = Math.max(1, s.tries >= 0 ? s.tries : bind.attempts === 0 ? 3 : bind.attempts);
  const settings: DighostSettings = {
    servers: server !== undefined ? [server] : conf.nameservers.map((a) => ({ addr: a, text: formatIpv4(a) })),
    port: s.port,
    search: s.domain !== undefined ? [s.domain] : conf.search,
    ndots: s.ndots >= 0 ? s.ndots : conf.ndots,
    usesearch: s.usesearch,
    recurse: s.recurse,
    timeout: s.timeout > 0 ? s.timeout : bind.timeout,
    // an explicit server: check_ra is off, so no "recursion not available" notes
    checkRa: server === undefined,
    servfailStops: s.servfailStops,
    comments: true,
    // query IDs: the stream `node:<name>/nslookup`, shared by every nslookup run on that node
    rngName: `node:${env.udp.node.name}/nslookup`,
    progname: 'nslookup',
  };
  let queryError = 1;
  let printError = 0;
  let aNoAnswer = false;
  const print: DighostPrint = (l, qname, srv, m, queue) => {
    queryError = 0;
    if (!s.defaultLookups || l.rdtype === DNS_TYPE_A)
      out.push(`Server:\t\t${srv.text}\nAddress:\t${formatIpv4(srv.addr)}#${s.port}\n\n`);
    if (m.rcode !== 0) {
      out.push(`** server can't find ${formatName(canonicalName(qname))}: ${rcodeText(m.rcode)}\n`);
      printError = 1;
      return;
    }
    // the AAAA lookup of the name the answer's CNAMEs lead to, asked as it is
    if (s.defaultLookups && l.rdtype === DNS_TYPE_A)
      queue({
        ...newLookup(formatName(chaseCnames(m, qname)), DNS_TYPE_AAAA, tries, l.tcp, false),
        doneAsIs: l.doneAsIs,
        needSearch: l.needSearch,
      });
    if (!m.aa && (!s.defaultLookups || l.rdtype === DNS_TYPE_A)) out.push('Non-authoritative answer:\n');
    if (m.answers.length > 0) printSection(m.answers, true, out);
    else if (s.defaultLookups && l.rdtype === DNS_TYPE_A) aNoAnswer = true;
    else if (!s.defaultLookups || (l.rdtype === DNS_TYPE_AAAA && aNoAnswer))
      out.push(`*** Can't find ${l.textname}: No answer\n`);
    if (!m.aa && l.rdtype !== DNS_TYPE_A && l.rdtype !== DNS_TYPE_AAAA) {
      out.push('\nAuthoritative answers can be found from:\n');
      printSection(m.authorities, false, out);
      printSection(m.additionals, false, out);
    }
  };
  // ANY goes over TCP unless -vc or -novc was given (addlookup)
  const tcp = first.rdtype === 255 && !s.tcpSet ? true : s.tcp;
  runLookups(env, settings, newLookup(first.text, first.rdtype, tries, tcp), out, print, (fatal) => {
    if (fatal === true) {
      done({ stdout: out.join(''), exitCode: 1 });
      return;
    }
    out.push('\n');
    done({ stdout: out.join(''), exitCode: queryError | printError });
  });
}

/** nslookup.c printsection: A and AAAA as Name/Address in the answer section, SOA in seven lines. */
function printSection(records: readonly DnsRecord[], answer: boolean, out: string[]): void {
  for (const r of records) {
    const name = formatName(r.name);
    const d = r.data;
    if (answer && (d.type === 'A' || d.type === 'AAAA')) out.push(`Name:\t${name}\nAddress: ${rdataText(d)}\n`);
    else if (d.type === 'SOA') {
      out.push(
        `${name}\n\torigin = ${formatName(d.mname)}\n\tmail addr = ${formatName(d.rname)}\n\tserial = ${d.serial}\n` +
          `\trefresh = ${d.refresh}\n\tretry = ${d.retry}\n\texpire = ${d.expire}\n\tminimum = ${d.minimum}\n`,
      );
    } else {
      const code = rdataTypeCode(d);
      out.push(`${name}\t${RTYPE_TEXT[code] ?? `rdata_${code} = `}${rdataText(d)}\n`);
    }
  }
}
