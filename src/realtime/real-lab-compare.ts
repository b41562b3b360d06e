/**
 * `podnet verify`'s comparison, pure: frames decoded with podnet's wire parsers into named header fields,
 * two captures of one link aligned frame by frame, and every field compared, by value or, for what is
 * random on a real system, by role (docs/verify.md lists them): a consistent mapping where the same real
 * value always stands for the same emulated value and the other way round, so an echo identifier that
 * differs by value but is used the same way everywhere matches, and one that changes where Linux's does
 * not is reported.
 */
import { formatIpv4, formatMac, MAC_BROADCAST, readMac } from '../wire/addr.js';
import { formatBridgeId, isLengthFramed, parseBpduFrame } from '../wire/stp.js';
import { internetChecksum } from '../wire/checksum.js';
import { parseEthernet } from '../wire/ethernet.js';
import { parseArp } from '../wire/arp.js';
import { hex } from '../wire/digest.js';

/** One header field of a frame. */
export interface DecodedField {
  /** tshark-like name, prefixed `inner.` inside a tunnel and `icmp.orig.` inside an ICMP error's quote. */
  name: string;
  value: string;
  /** Set when the value is random on a real system: compared by role (RoleMap), not by value. */
  role?: RoleName;
  /** For role `seq`/`ack`: the flow (direction) the number counts in, to compare offsets from its first. */
  flow?: string;
}

/** A decoded frame. */
export interface DecodedFrame {
  /** What it is, e.g. `ARP request who-has 10.0.0.4 tell 10.0.0.2`; frames align on equal labels. */
  label: string;
  fields: DecodedField[];
  /** Link-local noise the kernel sends on its own (IPv6, IGMP, STP when the lab has none): not compared. */
  noise: boolean;
  /** When it was captured (ns, on its run's clock), if known. */
  timeNs?: number;
}

/** Fields compared by role (docs/verify.md). */
export type RoleName =
  | 'ip.id'
  | 'icmp.ident'
  | 'ping.timeval'
  | 'port'
  | 'vxlan.srcport'
  | 'tcp.seq'
  | 'tcp.tsval'
  | 'tcp.tsecr'
  | 'http.date';

/** What the decoder needs to know about the lab. */
export interface DecodeOptions {
  /** UDP ports the lab's vxlan devices listen on: their payload is decoded as VXLAN. */
  vxlanPorts: ReadonlySet<number>;
  /** The lab runs STP: BPDUs are part of the comparison. */
  stp: boolean;
}

/** Linux's default net.ipv4.ip_local_port_range: ports the kernel picks at random. */
const EPHEMERAL_MIN = 32768;
const EPHEMERAL_MAX = 60999;
/** iputils ping puts a struct timeval (16 bytes on 64-bit Linux) first in the data when it fits. */
const PING_TIMEVAL_LEN = 16;

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** Decodes a frame as captured (Ethernet, no FCS). */
export function decodeFrame(b: Uint8Array, o: DecodeOptions): DecodedFrame {
  const d: DecodedFrame = { label: '', fields: [], noise: false };
  d.fields.push({ name: 'frame.len', value: String(b.length) });
  d.label = decodeEthernet(b, '', d, o);
  return d;
}

function decodeEthernet(b: Uint8Array, p: string, d: DecodedFrame, o: DecodeOptions): string {
  const put = (name: string, value: string | number, role?: RoleName): number =>
    d.fields.push({ name: p + name, value: String(value), ...(role ? { role } : {}) });
  if (isLengthFramed(b)) return decodeBpdu(b, p, d, o);
  const r = parseEthernet(b);
  if (!r.ok) {
    put('eth.error', r.error.reason);
    return 'bad Ethernet';
  }
  const e = r.value;
  put('eth.dst', formatMac(e.dst));
  put('eth.src', formatMac(e.src));
  if (e.vlan !== undefined) put('vlan.id', e.vlan.vid);
  put('eth.type', `0x${e.ethertype.toString(16).padStart(4, '0')}`);
  const vlan = e.vlan !== undefined ? `[vlan ${e.vlan.vid}] ` : '';
  if (e.ethertype === 0x86dd) {
    d.noise = true;
    return `${vlan}IPv6`;
  }
  if (e.ethertype === 0x0806) {
    const a = parseArp(e.payload);
    if (!a.ok) {
      put('arp.error', a.error.reason);
      return `${vlan}bad ARP`;
    }
    const x = a.value;
    put('arp.opcode', x.op);
    put('arp.src.hw_mac', formatMac(x.senderMac));
    put('arp.src.proto_ipv4', formatIpv4(x.senderIp));
    put('arp.dst.hw_mac', formatMac(x.targetMac));
    put('arp.dst.proto_ipv4', formatIpv4(x.targetIp));
    put('eth.padding', e.payload.length - 28);
    return x.op === 1
      ? `${vlan}ARP who-has ${formatIpv4(x.targetIp)} tell ${formatIpv4(x.senderIp)}${e.dst !== MAC_BROADCAST ? ' (unicast)' : ''}`
      : `${vlan}ARP ${formatIpv4(x.senderIp)} is-at ${formatMac(x.senderMac)}`;
  }
  if (e.ethertype === 0x0800) return vlan + decodeIpv4(e.payload, p, d, o, true);
  put('eth.payload', hex(e.payload));
  return `${vlan}ethertype ${e.ethertype.toString(16)}`;
}

