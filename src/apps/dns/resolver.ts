/**
 * A stub resolver that behaves as glibc 2.36's (resolv/res_query.c, res_send.c) given a resolv.conf:
 * - search (res_search): a name with a trailing dot is asked as it is and only so; one with at least
 *   `ndots` dots is asked as it is first; then, if it has no trailing dot, each search domain in turn,
 *   going on after NXDOMAIN, NODATA or SERVFAIL and stopping on anything else; last, the bare name if it
 *   was not asked yet. This is why a pod with ndots:5 asks `example.com.default.svc.cluster.local.` first.
 * - sending (res_send): `attempts` rounds over the nameservers in order (rotated with `rotate`); each
 *   wait is glibc's `(timeout << ns) / nscount` seconds for the ns-th server (plain `timeout` for the
 *   first); SERVFAIL, NOTIMP and REFUSED move on to the next server; a truncated UDP answer is asked again
 *   over a stream (TCP) to the same server when a connector is given; an ICMP port unreachable moves on
 *   at once.
 * - outcome (res_query's h_errno): NOERROR with answers is success, NOERROR without is NO_DATA, NXDOMAIN
 *   is HOST_NOT_FOUND, SERVFAIL or silence is TRY_AGAIN, anything else NO_RECOVERY.
 * - getaddrinfo's lookups (T_QUERY_A_AND_AAAA, what nss_dns asks for AF_UNSPEC): each name is asked for A
 *   and AAAA at once, both from one socket (sendmmsg, A first), and res_query judges the two answers
 *   together: success when either has answers, else the first answer's RCODE (the second's when the first
 *   is NOERROR) gives h_errno. An answer with SERVFAIL, NOTIMP or REFUSED, or a lame one (NOERROR, no
 *   records, neither AA nor RA), counts as none; none at all moves on to the next server. A timeout with
 *   one answer in switches the resolver to `single-request` (the AAAA query only after the A answer) and
 *   asks the same server again, then to `single-request-reopen` (a new socket), as send_dg does. Checked
 *   against curl, ping, wget and nc in a namespace: every one asks A and AAAA from one port for each name
 *   it tries, even with IPv6 off.
 * Queries carry RD, no EDNS unless `options edns0` (then 1200 bytes, as glibc), AD only with trust-ad.
 * Not modelled: caching; over TCP (after a truncated A or AAAA answer, or with use-vc) glibc asks both
 * over one connection, podnet asks each over its own.
 */
import type { Ipv4 } from '../../wire/addr.js';
import {
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
  DNS_CLASS_IN,
  DNS_RCODE_NOERROR,
  DNS_RCODE_NOTIMP,
  DNS_RCODE_NXDOMAIN,
  DNS_RCODE_REFUSED,
  DNS_RCODE_SERVFAIL,
  DNS_TYPE_A,
  DNS_TYPE_AAAA,
  buildDns,
  checkName,
  emptyDnsMessage,
  nameKey,
} from '../../wire/dns.js';
import { SECOND } from '../../sim/engine.js';
import type { Prng } from '../../sim/prng.js';
import type { UdpStack } from '../../transport/udp.js';
import {
  type ExchangeOutcome,
  type ExchangeRequest,
  type UdpExchangeSocket,
  answersQuery,
  exchangeStream,
  exchangeUdp,
  openUdpExchange,
} from './exchange.js';
import { type ResolvConf, parseResolvConf } from './resolv-conf.js';
import type { StreamConnector } from './stream.js';

/** glibc's resolv.h T_QUERY_A_AND_AAAA: `resolve`'s type for getaddrinfo's parallel A and AAAA lookup. */
export const T_QUERY_A_AND_AAAA = 439963904;

/** glibc's h_errno values for a failed lookup (netdb.h). */
export type HErrno = 'HOST_NOT_FOUND' | 'NO_DATA' | 'TRY_AGAIN' | 'NO_RECOVERY';

/** One exchange with one nameserver. */
export interface ResolveAttempt {
  readonly name: string;
  readonly type: number;
  readonly server: Ipv4;
  readonly transport: 'udp' | 'tcp';
  /** Simulated time the query left. */
  readonly sentAt: number;
  /** ns waited before giving up on it (the answer's RTT when answered). */
  readonly waited: number;
  readonly outcome: ExchangeOutcome['kind'];
  /** 12-bit RCODE of the answer. */
  readonly rcode?: number;
  readonly truncated?: boolean;
}

