/**
 * The lookup engine BIND 9.18's nslookup and host share (bin/dig/dighost.c): a queue of lookups run one
 * at a time, each over the servers in order. What it does, checked against the real tools in a namespace
 * (test/dns-tools-real.test.ts):
 * - the search list: a name with at least ndots dots is asked as it is and only so; one with fewer is
 *   tried with each search domain, then as it is (setup_lookup, next_origin); only NXDOMAIN moves on;
 * - a plain query (RD as set, no EDNS, no cookie), a new ID per lookup, the same ID on each retry;
 * - an answer without RA when the servers are resolv.conf's (`checkRa`), or a SERVFAIL unless
 *   `servfailStops`: `;; Got recursion not available from S` (a comment, printed only with `comments`),
 *   `..., trying next server` with the next server asked instead when there is one;
 * - a truncated UDP answer: `;; Truncated, retrying in TCP mode.`, then TCP to the same server;
 * - failures per attempt (`;; communications error to S#53: timed out` or `connection refused`), the
 *   attempts counted per lookup and carried to the next search domain, then the next server, then
 *   `;; no servers could be reached`; a connection that cannot be made (TCP, or UDP with no route) says
 *   `;; Connection to S#53(S) for NAME failed: ...` and `;; no servers could be reached` each time.
 * The tool prints each answer that ends a lookup (`print`), and may queue more lookups from there.
 */
import { formatIpv4, type Ipv4 } from '../../wire/addr.js';
import {
  type DnsMessage,
  DNS_CLASS_IN,
  DNS_RCODE_NXDOMAIN,
  DNS_RCODE_SERVFAIL,
  buildDns,
  canonicalName,
  dnsRcodeName,
  checkName,
  emptyDnsMessage,
  sameName,
} from '../../wire/dns.js';
import { SECOND } from '../../sim/engine.js';
import type { UdpStack } from '../../transport/udp.js';
import { iscNameError } from './dig.js';
import { type ExchangeOutcome, type ExchangeRequest, exchangeStream, exchangeUdp } from './exchange.js';
import type { StreamConnector } from './stream.js';

/** dighost.h UDP_TIMEOUT and TCP_TIMEOUT (seconds), used when no timeout is set. */
const UDP_TIMEOUT = 5;
const TCP_TIMEOUT = 10;

/** One lookup in dighost's queue. */
export interface DighostLookup {
  /** The name as given (or the reverse name, or the FQDN a follow-up lookup asks for). */
  readonly textname: string;
  readonly rdtype: number;
  /** Index into the search list, or null: the name as it is. */
  origin: number | null;
  doneAsIs: boolean;
  needSearch: boolean;
  /** Set for a lookup from the command line: its first query picks its origin. */
  newSearch: boolean;
  /** Attempts left (l->retries: one less per failed attempt, carried into the next origin). */
  retries: number;
  tcp: boolean;
}

/** A server: its address and the text it was named by (`Server:`, the RA comment). */
export interface DighostServer {
  readonly addr: Ipv4;
  readonly text: string;
}

/** What the engine runs with: the tool's settings after its options and resolv.conf. */
export interface DighostSettings {
  readonly servers: readonly DighostServer[];
  readonly port: number;
  readonly search: readonly string[];
  readonly ndots: number;
  readonly usesearch: boolean;
  readonly recurse: boolean;
  /** Seconds per attempt; 0: UDP_TIMEOUT or TCP_TIMEOUT. */
  readonly timeout: number;
  readonly checkRa: boolean;
  readonly servfailStops: boolean;
  /** lookup->comments: print the RA/SERVFAIL and truncation comments. */
  readonly comments: boolean;
  /** The query-ID stream's name (one per tool and node). */
  readonly rngName: string;
  /** The program's name, for its fatal errors. */
  readonly progname: string;
}

/** Prints the answer that ended `l` (asked as `qname`, from `srv`); `queue` adds a lookup after the others. */
export type DighostPrint = (
  l: DighostLookup,
  qname: string,
  srv: DighostServer,
  m: DnsMessage,
  queue: (l: DighostLookup) => void,
) => void;

