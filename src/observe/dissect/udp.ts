/**
 * UDP (RFC 768) and what rides on it: VXLAN on the configured ports (IANA 4789, Linux and Flannel 8472),
 * a bare IPv4 packet on flannel's udp backend port (8285), DNS on port 53, anything else as data. The
 * destination port decides the tunnels, as the kernel's socket lookup does (summary.ts agrees).
 */
import { dataLayer, field, hex, layer, malformed, u16 } from './build.js';
import { MAX_NESTING, push, type DissectContext } from './context.js';
import { DNS_PORT, dissectDns } from './dns.js';
import { dissectVxlan } from './vxlan.js';

/** Dissects a UDP datagram at `off`. */
export function dissectUdp(c: DissectContext, off: number, end: number): void {
  const f = c.f;
  const l = push(c, layer('udp', 'User Datagram Protocol', off, Math.min(8, Math.max(0, end - off))));
  if (end - off < 8) {
    malformed(l, 'UDP header needs 8 bytes');
    return;
  }
  const sport = u16(f, off);
  const dport = u16(f, off + 2);
  const len = u16(f, off + 4);
  const sum = u16(f, off + 6);
  l.title = `User Datagram Protocol, Src Port: ${sport}, Dst Port: ${dport}`;
  l.fields.push(
    field('udp.srcport', `Source Port: ${sport}`, off, 2, sport),
    field('udp.dstport', `Destination Port: ${dport}`, off + 2, 2, dport),
    field('udp.length', `Length: ${len}`, off + 4, 2, len),
    // RFC 768: a zero checksum means none was computed
    field(
      'udp.checksum',
      `Checksum: ${hex(sum, 4)} ${sum === 0 ? '[zero-value ignored]' : '[unverified]'}`,
      off + 6,
      2,
      hex(sum, 4),
    ),
  );
  if (len < 8) {
    malformed(l, `bad length value ${len} < 8`);
    return;
  }
  if (len > end - off && !c.quoted && !c.partial)
    malformed(l, `length ${len} exceeds the ${end - off} bytes of the IP payload`);
  const pend = Math.min(end, off + len);
  const p = off + 8;
  if (pend <= p) return;
  if (c.vxlanPorts.includes(dport) && c.depth < MAX_NESTING) dissectVxlan(c, p, pend);
  else if (c.ipInUdpPorts.includes(dport) && c.depth < MAX_NESTING) {
    c.depth++;
    c.ipv4(c, p, pend);
    c.depth--;
  } else if (sport === DNS_PORT || dport === DNS_PORT) dissectDns(c, p, pend, false);
  else push(c, dataLayer(f, p, pend - p));
}
