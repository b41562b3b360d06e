/**
 * resolv.conf parsing and the stub resolver, checked against glibc 2.36's behaviour: the names a pod
 * with ndots:5 really asks, how search continues or stops, the per-server waits of send_dg, moving on
 * after SERVFAIL or ICMP port unreachable, and TCP after a truncated answer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MS, SECOND } from '../../sim/engine.js';
import { formatIpv4 } from '../../wire/addr.js';
import { DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_TXT } from '../../wire/dns.js';
import { DEFAULT_RESOLV_CONF, parseResolvConf, podResolvConf } from './resolv-conf.js';
import { type ResolveResult, StubResolver, T_QUERY_A_AND_AAAA } from './resolver.js';
import { DnsServer, type DnsServerConfig } from './server.js';
import { CLUSTER_ZONE, type DnsLab, REVERSE_ZONE, ROOT_ZONE, UPSTREAM_ZONE, dnsLab, ip } from './testing.js';

const POD_RESOLV = podResolvConf(ip('10.43.0.10'), 'default');

describe('resolv.conf', () => {
  it("reads a pod's resolv.conf as the kubelet writes it", () => {
    assert.equal(
      POD_RESOLV,
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.43.0.10\noptions ndots:5\n',
    );
    assert.deepEqual(parseResolvConf(POD_RESOLV), {
      ...DEFAULT_RESOLV_CONF,
      nameservers: [ip('10.43.0.10')],
      search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      ndots: 5,
    });
  });

  it("applies glibc's limits and rules: 3 nameservers, last search/domain wins, clamped options", () => {
    const c = parseResolvConf(
      [
        '# comment',
        '; also a comment',
        'nameserver 10.0.0.1',
        'nameserver 10.0.0.2',
        '  nameserver 10.0.0.9', // keywords must start the line
        'nameserver 2001:db8::53', // IPv6: skipped here
        'nameserver 10.0.0.3',
        'nameserver 10.0.0.4', // a fourth: ignored (MAXNS 3)
        'domain corp.example',
        'search a.example. b.example',
        'options ndots:20 timeout:40 attempts:9 rotate edns0 use-vc trust-ad',
      ].join('\n'),
    );
    assert.deepEqual(c.nameservers.map(formatIpv4), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    assert.deepEqual(c.search, ['a.example', 'b.example']);
    assert.deepEqual(
      [c.ndots, c.timeout, c.attempts, c.rotate, c.edns0, c.useVc, c.trustAd],
      [15, 30, 5, true, true, true, true],
    );
    assert.deepEqual(parseResolvConf('search x.example\ndomain y.example\n').search, ['y.example']);
    assert.deepEqual(parseResolvConf('').nameservers, [ip('127.0.0.1')]);
    assert.deepEqual(
      [parseResolvConf('options attempts:0 timeout:0').attempts, parseResolvConf('options timeout:0').timeout],
      [0, 0],
    );
  });
});

/** The lab with the cluster DNS (zones, forwarding upstream) and an upstream that knows example.org and the root. */
function setup(
  resolv: string,
  server: Partial<DnsServerConfig> = {},
  withConnect = true,
): { l: DnsLab; r: StubResolver; dns: DnsServer } {
  const l = dnsLab();
  new DnsServer(l.udp.upstream, { zones: [UPSTREAM_ZONE, ROOT_ZONE] });
  const dns = new DnsServer(l.udp.dns, {
    zones: [CLUSTER_ZONE, REVERSE_ZONE],
    forward: { upstreams: [{ addr: ip('10.44.0.53') }] },
    ...server,
  });
  l.streamServers.set(ip('10.43.0.10'), dns);
  return { l, r: new StubResolver(l.udp.client, resolv, withConnect ? l.connect : undefined), dns };
}

function resolve(l: DnsLab, r: StubResolver, name: string, type = DNS_TYPE_A): ResolveResult {
  let out: ResolveResult | undefined;
  r.resolve(name, type, (x) => (out = x));
  l.engine.runFor(120 * SECOND);
  assert.ok(out, 'the resolver finished');
  return out;
}

