/**
 * The coredns pod as the cluster DNS, end to end on a running cluster: dig and a pod's resolver ask the
 * coredns pod's own address (the kube-dns ClusterIP needs kube-proxy, which is another part), across the
 * flannel overlay, and get k3s's Corefile answers: Services and headless endpoints from the running pods
 * (readiness included), NodeHosts, and everything else forwarded to the internet's DNS with cache 30.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dig, type DigResult } from '../apps/dns/dig.js';
import { StubResolver, type ResolveResult } from '../apps/dns/resolver.js';
import { tcpConnector } from '../apps/dns/tcp.js';
import { SECOND } from '../sim/engine.js';
import { formatIpv4 } from '../wire/addr.js';
import { DNS_TYPE_A } from '../wire/dns.js';
import { loadCluster } from '../scenario/manifests.js';
import { buildCluster, type ClusterPod, type ClusterRuntime } from './runtime.js';
import { deletePod, scaleDeployment } from './lifecycle.js';

const DEMO = join(import.meta.dirname, '../../../examples/cluster-demo.yaml');

/** The demo plus a headless Service with named pods, one of them never ready, and an ExternalName Service. */
const EXTRA = `
---
apiVersion: v1
kind: Service
metadata: { name: db }
spec:
  clusterIP: None
  selector: { app: db }
  ports:
    - { name: pg, port: 5432 }
---
apiVersion: v1
kind: Pod
metadata: { name: db-0, labels: { app: db } }
spec:
  hostname: db-0
  subdomain: db
  containers:
    - { name: pg, image: nginx, ports: [{ containerPort: 5432 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: db-1, labels: { app: db } }
spec:
  containers:
    - name: pg
      image: nginx
      ports: [{ containerPort: 5432 }]
      readinessProbe:
        tcpSocket: { port: 8080 }
        periodSeconds: 2
---
apiVersion: v1
kind: Service
metadata: { name: ext }
spec:
  type: ExternalName
  externalName: example.com
`;

