/**
 * traceroute, as Linux's traceroute 2.1 does it: three probes per hop, the TTL rising from 1 until the
 * destination answers or 30 hops pass, up to 16 probes in flight at once (-N), each waiting up to 5 s.
 * Probes are UDP to ports 33434 and up (the default), ICMP echo requests (-I) or TCP SYNs to port 80
 * (-T). Hops are printed in order, each once all its probes are answered or timed out; probing stops at
 * the hop where the destination (or an unreachable) answered. Output in the tool's own layout.
 *
 * What the probes look like was read off tcpdump in namespaces (traceroute 2.1.2, Debian 12): UDP from a
 * new ephemeral port per probe with data 0x40, 0x41, ...; ICMP echo with one identifier, sequence 1, 2,
 * ... per probe and data 0x48, 0x49, ... (the pattern counted from the ICMP header); TCP SYN from a new
 * port per probe, a random sequence number, window 5840 and the options mss 1460, sackOK, timestamps,
 * nop, wscale 2. None sets DF. The destination's answer ends a probe: port unreachable (UDP), echo reply
 * (ICMP), RST or SYN-ACK (TCP). traceroute's -w also takes HERE and NEAR factors that shorten the wait
 * once a nearby probe was answered; only the MAX wait is modelled here, which changes when a `*` is
 * decided, not whether.
 */
import { formatIpv4, type Ipv4 } from '../wire/addr.js';
import {
  ICMP_DEST_UNREACH,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_TIME_EXCEEDED,
  emitIcmp,
  icmpLength,
  type IcmpMessage,
} from '../wire/icmp.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../wire/ipv4.js';
import { TCP_ACK, TCP_RST, TCP_SYN, emitTcp, type TcpOption } from '../wire/tcp.js';
import { IP_OFF, type IcmpEvent, type IpNode, type SendError } from '../net/ip-node.js';
import type { UdpStack } from '../transport/udp.js';
import type { Timer } from '../sim/engine.js';

/** How probes are sent: UDP (default), ICMP echo (-I) or TCP SYN (-T). */
export type TracerouteMethod = 'udp' | 'icmp' | 'tcp';

/** Options as `traceroute -m MAX -q N -w WAIT -p PORT -N SIM [-I|-T]`. */
export interface TracerouteOptions {
  maxHops: number;
  queries: number;
  /** ns to wait for each probe. */
  wait: number;
  /** UDP: the first destination port (one more per probe, 33434); TCP: the destination port (80). */
  port?: number;
  /** Total packet size (traceroute's default: 60 bytes). */
  packetLen: number;
  /** -N: probes in flight at once (default 16). */
  simProbes: number;
  method: TracerouteMethod;
  /**
   * ns the tool spends on each probe it sends (a socket, its options, sendto): answers that come back
   * meanwhile wait in their sockets until the batch is sent and the tool polls.
   */
  sendCost: number;
}

/** traceroute's defaults. */
export const DEFAULT_TRACEROUTE: TracerouteOptions = {
  maxHops: 30,
  queries: 3,
  wait: 5_000_000_000,
  packetLen: 60,
  simProbes: 16,
  method: 'udp',
  // traceroute 2.1.2 here sent a probe every 20-23 us when no answer came between (tcpdump on the sender's
  // veth, 16 probes to a host three hops away)
  sendCost: 20_000,
};

/** The first UDP destination port (traceroute's DEF_START_PORT). */
const UDP_START_PORT = 33434;
/** The TCP destination port of -T (traceroute's DEF_TCP_PORT). */
const TCP_DEFAULT_PORT = 80;

/** One probe's answer. */
export interface Probe {
  from?: Ipv4;
  rttNs?: number;
  /** traceroute's annotation: !H, !N, !P, !F-<mtu>, or '' for a plain answer. */
  note: string;
}

/** One line: a hop and its probes. */
export interface Hop {
  ttl: number;
  probes: Probe[];
}

/** A finished traceroute. */
export interface TracerouteResult {
  dst: Ipv4;
  hops: Hop[];
  reached: boolean;
}

