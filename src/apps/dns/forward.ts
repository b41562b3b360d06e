/**
 * The `forward` plugin (CoreDNS's `forward`): sends queries it is given to upstream nameservers and
 * relays their answers. Like CoreDNS it gives the upstream query a fresh ID and restores the client's on
 * the way back, tries the next upstream when one does not answer within the timeout, and answers
 * SERVFAIL when none does. It asks with the client's protocol, as CoreDNS does: UDP for UDP clients (a
 * truncated answer goes back truncated, and the client retries over TCP), a stream for stream clients
 * when a connector is configured (without one, over UDP). Health checks and connection reuse are not
 * modelled.
 */
import type { Ipv4 } from '../../wire/addr.js';
import { DNS_RCODE_SERVFAIL, buildDns, isSubdomain, nameKey } from '../../wire/dns.js';
import type { UdpStack } from '../../transport/udp.js';
import { MS } from '../../sim/engine.js';
import { type ExchangeOutcome, type ExchangeRequest, exchangeStream, exchangeUdp } from './exchange.js';
import { type DnsPlugin, replyTo } from './plugin.js';
import type { StreamConnector } from './stream.js';

/** An upstream nameserver. */
export interface Upstream {
  readonly addr: Ipv4;
  /** Default 53. */
  readonly port?: number;
}

/** Configuration of the forward plugin (Corefile `forward FROM TO... { policy; expire... }`). */
export interface ForwardConfig {
  /** Names forwarded (default "." : everything that reaches the plugin). */
  readonly from?: string;
  readonly upstreams: readonly Upstream[];
  /** Order upstreams are tried in: `random` (CoreDNS's default) or `sequential`. */
  readonly policy?: 'random' | 'sequential';
  /** ns to wait for each upstream (CoreDNS reads with a 2 s timeout). */
  readonly timeout?: number;
  /** Opens streams to upstreams, for clients that came over a stream and truncated answers. */
  readonly connect?: StreamConnector;
}

/** Counters of a forward plugin instance. */
export interface ForwardStats {
  forwarded: number;
  timeouts: number;
  failures: number;
}

/** The forward plugin, sending from `udp`'s node. `stats` (optional) is updated as queries go out. */
export function forwardPlugin(udp: UdpStack, cfg: ForwardConfig, stats?: ForwardStats): DnsPlugin {
  // upstream order and query IDs: the stream `node:<name>/dns-forward`
  const rng = udp.node.engine.stream(`node:${udp.node.name}/dns-forward`);
  const from = nameKey(cfg.from ?? '.');
  const timeout = cfg.timeout ?? 2000 * MS;
  if (cfg.upstreams.length === 0) throw new Error('forward: no upstreams');
  return (next) => (req, respond) => {
    if (!isSubdomain(req.question.name, from)) {
      next(req, respond);
      return;
    }
    const order = [...cfg.upstreams];
    if ((cfg.policy ?? 'random') === 'random') {
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    const clientId = req.message.id;
    const tryUpstream = (i: number): void => {
      if (i >= order.length) {
        if (stats) stats.failures++;
        respond(replyTo(req.message, { rcode: DNS_RCODE_SERVFAIL, ra: true }));
        return;
      }
      const up = order[i]!;
      const id = rng.nextU32() & 0xffff;
      const query = { ...req.message, id };
      const x: ExchangeRequest = {
        server: up.addr,
        port: up.port ?? 53,
        bytes: buildDns(query),
        id,
        questions: query.questions,
        timeout,
      };
      if (stats) stats.forwarded++;
      const relay = (o: ExchangeOutcome): void => {
        if (o.kind !== 'answer') {
          if (o.kind === 'timeout' && stats) stats.timeouts++;
          tryUpstream(i + 1);
          return;
        }
        respond({ ...o.message, id: clientId });
      };
      if (req.transport === 'tcp' && cfg.connect !== undefined) exchangeStream(cfg.connect, udp, x, relay);
      else exchangeUdp(udp, x, relay);
    };
    tryUpstream(0);
  };
}
