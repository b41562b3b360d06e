/** Tests for reading Kubernetes manifests: located errors, kinds not handled, API server defaults and rules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, Ingress, K8sObject, NetworkPolicy, Pod, Service } from '../cluster/k8s-objects.js';
import { parseCidr, parseIpv4 } from '../wire/addr.js';
import { parseClusterFiles, readManifestDocs, type Manifests } from './manifests.js';
import { formatSpecError, loadYaml } from './source.js';

const CLUSTER = [
  'apiVersion: podnet.dev/v1alpha1',
  'kind: Cluster',
  'spec:',
  '  nodes:',
  '    - { name: n1, address: 192.168.56.11/24 }',
].join('\n');

/** Reads one file of manifests (no Cluster document needed). */
function read(text: string, file = 'app.yaml'): Manifests {
  const loaded = loadYaml(file, text);
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.map(formatSpecError).join('\n'));
  return readManifestDocs(loaded.docs);
}

/** The formatted errors of reading `text`. */
function errorsOf(text: string): string[] {
  return read(text).errors.map(formatSpecError);
}

/** The single object `text` holds, which must read without errors. */
function one<T extends K8sObject>(text: string): T {
  const m = read(text);
  assert.deepEqual(m.errors.map(formatSpecError), []);
  assert.equal(m.objects.length, 1);
  return m.objects[0] as T;
}

test('errors name file, line, column and field, and all of them are reported at once', () => {
  const text = [
    'apiVersion: v1', // 1
    'kind: Pod', // 2
    'metadata:', // 3
    '  name: Web_1', // 4: not a DNS-1123 subdomain
    'spec:', // 5
    '  containers:', // 6
    '    - name: web', // 7
    '      imag: nginx', // 8: typo (and image then missing)
    '      ports:', // 9
    '        - containerPort: 70000', // 10: out of range
    '          protocol: tcp', // 11: protocols are upper case
  ].join('\n');
  const errs = errorsOf(text);
  assert.ok(
    errs.some((e) =>
      e.startsWith('app.yaml:4:9: metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain'),
    ),
    errs.join('\n'),
  );
  assert.ok(
    errs.includes('app.yaml:8:7: spec.containers[0].imag: unknown field "imag" (did you mean "image"?)'),
    errs.join('\n'),
  );
  assert.ok(errs.includes('app.yaml:7:7: spec.containers[0].image: required field is missing'), errs.join('\n'));
  assert.ok(
    errs.includes(
      'app.yaml:10:26: spec.containers[0].ports[0].containerPort: 70000 is out of range: must be between 1 and 65535',
    ),
    errs.join('\n'),
  );
  assert.ok(
    errs.includes('app.yaml:11:21: spec.containers[0].ports[0].protocol: "tcp" is not one of: TCP, UDP, SCTP'),
    errs.join('\n'),
  );
  assert.equal(errs.length, 5);
});

test('errors in later documents of a multi-document file point into that document', () => {
  const text = [
    'apiVersion: v1', // 1
    'kind: Namespace', // 2
    'metadata: { name: shop }', // 3
    '---', // 4
    'apiVersion: v1', // 5
    'kind: Service', // 6
    'metadata: { name: web, namespace: shop }', // 7
    'spec:', // 8
    '  selector: { app: web }', // 9
    '  ports:', // 10
    '    - port: 80', // 11
    '      targetPort: "8080"', // 12: a string is a port name, and "8080" is not a valid one
    '    - port: 443', // 13: second port without a name
  ].join('\n');
  const errs = errorsOf(text);
  assert.deepEqual(errs, [
    'app.yaml:11:7: spec.ports[0].name: Required value: a Service with several ports must name each',
    'app.yaml:12:19: spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter (a-z)',
    'app.yaml:13:7: spec.ports[1].name: Required value: a Service with several ports must name each',
  ]);
});

