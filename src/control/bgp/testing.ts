/**
 * Helpers for the BGP tests and benchmarks only: n hosts on one switch, each with a TCP stack and a BGP
 * speaker over it (the speakers get no peers; the test adds them). Shipped code does not import this file.
 */
import { Network } from '../../link/device.js';
import { Switch } from '../../link/switch.js';
import { IpNode } from '../../net/ip-node.js';
import { Engine } from '../../sim/engine.js';
import { type TcpSocket, TcpStack } from '../../transport/tcp.js';
import {
  type BgpCodecCtx,
  type BgpMessage,
  type BgpOpen,
  bgpMessageLength,
  emitBgpMessage,
  parseBgpMessage,
} from '../../wire/bgp.js';
import { type Ipv4, formatIpv4, parseCidr, parseIpv4 } from '../../wire/addr.js';
import type { Ipv4Prefix } from '../../wire/addr.js';
import type { BgpTimers } from './peer.js';
import { BgpSpeaker, type BgpSpeakerConfig } from './speaker.js';
import { TcpBgpConnector } from './tcp-transport.js';

/** Dotted quad to number; throws on a typo (a test bug). */
export function ip(s: string): Ipv4 {
  const a = parseIpv4(s);
  if (a === undefined) throw new Error(`bad address ${s}`);
  return a;
}

/** CIDR text to a prefix; throws on a typo. */
export function cidr(s: string): Ipv4Prefix {
  const p = parseCidr(s);
  if (p === undefined) throw new Error(`bad prefix ${s}`);
  return p;
}

/** One host of a BGP lab. */
export interface BgpLabHost {
  name: string;
  addr: Ipv4;
  node: IpNode;
  tcp: TcpStack;
  speaker: BgpSpeaker;
  /** The speaker's log lines, with the sim time in seconds. */
  log: string[];
}

/** A built lab. */
export interface BgpLab {
  engine: Engine;
  net: Network;
  sw: Switch;
  hosts: BgpLabHost[];
}

/** Options of `bgpLab`. */
export interface BgpLabOptions {
  seed?: number;
  asn?: number | ((i: number) => number);
  timers?: Partial<BgpTimers>;
  /** Extra speaker settings per host. */
  speaker?: (i: number) => Partial<BgpSpeakerConfig>;
}

/** The address of host i: 10.0.x.y counting from 10.0.0.1, all in 10.0.0.0/16. */
export function hostAddr(i: number): Ipv4 {
  return ip('10.0.0.1') + i;
}

/** n hosts (h1..hn, 10.0.0.1..) on one switch, each running a speaker (router ID = its address). */
export function bgpLab(n: number, o: BgpLabOptions = {}): BgpLab {
  const engine = new Engine(o.seed ?? 1);
  const net = new Network(engine);
  const sw = new Switch(net, 'sw1');
  const hosts: BgpLabHost[] = [];
  for (let i = 0; i < n; i++) {
    const name = `h${i + 1}`;
    const addr = hostAddr(i);
    const node = new IpNode(net, name);
    node.addNic('eth0', 0x02_00_00_00_00_00 + i + 1);
    node.addAddress('eth0', { addr, len: 16 });
    net.connect(node.port('eth0')!, sw.addSwitchPort(`p${i + 1}`), { latency: 100_000 });
    const tcp = new TcpStack(node);
    const log: string[] = [];
    const asn = typeof o.asn === 'function' ? o.asn(i) : (o.asn ?? 64512);
    const speaker = new BgpSpeaker(engine, {
      routerId: addr,
      asn,
      connector: new TcpBgpConnector(tcp),
      log: (line) => log.push(`${(engine.now / 1e9).toFixed(3)} ${line}`),
      ...(o.timers === undefined ? {} : { timers: o.timers }),
      ...o.speaker?.(i),
    });
    hosts.push({ name, addr, node, tcp, speaker, log });
  }
  return { engine, net, sw, hosts };
}

/** Calico's mesh protocol name for a neighbour: "Mesh_10_0_0_2" (confd's bird.cfg template). */
export function meshName(addr: Ipv4): string {
  return `Mesh_${formatIpv4(addr).replaceAll('.', '_')}`;
}

/** Peers every pair of hosts (iBGP full mesh when they share an AS). */
export function fullMesh(lab: BgpLab): void {
  for (const a of lab.hosts)
    for (const b of lab.hosts) {
      if (a === b) continue;
      a.speaker.addPeer({ address: b.addr, asn: b.speaker.asn, name: meshName(b.addr) });
    }
}

/**
 * A hand-driven BGP peer on a lab host's TCP stack: the test decides every message it sends (including
 * malformed ones) and reads every message the speaker sends back, parsed with the session's encoding.
 */
export class ScriptedPeer {
  /** Messages received, in order (parse failures as their error text). */
  readonly received: (BgpMessage | string)[] = [];
  closed = false;
  private socket: TcpSocket | undefined;
  private pending = new Uint8Array(0);

  constructor(
    private readonly host: BgpLabHost,
    readonly ctx: BgpCodecCtx = { fourOctetAs: true },
  ) {}

  /** Connects to `remote`:179; resolves when TCP is up. */
  connect(remote: Ipv4): void {
    const s = this.host.tcp.connect(remote, 179, {});
    this.socket = s;
    s.on('data', (b) => this.receive(b));
    s.on('end', () => (this.closed = true));
    s.on('close', () => (this.closed = true));
  }

  /** Sends a message. */
  send(msg: BgpMessage): void {
    this.sendRaw(emitBgpMessage(msg, this.ctx));
  }

  /** Sends bytes as they are. */
  sendRaw(bytes: Uint8Array): void {
    this.socket!.write(bytes);
  }

  /** Messages of one type received so far. */
  ofType<T extends BgpMessage['type']>(type: T): Extract<BgpMessage, { type: T }>[] {
    return this.received.filter((m): m is Extract<BgpMessage, { type: T }> => typeof m !== 'string' && m.type === type);
  }

  private receive(chunk: Uint8Array): void {
    const buf = new Uint8Array(this.pending.length + chunk.length);
    buf.set(this.pending);
    buf.set(chunk, this.pending.length);
    let off = 0;
    for (;;) {
      const len = bgpMessageLength(buf, off);
      if (len === undefined || buf.length - off < len) break;
      const r = parseBgpMessage(buf.subarray(0, off + len), off, this.ctx);
      this.received.push(r.ok ? r.value.message : r.error.reason);
      off += len;
    }
    this.pending = buf.slice(off);
  }
}

/** An OPEN as a test peer sends it: IPv4 unicast, route refresh and (unless `twoOctet`) 4-octet AS. */
export function testOpen(asn: number, bgpId: Ipv4, holdTime = 240, twoOctet = false): BgpOpen {
  const capabilities: BgpOpen['capabilities'] = [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'route-refresh' }];
  if (!twoOctet) capabilities.push({ kind: 'four-octet-as', as: asn });
  return { type: 'open', version: 4, myAs: asn, holdTime, bgpId, capabilities };
}
