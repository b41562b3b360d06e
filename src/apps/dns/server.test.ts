/**
 * The DNS server end to end inside the emulation: queries leave a client, cross a router and reach the
 * server, whose answers come back as bytes parsed with the codec. Covers the plugin chain (hosts, zone,
 * forward, REFUSED at the end), FORMERR / NOTIMP / BADVERS, drops, truncation over UDP and the full
 * answer over a stream.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MS, SECOND } from '../../sim/engine.js';
import {
  type DnsMessage,
  type DnsRecord,
  DNS_OPCODE_NOTIFY,
  buildDns,
  emptyDnsMessage,
  fullRcode,
  parseDns,
} from '../../wire/dns.js';
import { concat, hex } from '../../wire/testing.js';
import { DnsServer, type DnsServerConfig } from './server.js';
import { CLUSTER_SOA, CLUSTER_ZONE, UPSTREAM_ZONE, type DnsLab, dnsLab, ip, rr } from './testing.js';
import { frameDnsMessage, memoryStreamPair, readDnsMessages } from './stream.js';
import { PLUGIN_ORDER } from './plugins.js';

const DNS_IP = ip('10.43.0.10');
const UPSTREAM_IP = ip('10.44.0.53');

function lab(config: Partial<DnsServerConfig> = {}): { l: DnsLab; server: DnsServer; upstream: DnsServer } {
  const l = dnsLab();
  const upstream = new DnsServer(l.udp.upstream, { zones: [UPSTREAM_ZONE] });
  const server = new DnsServer(l.udp.dns, {
    zones: [CLUSTER_ZONE],
    forward: { upstreams: [{ addr: UPSTREAM_IP }], policy: 'sequential' },
    keepLog: true,
    ...config,
  });
  l.streamServers.set(DNS_IP, server);
  return { l, server, upstream };
}

/** Sends raw bytes from the client to `dst`:53 and returns every datagram that came back. */
function exchange(l: DnsLab, bytes: Uint8Array, dst = DNS_IP): Uint8Array[] {
  const got: Uint8Array[] = [];
  const port = l.udp.client.bind(0, (d) => got.push(d.payload.slice()));
  l.udp.client.send(port, dst, 53, bytes);
  l.engine.runFor(5 * SECOND);
  l.udp.client.unbind(port);
  return got;
}

function query(name: string, type = 1, extra: Partial<DnsMessage> = {}): DnsMessage {
  return { ...emptyDnsMessage({ id: 0x4242, rd: true }), questions: [{ name, type, class: 1 }], ...extra };
}

function ask(l: DnsLab, m: DnsMessage, dst = DNS_IP): DnsMessage {
  const got = exchange(l, buildDns(m), dst);
  assert.equal(got.length, 1, 'one answer');
  const r = parseDns(got[0]!);
  assert.ok(r.ok, 'the answer parses');
  return r.value;
}

const names = (rs: readonly DnsRecord[]): string[] => rs.map((r) => `${r.name} ${r.data.type}`);

