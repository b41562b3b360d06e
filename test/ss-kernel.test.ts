/**
 * iproute2's `ss` against the kernel: two hosts A (10.0.0.1) and B (10.0.0.2) on one link make the same
 * sockets in namespaces (Python's socket module) and in podnet (its TCP and UDP stacks), then the same
 * `ss` command lines run on both and must print the same text, the order of the lines aside (the kernel
 * lists sockets in the order of its hash tables, whose seed is random per namespace).
 *
 * The sockets: on A a UDP socket on 53, a vxlan device's (the kernel's own UDP socket, on 8472), a listener on 8080 (backlog 128) holding a connection whose
 * 5 bytes A never reads (Recv-Q 5), a listener on 9090 (backlog 7) whose connection B closes and A does
 * not (A CLOSE-WAIT, B FIN-WAIT-2), a listener on 9091 (backlog 5) that closes what it accepts (A
 * TIME-WAIT, once B has closed too); on B the three client ends, from fixed ports 40001, 40002 and
 * 40004, and a connection to 10.0.0.99, which nothing answers (SYN-SENT, Send-Q 1: the SYN).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsSet, requireNetns, waitFor } from './support/netns.js';
import { requirePeer } from './support/peers.js';
import { Engine, MS } from '../src/sim/engine.js';
import { Network } from '../src/link/device.js';
import { IpNode } from '../src/net/ip-node.js';
import { TcpStack } from '../src/transport/tcp-stack.js';
import { UdpStack } from '../src/transport/udp.js';
import { VxlanDev } from '../src/net/vxlan.js';
import { shellRun } from '../src/scenario/lab-shell.js';
import { parseIpv4 } from '../src/wire/addr.js';

const PYTHON = { bin: 'python3', install: 'apt-get install -y python3' };
const SS = { bin: 'ss', install: 'apt-get install -y iproute2' };
const NETSTAT = { bin: 'netstat', install: 'apt-get install -y net-tools' };

const A_PY = `
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('0.0.0.0', 53))
def listener(port, backlog):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port)); s.listen(backlog); return s
l1 = listener(8080, 128); l2 = listener(9090, 7); l3 = listener(9091, 5)
open(sys.argv[1], 'w').close()
c1, _ = l1.accept()
c2, _ = l2.accept()
c3, _ = l3.accept(); c3.close()
open(sys.argv[2], 'w').close()
time.sleep(60)
`;

const B_PY = `
import socket, sys, time
def client(port, dst):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('10.0.0.2', port)); s.connect(dst); return s
c1 = client(40001, ('10.0.0.1', 8080)); c1.send(b'hello')
c2 = client(40002, ('10.0.0.1', 9090)); c2.shutdown(socket.SHUT_WR)
c4 = client(40004, ('10.0.0.1', 9091)); c4.recv(10); c4.close()
s = socket.socket(); s.bind(('10.0.0.2', 40003)); s.setblocking(False)
try:
    s.connect(('10.0.0.99', 80))
except BlockingIOError:
    pass
open(sys.argv[1], 'w').close()
time.sleep(60)
`;

/** The same sockets in podnet; returns a runner for command lines on A or B (output and exit status). */
function podnet(): (node: 'A' | 'B', line: string) => { status: number; stdout: string } {
  const engine = new Engine(1);
  const net = new Network(engine);
  const ip = (s: string): number => parseIpv4(s)!;
  const hosts = { A: new IpNode(net, 'A'), B: new IpNode(net, 'B') };
  hosts.A.addNic('a0', 0x02_00_00_00_00_01);
  hosts.B.addNic('b0', 0x02_00_00_00_00_02);
  hosts.A.addAddress('a0', { addr: ip('10.0.0.1'), len: 24 });
  hosts.B.addAddress('b0', { addr: ip('10.0.0.2'), len: 24 });
  net.connect(hosts.A.port('a0')!, hosts.B.port('b0')!);
  const tcp = { A: new TcpStack(hosts.A), B: new TcpStack(hosts.B) };
  const udp = { A: new UdpStack(hosts.A), B: new UdpStack(hosts.B) };
  udp.A.bind(53, () => {});
  // a vxlan device: the kernel's own UDP socket on its port
  new VxlanDev(hosts.A, { name: 'vx', mac: 0x02_00_00_00_00_0a, vni: 1, local: ip('10.0.0.1'), dstPort: 8472 });
  tcp.A.listen(8080, { backlog: 128 }, (s) => s.pause()); // never read: the 5 bytes stay queued
  tcp.A.listen(9090, { backlog: 7 }, (s) => s.pause()); // never read or closed: CLOSE-WAIT once B has
  tcp.A.listen(9091, { backlog: 5 }, (s) => s.end());
  const c1 = tcp.B.connect(ip('10.0.0.1'), 8080, { srcPort: 40001 }, (s) => s.write(new TextEncoder().encode('hello')));
  void c1;
  tcp.B.connect(ip('10.0.0.1'), 9090, { srcPort: 40002 }, (s) => s.end());
  const c4 = tcp.B.connect(ip('10.0.0.1'), 9091, { srcPort: 40004 });
  c4.on('end', () => c4.end());
  engine.run(engine.now + 100 * MS);
  tcp.B.connect(ip('10.0.0.99'), 80, { srcPort: 40003 });
  engine.run(engine.now + 500 * MS);
  return (node, line) => {
    let out: { status: number; stdout: string } | undefined;
    shellRun({ node: hosts[node], udp: udp[node], tcp: tcp[node], resolve: () => undefined }, line.split(' '), (r) => {
      out = r;
    });
    assert.ok(out !== undefined, `${node}: ${line} did not finish at once`);
    return out;
  };
}

