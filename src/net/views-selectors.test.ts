/**
 * ipShow's selectors on a node with a secondary address. The expected lines are what iproute2 6.1 printed
 * for the same addresses on a veth in a namespace (192.168.56.11/24 then 192.168.56.12/24 on eth0): the
 * second is `secondary`, `primary` keeps the first, `secondary` the second, `-4` drops the link line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../sim/engine.js';
import { Network } from '../link/device.js';
import { IpNode } from './ip-node.js';
import { IFA_F_SECONDARY, ipShow } from './views.js';
import { parseCidr } from '../wire/addr.js';

function node(): IpNode {
  const n = new IpNode(new Network(new Engine(1)), 'h');
  n.addNic('eth0', 0x02_00_c0_a8_00_00);
  for (const a of ['192.168.56.11/24', '192.168.56.12/24']) n.addAddress('eth0', parseCidr(a)!);
  return n;
}

const SECOND = [
  '    inet 192.168.56.12/24 brd 192.168.56.255 scope global secondary eth0',
  '       valid_lft forever preferred_lft forever',
];
const FIRST = [
  '    inet 192.168.56.11/24 brd 192.168.56.255 scope global eth0',
  '       valid_lft forever preferred_lft forever',
];

test('a second address in the same subnet is secondary, and the flag selectors tell them apart', () => {
  const n = node();
  const all = ipShow(n, { dev: 'eth0' })!.split('\n');
  assert.deepEqual(all.slice(2), [...FIRST, ...SECOND]);
  const primary = ipShow(n, { dev: 'eth0', flagMask: IFA_F_SECONDARY, flags: 0 })!.split('\n');
  assert.deepEqual(primary.slice(2), FIRST);
  const secondary = ipShow(n, { dev: 'eth0', flagMask: IFA_F_SECONDARY, flags: IFA_F_SECONDARY })!.split('\n');
  assert.deepEqual(secondary.slice(2), SECOND);
  assert.equal(
    ipShow(n, { dev: 'eth0', brief: true }),
    'eth0             DOWN           192.168.56.11/24 192.168.56.12/24 ',
  );
  // under `label`, the address lines alone
  assert.deepEqual(ipShow(n, { label: 'eth*' })!.split('\n'), [...FIRST, ...SECOND]);
});
