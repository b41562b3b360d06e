/**
 * The kubernetes plugin against the Kubernetes DNS specification's own examples (kubernetes/dns
 * docs/specification.md, sections cited per test) and CoreDNS's plugin/kubernetes rules for the cases the
 * specification leaves open (NODATA vs NXDOMAIN, the SOA, SRV weights, PTR for endpoints, fallthrough).
 * Queries cross the emulated network as bytes and the answers are parsed back with the codec.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SECOND } from '../../sim/engine.js';
import { type DnsMessage, type DnsRecord, buildDns, emptyDnsMessage, parseDns, txtData } from '../../wire/dns.js';
import type { KubeDnsEndpoint, KubeDnsService, KubernetesView } from './kubernetes-view.js';
import { DnsServer } from './server.js';
import { type DnsLab, ROOT_ZONE, UPSTREAM_ZONE, dnsLab, ip, rr } from './testing.js';

const DNS_IP = ip('10.43.0.10');
const UPSTREAM_IP = ip('10.44.0.53');
const SERIAL = 1767225600;

const tcp = (name: string, port: number) => ({ name, protocol: 'TCP' as const, port });
const ep = (addr: string, extra: Partial<KubeDnsEndpoint> = {}): KubeDnsEndpoint => ({
  ip: ip(addr),
  ready: true,
  ports: [tcp('https', 443)],
  ...extra,
});

/** The objects of the specification's examples (2.3-2.6), plus a not-ready endpoint and other cases. */
function specView(): KubernetesView {
  const services: KubeDnsService[] = [
    // 2.3: kubernetes.default, ClusterIP 10.3.0.1, port https/443
    {
      namespace: 'default',
      name: 'kubernetes',
      type: 'ClusterIP',
      clusterIP: ip('10.3.0.1'),
      headless: false,
      ports: [tcp('https', 443)],
      endpoints: [ep('192.168.0.11', { ports: [tcp('https', 6443)] })],
    },
    // 2.4: headless.default; my-pet is 10.3.0.100 (2.4.1, 2.4.3)
    {
      namespace: 'default',
      name: 'headless',
      type: 'ClusterIP',
      headless: true,
      ports: [tcp('https', 443)],
      endpoints: [
        ep('10.3.0.100', { hostname: 'my-pet', podName: 'pet-0' }),
        ep('10.3.0.2', { hostname: 'my-pet-2', podName: 'pet-1' }),
        ep('10.3.0.3', { podName: 'web-x' }),
        ep('10.3.0.4', { ready: false, podName: 'starting' }),
      ],
    },
    // 2.5: foo.default -> www.example.com (our upstream serves example.org)
    {
      namespace: 'default',
      name: 'foo',
      type: 'ExternalName',
      headless: false,
      externalName: 'www.example.org',
      ports: [],
      endpoints: [],
    },
    // two named ports and an unnamed one elsewhere
    {
      namespace: 'shop',
      name: 'web',
      type: 'ClusterIP',
      clusterIP: ip('10.43.7.7'),
      headless: false,
      ports: [tcp('http', 80), tcp('metrics', 9090)],
      endpoints: [],
    },
    {
      namespace: 'shop',
      name: 'nobody-ready',
      type: 'ClusterIP',
      headless: true,
      ports: [],
      endpoints: [ep('10.42.9.9', { ready: false, ports: [] })],
    },
  ];
  return { namespaces: ['default', 'kube-system', 'shop'], services, pods: [], serial: SERIAL };
}

function lab(view: () => KubernetesView = specView): { l: DnsLab; server: DnsServer } {
  const l = dnsLab();
  new DnsServer(l.udp.upstream, { zones: [UPSTREAM_ZONE, ROOT_ZONE] });
  const server = new DnsServer(l.udp.dns, {
    kubernetes: {
      zones: ['cluster.local', 'in-addr.arpa', 'ip6.arpa'],
      pods: 'insecure',
      fallthrough: ['in-addr.arpa', 'ip6.arpa'],
      view,
    },
    forward: { upstreams: [{ addr: UPSTREAM_IP }] },
  });
  return { l, server };
}

