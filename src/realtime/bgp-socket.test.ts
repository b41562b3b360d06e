/**
 * The real-socket BgpConnector against plain node:net peers on loopback, with an Engine on the wall clock:
 * bytes both ways in order, a refused connect, the peer's close reported once, our close flushing what was
 * written, and real input handed over only after the engine caught up with the present.
 */
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, test, type TestContext } from 'node:test';
import type { BgpConnectResult, BgpTransport } from '../control/bgp/transport.js';
import { runTransportConformance } from '../control/bgp/transport-conformance.js';
import { Engine } from '../sim/engine.js';
import { formatIpv4, parseIpv4 } from '../wire/addr.js';
import { SocketBgpConnector } from './bgp-socket.js';
import { WallRunner } from './wall-runner.js';

const LOOPBACK = parseIpv4('127.0.0.1')!;

function rig(t: TestContext): { engine: Engine; connector: SocketBgpConnector } {
  const engine = new Engine(1);
  const runner = new WallRunner(engine);
  runner.start();
  const connector = new SocketBgpConnector({ runner });
  t.after(() => {
    connector.closeAll();
    runner.stop();
  });
  return { engine, connector };
}

/** A plain TCP server on a free loopback port; resolves with it and its port. */
async function peerServer(t: TestContext, onConn: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConn);
  t.after(() => server.close());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  assert.ok(a !== null && typeof a === 'object');
  return { server, port: a.port };
}

function connectP(c: SocketBgpConnector, port: number): Promise<BgpConnectResult> {
  return new Promise((resolve) => c.connect(LOOPBACK, port, LOOPBACK, resolve));
}

function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (cond()) resolve();
      else if (Date.now() > deadline) reject(new Error(`${what}: not after 3 s`));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

/** Connectors made for the conformance suite, closed at the end. */
const made: { connector: SocketBgpConnector; runner: WallRunner }[] = [];
after(() => {
  for (const m of made) {
    m.connector.closeAll();
    m.runner.stop();
  }
});

/** A free loopback port just now (bound and released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

runTransportConformance(
  'real sockets',
  {
    makePair: async () => {
      const runner = new WallRunner(new Engine(1));
      runner.start();
      const a = new SocketBgpConnector({ runner });
      const b = new SocketBgpConnector({ runner });
      made.push({ connector: a, runner }, { connector: b, runner });
      return { a, b, bAddr: LOOPBACK, port: await freePort(), closedPort: await freePort() };
    },
    until,
  },
  test,
);

test('connect: bytes both ways in order, endpoints as the socket sees them, the peer closing reported once', async (t) => {
  const { connector } = rig(t);
  const got: Buffer[] = [];
  let peer: Socket | undefined;
  const { port } = await peerServer(t, (s) => {
    peer = s;
    s.on('data', (b: Buffer) => got.push(b));
  });
  const r = await connectP(connector, port);
  assert.ok(r.ok, r.ok ? '' : r.error);
  const tr: BgpTransport = r.transport;
  assert.equal(formatIpv4(tr.remote.addr), '127.0.0.1');
  assert.equal(tr.remote.port, port);
  assert.equal(formatIpv4(tr.local.addr), '127.0.0.1');
  assert.ok(tr.local.port > 0);
  const received: number[] = [];
  const closes: string[] = [];
  tr.onData((b) => received.push(...b));
  tr.onClose((why) => closes.push(why));
  const msg = new Uint8Array([1, 2, 3]);
  tr.write(msg);
  msg[0] = 99; // the transport copied it
  tr.write(new Uint8Array([4, 5]));
  await until(() => Buffer.concat(got).length === 5, 'peer got 5 bytes');
  assert.deepEqual([...Buffer.concat(got)], [1, 2, 3, 4, 5]);
  peer!.write(Buffer.from([7, 8]));
  peer!.write(Buffer.from([9]));
  await until(() => received.length === 3, 'we got 3 bytes');
  assert.deepEqual(received, [7, 8, 9]);
  peer!.end();
  await until(() => closes.length > 0, 'close reported');
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(closes, ['Connection closed']);
});

test('connect to a port nobody listens on: refused, with the text BIRD shows after "Socket: "', async (t) => {
  const { connector } = rig(t);
  const { server, port } = await peerServer(t, () => undefined);
  await new Promise<void>((r) => server.close(() => r()));
  const r = await connectP(connector, port);
  assert.deepEqual(r, { ok: false, error: 'Connection refused' });
});

test('listen: an accepted connection; our close() delivers what was written, then FIN, and no callback after', async (t) => {
  const { connector } = rig(t);
  const accepted: BgpTransport[] = [];
  const listener = connector.listen(0, (tr) => accepted.push(tr));
  const port = await listener.bound;
  const client = connect({ host: '127.0.0.1', port });
  const fromUs: Buffer[] = [];
  let ended = false;
  client.on('data', (b: Buffer) => fromUs.push(b));
  client.on('end', () => (ended = true));
  await until(() => accepted.length === 1, 'accepted');
  const tr = accepted[0]!;
  assert.equal(tr.local.port, port);
  let closeCalls = 0;
  tr.onClose(() => closeCalls++);
  tr.write(new Uint8Array(3000).fill(0xff));
  tr.close();
  await until(() => ended, 'FIN after the bytes');
  assert.equal(Buffer.concat(fromUs).length, 3000);
  client.end();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(closeCalls, 0, 'no onClose after our own close()');
  listener.close();
});

test('listen on a port already taken: bound rejects and the log says why', async (t) => {
  const { port } = await peerServer(t, () => undefined);
  const engine = new Engine(1);
  const runner = new WallRunner(engine);
  const log: string[] = [];
  const connector = new SocketBgpConnector({ runner, log: (l) => log.push(l) });
  await assert.rejects(connector.listen(port, () => undefined).bound);
  assert.deepEqual(log, [`bgp: cannot listen on 127.0.0.1:${port}: EADDRINUSE`]);
});

test('real input reaches the emulation at the present: timers due before it have run first', async (t) => {
  const { engine, connector } = rig(t);
  let peer: Socket | undefined;
  const { port } = await peerServer(t, (s) => (peer = s));
  const r = await connectP(connector, port);
  assert.ok(r.ok);
  const order: string[] = [];
  const startedAt = engine.now;
  // a timer 20 ms of simulated time ahead; the bytes are sent 60 ms of real time later
  engine.timer(20e6, () => order.push('timer'));
  let nowAtData = 0;
  r.transport.onData(() => {
    order.push('data');
    nowAtData = engine.now;
  });
  await new Promise((res) => setTimeout(res, 60));
  peer!.write(Buffer.from([1]));
  await until(() => order.includes('data'), 'data');
  assert.deepEqual(order, ['timer', 'data']);
  // the bytes left 60 ms of wall time after the timer was set (libuv's millisecond loop clock may make
  // that a little less): the engine had caught up to then, not to where it stood when the timer was set
  assert.ok(nowAtData - startedAt >= 50e6, `engine at +${(nowAtData - startedAt) / 1e6} ms when the data came`);
});
