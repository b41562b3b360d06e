/**
 * The kubernetes plugin's answers read by tshark, an independent dissector: the NXDOMAIN carries AA and,
 * in the authority section, CoreDNS's SOA (ns.dns.cluster.local. hostmaster.cluster.local. serial 7200
 * 1800 86400 5, TTL 5); a headless SRV answer carries priority 0, weight 50 per endpoint and the targets'
 * addresses; PTR and CNAME decode to the names we meant.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SECOND } from '../src/sim/engine.js';
import { captureLinks } from '../src/observe/capture.js';
import { dig } from '../src/apps/dns/dig.js';
import { DnsServer } from '../src/apps/dns/server.js';
import type { KubernetesView } from '../src/apps/dns/kubernetes-view.js';
import { dnsLab, ip } from '../src/apps/dns/testing.js';
import { requirePeer } from './support/peers.js';
import { assertCleanDecode, tsharkFramesOf, type TsharkFrame } from './support/tshark.js';

const TSHARK = { bin: 'tshark', install: 'apt-get install -y tshark' };

const VIEW: KubernetesView = {
  namespaces: ['default'],
  serial: 1767225600,
  pods: [],
  services: [
    {
      namespace: 'default',
      name: 'db',
      type: 'ClusterIP',
      headless: true,
      ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }],
      endpoints: [
        { ip: ip('10.42.0.7'), hostname: 'db-0', ready: true, ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }] },
        { ip: ip('10.42.1.9'), ready: true, ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }] },
      ],
    },
    {
      namespace: 'default',
      name: 'ext',
      type: 'ExternalName',
      headless: false,
      externalName: 'db.example.net',
      ports: [],
      endpoints: [],
    },
  ],
};

test('tshark reads the kubernetes plugin NXDOMAIN+SOA, SRV, PTR and CNAME answers as CoreDNS writes them', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const l = dnsLab();
  const caps = captureLinks(l.network);
  new DnsServer(l.udp.dns, {
    kubernetes: { zones: ['cluster.local', 'in-addr.arpa'], pods: 'insecure', view: () => VIEW },
  });
  for (const args of [
    'nope.default.svc.cluster.local',
    '_pg._tcp.db.default.svc.cluster.local SRV',
    '-x 10.42.1.9',
    'ext.default.svc.cluster.local CNAME',
  ]) {
    dig({ udp: l.udp.client }, `@10.43.0.10 ${args}`, () => {});
    l.engine.runFor(SECOND);
  }
  const client = caps.find((c) => c.fileName.startsWith('client-'))!;
  const frames = tsharkFramesOf(client.writer.bytes());
  assertCleanDecode(frames);
  const answers = frames.filter((f) => f.fields['dns.flags.response']?.[0] === '1');
  assert.equal(answers.length, 4);
  const [nx, srv, ptr, cname] = answers as [TsharkFrame, TsharkFrame, TsharkFrame, TsharkFrame];
  const pick = (f: TsharkFrame, names: string[]): Record<string, string[] | undefined> =>
    Object.fromEntries(names.map((n) => [n, f.fields[n]]));
  assert.deepEqual(
    pick(nx, [
      'dns.flags.rcode',
      'dns.flags.authoritative',
      'dns.count.auth_rr',
      'dns.resp.ttl',
      'dns.soa.mname',
      'dns.soa.rname',
      'dns.soa.serial_number',
      'dns.soa.refresh_interval',
      'dns.soa.retry_interval',
      'dns.soa.expire_limit',
      'dns.soa.minimum_ttl',
    ]),
    {
      'dns.flags.rcode': ['3'],
      'dns.flags.authoritative': ['1'],
      'dns.count.auth_rr': ['1'],
      'dns.resp.ttl': ['5'],
      'dns.soa.mname': ['ns.dns.cluster.local'],
      'dns.soa.rname': ['hostmaster.cluster.local'],
      'dns.soa.serial_number': ['1767225600'],
      'dns.soa.refresh_interval': ['7200'],
      'dns.soa.retry_interval': ['1800'],
      'dns.soa.expire_limit': ['86400'],
      'dns.soa.minimum_ttl': ['5'],
    },
  );
  assert.deepEqual(pick(srv, ['dns.srv.priority', 'dns.srv.weight', 'dns.srv.port', 'dns.srv.target', 'dns.a']), {
    'dns.srv.priority': ['0', '0'],
    'dns.srv.weight': ['50', '50'],
    'dns.srv.port': ['5432', '5432'],
    'dns.srv.target': ['db-0.db.default.svc.cluster.local', '10-42-1-9.db.default.svc.cluster.local'],
    'dns.a': ['10.42.0.7', '10.42.1.9'],
  });
  assert.deepEqual(ptr.fields['dns.ptr.domain_name'], ['10-42-1-9.db.default.svc.cluster.local']);
  assert.deepEqual(cname.fields['dns.cname'], ['db.example.net']);
});
