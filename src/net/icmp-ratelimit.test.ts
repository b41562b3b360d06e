/**
 * The ICMP rate limiters against the kernel's arithmetic (net/ipv4/icmp.c, route.c, inetpeer.c) and what a
 * namespace showed: 20 TTL-1 pings 2 ms apart get 6 answers from a router, 20 pings to an unroutable
 * address 2 (test/ipv4-kernel.test.ts runs those against the kernel itself).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ICMP_RATE, IcmpRateLimiter } from './icmp-ratelimit.js';

const MS = 1_000_000;
const S = 1000 * MS;
const PEER = 0x0a000102;
const limiter = (draw = 1): IcmpRateLimiter => new IcmpRateLimiter(DEFAULT_ICMP_RATE, () => draw);

describe('ICMP rate limits (Linux)', () => {
  it('a fresh peer gets a burst of 6 time exceeded, then one a second (icmp_ratelimit 1000 ms, XRLIM_BURST_FACTOR 6)', () => {
    const l = limiter(0);
    const sent = (t: number): boolean => l.allowError(11, 0, PEER, t, false, false);
    const burst = Array.from({ length: 20 }, (_, i) => sent(10 * S + i * 2 * MS));
    assert.deepEqual(burst, [true, true, true, true, true, true, ...new Array<boolean>(14).fill(false)]);
    assert.equal(sent(10 * S + 500 * MS), false, 'half a second later: not yet');
    assert.equal(sent(11 * S + 10 * MS), true, 'a second after the burst: one more');
    assert.equal(sent(11 * S + 20 * MS), false);
  });

  it('errors from the route lookup are charged twice (ip_error, then icmp_send): 2 in a burst', () => {
    const l = limiter(0);
    const sent = (t: number): boolean => l.allowRouteError(PEER, t) && l.allowError(3, 0, PEER, t, false, false);
    assert.deepEqual(
      Array.from({ length: 5 }, (_, i) => sent(S + i * MS)),
      [true, true, false, false, false],
    );
  });

  it('never limits frag needed, echo replies or types outside icmp_ratemask 0x1818; never on lo', () => {
    const l = limiter(0);
    for (let i = 0; i < 100; i++) {
      assert.ok(l.allowError(3, 4, PEER, S, false, false), 'frag needed (PMTU discovery)');
      assert.ok(l.allowError(0, 0, PEER, S, false, false), 'echo reply');
      assert.ok(l.allowError(5, 1, PEER, S, false, false), 'redirect (limited by ip_rt_send_redirect instead)');
      assert.ok(l.allowError(11, 0, PEER, S, true, true), 'in and out on lo');
    }
  });

  it('the namespace-wide bucket: 50 credits, each message takes 0-2 at random, refilled 1000 a second', () => {
    const l = limiter(1);
    let sent = 0;
    // 100 different peers at one instant: each peer bucket allows one, the global bucket stops at 50
    for (let p = 0; p < 100; p++) if (l.allowError(11, 0, PEER + p, S, false, false)) sent++;
    assert.equal(sent, 50);
    assert.equal(
      l.allowError(11, 0, PEER + 200, S + 10 * MS, false, false),
      false,
      'refills no sooner than every 20 ms',
    );
    assert.equal(l.allowError(11, 0, PEER + 201, S + 20 * MS, false, false), true, '20 ms: 20 credits');
  });

  it('redirects: 9 with exponential backoff from 20 ms, then none until 20.48 s without one (ip_rt_send_redirect)', () => {
    const l = limiter();
    const times: number[] = [];
    for (let t = 0; t < 30 * S; t += 10 * MS) if (l.allowRedirect(PEER, S + t)) times.push(t / MS);
    // each one strictly later than 20 << n ms after the last one sent (time_after), probed every 10 ms
    assert.deepEqual(times, [0, 50, 140, 310, 640, 1290, 2580, 5150, 10280]);
    assert.equal(l.allowRedirect(PEER, 40 * S), false, 'still asked for redirects within 20.48 s of the last try');
    assert.equal(l.allowRedirect(PEER, 61 * S), true, '20.48 s of silence: start over');
  });
});