test('kinds podnet does not handle are listed by name with file and line, and ignored', () => {
  const text = [
    'apiVersion: v1', // 1
    'kind: ConfigMap', // 2
    'metadata: { name: settings }', // 3
    'data: { a: b }', // 4
    '---', // 5
    'apiVersion: apps/v1', // 6
    'kind: DaemonSet', // 7
    'metadata: { name: agent }', // 8
    'spec: {}', // 9
    '---', // 10
    'apiVersion: example.com/v1', // 11
    'kind: Widget', // 12
    'metadata: { name: w }', // 13
    '---', // 14
    'apiVersion: serving.knative.dev/v1', // 15: a Service, but not the core one
    'kind: Service', // 16
    'metadata: { name: hello }', // 17
  ].join('\n');
  const m = read(text);
  assert.deepEqual(m.errors, []);
  assert.deepEqual(m.objects, []);
  assert.deepEqual(
    m.notHandled.map((n) => n.message),
    [
      'kind ConfigMap (v1) at app.yaml:2 is not handled by podnet yet: ignored',
      'kind DaemonSet (apps/v1) at app.yaml:7 is not handled by podnet yet: ignored',
      'kind Widget (example.com/v1) at app.yaml:12 is not handled by podnet yet: ignored',
      'kind Service (serving.knative.dev/v1) at app.yaml:16 is not handled by podnet yet: ignored',
    ],
  );
  assert.deepEqual(
    m.notHandled.map((n) => [n.kind, n.apiVersion, n.name, n.line]),
    [
      ['ConfigMap', 'v1', 'settings', 2],
      ['DaemonSet', 'apps/v1', 'agent', 7],
      ['Widget', 'example.com/v1', 'w', 12],
      ['Service', 'serving.knative.dev/v1', 'hello', 16],
    ],
  );
});

test('a document without apiVersion or kind is an error; empty documents are skipped', () => {
  const text = [
    '---',
    'metadata: { name: x }',
    'spec: {}',
    '---',
    '---',
    'apiVersion: v1',
    'metadata: { name: y }',
    '',
  ].join('\n');
  assert.deepEqual(errorsOf(text), [
    'app.yaml:2:1: apiVersion: apiVersion not set (every manifest needs apiVersion and kind)',
    'app.yaml:2:1: kind: kind not set (every manifest needs apiVersion and kind)',
    'app.yaml:6:1: kind: kind not set (every manifest needs apiVersion and kind)',
  ]);
});

test('a kind podnet reads, at an apiVersion Kubernetes no longer serves, is an error as kubectl reports it', () => {
  const text = ['apiVersion: extensions/v1beta1', 'kind: Deployment', 'metadata: { name: old }', 'spec: {}'].join('\n');
  assert.deepEqual(errorsOf(text), [
    'app.yaml:1:13: apiVersion: no matches for kind "Deployment" in version "extensions/v1beta1" (use apps/v1)',
  ]);
});

test('API server defaults: namespace default, protocol TCP, targetPort = port, type ClusterIP, ClientIP timeout 10800', () => {
  const svc = one<Service>(
    [
      'apiVersion: v1',
      'kind: Service',
      'metadata: { name: web }',
      'spec:',
      '  selector: { app: web }',
      '  ports: [{ port: 80 }]',
      '  sessionAffinity: ClientIP',
    ].join('\n'),
  );
  assert.equal(svc.metadata.namespace, 'default');
  assert.equal(svc.spec.type, 'ClusterIP');
  assert.equal(svc.spec.clusterIP, undefined);
  assert.deepEqual(svc.spec.ports, [{ name: '', protocol: 'TCP', port: 80, targetPort: 80 }]);
  assert.equal(svc.spec.sessionAffinityTimeoutSeconds, 10800);
  assert.equal(svc.spec.internalTrafficPolicy, 'Cluster');
  assert.equal(svc.spec.externalTrafficPolicy, undefined, 'only externally reachable services have one');

  const pod = one<Pod>(
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: { name: p }',
      'spec:',
      '  containers: [{ name: c, image: busybox, ports: [{ containerPort: 53, protocol: UDP, name: dns }] }]',
    ].join('\n'),
  );
  assert.equal(pod.metadata.namespace, 'default');
  assert.equal(pod.spec.dnsPolicy, 'ClusterFirst');
  assert.equal(pod.spec.restartPolicy, 'Always');
  assert.equal(pod.spec.hostNetwork, false);
  assert.deepEqual(pod.spec.containers[0]!.ports, [{ containerPort: 53, protocol: 'UDP', name: 'dns' }]);

  const np = one<Service>(
    [
      'apiVersion: v1',
      'kind: Service',
      'metadata: { name: np }',
      'spec: { type: NodePort, ports: [{ port: 80, nodePort: 30080 }] }',
    ].join('\n'),
  );
  assert.equal(np.spec.externalTrafficPolicy, 'Cluster');
  assert.equal(np.spec.ports[0]!.nodePort, 30080);
});

