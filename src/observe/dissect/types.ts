/**
 * The shapes the frame inspector renders: a frame as a list of layers (Wireshark's details pane), each with
 * fields that carry their byte range, so a field selects its bytes in the hex dump and a byte selects its
 * field. Field names are tshark's display-filter abbreviations (`ip.ttl`, `vxlan.vni`), values are what
 * tshark's PDML prints as `show`, and labels are Wireshark's tree text; test/dissect-tshark.test.ts checks
 * them against the real tshark. Building the layers is dissect.ts's job.
 */

/** One item of a layer's tree: a header field, a bit field, or a text-only line (name ''). */
export interface DissectedField {
  /** tshark's field abbreviation, e.g. `ip.ttl`; '' for a text-only line (as Wireshark's PDML prints). */
  name: string;
  /** Wireshark's tree text, e.g. 'Time to Live: 63' or '.1.. .... = Don't fragment: Set'. */
  label: string;
  /** First byte, from the start of the frame. */
  offset: number;
  /** Bytes covered; bit fields share their bytes with their neighbours (see `bitmask`). */
  length: number;
  /** The value as tshark's PDML `show` attribute prints it: '63', '0x0800', '10.42.1.3', '02:00:..'. */
  value: string;
  /** For a bit field: which bits of its bytes (big-endian over `length` bytes) it is. */
  bitmask?: number;
  /** Sub-items (a flags word's bits, an option's kind and length, a DNS answer's fields). */
  children?: DissectedField[];
}

/** One protocol layer of a frame, as one top-level line of Wireshark's details pane. */
export interface DissectedLayer {
  /** tshark's protocol name: 'eth', 'vlan', 'arp', 'ip', 'icmp', 'udp', 'tcp', 'vxlan', 'dns', 'http', ... */
  id: string;
  /** Wireshark's tree line, e.g. 'Internet Protocol Version 4, Src: 10.42.0.2, Dst: 10.42.1.3'. */
  title: string;
  /** First byte of the layer in the frame. */
  offset: number;
  /** Bytes the layer covers (a header, or a whole message where Wireshark's protocol item covers one). */
  length: number;
  /** The layer's fields in tree order. */
  fields: DissectedField[];
  /** True for the packet quoted inside an ICMP error (and what it carries). */
  quoted?: boolean;
  /** Set when the bytes are cut short or contradict themselves: Wireshark's '[Malformed Packet]'. */
  error?: string;
}

/** How to decode what is not self-describing (which UDP ports carry what). */
export interface DissectOptions {
  /** UDP destination ports decoded as VXLAN (default: IANA's 4789 and Linux/Flannel's 8472). */
  vxlanPorts?: readonly number[];
  /** UDP destination ports whose payload is a bare IPv4 packet (default: flannel's udp backend, 8285). */
  ipInUdpPorts?: readonly number[];
}