describe('dns server: zone', () => {
  it('answers authoritatively, echoing ID, RD and the question', () => {
    const { l } = lab();
    const a = ask(l, query('kubernetes.default.svc.cluster.local.'));
    assert.equal(a.id, 0x4242);
    assert.ok(a.qr && a.aa && a.rd && !a.ra && !a.tc);
    assert.equal(a.rcode, 0);
    assert.deepEqual(a.questions, [{ name: 'kubernetes.default.svc.cluster.local.', type: 1, class: 1 }]);
    assert.deepEqual(a.answers, [
      rr('kubernetes.default.svc.cluster.local.', 5, { type: 'A', address: ip('10.43.0.1') }),
    ]);
  });

  it('matches names case-insensitively and keeps the case asked in the question', () => {
    const { l } = lab();
    const a = ask(l, query('Kubernetes.DEFAULT.svc.cluster.local.'));
    assert.equal(a.questions[0]!.name, 'Kubernetes.DEFAULT.svc.cluster.local.');
    assert.equal(a.answers.length, 1);
  });

  it('gives NXDOMAIN with the SOA, its TTL capped by MINIMUM (RFC 2308 3)', () => {
    const { l } = lab();
    const a = ask(l, query('nope.default.svc.cluster.local.'));
    assert.equal(a.rcode, 3);
    assert.ok(a.aa);
    assert.deepEqual(a.answers, []);
    assert.deepEqual(a.authorities, [CLUSTER_SOA]);
  });

  it('gives NODATA (NOERROR, no answers, SOA) for another type and for empty non-terminals', () => {
    const { l } = lab();
    for (const [name, type] of [
      ['kubernetes.default.svc.cluster.local.', 28],
      ['default.svc.cluster.local.', 1],
      ['svc.cluster.local.', 1],
    ] as const) {
      const a = ask(l, query(name, type));
      assert.equal(a.rcode, 0, name);
      assert.deepEqual(a.answers, []);
      assert.deepEqual(names(a.authorities), ['cluster.local. SOA']);
    }
  });

  it('follows CNAMEs inside the zone, stops at its edge, and reports the last name (RFC 6604)', () => {
    const { l } = lab({ forward: undefined });
    assert.deepEqual(names(ask(l, query('alias.default.svc.cluster.local.')).answers), [
      'alias.default.svc.cluster.local. CNAME',
      'kubernetes.default.svc.cluster.local. A',
    ]);
    const out = ask(l, query('web.default.svc.cluster.local.'));
    assert.deepEqual(names(out.answers), ['web.default.svc.cluster.local. CNAME']);
    assert.equal(out.rcode, 0);
    const dangling = ask(l, query('dangling.default.svc.cluster.local.'));
    assert.equal(dangling.rcode, 3);
    assert.deepEqual(names(dangling.answers), ['dangling.default.svc.cluster.local. CNAME']);
    const loop = ask(l, query('loop1.default.svc.cluster.local.'));
    assert.deepEqual(names(loop.answers), [
      'loop1.default.svc.cluster.local. CNAME',
      'loop2.default.svc.cluster.local. CNAME',
    ]);
    // asking for the CNAME itself returns it, not its target
    assert.deepEqual(names(ask(l, query('web.default.svc.cluster.local.', 5)).answers), [
      'web.default.svc.cluster.local. CNAME',
    ]);
  });

  it("adds the SRV target's address in the additional section", () => {
    const { l } = lab();
    const a = ask(l, query('_https._tcp.kubernetes.default.svc.cluster.local.', 33));
    assert.deepEqual(names(a.answers), ['_https._tcp.kubernetes.default.svc.cluster.local. SRV']);
    assert.deepEqual(names(a.additionals), ['kubernetes.default.svc.cluster.local. A']);
  });

  it('rejects zones that are not zones', async () => {
    const { Zone } = await import('./zone.js');
    assert.throws(() => new Zone({ origin: 'a.', records: [] }), /no SOA/);
    assert.throws(
      () => new Zone({ origin: 'cluster.local.', records: [CLUSTER_SOA, rr('x.org.', 1, { type: 'A', address: 1 })] }),
      /outside/,
    );
    assert.throws(
      () =>
        new Zone({
          origin: 'cluster.local.',
          records: [
            CLUSTER_SOA,
            rr('a.cluster.local.', 1, { type: 'CNAME', target: 'b.' }),
            rr('a.cluster.local.', 1, { type: 'A', address: 1 }),
          ],
        }),
      /CNAME and other/,
    );
  });
});

