/**
 * The BGP speaker: one router's BGP (what calico-node's BIRD is to a node). It owns the configured peers,
 * the Loc-RIB, the routes it originates, import and export, and the batching of UPDATEs. Sessions are
 * peer.ts, the decision best-path.ts, the per-peer attribute rules export.ts, message building
 * update-out.ts, the transport transport.ts. It installs nothing in a kernel: `onBestChange` tells the
 * owner (the node) what to install or remove.
 */
import type { Engine } from '../../sim/engine.js';
import { type Ipv4, type Ipv4Prefix, formatIpv4, readIpv4 } from '../../wire/addr.js';
import type { Prng } from '../../sim/prng.js';
import { BgpAttrIntern } from '../../wire/bgp-attr-intern.js';
import { AFI_IPV4, type BgpParsed, type BgpUpdate, type PathAttributes, SAFI_UNICAST } from '../../wire/bgp.js';
import { type Candidate, DEFAULT_LOCAL_PREF, type RouteSource } from './best-path.js';
import { ExportCache } from './export-cache.js';
import { type ExportContext, fromTwoOctet } from './export.js';
import { NOTIFY_CEASE_DECONFIGURED, NOTIFY_CEASE_SHUTDOWN } from './fsm.js';
import { BIRD_TIMERS, BgpPeer, type BgpPeerConfig, type BgpTimers, type PeerHost } from './peer.js';
import { LocRib, type LocRibEntry, prefixKey } from './rib.js';
import { type BgpPeerStatus, type BgpRouteView, peerStatus, routeView } from './status.js';
import type { BgpConnector, BgpListener } from './transport.js';
import { flushUpdates } from './update-out.js';

/** Why a received route was not used, or an UPDATE was acted on under RFC 7606; counted per speaker. */
export type BgpDropReason =
  | 'as-path-loop'
  | 'originator-id-loop'
  | 'cluster-list-loop'
  | 'import-rejected'
  | 'treat-as-withdraw'
  | 'attribute-discard'
  | 'session-reset';

/** A speaker's configuration (BIRD's `router id`, `local as`, the timers). */
export interface BgpSpeakerConfig {
  /** BGP Identifier (RFC 4271 §4.2; BIRD `router id`). */
  routerId: Ipv4;
  /** Our AS (Calico's default is 64512). */
  asn: number;
  /** Opens and accepts connections: the node's TCP stack, or real sockets. */
  connector: BgpConnector;
  /** TCP port to listen on (default 179). */
  listenPort?: number;
  /** Route-reflector cluster ID (RFC 4456 §7; default the router ID, BIRD's default). */
  clusterId?: Ipv4;
  /** LOCAL_PREF for routes without one (default 100). */
  defaultLocalPref?: number;
  /** Timer values, seconds (default BIRD 2's). */
  timers?: Partial<BgpTimers>;
  /** Delay before pending UPDATEs are sent, ns (default 0: changes in the same instant share messages). */
  batchDelayNs?: number;
  /**
   * RFC 4271 §10 jitter on the connect and restart timers, as BIRD does (each delay times a factor in
   * [0.75, 1], from the speaker's own random stream `bgp:<router id>`). Default true; off, both sides of a
   * session connect at the same instant and always collide.
   */
  jitter?: boolean;
  /** Log lines (state changes, errors), e.g. to serve's output. */
  log?: (line: string) => void;
  /** Import policy: the attributes to use, or undefined to reject (BIRD `import filter`). */
  importFilter?: (prefix: Ipv4Prefix, attrs: PathAttributes, peer: BgpPeer) => PathAttributes | undefined;
  /** Export policy: false keeps a route from a peer (BIRD `export filter`). */
  exportFilter?: (prefix: Ipv4Prefix, best: Candidate, peer: BgpPeer) => boolean;
}

/** One attribute intern table per simulation: every speaker on an engine shares it. */
const INTERN = new WeakMap<Engine, BgpAttrIntern>();

function internOf(engine: Engine): BgpAttrIntern {
  let t = INTERN.get(engine);
  if (t === undefined) INTERN.set(engine, (t = new BgpAttrIntern()));
  return t;
}