/** An 802.3/LLC frame: STP's BPDUs (802.1D 9.3), noise unless the lab runs STP. */
function decodeBpdu(b: Uint8Array, p: string, d: DecodedFrame, o: DecodeOptions): string {
  const put = (name: string, value: string | number): number => d.fields.push({ name: p + name, value: String(value) });
  if (!o.stp) d.noise = true;
  put('eth.dst', formatMac(readMac(b, 0)));
  put('eth.src', formatMac(readMac(b, 6)));
  put('eth.len', u16(b, 12));
  const r = parseBpduFrame(b);
  if (!r.ok) {
    put('stp.error', r.error.reason);
    return 'bad BPDU';
  }
  const x = r.value;
  if (x.type === 'tcn') return 'STP TCN';
  put('stp.flags.tc', Number(x.topologyChange));
  put('stp.flags.tcack', Number(x.topologyChangeAck));
  put('stp.root', formatBridgeId(x.root));
  put('stp.root_cost', x.rootPathCost);
  put('stp.bridge', formatBridgeId(x.bridge));
  put('stp.port', `0x${x.portId.toString(16)}`);
  put('stp.msg_age', x.messageAge);
  put('stp.max_age', x.maxAge);
  put('stp.hello', x.helloTime);
  put('stp.forward_delay', x.forwardDelay);
  put('eth.padding', b.length - 14 - u16(b, 12));
  return `STP config BPDU from ${formatMac(readMac(b, 6))}`;
}

/**
 * Decodes an IPv4 packet; `whole` is false inside an ICMP error's quote (only the header and the first
 * bytes of the payload are there, and the lengths do not add up).
 */
