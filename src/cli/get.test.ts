/**
 * `podnet get`, end to end through dist/src/cli/bin.js on examples/cluster-demo.yaml and on a small cluster
 * with an unschedulable pod: kubectl's headers and column layout, one row per object, -o wide columns read
 * against the built runtime (pod IPs, flannel's pod CIDRs: never hard-coded), -o json/yaml as a v1 List,
 * the Pending pod's reason, namespaces, short names and usage errors. duration.HumanDuration and the
 * tabwriter layout are checked against vectors from Kubernetes' and Go's own tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadCluster } from '../scenario/manifests.js';
import { buildCluster, type ClusterRuntime, flannelOf } from '../cluster/runtime.js';
import { formatCidr, formatIpv4 } from '../wire/addr.js';
import { humanDuration, renderTable } from './kube-printers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The CLI as users run it (this file runs from dist/src/cli/). */
const BIN = join(HERE, 'bin.js');
const DEMO = resolve(HERE, '../../../examples/cluster-demo.yaml');

function get(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, 'get', ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

async function runtimeOf(file: string): Promise<ClusterRuntime> {
  const loaded = loadCluster([{ file, text: readFileSync(file, 'utf8') }]);
  assert.ok(loaded.ok);
  return buildCluster(loaded.cluster.plan);
}

/** Splits a table into header and rows of cells by the header's column starts (headers may hold a space). */
function cells(table: string): { headers: string[]; rows: string[][] } {
  const [head, ...lines] = table.trimEnd().split('\n');
  const starts: number[] = [];
  for (const m of head!.matchAll(/\S+(?: \S+)*/g)) starts.push(m.index);
  const cut = (l: string): string[] => starts.map((s, i) => l.slice(s, starts[i + 1]).trim());
  for (const l of lines)
    for (const s of starts.slice(1))
      assert.ok(l[s - 1] === ' ' && l[s] !== ' ', `a cell starts under its header at ${s}: ${JSON.stringify(l)}`);
  return { headers: cut(head!), rows: lines.map(cut) };
}

test('get nodes: NAME STATUS ROLES AGE VERSION, the server control-plane,master and the agent <none>', () => {
  const r = get('nodes', DEMO);
  assert.equal(r.code, 0, r.err);
  const t = cells(r.out);
  assert.deepEqual(t.headers, ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
  assert.deepEqual(
    t.rows.map((x) => x.slice(0, 4)),
    [
      ['agent', 'Ready', '<none>', '60s'],
      ['server', 'Ready', 'control-plane,master', '60s'],
    ],
  );
  for (const row of t.rows) assert.match(row[4]!, /^v1\.\d+\.\d+\+k3s\d+$/);
  // singular and short names print the same
  for (const w of ['node', 'no', 'NODES']) assert.equal(get(w, DEMO).out, r.out);
});

test('get nodes -o wide: INTERNAL-IP is the node address; -o json carries the pod CIDR flannel runs with', async () => {
  const rt = await runtimeOf(DEMO);
  const t = cells(get('no', DEMO, '-o', 'wide').out);
  assert.deepEqual(t.headers, [
    'NAME',
    'STATUS',
    'ROLES',
    'AGE',
    'VERSION',
    'INTERNAL-IP',
    'EXTERNAL-IP',
    'OS-IMAGE',
    'KERNEL-VERSION',
    'CONTAINER-RUNTIME',
  ]);
  for (const row of t.rows) {
    assert.equal(row[5], formatIpv4(rt.nodes.get(row[0]!)!.ip));
    assert.equal(row[6], '<none>');
    assert.match(row[9]!, /^containerd:\/\//);
  }
  const list = JSON.parse(get('nodes', DEMO, '-ojson').out) as {
    kind: string;
    items: { metadata: { name: string; uid: string }; spec: { podCIDR: string; podCIDRs: string[] } }[];
  };
  assert.equal(list.kind, 'List');
  assert.equal(list.items.length, 2);
  for (const n of list.items) {
    const cidr = formatCidr(flannelOf(rt.nodes.get(n.metadata.name)!).lease.subnet);
    assert.equal(n.spec.podCIDR, cidr);
    assert.deepEqual(n.spec.podCIDRs, [cidr]);
    assert.match(n.metadata.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
});

test('get nodes -o json on a Calico cluster: kube-controller-manager still gives each Node a podCIDR', () => {
  const file = resolve(HERE, '../../../examples/cluster-calico-ipip.yaml');
  const list = JSON.parse(get('nodes', file, '-ojson').out) as {
    items: { metadata: { name: string }; spec: { podCIDR?: string } }[];
  };
  // from the cluster CIDR 192.168.0.0/16 in /24s, in join order, though Calico's IPAM uses its blocks instead
  assert.deepEqual(
    list.items.map((n) => [n.metadata.name, n.spec.podCIDR]),
    [
      ['master', '192.168.0.0/24'],
      ['node', '192.168.1.0/24'],
    ],
  );
});

test('get pods -o wide: kubectl columns, a row per pod with its IP and node from the runtime', async () => {
  const rt = await runtimeOf(DEMO);
  const r = get('pods', DEMO, '-o', 'wide');
  assert.equal(r.code, 0, r.err);
  const t = cells(r.out);
  assert.deepEqual(t.headers, [
    'NAME',
    'READY',
    'STATUS',
    'RESTARTS',
    'AGE',
    'IP',
    'NODE',
    'NOMINATED NODE',
    'READINESS GATES',
  ]);
  const mine = [...rt.pods.values()].filter((p) => p.namespace === 'default');
  assert.equal(mine.length, 7); // four web, client, two whoami
  assert.deepEqual(
    t.rows.map((x) => x[0]),
    mine.map((p) => p.name).sort(),
  );
  for (const row of t.rows) {
    const p = rt.pods.get(`default/${row[0]}`)!;
    assert.deepEqual(row.slice(1, 4), ['1/1', 'Running', '0']);
    assert.equal(row[5], formatIpv4(p.ip));
    assert.equal(row[6], p.node);
    assert.deepEqual(row.slice(7), ['<none>', '<none>']);
  }
  // default columns are the first five
  assert.deepEqual(cells(get('po', DEMO).out).headers, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
});

test('get pods: -n picks a namespace, -A adds NAMESPACE, an empty namespace says so on stderr', () => {
  const sys = cells(get('pods', DEMO, '-n', 'kube-system').out);
  // k3s's kube-system on two nodes: coredns, one svclb-traefik per node (ServiceLB), traefik
  assert.equal(sys.rows.length, 4);
  assert.match(sys.rows[0]![0]!, /^coredns-/);
  assert.match(sys.rows[1]![0]!, /^svclb-traefik-[0-9a-f]{8}-\w{5}$/);
  assert.match(sys.rows[2]![0]!, /^svclb-traefik-[0-9a-f]{8}-\w{5}$/);
  assert.match(sys.rows[3]![0]!, /^traefik-/);
  const all = cells(get('pods', '-A', DEMO).out);
  assert.equal(all.headers[0], 'NAMESPACE');
  assert.equal(all.rows.length, 11);
  assert.deepEqual([...new Set(all.rows.map((x) => x[0]))], ['default', 'kube-system']);
  const none = get('pods', DEMO, '--namespace=nosuch');
  assert.equal(none.code, 0);
  assert.equal(none.out, '');
  assert.equal(none.err.trim(), 'No resources found in nosuch namespace.');
});

test('get services -o wide and get endpoints: kubectl columns and cells', async () => {
  const rt = await runtimeOf(DEMO);
  const svc = cells(get('svc', DEMO, '-o', 'wide').out);
  assert.deepEqual(svc.headers, ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
  const web = rt.plan.services.find((s) => s.name === 'web')!;
  const whoami = rt.plan.services.find((s) => s.name === 'whoami')!;
  assert.deepEqual(svc.rows, [
    ['kubernetes', 'ClusterIP', '10.43.0.1', '<none>', '443/TCP', '60s', '<none>'],
    ['web', 'ClusterIP', formatIpv4(web.clusterIP!), '<none>', '80/TCP', '60s', 'app=web'],
    ['whoami', 'ClusterIP', formatIpv4(whoami.clusterIP!), '<none>', '80/TCP', '60s', 'app=whoami'],
  ]);
  const dns = cells(get('services', DEMO, '-n', 'kube-system').out);
  // k3s's traefik Service is a LoadBalancer: ServiceLB publishes the nodes' addresses (kubectl clips them
  // to 16 characters without -o wide)
  const traefik = rt.plan.services.find((s) => s.name === 'traefik')!;
  const [web80, web443] = traefik.ports.map((p) => p.nodePort);
  assert.deepEqual(dns.rows, [
    ['kube-dns', 'ClusterIP', '10.43.0.10', '<none>', '53/UDP,53/TCP,9153/TCP', '60s'],
    [
      'traefik',
      'LoadBalancer',
      formatIpv4(traefik.clusterIP!),
      '192.168.56.11...',
      `80:${web80}/TCP,443:${web443}/TCP`,
      '60s',
    ],
  ]);

  const ep = cells(get('ep', DEMO).out);
  assert.deepEqual(ep.headers, ['NAME', 'ENDPOINTS', 'AGE']);
  const server = formatIpv4(rt.nodes.get('server')!.ip);
  // four web replicas: the first three by IP string, then "+ 1 more..." (formatEndpoints)
  const webIps = [...rt.pods.values()]
    .filter((p) => p.labels['app'] === 'web')
    .map((p) => formatIpv4(p.ip))
    .sort();
  const whoamiIps = [...rt.pods.values()]
    .filter((p) => p.labels['app'] === 'whoami')
    .map((p) => formatIpv4(p.ip))
    .sort();
  assert.deepEqual(ep.rows, [
    ['kubernetes', `${server}:6443`, '60s'],
    [
      'web',
      `${webIps
        .slice(0, 3)
        .map((ip) => `${ip}:80`)
        .join(',')} + 1 more...`,
      '60s',
    ],
    // two whoami replicas, by IP string
    ['whoami', whoamiIps.map((ip) => `${ip}:80`).join(','), '60s'],
  ]);
  assert.deepEqual(cells(get('endpoints', DEMO).out), ep);
});

test('get -o json and -o yaml: a v1 List of the objects with metadata, spec and status', () => {
  for (const o of ['json', 'yaml']) {
    const r = get('pods', DEMO, '-o', o);
    assert.equal(r.code, 0, r.err);
    const list = (o === 'json' ? JSON.parse(r.out) : parse(r.out)) as {
      apiVersion: string;
      kind: string;
      items: {
        apiVersion: string;
        kind: string;
        metadata: Record<string, string>;
        spec: { nodeName: string };
        status: { phase: string; podIP: string };
      }[];
    };
    assert.equal(list.apiVersion, 'v1');
    assert.equal(list.kind, 'List');
    assert.equal(list.items.length, 7);
    for (const p of list.items) {
      assert.equal(p.apiVersion, 'v1');
      assert.equal(p.kind, 'Pod');
      assert.equal(p.metadata['namespace'], 'default');
      assert.equal(p.metadata['creationTimestamp'], '2026-01-01T00:00:00Z');
      assert.ok(p.metadata['uid']);
      assert.equal(p.status.phase, 'Running');
      assert.match(p.status.podIP, /^10\.42\./);
      assert.ok(p.spec.nodeName === 'server' || p.spec.nodeName === 'agent');
    }
  }
  // kubectl's JSON is indented by 4 and its YAML does not indent list items under their key
  assert.match(get('nodes', DEMO, '-o', 'json').out, /^\{\n {4}"apiVersion": "v1",/);
  assert.match(get('nodes', DEMO, '-o', 'yaml').out, /^apiVersion: v1\nitems:\n- apiVersion: v1\n/);
});

const PENDING = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: pending }
spec:
  seed: 3
  nodes:
    - { name: server, address: 192.168.56.11/24, role: server }
    - { name: agent, address: 192.168.56.12/24, role: agent }
---
apiVersion: v1
kind: Pod
metadata: { name: wants-ssd }
spec:
  nodeSelector: { disk: ssd }
  containers:
    - { name: app, image: nginx:1.27 }
---
apiVersion: v1
kind: Pod
metadata: { name: runs, labels: { app: runs } }
spec:
  containers:
    - { name: app, image: nginx:1.27 }
---
apiVersion: v1
kind: Service
metadata: { name: np }
spec:
  type: NodePort
  selector: { app: runs }
  ports:
    - { port: 80, nodePort: 30080 }
---
apiVersion: v1
kind: Service
metadata: { name: lb }
spec:
  type: LoadBalancer
  selector: { app: runs }
  ports:
    - { port: 8080, targetPort: 80, nodePort: 30081 }
---
apiVersion: v1
kind: Service
metadata: { name: headless }
spec:
  clusterIP: None
  selector: { app: nothing }
  ports:
    - { port: 80 }
`;

test('a pod no node takes: STATUS Pending, no IP or node, and PodScheduled False Unschedulable in -o yaml', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-get-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'pending.yaml');
  writeFileSync(file, PENDING);
  const r = get('pods', file, '-o', 'wide');
  assert.equal(r.code, 0, r.err);
  const rows = cells(r.out).rows;
  const pending = rows.find((x) => x[0] === 'wants-ssd')!;
  assert.deepEqual(pending.slice(1, 3), ['0/1', 'Pending']);
  assert.deepEqual(pending.slice(5), ['<none>', '<none>', '<none>', '<none>']);
  assert.deepEqual(rows.find((x) => x[0] === 'runs')!.slice(1, 3), ['1/1', 'Running']);

  const list = parse(get('po', file, '-o', 'yaml').out) as {
    items: { metadata: { name: string }; status: { phase: string; conditions: Record<string, string>[] } }[];
  };
  const pod = list.items.find((p) => p.metadata.name === 'wants-ssd')!;
  assert.equal(pod.status.phase, 'Pending');
  assert.deepEqual(
    pod.status.conditions.map(({ lastTransitionTime: _, ...c }) => c),
    [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
      },
    ],
  );
});

test('NodePort, LoadBalancer and headless Services, and an Endpoints without addresses, as printService shows them', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-get-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'services.yaml');
  writeFileSync(file, PENDING);
  const svc = new Map(cells(get('svc', file).out).rows.map((r) => [r[0], r]));
  // makePortString: port:nodePort/protocol; getServiceExternalIP: ServiceLB's ingress (both nodes), clipped to 16
  assert.deepEqual(svc.get('np')!.slice(3, 5), ['<none>', '80:30080/TCP']);
  assert.deepEqual(svc.get('lb')!.slice(3, 5), ['192.168.56.11...', '8080:30081/TCP']);
  assert.deepEqual(svc.get('headless')!.slice(1, 5), ['ClusterIP', 'None', '<none>', '80/TCP']);
  const ep = new Map(cells(get('ep', file).out).rows.map((r) => [r[0], r[1]]));
  assert.equal(ep.get('headless'), '<none>');
  assert.match(ep.get('lb')!, /^10\.42\.\d+\.\d+:80$/);
});

test('get --help prints the usage with get in it', () => {
  const r = get('--help');
  assert.equal(r.code, 0);
  assert.match(r.out, /podnet get nodes\|pods\|services\|endpoints\|endpointslices CLUSTER\.yaml/);
});

test('bad resource, bad -o, missing file: usage errors, exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['deployments', DEMO], /unknown resource type "deployments"/],
    [['pods', DEMO, '-o', 'xml'], /-o must be wide, yaml or json, got "xml"/],
    [['pods'], /get takes a resource/],
    [['pods', DEMO, '-n'], /-n needs a value/],
    [['pods', DEMO, '-n', 'x', '-A'], /-n and -A exclude each other/],
    [['pods', DEMO, '--watch'], /unknown option --watch/],
    [['pods', '/nonexistent/c.yaml'], /cannot read \/nonexistent\/c\.yaml/],
    [['pods', resolve(HERE, '../../../examples/two-subnets.yaml')], /holds no Cluster document/],
  ];
  for (const [args, msg] of cases) {
    const r = get(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, msg);
    assert.match(r.err, /Usage:/);
    assert.equal(r.out, '');
  }
});

test('humanDuration matches k8s.io/apimachinery duration_test.go', () => {
  const S = 1e9;
  const M = 60 * S;
  const H = 60 * M;
  const D = 24 * H;
  const ms = 1e6;
  const vectors: [number, string][] = [
    [S, '1s'],
    [70 * S, '70s'],
    [190 * S, '3m10s'],
    [70 * M, '70m'],
    [47 * H, '47h'],
    [49 * H, '2d1h'],
    [(8 * 24 + 2) * H, '8d'],
    [367 * D, '367d'],
    [(365 * 2 * 24 + 25) * H, '2y1d'],
    [(365 * 8 * 24 + 2) * H, '8y'],
    [-2 * S, '<invalid>'],
    [-2 * S + 1, '0s'],
    [0, '0s'],
    [2 * M - ms, '119s'],
    [2 * M, '2m'],
    [10 * M - ms, '9m59s'],
    [3 * H - ms, '179m'],
    [3 * H + M, '3h1m'],
    [8 * H - ms, '7h59m'],
    [8 * H + 59 * M, '8h'],
    [8 * D - ms, '7d23h'],
    [2 * 365 * D - ms, '729d'],
    [2 * 365 * D + D, '2y1d'],
    [8 * 365 * D - ms, '7y364d'],
    [9 * 365 * D, '9y'],
  ];
  for (const [ns, want] of vectors) assert.equal(humanDuration(ns), want, `${ns} ns`);
});

test("renderTable lays out as Go's tabwriter(minwidth 6, padding 3) does, the last column unpadded", () => {
  // worked by hand from text/tabwriter's rules (kubectl: k8s.io/cli-runtime/pkg/printers/tabwriter.go
  // minwidth 6, tabwidth 4, padding 3): cell width = max(widest text + 3, 6); NAME 11 + 3 = 14, ID max(2 + 3, 6) = 6
  assert.equal(
    renderTable({ headers: ['NAME', 'ID', 'AGE'], rows: [['a-long-name', 'x', '0s']] }),
    `NAME${' '.repeat(10)}ID${' '.repeat(4)}AGE\na-long-name${' '.repeat(3)}x${' '.repeat(5)}0s`,
  );
});

test('get pods: READY comes from the probes the node really sent (a readiness probe on a closed port: 0/1)', () => {
  const images = resolve(HERE, '../../../examples/cluster-images.yaml');
  const r = get('pods', images);
  assert.equal(r.code, 0, r.err);
  const rows = new Map(cells(r.out).rows.map((row) => [row[0], row]));
  // not-ready's readinessProbe asks a port nothing listens on; the nginx pods have none, so are ready once started
  assert.equal(rows.get('not-ready')?.[1], '0/1', r.out);
  assert.equal(rows.get('not-ready')?.[2], 'Running');
  assert.equal(rows.get('apache')?.[1], '1/1', r.out);
  const json = JSON.parse(get('pods', images, '-o', 'json').out) as {
    items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[];
  };
  const nr = json.items.find((p) => p.metadata.name === 'not-ready');
  assert.equal(nr?.status.conditions.find((c) => c.type === 'Ready')?.status, 'False');
});