const LINES: [string, string][] = [
  ['A', 'ss -tuan'],
  ['A', 'ss -tan'],
  ['A', 'ss -ltn'],
  ['A', 'ss -lt'],
  ['A', 'ss -ua'],
  ['A', 'ss -ul'],
  ['A', 'ss -tn'],
  ['A', 'ss -t'],
  ['A', 'ss -tuanH'],
  ['A', 'ss -tan state established'],
  ['A', 'ss -tn state time-wait'],
  ['A', 'ss -tan exclude listening'],
  ['A', 'ss -tan state close-wait state listening'],
  ['B', 'ss -tan'],
  ['B', 'ss -tn'],
  ['B', 'ss -tan state syn-sent'],
  ['B', 'ss -tn state fin-wait-2'],
  ['B', 'ss -4 -tan'],
  ['B', 'ss -6 -tan'],
  ['B', 'ss -tan state bogus'],
  // net-tools' netstat reads the same sockets from /proc/net/tcp and /proc/net/udp
  ['A', 'netstat -tn'],
  ['A', 'netstat -tan'],
  ['A', 'netstat -tln'],
  ['A', 'netstat -uan'],
  ['A', 'netstat -tuln'],
  ['A', 'netstat -tuna'],
  ['B', 'netstat -tan'],
];

/** A command's lines with the header first and the rest sorted (the kernel's socket order is its hash's). */
function lines(text: string): string[] {
  const all = text.replace(/\n$/, '').split('\n');
  const head: string[] = [];
  while (/^(Netid|State|Recv-Q|Active Internet|Proto)/.test(all[0] ?? '')) head.push(all.shift()!);
  return [...head, ...all.sort()];
}

test("ss prints the sockets as iproute2 prints the kernel's: states, queues, ports by name or number, columns", async (t) => {
  if (
    !requireNetns(t) ||
    !requirePeer(t, 'python3', PYTHON) ||
    !requirePeer(t, 'iproute2 ss', SS) ||
    !requirePeer(t, 'net-tools netstat', NETSTAT)
  )
    return;
  const ours = podnet();
  const ns = new NetnsSet();
  const dir = mkdtempSync(join(tmpdir(), 'podnet-ss-'));
  t.after(() => {
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  ns.add('A');
  ns.add('B');
  ns.ip('A', ['link', 'set', 'lo', 'up']);
  ns.ip('B', ['link', 'set', 'lo', 'up']);
  ns.ip('A', ['link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0', 'netns', ns.full('B')]);
  ns.ip('A', ['addr', 'add', '10.0.0.1/24', 'dev', 'a0']);
  ns.ip('B', ['addr', 'add', '10.0.0.2/24', 'dev', 'b0']);
  ns.ip('A', ['link', 'set', 'a0', 'up']);
  ns.ip('A', ['link', 'add', 'vx', 'type', 'vxlan', 'id', '1', 'local', '10.0.0.1', 'dstport', '8472']);
  ns.ip('A', ['link', 'set', 'vx', 'up']);
  ns.ip('B', ['link', 'set', 'b0', 'up']);
  await waitFor('b0 up', () => / state UP /.test(ns.ip('B', ['-o', 'link', 'show', 'b0'])), 5_000);
  const file = (n: string): string => join(dir, n);
  ns.spawn('A', 'python3', ['-c', A_PY, file('a-listening'), file('a-done')]);
  await waitFor('A listening', () => existsSync(file('a-listening')), 5_000);
  ns.spawn('B', 'python3', ['-c', B_PY, file('b-done')]);
  await waitFor('B done', () => existsSync(file('b-done')), 5_000);
  await waitFor('A done', () => existsSync(file('a-done')), 5_000);
  for (const [node, line] of LINES) {
    const real = ns.exec(node, 'sh', ['-c', `${line} 2>&1; echo "status=$?"`]);
    const m = /status=(\d+)\n$/.exec(real)!;
    const mine = ours(node as 'A' | 'B', line);
    assert.deepEqual(lines(mine.stdout), lines(real.slice(0, m.index)), `${node}: ${line}`);
    assert.equal(mine.status, Number(m[1]), `${node}: ${line}: exit status`);
  }
});