/** An MP_REACH/MP_UNREACH for IPv4 unicast (the only family the speaker carries). */
function isIpv4Unicast(f: { afi: number; safi: number } | undefined): boolean {
  return f !== undefined && f.afi === AFI_IPV4 && f.safi === SAFI_UNICAST;
}

/** The source of routes this speaker originates. */
export const LOCAL_SOURCE: RouteSource = { local: true, ebgp: false, peerAddr: 0, peerBgpId: 0 };

/** Called when a prefix's best route changes; `best` undefined: no route any more. */
export type BestChangeListener = (prefix: Ipv4Prefix, best: Candidate | undefined) => void;

/** A BGP-4 speaker over a BgpConnector. */
export class BgpSpeaker implements PeerHost, ExportContext {
  readonly routerId: Ipv4;
  readonly asn: number;
  readonly clusterId: Ipv4;
  readonly defaultLocalPref: number;
  readonly connector: BgpConnector;
  readonly timers: BgpTimers;
  readonly loc: LocRib;
  /** @internal Attribute sets shared with the other speakers of this simulation (as BIRD's ea_lookup). */
  readonly attrIntern: BgpAttrIntern;
  /** Received routes not used or UPDATEs handled under RFC 7606, by reason. */
  readonly drops: Record<BgpDropReason, number> = {
    'as-path-loop': 0,
    'originator-id-loop': 0,
    'cluster-list-loop': 0,
    'import-rejected': 0,
    'treat-as-withdraw': 0,
    'attribute-discard': 0,
    'session-reset': 0,
  };
  /** UPDATE messages sent and received. */
  updatesOut = 0;
  updatesIn = 0;
  private readonly peers = new Map<Ipv4, BgpPeer>();
  private readonly listeners: BestChangeListener[] = [];
  private readonly stateListeners: ((peer: BgpPeer) => void)[] = [];
  // the peers to flush, in the order first marked: a list with a mark on each peer, kept at its size, where
  // a Set would shrink on every clear and grow again for a reflector's 1,000 clients at every route
  private readonly dirty: BgpPeer[] = [];
  private dirtyCount = 0;
  private flushPending = false;
  /** Exported attributes and encoded UPDATEs shared between peers, good for one flush. */
  private readonly cache = new ExportCache();
  private readonly listener: BgpListener;
  private readonly localAttrs: PathAttributes = { origin: 'igp', asPath: [], unknown: [] };
  private readonly rng: Prng | undefined;

  constructor(
    readonly engine: Engine,
    private readonly config: BgpSpeakerConfig,
  ) {
    this.routerId = config.routerId;
    this.asn = config.asn;
    this.clusterId = config.clusterId ?? config.routerId;
    this.defaultLocalPref = config.defaultLocalPref ?? DEFAULT_LOCAL_PREF;
    this.connector = config.connector;
    this.timers = { ...BIRD_TIMERS, ...config.timers };
    this.loc = new LocRib(this.defaultLocalPref);
    this.attrIntern = internOf(engine);
    this.rng = config.jitter === false ? undefined : engine.stream(`bgp:${formatIpv4(config.routerId)}`);
    this.listener = config.connector.listen(config.listenPort ?? 179, (t) => {
      const peer = this.peers.get(t.remote.addr);
      // BIRD accepts only configured neighbours
      if (peer === undefined) t.close();
      else peer.accepted(t);
    });
  }

  /** Adds a neighbour and starts its session. Throws if one with that address exists (a caller bug). */
  addPeer(config: BgpPeerConfig): BgpPeer {
    if (this.peers.has(config.address)) throw new Error(`bgp: peer ${config.address} already configured`);
    const peer = new BgpPeer(this, config);
    this.peers.set(config.address, peer);
    peer.start();
    return peer;
  }

  /** Removes a neighbour: Cease / Peer De-configured (RFC 4486), its routes withdrawn. */
  removePeer(address: Ipv4): boolean {
    const peer = this.peers.get(address);
    if (peer === undefined) return false;
    peer.stop(NOTIFY_CEASE_DECONFIGURED);
    this.peers.delete(address);
    return true;
  }

  /** The neighbour at `address`. */
  peer(address: Ipv4): BgpPeer | undefined {
    return this.peers.get(address);
  }

  /** Stops every session (Cease / Administrative Shutdown) and the listener. */
  shutdown(): void {
    for (const p of this.peers.values()) p.stop(NOTIFY_CEASE_SHUTDOWN);
    this.listener.close();
  }

