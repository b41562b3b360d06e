/**
 * The frame dissector the inspector uses, behind one interface: a placeholder until the isomorphic
 * dissector of src/observe/dissect/ lands, then a re-export of it. Layers and fields carry their byte
 * offset and length in the frame, named with tshark's field abbreviations.
 */
import { formatIpv4, formatMac, readIpv4, readMac } from '../../wire/addr.js';

/** One field of a layer, with the bytes it covers. */
export interface DissectedField {
  name: string;
  label: string;
  offset: number;
  length: number;
  value?: string | number;
  children?: DissectedField[];
}

/** One layer of a frame (Ethernet, IPv4, UDP, VXLAN, ...), with the bytes it covers. */
export interface DissectedLayer {
  id: string;
  title: string;
  offset: number;
  length: number;
  fields: DissectedField[];
  error?: string;
}

const u16 = (b: Uint8Array, o: number): number => ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);

/** Decodes `frame` layer by layer (Ethernet II, 802.1Q, ARP, IPv4, ICMP, UDP, TCP, VXLAN with its inner frame). */
export function dissectFrame(frame: Uint8Array, base = 0, out: DissectedLayer[] = []): DissectedLayer[] {
  const f = (name: string, label: string, offset: number, length: number, value?: string | number): DissectedField =>
    value === undefined
      ? { name, label, offset: base + offset, length }
      : { name, label, offset: base + offset, length, value };
  if (frame.length < 14) {
    out.push({
      id: 'eth',
      title: 'Ethernet II [Malformed]',
      offset: base,
      length: frame.length,
      fields: [],
      error: 'truncated',
    });
    return out;
  }
  const dst = formatMac(readMac(frame, 0));
  const src = formatMac(readMac(frame, 6));
  let type = u16(frame, 12);
  const eth: DissectedLayer = {
    id: 'eth',
    title: `Ethernet II, Src: ${src}, Dst: ${dst}`,
    offset: base,
    length: 14,
    fields: [f('eth.dst', `Destination: ${dst}`, 0, 6, dst), f('eth.src', `Source: ${src}`, 6, 6, src)],
  };
  out.push(eth);
  let off = 14;
  if (type === 0x8100 && frame.length >= 18) {
    eth.fields.push(f('eth.type', 'Type: 802.1Q Virtual LAN (0x8100)', 12, 2, type));
    const tci = u16(frame, 14);
    type = u16(frame, 16);
    out.push({
      id: 'vlan',
      title: `802.1Q Virtual LAN, PRI: ${tci >> 13}, DEI: ${(tci >> 12) & 1}, ID: ${tci & 0xfff}`,
      offset: base + 14,
      length: 4,
      fields: [
        f('vlan.id', `ID: ${tci & 0xfff}`, 14, 2, tci & 0xfff),
        f('vlan.etype', `Type: 0x${type.toString(16).padStart(4, '0')}`, 16, 2, type),
      ],
    });
    off = 18;
  } else eth.fields.push(f('eth.type', `Type: 0x${type.toString(16).padStart(4, '0')}`, 12, 2, type));
  if (type === 0x0806 && frame.length >= off + 28) {
    const op = u16(frame, off + 6);
    out.push({
      id: 'arp',
      title: `Address Resolution Protocol (${op === 1 ? 'request' : op === 2 ? 'reply' : op})`,
      offset: base + off,
      length: 28,
      fields: [
        f('arp.opcode', `Opcode: ${op}`, off + 6, 2, op),
        f('arp.src.hw_mac', `Sender MAC address: ${formatMac(readMac(frame, off + 8))}`, off + 8, 6),
        f('arp.src.proto_ipv4', `Sender IP address: ${formatIpv4(readIpv4(frame, off + 14))}`, off + 14, 4),
        f('arp.dst.hw_mac', `Target MAC address: ${formatMac(readMac(frame, off + 18))}`, off + 18, 6),
        f('arp.dst.proto_ipv4', `Target IP address: ${formatIpv4(readIpv4(frame, off + 24))}`, off + 24, 4),
      ],
    });
    return out;
  }
  if (type === 0x0800) dissectIpv4(frame, off, base, out);
  return out;
}

