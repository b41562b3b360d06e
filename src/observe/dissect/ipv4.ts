/**
 * The IPv4 header (RFC 791) with its flags, fragment offset and options, and the dispatch on the protocol
 * number: ICMP, IP-in-IP (RFC 2003), TCP, UDP. A non-first fragment's payload is data, as Wireshark shows
 * it without reassembly.
 */
import { formatIpv4, readIpv4 } from '../../wire/addr.js';
import { IPPROTO_ICMP, IPPROTO_IPIP, IPPROTO_TCP, IPPROTO_UDP, IPV4_FLAG_MF, IPV4_VERSION } from '../../wire/ipv4.js';
import { bitField, dataLayer, field, hex, layer, malformed, setText, u16, u8 } from './build.js';
import { MAX_NESTING, push, type DissectContext } from './context.js';
import { dissectIcmp } from './icmp.js';
import { ipOptions } from './ipv4-options.js';
import { dissectTcp } from './tcp.js';
import { dissectUdp } from './udp.js';
import type { DissectedLayer } from './types.js';

const PROTOCOL_NAMES: Record<number, string> = {
  [IPPROTO_ICMP]: 'ICMP',
  [IPPROTO_IPIP]: 'IPIP',
  [IPPROTO_TCP]: 'TCP',
  [IPPROTO_UDP]: 'UDP',
};

// RFC 2474 / RFC 4594 code points as Wireshark names them
const DSCP_NAMES: Record<number, [string, string]> = {
  0: ['CS0', 'Default'],
  8: ['CS1', 'Class Selector 1'],
  10: ['AF11', 'Assured Forwarding 11'],
  16: ['CS2', 'Class Selector 2'],
  18: ['AF21', 'Assured Forwarding 21'],
  24: ['CS3', 'Class Selector 3'],
  26: ['AF31', 'Assured Forwarding 31'],
  32: ['CS4', 'Class Selector 4'],
  34: ['AF41', 'Assured Forwarding 41'],
  40: ['CS5', 'Class Selector 5'],
  46: ['EF PHB', 'Expedited Forwarding'],
  48: ['CS6', 'Class Selector 6'],
  56: ['CS7', 'Class Selector 7'],
};
// RFC 3168 §5
const ECN_NAMES: [string, string][] = [
  ['Not-ECT', 'Not ECN-Capable Transport'],
  ['ECT(1)', "ECN-Capable Transport codepoint '01'"],
  ['ECT(0)', "ECN-Capable Transport codepoint '10'"],
  ['CE', 'Congestion Experienced'],
];

/** Dissects an IPv4 packet at `off`; the frame may end at `end`. */
export function dissectIpv4(c: DissectContext, off: number, end: number): void {
  const f = c.f;
  const l = push(c, layer('ip', 'Internet Protocol Version 4', off, Math.min(20, Math.max(0, end - off))));
  if (end - off < 20) {
    malformed(l, 'IPv4 header needs 20 bytes');
    return;
  }
  const version = u8(f, off) >> 4;
  const ihl = (u8(f, off) & 0x0f) * 4;
  const total = u16(f, off + 2);
  const src = formatIpv4(readIpv4(f, off + 12));
  const dst = formatIpv4(readIpv4(f, off + 16));
  l.fields.push(bitField(f, 'ip.version', `Version: ${version}`, off, 1, 0xf0, version));
  if (version !== IPV4_VERSION) {
    malformed(l, `IP version ${version}, not 4`);
    return;
  }
  l.fields.push(bitField(f, 'ip.hdr_len', `Header Length: ${ihl} bytes (${ihl / 4})`, off, 1, 0x0f, ihl));
  // RFC 791: IHL counts 32-bit words and is at least 5 (tshark: "Bogus IPv4 header length")
  if (ihl < 20 || end - off < ihl) {
    malformed(l, ihl < 20 ? `bogus IPv4 header length ${ihl}` : `IPv4 header of ${ihl} bytes cut short`);
    return;
  }
  l.title = `Internet Protocol Version 4, Src: ${src}, Dst: ${dst}`;
  l.length = ihl;
  headerFields(c, l, off);
  l.fields.push(
    field('ip.src', `Source Address: ${src}`, off + 12, 4, src),
    field('ip.dst', `Destination Address: ${dst}`, off + 16, 4, dst),
  );
  if (ihl > 20) l.fields.push(ipOptions(f, off + 20, off + ihl));
  if (total < ihl) {
    malformed(l, `total length ${total} is less than the header length ${ihl}`);
    return;
  }
  if (total > end - off && !c.quoted)
    l.error = `[Malformed Packet: total length ${total} exceeds the ${end - off} bytes captured]`;
  const payloadEnd = Math.min(end, off + total);
  const fragWord = u16(f, off + 6);
  const l4 = off + ihl;
  if ((fragWord & 0x1fff) !== 0) {
    if (payloadEnd > l4) push(c, dataLayer(f, l4, payloadEnd - l4));
    return;
  }
  const proto = u8(f, off + 9);
  const wasPartial = c.partial;
  c.partial = (fragWord & IPV4_FLAG_MF) !== 0;
  dispatch(c, proto, l4, payloadEnd);
  c.partial = wasPartial;
}

