/**
 * Helpers for the transport/ tests and benchmarks only: small networks of IP nodes with TCP stacks, a
 * wire impairment (seeded loss, duplication and reordering) that sits in the middle of a link, and a tap
 * that records the TCP segments a node puts on its wire. Shipped code does not import this file.
 */
import { Device, Network, type Port } from '../link/device.js';
import type { LinkProps } from '../link/channel.js';
import type { Tracer } from '../link/trace.js';
import { Engine, MS, SECOND } from '../sim/engine.js';
import type { Prng } from '../sim/prng.js';
import { parseIpv4 as parseAddr, type Ipv4 } from '../wire/addr.js';
import { ETH_HEADER_LEN } from '../wire/ethernet.js';
import { IPPROTO_TCP, parseIpv4 } from '../wire/ipv4.js';
import { parseTcp, type TcpSegment } from '../wire/tcp.js';
import { IpNode } from '../net/ip-node.js';
import type { TcpSocket } from './tcp.js';
import { TcpStack } from './tcp-stack.js';
import type { TcpConfig } from './tcp-types.js';

/** Dotted quad to number; throws on a typo (a test bug). */
export function ip(s: string): Ipv4 {
  const a = parseAddr(s);
  if (a === undefined) throw new Error(`bad address ${s}`);
  return a;
}

/** What the impairment does to each frame, drawn from its own stream `node:<name>/impairment`. */
export interface ImpairmentProps {
  /** Probability a frame is dropped. */
  loss: number;
  /** Probability a frame is sent twice. */
  duplicate: number;
  /** Probability a frame is held back by a uniform 1..reorderDelayNs, letting later frames pass it. */
  reorder: number;
  reorderDelayNs: number;
  /** Drops the frames it returns true for, before any random draw (to lose one chosen segment). */
  dropIf?: (frame: Uint8Array) => boolean;
}

/** No random impairment: a bump that only applies `dropIf`. */
export function dropOnly(dropIf: (frame: Uint8Array) => boolean): ImpairmentProps {
  return { loss: 0, duplicate: 0, reorder: 0, reorderDelayNs: 1, dropIf };
}

/** A two-port bump in the wire that loses, duplicates and reorders frames, as netem would. */
export class Impairment extends Device {
  dropped = 0;
  duplicated = 0;
  delayed = 0;
  private readonly rng: Prng;

  constructor(
    network: Network,
    name: string,
    readonly props: ImpairmentProps,
  ) {
    super(network, name);
    this.rng = this.engine.stream(`node:${name}/impairment`);
    this.addPort('a');
    this.addPort('b');
  }

  get kind(): string {
    return 'impairment';
  }

  receive(port: Port, frame: Uint8Array): void {
    const out = port === this.ports[0] ? this.ports[1]! : this.ports[0]!;
    const rng = this.rng;
    const p = this.props;
    if (p.dropIf?.(frame) === true) {
      this.dropped++;
      this.drop('link-loss', frame, port, 'impairment: chosen frame');
      return;
    }
    if (p.loss > 0 && rng.next() < p.loss) {
      this.dropped++;
      this.drop('link-loss', frame, port, 'impairment');
      return;
    }
    const copies = p.duplicate > 0 && rng.next() < p.duplicate ? 2 : 1;
    if (copies === 2) this.duplicated++;
    for (let k = 0; k < copies; k++) {
      // a copy for the duplicate: the next router rewrites its frame in place
      const f = k === 0 ? frame : frame.slice();
      if (p.reorder > 0 && rng.next() < p.reorder) {
        this.delayed++;
        this.engine.schedule(1 + rng.int(p.reorderDelayNs), () => this.transmit(out, f, port));
      } else {
        this.transmit(out, f, port);
      }
    }
  }
}

/** Options of the test networks. */
export interface TcpLabOptions {
  seed?: number;
  /** Props of every link (default: 1 Gbps, 100 µs). */
  link?: Partial<LinkProps>;
  /** Props of the middle link only (host labs: the only link), over `link`. */
  middle?: Partial<LinkProps>;
  /** Puts an Impairment in the middle link. */
  impair?: ImpairmentProps;
  /** TCP tunables of both hosts. */
  tcp?: Partial<TcpConfig>;
  /** MTU of the NICs (and link) of the middle link: the routers' eth1 in threeHopLab. */
  middleMtu?: number;
  /** MTU of host A's NIC (its MSS follows). */
  mtuA?: number;
  /** MTU of host B's NIC (two-host labs only). */
  mtuB?: number;
}

