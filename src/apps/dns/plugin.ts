/**
 * The contract between the DNS server and its plugins, in CoreDNS's shape: a handler answers a request or
 * passes it to the next one, and a plugin wraps the next handler (`(next) => handler`). The order of
 * plugins is fixed in plugins.ts, never by configuration. Reading queries off the wire, FORMERR/NOTIMP,
 * EDNS and truncation are the server's (server.ts), so a plugin only ever sees a well-formed QUERY with
 * exactly one question.
 */
import type { Ipv4 } from '../../wire/addr.js';
import { type DnsMessage, type DnsQuestion, type DnsRecord, DNS_RCODE_NOERROR } from '../../wire/dns.js';

/** A query as plugins see it. */
export interface DnsRequest {
  /** The parsed query (one question, opcode QUERY). */
  readonly message: DnsMessage;
  /** `message.questions[0]`. */
  readonly question: DnsQuestion;
  /** Who asked. */
  readonly src: Ipv4;
  readonly srcPort: number;
  readonly transport: 'udp' | 'tcp';
}

/** Sends the response. Call it exactly once per request; the server fixes ID, flags it must echo, and EDNS. */
export type DnsResponder = (response: DnsMessage) => void;

/** Answers a request, now or later (a forwarder waits for its upstream). */
export type DnsHandler = (req: DnsRequest, respond: DnsResponder) => void;

/** A plugin: given the rest of the chain, the handler that runs first. */
export type DnsPlugin = (next: DnsHandler) => DnsHandler;

/** What a plugin fills in; the rest of a response comes from the query. */
export interface DnsAnswerParts {
  rcode?: number;
  aa?: boolean;
  ra?: boolean;
  answers?: readonly DnsRecord[];
  authorities?: readonly DnsRecord[];
  additionals?: readonly DnsRecord[];
}

/**
 * A response to `query` (RFC 1035 4.1.1): same ID, opcode, RD, CD (RFC 4035 3.2.2) and question, QR set,
 * AD clear (nothing here validates DNSSEC), no EDNS (the server adds its own).
 */
export function replyTo(query: DnsMessage, parts: DnsAnswerParts = {}): DnsMessage {
  return {
    id: query.id,
    qr: true,
    opcode: query.opcode,
    aa: parts.aa ?? false,
    tc: false,
    rd: query.rd,
    ra: parts.ra ?? false,
    z: false,
    ad: false,
    cd: query.cd,
    rcode: parts.rcode ?? DNS_RCODE_NOERROR,
    questions: query.questions,
    answers: parts.answers ?? [],
    authorities: parts.authorities ?? [],
    additionals: parts.additionals ?? [],
  };
}
