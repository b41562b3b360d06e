/**
 * The reachability matrix, measured: real probes sent from each source pod's own stacks through the
 * emulated data path (veth, bridge, the node's netfilter with the policy enforcer's chains, the overlay),
 * as the Kubernetes e2e netpol suite probes (test/e2e/network/netpol/probe.go: `agnhost connect
 * --timeout=1s` from the pod to the target's address and port, one fresh connection per probe):
 * - TCP: a connect. The handshake completing is "connected" (the prober then aborts with RST, as a
 *   client that only wanted to know); a RST is "refused" (nothing listens, or a REJECT with tcp-reset);
 *   an ICMP destination unreachable is "rejected" (a REJECT rule's icmp-port-unreachable, a prohibit
 *   route); no answer within the timeout is "timeout" (a DROP).
 * - UDP: one datagram to a server that answers each (agnhost serve-hostname --udp); an answer is
 *   "answered", an ICMP unreachable "rejected", silence "timeout".
 * - SCTP: podnet has no SCTP transport, so such probes are "not-emulated", never allowed nor denied.
 * Probes do not interfere: each is a new connection from a fresh ephemeral port (a new conntrack tuple,
 * so no earlier probe's entry lets it through), started in a fixed order, paced so that no link queue,
 * ARP queue or listen backlog overflows (drops for those reasons are counted and reported, since they
 * would make a probe look denied). Probes run in batches: a batch's probes are all in flight together,
 * and the engine runs until every one has its outcome or the timeout has passed.
 * This file owns sending and classifying; the judge and the comparison are policy-matrix-judge.ts, the
 * printing policy-matrix-format.ts.
 */
import { SECOND, US } from '../sim/engine.js';
import type { Prng } from '../sim/prng.js';
import { IP_OFF, type IcmpEvent, type ProtocolHandler, type SendOptions } from '../net/ip-node.js';
import type { NetDev } from '../net/netdev.js';
import type { DropReason } from '../link/trace.js';
import type { UdpDatagramIn } from '../transport/udp.js';
import { readIpv4, type Ipv4 } from '../wire/addr.js';
import { readU32 } from '../wire/bytes.js';
import { IPPROTO_TCP, IPV4_SRC_OFF } from '../wire/ipv4.js';
import {
  TCP_ACK,
  TCP_MIN_HEADER_LEN,
  TCP_RST,
  TCP_SYN,
  emitTcpHeader,
  tcpHeaderLength,
  writeTcpChecksum,
  type TcpHeader,
  type TcpOption,
} from '../wire/tcp.js';
import type { ClusterPod, ClusterRuntime } from './runtime.js';

/** What a probe carries. */
export type ProbeProtocol = 'TCP' | 'UDP' | 'SCTP';

/** How a probe ended. */
export type ProbeOutcome =
  'connected' | 'answered' | 'refused' | 'rejected' | 'timeout' | 'unreachable' | 'not-emulated';
// 'unreachable': the source itself had no route (no packet left)

/** Outcomes that mean the traffic got through. */
export function outcomeAllowed(o: ProbeOutcome): boolean | undefined {
  return o === 'not-emulated' ? undefined : o === 'connected' || o === 'answered';
}

/** One probe to send. */
export interface Probe {
  from: ClusterPod;
  to: ClusterPod;
  port: number;
  protocol: ProbeProtocol;
}

/** A probe and what came of it. */
export interface ProbeResult extends Probe {
  outcome: ProbeOutcome;
  /** For 'rejected': the ICMP code (3 port unreachable, 13 administratively prohibited, ...). */
  icmpCode?: number;
  /** The source port it left from (how to find it in a pcap or conntrack -L). */
  srcPort: number;
}

/** Tunables of a probe run. */
export interface ProbeOptions {
  /** How long a probe waits for an answer (e2e: agnhost connect --timeout=1s). */
  timeoutNs: number;
  /** Probes in flight together (one batch). */
  batch: number;
  /** Simulated time between two probes' starts within a batch (pacing, so no queue overflows). */
  gapNs: number;
}

