/**
 * ping as iputils prints it, and round-trip times that add up hop by hop. The expected text follows
 * iputils' ping_common.c: per-reply times in whole microseconds printed with 3/2/1/0 decimals below 1, 10,
 * 100 ms and above; the loss as `%g` of a float; min/avg/max/mdev from microsecond sums, mdev being
 * sqrt(mean(x²) - mean(x)²).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, MS, SECOND, US } from '../sim/engine.js';
import { parseIpv4, type Ipv4 } from '../wire/addr.js';
import { IpNode } from '../net/ip-node.js';
import { ping, formatPing, type PingLine, type PingResult, type PingOptions } from './ping.js';
import type { LinkProps } from '../link/channel.js';
import { routedPair } from '../net/testing.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;

function reply(seq: number, rttNs: number, from = ip('10.0.2.2'), ttl = 63): PingLine {
  return { seq, kind: 'reply', from, rttNs, ttl, bytes: 64 };
}

function result(lines: PingLine[], transmitted = lines.length): PingResult {
  const replies = lines.filter((l) => l.kind === 'reply');
  return {
    dst: ip('10.0.2.2'),
    addr: ip('10.0.2.2'),
    transmitted,
    received: replies.length,
    errors: lines.length - replies.length,
    lines,
    rtts: replies.map((l) => l.rttNs!),
    // one request a second, as ping's default interval
    elapsedNs: Math.max(0, transmitted - 1) * SECOND,
    pipe: lines.length > 0 ? 1 : -1,
    timing: true,
  };
}

describe('formatPing (iputils output)', () => {
  it('prints the header, one line per reply, and the summary with min/avg/max/mdev', () => {
    // rtts 0.4, 0.5, 0.9 ms: avg 0.6; mean of squares (0.16 + 0.25 + 0.81) / 3 = 0.406667;
    // mdev = sqrt(0.406667 - 0.36) = sqrt(0.046667) = 0.216 ms (iputils: isqrt(46666 us²) = 216 us)
    const r = result([reply(1, 400 * US), reply(2, 500 * US), reply(3, 900 * US)]);
    assert.equal(
      formatPing(r),
      [
        'PING 10.0.2.2 (10.0.2.2) 56(84) bytes of data.',
        '64 bytes from 10.0.2.2: icmp_seq=1 ttl=63 time=0.400 ms',
        '64 bytes from 10.0.2.2: icmp_seq=2 ttl=63 time=0.500 ms',
        '64 bytes from 10.0.2.2: icmp_seq=3 ttl=63 time=0.900 ms',
        '',
        '--- 10.0.2.2 ping statistics ---',
        '3 packets transmitted, 3 received, 0% packet loss, time 2000ms',
        'rtt min/avg/max/mdev = 0.400/0.600/0.900/0.216 ms',
      ].join('\n'),
    );
  });

  it('computes mdev as sqrt(mean(x^2) - mean(x)^2), not the sample standard deviation', () => {
    // 1, 2, 3, 4 ms: mean 2.5, mean of squares 30/4 = 7.5, 7.5 - 6.25 = 1.25, sqrt = 1.118 ms
    // (the sample deviation would be sqrt(5/3) = 1.291)
    const r = result([reply(1, 1 * MS), reply(2, 2 * MS), reply(3, 3 * MS), reply(4, 4 * MS)]);
    assert.match(formatPing(r), /\nrtt min\/avg\/max\/mdev = 1\.000\/2\.500\/4\.000\/1\.118 ms$/);
    // a single reply has mdev 0
    assert.match(formatPing(result([reply(1, 700 * US)])), /= 0\.700\/0\.700\/0\.700\/0\.000 ms$/);
  });

  it('computes the summary from whole microseconds, as iputils does (the two-hop rtts below)', () => {
    // iputils keeps tsum and tsum2 in integer microseconds: 12970, 6679, 6679 us.
    // min 6.679, max 12.970 (truncated, not 12.971); avg = 26328 / 3 = 8776 us (not 8.777);
    // mdev = isqrt((tsum2 - tsum^2 / 3) / 3) = isqrt((257438982 - 231054528) / 3) = isqrt(8794818) = 2965 us
    const r = result([reply(1, 12_970_668), reply(2, 6_679_468), reply(3, 6_679_468)]);
    assert.match(formatPing(r), /\nrtt min\/avg\/max\/mdev = 6\.679\/8\.776\/12\.970\/2\.965 ms$/);
  });

  it('uses the packet size in the header line: -s 1000 is 1000(1028)', () => {
    assert.match(formatPing(result([]), 1000), /^PING 10\.0\.2\.2 \(10\.0\.2\.2\) 1000\(1028\) bytes of data\.$/m);
  });

  it('prints ICMP errors as From lines and counts them as +N errors, with no rtt line', () => {
    const lines: PingLine[] = [
      { seq: 1, kind: 'error', from: ip('10.0.1.1'), error: 'Time to live exceeded' },
      { seq: 2, kind: 'error', from: ip('10.0.1.1'), error: 'Destination Host Unreachable' },
    ];
    const out = formatPing(result(lines));
    assert.equal(
      out,
      [
        'PING 10.0.2.2 (10.0.2.2) 56(84) bytes of data.',
        'From 10.0.1.1 icmp_seq=1 Time to live exceeded',
        'From 10.0.1.1 icmp_seq=2 Destination Host Unreachable',
        '',
        '--- 10.0.2.2 ping statistics ---',
        '2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1000ms',
        // no rtt line and no pipe: finish's last putchar('\n') leaves an empty line
        '',
      ].join('\n'),
    );
  });

  it('prints the loss as iputils does, with %g: 2 of 3 lost is 66.6667%, 1 of 3 is 33.3333%', () => {
    // iputils: printf(", %g%% packet loss", (float)(lost * 100.0 / transmitted))
    const oneOfThree = result([reply(1, 500 * US)], 3);
    assert.match(formatPing(oneOfThree), /^3 packets transmitted, 1 received, 66\.6667% packet loss, time 2000ms$/m);
    const twoOfThree = result([reply(1, 500 * US), reply(2, 500 * US)], 3);
    assert.match(formatPing(twoOfThree), /^3 packets transmitted, 2 received, 33\.3333% packet loss, time 2000ms$/m);
  });

  it('prints whole percentages without decimals (%g): 1 of 4 lost is 25%', () => {
    assert.match(formatPing(result([reply(1, 1), reply(2, 1), reply(3, 1)], 4)), /, 25% packet loss, time 3000ms$/m);
  });

  const replyTimes = (rtts: number[]): string[] =>
    formatPing(result(rtts.map((t, i) => reply(i + 1, t))))
      .split('\n')
      .filter((l) => l.includes('icmp_seq'))
      .map((l) => /time=(\S+) ms/.exec(l)![1]!);

  it('prints each reply time with iputils precision: 3, 2, 1, 0 decimals below 1, 10, 100 ms and above', () => {
    // iputils ping_common.c (gather_statistics), t in whole microseconds:
    //   t >= 100000 - 50: "%ld"        (t + 500) / 1000
    //   t >= 10000 - 5:   "%ld.%01ld"  (t + 50) / 1000, ((t + 50) % 1000) / 100
    //   t >= 1000:        "%ld.%02ld"  (t + 5) / 1000, ((t + 5) % 1000) / 10
    //   else:             "%ld.%03ld"  t / 1000, t % 1000
    assert.deepEqual(replyTimes([456 * US, 1_234 * US, 12_345 * US, 123_456 * US]), ['0.456', '1.23', '12.3', '123']);
  });

  it('moves to the shorter format when rounding carries into the next range, as iputils does', () => {
    // 9999 us >= 10000 - 5, so it takes the 1-decimal branch: (9999 + 50) / 1000 = 10, 49 / 100 = 0 -> "10.0"
    // (not "10.00"); 99950 us >= 100000 - 50 -> (99950 + 500) / 1000 = "100" (not "100.0");
    // 9994 us stays in the 2-decimal branch: (9994 + 5) / 1000 = 9, 999 / 10 = 99 -> "9.99"
    assert.deepEqual(replyTimes([9_994 * US, 9_995 * US, 9_999 * US, 99_949 * US, 99_950 * US]), [
      '9.99',
      '10.0',
      '10.0',
      '99.9',
      '100',
    ]);
  });

  it('truncates a reply time to whole microseconds as iputils measures it (45.6789 us prints 0.045)', () => {
    assert.deepEqual(replyTimes([45_678.9, 999_999]), ['0.045', '0.999']);
  });
});

/**
 * A (10.0.1.2) --L1-- R --L2-- B (10.0.2.2). L1: 10 Mb/s, 1 ms. L2: 3 Mb/s, 2 ms (so that serialization
 * needs rounding up). An echo of 56 data bytes is a 14 + 20 + 8 + 56 = 98-byte frame, 110 bytes on the
 * wire with preamble (8) and FCS (4); an ARP frame is 14 + 28 = 42 bytes, padded to 60 on the wire: 72.
 */
