/**
 * Felix enforcing policy on a running two-node Calico cluster (examples/cluster-calico-ipip.yaml's shape:
 * IP-in-IP, one pool per node): TCP connections and pings between pods in namespaces x and y, with
 * Kubernetes NetworkPolicy and Calico's own GlobalNetworkPolicy. What a person checks: a default-deny
 * blocks and the drop names the node, the cali-tw- chain of the destination's interface, the rule number
 * and its comment, and the policy; an allow rule lets its port through and nothing else; replies come back
 * (conntrack); egress policy drops in cali-fw-; a GlobalNetworkPolicy's order, Deny and Pass decide before
 * the Kubernetes policies; `iptables-save` and `ipset list` in a node's shell show Felix's chains and sets;
 * a named port opens each pod on its own number, and its hash:ip,port set follows the pods as they come and go.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster } from '../scenario/manifests.js';
import { formatSpecError } from '../scenario/source.js';
import { TraceRecorder } from '../observe/recorder.js';
import { calicoVethName } from '../control/cni/calico.js';
import { saveTable } from '../control/cni/iptables.js';
import { buildCluster, bringUp, type ClusterPod, type ClusterRuntime } from './runtime.js';
import { ping } from '../apps/ping.js';
import { formatMember } from '../net/netfilter/ipset.js';
import { formatIpv4 } from '../wire/addr.js';
import { deletePod, scaleDeployment } from './lifecycle.js';

const HEAD = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: felix-policy }
spec:
  seed: 3
  nodes:
    - { name: master, address: 172.171.5.95/24, role: server }
    - { name: node, address: 172.171.5.96/24, role: agent }
  cni: calico
  calico: { ipipMode: Always }
  disable: [traefik, servicelb]
---
apiVersion: v1
kind: Namespace
metadata: { name: x, labels: { ns: x } }
---
apiVersion: v1
kind: Namespace
metadata: { name: y, labels: { ns: y } }
${['x', 'y']
  .flatMap((ns) =>
    [
      ['a', 'master'],
      ['b', 'node'],
    ].map(
      ([pod, node]) => `---
apiVersion: v1
kind: Pod
metadata: { name: ${pod}, namespace: ${ns}, labels: { pod: ${pod} } }
spec:
  nodeName: ${node}
  containers: [{ name: c, image: busybox:1.36, command: [sleep, infinity] }]`,
    ),
  )
  .join('\n')}
`;

async function cluster(policies: string): Promise<ClusterRuntime> {
  const r = loadCluster([{ file: 'felix-policy.yaml', text: `${HEAD}---\n${policies}` }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatSpecError).join('\n'));
  const rt = await buildCluster(r.cluster.plan);
  bringUp(rt);
  return rt;
}

function pod(rt: ClusterRuntime, id: string): ClusterPod {
  const p = rt.pods.get(id);
  assert.ok(p, id);
  return p;
}

const listening = new WeakMap<ClusterPod, Set<number>>();

/** A TCP connection from one pod to another's port: whether it was established, and the drops on the way. */
function connect(rt: ClusterRuntime, from: string, to: string, port: number): { ok: boolean; drops: string[] } {
  const src = pod(rt, from);
  const dst = pod(rt, to);
  const ports = listening.get(dst) ?? new Set();
  if (!ports.has(port)) dst.tcp.listen(port, () => {});
  ports.add(port);
  listening.set(dst, ports);
  const rec = new TraceRecorder();
  rt.network.tracer = rec;
  let ok = false;
  const s = src.tcp.connect(dst.ip, port, {}, () => (ok = true));
  rt.engine.runFor(500_000_000);
  rt.network.tracer = undefined;
  s.destroy();
  rt.engine.runFor(1_000_000);
  const drops = rec.events.flatMap((e) => (e.kind === 'drop' ? [`${e.device}: ${e.detail}`] : []));
  return { ok, drops };
}

/** One ping: whether the reply came, and the drops. */
function pingPod(rt: ClusterRuntime, from: string, to: string): { ok: boolean; drops: string[] } {
  const rec = new TraceRecorder();
  rt.network.tracer = rec;
  let received = 0;
  ping(pod(rt, from).stack, pod(rt, to).ip, { count: 1 }, (r) => (received = r.received));
  rt.engine.runFor(2_000_000_000);
  rt.network.tracer = undefined;
  return {
    ok: received === 1,
    drops: rec.events.flatMap((e) => (e.kind === 'drop' ? [`${e.device}: ${e.detail}`] : [])),
  };
}

