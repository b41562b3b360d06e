/**
 * Netfilter end to end, on small networks of IP nodes, checked the way one checks a Linux gateway with
 * tcpdump on both sides, `conntrack -L` and `iptables-save -c`: what leaves the gateway byte for byte (each
 * rewritten packet must equal the original with the new fields and checksums computed from scratch), which
 * rules counted what, and what the hosts' sockets received. Expected values come from iptables and the
 * kernel's netfilter (nf_nat_core.c, nf_nat_proto.c, nf_conntrack_core.c, nf_conntrack_proto_*.c,
 * xt_statistic.c, xt_MARK.c, ipt_REJECT.c / nf_reject_ipv4.c, icmp.c), cited where used.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Engine, SECOND, US } from '../../sim/engine.js';
import { Device, Network } from '../../link/device.js';
import { formatIpv4, parseIpv4 as parseAddr, readIpv4, writeIpv4, type Ipv4, type Mac } from '../../wire/addr.js';
import { buildEthernet, ETHERTYPE_IPV4 } from '../../wire/ethernet.js';
import { buildIpv4, checkIpv4 } from '../../wire/ipv4.js';
import { buildIcmp, emitIcmp, icmpLength, parseIcmp, type IcmpMessage } from '../../wire/icmp.js';
import { buildUdp, udpChecksum, verifyUdpChecksum } from '../../wire/udp.js';
import { foldChecksum, internetChecksum, onesComplementSum } from '../../wire/checksum.js';
import { TraceRecorder } from '../../observe/recorder.js';
import { IpNode, type IcmpEvent } from '../ip-node.js';
import { UdpStack, type UdpDatagramIn } from '../../transport/udp.js';
import { formatConn, type Conn } from './conntrack.js';
import { formatIptablesSave, parseIptablesSave } from './iptables-restore.js';
import type { Rule, Ruleset, TableName } from './rules.js';
import { FrameProbe } from '../../link/testing.js';

// ---- helpers ------------------------------------------------------------------------------------------

const ip = (s: string): Ipv4 => parseAddr(s)!;
const EMPTY = new Uint8Array(0);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);
const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const put16 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
};

/** iptables-save text for the nat and filter tables; user chains are declared from their -A lines. */
function rules(spec: {
  nat?: string[];
  filter?: string[];
  forward?: 'ACCEPT' | 'DROP';
  input?: 'ACCEPT' | 'DROP';
}): Ruleset {
  const userChains = (lines: string[], builtin: string[]) =>
    [...new Set(lines.map((l) => l.split(' ')[1]!))].filter((c) => !builtin.includes(c));
  const nat = spec.nat ?? [];
  const filter = spec.filter ?? [];
  const t = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ...userChains(nat, ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']).map((c) => `:${c} - [0:0]`),
    ...nat,
    'COMMIT',
    '*filter',
    `:INPUT ${spec.input ?? 'ACCEPT'} [0:0]`,
    `:FORWARD ${spec.forward ?? 'ACCEPT'} [0:0]`,
    ':OUTPUT ACCEPT [0:0]',
    ...userChains(filter, ['INPUT', 'FORWARD', 'OUTPUT']).map((c) => `:${c} - [0:0]`),
    ...filter,
    'COMMIT',
    '',
  ].join('\n');
  const r = parseIptablesSave(t);
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  return r.ruleset;
}

/** A raw-frame device: records what arrives, sends what the test builds. */
class Probe extends FrameProbe {
  /** IPv4 packets received (Ethernet stripped). */
  packets(): Uint8Array[] {
    return this.got.filter((f) => u16(f, 12) === ETHERTYPE_IPV4).map((f) => f.subarray(14));
  }
}

/** A small network: IP nodes wired by 1 µs, infinitely fast cables, traced with frame bytes kept. */
class Lab {
  readonly engine: Engine;
  readonly net: Network;
  readonly rec = new TraceRecorder({ keepBytes: true });
  private nextMac = 0x02_00_00_00_01_00;
  private readonly stacks = new Map<IpNode, UdpStack>();

  constructor(seed = 1) {
    this.engine = new Engine(seed);
    this.net = new Network(this.engine);
    this.net.tracer = this.rec;
  }

  /** A node with NICs `{ eth0: '10.0.0.2/24' }` and an optional default gateway. */
  node(
    name: string,
    nics: Record<string, string>,
    o: { router?: boolean; gw?: string; routes?: [string, string][] } = {},
  ): IpNode {
    const n = new IpNode(this.net, name, { forwarding: o.router ?? false });
    for (const [dev, cidr] of Object.entries(nics)) {
      n.addNic(dev, this.nextMac++);
      const [a, len] = cidr.split('/');
      n.addAddress(dev, { addr: ip(a!), len: Number(len) });
    }
    const viaDev = (via: Ipv4): string =>
      n.devs.find((d) => d.addresses.some((a) => (a.addr ^ via) >>> (32 - a.len) === 0))!.name;
    if (o.gw !== undefined) n.routes.add({ dst: 0, len: 0, via: ip(o.gw), dev: viaDev(ip(o.gw)) });
    for (const [cidr, via] of o.routes ?? []) {
      const [a, len] = cidr.split('/');
      n.routes.add({ dst: ip(a!), len: Number(len), via: ip(via), dev: viaDev(ip(via)) });
    }
    return n;
  }

  probe(name: string): Probe {
    const p = new Probe(this.net, name);
    p.addPort('eth0');
    return p;
  }

  link(a: Device, aIf: string, b: Device, bIf: string): void {
    this.net.connect(a.port(aIf)!, b.port(bIf)!, { bandwidth: 0, latency: 1 * US });
  }

  udp(n: IpNode): UdpStack {
    let s = this.stacks.get(n);
    if (s === undefined) {
      s = new UdpStack(n);
      this.stacks.set(n, s);
    }
    return s;
  }

  /** IPv4 packets `device` put on the wire of `port` (copies, Ethernet stripped). */
  sent(device: string, port: string, proto?: number): Uint8Array[] {
    return this.rec.events
      .filter((e) => e.kind === 'frame' && e.device === device && e.outPort === port)
      .map((e) => (e as { bytes: Uint8Array }).bytes)
      .filter((b) => u16(b, 12) === ETHERTYPE_IPV4 && (proto === undefined || b[14 + 9] === proto))
      .map((b) => b.subarray(14));
  }

  /** Drop events of `device` (reason and detail). */
  drops(device: string): string[] {
    return this.rec.events
      .filter((e) => e.kind === 'drop' && e.device === device)
      .map((e) => (e.kind === 'drop' ? `${e.reason}: ${e.detail}` : ''));
  }

  /** Runs until the traffic is over (not on through background timers: ARP revalidation 5 s later). */
  run(): void {
    this.engine.runBounded(24 * 3600 * SECOND);
  }
}

interface Got {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  data: string;
  time: number;
}
const got = (d: UdpDatagramIn): Got => ({
  src: formatIpv4(d.src),
  srcPort: d.srcPort,
  dst: formatIpv4(d.dst),
  dstPort: d.dstPort,
  data: str(d.payload),
  time: d.time,
});

/** Binds `port` and records what arrives; with `reply`, answers each datagram (an echo by default). */
function listen(stack: UdpStack, port: number, reply?: (d: UdpDatagramIn) => string | undefined): Got[] {
  const log: Got[] = [];
  stack.bind(port, (d) => {
    log.push(got(d));
    const r = reply?.(d);
    if (r !== undefined) stack.send(port, d.src, d.srcPort, text(r));
  });
  return log;
}
const echo = (d: UdpDatagramIn): string => str(d.payload);

function icmpLog(n: IpNode): IcmpEvent[] {
  const log: IcmpEvent[] = [];
  n.onIcmp((e) => log.push(e));
  return log;
}

function sendEcho(n: IpNode, dst: Ipv4, id: number, seq: number): void {
  const msg: IcmpMessage = { kind: 'echo', type: 8, code: 0, id, seq, data: text('ping') };
  assert.equal(
    n.sendIp({ dst, protocol: 1 }, icmpLength(msg), (f, off) => {
      emitIcmp(msg, f, off);
    }),
    undefined,
  );
}