describe('dns server: hosts, forward and the chain', () => {
  it('runs plugins in the fixed order: hosts before the zone, whatever the config says', () => {
    assert.deepEqual([...PLUGIN_ORDER], ['cache', 'hosts', 'kubernetes', 'zone', 'forward']);
    const { l } = lab({
      hosts: { text: '# k3s NodeHosts\n10.0.0.99 kubernetes.default.svc.cluster.local\n', fallthrough: true },
    });
    assert.deepEqual(
      ask(l, query('kubernetes.default.svc.cluster.local.')).answers.map((r) => r.data),
      [{ type: 'A', address: ip('10.0.0.99') }],
    );
    // fallthrough: names hosts does not know reach the zone
    assert.equal(ask(l, query('dns-version.cluster.local.', 16)).answers.length, 1);
  });

  it('hosts: A, PTR, NOERROR for other types, NXDOMAIN without fallthrough, TTL 3600 by default', () => {
    const { l } = lab({
      hosts: { text: '10.42.0.7 node1 node1.local  # comment\n::1 localhost6\nbogus line\n' },
      zones: [],
      forward: undefined,
    });
    const a = ask(l, query('node1.'));
    assert.deepEqual(a.answers, [rr('node1.', 3600, { type: 'A', address: ip('10.42.0.7') })]);
    assert.ok(a.aa);
    assert.deepEqual(
      ask(l, query('7.0.42.10.in-addr.arpa.', 12)).answers.map((r) => r.data),
      [
        { type: 'PTR', target: 'node1.' },
        { type: 'PTR', target: 'node1.local.' },
      ],
    );
    assert.equal(ask(l, query('localhost6.', 28)).answers.length, 1);
    const mx = ask(l, query('node1.', 15));
    assert.deepEqual([mx.rcode, mx.answers.length], [0, 0]);
    assert.equal(ask(l, query('node2.')).rcode, 3);
  });

  it('forwards other names upstream with a fresh ID and gives the answer back under the client ID', () => {
    const { l, server, upstream } = lab();
    const a = ask(l, query('www.example.org.'));
    assert.equal(a.id, 0x4242);
    assert.ok(a.aa, 'the upstream is authoritative and its flags are relayed');
    assert.deepEqual(a.answers, [rr('www.example.org.', 300, { type: 'A', address: ip('192.0.2.10') })]);
    assert.equal(server.stats.forward.forwarded, 1);
    assert.equal(upstream.stats.answered, 1);
  });

  it('tries the next upstream after a timeout and answers SERVFAIL when none answers', () => {
    const { l, server } = lab({
      forward: {
        upstreams: [{ addr: ip('10.45.0.200') }, { addr: UPSTREAM_IP }],
        policy: 'sequential',
        timeout: 500 * MS,
      },
    });
    const t0 = l.engine.now;
    const got: number[] = [];
    const port = l.udp.client.bind(0, () => got.push(l.engine.now - t0));
    l.udp.client.send(port, DNS_IP, 53, buildDns(query('www.example.org.')));
    l.engine.runFor(5 * SECOND);
    assert.equal(got.length, 1);
    assert.ok(got[0]! > 500 * MS && got[0]! < 520 * MS, `answered after the first upstream's timeout (${got[0]} ns)`);
    assert.equal(server.stats.forward.timeouts, 1);

    const { l: l2 } = lab({ forward: { upstreams: [{ addr: ip('10.45.0.9') }], timeout: 500 * MS } });
    const fail = ask(l2, query('www.example.org.'));
    assert.equal(fail.rcode, 2, 'SERVFAIL (the only upstream refuses: ICMP port unreachable)');
    assert.ok(fail.ra);
  });

  it('REFUSES what no plugin takes', () => {
    const { l } = lab({ forward: undefined });
    assert.equal(ask(l, query('www.example.org.')).rcode, 5);
  });
});

