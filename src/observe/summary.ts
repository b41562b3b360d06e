/**
 * A frame, summarized for people: the columns of the notes' tables (source/destination MAC and IP, ports)
 * plus VLAN, protocol and TTL. Reads the bytes directly and never throws: whatever it cannot read it
 * leaves out. Tunnelled frames (VXLAN, IP-in-IP, flannel's IP-in-UDP) get their inner frame summarized
 * as `inner`.
 */
import { formatIpv4, formatMac, readIpv4, readMac } from '../wire/addr.js';
import { ARP_OP_REPLY, ARP_OP_REQUEST } from '../wire/arp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_VLAN } from '../wire/ethernet.js';
import { IPV4_VERSION } from '../wire/ipv4.js';
import { VXLAN_PORT_IANA, VXLAN_PORT_LINUX } from '../wire/vxlan.js';

/** UDP destination ports whose payload is a bare IPv4 packet: flannel's udp backend (8285). */
export const IP_IN_UDP_PORTS: readonly number[] = [8285];

/** The columns of one hop. */
export interface FrameSummary {
  srcMac: string;
  dstMac: string;
  vlan?: number;
  /** ARP, IPv4, or the ethertype in hex. */
  ethertype: string;
  srcIp?: string;
  dstIp?: string;
  ttl?: number;
  /** 'ARP request', 'ARP reply', 'UDP', 'TCP', 'ICMP echo request', ... */
  protocol: string;
  srcPort?: number;
  dstPort?: number;
  /** Human detail: 'who-has 10.0.0.4 tell 10.0.0.2', 'id=4096 seq=1', '[S] seq=0'. */
  info: string;
  /** Bytes on the wire (no FCS). */
  length: number;
  /** For encapsulated traffic: the VXLAN network identifier. */
  vni?: number;
  /** The encapsulated frame or packet. */
  inner?: FrameSummary;
}

/** Summarizes an Ethernet frame. */
export function summarizeFrame(
  f: Uint8Array,
  vxlanPorts: readonly number[] = [VXLAN_PORT_IANA, VXLAN_PORT_LINUX],
): FrameSummary {
  const s: FrameSummary = { srcMac: '?', dstMac: '?', ethertype: '?', protocol: '?', info: '', length: f.length };
  if (f.length < 14) {
    s.info = 'truncated Ethernet header';
    return s;
  }
  s.dstMac = formatMac(readMac(f, 0));
  s.srcMac = formatMac(readMac(f, 6));
  let off = 12;
  let type = (f[off]! << 8) | f[off + 1]!;
  if (type === ETHERTYPE_VLAN && f.length >= 18) {
    s.vlan = ((f[14]! << 8) | f[15]!) & 0x0fff;
    off = 16;
    type = (f[off]! << 8) | f[off + 1]!;
  }
  off += 2;
  if (type === ETHERTYPE_ARP) {
    s.ethertype = 'ARP';
    if (f.length < off + 28) {
      s.protocol = 'ARP';
      s.info = 'truncated';
      return s;
    }
    const op = (f[off + 6]! << 8) | f[off + 7]!;
    const spa = formatIpv4(readIpv4(f, off + 14));
    const tpa = formatIpv4(readIpv4(f, off + 24));
    s.srcIp = spa;
    s.dstIp = tpa;
    s.protocol = op === ARP_OP_REQUEST ? 'ARP request' : op === ARP_OP_REPLY ? 'ARP reply' : `ARP op ${op}`;
    s.info =
      op === ARP_OP_REQUEST
        ? `who-has ${tpa} tell ${spa}`
        : op === ARP_OP_REPLY
          ? `${spa} is-at ${formatMac(readMac(f, off + 8))}`
          : '';
    return s;
  }
  if (type === ETHERTYPE_IPV4) {
    s.ethertype = 'IPv4';
    summarizeIpv4(f, off, s, vxlanPorts);
    return s;
  }
  s.ethertype = `0x${type.toString(16).padStart(4, '0')}`;
  s.protocol = s.ethertype;
  return s;
}

