/**
 * The demo's second act, as a person reads it: the laptop's curl to a node address ServiceLB advertises is
 * taken by kube-proxy's "loadbalancer IP" rule (before the svclb pod's hostPort, as on a k3s node: k3s
 * discussion #9927), DNATed to the traefik pod and masqueraded, so whoami's page shows the node's cni0
 * address as X-Forwarded-For (the client IP is lost); the hop table names each rewrite in netfilter's order;
 * a second curl reaches the other whoami pod across VXLAN; from a pod, dig and curl find the web Service by name. Plus --act parsing, --json, and
 * the built program run from a fresh directory, with act 2's traffic in its pcaps (checked with tshark).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, tempDir } from './support/cli.js';
import { tsharkFrames } from './support/tshark.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../src/cli/bin.js');

/** The IP column of the demo's pod table for the pod whose name starts with `prefix` on `node`. */
function podIp(out: string, prefix: string, node: string): string {
  const m = new RegExp(`^${prefix}\\S*\\s+\\d/\\d\\s+Running\\s+${node}\\s+(10\\.42\\.\\d+\\.\\d+)$`, 'm').exec(out);
  assert.ok(m !== null, `no pod ${prefix}* on ${node} in:\n${out}`);
  return m[1]!;
}

/** The CLUSTER-IP column of the demo's Services table. */
function clusterIp(out: string, ns: string, name: string): string {
  const m = new RegExp(`^${ns}\\s+${name}\\s+\\S+\\s+(10\\.43\\.\\d+\\.\\d+)\\s`, 'm').exec(out);
  assert.ok(m !== null, `no Service ${ns}/${name}`);
  return m[1]!;
}

/** Where `re` first matches in `s` (asserting that it does). */
function at(s: string, re: RegExp, from = 0): number {
  const i = s.slice(from).search(re);
  assert.ok(i >= 0, `${String(re)} not found after character ${from}`);
  return from + i;
}

