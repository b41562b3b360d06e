import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster } from '../scenario/manifests.js';
import { formatIpv4 } from '../wire/addr.js';
import { formatIptablesSave } from '../net/netfilter/iptables-restore.js';
import { TraceRecorder } from '../observe/recorder.js';
import { buildCluster, flannelOf } from './runtime.js';
import type { ClusterPlan } from './plan-types.js';
import { serviceUid8, svclbName } from './servicelb.js';
import { loadBalancerIngress } from './servicelb-status.js';

/** A three-node cluster (agent-b's address sorts before agent-a's as a string) with a LoadBalancer Service. */
function clusterYaml(
  opts: { labels?: Record<string, string>; extra?: string; local?: boolean; disable?: boolean; webPort?: number } = {},
): string {
  const label = (n: string) =>
    opts.labels?.[n] === undefined ? '' : `, labels: { svccontroller.k3s.cattle.io/enablelb: "${opts.labels[n]}" }`;
  return `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: lb }
spec:
  seed: 7
  nodes:
    - { name: server, address: 192.168.56.11/24, role: server${label('server')} }
    - { name: agent-a, address: 192.168.56.9/24, role: agent${label('agent-a')} }
    - { name: agent-b, address: 192.168.56.100/24, role: agent${label('agent-b')} }
  # traefik's LoadBalancer holds 80 and 443 on every node in k3s: these tests use port 80 themselves
  disable: [traefik${opts.disable === true ? ', servicelb' : ''}]
  outsideClients: [{ name: laptop, address: 192.168.56.50/24 }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      nodeName: agent-b
      containers: [{ name: web, image: nginx, ports: [{ containerPort: 80 }] }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  type: LoadBalancer
${opts.local === true ? '  externalTrafficPolicy: Local\n' : ''}  selector: { app: web }
  ports: [{ name: http, port: ${opts.webPort ?? 80} }, { name: dns, port: 53, protocol: UDP }]
${opts.extra ?? ''}`;
}

