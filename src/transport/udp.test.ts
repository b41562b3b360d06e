/**
 * UDP sockets between two hosts on one cable, checked as with `nc -u` and tcpdump: what the socket
 * receives, what goes on the wire, and what a closed port or a bad checksum produce.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, US } from '../sim/engine.js';
import { Network } from '../link/device.js';
import { parseIpv4 as parseAddr, type Ipv4 } from '../wire/addr.js';
import { buildEthernet, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { buildIpv4 } from '../wire/ipv4.js';
import { buildUdp } from '../wire/udp.js';
import { TraceRecorder } from '../observe/recorder.js';
import { IpNode, type IcmpEvent } from '../net/ip-node.js';
import { UdpStack, type UdpDatagramIn } from './udp.js';
import { FrameProbe } from '../link/testing.js';
import { flipBits } from '../wire/testing.js';

const ip = (s: string): Ipv4 => parseAddr(s)!;
const A = ip('10.0.0.1');
const B = ip('10.0.0.2');
const MAC_A = 0x02_00_00_00_00_0a;
const MAC_B = 0x02_00_00_00_00_0b;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Hosts A and B on a 1 µs, infinitely fast cable, each with a UDP stack. */
function lab() {
  const engine = new Engine(1);
  const net = new Network(engine);
  const a = new IpNode(net, 'A');
  const b = new IpNode(net, 'B');
  a.addNic('eth0', MAC_A);
  b.addNic('eth0', MAC_B);
  a.addAddress('eth0', { addr: A, len: 24 });
  b.addAddress('eth0', { addr: B, len: 24 });
  net.connect(a.port('eth0')!, b.port('eth0')!, { bandwidth: 0, latency: 1 * US });
  const rec = new TraceRecorder({ keepBytes: true });
  net.tracer = rec;
  return { engine, net, a, b, ua: new UdpStack(a), ub: new UdpStack(b), rec };
}

function probeLab() {
  const engine = new Engine(1);
  const net = new Network(engine);
  const b = new IpNode(net, 'B');
  b.addNic('eth0', MAC_B);
  b.addAddress('eth0', { addr: B, len: 24 });
  b.addPermanentNeighbor('eth0', A, MAC_A);
  const p = new FrameProbe(net, 'P');
  const port = p.addPort('eth0');
  net.connect(port, b.port('eth0')!, { bandwidth: 0, latency: 1 * US });
  const send = (udp: Uint8Array): void => {
    p.transmit(
      port,
      buildEthernet({
        dst: MAC_B,
        src: MAC_A,
        ethertype: ETHERTYPE_IPV4,
        payload: buildIpv4(
          {
            tos: 0,
            id: 1,
            df: true,
            mf: false,
            fragmentOffset: 0,
            ttl: 64,
            protocol: 17,
            src: A,
            dst: B,
            options: new Uint8Array(0),
          },
          udp,
        ),
      }),
    );
  };
  return { engine, b, ub: new UdpStack(b), p, send };
}

