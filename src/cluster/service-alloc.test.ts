/** Tests for ClusterIP and NodePort allocation: the API server's static/dynamic bands, refusals, exhaustion. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from '../sim/prng.js';
import { formatIpv4, parseCidr, parseIpv4 } from '../wire/addr.js';
import { BandedAllocator, ClusterIpAllocator, NodePortAllocator } from './service-alloc.js';

const ip = (s: string): number => parseIpv4(s)!;

test('a /16 service range: the first 256 addresses are the static band, allocation starts above it', () => {
  const a = new ClusterIpAllocator(parseCidr('10.43.0.0/16')!);
  assert.equal(formatIpv4(a.dynamicStart), '10.43.1.1');
  const prng = new Prng(1);
  const got = new Set<number>();
  for (let i = 0; i < 500; i++) {
    const x = a.next(prng)!;
    assert.ok(x >= ip('10.43.1.1') && x <= ip('10.43.255.254'), formatIpv4(x));
    assert.ok(!got.has(x));
    got.add(x);
  }
});

test('written addresses: inside the range, not the network or broadcast address, not taken twice', () => {
  const a = new ClusterIpAllocator(parseCidr('10.43.0.0/16')!);
  assert.equal(a.take(ip('10.43.0.1')), undefined);
  assert.equal(a.take(ip('10.43.0.10')), undefined);
  assert.equal(a.take(ip('10.43.0.10')), 'already-allocated');
  assert.equal(a.take(ip('10.44.0.1')), 'out-of-range');
  assert.equal(a.take(ip('10.43.0.0')), 'out-of-range');
  assert.equal(a.take(ip('10.43.255.255')), 'out-of-range');
  assert.equal(
    a.describe('out-of-range'),
    'provided IP is not in the valid range. The range of valid IPs is 10.43.0.0/16',
  );
  assert.equal(a.describe('already-allocated'), 'provided IP is already allocated');
});

test('small ranges: the band is at least 16 addresses (none for /28 and smaller); a full upper band falls back to the lower one', () => {
  assert.equal(formatIpv4(new ClusterIpAllocator(parseCidr('10.96.0.0/24')!).dynamicStart), '10.96.0.17');
  assert.equal(formatIpv4(new ClusterIpAllocator(parseCidr('10.96.0.0/12')!).dynamicStart), '10.96.1.1');
  const tiny = new ClusterIpAllocator(parseCidr('10.96.0.0/28')!);
  assert.equal(formatIpv4(tiny.dynamicStart), '10.96.0.1');
  const prng = new Prng(3);
  const all = Array.from({ length: 14 }, () => tiny.next(prng)).sort((x, y) => x! - y!);
  assert.deepEqual(
    all.map((x) => formatIpv4(x!)),
    Array.from({ length: 14 }, (_, i) => `10.96.0.${i + 1}`),
  );
  assert.equal(tiny.next(prng), undefined, 'exhausted');

  const b = new BandedAllocator(40, 16);
  const order: number[] = [];
  for (let i = 0; i < 40; i++) order.push(b.next(prng)!);
  assert.ok(
    order.slice(0, 24).every((x) => x >= 16),
    'upper band first',
  );
  assert.ok(
    order.slice(24).every((x) => x < 16),
    'then the lower band',
  );
});

test('NodePorts: 30000-32767 with a static band of 86 ports; written ones checked', () => {
  const a = new NodePortAllocator({ min: 30000, max: 32767 });
  assert.equal(a.dynamicStart, 30086);
  const prng = new Prng(9);
  for (let i = 0; i < 100; i++) {
    const p = a.next(prng)!;
    assert.ok(p >= 30086 && p <= 32767, String(p));
  }
  assert.equal(a.take(30007), undefined);
  assert.equal(a.take(30007), 'already-allocated');
  assert.equal(a.take(8080), 'out-of-range');
  assert.equal(
    a.describe('out-of-range'),
    'provided port is not in the valid range. The range of valid ports is 30000-32767',
  );
});

test('same PRNG, same allocations', () => {
  const run = (): number[] => {
    const a = new ClusterIpAllocator(parseCidr('10.43.0.0/16')!);
    const prng = new Prng(42);
    return Array.from({ length: 10 }, () => a.next(prng)!);
  };
  assert.deepEqual(run(), run());
});