describe('stub resolver: search list and ndots', () => {
  it('ndots:5 tries the search list first: kubernetes.default resolves on the second name', () => {
    const { l, r } = setup(POD_RESOLV);
    const x = resolve(l, r, 'kubernetes.default');
    assert.deepEqual(x.names, [
      'kubernetes.default.default.svc.cluster.local.',
      'kubernetes.default.svc.cluster.local.',
    ]);
    assert.equal(x.herrno, undefined);
    assert.equal(x.name, 'kubernetes.default.svc.cluster.local.');
    assert.deepEqual(x.addresses.map(formatIpv4), ['10.43.0.1']);
  });

  it('an external name with 2 dots costs 3 NXDOMAINs before the real query (coredns#747)', () => {
    const { l, r } = setup(POD_RESOLV);
    const x = resolve(l, r, 'www.example.org');
    assert.deepEqual(x.names, [
      'www.example.org.default.svc.cluster.local.',
      'www.example.org.svc.cluster.local.',
      'www.example.org.cluster.local.',
      'www.example.org.',
    ]);
    assert.deepEqual(x.addresses.map(formatIpv4), ['192.0.2.10']);
    assert.equal(x.attempts.length, 4);
  });

  it('a trailing dot asks exactly that name, and only once', () => {
    const { l, r } = setup(POD_RESOLV);
    const x = resolve(l, r, 'www.example.org.');
    assert.deepEqual(x.names, ['www.example.org.']);
    const missing = resolve(l, r, 'nope.example.org.');
    assert.deepEqual([missing.names.length, missing.herrno], [1, 'HOST_NOT_FOUND']);
  });

  it('with enough dots the name is asked as it is first (ndots:1)', () => {
    const { l, r } = setup(`${POD_RESOLV}options ndots:1\n`);
    assert.deepEqual(resolve(l, r, 'www.example.org').names, ['www.example.org.']);
    // as-is failed: then the search list; the saved HOST_NOT_FOUND of the first try is the answer
    const x = resolve(l, r, 'kubernetes.nowhere');
    assert.deepEqual(x.names, [
      'kubernetes.nowhere.',
      'kubernetes.nowhere.default.svc.cluster.local.',
      'kubernetes.nowhere.svc.cluster.local.',
      'kubernetes.nowhere.cluster.local.',
    ]);
    assert.equal(x.herrno, 'HOST_NOT_FOUND');
  });

  it('a single label is finally asked bare, after the search list', () => {
    const { l, r } = setup(POD_RESOLV);
    const x = resolve(l, r, 'nothing');
    assert.deepEqual(x.names, [
      'nothing.default.svc.cluster.local.',
      'nothing.svc.cluster.local.',
      'nothing.cluster.local.',
      'nothing.',
    ]);
    assert.equal(x.herrno, 'HOST_NOT_FOUND');
  });

  it('NODATA keeps searching and is what is reported when nothing better turns up', () => {
    const { l, r } = setup(POD_RESOLV);
    const x = resolve(l, r, 'kubernetes.default', DNS_TYPE_AAAA);
    assert.deepEqual(x.names, [
      'kubernetes.default.default.svc.cluster.local.',
      'kubernetes.default.svc.cluster.local.',
      'kubernetes.default.cluster.local.',
      'kubernetes.default.',
    ]);
    assert.equal(x.herrno, 'NO_DATA');
  });

  it('SERVFAIL moves to the next server, then on down the search list; TRY_AGAIN at the end', () => {
    const { l, r } = setup(POD_RESOLV, { forward: { upstreams: [{ addr: ip('10.45.0.9') }] } });
    const x = resolve(l, r, 'www.example.org');
    assert.equal(x.names.length, 4);
    // the last name (forwarded, upstream refuses) got SERVFAIL on both attempts (attempts:2, one server)
    assert.deepEqual(
      x.attempts.filter((a) => a.name === 'www.example.org.').map((a) => a.rcode),
      [2, 2],
    );
    assert.equal(x.herrno, 'TRY_AGAIN');
    assert.equal(x.response?.rcode, 2);
  });
});

