/**
 * flanneld's udp backend between two nodes, checked as with tcpdump on the underlay and on each pod's
 * veth: the outer datagram byte by byte, the inner TTL at every hop (proxy_amd64.c decrements it in
 * both directions), the ICMP net unreachable flanneld writes back for an unknown subnet (bytes worked
 * out by hand), the MTU of 1500 - 28, the agent's table, and the lab schema that declares it all.
 *
 *   pod1 (10.244.0.2) -- veth1 node1 eth0 (192.168.0.11) ---- (192.168.0.12) eth0 node2 veth1 -- pod2 (10.244.1.2)
 *                            flannel0 10.244.0.0/32                 flannel0 10.244.1.0/32
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, US } from '../sim/engine.js';
import { Network } from '../link/device.js';
import { parseIpv4 as parseAddr, type Ipv4, type Ipv4Prefix, type Mac } from '../wire/addr.js';
import { buildEthernet, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { buildIpv4, checkIpv4, decrementTtl } from '../wire/ipv4.js';
import { parseIcmp } from '../wire/icmp.js';
import { verifyUdpChecksum } from '../wire/udp.js';
import { TraceRecorder } from '../observe/recorder.js';
import { summarizeFrame } from '../observe/summary.js';
import { IpNode } from '../net/ip-node.js';
import { TunDev } from '../net/tun.js';
import { UdpStack } from '../transport/udp.js';
import { parseLab } from '../scenario/lab.js';
import { buildLab } from '../scenario/build.js';
import { FLANNEL_UDP_PORT, UDP_ENCAP_OVERHEAD, UdpEncapAgent, type UdpEncapConfig } from './udp-encap.js';
import { hex } from '../wire/testing.js';
import { FrameProbe } from '../link/testing.js';

const ip = (s: string): Ipv4 => parseAddr(s)!;
const net = (s: string): Ipv4Prefix => ({ addr: ip(s.split('/')[0]!), len: Number(s.split('/')[1]) });
const POD1 = ip('10.244.0.2');
const POD2 = ip('10.244.1.2');
const NODE1 = ip('192.168.0.11');
const NODE2 = ip('192.168.0.12');
const NOWHERE = ip('10.244.7.2');
const MAC_POD1 = 0x02_00_00_00_00_a1 as Mac;
const MAC_POD2 = 0x02_00_00_00_00_a2 as Mac;
const MAC_N1_ETH0 = 0x02_00_00_00_01_00 as Mac;
const MAC_N1_VETH = 0x02_00_00_00_01_01 as Mac;
const MAC_N2_ETH0 = 0x02_00_00_00_02_00 as Mac;
const MAC_N2_VETH = 0x02_00_00_00_02_01 as Mac;

/** IPv4 from `src` to `dst` carrying UDP 40000 -> 53 with `data` (no UDP checksum), or another protocol's bytes. */
function packet(
  src: Ipv4,
  dst: Ipv4,
  ttl: number,
  o: { data?: Uint8Array; protocol?: number; fragOffset?: number } = {},
): Uint8Array {
  let l4 = o.data ?? new Uint8Array(0);
  if (o.protocol === undefined) {
    l4 = new Uint8Array(8 + (o.data?.length ?? 0));
    l4.set(hex('9c 40 00 35'));
    l4[4] = l4.length >> 8;
    l4[5] = l4.length & 0xff;
    l4.set(o.data ?? new Uint8Array(0), 8);
  }
  return buildIpv4(
    {
      tos: 0,
      id: 0x1234,
      df: true,
      mf: false,
      fragmentOffset: o.fragOffset ?? 0,
      ttl,
      protocol: o.protocol ?? 17,
      src,
      dst,
      options: new Uint8Array(0),
    },
    l4,
  );
}

