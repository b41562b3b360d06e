/**
 * The `cache` plugin, as CoreDNS's plugin/cache does it: answers from the rest of the chain are kept for
 * their smallest TTL, clamped per kind (positive: 5 s to `ttl`, default 3600 s; NXDOMAIN and NODATA: 5 s to
 * `ttl`, default 1800 s; SERVFAIL: 5 s), and every record of the reply, the first one included, carries that
 * TTL (cache.go ResponseWriter.WriteMsg, "to avoid jarring TTL experience"). A hit is answered with AA set
 * and every TTL lowered by the whole seconds since it was stored (item.go toMsg); an entry whose TTL
 * reached 0 is gone. Truncated answers, REFUSED and the like are not kept. The key is the lower-cased name,
 * type, class and the DO and CD bits. Time is the engine's clock. Prefetch, serve_stale and capacity
 * eviction are not modelled.
 */
import { SECOND } from '../../sim/engine.js';
import {
  type DnsMessage,
  type DnsRecord,
  DNS_RCODE_NOERROR,
  DNS_RCODE_NOTIMP,
  DNS_RCODE_NXDOMAIN,
  DNS_RCODE_SERVFAIL,
  nameKey,
} from '../../wire/dns.js';
import { type DnsPlugin, replyTo } from './plugin.js';

/** Configuration, as the Corefile's `cache [TTL]`. */
export interface CacheConfig {
  /** Largest TTL kept, for answers and denials (`cache 30`); default 3600 and 1800. */
  readonly ttl?: number;
  /** Smallest TTL kept (CoreDNS's MINTTL, default 5). */
  readonly minTtl?: number;
  /** How long SERVFAIL is kept (`servfail`, default 5 s; 0: not kept). */
  readonly servfailTtl?: number;
}

/** Counters of a cache. */
export interface CacheStats {
  hits: number;
  misses: number;
}

/** CoreDNS's MinimalDefaultTTL: the TTL of an answer with no records, and the smallest kept. */
const MINIMAL_DEFAULT_TTL = 5;
/** CoreDNS's MaximumDefaulTTL: the starting point of dnsutil.MinimalTTL. */
const MAXIMUM_DEFAULT_TTL = 3600;

interface Entry {
  readonly message: DnsMessage;
  /** Engine ns when stored. */
  readonly stored: number;
  /** Seconds it lives. */
  readonly ttl: number;
}

/** dnsutil.MinimalTTL: the smallest TTL of the answer, authority and additional records (5 s for none). */
function minimalTtl(m: DnsMessage): number {
  const all = [...m.answers, ...m.authorities, ...m.additionals];
  if (all.length === 0) return MINIMAL_DEFAULT_TTL;
  return Math.min(MAXIMUM_DEFAULT_TTL, ...all.map((r) => r.ttl));
}

/** Every record with TTL `ttl` (filterRRSlice). */
function withTtl(records: readonly DnsRecord[], ttl: number): DnsRecord[] {
  return records.map((r) => ({ ...r, ttl }));
}

/** The cache plugin; `now` is the engine clock in ns. */
export function cachePlugin(cfg: CacheConfig, now: () => number, stats?: CacheStats): DnsPlugin {
  const maxPositive = cfg.ttl ?? 3600;
  const maxDenial = cfg.ttl ?? 1800;
  const min = cfg.minTtl ?? MINIMAL_DEFAULT_TTL;
  const servfail = cfg.servfailTtl ?? 5;
  const entries = new Map<string, Entry>();
  const clamp = (t: number, max: number): number => Math.min(Math.max(t, min), max);

  return (next) => (req, respond) => {
    const q = req.question;
    const m = req.message;
    const key = `${nameKey(q.name)} ${q.type} ${q.class} ${m.edns?.dnssecOk === true ? 1 : 0}${m.cd ? 1 : 0}`;
    const hit = entries.get(key);
    if (hit !== undefined) {
      const left = hit.ttl - Math.floor((now() - hit.stored) / SECOND);
      if (left > 0) {
        if (stats) stats.hits++;
        const c = hit.message;
        respond(
          replyTo(m, {
            rcode: c.rcode,
            aa: true,
            ra: c.ra,
            answers: withTtl(c.answers, left),
            authorities: withTtl(c.authorities, left),
            additionals: withTtl(c.additionals, left),
          }),
        );
        return;
      }
      entries.delete(key);
    }
    if (stats) stats.misses++;
    next(req, (res) => {
      const positive = res.rcode === DNS_RCODE_NOERROR && res.answers.length > 0;
      const denial = res.rcode === DNS_RCODE_NXDOMAIN || (res.rcode === DNS_RCODE_NOERROR && !positive);
      const failed = res.rcode === DNS_RCODE_SERVFAIL || res.rcode === DNS_RCODE_NOTIMP;
      if (!positive && !denial && !failed) {
        respond(res); // REFUSED, FORMERR...: neither kept nor touched
        return;
      }
      const ttl = failed ? servfail : clamp(minimalTtl(res), positive ? maxPositive : maxDenial);
      const out: DnsMessage = {
        ...res,
        answers: withTtl(res.answers, ttl),
        authorities: withTtl(res.authorities, ttl),
        additionals: withTtl(res.additionals, ttl),
      };
      if (ttl > 0 && !res.tc) entries.set(key, { message: out, stored: now(), ttl });
      respond(out);
    });
  };
}