describe('dns server: malformed and unsupported queries', () => {
  it('answers FORMERR to a malformed query, echoing the ID and the question when readable', () => {
    const { l, server } = lab();
    // a valid question followed by an answer record whose RDLENGTH runs past the end
    const bytes = hex(`
      be ef 01 00 00 01 00 01 00 00 00 00
      07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01
      c0 0c 00 01 00 01 00 00 00 3c 00 04 0a 00
    `);
    assert.equal(parseDns(bytes).ok, false);
    const a = exchangeRaw(l, bytes);
    assert.equal(a.id, 0xbeef);
    assert.equal(a.rcode, 1);
    assert.ok(a.qr && a.rd);
    assert.deepEqual(a.questions, [{ name: 'example.com.', type: 1, class: 1 }]);
    assert.equal(server.stats.formerr, 1);
    assert.match(server.log.at(-1)!.detail!, /answer\[0\]\.rdlength/);
  });

  it('answers FORMERR without a question when the question itself is broken (a pointer loop)', () => {
    const { l } = lab();
    const a = exchangeRaw(l, hex('12 34 01 00 00 01 00 00 00 00 00 00 c0 0c 00 01 00 01'));
    assert.deepEqual([a.id, a.rcode, a.questions.length], [0x1234, 1, 0]);
  });

  it('answers FORMERR to a QUERY with no or two questions', () => {
    const { l } = lab();
    assert.equal(ask(l, { ...query('a.'), questions: [] }).rcode, 1);
    assert.equal(ask(l, { ...query('a.'), questions: [...query('a.').questions, ...query('b.').questions] }).rcode, 1);
  });

  it('answers NOTIMP to other opcodes and BADVERS to EDNS version 1, with version 0 in its OPT', () => {
    const { l, server } = lab();
    const notify = ask(l, query('cluster.local.', 6, { opcode: DNS_OPCODE_NOTIFY }));
    assert.deepEqual([notify.rcode, notify.opcode], [4, DNS_OPCODE_NOTIFY]);
    const bad = ask(
      l,
      query('cluster.local.', 6, {
        edns: { udpSize: 4096, extendedRcode: 0, version: 1, dnssecOk: false, z: 0, options: [] },
      }),
    );
    assert.equal(fullRcode(bad), 16);
    assert.deepEqual([bad.rcode, bad.edns?.extendedRcode, bad.edns?.version], [0, 1, 0]);
    assert.deepEqual([server.stats.notimp, server.stats.badvers], [1, 1]);
  });

  it('drops, without answering, datagrams under 12 bytes and responses, and counts them', () => {
    const { l, server } = lab();
    assert.deepEqual(exchange(l, hex('01 02 03')), []);
    assert.deepEqual(exchange(l, buildDns({ ...query('a.'), qr: true })), []);
    assert.deepEqual(exchange(l, hex('12 34 81 00 00 01 00 00 00 00 00 00 c0 0c 00 01 00 01')), []);
    assert.equal(server.stats.dropped, 3);
    assert.equal(l.dns.drops.malformed, 3);
  });
});

/** Sends raw bytes and parses the one answer. */
function exchangeRaw(l: DnsLab, bytes: Uint8Array): DnsMessage {
  const got = exchange(l, bytes);
  assert.equal(got.length, 1);
  const r = parseDns(got[0]!);
  assert.ok(r.ok);
  return r.value;
}