/** What a lookup found. */
export interface ResolveResult {
  /** The name as asked. */
  readonly query: string;
  readonly type: number;
  /** Undefined on success. */
  readonly herrno?: HErrno;
  /** The absolute name whose answer was used (on success). */
  readonly name?: string;
  /** The answer used (on success), or the last one received. */
  readonly response?: DnsMessage;
  /** Answer-section records of the successful response. */
  readonly answers: readonly DnsRecord[];
  /** IPv4 addresses among them, for the name or its CNAME chain. */
  readonly addresses: readonly Ipv4[];
  /** Absolute names tried, in order. */
  readonly names: readonly string[];
  /** Every exchange, in order. */
  readonly attempts: readonly ResolveAttempt[];
  /** ns from the call to the result. */
  readonly elapsed: number;
}

/** How one name's res_send ended. */
type SendResult =
  | { readonly ok: true; readonly message: DnsMessage }
  /** `last`: the last answer (SERVFAIL/NOTIMP/REFUSED); `refused`: every exchange was refused or unsendable. */
  | { readonly ok: false; readonly last?: DnsMessage; readonly refused: boolean };

/** How one name's res_send for A and AAAA ended: the usable answers, in the order they arrived. */
type PairResult =
  | { readonly ok: true; readonly answers: readonly DnsMessage[] }
  /** `servfail`: the last answer to arrive first was a SERVFAIL (res_search reads it from its buffer). */
  | { readonly ok: false; readonly refused: boolean; readonly servfail: boolean };

/** The stub resolver of one node. */
export class StubResolver {
  readonly conf: ResolvConf;
  private rotateOffset: number | undefined;
  /** RES_SNGLKUP and RES_SNGLKUPREOP, which send_dg sets for good after an A/AAAA pair half answered. */
  private singleRequest = false;
  private singleRequestReopen = false;
  /** Query IDs and the rotate start: the stream `node:<name>/resolver`. */
  private readonly rng: Prng;

  /** `conf` is resolv.conf text or parsed settings; `connect` opens TCP streams for truncated answers and use-vc. */
  constructor(
    readonly udp: UdpStack,
    conf: ResolvConf | string,
    readonly connect?: StreamConnector,
  ) {
    this.conf = typeof conf === 'string' ? parseResolvConf(conf) : conf;
    this.rng = udp.node.engine.stream(`node:${udp.node.name}/resolver`);
  }