/** The defaults: the e2e's 1 s timeout, 4,096 probes per batch, one start every 2 µs. */
export const DEFAULT_PROBE_OPTIONS: ProbeOptions = { timeoutNs: SECOND, batch: 4096, gapNs: 2 * US };

/** Drop reasons that mean a probe was lost to congestion, not to policy. */
const INTERFERENCE: readonly DropReason[] = ['queue-full', 'arp-queue-full', 'listen-overflow'];

/** What a probe run found. */
export interface ProbeRun {
  results: ProbeResult[];
  /** Frames dropped for congestion during the run (a non-zero count makes timeouts suspect). */
  interference: Partial<Record<DropReason, number>>;
  /** Simulated time the run took. */
  simNs: number;
  /** Engine events it ran. */
  events: number;
}

const PENDING = 0;
/** Every probe outcome, in a fixed order: an outcome's index here is its code in packed arrays. */
export const PROBE_OUTCOMES: readonly ProbeOutcome[] = [
  'connected',
  'answered',
  'refused',
  'rejected',
  'timeout',
  'unreachable',
  'not-emulated',
];
/** Outcome codes of the pending-probe array: 0 is PENDING, so an outcome's code is its index + 1. */
const CODE = Object.fromEntries(PROBE_OUTCOMES.map((o, i) => [o, i + 1])) as Record<ProbeOutcome, number>;

const NO_OPTIONS: readonly TcpOption[] = [];
const EPHEMERAL_LOW = 32768;
const EPHEMERAL_HIGH = 60999;
/** The last TCP probe port each pod's stack used, across probers and runs. */
const lastPort = new WeakMap<object, number>();

/** The payload of a UDP probe (agnhost connect sends the word "hostname"). */
const UDP_PROBE = new TextEncoder().encode('hostname');

/** Per source pod: its probes in flight by source port (TCP and UDP apart), for ICMP and UDP answers. */
class SourceState {
  readonly tcpByPort = new Map<number, number>();
  /** The pod's TCP stack's receive hook, which the prober's stands in front of during a run. */
  stackTcp: ProtocolHandler | undefined = undefined;
  /** Its SYNs' options: MSS from its interface MTU, and window scale. */
  synOptions: readonly TcpOption[] = NO_OPTIONS;
  /** The probes' ports: Linux's ephemeral range (ip_local_port_range 32768-60999), in turn. */
  private port: number;

  constructor(readonly pod: ClusterPod) {
    this.port = lastPort.get(pod.stack) ?? EPHEMERAL_LOW - 1;
  }

  /** The next source port (kept per pod across runs, so no run reuses a tuple conntrack may remember). */
  nextPort(): number {
    this.port = this.port >= EPHEMERAL_HIGH ? EPHEMERAL_LOW : this.port + 1;
    lastPort.set(this.pod.stack, this.port);
    return this.port;
  }

  readonly udpByPort = new Map<number, number>();
  unsubscribe: (() => void) | undefined = undefined;
  /** Its UDP probes' answer handler (one per pod, not one per probe). */
  onUdp: (d: UdpDatagramIn) => void = () => {};
}

/** Runs probes through a built cluster. One runner per cluster; runs go one after the other. */
export class PolicyProber {
  private readonly opts: ProbeOptions;
  private probes: readonly Probe[] = [];
  private outcome = new Uint8Array(0);
  private icmpCode = new Uint8Array(0);
  private srcPort = new Uint16Array(0);
  private startedAt = new Float64Array(0);
  private pending = 0;
  private readonly sources = new Map<ClusterPod, SourceState>();
  private readonly startFn = (i: number): void => this.start(i);
  /** The segment being sent, reused for every SYN and RST. */
  private readonly segment: TcpHeader = {
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0,
    urgent: 0,
    options: NO_OPTIONS,
  };
  private readonly sendOpts: SendOptions & { src: Ipv4 } = { dst: 0, src: 0, protocol: IPPROTO_TCP };
  /** Initial sequence numbers: the prober's own stream, so probing moves no other model's numbers. */
  private readonly isn: Prng;

