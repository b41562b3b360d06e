/**
 * `sysctl` and `cat /proc/sys/...` inside `podnet exec` against procps' sysctl in a fresh network
 * namespace with the same devices: a host of examples/two-subnets.yaml (eth0, ip_forward 0) and its router
 * (eth0 and eth1, after `sysctl -w net.ipv4.ip_forward=1`, which also turns conf.all.accept_redirects
 * off). Every parameter podnet models must print the kernel's default, byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { NetnsSet, requireNetns, run } from './support/netns.js';
import { EXAMPLES_DIR } from './support/examples.js';
import { cli } from './support/cli.js';

const LAB = join(EXAMPLES_DIR, 'two-subnets.yaml');

function keys(devs: readonly string[]): string[] {
  const k = ['net.ipv4.ip_forward', 'net.ipv4.ip_default_ttl'];
  for (const d of ['all', 'default', 'lo', ...devs])
    for (const p of ['forwarding', 'proxy_arp', 'send_redirects', 'accept_redirects'])
      k.push(`net.ipv4.conf.${d}.${p}`);
  k.push('net.ipv4.icmp_ratelimit', 'net.ipv4.icmp_ratemask', 'net.ipv4.icmp_msgs_per_sec', 'net.ipv4.icmp_msgs_burst');
  // (neigh/default holds these only in the initial namespace: a pod's or a test's has none)
  for (const d of ['lo', ...devs])
    for (const p of [
      'base_reachable_time_ms',
      'retrans_time_ms',
      'mcast_solicit',
      'ucast_solicit',
      'delay_first_probe_time',
      'unres_qlen',
      'locktime',
    ])
      k.push(`net.ipv4.neigh.${d}.${p}`);
  return k;
}

test("sysctl prints the kernel's values for what podnet models, on a host and on a router", async (t) => {
  if (!requireNetns(t)) return;
  const ns = new NetnsSet();
  t.after(() => ns.destroy());
  for (const [node, devs, router] of [
    ['A', ['eth0'], false],
    ['router1', ['eth0', 'eth1'], true],
  ] as const) {
    ns.add(node);
    for (const d of devs) run('ip', ['-n', ns.full(node), 'link', 'add', d, 'type', 'veth', 'peer', 'name', `p-${d}`]);
    if (router) ns.exec(node, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    const list = keys(devs);
    const real = ns.exec(node, 'sysctl', list);
    const ours = await cli('exec', LAB, node, '--', 'sysctl', ...list);
    assert.equal(ours.code, 0, ours.out);
    assert.equal(ours.stdout, real, `${node}: sysctl`);
    const path = '/proc/sys/net/ipv4/ip_forward';
    assert.equal((await cli('exec', LAB, node, '--', 'cat', path)).stdout, ns.exec(node, 'cat', [path]));
  }
});