function plan(text: string): ClusterPlan {
  const r = loadCluster([{ file: 'lb.yaml', text }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.cluster.plan;
}

const svclbPods = (p: ClusterPlan) => p.pods.filter((x) => x.daemonSet !== undefined);

/** A pod holding host port 80 on agent-a (k3s#2270's clash). */
const HOSTPORT_POD = `---
apiVersion: v1
kind: Pod
metadata: { name: holder }
spec:
  nodeName: agent-a
  containers: [{ name: c, image: nginx, ports: [{ containerPort: 80, hostPort: 80 }] }]
`;

describe('k3s ServiceLB in the plan', () => {
  it('names the DaemonSet svclb-<name>-<uid8>, its pods <daemonset>-<5 chars>, one per node, in kube-system', () => {
    const p = plan(clusterYaml());
    const uid8 = serviceUid8(7, 'default', 'web');
    assert.match(uid8, /^[0-9a-f]{8}$/);
    assert.deepEqual(
      p.serviceLbs.map((d) => [d.name, d.service]),
      [[`svclb-web-${uid8}`, 'default/web']],
    );
    const pods = svclbPods(p);
    assert.deepEqual(
      pods.map((x) => x.node),
      ['server', 'agent-a', 'agent-b'],
    );
    for (const x of pods) {
      assert.equal(x.namespace, 'kube-system');
      assert.match(x.name, new RegExp(`^svclb-web-${uid8}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      assert.deepEqual(x.labels, {
        app: `svclb-web-${uid8}`,
        'svccontroller.k3s.cattle.io/svcname': 'web',
        'svccontroller.k3s.cattle.io/svcnamespace': 'default',
      });
    }
    assert.equal(new Set(pods.map((x) => x.name)).size, 3);
  });

  it('cuts a long name at 48 characters, never at a trailing hyphen (servicelb.go generateName)', () => {
    assert.equal(svclbName('a'.repeat(47) + '-b', '0123abcd'), `svclb-${'a'.repeat(47)}-0123abcd`);
    assert.equal(svclbName('x'.repeat(46) + '--yz', '0123abcd'), `svclb-${'x'.repeat(46)}-0123abcd`);
    assert.equal(svclbName('short', '0123abcd'), 'svclb-short-0123abcd');
  });

  it('one container lb-<proto>-<port> per Service port, hostPort = port, env as servicelb.go sets it (Cluster)', () => {
    const p = plan(clusterYaml());
    const svc = p.services.find((s) => s.name === 'web')!;
    const vip = formatIpv4(svc.clusterIP!);
    const [tcp, udp] = svclbPods(p)[0]!.spec.containers;
    assert.equal(tcp!.name, 'lb-tcp-80');
    assert.equal(tcp!.image, 'rancher/klipper-lb:v0.4.9');
    assert.deepEqual(tcp!.ports, [{ name: 'lb-tcp-80', containerPort: 80, hostPort: 80, protocol: 'TCP' }]);
    assert.deepEqual(tcp!.env, [
      { name: 'SRC_PORT', value: '80' },
      { name: 'SRC_RANGES', value: '0.0.0.0/0' },
      { name: 'DEST_PROTO', value: 'TCP' },
      { name: 'DEST_PORT', value: '80' },
      { name: 'DEST_IPS', value: vip },
    ]);
    assert.equal(udp!.name, 'lb-udp-53');
    assert.deepEqual(udp!.ports, [{ name: 'lb-udp-53', containerPort: 53, hostPort: 53, protocol: 'UDP' }]);
  });

  it('externalTrafficPolicy Local: DEST_PORT is the nodePort and DEST_IPS the node (status.hostIPs)', () => {
    const p = plan(clusterYaml({ local: true }));
    const nodePort = p.services.find((s) => s.name === 'web')!.ports[0]!.nodePort!;
    assert.ok(nodePort >= 30000 && nodePort <= 32767);
    assert.deepEqual(svclbPods(p)[0]!.spec.containers[0]!.env!.slice(3), [
      { name: 'DEST_PORT', value: String(nodePort) },
      { name: 'DEST_IPS', valueFrom: { fieldRef: { fieldPath: 'status.hostIPs' } } },
    ]);
  });

  it('once any node has the enablelb label, only nodes labelled "true" get a pod', () => {
    const p = plan(clusterYaml({ labels: { server: 'false', 'agent-b': 'true' } }));
    assert.deepEqual(
      svclbPods(p).map((x) => x.node),
      ['agent-b'],
    );
    assert.deepEqual(p.serviceLbs[0]!.template.spec.nodeSelector, { 'svccontroller.k3s.cattle.io/enablelb': 'true' });
    assert.equal(p.serviceLbs[0]!.labels['svccontroller.k3s.cattle.io/nodeselector'], 'true');
    const none = plan(clusterYaml());
    assert.deepEqual(none.serviceLbs[0]!.template.spec.nodeSelector, {});
  });

  it("a pod holding hostPort 80 leaves that node's svclb pod Pending with the scheduler's message, and warns", () => {
    const p = plan(clusterYaml({ extra: HOSTPORT_POD }));
    const pods = svclbPods(p);
    assert.deepEqual(
      pods.map((x) => x.node),
      ['server', undefined, 'agent-b'],
    );
    const pending = pods[1]!;
    assert.equal(
      pending.pendingReason,
      "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 2 node(s) didn't match Pod's node affinity/selector.",
    );
    const w = p.warnings.filter((x) => x.object === `Pod kube-system/${pending.name}`);
    assert.equal(w.length, 1);
    assert.equal(w[0]!.code, 'pod-pending');
    assert.match(
      w[0]!.message,
      /ServiceLB for Service default\/web wants node agent-a; host port TCP\/80 is already taken there/,
    );
    assert.match(w[0]!.message, /k3s#2270/);
  });

  it("two LoadBalancers on one port: the second one's pods are Pending everywhere", () => {
    const second = `---
apiVersion: v1
kind: Service
metadata: { name: other }
spec:
  type: LoadBalancer
  selector: { app: web }
  ports: [{ port: 80 }]
`;
    const p = plan(clusterYaml({ extra: second }));
    const other = svclbPods(p).filter((x) => x.labels['svccontroller.k3s.cattle.io/svcname'] === 'other');
    assert.equal(other.length, 3);
    assert.ok(other.every((x) => x.node === undefined));
  });

  it("a Traefik-like LoadBalancer in kube-system on 80 and 443: every node, except where a user's pod holds 80", () => {
    const traefik = `---
apiVersion: v1
kind: Service
metadata: { name: traefik, namespace: kube-system }
spec:
  type: LoadBalancer
  selector: { app: traefik }
  ports: [{ name: web, port: 80, targetPort: 8000 }, { name: websecure, port: 443, targetPort: 8443 }]
`;
    // (web moves to 8080: on 80 its own svclb pods would hold the port first, k3s#2270's other case)
    const p = plan(clusterYaml({ extra: traefik + HOSTPORT_POD, webPort: 8080 }));
    const pods = svclbPods(p).filter((x) => x.labels['svccontroller.k3s.cattle.io/svcname'] === 'traefik');
    const uid8 = serviceUid8(7, 'kube-system', 'traefik');
    assert.deepEqual(
      pods.map((x) => [x.name.slice(0, -6), x.node]),
      [
        [`svclb-traefik-${uid8}`, 'server'],
        [`svclb-traefik-${uid8}`, undefined],
        [`svclb-traefik-${uid8}`, 'agent-b'],
      ],
    );
    assert.deepEqual(
      pods[0]!.spec.containers.map((c) => [c.name, c.ports[0]!.hostPort]),
      [
        ['lb-tcp-80', 80],
        ['lb-tcp-443', 443],
      ],
    );
    assert.equal(pods[0]!.labels['svccontroller.k3s.cattle.io/svcnamespace'], 'kube-system');
  });

  it('disable: [servicelb] makes no DaemonSet', () => {
    const p = plan(clusterYaml({ disable: true }));
    assert.deepEqual(p.serviceLbs, []);
    assert.deepEqual(svclbPods(p), []);
  });
});

/** klipper-lb's entry script run by iptables v1.8.9 in a netns (lb-tcp-80 then lb-udp-53, ClusterIP VIP), then iptables-save. */
function klipperGolden(vip: string): string {
  return `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -p udp -m udp --dport 53 -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 80 -j ACCEPT
-A FORWARD -d ${vip}/32 -p tcp -m tcp --dport 80 -j DROP
-A FORWARD -d ${vip}/32 -p udp -m udp --dport 53 -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 53 -j DNAT --to-destination ${vip}:53
-A PREROUTING -p tcp -m tcp --dport 80 -j DNAT --to-destination ${vip}:80
-A POSTROUTING -d ${vip}/32 -p udp -j MASQUERADE
-A POSTROUTING -d ${vip}/32 -p tcp -j MASQUERADE
COMMIT`;
}

/** iptables-save -c without counters and comments, as plain iptables-save prints it. */
const withoutCounters = (s: string): string => s.replace(/^\[\d+:\d+\] /gm, '').replace(/\[\d+:\d+\]$/gm, '[0:0]');

describe('k3s ServiceLB running', () => {
  it("the svclb pod's netfilter is klipper-lb's entry script's (iptables-save from a real netns), ip_forward on", async () => {
    const c = await buildCluster(plan(clusterYaml()));
    const vip = formatIpv4(c.plan.services.find((s) => s.name === 'web')!.clusterIP!);
    const pods = [...c.pods.values()].filter((p) => p.namespace === 'kube-system' && p.name.startsWith('svclb-web-'));
    assert.equal(pods.length, 3);
    for (const pod of pods) {
      assert.equal(pod.stack.config.forwarding, true, 'sysctl net.ipv4.ip_forward=1');
      assert.equal(withoutCounters(formatIptablesSave(pod.stack.netfilter!.ruleset)), klipperGolden(vip));
      assert.ok(pod.ready, `${pod.id} is Ready`);
      assert.deepEqual(
        pod.containers.statuses.map((s) => [s.name, s.running, s.knownImage]),
        [
          ['lb-tcp-80', true, true],
          ['lb-udp-53', true, true],
        ],
      );
    }
  });

  it('status.loadBalancer.ingress: nodes with a Ready svclb pod, InternalIPs sorted as strings', async () => {
    const c = await buildCluster(plan(clusterYaml()));
    const svc = c.plan.services.find((s) => s.name === 'web')!;
    assert.deepEqual(loadBalancerIngress(c, svc), ['192.168.56.100', '192.168.56.11', '192.168.56.9']);
    const clash = await buildCluster(plan(clusterYaml({ extra: HOSTPORT_POD })));
    assert.deepEqual(
      loadBalancerIngress(
        clash,
        clash.plan.services.find((s) => s.name === 'web')!,
      ),
      ['192.168.56.100', '192.168.56.11'],
      'agent-a (192.168.56.9) has no svclb pod',
    );
    const local = await buildCluster(plan(clusterYaml({ local: true })));
    assert.deepEqual(
      loadBalancerIngress(
        local,
        local.plan.services.find((s) => s.name === 'web')!,
      ),
      ['192.168.56.100'],
      'Local: only agent-b runs a ready endpoint',
    );
    const kubeDns = c.plan.services.find((s) => s.name === 'kube-dns')!;
    assert.deepEqual(loadBalancerIngress(c, kubeDns), []);
  });

  it('the data path: a node address ServiceLB does not advertise -> portmap DNAT -> svclb pod -> DNAT to the ClusterIP, masqueraded', async () => {
    const c = await buildCluster(plan(clusterYaml()));
    const vip = c.plan.services.find((s) => s.name === 'web')!.clusterIP!;
    const node = c.nodes.get('agent-a')!;
    const pod = [...c.pods.values()].find((p) => p.name.startsWith('svclb-web-') && p.node === 'agent-a')!;
    const laptop = c.outside.get('laptop')!;
    // the advertised node IPs are kube-proxy's (its "loadbalancer IP" rules come first in PREROUTING); the
    // node's cni0 address is local too but not advertised, so only the hostPort (portmap) catches it. The
    // laptop routes the node's pod subnet via the node, as `ip route add 10.42.x.0/24 via NODE` would.
    const gw = (flannelOf(node).lease.subnet.addr + 1) >>> 0;
    laptop.stack.routes.add({ dst: flannelOf(node).lease.subnet.addr, len: 24, via: node.ip, dev: 'eth0' });
    const rec = new TraceRecorder();
    c.network.tracer = rec;
    laptop.tcp.connect(gw, 80);
    c.engine.runUntilIdle(5e9);
    c.network.tracer = undefined;
    // the first SYN's rewrites, as the trace tells them: portmap on the node, then klipper-lb in the pod
    const notes = rec.events.flatMap((e) =>
      e.kind === 'note' && /: (DNAT|MASQUERADE) /.test(e.message) ? [`${e.device}: ${e.message}`] : [],
    );
    const l = formatIpv4(laptop.ip);
    const v = formatIpv4(vip);
    const podIp = formatIpv4(pod.ip);
    assert.match(
      notes[0]!,
      new RegExp(
        `^agent-a: iptables -t nat CNI-DN-[0-9a-f]+: DNAT ${formatIpv4(gw).replaceAll('.', '\\.')}:80 -> ${podIp.replaceAll('.', '\\.')}:80 by "-A CNI-DN-`,
      ),
    );
    assert.equal(
      notes[1],
      `${pod.stack.name}: iptables -t nat PREROUTING: DNAT ${podIp}:80 -> ${v}:80 by "-A PREROUTING -p tcp -m tcp --dport 80 -j DNAT --to-destination ${v}:80"`,
    );
    assert.match(
      notes[2]!,
      new RegExp(
        `^${pod.stack.name}: iptables -t nat POSTROUTING: MASQUERADE ${l.replaceAll('.', '\\.')}:\\d+ -> ${podIp.replaceAll('.', '\\.')}:\\d+ by "-A POSTROUTING -d ${v.replaceAll('.', '\\.')}/32 -p tcp -j MASQUERADE"$`,
      ),
    );
    const conns = pod.stack.netfilter!.conntrack.entries(c.engine.now).filter((x) => x.orig.proto === 6);
    assert.equal(conns.length, 1, 'one TCP connection tracked in the svclb pod');
    const ct = conns[0]!;
    // portmap already DNATed node:80 to the pod; the pod DNATs to the ClusterIP and masquerades to itself
    assert.deepEqual(
      [formatIpv4(ct.orig.src), formatIpv4(ct.orig.dst), ct.orig.dport],
      [formatIpv4(laptop.ip), formatIpv4(pod.ip), 80],
    );
    assert.deepEqual(
      [formatIpv4(ct.reply.src), ct.reply.sport, formatIpv4(ct.reply.dst)],
      [formatIpv4(vip), 80, formatIpv4(pod.ip)],
    );
    const nat = pod.stack.netfilter!.ruleset.nat;
    const hits = (chain: string, re: RegExp) => nat.get(chain)!.rules.find((r) => re.test(r.text))!.packets;
    assert.equal(hits('PREROUTING', /--dport 80 -j DNAT/), 1, 'the SYN took the DNAT rule');
    assert.equal(hits('POSTROUTING', /-p tcp -j MASQUERADE/), 1, 'and the MASQUERADE rule');
    assert.ok(pod.stack.forwarded >= 1, 'the pod forwarded it out of eth0');
  });

  it("laptop -> an advertised node IP:80: kube-proxy's loadbalancer IP rule takes it, not the svclb pod (k3s discussion #9927)", async () => {
    const c = await buildCluster(plan(clusterYaml()));
    const node = c.nodes.get('agent-a')!;
    const svclb = [...c.pods.values()].find((p) => p.name.startsWith('svclb-web-') && p.node === 'agent-a')!;
    const laptop = c.outside.get('laptop')!;
    let seen = 'nothing';
    const s = laptop.tcp.connect(node.ip, 80);
    s.on('connect', () => (seen = 'connected'));
    s.on('close', (why) => (seen = seen === 'connected' ? seen : `closed: ${why}`));
    c.engine.runUntilIdle(5e9);
    assert.equal(seen, 'connected');
    const lbRule = [...node.stack.netfilter!.ruleset.nat.get('KUBE-SERVICES')!.rules].find(
      (r) => r.text.includes(`-d ${formatIpv4(node.ip)}/32 -p tcp`) && r.text.includes('loadbalancer IP'),
    )!;
    assert.match(lbRule.text, /-m comment --comment "default\/web:\w+ loadbalancer IP" -m tcp --dport 80 -j KUBE-EXT-/);
    assert.equal(lbRule.packets, 1, 'the SYN took the loadbalancer IP rule');
    assert.equal(svclb.stack.netfilter!.conntrack.entries(c.engine.now).length, 0, 'the svclb pod saw nothing');
  });
});
