/**
 * br_netfilter (net/bridge/br_netfilter_hooks.c) with net.bridge.bridge-nf-call-iptables=1: IPv4 frames
 * that a bridge forwards between its ports go through the iptables hooks too: PREROUTING (conntrack, nat),
 * FORWARD (filter) and POSTROUTING (nat), with the bridge as the in and out device. This is what un-NATs a
 * pod's reply to another pod on the same bridge that reached it through a ClusterIP; without it the reply
 * keeps the pod's address and the client resets it (why kube-proxy and k3s turn it on). Not modelled: a
 * bridged frame whose destination a DNAT changes is re-routed by Linux (br_nf_pre_routing_finish); here it
 * stays bridged.
 */
import { ETH_HEADER_LEN, ETH_TYPE_OFF, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import type { Netfilter } from './netfilter/netfilter.js';

/**
 * Runs the bridged IPv4 frame in `frame` through `nf` for bridge `dev`. Returns false when netfilter dropped
 * it (the drop is already recorded), true to go on forwarding it (rewritten in place when NATed).
 */
export function bridgeNetfilter(nf: Netfilter, dev: string, frame: Uint8Array): boolean {
  if (((frame[ETH_TYPE_OFF]! << 8) | frame[ETH_TYPE_OFF + 1]!) !== ETHERTYPE_IPV4) return true;
  if (frame.length < ETH_HEADER_LEN + 20) return true;
  const ipLen = (frame[ETH_HEADER_LEN + 2]! << 8) | frame[ETH_HEADER_LEN + 3]!;
  if (ipLen < 20 || ipLen > frame.length - ETH_HEADER_LEN) return true;
  const ct = nf.prerouting(frame, ipLen, dev);
  if (ct === undefined) return false;
  // what `-m physdev --physdev-is-bridged` asks (xt_physdev: the skb has a bridge port as its out device)
  ct.bridged = true;
  if (!nf.forward(frame, ipLen, ct, dev, dev)) return false;
  return nf.postrouting(frame, ipLen, ct, dev);
}
