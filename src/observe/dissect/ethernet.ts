/**
 * Ethernet II and IEEE 802.3 headers, 802.1Q tags, and the ethertype dispatch (ARP, IPv4, VLAN); bytes after
 * the IPv4 packet inside a frame become Wireshark's padding (short frames) or trailer.
 */
import { formatMac, readMac } from '../../wire/addr.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN } from '../../wire/ethernet.js';
import { ETH_MAX_LENGTH_FIELD, LLC_SAP_STP } from '../../wire/stp.js';
import { dissectArp } from './arp.js';
import { bitField, colonHex, dataLayer, field, hex, layer, malformed, u16, u8 } from './build.js';
import { MAX_NESTING, push, type DissectContext } from './context.js';
import { dissectLlc } from './stp.js';
import type { DissectedField } from './types.js';

const ETHERTYPE_NAMES: Record<number, string> = {
  [ETHERTYPE_IPV4]: 'IPv4',
  [ETHERTYPE_ARP]: 'ARP',
  [ETHERTYPE_VLAN]: '802.1Q Virtual LAN',
  [ETHERTYPE_IPV6]: 'IPv6',
};

/** 'IPv4 (0x0800)', as Wireshark names an ethertype. */
export function ethertypeText(type: number): string {
  return `${ETHERTYPE_NAMES[type] ?? 'Unknown'} (${hex(type, 4)})`;
}

// IEEE 802 MAC address bits: the group (I/G) and locally administered (L/G) bits of the first octet.
function macField(f: Uint8Array, name: string, text: string, off: number): DissectedField {
  const mac = formatMac(readMac(f, off));
  const lg = (u8(f, off) >> 1) & 1;
  const ig = u8(f, off) & 1;
  return field(`eth.${name}`, `${text}: ${mac}`, off, 6, mac, [
    field('eth.addr', `Address: ${mac}`, off, 6, mac),
    bitField(
      f,
      `eth.${name}.lg`,
      `LG bit: ${lg ? 'Locally administered address (this is NOT the factory default)' : 'Globally unique address (factory default)'}`,
      off,
      3,
      0x020000,
      lg,
    ),
    bitField(
      f,
      `eth.${name}.ig`,
      `IG bit: ${ig ? 'Group address (multicast/broadcast)' : 'Individual address (unicast)'}`,
      off,
      3,
      0x010000,
      ig,
    ),
  ]);
}

/** Dissects an Ethernet frame (Ethernet II or 802.3 with LLC) at `off`. */
export function dissectEthernet(c: DissectContext, off: number, end: number): void {
  const f = c.f;
  if (end - off < 14) {
    push(c, malformed(layer('eth', 'Ethernet II', off, Math.max(0, end - off)), 'Ethernet header needs 14 bytes'));
    return;
  }
  const dst = formatMac(readMac(f, off));
  const src = formatMac(readMac(f, off + 6));
  const type = u16(f, off + 12);
  if (type <= ETH_MAX_LENGTH_FIELD) {
    // IEEE 802.3: the field is a length and an LLC header follows (STP's BPDUs)
    const l = push(c, layer('eth', 'IEEE 802.3 Ethernet ', off, 14));
    l.fields.push(macField(f, 'dst', 'Destination', off), macField(f, 'src', 'Source', off + 6));
    l.fields.push(field('eth.len', `Length: ${type}`, off + 12, 2, type));
    const llcEnd = Math.min(end, off + 14 + type);
    if (u8(f, off + 14) === LLC_SAP_STP) dissectLlc(c, off + 14, llcEnd);
    else if (llcEnd > off + 14) push(c, dataLayer(f, off + 14, llcEnd - off - 14));
    trailer(c, llcEnd, end, off);
    return;
  }
  const l = push(c, layer('eth', `Ethernet II, Src: ${src}, Dst: ${dst}`, off, 14));
  l.fields.push(macField(f, 'dst', 'Destination', off), macField(f, 'src', 'Source', off + 6));
  l.fields.push(field('eth.type', `Type: ${ethertypeText(type)}`, off + 12, 2, hex(type, 4)));
  dispatchEthertype(c, type, off + 14, end, off);
}

/** Dissects what follows an ethertype at `off` (ARP, IPv4, an 802.1Q tag), then any padding or trailer. */
function dispatchEthertype(c: DissectContext, type: number, off: number, end: number, frameStart: number): void {
  const f = c.f;
  if (type === ETHERTYPE_VLAN) {
    dissectVlan(c, off, end, frameStart);
    return;
  }
  if (type === ETHERTYPE_ARP) {
    dissectArp(c, off, end);
    trailer(c, Math.min(end, off + 28), end, frameStart);
    return;
  }
  if (type === ETHERTYPE_IPV4 && c.depth < MAX_NESTING) {
    c.depth++;
    c.ipv4(c, off, end);
    c.depth--;
    if (end - off >= 20) trailer(c, Math.min(end, off + Math.max(20, u16(f, off + 2))), end, frameStart);
    return;
  }
  if (end > off) push(c, dataLayer(f, off, end - off));
}

/** The bytes after the payload inside the frame: 'eth.padding' in a frame under 60 bytes, else 'eth.trailer'. */
function trailer(c: DissectContext, from: number, end: number, frameStart: number): void {
  if (from >= end) return;
  const short = end - frameStart <= 60;
  const name = short ? 'eth.padding' : 'eth.trailer';
  const l = push(c, layer(name, short ? 'Ethernet padding' : 'Ethernet trailer', from, end - from));
  const v = colonHex(c.f, from, end - from);
  l.fields.push(field(name, `${short ? 'Padding' : 'Trailer'}: ${v.replaceAll(':', '')}`, from, end - from, v));
}

const PRIORITY_NAMES = [
  'Best Effort (default)',
  'Background',
  'Excellent Effort',
  'Critical Applications',
  'Video, < 100ms latency and jitter',
  'Voice, < 10ms latency and jitter',
  'Internetwork Control',
  'Network Control',
];

/** Dissects an 802.1Q tag (TCI and the inner ethertype) at `off`. */
function dissectVlan(c: DissectContext, off: number, end: number, frameStart: number): void {
  const f = c.f;
  if (end - off < 4) {
    push(c, malformed(layer('vlan', '802.1Q Virtual LAN', off, Math.max(0, end - off)), '802.1Q tag needs 4 bytes'));
    return;
  }
  const tci = u16(f, off);
  const pri = tci >> 13;
  const dei = (tci >> 12) & 1;
  const id = tci & 0x0fff;
  const type = u16(f, off + 2);
  const l = push(c, layer('vlan', `802.1Q Virtual LAN, PRI: ${pri}, DEI: ${dei}, ID: ${id}`, off, 4));
  l.fields.push(
    bitField(f, 'vlan.priority', `Priority: ${PRIORITY_NAMES[pri] ?? ''} (${pri})`, off, 2, 0xe000, pri),
    bitField(f, 'vlan.dei', `DEI: ${dei ? 'Eligible' : 'Ineligible'}`, off, 2, 0x1000, dei),
    bitField(f, 'vlan.id', `ID: ${id}`, off, 2, 0x0fff, id),
    field('vlan.etype', `Type: ${ethertypeText(type)}`, off + 2, 2, hex(type, 4)),
  );
  dispatchEthertype(c, type, off + 4, end, frameStart);
}