test("demo --act 2: whoami through kube-proxy's loadbalancer IP rule and Traefik, each NAT in order, the client IP lost", async () => {
  const r = await cli('demo', '--act', '2', '--no-pcap');
  assert.equal(r.code, 0, r.out + r.err);
  assert.doesNotMatch(r.out, /^Act 1/m);
  const traefik = podIp(r.out, 'kube-system/traefik-', 'server');
  const act = r.out.slice(at(r.out, /^Act 2: Services/m));
  // the server's cni0 address: what kube-proxy's MASQUERADE makes of the laptop on the way to the traefik pod
  const cni0 = traefik.replace(/\.\d+$/, '.1');
  // the first curl: whoami's page as the pod saw it; Traefik's X-Forwarded-For and X-Real-Ip name the node's
  // cni0 address, and RemoteAddr is Traefik's own connection from its pod
  const curls = [...act.matchAll(/^laptop\$ curl -s http:\/\/192\.168\.56\.11\/ .*$/gm)];
  assert.equal(curls.length, 2);
  assert.match(curls[1]![0], /again: Traefik takes the next whoami pod, round robin/);
  const first = act.slice(curls[0]!.index, curls[1]!.index);
  const page = first.slice(0, at(first, /^hop /m));
  assert.match(page, /^Hostname: whoami-\S+$/m);
  assert.match(page, /^GET \/ HTTP\/1\.1$/m);
  assert.match(page, /^Host: 192\.168\.56\.11$/m);
  assert.match(page, new RegExp(`^RemoteAddr: ${traefik.replaceAll('.', '\\.')}:\\d+$`, 'm'));
  assert.match(page, new RegExp(`^X-Forwarded-For: ${cni0.replaceAll('.', '\\.')}$`, 'm'));
  assert.match(page, new RegExp(`^X-Real-Ip: ${cni0.replaceAll('.', '\\.')}$`, 'm'));
  assert.doesNotMatch(page, /192\.168\.56\.100/, "the laptop's address reaches nobody");
  // the rewrites, in netfilter's order, each naming its rule: kube-proxy's DNAT of the advertised node IP to
  // the traefik pod, then its MASQUERADE on the way out to cni0; the svclb pod is not on the path
  const q = (s: string): string => s.replaceAll('.', '\\.');
  assert.doesNotMatch(first, /svclb-traefik-\S+: iptables/);
  let i = at(
    first,
    new RegExp(
      `· server: iptables -t nat KUBE-SEP-[A-Z2-7]{16}: DNAT 192\\.168\\.56\\.11:80 -> ${q(traefik)}:8000 by .*kube-system/traefik:web`,
    ),
  );
  i = at(
    first,
    new RegExp(
      `· server: iptables -t nat KUBE-POSTROUTING: MASQUERADE 192\\.168\\.56\\.100:\\d+ -> ${q(cni0)}:\\d+ by .*kubernetes service traffic requiring SNAT`,
    ),
    i,
  );
  // the SYN reaches the traefik pod from cni0's address, on port 8000; the SYN-ACK goes back undone
  i = at(first, new RegExp(`^\\d+ .* server .* ${q(cni0)} +${q(traefik)} +TCP +\\d+ +8000 .*\\[S\\]`, 'm'), i);
  i = at(first, /^\d+ .* server .* 192\.168\.56\.11 +192\.168\.56\.100 +TCP +80 .*\[S\.\]/m, i);
  // then Traefik's own connection, straight to a whoami pod's IP (not its ClusterIP), port 80
  at(
    first,
    new RegExp(
      `^\\d+ .* kube-system/traefik-\\S+ .* ${q(traefik)} +10\\.42\\.\\d+\\.\\d+ +TCP +\\d+ +80 .*\\[S\\]`,
      'm',
    ),
    i,
  );

  // the second curl: round robin takes the other whoami pod, which is on the agent: across VXLAN
  const second = act.slice(curls[1]!.index, at(act, /^Why the whoami page/m));
  const hosts = [...act.matchAll(/^Hostname: (\S+)$/gm)].map((m) => m[1]);
  assert.equal(hosts.length, 2);
  assert.notEqual(hosts[0], hosts[1]);
  const agentWhoami = podIp(r.out, 'default/whoami-', 'agent');
  assert.match(second, new RegExp(`^IP: ${q(agentWhoami)}$`, 'm'));
  // the first went to the whoami pod on the server, without leaving the node
  assert.match(first, new RegExp(`^IP: ${q(podIp(r.out, 'default/whoami-', 'server'))}$`, 'm'));
  assert.doesNotMatch(first, /VXLAN/);
  assert.match(second, /^\d+ .* server .* 192\.168\.56\.11 +192\.168\.56\.12 +VXLAN +\d+ +8472 .*vni 1$/m);
  assert.match(second, new RegExp(`^ +inner .* ${q(traefik)} +${q(agentWhoami)} +TCP +\\d+ +80 .*\\[S\\]`, 'm'));
  assert.match(act, /k3s discussion #9927/);
});

test('demo --act 2: from a pod, dig web.default.svc.cluster.local and curl http://web by name', async () => {
  const r = await cli('demo', '--act', '2', '--no-pcap');
  assert.equal(r.code, 0, r.out + r.err);
  const web = clusterIp(r.out, 'default', 'web').replaceAll('.', '\\.');
  const coredns = podIp(r.out, 'kube-system/coredns-', 'agent').replaceAll('.', '\\.');
  const digAt = at(r.out, /^client\$ dig web\.default\.svc\.cluster\.local$/m);
  const dig = r.out.slice(digAt, at(r.out, /^client\$ curl/m));
  assert.match(dig, /status: NOERROR/);
  // the Kubernetes DNS specification: A record of a ClusterIP Service, TTL 5 (CoreDNS's default)
  assert.match(dig, new RegExp(`^web\\.default\\.svc\\.cluster\\.local\\.\\s+5\\s+IN\\s+A\\s+${web}$`, 'm'));
  assert.match(dig, /^;; SERVER: 10\.43\.0\.10#53\(10\.43\.0\.10\) \(UDP\)$/m);
  assert.match(dig, new RegExp(`DNAT 10\\.43\\.0\\.10:53 -> ${coredns}:53 by .*kube-system/kube-dns:dns`));
  const curl = r.out.slice(at(r.out, /^client\$ curl -s http:\/\/web$/m));
  assert.match(curl, /<title>Welcome to nginx!<\/title>/);
  // resolv.conf's first search domain is default.svc.cluster.local, and it answers
  assert.match(curl, /^ {2}web\.default\.svc\.cluster\.local\. A$/m);
  assert.match(curl, new RegExp(`DNAT ${web}:80 -> 10\\.42\\.\\d+\\.\\d+:80 by .*default/web:http`));
});

test('demo --act: 1 shows only the ping, both acts by default, anything else is a usage error (exit 2)', async () => {
  const one = await cli('demo', '--act', '1', '--no-pcap');
  assert.equal(one.code, 0, one.out + one.err);
  assert.match(one.out, /^Act 1: pod to pod across nodes$/m);
  assert.match(one.out, /^reply received: \d+ frames on the wire$/m);
  assert.doesNotMatch(one.out, /^Act 2/m);
  const both = await cli('demo', '--no-pcap');
  assert.equal(both.code, 0, both.out + both.err);
  assert.ok(at(both.out, /^Act 1:/m) < at(both.out, /^Act 2:/m));
  for (const bad of [
    ['--act', '3'],
    ['--act', 'two'],
    ['--act', '2', '--compare'],
  ]) {
    const r = await cli('demo', ...bad);
    assert.equal(r.code, 2, bad.join(' '));
    assert.match(r.err, /--act must be 1 or 2, got "(3|two)"|--act and --compare exclude each other/);
    assert.match(r.err, /Usage:/);
  }
});

test('demo --json carries act 2: its commands, their output and the NAT rewrites in order', async () => {
  const r = await cli('demo', '--json', '--no-pcap', '--act', '2');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as {
    ping?: unknown;
    act2: {
      ok: boolean;
      commands: { on: string; argv: string[]; status: number; stdout: string }[];
      rewrites: string[];
    };
  };
  assert.equal(j.ping, undefined);
  assert.equal(j.act2.ok, true);
  assert.deepEqual(
    j.act2.commands.map((c) => [c.on, c.argv.join(' '), c.status]),
    [
      ['laptop', 'curl -s http://192.168.56.11/', 0],
      ['laptop', 'curl -s http://192.168.56.11/', 0],
      ['default/client', 'dig web.default.svc.cluster.local', 0],
      ['default/client', 'curl -s http://web', 0],
    ],
  );
  assert.match(j.act2.commands[0]!.stdout, /^X-Forwarded-For: 10\.42\.0\.\d+$/m);
  const kinds = j.act2.rewrites.slice(0, 2).map((w) => /: (DNAT|MASQUERADE) /.exec(w)?.[1] ?? w);
  assert.deepEqual(kinds, ['DNAT', 'MASQUERADE']);
});

test('the built demo exits 0 from a fresh directory, and its pcaps hold act 2 (tshark: the GET and the DNS query)', (t) => {
  const dir = tempDir(t, 'podnet-act2-');
  const r = spawnSync(process.execPath, [BIN, 'demo'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^X-Forwarded-For: /m);
  const pcaps = join(dir, 'podnet-demo-pcap');
  const files = readdirSync(pcaps);
  const laptop = files.find((f) => f.startsWith('laptop-eth0__'));
  assert.ok(laptop !== undefined, files.join(' '));
  const gets = tsharkFrames(join(pcaps, laptop), { fields: ['http.request.uri', 'ip.dst'] }).filter(
    (f) => f.fields['http.request.uri']?.[0] === '/',
  );
  assert.deepEqual(
    gets.map((f) => f.fields['ip.dst']?.[0]),
    ['192.168.56.11', '192.168.56.11'],
  );
  const client = files.find((f) => f.startsWith('client-eth0__'))!;
  const names = tsharkFrames(join(pcaps, client), { fields: ['dns.qry.name', 'dns.flags.response'] })
    .filter((f) => f.fields['dns.flags.response']?.[0] === '0')
    .map((f) => f.fields['dns.qry.name']?.[0]);
  assert.ok(names.includes('web.default.svc.cluster.local'), names.join(' '));
});
