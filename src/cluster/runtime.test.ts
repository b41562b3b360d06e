import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCluster } from '../scenario/manifests.js';
import { buildCluster, type ClusterRuntime, flannelOf } from './runtime.js';
import { IpNode } from '../net/ip-node.js';
import { Switch } from '../link/switch.js';
import { UdpStack } from '../transport/udp.js';
import { ping, type PingResult } from '../apps/ping.js';
import { formatIpv4, parseIpv4 } from '../wire/addr.js';
import type { BackendType } from '../control/flannel/backends.js';

// tests run from dist/src/cluster; the examples are at the repository root
const DEMO = join(import.meta.dirname, '../../../examples/cluster-demo.yaml');

function plan(text = readFileSync(DEMO, 'utf8')) {
  const r = loadCluster([{ file: 'cluster.yaml', text }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.cluster.plan;
}

function pingOnce(c: ClusterRuntime, from: IpNode, to: number): PingResult {
  let r: PingResult | undefined;
  ping(from, to, { count: 1 }, (x) => (r = x));
  c.engine.runUntilIdle(30e9);
  return r!;
}

describe('a running cluster', () => {
  for (const backend of ['vxlan', 'host-gw', 'udp'] as BackendType[]) {
    it(`${backend}: every pod reaches every other pod, on its node and across`, async () => {
      const c = await buildCluster(plan(), { backend });
      const pods = [...c.pods.values()];
      assert.equal(pods.length, 11); // coredns, traefik, svclb-traefik on each node, 4 web, client, 2 whoami
      assert.equal(c.failedPods.length, 0);
      // each node's pods live in its own flannel lease, with the gateway on cni0
      for (const p of pods) {
        const lease = flannelOf(c.nodes.get(p.node)!).lease.subnet;
        assert.equal((p.ip & 0xffffff00) >>> 0, lease.addr, `${p.id} ${formatIpv4(p.ip)} outside its node's lease`);
      }
      for (const a of pods)
        for (const b of pods) if (a !== b) assert.equal(pingOnce(c, a.stack, b.ip).received, 1, `${a.id} -> ${b.id}`);
    });
  }

  it("ip-masq: a pod reaching a host outside the cluster is seen with its node's address", async () => {
    const c = await buildCluster(plan());
    const outside = new IpNode(c.network, 'outside');
    outside.addNic('eth0', 0x02_00_00_00_77_00);
    outside.addAddress('eth0', { addr: parseIpv4('192.168.56.200')!, len: 24 });
    const sw = c.network.device('underlay') as Switch;
    c.network.connect(outside.port('eth0')!, sw.addSwitchPort('p-outside'));
    const seen: number[] = [];
    new UdpStack(outside).bind(9000, (d) => seen.push(d.src));
    const pod = [...c.pods.values()].find((p) => p.name === 'client')!;
    pod.udp.send(40000, parseIpv4('192.168.56.200')!, 9000, new Uint8Array([1, 2, 3]));
    c.engine.runUntilIdle(10e9);
    assert.deepEqual(seen.map(formatIpv4), [formatIpv4(c.nodes.get(pod.node)!.ip)]);
  });

  it('pod-to-pod traffic across nodes keeps the pod address: flannel masquerades only what leaves the cluster', async () => {
    const c = await buildCluster(plan());
    const pods = [...c.pods.values()];
    const a = pods.find((p) => p.name === 'client')!;
    const b = pods.find((p) => p.node !== a.node)!;
    const seen: number[] = [];
    b.udp.bind(7001, (d) => seen.push(d.src));
    a.udp.send(40001, b.ip, 7001, new Uint8Array([9]));
    c.engine.runUntilIdle(10e9);
    assert.deepEqual(seen.map(formatIpv4), [formatIpv4(a.ip)]);
  });

  it('host-gw across a routed underlay: flanneld refuses the peer with an error that says why', async () => {
    const text = readFileSync(DEMO, 'utf8')
      .replace('address: 192.168.56.12/24', 'address: 192.168.57.12/24')
      .replace(
        /underlay:\n\s+type: switch/,
        'underlay:\n    type: routed\n    gateways: [192.168.56.1/24, 192.168.57.1/24]',
      );
    const c = await buildCluster(plan(text), { backend: 'host-gw' });
    const errors = [...c.nodes.values()].flatMap((n) => flannelOf(n).errors);
    assert.ok(errors.length > 0);
    assert.match(errors[0]!, /host-gw: .* is not on eth0's subnet.*one L2 segment/);
  });
});
