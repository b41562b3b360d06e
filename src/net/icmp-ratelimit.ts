/**
 * How often an IP node may send ICMP errors and redirects, as Linux limits them. Three limiters, each from
 * the kernel source (net/ipv4/icmp.c, net/ipv4/route.c, net/ipv4/inetpeer.c) and checked in namespaces:
 * - per destination (inet_peer_xrlim_allow): a token bucket in time units, `icmp_ratelimit` (1 s) per
 *   message, filled by the time elapsed and capped at 6 messages (XRLIM_BURST_FACTOR); a new peer starts
 *   60 s in the past, so it has the full burst. Only for types in `icmp_ratemask` (0x1818: destination
 *   unreachable, source quench, time exceeded, parameter problem), never for "fragmentation needed" (PMTU
 *   discovery must not be starved), nor when the error leaves by lo;
 * - the same bucket is first charged by ip_error (route.c) for errors that come from the route lookup
 *   (no route, unreachable and prohibit routes): cost 1 s, burst 5 s, so a fresh sender gets only 2
 *   "net unreachable" in a burst (seen in a namespace: 20 pings to an unroutable address, 2 answers);
 * - per namespace (icmp_global_allow / icmp_global_consume, Linux 6.12+): `icmp_msgs_per_sec` 1000
 *   credits a second, capped at `icmp_msgs_burst` 50; a send is allowed while credit is left, and then
 *   takes 0, 1 or 2 credits at random; refilled no more often than every 20 ms (HZ/50);
 * - redirects (ip_rt_send_redirect): the first 9 to a host with exponential backoff (20 ms << n), then
 *   none until 20.48 s pass without a packet that would have needed one. Linux keeps this counter in the
 *   same inet_peer fields as the token bucket; podnet keeps them apart (a host that gets both redirects and
 *   errors in the same second is the only case where they differ).
 * The ICMP sender (ip-errors.ts) asks; this file only counts.
 */
import type { Ipv4 } from '../wire/addr.js';
import { ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED } from '../wire/icmp.js';

/** One second in the engine's nanoseconds. */
const SECOND = 1_000_000_000;

/** Linux's ICMP rate-limit sysctls (net.ipv4.icmp_*), with their defaults. */
export interface IcmpRateConfig {
  /** icmp_ratelimit: ns of tokens one limited message costs (1000 ms). */
  ratelimitNs: number;
  /** icmp_ratemask: bit N set = type N is limited (0x1818). */
  ratemask: number;
  /** icmp_msgs_per_sec: the namespace-wide refill rate (1000). */
  msgsPerSec: number;
  /** icmp_msgs_burst: the namespace-wide cap (50). */
  msgsBurst: number;
}

/** Linux defaults (checked with sysctl in a fresh namespace). */
export const DEFAULT_ICMP_RATE: IcmpRateConfig = {
  ratelimitNs: SECOND,
  ratemask: 0x1818,
  msgsPerSec: 1000,
  msgsBurst: 50,
};

/** XRLIM_BURST_FACTOR (inetpeer.c): the per-peer bucket holds 6 messages. */
const XRLIM_BURST_FACTOR = 6;
/** ip_rt_error_cost and ip_rt_error_burst (route.c): HZ and 5 * HZ. */
const RT_ERROR_COST_NS = SECOND;
const RT_ERROR_BURST_NS = 5 * SECOND;
/** ip_rt_redirect_load (HZ/50), ip_rt_redirect_number (9), ip_rt_redirect_silence (load << 10). */
const REDIRECT_LOAD_NS = SECOND / 50;
const REDIRECT_NUMBER = 9;
const REDIRECT_SILENCE_NS = REDIRECT_LOAD_NS * 1024;
/** A new inet_peer's rate_last: 60 s in the past. */
const NEW_PEER_AGE_NS = 60 * SECOND;
/** The global bucket refills at most every HZ/50. */
const GLOBAL_MIN_REFILL_NS = SECOND / 50;

