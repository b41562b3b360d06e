/**
 * Tests for the cluster plan, from hand-written YAML: Deployment replicas named and spread like
 * Kubernetes, nodeName/nodeSelector, clusterIP and NodePort allocation rules, endpoints with named
 * targetPorts resolved per pod, and located errors for what the API server would refuse.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster, type LoadedCluster } from '../scenario/manifests.js';
import { formatSpecError } from '../scenario/source.js';
import { formatIpv4, parseIpv4 } from '../wire/addr.js';
import type { ClusterPlan, PlannedService } from './plan.js';

/** Three nodes on one switch; CoreDNS and Traefik off unless `coredns` / `traefik`. */
function clusterDoc(opts: { seed?: number; coredns?: boolean; traefik?: boolean; extra?: string[] } = {}): string {
  const disable = [...(opts.coredns ? [] : ['coredns']), ...(opts.traefik ? [] : ['traefik'])];
  return [
    'apiVersion: podnet.dev/v1alpha1',
    'kind: Cluster',
    'spec:',
    `  seed: ${opts.seed ?? 1}`,
    '  nodes:',
    '    - { name: n1, address: 192.168.56.11/24, role: server }',
    '    - { name: n2, address: 192.168.56.12/24, labels: { disktype: ssd } }',
    '    - { name: n3, address: 192.168.56.13/24 }',
    ...(disable.length > 0 ? [`  disable: [${disable.join(', ')}]`] : []),
    ...(opts.extra ?? []),
  ].join('\n');
}

function load(app: string, opts: Parameters<typeof clusterDoc>[0] = {}): LoadedCluster {
  const r = loadCluster([
    { file: 'cluster.yaml', text: clusterDoc(opts) },
    { file: 'app.yaml', text: app },
  ]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatSpecError).join('\n'));
  return r.cluster;
}

function plan(app: string, opts: Parameters<typeof clusterDoc>[0] = {}): ClusterPlan {
  return load(app, opts).plan;
}

function errorsOf(app: string, opts: Parameters<typeof clusterDoc>[0] = {}): string[] {
  const r = loadCluster([
    { file: 'cluster.yaml', text: clusterDoc(opts) },
    { file: 'app.yaml', text: app },
  ]);
  assert.ok(!r.ok, 'expected errors');
  return r.errors.map(formatSpecError);
}

function deployment(name: string, replicas: number, extraSpec: string[] = [], labels = `{ app: ${name} }`): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    `metadata: { name: ${name} }`,
    'spec:',
    `  replicas: ${replicas}`,
    `  selector: { matchLabels: ${labels} }`,
    '  template:',
    `    metadata: { labels: ${labels} }`,
    '    spec:',
    ...extraSpec.map((l) => `      ${l}`),
    `      containers: [{ name: ${name}, image: nginx, ports: [{ name: http, containerPort: 8080 }] }]`,
  ].join('\n');
}

function service(name: string, spec: string[]): string {
  return ['apiVersion: v1', 'kind: Service', `metadata: { name: ${name} }`, 'spec:', ...spec.map((l) => `  ${l}`)].join(
    '\n',
  );
}

const svc = (p: ClusterPlan, name: string): PlannedService => p.services.find((s) => s.name === name)!;
const perNode = (p: ClusterPlan): Record<string, number> =>
  Object.fromEntries(p.nodes.map((n) => [n.name, n.pods.length]));

test('a Deployment of 7 replicas spreads over 3 nodes: fewest pods first, ties by node name', () => {
  const p = plan(deployment('web', 7));
  const web = p.pods.filter((x) => x.owner?.deployment === 'web');
  assert.equal(web.length, 7);
  assert.deepEqual(
    web.map((x) => x.node),
    ['n1', 'n2', 'n3', 'n1', 'n2', 'n3', 'n1'],
  );
  assert.deepEqual(perNode(p), { n1: 3, n2: 2, n3: 2 });
});

