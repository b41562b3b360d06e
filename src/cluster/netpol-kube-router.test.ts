/**
 * k3s's kube-router network policy controller on a running two-node Flannel cluster: namespaces x and y,
 * x/a (nginx, a Deployment) and x/c on the server, y/b on the agent. Policies in x: deny (every pod,
 * ingress, no rule) and allow-b (x/a from pod=b in namespace y on TCP 80); in y: egress-b (y/b may only
 * reach pod=a in x on TCP 80). What a person would check: who connects, that the refusal is kube-router's
 * REJECT in the pod's chain with the policy named, that replies and the node's own traffic pass, that ping
 * passes (kube-router's KUBE-NWPLCY-COMMON accepts echo requests), and that a pod added later is covered.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster } from '../scenario/manifests.js';
import { parseCidr, parseIpv4, type Ipv4 } from '../wire/addr.js';
import { TraceRecorder } from '../observe/recorder.js';
import { ping } from '../apps/ping.js';
import { buildCluster, type ClusterRuntime } from './runtime.js';
import { addNode, scaleDeployment } from './lifecycle.js';
import type { KubeRouterNetpol } from './netpol-kube-router.js';
import type { TcpStack } from '../transport/tcp.js';
import { NETPOL_CLUSTER as CLUSTER, NETPOL_POLICIES as POLICIES } from './netpol-kube-router-testing.js';

async function cluster(text: string): Promise<ClusterRuntime> {
  const r = loadCluster([{ file: 'netpol.yaml', text }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return buildCluster(r.cluster.plan);
}

const podNamed = (c: ClusterRuntime, ns: string, prefix: string) =>
  [...c.pods.values()].find((p) => p.namespace === ns && p.name.startsWith(prefix))!;

/** Opens a TCP connection and runs the cluster 5 s: "connected", "closed: ..." or "no answer". */
function connect(c: ClusterRuntime, tcp: TcpStack, dst: Ipv4, port: number): string {
  let seen = 'no answer';
  const s = tcp.connect(dst, port);
  s.on('connect', () => (seen = 'connected'));
  s.on('close', (why) => (seen = seen === 'connected' ? seen : `closed: ${why}`));
  c.engine.runUntilIdle(c.engine.now + 5e9);
  return seen;
}

function pingOnce(c: ClusterRuntime, from: ReturnType<typeof podNamed>, dst: Ipv4): number {
  let received = -1;
  ping(from.stack, dst, { count: 1 }, (r) => (received = r.received));
  c.engine.runUntilIdle(c.engine.now + 5e9);
  return received;
}