test('hostNetwork pods: hostPort defaults to containerPort and may not differ', () => {
  const ok = one<Pod>(
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: { name: p }',
      'spec:',
      '  hostNetwork: true',
      '  containers: [{ name: c, image: x, ports: [{ containerPort: 8080 }] }]',
    ].join('\n'),
  );
  assert.equal(ok.spec.containers[0]!.ports[0]!.hostPort, 8080);
  const errs = errorsOf(
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: { name: p }',
      'spec:',
      '  hostNetwork: true',
      '  containers: [{ name: c, image: x, ports: [{ containerPort: 8080, hostPort: 80 }] }]',
    ].join('\n'),
  );
  assert.deepEqual(errs, [
    'app.yaml:6:78: spec.containers[0].ports[0].hostPort: Invalid value: 80: must match `containerPort` when `hostNetwork` is true',
  ]);
});

test('Deployment: replicas default 1, and the selector must match the template labels (the API server rule)', () => {
  const d = one<Deployment>(
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: { name: web }',
      'spec:',
      '  selector: { matchLabels: { app: web } }',
      '  template:',
      '    metadata: { labels: { app: web, tier: front } }',
      '    spec: { containers: [{ name: web, image: nginx }] }',
    ].join('\n'),
  );
  assert.equal(d.replicas, 1);
  assert.deepEqual(d.template.labels, { app: 'web', tier: 'front' });

  const text = [
    'apiVersion: apps/v1', // 1
    'kind: Deployment', // 2
    'metadata: { name: web }', // 3
    'spec:', // 4
    '  replicas: -1', // 5
    '  selector:', // 6
    '    matchLabels: { app: web }', // 7
    '  template:', // 8
    '    metadata:', // 9
    '      labels: { app: wbe }', // 10
    '    spec:', // 11
    '      restartPolicy: Never', // 12
    '      containers: [{ name: web, image: nginx }]', // 13
  ].join('\n');
  assert.deepEqual(errorsOf(text), [
    'app.yaml:5:13: spec.replicas: -1 is out of range: must be between 0 and 1000000',
    'app.yaml:10:15: spec.template.metadata.labels: Invalid value: {"app":"wbe"}: `selector` does not match template `labels`',
    'app.yaml:12:22: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
  ]);
  assert.deepEqual(
    errorsOf(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: { name: web }',
        'spec:',
        '  selector: {}',
        '  template: { spec: { containers: [{ name: web, image: nginx }] } }',
      ].join('\n'),
    ),
    ['app.yaml:5:13: spec.selector: Invalid value: empty selector is invalid for deployment'],
  );
});

test('label values must be strings: YAML numbers and booleans get a hint to quote them', () => {
  const errs = errorsOf(
    [
      'apiVersion: v1',
      'kind: Namespace',
      'metadata:',
      '  name: shop',
      '  labels: { version: 1, canary: true, "-bad": x }',
    ].join('\n'),
  );
  assert.deepEqual(errs, [
    'app.yaml:5:22: metadata.labels.version: expected a string, got a number 1: quote it ("1")',
    'app.yaml:5:33: metadata.labels.canary: expected a string, got a boolean true: quote it ("true")',
    "app.yaml:5:39: metadata.labels[\"-bad\"]: Invalid value: \"-bad\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc')",
  ]);
});

test('Service rules by type: None only for ClusterIP, nodePort only for NodePort/LoadBalancer, externalName only for ExternalName', () => {
  const errs = errorsOf(
    [
      'apiVersion: v1', // 1
      'kind: Service', // 2
      'metadata: { name: a }', // 3
      'spec:', // 4
      '  type: NodePort', // 5
      '  clusterIP: None', // 6
      '  ports: [{ port: 80 }]', // 7
      '---', // 8
      'apiVersion: v1', // 9
      'kind: Service', // 10
      'metadata: { name: b }', // 11
      'spec:', // 12
      '  ports: [{ port: 80, nodePort: 30000 }]', // 13
      '  externalTrafficPolicy: Local', // 14
      '  externalName: example.com', // 15
      '---', // 16
      'apiVersion: v1', // 17
      'kind: Service', // 18
      'metadata: { name: 2c }', // 19: Service names are DNS-1035 labels
      'spec: { type: ExternalName, externalName: db.example.com }', // 20
    ].join('\n'),
  );
  assert.deepEqual(errs, [
    'app.yaml:6:14: spec.clusterIP: Invalid value: "None": may not be set to \'None\' for NodePort services',
    "app.yaml:13:23: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    'app.yaml:14:26: spec.externalTrafficPolicy: Invalid value: may only be set for externally-accessible services (NodePort, LoadBalancer, or with externalIPs)',
    "app.yaml:15:3: spec.externalName: Forbidden: may only be set when `type` is 'ExternalName'",
    "app.yaml:19:19: metadata.name: Invalid value: \"2c\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123')",
  ]);
  const headless = one<Service>(
    [
      'apiVersion: v1',
      'kind: Service',
      'metadata: { name: db }',
      'spec: { clusterIP: None, selector: { app: db } }',
    ].join('\n'),
  );
  assert.equal(headless.spec.clusterIP, 'None');
  assert.deepEqual(headless.spec.ports, [], 'a headless Service may have no ports');
  const fixed = one<Service>(
    [
      'apiVersion: v1',
      'kind: Service',
      'metadata: { name: db }',
      'spec: { clusterIP: 10.43.0.50, ports: [{ port: 5432, targetPort: pg }] }',
    ].join('\n'),
  );
  assert.equal(fixed.spec.clusterIP, parseIpv4('10.43.0.50'));
  assert.equal(fixed.spec.ports[0]!.targetPort, 'pg');
  assert.equal(fixed.spec.selector, undefined);
});