function decodeIpv4(b: Uint8Array, p: string, d: DecodedFrame, o: DecodeOptions, whole: boolean): string {
  const put = (name: string, value: string | number, role?: RoleName, flow?: string): number =>
    d.fields.push({ name: p + name, value: String(value), ...(role ? { role } : {}), ...(flow ? { flow } : {}) });
  if (b.length < 20) {
    put('ip.truncated', b.length);
    return 'truncated IPv4';
  }
  const ihl = (b[0]! & 0x0f) * 4;
  const total = u16(b, 2);
  const flags = u16(b, 6);
  const proto = b[9]!;
  const src = formatIpv4(u32(b, 12));
  const dst = formatIpv4(u32(b, 16));
  put('ip.version', b[0]! >> 4);
  put('ip.hdr_len', ihl);
  put('ip.dsfield', `0x${b[1]!.toString(16).padStart(2, '0')}`);
  put('ip.len', total);
  // Linux keeps one identification counter per (destination, source, protocol) hash bucket, each with a
  // random start and random jumps (ip_idents_reserve): a mapping per flow, as two counters may meet
  put('ip.id', u16(b, 4), 'ip.id', `${src}>${dst}/${proto}`);
  put('ip.flags.df', (flags >> 14) & 1);
  put('ip.flags.mf', (flags >> 13) & 1);
  put('ip.frag_offset', flags & 0x1fff);
  put('ip.ttl', b[8]!);
  put('ip.proto', proto);
  // the checksum covers the identification, which is random: compared as "valid or not"
  if (whole) put('ip.checksum', internetChecksum(b, 0, ihl) === 0 ? 'valid' : 'invalid');
  put('ip.src', src);
  put('ip.dst', dst);
  if (ihl > 20) put('ip.options', hex(b.subarray(20, ihl)));
  const end = whole ? Math.min(total, b.length) : b.length;
  if (whole) put('eth.padding', b.length - total);
  const l4 = b.subarray(ihl, end);
  const frag = (flags & 0x1fff) !== 0;
  const fragNote = frag || (flags & 0x2000) !== 0 ? ` fragment@${(flags & 0x1fff) * 8}` : '';
  if (frag) {
    put('ip.payload_len', l4.length);
    return `IPv4 ${src} -> ${dst} proto ${proto}${fragNote}`;
  }
  if (proto === 2) d.noise = true; // IGMP
  if (proto === 1) return decodeIcmp(l4, p, d, o, whole, `${src} -> ${dst}`) + fragNote;
  if (proto === 17 && l4.length >= 8) {
    const sport = u16(l4, 0);
    const dport = u16(l4, 2);
    const vx = o.vxlanPorts.has(dport) && whole && l4.length >= 16;
    put('udp.srcport', sport, vx ? 'vxlan.srcport' : portRole(sport));
    put('udp.dstport', dport, portRole(dport));
    put('udp.length', u16(l4, 4));
    // a sender's veth hands the kernel's partial (offloaded) checksum to the capture: only "none or not"
    put('udp.checksum', u16(l4, 6) === 0 ? 'none' : 'present');
    if (vx) {
      put('vxlan.flags', `0x${l4[8]!.toString(16).padStart(2, '0')}`);
      put('vxlan.vni', (l4[12]! << 16) | (l4[13]! << 8) | l4[14]!);
      return `VXLAN ${(l4[12]! << 16) | (l4[13]! << 8) | l4[14]!} [${decodeEthernet(l4.subarray(16), `${p}inner.`, d, o)}]`;
    }
    if (whole) put('udp.payload', hex(l4.subarray(8)));
    return `UDP ${src} -> ${dst}:${dport}${fragNote}`;
  }
  if (proto === 6 && l4.length >= 20) return decodeTcp(l4, p, d, whole, src, dst) + fragNote;
  if (proto === 4 && whole) return `IPIP [${decodeIpv4(l4, `${p}inner.`, d, o, true)}]`;
  put('ip.payload_len', l4.length);
  return `IPv4 ${src} -> ${dst} proto ${proto}${fragNote}`;
}

function portRole(port: number): RoleName | undefined {
  return port >= EPHEMERAL_MIN && port <= EPHEMERAL_MAX ? 'port' : undefined;
}

function decodeIcmp(l4: Uint8Array, p: string, d: DecodedFrame, o: DecodeOptions, whole: boolean, who: string) {
  const put = (name: string, value: string | number, role?: RoleName): number =>
    d.fields.push({ name: p + name, value: String(value), ...(role ? { role } : {}) });
  if (l4.length < 8) {
    put('icmp.truncated', l4.length);
    return `ICMP ${who} truncated`;
  }
  const type = l4[0]!;
  put('icmp.type', type);
  put('icmp.code', l4[1]!);
  if (whole) put('icmp.checksum', internetChecksum(l4, 0, l4.length) === 0 ? 'valid' : 'invalid');
  if (type === 0 || type === 8) {
    put('icmp.ident', u16(l4, 4), 'icmp.ident');
    put('icmp.seq', u16(l4, 6));
    if (!whole) return `ICMP echo ${who}`;
    const data = l4.subarray(8);
    put('icmp.data_len', data.length);
    if (data.length >= PING_TIMEVAL_LEN) {
      put('icmp.data.timeval', hex(data.subarray(0, PING_TIMEVAL_LEN)), 'ping.timeval');
      put('icmp.data.rest', hex(data.subarray(PING_TIMEVAL_LEN)));
    } else put('icmp.data', hex(data));
    return `ICMP echo ${type === 8 ? 'request' : 'reply'} ${who}`;
  }
  const what = type === 3 ? 'unreachable' : type === 11 ? 'time exceeded' : type === 5 ? 'redirect' : `type ${type}`;
  put('icmp.rest', hex(l4.subarray(4, 8)));
  if ((type === 3 || type === 11 || type === 5) && whole) {
    put('icmp.quoted_len', l4.length - 8);
    const inner = decodeIpv4(l4.subarray(8), `${p}icmp.orig.`, d, o, false);
    return `ICMP ${what} code ${l4[1]} ${who} [${inner}]`;
  }
  if (whole) put('icmp.data', hex(l4.subarray(8)));
  return `ICMP ${what} code ${l4[1]} ${who}`;
}

