/**
 * A full transmit queue at the sender, the kernel as the oracle. A route reflector writes each route to
 * hundreds of sessions at once, and its own NIC's queue overflows. Linux's TCP hears of a segment its device
 * refused (the qdisc's NET_XMIT_DROP comes back through dev_queue_xmit to tcp_transmit_skb), keeps it as
 * unsent and sends it later: nothing is lost, so nothing is retransmitted. podnet must do the same, where
 * before it took such a segment as sent and lost, and retransmitted it.
 *
 * Here: two namespaces, a veth pair, tbf at 10 Mbit/s with a 6000-byte queue on the sender's side, 40
 * python3 connections with CUBIC each writing 100 bytes every 2 ms, 50 times. The kernel drops about a
 * thousand segments in the qdisc (`tc -s qdisc`) and the server reads every byte. It retransmits none of
 * them (`nstat` TcpRetransSegs 0 in most runs; once, in CI, 2 with 1,079 drops, most likely a timer's such
 * as a tail loss probe, which the message counts), so the test allows 1% of the drops where segments taken
 * as lost would be all of them. podnet's run of the same shape (testing.ts queueFanOut, a 4-frame queue)
 * must show drops at the sender's device, no retransmission, every byte read.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { queueFanOut } from '../src/transport/testing.js';
import { NetnsSet, requireNetns, waitFor } from './support/netns.js';
import { requirePeer } from './support/peers.js';

const CONNS = 40;
const ROUNDS = 50;
const TOTAL = CONNS * ROUNDS * 100;

const SERVER = `
import socket, selectors, sys, time
total = int(sys.argv[1])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 179)); s.listen(128); s.setblocking(False)
sel = selectors.DefaultSelector(); sel.register(s, selectors.EVENT_READ)
got = 0; deadline = time.time() + 30
while got < total and time.time() < deadline:
    for k, _ in sel.select(1):
        if k.fileobj is s:
            c, _ = s.accept(); c.setblocking(False); sel.register(c, selectors.EVENT_READ)
        else:
            d = k.fileobj.recv(65536); got += len(d)
            if not d: sel.unregister(k.fileobj)
print(got, file=sys.stderr, flush=True)
`;

/** Connects one at a time, writes the rounds, and waits until every send queue is empty (SIOCOUTQ). */
const CLIENT = `
import socket, sys, time, fcntl, struct
conns, rounds = int(sys.argv[1]), int(sys.argv[2])
cs = []
for i in range(conns):
    c = socket.socket(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b'cubic')
    c.connect(('10.9.0.2', 179)); cs.append(c)
for r in range(rounds):
    for c in cs: c.sendall(b'x' * 100)
    time.sleep(0.002)
outq = lambda c: struct.unpack('i', fcntl.ioctl(c.fileno(), 0x5411, b'\\0' * 4))[0]
t0 = time.time()
while any(outq(c) for c in cs) and time.time() - t0 < 20: time.sleep(0.05)
print('drained' if not any(outq(c) for c in cs) else 'stuck', flush=True)
time.sleep(0.5)
`;

/** A counter of `nstat -az` (absolute, zeros included). */
function nstatValue(text: string, name: string): number {
  const m = new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(text);
  assert.ok(m !== null, `nstat has no ${name}`);
  return Number(m[1]);
}

describe('a full queue at the sender: Linux and podnet', () => {
  it('the kernel: segments dropped by its own qdisc are sent later, not retransmitted', async (t) => {
    if (!requireNetns(t) || !requirePeer(t, 'python3', { bin: 'python3', install: 'apt-get install -y python3' }))
      return;
    const ns = new NetnsSet();
    t.after(() => ns.destroy());
    ns.add('c');
    ns.add('s');
    for (const n of ['c', 's']) ns.ip(n, ['link', 'set', 'lo', 'up']);
    ns.ip('c', ['link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth0', 'netns', ns.full('s')]);
    ns.ip('c', ['addr', 'add', '10.9.0.1/24', 'dev', 'veth0']);
    ns.ip('s', ['addr', 'add', '10.9.0.2/24', 'dev', 'veth0']);
    for (const n of ['c', 's']) ns.ip(n, ['link', 'set', 'veth0', 'up']);
    ns.exec('c', 'tc', [
      'qdisc',
      'add',
      'dev',
      'veth0',
      'root',
      'tbf',
      'rate',
      '10mbit',
      'burst',
      '3000',
      'limit',
      '6000',
    ]);
    const stat0 = ns.exec('c', 'nstat', ['-az']);
    const before = nstatValue(stat0, 'TcpRetransSegs');
    const probesBefore = nstatValue(stat0, 'TcpExtTCPLossProbes');
    let served = '';
    const srv = ns.spawn('s', 'python3', ['-c', SERVER, String(TOTAL)]);
    // spawn keeps only stderr: the server prints its count there
    srv.stderr!.on('data', (b: Buffer) => (served += b.toString()));
    await waitFor('the server to listen', () => ns.exec('s', 'ss', ['-Htln', 'sport = :179']).includes(':179'), 5000);
    const client = ns.exec('c', 'python3', ['-c', CLIENT, String(CONNS), String(ROUNDS)], 40_000);
    await waitFor('the server to finish', () => srv.exitCode !== null, 35_000);
    const qdisc = ns.exec('c', 'tc', ['-s', 'qdisc', 'show', 'dev', 'veth0']);
    const dropped = Number(/dropped (\d+)/.exec(qdisc)?.[1] ?? NaN);
    const stat1 = ns.exec('c', 'nstat', ['-az']);
    const retrans = nstatValue(stat1, 'TcpRetransSegs') - before;
    const probes = nstatValue(stat1, 'TcpExtTCPLossProbes') - probesBefore;
    assert.ok(dropped > 0, `the qdisc dropped nothing: ${qdisc}`);
    // a refused segment is never taken as lost: had it been, every drop would be retransmitted
    assert.ok(
      retrans * 100 <= dropped,
      `TcpRetransSegs rose by ${retrans} (tail loss probes ${probes}) with ${dropped} qdisc drops`,
    );
    assert.equal(client.trim(), 'drained');
    assert.equal(Number(served.trim()), TOTAL);
  });

  it('podnet: the same fan-out into a full device queue loses nothing and retransmits nothing', () => {
    const { clients, received, refusedDrops } = queueFanOut(CONNS, ROUNDS);
    assert.ok(refusedDrops > 0);
    assert.equal(
      clients.reduce((n, c) => n + c.stats.retransmissions, 0),
      0,
    );
    assert.equal(received(), TOTAL);
  });
});