test('replica names look like Kubernetes names and depend only on the seed and the Deployment', () => {
  const p1 = plan(deployment('web', 3));
  const names = p1.pods.map((x) => x.name);
  const hash = p1.pods[0]!.owner!.podTemplateHash;
  assert.match(hash, /^[4-9bcdf]{1,10}$/);
  for (const pod of p1.pods) {
    assert.match(pod.name, new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
    assert.equal(pod.labels['pod-template-hash'], hash);
    assert.equal(pod.labels.app, 'web');
    assert.equal(pod.owner!.name, `web-${hash}`);
  }
  assert.equal(new Set(names).size, 3);
  assert.deepEqual(
    plan(deployment('web', 3)).pods.map((x) => x.name),
    names,
    'same seed, same names',
  );
  assert.notDeepEqual(
    plan(deployment('web', 3), { seed: 2 }).pods.map((x) => x.name),
    names,
    'another seed, other names',
  );
  // Adding another Deployment before it does not rename its pods.
  const both = plan(`${deployment('api', 2)}\n---\n${deployment('web', 3)}`);
  assert.deepEqual(
    both.pods.filter((x) => x.owner?.deployment === 'web').map((x) => x.name),
    names,
  );
});

test('nodeName pins a pod; nodeSelector limits the nodes; what fits nowhere stays Pending with a located warning', () => {
  const app = [
    deployment('db', 2, ['nodeSelector: { disktype: ssd }']),
    '---',
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: { name: pinned }',
      'spec:',
      '  nodeName: n3',
      '  containers: [{ name: c, image: busybox }]',
    ].join('\n'),
    '---',
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: { name: lost }',
      'spec:',
      '  nodeName: n9',
      '  containers: [{ name: c, image: busybox }]',
    ].join('\n'),
    '---',
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: { name: picky }',
      'spec:',
      '  nodeSelector: { disktype: nvme }',
      '  containers: [{ name: c, image: busybox }]',
    ].join('\n'),
  ].join('\n');
  const loaded = load(app);
  const p = loaded.plan;
  assert.deepEqual(
    p.pods.filter((x) => x.owner?.deployment === 'db').map((x) => x.node),
    ['n2', 'n2'],
  );
  assert.equal(p.pods.find((x) => x.name === 'pinned')!.node, 'n3');
  const lost = p.pods.find((x) => x.name === 'lost')!;
  assert.equal(lost.node, undefined);
  assert.equal(lost.pendingReason, 'node "n9" not found');
  assert.equal(
    p.pods.find((x) => x.name === 'picky')!.pendingReason,
    "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
  );
  assert.deepEqual(loaded.warnings.map(formatSpecError), [
    'app.yaml:24:13: spec.nodeName: Pod default/lost stays Pending: node "n9" not found',
    "app.yaml:31:17: spec.nodeSelector: Pod default/picky stays Pending: 0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
  ]);
  assert.ok(p.nodes.find((n) => n.name === 'n1')!.labels['node-role.kubernetes.io/control-plane'] === 'true');
});

test('host ports: two pods wanting the same host port never share a node', () => {
  const p = plan(deployment('edge', 4, ['hostNetwork: true']));
  const edge = p.pods.filter((x) => x.owner?.deployment === 'edge');
  assert.deepEqual(
    edge.map((x) => x.node),
    ['n1', 'n2', 'n3', undefined],
  );
  assert.equal(
    edge[3]!.pendingReason,
    "0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports.",
  );
});

test("max-pods: 110 pods per node by default (the kubelet's and k3s's), then kube-scheduler's Too many pods", () => {
  const p = plan(deployment('big', 331));
  assert.deepEqual(perNode(p), { n1: 110, n2: 110, n3: 110 });
  const pending = p.pods.filter((x) => x.node === undefined);
  assert.equal(pending.length, 1);
  assert.equal(pending[0]!.pendingReason, '0/3 nodes are available: 3 Too many pods.');
});