  /** Originates `prefix` (Calico: a block's blackhole route that BIRD exports). */
  originate(prefix: Ipv4Prefix, attrs?: Partial<PathAttributes>): void {
    const a = attrs === undefined ? this.localAttrs : { ...this.localAttrs, ...attrs };
    const e = this.loc.set(prefixKey(prefix.addr, prefix.len), LOCAL_SOURCE, a);
    if (e !== undefined) this.bestChanged(e);
  }

  /** Stops originating `prefix`. */
  withdraw(prefix: Ipv4Prefix): void {
    const e = this.loc.set(prefixKey(prefix.addr, prefix.len), LOCAL_SOURCE, undefined);
    if (e !== undefined) this.bestChanged(e);
  }

  /** Registers a listener for best-route changes (the node installs and removes kernel routes). */
  onBestChange(fn: BestChangeListener): void {
    this.listeners.push(fn);
  }

  /** Per-peer status, in the order the peers were added. */
  status(): BgpPeerStatus[] {
    return [...this.peers.values()].map(peerStatus);
  }

  /** The Loc-RIB: every prefix with its best and all candidates, in prefix order. */
  routes(): BgpRouteView[] {
    return [...this.loc.all()]
      .map(routeView)
      .sort((a, b) => a.prefix.addr - b.prefix.addr || a.prefix.len - b.prefix.len);
  }

  // ---- PeerHost ------------------------------------------------------------------------------------------

  /** @internal */
  log(line: string): void {
    this.config.log?.(line);
  }

  /** @internal */
  jitter(ns: number): number {
    return this.rng === undefined ? ns : Math.round(ns * (1 - this.rng.next() / 4));
  }

  /** @internal RFC 4271 §9.1.3: a new session gets the whole table. */
  established(peer: BgpPeer): void {
    for (const e of this.loc.all()) {
      if (e.best === undefined) continue;
      const a = this.exportTo(peer, e);
      if (a !== undefined) peer.pendingOut.set(e.key, a);
    }
    this.markDirty(peer);
  }

  /** @internal */
  down(peer: BgpPeer): void {
    this.cache.clear();
    peer.adjOut.clear();
    peer.pendingOut.clear();
    for (const key of [...peer.adjIn.routes.keys()]) this.setCandidate(key, peer, undefined);
    peer.adjIn.clear();
  }

  /** @internal ROUTE-REFRESH (RFC 2918 §4): everything in Adj-RIB-Out goes again. */
  refresh(peer: BgpPeer): void {
    for (const [key, attrs] of peer.adjOut) peer.pendingOut.set(key, attrs);
    peer.adjOut.clear();
    this.markDirty(peer);
  }

  /** @internal */
  stateChanged(peer: BgpPeer): void {
    for (const fn of this.stateListeners) fn(peer);
  }

  /** Registers a listener for session state changes (serve logs them; status() has the same data on demand). */
  onStateChange(fn: (peer: BgpPeer) => void): void {
    this.stateListeners.push(fn);
  }

  /** @internal An UPDATE on an Established session, with its RFC 7606 action. */
  update(peer: BgpPeer, parsed: BgpParsed): void {
    this.updatesIn++;
    const u = parsed.message as BgpUpdate;
    const action = parsed.action;
    if (action === 'session-reset' || action === 'afi-safi-disable') {
      this.drops['session-reset']++;
      return;
    }
    const mpReach = u.attrs.mpReach;
    const mpUnreach = u.attrs.mpUnreach;
    for (const w of u.withdrawn) this.withdrawFrom(peer, w);
    if (isIpv4Unicast(mpUnreach)) for (const w of mpUnreach!.withdrawn) this.withdrawFrom(peer, w);
    const nlri = isIpv4Unicast(mpReach) ? [...u.nlri, ...mpReach!.nlri] : u.nlri;
    if (nlri.length === 0) return;
    if (action === 'treat-as-withdraw') {
      // RFC 7606 §2: the routes in the UPDATE are withdrawn; the session stays up
      this.drops['treat-as-withdraw']++;
      for (const p of nlri) this.withdrawFrom(peer, p);
      return;
    }
    if (action === 'attribute-discard') this.drops['attribute-discard']++;
    const attrs = this.normalize(peer, u.attrs);
    const loop = this.loopReason(peer, attrs);
    for (const p of nlri) {
      const key = prefixKey(p.addr, p.len);
      if (loop !== undefined) {
        this.drops[loop]++;
        peer.adjIn.set(key, null);
        this.setCandidate(key, peer, undefined);
        continue;
      }
      const used = this.config.importFilter === undefined ? attrs : this.config.importFilter(p, attrs, peer);
      if (used === undefined) this.drops['import-rejected']++;
      peer.adjIn.set(key, used ?? null);
      this.setCandidate(key, peer, used);
    }
  }

