/**
 * An IPv4 host and router checked the way one checks a Linux box with tcpdump on each side: frames are
 * injected from probe devices wired to the node's ports and whatever comes out is parsed back and compared
 * with values worked out by hand (ARP bytes, checksums, ICMP types and quotes, fragment offsets).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Engine, SECOND, US } from '../sim/engine.js';
import { Device, Network, type Port } from '../link/device.js';
import { MAC_BROADCAST, parseIpv4 as parseAddr, type Ipv4, type Mac } from '../wire/addr.js';
import { ARP_OP_REPLY, ARP_OP_REQUEST, buildArpFrame, parseArp } from '../wire/arp.js';
import { buildEthernet, parseEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { buildIpv4, checkIpv4, emitIpv4Header, parseIpv4, type Ipv4Header } from '../wire/ipv4.js';
import { buildIcmp, emitIcmp, icmpLength, parseIcmp, type IcmpMessage } from '../wire/icmp.js';
import { internetChecksum } from '../wire/checksum.js';
import { TraceRecorder, type TraceEvent } from '../observe/recorder.js';
import { IpNode, type IcmpEvent } from './ip-node.js';
import { DEFAULT_ARP, type ArpConfig } from './neighbor.js';
import { flipBits, hex } from '../wire/testing.js';

// ---- helpers ------------------------------------------------------------------------------------------

const ip = (s: string): Ipv4 => parseAddr(s)!;
const mac = (last: number): Mac => 0x02_00_00_00_00_00 + last;
const EMPTY = new Uint8Array(0);

/** A wire-side probe: records what arrives, sends what the test builds. */
class Probe extends Device {
  readonly got: { time: number; frame: Uint8Array }[] = [];
  get kind(): string {
    return 'probe';
  }
  receive(_port: Port, frame: Uint8Array): void {
    this.got.push({ time: this.engine.now, frame });
  }
  send(frame: Uint8Array): void {
    this.transmit(this.ports[0]!, frame);
  }
  /** Received IPv4 packets (Ethernet stripped). */
  ipPackets(): Uint8Array[] {
    return this.got.filter((g) => g.frame[12] === 0x08 && g.frame[13] === 0x00).map((g) => g.frame.subarray(14));
  }
  arps(): { time: number; op: number; senderIp: Ipv4; targetIp: Ipv4; senderMac: Mac; targetMac: Mac; ethDst: Mac }[] {
    return this.got
      .filter((g) => g.frame[12] === 0x08 && g.frame[13] === 0x06)
      .map((g) => {
        const e = parseEthernet(g.frame);
        const a = parseArp(g.frame.subarray(14));
        assert.ok(e.ok && a.ok);
        return { time: g.time, ...a.value, ethDst: e.value.dst };
      });
  }
}

interface Packet {
  src: Ipv4;
  dst: Ipv4;
  ttl?: number;
  df?: boolean;
  id?: number;
  protocol?: number;
  payload?: Uint8Array;
  tos?: number;
}

function ipPacket(p: Packet): Uint8Array {
  return buildIpv4(
    {
      tos: p.tos ?? 0,
      id: p.id ?? 0x1234,
      df: p.df ?? true,
      mf: false,
      fragmentOffset: 0,
      ttl: p.ttl ?? 64,
      protocol: p.protocol ?? 17,
      src: p.src,
      dst: p.dst,
      options: EMPTY,
    },
    p.payload ?? hex('9c 40 00 35 00 08 00 00'), // UDP 40000 -> 53, length 8, no checksum
  );
}

function ethIp(srcMac: Mac, dstMac: Mac, p: Packet): Uint8Array {
  return buildEthernet({ dst: dstMac, src: srcMac, ethertype: ETHERTYPE_IPV4, payload: ipPacket(p) });
}

function icmpOf(packet: Uint8Array): IcmpMessage {
  const p = parseIpv4(packet);
  assert.ok(p.ok, 'a valid IPv4 packet');
  assert.equal(p.value.header.protocol, 1, 'ICMP');
  const m = parseIcmp(p.value.payload);
  assert.ok(m.ok, 'a valid ICMP message (checksum included)');
  return m.value;
}

function header(packet: Uint8Array): Ipv4Header {
  const p = parseIpv4(packet);
  assert.ok(p.ok, `valid IPv4: ${JSON.stringify(p)}`);
  return p.value.header;
}

const MAC_R0 = mac(0x10);
const MAC_R1 = mac(0x11);
const MAC_P1 = mac(0x21);
const MAC_P2 = mac(0x22);
const R0 = ip('10.0.1.1');
const R1 = ip('10.0.2.1');
const P1 = ip('10.0.1.2');
const P2 = ip('10.0.2.2');

/**
 * P1 (10.0.1.2) -- eth0 R eth1 -- P2 (10.0.2.2). R forwards; links are 1 µs, infinitely fast. R knows both
 * probes' MACs (permanent entries) unless `arp` is set, so tests see forwarding without ARP in the way.
 */