  /** Looks `name` up as res_search does; `done` is called once. Throws on text that is not a name (a caller bug). */
  resolve(name: string, type: number, done: (r: ResolveResult) => void): void {
    const bad = checkName(name);
    if (bad !== undefined) throw new RangeError(`resolver: ${bad}`);
    const engine = this.udp.node.engine;
    const start = engine.now;
    const names: string[] = [];
    const attempts: ResolveAttempt[] = [];
    const trailingDot = name.endsWith('.') && !name.endsWith('\\.');
    const bare = trailingDot ? name.slice(0, -1) : name;
    const dots = countDots(bare);
    let last: DnsMessage | undefined;
    const finish = (herrno: HErrno | undefined, fqdn?: string, response?: DnsMessage): void => {
      const answers = herrno === undefined && response !== undefined ? response.answers : [];
      done({
        query: name,
        type,
        ...(herrno === undefined ? {} : { herrno }),
        ...(fqdn === undefined ? {} : { name: fqdn }),
        ...((response ?? last) ? { response: (response ?? last)! } : {}),
        answers,
        addresses: fqdn === undefined ? [] : addressesOf(fqdn, answers),
        names,
        attempts,
        elapsed: engine.now - start,
      });
    };
    // the empty name: nothing is asked (glibc's lookups of "" fail without a query, as seen in a namespace)
    if (name === '') {
      finish('HOST_NOT_FOUND');
      return;
    }
    // one res_querydomain: ask, then classify as res_query does
    const ask = (
      fqdn: string,
      cb: (herrno: HErrno | undefined, servfail: boolean, refused: boolean, m?: DnsMessage) => void,
    ): void => {
      // res_nmkquery fails on a name that cannot be encoded (a search domain makes it too long, or the
      // empty name gets an empty first label): NO_RECOVERY, and nothing is sent
      if (checkName(fqdn) !== undefined) {
        cb('NO_RECOVERY', false, false);
        return;
      }
      names.push(fqdn);
      if (type === T_QUERY_A_AND_AAAA) {
        this.sendPair(fqdn, attempts, (r) => {
          if (!r.ok) {
            // __res_context_send failed: TRY_AGAIN
            cb('TRY_AGAIN', r.servfail, r.refused);
            return;
          }
          const [first, second = first] = r.answers as [DnsMessage, DnsMessage?];
          last = first;
          const usable = (m: DnsMessage): boolean => m.rcode === DNS_RCODE_NOERROR && m.answers.length > 0;
          if (usable(first) || usable(second)) {
            cb(undefined, false, false, r.answers.find((m) => m.questions[0]?.type === DNS_TYPE_A) ?? first);
            return;
          }
          const rc = first.rcode === DNS_RCODE_NOERROR ? second.rcode : first.rcode;
          if (rc === DNS_RCODE_NXDOMAIN) cb('HOST_NOT_FOUND', false, false);
          else if (rc === DNS_RCODE_SERVFAIL) cb('TRY_AGAIN', first.rcode === DNS_RCODE_SERVFAIL, false);
          else if (rc === DNS_RCODE_NOERROR) cb('NO_DATA', false, false);
          else cb('NO_RECOVERY', false, false);
        });
        return;
      }
      this.send(fqdn, type, attempts, (r) => {
        if (!r.ok) {
          if (r.last !== undefined) last = r.last;
          const rc = r.last?.rcode;
          cb(
            rc === undefined || rc === DNS_RCODE_SERVFAIL ? 'TRY_AGAIN' : 'NO_RECOVERY',
            rc === DNS_RCODE_SERVFAIL,
            r.refused,
          );
          return;
        }
        const m = r.message;
        last = m;
        if (m.rcode === DNS_RCODE_NOERROR && m.answers.length > 0) cb(undefined, false, false, m);
        else if (m.rcode === DNS_RCODE_NOERROR) cb('NO_DATA', false, false);
        else if (m.rcode === DNS_RCODE_NXDOMAIN) cb('HOST_NOT_FOUND', false, false);
        else if (m.rcode === DNS_RCODE_SERVFAIL) cb('TRY_AGAIN', true, false);
        else cb('NO_RECOVERY', false, false);
      });
    };
    let savedHerrno: HErrno | undefined;
    let triedAsIs = false;
    let gotNodata = false;
    let gotServfail = false;
    let rootOnList = false;
    const absolute = (domain: string | undefined): string =>
      domain === undefined || domain === '' ? `${bare}.` : `${bare}.${domain}.`;
    const afterSearch = (lastHerrno: HErrno): void => {
      // res_query.c: "If the query has not already been tried as is then try it" (RES_NOTLDQUERY is off)
      if (!(triedAsIs || rootOnList)) {
        const fqdn = absolute(undefined);
        ask(fqdn, (h, _s, _r, m) => {
          if (h === undefined) finish(undefined, fqdn, m);
          else giveUp(h);
        });
        return;
      }
      giveUp(lastHerrno);
    };
    const giveUp = (lastHerrno: HErrno): void => {
      finish(savedHerrno ?? (gotNodata ? 'NO_DATA' : gotServfail ? 'TRY_AGAIN' : lastHerrno));
    };
    const search = (i: number, lastHerrno: HErrno): void => {
      const domains = this.conf.search;
      if (i >= domains.length) {
        afterSearch(lastHerrno);
        return;
      }
      const domain = domains[i]!;
      if (domain === '') rootOnList = true;
      const fqdn = absolute(domain);
      ask(fqdn, (h, servfail, refused, m) => {
        if (h === undefined) {
          finish(undefined, fqdn, m);
          return;
        }
        // "If no server present, give up."
        if (refused) {
          finish('TRY_AGAIN');
          return;
        }
        if (h === 'NO_DATA') gotNodata = true;
        if (h === 'NO_DATA' || h === 'HOST_NOT_FOUND') search(i + 1, h);
        else if (h === 'TRY_AGAIN' && servfail) {
          gotServfail = true;
          search(i + 1, h);
        } else afterSearch(h);
      });
    };
    if (dots >= this.conf.ndots || trailingDot) {
      const fqdn = absolute(undefined);
      ask(fqdn, (h, _s, _r, m) => {
        if (h === undefined || trailingDot) {
          finish(h, h === undefined ? fqdn : undefined, m);
          return;
        }
        savedHerrno = h;
        triedAsIs = true;
        search(0, h);
      });
      return;
    }
    search(0, 'HOST_NOT_FOUND');
  }

