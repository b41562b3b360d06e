/**
 * ServiceLB following the cluster as the DaemonSet controller and k3s's status loop do: a joining node gets
 * its svclb pod (and its address in the status once the pod is Ready), a deleted svclb pod comes back on its
 * node with a new name, a leaving node's pod goes and its address leaves the status.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster } from '../scenario/manifests.js';
import { parseCidr } from '../wire/addr.js';
import { buildCluster, type ClusterRuntime } from './runtime.js';
import { addNode, deletePod, removeNode } from './lifecycle.js';
import { loadBalancerIngress } from './servicelb-status.js';

const YAML = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: lb }
spec:
  seed: 5
  nodes:
    - { name: server, address: 192.168.56.11/24, role: server }
    - { name: agent, address: 192.168.56.12/24, role: agent }
  disable: [traefik] # its LoadBalancer would hold port 80 on every node
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  type: LoadBalancer
  selector: { app: web }
  ports: [{ port: 80 }]
`;

async function cluster(): Promise<ClusterRuntime> {
  const r = loadCluster([{ file: 'lb.yaml', text: YAML }]);
  assert.ok(r.ok);
  return buildCluster(r.cluster.plan);
}

const ingress = (rt: ClusterRuntime) =>
  loadBalancerIngress(
    rt,
    rt.plan.services.find((s) => s.name === 'web')!,
  );
const svclbOn = (rt: ClusterRuntime, node: string) =>
  [...rt.pods.values()].filter(
    (p) => p.namespace === 'kube-system' && p.name.startsWith('svclb-web-') && p.node === node,
  );

describe('ServiceLB as the cluster changes', () => {
  it('a joining node gets a svclb pod and joins the status; a leaving one leaves it', async () => {
    const rt = await cluster();
    assert.deepEqual(ingress(rt), ['192.168.56.11', '192.168.56.12']);
    const log = await addNode(rt, {
      name: 'agent-2',
      address: parseCidr('192.168.56.13/24')!,
      role: 'agent',
      labels: {},
    });
    assert.ok(
      log.some((l) => /^daemonset\.apps\/svclb-web-[0-9a-f]{8} created pod\/kube-system\/svclb-web-/.test(l)),
      log.join('\n'),
    );
    assert.equal(svclbOn(rt, 'agent-2').length, 1);
    assert.deepEqual(ingress(rt), ['192.168.56.11', '192.168.56.12', '192.168.56.13']);
    await removeNode(rt, 'agent');
    assert.equal(svclbOn(rt, 'agent').length, 0);
    assert.deepEqual(ingress(rt), ['192.168.56.11', '192.168.56.13']);
  });

  it('a deleted svclb pod is replaced on the same node, with a new name', async () => {
    const rt = await cluster();
    const [before] = svclbOn(rt, 'agent');
    deletePod(rt, before!.id);
    const after = svclbOn(rt, 'agent');
    assert.equal(after.length, 1);
    assert.notEqual(after[0]!.name, before!.name);
    assert.match(after[0]!.name, /^svclb-web-[0-9a-f]{8}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(ingress(rt), ['192.168.56.11', '192.168.56.12']);
  });
});