/** The two-node picture above, flanneld running on both nodes with `cfg`. */
function flannelLab(cfg: UdpEncapConfig = {}) {
  const engine = new Engine(1);
  const nw = new Network(engine);
  const side = (
    name: string,
    eth: Mac,
    veth: Mac,
    addr: Ipv4,
    gw: string,
    lease: string,
    pod: Ipv4,
    podMac: Mac,
    probeName: string,
  ) => {
    const node = new IpNode(nw, name, { forwarding: true });
    node.addNic('eth0', eth);
    node.addAddress('eth0', { addr, len: 24 });
    node.addNic('veth1', veth);
    node.addAddress('veth1', { addr: ip(gw), len: 24 });
    node.addPermanentNeighbor('veth1', pod, podMac);
    const udp = new UdpStack(node);
    const agent = new UdpEncapAgent(node, udp, cfg);
    node.addAddress('flannel0', { addr: ip(lease), len: 32 });
    node.routes.add({ dst: ip('10.244.0.0'), len: 16, dev: 'flannel0' });
    const probe = new FrameProbe(nw, probeName);
    const port = probe.addPort('eth0');
    nw.connect(port, node.port('veth1')!, { bandwidth: 0, latency: 1 * US });
    const send = (p: Uint8Array): void => {
      probe.transmit(port, buildEthernet({ dst: veth, src: podMac, ethertype: ETHERTYPE_IPV4, payload: p }));
    };
    return { node, udp, agent, probe, send };
  };
  const s1 = side('node1', MAC_N1_ETH0, MAC_N1_VETH, NODE1, '10.244.0.1', '10.244.0.0', POD1, MAC_POD1, 'pod1');
  const s2 = side('node2', MAC_N2_ETH0, MAC_N2_VETH, NODE2, '10.244.1.1', '10.244.1.0', POD2, MAC_POD2, 'pod2');
  nw.connect(s1.node.port('eth0')!, s2.node.port('eth0')!, { bandwidth: 0, latency: 1 * US });
  s1.agent.setPeer(net('10.244.1.0/24'), NODE2);
  s2.agent.setPeer(net('10.244.0.0/24'), NODE1);
  const rec = new TraceRecorder({ keepBytes: true });
  nw.tracer = rec;
  /** UDP frames node `device` put on the underlay. */
  const underlay = (device: string): Uint8Array[] =>
    rec.events.flatMap((e) =>
      e.kind === 'frame' && e.device === device && e.outPort === 'eth0' && e.frame.protocol === 'UDP' && e.bytes
        ? [e.bytes]
        : [],
    );
  const drops = (): string[] => rec.events.flatMap((e) => (e.kind === 'drop' ? [`${e.device}: ${e.reason}`] : []));
  return { engine, nw, n1: s1, n2: s2, rec, underlay, drops };
}

const u16 = (b: Uint8Array, off: number): number => (b[off]! << 8) | b[off + 1]!;

describe('UdpEncapAgent: the outer datagram', () => {
  it("carries the inner IP packet byte for byte in UDP 8285 -> 8285 between the nodes' public addresses", () => {
    const { engine, n1, underlay } = flannelLab();
    const data = new TextEncoder().encode('hello pod2');
    n1.send(packet(POD1, POD2, 64, { data }));
    engine.runUntilIdle();
    const frames = underlay('node1');
    assert.equal(frames.length, 1);
    const f = frames[0]!;
    // the inner packet as it left node1: TTL 64, minus node1's kernel, minus flanneld = 62
    const inner = packet(POD1, POD2, 62, { data });
    assert.equal(inner.length, 38);
    assert.equal(f.length, 14 + 20 + 8 + 38);
    assert.deepEqual(f.subarray(0, 14), hex('020000000200  020000000100  0800'), 'node2 eth0 <- node1 eth0, IPv4');
    assert.deepEqual(f.subarray(14, 18), hex('45 00 00 42'), 'v4, ihl 5, total 66 = 20 + 8 + 38');
    assert.deepEqual(f.subarray(20, 24), hex('40 00  40 11'), 'DF (a Linux UDP socket), TTL 64, protocol 17');
    assert.equal(checkIpv4(f, 14, f.length - 14), 'ok', 'outer header checksum');
    assert.deepEqual(f.subarray(26, 34), hex('c0 a8 00 0b  c0 a8 00 0c'), '192.168.0.11 -> 192.168.0.12');
    assert.deepEqual(f.subarray(34, 40), hex('20 5d  20 5d  00 2e'), 'UDP 8285 -> 8285, length 46 = 8 + 38');
    assert.notEqual(u16(f, 40), 0, 'a kernel UDP socket fills in the checksum');
    assert.ok(verifyUdpChecksum(NODE1, NODE2, f, 34, 46));
    assert.deepEqual(f.subarray(42), inner);
  });

  it('is summarized for the per-hop table as UDP 8285 with the inner IPv4 packet inside', () => {
    const { engine, n1, underlay } = flannelLab();
    n1.send(packet(POD1, POD2, 64));
    engine.runUntilIdle();
    const s = summarizeFrame(underlay('node1')[0]!);
    assert.deepEqual(
      [s.protocol, s.srcIp, s.dstIp, s.srcPort, s.dstPort, s.ttl],
      ['UDP', '192.168.0.11', '192.168.0.12', 8285, 8285, 64],
    );
    assert.ok(s.inner !== undefined);
    assert.deepEqual(
      [s.inner.srcMac, s.inner.protocol, s.inner.srcIp, s.inner.dstIp, s.inner.ttl, s.inner.dstPort],
      ['', 'UDP', '10.244.0.2', '10.244.1.2', 62, 53],
    );
  });
});

