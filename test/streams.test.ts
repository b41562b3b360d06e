/**
 * One random stream per object (as ns-3's RngStream per model): a lab in which B opens TCP connections to
 * C gives B and C the same initial sequence numbers and IP IDs whether or not A also pings C, over a lossy
 * cable, before them. With one engine-wide generator A's ping identifier and its cable's loss draws would
 * shift every later draw, B's ISNs included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLab } from '../src/scenario/lab.js';
import { buildLab } from '../src/scenario/build.js';
import { ping, type PingResult } from '../src/apps/ping.js';
import { streamPrng } from '../src/sim/prng.js';
import { tcpOf } from '../src/transport/testing.js';
import { TCP_ACK, TCP_SYN } from '../src/wire/tcp.js';
import { parseIpv4 as parseAddr } from '../src/wire/addr.js';
import { ETH_HEADER_LEN } from '../src/wire/ethernet.js';

const LAB = `
apiVersion: podnet.dev/v1alpha1
kind: Lab
metadata: { name: streams }
spec:
  seed: SEED
  linkDefaults: { latency: 1us, bandwidth: 1Gbps, mtu: 1500 }
  nodes:
    - { name: A, kind: host, interfaces: [{ name: eth0, mac: "02:00:00:00:00:0a", address: 10.0.0.1/24 }] }
    - { name: B, kind: host, interfaces: [{ name: eth0, mac: "02:00:00:00:00:0b", address: 10.0.0.2/24 }] }
    - { name: C, kind: host, interfaces: [{ name: eth0, mac: "02:00:00:00:00:0c", address: 10.0.0.3/24 }] }
    - { name: sw1, kind: switch, ports: [p1, p2, p3] }
  links:
    - { a: "A:eth0", b: "sw1:p1", loss: 0.2 }
    - { a: "B:eth0", b: "sw1:p2" }
    - { a: "C:eth0", b: "sw1:p3" }
`;

const ip = (s: string): number => parseAddr(s)!;

interface Seen {
  /** ISNs of B's SYNs and of C's SYN-ACKs, in wire order. */
  bIsn: number[];
  cIsn: number[];
  /** IP IDs of every packet B sent. */
  bIpId: number[];
  ping: PingResult | undefined;
}

/** Builds the lab; optionally A pings C 5 times first; then B connects to C:80 three times. */
function run(seed: number, pingFromA: boolean): Seen {
  const parsed = parseLab('streams.yaml', LAB.replace('SEED', String(seed)));
  assert.ok(parsed.ok, parsed.ok ? '' : JSON.stringify(parsed.errors));
  const lab = buildLab(parsed.lab);
  const seen: Seen = { bIsn: [], cIsn: [], bIpId: [], ping: undefined };
  const bLink = lab.network.links.find((l) => l.a.id === 'B:eth0')!;
  bLink.ab.tap = (_t, f) => {
    const s = tcpOf(f);
    if (s === undefined) return;
    seen.bIpId.push((f[ETH_HEADER_LEN + 4]! << 8) | f[ETH_HEADER_LEN + 5]!);
    if (s.seg.flags === TCP_SYN) seen.bIsn.push(s.seg.seq);
  };
  bLink.ba.tap = (_t, f) => {
    const s = tcpOf(f);
    if (s !== undefined && s.seg.flags === (TCP_SYN | TCP_ACK)) seen.cIsn.push(s.seg.seq);
  };
  lab.tcp.get('C')!.listen(80, (s) => s.end());
  if (pingFromA) {
    ping(lab.ipNodes.get('A')!, ip('10.0.0.3'), { count: 5 }, (r) => (seen.ping = r));
    lab.engine.runUntilIdle(60e9);
  }
  for (let i = 0; i < 3; i++) {
    lab.tcp.get('B')!.connect(ip('10.0.0.3'), 80);
    lab.engine.runUntilIdle(60e9);
  }
  return seen;
}

test("a ping on A (and its lossy cable's draws) does not move B's or C's TCP ISNs or B's IP IDs", () => {
  const quiet = run(1, false);
  const busy = run(1, true);
  // the ping did draw: it ran, and A's 20% loss cable decided the fate of each of its frames
  assert.ok(busy.ping !== undefined && busy.ping.transmitted === 5, 'A pinged');
  assert.equal(quiet.bIsn.length, 3);
  assert.equal(quiet.cIsn.length, 3);
  assert.deepEqual(busy.bIsn, quiet.bIsn, "B's ISNs");
  assert.deepEqual(busy.cIsn, quiet.cIsn, "C's ISNs");
  assert.deepEqual(busy.bIpId, quiet.bIpId, "B's IP IDs");
  // they are B's and C's own streams, and nothing else: the first words of node:B/tcp and node:C/tcp
  const words = (name: string): number[] => {
    const p = streamPrng(1, name);
    return [p.nextU32(), p.nextU32(), p.nextU32()];
  };
  assert.deepEqual(quiet.bIsn, words('node:B/tcp'));
  assert.deepEqual(quiet.cIsn, words('node:C/tcp'));
  // the IP ID counter starts at a draw from node:B/ip-id and steps before each packet
  assert.equal(quiet.bIpId[0], (streamPrng(1, 'node:B/ip-id').nextU32() + 1) & 0xffff, "B's first IP ID");
  // and the seed matters (the values are drawn, not constant)
  assert.notDeepEqual(run(2, false).bIsn, quiet.bIsn);
});