  constructor(
    private readonly rt: ClusterRuntime,
    opts: Partial<ProbeOptions> = {},
  ) {
    this.opts = { ...DEFAULT_PROBE_OPTIONS, ...opts };
    this.isn = rt.engine.stream('policy-matrix/isn');
  }

  /** Sends every probe, batch by batch, and classifies each. The results are in the probes' order. */
  run(probes: readonly Probe[]): ProbeRun {
    const engine = this.rt.engine;
    const t0 = engine.now;
    const e0 = engine.eventsRun;
    const before = this.interferenceCounts();
    this.probes = probes;
    const n = probes.length;
    this.outcome = new Uint8Array(n);
    this.icmpCode = new Uint8Array(n);
    this.srcPort = new Uint16Array(n);
    this.startedAt = new Float64Array(n);
    for (const p of probes) this.sourceOf(p.from);
    for (let first = 0; first < n; first += this.opts.batch) this.runBatch(first, Math.min(n, first + this.opts.batch));
    for (const s of this.sources.values()) {
      s.unsubscribe?.();
      if (s.stackTcp !== undefined) s.pod.stack.setProtocolHandler(IPPROTO_TCP, s.stackTcp);
    }
    this.sources.clear();
    const after = this.interferenceCounts();
    const interference: Partial<Record<DropReason, number>> = {};
    for (const r of INTERFERENCE) if (after[r]! > before[r]!) interference[r] = after[r]! - before[r]!;
    const results = probes.map((p, i): ProbeResult => {
      const outcome = PROBE_OUTCOMES[this.outcome[i]! - 1] ?? 'timeout';
      return {
        ...p,
        outcome,
        srcPort: this.srcPort[i]!,
        ...(outcome === 'rejected' ? { icmpCode: this.icmpCode[i]! } : {}),
      };
    });
    this.probes = [];
    return { results, interference, simNs: engine.now - t0, events: engine.eventsRun - e0 };
  }

  private runBatch(first: number, end: number): void {
    const engine = this.rt.engine;
    this.pending = end - first;
    for (let i = first; i < end; i++) engine.schedule((i - first) * this.opts.gapNs, this.startFn, i);
    const deadline = engine.now + (end - first) * this.opts.gapNs + this.opts.timeoutNs + 1;
    engine.run(deadline);
    // whatever has no answer by now timed out (TCP sockets have said so themselves; UDP has no socket state)
    for (let i = first; i < end; i++) if (this.outcome[i] === PENDING) this.outcome[i] = CODE.timeout;
    for (const s of this.sources.values()) {
      s.tcpByPort.clear();
      if (s.udpByPort.size === 0) continue;
      for (const port of s.udpByPort.keys()) this.probes[s.udpByPort.get(port)!]!.from.udp.unbind(port);
      s.udpByPort.clear();
    }
  }

  private resolve(i: number, outcome: ProbeOutcome): void {
    if (this.outcome[i] !== PENDING) return;
    // an answer after the probe's own timeout is one the prober had stopped waiting for
    const late = this.rt.engine.now - this.startedAt[i]! > this.opts.timeoutNs;
    this.outcome[i] = CODE[late ? 'timeout' : outcome];
    if (--this.pending === 0) this.rt.engine.stop();
  }

  private start(i: number): void {
    const p = this.probes[i]!;
    const engine = this.rt.engine;
    this.startedAt[i] = engine.now;
    if (p.protocol === 'SCTP') {
      this.resolve(i, 'not-emulated');
      return;
    }
    const src = this.sources.get(p.from)!;
    if (p.protocol === 'UDP') {
      const port = p.from.udp.bind(0, src.onUdp);
      this.srcPort[i] = port;
      src.udpByPort.set(port, i);
      const err = p.from.udp.send(port, p.to.ip, p.port, UDP_PROBE);
      if (err !== undefined) this.resolve(i, 'unreachable');
      return;
    }
    this.sendSyn(p, src, i);
  }

