/**
 * The ARP neighbour cache of one IP node (RFC 826, with Linux's states simplified): entries are INCOMPLETE
 * while a request is outstanding (packets wait in a small queue), REACHABLE for a while after an answer,
 * then expire and are resolved again; FAILED when no answer came (kept, and shown by `ip neigh`, as Linux
 * keeps them while the table is below gc_thresh1); PERMANENT entries never expire (what flanneld programs).
 */
import type { Ipv4, Mac } from '../wire/addr.js';
import type { NetDev } from './netdev.js';
import type { Port } from '../link/device.js';
import type { Timer } from '../sim/engine.js';

/** Neighbour states, named as `ip neigh` prints them. */
export type NeighborState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'FAILED' | 'PERMANENT';

/** One neighbour entry. */
export interface Neighbor {
  readonly ip: Ipv4;
  readonly dev: NetDev;
  mac: Mac;
  state: NeighborState;
  /** REACHABLE until this time (ns). */
  expires: number;
  /** When the link-layer address was last set (ns): Linux's n->updated, which locktime counts from. */
  updated: number;
  /** Frames waiting for resolution (IP packet at offset 14), with the port a forwarded one came in on. */
  pending: PendingFrame[];
  /** Requests sent in the current resolution. */
  probes: number;
  /** The wait for an answer to the last request; cancelled when one comes. */
  retrans?: Timer | undefined;
}

/** A frame waiting for ARP. */
export interface PendingFrame {
  frame: Uint8Array;
  inPort: Port | undefined;
}

/** Tunables of ARP, with Linux's defaults. */
export interface ArpConfig {
  /** How long an answer is trusted (Linux base_reachable_time: 30 s). */
  reachableNs: number;
  /** Gap between requests (Linux retrans_time: 1 s). */
  retransNs: number;
  /** Requests before giving up (Linux mcast_solicit: 3). */
  maxProbes: number;
  /** Packets queued per unresolved neighbour (Linux unres_qlen: 101); the oldest is dropped past this, as Linux does. */
  queueLen: number;
  /**
   * How long after an answer a different one is ignored (Linux locktime: 100 in USER_HZ, 1 s, read in a
   * namespace's /proc/sys/net/ipv4/neigh/DEV/locktime): with two hosts answering for one address, the
   * first reply wins (arp_process: "use the FIRST one").
   */
  locktimeNs: number;
}

/** Linux-like ARP defaults. */
export const DEFAULT_ARP: ArpConfig = {
  reachableNs: 30_000_000_000,
  retransNs: 1_000_000_000,
  maxProbes: 3,
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
      n = { ip, dev, mac: 0, state: 'INCOMPLETE', expires: 0, updated: 0, pending: [], probes: 0, retrans: undefined };
      m.set(ip, n);
    }
    return n;
  }

  /** Removes the entry for `ip` on `dev`. */
  delete(dev: NetDev, ip: Ipv4): boolean {
    return this.byDev.get(dev)?.delete(ip) ?? false;
  }

  /** All entries (for `ip neigh`). */
  entries(): Neighbor[] {
    const out: Neighbor[] = [];
    for (const m of this.byDev.values()) out.push(...m.values());
    return out;
  }
}
