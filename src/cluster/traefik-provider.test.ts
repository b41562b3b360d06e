/**
 * Traefik's Kubernetes Ingress provider from real manifests (pkg/provider/kubernetes/ingress/kubernetes.go
 * is the reference): which Ingresses are served, one router per path with Traefik's rule text and key, the
 * default backend only for an Ingress without rules, services without ready endpoints skipped; and end to
 * end in a built cluster: a pod curls the traefik pod's web port with a Host field and gets a whoami
 * page from a backend pod that shows the client pod's address in X-Forwarded-For and X-Real-Ip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCluster } from '../scenario/manifests.js';
import { formatSpecError } from '../scenario/source.js';
import { formatIpv4, type Ipv4 } from '../wire/addr.js';
import { curlCommand } from '../apps/curl.js';
import type { CommandResult } from '../apps/shell.js';
import { MIN_INT32, normalizeName, traefikConfiguration, type TraefikProviderInput } from './traefik-provider.js';
import type { ClusterPlan } from './plan-types.js';
import { buildCluster } from './runtime.js';

const CLUSTER = [
  'apiVersion: podnet.dev/v1alpha1',
  'kind: Cluster',
  'metadata: { name: t }',
  'spec:',
  '  seed: 1',
  '  nodes:',
  '    - { name: server, address: 192.168.56.11/24, role: server }',
  '    - { name: agent, address: 192.168.56.12/24, role: agent }',
].join('\n');

const WHOAMI = [
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata: { name: whoami }',
  'spec:',
  '  replicas: 2',
  '  selector: { matchLabels: { app: whoami } }',
  '  template:',
  '    metadata: { labels: { app: whoami } }',
  '    spec:',
  '      containers: [{ name: whoami, image: traefik/whoami, ports: [{ name: web, containerPort: 80 }] }]',
  '---',
  'apiVersion: v1',
  'kind: Service',
  'metadata: { name: whoami }',
  'spec: { selector: { app: whoami }, ports: [{ name: http, port: 80, targetPort: web }] }',
  '---',
  'apiVersion: v1',
  'kind: Service',
  'metadata: { name: empty }',
  'spec: { selector: { app: nothing }, ports: [{ port: 80 }] }',
  '---',
  'apiVersion: v1',
  'kind: Pod',
  'metadata: { name: client }',
  'spec: { containers: [{ name: c, image: busybox }] }',
].join('\n');

function ingress(name: string, spec: string[], annotations = '{}'): string {
  return [
    'apiVersion: networking.k8s.io/v1',
    'kind: Ingress',
    `metadata: { name: ${name}, annotations: ${annotations} }`,
    'spec:',
    ...spec.map((l) => `  ${l}`),
  ].join('\n');
}

const backend = (svc: string, port = 'number: 80'): string => `{ service: { name: ${svc}, port: { ${port} } } }`;

function planOf(...docs: string[]): ClusterPlan {
  const r = loadCluster([{ file: 'c.yaml', text: [CLUSTER, WHOAMI, ...docs].join('\n---\n') }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatSpecError).join('\n'));
  return r.cluster.plan;
}

/** Every pod ready, at 10.0.0.<index>. */
function input(plan: ClusterPlan, ready = (_name: string) => true): TraefikProviderInput {
  return {
    ingresses: plan.ingresses,
    services: plan.services,
    ingressClasses: ['traefik'],
    readyPodIp: (ns, name) => {
      const i = plan.pods.findIndex((p) => p.namespace === ns && p.name === name);
      return i >= 0 && ready(name) ? ((10 << 24) | (i + 1)) >>> 0 : undefined;
    },
    nodeIp: () => undefined,
  };
}

test('Normalize: runs of non-alphanumerics become one "-", none at the ends', () => {
  assert.equal(normalizeName('default-web-whoami.local/api/v1'), 'default-web-whoami-local-api-v1');
  assert.equal(normalizeName('-default-web-/'), 'default-web');
});