describe('dns server: EDNS, truncation and streams', () => {
  const EDNS = {
    udpSize: 4096,
    extendedRcode: 0,
    version: 0,
    dnssecOk: true,
    z: 0,
    options: [{ code: 10, data: hex('0102030405060708') }],
  };

  it("answers EDNS with its own size, the DO bit copied and the client's cookie echoed", () => {
    const { l } = lab();
    const a = ask(l, query('kubernetes.default.svc.cluster.local.', 1, { edns: EDNS }));
    assert.deepEqual(a.edns, {
      udpSize: 1232,
      extendedRcode: 0,
      version: 0,
      dnssecOk: true,
      z: 0,
      options: [{ code: 10, data: hex('0102030405060708') }],
    });
    assert.equal(ask(l, query('kubernetes.default.svc.cluster.local.')).edns, undefined);
  });

  it('truncates at 512 bytes without EDNS and at the smaller of both sizes with it, whole records only', () => {
    const { l, server } = lab();
    const plain = exchange(l, buildDns(query('big.cluster.local.', 16)))[0]!;
    assert.ok(plain.length <= 512);
    const p = parseDns(plain);
    assert.ok(p.ok && p.value.tc);
    // 12 header + 23 question, then 62 bytes per record (2 pointer + 10 fixed + 50 TXT): 7 fit in 469 bytes
    assert.equal(p.value.answers.length, 7);
    const big = exchange(l, buildDns(query('big.cluster.local.', 16, { edns: EDNS })))[0]!;
    assert.ok(big.length <= 1232 && big.length > 1100, `${big.length} bytes`);
    const b = parseDns(big);
    assert.ok(b.ok && b.value.tc && b.value.edns !== undefined);
    assert.equal(server.stats.truncated, 2);
    // a small answer is never truncated
    assert.equal(ask(l, query('dns-version.cluster.local.', 16)).tc, false);
  });

  it('answers the full message over a stream, framed, for pipelined queries split anyhow', () => {
    const { l, server } = lab();
    const [client, serverEnd] = memoryStreamPair(l.engine, { latency: 50_000, chunkSize: 7 });
    server.serveStream(serverEnd, { src: ip('10.42.0.2'), srcPort: 40000 });
    const answers: DnsMessage[] = [];
    readDnsMessages(client, (m) => {
      const r = parseDns(m);
      assert.ok(r.ok);
      answers.push(r.value);
    });
    client.write(
      concat(
        frameDnsMessage(buildDns({ ...query('big.cluster.local.', 16), id: 1 })),
        frameDnsMessage(buildDns({ ...query('www.example.org.'), id: 2 })),
      ),
    );
    l.engine.runFor(SECOND);
    assert.deepEqual(
      answers.map((a) => [a.id, a.tc, a.answers.length]),
      [
        [1, false, 40],
        [2, false, 1],
      ],
    );
  });

  it('forwards a stream client over a stream when a connector is set, so nothing is truncated', () => {
    const l = dnsLab();
    const bigZone = {
      origin: 'example.org.',
      records: [
        ...UPSTREAM_ZONE.records,
        ...CLUSTER_ZONE.records
          .filter((r) => r.name === 'big.cluster.local.')
          .map((r) => ({ ...r, name: 'big.example.org.' })),
      ],
    };
    l.streamServers.set(UPSTREAM_IP, new DnsServer(l.udp.upstream, { zones: [bigZone] }));
    const server = new DnsServer(l.udp.dns, { forward: { upstreams: [{ addr: UPSTREAM_IP }], connect: l.connect } });
    const [client, serverEnd] = memoryStreamPair(l.engine);
    server.serveStream(serverEnd, { src: ip('10.42.0.2'), srcPort: 40002 });
    const answers: DnsMessage[] = [];
    readDnsMessages(client, (m) => {
      const r = parseDns(m);
      assert.ok(r.ok);
      answers.push(r.value);
    });
    client.write(frameDnsMessage(buildDns(query('big.example.org.', 16))));
    l.engine.runFor(SECOND);
    assert.deepEqual(
      answers.map((a) => [a.id, a.tc, a.answers.length]),
      [[0x4242, false, 40]],
    );
    // over UDP the same question comes back truncated, for the client to retry over TCP
    assert.equal(ask(l, query('big.example.org.', 16)).tc, true);
  });

  it('closes its side after the client closes its own, once the answer it owes is written (CoreDNS)', () => {
    // miekg/dns serveTCPConn reads queries in a loop and answers each before reading on; the read after
    // the client's FIN fails with EOF, and the server closes the connection: answer, then FIN
    const { l, server } = lab();
    const [client, serverEnd] = memoryStreamPair(l.engine, { latency: 50_000 });
    server.serveStream(serverEnd, { src: ip('10.42.0.2'), srcPort: 40003 });
    const events: string[] = [];
    readDnsMessages(client, (m) => events.push(`answer ${parseDns(m).ok ? 'ok' : 'bad'}`));
    client.onEnd(() => events.push('server closed'));
    client.write(frameDnsMessage(buildDns({ ...query('www.example.org.'), id: 7 })));
    client.end();
    l.engine.runFor(SECOND);
    assert.deepEqual(events, ['answer ok', 'server closed']);
    // a client that keeps its side open keeps the connection
    const [open, openServerEnd] = memoryStreamPair(l.engine, { latency: 50_000 });
    server.serveStream(openServerEnd, { src: ip('10.42.0.2'), srcPort: 40004 });
    let closed = false;
    open.onEnd(() => (closed = true));
    open.write(frameDnsMessage(buildDns({ ...query('www.example.org.'), id: 8 })));
    l.engine.runFor(SECOND);
    assert.equal(closed, false);
  });

  it('closes a stream that sends a message without a header', () => {
    const { l, server } = lab();
    const [client, serverEnd] = memoryStreamPair(l.engine);
    server.serveStream(serverEnd, { src: ip('10.42.0.2'), srcPort: 40001 });
    let ended = false;
    client.onEnd(() => (ended = true));
    client.write(frameDnsMessage(hex('00 01 02')));
    l.engine.runFor(SECOND);
    assert.ok(ended);
    assert.equal(server.stats.dropped, 1);
  });
});

describe('dns benchmark workload', () => {
  it('answers every query of the mix correctly (bench/dns.ts)', async () => {
    const { runDnsBench } = await import('../../../bench/dns.js');
    const r = runDnsBench(300, 8);
    assert.deepEqual([r.answered, r.correct], [300, 300]);
  });
});