describe('UdpEncapAgent: TTL', () => {
  it("flanneld is a hop each way: pod2 gets TTL 60 from pod1's 64 (two kernels, two agents)", () => {
    const { engine, n1, n2 } = flannelLab();
    n1.send(packet(POD1, POD2, 64));
    engine.runUntilIdle();
    assert.equal(n2.probe.got.length, 1);
    const f = n2.probe.got[0]!;
    assert.deepEqual(f.subarray(0, 14), hex('0200000000a2  020000000201  0800'));
    assert.deepEqual(f.subarray(14), packet(POD1, POD2, 60));
    assert.deepEqual(
      [n1.agent.encapsulated, n2.agent.decapsulated, n1.agent.tun.txPackets, n2.agent.tun.rxPackets],
      [1, 1, 1, 1],
    );
  });

  it('with decrementTtl off only the routing nodes count: TTL 62', () => {
    const { engine, n1, n2 } = flannelLab({ decrementTtl: false });
    n1.send(packet(POD1, POD2, 64));
    engine.runUntilIdle();
    assert.deepEqual(n2.probe.got[0]!.subarray(14), packet(POD1, POD2, 62));
  });

  it('a TTL flanneld takes to 0 dies in silence: nothing on the underlay, no ICMP', () => {
    const { engine, n1, underlay, drops } = flannelLab();
    n1.send(packet(POD1, POD2, 2)); // node1's kernel: 2 -> 1, flanneld: 1 -> 0
    engine.runUntilIdle();
    assert.deepEqual(underlay('node1'), []);
    assert.deepEqual(n1.probe.got, []);
    assert.deepEqual(drops(), ['node1: ttl-expired']);
  });

  it("on the receiving side too; and a TTL of 0 wraps to 255 as C's --ttl does", () => {
    const { engine, n1, n2, drops } = flannelLab();
    n1.udp.send(5555, NODE2, FLANNEL_UDP_PORT, packet(POD1, POD2, 1));
    n1.udp.send(5555, NODE2, FLANNEL_UDP_PORT, packet(POD1, POD2, 0));
    engine.runUntilIdle();
    assert.deepEqual(drops(), ['node2: ttl-expired']);
    assert.equal(n2.probe.got.length, 1);
    assert.deepEqual(n2.probe.got[0]!.subarray(14), packet(POD1, POD2, 254), '0 -> 255 (flanneld) -> 254 (node2)');
  });

  it("the checksum update equals proxy_amd64.c's byte-swapped `check += htons(0x100)` for every checksum", () => {
    const h = new Uint8Array(20);
    h[8] = 64;
    h[9] = 17;
    for (let c = 0; c <= 0xffff; c++) {
      h[8] = 64;
      h[10] = c >> 8;
      h[11] = c & 0xff;
      decrementTtl(h, 0);
      // little-endian host: the u16 holds the checksum's bytes swapped; htons(0xFFFF - 0x100) = 0xfffe
      let host = ((c & 0xff) << 8) | (c >> 8);
      host = (host + (host >= 0xfffe ? 2 : 1)) & 0xffff;
      assert.equal(u16(h, 10), ((host & 0xff) << 8) | (host >> 8), `checksum 0x${c.toString(16)}`);
    }
  });
});

