/**
 * Felix's dataplane on the notes' two nodes (master 172.171.5.95 with block 192.168.236.0/26, node
 * 172.171.5.96 with 192.168.190.192/26, on one switch, an `internet` router at .1) in each of Calico's
 * modes, pods wired by the calico CNI plugin: a pod pings a pod on its own node and one on the other node,
 * and the frames between the hosts are what the mode says (plain, IP-in-IP, VXLAN). The routes BIRD would
 * install are put in through birdKernelRoute, as the cluster's BIRD will. `ip route` lines are compared
 * with the notes' and with the kernel's formatting checked in route-types.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, SECOND } from '../../sim/engine.js';
import { Network } from '../../link/device.js';
import { Switch } from '../../link/switch.js';
import { formatMac, parseIpv4, type Ipv4 } from '../../wire/addr.js';
import { IpNode } from '../../net/ip-node.js';
import { VxlanDev } from '../../net/vxlan.js';
import { formatRoute } from '../../net/route-table.js';
import { TraceRecorder } from '../../observe/recorder.js';
import { ping, type PingResult } from '../../apps/ping.js';
import { EmulatedHost } from '../cni/emulated-host.js';
import { CniRuntime } from '../cni/runtime.js';
import { calicoConflist, parseConfList } from '../cni/conflist.js';
import { attachCalicoEnv } from '../cni/calico-env.js';
import { FakeCalicoIpam } from '../cni/calico-testing.js';
import { calicoVethName } from '../cni/calico.js';
import { birdKernelRoute } from './bird-routes.js';
import { Felix, VXLAN_DEVICE, vtepMacFor } from './felix.js';
import type { EncapMode, FelixPeer, FelixPool, FelixState } from './felix-types.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;

type Mode = 'bgp' | 'ipip' | 'ipip-cross' | 'vxlan';

const NODES = [
  { name: 'master', address: '172.171.5.95', block: '192.168.236.0', tunnel: '192.168.236.0' },
  { name: 'node', address: '172.171.5.96', block: '192.168.190.192', tunnel: '192.168.190.192' },
] as const;

function pool(mode: Mode, natOutgoing = true): FelixPool {
  const ipipMode: EncapMode = mode === 'ipip' ? 'Always' : mode === 'ipip-cross' ? 'CrossSubnet' : 'Never';
  return {
    name: 'default-ipv4-ippool',
    cidr: { addr: ip('192.168.0.0'), len: 16 },
    ipipMode,
    vxlanMode: mode === 'vxlan' ? 'Always' : 'Never',
    natOutgoing,
    disabled: false,
  };
}

/** The two nodes, Felix on each, BIRD's routes in by hand, and a pod factory. */
function cluster(mode: Mode) {
  const engine = new Engine(11);
  const net = new Network(engine);
  const sw = new Switch(net, 'underlay');
  const internet = new IpNode(net, 'internet', { forwarding: true });
  internet.addNic('eth0', 0x02_00_00_00_00_01);
  internet.addAddress('eth0', { addr: ip('172.171.5.1'), len: 24 });
  internet.addNic('eth1', 0x02_00_00_00_00_02);
  internet.addAddress('eth1', { addr: ip('8.8.8.1'), len: 24 });
  net.connect(internet.port('eth0')!, sw.addSwitchPort('p0'));
  const outside = new IpNode(net, 'dns');
  outside.addNic('eth0', 0x02_00_00_00_00_03);
  outside.addAddress('eth0', { addr: ip('8.8.8.8'), len: 24 });
  outside.routes.add({ dst: 0, len: 0, via: ip('8.8.8.1'), dev: 'eth0' });
  net.connect(internet.port('eth1')!, outside.port('eth0')!);
  const ipam = new FakeCalicoIpam(new Map(NODES.map((n) => [n.name, { addr: ip(n.block), len: 26 }])));
  const pools = [pool(mode)];
  const list = parseConfList(calicoConflist('node', mode === 'vxlan' ? 1450 : mode === 'bgp' ? 1500 : 1480));
  assert.ok(list.ok);
  const nodes = NODES.map((n, i) => {
    const node = new IpNode(net, n.name);
    node.addNic('eth0', 0x02_00_00_00_10_00 + i);
    node.addAddress('eth0', { addr: ip(n.address), len: 24 });
    node.routes.add({ dst: 0, len: 0, via: ip('172.171.5.1'), dev: 'eth0' });
    net.connect(node.port('eth0')!, sw.addSwitchPort(`p${i + 1}`));
    ipam.reserve(ip(n.tunnel));
    attachCalicoEnv(node, { nodeName: n.name, ipam });
    const host = new EmulatedHost(node);
    return { spec: n, node, host, runtime: new CniRuntime(host), felix: new Felix(node) };
  });
  const peerOf = (n: (typeof NODES)[number]): FelixPeer => ({
    name: n.name,
    address: ip(n.address),
    blocks: [{ addr: ip(n.block), len: 26 }],
    ...(mode === 'vxlan' ? { vxlan: { tunnelAddr: ip(n.tunnel) } } : {}),
  });
  for (const n of nodes) {
    const state: FelixState = {
      nodeName: n.spec.name,
      address: ip(n.spec.address),
      subnetLen: 24,
      device: 'eth0',
      backend: mode === 'vxlan' ? 'vxlan' : 'bird',
      pools,
      blocks: [{ addr: ip(n.spec.block), len: 26 }],
      ...(mode === 'ipip' || mode === 'ipip-cross' ? { ipipTunnelAddr: ip(n.spec.tunnel) } : {}),
      ...(mode === 'vxlan' ? { vxlanTunnelAddr: ip(n.spec.tunnel) } : {}),
      peers: NODES.filter((o) => o.name !== n.spec.name).map(peerOf),
      borrowed: [],
    };
    n.felix.apply(state);
    if (mode !== 'vxlan')
      for (const other of NODES.filter((o) => o.name !== n.spec.name)) {
        const r = birdKernelRoute(
          pools,
          { address: state.address, subnetLen: 24, device: 'eth0' },
          { addr: ip(other.block), len: 26 },
          ip(other.address),
        );
        assert.ok(r !== undefined);
        n.node.routes.add(r);
      }
  }
  const rec = new TraceRecorder({ keepBytes: true });
  net.tracer = rec;
  let seq = 0;
  const pod = (nodeIndex: number, name: string): IpNode => {
    const n = nodes[nodeIndex]!;
    const netns = `/var/run/netns/${name}`;
    const podNode = n.host.createNetns(netns, name);
    const r = n.runtime.addNetworkList(list.value, {
      containerId: `ctr${++seq}`,
      netns,
      ifName: 'eth0',
      args: [
        ['K8S_POD_NAMESPACE', 'default'],
        ['K8S_POD_NAME', name],
      ],
    });
    assert.ok(r.ok, JSON.stringify(r));
    return podNode;
  };
  return { engine, nodes, pod, rec, outside };
}