function decodeTcp(l4: Uint8Array, p: string, d: DecodedFrame, whole: boolean, src: string, dst: string): string {
  const put = (name: string, value: string | number, role?: RoleName, flow?: string): number =>
    d.fields.push({ name: p + name, value: String(value), ...(role ? { role } : {}), ...(flow ? { flow } : {}) });
  const sport = u16(l4, 0);
  const dport = u16(l4, 2);
  const fwd = `${src}:${sport}>${dst}:${dport}`;
  const rev = `${dst}:${dport}>${src}:${sport}`;
  // the label aligns frames, so it leaves out what is compared by role (an ephemeral port)
  const shown = (port: number): string => (portRole(port) === undefined ? String(port) : '*');
  const label = `${src}:${shown(sport)} > ${dst}:${shown(dport)}`;
  put('tcp.srcport', sport, portRole(sport));
  put('tcp.dstport', dport, portRole(dport));
  put('tcp.seq', u32(l4, 4), 'tcp.seq', fwd);
  const flags = u16(l4, 12) & 0x0fff;
  put('tcp.ack', flags & 0x10 ? u32(l4, 8) : 0, flags & 0x10 ? 'tcp.seq' : undefined, rev);
  const names = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'].filter((_, i) => flags & (1 << i));
  put('tcp.flags', names.join(','));
  if (!whole) return `TCP ${label}`;
  const hl = (l4[12]! >> 4) * 4;
  put('tcp.hdr_len', hl);
  put('tcp.window', u16(l4, 14));
  put('tcp.urgent', u16(l4, 18));
  // options in order, kind by kind; timestamp values are clocks (by role), the rest by value
  const opts: string[] = [];
  for (let i = 20; i < hl && i < l4.length;) {
    const kind = l4[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      opts.push('nop');
      i++;
      continue;
    }
    const len = l4[i + 1] ?? 0;
    if (len < 2) break;
    if (kind === 8 && len === 10) {
      opts.push('ts');
      put('tcp.options.tsval', u32(l4, i + 2), 'tcp.tsval', fwd);
      put('tcp.options.tsecr', u32(l4, i + 6), 'tcp.tsecr', rev);
    } else opts.push(`${kind}:${hex(l4.subarray(i + 2, i + len))}`);
    i += len;
  }
  put('tcp.options', opts.join(' '));
  put('tcp.payload', hex(httpClocks(l4.subarray(hl), put)));
  return `TCP ${label} [${names.join(',')}]`;
}

const HTTP_DATE = '\r\nDate: ';
const REMOTE_ADDR = /\nRemoteAddr: [0-9.]+:([0-9]+)\n/;

/**
 * An HTTP response's Date (the wall clock) and whoami's RemoteAddr port (the client's ephemeral port, or
 * its NAT mapping) become fields of their own, compared by role; in the payload they are masked with `*`.
 */
function httpClocks(payload: Uint8Array, put: (name: string, value: string, role?: RoleName) => number): Uint8Array {
  const text = String.fromCharCode(...payload.subarray(0, Math.min(payload.length, 4096)));
  if (!text.startsWith('HTTP/1.')) return payload;
  const out = payload.slice();
  const mask = (from: number, len: number): void => {
    out.fill(0x2a, from, from + len);
  };
  const d = text.indexOf(HTTP_DATE);
  if (d >= 0) {
    const from = d + HTTP_DATE.length;
    const end = text.indexOf('\r\n', from);
    put('http.date', text.slice(from, end), 'http.date');
    mask(from, end - from);
  }
  const m = REMOTE_ADDR.exec(text);
  if (m !== null) {
    const port = m[1]!;
    put('http.remoteaddr.port', port, portRole(Number(port)));
    mask(m.index + m[0].length - 1 - port.length, port.length);
  }
  return out;
}

/** The consistent mapping of random values: real <-> emulated, per role. */
export class RoleMap {
  private readonly realToEmu = new Map<string, string>();
  private readonly emuToReal = new Map<string, string>();
  private readonly bases = new Map<string, [number, number]>();

