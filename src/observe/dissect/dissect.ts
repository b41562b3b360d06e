/**
 * The frame inspector's decoder: an Ethernet frame's bytes -> its layers, outermost first, each with
 * fields that know their byte ranges (see types.ts). Isomorphic (no Node APIs) so the web UI runs it in
 * the browser; never throws on input: a layer cut short or contradicting itself is returned with `error`
 * set, as Wireshark marks '[Malformed Packet]', and decoding stops there.
 */
import { VXLAN_PORT_IANA, VXLAN_PORT_LINUX } from '../../wire/vxlan.js';
import { IP_IN_UDP_PORTS } from '../summary.js';
import type { DissectContext } from './context.js';
import { dissectEthernet } from './ethernet.js';
import { dissectIpv4 } from './ipv4.js';
import type { DissectedLayer, DissectOptions } from './types.js';

/** Decodes an Ethernet frame into layers, as Wireshark's details pane shows it. */
export function dissectFrame(frame: Uint8Array, opts: DissectOptions = {}): DissectedLayer[] {
  const c: DissectContext = {
    f: frame,
    out: [],
    vxlanPorts: opts.vxlanPorts ?? [VXLAN_PORT_IANA, VXLAN_PORT_LINUX],
    ipInUdpPorts: opts.ipInUdpPorts ?? IP_IN_UDP_PORTS,
    depth: 0,
    quoted: false,
    partial: false,
    ethernet: dissectEthernet,
    ipv4: dissectIpv4,
  };
  dissectEthernet(c, 0, frame.length);
  return c.out;
}
