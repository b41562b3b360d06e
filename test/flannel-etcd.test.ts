/**
 * flanneld against a real etcd: the same code that runs on the in-memory store inside the simulation
 * leases subnets in a real etcd 3.4 (flannel's key layout, lease TTL), programs the emulated nodes from
 * what it reads there, and follows a node leaving through a real watch.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ETCD, startEtcd, type EtcdServer } from './support/etcd.js';
import { hasBinary, requirePeer } from './support/peers.js';
import { EtcdV3Datastore } from '../src/realtime/etcd/etcd-v3.js';
import { Engine } from '../src/sim/engine.js';
import { Network } from '../src/link/device.js';
import { Switch } from '../src/link/switch.js';
import { IpNode } from '../src/net/ip-node.js';
import { BridgeDev } from '../src/net/bridge.js';
import { UdpStack } from '../src/transport/udp.js';
import { Flanneld, type FlanneldConfig } from '../src/control/flannel/flanneld.js';
import { parseFlannelLeaseValue } from '../src/control/datastore/flannel-keys.js';
import { ping, type PingResult } from '../src/apps/ping.js';
import { formatCidr, parseIpv4 } from '../src/wire/addr.js';
import { main } from '../src/cli/main.js';

/** The net-conf.json these tests lease under: 10.244.0.0/16, /24 per node, vxlan. */
const NET_CONF: FlanneldConfig = {
  network: { addr: parseIpv4('10.244.0.0')!, len: 16 },
  subnetLen: 24,
  subnetMin: parseIpv4('10.244.1.0')!,
  subnetMax: parseIpv4('10.244.255.0')!,
  backend: { type: 'vxlan' },
};

let server: EtcdServer | undefined;
before(async () => {
  if (hasBinary(ETCD.bin)) server = await startEtcd();
});
after(async () => {
  await server?.stop();
});

const ip = (s: string): number => parseIpv4(s)!;

test('flanneld leases subnets in a real etcd, programs the overlay from it, and follows a departure', async (t: TestContext) => {
  if (!requirePeer(t, 'etcd', ETCD)) return;
  assert.ok(server, 'etcd is installed but did not start');
  const store = new EtcdV3Datastore(server.endpoint);
  t.after(() => store.close());
  const engine = new Engine(3);
  const net = new Network(engine);
  const sw = new Switch(net, 'underlay');
  const nodes: IpNode[] = [];
  const flannel: Flanneld[] = [];
  await store.put('/coreos.com/network/config', '{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}');
  for (let i = 0; i < 2; i++) {
    const node = new IpNode(net, `node${i + 1}`, { forwarding: true });
    node.addNic('eth0', 0x02_00_00_00_30_00 + i);
    node.addAddress('eth0', { addr: ip(`192.168.56.${11 + i}`), len: 24 });
    net.connect(node.port('eth0')!, sw.addSwitchPort(`p${i}`));
    const f = await Flanneld.start({
      node,
      udp: new UdpStack(node),
      store,
      config: NET_CONF,
      extDev: 'eth0',
      publicIp: ip(`192.168.56.${11 + i}`),
      ipMasq: false,
      leaseTtlSeconds: 60,
    });
    const br = new BridgeDev(node, 'cni0', 0x02_00_00_00_31_00 + i);
    node.addDev(br);
    node.addAddress('cni0', { addr: f.lease.subnet.addr + 1, len: 24 });
    nodes.push(node);
    flannel.push(f);
  }
  // node1 learned node2's lease through the real watch (delivered asynchronously: wait for it)
  for (let i = 0; i < 100 && flannel[0]!.peers.size === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(flannel[0]!.peers.size, 1);

  // etcd holds both leases under flannel's keys, with flannel's JSON, attached to a lease with a TTL
  const list = await store.list('/coreos.com/network/subnets/');
  assert.deepEqual(
    list.kvs.map((kv) => kv.key).sort(),
    flannel.map((f) => `/coreos.com/network/subnets/${formatCidr(f.lease.subnet).replace('/', '-')}`).sort(),
  );
  for (const kv of list.kvs) {
    assert.ok(kv.lease !== undefined, `${kv.key} is attached to an etcd lease`);
    const v = parseFlannelLeaseValue(kv.value);
    assert.ok(v.ok && v.value.backendType === 'vxlan' && v.value.vxlan !== undefined, kv.value);
  }

  // the overlay works between the emulated nodes
  let r: PingResult | undefined;
  ping(nodes[0]!, flannel[1]!.lease.subnet.addr + 1, { count: 1 }, (x) => (r = x));
  engine.runUntilIdle(10e9);
  assert.equal(r?.received, 1);

  // node2 leaves: its lease is revoked in etcd and node1 removes its route
  await flannel[1]!.stop();
  for (let i = 0; i < 100 && flannel[0]!.peers.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(flannel[0]!.peers.size, 0);
  assert.equal(nodes[0]!.routes.routes().filter((x) => x.dev === 'flannel.1' && x.len === 24).length, 0);
  await flannel[0]!.stop();
});

test('a restarted flanneld takes back its lease in a real etcd; demo --datastore etcd:// runs on it', async (t: TestContext) => {
  if (!requirePeer(t, 'etcd', ETCD)) return;
  assert.ok(server, 'etcd is installed but did not start');
  const store = new EtcdV3Datastore(server.endpoint);
  t.after(() => store.close());
  const prefix = '/restart-test/network';
  const engine = new Engine(4);
  const net = new Network(engine);
  const start = async (name: string, mac: number) => {
    const node = new IpNode(net, name, { forwarding: true });
    node.addNic('eth0', mac);
    node.addAddress('eth0', { addr: ip('192.168.56.21'), len: 24 });
    return Flanneld.start({
      node,
      udp: new UdpStack(node),
      store,
      prefix,
      config: NET_CONF,
      extDev: 'eth0',
      publicIp: ip('192.168.56.21'),
      ipMasq: false,
      leaseTtlSeconds: 60,
    });
  };
  const first = await start('node1', 0x02_00_00_00_32_01);
  first.exit();
  const again = await start('node1-restarted', 0x02_00_00_00_32_02);
  assert.equal(formatCidr(again.lease.subnet), formatCidr(first.lease.subnet));
  const kvs = (await store.list(`${prefix}/subnets/`)).kvs;
  assert.equal(kvs.length, 1, kvs.map((kv) => kv.key).join(' '));
  const v = parseFlannelLeaseValue(kvs[0]!.value);
  assert.ok(v.ok && v.value.vxlan?.vtepMac === again.lease.vtepMac, kvs[0]!.value);
  await again.stop();

  // the CLI on the same etcd: flannel's etcd mode (random leases from SubnetMin, so never 10.42.0.0/24);
  // a second run takes back the same leases, as restarted flanneds would
  const endpoint = server.endpoint.replace(/^http:/, 'etcd:');
  const demo = async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ['demo', '--no-pcap', '--datastore', endpoint],
      (s) => out.push(s),
      (s) => err.push(s),
    );
    assert.equal(code, 0, out.join('\n') + err.join('\n'));
    return [...out.join('\n').matchAll(/^(server|agent)\s+\S+\s+(10\.42\.\d+\.0\/24)\s+vxlan/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
  };
  const a = await demo();
  assert.equal(a.length, 2);
  assert.ok(!a.some((l) => l.endsWith(' 10.42.0.0/24')), a.join(', '));
  assert.deepEqual(await demo(), a);
  assert.equal((await store.list('/coreos.com/network/subnets/')).kvs.length, 2);
});
