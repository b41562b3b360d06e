/**
 * A DNS server on a node: reads queries from UDP port 53 and from byte streams (TCP, once a transport is
 * plugged into `serveStream`), rejects what plugins must never see, runs the plugin chain (plugins.ts),
 * and writes the answer back within the size the transport allows.
 *
 * Before the chain, as BIND and CoreDNS (miekg/dns's DefaultMsgAcceptFunc) do:
 * - fewer than 12 bytes, or a message with QR set: dropped (there is nothing to answer, or it is an answer);
 * - any other parse failure, or a QUERY without exactly one question: FORMERR, echoing ID, opcode, RD
 *   and the question when it can be read (RFC 1035 4.1.1);
 * - an opcode other than QUERY: NOTIMP;
 * - EDNS version above 0: BADVERS with our version (RFC 6891 6.1.3).
 * After it: the response echoes ID, RD, CD and the question; with EDNS in the query, an OPT with our UDP
 * size, the DO bit copied (RFC 3225) and the client's COOKIE echoed as CoreDNS does; over UDP it is cut to
 * 512 bytes, or the client's EDNS size up to ours, with TC set if answer or authority records were left
 * out (RFC 1035 4.2.1, RFC 6891 6.2.5, RFC 2181 9).
 */
import { formatIpv4, type Ipv4 } from '../../wire/addr.js';
import {
  type DnsMessage,
  type Edns,
  DnsWriter,
  DNS_OPCODE_QUERY,
  DNS_RCODE_BADVERS,
  DNS_RCODE_FORMERR,
  DNS_RCODE_NOTIMP,
  DNS_TCP_MAX,
  DNS_UDP_MAX,
  EDNS_OPTION_COOKIE,
  dnsRcodeName,
  dnsTypeName,
  encodeDns,
  fullRcode,
  parseDns,
  peekDnsHeader,
  peekDnsQuestion,
} from '../../wire/dns.js';
import type { UdpStack } from '../../transport/udp.js';
import type { CacheStats } from './cache.js';
import type { ForwardStats } from './forward.js';
import { type DnsHandler, replyTo } from './plugin.js';
import { type PluginSetup, buildChain } from './plugins.js';
import { type ByteStream, frameDnsMessage, readDnsMessages } from './stream.js';

/** Server settings; the plugin setup says what it answers. */
export interface DnsServerConfig extends PluginSetup {
  /** UDP port (default 53). */
  readonly port?: number;
  /** Largest UDP answer, advertised in our OPT (default 1232, the DNS Flag Day 2020 value CoreDNS uses). */
  readonly maxUdpSize?: number;
  /** Keep a record of every query in `log` (default false: benchmarks answer millions). */
  readonly keepLog?: boolean;
  /**
   * Answer as a recursive resolver does (RA set, AA clear), whatever the plugins say: the internet stand-in
   * is the upstream resolver of the nodes' resolv.conf, and a resolver's answers are not authoritative
   * (8.8.8.8 answers `qr rd ra`). Default false: a CoreDNS-like server's flags are its plugins'.
   */
  readonly recursive?: boolean;
}

/** Where a message came from. */
export interface DnsPeer {
  readonly src: Ipv4;
  readonly srcPort: number;
}

/** What happened to one incoming message. */
export interface DnsServerEvent {
  readonly time: number;
  readonly src: Ipv4;
  readonly srcPort: number;
  readonly transport: 'udp' | 'tcp';
  /** The question, when one could be read. */
  readonly name?: string;
  readonly type?: number;
  readonly outcome: 'answered' | 'dropped';
  /** 12-bit RCODE of the answer. */
  readonly rcode?: number;
  /** Bytes of the answer as sent. */
  readonly size?: number;
  readonly truncated?: boolean;
  /** Why it was dropped, or the parse error behind a FORMERR. */
  readonly detail?: string;
}

/** Counters of a server. */
export interface DnsServerStats {
  received: number;
  answered: number;
  dropped: number;
  formerr: number;
  notimp: number;
  badvers: number;
  truncated: number;
  /** Answers by 12-bit RCODE. */
  rcodes: Record<number, number>;
  forward: ForwardStats;
  cache: CacheStats;
}