function pseudoSum(src: Ipv4, dst: Ipv4, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

/** A TCP/IP packet with correct checksums. */
function tcpPacket(
  src: Ipv4,
  dst: Ipv4,
  sport: number,
  dport: number,
  flags: number,
  seq: number,
  ack: number,
  data: Uint8Array = EMPTY,
  ttl = 64,
): Uint8Array {
  const seg = new Uint8Array(20 + data.length);
  put16(seg, 0, sport);
  put16(seg, 2, dport);
  new DataView(seg.buffer).setUint32(4, seq);
  new DataView(seg.buffer).setUint32(8, ack);
  seg[12] = 5 << 4;
  seg[13] = flags;
  put16(seg, 14, 64240);
  seg.set(data, 20);
  put16(seg, 16, foldChecksum(onesComplementSum(seg, 0, seg.length, pseudoSum(src, dst, 6, seg.length))));
  return buildIpv4(
    {
      tos: 0,
      id: 0x1000 + (seq & 0xff),
      df: true,
      mf: false,
      fragmentOffset: 0,
      ttl,
      protocol: 6,
      src,
      dst,
      options: EMPTY,
    },
    seg,
  );
}

function udpPacket(
  src: Ipv4,
  dst: Ipv4,
  sport: number,
  dport: number,
  data: Uint8Array,
  o: { ttl?: number; noChecksum?: boolean; id?: number } = {},
): Uint8Array {
  return buildIpv4(
    {
      tos: 0,
      id: o.id ?? 0x2222,
      df: true,
      mf: false,
      fragmentOffset: 0,
      ttl: o.ttl ?? 64,
      protocol: 17,
      src,
      dst,
      options: EMPTY,
    },
    buildUdp({ srcPort: sport, dstPort: dport, payload: data }, src, dst, o.noChecksum !== true),
  );
}

/** Recomputes every checksum of the packet from scratch (IPv4 header; UDP unless it had none; TCP; ICMP). */
function fixChecksums(b: Uint8Array): void {
  const ihl = (b[0]! & 0x0f) * 4;
  const total = Math.min(u16(b, 2), b.length);
  put16(b, 10, 0);
  put16(b, 10, internetChecksum(b, 0, ihl));
  if ((u16(b, 6) & 0x3fff) !== 0) return;
  const src = readIpv4(b, 12);
  const dst = readIpv4(b, 16);
  const l4 = ihl;
  const len = total - ihl;
  if (b[9] === 17 && len >= 8 && u16(b, l4 + 6) !== 0 && u16(b, l4 + 4) <= len) {
    put16(b, l4 + 6, 0);
    put16(b, l4 + 6, udpChecksum(src, dst, b, l4, u16(b, l4 + 4)));
  } else if (b[9] === 6 && len >= 20) {
    put16(b, l4 + 16, 0);
    put16(b, l4 + 16, foldChecksum(onesComplementSum(b, l4, len, pseudoSum(src, dst, 6, len))));
  } else if (b[9] === 1 && len >= 8) {
    put16(b, l4 + 2, 0);
    put16(b, l4 + 2, internetChecksum(b, l4, len));
  }
}

interface Change {
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  ttl?: number;
  icmpId?: number;
}

/** Writes the changed fields into the packet at `off` (IP header, ports or echo identifier). */
function applyChange(b: Uint8Array, c: Change): void {
  const l4 = (b[0]! & 0x0f) * 4;
  if (c.src !== undefined) writeIpv4(b, 12, ip(c.src));
  if (c.dst !== undefined) writeIpv4(b, 16, ip(c.dst));
  if (c.ttl !== undefined) b[8] = c.ttl;
  if (c.sport !== undefined) put16(b, l4, c.sport);
  if (c.dport !== undefined) put16(b, l4 + 2, c.dport);
  if (c.icmpId !== undefined) put16(b, l4 + 4, c.icmpId);
}

/** What a full recomputation gives for `pkt` with `c` changed: the exact bytes a NAT must produce. */
function rebuilt(pkt: Uint8Array, c: Change): Uint8Array {
  const b = pkt.slice();
  applyChange(b, c);
  fixChecksums(b);
  return b;
}

/** The same for an ICMP error: the outer header and the quoted packet changed, every checksum redone. */
function rebuiltError(pkt: Uint8Array, outer: Change, inner: Change): Uint8Array {
  const b = pkt.slice();
  const ihl = (b[0]! & 0x0f) * 4;
  const quote = b.subarray(ihl + 8, u16(b, 2));
  applyChange(quote, inner);
  fixChecksums(quote);
  applyChange(b, outer);
  fixChecksums(b);
  return b;
}

/** Every checksum in the packet is right: IPv4 header, UDP/TCP/ICMP, and inside an ICMP error the quote's. */
function assertChecksums(pkt: Uint8Array, what: string, o: { skipReassemblyQuote?: boolean } = {}): void {
  assert.equal(checkIpv4(pkt, 0, pkt.length), 'ok', `${what}: IPv4 header`);
  if ((u16(pkt, 6) & 0x3fff) !== 0) return; // a fragment: its L4 checksum covers the whole datagram
  const ihl = (pkt[0]! & 0x0f) * 4;
  const l4 = pkt.subarray(ihl, u16(pkt, 2));
  const src = readIpv4(pkt, 12);
  const dst = readIpv4(pkt, 16);
  if (pkt[9] === 17 && l4.length >= 8 && u16(l4, 4) <= l4.length)
    assert.ok(verifyUdpChecksum(src, dst, l4, 0, u16(l4, 4)), `${what}: UDP checksum`);
  if (pkt[9] === 6 && l4.length >= 20)
    assert.equal(
      foldChecksum(onesComplementSum(l4, 0, l4.length, pseudoSum(src, dst, 6, l4.length))),
      0,
      `${what}: TCP checksum`,
    );
  if (pkt[9] === 1) {
    const m = parseIcmp(l4);
    assert.ok(m.ok, `${what}: ICMP checksum`);
    // (skipReassemblyQuote: the reassembly-timeout quote has its own test, 'reassembly time exceeded ...')
    if (
      (m.value.kind === 'unreachable' || m.value.kind === 'time-exceeded') &&
      !(o.skipReassemblyQuote === true && m.value.type === 11 && m.value.code === 1)
    ) {
      const q = m.value.original;
      const qihl = (q[0]! & 0x0f) * 4;
      assert.equal(internetChecksum(q, 0, qihl), 0, `${what}: quoted IPv4 header checksum`);
      // a datagram quoted whole (empty payload) has a checkable UDP checksum too
      if (q[9] === 17 && u16(q, 2) === q.length && (u16(q, 6) & 0x3fff) === 0 && u16(q, qihl + 6) !== 0)
        assert.ok(
          verifyUdpChecksum(readIpv4(q, 12), readIpv4(q, 16), q, qihl, q.length - qihl),
          `${what}: quoted UDP checksum`,
        );
    }
  }
}

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
/** Byte equality, with a readable diff. */
function assertBytes(actual: Uint8Array | undefined, expected: Uint8Array, what: string): void {
  assert.ok(actual !== undefined, `${what}: no packet`);
  assert.equal(hex(actual), hex(expected), what);
}

function ruleAt(rs: Ruleset, table: TableName, chain: string, i: number): Rule {
  return rs[table].get(chain)!.rules[i]!;
}
const counters = (r: Rule): [number, number] => [r.packets, r.bytes];

/** The tuple part of a conntrack -L line (no timeout, flags, mark). */
function tuples(c: Conn): string {
  return formatConn(c, 0)
    .replace(/^\S+\s+\d+ \d+ (?:[A-Z_]+ )?/, '')
    .replace(/\[(UNREPLIED|ASSURED)\] /g, '')
    .replace(/ mark=.*$/, '');
}

// ---- MASQUERADE ---------------------------------------------------------------------------------------

const C1 = '10.0.0.2';
const C2 = '10.0.1.2';
const G_IN = '10.0.0.1';
const G_OUT = '203.0.113.1';
const S = '203.0.113.9';

/**
 * C1 (10.0.0.2) and C2 (10.0.1.2) behind gateway G, which masquerades them out of eth1 (203.0.113.1)
 * toward S (203.0.113.9). S has no route to 10.0.0.0/8: only translated traffic can be answered.
 */
function masqLab(o: { seed?: number; nat?: string[]; filter?: string[] } = {}) {
  const lab = new Lab(o.seed ?? 1);
  const c1 = lab.node('C1', { eth0: `${C1}/24` }, { gw: G_IN });
  const c2 = lab.node('C2', { eth0: `${C2}/24` }, { gw: '10.0.1.1' });
  const g = lab.node('G', { eth0: `${G_IN}/24`, eth1: `${G_OUT}/24`, eth2: '10.0.1.1/24' }, { router: true });
  const s = lab.node('S', { eth0: `${S}/24` });
  lab.link(c1, 'eth0', g, 'eth0');
  lab.link(c2, 'eth0', g, 'eth2');
  lab.link(g, 'eth1', s, 'eth0');
  const rs = rules({ nat: o.nat ?? ['-A POSTROUTING -s 10.0.0.0/8 -o eth1 -j MASQUERADE'], filter: o.filter ?? [] });
  const nf = g.enableNetfilter(rs);
  return { lab, c1, c2, g, s, rs, nf };
}

describe('netfilter: MASQUERADE', () => {
  it('rewrites the source to the outgoing address, keeps a free port, and un-NATs the reply, byte for byte', () => {
    const { lab, c1, s, nf } = masqLab();
    const atS = listen(lab.udp(s), 53, echo);
    const atC1 = listen(lab.udp(c1), 40000);
    lab.udp(c1).send(40000, ip(S), 53, text('hello'));
    lab.run();
    assert.deepEqual(
      atS.map((d) => [d.src, d.srcPort, d.data]),
      [[G_OUT, 40000, 'hello']],
      'S sees the gateway, port kept (nf_nat_get_unique_tuple keeps a free one)',
    );
    assert.deepEqual(
      atC1.map((d) => [d.src, d.srcPort, d.dst, d.dstPort, d.data]),
      [[S, 53, C1, 40000, 'hello']],
    );

    const [fromC1] = lab.sent('C1', 'eth0', 17);
    const [toS] = lab.sent('G', 'eth1', 17);
    assertBytes(
      toS,
      rebuilt(fromC1!, { src: G_OUT, ttl: 63 }),
      'G -> S: source 203.0.113.1, TTL 63, checksums as if computed afresh',
    );
    const [fromS] = lab.sent('S', 'eth0', 17);
    const [toC1] = lab.sent('G', 'eth0', 17);
    assertBytes(toC1, rebuilt(fromS!, { dst: C1, ttl: 63 }), 'G -> C1: destination back to 10.0.0.2');
    assertChecksums(toS!, 'G -> S');
    assertChecksums(toC1!, 'G -> C1');

    const [conn] = nf.conntrack.entries(lab.engine.now);
    assert.equal(
      tuples(conn!),
      'src=10.0.0.2 dst=203.0.113.9 sport=40000 dport=53 src=203.0.113.9 dst=203.0.113.1 sport=53 dport=40000',
    );
  });

  it('two clients with the same source port get distinct ports outside, and each gets its own answer', () => {
    const { lab, c1, c2, s, nf } = masqLab();
    const atS = listen(lab.udp(s), 53, echo);
    const at1 = listen(lab.udp(c1), 40000);
    const at2 = listen(lab.udp(c2), 40000);
    lab.udp(c1).send(40000, ip(S), 53, text('from c1'));
    lab.run();
    lab.udp(c2).send(40000, ip(S), 53, text('from c2'));
    lab.run();
    const ports = atS.map((d) => d.srcPort);
    assert.deepEqual(
      atS.map((d) => [d.src, d.data]),
      [
        [G_OUT, 'from c1'],
        [G_OUT, 'from c2'],
      ],
    );
    assert.equal(ports[0], 40000, 'the first flow keeps its port');
    assert.notEqual(ports[1], 40000, 'the second would clash with the first reply tuple: nf_nat_used_tuple');
    assert.ok(ports[1]! >= 1024 && ports[1]! <= 65535, `unprivileged source ports stay unprivileged (got ${ports[1]})`);
    assert.deepEqual(
      at1.map((d) => [d.src, d.data]),
      [[S, 'from c1']],
    );
    assert.deepEqual(
      at2.map((d) => [d.src, d.data]),
      [[S, 'from c2']],
    );
    assert.deepEqual(
      nf.conntrack
        .entries(lab.engine.now)
        .map((c) => tuples(c))
        .sort(),
      [
        'src=10.0.0.2 dst=203.0.113.9 sport=40000 dport=53 src=203.0.113.9 dst=203.0.113.1 sport=53 dport=40000',
        `src=10.0.1.2 dst=203.0.113.9 sport=40000 dport=53 src=203.0.113.9 dst=203.0.113.1 sport=53 dport=${ports[1]}`,
      ],
    );
    for (const p of [...lab.sent('G', 'eth1'), ...lab.sent('G', 'eth0'), ...lab.sent('G', 'eth2')])
      assertChecksums(p, 'from G');
  });

  it("--random-fully draws every port from the node's netfilter stream: same seed, same ports; another seed, others", () => {
    const run = (seed: number) => {
      const { lab, c1, s } = masqLab({
        seed,
        nat: ['-A POSTROUTING -s 10.0.0.0/8 -o eth1 -j MASQUERADE --random-fully'],
      });
      const atS = listen(lab.udp(s), 53);
      const draws: number[] = [];
      const rng = lab.engine.stream('node:G/netfilter');
      const next = rng.next.bind(rng);
      rng.next = () => {
        const v = next();
        draws.push(v);
        return v;
      };
      for (const sp of [40000, 40001, 40002]) lab.udp(c1).send(sp, ip(S), 53, text('x'));
      lab.run();
      return { ports: atS.map((d) => d.srcPort), draws: draws.length };
    };
    const a = run(7);
    assert.equal(
      a.draws,
      3,
      'one draw per new connection (NF_NAT_RANGE_PROTO_RANDOM_FULLY: no attempt to keep the port)',
    );
    assert.equal(new Set(a.ports).size, 3);
    assert.ok(
      a.ports.every((p) => p >= 1024 && p <= 65535 && ![40000, 40001, 40002].includes(p)),
      `ports ${a.ports.join(',')}`,
    );
    assert.deepEqual(run(7).ports, a.ports, 'deterministic for a seed');
    assert.notDeepEqual(run(8).ports, a.ports);
  });

  it('ICMP echo: the identifier is the port; two clients pinging with the same id get distinct ids outside', () => {
    const { lab, c1, c2, nf } = masqLab();
    const r1 = icmpLog(c1);
    const r2 = icmpLog(c2);
    sendEcho(c1, ip(S), 0x4242, 1);
    lab.run();
    sendEcho(c2, ip(S), 0x4242, 1);
    lab.run();
    const requests = lab.sent('G', 'eth1', 1);
    const ids = requests.map((p) => u16(p, 24));
    assert.equal(ids.length, 2);
    assert.equal(ids[0], 0x4242);
    assert.notEqual(ids[1], 0x4242);
    assert.deepEqual(
      requests.map((p) => formatIpv4(readIpv4(p, 12))),
      [G_OUT, G_OUT],
    );
    for (const p of [...requests, ...lab.sent('G', 'eth0', 1), ...lab.sent('G', 'eth2', 1)])
      assertChecksums(p, 'echo through G');
    const echoes = (log: IcmpEvent[]) =>
      log.map((e) => [
        formatIpv4(e.src),
        e.message.kind === 'echo' ? [e.message.type, e.message.id, e.message.seq] : e.message.kind,
      ]);
    assert.deepEqual(echoes(r1), [[S, [0, 0x4242, 1]]]);
    assert.deepEqual(
      echoes(r2),
      [[S, [0, 0x4242, 1]]],
      'the reply finds C2 by the translated id and gets its own id back',
    );
    const [fromC2] = lab.sent('C2', 'eth0', 1);
    assertBytes(
      requests[1],
      rebuilt(fromC2!, { src: G_OUT, ttl: 63, icmpId: ids[1] }),
      'the echo request from C2 with the new id',
    );
    const lines = nf.conntrack.entries(lab.engine.now).map((c) => tuples(c));
    assert.ok(
      lines.includes(
        `src=10.0.1.2 dst=203.0.113.9 type=8 code=0 id=16962 src=203.0.113.9 dst=203.0.113.1 type=0 code=0 id=${ids[1]}`,
      ),
      lines.join('\n'),
    );
  });

  it('TCP: handshake, data and close through the gateway, conntrack states as Linux names them, checksums valid', () => {
    const lab = new Lab();
    const g = lab.node('G', { eth0: `${G_IN}/24`, eth1: `${G_OUT}/24` }, { router: true });
    const inside = lab.probe('P1');
    const outside = lab.probe('P2');
    lab.link(inside, 'eth0', g, 'eth0');
    lab.link(outside, 'eth0', g, 'eth1');
    const MAC_P1: Mac = 0x02_00_00_00_0a_01;
    const MAC_P2: Mac = 0x02_00_00_00_0a_02;
    g.addPermanentNeighbor('eth0', ip(C1), MAC_P1);
    g.addPermanentNeighbor('eth1', ip(S), MAC_P2);
    const nf = g.enableNetfilter(rules({ nat: ['-A POSTROUTING -o eth1 -j MASQUERADE'] }));
    const gMac = (dev: string) => g.dev(dev)!.mac;
    const fromInside = (flags: number, seq: number, ack: number, data: Uint8Array = EMPTY) =>
      inside.send(
        buildEthernet({
          dst: gMac('eth0'),
          src: MAC_P1,
          ethertype: ETHERTYPE_IPV4,
          payload: tcpPacket(ip(C1), ip(S), 40000, 80, flags, seq, ack, data),
        }),
      );
    const fromOutside = (flags: number, seq: number, ack: number, data: Uint8Array = EMPTY) =>
      outside.send(
        buildEthernet({
          dst: gMac('eth1'),
          src: MAC_P2,
          ethertype: ETHERTYPE_IPV4,
          payload: tcpPacket(ip(S), ip(G_OUT), 80, 40000, flags, seq, ack, data),
        }),
      );
    const state = (): string => {
      const [c] = nf.conntrack.entries(lab.engine.now);
      return c?.tcp ?? 'none';
    };
    const SYN = 0x02;
    const ACK = 0x10;
    const FIN = 0x01;
    const PSH = 0x08;
    const states: string[] = [];
    const step = (f: () => void) => {
      f();
      lab.run();
      states.push(state());
    };
    step(() => fromInside(SYN, 1000, 0));
    step(() => fromOutside(SYN | ACK, 5000, 1001));
    step(() => fromInside(ACK, 1001, 5001));
    step(() => fromInside(PSH | ACK, 1001, 5001, text('GET / HTTP/1.0\r\n\r\n')));
    const [est] = nf.conntrack.entries(lab.engine.now);
    assert.equal(
      formatConn(est!, lab.engine.now),
      'tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=203.0.113.9 sport=40000 dport=80 src=203.0.113.9 dst=203.0.113.1 sport=80 dport=40000 [ASSURED] mark=0 use=1',
    );
    step(() => fromOutside(PSH | ACK, 5001, 1019, text('HTTP/1.0 200 OK\r\n\r\n')));
    step(() => fromInside(FIN | ACK, 1019, 5020));
    step(() => fromOutside(FIN | ACK, 5020, 1020));
    step(() => fromInside(ACK, 1020, 5021));
    assert.deepEqual(states, [
      'SYN_SENT',
      'SYN_RECV',
      'ESTABLISHED',
      'ESTABLISHED',
      'ESTABLISHED',
      'FIN_WAIT',
      'LAST_ACK',
      'TIME_WAIT',
    ]);
    const out = outside.packets();
    const back = inside.packets();
    assert.equal(out.length, 5);
    assert.equal(back.length, 3);
    out.forEach((p, i) => {
      assertChecksums(p, `outbound segment ${i}`);
      assert.deepEqual([formatIpv4(readIpv4(p, 12)), u16(p, 20)], [G_OUT, 40000]);
    });
    back.forEach((p, i) => {
      assertChecksums(p, `inbound segment ${i}`);
      assert.deepEqual([formatIpv4(readIpv4(p, 16)), u16(p, 22)], [C1, 40000]);
    });
    assertBytes(
      out[0],
      rebuilt(tcpPacket(ip(C1), ip(S), 40000, 80, SYN, 1000, 0), { src: G_OUT, ttl: 63 }),
      'the SYN as S sees it',
    );
    assert.equal(state(), 'TIME_WAIT');
    const [tw] = nf.conntrack.entries(lab.engine.now);
    assert.equal(tw!.expires, lab.engine.now - 1 * US + 120 * SECOND, 'TIME_WAIT lasts 2 minutes from the last ACK');
  });

  it('the nat table sees only the first packet of a connection: a 5-datagram flow counts once, filter counts all', () => {
    const { lab, c1, s, rs } = masqLab({ filter: ['-A FORWARD -p udp'] });
    listen(lab.udp(s), 53, echo);
    listen(lab.udp(c1), 40000);
    for (let i = 0; i < 5; i++) {
      lab.udp(c1).send(40000, ip(S), 53, text(`query ${i}`));
      lab.run();
    }
    assert.deepEqual(
      counters(ruleAt(rs, 'nat', 'POSTROUTING', 0)),
      [1, 20 + 8 + 7],
      'MASQUERADE rule: one packet, the first (35 bytes)',
    );
    assert.deepEqual(
      counters(ruleAt(rs, 'filter', 'FORWARD', 0)),
      [10, 10 * 35],
      'the filter accounting rule sees every packet both ways',
    );
  });

  it('iptables-save -c: a built-in chain policy counts the packets that reached it (here: nat PREROUTING, empty)', () => {
    // "Chain PREROUTING (policy ACCEPT 1 packets, 35 bytes)": the first packet of the flow fell through to the policy
    const { lab, c1, s, rs } = masqLab();
    listen(lab.udp(s), 53, echo);
    listen(lab.udp(c1), 40000);
    for (let i = 0; i < 5; i++) {
      lab.udp(c1).send(40000, ip(S), 53, text(`query ${i}`));
      lab.run();
    }
    const save = formatIptablesSave(rs, ['nat']);
    assert.match(save, /^:PREROUTING ACCEPT \[1:35\]$/m, save);
    assert.match(save, /^\[1:35\] -A POSTROUTING -s 10\.0\.0\.0\/8 -o eth1 -j MASQUERADE$/m, save);
  });
});

// ---- DNAT ---------------------------------------------------------------------------------------------

const X = '203.0.113.50';
const B = '10.0.0.2';

/** Outside client X (203.0.113.50) -- eth1 G eth0 -- inside server B (10.0.0.2, default via G). */
function dnatLab(nat: string[], o: { xRoutes?: [string, string][] } = {}) {
  const lab = new Lab();
  const x = lab.node('X', { eth0: `${X}/24` }, { routes: o.xRoutes ?? [] });
  const g = lab.node('G', { eth0: `${G_IN}/24`, eth1: `${G_OUT}/24` }, { router: true });
  const b = lab.node('B', { eth0: `${B}/24` }, { gw: G_IN });
  lab.link(x, 'eth0', g, 'eth1');
  lab.link(g, 'eth0', b, 'eth0');
  const rs = rules({ nat });
  const nf = g.enableNetfilter(rs);
  return { lab, x, g, b, rs, nf };
}

describe('netfilter: DNAT', () => {
  it('to another host and port: the server sees the client, the client sees the address it called', () => {
    const { lab, x, b, nf } = dnatLab([
      '-A PREROUTING -d 203.0.113.1/32 -i eth1 -p udp -m udp --dport 8080 -j DNAT --to-destination 10.0.0.2:80',
    ]);
    const atB = listen(lab.udp(b), 80, (d) => `pong ${str(d.payload)}`);
    const atX = listen(lab.udp(x), 50000);
    lab.udp(x).send(50000, ip(G_OUT), 8080, text('ping'));
    lab.run();
    assert.deepEqual(
      atB.map((d) => [d.src, d.srcPort, d.dst, d.dstPort]),
      [[X, 50000, B, 80]],
      'DNAT keeps the client address',
    );
    assert.deepEqual(
      atX.map((d) => [d.src, d.srcPort, d.data]),
      [[G_OUT, 8080, 'pong ping']],
      'the reply comes from the original destination',
    );
    const [fromX] = lab.sent('X', 'eth0', 17);
    const [toB] = lab.sent('G', 'eth0', 17);
    assertBytes(toB, rebuilt(fromX!, { dst: B, dport: 80, ttl: 63 }), 'G -> B');
    const [fromB] = lab.sent('B', 'eth0', 17);
    const [toX] = lab.sent('G', 'eth1', 17);
    assertBytes(toX, rebuilt(fromB!, { src: G_OUT, sport: 8080, ttl: 63 }), 'G -> X');
    const [c] = nf.conntrack.entries(lab.engine.now);
    assert.equal(
      tuples(c!),
      'src=203.0.113.50 dst=203.0.113.1 sport=50000 dport=8080 src=10.0.0.2 dst=203.0.113.50 sport=80 dport=50000',
    );
  });

  it('-m addrtype --dst-type LOCAL: every address of the node is LOCAL, a routed destination is not', () => {
    const { lab, x, b } = dnatLab(
      ['-A PREROUTING -m addrtype --dst-type LOCAL -p udp --dport 30053 -j DNAT --to-destination 10.0.0.2:53'],
      { xRoutes: [['10.0.0.0/24', G_OUT]] },
    );
    const at53 = listen(lab.udp(b), 53);
    const at30053 = listen(lab.udp(b), 30053);
    for (const [sp, dst] of [
      [50001, G_OUT],
      [50002, G_IN],
      [50003, B],
    ] as const) {
      lab.udp(x).send(sp, ip(dst), 30053, text(`to ${dst}`));
      lab.run();
    }
    assert.deepEqual(
      at53.map((d) => [d.srcPort, d.data]),
      [
        [50001, 'to 203.0.113.1'],
        [50002, 'to 10.0.0.1'],
      ],
      'both gateway addresses are LOCAL, whichever interface',
    );
    assert.deepEqual(
      at30053.map((d) => [d.srcPort, d.data]),
      [[50003, 'to 10.0.0.2']],
      'forwarded traffic is not LOCAL',
    );
  });

  it('nat OUTPUT: a node reaching a ClusterIP itself is DNATed and re-routed; its socket sees the VIP answer', () => {
    const lab = new Lab();
    const n = lab.node('N', { eth0: '192.168.1.1/24', eth1: '10.42.1.1/24' }, { router: true, gw: '192.168.1.254' });
    const ep = lab.node('EP', { eth0: '10.42.1.5/24' }, { gw: '10.42.1.1' });
    const up = lab.node('UP', { eth0: '192.168.1.254/24' });
    lab.link(n, 'eth0', up, 'eth0');
    lab.link(n, 'eth1', ep, 'eth0');
    const rs = rules({
      nat: [
        '-A OUTPUT -d 10.43.0.10/32 -p udp --dport 53 -j DNAT --to-destination 10.42.1.5:53',
        '-A POSTROUTING -d 10.42.1.5/32 -p udp --dport 53 ! -s 10.42.1.0/24 -j MASQUERADE',
      ],
    });
    n.enableNetfilter(rs);
    const atEp = listen(lab.udp(ep), 53, echo);
    const atN = listen(lab.udp(n), 41000);
    const atUp = listen(lab.udp(up), 53);
    lab.udp(n).send(41000, ip('10.43.0.10'), 53, text('q'));
    lab.run();
    assert.deepEqual(atUp, [], 'the default route was not used after DNAT');
    assert.deepEqual(
      atEp.map((d) => [d.src, d.srcPort]),
      [['10.42.1.1', 41000]],
      'masqueraded to the address facing the endpoint',
    );
    assert.deepEqual(
      atN.map((d) => [d.src, d.srcPort, d.data]),
      [['10.43.0.10', 53, 'q']],
    );
  });
});

// ---- statistic ----------------------------------------------------------------------------------------

describe('netfilter: statistic --mode random (kube-proxy endpoint selection)', () => {
  const SVC = 'KUBE-SVC-TCOU7JCQXEZGVUNU';
  const EPS = [
    ['KUBE-SEP-6VPL3RWE5BJEKRUZ', '10.42.1.5'],
    ['KUBE-SEP-UY5HATTIZ36BWRWO', '10.42.1.6'],
    ['KUBE-SEP-BPLV75VZU7MOZF2V', '10.42.1.7'],
  ] as const;

  /** Client C opens `n` connections to 10.43.0.10:53 through node N; returns the endpoints in order. */
  function split(seed: number, n: number, packetsPerFlow = 1) {
    const lab = new Lab(seed);
    const c = lab.node('C', { eth0: '10.42.0.5/24' }, { gw: '10.42.0.1' });
    const node = lab.node('N', { eth0: '10.42.0.1/24', eth1: '10.42.1.1/24' }, { router: true });
    const sink = lab.probe('EPS');
    lab.link(c, 'eth0', node, 'eth0');
    lab.link(sink, 'eth0', node, 'eth1');
    c.addPermanentNeighbor('eth0', ip('10.42.0.1'), node.dev('eth0')!.mac);
    for (const [, a] of EPS) node.addPermanentNeighbor('eth1', ip(a), 0x02_00_00_00_0e_01);
    const rs = rules({
      nat: [
        `-A PREROUTING -d 10.43.0.10/32 -p udp -m udp --dport 53 -j ${SVC}`,
        `-A ${SVC} -m comment --comment "kube-system/kube-dns:dns -> 10.42.1.5:53" -m statistic --mode random --probability 0.33333333349 -j ${EPS[0][0]}`,
        `-A ${SVC} -m comment --comment "kube-system/kube-dns:dns -> 10.42.1.6:53" -m statistic --mode random --probability 0.50000000000 -j ${EPS[1][0]}`,
        `-A ${SVC} -m comment --comment "kube-system/kube-dns:dns -> 10.42.1.7:53" -j ${EPS[2][0]}`,
        ...EPS.map(([chain, a]) => `-A ${chain} -p udp -m udp -j DNAT --to-destination ${a}:53`),
      ],
    });
    node.enableNetfilter(rs);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < packetsPerFlow; k++) lab.udp(c).send(10000 + i, ip('10.43.0.10'), 53, EMPTY);
    lab.run();
    const pkts = sink.packets();
    return { rs, flows: new Map(pkts.map((p) => [u16(p, 20), formatIpv4(readIpv4(p, 16))])), pkts };
  }

  it('1/3, 1/2, then the rest: each of 3 endpoints gets about a third of 3000 connections', () => {
    const { flows, rs } = split(1, 3000);
    const count = (a: string) => [...flows.values()].filter((x) => x === a).length;
    const counts = EPS.map(([, a]) => count(a));
    assert.equal(counts[0]! + counts[1]! + counts[2]!, 3000);
    // binomial(3000, 1/3): sd ~ 26; 4 sd either side
    for (const k of counts) assert.ok(Math.abs(k - 1000) < 104, `split ${counts.join(',')}`);
    assert.equal(ruleAt(rs, 'nat', SVC, 0).packets, counts[0], 'the 1/3 rule counted exactly the flows it took');
    assert.equal(ruleAt(rs, 'nat', SVC, 1).packets, counts[1]);
    assert.equal(ruleAt(rs, 'nat', SVC, 2).packets, counts[2]);
  });

  it('the same seed gives the same split; another seed another', () => {
    const a = [...split(42, 300).flows.values()];
    assert.deepEqual([...split(42, 300).flows.values()], a);
    assert.notDeepEqual([...split(43, 300).flows.values()], a);
  });

  it('a connection stays with the endpoint chosen for its first packet (no new draw per packet)', () => {
    const { pkts } = split(5, 50, 4);
    const byPort = new Map<number, Set<string>>();
    for (const p of pkts) {
      const s = byPort.get(u16(p, 20)) ?? new Set();
      s.add(formatIpv4(readIpv4(p, 16)));
      byPort.set(u16(p, 20), s);
    }
    assert.equal(pkts.length, 200);
    assert.ok([...byPort.values()].every((s) => s.size === 1));
    assert.ok(new Set([...byPort.values()].map((s) => [...s][0])).size > 1, 'and the flows are spread');
  });
});