test("max-pods: the Cluster's maxPodsPerNode; pinned pods past it are refused by the kubelet (OutOfpods)", () => {
  const pod = (name: string, spec: string): string =>
    [
      'apiVersion: v1',
      'kind: Pod',
      `metadata: { name: ${name} }`,
      'spec:',
      `  ${spec}`,
      '  containers: [{ name: c, image: busybox }]',
    ].join('\n');
  const app = [
    pod('pin1', 'nodeName: n1'),
    pod('pin2', 'nodeName: n1'),
    deployment('web', 3),
    pod('picky', 'nodeSelector: { disktype: ssd }'),
  ].join('\n---\n');
  const p = plan(app, { extra: ['  maxPodsPerNode: 1'] });
  const reason = (name: string): string | undefined => p.pods.find((x) => x.name === name)!.pendingReason;
  assert.deepEqual(perNode(p), { n1: 1, n2: 1, n3: 1 });
  assert.equal(p.pods.find((x) => x.name === 'pin1')!.node, 'n1');
  assert.equal(reason('pin2'), "OutOfpods: Node didn't have enough resource: pods, requested: 1, used: 1, capacity: 1");
  assert.deepEqual(
    p.pods.filter((x) => x.owner?.deployment === 'web').map((x) => x.node ?? x.pendingReason),
    ['n2', 'n3', '0/3 nodes are available: 3 Too many pods.'],
  );
  // n2 (the only ssd node) is full, n1 and n3 do not match: one reason each, counted and sorted as kube-scheduler's FitError does
  assert.equal(
    reason('picky'),
    "0/3 nodes are available: 1 Too many pods, 2 node(s) didn't match Pod's node affinity/selector.",
  );
  assert.match(errorsOf('', { extra: ['  maxPodsPerNode: -1'] }).join('\n'), /spec\.maxPodsPerNode/);
});

test('clusterIPs: kubernetes gets .1, kube-dns the cluster DNS address, written ones are kept, the rest come from the dynamic band', () => {
  const app = [
    deployment('web', 2),
    '---',
    service('web', ['selector: { app: web }', 'ports: [{ port: 80, targetPort: http }]']),
    '---',
    service('fixed', ['clusterIP: 10.43.0.50', 'ports: [{ port: 80 }]']),
    '---',
    service('other', ['ports: [{ port: 80 }]']),
    '---',
    service('headless', ['clusterIP: None', 'selector: { app: web }', 'ports: [{ port: 80 }]']),
    '---',
    service('ext', ['type: ExternalName', 'externalName: db.example.com']),
  ].join('\n');
  const p = plan(app, { coredns: true });
  assert.equal(formatIpv4(svc(p, 'kubernetes').clusterIP!), '10.43.0.1');
  assert.equal(formatIpv4(svc(p, 'kube-dns').clusterIP!), '10.43.0.10');
  assert.equal(svc(p, 'kube-dns').namespace, 'kube-system');
  assert.equal(formatIpv4(svc(p, 'fixed').clusterIP!), '10.43.0.50');
  for (const name of ['web', 'other']) {
    const x = svc(p, name).clusterIP!;
    assert.ok(x >= parseIpv4('10.43.1.1')! && x <= parseIpv4('10.43.255.254')!, `${name}: ${formatIpv4(x)}`);
  }
  assert.notEqual(svc(p, 'web').clusterIP, svc(p, 'other').clusterIP);
  assert.equal(svc(p, 'headless').clusterIP, undefined);
  assert.equal(svc(p, 'headless').headless, true);
  assert.equal(svc(p, 'headless').ports[0]!.endpoints.length, 2, 'a headless Service still has endpoints');
  assert.equal(svc(p, 'ext').clusterIP, undefined);
  assert.equal(svc(p, 'ext').externalName, 'db.example.com');
  // Deterministic: the same input gives the same addresses.
  assert.equal(
    plan(app, { coredns: true })
      .services.map((s) => s.clusterIP)
      .join(),
    p.services.map((s) => s.clusterIP).join(),
  );
  // The kubernetes Service's endpoints are the servers' API servers.
  assert.deepEqual(svc(p, 'kubernetes').ports[0]!.endpoints, [{ node: 'n1', port: 6443, hostNetwork: true }]);
  assert.deepEqual(
    svc(p, 'kube-dns').ports.map((x) => [x.name, x.protocol, x.endpoints.length]),
    [
      ['dns', 'UDP', 1],
      ['dns-tcp', 'TCP', 1],
      ['metrics', 'TCP', 1],
    ],
  );
});

