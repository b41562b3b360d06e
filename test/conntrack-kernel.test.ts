/**
 * `conntrack -L` with filters against conntrack-tools 1.4.7 and a kernel's table. Two namespaces make
 * an ICMP echo, a UDP datagram, a TCP connection, a DNATed TCP connection (nat OUTPUT) and an SNATed UDP
 * datagram (nat POSTROUTING); the real table is read with `conntrack -L`, the same entries are given to
 * podnet's command, and for each argument list both must print the same entries (the kernel lists them in
 * hash order, so as sets; the seconds left are the same entries' but tick on, so they are masked), the
 * same count line and the same exit status; errors must be the tool's own text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { NetnsSet, requireNetns, run } from './support/netns.js';
import { requirePeer } from './support/peers.js';
import { conntrackCommand } from '../src/apps/conntrack-cmd.js';
import type { Conn, Tuple } from '../src/net/netfilter/conntrack.js';
import { parseIpv4 } from '../src/wire/addr.js';

const CONNTRACK = { bin: 'conntrack', install: 'apt-get install -y conntrack' };
const NOW = 1_000_000_000_000;

/** One line of `conntrack -L` as the Conn podnet's table would hold. */
function connOf(line: string): Conn {
  const w = line.split(/\s+/);
  const proto = Number(w[1]);
  const secs = Number(w[2]);
  const tcp = proto === 6 ? w[3] : undefined;
  const kv = [...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!] as const);
  const half = (from: number): Tuple => {
    const get = (k: string): string => kv.slice(from).find(([key]) => key === k)![1];
    const id = proto === 1 ? Number(get('id')) : undefined;
    return {
      proto,
      src: parseIpv4(get('src'))!,
      dst: parseIpv4(get('dst'))!,
      sport: id ?? Number(get('sport')),
      dport: id ?? Number(get('dport')),
    };
  };
  const second = kv.findIndex(([k], i) => k === 'src' && i > 0);
  return {
    orig: half(0),
    reply: half(second),
    seenReply: !line.includes('[UNREPLIED]'),
    assured: line.includes('[ASSURED]'),
    confirmed: true,
    expires: NOW + secs * 1e9,
    mark: Number(/mark=(\d+)/.exec(line)![1]),
    tcp: tcp as Conn['tcp'],
    packets: 0,
    bytes: 0,
    firstSeen: NOW,
  };
}

/** The entry lines as a set, seconds masked, and the other lines as they are. */
function shape(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^((?:ipv4 +2 )?\w+ +\d+ )\d+ /, '$1T '))
    .sort();
}

