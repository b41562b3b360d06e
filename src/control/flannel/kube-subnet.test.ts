import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../sim/engine.js';
import { Network } from '../../link/device.js';
import { Switch } from '../../link/switch.js';
import { IpNode } from '../../net/ip-node.js';
import { UdpStack } from '../../transport/udp.js';
import { MemoryDatastore } from '../datastore/memory.js';
import { formatCidr, formatMac, parseCidr, parseIpv4 } from '../../wire/addr.js';
import { formatRoute } from '../../net/route-table.js';
import { Flanneld, type FlanneldConfig } from './flanneld.js';
import type { BackendType } from './backends.js';
import { encodeKubeNode, kubeNodeKey, nodeToLease, parseKubeNode } from './kube-subnet.js';

/** k3s's net-conf.json (10.42.0.0/16, /24 per node) with backend `type`, as flanneld reads it. */
function netConf(type: BackendType): FlanneldConfig {
  return {
    network: parseCidr('10.42.0.0/16')!,
    subnetLen: 24,
    subnetMin: ip('10.42.1.0'),
    subnetMax: ip('10.42.255.0'),
    backend: { type },
  };
}

const ip = (s: string): number => parseIpv4(s)!;

/** n nodes whose Node objects carry podCIDRs 10.42.i.0/24, each running flanneld --kube-subnet-mgr. */
async function kubeCluster(n: number, type: BackendType) {
  const engine = new Engine(5);
  const net = new Network(engine);
  const store = new MemoryDatastore(engine);
  const sw = new Switch(net, 'underlay');
  const nodes: IpNode[] = [];
  const fl: Flanneld[] = [];
  for (let i = 0; i < n; i++) {
    const name = `node${i + 1}`;
    const node = new IpNode(net, name, { forwarding: true });
    node.addNic('eth0', 0x02_00_00_00_40_00 + i);
    node.addAddress('eth0', { addr: ip(`192.168.56.${11 + i}`), len: 24 });
    net.connect(node.port('eth0')!, sw.addSwitchPort(`p${i + 1}`));
    await store.put(
      kubeNodeKey(name),
      encodeKubeNode({ name, annotations: {}, podCIDR: parseCidr(`10.42.${i}.0/24`)! }),
    );
    nodes.push(node);
    fl.push(
      await Flanneld.start({
        node,
        udp: new UdpStack(node),
        store,
        subnetManager: 'kube',
        config: netConf(type),
        extDev: 'eth0',
        publicIp: ip(`192.168.56.${11 + i}`),
        ipMasq: false,
      }),
    );
  }
  return { engine, store, nodes, fl };
}