  /**
   * res_send for one absolute name's A and AAAA queries (send_dg with two buffers): rounds over the
   * nameservers until an answer; see the header for what counts and for the single-request fallbacks.
   */
  private sendPair(fqdn: string, log: ResolveAttempt[], done: (r: PairResult) => void): void {
    const engine = this.udp.node.engine;
    const c = this.conf;
    const ns = c.nameservers;
    const questions: DnsQuestion[] = [DNS_TYPE_A, DNS_TYPE_AAAA].map((type) => ({
      name: fqdn,
      type,
      class: DNS_CLASS_IN,
    }));
    const ids = questions.map(() => this.rng.nextU32() & 0xffff);
    const bytes = questions.map((q, k) =>
      buildDns({
        ...emptyDnsMessage({ id: ids[k]!, rd: true, ad: c.trustAd }),
        questions: [q],
        ...(c.edns0
          ? { edns: { udpSize: 1200, extendedRcode: 0, version: 0, dnssecOk: false, z: 0, options: [] } }
          : {}),
      }),
    );
    if (c.rotate && this.rotateOffset === undefined) this.rotateOffset = this.rng.int(ns.length);
    const offset = c.rotate ? this.rotateOffset! % ns.length : 0;
    if (c.rotate) this.rotateOffset = this.rotateOffset! + 1;
    let refusedOnly = true;
    let servfail = false;
    const record = (k: number, server: Ipv4, sentAt: number, kind: ExchangeOutcome['kind'], m?: DnsMessage): void => {
      log.push({
        name: fqdn,
        type: questions[k]!.type,
        server,
        transport: 'udp',
        sentAt,
        waited: engine.now - sentAt,
        outcome: kind,
        ...(m !== undefined ? { rcode: m.rcode | ((m.edns?.extendedRcode ?? 0) << 4), truncated: m.tc } : {}),
      });
      if (kind !== 'refused' && kind !== 'unreachable') refusedOnly = false;
    };
    const step = (round: number, shift: number): void => {
      if (shift >= ns.length) {
        step(round + 1, 0);
        return;
      }
      if (round >= c.attempts) {
        done({ ok: false, refused: refusedOnly, servfail });
        return;
      }
      const server = ns[(shift + offset) % ns.length]!;
      const i = (shift + offset) % ns.length;
      // send_dg: seconds = retrans << ns; if (ns > 0) seconds /= nscount; at least 1
      const seconds = Math.max(1, Math.floor((c.timeout * 2 ** i) / (i > 0 ? ns.length : 1)));
      const next = (): void => step(round, shift + 1);
      if (c.useVc && this.connect !== undefined) {
        // res_send: "Use VC; at most one attempt per server"
        this.pairOverStreams(fqdn, server, questions, ids, bytes, log, done, () =>
          shift + 1 < ns.length ? next() : done({ ok: false, refused: refusedOnly, servfail }),
        );
        return;
      }
      let sock: UdpExchangeSocket | undefined;
      let timer: { cancel(): void } | undefined;
      let over = false;
      // the socket outlives a retry in single-request mode; each try sets what its answers reach
      let onMessage: (m: DnsMessage) => void = () => undefined;
      let onRefused: () => void = () => undefined;
      const end = (then: () => void): void => {
        over = true;
        timer?.cancel();
        sock?.close();
        then();
      };
      // one try at this server: `retry` after a half-answered pair, in single-request mode
      const attempt = (): void => {
        const sentAt = [engine.now, engine.now];
        const received = [false, false];
        // the answers in arrival order: undefined for one that counted as none
        const got: (DnsMessage | undefined)[] = [];
        onRefused = () => {
          if (over) return;
          for (let k = 0; k < 2; k++) if (!received[k]) record(k, server, sentAt[k]!, 'refused');
          end(next);
        };
        sock ??= openUdpExchange(
          this.udp,
          server,
          53,
          (m) => onMessage(m),
          () => onRefused(),
        );
        const sendQuery = (k: number): boolean => {
          sentAt[k] = engine.now;
          if (sock!.send(bytes[k]!)) return true;
          record(k, server, sentAt[k], 'unreachable');
          end(next);
          return false;
        };
        const usable = (): DnsMessage[] => got.filter((m): m is DnsMessage => m !== undefined);
        onMessage = (m: DnsMessage): void => {
          if (over) return;
          const k = [0, 1].find((j) => !received[j] && m.id === ids[j] && answersQuery(m, ids[j], [questions[j]!]));
          if (k === undefined) return;
          received[k] = true;
          record(k, server, sentAt[k]!, 'answer', m);
          if (got.length === 0) servfail = m.rcode === DNS_RCODE_SERVFAIL;
          if (isUnusable(m)) {
            // next_ns: with the other answer in, that one is all there is; else wait for it
            if (got.length > 0) {
              const have = usable();
              end(() => (have.length > 0 ? done({ ok: true, answers: have }) : next()));
              return;
            }
            got.push(undefined);
            return;
          }
          if (m.tc && this.connect !== undefined) {
            end(() => this.pairOverStreams(fqdn, server, questions, ids, bytes, log, done, next));
            return;
          }
          got.push(m);
          if (received[0] && received[1]) {
            end(() => done({ ok: true, answers: usable() }));
            return;
          }
          if (single && k === 0) sendQuery(1);
        };
        const single = this.singleRequest;
        timer = engine.timer(seconds * SECOND, () => {
          if (over) return;
          for (let k = 0; k < 2; k++) if (!received[k]) record(k, server, sentAt[k]!, 'timeout');
          const have = usable();
          if (got[0] !== undefined && have.length > 0) {
            // a half-answered pair: some servers and firewalls drop the second of two queries in flight
            timer = undefined;
            if (!this.singleRequest) {
              this.singleRequest = true;
              attempt();
              return;
            }
            if (!this.singleRequestReopen) {
              this.singleRequestReopen = true;
              sock?.close();
              sock = undefined;
              attempt();
              return;
            }
            end(() => done({ ok: true, answers: have }));
            return;
          }
          end(next);
        });
        if (!sendQuery(0)) return;
        if (!single) sendQuery(1);
      };
      attempt();
    };
    step(0, 0);
  }