function routerLab(o: { mtu1?: number; arp?: boolean; forwarding?: boolean } = {}) {
  const engine = new Engine(1);
  const net = new Network(engine);
  const r = new IpNode(net, 'R', { forwarding: o.forwarding ?? true });
  r.addNic('eth0', MAC_R0);
  r.addNic('eth1', MAC_R1, o.mtu1 ?? 1500);
  r.addAddress('eth0', { addr: R0, len: 24 });
  r.addAddress('eth1', { addr: R1, len: 24 });
  const p1 = new Probe(net, 'P1');
  const p2 = new Probe(net, 'P2');
  net.connect(p1.addPort('eth0'), r.port('eth0')!, { bandwidth: 0, latency: 1 * US });
  net.connect(p2.addPort('eth0'), r.port('eth1')!, { bandwidth: 0, latency: 1 * US, mtu: o.mtu1 ?? 1500 });
  if (o.arp !== true) {
    r.addPermanentNeighbor('eth0', P1, MAC_P1);
    r.addPermanentNeighbor('eth1', P2, MAC_P2);
  }
  const rec = new TraceRecorder({ keepBytes: true });
  net.tracer = rec;
  return { engine, net, r, p1, p2, rec };
}

/** A and B on one cable, 10.0.0.1/24 and 10.0.0.2/24. */
function pairLab(arp: Partial<ArpConfig> = {}) {
  const engine = new Engine(1);
  const net = new Network(engine);
  const a = new IpNode(net, 'A', { arp: { ...DEFAULT_ARP, ...arp } });
  const b = new IpNode(net, 'B');
  a.addNic('eth0', mac(0x0a));
  b.addNic('eth0', mac(0x0b));
  a.addAddress('eth0', { addr: ip('10.0.0.1'), len: 24 });
  b.addAddress('eth0', { addr: ip('10.0.0.2'), len: 24 });
  net.connect(a.port('eth0')!, b.port('eth0')!, { bandwidth: 0, latency: 1 * US });
  const rec = new TraceRecorder({ keepBytes: true });
  net.tracer = rec;
  return { engine, net, a, b, rec };
}

function echo(node: IpNode, dst: Ipv4, seq: number, opts: { ttl?: number } = {}): void {
  const msg: IcmpMessage = { kind: 'echo', type: 8, code: 0, id: 0x4242, seq, data: hex('de ad be ef') };
  const err = node.sendIp({ dst, protocol: 1, ...opts }, icmpLength(msg), (f, off) => {
    emitIcmp(msg, f, off);
  });
  assert.equal(err, undefined);
}

function wire(rec: TraceRecorder, device?: string): Extract<TraceEvent, { kind: 'frame' }>[] {
  return rec.events.filter(
    (e): e is Extract<TraceEvent, { kind: 'frame' }> =>
      e.kind === 'frame' && (device === undefined || e.device === device),
  );
}

// ---- ARP ----------------------------------------------------------------------------------------------