function dissectIpv4(b: Uint8Array, off: number, base: number, out: DissectedLayer[]): void {
  const f = (name: string, label: string, o: number, length: number, value?: string | number): DissectedField =>
    value === undefined ? { name, label, offset: base + o, length } : { name, label, offset: base + o, length, value };
  if (b.length < off + 20) return;
  const ihl = ((b[off] ?? 0) & 0xf) * 4;
  const total = u16(b, off + 2);
  const ttl = b[off + 8] ?? 0;
  const proto = b[off + 9] ?? 0;
  const src = formatIpv4(readIpv4(b, off + 12));
  const dst = formatIpv4(readIpv4(b, off + 16));
  out.push({
    id: 'ip',
    title: `Internet Protocol Version 4, Src: ${src}, Dst: ${dst}`,
    offset: base + off,
    length: ihl,
    fields: [
      f('ip.len', `Total Length: ${total}`, off + 2, 2, total),
      f(
        'ip.id',
        `Identification: 0x${u16(b, off + 4)
          .toString(16)
          .padStart(4, '0')}`,
        off + 4,
        2,
      ),
      f('ip.ttl', `Time to Live: ${ttl}`, off + 8, 1, ttl),
      f('ip.proto', `Protocol: ${proto}`, off + 9, 1, proto),
      f(
        'ip.checksum',
        `Header Checksum: 0x${u16(b, off + 10)
          .toString(16)
          .padStart(4, '0')}`,
        off + 10,
        2,
      ),
      f('ip.src', `Source Address: ${src}`, off + 12, 4, src),
      f('ip.dst', `Destination Address: ${dst}`, off + 16, 4, dst),
    ],
  });
  const l4 = off + ihl;
  if (proto === 1 && b.length >= l4 + 8) {
    const t = b[l4] ?? 0;
    out.push({
      id: 'icmp',
      title: `Internet Control Message Protocol (type ${t})`,
      offset: base + l4,
      length: b.length - l4,
      fields: [
        f('icmp.type', `Type: ${t}`, l4, 1, t),
        f('icmp.code', `Code: ${b[l4 + 1] ?? 0}`, l4 + 1, 1, b[l4 + 1] ?? 0),
        f('icmp.ident', `Identifier: ${u16(b, l4 + 4)}`, l4 + 4, 2, u16(b, l4 + 4)),
        f('icmp.seq', `Sequence Number: ${u16(b, l4 + 6)}`, l4 + 6, 2, u16(b, l4 + 6)),
      ],
    });
  } else if (proto === 17 && b.length >= l4 + 8) {
    const sp = u16(b, l4);
    const dp = u16(b, l4 + 2);
    out.push({
      id: 'udp',
      title: `User Datagram Protocol, Src Port: ${sp}, Dst Port: ${dp}`,
      offset: base + l4,
      length: 8,
      fields: [
        f('udp.srcport', `Source Port: ${sp}`, l4, 2, sp),
        f('udp.dstport', `Destination Port: ${dp}`, l4 + 2, 2, dp),
        f('udp.length', `Length: ${u16(b, l4 + 4)}`, l4 + 4, 2, u16(b, l4 + 4)),
        f(
          'udp.checksum',
          `Checksum: 0x${u16(b, l4 + 6)
            .toString(16)
            .padStart(4, '0')}`,
          l4 + 6,
          2,
        ),
      ],
    });
    const v = l4 + 8;
    if ((dp === 4789 || dp === 8472) && b.length >= v + 8) {
      const vni = ((b[v + 4] ?? 0) << 16) | ((b[v + 5] ?? 0) << 8) | (b[v + 6] ?? 0);
      out.push({
        id: 'vxlan',
        title: `Virtual eXtensible Local Area Network, VNI: ${vni}`,
        offset: base + v,
        length: 8,
        fields: [
          f('vxlan.flags', `Flags: 0x${(b[v] ?? 0).toString(16)}`, v, 1),
          f('vxlan.vni', `VXLAN Network Identifier (VNI): ${vni}`, v + 4, 3, vni),
        ],
      });
      dissectFrame(b.subarray(v + 8), base + v + 8, out);
    }
  } else if (proto === 6 && b.length >= l4 + 20) {
    const sp = u16(b, l4);
    const dp = u16(b, l4 + 2);
    out.push({
      id: 'tcp',
      title: `Transmission Control Protocol, Src Port: ${sp}, Dst Port: ${dp}`,
      offset: base + l4,
      length: ((b[l4 + 12] ?? 0) >> 4) * 4,
      fields: [
        f('tcp.srcport', `Source Port: ${sp}`, l4, 2, sp),
        f('tcp.dstport', `Destination Port: ${dp}`, l4 + 2, 2, dp),
      ],
    });
  }
}

/** One row of a hex dump: offset, 16 bytes. */
export interface HexRow {
  offset: number;
  bytes: number[];
}

/** The frame as hex dump rows of 16 bytes. */
export function hexRows(frame: Uint8Array): HexRow[] {
  const rows: HexRow[] = [];
  for (let o = 0; o < frame.length; o += 16) rows.push({ offset: o, bytes: [...frame.subarray(o, o + 16)] });
  return rows;
}

/** The deepest field covering byte `at` (for the reverse highlight), or undefined. */
export function fieldAt(layers: readonly DissectedLayer[], at: number): DissectedField | undefined {
  let best: DissectedField | undefined;
  const visit = (fs: readonly DissectedField[]): void => {
    for (const x of fs)
      if (at >= x.offset && at < x.offset + x.length) {
        if (best === undefined || x.length <= best.length) best = x;
        if (x.children) visit(x.children);
      }
  };
  for (const l of layers) visit(l.fields);
  return best;
}

/** A short label for a device's decision, from a trace note or drop. */
export function hopLabel(message: string): string {
  let m: RegExpExecArray | null;
  if ((m = /matched route (\S+) (?:via \S+ )?dev (\S+)/.exec(message)) !== null) return `matched ${m[1]} via ${m[2]}`;
  if ((m = /decapsulated VNI (\d+)/.exec(message)) !== null) return `decapsulated VNI ${m[1]}`;
  if ((m = /static FDB entry, VNI (\d+)/.exec(message)) !== null) return `encapsulated VNI ${m[1]}`;
  if (/: learned /.test(message) || message.startsWith('learned ')) return 'learned';
  if (/flooded/.test(message)) return 'flooded';
  if ((m = /DNAT to (\S+)/i.exec(message)) !== null) return `DNAT to ${m[1]}`;
  if (/echo request from .*: replying/.test(message)) return 'replied';
  return message.length > 40 ? `${message.slice(0, 38)}…` : message;
}