function pingOnce(from: IpNode, engine: Engine, dst: Ipv4): PingResult {
  let out: PingResult | undefined;
  ping(from, dst, { count: 1 }, (r) => (out = r));
  engine.run(engine.now + 10 * SECOND);
  assert.ok(out);
  return out;
}

/** The IP protocol of frames that crossed between the two hosts' eth0 (6 = TCP, 1 = ICMP, 4 = IPIP, 17 = UDP). */
function hostToHostProtocols(rec: TraceRecorder): number[] {
  const out = new Set<number>();
  for (const e of rec.events) {
    if (e.kind !== 'frame' || e.bytes === undefined || (e.device !== 'master' && e.device !== 'node')) continue;
    if (e.outPort !== 'eth0' || e.bytes[12] !== 0x08 || e.bytes[13] !== 0x00) continue;
    const dst = (e.bytes[30]! << 24) | (e.bytes[31]! << 16) | (e.bytes[32]! << 8) | e.bytes[33]!;
    if (dst >>> 0 === ip('172.171.5.95') || dst >>> 0 === ip('172.171.5.96')) out.add(e.bytes[23]!);
    else if (dst >>> 24 === 192) out.add(e.bytes[23]!);
  }
  return [...out].sort((a, b) => a - b);
}

describe('Felix dataplane, pod to pod in each mode', () => {
  for (const mode of ['bgp', 'ipip', 'vxlan'] as const) {
    it(`${mode}: a pod pings a pod on its node and one on the other node`, () => {
      const c = cluster(mode);
      const a1 = c.pod(0, 'a1');
      const a2 = c.pod(0, 'a2');
      const b1 = c.pod(1, 'b1');
      assert.equal(pingOnce(a1, c.engine, a2.dev('eth0')!.addresses[0]!.addr).received, 1, 'same node');
      c.rec.clear();
      const cross = pingOnce(a1, c.engine, b1.dev('eth0')!.addresses[0]!.addr);
      assert.equal(cross.received, 1, 'other node');
      const expected = { bgp: [1], ipip: [4], vxlan: [17] }[mode];
      assert.deepEqual(hostToHostProtocols(c.rec), expected, 'what crosses between the hosts');
    });
  }

  it("BGP mode: ip route on master is the notes' table (block via the node on eth0, blackhole, pod /32)", () => {
    const c = cluster('bgp');
    c.pod(0, 'a1');
    const veth = calicoVethName('default', 'a1');
    assert.deepEqual(c.nodes[0]!.node.routes.routes().map(formatRoute), [
      'default via 172.171.5.1 dev eth0',
      '172.171.5.0/24 dev eth0 proto kernel scope link src 172.171.5.95',
      '192.168.190.192/26 via 172.171.5.96 dev eth0 proto bird',
      'blackhole 192.168.236.0/26 proto bird',
      `192.168.236.1 dev ${veth} scope link`,
    ]);
  });

  it('IPIP mode: tunl0 (MTU 1480) holds the tunnel address; the block goes via the node on tunl0 onlink', () => {
    const c = cluster('ipip');
    const m = c.nodes[0]!.node;
    const tunl0 = m.dev('tunl0')!;
    assert.deepEqual([tunl0.mtu, tunl0.addresses.map((a) => [a.addr, a.len])], [1480, [[ip('192.168.236.0'), 32]]]);
    assert.ok(
      m.routes.routes().map(formatRoute).includes('192.168.190.192/26 via 172.171.5.96 dev tunl0 proto bird onlink'),
    );
  });

  it('IPIP CrossSubnet: nodes in one subnet are not encapsulated', () => {
    const c = cluster('ipip-cross');
    assert.ok(
      c.nodes[0]!.node.routes.routes()
        .map(formatRoute)
        .includes('192.168.190.192/26 via 172.171.5.96 dev eth0 proto bird'),
    );
    const a1 = c.pod(0, 'a1');
    const b1 = c.pod(1, 'b1');
    c.rec.clear();
    assert.equal(pingOnce(a1, c.engine, b1.dev('eth0')!.addresses[0]!.addr).received, 1);
    assert.deepEqual(hostToHostProtocols(c.rec), [1]);
  });

  it('VXLAN mode: vxlan.calico (VNI 4096, port 4789, MTU 1450, derived MAC), neighbour, FDB and proto 80 routes', () => {
    const c = cluster('vxlan');
    const m = c.nodes[0]!.node;
    const vx = m.dev(VXLAN_DEVICE)!;
    assert.equal(vx.mtu, 1450);
    // "f" + sha1("master")[:5], worked out with Python's hashlib
    assert.equal(formatMac(vx.mac), '66:4f:26:ae:af:db');
    assert.equal(formatMac(vtepMacFor('node')), '66:f8:e9:66:d1:e2');
    assert.equal(Math.floor(vx.mac / 2 ** 40), 0x66, "Felix's MAC starts with 'f'");
    assert.deepEqual(
      m.routes
        .routes()
        .map(formatRoute)
        .filter((l) => l.includes('192.168.')),
      [
        '192.168.190.192/26 via 192.168.190.192 dev vxlan.calico proto 80 onlink',
        'blackhole 192.168.236.0/26 proto 80',
      ],
    );
    assert.ok(vx instanceof VxlanDev);
    assert.deepEqual([vx.vni, vx.dstPort, vx.learning], [4096, 4789, false]);
    assert.deepEqual(vx.fdbEntries(), [{ mac: vtepMacFor('node'), remote: ip('172.171.5.96'), static: true }]);
  });

  it('VXLAN mode: an address the node borrowed from another block gets its own /32 route on the others', () => {
    const c = cluster('vxlan');
    const m = c.nodes[0]!;
    m.felix.apply({
      ...m.felix.lastState!,
      borrowed: [{ ip: ip('192.168.236.60'), node: 'node' }],
    });
    assert.ok(
      m.node.routes
        .routes()
        .map(formatRoute)
        .includes('192.168.236.60 via 192.168.190.192 dev vxlan.calico proto 80 onlink'),
    );
    // applying again replaces Felix's routes rather than adding to them
    m.felix.apply(m.felix.lastState!);
    assert.equal(m.node.routes.routes().filter((r) => r.proto === 'felix').length, 3);
  });

  it("drops traffic for an unused address of the node's own block at its blackhole route", () => {
    const c = cluster('bgp');
    const b1 = c.pod(1, 'b1');
    const r = pingOnce(b1, c.engine, ip('192.168.236.50'));
    assert.deepEqual([r.received, r.errors], [0, 0]);
    assert.equal(c.rec.dropCounts.get('master: route-blackhole'), 1);
  });
});