async function cluster(): Promise<ClusterRuntime> {
  const text = readFileSync(DEMO, 'utf8').replace(
    '  underlay:',
    '  internet:\n    dns: { example.com: 93.184.215.14 }\n  underlay:',
  );
  const r = loadCluster([{ file: 'cluster.yaml', text: text + EXTRA }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  const c = await buildCluster(r.cluster.plan);
  c.engine.runFor(10 * SECOND); // readiness probes settle
  return c;
}

function pod(c: ClusterRuntime, id: string): ClusterPod {
  const p = c.pods.get(id);
  assert.ok(p, id);
  return p;
}

function digFrom(c: ClusterRuntime, from: ClusterPod, args: string): DigResult {
  let out: DigResult | undefined;
  dig({ udp: from.udp, resolvConf: from.resolvConf, connect: tcpConnector(from.tcp) }, args, (r) => (out = r));
  c.engine.runFor(20 * SECOND);
  assert.ok(out, `dig ${args} finished`);
  return out;
}

describe('cluster DNS: the coredns pod', () => {
  it('answers Services, headless endpoints (ready only), pod records and NodeHosts; forwards the rest', async () => {
    const c = await cluster();
    const client = pod(c, 'default/client');
    const coredns = [...c.pods.values()].find((p) => p.name.startsWith('coredns'))!;
    const at = `@${formatIpv4(coredns.ip)}`;
    const web = c.plan.services.find((s) => s.name === 'web')!;
    const short = (args: string): string[] => digFrom(c, client, `${at} +short ${args}`).stdout.trim().split('\n');
    assert.deepEqual(short('web.default.svc.cluster.local'), [formatIpv4(web.clusterIP!)]);
    const db0 = pod(c, 'default/db-0');
    const db1 = pod(c, 'default/db-1');
    assert.equal(db1.ready, false);
    assert.deepEqual(short('db.default.svc.cluster.local'), [formatIpv4(db0.ip)]);
    assert.deepEqual(short('db-0.db.default.svc.cluster.local'), [formatIpv4(db0.ip)]);
    assert.deepEqual(short('SRV _pg._tcp.db.default.svc.cluster.local'), [
      '0 100 5432 db-0.db.default.svc.cluster.local.',
    ]);
    assert.deepEqual(short(`-x ${formatIpv4(db0.ip)}`), ['db-0.db.default.svc.cluster.local.']);
    const dashed = formatIpv4(client.ip).replaceAll('.', '-');
    assert.deepEqual(short(`${dashed}.default.pod.cluster.local`), [formatIpv4(client.ip)]);
    assert.deepEqual(short('server'), ['192.168.56.11']); // NodeHosts
    assert.deepEqual(short('ext.default.svc.cluster.local'), ['example.com.', '93.184.215.14']);
    // forwarded to the internet's DNS through the node (dnsPolicy Default), TTL capped by cache 30
    const fwd = digFrom(c, client, `${at} example.com`);
    assert.match(fwd.stdout, /^example\.com\.\s+30\s+IN\s+A\s+93\.184\.215\.14$/m);
    const nx = digFrom(c, client, `${at} nosuch.default.svc.cluster.local`);
    assert.match(nx.stdout, /status: NXDOMAIN/);
    assert.match(
      nx.stdout,
      /^cluster\.local\.\s+5\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 5$/m,
    );
  });

  it('follows the running cluster: a deleted pod leaves, a scaled-up replica joins once ready', async () => {
    const c = await cluster();
    const client = pod(c, 'default/client');
    const coredns = [...c.pods.values()].find((p) => p.name.startsWith('coredns'))!;
    const short = (name: string): string =>
      digFrom(c, client, `@${formatIpv4(coredns.ip)} +short ${name}`).stdout.trim();
    assert.equal(short('db-0.db.default.svc.cluster.local'), formatIpv4(pod(c, 'default/db-0').ip));
    deletePod(c, 'default/db-0');
    // db-1 never gets ready: no ready endpoint is left, so the headless name is NXDOMAIN
    const nx = digFrom(c, client, `@${formatIpv4(coredns.ip)} db.default.svc.cluster.local`);
    assert.match(nx.stdout, /status: NXDOMAIN/);
    const before = new Set([...c.pods.values()].filter((p) => p.name.startsWith('web-')).map((p) => p.ip));
    scaleDeployment(c, 'default/web', 5);
    c.engine.runFor(10 * SECOND);
    const added = [...c.pods.values()].find((p) => p.name.startsWith('web-') && !before.has(p.ip))!;
    assert.ok(added.ready);
    const name = `${formatIpv4(added.ip).replaceAll('.', '-')}.web.default.svc.cluster.local`;
    assert.equal(short(name), formatIpv4(added.ip));
  });

  it('dig does not use the search list (dig(1)) unless +search, which walks it as dighost does', async () => {
    const c = await cluster();
    const client = pod(c, 'default/client');
    const coredns = [...c.pods.values()].find((p) => p.name.startsWith('coredns'))!;
    const at = `@${formatIpv4(coredns.ip)}`;
    const web = c.plan.services.find((s) => s.name === 'web')!;
    // `web.` is not in any zone CoreDNS serves: forwarded upstream, NXDOMAIN with the root's SOA
    const plain = digFrom(c, client, `${at} web`);
    assert.match(plain.stdout, /status: NXDOMAIN/);
    assert.match(plain.stdout, /^;web\.\s+IN\s+A$/m);
    const searched = digFrom(c, client, `${at} +search web`);
    assert.match(searched.stdout, /status: NOERROR/);
    assert.match(searched.stdout, /^;web\.default\.svc\.cluster\.local\.\s+IN\s+A$/m);
    assert.match(
      searched.stdout,
      new RegExp(
        `^web\\.default\\.svc\\.cluster\\.local\\.\\s+5\\s+IN\\s+A\\s+${formatIpv4(web.clusterIP!).replaceAll('.', '\\.')}$`,
        'm',
      ),
    );
    // web.default: web.default.default.svc.cluster.local. is NXDOMAIN, then web.default.svc.cluster.local.
    const two = digFrom(c, client, `${at} +search +short web.default`);
    assert.equal(two.stdout, `${formatIpv4(web.clusterIP!)}\n`);
    // with +ndots=1 web.default has ndots dots: asked as it is and only so, NXDOMAIN (dig 9.18.49 +search
    // +ndots=1 web.default against the same CoreDNS answers, in a namespace: status NXDOMAIN, no search)
    const asIs = digFrom(c, client, `${at} +search +ndots=1 web.default`);
    assert.match(asIs.stdout, /status: NXDOMAIN/);
    assert.match(asIs.stdout, /^;web\.default\.\s+IN\s+A$/m);
  });

  it('a pod resolver walks the ndots:5 search list: "web" is asked as web.default.svc.cluster.local first', async () => {
    const c = await cluster();
    const client = pod(c, 'default/client');
    const coredns = [...c.pods.values()].find((p) => p.name.startsWith('coredns'))!;
    // the pod's resolv.conf, with the coredns pod in place of the kube-dns ClusterIP (no kube-proxy here)
    const conf = client.resolvConf.replace(/nameserver .*/, `nameserver ${formatIpv4(coredns.ip)}`);
    assert.match(conf, /search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/);
    const resolve = (name: string): ResolveResult => {
      let out: ResolveResult | undefined;
      new StubResolver(client.udp, conf).resolve(name, DNS_TYPE_A, (r) => (out = r));
      c.engine.runFor(20 * SECOND);
      assert.ok(out);
      return out;
    };
    const web = c.plan.services.find((s) => s.name === 'web')!;
    const bare = resolve('web');
    assert.deepEqual(bare.addresses, [web.clusterIP]);
    assert.deepEqual(bare.names, ['web.default.svc.cluster.local.']);
    const ns = resolve('web.default');
    assert.deepEqual(ns.names, ['web.default.default.svc.cluster.local.', 'web.default.svc.cluster.local.']);
    assert.deepEqual(ns.addresses, [web.clusterIP]);
    // fewer than 5 dots: every search domain is tried (each NXDOMAIN) before the name as it is
    const out = resolve('example.com');
    assert.deepEqual(out.names, [
      'example.com.default.svc.cluster.local.',
      'example.com.svc.cluster.local.',
      'example.com.cluster.local.',
      'example.com.',
    ]);
    assert.deepEqual(out.addresses.map(formatIpv4), ['93.184.215.14']);
  });
});
