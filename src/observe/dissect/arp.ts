/** ARP over Ethernet for IPv4 (RFC 826): the 28-byte request or reply. */
import { formatIpv4, formatMac, readIpv4, readMac } from '../../wire/addr.js';
import { ARP_OP_REPLY, ARP_OP_REQUEST } from '../../wire/arp.js';
import { field, hex, layer, malformed, u16, u8 } from './build.js';
import { push, type DissectContext } from './context.js';

/** ARP's fixed length for Ethernet hardware and IPv4 addresses (RFC 826). */
const ARP_ETH_IPV4_LEN = 28;

const OPCODES: Record<number, string> = { [ARP_OP_REQUEST]: 'request', [ARP_OP_REPLY]: 'reply' };

/** Dissects an ARP packet at `off`. */
export function dissectArp(c: DissectContext, off: number, end: number): void {
  const f = c.f;
  if (end - off < 8) {
    push(
      c,
      malformed(layer('arp', 'Address Resolution Protocol', off, Math.max(0, end - off)), 'ARP header cut short'),
    );
    return;
  }
  const op = u16(f, off + 6);
  const opName = OPCODES[op] ?? 'Unknown';
  const hwLen = u8(f, off + 4);
  const protoLen = u8(f, off + 5);
  const complete = end - off >= ARP_ETH_IPV4_LEN && hwLen === 6 && protoLen === 4;
  const spa = complete ? readIpv4(f, off + 14) : 0;
  const tpa = complete ? readIpv4(f, off + 24) : 0;
  // Wireshark calls an ARP whose sender and target addresses are the same gratuitous
  const kind = complete && spa === tpa ? `${opName}/gratuitous ARP` : opName;
  const l = push(
    c,
    layer('arp', `Address Resolution Protocol (${kind})`, off, complete ? ARP_ETH_IPV4_LEN : end - off),
  );
  const hw = u16(f, off);
  const proto = u16(f, off + 2);
  l.fields.push(
    field('arp.hw.type', `Hardware type: ${hw === 1 ? 'Ethernet' : 'Unknown'} (${hw})`, off, 2, hw),
    field(
      'arp.proto.type',
      `Protocol type: ${proto === 0x0800 ? 'IPv4' : 'Unknown'} (${hex(proto, 4)})`,
      off + 2,
      2,
      hex(proto, 4),
    ),
    field('arp.hw.size', `Hardware size: ${hwLen}`, off + 4, 1, hwLen),
    field('arp.proto.size', `Protocol size: ${protoLen}`, off + 5, 1, protoLen),
    field('arp.opcode', `Opcode: ${opName} (${op})`, off + 6, 2, op),
  );
  if (!complete) {
    malformed(l, 'only Ethernet/IPv4 ARP of 28 bytes is decoded');
    return;
  }
  const sha = formatMac(readMac(f, off + 8));
  const tha = formatMac(readMac(f, off + 18));
  l.fields.push(
    field('arp.src.hw_mac', `Sender MAC address: ${sha}`, off + 8, 6, sha),
    field('arp.src.proto_ipv4', `Sender IP address: ${formatIpv4(spa)}`, off + 14, 4, formatIpv4(spa)),
    field('arp.dst.hw_mac', `Target MAC address: ${tha}`, off + 18, 6, tha),
    field('arp.dst.proto_ipv4', `Target IP address: ${formatIpv4(tpa)}`, off + 24, 4, formatIpv4(tpa)),
  );
}