describe('udp delivery', () => {
  it('delivers to the bound port with the sender address, both ports, the payload and the TTL', () => {
    const { engine, ua, ub } = lab();
    const got: UdpDatagramIn[] = [];
    ub.bind(5353, (d) => got.push({ ...d, payload: d.payload.slice() }));
    assert.equal(ua.send(40000, B, 5353, text('hello podnet')), undefined);
    engine.run();
    // ARP request 0 -> 1 µs, reply -> 2 µs, datagram -> 3 µs
    assert.deepEqual(got, [
      { src: A, srcPort: 40000, dst: B, dstPort: 5353, ttl: 64, time: 3 * US, payload: text('hello podnet') },
    ]);
    assert.equal(ub.received, 1);
  });

  it('puts a correct RFC 768 datagram on the wire (checksum worked by hand)', () => {
    const { engine, ua, ub, rec } = lab();
    ub.bind(2000, () => {});
    ua.send(1000, B, 2000, Uint8Array.of(0xe0, 0x1f));
    engine.run();
    const onWire = rec.events.find((e) => e.kind === 'frame' && e.frame.protocol === 'UDP');
    assert.ok(onWire?.kind === 'frame');
    // pseudo-header 0a00+0001+0a00+0002+0011+000a = 0x141e; header 03e8+07d0+000a = 0x0bc2 -> 0x1fe0;
    // data e01f -> 0xffff, whose complement is 0: RFC 768 sends a computed 0 as 0xffff
    assert.deepEqual([...onWire.bytes!.subarray(34)], [0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0a, 0xff, 0xff, 0xe0, 0x1f]);
  });

  it('answers a closed port with ICMP port unreachable quoting the datagram, and counts no-listener', () => {
    const { engine, a, b, ua } = lab();
    const errors: IcmpEvent[] = [];
    a.onIcmp((ev) => errors.push(ev));
    ua.send(40001, B, 9, text('anyone?'));
    engine.run();
    assert.deepEqual(b.drops, { 'no-listener': 1 });
    assert.equal(errors.length, 1);
    const m = errors[0]!.message;
    assert.equal(m.kind, 'unreachable');
    assert.deepEqual([m.type, m.code, errors[0]!.src], [3, 3, B]);
    const q = m.kind === 'unreachable' ? m.original : new Uint8Array(0);
    // quoted IP header (20) + the 8-byte UDP header: ports 40001 -> 9, length 8 + 7
    assert.deepEqual([...q.subarray(20, 26)], [0x9c, 0x41, 0x00, 0x09, 0x00, 0x0f]);
    assert.deepEqual([...q.subarray(12, 20)], [10, 0, 0, 1, 10, 0, 0, 2]);
  });

  it('does not answer a broadcast to a closed port with ICMP (RFC 1122 3.2.2)', () => {
    // RFC 1122: no ICMP error about a datagram sent to a broadcast address; otherwise one broadcast to a
    // closed port would draw an error from every host on the subnet.
    const { engine, a, b, ua } = lab();
    const errors: IcmpEvent[] = [];
    a.onIcmp((ev) => errors.push(ev));
    ua.send(40002, ip('10.0.0.255'), 9, text('broadcast'), { df: false });
    engine.run();
    assert.deepEqual(b.drops, { 'no-listener': 1 });
    assert.equal(errors.length, 0, 'no ICMP port unreachable about a broadcast datagram');
  });

  it('delivers a subnet broadcast to a bound port', () => {
    const { engine, ua, ub } = lab();
    const got: Ipv4[] = [];
    ub.bind(67, (d) => got.push(d.dst));
    ua.send(68, ip('10.0.0.255'), 67, text('discover'));
    engine.run();
    assert.deepEqual(got, [ip('10.0.0.255')]);
  });
});

describe('udp checksum on receive', () => {
  it('drops a datagram with a wrong checksum as bad-checksum, without ICMP or delivery', () => {
    const { engine, b, ub, p, send } = probeLab();
    let delivered = 0;
    ub.bind(53, () => delivered++);
    const d = buildUdp({ srcPort: 1234, dstPort: 53, payload: text('query') }, A, B);
    flipBits(d, 6, 0x80);
    send(d);
    engine.run();
    assert.equal(delivered, 0);
    assert.deepEqual(b.drops, { 'bad-checksum': 1 });
    assert.equal(p.got.length, 0, 'no ICMP about a corrupt datagram');
  });

  it('drops a corrupted payload under an unchanged checksum', () => {
    const { engine, b, ub, send } = probeLab();
    ub.bind(53, () => assert.fail('delivered'));
    const d = buildUdp({ srcPort: 1234, dstPort: 53, payload: text('query') }, A, B);
    flipBits(d, 9, 0x01);
    send(d);
    engine.run();
    assert.deepEqual(b.drops, { 'bad-checksum': 1 });
  });

  it('accepts a zero checksum as "none" (RFC 768), whatever the data', () => {
    const { engine, ub, send } = probeLab();
    const got: string[] = [];
    ub.bind(4789, (d) => got.push(new TextDecoder().decode(d.payload)));
    const d = buildUdp({ srcPort: 1234, dstPort: 4789, payload: text('no sum') }, A, B, false);
    assert.deepEqual([d[6], d[7]], [0, 0]);
    send(d);
    engine.run();
    assert.deepEqual(got, ['no sum']);
  });

  it('sends a zero checksum when asked (noChecksum), and the receiver accepts it', () => {
    const { engine, ua, ub, rec } = lab();
    const got: number[] = [];
    ub.bind(6000, (d) => got.push(d.payload.length));
    ua.send(5000, B, 6000, new Uint8Array(50), { noChecksum: true });
    engine.run();
    assert.deepEqual(got, [50]);
    const f = rec.events.find((e) => e.kind === 'frame' && e.frame.protocol === 'UDP');
    assert.ok(f?.kind === 'frame');
    assert.deepEqual([f.bytes![40], f.bytes![41]], [0, 0]);
  });

  it('drops a datagram whose length field disagrees with the IP length as malformed', () => {
    const { engine, b, ub, send } = probeLab();
    ub.bind(53, () => assert.fail('delivered'));
    const d = buildUdp({ srcPort: 1, dstPort: 53, payload: text('abc') }, A, B, false);
    d[5] = 200; // claims 200 bytes, 11 present
    send(d);
    send(Uint8Array.of(0, 1, 0, 53)); // shorter than a UDP header
    engine.run();
    assert.deepEqual(b.drops, { malformed: 2 });
  });
});