/** The DNS server of one node. */
export class DnsServer {
  readonly port: number;
  readonly stats: DnsServerStats = {
    received: 0,
    answered: 0,
    dropped: 0,
    formerr: 0,
    notimp: 0,
    badvers: 0,
    truncated: 0,
    rcodes: {},
    forward: { forwarded: 0, timeouts: 0, failures: 0 },
    cache: { hits: 0, misses: 0 },
  };
  readonly log: DnsServerEvent[] = [];
  private readonly chain: DnsHandler;
  private readonly maxUdp: number;
  /** Reused for every answer (encodeDns returns a view; send gets a copy). */
  private readonly writer = new DnsWriter(1024);

  /** Builds the chain and binds the UDP port (throws if taken). */
  constructor(
    readonly udp: UdpStack,
    readonly config: DnsServerConfig,
  ) {
    this.port = config.port ?? 53;
    this.maxUdp = Math.max(DNS_UDP_MAX, config.maxUdpSize ?? 1232);
    this.chain = buildChain(config, udp, this.stats.forward, this.stats.cache);
    udp.bind(this.port, (d) => {
      const bytes = d.payload.slice();
      this.handle(bytes, { src: d.src, srcPort: d.srcPort }, 'udp', (out) => {
        udp.send(this.port, d.src, d.srcPort, out, { src: d.dst });
      });
    });
  }

  /** Stops listening on UDP. */
  close(): void {
    this.udp.unbind(this.port);
  }

  /**
   * Serves DNS on an accepted stream connection (TCP port 53: RFC 1035 4.2.2, RFC 7766): every framed
   * query gets a framed answer, in the order answers are ready. A message with no header closes the stream.
   * When the client closes its side (FIN), the server closes its own once the answers it owes are written,
   * as CoreDNS does (miekg/dns serveTCPConn: a read that fails with EOF ends the loop, then w.Close()), so
   * no connection is left in CLOSE-WAIT.
   */
  serveStream(stream: ByteStream, peer: DnsPeer): void {
    let open = true;
    let peerDone = false;
    let owed = 0;
    const closeIfDone = (): void => {
      if (open && peerDone && owed === 0) {
        open = false;
        stream.end();
      }
    };
    stream.onEnd(() => {
      peerDone = true;
      closeIfDone();
    });
    readDnsMessages(stream, (bytes) => {
      if (!open) return;
      owed++;
      this.handle(
        bytes,
        peer,
        'tcp',
        (out) => {
          owed--;
          if (open) stream.write(frameDnsMessage(out));
          closeIfDone();
        },
        () => {
          owed--;
          if (!open) return;
          open = false;
          stream.end();
        },
      );
    });
  }

  /**
   * Answers one message: `send` gets the answer's bytes (not framed), `drop` is told when there is no
   * answer (the default counts it). The core of both transports; exported for tests and adapters.
   */
  handle(
    bytes: Uint8Array,
    peer: DnsPeer,
    transport: 'udp' | 'tcp',
    send: (answer: Uint8Array) => void,
    drop?: () => void,
  ): void {
    this.stats.received++;
    const node = this.udp.node;
    const dropIt = (detail: string, name?: string, type?: number): void => {
      this.stats.dropped++;
      node.drop('malformed', undefined, undefined, `DNS from ${formatIpv4(peer.src)}:${peer.srcPort}: ${detail}`);
      this.record({ ...peer, transport, outcome: 'dropped', detail, ...(name === undefined ? {} : { name, type }) });
      drop?.();
    };
    const r = parseDns(bytes);
    if (!r.ok) {
      const h = peekDnsHeader(bytes);
      if (h === undefined || !r.error.formerr) {
        dropIt(`no header to answer: ${r.error.reason}`);
        return;
      }
      if (h.qr) {
        dropIt('a response, not a query');
        return;
      }
      const q = peekDnsQuestion(bytes);
      // RFC 1035 4.1.1: Format error - the name server was unable to interpret the query
      const formerr: DnsMessage = {
        ...replyTo(
          { ...h, questions: q === undefined ? [] : [q], answers: [], authorities: [], additionals: [] },
          { rcode: DNS_RCODE_FORMERR },
        ),
      };
      this.stats.formerr++;
      this.finish(
        formerr,
        undefined,
        peer,
        transport,
        send,
        `${r.error.field} at ${r.error.offset}: ${r.error.reason}`,
      );
      return;
    }
    const m = r.value;
    if (m.qr) {
      dropIt('a response, not a query', m.questions[0]?.name, m.questions[0]?.type);
      return;
    }
    if (m.opcode !== DNS_OPCODE_QUERY) {
      this.stats.notimp++;
      this.finish(replyTo(m, { rcode: DNS_RCODE_NOTIMP }), m.edns, peer, transport, send, `opcode ${m.opcode}`);
      return;
    }
    if (m.questions.length !== 1) {
      this.stats.formerr++;
      this.finish(
        replyTo(m, { rcode: DNS_RCODE_FORMERR }),
        m.edns,
        peer,
        transport,
        send,
        `${m.questions.length} questions`,
      );
      return;
    }
    if (m.edns !== undefined && m.edns.version > 0) {
      this.stats.badvers++;
      this.finish(
        replyTo(m, { rcode: DNS_RCODE_BADVERS }),
        m.edns,
        peer,
        transport,
        send,
        `EDNS version ${m.edns.version}`,
      );
      return;
    }
    const q = m.questions[0]!;
    node.note(
      () =>
        `DNS ${transport.toUpperCase()} query from ${formatIpv4(peer.src)}:${peer.srcPort}: ${q.name} ${dnsTypeName(q.type)} id ${m.id}`,
    );
    this.chain({ message: m, question: q, src: peer.src, srcPort: peer.srcPort, transport }, (resp) =>
      this.finish(resp, m.edns, peer, transport, send),
    );
  }