function ask(l: DnsLab, name: string, type = 1): DnsMessage {
  const got: Uint8Array[] = [];
  const port = l.udp.client.bind(0, (d) => got.push(d.payload.slice()));
  const q = { ...emptyDnsMessage({ id: 0x1234, rd: true }), questions: [{ name, type, class: 1 }] };
  l.udp.client.send(port, DNS_IP, 53, buildDns(q));
  l.engine.runFor(3 * SECOND);
  l.udp.client.unbind(port);
  assert.equal(got.length, 1, `one answer to ${name}`);
  const r = parseDns(got[0]!);
  assert.ok(r.ok);
  return r.value;
}

const A = (name: string, addr: string, ttl = 5): DnsRecord => rr(name, ttl, { type: 'A', address: ip(addr) });
const soa = (zone = 'cluster.local.'): DnsRecord =>
  rr(zone, 5, {
    type: 'SOA',
    mname: `ns.dns.${zone}`,
    rname: `hostmaster.${zone}`,
    serial: SERIAL,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: 5,
  });

describe('kubernetes plugin: the specification examples', () => {
  it('2.2: dns-version.cluster.local TXT "1.1.0", TTL 28800', () => {
    const { l } = lab();
    assert.deepEqual(ask(l, 'dns-version.cluster.local.', 16).answers, [
      rr('dns-version.cluster.local.', 28800, txtData('1.1.0')),
    ]);
  });

  it('2.3.1: kubernetes.default.svc.cluster.local A 10.3.0.1, authoritative, TTL 5', () => {
    const { l } = lab();
    const a = ask(l, 'kubernetes.default.svc.cluster.local.');
    assert.ok(a.aa);
    assert.equal(a.rcode, 0);
    assert.deepEqual(a.answers, [A('kubernetes.default.svc.cluster.local.', '10.3.0.1')]);
  });

  it('2.3.2: _https._tcp.kubernetes SRV 0 100 443 kubernetes.default..., its A in the additional section', () => {
    const { l } = lab();
    const a = ask(l, '_https._tcp.kubernetes.default.svc.cluster.local.', 33);
    assert.deepEqual(a.answers, [
      rr('_https._tcp.kubernetes.default.svc.cluster.local.', 5, {
        type: 'SRV',
        priority: 0,
        weight: 100,
        port: 443,
        target: 'kubernetes.default.svc.cluster.local.',
      }),
    ]);
    assert.deepEqual(a.additionals, [A('kubernetes.default.svc.cluster.local.', '10.3.0.1')]);
  });

  it('2.3.3: 1.0.3.10.in-addr.arpa PTR kubernetes.default.svc.cluster.local', () => {
    const { l } = lab();
    assert.deepEqual(ask(l, '1.0.3.10.in-addr.arpa.', 12).answers, [
      rr('1.0.3.10.in-addr.arpa.', 5, { type: 'PTR', target: 'kubernetes.default.svc.cluster.local.' }),
    ]);
  });

  it('2.4.1: headless A: one per ready endpoint (the not-ready 10.3.0.4 left out), and my-pet.headless', () => {
    const { l } = lab();
    assert.deepEqual(ask(l, 'headless.default.svc.cluster.local.').answers, [
      A('headless.default.svc.cluster.local.', '10.3.0.100'),
      A('headless.default.svc.cluster.local.', '10.3.0.2'),
      A('headless.default.svc.cluster.local.', '10.3.0.3'),
    ]);
    assert.deepEqual(ask(l, 'my-pet.headless.default.svc.cluster.local.').answers, [
      A('my-pet.headless.default.svc.cluster.local.', '10.3.0.100'),
    ]);
    // no hostname: the dashed IP (CoreDNS endpointHostname); a not-ready endpoint has no name
    assert.deepEqual(ask(l, '10-3-0-3.headless.default.svc.cluster.local.').answers, [
      A('10-3-0-3.headless.default.svc.cluster.local.', '10.3.0.3'),
    ]);
    assert.equal(ask(l, '10-3-0-4.headless.default.svc.cluster.local.').rcode, 3);
  });

  it('2.4.1: a headless Service with no ready endpoint is NXDOMAIN', () => {
    const { l } = lab();
    const a = ask(l, 'nobody-ready.shop.svc.cluster.local.');
    assert.equal(a.rcode, 3);
    assert.deepEqual(a.authorities, [soa()]);
  });

  it('2.4.2: headless SRV: one per ready endpoint, weight floor(100/3) = 33, each target A as additional', () => {
    const { l } = lab();
    const a = ask(l, '_https._tcp.headless.default.svc.cluster.local.', 33);
    const target = (h: string): string => `${h}.headless.default.svc.cluster.local.`;
    assert.deepEqual(
      a.answers.map((r) => r.data),
      ['my-pet', 'my-pet-2', '10-3-0-3'].map((h) => ({
        type: 'SRV',
        priority: 0,
        weight: 33,
        port: 443,
        target: target(h),
      })),
    );
    assert.deepEqual(a.additionals, [
      A(target('my-pet'), '10.3.0.100'),
      A(target('my-pet-2'), '10.3.0.2'),
      A(target('10-3-0-3'), '10.3.0.3'),
    ]);
  });

  it('2.4.3: 100.0.3.10.in-addr.arpa PTR my-pet.headless.default.svc.cluster.local', () => {
    const { l } = lab();
    assert.deepEqual(ask(l, '100.0.3.10.in-addr.arpa.', 12).answers, [
      rr('100.0.3.10.in-addr.arpa.', 5, { type: 'PTR', target: 'my-pet.headless.default.svc.cluster.local.' }),
    ]);
  });

  it('2.5: foo.default A: CNAME to the external name, then its A as upstream answers it', () => {
    const { l } = lab();
    const a = ask(l, 'foo.default.svc.cluster.local.');
    assert.equal(a.rcode, 0);
    assert.deepEqual(a.answers, [
      rr('foo.default.svc.cluster.local.', 5, { type: 'CNAME', target: 'www.example.org.' }),
      A('www.example.org.', '192.0.2.10', 300),
    ]);
    assert.deepEqual(ask(l, 'foo.default.svc.cluster.local.', 5).answers, [
      rr('foo.default.svc.cluster.local.', 5, { type: 'CNAME', target: 'www.example.org.' }),
    ]);
  });

  it('2.6: pod records a-b-c-d.<ns>.pod with pods insecure; a namespace that does not exist is NXDOMAIN', () => {
    const { l } = lab();
    assert.deepEqual(ask(l, '10-42-1-5.default.pod.cluster.local.').answers, [
      A('10-42-1-5.default.pod.cluster.local.', '10.42.1.5'),
    ]);
    assert.equal(ask(l, '10-42-1-5.nowhere.pod.cluster.local.').rcode, 3);
    assert.equal(ask(l, 'not-an-ip.default.pod.cluster.local.').rcode, 3);
  });
});

