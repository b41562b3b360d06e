/**
 * Longest-prefix match as `ip route get` answers it: the most specific covering prefix wins, then the lowest
 * metric; the default route catches the rest. Checked by hand and against a naive linear scan.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCidr, parseIpv4, prefixMask, type Ipv4 } from '../wire/addr.js';
import { RouteTable, formatRoute, type Route, type RouteSpec } from './route-table.js';

const ip = (s: string): Ipv4 => {
  const v = parseIpv4(s);
  if (v === undefined) throw new Error(`bad ip ${s}`);
  return v;
};
const net = (s: string): { dst: Ipv4; len: number } => {
  const c = parseCidr(s);
  if (c === undefined) throw new Error(`bad cidr ${s}`);
  return { dst: c.addr, len: c.len };
};

describe('route table lookups', () => {
  const table = (): RouteTable => {
    const t = new RouteTable();
    t.add({ ...net('0.0.0.0/0'), via: ip('192.168.1.1'), dev: 'eth0' });
    t.add({ ...net('10.0.0.0/8'), via: ip('192.168.1.2'), dev: 'eth0' });
    t.add({ ...net('10.1.0.0/16'), dev: 'eth1' });
    t.add({ ...net('10.1.2.0/24'), dev: 'eth2' });
    t.add({ ...net('10.1.2.3/32'), dev: 'tun0' });
    return t;
  };

  it('picks the longest matching prefix', () => {
    const t = table();
    const dev = (a: string): string | undefined => t.lookup(ip(a))?.dev;
    assert.equal(dev('10.1.2.3'), 'tun0', '/32 beats /24');
    assert.equal(dev('10.1.2.4'), 'eth2', '/24 beats /16');
    assert.equal(dev('10.1.3.4'), 'eth1', '/16 beats /8');
    assert.equal(dev('10.2.0.1'), 'eth0');
    assert.equal(t.lookup(ip('10.2.0.1'))?.via, ip('192.168.1.2'), '/8 beats default');
  });

  it('sends everything else to the default route', () => {
    const t = table();
    assert.equal(t.lookup(ip('8.8.8.8'))?.via, ip('192.168.1.1'));
    assert.equal(t.lookup(ip('255.255.255.255'))?.len, 0);
    assert.equal(t.lookup(ip('0.0.0.0'))?.len, 0);
  });

  it('finds nothing without a covering route', () => {
    const t = new RouteTable();
    assert.equal(t.lookup(ip('10.0.0.1')), undefined);
    t.add({ ...net('10.0.0.0/24'), dev: 'eth0' });
    assert.equal(t.lookup(ip('10.0.1.1')), undefined);
    assert.equal(t.lookup(ip('9.255.255.255')), undefined);
    assert.equal(t.lookup(ip('10.0.0.255'))?.dev, 'eth0');
  });

  it('treats prefix boundaries exactly: 10.0.0.0/23 covers 10.0.0.0-10.0.1.255 only', () => {
    const t = new RouteTable();
    t.add({ ...net('10.0.0.0/23'), dev: 'eth0' });
    assert.equal(t.lookup(ip('10.0.1.255'))?.dev, 'eth0');
    assert.equal(t.lookup(ip('10.0.2.0')), undefined);
    assert.equal(t.lookup(ip('9.255.255.255')), undefined);
  });

  it('handles addresses with the top bit set (unsigned arithmetic)', () => {
    const t = new RouteTable();
    t.add({ ...net('192.168.0.0/16'), dev: 'lan' });
    t.add({ ...net('128.0.0.0/1'), dev: 'upper' });
    t.add({ ...net('224.0.0.0/4'), dev: 'mcast' });
    assert.equal(t.lookup(ip('192.168.5.5'))?.dev, 'lan');
    assert.equal(t.lookup(ip('200.1.1.1'))?.dev, 'upper');
    assert.equal(t.lookup(ip('239.255.255.250'))?.dev, 'mcast');
    assert.equal(t.lookup(ip('127.0.0.1')), undefined);
  });

  it('clears host bits when a route is added (10.1.2.77/24 is 10.1.2.0/24)', () => {
    const t = new RouteTable();
    const r = t.add({ dst: ip('10.1.2.77'), len: 24, dev: 'eth0' });
    assert.equal(r.dst, ip('10.1.2.0'));
    assert.equal(t.lookup(ip('10.1.2.1')), r);
  });

  it('prefers the lowest metric among routes for the same prefix, whatever the order added', () => {
    const t = new RouteTable();
    const slow = t.add({ ...net('0.0.0.0/0'), via: ip('10.0.0.1'), dev: 'eth0', metric: 600 });
    const fast = t.add({ ...net('0.0.0.0/0'), via: ip('10.0.1.1'), dev: 'eth1', metric: 100 });
    assert.equal(t.lookup(ip('1.1.1.1')), fast);
    assert.equal(t.remove(0, 0, { via: ip('10.0.1.1') }), 1);
    assert.equal(t.lookup(ip('1.1.1.1')), slow, 'the backup takes over');
  });

  it('a longer prefix wins even with a worse metric (metric only breaks ties between equal prefixes)', () => {
    const t = new RouteTable();
    t.add({ ...net('10.0.0.0/8'), dev: 'good', metric: 0 });
    t.add({ ...net('10.9.0.0/16'), dev: 'specific', metric: 9999 });
    assert.equal(t.lookup(ip('10.9.9.9'))?.dev, 'specific');
  });

  it('fills defaults as ip route does: scope link without a gateway, global with one; metric 0; static; unicast', () => {
    const t = new RouteTable();
    const onLink = t.add({ ...net('10.0.0.0/24'), dev: 'eth0' });
    const viaGw = t.add({ ...net('0.0.0.0/0'), via: ip('10.0.0.1'), dev: 'eth0' });
    assert.deepEqual(onLink, {
      dst: ip('10.0.0.0'),
      len: 24,
      dev: 'eth0',
      via: undefined,
      metric: 0,
      proto: 'static',
      scope: 'link',
      src: undefined,
      onlink: false,
      type: 'unicast',
    });
    assert.equal(viaGw.scope, 'global');
  });
});

describe('route table maintenance', () => {
  it('remove() deletes every route for the prefix, or only those matching dev/via, and counts them', () => {
    const t = new RouteTable();
    t.add({ ...net('10.0.0.0/8'), via: ip('1.1.1.1'), dev: 'a' });
    t.add({ ...net('10.0.0.0/8'), via: ip('2.2.2.2'), dev: 'b', metric: 5 });
    t.add({ ...net('10.0.0.0/8'), via: ip('3.3.3.3'), dev: 'b', metric: 7 });
    t.add({ ...net('10.0.0.0/16'), dev: 'c' });
    assert.equal(t.size, 4);
    assert.equal(t.remove(ip('10.0.0.0'), 8, { dev: 'b', via: ip('3.3.3.3') }), 1);
    assert.equal(t.remove(ip('10.0.0.0'), 8, { dev: 'b' }), 1);
    assert.equal(t.size, 2);
    assert.equal(t.lookup(ip('10.5.0.0'))?.dev, 'a');
    assert.equal(t.remove(ip('10.9.9.9'), 8), 1, 'host bits in the prefix are ignored, as when adding');
    assert.equal(t.lookup(ip('10.5.0.0')), undefined);
    assert.equal(t.lookup(ip('10.0.5.5'))?.dev, 'c', 'the /16 is untouched');
    assert.equal(t.remove(ip('10.0.0.0'), 8), 0, 'nothing left to remove');
    assert.equal(t.remove(ip('172.16.0.0'), 12), 0);
    assert.equal(t.size, 1);
  });

  it('after the last route of a length goes, lookups fall through to shorter prefixes', () => {
    const t = new RouteTable();
    t.add({ ...net('10.1.1.0/24'), dev: 'x' });
    t.add({ ...net('0.0.0.0/0'), dev: 'y' });
    t.remove(ip('10.1.1.0'), 24);
    assert.equal(t.lookup(ip('10.1.1.1'))?.dev, 'y');
    t.add({ ...net('10.1.1.0/24'), dev: 'z' });
    assert.equal(t.lookup(ip('10.1.1.1'))?.dev, 'z', 'the length can come back');
  });

  // The kernel dumps the main table in FIB trie order, by destination address, so 0.0.0.0/0 comes first
  // (`ip route` on any Linux host starts with "default via ...").
  it('lists routes as ip route does: by destination, the default first', () => {
    const t = new RouteTable();
    t.add({ ...net('0.0.0.0/0'), via: ip('10.0.0.1'), dev: 'eth0', proto: 'boot' });
    t.add({ ...net('10.244.1.0/24'), via: ip('192.168.56.11'), dev: 'eth1', proto: 'bird', onlink: true });
    t.add({ ...net('10.0.0.0/24'), dev: 'eth0', proto: 'kernel', scope: 'link', src: ip('10.0.0.2') });
    t.add({
      ...net('172.17.0.0/16'),
      dev: 'docker0',
      proto: 'kernel',
      scope: 'link',
      src: ip('172.17.0.1'),
      metric: 425,
    });
    assert.deepEqual(t.routes().map(formatRoute), [
      'default via 10.0.0.1 dev eth0',
      '10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.2',
      '10.244.1.0/24 via 192.168.56.11 dev eth1 proto bird onlink',
      '172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 metric 425',
    ]);
  });
});

describe('route table against a linear scan', () => {
  // The reference: scan every route, keep those covering ip, take the longest, then the lowest metric, then
  // the earliest added. Prefixes are drawn from a small pool of addresses so that lookups hit, nest and tie.
  const pool = [
    ip('10.0.0.0'),
    ip('10.1.0.0'),
    ip('10.1.2.0'),
    ip('10.1.2.3'),
    ip('192.168.1.1'),
    ip('128.0.0.0'),
    ip('255.255.255.255'),
    0,
  ];
  const addrArb = fc.oneof(fc.constantFrom(...pool), fc.integer({ min: 0, max: 0xffff_ffff }));
  const specArb = fc.record({
    dst: addrArb,
    len: fc.integer({ min: 0, max: 32 }),
    metric: fc.integer({ min: 0, max: 3 }),
    dev: fc.constantFrom('a', 'b', 'c'),
  });
  type Op = { add: RouteSpec } | { remove: { dst: Ipv4; len: number; dev?: string } } | { lookup: Ipv4 };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: specArb.map((s) => ({ add: s })) },
    {
      weight: 1,
      arbitrary: fc
        .record({
          dst: addrArb,
          len: fc.integer({ min: 0, max: 32 }),
          dev: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
        })
        .map((r) => ({ remove: r })),
    },
    { weight: 4, arbitrary: addrArb.map((a) => ({ lookup: a })) },
  );

  const covers = (r: Route, a: Ipv4): boolean => {
    // written without prefixMask's shift trick: compare the top `len` bits by division
    const unit = 2 ** (32 - r.len);
    return Math.floor(a / unit) === Math.floor(r.dst / unit);
  };

  it('agrees on every lookup after any sequence of adds and removes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const t = new RouteTable();
        let ref: Route[] = [];
        for (const op of ops) {
          if ('add' in op) {
            const r = t.add(op.add);
            assert.equal(r.dst, (op.add.dst & prefixMask(op.add.len)) >>> 0);
            ref.push(r);
          } else if ('remove' in op) {
            const { dst, len, dev } = op.remove;
            const unit = 2 ** (32 - len);
            const gone = ref.filter(
              (r) =>
                r.len === len &&
                Math.floor(r.dst / unit) === Math.floor(dst / unit) &&
                (dev === undefined || r.dev === dev),
            );
            const n = t.remove(dst, len, dev === undefined ? {} : { dev });
            assert.equal(n, gone.length);
            ref = ref.filter((r) => !gone.includes(r));
          } else {
            let best: Route | undefined;
            for (const r of ref) {
              if (!covers(r, op.lookup)) continue;
              if (best === undefined || r.len > best.len || (r.len === best.len && r.metric < best.metric)) best = r;
            }
            assert.equal(t.lookup(op.lookup), best);
          }
          assert.equal(t.size, ref.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