test('written clusterIPs outside the range or already taken are errors at the field, as the API server reports them', () => {
  const app = [
    service('a', ['clusterIP: 10.96.0.5', 'ports: [{ port: 80 }]']), // clusterIP on line 5
    '---',
    service('b', ['clusterIP: 10.43.0.10', 'ports: [{ port: 80 }]']), // line 12: kube-dns has it
    '---',
    service('c', ['clusterIP: 10.43.0.1', 'ports: [{ port: 80 }]']), // line 19: kubernetes has it
  ].join('\n');
  assert.deepEqual(errorsOf(app, { coredns: true }), [
    'app.yaml:5:14: spec.clusterIP: provided IP is not in the valid range. The range of valid IPs is 10.43.0.0/16',
    'app.yaml:12:14: spec.clusterIP: provided IP is already allocated (by Service kube-system/kube-dns)',
    'app.yaml:19:14: spec.clusterIP: provided IP is already allocated (by Service default/kubernetes)',
  ]);
  // With CoreDNS disabled the DNS address is free for a Service of one's own.
  assert.equal(
    formatIpv4(
      svc(plan(service('mydns', ['clusterIP: 10.43.0.10', 'ports: [{ port: 53, protocol: UDP }]'])), 'mydns')
        .clusterIP!,
    ),
    '10.43.0.10',
  );
});

test('NodePorts: allocated from 30086-32767 when absent, written ones kept and checked, shared by one port number over two protocols', () => {
  const app = [
    service('np', [
      'type: NodePort',
      'ports:',
      '  - { name: dns, port: 53, protocol: UDP }',
      '  - { name: dns-tcp, port: 53, protocol: TCP }',
      '  - { name: web, port: 80, nodePort: 30080 }',
    ]),
    '---',
    service('lb', ['type: LoadBalancer', 'externalTrafficPolicy: Local', 'ports: [{ port: 443 }]']),
  ].join('\n');
  const p = plan(app);
  const np = svc(p, 'np');
  assert.equal(np.ports[0]!.nodePort, np.ports[1]!.nodePort);
  assert.ok(np.ports[0]!.nodePort! >= 30086 && np.ports[0]!.nodePort! <= 32767);
  assert.equal(np.ports[2]!.nodePort, 30080);
  const lb = svc(p, 'lb');
  assert.ok(lb.ports[0]!.nodePort! >= 30086);
  assert.ok(lb.healthCheckNodePort! >= 30086 && lb.healthCheckNodePort !== lb.ports[0]!.nodePort);
  assert.equal(svc(p, 'kubernetes').ports[0]!.nodePort, undefined);

  const bad = [
    service('a', ['type: NodePort', 'ports: [{ port: 80, nodePort: 30080 }]']), // line 6
    '---',
    service('b', ['type: NodePort', 'ports: [{ port: 80, nodePort: 30080 }]']), // line 13
    '---',
    service('c', ['type: NodePort', 'ports: [{ port: 80, nodePort: 8080 }]']), // line 20
  ].join('\n');
  assert.deepEqual(errorsOf(bad), [
    'app.yaml:13:33: spec.ports[0].nodePort: provided port is already allocated',
    'app.yaml:20:33: spec.ports[0].nodePort: provided port is not in the valid range. The range of valid ports is 30000-32767',
  ]);
});

