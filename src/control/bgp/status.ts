/**
 * Read-only views of a speaker for the `birdcl show protocols`, `show route` and `calicoctl node status`
 * commands: plain values, no references into the live RIBs. Formatting them as those tools print is the
 * views' job, not this file's.
 */
import { type Ipv4, type Ipv4Prefix } from '../../wire/addr.js';
import type { PathAttributes } from '../../wire/bgp.js';
import type { Candidate } from './best-path.js';
import type { BgpState } from './fsm.js';
import type { BgpPeer } from './peer.js';
import type { LocRibEntry } from './rib.js';

/** One neighbour's session as `show protocols all` reports it. */
export interface BgpPeerStatus {
  /** BIRD's protocol name ("Mesh_172_171_5_96"). */
  name: string;
  address: Ipv4;
  asn: number;
  /** 'iBGP' or 'eBGP'. */
  type: 'iBGP' | 'eBGP';
  rrClient: boolean;
  state: BgpState;
  /** Sim time (ns) of the last state change. */
  since: number;
  /** "Hold timer expired", "Received: Cease / Administrative Shutdown", "" when none. */
  lastError: string;
  /** The neighbour's BGP Identifier (0 until an OPEN arrived). */
  routerId: Ipv4;
  /** Our address on the session, when known. */
  localAddress: Ipv4 | undefined;
  /** Negotiated Hold Time and Keepalive, seconds, while Established. */
  holdTime: number | undefined;
  keepaliveTime: number | undefined;
  /** Routes received (Adj-RIB-In), accepted by import, and exported (Adj-RIB-Out). */
  received: number;
  accepted: number;
  exported: number;
}

/** A Loc-RIB candidate as `show route all` lists it. */
export interface BgpCandidateView {
  /** Where it came from: the peer's name, or 'local' for a route this speaker originates. */
  from: string;
  peerAddress: Ipv4 | undefined;
  attrs: PathAttributes;
  best: boolean;
}

/** One prefix of the Loc-RIB. */
export interface BgpRouteView {
  /** The RIB key (address * 64 + length), for ordering. */
  key: number;
  prefix: Ipv4Prefix;
  /** The chosen candidate first, then the others in arrival order. */
  candidates: BgpCandidateView[];
}

/** A snapshot of `peer`'s status. */
export function peerStatus(peer: BgpPeer): BgpPeerStatus {
  const t = peer.timers;
  return {
    name: peer.name,
    address: peer.peerAddr,
    asn: peer.config.asn,
    type: peer.ebgp ? 'eBGP' : 'iBGP',
    rrClient: peer.rrClient,
    state: peer.state,
    since: peer.since,
    lastError: peer.lastError,
    routerId: peer.peerBgpId,
    localAddress: peer.localAddress,
    holdTime: t?.hold,
    keepaliveTime: t?.keepalive,
    received: peer.adjIn.received,
    accepted: peer.adjIn.accepted,
    exported: peer.adjOut.size,
  };
}

function candidateView(c: Candidate, best: boolean): BgpCandidateView {
  const peer = c.source.local ? undefined : (c.source as BgpPeer);
  return { from: peer?.name ?? 'local', peerAddress: peer?.peerAddr, attrs: c.attrs, best };
}

/** A snapshot of one Loc-RIB entry. */
export function routeView(e: LocRibEntry): BgpRouteView {
  const best = e.best;
  const rest = e.candidates.filter((c) => c !== best).map((c) => candidateView(c, false));
  return {
    key: e.key,
    prefix: e.prefix,
    candidates: best === undefined ? rest : [candidateView(best, true), ...rest],
  };
}