  /** After a truncated answer: A and AAAA asked again over TCP to the same server (a stream each). */
  private pairOverStreams(
    fqdn: string,
    server: Ipv4,
    questions: readonly DnsQuestion[],
    ids: readonly number[],
    bytes: readonly Uint8Array[],
    log: ResolveAttempt[],
    done: (r: PairResult) => void,
    next: () => void,
  ): void {
    const engine = this.udp.node.engine;
    const answers: DnsMessage[] = [];
    const one = (k: number): void => {
      if (k === 2) {
        if (answers.length > 0) done({ ok: true, answers });
        else next();
        return;
      }
      const t0 = engine.now;
      const x: ExchangeRequest = {
        server,
        port: 53,
        bytes: bytes[k]!,
        id: ids[k]!,
        questions: [questions[k]!],
        timeout: Math.max(1, this.conf.timeout) * SECOND,
      };
      exchangeStream(this.connect!, this.udp, x, (o) => {
        log.push({
          name: fqdn,
          type: questions[k]!.type,
          server,
          transport: 'tcp',
          sentAt: t0,
          waited: engine.now - t0,
          outcome: o.kind,
          ...(o.kind === 'answer' ? { rcode: o.message.rcode, truncated: o.message.tc } : {}),
        });
        if (o.kind === 'answer' && !isUnusable(o.message)) answers.push(o.message);
        one(k + 1);
      });
    };
    one(0);
  }