describe('UdpEncapAgent: no lease for the destination', () => {
  it('drops with no-route and writes ICMP net unreachable into flannel0, from its address with TTL 8', () => {
    const { engine, n1, underlay, rec } = flannelLab();
    n1.send(packet(POD1, NOWHERE, 64));
    engine.runUntilIdle();
    assert.deepEqual(underlay('node1'), []);
    const drop = rec.events.find((e) => e.kind === 'drop');
    assert.ok(drop?.kind === 'drop');
    assert.equal(drop.reason, 'no-route');
    assert.match(drop.detail, /flannel0: no subnet lease covers 10\.244\.7\.2/);
    assert.equal(n1.probe.got.length, 1);
    const want = hex(`
      45 00 00 38  00 00 00 00  07 01 9d dc   // total 56, id 0, no DF, TTL 8 - 1 (node1 routed it to pod1), ICMP
      0a f4 00 00  0a f4 00 02                // 10.244.0.0 (flannel0) -> 10.244.0.2
      03 00 60 82  00 00 00 00                // destination unreachable, net unreachable, checksum, unused
      45 00 00 1c  12 34 40 00  3f 11 0c b2   // quote: the packet as flanneld read it (TTL 63)...
      0a f4 00 02  0a f4 07 02
      9c 40 00 35  00 08 00 00                // ...and 8 bytes of its payload
    `);
    assert.deepEqual(n1.probe.got[0]!.subarray(14), want);
    const icmp = parseIcmp(want.subarray(20));
    assert.ok(icmp.ok && icmp.value.kind === 'unreachable' && icmp.value.code === 0, 'checksums as worked out');
    assert.equal(checkIpv4(want, 0, want.length), 'ok');
  });

  it('sends no ICMP about ICMP (an echo request included) nor about a non-first fragment', () => {
    const { engine, n1, drops } = flannelLab();
    n1.send(packet(POD1, NOWHERE, 64, { protocol: 1, data: hex('08 00 f7 fe 00 01 00 00') }));
    n1.send(packet(POD1, NOWHERE, 64, { fragOffset: 185 }));
    engine.runUntilIdle();
    assert.deepEqual(n1.probe.got, []);
    assert.deepEqual(drops(), ['node1: no-route', 'node1: no-route']);
  });
});

describe('UdpEncapAgent: MTU', () => {
  it('flannel0 is 1500 - 28 = 1472: 1472 bytes cross as a 1514-byte frame, 1473 with DF get frag-needed 1472', () => {
    const { engine, n1, underlay } = flannelLab();
    assert.equal(UDP_ENCAP_OVERHEAD, 28);
    assert.equal(n1.agent.tun.mtu, 1472);
    n1.send(packet(POD1, POD2, 64, { data: new Uint8Array(1472 - 28) }));
    n1.send(packet(POD1, POD2, 64, { data: new Uint8Array(1473 - 28) }));
    engine.runUntilIdle();
    assert.deepEqual(
      underlay('node1').map((f) => f.length),
      [1514],
    );
    assert.equal(n1.probe.got.length, 1);
    const icmp = parseIcmp(n1.probe.got[0]!.subarray(34));
    assert.ok(icmp.ok && icmp.value.kind === 'unreachable');
    assert.deepEqual([icmp.value.code, icmp.value.nextHopMtu], [4, 1472]);
    assert.deepEqual(n1.probe.got[0]!.subarray(26, 30), hex('0a f4 00 01'), "from node1's address facing pod1");
  });

  it('follows the underlay (9000 -> 8972) unless the MTU is given', () => {
    const e = new Engine(1);
    const node = new IpNode(new Network(e), 'n');
    const udp = new UdpStack(node);
    assert.equal(new UdpEncapAgent(node, udp, { underlayMtu: 9000 }).tun.mtu, 8972);
    assert.equal(new UdpEncapAgent(node, udp, { name: 'flannel1', port: 8286, mtu: 1400 }).tun.mtu, 1400);
  });

  it('drops a datagram bigger than its MTU-sized read buffer, and one shorter than an IP header', () => {
    const { engine, n1, n2, drops } = flannelLab({ mtu: 1400 });
    n1.udp.send(5555, NODE2, FLANNEL_UDP_PORT, packet(POD1, POD2, 64, { data: new Uint8Array(1401 - 28) }));
    n1.udp.send(5555, NODE2, FLANNEL_UDP_PORT, new Uint8Array(19));
    engine.runUntilIdle();
    assert.deepEqual(n2.probe.got, []);
    assert.deepEqual(drops(), ['node2: malformed', 'node2: malformed']);
  });
});