test('conntrack -L with filters prints what conntrack-tools 1.4.7 prints for the same table', async (t) => {
  if (!requireNetns(t) || !requirePeer(t, 'conntrack', CONNTRACK)) return;
  const ns = new NetnsSet();
  t.after(() => ns.destroy());
  ns.add('a');
  ns.add('b');
  const [a, b] = [ns.full('a'), ns.full('b')];
  run('ip', ['link', 'add', 'v0', 'netns', a, 'type', 'veth', 'peer', 'name', 'v1', 'netns', b]);
  for (const [n, dev, addr] of [
    [a, 'v0', '10.0.0.1/24'],
    [b, 'v1', '10.0.0.2/24'],
  ] as const) {
    run('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', n, 'link', 'set', dev, 'up']);
    run('ip', ['-n', n, 'addr', 'add', addr, 'dev', dev]);
  }
  const ipt = (...args: string[]) => ns.exec('a', 'iptables', args);
  // rules that need conntrack make the namespace track; the NAT ones give -n and -g something to find
  ipt('-A', 'OUTPUT', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'ACCEPT');
  ipt(
    '-t',
    'nat',
    '-A',
    'OUTPUT',
    '-d',
    '10.0.0.99',
    '-p',
    'tcp',
    '--dport',
    '80',
    '-j',
    'DNAT',
    '--to-destination',
    '10.0.0.2:8080',
  );
  ipt('-t', 'nat', '-A', 'POSTROUTING', '-p', 'udp', '--dport', '5353', '-j', 'SNAT', '--to-source', '10.0.0.1:40000');
  const server = ns.spawn('b', 'python3', [
    '-c',
    'import socket,time\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(("10.0.0.2",8080));s.listen(5)\nc=[s.accept() for _ in range(2)]\ntime.sleep(20)',
  ]);
  t.after(() => server.kill());
  await new Promise((r) => setTimeout(r, 300));
  ns.exec('a', 'ping', ['-c', '1', '-W', '1', '10.0.0.2']);
  ns.exec('a', 'python3', [
    '-c',
    'import socket,time\nk=[socket.create_connection(("10.0.0.2",8080)),socket.create_connection(("10.0.0.99",80))]\nu=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nu.sendto(b"x",("10.0.0.2",53));u.sendto(b"x",("10.0.0.2",5353))\ntime.sleep(0.3)',
  ]);
  const real = (args: string[]) => {
    const r = spawnSync('ip', ['netns', 'exec', a, 'conntrack', ...args], { encoding: 'utf8' });
    return { status: r.status, out: r.stdout + r.stderr };
  };
  const table = real(['-L'])
    .out.split('\n')
    .filter((l) => /^(tcp|udp|icmp) /.test(l));
  assert.equal(table.length, 5, `five flows tracked:\n${table.join('\n')}`);
  const conns = table.map(connOf);
  const forms = [
    ['-L'],
    ['-L', 'conntrack'],
    ['-L', '-p', 'tcp'],
    ['-L', '-p', 'UDP'],
    ['-L', '-p', '1'],
    ['-L', '-p', 'tcp', '--dport', '8080'],
    ['-L', '-p', 'tcp', '--orig-port-dst', '80'],
    ['-L', '-p', 'tcp', '--reply-port-src', '8080'],
    ['-L', '-p', 'udp', '--sport', 'x'],
    ['-L', '-d', '10.0.0.2'],
    ['-L', '-d', '10.0.0.99'],
    ['-L', '--dst', '10.0.0.0/24'],
    ['-L', '-s', '10.0.0.9'],
    ['-L', '-r', '10.0.0.2'],
    ['-L', '-q', '10.0.0.1'],
    ['-L', '--reply-dst', '10.0.0.1/32'],
    ['-L', '-g'],
    ['-L', '--src-nat'],
    ['-L', '-j'],
    ['-L', '-u', 'ASSURED'],
    ['-L', '--status', 'SEEN_REPLY'],
    ['-L', '-u', 'SEEN_REPLY,ASSURED'],
    ['-L', '-m', '0'],
    ['-L', '-m', '1/0xff'],
    ['-L', '-f', 'ipv4'],
    ['-L', '-f', 'ipv6'],
    ['-L', '-p', 'icmp', '--icmp-type', '8'],
    ['-L', '-p', 'icmp', '--icmp-type', '0'],
    ['-L', '-o', 'extended', '-p', 'udp'],
    ['-L', 'expect'],
    ['-L', '--dport', '53'],
    ['-L', '-p', 'udp', '--state', 'ESTABLISHED'],
    ['-L', '-p', 'tcp', '--state', 'FOO'],
    ['-L', '-p', 'foo'],
    ['-L', '-d', 'nope'],
    ['-L', '-d', '10.0.0.2/33'],
    ['-L', '-u', 'FOO'],
    ['-L', '-s'],
    ['-L', '--bogus'],
    // the count of the same table, which takes no filter
    ['-C'],
    ['--count'],
    ['-C', 'conntrack'],
    ['-C', 'expect'],
    ['-C', '-p', 'tcp'],
  ];
  for (const args of forms) {
    const what = `conntrack ${args.join(' ')}`;
    const r = real(args);
    const mine = conntrackCommand(conns, NOW, args);
    assert.equal(mine.status, r.status, `${what}: exit status`);
    assert.deepEqual(shape(mine.stdout), shape(r.out), what);
  }
});