  /** res_send for one absolute name: rounds over the nameservers until an answer. */
  private send(fqdn: string, type: number, log: ResolveAttempt[], done: (r: SendResult) => void): void {
    const engine = this.udp.node.engine;
    const c = this.conf;
    const ns = c.nameservers;
    const id = this.rng.nextU32() & 0xffff;
    const question: DnsQuestion = { name: fqdn, type, class: DNS_CLASS_IN };
    const query: DnsMessage = {
      ...emptyDnsMessage({ id, rd: true, ad: c.trustAd }),
      questions: [question],
      ...(c.edns0 ? { edns: { udpSize: 1200, extendedRcode: 0, version: 0, dnssecOk: false, z: 0, options: [] } } : {}),
    };
    const bytes = buildDns(query);
    if (c.rotate && this.rotateOffset === undefined) this.rotateOffset = this.rng.int(ns.length);
    const offset = c.rotate ? this.rotateOffset! % ns.length : 0;
    if (c.rotate) this.rotateOffset = this.rotateOffset! + 1;
    let last: DnsMessage | undefined;
    let refusedOnly = true;
    const record = (server: Ipv4, transport: 'udp' | 'tcp', sentAt: number, o: ExchangeOutcome): void => {
      log.push({
        name: fqdn,
        type,
        server,
        transport,
        sentAt,
        waited: engine.now - sentAt,
        outcome: o.kind,
        ...(o.kind === 'answer'
          ? { rcode: o.message.rcode | ((o.message.edns?.extendedRcode ?? 0) << 4), truncated: o.message.tc }
          : {}),
      });
      if (o.kind !== 'refused' && o.kind !== 'unreachable') refusedOnly = false;
    };
    const step = (round: number, shift: number): void => {
      if (shift >= ns.length) {
        step(round + 1, 0);
        return;
      }
      if (round >= c.attempts) {
        done({ ok: false, refused: refusedOnly, ...(last === undefined ? {} : { last }) });
        return;
      }
      const i = (shift + offset) % ns.length;
      const server = ns[i]!;
      // send_dg: seconds = retrans << ns; if (ns > 0) seconds /= nscount; at least 1
      const seconds = Math.max(1, Math.floor((c.timeout * 2 ** i) / (i > 0 ? ns.length : 1)));
      const x: ExchangeRequest = { server, port: 53, bytes, id, questions: [question], timeout: seconds * SECOND };
      const sentAt = engine.now;
      const viaStream = (next: () => void): void => {
        const t0 = engine.now;
        exchangeStream(this.connect!, this.udp, x, (o) => {
          record(server, 'tcp', t0, o);
          if (o.kind === 'answer' && !isRetryRcode(o.message.rcode)) done({ ok: true, message: o.message });
          else {
            if (o.kind === 'answer') last = o.message;
            next();
          }
        });
      };
      if (c.useVc && this.connect !== undefined) {
        // res_send: "Use VC; at most one attempt per server"
        viaStream(() =>
          shift + 1 < ns.length
            ? step(round, shift + 1)
            : done({ ok: false, refused: refusedOnly, ...(last === undefined ? {} : { last }) }),
        );
        return;
      }
      exchangeUdp(this.udp, x, (o) => {
        record(server, 'udp', sentAt, o);
        if (o.kind !== 'answer') {
          step(round, shift + 1);
          return;
        }
        if (isRetryRcode(o.message.rcode)) {
          last = o.message;
          step(round, shift + 1);
          return;
        }
        if (o.message.tc && this.connect !== undefined) {
          viaStream(() => step(round, shift + 1));
          return;
        }
        done({ ok: true, message: o.message });
      });
    };
    step(0, 0);
  }
}

/** send_dg: an answer that counts as none in an A/AAAA pair (a retry RCODE, or lame: no records, no AA, no RA). */
function isUnusable(m: DnsMessage): boolean {
  return (
    isRetryRcode(m.rcode) ||
    (m.rcode === DNS_RCODE_NOERROR &&
      m.answers.length === 0 &&
      !m.aa &&
      !m.ra &&
      m.additionals.length === 0 &&
      m.edns === undefined)
  );
}

/** send_dg: these answers make glibc try the next server. */
function isRetryRcode(rcode: number): boolean {
  return rcode === DNS_RCODE_SERVFAIL || rcode === DNS_RCODE_NOTIMP || rcode === DNS_RCODE_REFUSED;
}

function countDots(name: string): number {
  let n = 0;
  for (let i = 0; i < name.length; i++) {
    if (name[i] === '\\') i++;
    else if (name[i] === '.') n++;
  }
  return n;
}

/** A records for `name` or along its CNAME chain in `answers`. */
function addressesOf(name: string, answers: readonly DnsRecord[]): Ipv4[] {
  const chain = new Set([nameKey(name)]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of answers) {
      if (r.data.type === 'CNAME' && chain.has(nameKey(r.name)) && !chain.has(nameKey(r.data.target))) {
        chain.add(nameKey(r.data.target));
        grew = true;
      }
    }
  }
  const out: Ipv4[] = [];
  for (const r of answers) if (r.data.type === 'A' && chain.has(nameKey(r.name))) out.push(r.data.address);
  return out;
}