interface Peer {
  tokens: number;
  last: number;
  redirectTokens: number;
  redirectLast: number;
  redirects: number;
}

/** The limiters of one node (one network namespace). */
export class IcmpRateLimiter {
  private readonly peers = new Map<Ipv4, Peer>();
  private credit = 0;
  private stamp = Number.NEGATIVE_INFINITY;

  /**
   * @param config the sysctls
   * @param random0to2 draws 0, 1 or 2 (get_random_u32_below(3)), from the node's own stream
   */
  constructor(
    readonly config: IcmpRateConfig,
    private readonly random0to2: () => number,
  ) {}

  /** icmpv4_mask_allow: true when type/code is never limited. */
  unlimited(type: number, code: number): boolean {
    if (type > 18) return true;
    if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) return true;
    return ((1 << type) & this.config.ratemask) === 0;
  }

  /**
   * ip_error's own charge, for errors the route lookup produced: true when the error may go on to
   * icmp_send (which then applies allowError).
   */
  allowRouteError(to: Ipv4, now: number): boolean {
    const p = this.peer(to, now);
    p.tokens = Math.min(p.tokens + (now - p.last), RT_ERROR_BURST_NS);
    p.last = now;
    if (p.tokens < RT_ERROR_COST_NS) return false;
    p.tokens -= RT_ERROR_COST_NS;
    return true;
  }

  /**
   * __icmp_send's checks for an error of type/code to `to`: the global bucket (skipped when the packet
   * came in on lo), then the per-peer bucket (skipped when the error leaves by lo), then the global charge.
   */
  allowError(type: number, code: number, to: Ipv4, now: number, inOnLo: boolean, outOnLo: boolean): boolean {
    if (this.unlimited(type, code)) return true;
    if (!inOnLo && !this.globalAllow(now)) return false;
    if (!outOnLo && !this.peerAllow(to, now)) return false;
    if (!inOnLo) this.credit -= this.random0to2();
    return true;
  }

  /** ip_rt_send_redirect: may a redirect go to `to` now? Counts it when it may. */
  allowRedirect(to: Ipv4, now: number): boolean {
    const p = this.peer(to, now);
    if (now > p.redirectLast + REDIRECT_SILENCE_NS) {
      p.redirectTokens = 0;
      p.redirects = 0;
    }
    if (p.redirects >= REDIRECT_NUMBER) {
      p.redirectLast = now;
      return false;
    }
    if (p.redirectTokens === 0 || now > p.redirectLast + REDIRECT_LOAD_NS * 2 ** p.redirectTokens) {
      p.redirectLast = now;
      p.redirectTokens++;
      p.redirects++;
      return true;
    }
    return false;
  }

  private peer(to: Ipv4, now: number): Peer {
    let p = this.peers.get(to);
    if (p === undefined) {
      p = {
        tokens: 0,
        last: now - NEW_PEER_AGE_NS,
        redirectTokens: 0,
        redirectLast: now - NEW_PEER_AGE_NS,
        redirects: 0,
      };
      this.peers.set(to, p);
    }
    return p;
  }

  private peerAllow(to: Ipv4, now: number): boolean {
    const p = this.peer(to, now);
    const timeout = this.config.ratelimitNs;
    p.tokens = Math.min(p.tokens + (now - p.last), XRLIM_BURST_FACTOR * timeout);
    p.last = now;
    if (p.tokens < timeout) return false;
    p.tokens -= timeout;
    return true;
  }

  private globalAllow(now: number): boolean {
    if (this.credit > 0) return true;
    const delta = Math.min(now - this.stamp, SECOND);
    if (delta < GLOBAL_MIN_REFILL_NS) return false;
    const incr = Math.floor((this.config.msgsPerSec * delta) / SECOND);
    if (incr === 0) return false;
    this.stamp = now;
    this.credit = Math.min(this.credit + incr, this.config.msgsBurst);
    return true;
  }
}
