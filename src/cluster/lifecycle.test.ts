import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster } from '../scenario/manifests.js';
import { buildCluster, type ClusterRuntime, flannelOf } from './runtime.js';
import { addNode, deletePod, LifecycleError, removeNode, restartFlanneld, scaleDeployment } from './lifecycle.js';
import { ping, type PingResult } from '../apps/ping.js';
import type { IpNode } from '../net/ip-node.js';
import { formatCidr, formatIpv4, parseCidr } from '../wire/addr.js';
import { ipNeigh, bridgeFdb, ipRoute } from '../net/views.js';
import { formatMac } from '../wire/addr.js';

/** Three nodes, web (nginx, 3 replicas, one per node), and a standalone pod on the server. */
const CLUSTER = `
apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: life }
spec:
  seed: 3
  nodes:
    - { name: server, address: 192.168.56.11/24, role: server }
    - { name: agent1, address: 192.168.56.12/24, role: agent }
    - { name: agent2, address: 192.168.56.13/24, role: agent }
  disable: [coredns]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: 'nginx:1.27', ports: [{ name: http, containerPort: 80 }] }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: http }]
---
apiVersion: v1
kind: Pod
metadata: { name: solo }
spec:
  nodeName: server
  containers: [{ name: c, image: 'busybox:1.36' }]
`;

