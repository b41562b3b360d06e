/**
 * `podnet serve --bgp-peer`: one emulated speaker (the cluster's route reflector, or its first node) gets an
 * outside neighbour reached over a real socket, as a ToR router peers with a Calico cluster. Calico names
 * such a neighbour as a global BGPPeer (confd's bird.cfg template: `Global_<ip with _>`), so `calicoctl node
 * status` shows it as "global". The speaker must have been built on an OutsidePeerConnector (the connector
 * decides per neighbour which network a session uses). The speaker's own log carries the session's state
 * changes ("Global_10_0_0_254: OpenConfirm -> Established"); this file adds one line per route learned from
 * the outside peer or lost, in a fixed format.
 */
import type { BgpPeer } from '../control/bgp/peer.js';
import type { BgpSpeaker } from '../control/bgp/speaker.js';
import { formatCidr, formatIpv4, type Ipv4 } from '../wire/addr.js';
import { BGP_PORT } from '../wire/bgp.js';
import type { OutsidePeerConnector } from './bgp-outside-connector.js';
import { birdProtocolName } from '../cluster/calico-peers.js';

/** The outside peer, as `--bgp-peer ADDR[:PORT],as=N` gives it. */
export interface OutsidePeer {
  address: Ipv4;
  port: number;
  asn: number;
}

/**
 * Calico's protocol name for a global BGPPeer at `addr`: `Global_10_0_0_254`, with `_port_N` when the peer
 * is not on BGP's port (confd bgp_processor.go buildPeerFromData appends it for a peerIP given with a port).
 */
export function globalPeerName(addr: Ipv4, port = BGP_PORT): string {
  return birdProtocolName('Global', addr, port !== BGP_PORT ? port : undefined);
}

/**
 * Adds `peer` to `speaker` over real sockets and logs, one line each, every prefix whose best route becomes
 * one from that peer (`bgp Global_X: route P via NH`) and every such route that goes
 * (`bgp Global_X: route P withdrawn`). Returns the speaker's peer (its status, to stop it).
 */
export function attachBgpPeer(
  speaker: BgpSpeaker,
  connector: OutsidePeerConnector,
  peer: OutsidePeer,
  log: (line: string) => void,
): BgpPeer {
  const name = globalPeerName(peer.address, peer.port);
  connector.addOutsidePeer(peer.address);
  const added = speaker.addPeer({ address: peer.address, asn: peer.asn, port: peer.port, name });
  /** Prefixes whose best route is the outside peer's, by their text. */
  const fromOutside = new Set<string>();
  speaker.onBestChange((prefix, best) => {
    const p = formatCidr(prefix);
    if (best !== undefined && best.source === added) {
      fromOutside.add(p);
      log(`bgp ${name}: route ${p} via ${formatIpv4(best.attrs.nextHop ?? peer.address)}`);
    } else if (fromOutside.delete(p)) {
      log(`bgp ${name}: route ${p} withdrawn`);
    }
  });
  return added;
}