describe('kube-router enforces NetworkPolicy on a Flannel cluster', () => {
  it('without policies every pod reaches every other', async () => {
    const c = await cluster(CLUSTER);
    assert.equal(c.policy?.kind, 'kube-router');
    const a = podNamed(c, 'x', 'a-');
    assert.equal(connect(c, podNamed(c, 'y', 'b').tcp, a.ip, 80), 'connected');
    assert.equal(connect(c, podNamed(c, 'x', 'c').tcp, a.ip, 80), 'connected');
    assert.equal(pingOnce(c, podNamed(c, 'y', 'b'), a.ip), 1);
  });

  it('only the allowed peer gets in; the others are REJECTed by the pod chain, which names the policies', async () => {
    const c = await cluster(CLUSTER + POLICIES);
    const a = podNamed(c, 'x', 'a-');
    const b = podNamed(c, 'y', 'b');
    const xc = podNamed(c, 'x', 'c');
    // y/b on the other node: egress-b lets it out, allow-b lets it in; the SYN-ACK comes back (conntrack)
    assert.equal(connect(c, b.tcp, a.ip, 80), 'connected');
    const rec = new TraceRecorder();
    c.network.tracer = rec;
    // x/c on the same node: bridged through cni0, and no rule of x's policies allows it
    assert.match(connect(c, xc.tcp, a.ip, 80), /^closed: /);
    c.network.tracer = undefined;
    const drops = rec.events.flatMap((e) => (e.kind === 'drop' ? [e.detail] : []));
    assert.ok(drops.length > 0, 'the SYN was dropped');
    const fw = [...c.nodes.get('server')!.stack.netfilter!.ruleset.filter.keys()].filter((k) =>
      k.startsWith('KUBE-POD-FW-'),
    );
    const chain = fw.find((k) =>
      c.nodes
        .get('server')!
        .stack.netfilter!.ruleset.filter.get(k)!
        .rules.some((r) => r.comment === `rule to REJECT traffic destined for POD name:${a.name} namespace: x`),
    )!;
    assert.equal(
      drops[0],
      `filter FORWARD: REJECT with icmp-port-unreachable by ${chain} rule 7 ("rule to REJECT traffic destined for POD name:${a.name} namespace: x"): ` +
        `dropped by deny, allow-b in namespace x: x/${a.name} is selected for ingress and no rule allows TCP 80 from x/c`,
    );
    // another port from the allowed pod: egress-b refuses it on the agent first
    assert.match(connect(c, b.tcp, a.ip, 81), /^closed: /);
  });

  it("traffic from the pod's own node is accepted; ping passes (KUBE-NWPLCY-COMMON); egress is enforced", async () => {
    const c = await cluster(CLUSTER + POLICIES);
    const a = podNamed(c, 'x', 'a-');
    assert.equal(connect(c, c.nodes.get('server')!.tcp, a.ip, 80), 'connected');
    assert.equal(pingOnce(c, podNamed(c, 'y', 'b'), a.ip), 1);
    const rec = new TraceRecorder();
    c.network.tracer = rec;
    // y/b to the internet: only pod=a on 80 is allowed out
    assert.match(connect(c, podNamed(c, 'y', 'b').tcp, parseIpv4('1.1.1.1')!, 80), /^closed: /);
    c.network.tracer = undefined;
    const drop = rec.events.find((e) => e.kind === 'drop');
    assert.ok(drop?.kind === 'drop');
    assert.match(drop.detail, /^filter FORWARD: REJECT with icmp-port-unreachable by KUBE-POD-FW-\w+ rule \d+ /);
    assert.match(
      drop.detail,
      /dropped by egress-b in namespace y: y\/b is selected for egress and no rule allows TCP 80 to 1\.1\.1\.1$/,
    );
  });

  it('a pod added later gets its chain and joins the sets; an old sync leaves no chain or set behind', async () => {
    const c = await cluster(CLUSTER + POLICIES);
    const nf = c.nodes.get('server')!.stack.netfilter!;
    const before = [...nf.ruleset.filter.keys()].filter((k) => k.startsWith('KUBE-POD-FW-')).length;
    scaleDeployment(c, 'x/a', 2);
    c.engine.runUntilIdle(c.engine.now + 1e9);
    const pods = [...c.pods.values()].filter((p) => p.namespace === 'x' && p.name.startsWith('a-'));
    assert.equal(pods.length, 2);
    const fw = [...nf.ruleset.filter.keys()].filter((k) => k.startsWith('KUBE-POD-FW-'));
    assert.equal(fw.length, before + 1, "one chain per local pod, the old sync's chains gone");
    const fresh = pods.find((p) => p.ip !== podNamed(c, 'x', 'a-').ip) ?? pods[1]!;
    assert.ok(
      nf.ipsets.all().some((s) => s.name.startsWith('KUBE-DST-') && s.has(fresh.ip)),
      "the new pod is in allow-b's destination set",
    );
    assert.ok(!nf.ipsets.all().some((s) => s.name.startsWith('TMP-')), 'no temporary set left');
    // the jumps and the explicit ACCEPT went into the built-in chains once, however many syncs ran
    for (const b of ['INPUT', 'FORWARD', 'OUTPUT']) {
      const texts = nf.ruleset.filter.get(b)!.rules.map((r) => r.text);
      assert.equal(texts.filter((t) => t.includes('kube-router netpol - ')).length, 1, b);
      assert.equal(texts.filter((t) => t.includes('explicitly ACCEPT')).length, 1, b);
    }
    assert.ok((c.policy as KubeRouterNetpol).syncs.get('server')! >= 2);
    assert.equal(connect(c, podNamed(c, 'y', 'b').tcp, fresh.ip, 80), 'connected');
    assert.match(connect(c, podNamed(c, 'x', 'c').tcp, fresh.ip, 80), /^closed: /);
    const fp = c.policy!.footprint('server');
    assert.ok(fp.rules > 50 && fp.ipsetEntries > 3, JSON.stringify(fp));
  });

  it('a node that joins later is programmed and its drops are explained', async () => {
    const c = await cluster(CLUSTER + POLICIES);
    await addNode(c, { name: 'agent2', address: parseCidr('192.168.56.13/24')!, role: 'agent', labels: {} });
    c.engine.runUntilIdle(c.engine.now + 1e9);
    const nf = c.nodes.get('agent2')!.stack.netfilter!;
    assert.ok([...nf.ruleset.filter.keys()].some((k) => k.startsWith('KUBE-NWPLCY-')));
    assert.equal(nf.ruleset.filter.get('FORWARD')!.rules[0]!.text.includes('KUBE-ROUTER-FORWARD'), true);
    assert.ok(c.policy!.footprint('agent2').rules > 10);
  });

  it('spec.disable: [network-policy] leaves policy unenforced', async () => {
    const c = await cluster(
      CLUSTER.replace(
        'disable: [traefik, servicelb, coredns]',
        'disable: [traefik, servicelb, coredns, network-policy]',
      ) + POLICIES,
    );
    assert.equal(c.policy, undefined);
    assert.equal(connect(c, podNamed(c, 'x', 'c').tcp, podNamed(c, 'x', 'a-').ip, 80), 'connected');
  });
});
