/**
 * Services end to end, per wall second, on a two-node cluster built in-process (server and agent, flannel
 * VXLAN, kube-proxy in iptables mode, k3s's CoreDNS, ServiceLB and Traefik):
 * - DNS: a pod on the node without CoreDNS asks 10.43.0.10 (the kube-dns ClusterIP) for
 *   `web.default.svc.cluster.local` from a new UDP port per query, as a stub resolver does; kube-proxy
 *   DNATs it (conntrack, the statistic chain) to the coredns pod across VXLAN. Cache hits (the 5 s entry
 *   of `cache 30` is fresh: 32 queries in flight, and one at a time) and misses (one query every 5.5 s of
 *   simulated time, so the entry has expired and the kubernetes plugin answers) are measured apart; only
 *   the query's own events are timed, with whatever of the cluster's background (probes) falls in them.
 * - HTTP through ingress: the laptop (spec.outsideClients) -> server's IP:80, which ServiceLB advertises
 *   and kube-proxy DNATs to the traefik pod -> a whoami pod, with a new TCP connection per request (as curl
 *   does) and with keep-alive.
 * Each figure is the median of `--runs` runs (default 5), with frames put on links per wall second and the
 * simulated time per request. Every answer is checked (the Service's ClusterIP from 10.43.0.10, whoami's
 * page with status 200) and no frame may be dropped; anything else exits 1.
 * `node dist/bench/services.js [--runs N] [--queries N] [--requests N] [--json]`.
 */
import { pathToFileURL } from 'node:url';
import { HttpClient } from '../src/apps/http/client.js';
import { buildCluster, type ClusterPod, type ClusterRuntime } from '../src/cluster/runtime.js';
import { loadCluster } from '../src/scenario/manifests.js';
import { SECOND } from '../src/sim/engine.js';
import { formatIpv4, parseIpv4 } from '../src/wire/addr.js';
import { buildDns, emptyDnsMessage, parseDns } from '../src/wire/dns.js';

/**
 * Its own cluster, not the demo file (which changes with the demo): the demo's two nodes and web Deployment,
 * the laptop outside, whoami behind a Traefik Ingress, and a client pod per node.
 */
function clusterText(): string {
  const demo = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: services-bench }
spec:
  seed: 1
  nodes:
    - { name: server, address: 192.168.56.11/24, role: server }
    - { name: agent, address: 192.168.56.12/24, role: agent }
  flannel: { backend: vxlan }
  outsideClients: [{ name: laptop, address: 192.168.56.50/24 }]
  underlay: { type: switch, link: { latency: 100us, bandwidth: 1Gbps, mtu: 1500 } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, labels: { app: web } }
spec:
  replicas: 4
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: 'nginx:1.27', ports: [{ name: http, containerPort: 80 }] }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { selector: { app: web }, ports: [{ name: http, port: 80, targetPort: http }] }
`;
  const client = (node: string): string => `---
apiVersion: v1
kind: Pod
metadata: { name: client-${node} }
spec:
  nodeName: ${node}
  containers: [{ name: c, image: busybox:1.36, command: [sleep, infinity] }]
`;
  return `${demo}${client('server')}${client('agent')}---
apiVersion: apps/v1
kind: Deployment
metadata: { name: whoami }
spec:
  replicas: 2
  selector: { matchLabels: { app: whoami } }
  template:
    metadata: { labels: { app: whoami } }
    spec:
      containers: [{ name: whoami, image: traefik/whoami:v1.10, ports: [{ name: web, containerPort: 80 }] }]
---
apiVersion: v1
kind: Service
metadata: { name: whoami }
spec: { selector: { app: whoami }, ports: [{ name: http, port: 80, targetPort: web }] }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: whoami }
spec:
  rules:
    - host: whoami.local
      http:
        paths: [{ path: /, pathType: Prefix, backend: { service: { name: whoami, port: { number: 80 } } } }]
