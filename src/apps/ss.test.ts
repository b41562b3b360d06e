/**
 * What `ss` does beyond test/ss-kernel.test.ts, which compares it with the real tool: the tables podnet
 * does not have say so, and so do the options and filters it does not read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../sim/engine.js';
import { Network } from '../link/device.js';
import { IpNode } from '../net/ip-node.js';
import { TcpStack } from '../transport/tcp-stack.js';
import { UdpStack } from '../transport/udp.js';
import { ssCommand } from './ss.js';

function node(): { node: IpNode; udp: UdpStack; tcp: TcpStack } {
  const n = new IpNode(new Network(new Engine(1)), 'h');
  const tcp = new TcpStack(n);
  tcp.listen(80, () => {});
  return { node: n, udp: new UdpStack(n), tcp };
}

test('ss without a table lists TCP and UDP and names the socket kinds it leaves out', () => {
  const r = ssCommand(node(), []);
  assert.equal(r.status, 0);
  assert.deepEqual(r.stdout.split('\n'), [
    'Netid State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess', // as the real ss prints no sockets
    'podnet: unix, raw, packet and netlink sockets are not emulated',
  ]);
  // the listener shows with -l, its port by name (http) without -n
  assert.match(ssCommand(node(), ['-l']).stdout, /^tcp +LISTEN +0 +511 +0\.0\.0\.0:http +0\.0\.0\.0:\* +$/m);
});

test('options and filters podnet does not read say they are not emulated', () => {
  for (const [args, text] of [
    [['-tp'], 'podnet: ss -p (the process column (podnet keeps no process table)) is not emulated'],
    [['-x'], 'podnet: ss -x (unix sockets) is not emulated'],
    [['--processes'], "podnet: ss --processes is not emulated (podnet's ss takes -t -u -l -a -n -4 -6 -H)"],
    [
      ['-tn', 'dport', '=', ':80'],
      `podnet: ss's filter "dport = :80" is not emulated (podnet's ss takes state and exclude)`,
    ],
  ] as const) {
    const r = ssCommand(node(), [...args]);
    assert.equal(r.status, 255, args.join(' '));
    assert.equal(r.stdout, text, args.join(' '));
  }
});