  /** Sends probe `i`'s SYN from a fresh port of its pod (MSS and window scale, as the stack's own SYN). */
  private sendSyn(p: Probe, src: SourceState, i: number): void {
    const port = src.nextPort();
    this.srcPort[i] = port;
    src.tcpByPort.set(port, i);
    const h = this.segment;
    h.srcPort = port;
    h.dstPort = p.port;
    h.seq = this.isn.nextU32();
    h.ack = 0;
    h.flags = TCP_SYN;
    h.window = 64240;
    h.options = src.synOptions;
    this.sendOpts.dst = p.to.ip;
    this.sendOpts.src = p.from.ip;
    const err = p.from.stack.sendIp(this.sendOpts, tcpHeaderLength(h), this.fillSegment);
    // a full queue's drop is interference (INTERFERENCE), judged where drops are, not an unreachable target
    if (err !== undefined && err !== 'no-buffer-space') this.resolve(i, 'unreachable');
  }

  /** Writes `segment` (set up by the caller) into a frame sendIp allocated. */
  private readonly fillSegment = (f: Uint8Array, off: number, src: Ipv4): void => {
    const len = emitTcpHeader(this.segment, f, off);
    writeTcpChecksum(src, this.sendOpts.dst, f, off, len);
  };

  /**
   * A TCP segment for a source pod, before its stack: a SYN-ACK or RST for one of its probes is the
   * prober's (a SYN-ACK is answered with RST, as a client that aborts the handshake; the target's half-open
   * connection goes away); everything else goes on to the pod's TCP stack.
   */
  private tcpIn(src: SourceState, frame: Uint8Array, ipLen: number, dev: NetDev): void {
    const ihl = (frame[IP_OFF]! & 0x0f) * 4;
    const l4 = IP_OFF + ihl;
    const i = ipLen - ihl >= 20 ? src.tcpByPort.get((frame[l4 + 2]! << 8) | frame[l4 + 3]!) : undefined;
    const p = i === undefined ? undefined : this.probes[i]!;
    if (
      i === undefined ||
      p === undefined ||
      readIpv4(frame, IP_OFF + IPV4_SRC_OFF) !== p.to.ip ||
      ((frame[l4]! << 8) | frame[l4 + 1]!) !== p.port
    ) {
      src.stackTcp?.(frame, ipLen, dev);
      return;
    }
    const flags = frame[l4 + 13]!;
    if ((flags & TCP_RST) !== 0) {
      this.resolve(i, 'refused');
      return;
    }
    if ((flags & (TCP_SYN | TCP_ACK)) !== (TCP_SYN | TCP_ACK)) return;
    this.resolve(i, 'connected');
    const h = this.segment;
    h.srcPort = this.srcPort[i]!;
    h.dstPort = p.port;
    h.seq = readU32(frame, l4 + 8);
    h.ack = 0;
    h.flags = TCP_RST;
    h.window = 0;
    h.options = NO_OPTIONS;
    this.sendOpts.dst = p.to.ip;
    this.sendOpts.src = p.from.ip;
    p.from.stack.sendIp(this.sendOpts, TCP_MIN_HEADER_LEN, this.fillSegment);
  }

  private udpAnswer(src: SourceState, d: UdpDatagramIn): void {
    const i = src.udpByPort.get(d.dstPort);
    if (i === undefined) return;
    const p = this.probes[i]!;
    if (d.src !== p.to.ip || d.srcPort !== p.port) return;
    if (d.time - this.startedAt[i]! <= this.opts.timeoutNs) this.resolve(i, 'answered');
  }

