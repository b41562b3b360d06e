/**
 * traceroute's probes and text, against what traceroute 2.1.2 (Debian 12) did in namespaces
 * (10.77.0.1 -- router 10.77.0.2/10.78.0.1 -- 10.78.0.2, captured with tcpdump on the sender's veth):
 * - `traceroute 10.78.0.2` sent 16 UDP probes at once, ports 33434..33449, TTL 1,1,1,2,2,2,...,6, each from
 *   its own source port, 32 data bytes 0x40..0x5f, DF clear; it printed hops 1 and 2 and stopped;
 * - `traceroute -I` sent echo requests with one identifier and sequence 1, 2, 3, ..., data 0x48..0x67;
 * - `traceroute -T` sent 60-byte SYNs to port 80, window 5840, options mss 1460, sackOK, TS, nop,
 *   wscale 2, each from its own port; the destination's RST ended the trace;
 * - to an address the router has no route for: ` 1  10.77.0.2 (10.77.0.2)  0.069 ms !N  0.008 ms !N *`
 *   (the router's ip_error rate limit lets two "net unreachable" through).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpv4, type Ipv4 } from '../wire/addr.js';
import { routedPair } from '../net/testing.js';
import { UdpStack } from '../transport/udp.js';
import { TcpStack } from '../transport/tcp.js';
import { formatTraceroute, traceroute, type TracerouteOptions, type TracerouteResult } from './traceroute.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;

/** A probe as it left A: time, TTL, protocol and the first transport bytes. */
interface Sent {
  time: number;
  ttl: number;
  proto: number;
  ipLen: number;
  df: boolean;
  l4: Uint8Array;
}

function run(o: Partial<TracerouteOptions>, dst = '10.0.2.2', withTcp = false) {
  const lab = routedPair();
  const udp = new UdpStack(lab.a);
  new UdpStack(lab.b);
  if (withTcp) {
    new TcpStack(lab.a);
    new TcpStack(lab.b);
  }
  const sent: Sent[] = [];
  lab.net.links[0]!.ab.tap = (time, f) => {
    if (f[12] !== 0x08 || f[13] !== 0x00) return;
    const ihl = (f[14]! & 0x0f) * 4;
    sent.push({
      time,
      ttl: f[22]!,
      proto: f[23]!,
      ipLen: (f[16]! << 8) | f[17]!,
      df: (f[20]! & 0x40) !== 0,
      l4: f.slice(14 + ihl),
    });
  };
  let r: TracerouteResult | undefined;
  traceroute(lab.a, udp, ip(dst), o, (x) => (r = x));
  lab.engine.run();
  assert.ok(r, 'traceroute finished');
  return { r, sent, lab };
}

const u16 = (b: Uint8Array, off: number): number => (b[off]! << 8) | b[off + 1]!;

