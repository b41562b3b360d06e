/**
 * `ip route show` and `ip neigh show` selectors inside `podnet exec`, without a kernel: the lines below
 * are what iproute2 6.1 printed for the same table in a namespace (test/ip-views-kernel.test.ts and
 * test/ipv4-kernel.test.ts compare them live where namespaces exist). Each line ends with iproute2's blank.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EXAMPLES_DIR } from './support/examples.js';
import { cli } from './support/cli.js';
import { Engine } from '../src/sim/engine.js';
import { Network } from '../src/link/device.js';
import { IpNode } from '../src/net/ip-node.js';
import { parseCidr } from '../src/wire/addr.js';
import { ipRouteShow } from '../src/apps/ip-route-show.js';

const CALICO = join(EXAMPLES_DIR, 'cluster-calico-ipip.yaml');
const ip = (...args: string[]) => cli('exec', CALICO, 'master', '--', 'ip', ...args);

test('ip route show: a selector keeps the routes it names and leaves its field out of each line', async () => {
  assert.equal(
    (await ip('route', 'show', 'proto', 'bird')).stdout,
    '192.168.190.192/26 via 172.171.5.96 dev tunl0 onlink \nblackhole 192.168.236.0/26 \n',
  );
  assert.equal(
    (await ip('r', 's', 'pro', 'bird', 'dev', 'tunl0')).stdout,
    '192.168.190.192/26 via 172.171.5.96 onlink \n',
  );
  assert.equal(
    (await ip('route', 'show', 'scope', 'link')).stdout,
    '172.171.5.0/24 dev eth0 proto kernel src 172.171.5.95 \n192.168.236.1 dev cali7684beb7319 \n192.168.236.2 dev calice0906292e2 \n',
  );
  assert.equal(
    (await ip('route', 'show', 'match', '192.168.236.1')).stdout,
    'default via 172.171.5.1 dev eth0 \nblackhole 192.168.236.0/26 proto bird \n192.168.236.1 dev cali7684beb7319 scope link \n',
  );
  // a bare address is a /32: no route is exactly that
  assert.equal((await ip('route', 'show', '192.168.236.0')).stdout, '');
  assert.equal((await ip('-4', 'route', 'show', 'all')).stdout, 'default via 172.171.5.1 dev eth0 \n');
  assert.match(
    (await ip('route', 'show', 'table', 'all')).stdout,
    /^local 127\.0\.0\.1 dev lo table local proto kernel scope host src 127\.0\.0\.1 $/m,
  );
});

test("ip route show: iproute2's errors and exit statuses; what podnet cannot do says so", async () => {
  const cases: [string[], number, string][] = [
    [['route', 'show', 'dev', 'nope'], 1, 'Cannot find device "nope"'],
    [['route', 'show', 'proto', 'foo'], 255, 'Error: argument "foo" is wrong: invalid "protocol"\n'],
    [['route', 'show', 'table', 'nope'], 255, 'Error: argument "nope" is wrong: table id value is invalid\n'],
    [['route', 'show', 'table', '100'], 2, 'Error: ipv4: FIB table does not exist.\nDump terminated'],
    [['route', 'show', 'dev'], 255, 'Command line is not complete. Try option "help"'],
    [['route', 'show', '10.0.0.0/33'], 1, 'Error: any valid prefix is expected rather than "10.0.0.0/33".'],
    [['route', 'show', 'realms', '1'], 255, 'podnet: ip route show realms is not emulated'],
    [
      ['route', 'add', '10.9.0.0/16', 'dev', 'eth0'],
      255,
      "podnet: ip route add is not emulated (podnet's ip shows a node's state; the lab or cluster file sets it)",
    ],
    [['route', 'bogus'], 255, 'Command "bogus" is unknown, try "ip route help".'],
  ];
  for (const [args, code, text] of cases) {
    const r = await ip(...args);
    assert.equal(r.code, code, `ip ${args.join(' ')}: exit status`);
    assert.equal(r.out, text, `ip ${args.join(' ')}`);
  }
});

test('ip neigh show: by state, prefix and device', async () => {
  assert.equal(
    (await ip('neigh', 'show', 'nud', 'stale')).stdout,
    '172.171.5.96 dev eth0 lladdr 02:00:c0:a8:00:01 STALE \n',
  );
  assert.equal((await ip('neigh', 'show', 'nud', 'reachable')).stdout, '');
  assert.equal(
    (await ip('neigh', 'show', 'to', '172.171.0.0/16', 'dev', 'eth0')).stdout,
    '172.171.5.96 lladdr 02:00:c0:a8:00:01 STALE \n',
  );
  assert.equal((await ip('neigh', 'show', '10.0.0.1')).stdout, '');
  const bad = await ip('neigh', 'show', 'nud', 'bogus');
  assert.equal(bad.code, 255);
  assert.equal(bad.out, 'Error: argument "bogus" is wrong: nud state is bad');
});

test('a secondary address adds only its local entry, with the primary as source; routes on a NIC without carrier are linkdown', () => {
  // what Linux 6.x printed for `ip route show table all` with the same two addresses on a veth whose
  // peer was down (IPv6 off)
  const n = new IpNode(new Network(new Engine(1)), 'h');
  n.addNic('eth0', 0x02_00_c0_a8_00_00);
  for (const a of ['192.168.56.11/24', '192.168.56.12/24']) n.addAddress('eth0', parseCidr(a)!);
  const lines = ipRouteShow(n, ['table', 'all'], false)!.stdout.split('\n');
  assert.deepEqual(
    lines.filter((l) => l.includes('eth0')),
    [
      '192.168.56.0/24 dev eth0 proto kernel scope link src 192.168.56.11 linkdown',
      'local 192.168.56.11 dev eth0 table local proto kernel scope host src 192.168.56.11',
      'local 192.168.56.12 dev eth0 table local proto kernel scope host src 192.168.56.11',
      'broadcast 192.168.56.255 dev eth0 table local proto kernel scope link src 192.168.56.11 linkdown',
    ],
  );
});

test("Calico's tunl0 prints as the ipip module's fallback device does on a real node", async () => {
  // this machine's kernel has no ipip module; the lines are those of a real Calico node's `ip a` in
  // projectcalico/calicoctl#1866 (its MTU 1440, podnet's 1480 as Calico's default): @NONE for a tunnel
  // bound to no device, no POINTOPOINT without a remote, state UNKNOWN, link/ipip with no addresses
  const out = (await ip('addr', 'show', 'tunl0')).out.split('\n');
  assert.equal(
    out[0],
    '3: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN group default qlen 1000',
  );
  assert.equal(out[1], '    link/ipip 0.0.0.0 brd 0.0.0.0');
  assert.equal(out[2], '    inet 192.168.236.0/32 scope global tunl0');
});
