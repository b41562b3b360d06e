/**
 * Next-hop exceptions as route.c keeps them: a learned path MTU for 600 s (mtu_expires), 552 at the least
 * (min_pmtu), a redirect's gateway for 300 s. `ip route get` in a namespace showed `cache expires 597sec
 * mtu 1400` three seconds after a frag needed, and `cache <redirected> expires 298sec`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIN_PMTU, MTU_EXPIRES_NS, REDIRECT_EXPIRES_NS, RouteExceptions } from './route-exceptions.js';

const S = 1_000_000_000;
const DST = 0x0a000202;

describe('route exceptions (fib_nh_exception)', () => {
  it('a frag needed lowers the path MTU for 600 s; a larger report is ignored', () => {
    const x = new RouteExceptions();
    assert.equal(x.learnPmtu(DST, 1400, 1500, 10 * S), 1400);
    assert.equal(x.get(DST, 10 * S)?.expires, 10 * S + MTU_EXPIRES_NS);
    assert.equal(x.learnPmtu(DST, 1450, 1400, 20 * S), undefined, 'larger than what is known');
    assert.equal(x.get(DST, 10 * S + MTU_EXPIRES_NS - 1)?.pmtu, 1400);
    assert.equal(x.get(DST, 10 * S + MTU_EXPIRES_NS), undefined, 'expired and removed');
  });

  it('the same MTU again is not refreshed before half the time has passed; below 552 it is 552', () => {
    const x = new RouteExceptions();
    x.learnPmtu(DST, 1400, 1500, 0);
    assert.equal(x.learnPmtu(DST, 1400, 1400, 100 * S), undefined);
    assert.equal(x.learnPmtu(DST, 1400, 1400, 301 * S), 1400, 'past half of mtu_expires: refreshed');
    assert.equal(x.get(DST, 301 * S)?.expires, 901 * S);
    assert.equal(x.learnPmtu(DST + 1, 300, 1500, 0), MIN_PMTU);
  });

  it('a redirect keeps its gateway for 300 s, beside a learned MTU', () => {
    const x = new RouteExceptions();
    x.learnPmtu(DST, 1400, 1500, 0);
    x.learnGateway(DST, 0x0a000103, 5 * S);
    const e = x.get(DST, 5 * S)!;
    assert.deepEqual([e.gateway, e.pmtu, e.expires], [0x0a000103, 1400, 5 * S + REDIRECT_EXPIRES_NS]);
    assert.deepEqual(x.entries(5 * S).length, 1);
  });
});
