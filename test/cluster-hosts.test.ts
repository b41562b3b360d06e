/**
 * Nodes as real hosts, through the `podnet` command and checked with tshark on the pcaps it writes:
 * `ping 127.0.0.1` in a pod is answered and no frame appears on any link; `ping 8.8.8.8` from a pod is
 * answered by the internet router and crosses the underlay with the node's address (flannel's
 * MASQUERADE), while the pod's own veth shows its pod address; a laptop on the underlay pings a node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES_DIR } from './support/examples.js';
import { assertCleanDecode, tsharkFrames } from './support/tshark.js';
import { cli, tempDir } from './support/cli.js';

const DEMO = join(EXAMPLES_DIR, 'cluster-demo.yaml');

/** (ip.src, ip.dst) of every ICMP frame tshark finds in `file`. */
function icmpAddrs(file: string): string[] {
  const frames = tsharkFrames(file, { fields: ['ip.src', 'ip.dst', 'icmp.type'] });
  assertCleanDecode(frames);
  return frames
    .filter((f) => f.protocols.includes('icmp'))
    .map((f) => `${f.fields['ip.src']![0]} -> ${f.fields['ip.dst']![0]} type ${f.fields['icmp.type']![0]}`);
}

test('exec client -- ping -c 1 127.0.0.1: answered; no link carries an ICMP frame, its veth nothing at all', async (t) => {
  const dir = tempDir(t, 'podnet-hosts-');
  const r = await cli('exec', DEMO, 'client', '--pcap', dir, '--', 'ping', '-c', '1', '127.0.0.1');
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^64 bytes from 127\.0\.0\.1: icmp_seq=1 ttl=64/m);
  assert.match(r.out, /1 packets transmitted, 1 received, 0% packet loss/);
  const files = readdirSync(dir);
  assert.ok(files.length > 5);
  // the cluster has been up a minute: the kubelets' probes still cross cni0 and the veths of probed pods
  for (const f of files) assert.deepEqual(icmpAddrs(join(dir, f)), [], `${f} carries ICMP`);
  const veth = files.find((f) => f.startsWith('client-eth0__'))!;
  assert.deepEqual(tsharkFrames(join(dir, veth)), [], `${veth} is empty`);
});

test('exec client -- ping -c 1 8.8.8.8: answered; the pod sends from its IP, the underlay sees the node IP', async (t) => {
  const dir = tempDir(t, 'podnet-hosts-');
  const r = await cli('exec', DEMO, 'client', '--pcap', dir, '--', 'ping', '-c', '1', '8.8.8.8');
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^64 bytes from 8\.8\.8\.8: icmp_seq=1/m);
  const files = readdirSync(dir);
  const veth = files.find((f) => f.startsWith('client-eth0__'))!;
  const uplink = files.find((f) => f.startsWith('internet-eth0__'))!;
  const podIp = /^(10\.42\.\d+\.\d+) -> 8\.8\.8\.8/.exec(icmpAddrs(join(dir, veth))[0] ?? '')?.[1];
  assert.ok(podIp !== undefined, 'the request leaves the pod from its pod address');
  assert.deepEqual(icmpAddrs(join(dir, veth)), [`${podIp} -> 8.8.8.8 type 8`, `8.8.8.8 -> ${podIp} type 0`]);
  // the client runs on the agent node (192.168.56.12; coredns, traefik and the web replicas fill the nodes
  // first): MASQUERADE rewrote the source to it
  assert.deepEqual(icmpAddrs(join(dir, uplink)), [
    '192.168.56.12 -> 8.8.8.8 type 8',
    '8.8.8.8 -> 192.168.56.12 type 0',
  ]);
});

test('exec laptop -- ping a node; exec server -- dig a name the cluster file lists', async (t) => {
  const dir = tempDir(t, 'podnet-hosts-');
  const file = join(dir, 'cluster.yaml');
  const text = readFileSync(DEMO, 'utf8').replace(
    /^ {2}underlay:$/m,
    ['  internet: { dns: { example.com: 93.184.215.14 } }', '  underlay:'].join('\n'),
  );
  writeFileSync(file, text);
  const p = await cli('exec', file, 'laptop', '--', 'ping', '-c', '1', '192.168.56.12');
  assert.equal(p.code, 0, p.out + p.err);
  assert.match(p.out, /^64 bytes from 192\.168\.56\.12: icmp_seq=1 ttl=64/m);
  const d = await cli('exec', file, 'server', '--', 'dig', 'example.com');
  assert.equal(d.code, 0, d.out + d.err);
  assert.match(d.out, /status: NOERROR/);
  assert.match(d.out, /^example\.com\.\s+\d+\s+IN\s+A\s+93\.184\.215\.14$/m);
  assert.match(d.out, /;; SERVER: 192\.168\.56\.1#53\(192\.168\.56\.1\) \(UDP\)/);
  const nx = await cli('exec', file, 'server', '--', 'dig', 'no.such.name');
  assert.match(nx.out, /status: NXDOMAIN/);
});