describe('flannel kube subnet manager', () => {
  it("takes the Node's podCIDR and writes flannel's four annotations (pkg/subnet/kube AcquireLease)", async () => {
    const { store, fl } = await kubeCluster(2, 'vxlan');
    // the first podCIDR is used too (etcd mode never leases the network's first subnet)
    assert.deepEqual(
      fl.map((f) => formatCidr(f.lease.subnet)),
      ['10.42.0.0/24', '10.42.1.0/24'],
    );
    const node = parseKubeNode((await store.get(kubeNodeKey('node1')))!.value);
    assert.ok(typeof node !== 'string');
    // values as flannel writes them: backend-data is the vxlan backend's JSON (VNI, then VtepMAC)
    assert.deepEqual(node.annotations, {
      'flannel.alpha.coreos.com/backend-data': `{"VNI":1,"VtepMAC":"${formatMac(fl[0]!.lease.vtepMac!)}"}`,
      'flannel.alpha.coreos.com/backend-type': 'vxlan',
      'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
      'flannel.alpha.coreos.com/public-ip': '192.168.56.11',
    });
    assert.equal(formatCidr(node.podCIDR!), '10.42.0.0/24');
    // nothing under etcd mode's keys
    assert.equal((await store.list('/coreos.com/network/')).kvs.length, 0);
  });

  it("programs each peer from its Node's annotations, and drops it when the Node is deleted", async () => {
    const { store, nodes, fl } = await kubeCluster(3, 'vxlan');
    const routes = (n: IpNode) =>
      n.routes
        .routes()
        .filter((r) => r.proto === 'flannel')
        .map(formatRoute)
        .sort();
    assert.deepEqual(routes(nodes[0]!), [
      '10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink',
      '10.42.2.0/24 via 10.42.2.0 dev flannel.1 onlink',
    ]);
    assert.equal(fl[0]!.peers.get(kubeNodeKey('node2'))!.vtepMac, fl[1]!.lease.vtepMac);
    await store.delete(kubeNodeKey('node3'));
    assert.deepEqual(routes(nodes[0]!), ['10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink']);
    assert.deepEqual(routes(nodes[1]!), ['10.42.0.0/24 via 10.42.0.0 dev flannel.1 onlink']);
  });

  it('after a reboot flanneld keeps its podCIDR and rewrites its annotations; the peers follow the new VtepMAC', async () => {
    const { store, nodes, fl } = await kubeCluster(2, 'vxlan');
    fl[1]!.exit();
    // node2 reboots: a fresh stack (a new flannel.1 with a new MAC), the same Node object
    const rebooted = new IpNode(nodes[0]!.network, 'node2-rebooted', { forwarding: true });
    rebooted.addNic('eth0', 0x02_00_00_00_40_09);
    rebooted.addAddress('eth0', { addr: ip('192.168.56.12'), len: 24 });
    const again = await Flanneld.start({
      node: rebooted,
      nodeName: 'node2',
      udp: new UdpStack(rebooted),
      store,
      subnetManager: 'kube',
      config: fl[1]!.o.config,
      extDev: 'eth0',
      publicIp: ip('192.168.56.12'),
      ipMasq: false,
      random: () => 0.5,
    });
    assert.equal(formatCidr(again.lease.subnet), '10.42.1.0/24');
    assert.notEqual(again.lease.vtepMac, fl[1]!.lease.vtepMac);
    const node = parseKubeNode((await store.get(kubeNodeKey('node2')))!.value);
    assert.ok(typeof node !== 'string');
    assert.equal(
      node.annotations['flannel.alpha.coreos.com/backend-data'],
      `{"VNI":1,"VtepMAC":"${formatMac(again.lease.vtepMac!)}"}`,
    );
    assert.equal(fl[0]!.peers.get(kubeNodeKey('node2'))!.vtepMac, again.lease.vtepMac);
  });

  it('host-gw writes backend-data null; a Node without kube-subnet-manager "true" is not a peer', async () => {
    const { store, nodes } = await kubeCluster(2, 'host-gw');
    const node = parseKubeNode((await store.get(kubeNodeKey('node2')))!.value);
    assert.ok(typeof node !== 'string');
    assert.equal(node.annotations['flannel.alpha.coreos.com/backend-data'], 'null');
    assert.equal(node.annotations['flannel.alpha.coreos.com/backend-type'], 'host-gw');
    // a Node registered but whose flanneld has not run yet
    await store.put(
      kubeNodeKey('node3'),
      encodeKubeNode({ name: 'node3', annotations: {}, podCIDR: parseCidr('10.42.2.0/24')! }),
    );
    assert.equal(nodeToLease({ name: 'node3', annotations: {}, podCIDR: parseCidr('10.42.2.0/24')! }), undefined);
    assert.deepEqual(
      nodes[0]!.routes
        .routes()
        .filter((r) => r.proto === 'flannel')
        .map(formatRoute),
      ['10.42.1.0/24 via 192.168.56.12 dev eth0'],
    );
  });

  it("refuses a Node without podCIDR, or with one outside the network, with flannel's messages", async () => {
    const engine = new Engine(1);
    const net = new Network(engine);
    const store = new MemoryDatastore(engine);
    const node = new IpNode(net, 'n1');
    node.addNic('eth0', 0x02_00_00_00_50_01);
    node.addAddress('eth0', { addr: ip('192.168.0.1'), len: 24 });
    const start = () =>
      Flanneld.start({
        node,
        udp: new UdpStack(node),
        store,
        subnetManager: 'kube',
        config: netConf('host-gw'),
        extDev: 'eth0',
        publicIp: ip('192.168.0.1'),
        ipMasq: false,
      });
    await assert.rejects(start(), /nodes "n1" not found/);
    await store.put(kubeNodeKey('n1'), encodeKubeNode({ name: 'n1', annotations: {} }));
    await assert.rejects(start(), /node "n1" pod cidr not assigned/);
    await store.put(
      kubeNodeKey('n1'),
      encodeKubeNode({ name: 'n1', annotations: {}, podCIDR: parseCidr('10.99.0.0/24')! }),
    );
    await assert.rejects(
      start(),
      /subnet "10\.42\.0\.0\/16" specified in the flannel net config doesn't contain "10\.99\.0\.0\/24" PodCIDR of the "n1" node/,
    );
  });

  it('reads Node objects: malformed ones say why, and vxlan peers need a valid backend-data', () => {
    assert.match(parseKubeNode('{') as string, /^not JSON: /);
    assert.equal(parseKubeNode('{"kind":"Pod"}'), 'not a Node object');
    const n = parseKubeNode(
      '{"kind":"Node","apiVersion":"v1","metadata":{"name":"a","annotations":{"flannel.alpha.coreos.com/kube-subnet-manager":"true","flannel.alpha.coreos.com/backend-type":"vxlan","flannel.alpha.coreos.com/public-ip":"10.0.0.1","flannel.alpha.coreos.com/backend-data":"{\\"VNI\\":1}"}},"spec":{"podCIDR":"10.42.3.0/24"}}',
    );
    assert.ok(typeof n !== 'string');
    assert.equal(nodeToLease(n), 'node a: backend-data.VtepMAC: missing or not a string');
  });
});