  /** Fixes the echoed fields and EDNS of `resp`, encodes it within the transport's size and sends it. */
  private finish(
    resp: DnsMessage,
    queryEdns: Edns | undefined,
    peer: DnsPeer,
    transport: 'udp' | 'tcp',
    send: (b: Uint8Array) => void,
    detail?: string,
  ): void {
    const rcode = fullRcode(resp);
    let edns: Edns | undefined;
    if (queryEdns !== undefined) {
      const cookie = queryEdns.options.find((o) => o.code === EDNS_OPTION_COOKIE && o.data.length >= 8);
      edns = {
        udpSize: this.maxUdp,
        extendedRcode: rcode >>> 4,
        version: 0,
        dnssecOk: queryEdns.dnssecOk,
        z: 0,
        options: cookie === undefined ? [] : [{ code: EDNS_OPTION_COOKIE, data: cookie.data.slice(0, 8) }],
      };
    }
    // the plugin's message with QR set, the RCODE split and our OPT in place of any other
    const base = {
      id: resp.id,
      qr: true,
      opcode: resp.opcode,
      aa: this.config.recursive === true ? false : resp.aa,
      tc: resp.tc,
      rd: resp.rd,
      ra: this.config.recursive === true ? true : resp.ra,
      z: resp.z,
      ad: resp.ad,
      cd: resp.cd,
      rcode: rcode & 0xf,
      questions: resp.questions,
      answers: resp.answers,
      authorities: resp.authorities,
      additionals: resp.additionals,
    };
    const out: DnsMessage = edns === undefined ? base : { ...base, edns };
    const limit =
      transport === 'tcp'
        ? DNS_TCP_MAX
        : queryEdns === undefined
          ? DNS_UDP_MAX
          : Math.min(this.maxUdp, Math.max(DNS_UDP_MAX, queryEdns.udpSize));
    const enc = encodeDns(out, limit, this.writer);
    if (enc.truncated) this.stats.truncated++;
    this.stats.answered++;
    this.stats.rcodes[rcode] = (this.stats.rcodes[rcode] ?? 0) + 1;
    const q = out.questions[0];
    this.udp.node.note(
      () =>
        `DNS answer to ${formatIpv4(peer.src)}:${peer.srcPort}: ${dnsRcodeName(rcode) ?? rcode}, ${out.answers.length} answers, ${enc.bytes.length} bytes${enc.truncated ? ', truncated (TC)' : ''}${detail === undefined ? '' : ` (${detail})`}`,
    );
    if (this.config.keepLog === true) {
      this.record({
        ...peer,
        transport,
        outcome: 'answered',
        rcode,
        size: enc.bytes.length,
        truncated: enc.truncated,
        ...(q === undefined ? {} : { name: q.name, type: q.type }),
        ...(detail === undefined ? {} : { detail }),
      });
    }
    send(enc.bytes.slice());
  }

  private record(e: Omit<DnsServerEvent, 'time'>): void {
    if (this.config.keepLog === true) this.log.push({ time: this.udp.node.engine.now, ...e });
  }
}