/** A built network: hosts A and B with TCP, and what sits between them. */
export interface TcpLab {
  engine: Engine;
  net: Network;
  a: IpNode;
  b: IpNode;
  ta: TcpStack;
  tb: TcpStack;
  A: Ipv4;
  B: Ipv4;
  routers: IpNode[];
  impairment: Impairment | undefined;
}

const DEFAULT_LAB_LINK: Partial<LinkProps> = { bandwidth: 1_000_000_000, latency: 100_000 };

/**
 * A (10.0.1.2) -- r1 -- r2 -- B (10.0.2.2): three links, the routers joined by 10.0.12.0/24, each host
 * routing everything via its router. The impairment, if any, sits in the r1-r2 link.
 */
export function threeHopLab(o: TcpLabOptions = {}): TcpLab {
  const engine = new Engine(o.seed ?? 1);
  const net = new Network(engine);
  const link = { ...DEFAULT_LAB_LINK, ...o.link };
  const a = host(net, 'A', 0x0a, '10.0.1.2', '10.0.1.1', o.mtuA);
  const b = host(net, 'B', 0x0b, '10.0.2.2', '10.0.2.1');
  const r1 = new IpNode(net, 'r1', { forwarding: true });
  const r2 = new IpNode(net, 'r2', { forwarding: true });
  r1.addNic('eth0', 0x02_00_00_00_01_00);
  r1.addNic('eth1', 0x02_00_00_00_01_01, o.middleMtu);
  r2.addNic('eth0', 0x02_00_00_00_02_00);
  r2.addNic('eth1', 0x02_00_00_00_02_01, o.middleMtu);
  r1.addAddress('eth0', { addr: ip('10.0.1.1'), len: 24 });
  r1.addAddress('eth1', { addr: ip('10.0.12.1'), len: 24 });
  r2.addAddress('eth0', { addr: ip('10.0.2.1'), len: 24 });
  r2.addAddress('eth1', { addr: ip('10.0.12.2'), len: 24 });
  r1.routes.add({ dst: ip('10.0.2.0'), len: 24, via: ip('10.0.12.2'), dev: 'eth1' });
  r2.routes.add({ dst: ip('10.0.1.0'), len: 24, via: ip('10.0.12.1'), dev: 'eth1' });
  net.connect(a.port('eth0')!, r1.port('eth0')!, link);
  net.connect(b.port('eth0')!, r2.port('eth0')!, link);
  const middle = { ...link, ...o.middle, ...(o.middleMtu === undefined ? {} : { mtu: o.middleMtu }) };
  const impairment = o.impair === undefined ? undefined : new Impairment(net, 'netem', o.impair);
  if (impairment === undefined) {
    net.connect(r1.port('eth1')!, r2.port('eth1')!, middle);
  } else {
    // half the latency on each side of the impairment
    const half = { ...middle, latency: Math.floor((middle.latency ?? 0) / 2) };
    net.connect(r1.port('eth1')!, impairment.ports[0]!, half);
    net.connect(impairment.ports[1]!, r2.port('eth1')!, half);
  }
  return {
    engine,
    net,
    a,
    b,
    ta: new TcpStack(a, o.tcp),
    tb: new TcpStack(b, o.tcp),
    A: ip('10.0.1.2'),
    B: ip('10.0.2.2'),
    routers: [r1, r2],
    impairment,
  };
}

/** A (10.0.0.1) and B (10.0.0.2) on one cable (the `middle` props apply to it). */
export function twoHostLab(o: TcpLabOptions = {}): TcpLab {
  const engine = new Engine(o.seed ?? 1);
  const net = new Network(engine);
  const a = new IpNode(net, 'A');
  const b = new IpNode(net, 'B');
  a.addNic('eth0', 0x02_00_00_00_00_0a, o.mtuA);
  b.addNic('eth0', 0x02_00_00_00_00_0b, o.mtuB);
  a.addAddress('eth0', { addr: ip('10.0.0.1'), len: 24 });
  b.addAddress('eth0', { addr: ip('10.0.0.2'), len: 24 });
  const props = { ...DEFAULT_LAB_LINK, ...o.link, ...o.middle };
  const impairment = o.impair === undefined ? undefined : new Impairment(net, 'netem', o.impair);
  if (impairment === undefined) net.connect(a.port('eth0')!, b.port('eth0')!, props);
  else {
    net.connect(a.port('eth0')!, impairment.ports[0]!, props);
    net.connect(impairment.ports[1]!, b.port('eth0')!, props);
  }
  return {
    engine,
    net,
    a,
    b,
    ta: new TcpStack(a, o.tcp),
    tb: new TcpStack(b, o.tcp),
    A: ip('10.0.0.1'),
    B: ip('10.0.0.2'),
    routers: [],
    impairment,
  };
}