/** A new lookup of `textname` for `rdtype`, from the command line (`newSearch`) or not. */
export function newLookup(
  textname: string,
  rdtype: number,
  retries: number,
  tcp: boolean,
  newSearch = true,
): DighostLookup {
  return { textname, rdtype, origin: null, doneAsIs: false, needSearch: false, newSearch, retries, tcp };
}

/**
 * Runs `first` and whatever `print` queues, writing the engine's own lines to `out`; then `done`, with
 * `fatal` when the tool stopped on an error (exit status 1, no more output).
 */
export function runLookups(
  env: { readonly udp: UdpStack; readonly connect?: StreamConnector },
  s: DighostSettings,
  first: DighostLookup,
  out: string[],
  print: DighostPrint,
  done: (fatal?: boolean) => void,
): void {
  const rng = env.udp.node.engine.stream(s.rngName);
  const queue: DighostLookup[] = [first];
  const comment = (text: string): void => {
    if (s.comments) out.push(`;; ${text}\n`);
  };
  const next = (): void => {
    const l = queue.shift();
    if (l === undefined) done();
    else start(l);
  };
  const qnameOf = (l: DighostLookup): string => {
    if (l.newSearch) {
      l.newSearch = false;
      const dots = l.textname.split('.').length - 1;
      if (dots >= s.ndots || !s.usesearch) {
        l.origin = null;
        l.doneAsIs = true;
        l.needSearch = s.usesearch;
      } else if (l.origin === null && s.usesearch) {
        l.origin = s.search.length > 0 ? 0 : null;
        l.needSearch = false;
      }
    }
    if (l.origin === null || l.textname.endsWith('.')) return l.textname;
    const d = s.search[l.origin]!;
    return d === '' ? l.textname : `${l.textname}.${d}`;
  };
  /** next_origin: requeues `l` with the next search domain (or as it is); false when none is left. */
  const nextOrigin = (l: DighostLookup): boolean => {
    if (!s.usesearch) return false;
    if (l.textname.endsWith('.') || l.textname.split('.').length > s.ndots) return false;
    if (l.origin === null && !l.needSearch) return false;
    let origin: number | null;
    if (l.origin === null) origin = s.search.length > 0 ? 0 : null;
    else {
      origin = l.origin + 1 < s.search.length ? l.origin + 1 : null;
      if (origin === null && l.doneAsIs) return false;
    }
    queue.unshift({ ...l, origin, needSearch: l.origin === null ? false : l.needSearch, newSearch: false });
    return true;
  };
  const start = (l: DighostLookup): void => {
    const qname = qnameOf(l);
    // setup_lookup: a search domain that is no name (nslookup -domain=, or resolv.conf) is fatal
    const bad = checkName(qname);
    if (bad !== undefined) {
      const origin = l.origin === null ? qname : s.search[l.origin]!;
      out.push(`${s.progname}: '${origin}' is not in legal name syntax (${iscNameError(bad)})\n`);
      done(true);
      return;
    }
    const id = rng.nextU32() & 0xffff;
    const query: DnsMessage = {
      ...emptyDnsMessage({ id, rd: s.recurse }),
      questions: [{ name: canonicalName(qname), type: l.rdtype, class: DNS_CLASS_IN }],
    };
    const bytes = buildDns(query);
    const request = (to: Ipv4, tcp: boolean): ExchangeRequest => ({
      server: to,
      port: s.port,
      bytes,
      id,
      questions: query.questions,
      timeout: (s.timeout > 0 ? s.timeout : tcp ? TCP_TIMEOUT : UDP_TIMEOUT) * SECOND,
    });
    const attempt = (si: number, tcp: boolean): void => {
      const srv = s.servers[si];
      if (srv === undefined) {
        out.push(';; no servers could be reached\n');
        next();
        return;
      }
      const where = `${formatIpv4(srv.addr)}#${s.port}`;
      const failed = (o: ExchangeOutcome): void => {
        // a connection that could not be made (TCP, or UDP with no route) says so, then gives up on the
        // server; a UDP query that timed out or was refused is a communications error
        if (tcp || o.kind === 'unreachable') {
          const why =
            o.kind === 'timeout'
              ? 'timed out'
              : o.kind === 'unreachable'
                ? 'network unreachable'
                : 'connection refused';
          const what = tcp ? 'Connection to' : 'UDP setup with';
          out.push(`;; ${what} ${where}(${formatIpv4(srv.addr)}) for ${l.textname} failed: ${why}.\n`);
          out.push(';; no servers could be reached\n');
          if (l.retries > 1) {
            l.retries--;
            attempt(si, tcp);
          } else if (si + 1 < s.servers.length) attempt(si + 1, tcp);
          else next();
          return;
        }
        out.push(`;; communications error to ${where}: ${o.kind === 'timeout' ? 'timed out' : 'connection refused'}\n`);
        if (l.retries > 1) {
          l.retries--;
          attempt(si, tcp);
        } else attempt(si + 1, tcp);
      };
      const answered = (m: DnsMessage): void => {
        if (!tcp && m.tc) {
          comment('Truncated, retrying in TCP mode.');
          attempt(si, true);
          return;
        }
        const servfail = m.rcode === DNS_RCODE_SERVFAIL && !s.servfailStops;
        if (servfail || (s.checkRa && !m.ra && s.recurse)) {
          const err = servfail ? 'SERVFAIL reply' : 'recursion not available';
          if (si + 1 < s.servers.length) {
            comment(`Got ${err} from ${srv.text}, trying next server`);
            attempt(si + 1, tcp);
            return;
          }
          comment(`Got ${err} from ${srv.text}`);
        }
        if (m.rcode === DNS_RCODE_NXDOMAIN && (l.origin !== null || l.needSearch) && nextOrigin(l)) {
          next();
          return;
        }
        print(l, qname, srv, m, (x) => queue.push(x));
        next();
      };
      const onOutcome = (o: ExchangeOutcome): void => {
        if (o.kind === 'answer') answered(o.message);
        else failed(o);
      };
      if (tcp) {
        if (env.connect === undefined) failed({ kind: 'refused' });
        else exchangeStream(env.connect, env.udp, request(srv.addr, true), onOutcome);
      } else exchangeUdp(env.udp, request(srv.addr, false), onOutcome);
    };
    attempt(0, l.tcp);
  };
  next();
}