function twoHops(l1: Partial<LinkProps>, l2: Partial<LinkProps>) {
  return routedPair(l1, l2);
}

function runPing(node: IpNode, engine: Engine, dst: Ipv4, o: Partial<PingOptions> = {}): PingResult {
  let out: PingResult | undefined;
  ping(node, dst, o, (res) => (out = res));
  engine.run();
  assert.ok(out, 'ping finished');
  return out;
}

describe('ping over two hops', () => {
  const L1 = { bandwidth: 10_000_000, latency: 1 * MS };
  const L2 = { bandwidth: 3_000_000, latency: 2 * MS };

  it('measures rtt as the sum of every serialization and propagation delay on the path', () => {
    const { engine, a } = twoHops(L1, L2);
    const r = runPing(a, engine, ip('10.0.2.2'));
    // serialization: 110 B on L1 = 880 bits / 10 Mb/s = 88000 ns; on L2 = 880e9 / 3e6 = 293333.3 -> 293334 ns
    //                 72 B on L1 = 57600 ns;                       on L2 = 576e9 / 3e6 = 192000 ns
    const echoL1 = 88_000 + 1 * MS;
    const echoL2 = 293_334 + 2 * MS;
    const arpL1 = 57_600 + 1 * MS;
    const arpL2 = 192_000 + 2 * MS;
    const steady = 2 * echoL1 + 2 * echoL2; // 6_762_668 ns
    // the first echo waits for A's ARP for R and R's ARP for B (B and R learn each other from the requests)
    const first = 2 * arpL1 + echoL1 + 2 * arpL2 + echoL2 + echoL2 + echoL1; // 13_261_868 ns
    assert.equal(steady, 6_762_668);
    assert.equal(first, 13_261_868);
    assert.deepEqual(r.rtts, [first, steady, steady]);
    assert.deepEqual(
      r.lines.map((l) => [l.kind, l.seq, l.ttl, l.bytes, l.from]),
      [
        ['reply', 1, 63, 64, ip('10.0.2.2')],
        ['reply', 2, 63, 64, ip('10.0.2.2')],
        ['reply', 3, 63, 64, ip('10.0.2.2')],
      ],
      'TTL 64 from B, minus one at R',
    );
    assert.deepEqual([r.transmitted, r.received, r.errors], [3, 3, 0]);
  });

  it('finishes when the last reply arrives: 2 s of interval plus the last rtt', () => {
    const { engine, a } = twoHops(L1, L2);
    let doneAt = -1;
    ping(a, ip('10.0.2.2'), {}, () => (doneAt = engine.now));
    engine.runUntilIdle();
    assert.equal(doneAt, 2 * SECOND + 6_762_668);
  });

  it('scales with the data size: -s 1000 makes a 1042-byte frame', () => {
    // 1042 B + 12 = 1054 B = 8432 bits: L1 843200 ns, L2 8432e9/3e6 = 2810666.7 -> 2810667 ns
    const { engine, a } = twoHops(L1, L2);
    const r = runPing(a, engine, ip('10.0.2.2'), { size: 1000, count: 2 });
    assert.equal(r.rtts[1], 2 * (843_200 + 1 * MS) + 2 * (2_810_667 + 2 * MS));
  });

  it('reports Time to live exceeded from the first router with -t 1', () => {
    const { engine, a } = twoHops(L1, L2);
    const r = runPing(a, engine, ip('10.0.2.2'), { ttl: 1, count: 2 });
    assert.deepEqual(
      r.lines.map((l) => [l.kind, l.seq, l.from, l.error]),
      [
        ['error', 1, ip('10.0.1.1'), 'Time to live exceeded'],
        ['error', 2, ip('10.0.1.1'), 'Time to live exceeded'],
      ],
    );
    assert.deepEqual([r.transmitted, r.received, r.errors], [2, 0, 2]);
  });

  it('reports Destination Net Unreachable when the router has no route', () => {
    const { engine, a } = twoHops(L1, L2);
    const r = runPing(a, engine, ip('192.0.2.1'), { count: 1 });
    assert.deepEqual(
      r.lines.map((l) => [l.kind, l.from, l.error]),
      [['error', ip('10.0.1.1'), 'Destination Net Unreachable']],
    );
  });

  it('reports the next-hop MTU when a DF ping is too big for the second link', () => {
    const { engine, a, r: router } = twoHops(L1, { ...L2, mtu: 1000 });
    router.dev('eth1')!.mtu = 1000;
    const r = runPing(a, engine, ip('10.0.2.2'), { size: 1400, count: 1 });
    assert.deepEqual(
      r.lines.map((l) => [l.kind, l.from, l.error]),
      [['error', ip('10.0.1.1'), 'Frag needed and DF set (mtu = 1000)']],
    );
  });

  it('counts lost replies as loss after the timeout when the far end is gone', () => {
    const { engine, a, net } = twoHops(L1, L2);
    net.disconnect(net.device('B')!.ports[0]!);
    const r = runPing(a, engine, ip('10.0.2.2'), { count: 2 });
    assert.deepEqual([r.transmitted, r.received], [2, 0]);
    assert.match(formatPing(r), /2 packets transmitted, 0 received, .*100% packet loss/);
  });
});

