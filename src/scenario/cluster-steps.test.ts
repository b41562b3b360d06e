import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster } from './manifests.js';
import { buildCluster } from '../cluster/runtime.js';
import { runClusterSteps } from './cluster-run.js';

const HEAD = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: steps }
spec:
  nodes:
    - { name: server, address: 192.168.56.11/24, role: server }
    - { name: agent, address: 192.168.56.12/24, role: agent }
  disable: [coredns, traefik]
  steps:
`;

const POD = `---
apiVersion: v1
kind: Pod
metadata: { name: a }
spec:
  nodeName: agent
  containers: [{ name: c, image: 'busybox:1.36' }]
`;

function load(steps: string) {
  return loadCluster([{ file: 'steps.yaml', text: HEAD + steps + POD }]);
}

async function run(steps: string, budgets = {}) {
  const r = load(steps);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => `${e.line}:${e.field}: ${e.message}`).join('\n'));
  const rt = await buildCluster(r.cluster.plan);
  return runClusterSteps(rt, r.cluster.run, { file: 'steps.yaml', budgets });
}

describe('cluster steps: reading', () => {
  it('reports every bad step with its line and field', () => {
    const r = load(
      [
        '    - frobnicate: {}', // 10
        '    - { wait: 1s, delete: { pod: a } }', // 11
        '    - scale: { deployment: web, replicas: -1 }', // 12
        '    - addNode: { name: Bad_Name, address: 10.0.0.1 }', // 13
        '    - exec: { node: a, command: "echo \'oops" }', // 14
        '    - wait: 1s', // 15
        '      expect: { received: 1 }', // 16
        '    - removeNode: { name: agent, revokeLease: maybe }', // 17
        '',
      ].join('\n'),
    );
    assert.equal(r.ok, false);
    const got = r.ok ? [] : r.errors.map((e) => `${e.line} ${e.field}: ${e.message}`);
    const want: [number, string, RegExp][] = [
      [
        10,
        'spec.steps[0]',
        /a step has exactly one of: ping, exec, wait, show, scale, delete, addNode, removeNode, restart \(found none\)/,
      ],
      [10, 'spec.steps[0].frobnicate', /unknown field/],
      [11, 'spec.steps[1]', /exactly one of: .* \(found wait, delete\)/],
      [12, 'spec.steps[2].scale.replicas', /0/],
      [13, 'spec.steps[3].addNode.name', /invalid node name "Bad_Name"/],
      [13, 'spec.steps[3].addNode.address', /an address with its prefix/],
      [14, 'spec.steps[4].exec.command', /unbalanced quotes/],
      [16, 'spec.steps[5].expect.received', /unknown field/],
      [17, 'spec.steps[6].removeNode.revokeLease', /./],
    ];
    for (const [line, field, message] of want)
      assert.ok(
        got.some((g) => g.startsWith(`${line} ${field}:`) && message.test(g)),
        `no error ${line} ${field} ${message}; got:\n${got.join('\n')}`,
      );
  });
});

describe('cluster steps: running', () => {
  it('runs in order and checks expectations; a name that is not there fails the step, naming what is', async () => {
    const res = await run(
      [
        '    - exec: { node: a, command: cat /etc/resolv.conf }',
        '      expect: { status: 0, contains: [nameserver 10.43.0.10] }',
        '    - ping: { from: a, to: 192.168.56.11, count: 2 }',
        '      expect: { received: 2, loss: 0% }',
        '    - ping: { from: a, to: 192.168.56.99, count: 1 }',
        '      expect: { received: 1 }',
        '    - exec: { node: b, command: ip route }',
        '    - show: { routes: server }',
        '      expect: { contains: [10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink], notContains: [proto flannel] }',
        '    - wait: 90s',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      res.steps.map((s) => [s.name, s.ok]),
      [
        ['exec on a: cat /etc/resolv.conf', true],
        ['ping a -> 192.168.56.11', true],
        ['ping a -> 192.168.56.99', false],
        ['exec on b: ip route', false],
        ['show routes of server', true],
        ['wait 90s', true],
      ],
    );
    assert.equal(res.steps[0]!.where, 'steps.yaml:10');
    assert.deepEqual(res.steps[2]!.failures, ['0 replies received, expected 1']);
    assert.match(
      res.steps[3]!.failures[0]!,
      /^no pod, node or outside machine named b \(pods: default\/a; nodes: server, agent; outside: internet\)$/,
    );
    assert.equal(res.ok, false);
  });

  it('a budget stops a step and the steps after it are not run', async () => {
    const res = await run(['    - ping: { from: a, to: 192.168.56.11, count: 50 }', '    - wait: 1s', ''].join('\n'), {
      maxSimTime: 5e9,
    });
    assert.match(
      res.steps[0]!.stopped!,
      /^step 1 \(ping a -> 192\.168\.56\.11\) stopped: simulated-time budget of 5s exhausted/,
    );
    assert.deepEqual(res.notRun, ['wait 1s']);
  });

  it('a change that cannot be made fails its step with the reason', async () => {
    const res = await run(
      ['    - removeNode: nowhere', '    - scale: { deployment: web, replicas: 2 }', ''].join('\n'),
    );
    assert.match(res.steps[0]!.failures[0]!, /^node nowhere not found \(nodes: server, agent\)$/);
    assert.match(res.steps[1]!.failures[0]!, /^deployment default\/web not found/);
  });
});