/** A probe in flight or done. */
interface Slot {
  ttl: number;
  sentAt: number;
  /** UDP/TCP source port, or the ICMP sequence number. */
  key: number;
  /** UDP: this probe's destination port. */
  dport: number;
  done: boolean;
  final: boolean;
  probe?: Probe;
  timer?: Timer;
  release?: () => void;
}

/** traceroute's annotation for an ICMP destination unreachable code ('' for the destination's own port/protocol). */
function unreachNote(code: number, nextHopMtu: number | undefined): string {
  switch (code) {
    case 0:
      return '!N';
    case 1:
      return '!H';
    case 2:
      return '!P';
    case 3:
      return '';
    case 4:
      return `!F-${nextHopMtu ?? 0}`;
    case 13:
      return '!X';
    default:
      return `!<${code}>`;
  }
}

/** Runs traceroute from `node` (with its UDP stack) to `dst`; `done` gets the result. */
export function traceroute(
  node: IpNode,
  udp: UdpStack,
  dst: Ipv4,
  options: Partial<TracerouteOptions>,
  done: (r: TracerouteResult) => void,
): void {
  const o = { ...DEFAULT_TRACEROUTE, ...options };
  const engine = node.engine;
  const r: TracerouteResult = { dst, hops: [], reached: false };
  const rng = engine.stream(`node:${node.name}/traceroute`);
  const ident = rng.nextU32() & 0xffff;
  const dataLen = Math.max(0, o.packetLen - 28);
  // the pattern 0x40 + i, counted from the transport header: UDP data starts at 0x40 (its header is
  // not part of the pattern), ICMP data at 0x48 (seen in tcpdump of the real tool)
  const udpData = Uint8Array.from({ length: dataLen }, (_, i) => 0x40 + (i & 0x3f));
  const icmpData = Uint8Array.from({ length: dataLen }, (_, i) => 0x40 + ((i + 8) & 0x3f));
  const tcpPort = o.port ?? TCP_DEFAULT_PORT;
  const slots: Slot[] = [];
  let end = o.maxHops * o.queries;
  let inFlight = 0;
  let printedHops = 0;
  let finished = false;
  // traceroute's main loop sends a batch of probes, then polls: answers that arrive during the batch are
  // read only then (traceroute.c do_it)
  let sending = false;
  const unread: (() => void)[] = [];

  const find = (pred: (s: Slot) => boolean): Slot | undefined => {
    for (let i = 0; i < Math.min(slots.length, end); i++) {
      const s = slots[i]!;
      if (!s.done && pred(s)) return s;
    }
    return undefined;
  };

  const answer = (s: Slot, p: Probe, final: boolean): void => {
    if (s.done) return;
    if (sending) {
      // in the socket, unread; the kernel's receive time stays the probe's (SO_TIMESTAMP)
      s.timer?.cancel();
      unread.push(() => read(s, p, final));
      return;
    }
    read(s, p, final);
  };

  const read = (s: Slot, p: Probe, final: boolean): void => {
    if (s.done) return;
    s.done = true;
    s.probe = p;
    s.final = final;
    s.timer?.cancel();
    s.release?.();
    inFlight--;
    if (final) end = Math.min(end, s.ttl * o.queries);
    // the hop's line waits for all its probes; the next sends wait for this event's answers (main loop)
    engine.schedule(0, advance);
  };

  const offIcmp = node.onIcmp((ev: IcmpEvent) => {
    const m = ev.message;
    if (o.method === 'icmp' && m.kind === 'echo' && m.type === ICMP_ECHO_REPLY) {
      if (m.id !== ident || ev.src !== dst) return;
      const s = find((x) => x.key === m.seq);
      if (s !== undefined) answer(s, { from: ev.src, rttNs: ev.time - s.sentAt, note: '' }, true);
      return;
    }
    if (m.kind !== 'unreachable' && m.kind !== 'time-exceeded') return;
    const q = m.original;
    const ihl = ((q[0] ?? 0) & 0x0f) * 4;
    if (q.length < ihl + 8) return;
    const proto = q[9];
    let s: Slot | undefined;
    if (o.method === 'udp' && proto === IPPROTO_UDP) {
      const sport = (q[ihl]! << 8) | q[ihl + 1]!;
      const dport = (q[ihl + 2]! << 8) | q[ihl + 3]!;
      s = find((x) => x.key === sport && x.dport === dport);
    } else if (o.method === 'tcp' && proto === IPPROTO_TCP) {
      const sport = (q[ihl]! << 8) | q[ihl + 1]!;
      s = find((x) => x.key === sport);
    } else if (o.method === 'icmp' && proto === IPPROTO_ICMP && q[ihl] === ICMP_ECHO_REQUEST) {
      const qid = (q[ihl + 4]! << 8) | q[ihl + 5]!;
      const qseq = (q[ihl + 6]! << 8) | q[ihl + 7]!;
      if (qid === ident) s = find((x) => x.key === qseq);
    }
    if (s === undefined) return;
    if (m.type === ICMP_TIME_EXCEEDED) answer(s, { from: ev.src, rttNs: ev.time - s.sentAt, note: '' }, false);
    else if (m.type === ICMP_DEST_UNREACH)
      answer(
        s,
        {
          from: ev.src,
          rttNs: ev.time - s.sentAt,
          note: unreachNote(m.code, m.kind === 'unreachable' ? m.nextHopMtu : undefined),
        },
        true,
      );
  });

  // -T: the destination's RST or SYN-ACK reaches the TCP stack; look at it first, as a raw socket does,
  // and pass it on (the stack answers a SYN-ACK for no connection with a RST, as the kernel does)
  const stackTcp = o.method === 'tcp' ? node.protocolHandler(IPPROTO_TCP) : undefined;
  if (o.method === 'tcp')
    node.setProtocolHandler(IPPROTO_TCP, (frame, ipLen, dev) => {
      const ihl = (frame[IP_OFF]! & 0x0f) * 4;
      const t = IP_OFF + ihl;
      const src =
        ((frame[IP_OFF + 12]! << 24) |
          (frame[IP_OFF + 13]! << 16) |
          (frame[IP_OFF + 14]! << 8) |
          frame[IP_OFF + 15]!) >>>
        0;
      if (ipLen >= ihl + 20 && src === dst) {
        const sport = (frame[t]! << 8) | frame[t + 1]!;
        const dport = (frame[t + 2]! << 8) | frame[t + 3]!;
        const flags = frame[t + 13]!;
        const reply = (flags & TCP_RST) !== 0 || (flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
        const s = sport === tcpPort && reply ? find((x) => x.key === dport) : undefined;
        if (s !== undefined) answer(s, { from: src, rttNs: engine.now - s.sentAt, note: '' }, true);
      }
      stackTcp?.(frame, ipLen, dev);
    });

  const finish = (): void => {
    if (finished) return;
    finished = true;
    offIcmp();
    if (o.method === 'tcp' && stackTcp !== undefined) node.setProtocolHandler(IPPROTO_TCP, stackTcp);
    for (const s of slots) {
      s.timer?.cancel();
      s.release?.();
    }
    done(r);
  };

  const sendProbe = (s: Slot, index: number): SendError | undefined => {
    const ip = { dst, ttl: s.ttl, df: false };
    if (o.method === 'udp') {
      // a new socket per probe: its own ephemeral source port (seen against the real tool), connected, so
      // with a flow hash of its own (through VXLAN two probes of one port pair left from two ports)
      const sport = udp.bind(0, () => {});
      s.key = sport;
      s.dport = (o.port ?? UDP_START_PORT) + index;
      s.release = () => udp.unbind(sport);
      return udp.send(sport, dst, s.dport, udpData, { ...ip, hash: udp.connectHash() });
    }
    if (o.method === 'icmp') {
      s.key = index + 1;
      const msg: IcmpMessage = {
        kind: 'echo',
        type: ICMP_ECHO_REQUEST,
        code: 0,
        id: ident,
        seq: s.key,
        data: icmpData,
      };
      return node.sendIp({ ...ip, protocol: IPPROTO_ICMP }, icmpLength(msg), (f, off) => {
        emitIcmp(msg, f, off);
      });
    }
    // Linux's ephemeral range (ip_local_port_range 32768 60999), drawn per probe
    s.key = 32768 + (rng.nextU32() % (60999 - 32768 + 1));
    const options: TcpOption[] = [
      { kind: 'mss', mss: 1460 },
      { kind: 'sack-permitted' },
      { kind: 'timestamps', tsval: Math.floor(engine.now / 1_000_000) >>> 0, tsecr: 0 },
      { kind: 'nop' },
      { kind: 'wscale', shift: 2 },
    ];
    const seg = {
      srcPort: s.key,
      dstPort: tcpPort,
      seq: rng.nextU32(),
      ack: 0,
      flags: TCP_SYN,
      window: 5840,
      urgent: 0,
      options,
      payload: new Uint8Array(0),
    };
    return node.sendIp({ ...ip, protocol: IPPROTO_TCP }, 40, (f, off, src) => {
      emitTcp(seg, src, dst, f, off);
    });
  };

  /** One pass of the tool's loop: sends what the window allows, one probe per `sendCost`, then polls. */
  const sendMore = (): void => {
    if (finished || slots.length >= end || inFlight >= o.simProbes) return;
    sending = true;
    const index = slots.length;
    const s: Slot = {
      ttl: Math.floor(index / o.queries) + 1,
      sentAt: engine.now,
      key: -1,
      dport: 0,
      done: false,
      final: false,
    };
    slots.push(s);
    inFlight++;
    const err = sendProbe(s, index);
    // ENOBUFS (a full transmit queue): traceroute's do_send gives the probe up without a word, so it
    // gets no answer and shows as '*' like a lost one
    if (err !== undefined && err !== 'no-buffer-space')
      unread.push(() => read(s, { note: err === 'no-route' ? '!N' : '!X' }, true));
    else
      s.timer = engine.timer(o.wait, () => {
        s.timer = undefined;
        answer(s, { note: '' }, false);
      });
    engine.schedule(o.sendCost, () => {
      if (slots.length < end && inFlight < o.simProbes) return sendMore();
      // the batch is out: poll, and read every answer that came meanwhile
      sending = false;
      for (const f of unread.splice(0)) f();
    });
  };

  function advance(): void {
    if (finished) return;
    // print every hop whose probes are all done, in order
    while (printedHops * o.queries < end) {
      const first = printedHops * o.queries;
      if (slots.length < first + o.queries) break;
      const hop = slots.slice(first, first + o.queries);
      if (!hop.every((s) => s.done)) break;
      r.hops.push({ ttl: printedHops + 1, probes: hop.map((s) => s.probe!) });
      printedHops++;
    }
    if (printedHops * o.queries >= end) {
      const last = r.hops.at(-1);
      r.reached = last?.probes.some((p) => p.from === dst) ?? false;
      finish();
      return;
    }
    sendMore();
  }

  sendMore();
}

/**
 * The text traceroute prints. Its first line names the destination as it was given (`traceroute to web
 * (10.43.237.236)`, as traceroute 2.1 prints it; `host`, default the address). Without -n the tool prints
 * each hop as "name (address)"; with no reverse DNS here the name is the address, exactly as traceroute
 * shows an address that has no PTR record.
 */
export function formatTraceroute(
  r: TracerouteResult,
  o: Partial<TracerouteOptions> = {},
  numeric = false,
  host = formatIpv4(r.dst),
): string {
  const opts = { ...DEFAULT_TRACEROUTE, ...o };
  const out = [
    `traceroute to ${host} (${formatIpv4(r.dst)}), ${opts.maxHops} hops max, ${opts.packetLen} byte packets`,
  ];
  for (const h of r.hops) {
    let line = `${String(h.ttl).padStart(2)} `;
    let last: Ipv4 | undefined;
    for (const p of h.probes) {
      if (p.from === undefined) {
        line += ' *';
        continue;
      }
      if (p.from !== last)
        line += numeric ? ` ${formatIpv4(p.from)}` : ` ${formatIpv4(p.from)} (${formatIpv4(p.from)})`;
      last = p.from;
      line += `  ${((p.rttNs ?? 0) / 1e6).toFixed(3)} ms${p.note ? ` ${p.note}` : ''}`;
    }
    out.push(line);
  }
  return out.join('\n');
}
