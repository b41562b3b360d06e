/**
 * spec.loadBalancerSourceRanges on a running k3s-like cluster: two outside clients on the node network, a
 * LoadBalancer Service that allows only the laptop's /32. The laptop's SYN to an advertised node IP goes
 * KUBE-SERVICES -> KUBE-FW- -> KUBE-EXT- and connects; the other client's falls out of KUBE-FW- without a
 * DNAT and KUBE-PROXY-FIREWALL drops it in filter INPUT, so it gets no answer at all (DROP, not REJECT).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster, readManifestDocs } from '../scenario/manifests.js';
import { formatSpecError, loadYaml } from '../scenario/source.js';
import { formatCidr, formatIpv4 } from '../wire/addr.js';
import type { Service } from './k8s-objects.js';
import { TraceRecorder } from '../observe/recorder.js';
import { buildCluster, type ClusterRuntime } from './runtime.js';

const YAML = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: fw }
spec:
  seed: 7
  nodes:
    - { name: server, address: 192.168.56.11/24, role: server }
    - { name: agent, address: 192.168.56.12/24, role: agent }
  disable: [traefik]
  outsideClients:
    - { name: laptop, address: 192.168.56.50/24 }
    - { name: stranger, address: 192.168.56.60/24 }
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
      nodeName: agent
      containers: [{ name: web, image: nginx, ports: [{ containerPort: 80 }] }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  type: LoadBalancer
  selector: { app: web }
  loadBalancerSourceRanges: [192.168.56.50/32]
  ports: [{ name: http, port: 80 }]
`;

async function cluster(): Promise<ClusterRuntime> {
  const r = loadCluster([{ file: 'fw.yaml', text: YAML }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return buildCluster(r.cluster.plan);
}

function connect(c: ClusterRuntime, client: string, dst: number): string {
  let seen = 'no answer';
  const s = c.outside.get(client)!.tcp.connect(dst, 80);
  s.on('connect', () => (seen = 'connected'));
  s.on('close', (why) => (seen = seen === 'connected' ? seen : `closed: ${why}`));
  c.engine.runUntilIdle(5e9);
  return seen;
}

function read(text: string): { errors: string[]; services: Service[] } {
  const loaded = loadYaml('svc.yaml', text);
  assert.ok(loaded.ok);
  const m = readManifestDocs(loaded.docs);
  return {
    errors: m.errors.map(formatSpecError),
    services: m.objects.filter((o): o is Service => o.kind === 'Service'),
  };
}

describe('spec.loadBalancerSourceRanges in manifests and the plan', () => {
  it('is read as masked IP ranges; bad entries and non-LoadBalancer Services are errors with file:line:col', () => {
    const ok = read(
      'kind: Service\napiVersion: v1\nmetadata: { name: a }\nspec:\n  type: LoadBalancer\n  ports: [{ port: 80 }]\n  loadBalancerSourceRanges: [" 10.1.2.3/8 ", 192.168.56.50/32]\n',
    );
    assert.deepEqual(ok.errors, []);
    assert.deepEqual(ok.services[0]!.spec.loadBalancerSourceRanges!.map(formatCidr), [
      '10.0.0.0/8',
      '192.168.56.50/32',
    ]);
    const bad = read(
      [
        'kind: Service', // 1
        'apiVersion: v1', // 2
        'metadata: { name: b }', // 3: columns on line 6: [ at 29, 10.0.0.1 at 42, 10.0.0.0/33 at 52
        'spec:', // 4
        '  ports: [{ port: 80 }]', // 5
        '  loadBalancerSourceRanges: [10.0.0.0/8, 10.0.0.1, 10.0.0.0/33]', // 6
      ].join('\n'),
    );
    assert.deepEqual(bad.errors, [
      "svc.yaml:6:29: spec.loadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'",
      'svc.yaml:6:42: spec.loadBalancerSourceRanges[1]: "10.0.0.1" is not an IP range (spec.loadBalancerSourceRanges must be a list of IP ranges, e.g. 10.240.0.0/24)',
      'svc.yaml:6:52: spec.loadBalancerSourceRanges[2]: "10.0.0.0/33" is not an IP range (spec.loadBalancerSourceRanges must be a list of IP ranges, e.g. 10.240.0.0/24)',
    ]);
  });

  it('reaches the plan, and ServiceLB gives klipper-lb the ranges as SRC_RANGES (servicelb.go, space-separated)', () => {
    const r = loadCluster([
      { file: 'fw.yaml', text: YAML.replace('[192.168.56.50/32]', '[192.168.56.50/32, 10.9.0.0/16]') },
    ]);
    assert.ok(r.ok);
    const web = r.cluster.plan.services.find((x) => x.name === 'web')!;
    assert.deepEqual(web.loadBalancerSourceRanges!.map(formatCidr), ['192.168.56.50/32', '10.9.0.0/16']);
    const svclb = r.cluster.plan.pods.find((p) => p.name.startsWith('svclb-web-'))!;
    const env = svclb.spec.containers[0]!.env!;
    assert.deepEqual(
      env.find((e) => e.name === 'SRC_RANGES'),
      { name: 'SRC_RANGES', value: '192.168.56.50/32 10.9.0.0/16' },
    );
  });
});

describe('kube-proxy loadBalancerSourceRanges on a running cluster', () => {
  it('the laptop inside the range connects to node:80 through KUBE-FW-', async () => {
    const c = await cluster();
    const node = c.nodes.get('server')!;
    assert.equal(connect(c, 'laptop', node.ip), 'connected');
    const nat = node.stack.netfilter!.ruleset.nat;
    const fw = [...nat.keys()].find((k) => k.startsWith('KUBE-FW-'))!;
    const rules = nat.get(fw)!.rules;
    assert.equal(
      rules[0]!.text,
      `-A ${fw} -s 192.168.56.50/32 -m comment --comment "default/web:http loadbalancer IP" -j ${fw.replace('KUBE-FW-', 'KUBE-EXT-')}`,
    );
    assert.equal(rules[0]!.packets, 1, 'the SYN took the range rule');
  });

  it('a client outside the range gets no answer: it falls out of KUBE-FW-, and the svclb pod drops it', async () => {
    const c = await cluster();
    const node = c.nodes.get('server')!;
    const rec = new TraceRecorder();
    c.network.tracer = rec;
    assert.equal(connect(c, 'stranger', node.ip), 'no answer');
    c.network.tracer = undefined;
    const nat = node.stack.netfilter!.ruleset.nat;
    const fw = [...nat.keys()].find((k) => k.startsWith('KUBE-FW-'))!;
    const fwRules = nat.get(fw)!.rules;
    assert.equal(fwRules[0]!.packets, 0, 'not from the allowed range');
    assert.equal(fwRules.at(-1)!.packets, 1, 'the first SYN fell through to the comment-only rule, not DNATed');
    // nat PREROUTING goes on after KUBE-SERVICES: portmap's hostPort DNAT sends node:80 to the svclb pod, so
    // the packet is no longer to the load-balancer IP when filter FORWARD's KUBE-PROXY-FIREWALL sees it; what
    // drops it is klipper-lb's FORWARD, whose ACCEPT now only allows SRC_RANGES (servicelb.go sets them)
    const kpf = node.stack.netfilter!.ruleset.filter.get('KUBE-PROXY-FIREWALL')!.rules;
    const drop = kpf.find((r) => r.text.includes(`-d ${formatIpv4(node.ip)}/32`))!;
    assert.match(drop.text, /"default\/web:http traffic not accepted by KUBE-FW-\w+" -m tcp --dport 80 -j DROP$/);
    assert.equal(drop.packets, 0);
    const svclb = [...c.pods.values()].find((p) => p.name.startsWith('svclb-web-') && p.node === 'server')!;
    const fwd = svclb.stack.netfilter!.ruleset.filter.get('FORWARD')!.rules.map((r) => [r.text, r.packets]);
    assert.deepEqual(fwd, [
      ['-A FORWARD -s 192.168.56.50/32 -p tcp -m tcp --dport 80 -j ACCEPT', 0],
      [
        `-A FORWARD -d ${formatIpv4(c.plan.services.find((x) => x.name === 'web')!.clusterIP!)}/32 -p tcp -m tcp --dport 80 -j DROP`,
        3,
      ],
    ]);
    const drops = rec.events.flatMap((e) => (e.kind === 'drop' ? [`${e.device} ${e.reason}: ${e.detail}`] : []));
    // the SYN and its two retransmissions within 5 s (1 s, then 2 s: RFC 6298's initial RTO, doubled)
    assert.deepEqual(drops, Array(3).fill(`${svclb.stack.name} policy: filter FORWARD: DROP by FORWARD rule 2`));
  });
});