describe('ip-node ARP (RFC 826)', () => {
  it('asks once, gets the answer, sends the waiting packet, and both sides cache each other', () => {
    const { engine, a, b, rec } = pairLab();
    const replies: IcmpEvent[] = [];
    a.onIcmp((ev) => replies.push(ev));
    echo(a, ip('10.0.0.2'), 1);
    engine.run();
    const frames = wire(rec);
    assert.deepEqual(
      frames.map((f) => [f.time, f.device, f.frame.protocol]),
      [
        [0, 'A', 'ARP request'],
        [1000, 'B', 'ARP reply'],
        [2000, 'A', 'ICMP echo request'],
        [3000, 'B', 'ICMP echo reply'],
        // B learned A from the request (STALE: neigh_event_ns), its echo reply used it (DELAY), and nothing
        // confirmed it within delay_first_probe_time, so B probes A by unicast 5 s later and A answers.
        // Checked with two namespaces, `ping -c1` and tcpdump: the unicast who-has 5.0 s after the reply.
        [5 * SECOND + 3000, 'B', 'ARP request'],
        [5 * SECOND + 4000, 'A', 'ARP reply'],
      ],
      'B answers the echo without asking ARP itself: it learned A from the request',
    );
    assert.equal(frames[4]!.frame.dstMac, '02:00:00:00:00:0a', "B's probe goes to the MAC it has, not broadcast");
    assert.deepEqual(
      frames[0]!.bytes,
      hex(`
        ff ff ff ff ff ff  02 00 00 00 00 0a  08 06  // broadcast, from A, ARP
        00 01 08 00 06 04 00 01                      // Ethernet/IPv4, request
        02 00 00 00 00 0a  0a 00 00 01               // sender A, 10.0.0.1
        00 00 00 00 00 00  0a 00 00 02               // target unknown, 10.0.0.2
      `),
    );
    assert.deepEqual(
      frames[1]!.bytes,
      hex(`
        02 00 00 00 00 0a  02 00 00 00 00 0b  08 06  // to A, from B
        00 01 08 00 06 04 00 02                      // reply
        02 00 00 00 00 0b  0a 00 00 02               // 10.0.0.2 is at B
        02 00 00 00 00 0a  0a 00 00 01
      `),
    );
    assert.equal(frames[2]!.frame.dstMac, '02:00:00:00:00:0b');
    assert.deepEqual(
      replies.map((r) => [r.time, r.message.kind]),
      [[4000, 'echo']],
    );
    const na = a.neighbors.get(a.dev('eth0')!, ip('10.0.0.2'))!;
    assert.deepEqual([na.state, na.mac, na.confirmed], ['REACHABLE', mac(0x0b), 2000]);
    // reachable_time is random in [base/2, 3*base/2): 15-45 s (neigh_rand_reach_time)
    assert.ok(na.expires - na.confirmed >= 15 * SECOND && na.expires - na.confirmed < 45 * SECOND);
    const nb = b.neighbors.get(b.dev('eth0')!, ip('10.0.0.1'))!;
    assert.deepEqual([nb.state, nb.mac, nb.confirmed], ['REACHABLE', mac(0x0a), 5 * SECOND + 5000]);
  });

  it('uses the cache while REACHABLE; once stale, sends with the cached MAC and revalidates by unicast 5 s later', () => {
    const { engine, a, rec } = pairLab();
    echo(a, ip('10.0.0.2'), 1);
    engine.run();
    rec.clear();
    echo(a, ip('10.0.0.2'), 2);
    engine.run();
    assert.deepEqual(
      wire(rec, 'A').map((f) => f.frame.protocol),
      ['ICMP echo request'],
      'no ARP while REACHABLE',
    );
    const na = a.neighbors.get(a.dev('eth0')!, ip('10.0.0.2'))!;
    const stale = na.expires + 1 * SECOND;
    rec.clear();
    engine.at(stale, () => echo(a, ip('10.0.0.2'), 3));
    engine.run();
    // __neigh_event_send: STALE -> DELAY, the packet goes at once; neigh_timer_handler: DELAY unconfirmed
    // after delay_first_probe_time -> PROBE, a unicast request; the reply makes it REACHABLE again
    assert.deepEqual(
      wire(rec, 'A')
        .filter((f) => f.frame.protocol !== 'ARP reply') // (B revalidates A on its own clock)
        .map((f) => [f.time - stale, f.frame.protocol, f.frame.dstMac]),
      [
        [0, 'ICMP echo request', '02:00:00:00:00:0b'],
        [5 * SECOND, 'ARP request', '02:00:00:00:00:0b'],
      ],
    );
    assert.equal(na.state, 'REACHABLE');
  });

  it('a NIC whose cable is unplugged forgets its neighbours but the permanent ones (neigh_carrier_down)', () => {
    // checked on this kernel: veth pair in two namespaces, a ping, then the peer end set down: `ip neigh`
    // on this end is empty at once, and stays empty when the carrier comes back
    const { engine, net, a } = pairLab();
    a.addPermanentNeighbor('eth0', ip('10.0.0.9'), mac(0x09));
    echo(a, ip('10.0.0.2'), 1);
    engine.run();
    assert.deepEqual(
      a.neighbors.entries().map((n) => [n.ip, n.state]),
      [
        [ip('10.0.0.9'), 'PERMANENT'],
        [ip('10.0.0.2'), 'REACHABLE'],
      ],
    );
    echo(a, ip('10.0.0.7'), 2); // nobody: INCOMPLETE, the packet waits for an answer
    engine.run(engine.now + 1);
    net.disconnect(a.port('eth0')!);
    assert.deepEqual(
      a.neighbors.entries().map((n) => [n.ip, n.state]),
      [[ip('10.0.0.9'), 'PERMANENT']],
    );
    assert.equal(a.drops['link-down'], 1, 'the packet that waited for 10.0.0.7 is dropped');
    engine.run();
    assert.equal(a.neighbors.entries().length, 1, 'no timer of a flushed entry fires later');
  });

  it('a neighbour that stops answering: DELAY, then 3 unicast probes 1 s apart, then FAILED', () => {
    const { engine, a, b, rec } = pairLab();
    echo(a, ip('10.0.0.2'), 1);
    engine.run();
    const na = a.neighbors.get(a.dev('eth0')!, ip('10.0.0.2'))!;
    // B stops answering (its address flushed, as `ip addr flush dev eth0` there): the unicast probes go
    // to a host that no longer answers. (Unplugging A's cable would not do: A's carrier loss flushes its
    // neighbours, as Linux does; see the next test.)
    b.dev('eth0')!.addresses.length = 0;
    const t0 = na.expires - 1 * SECOND; // used in the last 5 s of REACHABLE: the timer goes DELAY, not STALE
    const end = na.expires - t0 + 5 * SECOND; // REACHABLE's end, then delay_first_probe_time
    rec.clear();
    engine.at(t0, () => echo(a, ip('10.0.0.2'), 2));
    engine.run();
    const asks = wire(rec, 'A').filter((f) => f.frame.protocol === 'ARP request');
    assert.deepEqual(
      asks.map((f) => [f.time - t0, f.frame.dstMac]),
      [
        [end, '02:00:00:00:00:0b'],
        [end + 1 * SECOND, '02:00:00:00:00:0b'],
        [end + 2 * SECOND, '02:00:00:00:00:0b'],
      ],
    );
    assert.equal(na.state, 'FAILED');
  });

  it('answers only for its own addresses, and learns nothing from a request not for it', () => {
    const { engine, r, p1 } = routerLab({ arp: true });
    p1.send(
      buildArpFrame(
        { op: ARP_OP_REQUEST, senderMac: MAC_P1, senderIp: P1, targetMac: 0, targetIp: ip('10.0.1.99') },
        MAC_P1,
        MAC_BROADCAST,
      ),
    );
    engine.run();
    assert.equal(p1.got.length, 0);
    assert.equal(r.neighbors.get(r.dev('eth0')!, P1), undefined, 'RFC 826: only a target learns a new sender');
    p1.send(
      buildArpFrame(
        { op: ARP_OP_REQUEST, senderMac: MAC_P1, senderIp: P1, targetMac: 0, targetIp: R0 },
        MAC_P1,
        MAC_BROADCAST,
      ),
    );
    engine.run();
    assert.deepEqual(
      p1.arps().map((x) => [x.op, x.senderIp, x.senderMac, x.targetIp, x.targetMac, x.ethDst]),
      [[ARP_OP_REPLY, R0, MAC_R0, P1, MAC_P1, MAC_P1]],
    );
  });

  it('keeps at most queueLen packets per unresolved neighbour, dropping the oldest with arp-queue-full', () => {
    const { engine, a, b, rec } = pairLab({ queueLen: 3 }); // Linux unres_qlen, cut to 3 to see it overflow
    const seqs: number[] = [];
    a.onIcmp((ev) => {
      if (ev.message.kind === 'echo') seqs.push(ev.message.seq);
    });
    for (let seq = 1; seq <= 5; seq++) echo(a, ip('10.0.0.2'), seq);
    assert.deepEqual(a.drops, { 'arp-queue-full': 2 });
    assert.equal(wire(rec, 'A').length, 1, 'one ARP request for all five, not one each');
    engine.run();
    assert.deepEqual(seqs, [3, 4, 5], 'the three newest were sent once B answered');
    void b;
  });

  it('gives up after 3 requests 1 s apart and drops the waiting packets with arp-timeout', () => {
    const { engine, a, rec } = pairLab();
    echo(a, ip('10.0.0.99'), 1); // nobody has 10.0.0.99
    echo(a, ip('10.0.0.99'), 2);
    engine.run();
    const asks = wire(rec, 'A');
    assert.deepEqual(
      asks.map((f) => [f.time, f.frame.info]),
      [
        [0, 'who-has 10.0.0.99 tell 10.0.0.1'],
        [1 * SECOND, 'who-has 10.0.0.99 tell 10.0.0.1'],
        [2 * SECOND, 'who-has 10.0.0.99 tell 10.0.0.1'],
      ],
    );
    const timeouts = rec.events.filter((e) => e.kind === 'drop' && e.reason === 'arp-timeout');
    assert.deepEqual(
      timeouts.map((e) => e.time),
      [3 * SECOND, 3 * SECOND],
    );
    assert.deepEqual(a.drops, { 'arp-timeout': 2 });
    // Linux keeps the entry, FAILED, and `ip neigh` shows it (seen in a namespace: `10.0.1.9 dev a0 FAILED`)
    assert.equal(a.neighbors.get(a.dev('eth0')!, ip('10.0.0.99'))?.state, 'FAILED', 'the failed entry stays');
    rec.clear();
    echo(a, ip('10.0.0.99'), 3);
    engine.runFor(1);
    assert.deepEqual(
      wire(rec, 'A').map((f) => f.frame.protocol),
      ['ARP request'],
      'a new packet starts a new resolution',
    );
  });

  it('a router that cannot resolve the next hop tells the remote sender: ICMP host unreachable', () => {
    const { engine, r, p1, p2 } = routerLab();
    p1.send(ethIp(MAC_P1, MAC_R0, { src: P1, dst: ip('10.0.2.99'), id: 0x0101 }));
    engine.run();
    assert.equal(p2.arps().length, 3, 'three who-has 10.0.2.99 on eth1');
    assert.deepEqual(r.drops, { 'arp-timeout': 1 });
    const back = p1.ipPackets();
    assert.equal(back.length, 1);
    const m = icmpOf(back[0]!);
    assert.equal(m.kind, 'unreachable');
    assert.deepEqual([m.type, m.code], [3, 1], 'destination unreachable, host unreachable');
    assert.equal(
      p1.got[0]!.time,
      3 * SECOND + 2 * US,
      'sent when the third request times out, 1 µs after the packet arrived',
    );
    const h = header(back[0]!);
    assert.equal(h.dst, P1);
    // Linux picks the source of an ICMP error from the route back to the sender (icmp_send with
    // icmp_errors_use_inbound_ifaddr=0): the interface facing P1, 10.0.1.1, as traceroute and ping show it.
    assert.equal(h.src, R0, 'the source is the address facing the sender, not that of the interface whose ARP failed');
  });

  it('never lets ARP overwrite a permanent entry (ip neigh ... nud permanent)', () => {
    const { engine, r, p1 } = routerLab();
    const rogue = mac(0x66);
    // a request for R from P1's address, but with another MAC (a spoof, or a misconfigured host)
    p1.send(
      buildArpFrame(
        { op: ARP_OP_REQUEST, senderMac: rogue, senderIp: P1, targetMac: 0, targetIp: R0 },
        rogue,
        MAC_BROADCAST,
      ),
    );
    engine.run();
    const n = r.neighbors.get(r.dev('eth0')!, P1)!;
    assert.deepEqual(
      [n.state, n.mac],
      ['PERMANENT', MAC_P1],
      'a request addressed to us must not overwrite the permanent entry',
    );
  });
});

