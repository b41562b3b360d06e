/**
 * The TCP header (RFC 9293 §3.1) with its flags and options (MSS, window scale RFC 7323, SACK RFC 2018,
 * timestamps RFC 7323), then the payload: BGP on port 179, DNS on 53 (with its length prefix, RFC 1035
 * §4.2.2), HTTP when the payload starts with a request or status line, data otherwise. Sequence numbers are
 * the raw ones: one frame alone has no stream to make them relative.
 */
import { BGP_PORT } from '../../wire/bgp-codes.js';
import { dissectBgp } from './bgp.js';
import {
  bitField,
  bitPattern,
  colonHex,
  dataLayer,
  field,
  hex,
  layer,
  malformed,
  setText,
  u16,
  u32,
  u8,
} from './build.js';
import { push, type DissectContext } from './context.js';
import { DNS_PORT, dissectDns } from './dns.js';
import { dissectHttp, looksLikeHttp } from './http.js';
import type { DissectedField } from './types.js';

// bit (in the 12-bit flags word), field suffix, label text, short name in the summary
const FLAGS: [number, string, string, string][] = [
  [0x100, 'ae', 'Accurate ECN', 'AE'],
  [0x080, 'cwr', 'Congestion Window Reduced', 'CWR'],
  [0x040, 'ece', 'ECN-Echo', 'ECE'],
  [0x020, 'urg', 'Urgent', 'URG'],
  [0x010, 'ack', 'Acknowledgment', 'ACK'],
  [0x008, 'push', 'Push', 'PSH'],
  [0x004, 'reset', 'Reset', 'RST'],
  [0x002, 'syn', 'Syn', 'SYN'],
  [0x001, 'fin', 'Fin', 'FIN'],
];
// Wireshark lists set flags from the lowest bit up: (FIN, PSH, ACK)
const SUMMARY_ORDER = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'AE'];

/** The flags word and its bits; the 12-bit word spans bytes 12-13 (4 reserved-or-AE bits, then 8 flags). */
function flagsField(f: Uint8Array, off: number): DissectedField {
  const word = u16(f, off + 12) & 0x0fff;
  const set = FLAGS.filter(([b]) => word & b).map(([, , , s]) => s);
  set.sort((a, b) => SUMMARY_ORDER.indexOf(a) - SUMMARY_ORDER.indexOf(b));
  const summary = set.length > 0 ? ` (${set.join(', ')})` : '';
  // Wireshark draws each bit in the 12-bit word, though the item covers only the byte holding it
  const bit = (name: string, mask: number, text: string, at: number, byteMask: number, v: number): DissectedField => ({
    name,
    label: `${bitPattern(word, mask, 12)} = ${text}`,
    offset: at,
    length: 1,
    value: String(v),
    bitmask: byteMask,
  });
  const children = [
    bit('tcp.flags.res', 0xe00, `Reserved: ${setText((word & 0xe00) !== 0)}`, off + 12, 0x0e, (word >> 9) & 7),
  ];
  for (const [b, name, text] of FLAGS) {
    const at = b >= 0x100 ? off + 12 : off + 13;
    const byteMask = b >= 0x100 ? b >> 8 : b;
    children.push(bit(`tcp.flags.${name}`, b, `${text}: ${setText((word & b) !== 0)}`, at, byteMask, word & b ? 1 : 0));
  }
  const letters = 'RRRACEUAPRSF';
  let str = '';
  for (let i = 0; i < 12; i++) str += word & (0x800 >> i) ? letters[i]! : '·';
  children.push(field('tcp.flags.str', `TCP Flags: ${str}`, off + 12, 2, str));
  return field('tcp.flags', `Flags: ${hex(word, 3)}${summary}`, off + 12, 2, hex(word, 4), children);
}

const OPTION_KINDS: Record<number, [string, string, string]> = {
  0: ['eol', 'End of Option List (EOL)', 'End of Option List'],
  1: ['nop', 'No-Operation (NOP)', 'No-Operation'],
  2: ['mss', 'Maximum segment size', 'Maximum Segment Size'],
  3: ['wscale', 'Window scale', 'Window Scale'],
  4: ['sack_perm', 'SACK permitted', 'SACK Permitted'],
  5: ['sack', 'SACK', 'SACK'],
  8: ['timestamp', 'Timestamps', 'Time Stamp Option'],
};