// ---- filter -------------------------------------------------------------------------------------------

const R = '203.0.113.2';
const FAR = '198.51.100.9';

/**
 * C (10.0.0.2) -- G -- R (203.0.113.2 | 198.51.100.1) -- S (198.51.100.9). Routed both ways unless G
 * masquerades: R and S have routes back to 10.0.0.0/24 only when `routedBack`.
 */
function chainLab(o: {
  nat?: string[];
  filter?: string[];
  forward?: 'ACCEPT' | 'DROP';
  input?: 'ACCEPT' | 'DROP';
  routedBack: boolean;
}) {
  const lab = new Lab();
  const c = lab.node('C', { eth0: `${C1}/24` }, { gw: G_IN });
  const g = lab.node('G', { eth0: `${G_IN}/24`, eth1: `${G_OUT}/24` }, { router: true, gw: R });
  const r = lab.node(
    'R',
    { eth0: `${R}/24`, eth1: '198.51.100.1/24' },
    { router: true, routes: o.routedBack ? [['10.0.0.0/24', G_OUT]] : [] },
  );
  const s = lab.node('S', { eth0: `${FAR}/24` }, { gw: '198.51.100.1' });
  lab.link(c, 'eth0', g, 'eth0');
  lab.link(g, 'eth1', r, 'eth0');
  lab.link(r, 'eth1', s, 'eth0');
  const rs = rules({
    nat: o.nat ?? [],
    filter: o.filter ?? [],
    forward: o.forward ?? 'ACCEPT',
    input: o.input ?? 'ACCEPT',
  });
  const nf = g.enableNetfilter(rs);
  return { lab, c, g, r, s, rs, nf };
}