describe('Felix natOutgoing', () => {
  it('masquerades pod -> outside to the node address, and leaves pod -> pod alone', () => {
    const c = cluster('bgp');
    const a1 = c.pod(0, 'a1');
    const b1 = c.pod(1, 'b1');
    const out = pingOnce(a1, c.engine, ip('8.8.8.8'));
    assert.equal(out.received, 1);
    const seenAtDns = c.rec.events.filter(
      (e) => e.kind === 'frame' && e.device === 'internet' && e.outPort === 'eth1' && e.bytes?.[23] === 1,
    );
    assert.ok(seenAtDns.length > 0);
    const src = (b: Uint8Array): string => [...b.subarray(26, 30)].join('.');
    assert.equal(src(seenAtDns[0]!.kind === 'frame' ? seenAtDns[0]!.bytes! : new Uint8Array()), '172.171.5.95');
    c.rec.clear();
    assert.equal(pingOnce(a1, c.engine, b1.dev('eth0')!.addresses[0]!.addr).received, 1);
    const arrived = c.rec.events.filter(
      (e) => e.kind === 'frame' && e.device === 'node' && e.outPort.startsWith('cali') && e.bytes?.[23] === 1,
    );
    assert.ok(arrived.length > 0);
    assert.equal(src(arrived[0]!.kind === 'frame' ? arrived[0]!.bytes! : new Uint8Array()), '192.168.236.1');
  });
});
