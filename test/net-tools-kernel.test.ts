/**
 * net-tools' `route -n`, `netstat -rn` and `arp -n` against the real ones (Debian's net-tools 2.10) on
 * the same state built twice: host A (10.0.0.1/24 on eth0, B at 10.0.0.2 at its other end) in a namespace
 * and in podnet, with one route of each kind the kernel's /proc/net/route shows differently (the default
 * via a gateway, a connected route, a host route, an on-link route through a gateway off every subnet, a
 * route with a metric, a blackhole, and the unreachable and prohibit routes net-tools marks `!`), then
 * the neighbour table after A pings B (complete), pings 10.0.0.99, which nobody answers (incomplete once
 * ARP gives up), and has a permanent entry (`CM`). The kernel's text is read live; arp's lines are
 * compared as sets, since /proc/net/arp lists the neighbour hash in its own order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsSet, requireNetns, waitFor } from './support/netns.js';
import { requirePeer } from './support/peers.js';
import { Engine } from '../src/sim/engine.js';
import { Network } from '../src/link/device.js';
import { IpNode } from '../src/net/ip-node.js';
import { UdpStack } from '../src/transport/udp.js';
import { shellRun } from '../src/scenario/lab-shell.js';
import { parseIpv4, parseMac } from '../src/wire/addr.js';

const NET_TOOLS = { bin: 'route', install: 'apt-get install -y net-tools' };
const PING = { bin: 'ping', install: 'apt-get install -y iputils-ping' };
const MAC_A = '02:00:00:00:00:01';
const MAC_B = '02:00:00:00:00:02';

/** `ip route add` arguments, in the kernel and (translated) in podnet. */
const ROUTES = [
  'default via 10.0.0.254 dev eth0',
  '10.7.0.0/16 via 10.0.0.254 dev eth0 metric 100',
  '192.168.236.5 dev eth0 scope link',
  '192.168.190.192/26 via 172.171.5.96 dev eth0 onlink',
  'blackhole 192.168.236.0/26',
  'unreachable 10.9.0.0/16',
  'prohibit 10.8.0.0/16',
];

const LINES = [
  'route -n',
  'route -ne',
  'route -nee',
  'route -n -A inet',
  'netstat -rn',
  'netstat -rne',
  'netstat -rnee',
  'arp -n',
  'arp -an',
  'arp -n -i eth0',
];

function podnet(): (line: string) => { status: number; stdout: string } {
  const engine = new Engine(1);
  const net = new Network(engine);
  const ip = (s: string): number => parseIpv4(s)!;
  const a = new IpNode(net, 'A');
  const b = new IpNode(net, 'B');
  a.addNic('eth0', parseMac(MAC_A)!);
  b.addNic('eth0', parseMac(MAC_B)!);
  a.addAddress('eth0', { addr: ip('10.0.0.1'), len: 24 });
  b.addAddress('eth0', { addr: ip('10.0.0.2'), len: 24 });
  net.connect(a.port('eth0')!, b.port('eth0')!);
  for (const r of ROUTES) {
    const w = r.split(' ');
    const typed = ['blackhole', 'unreachable', 'prohibit'].includes(w[0]!) ? w.shift() : undefined;
    const [addr, len] = (w[0] === 'default' ? '0.0.0.0/0' : w[0]!.includes('/') ? w[0]! : `${w[0]!}/32`).split('/');
    const via = w.includes('via') ? ip(w[w.indexOf('via') + 1]!) : undefined;
    const metric = w.includes('metric') ? Number(w[w.indexOf('metric') + 1]) : 0;
    a.routes.add({
      dst: ip(addr!),
      len: Number(len),
      dev: typed === undefined ? 'eth0' : 'lo',
      ...(via !== undefined ? { via } : {}),
      metric,
      onlink: w.includes('onlink'),
      ...(typed !== undefined ? { type: typed as 'blackhole' | 'unreachable' | 'prohibit' } : {}),
      ...(w.includes('scope') ? { scope: 'link' as const } : {}),
    });
  }
  a.addPermanentNeighbor('eth0', ip('10.0.0.77'), parseMac('02:00:00:00:00:77')!);
  const udp = new UdpStack(a);
  const sh = (line: string): { status: number; stdout: string } => {
    let out: { status: number; stdout: string } | undefined;
    shellRun({ node: a, udp, resolve: () => undefined }, line.split(' '), (r) => {
      out = r;
      engine.stop();
    });
    engine.run();
    assert.ok(out !== undefined, `${line} did not finish`);
    return out;
  };
  sh('ping -c 1 10.0.0.2');
  sh('ping -c 1 -W 4 10.0.0.99');
  return sh;
}

/** arp's lines with the header first and the entries sorted (the kernel lists its hash's order). */
function sorted(text: string): string[] {
  const all = text.replace(/\n$/, '').split('\n');
  const head = all[0]?.startsWith('Address ') ? [all.shift()!] : [];
  return [...head, ...all.sort()];
}

test('route -n, netstat -rn and arp -n print what net-tools prints for the same routes and neighbours', async (t) => {
  if (
    !requireNetns(t) ||
    !requirePeer(t, 'net-tools (route, netstat, arp)', NET_TOOLS) ||
    !requirePeer(t, 'ping', PING)
  )
    return;
  const ours = podnet();
  const ns = new NetnsSet();
  t.after(() => ns.destroy());
  ns.add('A');
  ns.add('B');
  ns.ip('A', ['link', 'set', 'lo', 'up']);
  ns.ip('A', ['link', 'add', 'eth0', 'address', MAC_A, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.full('B')]);
  ns.ip('B', ['link', 'set', 'eth0', 'address', MAC_B]);
  ns.ip('A', ['addr', 'add', '10.0.0.1/24', 'brd', '+', 'dev', 'eth0']);
  ns.ip('B', ['addr', 'add', '10.0.0.2/24', 'brd', '+', 'dev', 'eth0']);
  ns.ip('A', ['link', 'set', 'eth0', 'up']);
  ns.ip('B', ['link', 'set', 'eth0', 'up']);
  await waitFor('eth0 up', () => / state UP /.test(ns.ip('A', ['-o', 'link', 'show', 'eth0'])), 5_000);
  for (const r of ROUTES) ns.ip('A', ['route', 'add', ...r.split(' ')]);
  ns.ip('A', ['neigh', 'add', '10.0.0.77', 'lladdr', '02:00:00:00:00:77', 'dev', 'eth0', 'nud', 'permanent']);
  ns.exec('A', 'ping', ['-c', '1', '10.0.0.2']);
  try {
    ns.exec('A', 'ping', ['-c', '1', '-W', '4', '10.0.0.99'], 10_000);
  } catch {
    // unanswered on purpose: exit 1
  }
  for (const line of LINES) {
    const real = ns.exec('A', 'sh', ['-c', `${line} 2>&1; echo "status=$?"`]);
    const m = /status=(\d+)\n$/.exec(real)!;
    const mine = ours(line);
    const want = real.slice(0, m.index);
    if (line.startsWith('arp')) assert.deepEqual(sorted(mine.stdout), sorted(want), line);
    else assert.equal(`${mine.stdout}\n`, want, line);
    assert.equal(mine.status, Number(m[1]), `${line}: exit status`);
  }
});
