/**
 * Test topologies of IP nodes. Not used by the product; test files import it.
 */
import { Engine } from '../sim/engine.js';
import { Network } from '../link/device.js';
import type { LinkProps } from '../link/channel.js';
import { parseIpv4 } from '../wire/addr.js';
import { IpNode } from './ip-node.js';

/**
 * A (10.0.1.2) --L1-- R --L2-- B (10.0.2.2): two hosts in two subnets, each routing everything via the
 * router R (10.0.1.1 and 10.0.2.1). MACs 02:00:00:00:00:0a (A), 02:00:00:00:01:00/01 (R), 02:00:00:00:00:0b (B).
 */
export function routedPair(l1: Partial<LinkProps> = {}, l2: Partial<LinkProps> = {}) {
  const ip = (s: string): number => parseIpv4(s)!;
  const engine = new Engine(1);
  const net = new Network(engine);
  const a = new IpNode(net, 'A');
  const r = new IpNode(net, 'R', { forwarding: true });
  const b = new IpNode(net, 'B');
  a.addNic('eth0', 0x02_00_00_00_00_0a);
  r.addNic('eth0', 0x02_00_00_00_01_00);
  r.addNic('eth1', 0x02_00_00_00_01_01);
  b.addNic('eth0', 0x02_00_00_00_00_0b);
  a.addAddress('eth0', { addr: ip('10.0.1.2'), len: 24 });
  r.addAddress('eth0', { addr: ip('10.0.1.1'), len: 24 });
  r.addAddress('eth1', { addr: ip('10.0.2.1'), len: 24 });
  b.addAddress('eth0', { addr: ip('10.0.2.2'), len: 24 });
  a.routes.add({ dst: 0, len: 0, via: ip('10.0.1.1'), dev: 'eth0' });
  b.routes.add({ dst: 0, len: 0, via: ip('10.0.2.1'), dev: 'eth0' });
  net.connect(a.port('eth0')!, r.port('eth0')!, l1);
  net.connect(r.port('eth1')!, b.port('eth0')!, l2);
  return { engine, net, a, r, b };
}