test('NetworkPolicy: podSelector required, policyTypes defaulted, peers and ports typed', () => {
  const np = one<NetworkPolicy>(
    [
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata: { name: web-in, namespace: default }',
      'spec:',
      '  podSelector: { matchLabels: { app: web } }',
      '  ingress:',
      '    - from:',
      '        - podSelector: { matchLabels: { app: client } }',
      '        - ipBlock: { cidr: 192.168.56.0/24, except: [192.168.56.99/32] }',
      '      ports: [{ port: http }, { protocol: UDP, port: 5000, endPort: 5010 }]',
      '  egress:',
      '    - {}',
    ].join('\n'),
  );
  assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
  assert.deepEqual(np.spec.ingress[0]!.peers, [
    { podSelector: { matchLabels: { app: 'client' }, matchExpressions: [] } },
    { ipBlock: { cidr: parseCidr('192.168.56.0/24'), except: [parseCidr('192.168.56.99/32')] } },
  ]);
  assert.deepEqual(np.spec.ingress[0]!.ports, [
    { protocol: 'TCP', port: 'http' },
    { protocol: 'UDP', port: 5000, endPort: 5010 },
  ]);
  assert.deepEqual(np.spec.egress, [{ peers: [], ports: [] }], 'an empty rule allows everything');

  const errs = errorsOf(
    [
      'apiVersion: networking.k8s.io/v1', // 1
      'kind: NetworkPolicy', // 2
      'metadata: { name: bad }', // 3
      'spec:', // 4
      '  ingress:', // 5
      '    - from:', // 6
      '        - ipBlock: { cidr: 10.0.0.0/8, except: [192.168.0.0/16] }', // 7
      '          podSelector: {}', // 8
      '      ports: [{ port: http, endPort: 90 }]', // 9
    ].join('\n'),
  );
  assert.deepEqual(errs, [
    'app.yaml:5:3: spec.podSelector: required field is missing',
    'app.yaml:7:20: spec.ingress[0].from[0].ipBlock: Forbidden: may not specify both ipBlock and another peer',
    'app.yaml:7:49: spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: must be a strict subset of `cidr`',
    'app.yaml:9:38: spec.ingress[0].ports[0].endPort: Required value: may not be specified when `port` is non-numeric or absent',
  ]);
});

