/**
 * The outside-peer connector: sessions with outside peers over real sockets, the rest over the emulated
 * connector; inbound real connections only from outside peers.
 */
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { test } from 'node:test';
import type { BgpConnectResult, BgpConnector, BgpTransport } from '../control/bgp/transport.js';
import { Engine } from '../sim/engine.js';
import { parseIpv4 } from '../wire/addr.js';
import { OutsidePeerConnector } from './bgp-outside-connector.js';
import { WallRunner } from './wall-runner.js';

const ip = (s: string): number => parseIpv4(s)!;

/** An emulated connector that records what it was asked. */
function fakeEmulated(): BgpConnector & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    connect: (remote, port) => calls.push(`connect ${remote} ${port}`),
    listen: (port) => {
      calls.push(`listen ${port}`);
      return { close: () => calls.push('close') };
    },
  };
}

test('connect: an outside peer over a real socket from the host address, others over the emulated TCP', async (t) => {
  const runner = new WallRunner(new Engine(1));
  runner.start();
  const emulated = fakeEmulated();
  const c = new OutsidePeerConnector(emulated, runner, { localAddress: '127.0.0.1' });
  t.after(() => {
    c.real.closeAll();
    runner.stop();
  });
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  c.addOutsidePeer(ip('127.0.0.1'));
  assert.ok(c.isOutside(ip('127.0.0.1')));
  c.connect(ip('172.171.5.96'), 179, ip('172.171.5.95'), () => undefined);
  assert.deepEqual(emulated.calls, [`connect ${ip('172.171.5.96')} 179`]);
  // the speaker passes its emulated source address; the host has no such address, the real side uses its own
  const r = await new Promise<BgpConnectResult>((res) => c.connect(ip('127.0.0.1'), port, ip('172.171.5.95'), res));
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.equal(r.transport.remote.port, port);
  assert.equal(emulated.calls.length, 1);
});

test('listen: the emulated listener and a real one that takes only outside peers', async (t) => {
  const runner = new WallRunner(new Engine(1));
  runner.start();
  const emulated = fakeEmulated();
  const log: string[] = [];
  // a free port: bind one and release it
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const listenPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const c = new OutsidePeerConnector(emulated, runner, {
    localAddress: '127.0.0.1',
    listenPort,
    log: (l) => log.push(l),
  });
  t.after(() => {
    c.real.closeAll();
    runner.stop();
  });
  c.addOutsidePeer(ip('127.0.0.1'));
  const accepted: BgpTransport[] = [];
  const l = c.listen(179, (tr) => accepted.push(tr));
  assert.deepEqual(emulated.calls, ['listen 179']);
  await new Promise((r) => setTimeout(r, 20));
  // from 127.0.0.2: not an outside peer, closed
  const stranger = connect({ host: '127.0.0.1', port: listenPort, localAddress: '127.0.0.2' });
  const strangerEnded = new Promise<void>((r) => stranger.on('close', () => r()));
  stranger.on('error', () => undefined);
  await strangerEnded;
  assert.deepEqual(log, ['bgp: refused a connection from 127.0.0.2: not a configured outside peer']);
  const friend = connect({ host: '127.0.0.1', port: listenPort, localAddress: '127.0.0.1' });
  t.after(() => friend.destroy());
  const deadline = Date.now() + 2000;
  while (accepted.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.equal(accepted.length, 1);
  l.close();
  assert.deepEqual(emulated.calls, ['listen 179', 'close']);
});