/** Fills the IP columns of `s` from the IPv4 packet at `off`. */
function summarizeIpv4(f: Uint8Array, off: number, s: FrameSummary, vxlanPorts: readonly number[]): void {
  if (f.length < off + 20) {
    s.protocol = 'IPv4';
    s.info = 'truncated';
    return;
  }
  const ihl = (f[off]! & 0x0f) * 4;
  if (ihl < 20) {
    // RFC 791: IHL counts 32-bit words and is at least 5; a smaller one would make an IPIP inner header start
    // where this one does and recurse forever (tshark: "Bogus IPv4 header length")
    s.protocol = 'IPv4';
    s.info = `bad header length ${ihl}`;
    return;
  }
  const total = Math.min((f[off + 2]! << 8) | f[off + 3]!, f.length - off);
  s.srcIp = formatIpv4(readIpv4(f, off + 12));
  s.dstIp = formatIpv4(readIpv4(f, off + 16));
  s.ttl = f[off + 8]!;
  const proto = f[off + 9]!;
  const fragWord = (f[off + 6]! << 8) | f[off + 7]!;
  const l4 = off + ihl;
  if ((fragWord & 0x1fff) !== 0) {
    s.protocol = `IPv4 fragment`;
    s.info = `proto ${proto} offset ${(fragWord & 0x1fff) * 8}${fragWord & 0x2000 ? '' : ' (last)'}`;
    return;
  }
  const first = (fragWord & 0x2000) !== 0;
  if (proto === 17 && total >= ihl + 8) {
    s.protocol = 'UDP';
    s.srcPort = (f[l4]! << 8) | f[l4 + 1]!;
    s.dstPort = (f[l4 + 2]! << 8) | f[l4 + 3]!;
    const len = (f[l4 + 4]! << 8) | f[l4 + 5]!;
    s.info = `len ${len - 8}${first ? ' (first fragment)' : ''}`;
    if (vxlanPorts.includes(s.dstPort) && total >= ihl + 16 + 14) {
      s.protocol = 'VXLAN';
      s.vni = (f[l4 + 12]! << 16) | (f[l4 + 13]! << 8) | f[l4 + 14]!;
      s.info = `vni ${s.vni}`;
      s.inner = summarizeFrame(f.subarray(l4 + 16, off + total), vxlanPorts);
    } else if (IP_IN_UDP_PORTS.includes(s.dstPort) && total >= ihl + 8 + 20 && f[l4 + 8]! >> 4 === IPV4_VERSION) {
      s.info = `len ${len - 8}, IPv4 inside`;
      const inner: FrameSummary = {
        srcMac: '',
        dstMac: '',
        ethertype: 'IPv4',
        protocol: '?',
        info: '',
        length: total - ihl - 8,
      };
      summarizeIpv4(f.subarray(0, off + total), l4 + 8, inner, vxlanPorts);
      s.inner = inner;
    }
    return;
  }
  if (proto === 6 && total >= ihl + 20) {
    s.protocol = 'TCP';
    s.srcPort = (f[l4]! << 8) | f[l4 + 1]!;
    s.dstPort = (f[l4 + 2]! << 8) | f[l4 + 3]!;
    const flags = f[l4 + 13]!;
    const names = ['F', 'S', 'R', 'P', '.', 'U'].filter((_, i) => (flags >> i) & 1).join('');
    const seq = readIpv4(f, l4 + 4);
    const ack = readIpv4(f, l4 + 8);
    s.info = `[${names}] seq=${seq}${flags & 0x10 ? ` ack=${ack}` : ''}`;
    return;
  }
  if (proto === 1 && total >= ihl + 8) {
    const t = f[l4]!;
    const c = f[l4 + 1]!;
    if (t === 8 || t === 0) {
      s.protocol = t === 8 ? 'ICMP echo request' : 'ICMP echo reply';
      s.info = `id=${(f[l4 + 4]! << 8) | f[l4 + 5]!} seq=${(f[l4 + 6]! << 8) | f[l4 + 7]!}`;
    } else if (t === 11) {
      s.protocol = 'ICMP time exceeded';
    } else if (t === 3) {
      s.protocol = 'ICMP unreachable';
      s.info = c === 4 ? `need to frag (mtu ${(f[l4 + 6]! << 8) | f[l4 + 7]!})` : `code ${c}`;
    } else s.protocol = `ICMP type ${t}`;
    return;
  }
  if (proto === 4) {
    s.protocol = 'IPIP';
    const inner: FrameSummary = {
      srcMac: '',
      dstMac: '',
      ethertype: 'IPv4',
      protocol: '?',
      info: '',
      length: total - ihl,
    };
    summarizeIpv4(f, l4, inner, vxlanPorts);
    s.inner = inner;
    return;
  }
  s.protocol = `IP proto ${proto}`;
}