describe('UdpEncapAgent: the table', () => {
  it('matches the longest prefix, replaces a subnet set twice, forgets a removed one', () => {
    const { engine, n1, n2, underlay } = flannelLab();
    const a = n1.agent;
    a.setPeer(net('10.244.0.0/16'), ip('192.168.0.99'));
    a.setPeer(net('10.244.1.0/24'), ip('192.168.0.98'));
    a.setPeer(net('10.244.1.0/24'), NODE2);
    assert.deepEqual(
      a.peers().map((p) => [p.subnet.addr, p.subnet.len, p.remote]),
      [
        [ip('10.244.0.0'), 16, ip('192.168.0.99')],
        [ip('10.244.1.0'), 24, NODE2],
      ],
    );
    n1.send(packet(POD1, POD2, 64));
    engine.runUntilIdle();
    assert.equal(n2.probe.got.length, 1, 'the /24 wins over the /16');
    assert.equal(a.removePeer(net('10.244.1.0/24')), true);
    assert.equal(a.removePeer(net('10.244.1.0/24')), false);
    n1.send(packet(POD1, POD2, 64));
    engine.runUntilIdle();
    assert.equal(n2.probe.got.length, 1);
    assert.deepEqual(underlay('node1').length, 1, 'the second packet waits on ARP for 192.168.0.99 and dies there');
  });

  it('stop() closes the socket and the tun', () => {
    const { engine, n1, n2, drops } = flannelLab();
    n2.agent.stop();
    n2.send(packet(POD2, POD1, 64));
    n1.send(packet(POD1, POD2, 64));
    engine.runUntilIdle();
    // pod2's packet reaches a tun nobody reads; pod1's datagram (after ARP on the underlay) a closed port
    assert.deepEqual(drops(), ['node2: link-down', 'node2: no-listener']);
    assert.equal(n2.udp.isBound(FLANNEL_UDP_PORT), false);
  });
});

describe('lab schema: udpEncaps', () => {
  const lab = (node: string): string => `
apiVersion: podnet.dev/v1alpha1
kind: Lab
metadata: { name: t }
spec:
  nodes:
    - name: n1
      kind: router
      interfaces: [{ name: eth0, address: 192.168.0.11/24 }]
${node}
      routes: [{ to: 10.244.0.0/16, dev: flannel0 }]
  steps:
    - { wait: 1s }
`;

  it('builds a TUN and an agent: name flannel0, port 8285 and MTU 1472 by default, the address and the peers', () => {
    const r = parseLab(
      't.yaml',
      lab('      udpEncaps: [{ address: 10.244.0.0/32, peers: [{ subnet: 10.244.1.0/24, remote: 192.168.0.12 }] }]'),
    );
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    const n = r.lab.nodes[0]!;
    assert.ok(n.kind === 'router');
    assert.deepEqual(n.udpEncaps, [
      {
        name: 'flannel0',
        addresses: [net('10.244.0.0/32')],
        port: 8285,
        peers: [{ subnet: net('10.244.1.0/24'), remote: NODE2 }],
      },
    ]);
    const built = buildLab(r.lab);
    const node = built.ipNodes.get('n1')!;
    const tun = node.dev('flannel0');
    assert.ok(tun instanceof TunDev);
    assert.equal(tun.mtu, 1472);
    assert.deepEqual(tun.addresses, [{ addr: ip('10.244.0.0'), len: 32 }]);
    assert.equal(built.udp.get('n1')!.isBound(8285), true);
  });

  it('reports bad fields with their place', () => {
    const r = parseLab(
      't.yaml',
      lab(`      udpEncaps:
        - { name: flannel0, mtu: 20, peers: [{ subnet: 10.244.1.0/24, remote: nowhere }, { subnet: 10.244.1.0/24, remote: 192.168.0.12 }, { subnet: 10.244.1.0/24, remote: 192.168.0.13 }] }
        - { name: flannel1, colour: blue }`),
    );
    assert.ok(!r.ok);
    const got = r.errors.map((e) => `${e.line} ${e.field}: ${e.message}`);
    assert.equal(got.length, 5, got.join('\n'));
    assert.match(got.join('\n'), /udpEncaps\[0\]\.mtu/);
    assert.match(got.join('\n'), /udpEncaps\[0\]\.peers\[0\]\.remote/);
    assert.match(got.join('\n'), /udpEncaps\[0\]\.peers\[2\]\.subnet.*listed twice/);
    assert.match(got.join('\n'), /udpEncaps\[1\].*colour/);
    assert.match(got.join('\n'), /udpEncaps\[1\]\.port.*already used/);
  });
});
