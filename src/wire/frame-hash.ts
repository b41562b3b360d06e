/**
 * The one thing a frame carries beside its bytes: the flow hash Linux keeps in the sk_buff (skb->hash)
 * when it is an L4 hash (l4_hash set). It matters where a device derives a field from it: the outer UDP
 * source port of VXLAN (udp_flow_src_port takes skb_get_hash, which returns a hash already there).
 *
 * Where it comes from, as in the kernel: a socket's random sk_txhash, copied to every skb the socket sends
 * (skb_set_hash_from_sk, in __tcp_transmit_skb and skb_set_owner_w); a SYN-ACK's request sock's
 * (tcp_make_synack); or the flow dissector's hash that skb_get_hash computed over ports (marked l4). A
 * hash that is not L4 (ICMP, ARP, a fragment) is cleared by the tunnel that computed it (iptunnel_xmit:
 * skb_clear_hash_if_not_l4), so only L4 hashes are ever kept here.
 *
 * Where it survives: veth and netns crossings (skb_scrub_packet leaves it), bridges and switches (clones
 * copy it: __copy_skb_header), routing and NAT (both rewrite the packet in place), fragmentation
 * (ip_copy_metadata: skb_copy_hash), tunnel encapsulation and decapsulation (iptunnel_xmit and
 * __iptunnel_pull_header clear only a hash that is not L4). A packet made anew (an ICMP error, a RST for
 * no socket, a TUN write) starts without one.
 *
 * Frames are views into shared slabs (frame-alloc.ts), so the hash is kept per view object in a WeakMap:
 * a frame forwarded in place keeps its hash at no cost; code that makes a new view or copy of a frame it
 * forwards carries the hash over (carryFrameHash). Values are whatever the model drew from its own
 * random stream, so runs stay deterministic.
 */

const hashes = new WeakMap<Uint8Array, number>();

/** The L4 flow hash `frame` carries (skb->hash with l4_hash set), if any. */
export function frameHash(frame: Uint8Array): number | undefined {
  return hashes.get(frame);
}

/** Gives `frame` the L4 flow hash `hash` (a 32-bit value, never 0: Linux's "no hash"). */
export function setFrameHash(frame: Uint8Array, hash: number): void {
  hashes.set(frame, hash >>> 0);
}

/** `to` (a new view or copy of `from`) carries `from`'s hash, as an skb keeps its own through a rewrite. */
export function carryFrameHash(from: Uint8Array, to: Uint8Array): void {
  const h = hashes.get(from);
  if (h !== undefined) hashes.set(to, h);
}
