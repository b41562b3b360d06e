/**
 * ICMP (RFC 792): type, code and a verified checksum; echo's identifier and sequence with the data after
 * them; and for errors (unreachable, time exceeded, parameter problem, redirect) the quoted packet, which
 * Wireshark decodes as an IPv4 header and what it carries (RFC 1812 §4.3.2.3: at least the header and 8 bytes).
 */
import { formatIpv4, readIpv4 } from '../../wire/addr.js';
import { internetChecksum } from '../../wire/checksum.js';
import {
  ICMP_DEST_UNREACH,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_FRAG_NEEDED,
  ICMP_PARAMETER_PROBLEM,
  ICMP_REDIRECT,
  ICMP_SOURCE_QUENCH,
  ICMP_TIME_EXCEEDED,
} from '../../wire/icmp.js';
import { colonHex, dataLayer, field, hex, layer, malformed, plainHex, u16, u8 } from './build.js';
import { MAX_NESTING, push, type DissectContext } from './context.js';

const TYPE_NAMES: Record<number, string> = {
  [ICMP_ECHO_REPLY]: 'Echo (ping) reply',
  [ICMP_DEST_UNREACH]: 'Destination unreachable',
  [ICMP_SOURCE_QUENCH]: 'Source quench (flow control)',
  [ICMP_REDIRECT]: 'Redirect',
  [ICMP_ECHO_REQUEST]: 'Echo (ping) request',
  [ICMP_TIME_EXCEEDED]: 'Time-to-live exceeded',
  [ICMP_PARAMETER_PROBLEM]: 'Parameter problem',
};

const CODE_NAMES: Record<number, Record<number, string>> = {
  [ICMP_DEST_UNREACH]: {
    0: 'Network unreachable',
    1: 'Host unreachable',
    2: 'Protocol unreachable',
    3: 'Port unreachable',
    4: 'Fragmentation needed',
    5: 'Source route failed',
    6: 'Destination network unknown',
    7: 'Destination host unknown',
    9: 'Network administratively prohibited',
    10: 'Host administratively prohibited',
    13: 'Communication administratively filtered',
  },
  [ICMP_TIME_EXCEEDED]: { 0: 'Time to live exceeded in transit', 1: 'Fragment reassembly time exceeded' },
  [ICMP_REDIRECT]: { 0: 'Redirect for network', 1: 'Redirect for host' },
};

const ERROR_TYPES = new Set([
  ICMP_DEST_UNREACH,
  ICMP_SOURCE_QUENCH,
  ICMP_REDIRECT,
  ICMP_TIME_EXCEEDED,
  ICMP_PARAMETER_PROBLEM,
]);

/** Dissects an ICMP message at `off`. */
export function dissectIcmp(c: DissectContext, off: number, end: number): void {
  const f = c.f;
  const l = push(c, layer('icmp', 'Internet Control Message Protocol', off, Math.max(0, end - off)));
  if (end - off < 8) {
    malformed(l, 'ICMP header needs 8 bytes');
    return;
  }
  const type = u8(f, off);
  const code = u8(f, off + 1);
  const sum = u16(f, off + 2);
  const codeName = CODE_NAMES[type]?.[code];
  // RFC 792: the checksum covers the whole message; a quoted one was cut short, so it cannot be checked
  const verdict = c.quoted
    ? '[unverified] [in ICMP error packet]'
    : internetChecksum(f, off, end - off) === 0
      ? '[correct]'
      : '[incorrect]';
  l.fields.push(
    field('icmp.type', `Type: ${type} (${TYPE_NAMES[type] ?? 'Unknown ICMP (obsolete or malformed?)'})`, off, 1, type),
    field('icmp.code', `Code: ${code}${codeName !== undefined ? ` (${codeName})` : ''}`, off + 1, 1, code),
    field('icmp.checksum', `Checksum: ${hex(sum, 4)} ${verdict}`, off + 2, 2, hex(sum, 4)),
  );
  if (type === ICMP_ECHO_REQUEST || type === ICMP_ECHO_REPLY) {
    const id = u16(f, off + 4);
    const seq = u16(f, off + 6);
    l.fields.push(
      field('icmp.ident', `Identifier (BE): ${id} (${hex(id, 4)})`, off + 4, 2, id),
      field('icmp.seq', `Sequence Number (BE): ${seq} (${hex(seq, 4)})`, off + 6, 2, seq),
    );
    if (end > off + 8) push(c, dataLayer(f, off + 8, end - off - 8));
    return;
  }
  if (!ERROR_TYPES.has(type)) {
    if (end > off + 4) push(c, dataLayer(f, off + 4, end - off - 4));
    return;
  }
  if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) {
    // RFC 1191 §4: the low 16 bits of the unused word carry the next-hop MTU
    const mtu = u16(f, off + 6);
    l.fields.push(
      field('icmp.unused', `Unused: ${plainHex(f, off + 4, 2)}`, off + 4, 2, colonHex(f, off + 4, 2)),
      field('icmp.mtu', `MTU of next hop: ${mtu}`, off + 6, 2, mtu),
    );
  } else if (type === ICMP_REDIRECT) {
    const gw = formatIpv4(readIpv4(f, off + 4));
    l.fields.push(field('icmp.redir_gw', `Gateway Address: ${gw}`, off + 4, 4, gw));
  } else if (type === ICMP_PARAMETER_PROBLEM) {
    l.fields.push(
      field('icmp.pointer', `Pointer: ${u8(f, off + 4)}`, off + 4, 1, u8(f, off + 4)),
      field('icmp.unused', `Unused: ${plainHex(f, off + 5, 3)}`, off + 5, 3, colonHex(f, off + 5, 3)),
    );
  } else {
    l.fields.push(field('icmp.unused', `Unused: ${plainHex(f, off + 4, 4)}`, off + 4, 4, colonHex(f, off + 4, 4)));
  }
  if (end <= off + 8) return;
  if (c.depth >= MAX_NESTING) {
    push(c, dataLayer(f, off + 8, end - off - 8));
    return;
  }
  const wasQuoted = c.quoted;
  c.quoted = true;
  c.depth++;
  c.ipv4(c, off + 8, end);
  c.depth--;
  c.quoted = wasQuoted;
}