test('which Ingresses: class traefik, no class and no annotation, annotation traefik; not another class', () => {
  const rule = ['rules: [{ http: { paths: [{ path: /, pathType: Prefix, backend: ' + backend('whoami') + ' }] } }]'];
  const plan = planOf(
    ingress('by-class', ['ingressClassName: traefik', ...rule]),
    ingress('no-class', rule),
    ingress('annotated', rule, '{ kubernetes.io/ingress.class: traefik }'),
    ingress('nginx-class', ['ingressClassName: nginx', ...rule]),
    ingress('nginx-annotated', rule, '{ kubernetes.io/ingress.class: nginx }'),
  );
  assert.deepEqual(
    traefikConfiguration(input(plan)).routers.map((r) => r.name),
    ['default-by-class', 'default-no-class', 'default-annotated'],
  );
});

test("rules: one router per path with Traefik's rule text; Exact is Path, Prefix and ImplementationSpecific PathPrefix", () => {
  const plan = planOf(
    ingress('web', [
      'rules:',
      '  - host: whoami.local',
      '    http:',
      '      paths:',
      `        - { path: /api, pathType: Exact, backend: ${backend('whoami', 'name: http')} }`,
      `        - { path: /v1, pathType: Prefix, backend: ${backend('whoami')} }`,
      `        - { path: /impl, pathType: ImplementationSpecific, backend: ${backend('whoami')} }`,
      '  - http:',
      `      paths: [{ path: /, pathType: Prefix, backend: ${backend('whoami')} }]`,
    ]),
  );
  const c = traefikConfiguration(input(plan));
  assert.deepEqual(
    c.routers.map((r) => [r.name, r.rule, r.service]),
    [
      ['default-web-whoami-local-api', 'Host("whoami.local") && Path("/api")', 'default-whoami-http'],
      ['default-web-whoami-local-v1', 'Host("whoami.local") && PathPrefix("/v1")', 'default-whoami-80'],
      ['default-web-whoami-local-impl', 'Host("whoami.local") && PathPrefix("/impl")', 'default-whoami-80'],
      ['default-web', 'PathPrefix("/")', 'default-whoami-80'],
    ],
  );
  // servers: both replicas' pod IPs at the resolved target port, not the ClusterIP
  assert.deepEqual(
    c.services.get('default-whoami-80')!.map((s) => `${formatIpv4(s.ip)}:${s.port}`),
    plan.pods.map((p, i) => (p.labels['app'] === 'whoami' ? `10.0.0.${i + 1}:80` : '')).filter((x) => x !== ''),
  );
});

test('defaultBackend: default-router, PathPrefix("/") at MinInt32, only for an Ingress without rules', () => {
  const withRules = planOf(
    ingress('both', [
      `defaultBackend: ${backend('whoami')}`,
      `rules: [{ host: a.example, http: { paths: [{ path: /, pathType: Prefix, backend: ${backend('whoami')} }] } }]`,
    ]),
  );
  assert.deepEqual(
    traefikConfiguration(input(withRules)).routers.map((r) => r.name),
    ['default-both-a-example'],
  );
  const only = traefikConfiguration(input(planOf(ingress('fallback', [`defaultBackend: ${backend('whoami')}`]))));
  assert.deepEqual(only.routers, [
    {
      name: 'default-router',
      rule: 'PathPrefix("/")',
      path: { matcher: 'PathPrefix', path: '/' },
      priority: MIN_INT32,
      service: 'default-backend',
    },
  ]);
});

