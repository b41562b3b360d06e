/**
 * One DNS query and its answer, over UDP or a stream: the client half shared by the stub resolver, dig
 * and the forward plugin. It sends the bytes, waits up to a timeout, and accepts only an answer from the
 * server it asked, with the query's ID and question (as glibc's res_ourserver_p / res_queriesmatch and
 * RFC 5452 9.1 ask); an ICMP port unreachable about the query ends the wait at once (ECONNREFUSED).
 * Retries, server order and search lists belong to the callers.
 */
import { formatIpv4, readIpv4, type Ipv4 } from '../../wire/addr.js';
import { type DnsMessage, type DnsQuestion, parseDns, sameName } from '../../wire/dns.js';
import { IPPROTO_UDP } from '../../wire/ipv4.js';
import type { UdpStack } from '../../transport/udp.js';
import { type StreamConnector, frameDnsMessage, readDnsMessages } from './stream.js';

/** How an exchange ended. */
export type ExchangeOutcome =
  | {
      readonly kind: 'answer';
      readonly message: DnsMessage;
      /** The response as received (without the stream length prefix). */
      readonly bytes: Uint8Array;
      /** ns from sending the query to receiving the answer. */
      readonly rtt: number;
    }
  /** No acceptable answer within the timeout. */
  | { readonly kind: 'timeout' }
  /** ICMP port unreachable, or the stream could not be opened or closed without an answer. */
  | { readonly kind: 'refused' }
  /** The query could not be sent at all (no route: ENETUNREACH). */
  | { readonly kind: 'unreachable' };

/** A query to send. */
export interface ExchangeRequest {
  readonly server: Ipv4;
  readonly port: number;
  /** The query's bytes; `id` and `questions` are what the answer must match. */
  readonly bytes: Uint8Array;
  readonly id: number;
  readonly questions: readonly DnsQuestion[];
  /** ns to wait. */
  readonly timeout: number;
}

/** True when `answer` answers a query with `id` and `questions` (RFC 5452 9.1; glibc res_queriesmatch). */
export function answersQuery(answer: DnsMessage, id: number, questions: readonly DnsQuestion[]): boolean {
  if (!answer.qr || answer.id !== id) return false;
  // a FORMERR may come without the question (RFC 1035 leaves it open); glibc accepts it then
  if (answer.questions.length === 0 && answer.rcode !== 0) return true;
  if (answer.questions.length !== questions.length) return false;
  return questions.every((q, i) => {
    const a = answer.questions[i]!;
    return a.type === q.type && a.class === q.class && sameName(a.name, q.name);
  });
}

/** Sends `req` over UDP from a new socket connected to the server, on an ephemeral port; calls `done` once. */
export function exchangeUdp(udp: UdpStack, req: ExchangeRequest, done: (o: ExchangeOutcome) => void): void {
  const node = udp.node;
  const engine = node.engine;
  const sentAt = engine.now;
  let finished = false;
  const finish = (o: ExchangeOutcome): void => {
    if (finished) return;
    finished = true;
    timer.cancel();
    sock.close();
    done(o);
  };
  const sock = openUdpExchange(
    udp,
    req.server,
    req.port,
    (m, bytes, time) => {
      if (!answersQuery(m, req.id, req.questions)) {
        node.note(() => `DNS client :${sock.port}: ignored a reply that does not answer query ${req.id}`);
        return;
      }
      finish({ kind: 'answer', message: m, bytes, rtt: time - sentAt });
    },
    () => finish({ kind: 'refused' }),
  );
  const timer = engine.timer(req.timeout, () => finish({ kind: 'timeout' }));
  if (!sock.send(req.bytes)) finish({ kind: 'unreachable' });
}

/** Sends `req` over a stream opened with `connect` (RFC 7766) and calls `done` once; closes the stream after. */
export function exchangeStream(
  connect: StreamConnector,
  udp: UdpStack,
  req: ExchangeRequest,
  done: (o: ExchangeOutcome) => void,
): void {
  const engine = udp.node.engine;
  const sentAt = engine.now;
  const stream = connect(req.server, req.port);
  if (stream === undefined) {
    done({ kind: 'refused' });
    return;
  }
  let finished = false;
  const finish = (o: ExchangeOutcome): void => {
    if (finished) return;
    finished = true;
    timer.cancel();
    stream.end();
    done(o);
  };
  const timer = engine.timer(req.timeout, () => finish({ kind: 'timeout' }));
  readDnsMessages(stream, (bytes) => {
    const r = parseDns(bytes);
    if (r.ok && answersQuery(r.value, req.id, req.questions))
      finish({ kind: 'answer', message: r.value, bytes, rtt: engine.now - sentAt });
  });
  stream.onEnd(() => finish({ kind: 'refused' }));
  stream.write(frameDnsMessage(req.bytes));
}

/** A UDP socket connected to one DNS server: what glibc's send_dg holds while it waits for its answers. */
export interface UdpExchangeSocket {
  /** Its local (ephemeral) port. */
  readonly port: number;
  /** Sends a query; false when it could not be sent (no route: ENETUNREACH). */
  send(bytes: Uint8Array): boolean;
  /** Unbinds the socket; no callback is called after it. */
  close(): void;
}

/**
 * Opens a UDP socket on an ephemeral port, connected to `server`:`port`: every well-formed DNS message
 * from that server reaches `onMessage` (matching it to a query is the caller's), and an ICMP port
 * unreachable about a datagram it sent reaches `onRefused` (ECONNREFUSED on the next receive).
 */
export function openUdpExchange(
  udp: UdpStack,
  server: Ipv4,
  port: number,
  onMessage: (message: DnsMessage, bytes: Uint8Array, time: number) => void,
  onRefused: () => void,
): UdpExchangeSocket {
  const node = udp.node;
  let open = true;
  const local = udp.bind(0, (d) => {
    if (!open) return;
    if (d.src !== server || d.srcPort !== port) {
      node.note(
        () => `DNS client :${local}: ignored a datagram from ${formatIpv4(d.src)}:${d.srcPort}, not the server asked`,
      );
      return;
    }
    const r = parseDns(d.payload);
    if (!r.ok) {
      node.note(() => `DNS client :${local}: ignored a datagram that is not DNS (${r.error.reason})`);
      return;
    }
    onMessage(r.value, d.payload.slice(), d.time);
  });
  const offIcmp = node.onIcmp((ev) => {
    const m = ev.message;
    if (!open || m.kind !== 'unreachable' || m.code !== 3) return;
    const q = m.original;
    if (q.length < 28 || q[9] !== IPPROTO_UDP) return;
    const ihl = (q[0]! & 0x0f) * 4;
    if (q.length < ihl + 4 || readIpv4(q, 16) !== server) return;
    const sport = (q[ihl]! << 8) | q[ihl + 1]!;
    const dport = (q[ihl + 2]! << 8) | q[ihl + 3]!;
    if (sport === local && dport === port) onRefused();
  });
  // the socket is connected to the server (glibc's send_dg, dig, Go's net.Dial in CoreDNS's forward), so
  // its queries carry its flow hash: through VXLAN, a source port of its own (checked on Linux 6.18)
  const hash = udp.connectHash();
  return {
    port: local,
    send: (bytes) => udp.send(local, server, port, bytes, { hash }) === undefined,
    close: () => {
      if (!open) return;
      open = false;
      offIcmp();
      udp.unbind(local);
    },
  };
}
