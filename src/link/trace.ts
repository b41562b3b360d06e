/**
 * What devices tell observers. Devices call these hooks only when a tracer is attached, so an untraced run
 * pays one null check per decision. Formatting, tables and pcaps live in observe/; this file is only the contract.
 */

/**
 * Why a frame or packet was discarded. One union for every device, so counters and traces share names
 * (ns-3 style: every drop fires a trace with a reason).
 */
export type DropReason =
  | 'queue-full' // link transmit queue at its limit (tail drop)
  | 'link-loss' // lost on the wire (seeded random loss)
  | 'link-down' // port not connected
  | 'mtu-exceeded' // larger than the link or interface MTU and not fragmentable
  | 'malformed' // failed to parse (truncated, bad lengths, bad version)
  | 'bad-checksum' // IPv4 header, UDP, ICMP or TCP checksum wrong
  | 'vlan-mismatch' // tag not allowed on this port, or tagged frame on an access port/untagged NIC
  | 'same-port' // switch: destination learned on the port the frame came in on (filtered)
  | 'not-for-us' // NIC: destination MAC is neither ours nor broadcast; host: IP not ours and not forwarding
  | 'no-route' // no route to the destination
  | 'route-blackhole' // the route is `blackhole` (silently discarded, as Calico's per-block routes do)
  | 'route-unreachable' // the route is `unreachable` (ICMP host unreachable)
  | 'route-prohibit' // the route is `prohibit` (ICMP administratively prohibited)
  | 'martian' // IPv4: a 127/8 source or destination on a device other than lo (Linux ip_route_input_slow)
  | 'ttl-expired' // TTL reached zero in transit
  | 'arp-timeout' // next hop never answered ARP
  | 'arp-queue-full' // too many packets waiting for one ARP resolution
  | 'no-listener' // UDP/TCP port closed
  | 'listen-overflow' // TCP: SYN to a listener whose backlog is full (Linux ListenOverflows)
  | 'out-of-window' // TCP: segment outside the receive window, or an ACK for unsent data (RFC 9293 §3.10.7.4)
  | 'tcp-paws' // TCP: TSval older than TS.Recent, an old duplicate (RFC 7323 §5 PAWS; Linux PAWSEstabRejected)
  | 'tcp-state' // TCP: segment not valid in the connection's state (RST to a listener, no ACK bit, ...)
  | 'unhandled-protocol' // IP protocol or ethertype nobody handles
  | 'policy' // filtered by a rule (netfilter-like)
  | 'fragment-timeout' // reassembly never completed
  | 'no-fdb-entry' // VXLAN: no forwarding entry and no flood list for the destination MAC
  | 'arp-suppressed' // VXLAN with ARP proxy: a request the table cannot answer is not flooded (Linux arp_reduce)
  | 'unknown-vni' // VXLAN packet for a VNI this VTEP does not have
  | 'stp-port-state'; // STP: the port is blocking, listening or learning, so the frame is not forwarded (802.1D 8.4)

/** The observer interface. Every hook is optional. */
export interface Tracer {
  /** A device puts `frame` on the wire of `outPort` (called before the link queues it; copy it if you keep it). */
  frame?(time: number, device: string, inPort: string | undefined, outPort: string, frame: Uint8Array): void;
  /** A device explains a decision ("learned aa:.. on p1", "matched route 10.0.1.0/24 via ..."). */
  note?(time: number, device: string, message: string): void;
  /** A device discarded a frame or packet. `frame` may be undefined for drops of internal state. */
  drop?(
    time: number,
    device: string,
    port: string | undefined,
    reason: DropReason,
    detail: string,
    frame: Uint8Array | undefined,
  ): void;
  /** A link delivered or lost a frame. */
  capture?(time: number, linkId: string, frame: Uint8Array): void;
}