test('a Service without ready endpoints is skipped with its routers; readiness is read on each call', () => {
  const plan = planOf(
    ingress('web', [
      'rules:',
      '  - http:',
      '      paths:',
      `        - { path: /empty, pathType: Prefix, backend: ${backend('empty')} }`,
      `        - { path: /w, pathType: Prefix, backend: ${backend('whoami')} }`,
      `        - { path: /missing, pathType: Prefix, backend: ${backend('nope')} }`,
    ]),
  );
  let ready = true;
  const view = input(plan, (name) => !name.startsWith('whoami-') || ready);
  assert.deepEqual(
    traefikConfiguration(view).routers.map((r) => r.name),
    ['default-web-w'],
  );
  ready = false;
  assert.deepEqual(traefikConfiguration(view).routers, []);
});

function curlFrom(
  c: Awaited<ReturnType<typeof buildCluster>>,
  podId: string,
  args: string[],
  afterNs: number,
): CommandResult {
  const pod = c.pods.get(podId)!;
  let r: CommandResult | undefined;
  c.engine.runUntilIdle(afterNs);
  curlCommand({ node: pod.stack, udp: pod.udp, tcp: pod.tcp, resolve: () => undefined }, args, (x) => (r = x));
  c.engine.runUntilIdle(c.engine.now + 30e9);
  assert.ok(r !== undefined, 'curl never finished');
  return r;
}

test("end to end: a pod curls the traefik pod on 8000 with a Host field and gets a backend pod's whoami page", async () => {
  const plan = planOf(
    ingress('web', [
      `rules: [{ host: whoami.local, http: { paths: [{ path: /, pathType: Prefix, backend: ${backend('whoami')} }] } }]`,
    ]),
  );
  const c = await buildCluster(plan);
  const traefik = [...c.pods.values()].find((p) => p.name.startsWith('traefik-'))!;
  const client = c.pods.get('default/client')!;
  const whoamiIps = new Set<Ipv4>([...c.pods.values()].filter((p) => p.labels['app'] === 'whoami').map((p) => p.ip));
  const url = `http://${formatIpv4(traefik.ip)}:8000/`;
  // after the chart's readiness probe (2 s initial delay) has passed, as a real client would find it
  const first = curlFrom(c, 'default/client', ['-s', '-H', 'Host: whoami.local', url], 5e9);
  assert.equal(first.status, 0);
  assert.match(first.stdout, new RegExp(`^Hostname: whoami-`, 'm'));
  // whoami lists lo's 127.0.0.1 first (getIPs walks the interfaces in order), then the pod's address
  assert.match(first.stdout, /^IP: 127\.0\.0\.1$/m);
  const ipLine = /^IP: (?!127\.)(.*)$/m.exec(first.stdout)![1]!;
  assert.ok([...whoamiIps].map(formatIpv4).includes(ipLine), `${ipLine} is a whoami pod`);
  // the backend sees traefik's pod address; the client pod's address travels in the headers
  assert.match(first.stdout, new RegExp(`^RemoteAddr: ${formatIpv4(traefik.ip).replaceAll('.', '\\.')}:\\d+$`, 'm'));
  assert.match(first.stdout, new RegExp(`^X-Forwarded-For: ${formatIpv4(client.ip).replaceAll('.', '\\.')}\\r?$`, 'm'));
  assert.match(first.stdout, new RegExp(`^X-Real-Ip: ${formatIpv4(client.ip).replaceAll('.', '\\.')}\\r?$`, 'm'));
  assert.match(first.stdout, new RegExp(`^X-Forwarded-Server: ${traefik.name}\\r?$`, 'm'));
  // the next request goes to the other replica
  const second = curlFrom(c, 'default/client', ['-s', '-H', 'Host: whoami.local', url], c.engine.now);
  assert.notEqual(/^Hostname: (.*)$/m.exec(second.stdout)![1], /^Hostname: (.*)$/m.exec(first.stdout)![1]);
  // another host: no router, Go's 404 (the command's stdout drops the last newline)
  const other = curlFrom(
    c,
    'default/client',
    ['-s', '-w', '%{http_code}', '-H', 'Host: other.local', url],
    c.engine.now,
  );
  assert.equal(other.stdout, '404 page not found\n404');
});
