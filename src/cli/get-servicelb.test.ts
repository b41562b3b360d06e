/**
 * `podnet get services` with k3s ServiceLB: EXTERNAL-IP is the Service's status.loadBalancer.ingress as
 * kubectl's getServiceExternalIP prints it (nodes' IPs, comma-joined, cut to 13 characters and "..." past
 * 16 unless -o wide; `<pending>` with none), PORT(S) `80:<nodePort>/TCP`; the DaemonSet's uid8 is the
 * Service's own uid, and the svclb pods are owned by their DaemonSet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster } from '../scenario/manifests.js';
import { buildCluster } from '../cluster/runtime.js';
import { kubeObjects } from './kube-objects.js';
import { serviceTable } from './kube-printers.js';

function yaml(disable: boolean): string {
  return `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: lb }
spec:
  seed: 3
  nodes:
    - { name: server, address: 192.168.56.11/24, role: server }
    - { name: agent, address: 192.168.56.12/24, role: agent }
  disable: [traefik${disable ? ', servicelb' : ''}]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  type: LoadBalancer
  selector: { app: web }
  ports: [{ port: 80 }]
`;
}

async function objects(disable: boolean) {
  const r = loadCluster([{ file: 'lb.yaml', text: yaml(disable) }]);
  assert.ok(r.ok);
  const rt = await buildCluster(r.cluster.plan);
  return { rt, objs: kubeObjects(rt) };
}

test('get services: EXTERNAL-IP from ServiceLB, clipped unless wide; <pending> without ServiceLB', async () => {
  const { rt, objs } = await objects(false);
  const web = objs.services.find((s) => s.metadata.name === 'web')!;
  assert.deepEqual(web.status.loadBalancer, { ingress: [{ ip: '192.168.56.11' }, { ip: '192.168.56.12' }] });
  const nodePort = web.spec.ports[0]!.nodePort!;
  const row = (wide: boolean) => serviceTable([web], objs.nowNs, wide).rows[0]!;
  assert.deepEqual(row(false).slice(1, 5), [
    'LoadBalancer',
    web.spec.clusterIP,
    '192.168.56.11...',
    `80:${nodePort}/TCP`,
  ]);
  assert.equal(row(true)[3], '192.168.56.11,192.168.56.12');

  // the DaemonSet is named from the Service's uid, and owns its pods
  const ds = rt.plan.serviceLbs[0]!;
  assert.equal(ds.name, `svclb-web-${web.metadata.uid.slice(0, 8)}`);
  const pod = objs.pods.find((p) => p.metadata.name.startsWith(`${ds.name}-`))!;
  assert.equal(pod.metadata.namespace, 'kube-system');
  assert.deepEqual(
    pod.metadata.ownerReferences?.map((o) => [o.kind, o.name]),
    [['DaemonSet', ds.name]],
  );

  const off = await objects(true);
  const pending = off.objs.services.find((s) => s.metadata.name === 'web')!;
  assert.deepEqual(pending.status.loadBalancer, {});
  assert.equal(serviceTable([pending], off.objs.nowNs, false).rows[0]![3], '<pending>');
});