describe('stub resolver: servers, timeouts and transports', () => {
  it("waits glibc's (timeout << ns) / nscount per server: 2, 1, 2 s with timeout:2 and three silent servers", () => {
    const { l, r } = setup(
      'nameserver 10.45.0.200\nnameserver 10.45.0.201\nnameserver 10.45.0.202\noptions timeout:2 attempts:2\n',
    );
    const x = resolve(l, r, 'kubernetes.default.svc.cluster.local.');
    assert.equal(x.herrno, 'TRY_AGAIN');
    assert.deepEqual(
      x.attempts.map((a) => [formatIpv4(a.server), a.outcome, a.waited / SECOND]),
      [
        ['10.45.0.200', 'timeout', 2],
        ['10.45.0.201', 'timeout', 1],
        ['10.45.0.202', 'timeout', 2],
        ['10.45.0.200', 'timeout', 2],
        ['10.45.0.201', 'timeout', 1],
        ['10.45.0.202', 'timeout', 2],
      ],
    );
    assert.equal(x.elapsed, 10 * SECOND);
  });

  it('after a silent first server, asks the second after its timeout', () => {
    const { l, r } = setup('nameserver 10.45.0.200\nnameserver 10.43.0.10\noptions timeout:1\n');
    const x = resolve(l, r, 'kubernetes.default.svc.cluster.local.');
    assert.deepEqual(x.addresses.map(formatIpv4), ['10.43.0.1']);
    assert.ok(x.elapsed > SECOND && x.elapsed < SECOND + 2 * MS, `${x.elapsed} ns`);
  });

  it('moves on at once after ICMP port unreachable, and gives up the search when no server is there', () => {
    const { l, r } = setup('nameserver 10.45.0.9\nnameserver 10.43.0.10\n');
    const x = resolve(l, r, 'kubernetes.default.svc.cluster.local.');
    assert.deepEqual(
      x.attempts.map((a) => a.outcome),
      ['refused', 'answer'],
    );
    assert.ok(x.elapsed < 2 * MS, `${x.elapsed} ns`);
    const { l: l2, r: r2 } = setup(
      'search default.svc.cluster.local svc.cluster.local\nnameserver 10.45.0.9\noptions ndots:5\n',
    );
    const gone = resolve(l2, r2, 'kubernetes');
    assert.deepEqual([gone.names, gone.herrno], [['kubernetes.default.svc.cluster.local.'], 'TRY_AGAIN']);
  });

  it('asks again over TCP after a truncated UDP answer, and keeps the truncated one without TCP', () => {
    const { l, r } = setup(POD_RESOLV);
    const x = resolve(l, r, 'big.cluster.local.', DNS_TYPE_TXT);
    assert.deepEqual(
      x.attempts.map((a) => [a.transport, a.outcome, a.truncated]),
      [
        ['udp', 'answer', true],
        ['tcp', 'answer', false],
      ],
    );
    assert.equal(x.answers.length, 40);
    const { l: l2, r: r2 } = setup(POD_RESOLV, {}, false);
    const y = resolve(l2, r2, 'big.cluster.local.', DNS_TYPE_TXT);
    assert.equal(y.answers.length, 7);
    assert.equal(y.response?.tc, true);
  });

  it('use-vc sends over TCP only; edns0 advertises 1200 bytes and so gets more in UDP', () => {
    const { l, r } = setup(`${POD_RESOLV}options use-vc\n`);
    assert.deepEqual(
      resolve(l, r, 'kubernetes.default').attempts.map((a) => a.transport),
      ['tcp', 'tcp'],
    );
    const { l: l2, r: r2 } = setup(`${POD_RESOLV}options edns0\n`, {}, false);
    assert.equal(resolve(l2, r2, 'big.cluster.local.', DNS_TYPE_TXT).answers.length, 18);
  });

  it('rotate starts each lookup at the next server', () => {
    const { l, r } = setup('nameserver 10.43.0.10\nnameserver 10.44.0.53\noptions rotate\n');
    const first = [0, 1, 2, 3].map(() => formatIpv4(resolve(l, r, 'www.example.org.').attempts[0]!.server));
    assert.deepEqual(new Set(first), new Set(['10.43.0.10', '10.44.0.53']));
    assert.notEqual(first[0], first[1]);
  });
});