  /** Checks and records that real value `r` stands for emulated `e`; a sentence when it contradicts. */
  match(f: DecodedField, r: string, e: string): string | undefined {
    if (f.role === 'tcp.seq') return this.offset(f.flow ?? '', Number(r), Number(e));
    if (f.role === 'tcp.tsval') return this.clock(f.flow ?? '', Number(r), Number(e));
    if (f.role === 'tcp.tsecr') return this.echo(f.flow ?? '', Number(r), Number(e));
    const role = `${f.role ?? ''}|${f.flow ?? ''}`;
    const a = this.realToEmu.get(`${role}|${r}`);
    const b = this.emuToReal.get(`${role}|${e}`);
    if (a === undefined && b === undefined) {
      // the same value on both sides, first seen: a fixed value (a step's --sport 40000), which binds
      // nothing, so that a random draw of it later on one side (a real ephemeral port of 40000, seen in a
      // full run) stands for whatever the other side drew
      if (r === e) return undefined;
      this.realToEmu.set(`${role}|${r}`, e);
      this.emuToReal.set(`${role}|${e}`, r);
      return undefined;
    }
    if (a === e && b === r) return undefined;
    // the same value on both sides, which one side never drew at random: a fixed value (traceroute's probe
    // port 33434 + n lies in the ephemeral range) that the other side's earlier random draw happened to
    // equal (a real source port of 33437 seen in CI); it binds nothing
    if (r === e && (a === undefined || b === undefined)) return undefined;
    if (a !== undefined && a !== e) return `real ${r} stood for emulated ${a} before, now for ${e}`;
    return `emulated ${e} stood for real ${b} before, now for ${r}`;
  }

  /**
   * TSval is a millisecond clock with a random offset per connection (RFC 7323 section 5.4, Linux's
   * secure_tcp_ts_off), and the two runs spend different wall time between segments: on both sides the
   * values of a flow must not go back from its first (a clock), and each is remembered for the echo.
   */
  private clock(flow: string, r: number, e: number): string | undefined {
    let c = this.clocks.get(flow);
    if (c === undefined) this.clocks.set(flow, (c = { first: [r, e], real: new Set(), emu: new Set() }));
    c.real.add(r);
    c.emu.add(e);
    const back = (v: number, first: number): boolean => (v - first + 2 ** 32) % 2 ** 32 >= 2 ** 31;
    if (back(r, c.first[0])) return `real TSval went back from the flow's first, ${c.first[0]}`;
    if (back(e, c.first[1])) return `emulated TSval went back from the flow's first, ${c.first[1]}`;
    return undefined;
  }

  /** TSecr echoes a TSval the peer sent (RFC 7323 section 4.3), or is 0 on an initial SYN: on both sides. */
  private echo(peerFlow: string, r: number, e: number): string | undefined {
    if (r === 0 && e === 0) return undefined;
    const c = this.clocks.get(peerFlow);
    if (c?.real.has(r) !== true) return `real TSecr ${r} echoes no TSval the peer sent`;
    if (!c.emu.has(e)) return `emulated TSecr ${e} echoes no TSval the peer sent`;
    return undefined;
  }

  private readonly clocks = new Map<string, { first: [number, number]; real: Set<number>; emu: Set<number> }>();

  /** Sequence numbers: both must be the same distance from their flow's first. */
  private offset(flow: string, r: number, e: number): string | undefined {
    const base = this.bases.get(flow);
    if (base === undefined) {
      this.bases.set(flow, [r, e]);
      return undefined;
    }
    const dr = (r - base[0] + 2 ** 32) % 2 ** 32;
    const de = (e - base[1] + 2 ** 32) % 2 ** 32;
    return dr === de ? undefined : `real is ${dr} past the flow's first, emulated ${de}`;
  }
}

/**
 * How late Linux may fire a neighbour timer: the timer wheel (kernel/time/timer.c) files a timeout of 4 to
 * 32 s at HZ=1000 in level 3, whose buckets are 512 ms wide, and rounds its expiry up to the bucket; so
 * DELAY's 5 s ends 5.0 to 5.5 s after the use (seen here: a unicast probe 5.14 s after the reply that
 * started DELAY). podnet fires it at 5.0 s.
 */
export const TIMER_SLACK_NS = 512_000_000;

/**
 * Forgives a real timer firing up to `slackNs` later than podnet's (TIMER_SLACK_NS): an emulated frame
 * whose label its step has more of than the real step moves to the first later step that starts within
 * `slackNs` of it and has one too few (steps that send nothing may lie between); one the real run lacks
 * within `slackNs` of the end is dropped (the real one came after the captures ended). `ends[i]` is when
 * emulated bin i ends (bin 0 is before the first step, the last bin ends with the run).
 */
