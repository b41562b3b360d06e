/**
 * The ARP neighbour cache of one IP node (RFC 826), with Linux's NUD states (net/core/neighbour.c
 * neigh_timer_handler and __neigh_event_send, checked with ping and tcpdump between two namespaces):
 * - INCOMPLETE while broadcast requests are outstanding (packets wait in a small queue); FAILED when none
 *   was answered (kept, and shown by `ip neigh`, as Linux keeps them while the table is below gc_thresh1);
 * - REACHABLE after an answer, for reachable_time (a per-node random value in [base/2, 3*base/2), base 30 s);
 * - then STALE, unless the entry was used in the last delay_first_probe_time (5 s): then DELAY;
 * - a STALE entry that is used sends at once with the cached MAC and goes DELAY; 5 s later, unless an
 *   answer confirmed it meanwhile, PROBE: up to ucast_probes (3) unicast requests to the cached MAC, 1 s
 *   apart, then FAILED. An entry learned from a request for us starts STALE (neigh_event_ns), so the
 *   host that answered a ping probes the pinger by unicast 5 s after its first reply;
 * - PERMANENT entries never change (what flanneld programs).
 */
import type { Ipv4, Mac } from '../wire/addr.js';
import type { NetDev } from './netdev.js';
import type { Port } from '../link/device.js';
import type { Timer } from '../sim/engine.js';

/** Neighbour states, named as `ip neigh` prints them. */
export type NeighborState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'FAILED' | 'PERMANENT';

/** One neighbour entry. */
export interface Neighbor {
  readonly ip: Ipv4;
  readonly dev: NetDev;
  mac: Mac;
  state: NeighborState;
  /** REACHABLE until this time (ns): the last confirmation plus the node's reachable_time. */
  expires: number;
  /** When the link-layer address was last set (ns): Linux's n->updated, which locktime counts from. */
  updated: number;
  /** When an answer last confirmed the entry (ns): Linux's n->confirmed. */
  confirmed: number;
  /** When a packet last went out through the entry (ns): Linux's n->used. */
  used: number;
  /** Frames waiting for resolution (IP packet at offset 14), with the port a forwarded one came in on. */
  pending: PendingFrame[];
  /** Requests sent in the current resolution (INCOMPLETE) or revalidation (PROBE). */
  probes: number;
  /** The entry's pending state timer (retransmit, DELAY's end, REACHABLE's end); cancelled on an answer. */
  timer?: Timer | undefined;
}

/** A frame waiting for ARP. */
export interface PendingFrame {
  frame: Uint8Array;
  inPort: Port | undefined;
}

/** Tunables of ARP, with Linux's defaults. */
export interface ArpConfig {
  /** Base of how long an answer is trusted (Linux base_reachable_time: 30 s; each node draws its
   * reachable_time uniformly from [base/2, 3*base/2), neigh_rand_reach_time). */
  reachableNs: number;
  /** Gap between requests (Linux retrans_time: 1 s). */
  retransNs: number;
  /** Broadcast requests before giving up on an unresolved entry (Linux mcast_solicit: 3). */
  maxProbes: number;
  /** Unicast requests before a PROBE entry fails (Linux ucast_solicit: 3). */
  ucastProbes: number;
  /** How long a used entry stays DELAY before probing (Linux delay_first_probe_time: 5 s). */
  delayProbeNs: number;
  /** Packets queued per unresolved neighbour (Linux unres_qlen: 101); the oldest is dropped past this, as Linux does. */
  queueLen: number;
  /**
   * How long after an answer a different one is ignored (Linux locktime: 100 in USER_HZ, 1 s, read in a
   * namespace's /proc/sys/net/ipv4/neigh/DEV/locktime): with two hosts answering for one address, the
   * first reply wins (arp_process: "use the FIRST one").
   */
  locktimeNs: number;
  /**
   * Devices whose reachable_time is given (ns) instead of drawn: `podnet verify` puts here what the real
   * kernel drew for each device (`ip ntable show`), so neighbours go STALE at the same time in both runs.
   */
  reachableByDev?: ReadonlyMap<string, number>;
}

/** Linux-like ARP defaults. */
export const DEFAULT_ARP: ArpConfig = {
  reachableNs: 30_000_000_000,
  retransNs: 1_000_000_000,
  maxProbes: 3,
  ucastProbes: 3,
  delayProbeNs: 5_000_000_000,
  queueLen: 101,
  locktimeNs: 1_000_000_000,
};

/** A neighbour table keyed by (device, IP). */
export class NeighborTable {
  private readonly byDev = new Map<NetDev, Map<Ipv4, Neighbor>>();

  /** The entry for `ip` on `dev`, whatever its state. */
  get(dev: NetDev, ip: Ipv4): Neighbor | undefined {
    return this.byDev.get(dev)?.get(ip);
  }

  /** Creates or returns the entry for `ip` on `dev`. */
  ensure(dev: NetDev, ip: Ipv4): Neighbor {
    let m = this.byDev.get(dev);
    if (m === undefined) {
      m = new Map();
      this.byDev.set(dev, m);
    }
    let n = m.get(ip);
    if (n === undefined) {
      n = {
        ip,
        dev,
        mac: 0,
        state: 'INCOMPLETE',
        expires: 0,
        updated: 0,
        confirmed: 0,
        used: 0,
        pending: [],
        probes: 0,
        timer: undefined,
      };
      m.set(ip, n);
    }
    return n;
  }

  /** Removes the entry for `ip` on `dev`. */
  delete(dev: NetDev, ip: Ipv4): boolean {
    return this.byDev.get(dev)?.delete(ip) ?? false;
  }

  /** The entries on `dev` (a copy: the caller may delete while it walks). */
  onDev(dev: NetDev): Neighbor[] {
    const m = this.byDev.get(dev);
    return m === undefined ? [] : [...m.values()];
  }

  /** All entries (for `ip neigh`). */
  entries(): Neighbor[] {
    const out: Neighbor[] = [];
    for (const m of this.byDev.values()) out.push(...m.values());
    return out;
  }
}
