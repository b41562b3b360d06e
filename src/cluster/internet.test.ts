/**
 * The cluster's way out, checked as one checks a k3s node: a pod pings an internet address and gets an
 * answer, the node's uplink shows the packet leaving with the node's address (flannel's ip-masq rule,
 * `-j MASQUERADE`, as the trace says), loopback never leaves the pod, dig on a node asks the upstream server
 * its resolv.conf names, and a laptop placed on the underlay pings a node.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCluster } from '../scenario/manifests.js';
import { buildCluster, type ClusterRuntime } from './runtime.js';
import type { IpNode } from '../net/ip-node.js';
import { ping, type PingResult } from '../apps/ping.js';
import { dig, type DigResult } from '../apps/dns/dig.js';
import { TraceRecorder } from '../observe/recorder.js';
import { formatIpv4, parseIpv4, readIpv4 } from '../wire/addr.js';
import { DNS_RCODE_NXDOMAIN } from '../wire/dns.js';
import { ipRoute } from '../net/views.js';

// tests run from dist/src/cluster; the examples are at the repository root
const DEMO = join(import.meta.dirname, '../../../examples/cluster-demo.yaml');

async function cluster(extra: string[] = []): Promise<ClusterRuntime> {
  const text = readFileSync(DEMO, 'utf8').replace(/^ {2}underlay:$/m, [...extra, '  underlay:'].join('\n'));
  const r = loadCluster([{ file: 'cluster.yaml', text }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return buildCluster(r.cluster.plan);
}

function pingOnce(c: ClusterRuntime, from: IpNode, to: string): PingResult {
  let r: PingResult | undefined;
  ping(from, parseIpv4(to)!, { count: 1 }, (x) => (r = x));
  c.engine.runUntilIdle(30e9);
  return r!;
}

const ip = (s: string): number => parseIpv4(s)!;

describe('the internet router and outside clients', () => {
  it("a pod's ping to 8.8.8.8 is answered, and leaves its node masqueraded to the node's address", async () => {
    const c = await cluster();
    const rec = new TraceRecorder({ keepBytes: true });
    c.network.tracer = rec;
    const pod = c.pods.get('default/client')!;
    const node = c.nodes.get(pod.node)!;
    assert.equal(pingOnce(c, pod.stack, '8.8.8.8').received, 1);
    // on the node's uplink: ICMP to 8.8.8.8 from the node's own address, never from the pod's
    const out = rec.events.flatMap((e) =>
      e.kind === 'frame' && e.device === node.name && e.outPort === 'eth0' && e.bytes !== undefined
        ? [{ src: readIpv4(e.bytes, 26), dst: readIpv4(e.bytes, 30) }]
        : [],
    );
    const toGoogle = out.filter((f) => f.dst === ip('8.8.8.8'));
    assert.equal(toGoogle.length, 1);
    assert.equal(formatIpv4(toGoogle[0]!.src), formatIpv4(node.ip));
    assert.ok(
      rec.events.some((e) => e.kind === 'note' && e.device === node.name && /MASQUERADE/.test(e.message)),
      'the trace shows the MASQUERADE rule',
    );
    // the router is the nodes' default gateway: 192.168.56.1, the lowest free address of their subnet
    assert.equal(formatIpv4(c.internet.ip), '192.168.56.1');
    assert.match(ipRoute(c.nodes.get('agent')!.stack), /^default via 192\.168\.56\.1 dev eth0$/m);
  });

  it('ping 127.0.0.1 in a pod is answered and not one frame leaves the pod', async () => {
    const c = await cluster();
    const rec = new TraceRecorder();
    c.network.tracer = rec;
    const pod = c.pods.get('default/client')!;
    assert.equal(pingOnce(c, pod.stack, '127.0.0.1').received, 1);
    assert.equal(pingOnce(c, pod.stack, '127.1.2.3').received, 1);
    assert.deepEqual(
      rec.events.filter((e) => e.kind === 'frame'),
      [],
    );
  });

  it('dig on a node asks the upstream resolver in its resolv.conf: listed names answer, others NXDOMAIN, as a recursive resolver', async () => {
    const c = await cluster(['  internet:', '    dns: { example.com: 93.184.215.14, registry.local: 10.99.0.5 }']);
    const node = c.nodes.get('agent')!;
    assert.equal(node.resolvConf, 'nameserver 192.168.56.1\n');
    const ask = (name: string): DigResult => {
      let r: DigResult | undefined;
      dig({ udp: node.udp, resolvConf: node.resolvConf }, ['+short', name], (x) => (r = x));
      c.engine.runUntilIdle(30e9);
      return r!;
    };
    assert.equal(ask('example.com').stdout.trim(), '93.184.215.14');
    assert.equal(ask('registry.local').stdout.trim(), '10.99.0.5');
    const missing = ask('nothing.example');
    assert.equal(missing.response?.rcode, DNS_RCODE_NXDOMAIN);
    // a recursive resolver's answers: RA set, AA clear (8.8.8.8 answers `qr rd ra`), found or not
    for (const r of [ask('example.com'), missing]) {
      assert.equal(r.response?.ra, true);
      assert.equal(r.response?.aa, false);
    }
    assert.equal(c.internet.dns.stats.received, 4);
  });

  it('a laptop on the underlay pings a node, and TCP to any port of the internet is accepted', async () => {
    // the demo's own laptop (spec.outsideClients), on the nodes' network
    const c = await cluster();
    const laptop = c.outside.get('laptop')!;
    assert.equal(formatIpv4(laptop.ip), '192.168.56.100');
    assert.equal(pingOnce(c, laptop.stack, '192.168.56.12').received, 1);
    assert.equal(pingOnce(c, laptop.stack, '1.1.1.1').received, 1, 'and the internet, through its gateway');
    const outcome = (port: number): string => {
      let seen = 'nothing';
      const s = laptop.tcp.connect(ip('140.82.112.3'), port);
      s.on('connect', () => (seen = 'connected'));
      s.on('close', (why) => (seen = seen === 'connected' ? seen : `closed: ${why}`));
      c.engine.runUntilIdle(5e9);
      return seen;
    };
    assert.equal(outcome(443), 'connected');
    assert.equal(outcome(5000), 'connected');
    assert.equal(outcome(6443), 'connected');
    // the stand-in is the internet, not the underlay: a node's closed port still refuses
    const s = laptop.tcp.connect(ip('192.168.56.12'), 5000);
    let why = '';
    s.on('close', (w) => (why = String(w)));
    c.engine.runUntilIdle(5e9);
    assert.equal(why, 'refused');
  });
});
