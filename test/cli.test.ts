/**
 * The `podnet` command, run in-process through its exported main(argv, out, err): exit codes (0 all
 * expectations held, 1 one failed, 2 bad usage or bad lab file), usage text on usage errors, file:line:col
 * and the field path for a lab that does not validate, the hop table of `demo`, and pcap files on disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { EXAMPLES_DIR } from './support/examples.js';
import { cli, tempDir } from './support/cli.js';
import { loadCluster } from '../src/scenario/manifests.js';
import { buildCluster } from '../src/cluster/runtime.js';
import { formatIpv4 } from '../src/wire/addr.js';

const TWO_SUBNETS = join(EXAMPLES_DIR, 'two-subnets.yaml');

test('--help prints the usage and exits 0', async () => {
  for (const argv of [['--help'], ['-h'], ['help'], ['run', '--help']]) {
    const r = await cli(...argv);
    assert.equal(r.code, 0, argv.join(' '));
    assert.match(r.out, /^Usage:/m);
    assert.match(r.out, /podnet run LAB\.yaml/);
    assert.equal(r.err, '');
  }
});

test('usage errors exit 2 and print what was wrong, then the usage', async () => {
  const cases: [string[], RegExp][] = [
    [[], /no command given/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['run', TWO_SUBNETS, '--bogus'], /unknown option --bogus/],
    [['run'], /run takes one lab or cluster file/],
    [['run', '/nonexistent/podnet/lab.yaml'], /cannot read \/nonexistent\/podnet\/lab\.yaml: ENOENT/],
    [['trace', TWO_SUBNETS, '--to', 'E'], /trace needs --from NODE and --to NODE\|IP/],
    [['trace', TWO_SUBNETS, '--from', 'A'], /trace needs --from NODE and --to NODE\|IP/],
    [['trace', TWO_SUBNETS, '--from', 'Z', '--to', 'E'], /--from Z: no host or router of that name/],
    [['run', TWO_SUBNETS, '--seed', 'x'], /--seed must be an integer/],
    [['run', TWO_SUBNETS, '--pcap'], /--pcap needs a value/],
    [['bench', 'bgp', '--nodes', '10', '--mode', 'rr', '--bandwidth', '1GBps'], /--bandwidth takes a bit rate/],
    [['bench', 'bgp', '--nodes', '10', '--mode', 'rr', '--bandwidth', '0'], /--bandwidth takes a bit rate/],
    [['bench', 'bgp', '--table', '--bandwidth', '1Gbps'], /--table takes no other option/],
    [['bench', 'bgp', '--nodes', '1024', '--mode', 'mesh'], /a full mesh of 1024 nodes has 523,776 sessions/],
    // another command's option is refused, not ignored
    [['run', TWO_SUBNETS, '--mode', 'rr'], /run does not take --mode/],
    [['trace', TWO_SUBNETS, '--from', 'A', '--to', 'E', '--fresh'], /trace does not take --fresh/],
    [['demo', '--nodes', '3'], /demo does not take --nodes/],
    [['bench', 'bgp', '--nodes', '5', '--mode', 'rr', '--pairs', '3'], /bench bgp does not take --pairs/],
    [
      ['bench', 'cluster', '--nodes', '4', '--pods-per-node', '3', '--mode', 'rr'],
      /bench cluster does not take --mode/,
    ],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, `podnet ${argv.join(' ')} exited ${r.code}:\n${r.out}${r.err}`);
    assert.match(r.err, message, `podnet ${argv.join(' ')}`);
    assert.match(r.err, /^Usage:/m, `podnet ${argv.join(' ')} should print the usage`);
    assert.equal(r.out, '', `podnet ${argv.join(' ')} printed to stdout`);
  }
});

test("a usage error prints the usage of the command given, not every command's", async () => {
  const bgp = await cli('bench', 'bgp', '--nodes', '5', '--mode', 'rr', '--frob');
  assert.equal(bgp.code, 2);
  assert.match(bgp.err, /^podnet: unknown option --frob\n\nUsage:\n {2}podnet bench bgp --nodes N /);
  assert.match(bgp.err, /podnet --help lists every command/);
  for (const other of ['podnet run ', 'podnet bench cluster', 'podnet bench policy', 'podnet - '])
    assert.ok(!bgp.err.includes(other), `bench bgp's usage error also printed "${other}"`);
  // exec has two forms, emulated and --real: both are shown
  const exec = await cli('exec', TWO_SUBNETS);
  assert.equal(exec.code, 2);
  assert.match(exec.err, /^ {2}podnet exec LAB\.yaml\|CLUSTER\.yaml NODE\|POD /m);
  assert.match(exec.err, /^ {2}podnet exec --real /m);
  assert.ok(!exec.err.includes('podnet trace '), 'exec printed the trace usage');
  // bench alone: every bench command
  const bench = await cli('bench');
  assert.equal(bench.code, 2);
  for (const sub of ['cluster', 'bgp', 'policy']) assert.match(bench.err, new RegExp(`^ {2}podnet bench ${sub} `, 'm'));
  assert.ok(!bench.err.includes('podnet run '), 'bench printed the run usage');
  // no command, or one podnet does not have: the whole usage
  for (const argv of [[], ['frob']]) {
    const r = await cli(...argv);
    assert.equal(r.code, 2);
    assert.match(r.err, /podnet - a byte-accurate network emulator\n\nUsage:\n/);
    assert.match(r.err, /^ {2}podnet run /m);
    assert.match(r.err, /^ {2}podnet ui /m);
  }
});

test('a lab that does not validate exits 2, naming file:line:col and the field path, without the usage', async (t) => {
  const file = join(tempDir(t, 'podnet-cli-'), 'bad.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: podnet.dev/v1alpha1', // 1
      'kind: Lab', // 2
      'metadata: { name: bad }', // 3
      'spec:', // 4
      '  nodes:', // 5
      '    - { name: A, kind: host, interfaces: [{ name: eth0, address: 10.0.0.2/24 }] }', // 6
      '    - name: B', // 7
      '      kind: host', // 8
      '      interfaces:', // 9
      '        - name: eth0', // 10
      '          address: 10.0.0.300/24', // 11: the value starts in column 20
      '',
    ].join('\n'),
  );
  const r = await cli('run', file);
  assert.equal(r.code, 2, r.out + r.err);
  assert.match(
    r.err,
    new RegExp(
      `^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:11:20: spec\\.nodes\\[1\\]\\.interfaces\\[0\\]\\.address: `,
      'm',
    ),
  );
  assert.match(r.err, /10\.0\.0\.300\/24/);
  assert.doesNotMatch(r.err, /Usage:/);
  assert.equal(r.out, '');
});

test('run examples/two-subnets.yaml passes every step and exits 0', async () => {
  const r = await cli('run', TWO_SUBNETS);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^lab two-subnets: /);
  assert.doesNotMatch(r.out, /^FAIL/m);
  // one PASS line per step of the file, and the closing count agrees
  const steps = (r.out.match(/^PASS {2}/gm) ?? []).length;
  assert.ok(steps >= 8, `only ${steps} steps ran`);
  assert.match(r.out, new RegExp(`^${steps} passed, 0 failed$`, 'm'));
  assert.equal(r.err, '');
});

test('a lab with a failing expectation exits 1 and says what happened instead', async (t) => {
  const file = join(tempDir(t, 'podnet-cli-'), 'fails.yaml');
  writeFileSync(
    file,
    `apiVersion: podnet.dev/v1alpha1
kind: Lab
metadata: { name: fails }
spec:
  nodes:
    - { name: h1, kind: host, interfaces: [{ name: eth0, address: 10.0.0.1/24 }] }
    - { name: h2, kind: host, interfaces: [{ name: eth0, address: 10.0.0.2/24 }] }
  links:
    - { a: "h1:eth0", b: "h2:eth0" }
  steps:
    - name: this one holds
      ping: { from: h1, to: h2, count: 1 }
      expect: { received: 1 }
    - name: this one cannot
      ping: { from: h1, to: h2, count: 1 }
      expect: { received: 2 }
`,
  );
  const r = await cli('run', file);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /^PASS {2}this one holds/m);
  assert.match(r.out, /^FAIL {2}this one cannot {2}\(.*fails\.yaml:14\)$/m);
  assert.match(r.out, /^ {2}expected: received 1 replies, expected 2$/m);
  assert.match(r.out, /^1 passed, 1 failed$/m);
});

test('trace on the two-subnet lab prints the per-hop table of A -> E', async () => {
  const r = await cli('trace', TWO_SUBNETS, '--from', 'A', '--to', 'E');
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^trace A -> E \(10\.0\.1\.2\)/m);
  assert.match(
    r.out,
    /^hop\s+time\s+device\s+in\s+out\s+src MAC\s+dst MAC\s+VLAN\s+src IP\s+dst IP\s+proto\s+sport\s+dport\s+TTL\s+info$/m,
  );
  assert.match(r.out, /delivered to E, reply received/);
});

test('--pcap DIR writes one pcap per link', async (t) => {
  const dir = join(tempDir(t, 'podnet-cli-'), 'pcaps');
  const r = await cli('run', join(EXAMPLES_DIR, 'same-subnet.yaml'), '--pcap', dir);
  assert.equal(r.code, 0, r.out + r.err);
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, [
    'A-eth0__sw1-p1.pcap',
    'B-eth0__sw1-p2.pcap',
    'C-eth0__sw2-p1.pcap',
    'D-eth0__sw2-p2.pcap',
    'sw1-p4__sw2-p3.pcap',
  ]);
  for (const f of files) {
    const bytes = readFileSync(join(dir, f));
    assert.equal(bytes.readUInt32LE(0), 0xa1b23c4d, `${f}: nanosecond pcap magic`);
    assert.ok(bytes.length > 24, `${f}: no frames`);
  }
  assert.match(r.out, new RegExp(`^pcaps: 5 files in ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));

  const tr = await cli('trace', TWO_SUBNETS, '--from', 'A', '--to', 'E', '--pcap', join(dir, 'trace'));
  assert.equal(tr.code, 0, tr.out + tr.err);
  assert.equal(
    readdirSync(join(dir, 'trace')).filter((f) => f.endsWith('.pcap')).length,
    13,
    'two-subnets has 13 links',
  );
});

test('demo builds the two-node cluster, lists leases and pods, and pings across nodes hop by hop', async () => {
  const r = await cli('demo', '--no-pcap');
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^podnet demo: cluster "demo" .*: 2 nodes, Flannel vxlan, pods in 10\.42\.0\.0\/16/m);
  // k3s's podCIDRs: the range allocator hands out the cluster CIDR's /24s in join order
  assert.match(r.out, /^server\s+192\.168\.56\.11\/24\s+10\.42\.0\.0\/24\s+vxlan\s+1450$/m);
  assert.match(r.out, /^agent\s+192\.168\.56\.12\/24\s+10\.42\.1\.0\/24\s+vxlan\s+1450$/m);
  assert.match(r.out, /^10\.42\.1\.0\/24 via 10\.42\.1\.0 dev flannel\.1 onlink$/m);
  assert.match(r.out, /dev flannel\.1 onlink$/m);
  assert.match(r.out, /^reply received: \d+ frames on the wire$/m);
  // the overlay's two layers appear in the hop table: VXLAN outer headers and the inner ICMP
  assert.match(r.out, /VXLAN\s+\d+\s+8472\s+64\s+vni 1/);
});

test('demo --compare puts vxlan, host-gw and udp side by side with the bytes each puts on the wire', async () => {
  const r = await cli('demo', '--compare');
  assert.equal(r.code, 0, r.out + r.err);
  // 98 bytes of Ethernet+IP+ICMP for a 56-byte ping; VXLAN adds 50, udp 28, host-gw nothing
  assert.match(r.out, /^vxlan\s+yes\s+148\s+1450\s+1\s+1\s+1\s+no\s+no$/m);
  assert.match(r.out, /^host-gw\s+yes\s+98\s+1500\s+1\s+0\s+0\s+yes\s+no$/m);
  assert.match(r.out, /^udp\s+yes\s+126\s+1472\s+1\s+0\s+0\s+no\s+yes \(flanneld\)$/m);
});

test("demo --datastore memory runs flannel's etcd subnet manager (random leases, never 10.42.0.0/24)", async () => {
  const r = await cli('demo', '--no-pcap', '--datastore', 'memory');
  assert.equal(r.code, 0, r.out + r.err);
  const leases = [...r.out.matchAll(/^(?:server|agent)\s+\S+\s+(10\.42\.\d+\.0\/24)\s+vxlan/gm)].map((m) => m[1]);
  assert.equal(leases.length, 2);
  assert.ok(!leases.includes('10.42.0.0/24'), leases.join(' '));
  const bad = await cli('demo', '--datastore', 'consul://x:1');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--datastore must be memory or etcd:\/\/HOST:PORT, got "consul:\/\/x:1"/);
});

test('demo --backend rejects an unknown backend with usage, exit 2', async () => {
  const r = await cli('demo', '--backend', 'ipsec');
  assert.equal(r.code, 2);
  assert.match(r.err, /--backend must be vxlan, host-gw or udp/);
});

test('bench cluster --json prints one line with the figures', async () => {
  const r = await cli('bench', 'cluster', '--nodes', '4', '--pods-per-node', '3', '--pairs', '5', '--json');
  assert.equal(r.code, 0, r.out + r.err);
  const j = JSON.parse(r.out) as Record<string, number>;
  assert.deepEqual(Object.keys(j), ['nodes', 'pods', 'pairsChecked', 'pairsReachable', 'wallSeconds', 'peakRssBytes']);
  assert.equal(j.nodes, 4);
  assert.equal(j.pods, 12);
  assert.equal(j.pairsReachable, 5);
});

test('bench bgp --bandwidth sets the underlay: the JSON and the line say which, 10 Gbit/s by default', async () => {
  const slow = await cli('bench', 'bgp', '--nodes', '5', '--mode', 'rr', '--bandwidth', '100Mbps', '--json');
  assert.equal(slow.code, 0, slow.out + slow.err);
  const j = JSON.parse(slow.out) as Record<string, number>;
  assert.equal(j.underlayBps, 100_000_000);
  assert.equal(j.sessions, 7);
  const text = await cli('bench', 'bgp', '--nodes', '5', '--mode', 'rr');
  assert.equal(text.code, 0, text.out + text.err);
  assert.match(text.out, /^5 nodes, 2 route reflectors, 10 Gbit\/s underlay: 7 BGP sessions/);
});

test('demo is deterministic: two runs print the same JSON (leases, MACs, pod IPs, every event)', async () => {
  const a = await cli('demo', '--json', '--no-pcap');
  const b = await cli('demo', '--json', '--no-pcap');
  assert.equal(a.code, 0);
  assert.equal(a.out, b.out);
  assert.ok(a.out.length > 1000);
});

test('exec runs a command inside a cluster pod: traceroute across the overlay shows cni0, the far flannel.1, the pod', async () => {
  // pod names do not resolve inside a pod (no cluster DNS serves them), so the target is the pod's IP
  const file = join(EXAMPLES_DIR, 'cluster-demo.yaml');
  const loaded = loadCluster([{ file, text: readFileSync(file, 'utf8') }]);
  assert.ok(loaded.ok);
  const c = await buildCluster(loaded.cluster.plan);
  const client = c.pods.get('default/client')!;
  const far = [...c.pods.values()].find((p) => p.node !== client.node)!;
  const r = await cli('exec', file, 'client', '--', 'traceroute', '-n', '-q', '1', formatIpv4(far.ip));
  assert.equal(r.code, 0, r.out + r.err);
  // hop 1: the gateway on cni0 (x.y.z.1); hop 2: the other node's flannel.1 (its lease's .0); hop 3: the pod
  assert.match(r.out, /^ 1 {2}10\.42\.\d+\.1 {2}/m);
  assert.match(r.out, /^ 2 {2}10\.42\.\d+\.0 {2}/m);
  assert.match(r.out, /^ 3 {2}10\.42\.\d+\.\d+ {2}/m);
});

test('the package.json bins run as programs (shebang and execute bit), as `npx podnet` runs them', () => {
  const root = dirname(EXAMPLES_DIR);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.deepEqual(Object.keys(pkg.bin).sort(), ['podnet', 'podnet-cni']);

  const help = spawnSync(join(root, pkg.bin['podnet']!), ['--help'], { encoding: 'utf8' });
  assert.equal(help.error, undefined, `podnet did not start: ${String(help.error)}`);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage:/m);

  const bad = spawnSync(join(root, pkg.bin['podnet']!), ['--no-such-flag'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /Usage:/);

  const version = spawnSync(join(root, pkg.bin['podnet-cni']!), ['bridge'], {
    encoding: 'utf8',
    input: '{"cniVersion":"1.0.0"}',
    env: { ...process.env, CNI_COMMAND: 'VERSION' },
  });
  assert.equal(version.error, undefined, `podnet-cni did not start: ${String(version.error)}`);
  assert.equal(version.status, 0);
  assert.deepEqual(JSON.parse(version.stdout), {
    cniVersion: '1.1.0',
    supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
  });
});
