/**
 * Linux's next-hop exceptions (struct fib_nh_exception, net/ipv4/route.c): what a host learns about one
 * destination from ICMP and keeps for a while beside its routing table, the "cache" lines of
 * `ip route get` and `ip route show cache`:
 * - a path MTU from "fragmentation needed" (__ip_rt_update_pmtu): kept `mtu_expires` (600 s); below
 *   `min_pmtu` (552) the MTU is locked at 552; a report larger than what is known is ignored, and the same
 *   MTU again is not refreshed until half the time has passed;
 * - a gateway from an ICMP redirect (__ip_do_redirect): kept `ip_rt_gc_timeout` (300 s).
 * Expired entries are dropped when looked at (find_exception). The node decides when to learn; this file
 * only keeps the entries and answers lookups.
 */
import type { Ipv4 } from '../wire/addr.js';

/** One second in the engine's nanoseconds. */
const SECOND = 1_000_000_000;
/** net.ipv4.route.mtu_expires: 600 s (checked with sysctl in a namespace). */
export const MTU_EXPIRES_NS = 600 * SECOND;
/** net.ipv4.route.min_pmtu: 552 (512 + 20 + 20). */
export const MIN_PMTU = 552;
/** ip_rt_gc_timeout (RT_GC_TIMEOUT): 300 s, how long a redirect is believed. */
export const REDIRECT_EXPIRES_NS = 300 * SECOND;

/** What is known about one destination. */
export interface RouteException {
  readonly dst: Ipv4;
  /** Learned path MTU, 0 when none. */
  pmtu: number;
  /** Gateway from a redirect, undefined when none. */
  gateway: Ipv4 | undefined;
  /** Time (ns) after which the entry no longer applies. */
  expires: number;
}

/** The exceptions of one node, by destination address. */
export class RouteExceptions {
  private readonly byDst = new Map<Ipv4, RouteException>();

  /** The live entry for `dst`, if any (an expired one is removed). */
  get(dst: Ipv4, now: number): RouteException | undefined {
    const e = this.byDst.get(dst);
    if (e === undefined) return undefined;
    if (now >= e.expires) {
      this.byDst.delete(dst);
      return undefined;
    }
    return e;
  }

  /**
   * A "fragmentation needed" reported `mtu` toward `dst`, whose route MTU is now `current`. Returns the
   * MTU now believed, or undefined when the report changed nothing.
   */
  learnPmtu(dst: Ipv4, mtu: number, current: number, now: number): number | undefined {
    if (current < mtu) return undefined;
    if (mtu < MIN_PMTU) mtu = Math.min(current, MIN_PMTU);
    const e = this.get(dst, now);
    if (e !== undefined && e.pmtu === mtu && now < e.expires - MTU_EXPIRES_NS / 2) return undefined;
    const entry = e ?? this.create(dst);
    entry.pmtu = mtu;
    entry.expires = now + MTU_EXPIRES_NS;
    return mtu;
  }

  /** An accepted redirect: `dst` is reached through `gateway` from now on, for 300 s. */
  learnGateway(dst: Ipv4, gateway: Ipv4, now: number): void {
    const entry = this.get(dst, now) ?? this.create(dst);
    entry.gateway = gateway;
    entry.expires = now + REDIRECT_EXPIRES_NS;
  }

  /** Every live entry, in the order learned. */
  entries(now: number): RouteException[] {
    const out: RouteException[] = [];
    for (const dst of [...this.byDst.keys()]) {
      const e = this.get(dst, now);
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  private create(dst: Ipv4): RouteException {
    const e: RouteException = { dst, pmtu: 0, gateway: undefined, expires: 0 };
    this.byDst.set(dst, e);
    return e;
  }
}