  /** An ICMP destination unreachable quoting one of this pod's probes: the probe was rejected. */
  private icmp(src: SourceState, ev: IcmpEvent): void {
    const m = ev.message;
    if (m.kind !== 'unreachable') return;
    const q = m.original;
    if (q.length < 28) return;
    const ihl = (q[0]! & 0x0f) * 4;
    const sport = (q[ihl]! << 8) | q[ihl + 1]!;
    const i = q[9] === 6 ? src.tcpByPort.get(sport) : q[9] === 17 ? src.udpByPort.get(sport) : undefined;
    if (i === undefined) return;
    this.resolve(i, 'rejected');
    this.icmpCode[i] = m.code;
  }

  private sourceOf(pod: ClusterPod): SourceState {
    let s = this.sources.get(pod);
    if (s === undefined) {
      const st = new SourceState(pod);
      st.unsubscribe = pod.stack.onIcmp((ev) => this.icmp(st, ev));
      st.onUdp = (d) => this.udpAnswer(st, d);
      st.stackTcp = pod.stack.protocolHandler(IPPROTO_TCP);
      pod.stack.setProtocolHandler(IPPROTO_TCP, (frame, ipLen, dev) => this.tcpIn(st, frame, ipLen, dev));
      const mtu = pod.stack.dev('eth0')?.mtu ?? 1500;
      st.synOptions = [{ kind: 'mss', mss: mtu - 40 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }];
      this.sources.set(pod, st);
      s = st;
    }
    return s;
  }

  private interferenceCounts(): Record<string, number> {
    const c: Record<string, number> = {};
    for (const r of INTERFERENCE) c[r] = 0;
    for (const d of this.rt.network.devices.values()) for (const r of INTERFERENCE) c[r]! += d.drops[r] ?? 0;
    return c;
  }
}

/** The pods a matrix covers: every running pod with its own network namespace, by namespace then name. */
export function matrixPods(rt: ClusterRuntime): ClusterPod[] {
  return [...rt.pods.values()]
    .filter((p) => !p.hostNetwork)
    .sort((a, b) => (a.namespace === b.namespace ? cmp(a.name, b.name) : cmp(a.namespace, b.namespace)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One port and protocol of a matrix. */
export interface MatrixColumn {
  port: number;
  protocol: ProbeProtocol;
}

/** Every port and protocol the pods' containers declare, by protocol (TCP, UDP, SCTP) then port. */
export function declaredColumns(rt: ClusterRuntime, pods: readonly ClusterPod[]): MatrixColumn[] {
  const planned = new Map(rt.plan.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const seen = new Map<string, MatrixColumn>();
  for (const pod of pods)
    for (const c of planned.get(pod.id)?.spec.containers ?? [])
      for (const cp of c.ports)
        seen.set(`${cp.protocol}/${cp.containerPort}`, { port: cp.containerPort, protocol: cp.protocol });
  const order = { TCP: 0, UDP: 1, SCTP: 2 };
  return [...seen.values()].sort((a, b) => order[a.protocol] - order[b.protocol] || a.port - b.port);
}

/**
 * The probes of a full matrix on `column`: every pod to every pod (itself included, as the e2e's), in a
 * rotating order (round k: pod i to pod i+k) so that consecutive probes leave from and go to different pods.
 */
export function matrixProbes(pods: readonly ClusterPod[], column: MatrixColumn): Probe[] {
  const n = pods.length;
  const out: Probe[] = [];
  for (let k = 0; k < n; k++)
    for (let i = 0; i < n; i++) out.push({ from: pods[i]!, to: pods[(i + k) % n]!, ...column });
  return out;
}

/** Whether `pod` has a socket open on `port`/`protocol` (a probe to a port nothing serves is refused). */
export function podListens(pod: ClusterPod, port: number, protocol: ProbeProtocol): boolean {
  return pod.containers.statuses.some((s) => s.listening.some((l) => l.port === port && l.protocol === protocol));
}