async function build(subnetManager: 'kube' | 'etcd' = 'kube'): Promise<ClusterRuntime> {
  const r = loadCluster([{ file: 'life.yaml', text: CLUSTER }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return buildCluster(r.cluster.plan, { subnetManager });
}

function pingOnce(c: ClusterRuntime, from: IpNode, to: number): PingResult {
  let r: PingResult | undefined;
  ping(from, to, { count: 1 }, (x) => (r = x));
  c.engine.runUntilIdle(30e9);
  return r!;
}

/** What a node holds for a peer's lease: its route, its VTEP's neighbour entry and FDB entry. */
function holdsPeer(stack: IpNode, subnet: string, vtepMac: string): string[] {
  const net = subnet.replace(/\/\d+$/, '');
  const held: string[] = [];
  if (ipRoute(stack).includes(`${subnet} via ${net} dev flannel.1 onlink`)) held.push('route');
  if (ipNeigh(stack).includes(`${net} dev flannel.1 lladdr ${vtepMac} PERMANENT`)) held.push('neigh');
  if (bridgeFdb(stack).includes(vtepMac)) held.push('fdb');
  return held;
}

describe('the cluster changing while it runs', () => {
  it('removeNode (kube subnet manager): every other node drops the route, neighbour and FDB entry at once', async () => {
    const c = await build();
    const gone = c.nodes.get('agent2')!;
    const subnet = formatCidr(flannelOf(gone).lease.subnet);
    const mac = formatMac(flannelOf(gone).lease.vtepMac!);
    for (const n of c.nodes.values())
      if (n !== gone) assert.deepEqual(holdsPeer(n.stack, subnet, mac), ['route', 'neigh', 'fdb'], n.name);
    const log = await removeNode(c, 'agent2');
    for (const n of c.nodes.values()) assert.deepEqual(holdsPeer(n.stack, subnet, mac), [], n.name);
    assert.ok(log.includes(`node/agent2 deleted: podCIDR ${subnet} released; every flanneld removes its route`));
    // its web pod is replaced on a node still there, and the Service's endpoints follow
    const web = c.plan.pods.filter((p) => p.owner?.deployment === 'web');
    assert.equal(web.length, 3);
    assert.ok(web.every((p) => p.node !== 'agent2' && c.pods.has(`default/${p.name}`)));
    const eps = c.plan.services.find((s) => s.name === 'web')!.ports[0]!.endpoints;
    assert.deepEqual(eps.map((e) => e.pod).sort(), web.map((p) => p.name).sort());
    assert.ok(!c.nodes.has('agent2') && !c.plan.nodes.some((n) => n.name === 'agent2'));
    // every remaining pod still reaches every other
    const pods = [...c.pods.values()];
    for (const a of pods) for (const b of pods) if (a !== b) assert.equal(pingOnce(c, a.stack, b.ip).received, 1);
  });

  it('a podCIDR a departed node released is handed out again only after the range comes round (cidrset)', async () => {
    const c = await build();
    await removeNode(c, 'agent1'); // had 10.42.1.0/24
    const log = await addNode(c, {
      name: 'agent3',
      address: parseCidr('192.168.56.14/24')!,
      role: 'agent',
      labels: {},
    });
    assert.equal(log[0], 'node/agent3 joined at 192.168.56.14: podCIDR 10.42.3.0/24');
    // and the newcomer is a peer of every node, both ways (it has no pod, so no cni0 yet: ping its flannel.1)
    const server = c.nodes.get('server')!;
    const a3 = c.nodes.get('agent3')!;
    assert.equal(pingOnce(c, server.stack, flannelOf(a3).lease.subnet.addr).received, 1);
    assert.equal(pingOnce(c, a3.stack, (flannelOf(server).lease.subnet.addr + 1) >>> 0).received, 1);
  });

  it('removeNode with the etcd subnet manager: the lease stays until its TTL (24 h) runs out, unless revoked', async () => {
    const c = await build('etcd');
    const a2 = c.nodes.get('agent2')!;
    const s2 = formatCidr(flannelOf(a2).lease.subnet);
    const m2 = formatMac(flannelOf(a2).lease.vtepMac!);
    const server = c.nodes.get('server')!.stack;
    await removeNode(c, 'agent2');
    assert.deepEqual(holdsPeer(server, s2, m2), ['route', 'neigh', 'fdb'], 'just after the node left');
    c.engine.run(c.engine.now + 23 * 3600e9);
    assert.deepEqual(holdsPeer(server, s2, m2), ['route', 'neigh', 'fdb'], 'after 23 h');
    c.engine.run(c.engine.now + 3600e9 + 1e9);
    assert.deepEqual(holdsPeer(server, s2, m2), [], 'after 24 h the lease expired');

    const a1 = c.nodes.get('agent1')!;
    const s1 = formatCidr(flannelOf(a1).lease.subnet);
    const m1 = formatMac(flannelOf(a1).lease.vtepMac!);
    await removeNode(c, 'agent1', { revokeLease: true });
    assert.deepEqual(holdsPeer(server, s1, m1), [], 'a revoked lease goes at once');
  });

  it('delete: CNI DEL frees the address in host-local, the sandbox goes, and a ReplicaSet pod is replaced', async () => {
    const c = await build();
    const solo = c.pods.get('default/solo')!;
    const server = c.nodes.get('server')!;
    const ipFile = `/var/lib/cni/networks/cbr0/${formatIpv4(solo.ip)}`;
    assert.notEqual(server.host.store.read(ipFile), undefined);
    const log = deletePod(c, 'solo');
    assert.deepEqual(log, [`pod/default/solo deleted: CNI DEL on server released ${formatIpv4(solo.ip)}`]);
    assert.equal(server.host.store.read(ipFile), undefined);
    assert.ok(!c.pods.has('default/solo') && !c.plan.pods.some((p) => p.name === 'solo'));
    assert.equal(c.network.devices.get('solo'), undefined, 'the network namespace is gone');
    assert.equal(pingOnce(c, server.stack, solo.ip).received, 0);

    const victim = c.plan.pods.find((p) => p.owner?.deployment === 'web')!;
    const out = deletePod(c, victim.name);
    assert.match(out[1]!, /^replicaset\.apps\/web-\w+ created pod\/default\/web-\w+-\w{5}$/);
    assert.match(out[2]!, /^pod\/default\/web-\w+-\w{5} scheduled on \w+: 10\.42\.\d+\.\d+$/);
    assert.equal(c.plan.pods.filter((p) => p.owner?.deployment === 'web').length, 3);
  });

  it("delete: portmap's part of CNI DEL takes the pod's hostPort rules away", async () => {
    const r = loadCluster([
      {
        file: 'hp.yaml',
        text: `${CLUSTER}---
apiVersion: v1
kind: Pod
metadata: { name: hp }
spec:
  nodeName: agent1
  containers: [{ name: c, image: 'nginx:1.27', ports: [{ containerPort: 80, hostPort: 8080 }] }]
`,
      },
    ]);
    assert.ok(r.ok);
    const c = await buildCluster(r.cluster.plan);
    // the rules that mention host port 8080 (svclb-traefik's 80 and 443 on this node stay)
    const hostPortRules = () =>
      [...c.nodes.get('agent1')!.stack.netfilter!.ruleset.nat.values()].flatMap((ch) =>
        ch.rules.filter((x) => x.text.includes('8080')).map((x) => x.text),
      );
    assert.ok(hostPortRules().length >= 2, hostPortRules().join('\n'));
    deletePod(c, 'hp');
    assert.deepEqual(hostPortRules(), []);
  });

  it('scale: up creates and schedules pods; down deletes the not-ready first, then the newest', async () => {
    const c = await build();
    const before = c.plan.pods.filter((p) => p.owner?.deployment === 'web').map((p) => p.name);
    scaleDeployment(c, 'web', 5);
    const after = c.plan.pods.filter((p) => p.owner?.deployment === 'web').map((p) => p.name);
    assert.equal(after.length, 5);
    assert.equal(c.plan.deployments.find((d) => d.name === 'web')!.replicas, 5);
    // one of the originals fails readiness: it goes first, then the newest of the rest
    const sick = c.pods.get(`default/${before[1]!}`)!;
    sick.ready = false;
    const log = scaleDeployment(c, 'web', 3);
    const deleted = log.filter((l) => l.startsWith('pod/')).map((l) => /pod\/default\/(\S+)/.exec(l)![1]);
    assert.deepEqual(deleted, [before[1], after[4]]);
    scaleDeployment(c, 'default/web', 0);
    assert.equal(c.plan.pods.filter((p) => p.owner?.deployment === 'web').length, 0);
    assert.deepEqual(c.plan.services.find((s) => s.name === 'web')!.ports[0]!.endpoints, []);
    // from zero, the template is still known
    scaleDeployment(c, 'web', 1);
    assert.equal(c.plan.pods.filter((p) => p.owner?.deployment === 'web' && p.node !== undefined).length, 1);
    assert.throws(() => scaleDeployment(c, 'nope', 1), LifecycleError);
  });

  it('a node joining lets Pending pods be scheduled on it', async () => {
    const r = loadCluster([
      {
        file: 'pending.yaml',
        text: `${CLUSTER}---
apiVersion: v1
kind: Pod
metadata: { name: picky }
spec:
  nodeSelector: { disk: ssd }
  containers: [{ name: c, image: 'busybox:1.36' }]
`,
      },
    ]);
    assert.ok(r.ok);
    const c = await buildCluster(r.cluster.plan);
    assert.match(c.plan.pods.find((p) => p.name === 'picky')!.pendingReason!, /didn't match Pod's node affinity/);
    const log = await addNode(c, {
      name: 'fast',
      address: parseCidr('192.168.56.20/24')!,
      role: 'agent',
      labels: { disk: 'ssd' },
    });
    assert.ok(log.includes('pod/default/picky scheduled on fast: 10.42.3.2'), log.join('\n'));
    assert.ok(c.pods.has('default/picky'));
  });

  it('addNode refuses a name or address in use, or an address off the underlay', async () => {
    const c = await build();
    const node = (name: string, a: string) => ({ name, address: parseCidr(a)!, role: 'agent' as const, labels: {} });
    await assert.rejects(addNode(c, node('agent1', '192.168.56.30/24')), /node agent1 already exists/);
    await assert.rejects(addNode(c, node('x', '192.168.56.12/24')), /192\.168\.56\.12 is agent1's address/);
    await assert.rejects(addNode(c, node('y', '10.9.0.1/24')), /not in a subnet of the cluster's underlay/);
    await assert.rejects(removeNode(c, 'nope'), /node nope not found/);
  });

  it('restart: flanneld comes back with the same lease and VTEP MAC, and the overlay keeps working', async () => {
    const c = await build();
    const server = c.nodes.get('server')!;
    const routes = ipRoute(server.stack);
    const lease = flannelOf(server).lease;
    const log = await restartFlanneld(c, 'server');
    assert.match(
      log[0]!,
      /^flanneld on server restarted: 10\.42\.0\.0\/24 \(same subnet and VTEP MAC\), 2 peer\(s\) programmed$/,
    );
    assert.equal(flannelOf(server).lease.vtepMac, lease.vtepMac);
    assert.equal(ipRoute(server.stack), routes);
    const far = c.nodes.get('agent2')!;
    assert.equal(pingOnce(c, server.stack, (flannelOf(far).lease.subnet.addr + 1) >>> 0).received, 1);
  });
});