test('named targetPorts resolve per pod through its container ports; numbers are used as they are', () => {
  // Two Deployments behind one Service: "http" is 8080 in v1 pods and 9090 in v2 pods.
  const v2 = deployment('web-v2', 1, [], '{ app: web, version: v2 }').replace(
    'containerPort: 8080',
    'containerPort: 9090',
  );
  const app = [
    deployment('web-v1', 2, [], '{ app: web, version: v1 }'),
    '---',
    v2,
    '---',
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: { name: odd, labels: { app: web } }',
      'spec: { containers: [{ name: c, image: x, ports: [{ name: metrics, containerPort: 9100 }] }] }',
    ].join('\n'),
    '---',
    service('web', [
      'selector: { app: web }',
      'ports:',
      '  - { name: http, port: 80, targetPort: http }',
      '  - { name: admin, port: 81, targetPort: 7000 }',
    ]),
  ].join('\n');
  const loaded = load(app);
  const web = svc(loaded.plan, 'web');
  const byPod = (i: number): Record<string, number> =>
    Object.fromEntries(web.ports[i]!.endpoints.map((e) => [e.pod!.replace(/-[^-]+-[^-]+$/, ''), e.port]));
  assert.deepEqual(byPod(0), { 'web-v1': 8080, 'web-v2': 9090 });
  assert.equal(web.ports[0]!.endpoints.length, 3, 'the pod without an "http" port gets no endpoint for it');
  assert.equal(web.ports[1]!.endpoints.length, 4, 'a numeric targetPort needs no declared container port');
  assert.ok(web.ports[1]!.endpoints.every((e) => e.port === 7000));
  assert.deepEqual(loaded.warnings.map(formatSpecError), [
    'app.yaml:34:43: spec.ports[0].targetPort: no container port named "http" (TCP) in pod odd: it gets no endpoint for this port',
  ]);
  // A UDP service port does not match a TCP container port of the same name.
  const udp = plan(
    [
      deployment('web', 1),
      '---',
      service('web', ['selector: { app: web }', 'ports: [{ port: 80, protocol: UDP, targetPort: http }]']),
    ].join('\n'),
  );
  assert.deepEqual(svc(udp, 'web').ports[0]!.endpoints, []);
});

test('a selector that matches nothing, and Pending pods, leave a Service without endpoints (with a warning)', () => {
  const loaded = load(
    [deployment('web', 1), '---', service('web', ['selector: { app: wbe }', 'ports: [{ port: 80 }]'])].join('\n'),
  );
  assert.deepEqual(svc(loaded.plan, 'web').ports[0]!.endpoints, []);
  assert.deepEqual(loaded.warnings.map(formatSpecError), [
    'app.yaml:16:13: spec.selector: selector app=wbe matches no pod in namespace "default": the service has no endpoints',
  ]);
  const pending = load(
    [
      deployment('web', 1, ['nodeName: nope']),
      '---',
      service('web', ['selector: { app: web }', 'ports: [{ port: 80 }]']),
    ].join('\n'),
  );
  assert.deepEqual(svc(pending.plan, 'web').ports[0]!.endpoints, []);
  assert.match(formatSpecError(pending.warnings[1]!), /every pod the selector matches is Pending/);
});

test('namespaces must exist; an object may be defined once; the built-in CoreDNS cannot be redefined while enabled', () => {
  const app = [
    ['apiVersion: v1', 'kind: Namespace', 'metadata: { name: shop }'].join('\n'),
    '---',
    service('web', ['ports: [{ port: 80 }]']).replace(
      'metadata: { name: web }',
      'metadata: { name: web, namespace: shop }',
    ),
    '---',
    service('web', ['ports: [{ port: 80 }]']).replace(
      'metadata: { name: web }',
      'metadata: { name: web, namespace: shop }',
    ), // line 13
    '---',
    service('api', ['ports: [{ port: 80 }]']).replace(
      'metadata: { name: api }',
      'metadata: { name: api, namespace: shopp }',
    ), // line 19
    '---',
    service('kube-dns', ['ports: [{ port: 53 }]']).replace(
      'metadata: { name: kube-dns }',
      'metadata: { name: kube-dns, namespace: kube-system }',
    ), // line 25
  ].join('\n');
  assert.deepEqual(errorsOf(app, { coredns: true }), [
    'app.yaml:13:19: metadata.name: Service "web" in namespace "shop" already exists (first defined at app.yaml:7)',
    'app.yaml:25:19: metadata.name: Service "kube-dns" in namespace "kube-system" already exists (k3s creates it; add coredns to spec.disable of the Cluster to supply your own)',
    'app.yaml:19:35: metadata.namespace: namespaces "shopp" not found (declare it with a v1 Namespace)',
  ]);
  const p = plan(app.split('\n---\n').slice(0, 2).join('\n---\n'));
  assert.deepEqual(p.namespaces, ['default', 'kube-node-lease', 'kube-public', 'kube-system', 'shop']);
});

