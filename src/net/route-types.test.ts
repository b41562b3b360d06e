/**
 * Linux's route types blackhole, unreachable and prohibit, as checked in a network namespace (kernel 6.1,
 * iproute2 6.1): `ip route` prints them with the type first and no device; a forwarded packet is dropped
 * silently (blackhole), answered with ICMP host unreachable (unreachable) or with "Packet filtered", ICMP
 * code 13 (prohibit); a local ping fails in connect() with EINVAL, EHOSTUNREACH or EACCES. Calico puts a
 * blackhole route on every block a node owns, so a packet for an unused address of it goes nowhere.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../sim/engine.js';
import { parseIpv4, type Ipv4 } from '../wire/addr.js';
import { TraceRecorder } from '../observe/recorder.js';
import { ping, type PingResult } from '../apps/ping.js';
import type { IpNode } from './ip-node.js';
import { routedPair } from './testing.js';
import { RouteTable, TYPED_ROUTE_DEV, formatRoute } from './route-table.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;

/** A (10.0.1.2) -- R -- B (10.0.2.2); R has the three typed routes. */
function lab() {
  const { engine, net, a, r } = routedPair();
  // all three would otherwise reach B by R's default route
  r.routes.add({ dst: 0, len: 0, via: ip('10.0.2.2'), dev: 'eth1' });
  r.routes.add({ dst: ip('192.168.236.0'), len: 26, dev: TYPED_ROUTE_DEV, type: 'blackhole', proto: 'bird' });
  r.routes.add({ dst: ip('10.9.1.0'), len: 24, dev: TYPED_ROUTE_DEV, type: 'unreachable' });
  r.routes.add({ dst: ip('10.9.2.0'), len: 24, dev: TYPED_ROUTE_DEV, type: 'prohibit' });
  const rec = new TraceRecorder({});
  net.tracer = rec;
  return { engine, a, r, rec };
}

function run(node: IpNode, engine: Engine, dst: string): PingResult {
  let out: PingResult | undefined;
  ping(node, ip(dst), { count: 1 }, (res) => (out = res));
  engine.run();
  assert.ok(out);
  return out;
}

describe('typed routes (blackhole, unreachable, prohibit)', () => {
  it('prints them as ip route does: type first, no dev, the protocol kept', () => {
    // lines from `ip route` in a namespace after `ip route add blackhole 192.168.236.0/26 proto bird` etc.
    const t = new RouteTable();
    t.add({ dst: ip('192.168.236.0'), len: 26, dev: TYPED_ROUTE_DEV, type: 'blackhole', proto: 'bird' });
    t.add({ dst: ip('10.9.1.0'), len: 24, dev: TYPED_ROUTE_DEV, type: 'unreachable' });
    t.add({ dst: ip('10.9.2.0'), len: 24, dev: TYPED_ROUTE_DEV, type: 'prohibit' });
    t.add({ dst: ip('192.168.190.192'), len: 26, via: ip('172.171.5.96'), dev: 'tunl0', proto: 'bird', onlink: true });
    t.add({ dst: ip('192.168.191.0'), len: 26, via: ip('172.171.5.96'), dev: 'eth0', proto: 'felix', onlink: true });
    t.add({ dst: ip('192.168.236.3'), len: 32, dev: 'cali1234567890a' });
    assert.deepEqual(t.routes().map(formatRoute), [
      'unreachable 10.9.1.0/24',
      'prohibit 10.9.2.0/24',
      '192.168.190.192/26 via 172.171.5.96 dev tunl0 proto bird onlink',
      '192.168.191.0/26 via 172.171.5.96 dev eth0 proto 80 onlink',
      'blackhole 192.168.236.0/26 proto bird',
      '192.168.236.3 dev cali1234567890a scope link',
    ]);
  });

  it('drops a forwarded packet on a blackhole route silently: no reply, no ICMP error', () => {
    const { engine, a, rec } = lab();
    const r = run(a, engine, '192.168.236.9');
    assert.deepEqual([r.received, r.errors], [0, 0]);
    assert.equal(rec.dropCounts.get('R: route-blackhole'), 1);
  });

  it('answers a forwarded packet on an unreachable route with ICMP host unreachable', () => {
    const { engine, a } = lab();
    const r = run(a, engine, '10.9.1.1');
    assert.deepEqual(
      r.lines.map((l) => [l.kind, l.from, l.error]),
      [['error', ip('10.0.1.1'), 'Destination Host Unreachable']],
    );
  });

  it('answers a forwarded packet on a prohibit route with "Packet filtered" (ICMP 3/13)', () => {
    const { engine, a } = lab();
    const r = run(a, engine, '10.9.2.1');
    assert.deepEqual(
      r.lines.map((l) => [l.kind, l.from, l.error]),
      [['error', ip('10.0.1.1'), 'Packet filtered']],
    );
  });

  it("fails a local ping in connect(), with the kernel's errno text for each type", () => {
    const { engine, r } = lab();
    assert.deepEqual(
      ['192.168.236.9', '10.9.1.1', '10.9.2.1'].map((d) => run(r, engine, d).lines.map((l) => l.error)),
      [
        ['connect: Invalid argument'],
        ['connect: No route to host'],
        ['ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules'],
      ],
    );
  });
});