  // ---- routes --------------------------------------------------------------------------------------------

  private withdrawFrom(peer: BgpPeer, p: Ipv4Prefix): void {
    const key = prefixKey(p.addr, p.len);
    if (peer.adjIn.delete(key) !== undefined) this.setCandidate(key, peer, undefined);
  }

  /** The attributes as stored: the true AS_PATH (RFC 6793), NEXT_HOP from MP_REACH, no MP attributes. */
  private normalize(peer: BgpPeer, a: PathAttributes): PathAttributes {
    let out = peer.session?.ctx.fourOctetAs === true ? a : fromTwoOctet(a);
    if (out.mpReach !== undefined || out.mpUnreach !== undefined) {
      out = { ...out };
      const nh = out.mpReach?.nextHop;
      if (out.nextHop === undefined && nh !== undefined && nh.length === 4) out.nextHop = readIpv4(nh, 0);
      delete out.mpReach;
      delete out.mpUnreach;
    }
    return out;
  }

  /** RFC 4271 §9.1.2 (our AS in the path) and RFC 4456 §8 (our router or cluster ID): routing loops. */
  private loopReason(peer: BgpPeer, a: PathAttributes): BgpDropReason | undefined {
    if (peer.ebgp) {
      for (const s of a.asPath ?? []) if (s.asns.includes(this.asn)) return 'as-path-loop';
      return undefined;
    }
    if (a.originatorId === this.routerId) return 'originator-id-loop';
    if (a.clusterList?.includes(this.clusterId) === true) return 'cluster-list-loop';
    return undefined;
  }

  private setCandidate(key: number, source: RouteSource, attrs: PathAttributes | undefined): void {
    const e = this.loc.set(key, source, attrs);
    if (e !== undefined) this.bestChanged(e);
  }

  private bestChanged(e: LocRibEntry): void {
    const prefix = e.prefix;
    for (const fn of this.listeners) fn(prefix, e.best);
    for (const peer of this.peers.values()) {
      if (peer.session === undefined) continue;
      const a = e.best === undefined ? undefined : this.exportTo(peer, e, prefix);
      if (a === undefined && !peer.adjOut.has(e.key) && !peer.pendingOut.has(e.key)) continue;
      peer.pendingOut.set(e.key, a ?? null);
      this.markDirty(peer);
    }
  }

  /** What `peer` is to get of `e` (whose prefix is `prefix`, worked out here when not given), if anything. */
  private exportTo(peer: BgpPeer, e: LocRibEntry, prefix?: Ipv4Prefix): PathAttributes | undefined {
    const best = e.best!;
    const filter = this.config.exportFilter;
    if (filter !== undefined && !filter(prefix ?? e.prefix, best, peer)) return undefined;
    return this.cache.exported(this, peer, best);
  }

  private markDirty(peer: BgpPeer): void {
    if (!peer.dirty) {
      peer.dirty = true;
      this.dirty[this.dirtyCount++] = peer;
    }
    if (this.flushPending) return;
    this.flushPending = true;
    this.engine.schedule(this.config.batchDelayNs ?? 0, () => this.flush());
  }

  /** Sends every dirty peer's pending changes: one pass per instant (RFC 4271 §9.2). */
  private flush(): void {
    this.flushPending = false;
    // each peer is unmarked before its flush: one marked again meanwhile goes on the list again, and the
    // loop, which reads the count afresh, flushes it again
    for (let i = 0; i < this.dirtyCount; i++) {
      const peer = this.dirty[i]!;
      peer.dirty = false;
      this.updatesOut += flushUpdates(peer, this.cache);
    }
    this.dirtyCount = 0;
    this.cache.clear();
  }
}
