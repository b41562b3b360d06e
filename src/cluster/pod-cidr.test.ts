import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster } from '../scenario/manifests.js';
import { buildCluster, flannelOf } from './runtime.js';
import { RangeAllocator } from './range-allocator.js';
import { formatCidr, formatIpv4, parseCidr } from '../wire/addr.js';
import { parseKubeNode } from '../control/flannel/kube-subnet.js';

function plan(spec = '', nodes = 3) {
  const text = [
    'apiVersion: podnet.dev/v1alpha1',
    'kind: Cluster',
    'metadata: { name: c }',
    'spec:',
    '  nodes:',
    ...Array.from(
      { length: nodes },
      (_, i) => `    - { name: n${i + 1}, address: 192.168.56.${11 + i}/24, role: ${i === 0 ? 'server' : 'agent'} }`,
    ),
    spec,
    '---',
    'apiVersion: v1',
    'kind: Pod',
    'metadata: { name: p }',
    'spec:',
    '  nodeName: n3',
    '  containers: [{ name: c, image: busybox }]',
  ].join('\n');
  const r = loadCluster([{ file: 'cluster.yaml', text }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.cluster.plan;
}

describe("node podCIDRs, as k3s's controller-manager gives them", () => {
  it('nodes get 10.42.0.0/24, 10.42.1.0/24, ... in join order, and flannel runs on them (kube mode)', async () => {
    const c = await buildCluster(plan());
    assert.equal(c.subnetManager, 'kube');
    assert.deepEqual(
      [...c.nodes.values()].map((n) => `${n.name} ${formatCidr(flannelOf(n).lease.subnet)}`),
      ['n1 10.42.0.0/24', 'n2 10.42.1.0/24', 'n3 10.42.2.0/24'],
    );
    // the Node object holds the podCIDR and flannel's annotations
    const node = parseKubeNode((await c.store.get('/registry/minions/n2'))!.value);
    assert.ok(typeof node !== 'string');
    assert.equal(formatCidr(node.podCIDR!), '10.42.1.0/24');
    assert.equal(node.annotations['flannel.alpha.coreos.com/public-ip'], '192.168.56.12');
    assert.equal(node.annotations['flannel.alpha.coreos.com/kube-subnet-manager'], 'true');
    // subnet.env and so the pods follow: the pod on n3 is in 10.42.2.0/24
    assert.equal(formatIpv4(c.pods.get('default/p')!.ip), '10.42.2.2');
  });

  it("honours the Cluster document's nodeCIDRMaskSize", async () => {
    const c = await buildCluster(plan('  nodeCIDRMaskSize: 26'));
    assert.deepEqual(
      [...c.nodes.values()].map((n) => formatCidr(flannelOf(n).lease.subnet)),
      ['10.42.0.0/26', '10.42.0.64/26', '10.42.0.128/26'],
    );
    assert.match(flannelOf(c.nodes.get('n3')!).subnetEnv, /^FLANNEL_SUBNET=10\.42\.0\.129\/26$/m);
  });

  it("subnetManager 'etcd' keeps flannel's etcd mode: leases under /coreos.com/network, never the first subnet", async () => {
    const c = await buildCluster(plan(), { subnetManager: 'etcd' });
    const keys = (await c.store.list('/coreos.com/network/subnets/')).kvs.map((kv) => kv.key);
    assert.equal(keys.length, 3);
    for (const n of c.nodes.values()) {
      assert.notEqual(formatCidr(flannelOf(n).lease.subnet), '10.42.0.0/24');
      assert.match(formatCidr(flannelOf(n).lease.subnet), /^10\.42\.\d+\.0\/24$/);
    }
    assert.equal((await c.store.list('/registry/minions/')).kvs.length, 0);
  });
});

describe('RangeAllocator (cidrset)', () => {
  it('hands out in order, keeps a node its CIDR, reuses a freed one only after wrapping, and runs out', () => {
    const a = new RangeAllocator(parseCidr('10.42.0.0/22')!, 24);
    assert.equal(a.size, 4);
    const got = (n: string) => {
      const p = a.allocate(n);
      return p === undefined ? 'none' : formatCidr(p);
    };
    assert.equal(got('a'), '10.42.0.0/24');
    assert.equal(got('b'), '10.42.1.0/24');
    assert.equal(got('a'), '10.42.0.0/24');
    a.release('a');
    // nextCandidate is past b: the freed 10.42.0.0/24 waits until the search wraps
    assert.equal(got('c'), '10.42.2.0/24');
    assert.equal(got('d'), '10.42.3.0/24');
    assert.equal(got('e'), '10.42.0.0/24');
    assert.equal(got('f'), 'none');
    assert.match(a.exhaustedMessage(), /no remaining CIDRs left to allocate in the accepted range/);
  });
});