describe('netfilter: filter', () => {
  it('FORWARD policy DROP with "--ctstate RELATED,ESTABLISHED -j ACCEPT": out and back works, new from outside is dropped', () => {
    const { lab, c, s, rs, g } = chainLab({
      forward: 'DROP',
      filter: [
        '-A FORWARD -i eth0 -o eth1 -j ACCEPT',
        '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      ],
      routedBack: true,
    });
    const atS = listen(lab.udp(s), 53, echo);
    const atC = listen(lab.udp(c), 40000);
    const atC9 = listen(lab.udp(c), 9999);
    const icmp = icmpLog(c);
    lab.udp(c).send(40000, ip(FAR), 53, text('q'));
    lab.run();
    assert.deepEqual([atS.length, atC.map((d) => d.src)], [1, [FAR]], 'the answer is ESTABLISHED');
    lab.udp(s).send(5555, ip(C1), 9999, text('unsolicited'));
    lab.run();
    assert.deepEqual(atC9, [], 'a NEW connection from outside meets the policy');
    assert.ok(
      lab.drops('G').some((d) => d === 'policy: filter FORWARD: DROP'),
      lab.drops('G').join('\n'),
    );
    // TTL 2: R drops it and answers time exceeded, RELATED to the flow, so it passes the DROP policy
    lab.udp(c).send(40001, ip(FAR), 33434, EMPTY, { ttl: 2 });
    lab.run();
    assert.deepEqual(
      icmp.map((e) => [formatIpv4(e.src), e.message.kind]),
      [[R, 'time-exceeded']],
    );
    assert.deepEqual(
      [...rs.filter.get('FORWARD')!.rules.map((r) => r.packets), rs.filter.get('FORWARD')!.packets],
      [2, 2, 1],
      'rule 1: both datagrams out; rule 2: the answer and the ICMP error; policy: the one from outside',
    );
    assert.equal(g.drops.policy, 1);
  });

  it('a drop names the deciding chain, its rule number and comment, then what the explainers add', () => {
    const { lab, c, g, nf } = chainLab({
      filter: [
        '-A FORWARD -p udp -j POD-FW',
        '-A POD-FW -p udp -m udp --dport 7 -j ACCEPT',
        '-A POD-FW -m comment --comment "no rule allows it" -j DROP',
      ],
      routedBack: true,
    });
    const seen: string[] = [];
    nf.addDropExplainer((frame, ipLen, d) => {
      seen.push(`${ipLen} ${d?.chain ?? '-'}`);
      return d === undefined ? undefined : `dropped to ${formatIpv4(readIpv4(frame, 14 + 16))}`;
    });
    lab.udp(c).send(40000, ip(FAR), 7, text('ok'));
    lab.udp(c).send(40001, ip(FAR), 9, text('no'));
    lab.run();
    assert.deepEqual(lab.drops('G'), [
      `policy: filter FORWARD: DROP by POD-FW rule 2 ("no rule allows it"): dropped to ${FAR}`,
    ]);
    assert.deepEqual(seen, ['30 POD-FW'], 'explainers run on drops only, with the IP length');
    assert.equal(g.drops.policy, 1);
  });

  it('REJECT answers port unreachable; --reject-with icmp-host-prohibited is type 3 code 10; the quote is the packet as FORWARD saw it', () => {
    const { lab, c, rs } = chainLab({
      filter: [
        '-A FORWARD -p udp -m udp --dport 9 -j REJECT',
        '-A FORWARD -p udp -m udp --dport 10 -j REJECT --reject-with icmp-host-prohibited',
      ],
      routedBack: true,
    });
    const icmp = icmpLog(c);
    lab.udp(c).send(40000, ip(FAR), 9, text('discard?'));
    lab.run();
    lab.udp(c).send(40001, ip(FAR), 10, text('discard?'));
    lab.run();
    const seen = icmp.map((e) => {
      assert.ok(e.message.kind === 'unreachable');
      const q = e.message.original;
      return [
        formatIpv4(e.src),
        e.message.type,
        e.message.code,
        formatIpv4(readIpv4(q, 12)),
        formatIpv4(readIpv4(q, 16)),
        u16(q, 20),
        u16(q, 22),
        q[8],
      ];
    });
    assert.deepEqual(seen, [
      [G_IN, 3, 3, C1, FAR, 40000, 9, 63],
      [G_IN, 3, 10, C1, FAR, 40001, 10, 63],
    ]);
    for (const p of lab.sent('G', 'eth0', 1)) assertChecksums(p, 'REJECT');
    assert.deepEqual(
      rs.filter.get('FORWARD')!.rules.map((r) => r.packets),
      [1, 1],
    );
    assert.equal(lab.sent('G', 'eth1', 17).length, 0, 'nothing rejected went on');
  });

  it('REJECT in INPUT answers from the address the packet was sent to (icmp.c: saddr = iph->daddr for local packets)', () => {
    const { lab, c } = chainLab({ filter: ['-A INPUT -p udp --dport 7 -j REJECT'], routedBack: true });
    const icmp = icmpLog(c);
    lab.udp(c).send(40000, ip(G_OUT), 7, text('echo?'));
    lab.run();
    assert.deepEqual(
      icmp.map((e) => [
        formatIpv4(e.src),
        e.message.kind === 'unreachable' ? [e.message.code, e.message.original[8]] : e.message.kind,
      ]),
      [[G_OUT, [3, 64]]],
    );
  });

  it('REJECT --reject-with tcp-reset answers a SYN with RST/ACK from the address it was sent to (nf_send_reset)', () => {
    const lab = new Lab();
    const g = lab.node('G', { eth0: `${G_IN}/24`, eth1: `${G_OUT}/24` }, { router: true });
    const inside = lab.probe('P1');
    lab.link(inside, 'eth0', g, 'eth0');
    g.addPermanentNeighbor('eth0', ip(C1), 0x02_00_00_00_0a_01);
    g.addPermanentNeighbor('eth1', ip(S), 0x02_00_00_00_0a_02);
    g.enableNetfilter(rules({ filter: ['-A FORWARD -p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset'] }));
    const syn = tcpPacket(ip(C1), ip(S), 40000, 23, 0x02, 1000, 0);
    inside.send(
      buildEthernet({ dst: g.dev('eth0')!.mac, src: 0x02_00_00_00_0a_01, ethertype: ETHERTYPE_IPV4, payload: syn }),
    );
    lab.run();
    const [rst] = inside.packets();
    assert.ok(rst !== undefined, 'an answer came back');
    assertChecksums(rst, 'RST');
    // no ACK on the SYN: seq 0, ack = its seq + 1 (SYN), flags RST|ACK, ports swapped, from the SYN's destination
    assert.deepEqual(
      [
        rst[9],
        formatIpv4(readIpv4(rst, 12)),
        formatIpv4(readIpv4(rst, 16)),
        u16(rst, 20),
        u16(rst, 22),
        new DataView(rst.buffer, rst.byteOffset).getUint32(24),
        new DataView(rst.buffer, rst.byteOffset).getUint32(28),
        rst[33],
      ],
      [6, S, C1, 23, 40000, 0, 1001, 0x14],
    );
  });

  it('-o eth+ matches every interface whose name starts with "eth", and ! -o eth+ the others', () => {
    const lab = new Lab();
    const c = lab.node('C', { eth0: `${C1}/24` }, { gw: G_IN });
    const g = lab.node('G', { lan0: `${G_IN}/24`, eth1: `${G_OUT}/24`, wg0: '198.51.100.1/24' }, { router: true });
    const s1 = lab.node('S1', { eth0: `${S}/24` }, { routes: [['10.0.0.0/24', G_OUT]] });
    const s2 = lab.node('S2', { eth0: `${FAR}/24` }, { routes: [['10.0.0.0/24', '198.51.100.1']] });
    lab.link(c, 'eth0', g, 'lan0');
    lab.link(g, 'eth1', s1, 'eth0');
    lab.link(g, 'wg0', s2, 'eth0');
    const rs = rules({
      nat: ['-A POSTROUTING -s 10.0.0.0/24 -o eth+ -j MASQUERADE', '-A POSTROUTING ! -o eth+'],
      filter: ['-A FORWARD -i lan+'],
    });
    g.enableNetfilter(rs);
    const at1 = listen(lab.udp(s1), 53);
    const at2 = listen(lab.udp(s2), 53);
    lab.udp(c).send(40000, ip(S), 53, text('a'));
    lab.udp(c).send(40000, ip(FAR), 53, text('b'));
    lab.run();
    assert.deepEqual([at1.map((d) => d.src), at2.map((d) => d.src)], [[G_OUT], [C1]]);
    assert.deepEqual(
      rs.nat.get('POSTROUTING')!.rules.map((r) => r.packets),
      [1, 1],
    );
    assert.equal(ruleAt(rs, 'filter', 'FORWARD', 0).packets, 2);
  });

  it('a connection is NEW until a reply is seen, then ESTABLISHED (resolve_normal_ct: IPS_SEEN_REPLY)', () => {
    const { lab, c, s, rs } = chainLab({
      filter: ['-A FORWARD -m conntrack --ctstate NEW', '-A FORWARD -m conntrack --ctstate ESTABLISHED'],
      routedBack: true,
    });
    let n = 0;
    listen(lab.udp(s), 53, (d) => (++n === 3 ? echo(d) : undefined)); // silent for the first two
    listen(lab.udp(c), 40000);
    for (let i = 0; i < 4; i++) {
      lab.udp(c).send(40000, ip(FAR), 53, text(`try ${i}`));
      lab.run();
    }
    // NEW: tries 0, 1, 2 (no reply seen yet); ESTABLISHED: the reply, then try 3
    assert.deepEqual(
      rs.filter.get('FORWARD')!.rules.map((r) => r.packets),
      [3, 2],
    );
  });
});

// ---- MARK and the kube-proxy masquerade pattern -------------------------------------------------------

describe('netfilter: MARK', () => {
  it('MARK targets compose as xt_MARK computes them, and filter FORWARD sees the mark set in nat PREROUTING', () => {
    const { lab, c, s, rs } = chainLab({
      nat: [
        '-A PREROUTING -i eth0 -j MARK --set-mark 0x1234',
        '-A PREROUTING -i eth0 -j MARK --or-mark 0x4000', // 0x5234
        '-A PREROUTING -i eth0 -j MARK --and-mark 0xff00', // 0x5200
        '-A PREROUTING -i eth0 -j MARK --xor-mark 0x300', // 0x5100
        '-A PREROUTING -i eth0 -j MARK --set-xmark 0x20/0xf0', // (0x5100 & ~0xf0) ^ 0x20 = 0x5120
      ],
      forward: 'DROP',
      filter: [
        '-A FORWARD -m mark --mark 0x5120',
        '-A FORWARD -m mark --mark 0x4000/0x4000 -j ACCEPT',
        '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      ],
      routedBack: true,
    });
    const atS = listen(lab.udp(s), 53, echo);
    const atC = listen(lab.udp(c), 40000);
    lab.udp(c).send(40000, ip(FAR), 53, text('1'));
    lab.run();
    lab.udp(c).send(40000, ip(FAR), 53, text('2'));
    lab.run();
    assert.deepEqual([atS.length, atC.length], [2, 2]);
    // the nat table marks only the first packet: the second is accepted as ESTABLISHED, like the replies
    assert.deepEqual(
      rs.filter.get('FORWARD')!.rules.map((r) => r.packets),
      [1, 1, 3],
    );
    lab.udp(s).send(5353, ip(C1), 40000, text('unmarked and new'));
    lab.run();
    assert.equal(atC.length, 2, 'an unmarked NEW packet meets the DROP policy');
  });

  it('kube-proxy: KUBE-MARK-MASQ marks clients outside the cluster CIDR and hairpin traffic; KUBE-POSTROUTING masquerades only those', () => {
    const lab = new Lab();
    const e = lab.node('E', { eth0: '192.168.1.50/24' }, { routes: [['10.43.0.0/16', '192.168.1.1']] });
    const n = lab.node('N', { eth0: '192.168.1.1/24', eth1: '10.42.0.1/24', eth2: '10.42.1.1/24' }, { router: true });
    const p0 = lab.node('P0', { eth0: '10.42.0.5/24' }, { gw: '10.42.0.1' });
    const p1 = lab.node('P1', { eth0: '10.42.1.5/24' }, { gw: '10.42.1.1' });
    lab.link(e, 'eth0', n, 'eth0');
    lab.link(n, 'eth1', p0, 'eth0');
    lab.link(n, 'eth2', p1, 'eth0');
    const SVC = 'KUBE-SVC-TCOU7JCQXEZGVUNU';
    const SEP = 'KUBE-SEP-6VPL3RWE5BJEKRUZ';
    const rs = rules({
      nat: [
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
        '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
        '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
        `-A KUBE-SERVICES -d 10.43.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j ${SVC}`,
        `-A ${SVC} ! -s 10.42.0.0/16 -d 10.43.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-MARK-MASQ`,
        `-A ${SVC} -m comment --comment "kube-system/kube-dns:dns -> 10.42.1.5:53" -j ${SEP}`,
        `-A ${SEP} -s 10.42.1.5/32 -m comment --comment "kube-system/kube-dns:dns" -j KUBE-MARK-MASQ`,
        `-A ${SEP} -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 10.42.1.5:53`,
      ],
      forward: 'DROP',
      filter: [
        '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
        '-A FORWARD -s 10.42.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT',
        '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
        '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      ],
    });
    n.enableNetfilter(rs);
    const dns = listen(lab.udp(p1), 53, (d) => `answer for ${str(d.payload)}`);
    const fromPod = listen(lab.udp(p0), 40000);
    const fromOutside = listen(lab.udp(e), 40000);
    const hairpin = listen(lab.udp(p1), 40001);
    lab.udp(p0).send(40000, ip('10.43.0.10'), 53, text('pod'));
    lab.run();
    lab.udp(e).send(40000, ip('10.43.0.10'), 53, text('outside'));
    lab.run();
    lab.udp(p1).send(40001, ip('10.43.0.10'), 53, text('self'));
    lab.run();
    assert.deepEqual(
      dns.map((d) => [d.data, d.src, d.dst, d.dstPort]),
      [
        ['pod', '10.42.0.5', '10.42.1.5', 53],
        ['outside', '10.42.1.1', '10.42.1.5', 53],
        ['self', '10.42.1.1', '10.42.1.5', 53],
      ],
      'a pod keeps its address; the outside client and the hairpin are masqueraded to the node address facing the endpoint',
    );
    assert.equal(dns[0]!.srcPort, 40000);
    assert.ok(dns.slice(1).every((d) => d.srcPort >= 1024 && d.srcPort <= 65535));
    for (const [log, what] of [
      [fromPod, 'pod'],
      [fromOutside, 'outside'],
      [hairpin, 'self'],
    ] as const) {
      assert.deepEqual(
        log.map((d) => [d.src, d.srcPort, d.data]),
        [['10.43.0.10', 53, `answer for ${what}`]],
        `${what} gets the answer from the service address`,
      );
    }
    const post = rs.nat.get('KUBE-POSTROUTING')!.rules;
    assert.deepEqual(
      post.map((r) => r.packets),
      [1, 2, 2],
      'RETURN for the unmarked pod flow; MARK and MASQUERADE for the two marked',
    );
    assert.deepEqual(
      rs.filter.get('KUBE-FORWARD')!.rules.map((r) => r.packets),
      [2, 3],
      'marked flows accepted by mark, all three answers by ctstate',
    );
    assert.equal(ruleAt(rs, 'filter', 'FORWARD', 1).packets, 1, "the pod flow by flannel's source rule");
    for (const dev of ['eth0', 'eth1', 'eth2']) for (const p of lab.sent('N', dev, 17)) assertChecksums(p, `N ${dev}`);
  });
});

// ---- ICMP errors about NATed connections (RELATED) ----------------------------------------------------

describe('netfilter: ICMP errors are RELATED and translated (nf_nat_icmp_reply_translation)', () => {
  it('without NAT a RELATED error passes unchanged but for the TTL: traceroute through a filtering router shows every hop', () => {
    // nf_nat_icmp_reply_translation returns early unless the connection has the NAT type of the hook
    // (IPS_SRC_NAT / IPS_DST_NAT, swapped for the reply direction): nothing is rewritten here
    const { lab, c } = chainLab({ filter: ['-A FORWARD -m conntrack --ctstate RELATED -j ACCEPT'], routedBack: true });
    const icmp = icmpLog(c);
    lab.udp(c).send(40000, ip(FAR), 33434, EMPTY, { ttl: 2 });
    lab.run();
    const [fromR] = lab.sent('R', 'eth0', 1);
    const [toC] = lab.sent('G', 'eth0', 1);
    assert.ok(fromR !== undefined && toC !== undefined);
    assertBytes(toC, rebuilt(fromR, { ttl: 63 }), 'G -> C: the error as R sent it, one hop older');
    assert.deepEqual(
      icmp.map((e) => [formatIpv4(e.src), e.message.kind]),
      [[R, 'time-exceeded']],
      'the hop is R, not the destination',
    );
  });

  it('time exceeded from a router beyond a MASQUERADE gateway reaches the client with its own addresses quoted', () => {
    const { lab, c, nf } = chainLab({
      nat: ['-A POSTROUTING -s 10.0.0.0/24 -o eth1 -j MASQUERADE'],
      routedBack: false,
    });
    const icmp = icmpLog(c);
    lab.udp(c).send(40000, ip(FAR), 33434, EMPTY, { ttl: 2 }); // traceroute's second probe, empty so the quote holds it whole
    lab.run();
    const [fromR] = lab.sent('R', 'eth0', 1);
    assert.ok(fromR !== undefined, 'R sent time exceeded to the gateway');
    assert.equal(formatIpv4(readIpv4(fromR, 16)), G_OUT);
    const [toC] = lab.sent('G', 'eth0', 1);
    assert.ok(toC !== undefined, 'G passed the error on to the client');
    // Linux rewrites the outer destination and the quoted source (the connection was SNATed); the outer
    // source stays R: the connection has no DNAT for a source rewrite to undo
    assertBytes(toC, rebuiltError(fromR, { dst: C1, ttl: 63 }, { src: C1 }), 'G -> C: time exceeded, translated');
    assertChecksums(toC, 'G -> C');
    assert.deepEqual(
      icmp.map((e) => {
        assert.ok(e.message.kind === 'time-exceeded');
        const q = e.message.original;
        return [
          formatIpv4(e.src),
          formatIpv4(e.dst),
          formatIpv4(readIpv4(q, 12)),
          u16(q, 20),
          formatIpv4(readIpv4(q, 16)),
          u16(q, 22),
          q[8],
        ];
      }),
      [[R, C1, C1, 40000, FAR, 33434, 1]],
    );
    assert.equal(nf.conntrack.entries(lab.engine.now).length, 1, 'the error created no connection of its own');
  });

  it('port unreachable from the server behind a DNAT reaches the client from the address it called, quoting that address', () => {
    const { lab, x, b, nf } = dnatLab([
      '-A PREROUTING -d 203.0.113.1/32 -p udp --dport 8080 -j DNAT --to-destination 10.0.0.2:80',
    ]);
    lab.udp(b); // B has UDP but nothing on port 80: it answers port unreachable
    const icmp = icmpLog(x);
    lab.udp(x).send(50000, ip(G_OUT), 8080, EMPTY);
    lab.run();
    const [fromB] = lab.sent('B', 'eth0', 1);
    assert.ok(fromB !== undefined, 'B answered port unreachable');
    const [toX] = lab.sent('G', 'eth1', 1);
    assert.ok(toX !== undefined, 'G passed it on');
    assertBytes(
      toX,
      rebuiltError(fromB, { src: G_OUT, ttl: 63 }, { dst: G_OUT, dport: 8080 }),
      'G -> X: port unreachable, translated',
    );
    assertChecksums(toX, 'G -> X');
    assert.deepEqual(
      icmp.map((e) => {
        assert.ok(e.message.kind === 'unreachable');
        const q = e.message.original;
        return [
          formatIpv4(e.src),
          e.message.code,
          formatIpv4(readIpv4(q, 12)),
          u16(q, 20),
          formatIpv4(readIpv4(q, 16)),
          u16(q, 22),
        ];
      }),
      [[G_OUT, 3, X, 50000, G_OUT, 8080]],
    );
    assert.equal(nf.conntrack.entries(lab.engine.now).length, 1);
  });
});

describe('netfilter: fragments on a conntrack node', () => {
  it('a fragmented UDP reply through MASQUERADE reaches the client whole (nf_defrag_ipv4 reassembles before conntrack)', () => {
    // Linux defragments in PREROUTING wherever conntrack runs, so NAT sees the whole datagram (and its
    // ports) and the output path fragments it again; fragments after the first carry no ports to match on
    const { lab, c1, s } = masqLab();
    const big = new Uint8Array(3000).map((_, i) => i & 0xff);
    lab.udp(s).bind(53, (d) => {
      lab.udp(s).send(53, d.src, d.srcPort, big, { df: false });
    });
    const atC1 = listen(lab.udp(c1), 40000);
    lab.udp(c1).send(40000, ip(S), 53, text('large answer please'));
    lab.run();
    assert.ok(lab.sent('S', 'eth0', 17).length >= 3, 'S sent the answer in fragments');
    assert.deepEqual(
      atC1.map((d) => [d.src, d.srcPort, d.data.length]),
      [[S, 53, 3000]],
    );
  });

  it('reassembly time exceeded quotes the first fragment as it arrived: header unchanged, then its first 8 bytes', () => {
    // ip_expire -> icmp_send(head, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME): the quote is the head fragment; as the
    // fragment was addressed to this node, the error leaves from that address (icmp.c: saddr = iph->daddr)
    const lab = new Lab();
    const g = lab.node('G', { eth0: `${G_IN}/24`, eth1: `${G_OUT}/24` }, { router: true });
    const outside = lab.probe('OUT');
    lab.link(outside, 'eth0', g, 'eth1');
    g.addPermanentNeighbor('eth1', ip(S), 0x02_00_00_00_0a_02);
    g.enableNetfilter(rules({ filter: ['-A INPUT -p udp'] }));
    const first = udpPacket(ip(S), ip(G_OUT), 5353, 53, new Uint8Array(16).fill(0xab), { id: 0x7777 });
    first[6] = 0x20; // MF: the rest never comes
    put16(first, 10, 0);
    put16(first, 10, internetChecksum(first, 0, 20));
    outside.send(
      buildEthernet({ dst: g.dev('eth1')!.mac, src: 0x02_00_00_00_0a_02, ethertype: ETHERTYPE_IPV4, payload: first }),
    );
    lab.engine.run(31 * SECOND);
    const [err] = outside.packets();
    assert.ok(err !== undefined, 'an ICMP error came back');
    assert.deepEqual([err[20], err[21]], [11, 1], 'time exceeded, fragment reassembly');
    assert.equal(
      hex(err.subarray(28, 48)),
      hex(first.subarray(0, 20)),
      "the quoted header is the fragment's, byte for byte",
    );
    assert.equal(
      hex(err.subarray(48, 56)),
      hex(first.subarray(20, 28)),
      'then the first 8 bytes of its data: the UDP ports',
    );
    assertChecksums(err, 'time exceeded');
    assert.equal(formatIpv4(readIpv4(err, 12)), G_OUT);
  });
});

// ---- conntrack timing through the gateway -------------------------------------------------------------

describe('netfilter: conntrack timing', () => {
  /** C (10.42.0.5) -- N -- E1 (10.42.1.5) and E2 (10.42.2.6), ClusterIP 10.43.0.10:53 DNATed to `to`. */
  function serviceLab(replies: boolean) {
    const lab = new Lab();
    const c = lab.node('C', { eth0: '10.42.0.5/24' }, { gw: '10.42.0.1' });
    const n = lab.node('N', { eth0: '10.42.0.1/24', eth1: '10.42.1.1/24', eth2: '10.42.2.1/24' }, { router: true });
    const e1 = lab.node('E1', { eth0: '10.42.1.5/24' }, { gw: '10.42.1.1' });
    const e2 = lab.node('E2', { eth0: '10.42.2.6/24' }, { gw: '10.42.2.1' });
    lab.link(c, 'eth0', n, 'eth0');
    lab.link(n, 'eth1', e1, 'eth0');
    lab.link(n, 'eth2', e2, 'eth0');
    const dnatTo = (a: string) =>
      rules({ nat: [`-A PREROUTING -d 10.43.0.10/32 -p udp -m udp --dport 53 -j DNAT --to-destination ${a}:53`] });
    const nf = n.enableNetfilter(dnatTo('10.42.1.5'));
    const hits: [number, string][] = [];
    const at = (name: string) => (d: UdpDatagramIn) => {
      hits.push([d.time, name]);
      return replies ? name : undefined;
    };
    listen(lab.udp(e1), 53, at('E1'));
    listen(lab.udp(e2), 53, at('E2'));
    const answers = listen(lab.udp(c), 40000);
    /** Sends a query at absolute time `t` (seconds) and runs the network until it is idle. */
    const queryAt = (t: number) => {
      lab.engine.at(Math.round(t * SECOND), () => lab.udp(c).send(40000, ip('10.43.0.10'), 53, text('q')));
      lab.run();
      return hits[hits.length - 1]![1];
    };
    return { lab, nf, hits, answers, queryAt, switchTo: (a: string) => n.enableNetfilter(dnatTo(a)) };
  }

  it('kubernetes#125467: after the endpoint changes, a live UDP entry keeps sending to the old one until 120 s of silence', () => {
    const { nf, queryAt, switchTo, answers, lab } = serviceLab(true);
    assert.equal(queryAt(0), 'E1');
    assert.equal(queryAt(10), 'E1'); // still talking after 2 s: a stream (udp_timeout_stream, 120 s), ASSURED
    switchTo('10.42.2.6'); // kube-proxy rewrote the rules; nobody deleted the conntrack entry
    assert.equal(queryAt(20), 'E1', 'the nat table is not consulted for an existing connection');
    const [c] = nf.conntrack.entries(lab.engine.now);
    assert.equal(c!.assured, true);
    assert.equal(queryAt(20 + 119), 'E1', '119 s after the last packet the entry is still there');
    assert.equal(
      queryAt(20 + 119 + 121),
      'E2',
      'past 120 s of silence it expired: the next query is NEW and takes the new rule',
    );
    assert.ok(
      answers.every((d) => d.src === '10.43.0.10' && d.srcPort === 53),
      'every answer, old endpoint or new, comes from the service address',
    );
    assert.deepEqual(
      answers.map((d) => d.data),
      ['E1', 'E1', 'E1', 'E1', 'E2'],
    );
  });

  it('an unanswered UDP flow lives 30 s after its last packet; retries every 10 s keep the stale entry alive', () => {
    const { queryAt, switchTo } = serviceLab(false);
    assert.equal(queryAt(0), 'E1');
    switchTo('10.42.2.6');
    for (const t of [10, 20, 30, 40]) assert.equal(queryAt(t), 'E1', `retry at ${t} s refreshes the 30 s timer`);
    assert.equal(queryAt(40 + 29.999), 'E1');
    assert.equal(queryAt(40 + 29.999 + 31), 'E2', '30 s without a packet: gone');
  });

  it('one request and one reply (a DNS lookup) keep the 30 s timeout and are not ASSURED (nf_conntrack_udp_packet: a stream only after 2 s)', () => {
    // nf_conntrack_in sets IPS_SEEN_REPLY after the reply's own udp_packet call, and udp_packet extends to
    // the stream timeout (and sets ASSURED) only for packets later than stream_ts = first packet + 2 s
    const { nf, queryAt, lab } = serviceLab(true);
    queryAt(0);
    const [c] = nf.conntrack.entries(lab.engine.now);
    assert.match(
      formatConn(c!, lab.engine.now),
      /^udp {6}17 29 src=10\.42\.0\.5 dst=10\.43\.0\.10 sport=40000 dport=53 src=10\.42\.1\.5 dst=10\.42\.0\.5 sport=53 dport=40000 mark=0 use=1$/,
    );
    queryAt(5); // after 2 s: now a stream
    const [s] = nf.conntrack.entries(lab.engine.now);
    assert.match(formatConn(s!, lab.engine.now), /^udp {6}17 119 .* \[ASSURED\] mark=0 use=1$/);
  });

  it('ICMP echo entries are never ASSURED (nf_conntrack_icmp_packet only refreshes the 30 s timer)', () => {
    const { lab, c1, nf } = masqLab();
    sendEcho(c1, ip(S), 7, 1);
    lab.run();
    const [e] = nf.conntrack.entries(lab.engine.now);
    assert.equal(
      formatConn(e!, lab.engine.now),
      'icmp     1 29 src=10.0.0.2 dst=203.0.113.9 type=8 code=0 id=7 src=203.0.113.9 dst=203.0.113.1 type=0 code=0 id=7 mark=0 use=1',
    );
  });
});

// ---- properties ---------------------------------------------------------------------------------------

describe('netfilter: random traffic through a NAT gateway (fast-check)', () => {
  interface Pkt {
    fromInside: boolean;
    kind: 'udp' | 'udp0' | 'tcp' | 'echo' | 'error' | 'other' | 'junk';
    port: number;
    peerPort: number;
    flags: number;
    ttl: number;
    frag: number;
    data: Uint8Array;
    quote: number;
    errType: number;
  }
  const pktArb: fc.Arbitrary<Pkt> = fc.record({
    fromInside: fc.boolean(),
    kind: fc.constantFrom('udp', 'udp0', 'tcp', 'echo', 'error', 'other', 'junk'),
    port: fc.constantFrom(53, 80, 8080, 40000, 40001, 65535),
    peerPort: fc.constantFrom(53, 80, 8080, 40000, 40001, 1),
    flags: fc.constantFrom(0x02, 0x12, 0x10, 0x18, 0x11, 0x04),
    ttl: fc.constantFrom(1, 2, 64, 255),
    frag: fc.constantFrom(0, 0, 0, 0x2000, 0x0010, 0x4000),
    data: fc.uint8Array({ maxLength: 40 }),
    quote: fc.nat(),
    errType: fc.constantFrom(3, 11, 12, 4, 5),
  });

  it("never throws; whatever comes out has valid IPv4, UDP, TCP and ICMP checksums (the quote's too)", () => {
    fc.assert(
      fc.property(fc.array(pktArb, { minLength: 1, maxLength: 14 }), (pkts) => {
        const lab = new Lab();
        const g = lab.node('G', { eth0: `${G_IN}/24`, eth1: `${G_OUT}/24` }, { router: true });
        const inside = lab.probe('IN');
        const outside = lab.probe('OUT');
        lab.link(inside, 'eth0', g, 'eth0');
        lab.link(outside, 'eth0', g, 'eth1');
        g.addPermanentNeighbor('eth0', ip(C1), 0x02_00_00_00_0a_01);
        g.addPermanentNeighbor('eth1', ip(S), 0x02_00_00_00_0a_02);
        g.enableNetfilter(
          rules({
            nat: [
              '-A PREROUTING -i eth1 -d 203.0.113.1/32 -p udp --dport 8080 -j DNAT --to-destination 10.0.0.2:80',
              '-A PREROUTING -i eth1 -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.2',
              '-A POSTROUTING -o eth1 -j MASQUERADE',
            ],
            filter: ['-A FORWARD -p udp --dport 1 -j REJECT'],
          }),
        );
        const quotable: Uint8Array[] = []; // well-formed packets sent so far, for ICMP errors to quote
        for (const p of pkts) {
          const src = p.fromInside ? ip(C1) : ip(S);
          const dst = p.fromInside ? ip(S) : ip(G_OUT);
          let pkt: Uint8Array;
          switch (p.kind) {
            case 'udp':
            case 'udp0':
              pkt = udpPacket(src, dst, p.port, p.peerPort, p.data, { ttl: p.ttl, noChecksum: p.kind === 'udp0' });
              break;
            case 'tcp':
              pkt = tcpPacket(src, dst, p.port, p.peerPort, p.flags, p.quote >>> 0, 0, p.data, p.ttl);
              break;
            case 'echo':
              pkt = buildIpv4(
                {
                  tos: 0,
                  id: 1,
                  df: false,
                  mf: false,
                  fragmentOffset: 0,
                  ttl: p.ttl,
                  protocol: 1,
                  src,
                  dst,
                  options: EMPTY,
                },
                buildIcmp({ kind: 'echo', type: p.flags & 1 ? 0 : 8, code: 0, id: p.port, seq: 1, data: p.data }),
              );
              break;
            case 'error': {
              // an ICMP error quoting something sent earlier (as the far side would see it), or junk
              const seen = [...quotable, ...(p.fromInside ? inside : outside).packets().filter((x) => x[9] !== 1)];
              const q = (
                seen.length > 0 ? seen[p.quote % seen.length]! : udpPacket(ip(C1), ip(S), 40000, 53, EMPTY)
              ).slice(0, 28);
              const m: IcmpMessage =
                p.errType === 11
                  ? { kind: 'time-exceeded', type: 11, code: 0, original: q }
                  : p.errType === 3
                    ? { kind: 'unreachable', type: 3, code: 3, nextHopMtu: 0, original: q }
                    : { kind: 'other', type: p.errType, code: 0, rest: 0, data: q };
              pkt = buildIpv4(
                {
                  tos: 0,
                  id: 2,
                  df: false,
                  mf: false,
                  fragmentOffset: 0,
                  ttl: p.ttl,
                  protocol: 1,
                  src,
                  dst,
                  options: EMPTY,
                },
                buildIcmp(m),
              );
              break;
            }
            case 'other':
              pkt = buildIpv4(
                {
                  tos: 0,
                  id: 3,
                  df: false,
                  mf: false,
                  fragmentOffset: 0,
                  ttl: p.ttl,
                  protocol: 47,
                  src,
                  dst,
                  options: EMPTY,
                },
                p.data,
              );
              break;
            case 'junk':
              pkt = new Uint8Array([0x45, ...p.data]);
              break;
          }
          if (p.frag !== 0 && pkt.length >= 20 && p.kind !== 'junk') {
            pkt[6] = (pkt[6]! & 0x40) | (p.frag >>> 8);
            pkt[7] = p.frag & 0xff;
            put16(pkt, 10, 0);
            put16(pkt, 10, internetChecksum(pkt, 0, 20));
          }
          if (p.kind !== 'junk' && pkt.length >= 28) quotable.push(pkt);
          const frame = buildEthernet({
            dst: g.dev(p.fromInside ? 'eth0' : 'eth1')!.mac,
            src: p.fromInside ? 0x02_00_00_00_0a_01 : 0x02_00_00_00_0a_02,
            ethertype: ETHERTYPE_IPV4,
            payload: pkt,
          });
          (p.fromInside ? inside : outside).send(frame);
          lab.run();
        }
        for (const out of [...inside.packets(), ...outside.packets()])
          assertChecksums(out, 'delivered', { skipReassemblyQuote: true });
      }),
      { numRuns: 150, seed: 20240613 },
    );
  });
});