test('Ingress: pathType required, absolute paths, one backend with a port number or name', () => {
  const ing = one<Ingress>(
    [
      'apiVersion: networking.k8s.io/v1',
      'kind: Ingress',
      'metadata: { name: web }',
      'spec:',
      '  ingressClassName: traefik',
      '  rules:',
      '    - host: web.example.com',
      '      http:',
      '        paths:',
      '          - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }',
      '          - { path: /api, pathType: Exact, backend: { service: { name: api, port: { name: http } } } }',
    ].join('\n'),
  );
  assert.equal(ing.spec.ingressClassName, 'traefik');
  assert.deepEqual(ing.spec.rules, [
    {
      host: 'web.example.com',
      paths: [
        { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
        { path: '/api', pathType: 'Exact', backend: { service: { name: 'api', port: { name: 'http' } } } },
      ],
    },
  ]);
  const errs = errorsOf(
    [
      'apiVersion: networking.k8s.io/v1', // 1
      'kind: Ingress', // 2
      'metadata: { name: web }', // 3
      'spec:', // 4
      '  rules:', // 5
      '    - host: 10.0.0.1', // 6
      '      http:', // 7
      '        paths:', // 8
      '          - { path: /, backend: { service: { name: web, port: { number: 80 } } } }', // 9
      '          - { path: api, pathType: Prefix, backend: { service: { name: web, port: { number: 80, name: http } } } }', // 10
    ].join('\n'),
  );
  assert.deepEqual(errs, [
    'app.yaml:6:13: spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
    'app.yaml:9:13: spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
    'app.yaml:10:21: spec.rules[0].http.paths[1].path: Invalid value: "api": must be an absolute path',
    'app.yaml:10:83: spec.rules[0].http.paths[1].backend.service.port: Invalid value: cannot set both port name & port number',
  ]);
});

test('v1 List documents are unpacked; errors inside name the item', () => {
  const m = read(
    [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - { apiVersion: v1, kind: Namespace, metadata: { name: a } }',
      '  - { apiVersion: v1, kind: Namespace, metadata: { name: B } }',
      '  - { apiVersion: v1, kind: Secret, metadata: { name: s } }',
    ].join('\n'),
  );
  assert.deepEqual(
    m.objects.map((o) => o.metadata.name),
    ['a'],
  );
  assert.equal(m.objects[0]!.origin.path.join('.'), 'items.0');
  assert.equal(m.errors.length, 1);
  assert.match(formatSpecError(m.errors[0]!), /^app\.yaml:5:58: items\[1\]\.metadata\.name: Invalid value: "B"/);
  assert.deepEqual(
    m.notHandled.map((n) => n.message),
    ['kind Secret (v1) at app.yaml:6 is not handled by podnet yet: ignored'],
  );
});

test('fields Kubernetes has but podnet does not model are accepted; scheduling ones with a warning', () => {
  const m = read(
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: { name: p, uid: abc, resourceVersion: "1" }',
      'spec:',
      '  serviceAccountName: default',
      '  affinity: {}',
      '  containers:',
      '    - name: c',
      '      image: x',
      '      resources: { limits: { cpu: 100m } }',
      '      readinessProbe: { httpGet: { path: /, port: 80 } }',
      'status: { phase: Running }',
    ].join('\n'),
  );
  assert.deepEqual(m.errors, []);
  assert.deepEqual(m.warnings.map(formatSpecError), [
    "app.yaml:6:13: spec.affinity: podnet's scheduler ignores affinity (it honours nodeName and nodeSelector)",
  ]);
});

test('parseClusterFiles: several files, exactly one Cluster document', () => {
  const r = parseClusterFiles([
    { file: 'cluster.yaml', text: CLUSTER },
    {
      file: 'app.yaml',
      text: [
        'apiVersion: v1',
        'kind: Namespace',
        'metadata: { name: shop }',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: { name: c }',
      ].join('\n'),
    },
  ]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatSpecError).join('\n'));
  assert.equal(r.input.cluster.nodes[0]!.name, 'n1');
  assert.deepEqual(
    r.input.objects.map((o) => `${o.kind}/${o.metadata.name}`),
    ['Namespace/shop'],
  );
  assert.deepEqual(
    r.input.notHandled.map((n) => n.message),
    ['kind ConfigMap (v1) at app.yaml:6 is not handled by podnet yet: ignored'],
  );

  const none = parseClusterFiles([
    { file: 'app.yaml', text: 'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n' },
  ]);
  assert.ok(!none.ok);
  assert.deepEqual(none.errors.map(formatSpecError), [
    'app.yaml:1:1: no Cluster document: add one (apiVersion: podnet.dev/v1alpha1, kind: Cluster) with the nodes',
  ]);

  const two = parseClusterFiles([
    { file: 'a.yaml', text: CLUSTER },
    { file: 'b.yaml', text: CLUSTER },
  ]);
  assert.ok(!two.ok);
  assert.deepEqual(two.errors.map(formatSpecError), [
    'b.yaml:2:7: kind: a second Cluster document (the first is in a.yaml): one cluster at a time',
  ]);

  const syntax = parseClusterFiles([
    { file: 'a.yaml', text: CLUSTER },
    { file: 'b.yaml', text: 'kind: [unclosed\n' },
  ]);
  assert.ok(!syntax.ok);
  assert.equal(syntax.errors[0]!.file, 'b.yaml');
});
