import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../sim/engine.js';
import { Network } from '../../link/device.js';
import { Switch } from '../../link/switch.js';
import { IpNode } from '../../net/ip-node.js';
import { BridgeDev } from '../../net/bridge.js';
import { UdpStack } from '../../transport/udp.js';
import { MemoryDatastore } from '../datastore/memory.js';
import { formatCidr, formatIpv4, parseCidr, parseIpv4 } from '../../wire/addr.js';
import { formatRoute } from '../../net/route-table.js';
import { ipNeigh, bridgeFdb } from '../../net/views.js';
import { ping, type PingResult } from '../../apps/ping.js';
import { Flanneld, pickFreeSubnet, type FlanneldConfig } from './flanneld.js';
import type { BackendType } from './backends.js';

const ip = (s: string): number => parseIpv4(s)!;
const NETWORK = parseCidr('10.42.0.0/16')!;
const config = (type: BackendType): FlanneldConfig => ({
  network: NETWORK,
  subnetLen: 24,
  subnetMin: ip('10.42.1.0'),
  subnetMax: ip('10.42.255.0'),
  backend: { type },
});

/** n nodes on one switch (192.168.56.11...), each with flanneld and a bridge holding its subnet's .1. */
async function cluster(n: number, type: BackendType, opts: { sameL2?: boolean } = {}) {
  const engine = new Engine(7);
  const net = new Network(engine);
  const store = new MemoryDatastore(engine);
  const sw = new Switch(net, 'underlay');
  const nodes: IpNode[] = [];
  const udps: UdpStack[] = [];
  for (let i = 0; i < n; i++) {
    const node = new IpNode(net, `node${i + 1}`, { forwarding: true });
    node.addNic('eth0', 0x02_00_00_00_10_00 + i);
    // all on 192.168.56.0/24 unless sameL2 is false: then every node thinks it is alone in a /32 world
    node.addAddress('eth0', { addr: ip(`192.168.56.${11 + i}`), len: opts.sameL2 === false ? 32 : 24 });
    if (opts.sameL2 === false)
      node.routes.add({ dst: ip('192.168.56.0'), len: 24, via: ip('192.168.56.1'), dev: 'eth0', onlink: true });
    net.connect(node.port('eth0')!, sw.addSwitchPort(`p${i + 1}`));
    nodes.push(node);
    udps.push(new UdpStack(node));
  }
  const fl: Flanneld[] = [];
  for (let i = 0; i < n; i++) {
    fl.push(
      await Flanneld.start({
        node: nodes[i]!,
        udp: udps[i]!,
        store,
        config: config(type),
        extDev: 'eth0',
        publicIp: ip(`192.168.56.${11 + i}`),
        ipMasq: false,
      }),
    );
    // stand-in for cni0: the subnet's .1 on a bridge, as the CNI bridge plugin would put it
    const br = new BridgeDev(nodes[i]!, 'cni0', 0x02_00_00_00_20_00 + i);
    nodes[i]!.addDev(br);
    nodes[i]!.addAddress('cni0', { addr: fl[i]!.lease.subnet.addr + 1, len: 24 });
  }
  return { engine, store, nodes, fl };
}

function pingOnce(node: IpNode, dst: number, engine: Engine): PingResult {
  let r: PingResult | undefined;
  ping(node, dst, { count: 1 }, (x) => (r = x));
  engine.runUntilIdle(10e9);
  return r!;
}