/** The options [off, end) as Wireshark's 'Options' field with one child per option. */
function optionsField(f: Uint8Array, off: number, end: number): DissectedField {
  const items: DissectedField[] = [];
  const names: string[] = [];
  let p = off;
  while (p < end) {
    const kind = u8(f, p);
    const known = OPTION_KINDS[kind];
    const kindField = field('tcp.option_kind', `Kind: ${known?.[2] ?? 'Unknown'} (${kind})`, p, 1, kind);
    names.push(known?.[1] ?? 'Unknown');
    if (kind === 0 || kind === 1) {
      items.push(field(`tcp.options.${known![0]}`, `TCP Option - ${known![1]}`, p, 1, colonHex(f, p, 1), [kindField]));
      p++;
      if (kind === 0) break;
      continue;
    }
    const len = u8(f, p + 1);
    if (p + 2 > end || len < 2 || p + len > end) {
      items.push(
        field('', `TCP Option - ${known?.[1] ?? 'Unknown'}: bad length ${len}`, p, end - p, colonHex(f, p, end - p), [
          kindField,
        ]),
      );
      break;
    }
    const children = [kindField, field('tcp.option_len', `Length: ${len}`, p + 1, 1, len)];
    let title = `TCP Option - ${known?.[1] ?? `Unknown (${kind})`}`;
    if (kind === 2 && len === 4) {
      const mss = u16(f, p + 2);
      title += `: ${mss} bytes`;
      children.push(field('tcp.options.mss_val', `MSS Value: ${mss}`, p + 2, 2, mss));
    } else if (kind === 3 && len === 3) {
      const shift = u8(f, p + 2);
      const mult = 2 ** Math.min(shift, 14);
      title += `: ${shift} (multiply by ${mult})`;
      children.push(
        field('tcp.options.wscale.shift', `Shift count: ${shift}`, p + 2, 1, shift),
        field('tcp.options.wscale.multiplier', `Multiplier: ${mult}`, p + 2, 1, mult),
      );
    } else if (kind === 8 && len === 10) {
      const tsval = u32(f, p + 2);
      const tsecr = u32(f, p + 6);
      title += `: TSval ${tsval}, TSecr ${tsecr}`;
      children.push(
        field('tcp.options.timestamp.tsval', `Timestamp value: ${tsval}`, p + 2, 4, tsval),
        field('tcp.options.timestamp.tsecr', `Timestamp echo reply: ${tsecr}`, p + 6, 4, tsecr),
      );
    } else if (kind === 5) {
      // raw edges, as tshark shows them without sequence analysis (one frame alone has no stream)
      const edges: string[] = [];
      for (let e = p + 2; e + 8 <= p + len; e += 8) {
        children.push(
          field('tcp.options.sack_le', `left edge = ${u32(f, e)}`, e, 4, u32(f, e)),
          field('tcp.options.sack_re', `right edge = ${u32(f, e + 4)}`, e + 4, 4, u32(f, e + 4)),
        );
        edges.push(`${u32(f, e)}-${u32(f, e + 4)}`);
      }
      title += ` ${edges.join(' ')}`;
    }
    items.push(field(known ? `tcp.options.${known[0]}` : '', title, p, len, colonHex(f, p, len), children));
    p += len;
  }
  return field(
    'tcp.options',
    `Options: (${end - off} bytes), ${names.join(', ')}`,
    off,
    end - off,
    colonHex(f, off, end - off),
    items,
  );
}

/** Dissects a TCP segment at `off`. */
export function dissectTcp(c: DissectContext, off: number, end: number): void {
  const f = c.f;
  const l = push(c, layer('tcp', 'Transmission Control Protocol', off, Math.min(20, Math.max(0, end - off))));
  const sport = u16(f, off);
  const dport = u16(f, off + 2);
  if (end - off >= 4) {
    l.title = `Transmission Control Protocol, Src Port: ${sport}, Dst Port: ${dport}`;
    l.fields.push(
      field('tcp.srcport', `Source Port: ${sport}`, off, 2, sport),
      field('tcp.dstport', `Destination Port: ${dport}`, off + 2, 2, dport),
    );
  }
  if (end - off < 20) {
    // an ICMP error quotes only 8 bytes of the segment: ports and sequence number
    if (end - off >= 8)
      l.fields.push(field('tcp.seq_raw', `Sequence Number (raw): ${u32(f, off + 4)}`, off + 4, 4, u32(f, off + 4)));
    if (!c.quoted) malformed(l, 'TCP header needs 20 bytes');
    return;
  }
  const hlen = (u8(f, off + 12) >> 4) * 4;
  const seq = u32(f, off + 4);
  const ack = u32(f, off + 8);
  const win = u16(f, off + 14);
  const sum = u16(f, off + 16);
  const urg = u16(f, off + 18);
  l.fields.push(
    field('tcp.seq_raw', `Sequence Number (raw): ${seq}`, off + 4, 4, seq),
    field('tcp.ack_raw', `Acknowledgment number (raw): ${ack}`, off + 8, 4, ack),
    bitField(f, 'tcp.hdr_len', `Header Length: ${hlen} bytes (${hlen / 4})`, off + 12, 1, 0xf0, hlen),
    flagsField(f, off),
    field('tcp.window_size_value', `Window: ${win}`, off + 14, 2, win),
    field('tcp.checksum', `Checksum: ${hex(sum, 4)} [unverified]`, off + 16, 2, hex(sum, 4)),
    field('tcp.urgent_pointer', `Urgent Pointer: ${urg}`, off + 18, 2, urg),
  );
  if (hlen < 20 || hlen > end - off) {
    malformed(l, hlen < 20 ? `bogus TCP header length ${hlen}` : `TCP header of ${hlen} bytes cut short`);
    return;
  }
  l.length = hlen;
  if (hlen > 20) l.fields.push(optionsField(f, off + 20, off + hlen));
  const p = off + hlen;
  const plen = end - p;
  l.title += `, Seq: ${seq}${u8(f, off + 13) & 0x10 ? `, Ack: ${ack}` : ''}, Len: ${plen}`;
  if (plen <= 0) return;
  if (sport === BGP_PORT || dport === BGP_PORT) dissectBgp(c, p, end);
  else if (sport === DNS_PORT || dport === DNS_PORT) dissectDns(c, p, end, true);
  else if (looksLikeHttp(f, p, end)) dissectHttp(c, p, end);
  else push(c, dataLayer(f, p, plen));
}