describe("stub resolver: getaddrinfo's A and AAAA at once (T_QUERY_A_AND_AAAA)", () => {
  it('asks A then AAAA from one socket at the same instant, for each name it tries', () => {
    const { l, r } = setup(POD_RESOLV);
    const x = resolve(l, r, 'kubernetes.default', T_QUERY_A_AND_AAAA);
    assert.deepEqual(
      x.attempts.map((a) => `${a.name} ${a.type} ${a.outcome}`),
      [
        `kubernetes.default.default.svc.cluster.local. ${DNS_TYPE_A} answer`,
        `kubernetes.default.default.svc.cluster.local. ${DNS_TYPE_AAAA} answer`,
        `kubernetes.default.svc.cluster.local. ${DNS_TYPE_A} answer`,
        `kubernetes.default.svc.cluster.local. ${DNS_TYPE_AAAA} answer`,
      ],
    );
    assert.equal(x.attempts[0]!.sentAt, x.attempts[1]!.sentAt);
    // the A answer has the address, the AAAA one none: success, with the A answer's address
    assert.equal(x.herrno, undefined);
    assert.deepEqual(x.addresses.map(formatIpv4), ['10.43.0.1']);
  });

  it('NXDOMAIN for both moves down the search list; NODATA for both is what is reported at the end', () => {
    const { l, r } = setup(POD_RESOLV);
    const x = resolve(l, r, 'nosuch', T_QUERY_A_AND_AAAA);
    assert.equal(x.names.length, 4);
    assert.equal(x.herrno, 'HOST_NOT_FOUND');
    assert.equal(x.attempts.length, 8);
  });

  it('the empty name is asked nowhere; a search domain that makes a name too long ends the search list', () => {
    const { l, r } = setup(POD_RESOLV);
    const empty = resolve(l, r, '', T_QUERY_A_AND_AAAA);
    assert.deepEqual([empty.herrno, empty.attempts.length], ['HOST_NOT_FOUND', 0]);
    // 62 + 1 + 62 + 1 + 62 + 1 + 60 = 249 characters: with ".default.svc.cluster.local" it is over 255
    const long = ['a'.repeat(62), 'b'.repeat(62), 'c'.repeat(62), 'd'.repeat(60)].join('.');
    const x = resolve(l, r, long, T_QUERY_A_AND_AAAA);
    // res_search: the first domain's NO_RECOVERY ends the search list; the name is still asked as it is
    assert.deepEqual(x.names, [`${long}.`]);
    assert.equal(x.herrno, 'HOST_NOT_FOUND');
  });

  it('use-vc asks both over TCP', () => {
    const { l, r } = setup('nameserver 10.43.0.10\noptions use-vc\n');
    const x = resolve(l, r, 'kubernetes.default.svc.cluster.local.', T_QUERY_A_AND_AAAA);
    assert.deepEqual(
      x.attempts.map((a) => `${a.type} ${a.transport} ${a.outcome}`),
      [`${DNS_TYPE_A} tcp answer`, `${DNS_TYPE_AAAA} tcp answer`],
    );
    assert.deepEqual(x.addresses.map(formatIpv4), ['10.43.0.1']);
  });

  it('a server that drops AAAA queries: after the timeout with the A answer in, single-request, then reopen', () => {
    // a nameserver that answers A and never AAAA (a firewall eating the second query of two in flight)
    const l = dnsLab();
    const full = new DnsServer(l.udp.dns, { zones: [CLUSTER_ZONE] });
    full.close();
    l.udp.dns.bind(53, (d) => {
      const type =
        d.payload.length > 14 ? (d.payload[d.payload.length - 4]! << 8) | d.payload[d.payload.length - 3]! : 0;
      if (type !== DNS_TYPE_AAAA)
        full.handle(d.payload.slice(), { src: d.src, srcPort: d.srcPort }, 'udp', (out) =>
          l.udp.dns.send(53, d.src, d.srcPort, out),
        );
    });
    const r = new StubResolver(l.udp.client, 'nameserver 10.43.0.10\noptions timeout:1\n');
    const x = resolve(l, r, 'kubernetes.default.svc.cluster.local.', T_QUERY_A_AND_AAAA);
    // send_dg: both at once (AAAA lost), then A alone and AAAA after its answer on the same socket (lost
    // again), then the same on a new socket; then the A answer is all there is
    assert.deepEqual(
      x.attempts.map((a) => `${a.type === DNS_TYPE_A ? 'A' : 'AAAA'} ${a.outcome}`),
      ['A answer', 'AAAA timeout', 'A answer', 'AAAA timeout', 'A answer', 'AAAA timeout'],
    );
    assert.deepEqual(x.addresses.map(formatIpv4), ['10.43.0.1']);
    assert.ok(x.elapsed >= 3 * SECOND && x.elapsed < 3 * SECOND + 5 * MS, `${x.elapsed} ns`);
    // and the resolver stays in single-request mode: the next lookup sends AAAA only after the A answer
    const y = resolve(l, r, 'kubernetes.default.svc.cluster.local.', T_QUERY_A_AND_AAAA);
    assert.ok(y.attempts[1]!.sentAt > y.attempts[0]!.sentAt);
  });
});