const DENY_X = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny, namespace: x }
spec: { podSelector: {} }
`;

describe("Felix's policy on a two-node Calico cluster", () => {
  it('with no policy every pod reaches every other (the namespace profiles allow)', async () => {
    const rt = await cluster(`apiVersion: v1
kind: Namespace
metadata: { name: z }`);
    assert.equal(rt.policy?.kind, 'felix');
    for (const [from, to] of [
      ['x/a', 'x/b'],
      ['y/b', 'x/a'],
      ['x/a', 'y/a'],
    ] as const)
      assert.ok(connect(rt, from, to, 80).ok, `${from} -> ${to}`);
    assert.ok(pingPod(rt, 'x/a', 'y/b').ok);
  });

  it('a default-deny in x drops what comes in, in cali-tw- of the pod, naming the policy; x/a still goes out', async () => {
    const rt = await cluster(DENY_X);
    const r = connect(rt, 'y/b', 'x/a', 80);
    assert.equal(r.ok, false);
    const tw = `cali-tw-${calicoVethName('x', 'a')}`;
    // the 9th rule of cali-tw-: conntrack x2, mark clear, tier start, jump, return, end-of-tier drop is 7th
    assert.ok(
      r.drops.some(
        (d) =>
          d.startsWith('master: ') &&
          d.includes(`DROP by ${tw} rule 7 ("End of tier default. Drop if no policies passed packet")`) &&
          d.includes(
            'dropped by default-deny in namespace x: x/a is selected for ingress and no rule allows TCP 80 from y/b',
          ),
      ),
      r.drops.join('\n'),
    );
    // same namespace too, and on the same node
    assert.equal(connect(rt, 'x/b', 'x/a', 80).ok, false);
    // egress is not isolated, and replies come back through conntrack
    assert.ok(connect(rt, 'x/a', 'y/b', 80).ok);
    assert.ok(connect(rt, 'x/a', 'y/a', 80).ok);
    assert.ok(pingPod(rt, 'x/a', 'y/b').ok);
  });

  it('an allow rule lets its port from its peers through, and nothing else', async () => {
    const rt = await cluster(`${DENY_X}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-y-80, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress:
    - from: [{ namespaceSelector: { matchLabels: { ns: y } } }]
      ports: [{ port: 80 }]
