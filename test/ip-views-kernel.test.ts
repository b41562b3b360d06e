/**
 * `ip link` and `ip addr` against iproute2 6.1 and the kernel, in a network namespace the test makes: gw1
 * of examples/vxlan-mtu.yaml (two NICs, then an L3 vxlan device) is rebuilt with the same MACs, MTUs and
 * addresses (added with `brd +`, as DHCP and the CNI plugins add them), and for the vxlan device the real
 * commands must print podnet's text to the byte: state UNKNOWN (a vxlan device has no carrier of its
 * own), no VNI line (that is `ip -d`), `mode DEFAULT` in `ip link`, no link line with -4, and the error
 * for a device that does not exist. The NICs are not compared: the namespace's are veths (`eth1@if3 ...
 * link-netns`), podnet's are cables.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { NetnsSet, requireNetns } from './support/netns.js';
import { EXAMPLES_DIR } from './support/examples.js';
import { cli } from './support/cli.js';

const LAB = join(EXAMPLES_DIR, 'vxlan-mtu.yaml');

test('ip link and ip addr print a vxlan device as iproute2 and the kernel do', async (t) => {
  if (!requireNetns(t)) return;
  const ns = new NetnsSet();
  t.after(() => ns.destroy());
  ns.add('gw1');
  ns.add('peer');
  const gw1 = ns.full('gw1');
  const ip = (...args: string[]) => {
    const r = spawnSync('ip', ['-n', gw1, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
  };
  ip('link', 'set', 'lo', 'up');
  // eth0 and eth1 first, so that vxlan0 has ifindex 4 as in podnet's `ip addr`
  for (const [dev, mac, addr] of [
    ['eth0', '02:00:00:00:03:01', '10.1.0.1/24'],
    ['eth1', '02:00:00:00:03:02', '192.168.0.1/24'],
  ] as const) {
    ip('link', 'add', dev, 'address', mac, 'type', 'veth', 'peer', 'name', `p-${dev}`, 'netns', ns.full('peer'));
    ip('addr', 'add', addr, 'brd', '+', 'dev', dev);
    ip('link', 'set', dev, 'up');
  }
  ip(
    'link',
    'add',
    'vxlan0',
    'address',
    '02:00:00:00:03:41',
    'mtu',
    '1450',
    'type',
    'vxlan',
    'id',
    '1',
    'local',
    '192.168.0.1',
    'dstport',
    '8472',
  );
  ip('addr', 'add', '10.99.0.1/24', 'brd', '+', 'dev', 'vxlan0');
  ip('link', 'set', 'vxlan0', 'up');
  const forms = [
    ['link', 'show', 'vxlan0'],
    ['addr', 'show', 'dev', 'vxlan0'],
    ['-4', 'addr', 'show', 'dev', 'vxlan0'],
    ['a', 's', 'vxlan0'],
    ['link', 'show', 'dev', 'nope'],
    ['addr', 'show', 'nope'],
  ];
  for (const args of forms) {
    const real = spawnSync('ip', ['-n', gw1, ...args], { encoding: 'utf8' });
    const ours = await cli('exec', LAB, 'gw1', '--', 'ip', ...args);
    const what = `ip ${args.join(' ')}`;
    assert.equal(ours.code, real.status, `${what}: exit status`);
    assert.equal(ours.out.trimEnd(), (real.status === 0 ? real.stdout : real.stderr).trimEnd(), what);
  }
  // a real vxlan device: the namespace has it, with the VNI asked for (-d shows it)
  const details = spawnSync('ip', ['-n', gw1, '-d', 'link', 'show', 'vxlan0'], { encoding: 'utf8' });
  assert.match(details.stdout, / vxlan id 1 local 192\.168\.0\.1 .*dstport 8472/);
});