export function forgiveTimerSlack(
  real: DecodedFrame[][],
  emu: DecodedFrame[][],
  ends: number[],
  slackNs: number,
): void {
  const surplus = (a: DecodedFrame[], b: DecodedFrame[], label: string): number =>
    a.filter((f) => f.label === label).length - b.filter((f) => f.label === label).length;
  for (let s = 0; s < emu.length; s++) {
    const bin = emu[s]!;
    const end = ends[s];
    if (end === undefined) break;
    for (let j = bin.length - 1; j >= 0; j--) {
      const f = bin[j]!;
      if (f.timeNs === undefined || f.timeNs < end - slackNs) break;
      if (surplus(bin, real[s] ?? [], f.label) <= 0) continue;
      if (s === emu.length - 1) {
        bin.splice(j, 1);
        continue;
      }
      // bin k starts when bin k - 1 ends
      for (let k = s + 1; k < emu.length && (ends[k - 1] ?? Infinity) <= f.timeNs + slackNs; k++)
        if (surplus(real[k] ?? [], emu[k] ?? [], f.label) > 0) {
          bin.splice(j, 1);
          emu[k]!.unshift(f);
          break;
        }
    }
  }
}

/** One difference on a link. */
export interface FrameDiff {
  /** 1-based step number, 0 before the first step. */
  step: number;
  /** 1-based frame number on the link within the step (real side; emulated for only-emulated). */
  frame: number;
  label: string;
  /** The field that differs; undefined for a frame only one side has. */
  field?: string;
  real?: string;
  emulated?: string;
}

/**
 * Pairs two captures of one link within a step: the k-th real frame with a label is matched with the k-th
 * emulated frame with that label, and matched frames are compared field by field; a frame only one side
 * has is a difference too. Frames with different labels are not ordered against each other: how they
 * interleave depends on link latencies the real lab may not have (no sch_netem) and on how long the real
 * programs take between sends, not on what the kernel sends.
 */
export function compareFrames(step: number, real: DecodedFrame[], emu: DecodedFrame[], roles: RoleMap): FrameDiff[] {
  const queues = new Map<string, number[]>();
  for (const [j, f] of emu.entries()) {
    const q = queues.get(f.label);
    if (q === undefined) queues.set(f.label, [j]);
    else q.push(j);
  }
  const matched = new Set<number>();
  const diffs: FrameDiff[] = [];
  for (const [i, f] of real.entries()) {
    const j = queues.get(f.label)?.shift();
    if (j === undefined) {
      diffs.push({ step, frame: i + 1, label: f.label, real: 'sent', emulated: '(no such frame)' });
      continue;
    }
    matched.add(j);
    diffs.push(...compareFields(step, i + 1, f, emu[j]!, roles));
  }
  for (const [j, f] of emu.entries())
    if (!matched.has(j)) diffs.push({ step, frame: j + 1, label: f.label, real: '(no such frame)', emulated: 'sent' });
  return diffs;
}

function compareFields(step: number, frame: number, r: DecodedFrame, e: DecodedFrame, roles: RoleMap): FrameDiff[] {
  const out: FrameDiff[] = [];
  const em = new Map(e.fields.map((f) => [f.name, f]));
  const seen = new Set<string>();
  for (const f of r.fields) {
    seen.add(f.name);
    const g = em.get(f.name);
    if (g === undefined) {
      out.push({ step, frame, label: r.label, field: f.name, real: f.value, emulated: '(absent)' });
      continue;
    }
    if (f.role !== undefined) {
      const why = roles.match(f, f.value, g.value);
      if (why !== undefined)
        out.push({
          step,
          frame,
          label: r.label,
          field: `${f.name} (by role)`,
          real: f.value,
          emulated: `${g.value}: ${why}`,
        });
    } else if (f.value !== g.value)
      out.push({ step, frame, label: r.label, field: f.name, real: f.value, emulated: g.value });
  }
  for (const g of e.fields)
    if (!seen.has(g.name))
      out.push({ step, frame, label: r.label, field: g.name, real: '(absent)', emulated: g.value });
  return out;
}

/** Shortens long hex values for the table. */
function short(v: string | undefined): string {
  if (v === undefined) return '';
  return v.length > 48 ? `${v.slice(0, 44)}...(${v.length / 2} bytes)` : v;
}

/** The per-link table of differences, as `podnet verify` prints it. */
export function formatDiffTable(byLink: { link: string; diffs: FrameDiff[] }[]): string {
  const lines: string[] = [];
  for (const { link, diffs } of byLink) {
    lines.push(`${link}: ${diffs.length === 0 ? 'same' : `${diffs.length} difference(s)`}`);
    for (const d of diffs)
      lines.push(
        `  step ${d.step} frame ${d.frame} ${d.label}${d.field ? `  ${d.field}` : ''}: real ${short(d.real)}, emulated ${short(d.emulated)}`,
      );
  }
  return lines.join('\n');
}