`);
    assert.ok(connect(rt, 'y/b', 'x/a', 80).ok);
    assert.ok(connect(rt, 'y/a', 'x/a', 80).ok);
    assert.equal(connect(rt, 'y/b', 'x/a', 81).ok, false);
    assert.equal(connect(rt, 'x/b', 'x/a', 80).ok, false, 'x is not selected by the namespace selector');
    assert.equal(connect(rt, 'y/b', 'x/b', 80).ok, false, 'x/b is not selected by allow-y-80');
    assert.equal(pingPod(rt, 'y/b', 'x/a').ok, false, 'ICMP has no port: only a rule without ports allows it');
  });

  it('egress: a policy that selects x/a for egress drops in cali-fw- on its own node', async () => {
    const rt = await cluster(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: egress-81-only, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Egress]
  egress: [{ ports: [{ port: 81 }] }]
`);
    const r = connect(rt, 'x/a', 'y/b', 80);
    assert.equal(r.ok, false);
    const fw = `cali-fw-${calicoVethName('x', 'a')}`;
    assert.ok(
      r.drops.some((d) => d.startsWith('master: ') && d.includes(`DROP by ${fw} rule`) && d.includes('egress-81-only')),
      r.drops.join('\n'),
    );
    assert.ok(connect(rt, 'x/a', 'y/b', 81).ok);
    assert.ok(connect(rt, 'y/b', 'x/a', 80).ok, 'ingress to x/a is not isolated, and the reply goes out');
  });

  it('a GlobalNetworkPolicy decides by order: Deny before the Kubernetes allow, Pass skips to the profile', async () => {
    const rt = await cluster(`apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: deny-y-to-81 }
spec:
  order: 10
  selector: projectcalico.org/namespace == 'x'
  ingress:
    - action: Deny
      protocol: TCP
      source: { namespaceSelector: ns == 'y' }
      destination: { ports: [81] }
    - action: Pass
      source: { selector: pod == 'b' }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-all-in, namespace: x }
spec:
  podSelector: {}
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: y } } }] }]
`);
    // rule 1 denies y -> x:81 before the Kubernetes policy (order 1000) allows all of y
    const denied = connect(rt, 'y/a', 'x/a', 81);
    assert.equal(denied.ok, false);
    assert.ok(
      denied.drops.some((d) => d.includes('dropped by rule 1 (Deny) of GlobalNetworkPolicy deny-y-to-81')),
      denied.drops.join('\n'),
    );
    assert.ok(connect(rt, 'y/a', 'x/a', 80).ok, 'the Kubernetes policy allows y on 80');
    // rule 2 passes pods labelled b to the profile, which allows: x/b -> x/a, which allow-all-in would drop
    assert.ok(connect(rt, 'x/b', 'x/a', 80).ok);
    // y/b on 81 meets rule 1 first
    assert.equal(connect(rt, 'y/b', 'x/a', 81).ok, false);
  });

  it("iptables-save and ipset list in a node's shell show Felix's chains and sets", async () => {
    const rt = await cluster(`${DENY_X}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-y, namespace: x }
spec:
  podSelector: {}
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: y } } }] }]
`);
    const save = saveTable(rt.nodes.get('master')!.stack, 'filter');
    const tw = `cali-tw-${calicoVethName('x', 'a')}`;
    assert.match(save, new RegExp(`^-A cali-to-wl-dispatch .*-g ${tw}$`, 'm'));
    assert.match(save, /-m comment --comment "Policy x\/knp.default.allow-y ingress"/);
    // the two k8s policies of x have one selector: Felix groups them into a cali-gi- chain
    assert.match(save, new RegExp(`^-A ${tw} .*-m mark --mark 0x0/0x20000 -j cali-gi-`, 'm'));
    const sets = rt.nodes
      .get('node')!
      .stack.netfilter!.ipsets.all()
      .filter((s) => s.name.startsWith('cali40s:'));
    assert.equal(sets.length, 1);
    // the pods of y, from both nodes
    assert.deepEqual(
      sets[0]!
        .members()
        .map((m) => m.addr)
        .sort(),
      [pod(rt, 'y/a').ip, pod(rt, 'y/b').ip].sort(),
    );
    assert.ok(rt.policy!.footprint('master').rules > 40);
  });

  it('a named port: the rule opens each pod on its own number for the name, and the set follows the pods', async () => {
    const rt = await cluster(`${DENY_X}---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: x }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: w, image: busybox:1.36, command: [sleep, infinity], ports: [{ name: http, containerPort: 8080 }] }] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-http, namespace: x }
spec:
  podSelector: { matchLabels: { app: web } }
  ingress: [{ ports: [{ port: http }] }]
`);
    const webPods = (): ClusterPod[] => [...rt.pods.values()].filter((p) => p.labels.app === 'web');
    const web = webPods()[0]!;
    assert.ok(connect(rt, 'y/b', web.id, 8080).ok, 'http is 8080 on the web pod');
    assert.equal(connect(rt, 'y/b', web.id, 80).ok, false, 'and nothing else is open');
    /** The members of the named-port set on `node`, as ipset prints them ([] when there is no such set). */
    const members = (node: string): string[] => {
      const sets = rt.nodes
        .get(node)!
        .stack.netfilter!.ipsets.all()
        .filter((s) => s.name.startsWith('cali40n:'));
      assert.ok(sets.length <= 1, node);
      assert.ok(sets.every((s) => s.type === 'hash:ip,port'));
      return (sets[0]?.members() ?? []).map(formatMember).sort();
    };
    // Felix programs a policy's sets only on nodes where it selects a pod (the rules that use them are there)
    const expected = (node: string): string[] =>
      webPods().some((p) => p.node === node)
        ? webPods()
            .map((p) => `${formatIpv4(p.ip)},tcp:8080`)
            .sort()
        : [];
    const check = (when: string): void => {
      for (const n of ['master', 'node']) assert.deepEqual(members(n), expected(n), `${n} ${when}`);
    };
    check('at the start');
    assert.ok(['master', 'node'].some((n) => members(n).length === 1));
    scaleDeployment(rt, 'x/web', 3);
    rt.engine.run(rt.engine.now + 1);
    assert.equal(webPods().length, 3);
    check('after scaling to 3');
    assert.ok(
      ['master', 'node'].every((n) => members(n).length === 3),
      'both nodes have a web pod now',
    );
    const newest = webPods().find((p) => p.id !== web.id)!;
    assert.ok(connect(rt, 'y/b', newest.id, 8080).ok, 'a new pod is opened on http at once');
    deletePod(rt, web.id);
    rt.engine.run(rt.engine.now + 1);
    assert.equal(webPods().length, 3, 'the Deployment replaces the deleted pod');
    check('after a delete');
    for (const n of ['master', 'node'])
      assert.ok(!members(n).includes(`${formatIpv4(web.ip)},tcp:8080`) || webPods().some((p) => p.ip === web.ip));
  });
});
