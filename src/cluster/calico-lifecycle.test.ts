/**
 * A Calico cluster while it changes: a pod's address goes back to IPAM when the pod is deleted, a node that
 * joins gets a block, BGP sessions with every node and routes to every block, and a node that leaves is
 * dropped from every BIRD with its routes, its blocks released. Checked through what a person would look at
 * (calicoctl ipam show, ip route, ping).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster } from '../scenario/manifests.js';
import { bringUp, buildCluster, type ClusterRuntime } from './runtime.js';
import { addNode, deletePod, removeNode } from './lifecycle.js';
import { ping, type PingResult } from '../apps/ping.js';
import type { IpNode } from '../net/ip-node.js';
import { formatCidr, parseCidr } from '../wire/addr.js';
import { ipRoute } from '../net/views.js';

const CLUSTER = `
apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: calico-life }
spec:
  nodes:
    - { name: a, address: 10.0.0.11/24, role: server }
    - { name: b, address: 10.0.0.12/24, role: agent }
  cni: calico
  disable: [coredns, traefik, servicelb]
---
apiVersion: v1
kind: Pod
metadata: { name: pa }
spec:
  nodeName: a
  containers: [{ name: c, image: 'busybox:1.36' }]
---
apiVersion: v1
kind: Pod
metadata: { name: pb }
spec:
  nodeName: b
  containers: [{ name: c, image: 'busybox:1.36' }]
`;

async function build(): Promise<ClusterRuntime> {
  const r = loadCluster([{ file: 'calico-life.yaml', text: CLUSTER }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  const c = await buildCluster(r.cluster.plan);
  bringUp(c);
  return c;
}

function pingOnce(c: ClusterRuntime, from: IpNode, to: number): PingResult {
  let r: PingResult | undefined;
  ping(from, to, { count: 1 }, (x) => (r = x));
  c.engine.runFor(5e9);
  assert.ok(r);
  return r;
}

/** Addresses in use in the cluster's IPAM. */
const inUse = (c: ClusterRuntime): number => c.calico!.ipam.allBlocks().reduce((n, b) => n + b.inUse, 0);

describe('a Calico cluster changing', () => {
  it('gives a deleted pod its address back', async () => {
    const c = await build();
    // two tunnel addresses and two pods
    assert.equal(inUse(c), 4);
    const ip = c.pods.get('default/pa')!.ip;
    deletePod(c, 'pa');
    assert.equal(inUse(c), 3);
    assert.ok(!c.calico!.ipam.allBlocks().some((b) => b.allocations.some((a) => a.ip === ip)));
  });

  it('takes a joining node into every BIRD, and drops a leaving one with its routes and blocks', async () => {
    const c = await build();
    const log = await addNode(c, { name: 'n3', address: parseCidr('10.0.0.13/24')!, role: 'agent', labels: {} });
    assert.ok(log.includes('calico-node on n3: BGP peers Mesh_10_0_0_11, Mesh_10_0_0_12'), log.join('\n'));
    c.engine.runFor(30e9);
    const n3 = c.nodes.get('n3')!;
    const block = n3.calico!.blocks[0]!;
    // a learned the new node's block, through the tunnel, and reaches its tunnel address
    assert.match(
      ipRoute(c.nodes.get('a')!.stack),
      new RegExp(`${formatCidr(block)} via 10\\.0\\.0\\.13 dev tunl0 proto bird onlink`),
    );
    assert.equal(pingOnce(c, c.pods.get('default/pa')!.stack, n3.calico!.ipipTunnelAddr!).received, 1);

    await removeNode(c, 'n3');
    assert.deepEqual(
      c.nodes.get('a')!.calico!.peers.map((p) => p.name),
      ['Mesh_10_0_0_12'],
    );
    assert.doesNotMatch(ipRoute(c.nodes.get('a')!.stack), /10\.0\.0\.13/);
    // its block is gone from IPAM (it held only its tunnel address)
    assert.ok(!c.calico!.ipam.allBlocks().some((b) => formatCidr(b.cidr) === formatCidr(block)));
    // the rest still works
    assert.equal(pingOnce(c, c.pods.get('default/pa')!.stack, c.pods.get('default/pb')!.ip).received, 1);
  });
});