describe('udp ports', () => {
  it('bind(0) hands out ephemeral ports from 32768 up, skipping ports in use', () => {
    const { ua } = lab();
    ua.bind(32769, () => {});
    assert.equal(
      ua.bind(0, () => {}),
      32768,
    );
    assert.equal(
      ua.bind(0, () => {}),
      32770,
      '32769 was taken',
    );
    assert.equal(
      ua.bind(0, () => {}),
      32771,
    );
    assert.ok(ua.isBound(32770));
  });

  it('refuses to bind a port twice (EADDRINUSE), and unbind frees it', () => {
    const { engine, ua, ub, b } = lab();
    ub.bind(7, () => {});
    assert.throws(() => ub.bind(7, () => {}), /already bound/);
    ub.unbind(7);
    assert.equal(ub.isBound(7), false);
    ua.send(1, B, 7, text('x'));
    engine.run();
    assert.deepEqual(b.drops, { 'no-listener': 1 }, 'unbound: closed again');
    assert.equal(
      ub.bind(7, () => {}),
      7,
    );
  });

  it('replies reach the ephemeral port the request came from', () => {
    const { engine, ua, ub } = lab();
    ub.bind(53, (d) => ub.send(53, d.src, d.srcPort, text(`answer to ${d.srcPort}`)));
    const answers: string[] = [];
    const port = ua.bind(0, (d) => answers.push(new TextDecoder().decode(d.payload)));
    ua.send(port, B, 53, text('q'));
    engine.run();
    assert.deepEqual(answers, ['answer to 32768']);
  });

  it('reports no-route to the caller when nothing covers the destination', () => {
    const { ua, a } = lab();
    assert.equal(ua.send(1, ip('192.0.2.1'), 53, text('x')), 'no-route');
    assert.deepEqual(a.drops, { 'no-route': 1 });
  });

  it('refuses a DF datagram larger than the interface MTU with mtu-exceeded (EMSGSIZE); by default fragments it', () => {
    const { ua, a } = lab();
    // 1473 + 8 + 20 = 1501 > 1500. In a namespace, a Python UDP socket's sendto of 1473 bytes returns 1473
    // by default (IP_PMTUDISC_WANT) and fails with EMSGSIZE after IP_MTU_DISCOVER = IP_PMTUDISC_DO.
    assert.equal(ua.send(1, B, 9, new Uint8Array(1473), { df: true }), 'mtu-exceeded');
    assert.equal(ua.send(1, B, 9, new Uint8Array(1472), { df: true }), undefined, '1500 exactly fits');
    assert.equal(ua.send(1, B, 9, new Uint8Array(1473)), undefined, 'the default fragments');
    assert.deepEqual(a.drops, { 'mtu-exceeded': 1 });
  });
});
