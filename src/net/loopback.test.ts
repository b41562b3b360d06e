/**
 * `lo` and local routes, checked against what a Linux namespace does: `ip route get 127.0.0.5` there says
 * `local 127.0.0.5 dev lo src 127.0.0.1` (so a ping to any 127.x is answered by the host itself, from the
 * address pinged, and nothing reaches a wire), and a 127/8 packet arriving on eth0 is a martian
 * (net/ipv4/route.c). AnyIP (`ip route add local 0.0.0.0/0 dev lo`) makes a node answer every address.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, SECOND, US } from '../sim/engine.js';
import { Network } from '../link/device.js';
import { FrameProbe } from '../link/testing.js';
import { parseIpv4 as parseAddr, type Ipv4 } from '../wire/addr.js';
import { buildEthernet, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { buildIpv4, parseIpv4 } from '../wire/ipv4.js';
import { buildIcmp, emitIcmp, icmpLength, parseIcmp, type IcmpMessage } from '../wire/icmp.js';
import { TraceRecorder } from '../observe/recorder.js';
import { IpNode, type IcmpEvent } from './ip-node.js';
import { LOOPBACK_ADDR, isLoopbackAddr } from './loopback.js';
import { ipRouteLocal } from './views.js';

const ip = (s: string): Ipv4 => parseAddr(s)!;
const NODE_MAC = 0x02_00_00_00_00_0a;
const PROBE_MAC = 0x02_00_00_00_00_0b;

/** Node A (10.0.0.1/24 on eth0) cabled to a probe at 10.0.0.2 whose MAC A knows. */
function lab(o: { forwarding?: boolean } = {}) {
  const engine = new Engine(1);
  const net = new Network(engine);
  const a = new IpNode(net, 'A', { forwarding: o.forwarding ?? false });
  a.addNic('eth0', NODE_MAC);
  a.addAddress('eth0', { addr: ip('10.0.0.1'), len: 24 });
  a.addPermanentNeighbor('eth0', ip('10.0.0.2'), PROBE_MAC);
  const probe = new FrameProbe(net, 'P');
  net.connect(probe.addPort('eth0'), a.port('eth0')!, { bandwidth: 0, latency: 1 * US });
  const rec = new TraceRecorder();
  net.tracer = rec;
  const icmp: IcmpEvent[] = [];
  a.onIcmp((e) => icmp.push(e));
  return { engine, a, probe, rec, icmp };
}

const echoRequest: IcmpMessage = { kind: 'echo', type: 8, code: 0, id: 7, seq: 1, data: new Uint8Array(4) };

function probeEcho(src: string, dst: string): Uint8Array {
  const payload = buildIcmp(echoRequest);
  const pkt = buildIpv4(
    {
      tos: 0,
      id: 1,
      df: true,
      mf: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: 1,
      src: ip(src),
      dst: ip(dst),
      options: new Uint8Array(0),
    },
    payload,
  );
  return buildEthernet({ dst: NODE_MAC, src: PROBE_MAC, ethertype: ETHERTYPE_IPV4, payload: pkt });
}

describe('loopback (lo, local 127.0.0.0/8)', () => {
  it('answers a ping to 127.0.0.1 and to any 127.x from itself, src 127.0.0.1, and no frame leaves', () => {
    const { engine, a, probe, rec, icmp } = lab();
    for (const dst of ['127.0.0.1', '127.0.0.5', '127.255.0.9']) {
      const err = a.sendIp({ dst: ip(dst), protocol: 1 }, icmpLength(echoRequest), (f, off) => {
        emitIcmp(echoRequest, f, off);
      });
      assert.equal(err, undefined);
    }
    engine.run(1 * SECOND);
    const replies = icmp.filter((e) => e.message.kind === 'echo' && e.message.type === 0);
    assert.deepEqual(
      replies.map((e) => [e.src, e.dst]),
      [
        [ip('127.0.0.1'), LOOPBACK_ADDR],
        [ip('127.0.0.5'), LOOPBACK_ADDR],
        [ip('127.255.0.9'), LOOPBACK_ADDR],
      ],
    );
    assert.equal(probe.got.length, 0, 'nothing reached the cable');
    assert.equal(rec.events.filter((e) => e.kind === 'frame').length, 0, 'no frame was transmitted at all');
  });

  it('drops a packet from or to 127/8 that arrives on eth0 as a martian, and answers nothing', () => {
    const { engine, probe, rec, icmp } = lab();
    probe.send(probeEcho('127.0.0.1', '10.0.0.1'));
    probe.send(probeEcho('10.0.0.2', '127.0.0.1'));
    engine.run(1 * SECOND);
    const drops = rec.events.filter((e) => e.kind === 'drop');
    assert.deepEqual(
      drops.map((d) => d.kind === 'drop' && [d.device, d.reason]),
      [
        ['A', 'martian'],
        ['A', 'martian'],
      ],
    );
    assert.equal(icmp.length, 0);
    assert.equal(probe.got.length, 0, 'no reply, no ICMP error');
  });

  it('isLoopbackAddr covers exactly 127.0.0.0/8', () => {
    assert.ok(isLoopbackAddr(ip('127.0.0.0')) && isLoopbackAddr(ip('127.255.255.255')));
    assert.ok(!isLoopbackAddr(ip('126.255.255.255')) && !isLoopbackAddr(ip('128.0.0.0')));
  });
});

describe('local routes (AnyIP: ip route add local 0.0.0.0/0 dev lo)', () => {
  it('answers a ping to any outside address from that address, but not for its connected subnet', () => {
    const { engine, a, probe } = lab({ forwarding: true });
    a.addLocalRoute({ addr: 0, len: 0 });
    assert.ok(a.isLocal(ip('8.8.8.8')));
    assert.ok(!a.isLocal(ip('10.0.0.2')), 'a neighbour stays a neighbour');
    probe.send(probeEcho('10.0.0.2', '8.8.8.8'));
    probe.send(probeEcho('10.0.0.2', '10.0.0.77'));
    engine.run(1 * SECOND);
    const ipOut = probe.got.filter((f) => f[12] === 0x08 && f[13] === 0x00).map((f) => parseIpv4(f.subarray(14)));
    const replies = ipOut.flatMap((p) => {
      if (!p.ok) return [];
      const m = parseIcmp(p.value.payload);
      return m.ok && m.value.type === 0 ? [p.value.header.src] : [];
    });
    assert.deepEqual(replies, [ip('8.8.8.8')], 'one echo reply, from 8.8.8.8; 10.0.0.77 is on-link, not ours');
  });
});

describe('ip route show table local', () => {
  it("matches a Linux namespace's (veth0 with 10.0.0.1/24 and 192.168.56.11/24, lo up)", () => {
    const { a } = lab();
    a.addAddress('eth0', { addr: ip('192.168.56.11'), len: 24 });
    // `ip -n x route show table local` on Linux 6.x, trailing blanks removed
    assert.equal(
      ipRouteLocal(a),
      [
        'local 10.0.0.1 dev eth0 proto kernel scope host src 10.0.0.1',
        'broadcast 10.0.0.255 dev eth0 proto kernel scope link src 10.0.0.1',
        'local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1',
        'local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1',
        'broadcast 127.255.255.255 dev lo proto kernel scope link src 127.0.0.1',
        'local 192.168.56.11 dev eth0 proto kernel scope host src 192.168.56.11',
        'broadcast 192.168.56.255 dev eth0 proto kernel scope link src 192.168.56.11',
      ].join('\n'),
    );
  });
});