`;
}

/** Stops the bench with a message (a wrong answer or a drop makes its figures meaningless). */
function fail(what: string): never {
  throw new Error(`services bench: ${what}`);
}

/** A cluster up and ready: every pod Ready, so kube-proxy, CoreDNS and Traefik have their endpoints. */
async function readyCluster(): Promise<ClusterRuntime> {
  const r = loadCluster([{ file: 'services-bench.yaml', text: clusterText() }]);
  if (!r.ok) fail(r.errors.map((e) => e.message).join('\n'));
  const c = await buildCluster(r.cluster.plan);
  c.engine.runFor(60 * SECOND);
  const notReady = [...c.pods.values()].filter((p) => !p.ready).map((p) => p.name);
  if (notReady.length > 0) fail(`pods not ready after 60 s: ${notReady.join(', ')}`);
  return c;
}

/** Frames put on every link so far (a packet-hop is one frame on one link, as in the other benches). */
function hops(c: ClusterRuntime): number {
  let n = 0;
  for (const l of c.network.links) n += l.ab.transmitted + l.ba.transmitted;
  return n;
}

/** Drops by device and reason, across the network. */
function dropsOf(c: ClusterRuntime): Map<string, number> {
  const m = new Map<string, number>();
  for (const d of c.network.devices.values())
    for (const [reason, n] of Object.entries(d.drops)) if (n !== undefined) m.set(`${d.name}: ${reason}`, n);
  return m;
}

/** Fails when any drop happened since `before`. */
function noNewDrops(c: ClusterRuntime, before: Map<string, number>, what: string): void {
  const extra = [...dropsOf(c)]
    .filter(([k, n]) => n !== (before.get(k) ?? 0))
    .map(([k, n]) => `${k} +${n - (before.get(k) ?? 0)}`);
  if (extra.length > 0) fail(`${what}: frames dropped: ${extra.join(', ')}`);
}

/** One measured run of one workload. */
export interface ServicesRun {
  requests: number;
  wallSeconds: number;
  perSecond: number;
  hopsPerSecond: number;
  hopsPerRequest: number;
  /** Mean simulated time from a request's start to its answer, in microseconds. */
  simMicrosPerRequest: number;
}

function result(requests: number, wallNs: bigint, hopCount: number, simNs: number): ServicesRun {
  const wallSeconds = Number(wallNs) / 1e9;
  return {
    requests,
    wallSeconds,
    perSecond: Math.round(requests / wallSeconds),
    hopsPerSecond: Math.round(hopCount / wallSeconds),
    hopsPerRequest: +(hopCount / requests).toFixed(1),
    simMicrosPerRequest: +(simNs / requests / 1000).toFixed(1),
  };
}

const SERVICE_NAME = 'web.default.svc.cluster.local.';
const KUBE_DNS = parseIpv4('10.43.0.10') ?? 0;

/** The DNS client pod (on the node without CoreDNS), and the answer it must get. */
function dnsSetup(c: ClusterRuntime): { client: ClusterPod; want: number } {
  const coredns = [...c.pods.values()].find((p) => p.name.startsWith('coredns-')) ?? fail('no coredns pod');
  const client = [...c.pods.values()].find((p) => p.name.startsWith('client-') && p.node !== coredns.node);
  if (client === undefined) fail('no client pod on a node without CoreDNS');
  const web = c.plan.services.find((s) => s.name === 'web' && s.namespace === 'default');
  if (web?.clusterIP === undefined) fail('no web ClusterIP');
  return { client, want: web.clusterIP };
}

/**
 * `total` queries for the Service name, `inFlight` at a time, each from a new port; with `gapNs`, the
 * cluster first runs that long untimed before each query (so the cache entry has expired).
 */
function dnsRun(c: ClusterRuntime, total: number, inFlight: number, gapNs = 0): ServicesRun {
  const { client, want } = dnsSetup(c);
  const query = buildDns({ ...emptyDnsMessage({ rd: true }), questions: [{ name: SERVICE_NAME, type: 1, class: 1 }] });
  const drops = dropsOf(c);
  let sent = 0;
  let answered = 0;
  let simNs = 0;
  let wallNs = 0n;
  let hopCount = 0;
  const send = (): void => {
    const id = (sent * 7919) & 0xffff;
    const bytes = query.slice();
    bytes[0] = id >>> 8;
    bytes[1] = id & 0xff;
    sent++;
    const start = c.engine.now;
    const port = client.udp.bind(0, (d) => {
      client.udp.unbind(port);
      const r = parseDns(d.payload);
      if (d.src !== KUBE_DNS || d.srcPort !== 53)
        fail(`answer from ${formatIpv4(d.src)}:${d.srcPort}, not 10.43.0.10:53`);
      if (!r.ok || r.value.id !== id || r.value.rcode !== 0 || r.value.answers.length !== 1)
        fail(
          `bad answer to ${SERVICE_NAME}: ${r.ok ? `rcode ${r.value.rcode}, ${r.value.answers.length} answers` : r.error.reason}`,
        );
      const a = r.value.answers[0]!.data;
      if (a.type !== 'A' || a.address !== want)
        fail(`${SERVICE_NAME} answered with something other than ${formatIpv4(want)}`);
      answered++;
      simNs += c.engine.now - start;
      if (gapNs > 0) c.engine.stop();
      else if (sent < total) send();
      else if (answered === total) c.engine.stop();
    });
    client.udp.send(port, KUBE_DNS, 53, bytes);
  };
  if (gapNs > 0) {
    for (let i = 0; i < total; i++) {
      c.engine.runFor(gapNs);
      const h0 = hops(c);
      const t0 = process.hrtime.bigint();
      send();
      c.engine.run(c.engine.now + 5 * SECOND);
      wallNs += process.hrtime.bigint() - t0;
      hopCount += hops(c) - h0;
    }
  } else {
    const h0 = hops(c);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < Math.min(inFlight, total); i++) send();
    c.engine.run(c.engine.now + 60 * SECOND);
    wallNs = process.hrtime.bigint() - t0;
    hopCount = hops(c) - h0;
  }
  if (answered !== total) fail(`DNS: ${answered} of ${total} queries answered`);
  noNewDrops(c, drops, 'DNS');
  return result(total, wallNs, hopCount, simNs);
}

/** `total` requests from the laptop to server:80 with Host whoami.local, `inFlight` at a time. */
function httpRun(c: ClusterRuntime, total: number, inFlight: number, keepAlive: boolean): ServicesRun {
  const laptop = c.outside.get('laptop') ?? fail('no laptop');
  const node = c.nodes.get('server') ?? fail('no server node');
  const whoamis = new Set([...c.pods.values()].filter((p) => p.labels['app'] === 'whoami').map((p) => p.name));
  const drops = dropsOf(c);
  let sent = 0;
  let done = 0;
  let simNs = 0;
  const clients = Array.from(
    { length: inFlight },
    () => new HttpClient(laptop.tcp, { keepAlive, userAgent: 'curl/8.5.0' }),
  );
  const next = (client: HttpClient): void => {
    if (sent >= total) return;
    sent++;
    const start = c.engine.now;
    client.request(node.ip, 80, { host: 'whoami.local', headers: [['Accept', '*/*']] }, (r) => {
      if (!r.ok || r.head?.status !== 200) fail(`HTTP: ${r.failure?.kind ?? `status ${r.head?.status}`}`);
      const host = /^Hostname: (.*)$/m.exec(new TextDecoder().decode(r.body))?.[1]?.trim();
      if (host === undefined || !whoamis.has(host)) fail(`HTTP: not a whoami page (Hostname ${host})`);
      done++;
      simNs += c.engine.now - start;
      if (done === total) c.engine.stop();
      else next(client);
    });
  };
  const h0 = hops(c);
  const t0 = process.hrtime.bigint();
  for (const cl of clients) next(cl);
  c.engine.run(c.engine.now + 600 * SECOND);
  const wallNs = process.hrtime.bigint() - t0;
  const hopCount = hops(c) - h0;
  if (done !== total) fail(`HTTP: ${done} of ${total} requests answered`);
  const opened = clients.reduce((n, cl) => n + cl.connectionsOpened, 0);
  if (keepAlive ? opened !== Math.min(inFlight, total) : opened !== total)
    fail(`HTTP: ${opened} connections for ${total} requests`);
  for (const cl of clients) cl.close();
  c.engine.runFor(5 * SECOND);
  noNewDrops(c, drops, 'HTTP');
  return result(total, wallNs, hopCount, simNs);
}

/** The run with the median rate. */
function median(runs: ServicesRun[]): ServicesRun {
  const s = [...runs].sort((a, b) => a.perSecond - b.perSecond);
  return s[Math.floor(s.length / 2)]!;
}

/** Every workload's median of `runs` runs, each run on a fresh cluster (the same seed: the same packets). */
export async function runServicesBench(
  runs = 5,
  queries = 5_000,
  requests = 500,
): Promise<{ name: string; unit: string; run: ServicesRun }[]> {
  const workloads: { name: string; unit: string; go: (c: ClusterRuntime) => ServicesRun }[] = [
    { name: 'dns-cache-hit', unit: 'queries', go: (c) => dnsRun(c, queries, 32) },
    { name: 'dns-cache-hit-serial', unit: 'queries', go: (c) => dnsRun(c, Math.floor(queries / 5), 1) },
    {
      name: 'dns-cache-miss',
      unit: 'queries',
      go: (c) => dnsRun(c, Math.max(1, Math.floor(queries / 50)), 1, 5.5 * SECOND),
    },
    { name: 'http-ingress-new-connection', unit: 'requests', go: (c) => httpRun(c, requests, 8, false) },
    { name: 'http-ingress-keep-alive', unit: 'requests', go: (c) => httpRun(c, requests * 2, 8, true) },
  ];
  const all = workloads.map(() => [] as ServicesRun[]);
  for (let i = 0; i < runs; i++) {
    const c = await readyCluster();
    workloads.forEach((w, j) => all[j]!.push(w.go(c)));
  }
  return workloads.map((w, j) => ({ name: w.name, unit: w.unit, run: median(all[j]!) }));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: number): number => {
    const i = args.indexOf(name);
    const v = i < 0 ? dflt : Number(args[i + 1]);
    if (!Number.isInteger(v) || v <= 0) {
      console.error('usage: node dist/bench/services.js [--runs N] [--queries N] [--requests N] [--json]');
      process.exit(2);
    }
    return v;
  };
  const runs = opt('--runs', 5);
  await runServicesBench(1, 200, 20); // warm the JIT
  const out = await runServicesBench(runs, opt('--queries', 5_000), opt('--requests', 500));
  if (args.includes('--json'))
    for (const o of out) console.log(JSON.stringify({ metric: `services-${o.name}`, ...o.run }));
  else {
    console.log(`median of ${runs} runs`);
    console.log('workload                      per wall s   packet-hops/s   hops/req   sim µs/req   n');
    for (const o of out)
      console.log(
        `${o.name.padEnd(29)} ${String(o.run.perSecond).padStart(10)}   ${String(o.run.hopsPerSecond).padStart(13)}   ${String(o.run.hopsPerRequest).padStart(8)}   ${String(o.run.simMicrosPerRequest).padStart(10)}   ${o.run.requests} ${o.unit}`,
      );
  }
}