/** Dissects the payload of protocol `proto` at [l4, end). */
function dispatch(c: DissectContext, proto: number, l4: number, payloadEnd: number): void {
  const f = c.f;
  if (proto === IPPROTO_ICMP) dissectIcmp(c, l4, payloadEnd);
  else if (proto === IPPROTO_UDP) dissectUdp(c, l4, payloadEnd);
  else if (proto === IPPROTO_TCP) dissectTcp(c, l4, payloadEnd);
  else if (proto === IPPROTO_IPIP && c.depth < MAX_NESTING) {
    c.depth++;
    c.ipv4(c, l4, payloadEnd);
    c.depth--;
  } else if (payloadEnd > l4) push(c, dataLayer(f, l4, payloadEnd - l4));
}

/** The fields from the DS field to the checksum. */
function headerFields(c: DissectContext, l: DissectedLayer, off: number): void {
  const f = c.f;
  const ds = u8(f, off + 1);
  const dscp = ds >> 2;
  const ecn = ds & 3;
  const [dscpShort, dscpLong] = DSCP_NAMES[dscp] ?? [`Unknown (${dscp})`, 'Unknown'];
  const [ecnShort, ecnLong] = ECN_NAMES[ecn]!;
  const total = u16(f, off + 2);
  const id = u16(f, off + 4);
  const fw = u16(f, off + 6);
  const flags = fw >> 13;
  const flagNames = [
    fw & 0x8000 ? ', Reserved' : '',
    fw & 0x4000 ? ", Don't fragment" : '',
    fw & 0x2000 ? ', More fragments' : '',
  ];
  const ttl = u8(f, off + 8);
  const proto = u8(f, off + 9);
  const sum = u16(f, off + 10);
  l.fields.push(
    field(
      'ip.dsfield',
      `Differentiated Services Field: ${hex(ds, 2)} (DSCP: ${dscpShort}, ECN: ${ecnShort})`,
      off + 1,
      1,
      hex(ds, 2),
      [
        bitField(
          f,
          'ip.dsfield.dscp',
          `Differentiated Services Codepoint: ${dscpLong} (${dscp})`,
          off + 1,
          1,
          0xfc,
          dscp,
        ),
        bitField(f, 'ip.dsfield.ecn', `Explicit Congestion Notification: ${ecnLong} (${ecn})`, off + 1, 1, 0x03, ecn),
      ],
    ),
    field('ip.len', `Total Length: ${total}`, off + 2, 2, total),
    field('ip.id', `Identification: ${hex(id, 4)} (${id})`, off + 4, 2, hex(id, 4)),
    {
      ...bitField(
        f,
        'ip.flags',
        `Flags: 0x${flags.toString(16)}${flagNames.join('')}`,
        off + 6,
        1,
        0xe0,
        hex(flags, 2),
      ),
      children: [
        bitField(f, 'ip.flags.rb', `Reserved bit: ${setText((fw & 0x8000) !== 0)}`, off + 6, 1, 0x80, fw >> 15),
        bitField(f, 'ip.flags.df', `Don't fragment: ${setText((fw & 0x4000) !== 0)}`, off + 6, 1, 0x40, (fw >> 14) & 1),
        bitField(f, 'ip.flags.mf', `More fragments: ${setText((fw & 0x2000) !== 0)}`, off + 6, 1, 0x20, (fw >> 13) & 1),
      ],
    },
    // the field counts 8-byte units; Wireshark shows the value and labels the byte offset
    bitField(f, 'ip.frag_offset', `Fragment Offset: ${(fw & 0x1fff) * 8}`, off + 6, 2, 0x1fff, fw & 0x1fff),
    field('ip.ttl', `Time to Live: ${ttl}`, off + 8, 1, ttl),
    field('ip.proto', `Protocol: ${PROTOCOL_NAMES[proto] ?? 'Unknown'} (${proto})`, off + 9, 1, proto),
    field('ip.checksum', `Header Checksum: ${hex(sum, 4)} [validation disabled]`, off + 10, 2, hex(sum, 4)),
  );
}