describe('kubernetes plugin: CoreDNS rules', () => {
  it('NXDOMAIN for an unknown Service carries the SOA: ns.dns.<zone> hostmaster.<zone> serial 7200 1800 86400 5', () => {
    const { l } = lab();
    const a = ask(l, 'nope.default.svc.cluster.local.');
    assert.equal(a.rcode, 3);
    assert.ok(a.aa);
    assert.deepEqual(a.answers, []);
    assert.deepEqual(a.authorities, [soa()]);
  });

  it('NODATA for the apex, svc, an existing namespace and a type a Service lacks; NXDOMAIN below a missing namespace', () => {
    const { l } = lab();
    for (const [name, type] of [
      ['cluster.local.', 1],
      ['svc.cluster.local.', 1],
      ['default.svc.cluster.local.', 1],
      ['kubernetes.default.svc.cluster.local.', 28],
      ['kubernetes.default.svc.cluster.local.', 15],
    ] as const) {
      const a = ask(l, name, type);
      assert.equal(a.rcode, 0, name);
      assert.deepEqual(a.answers, [], name);
      assert.deepEqual(a.authorities, [soa()], name);
    }
    for (const name of ['nowhere.svc.cluster.local.', 'x.nowhere.svc.cluster.local.', 'something.cluster.local.'])
      assert.equal(ask(l, name).rcode, 3, name);
    assert.deepEqual(ask(l, 'cluster.local.', 6).answers, [soa()]);
  });

  it('SRV per named port: _http._tcp only http; the bare name gives every port, weight floor(100/2)', () => {
    const { l } = lab();
    const one = ask(l, '_http._tcp.web.shop.svc.cluster.local.', 33);
    assert.deepEqual(
      one.answers.map((r) => r.data),
      [{ type: 'SRV', priority: 0, weight: 100, port: 80, target: 'web.shop.svc.cluster.local.' }],
    );
    const all = ask(l, 'web.shop.svc.cluster.local.', 33);
    assert.deepEqual(
      all.answers.map((r) => r.data),
      [
        { type: 'SRV', priority: 0, weight: 50, port: 80, target: 'web.shop.svc.cluster.local.' },
        { type: 'SRV', priority: 0, weight: 50, port: 9090, target: 'web.shop.svc.cluster.local.' },
      ],
    );
    assert.deepEqual(all.additionals, [A('web.shop.svc.cluster.local.', '10.43.7.7')]);
    assert.equal(ask(l, '_grpc._tcp.web.shop.svc.cluster.local.', 33).rcode, 3);
    assert.equal(ask(l, '_http._udp.web.shop.svc.cluster.local.', 33).rcode, 3);
  });

  it('PTR: an endpoint of a ClusterIP Service has one too; unknown addresses fall through to forward', () => {
    const { l } = lab();
    assert.deepEqual(ask(l, '11.0.168.192.in-addr.arpa.', 12).answers, [
      rr('11.0.168.192.in-addr.arpa.', 5, {
        type: 'PTR',
        target: '192-168-0-11.kubernetes.default.svc.cluster.local.',
      }),
    ]);
    // fallthrough in-addr.arpa: the upstream (a root zone here) answers NXDOMAIN with its own SOA
    const a = ask(l, '9.9.9.9.in-addr.arpa.', 12);
    assert.equal(a.rcode, 3);
    assert.deepEqual(
      a.authorities.map((r) => r.name),
      ['.'],
    );
  });

  it('names outside the zones go to the next plugin', () => {
    const { l } = lab();
    assert.deepEqual(ask(l, 'www.example.org.').answers, [A('www.example.org.', '192.0.2.10', 300)]);
  });

  it('reads the view at every query: an endpoint turning ready appears at once', () => {
    let v = specView();
    const { l } = lab(() => v);
    assert.equal(ask(l, 'nobody-ready.shop.svc.cluster.local.').rcode, 3);
    v = {
      ...v,
      services: v.services.map((s) =>
        s.name === 'nobody-ready' ? { ...s, endpoints: s.endpoints.map((e) => ({ ...e, ready: true })) } : s,
      ),
    };
    assert.deepEqual(ask(l, 'nobody-ready.shop.svc.cluster.local.').answers, [
      A('nobody-ready.shop.svc.cluster.local.', '10.42.9.9'),
    ]);
    // no ports: A records, but no SRV (CoreDNS's port -1 sentinel): NODATA
    const srv = ask(l, 'nobody-ready.shop.svc.cluster.local.', 33);
    assert.equal(srv.rcode, 0);
    assert.deepEqual(srv.answers, []);
  });
});
