/**
 * The cache plugin in front of forward, as k3s's `cache 30` runs it (CoreDNS plugin/cache): TTLs capped at
 * 30 s from the first answer on, a repeat served without asking upstream with the TTL lowered by the whole
 * seconds that passed on the engine clock, negative answers kept too, and an expired entry asked again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MS, SECOND } from '../../sim/engine.js';
import { type DnsMessage, buildDns, emptyDnsMessage, parseDns } from '../../wire/dns.js';
import { DnsServer } from './server.js';
import { type DnsLab, ROOT_ZONE, UPSTREAM_ZONE, dnsLab, ip } from './testing.js';

const DNS_IP = ip('10.43.0.10');

function lab(): { l: DnsLab; server: DnsServer; upstream: DnsServer } {
  const l = dnsLab();
  const upstream = new DnsServer(l.udp.upstream, { zones: [UPSTREAM_ZONE, ROOT_ZONE] });
  const server = new DnsServer(l.udp.dns, {
    cache: { ttl: 30 },
    forward: { upstreams: [{ addr: ip('10.44.0.53') }] },
  });
  return { l, server, upstream };
}

/** Asks at the current time and runs the engine `run` ns (the answer takes well under 1 ms). */
function ask(l: DnsLab, name: string, run = 10 * MS): DnsMessage {
  const got: Uint8Array[] = [];
  const port = l.udp.client.bind(0, (d) => got.push(d.payload.slice()));
  const q = { ...emptyDnsMessage({ id: 7, rd: true }), questions: [{ name, type: 1, class: 1 }] };
  l.udp.client.send(port, DNS_IP, 53, buildDns(q));
  l.engine.runFor(run);
  l.udp.client.unbind(port);
  assert.equal(got.length, 1);
  const r = parseDns(got[0]!);
  assert.ok(r.ok);
  return r.value;
}

describe('cache plugin (cache 30)', () => {
  it('caps the first answer at 30 s, then answers from the cache with the TTL counting down', () => {
    const { l, upstream, server } = lab();
    const first = ask(l, 'www.example.org.');
    assert.deepEqual(
      first.answers.map((r) => [r.name, r.ttl]),
      [['www.example.org.', 30]], // the zone says 300
    );
    assert.equal(upstream.stats.received, 1);
    l.engine.runFor(10 * SECOND - 10 * MS); // the second query leaves at t = 10 s
    const second = ask(l, 'www.example.org.');
    // stored at t = 0.4 ms, asked at t = 10.0002 s: 9 whole seconds have passed
    assert.deepEqual(
      second.answers.map((r) => r.ttl),
      [21],
    );
    assert.ok(second.aa, 'CoreDNS sets AA on answers from its cache');
    assert.equal(upstream.stats.received, 1, 'served from the cache');
    assert.deepEqual(server.stats.cache, { hits: 1, misses: 1 });
    l.engine.runFor(21 * SECOND); // past the 30 s
    assert.deepEqual(
      ask(l, 'www.example.org.').answers.map((r) => r.ttl),
      [30],
    );
    assert.equal(upstream.stats.received, 2, 'an expired entry is asked again');
  });

  it('keeps NXDOMAIN too, the SOA TTL capped at 30 and counting down', () => {
    const { l, upstream } = lab();
    const first = ask(l, 'nothing.example.');
    assert.equal(first.rcode, 3);
    assert.deepEqual(
      first.authorities.map((r) => [r.name, r.data.type, r.ttl]),
      [['.', 'SOA', 30]], // the root zone's SOA says 86400
    );
    l.engine.runFor(5 * SECOND);
    const second = ask(l, 'nothing.example.');
    assert.equal(second.rcode, 3);
    assert.deepEqual(
      second.authorities.map((r) => r.ttl),
      [25],
    );
    assert.equal(upstream.stats.received, 1);
  });

  it('keys on the name case-insensitively and on the type', () => {
    const { l, upstream } = lab();
    ask(l, 'www.example.org.');
    ask(l, 'WWW.Example.ORG.');
    assert.equal(upstream.stats.received, 1);
  });
});