describe('ping text checked against iputils 20221126 in network namespaces', () => {
  it('a neighbour that never answers: Destination Host Unreachable from the sender, pipe 4, time', () => {
    // Real run (veth between two namespaces, 10.77.0.1 -> 10.77.0.5, nobody there), `ping -c 6`:
    //   From 10.77.0.1 icmp_seq=1..3 Destination Host Unreachable   (when ARP gives up, 3 s in)
    //   From 10.77.0.1 icmp_seq=4..6 Destination Host Unreachable   (icmp_seq=4 restarted ARP: 3 s later)
    //   6 packets transmitted, 0 received, +6 errors, 100% packet loss, time 5059ms
    //   pipe 4
    // The real "time" is 5059 ms because its timer wakes a few ms late each second; here it is exact.
    // icmp_seq=4 is due when ARP fails; pinger runs before the errors are read, so seq 1 is acked with
    // 4 requests out: pipe 4.
    const { engine, a } = twoHops({}, {});
    const r = runPing(a, engine, ip('10.0.1.99'), { count: 6 });
    assert.equal(
      formatPing(r),
      [
        'PING 10.0.1.99 (10.0.1.99) 56(84) bytes of data.',
        ...[1, 2, 3, 4, 5, 6].map((n) => `From 10.0.1.2 icmp_seq=${n} Destination Host Unreachable`),
        '',
        '--- 10.0.1.99 ping statistics ---',
        '6 packets transmitted, 0 received, +6 errors, 100% packet loss, time 5000ms',
        'pipe 4',
      ].join('\n'),
    );
  });

  it('prints the error after the last request: ping -c 1 waits its 10 s linger for ARP to fail', () => {
    // Real: `ping -c 1 10.77.0.7` prints the From line 3 s later, then "time 0ms" and an empty line
    // (no rtt, no pipe); `ping -c 2 -W 1 10.77.0.8` gives up after 1 s with no From line.
    const { engine, a } = twoHops({}, {});
    const start = engine.now;
    let doneAt = -1;
    let r: PingResult | undefined;
    ping(a, ip('10.0.1.99'), { count: 1 }, (x) => {
      r = x;
      doneAt = engine.now;
    });
    engine.run();
    assert.equal(
      formatPing(r!),
      [
        'PING 10.0.1.99 (10.0.1.99) 56(84) bytes of data.',
        'From 10.0.1.2 icmp_seq=1 Destination Host Unreachable',
        '',
        '--- 10.0.1.99 ping statistics ---',
        '1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms',
        '',
      ].join('\n'),
    );
    assert.equal(doneAt - start, 3 * SECOND, 'ARP gives up after 3 probes a second apart');
    const w = twoHops({}, {});
    const r2 = runPing(w.a, w.engine, ip('10.0.1.98'), { count: 2, timeout: SECOND });
    assert.equal(
      formatPing(r2),
      [
        'PING 10.0.1.98 (10.0.1.98) 56(84) bytes of data.',
        '',
        '--- 10.0.1.98 ping statistics ---',
        '2 packets transmitted, 0 received, 100% packet loss, time 1000ms',
        '',
      ].join('\n'),
    );
  });

  it('-s 0 has no room for the timeval: replies without time=, no rtt line, an empty last line', () => {
    // Real `ping -c1 -s 0 10.77.0.2`, byte for byte (the final empty line is finish's last putchar):
    const { engine, a } = twoHops({}, {});
    const r = runPing(a, engine, ip('10.0.1.1'), { count: 1, size: 0 });
    assert.equal(
      formatPing(r, 0),
      [
        'PING 10.0.1.1 (10.0.1.1) 0(28) bytes of data.',
        '8 bytes from 10.0.1.1: icmp_seq=1 ttl=64',
        '',
        '--- 10.0.1.1 ping statistics ---',
        '1 packets transmitted, 1 received, 0% packet loss, time 0ms',
        '',
      ].join('\n'),
    );
    // 15 data bytes are still too few; 16 hold the timeval and bring time= back (real -s 15 / -s 16)
    const r15 = runPing(a, engine, ip('10.0.1.1'), { count: 1, size: 15 });
    assert.match(formatPing(r15, 15), /^23 bytes from 10\.0\.1\.1: icmp_seq=1 ttl=64$/m);
    const r16 = runPing(a, engine, ip('10.0.1.1'), { count: 1, size: 16 });
    assert.match(formatPing(r16, 16), /^24 bytes from 10\.0\.1\.1: icmp_seq=1 ttl=64 time=\S+ ms$/m);
  });

  it('a run with replies: time is from the first request to the last one sent, rtt line last', () => {
    // Real `ping -c 3 -i 0.2 10.77.0.2`: "3 packets transmitted, 3 received, 0% packet loss, time 411ms"
    // (400 ms of intervals plus timer slack) and no pipe: each reply came before the next request.
    const { engine, a } = twoHops({}, {});
    const r = runPing(a, engine, ip('10.0.1.1'), { count: 3, interval: 200 * MS });
    const text = formatPing(r).split('\n');
    assert.equal(text.at(-2), '3 packets transmitted, 3 received, 0% packet loss, time 400ms');
    assert.match(text.at(-1)!, /^rtt min\/avg\/max\/mdev = [0-9./]+ ms$/);
  });
});