// ---- forwarding ---------------------------------------------------------------------------------------

describe('ip-node forwarding', () => {
  it('decrements TTL, patches the checksum (0x7800 -> 0x7900 by hand) and rewrites both MACs', () => {
    const { engine, r, p1, p2 } = routerLab();
    // 45 00 001c abcd 4000 40 11 [7800] 0a000102 0a000202: words sum to 0x187fe -> 0x87ff -> ~ = 0x7800.
    // TTL 64 -> 63 lowers the word 0x4011 to 0x3f11: sum 0x186fe -> 0x86ff -> ~ = 0x7900.
    const sent = hex(`
      02 00 00 00 00 10  02 00 00 00 00 21  08 00   // to R eth0, from P1, IPv4
      45 00 00 1c  ab cd 40 00  40 11 78 00         // TTL 64, UDP, checksum 0x7800
      0a 00 01 02  0a 00 02 02                      // 10.0.1.2 -> 10.0.2.2
      9c 40 00 35 00 08 00 00                       // UDP 40000 -> 53, no checksum
    `);
    assert.equal(checkIpv4(sent, 14, sent.length - 14), 'ok', 'the hand-made header is valid');
    p1.send(sent);
    engine.run();
    assert.equal(p2.got.length, 1);
    assert.deepEqual(
      p2.got[0]!.frame,
      hex(`
        02 00 00 00 00 22  02 00 00 00 00 11  08 00 // to P2, from R eth1
        45 00 00 1c  ab cd 40 00  3f 11 79 00       // TTL 63, checksum 0x7900
        0a 00 01 02  0a 00 02 02
        9c 40 00 35 00 08 00 00
      `),
    );
    assert.equal(r.forwarded, 1);
    assert.equal(p2.got[0]!.time, 2 * US);
  });

  it('keeps the checksum equal to a full recomputation for any header it forwards', () => {
    fc.assert(
      fc.property(
        fc.record({
          ttl: fc.integer({ min: 2, max: 255 }),
          id: fc.integer({ min: 0, max: 0xffff }),
          tos: fc.integer({ min: 0, max: 255 }),
          // any unicast source but 127/8, which Linux drops as a martian (loopback.test.ts)
          src: fc.integer({ min: 1, max: 0xdfff_ffff }).filter((a) => a >>> 24 !== 127),
          df: fc.boolean(),
        }),
        (h) => {
          const { engine, p1, p2 } = routerLab();
          p1.send(ethIp(MAC_P1, MAC_R0, { ...h, dst: P2 }));
          engine.run();
          assert.equal(p2.got.length, 1);
          const out = p2.got[0]!.frame.subarray(14);
          const expected = new Uint8Array(20);
          emitIpv4Header(
            {
              tos: h.tos,
              totalLength: 28,
              id: h.id,
              df: h.df,
              mf: false,
              fragmentOffset: 0,
              ttl: h.ttl - 1,
              protocol: 17,
              checksum: 0,
              src: h.src,
              dst: P2,
              options: EMPTY,
            },
            expected,
          );
          assert.deepEqual(out.subarray(0, 20), expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('answers TTL 1 with ICMP time exceeded from the address of the interface it came in on', () => {
    // sent from the eth1 side so that the inbound address (10.0.2.1) differs from R's first address
    const { engine, r, p1, p2 } = routerLab();
    const original = ipPacket({ src: P2, dst: P1, ttl: 1, id: 0x0777 });
    p2.send(buildEthernet({ dst: MAC_R1, src: MAC_P2, ethertype: ETHERTYPE_IPV4, payload: original }));
    engine.run();
    assert.equal(p1.got.length, 0, 'not forwarded');
    assert.deepEqual(r.drops, { 'ttl-expired': 1 });
    const back = p2.ipPackets();
    assert.equal(back.length, 1);
    const h = header(back[0]!);
    assert.deepEqual([h.src, h.dst, h.protocol, h.ttl], [R1, P2, 1, 64]);
    const m = icmpOf(back[0]!);
    assert.equal(m.kind, 'time-exceeded');
    assert.deepEqual([m.type, m.code], [11, 0]);
    // RFC 792: the quote is the original IP header (as received, TTL 1) and the first 8 data bytes
    assert.deepEqual(m.kind === 'time-exceeded' ? m.original : undefined, original.subarray(0, 28));
    const raw = back[0]!.subarray(20);
    assert.deepEqual([...raw.subarray(4, 8)], [0, 0, 0, 0], 'the unused word is zero');
  });

  it('answers a destination without a route with ICMP net unreachable', () => {
    const { engine, r, p1, p2 } = routerLab();
    p1.send(ethIp(MAC_P1, MAC_R0, { src: P1, dst: ip('192.0.2.7') }));
    engine.run();
    assert.equal(p2.got.length, 0);
    assert.deepEqual(r.drops, { 'no-route': 1 });
    const back = p1.ipPackets();
    assert.equal(back.length, 1);
    assert.equal(header(back[0]!).src, R0);
    const m = icmpOf(back[0]!);
    assert.deepEqual([m.kind, m.type, m.code], ['unreachable', 3, 0]);
  });

  it('follows a default route when nothing more specific matches', () => {
    const { engine, r, p1, p2 } = routerLab();
    r.routes.add({ dst: 0, len: 0, via: P2, dev: 'eth1' });
    p1.send(ethIp(MAC_P1, MAC_R0, { src: P1, dst: ip('192.0.2.7') }));
    engine.run();
    assert.equal(p2.ipPackets().length, 1);
    assert.equal(
      header(p2.ipPackets()[0]!).dst,
      ip('192.0.2.7'),
      'the IP destination is untouched; only the MAC is the gateway',
    );
    assert.equal(p2.got[0]!.frame[5], 0x22);
  });

  it('answers DF and too big for the next link with fragmentation needed carrying that MTU (RFC 1191)', () => {
    const { engine, r, p1, p2 } = routerLab({ mtu1: 1400 });
    const big = ipPacket({ src: P1, dst: P2, df: true, payload: new Uint8Array(1480) }); // 1500 bytes
    p1.send(buildEthernet({ dst: MAC_R0, src: MAC_P1, ethertype: ETHERTYPE_IPV4, payload: big }));
    engine.run();
    assert.equal(p2.got.length, 0);
    assert.deepEqual(r.drops, { 'mtu-exceeded': 1 });
    const back = p1.ipPackets();
    assert.equal(back.length, 1);
    const h = header(back[0]!);
    assert.deepEqual([h.src, h.dst], [R0, P1]);
    const raw = back[0]!.subarray(20);
    // type 3, code 4, checksum, unused 00 00, next-hop MTU 1400 = 0x0578
    assert.deepEqual([raw[0], raw[1], raw[4], raw[5], raw[6], raw[7]], [3, 4, 0, 0, 0x05, 0x78]);
    const m = icmpOf(back[0]!);
    assert.equal(m.kind === 'unreachable' ? m.nextHopMtu : -1, 1400);
    const q = m.kind === 'unreachable' ? m.original : EMPTY;
    // as much as fits in 576 bytes (icmp.c, RFC 1812 4.3.2.3): 576 - 20 - 8; a namespace's router sends the same
    assert.equal(q.length, 548, '576-byte error');
    assert.deepEqual([...q], [...big.subarray(0, 548)], 'the quote is the packet as it arrived, TTL not decremented');
  });

  it('fragments a non-DF packet too big for the next link (RFC 791): sizes, offsets, MF, data', () => {
    const { engine, p1, p2 } = routerLab({ mtu1: 576 });
    const data = Uint8Array.from({ length: 1480 }, (_, i) => (i * 7) & 0xff);
    p1.send(
      buildEthernet({
        dst: MAC_R0,
        src: MAC_P1,
        ethertype: ETHERTYPE_IPV4,
        payload: ipPacket({ src: P1, dst: P2, df: false, id: 0xbeef, protocol: 253, payload: data }),
      }),
    );
    engine.run();
    const frags = p2.ipPackets();
    // 576 - 20 = 556 -> 552 data bytes per fragment (a multiple of 8): 552 + 552 + 376 = 1480
    assert.deepEqual(
      frags.map((f) => {
        const h = header(f);
        return [h.totalLength, h.fragmentOffset, h.mf, h.df, h.id, h.ttl, h.protocol];
      }),
      [
        [572, 0, true, false, 0xbeef, 63, 253],
        [572, 69, true, false, 0xbeef, 63, 253],
        [396, 138, false, false, 0xbeef, 63, 253],
      ],
    );
    for (const f of frags) assert.ok(f.length <= 576);
    const joined = new Uint8Array(1480);
    for (const f of frags) joined.set(f.subarray(20), header(f).fragmentOffset * 8);
    assert.deepEqual(joined, data);
  });

  it('delivers a packet addressed to any of its own addresses instead of forwarding it', () => {
    const { engine, r, p1, p2 } = routerLab();
    p1.send(
      buildEthernet({
        dst: MAC_R0,
        src: MAC_P1,
        ethertype: ETHERTYPE_IPV4,
        payload: buildIpv4(
          {
            tos: 0,
            id: 1,
            df: false,
            mf: false,
            fragmentOffset: 0,
            ttl: 1,
            protocol: 1,
            src: P1,
            dst: R1,
            options: EMPTY,
          },
          buildIcmp({ kind: 'echo', type: 8, code: 0, id: 7, seq: 9, data: EMPTY }),
        ),
      }),
    );
    engine.run();
    assert.equal(p2.got.length, 0);
    assert.equal(r.forwarded, 0);
    const back = p1.ipPackets();
    assert.equal(back.length, 1, 'TTL 1 does not matter for a packet that is for us');
    const m = icmpOf(back[0]!);
    assert.deepEqual(m.kind === 'echo' ? [m.type, m.id, m.seq] : [], [0, 7, 9]);
    assert.deepEqual(
      [header(back[0]!).src, header(back[0]!).dst],
      [R1, P1],
      'the reply comes from the address that was pinged',
    );
  });

  it('does not send ICMP errors about ICMP errors (RFC 1122 3.2.2)', () => {
    const { engine, r, p1, p2 } = routerLab();
    const err = buildIcmp({
      kind: 'unreachable',
      type: 3,
      code: 3,
      nextHopMtu: 0,
      original: ipPacket({ src: P2, dst: P1 }).subarray(0, 28),
    });
    p1.send(ethIp(MAC_P1, MAC_R0, { src: P1, dst: P2, ttl: 1, protocol: 1, payload: err }));
    engine.run();
    assert.equal(p1.got.length + p2.got.length, 0);
    assert.deepEqual(r.drops, { 'ttl-expired': 1 });
  });

  it('sends no ICMP error about a datagram to a broadcast address (RFC 1122 3.2.2): protocol unreachable', () => {
    const { engine, r, p1, p2 } = routerLab();
    p1.send(ethIp(MAC_P1, MAC_BROADCAST, { src: P1, dst: ip('10.0.1.255'), protocol: 253 }));
    engine.run();
    assert.deepEqual(r.drops, { 'unhandled-protocol': 1 });
    assert.equal(p1.got.length + p2.got.length, 0, 'no protocol unreachable to the whole subnet');
  });

  it('does not route IP multicast as unicast, and sends no ICMP error about it (RFC 1812 4.3.2.7)', () => {
    // an OSPF hello to 224.0.0.5 with TTL 1, and an mDNS packet to 224.0.0.251 with TTL 255; R has a
    // default route but no multicast routing, so neither may leave eth1 nor draw a time exceeded
    const { engine, r, p1, p2 } = routerLab();
    r.routes.add({ dst: 0, len: 0, via: P2, dev: 'eth1' });
    p1.send(ethIp(MAC_P1, 0x01_00_5e_00_00_05, { src: P1, dst: ip('224.0.0.5'), ttl: 1, protocol: 89 }));
    p1.send(ethIp(MAC_P1, 0x01_00_5e_00_00_fb, { src: P1, dst: ip('224.0.0.251'), ttl: 255 }));
    engine.run();
    assert.equal(p1.got.length, 0, 'no ICMP time exceeded about a multicast packet');
    assert.equal(p2.got.length, 0, 'multicast is not forwarded along the unicast default route');
    assert.equal(r.forwarded, 0);
  });

  it('does not forward a unicast packet that arrived as a link-layer broadcast (RFC 1812 5.3.4)', () => {
    // Linux ip_forward drops skb->pkt_type != PACKET_HOST; otherwise every router on a segment would
    // forward its own copy
    const { engine, r, p1, p2 } = routerLab();
    p1.send(ethIp(MAC_P1, MAC_BROADCAST, { src: P1, dst: P2 }));
    p1.send(ethIp(MAC_P1, MAC_BROADCAST, { src: P1, dst: ip('192.0.2.9') })); // and no net unreachable
    engine.run();
    assert.equal(p2.got.length, 0);
    assert.equal(p1.got.length, 0);
    assert.equal(r.forwarded, 0);
  });

  it('a host (forwarding off) drops a packet for an address it does not own: not-for-us', () => {
    const { engine, r, p1, p2 } = routerLab({ forwarding: false });
    p1.send(ethIp(MAC_P1, MAC_R0, { src: P1, dst: P2 }));
    engine.run();
    assert.equal(p2.got.length, 0);
    assert.deepEqual(r.drops, { 'not-for-us': 1 });
  });
});

// ---- proxy ARP ----------------------------------------------------------------------------------------

describe('ip-node proxy ARP', () => {
  const ask = (target: Ipv4): Uint8Array =>
    buildArpFrame(
      { op: ARP_OP_REQUEST, senderMac: MAC_P1, senderIp: P1, targetMac: 0, targetIp: target },
      MAC_P1,
      MAC_BROADCAST,
    );

  it('answers with its own MAC for an address routed out of another interface', () => {
    const { engine, r, p1 } = routerLab();
    r.dev('eth0')!.proxyArp = true;
    p1.send(ask(ip('10.0.2.50')));
    engine.run();
    assert.deepEqual(
      p1.arps().map((x) => [x.op, x.senderIp, x.senderMac, x.targetIp, x.targetMac]),
      [[ARP_OP_REPLY, ip('10.0.2.50'), MAC_R0, P1, MAC_P1]],
    );
  });

  it('stays quiet for an address on the asking interface, or with proxy ARP off', () => {
    const { engine, r, p1 } = routerLab();
    p1.send(ask(ip('10.0.2.50')));
    engine.run();
    assert.equal(p1.got.length, 0, 'proxy_arp off');
    r.dev('eth0')!.proxyArp = true;
    p1.send(ask(ip('10.0.1.50')));
    p1.send(ask(ip('198.51.100.1'))); // no route at all
    engine.run();
    assert.equal(p1.got.length, 0, 'same-interface or unrouted targets get no proxy answer');
  });
});

// ---- robustness ---------------------------------------------------------------------------------------

describe('ip-node robustness', () => {
  it('drops a unicast frame for another MAC as not-for-us', () => {
    const { engine, r, p1, p2 } = routerLab();
    p1.send(ethIp(MAC_P1, mac(0x99), { src: P1, dst: P2 }));
    engine.run();
    assert.equal(p2.got.length, 0);
    assert.deepEqual(r.drops, { 'not-for-us': 1 });
  });

  it('drops a packet with a corrupted header checksum as bad-checksum, without forwarding or answering', () => {
    const { engine, r, p1, p2 } = routerLab();
    const f = ethIp(MAC_P1, MAC_R0, { src: P1, dst: P2, ttl: 1 });
    flipBits(f, 14 + 10, 0x01); // flip a checksum bit
    p1.send(f);
    engine.run();
    assert.equal(p1.got.length + p2.got.length, 0, 'no forward, and no ICMP about a corrupt packet');
    assert.deepEqual(r.drops, { 'bad-checksum': 1 });
  });

  it('drops ICMP to the node with a bad checksum as bad-checksum and a truncated one as malformed, unanswered', () => {
    const { engine, r, p1 } = routerLab();
    const echo = buildIcmp({ kind: 'echo', type: 8, code: 0, id: 7, seq: 1, data: hex('de ad be ef') });
    flipBits(echo, 6, 0x01); // the sequence number, so the checksum no longer verifies
    p1.send(ethIp(MAC_P1, MAC_R0, { src: P1, dst: R0, protocol: 1, payload: echo }));
    p1.send(ethIp(MAC_P1, MAC_R0, { src: P1, dst: R0, protocol: 1, payload: echo, id: 2 }));
    p1.send(ethIp(MAC_P1, MAC_R0, { src: P1, dst: R0, protocol: 1, payload: hex('08 00 f7 ff 00 00') }));
    engine.run();
    assert.equal(p1.got.length, 0, 'no echo reply, no ICMP error about ICMP');
    assert.deepEqual(r.drops, { 'bad-checksum': 2, malformed: 1 });
  });

  it('drops truncated, wrong-version and bad-length packets as malformed', () => {
    const { engine, r, p1 } = routerLab();
    const good = ethIp(MAC_P1, MAC_R0, { src: P1, dst: P2 });
    p1.send(good.slice(0, 30)); // cut inside the IP header
    const v6 = good.slice();
    v6[14] = 0x65;
    p1.send(v6);
    const longer = good.slice();
    longer[14 + 3] = 0xff; // total length past the frame
    p1.send(longer);
    engine.run();
    assert.deepEqual(r.drops, { malformed: 3 });
  });

  const frameArb = (): fc.Arbitrary<Uint8Array> => {
    const addr = fc.oneof(
      fc.constantFrom(P1, P2, R0, R1, ip('10.0.1.255'), 0xffff_ffff, 0, ip('224.0.0.1'), ip('192.0.2.1')),
      fc.integer({ min: 0, max: 0xffff_ffff }),
    );
    const validIp = fc
      .record({
        ttl: fc.integer({ min: 0, max: 255 }),
        protocol: fc.oneof(fc.constantFrom(1, 6, 17), fc.integer({ min: 0, max: 255 })),
        src: addr,
        dst: addr,
        df: fc.boolean(),
        mf: fc.boolean(),
        fragmentOffset: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0x1fff })),
        payload: fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.constantFrom(
            buildIcmp({ kind: 'echo', type: 8, code: 0, id: 1, seq: 1, data: EMPTY }),
            hex('9c 40 00 35 00 08 00 00'),
          ),
          fc.uint8Array({ minLength: 1400, maxLength: 1600 }),
        ),
        id: fc.integer({ min: 0, max: 0xffff }),
      })
      .map((h) => buildIpv4({ ...h, tos: 0, options: EMPTY }, h.payload));
    const validArp = fc
      .record({
        op: fc.integer({ min: 0, max: 3 }),
        senderIp: addr,
        targetIp: addr,
        senderMac: fc.constantFrom(MAC_P1, mac(0x66), 0),
        targetMac: fc.constantFrom(0, MAC_R0),
      })
      .map((a) => buildArpFrame({ ...a, op: a.op }, a.senderMac, MAC_BROADCAST).subarray(14));
    const body = fc.oneof(validIp, validArp, fc.uint8Array({ maxLength: 80 }));
    const ethertype = fc.constantFrom(ETHERTYPE_IPV4, ETHERTYPE_ARP, 0x8100, 0x86dd);
    const edits = fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 3 });
    return fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      fc
        .tuple(fc.constantFrom(MAC_R0, MAC_BROADCAST, mac(0x99)), ethertype, body, edits, fc.boolean())
        .map(([dst, type, b, changes, fix]) => {
          const f = buildEthernet({ dst, src: MAC_P1, ethertype: type, payload: b });
          for (const [at, v] of changes) if (f.length > 14) f[14 + (at % (f.length - 14))] = v;
          if (fix && f.length >= 34 && f[14]! >>> 4 === 4) {
            // repair the header checksum after the edits so the packet gets past the first check
            const hl = (f[14]! & 0xf) * 4;
            if (hl >= 20 && 14 + hl <= f.length) {
              f[24] = f[25] = 0;
              const c = internetChecksum(f, 14, hl);
              f[24] = c >>> 8;
              f[25] = c & 0xff;
            }
          }
          return f;
        }),
    );
  };

  it('never throws on arbitrary frames, and accounts for each one (a drop, a note, a reply or a delivery)', () => {
    fc.assert(
      fc.property(frameArb(), fc.constantFrom('eth0', 'eth1'), (f, port) => {
        const { engine, net, r, rec } = routerLab();
        r.dev('eth0')!.proxyArp = true;
        r.receive(r.port(port)!, f);
        const accounted = rec.events.length > 0 || r.delivered > 0;
        engine.runUntilIdle(10 * SECOND);
        assert.ok(accounted, `nothing recorded for ${Buffer.from(f).toString('hex')}`);
        assert.equal(
          net.dropCount,
          Object.values(r.drops).reduce((s, n) => s + (n ?? 0), 0),
          'every drop is counted by reason',
        );
        for (const e of rec.events) if (e.kind === 'frame') assert.ok(e.bytes!.length >= 14);
      }),
      { numRuns: 1500 },
    );
  });

  it('every packet it sends in reply to fuzz is itself well formed', () => {
    fc.assert(
      fc.property(frameArb(), (f) => {
        const { engine, r, rec } = routerLab();
        r.receive(r.port('eth0')!, f);
        engine.runUntilIdle(10 * SECOND);
        for (const e of wire(rec, 'R')) {
          const b = e.bytes!;
          if (b[12] === 0x08 && b[13] === 0x00) assert.equal(checkIpv4(b, 14, b.length - 14), 'ok');
          if (b[12] === 0x08 && b[13] === 0x06) assert.ok(parseArp(b.subarray(14)).ok);
        }
      }),
      { numRuns: 500 },
    );
  });
});