function host(net: Network, name: string, macLast: number, addr: string, gw: string, mtu?: number): IpNode {
  const n = new IpNode(net, name);
  n.addNic('eth0', 0x02_00_00_00_00_00 + macLast, mtu);
  n.addAddress('eth0', { addr: ip(addr), len: 24 });
  n.routes.add({ dst: 0, len: 0, via: ip(gw), dev: 'eth0' });
  return n;
}

/** A TCP segment seen on a wire: when, which device sent it, the IP addresses, and the parsed segment (a copy). */
export interface SeenSegment {
  time: number;
  device: string;
  src: Ipv4;
  dst: Ipv4;
  ipLength: number;
  seg: TcpSegment;
}

/** A tracer that keeps every TCP segment devices put on wires (set it as `net.tracer`). */
export class SegmentTap implements Tracer {
  readonly segments: SeenSegment[] = [];

  constructor(private readonly devices?: string[]) {}

  frame(time: number, device: string, _in: string | undefined, _out: string, frame: Uint8Array): void {
    if (this.devices !== undefined && !this.devices.includes(device)) return;
    if (frame[12] !== 0x08 || frame[13] !== 0x00) return;
    const p = parseIpv4(frame.slice(ETH_HEADER_LEN));
    if (!p.ok || p.value.header.protocol !== IPPROTO_TCP) return;
    const t = parseTcp(p.value.payload, p.value.header.src, p.value.header.dst);
    if (!t.ok) throw new Error(`${device} sent a bad TCP segment: ${t.error.field}: ${t.error.reason}`);
    this.segments.push({
      time,
      device,
      src: p.value.header.src,
      dst: p.value.header.dst,
      ipLength: p.value.header.totalLength,
      seg: t.value,
    });
  }

  /** Segments sent by `device`. */
  from(device: string): SeenSegment[] {
    return this.segments.filter((s) => s.device === device);
  }
}

/** The TCP segment in an Ethernet frame with its IP addresses, or undefined for anything else. */
export function tcpOf(frame: Uint8Array): { src: Ipv4; dst: Ipv4; seg: TcpSegment } | undefined {
  if (frame[12] !== 0x08 || frame[13] !== 0x00) return undefined;
  const p = parseIpv4(frame.subarray(ETH_HEADER_LEN));
  if (!p.ok || p.value.header.protocol !== IPPROTO_TCP) return undefined;
  const t = parseTcp(p.value.payload);
  return t.ok ? { src: p.value.header.src, dst: p.value.header.dst, seg: t.value } : undefined;
}

/** Deterministic pseudo-random bytes (a 32-bit LCG), for payloads that show any misplaced byte. */
export function patternBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** What queueFanOut saw. */
export interface QueueFanOut {
  lab: TcpLab;
  clients: TcpSocket[];
  /** Bytes B's server read, all connections. */
  received: () => number;
  /** Frames A's own device refused, its transmit queue full. */
  refusedDrops: number;
}

/**
 * The sender's own device queue overflowing, as test/tcp-local-congestion-kernel.test.ts makes it with tbf
 * in a namespace: A opens `conns` connections to B:179, one every 2 ms, then writes 100 bytes to each
 * every 2 ms, `rounds` times (a BGP route reflector's fan-out), into a 10 Mbit/s link whose transmit queue
 * holds 4 frames. B's MAC is known, so nothing waits for ARP. Runs 30 simulated seconds.
 */
export function queueFanOut(conns: number, rounds: number): QueueFanOut {
  const lab = twoHostLab({ middle: { bandwidth: 10_000_000, queueLimit: 4 } });
  // without this, the SYNs would wait for ARP, whose answer sends them all at once: a burst the queue
  // drops as Linux's neigh_update does, with no one told
  lab.a.addPermanentNeighbor('eth0', lab.B, lab.b.dev('eth0')!.mac);
  let received = 0;
  lab.tb.listen(179, (s) => s.on('data', (b) => (received += b.length)));
  const clients: TcpSocket[] = [];
  let up = 0;
  const msg = new Uint8Array(100).fill(0x78);
  // one connection at a time: a SYN the queue refuses counts as sent (tcp_connect) and waits out its RTO
  for (let i = 0; i < conns; i++)
    lab.engine.schedule(i * 2 * MS, () => {
      const c = lab.ta.connect(lab.B, 179);
      clients.push(c);
      c.on('connect', () => {
        if (++up < conns) return;
        for (let r = 0; r < rounds; r++) lab.engine.schedule(r * 2 * MS, () => clients.forEach((x) => x.write(msg)));
      });
    });
  lab.engine.run(30 * SECOND);
  return { lab, clients, received: () => received, refusedDrops: lab.a.drops['queue-full'] ?? 0 };
}