/** BIND's irs_resconf: `options attempts:N` (default 3) and `timeout:N` (default 0), the last one given. */
export function bindResolvOptions(text: string | undefined): { attempts: number; timeout: number } {
  let attempts = 3;
  let timeout = 0;
  for (const line of (text ?? '').split('\n')) {
    const words = line.trim().split(/[ \t]+/);
    if (words[0] !== 'options') continue;
    for (const w of words.slice(1)) {
      const m = /^(attempts|timeout):([0-9]+)$/.exec(w);
      if (m === null || Number(m[2]) > 255) continue;
      if (m[1] === 'attempts') attempts = Number(m[2]);
      else timeout = Number(m[2]);
    }
  }
  return { attempts, timeout };
}

/** dns_name_format: a name's text without its final dot (the root stays `.`). */
export function formatName(name: string): string {
  return name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name;
}

/** chase_cnamechain: the name `qname`'s CNAMEs in `m`'s answer lead to (absolute). */
export function chaseCnames(m: DnsMessage, qname: string): string {
  let target = canonicalName(qname);
  for (let i = 0; i < m.answers.length; i++) {
    const c = m.answers.find((r) => r.data.type === 'CNAME' && sameName(r.name, target));
    if (c === undefined || c.data.type !== 'CNAME') break;
    target = c.data.target;
  }
  return target;
}

/** rcode_totext of nslookup.c and host.c: the RCODE's name, RESERVED11..15, BADVERS, else `?N`. */
export function rcodeText(rcode: number): string {
  if (rcode === 16) return 'BADVERS';
  if (rcode >= 11 && rcode <= 15) return `RESERVED${rcode}`;
  return rcode < 16 ? (dnsRcodeName(rcode) ?? `?${rcode}`) : `?${rcode}`;
}
