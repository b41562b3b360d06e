/**
 * port-forward's choice of pod and ports, against kubectl's rules (kubectl/pkg/cmd/portforward/portforward.go
 * translateServicePortToTargetPort, convertPodNamedPortToNumber, checkUDPPortIn*; kubectl/pkg/util
 * service_port.go) and its messages.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadCluster } from '../scenario/manifests.js';
import { buildCluster, type ClusterRuntime } from '../cluster/runtime.js';
import { parsePortArg, parseResourceArg, resolveTarget, type PortArg } from './port-forward-target.js';

const DOCS = [
  `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: pf }
spec:
  nodes: [{ name: n1, address: 192.168.56.11/24, role: server }, { name: n2, address: 192.168.56.12/24, role: agent }]`,
  `apiVersion: apps/v1
kind: Deployment
metadata: { name: echo }
spec:
  replicas: 2
  selector: { matchLabels: { app: echo } }
  template:
    metadata: { labels: { app: echo } }
    spec:
      containers:
        - { name: echo, image: hashicorp/http-echo, args: ["-text=hi"], ports: [{ name: web, containerPort: 5678 }] }`,
  `apiVersion: v1
kind: Service
metadata: { name: echo }
spec:
  selector: { app: echo }
  ports: [{ name: http, port: 80, targetPort: web }, { name: alt, port: 8080, targetPort: 5678 }, { name: syslog, port: 514, protocol: UDP }]`,
  `apiVersion: v1
kind: Service
metadata: { name: manual }
spec: { ports: [{ port: 80 }] }`,
];

let c: ClusterRuntime;
before(async () => {
  const r = loadCluster([{ file: 'pf.yaml', text: DOCS.join('\n---\n') }]);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  c = await buildCluster(r.cluster.plan);
  c.engine.runFor(60e9);
});

/** The error text of a parse or resolve result, '' when it succeeded. */
function errorOf(x: unknown): string {
  return typeof x === 'string' ? x : '';
}

function ports(...args: string[]): PortArg[] {
  return args.map((a) => {
    const p = parsePortArg(a);
    assert.ok(typeof p !== 'string', `${a}: ${JSON.stringify(p)}`);
    return p;
  });
}

function resolve(res: string, ns: string, ...args: string[]) {
  const r = parseResourceArg(res);
  assert.ok(typeof r !== 'string', errorOf(r));
  return resolveTarget(c, r, ns, ports(...args));
}

test('port arguments: [LOCAL:]REMOTE as kubectl reads them', () => {
  assert.deepEqual(parsePortArg('18080:80'), { local: 18080, remote: '80' });
  assert.deepEqual(parsePortArg(':80'), { local: 0, remote: '80' });
  assert.deepEqual(parsePortArg('80'), { local: 80, remote: '80' });
  assert.deepEqual(parsePortArg('http'), { local: undefined, remote: 'http' });
  assert.deepEqual(parsePortArg('8443:https'), { local: 8443, remote: 'https' });
  for (const bad of ['1:2:3', '80:', '0', '8080:70000', 'x:80', '70000:80', 'Bad_Name'])
    assert.equal(typeof parsePortArg(bad), 'string', bad);
});

test('resource arguments: TYPE/NAME, pod by default', () => {
  assert.deepEqual(parseResourceArg('svc/web'), { kind: 'service', name: 'web' });
  assert.deepEqual(parseResourceArg('service/web'), { kind: 'service', name: 'web' });
  assert.deepEqual(parseResourceArg('deploy/web'), { kind: 'deployment', name: 'web' });
  assert.deepEqual(parseResourceArg('web-0'), { kind: 'pod', name: 'web-0' });
  assert.equal(typeof parseResourceArg('configmap/x'), 'string');
  assert.equal(typeof parseResourceArg('svc/'), 'string');
});

test('svc/NAME: one of its pods, and the Service port becomes that pod targetPort (by name or number)', () => {
  const t = resolve('svc/echo', 'default', '18080:80', ':alt', 'http');
  assert.ok(typeof t !== 'string', errorOf(t));
  assert.equal(t.pod.labels['app'], 'echo');
  // the first by name among equally ready pods
  const names = [...c.pods.values()].filter((p) => p.labels['app'] === 'echo').map((p) => p.name);
  assert.equal(t.pod.name, [...names].sort()[0]);
  // 80 -> targetPort "web" -> 5678; "alt" is Service port 8080 -> 5678 on a free local port; a bare named
  // port keeps the Service port's number locally (kubectl: localPort = svcPort when LOCAL was not given)
  assert.deepEqual(t.ports, [
    { local: 18080, remote: 5678 },
    { local: 0, remote: 5678 },
    { local: 80, remote: 5678 },
  ]);
});

test('deployment/NAME and pod/NAME: container ports, named ones by number', () => {
  const d = resolve('deployment/echo', 'default', '9000:5678');
  assert.ok(typeof d !== 'string', errorOf(d));
  assert.equal(d.pod.labels['app'], 'echo');
  const p = resolve(`pod/${d.pod.name}`, 'default', 'web');
  assert.ok(typeof p !== 'string', errorOf(p));
  assert.equal(p.pod, d.pod);
  assert.deepEqual(p.ports, [{ local: 5678, remote: 5678 }]);
});

test('svc/kube-dns in kube-system: port 53 is TCP too, so it is allowed and goes to the coredns pod', () => {
  const t = resolve('svc/kube-dns', 'kube-system', ':53');
  assert.ok(typeof t !== 'string', errorOf(t));
  assert.match(t.pod.name, /^coredns-/);
  assert.deepEqual(t.ports, [{ local: 0, remote: 53 }]);
});

test("errors use kubectl's words", () => {
  assert.equal(resolve('svc/echo', 'default', '8081:81'), 'Service echo does not have a service port 81');
  assert.equal(resolve('svc/echo', 'default', 'nope'), "Service 'echo' does not have a named port 'nope'");
  assert.equal(resolve('svc/echo', 'default', '514'), 'UDP protocol is not supported for 514');
  assert.equal(resolve('svc/missing', 'default', '80'), 'services "missing" not found');
  assert.equal(resolve('svc/kube-dns', 'default', '53'), 'services "kube-dns" not found');
  assert.equal(resolve('pod/missing', 'default', '80'), 'pods "missing" not found');
  assert.equal(resolve('deployment/missing', 'default', '80'), 'deployments.apps "missing" not found');
  assert.match(errorOf(resolve('svc/manual', 'default', '80')), /Service is defined without a selector/);
  const d = resolve('deployment/echo', 'default', '80');
  assert.ok(typeof d !== 'string');
  assert.equal(
    resolve(`pod/${d.pod.name}`, 'default', '1:nope'),
    `Pod '${d.pod.name}' does not have a named port 'nope'`,
  );
});
