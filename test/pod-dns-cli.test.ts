/**
 * Pod DNS seen as a user sees it through `podnet exec`: each pod's /etc/resolv.conf follows its dnsPolicy,
 * /etc/hosts is the kubelet's managed file with hostAliases, and names resolve only the way they resolve in
 * a cluster (/etc/hosts, then DNS): a bare pod name does not. Expected texts follow the kubelet's dns.go,
 * kubelet_pods.go and containerd's parseDNSOptions (search, nameserver, options), and iputils' and curl's
 * wording for a name that does not resolve.
 *
 * What happens to a query for 10.43.0.10 today: kube-proxy DNATs it to the CoreDNS pod, whose stand-in
 * answers only the nodes' names (NodeHosts) until CoreDNS's kubernetes plugin is emulated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from './support/cli.js';
import { loadCluster } from '../src/scenario/manifests.js';
import { buildCluster } from '../src/cluster/runtime.js';
import { formatIpv4 } from '../src/wire/addr.js';
import { formatSpecErrors } from '../src/scenario/source.js';
import { EXAMPLES_DIR } from './support/examples.js';

const DEMO = join(EXAMPLES_DIR, 'cluster-demo.yaml');

const PODS = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: dns }
spec:
  nodes:
    - { name: server, address: 192.168.56.11/24, role: server }
---
apiVersion: v1
kind: Pod
metadata: { name: aliased }
spec:
  hostAliases:
    - { ip: 8.8.8.8, hostnames: [dns.google, google-dns] }
  containers: [{ name: c, image: busybox:1.36 }]
---
apiVersion: v1
kind: Pod
metadata: { name: custom }
spec:
  dnsPolicy: None
  dnsConfig:
    nameservers: [1.1.1.1]
    searches: [corp.example]
    options: [{ name: ndots, value: "2" }]
  containers: [{ name: c, image: busybox:1.36 }]
---
apiVersion: v1
kind: Pod
metadata: { name: plain }
spec:
  dnsPolicy: Default
  containers: [{ name: c, image: busybox:1.36 }]
`;

function podsFile(t: { after(fn: () => void): void }): string {
  const file = join(tempDir(t, 'podnet-poddns-'), 'cluster.yaml');
  writeFileSync(file, PODS);
  return file;
}

test('exec client -- cat /etc/resolv.conf prints the ClusterFirst file', async () => {
  const r = await cli('exec', DEMO, 'client', '--', 'cat', '/etc/resolv.conf');
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.43.0.10\noptions ndots:5',
  );
});

test("exec client -- cat /etc/hosts: the kubelet's managed file ending with the pod's IP and name", async () => {
  const loaded = loadCluster([{ file: DEMO, text: readFileSync(DEMO, 'utf8') }]);
  assert.ok(loaded.ok);
  const c = await buildCluster(loaded.cluster.plan);
  const ip = formatIpv4([...c.pods.values()].find((p) => p.name === 'client')!.ip);
  const r = await cli('exec', DEMO, 'client', '--', 'cat', '/etc/hosts');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.split('\n')[0], '# Kubernetes-managed hosts file.');
  assert.equal(r.out.split('\n').at(-1), `${ip}\tclient`);
  const missing = await cli('exec', DEMO, 'client', '--', 'cat', '/etc/shadow');
  assert.equal(missing.code, 1);
  assert.equal(missing.out, 'cat: /etc/shadow: No such file or directory');
});

// kube-proxy takes the query to the CoreDNS pod, whose stand-in answers only the nodes' names (NodeHosts) so far:
// a bare pod name is no DNS name in Kubernetes either, so it must not resolve
test('a bare pod name does not resolve: ping and curl say so in their own words', async () => {
  const loaded = loadCluster([{ file: DEMO, text: readFileSync(DEMO, 'utf8') }]);
  assert.ok(loaded.ok);
  const web = loaded.cluster.plan.pods.find((p) => p.name.startsWith('web-'))!.name;
  const p = await cli('exec', DEMO, 'client', '--', 'ping', '-c', '1', web);
  assert.equal(p.code, 2);
  assert.match(p.out, new RegExp(`^ping: ${web}: (Name or service not known|Temporary failure in name resolution)$`));
  const c = await cli('exec', DEMO, 'client', '--', 'curl', '-sS', `http://${web}/`);
  assert.equal(c.code, 6);
  assert.equal(c.out, `curl: (6) Could not resolve host: ${web}`);
});

test('dig from a pod asks 10.43.0.10, its ClusterFirst nameserver: kube-proxy takes it to the CoreDNS pod', async () => {
  const r = await cli('exec', DEMO, 'client', '--', 'dig', 'web.default.svc.cluster.local');
  // the answer comes from the ClusterIP (conntrack un-DNATs it); the stand-in internet never sees the query
  assert.match(r.out, /^;; SERVER: 10\.43\.0\.10#53\(10\.43\.0\.10\) \(UDP\)$/m);
  assert.doesNotMatch(r.out, /communications error/);
});

test('hostAliases resolve for ping and curl; dnsPolicy None and Default files', async (t) => {
  const file = podsFile(t);
  const p = await cli('exec', file, 'aliased', '--', 'ping', '-c', '1', 'dns.google');
  assert.equal(p.code, 0, p.out);
  assert.match(p.out, /^64 bytes from 8\.8\.8\.8: icmp_seq=1/m);
  const c = await cli('exec', file, 'aliased', '--', 'curl', '-sv', '-m', '1', 'http://google-dns/');
  assert.match(c.out, /^\* {3}Trying 8\.8\.8\.8:80\.\.\.$/m);
  assert.match(c.out, /^\* Connected to google-dns \(8\.8\.8\.8\) port 80/m);
  const hosts = await cli('exec', file, 'aliased', '--', 'cat', '/etc/hosts');
  assert.match(hosts.out, /\n\n# Entries added by HostAliases\.\n8\.8\.8\.8\tdns\.google\n8\.8\.8\.8\tgoogle-dns$/);
  const none = await cli('exec', file, 'custom', '--', 'cat', '/etc/resolv.conf');
  assert.equal(none.out, 'search corp.example\nnameserver 1.1.1.1\noptions ndots:2');
  // Default: the node's resolv.conf, which points at the internet router's DNS server
  const def = await cli('exec', file, 'plain', '--', 'cat', '/etc/resolv.conf');
  const node = await cli('exec', file, 'server', '--', 'cat', '/etc/resolv.conf');
  assert.equal(def.out, node.out);
  assert.match(def.out, /^nameserver \d+\.\d+\.\d+\.\d+$/);
});

test('dnsPolicy None needs a dnsConfig with a nameserver; hostAliases need an IP, as the API server requires', () => {
  const bad = PODS.replace(/dnsConfig:\n {4}nameservers: \[1\.1\.1\.1\]\n/, 'dnsConfig:\n').replace(
    'ip: 8.8.8.8',
    'ip: dns.google',
  );
  const r = loadCluster([{ file: 'bad.yaml', text: bad }]);
  assert.ok(!r.ok);
  const text = formatSpecErrors(r.errors);
  assert.match(text, /dnsConfig\.nameservers: Required value: must provide at least one DNS nameserver/);
  assert.match(text, /spec\.hostAliases\[0\]\.ip: "dns\.google" is not a valid IP address/);
});