describe('flanneld', () => {
  it('gives every node its own /24 and writes subnet.env as flannel does', async () => {
    const { fl } = await cluster(3, 'vxlan');
    const subnets = fl.map((f) => formatCidr(f.lease.subnet));
    assert.equal(new Set(subnets).size, 3);
    for (const s of subnets) assert.match(s, /^10\.42\.\d+\.0\/24$/);
    const env = fl[0]!.subnetEnv;
    assert.equal(
      env,
      `FLANNEL_NETWORK=10.42.0.0/16\nFLANNEL_SUBNET=${formatIpv4(fl[0]!.lease.subnet.addr + 1)}/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n`,
    );
  });

  it('vxlan: per remote node exactly one onlink route, one permanent neighbour, one FDB entry', async () => {
    const { nodes, fl } = await cluster(3, 'vxlan');
    const n1 = nodes[0]!;
    const flannelRoutes = n1.routes.routes().filter((r) => r.dev === 'flannel.1' && r.len === 24);
    assert.equal(flannelRoutes.length, 2);
    for (const peer of fl.slice(1)) {
      const s = peer.lease.subnet;
      assert.ok(
        flannelRoutes.some((r) => formatRoute(r) === `${formatCidr(s)} via ${formatIpv4(s.addr)} dev flannel.1 onlink`),
        formatRoute(flannelRoutes[0]!),
      );
    }
    const neigh = ipNeigh(n1)
      .split('\n')
      .filter((l) => l.includes('flannel.1'));
    assert.equal(neigh.length, 2);
    for (const l of neigh) assert.match(l, / dev flannel\.1 lladdr ([0-9a-f]{2}:){5}[0-9a-f]{2} PERMANENT$/);
    const fdb = bridgeFdb(n1)
      .split('\n')
      .filter((l) => l.includes('flannel.1'));
    assert.deepEqual(fdb.map((l) => l.replace(/^\S+ /, '')).sort(), [
      'dev flannel.1 dst 192.168.56.12 self permanent',
      'dev flannel.1 dst 192.168.56.13 self permanent',
    ]);
    assert.equal(n1.dev('flannel.1')!.mtu, 1450);
  });

  it("vxlan: a packet to another node's subnet crosses the overlay (UDP 8472)", async () => {
    const { engine, nodes, fl } = await cluster(2, 'vxlan');
    const r = pingOnce(nodes[0]!, fl[1]!.lease.subnet.addr + 1, engine);
    assert.equal(r.received, 1);
  });

  it("host-gw: routes via the peers' public IPs; refused with a clear error across an L3 hop", async () => {
    const { nodes, fl, engine } = await cluster(3, 'host-gw');
    const r = nodes[0]!.routes
      .routes()
      .filter((x) => x.proto === 'flannel')
      .map(formatRoute)
      .sort();
    assert.deepEqual(
      r,
      [
        `${formatCidr(fl[1]!.lease.subnet)} via 192.168.56.12 dev eth0`,
        `${formatCidr(fl[2]!.lease.subnet)} via 192.168.56.13 dev eth0`,
      ].sort(),
    );
    assert.equal(pingOnce(nodes[0]!, fl[2]!.lease.subnet.addr + 1, engine).received, 1);
    const far = await cluster(2, 'host-gw', { sameL2: false });
    assert.equal(far.fl[0]!.errors.length, 1);
    assert.match(far.fl[0]!.errors[0]!, /host-gw: 192\.168\.56\.12 .* is not on eth0's subnet.*one L2 segment/);
  });

  it('udp: flannel0 with the whole network routed into it, packets cross in UDP 8285', async () => {
    const { engine, nodes, fl } = await cluster(2, 'udp');
    assert.ok(nodes[0]!.routes.routes().some((x) => formatRoute(x) === '10.42.0.0/16 dev flannel0 scope link'));
    assert.equal(fl[0]!.subnetEnv.includes('FLANNEL_MTU=1472'), true);
    assert.equal(pingOnce(nodes[0]!, fl[1]!.lease.subnet.addr + 1, engine).received, 1);
  });

  it('a node leaving revokes its lease and the others remove its route, neighbour and FDB entry', async () => {
    const { nodes, fl } = await cluster(3, 'vxlan');
    const gone = fl[2]!.lease.subnet;
    await fl[2]!.stop();
    assert.equal(nodes[0]!.routes.routes().filter((r) => r.dev === 'flannel.1' && r.len === 24).length, 1);
    assert.ok(!nodes[0]!.routes.routes().some((r) => r.dst === gone.addr && r.len === 24));
    assert.equal(
      bridgeFdb(nodes[0]!)
        .split('\n')
        .filter((l) => l.includes('192.168.56.13')).length,
      0,
    );
  });

  it('the lease expires without renewal and the others forget the node; renewal keeps it', async () => {
    const { engine, nodes, store } = await cluster(2, 'vxlan');
    // renewal runs an hour before the 24 h TTL: after 3 days the lease is still there
    engine.run(engine.now + 3 * 24 * 3600e9);
    assert.equal((await store.list('/coreos.com/network/subnets/')).kvs.length, 2);
    assert.equal(nodes[0]!.routes.routes().filter((r) => r.dev === 'flannel.1' && r.len === 24).length, 1);
  });

  it('picks among the first 100 free subnets and says "out of subnets" when none is left', async () => {
    const c: FlanneldConfig = {
      network: parseCidr('10.5.0.0/24')!,
      subnetLen: 26,
      subnetMin: ip('10.5.0.64'),
      subnetMax: ip('10.5.0.192'),
      backend: { type: 'host-gw' },
    };
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) seen.add(pickFreeSubnet(c, new Set(), () => (i % 10) / 10)!.addr);
    assert.deepEqual([...seen].sort((a, b) => a - b).map(formatIpv4), ['10.5.0.64', '10.5.0.128', '10.5.0.192']);
    assert.equal(
      pickFreeSubnet(c, new Set([ip('10.5.0.64'), ip('10.5.0.128'), ip('10.5.0.192')]), () => 0),
      undefined,
    );
    const engine = new Engine(1);
    const net = new Network(engine);
    const store = new MemoryDatastore(engine);
    const start = async (i: number) => {
      const node = new IpNode(net, `n${i}`);
      node.addNic('eth0', 0x02_00_00_00_00_10 + i);
      node.addAddress('eth0', { addr: ip(`192.168.0.${i}`), len: 24 });
      return Flanneld.start({
        node,
        udp: new UdpStack(node),
        store,
        config: c,
        extDev: 'eth0',
        publicIp: ip(`192.168.0.${i}`),
        ipMasq: false,
      });
    };
    for (let i = 1; i <= 3; i++) await start(i);
    await assert.rejects(start(4), /out of subnets: no free \/26 left in 10\.5\.0\.0\/24/);
  });

  it('a restarted flanneld takes back the lease its public IP holds (tryAcquireLease), not a second one', async () => {
    const { engine, nodes, fl, store } = await cluster(2, 'vxlan');
    const before = await store.list('/coreos.com/network/subnets/');
    const old = fl[1]!.lease.subnet;
    // the process dies (or is restarted): its lease stays in the store until the TTL runs out
    fl[1]!.exit();
    // node2 reboots: a fresh stack with the same address, and flanneld starts again
    const node = new IpNode(nodes[0]!.network, 'node2-rebooted', { forwarding: true });
    node.addNic('eth0', 0x02_00_00_00_10_09);
    node.addAddress('eth0', { addr: ip('192.168.56.12'), len: 24 });
    const again = await Flanneld.start({
      node,
      udp: new UdpStack(node),
      store,
      config: config('vxlan'),
      extDev: 'eth0',
      publicIp: ip('192.168.56.12'),
      ipMasq: false,
    });
    assert.equal(formatCidr(again.lease.subnet), formatCidr(old));
    const after = await store.list('/coreos.com/network/subnets/');
    assert.deepEqual(
      after.kvs.map((kv) => kv.key),
      before.kvs.map((kv) => kv.key),
    );
    // renewed with the new attributes: the new VTEP MAC, which node1 now programs for that subnet
    const kv = after.kvs.find((x) => x.key.endsWith(formatCidr(old).replace('/', '-')))!;
    assert.match(
      kv.value,
      /^\{"PublicIP":"192\.168\.56\.12","PublicIPv6":null,"BackendType":"vxlan","BackendData":\{"VNI":1,"VtepMAC":"[0-9a-f:]{17}"\}\}$/,
    );
    assert.equal(fl[0]!.peers.get(kv.key)!.vtepMac, again.lease.vtepMac);
    assert.notEqual(again.lease.vtepMac, fl[1]!.lease.vtepMac);
    engine.runUntilIdle(1e9);
  });

  it('a lease left for this IP that no longer fits the config is deleted and a new one taken', async () => {
    const { nodes, fl, store } = await cluster(1, 'vxlan');
    fl[0]!.exit();
    const old = fl[0]!.lease.subnet;
    const node = new IpNode(nodes[0]!.network, 'node1-again');
    node.addNic('eth0', 0x02_00_00_00_10_19);
    node.addAddress('eth0', { addr: ip('192.168.56.11'), len: 24 });
    // the network is now a /25 subnet length: the old /24 does not fit
    const again = await Flanneld.start({
      node,
      udp: new UdpStack(node),
      store,
      config: { ...config('vxlan'), subnetLen: 25 },
      extDev: 'eth0',
      publicIp: ip('192.168.56.11'),
      ipMasq: false,
    });
    assert.equal(again.lease.subnet.len, 25);
    const keys = (await store.list('/coreos.com/network/subnets/')).kvs.map((kv) => kv.key);
    assert.deepEqual(keys, [`/coreos.com/network/subnets/${formatCidr(again.lease.subnet).replace('/', '-')}`]);
    assert.ok(!keys.includes(`/coreos.com/network/subnets/${formatCidr(old).replace('/', '-')}`));
  });
  for (const type of ['vxlan', 'host-gw', 'udp'] as const) {
    it(`${type}: flanneld restarted in place takes over the node's devices and routes, one of each`, async () => {
      const { engine, nodes, fl, store } = await cluster(2, type);
      const node = nodes[0]!;
      const routesBefore = node.routes.routes().map(formatRoute);
      const neighBefore = ipNeigh(node);
      const fdbBefore = bridgeFdb(node);
      fl[0]!.exit();
      const again = await Flanneld.start({
        node,
        udp: new UdpStack(node),
        store,
        config: config(type),
        extDev: 'eth0',
        publicIp: ip('192.168.56.11'),
        ipMasq: true,
      });
      assert.equal(formatCidr(again.lease.subnet), formatCidr(fl[0]!.lease.subnet));
      // vxlan: the same flannel.1 and so the same VtepMAC the other node already programmed
      assert.equal(again.lease.vtepMac, fl[0]!.lease.vtepMac);
      assert.deepEqual(node.routes.routes().map(formatRoute), routesBefore);
      assert.equal(ipNeigh(node), neighBefore);
      assert.equal(bridgeFdb(node), fdbBefore);
      assert.equal(node.devs.filter((d) => d.name.startsWith('flannel')).length, type === 'host-gw' ? 0 : 1);
      // and the overlay still carries a ping both ways
      assert.equal(pingOnce(node, fl[1]!.lease.subnet.addr + 1, engine).received, 1);
      assert.equal(pingOnce(nodes[1]!, fl[0]!.lease.subnet.addr + 1, engine).received, 1);
    });
  }

  it('ip-masq rules applied by a restarted flanneld appear once', async () => {
    const { nodes, fl, store } = await cluster(1, 'vxlan');
    const node = nodes[0]!;
    const start = () =>
      Flanneld.start({
        node,
        udp: new UdpStack(node),
        store,
        config: config('vxlan'),
        extDev: 'eth0',
        publicIp: ip('192.168.56.11'),
        ipMasq: true,
      });
    fl[0]!.exit();
    const first = await start();
    const once = node.netfilter!.ruleset.nat.get('POSTROUTING')!.rules.length;
    const chainOnce = node.netfilter!.ruleset.nat.get('FLANNEL-POSTRTG')!.rules.length;
    first.exit();
    await start();
    assert.equal(once, 1);
    assert.equal(chainOnce, 5);
    assert.equal(node.netfilter!.ruleset.nat.get('POSTROUTING')!.rules.length, 1);
    assert.equal(node.netfilter!.ruleset.nat.get('FLANNEL-POSTRTG')!.rules.length, 5);
    assert.equal(node.netfilter!.ruleset.filter.get('FORWARD')!.rules.length, 1);
    assert.equal(node.netfilter!.ruleset.filter.get('FLANNEL-FWD')!.rules.length, 2);
  });
});