test('CoreDNS is built in (one replica, kube-system) unless disabled', () => {
  const on = plan('', { coredns: true });
  const dns = on.pods.filter((x) => x.namespace === 'kube-system');
  assert.equal(dns.length, 1);
  assert.match(dns[0]!.name, /^coredns-[4-9bcdf]+-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.equal(dns[0]!.builtin, true);
  assert.equal(dns[0]!.spec.dnsPolicy, 'Default');
  const off = plan('');
  assert.deepEqual(off.pods, []);
  assert.deepEqual(
    off.services.map((s) => s.name),
    ['kubernetes'],
  );
});

test('Traefik is built in as the k3s chart deploys it (Deployment and LoadBalancer Service traefik) unless disabled', () => {
  const on = plan('', { traefik: true });
  // with ServiceLB's svclb-traefik-<uid8> pod per node beside it (80 and 443 on every node), as in k3s
  const svclb = on.pods.filter((x) => x.namespace === 'kube-system' && x.daemonSet !== undefined);
  assert.equal(svclb.length, on.nodes.length);
  assert.ok(
    svclb.every((x) => /^svclb-traefik-[0-9a-f]{8}-\w{5}$/.test(x.name)),
    svclb.map((x) => x.name).join(),
  );
  const pods = on.pods.filter((x) => x.namespace === 'kube-system' && x.daemonSet === undefined);
  assert.equal(pods.length, 1);
  assert.match(pods[0]!.name, /^traefik-[4-9bcdf]+-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.equal(pods[0]!.labels['app.kubernetes.io/name'], 'traefik');
  assert.deepEqual(
    pods[0]!.spec.containers[0]!.ports.map((p) => `${p.name}:${p.containerPort}`),
    ['metrics:9100', 'traefik:9000', 'web:8000', 'websecure:8443'],
  );
  const t = svc(on, 'traefik');
  assert.equal(t.namespace, 'kube-system');
  assert.equal(t.type, 'LoadBalancer');
  // web 80 and websecure 443, resolved to the pod's named ports, with NodePorts as for any LoadBalancer
  assert.deepEqual(
    t.ports.map((p) => [p.name, p.port, p.endpoints.map((e) => e.port)]),
    [
      ['web', 80, [8000]],
      ['websecure', 443, [8443]],
    ],
  );
  assert.ok(t.ports.every((p) => p.nodePort !== undefined && p.nodePort >= 30000 && p.nodePort <= 32767));
  const off = plan('');
  assert.equal(
    off.services.find((s) => s.name === 'traefik'),
    undefined,
  );
});

test('Ingress backends that name a missing Service or port are warned about', () => {
  const app = [
    service('web', ['ports: [{ name: http, port: 80 }]']),
    '---',
    [
      'apiVersion: networking.k8s.io/v1',
      'kind: Ingress',
      'metadata: { name: web }',
      'spec:',
      '  rules:',
      '    - http:',
      '        paths:',
      '          - { path: /, pathType: Prefix, backend: { service: { name: web, port: { name: http } } } }',
      '          - { path: /a, pathType: Prefix, backend: { service: { name: web, port: { number: 8080 } } } }',
      '          - { path: /b, pathType: Prefix, backend: { service: { name: nope, port: { number: 80 } } } }',
    ].join('\n'),
  ].join('\n');
  const loaded = load(app);
  assert.equal(loaded.plan.ingresses.length, 1);
  assert.deepEqual(loaded.warnings.map(formatSpecError), [
    'app.yaml:15:82: spec.rules[0].http.paths[1].backend.service.port: service "web" has no port 8080',
    'app.yaml:16:71: spec.rules[0].http.paths[2].backend.service.name: service "nope" not found in namespace "default": requests routed here get 404 or 503',
  ]);
});