describe('traceroute probes, as traceroute 2.1.2 sends them', () => {
  it('UDP: 16 probes in flight at once, ports 33434 up, a new source port each, pattern 0x40...', () => {
    const { r, sent } = run({});
    const probes = sent.filter((s) => s.proto === 17);
    // A sends 16, one every 20 us (the first waits for ARP); the answers of this short path come back
    // meanwhile and are read in the one poll after the batch, which sees hop 2's port unreachable: no more
    // probes, as the real tool (16, TTL 1..6, then hops 1 and 2 printed)
    assert.equal(probes.length, 16);
    assert.deepEqual(
      probes.map((p) => p.ttl),
      [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6],
    );
    assert.deepEqual(
      probes.map((p) => u16(p.l4, 2)),
      Array.from({ length: 16 }, (_, i) => 33434 + i),
    );
    assert.equal(new Set(probes.map((p) => u16(p.l4, 0))).size, 16, 'one source port per probe');
    assert.ok(
      probes.slice(2).every((p, i) => p.time - probes[i + 1]!.time === 20_000),
      'one per 20 us',
    );
    assert.ok(probes.every((p) => p.ipLen === 60 && !p.df));
    assert.deepEqual(
      [...probes[0]!.l4.slice(8)],
      Array.from({ length: 32 }, (_, i) => 0x40 + i),
    );
    assert.deepEqual(
      r.hops.map((h) => h.probes.map((p) => (p.from === undefined ? '*' : p.from))),
      [
        [ip('10.0.1.1'), ip('10.0.1.1'), ip('10.0.1.1')],
        [ip('10.0.2.2'), ip('10.0.2.2'), ip('10.0.2.2')],
      ],
    );
    assert.equal(r.reached, true);
    assert.deepEqual(
      formatTraceroute(r)
        .replace(/[0-9.]+ ms/g, 'T ms')
        .split('\n'),
      [
        'traceroute to 10.0.2.2 (10.0.2.2), 30 hops max, 60 byte packets',
        ' 1  10.0.1.1 (10.0.1.1)  T ms  T ms  T ms',
        ' 2  10.0.2.2 (10.0.2.2)  T ms  T ms  T ms',
      ],
    );
  });

  it('-N 1 sends one probe at a time: each after the previous was answered', () => {
    const { r, sent } = run({ simProbes: 1 });
    const probes = sent.filter((s) => s.proto === 17);
    assert.equal(probes.length, 6, 'three per hop, and none past the destination');
    for (let i = 1; i < probes.length; i++) assert.ok(probes[i]!.time > probes[i - 1]!.time);
    assert.equal(r.hops.length, 2);
  });

  it('-I sends ICMP echo requests: one identifier, sequence 1, 2, ..., data 0x48...; the echo reply ends it', () => {
    const { r, sent } = run({ method: 'icmp' });
    const probes = sent.filter((s) => s.proto === 1);
    assert.equal(probes.length, 16);
    assert.ok(probes.every((p) => p.l4[0] === 8 && p.ipLen === 60 && !p.df));
    assert.equal(new Set(probes.map((p) => u16(p.l4, 4))).size, 1, 'one identifier');
    assert.deepEqual(
      probes.map((p) => u16(p.l4, 6)),
      Array.from({ length: 16 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      [...probes[0]!.l4.slice(8)],
      Array.from({ length: 32 }, (_, i) => 0x48 + i),
    );
    assert.equal(r.hops.length, 2);
    assert.equal(r.reached, true);
  });

  it("-T sends TCP SYNs to port 80 with traceroute's options; the RST of a closed port ends it", () => {
    const { r, sent } = run({ method: 'tcp' }, '10.0.2.2', true);
    const probes = sent.filter((s) => s.proto === 6 && s.l4[13] === 0x02);
    assert.equal(probes.length, 16);
    const syn = probes[0]!.l4;
    assert.equal(probes[0]!.ipLen, 60);
    assert.equal(u16(syn, 2), 80);
    assert.equal(syn[13], 0x02, 'SYN only');
    assert.equal(u16(syn, 14), 5840, 'window');
    // mss 1460 | sackOK | TS (val, ecr 0) | nop | wscale 2, as in the real probe's bytes
    assert.deepEqual([...syn.slice(20, 26)], [0x02, 0x04, 0x05, 0xb4, 0x04, 0x02]);
    assert.deepEqual([...syn.slice(26, 28)], [0x08, 0x0a]);
    assert.deepEqual([...syn.slice(32, 40)], [0, 0, 0, 0, 0x01, 0x03, 0x03, 0x02]);
    assert.equal(new Set(probes.map((p) => u16(p.l4, 0))).size, 16, 'one source port per probe');
    assert.equal(r.hops.length, 2);
    assert.equal(r.reached, true);
    assert.ok(r.hops[1]!.probes.every((p) => p.from === ip('10.0.2.2') && p.note === ''));
  });

  it('an address the router cannot route: !N from the router, two answers and a * (ip_error rate limit)', () => {
    const { r } = run({}, '192.0.2.1');
    assert.equal(
      formatTraceroute(r)
        .split('\n')[1]!
        .replace(/[0-9.]+ ms/g, 'T ms'),
      ' 1  10.0.1.1 (10.0.1.1)  T ms !N  T ms !N *',
    );
  });
});
