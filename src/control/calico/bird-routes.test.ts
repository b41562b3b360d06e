/**
 * The kernel route BIRD makes of a learned block, per pool mode, as confd's calico_kernel_programming
 * filter decides it (bgp_processor.go processIPPool) and the notes show it: `via <node IP> dev tunl0 proto
 * bird onlink` for IPIP, `via <node IP> dev eth0 proto bird` without encapsulation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpv4, type Ipv4 } from '../../wire/addr.js';
import { RouteTable, formatRoute } from '../../net/route-table.js';
import { birdKernelRoute } from './bird-routes.js';
import type { EncapMode, FelixPool } from './felix-types.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;
const LOCAL = { address: ip('172.171.5.95'), subnetLen: 24, device: 'eth0' };
const BLOCK = { addr: ip('192.168.190.192'), len: 26 };

function pools(ipipMode: EncapMode, vxlanMode: EncapMode = 'Never'): FelixPool[] {
  return [
    {
      name: 'default-ipv4-ippool',
      cidr: { addr: ip('192.168.0.0'), len: 16 },
      ipipMode,
      vxlanMode,
      natOutgoing: true,
      disabled: false,
    },
  ];
}

function line(p: FelixPool[], nextHop: string): string | undefined {
  const spec = birdKernelRoute(p, LOCAL, BLOCK, ip(nextHop));
  if (spec === undefined) return undefined;
  const t = new RouteTable();
  return formatRoute(t.add(spec));
}

describe('birdKernelRoute', () => {
  it('IPIP Always: tunl0 onlink, whatever the subnet', () => {
    assert.equal(
      line(pools('Always'), '172.171.5.96'),
      '192.168.190.192/26 via 172.171.5.96 dev tunl0 proto bird onlink',
    );
    assert.equal(line(pools('Always'), '10.0.0.7'), '192.168.190.192/26 via 10.0.0.7 dev tunl0 proto bird onlink');
  });

  it('IPIP CrossSubnet: the underlay for a next hop in our subnet, tunl0 for one outside it', () => {
    assert.equal(line(pools('CrossSubnet'), '172.171.5.96'), '192.168.190.192/26 via 172.171.5.96 dev eth0 proto bird');
    assert.equal(line(pools('CrossSubnet'), '10.0.0.7'), '192.168.190.192/26 via 10.0.0.7 dev tunl0 proto bird onlink');
  });

  it('no encapsulation: the underlay; VXLAN pools: nothing (Felix programs those)', () => {
    assert.equal(line(pools('Never'), '172.171.5.96'), '192.168.190.192/26 via 172.171.5.96 dev eth0 proto bird');
    assert.equal(line(pools('Never', 'Always'), '172.171.5.96'), undefined);
    assert.equal(line(pools('Never', 'CrossSubnet'), '172.171.5.96'), undefined);
  });
});
