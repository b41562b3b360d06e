/**
 * The real half of port-forward against an emulated host: real node:net clients on loopback, the engine on the
 * wall clock, and an emulated TCP server on B reached from A (twoHostLab). Bytes both ways, half-close,
 * backpressure into the emulated socket, a refused emulated connection, and the connection cap.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { connect, type Socket } from 'node:net';
import { patternBytes, twoHostLab, type TcpLab } from '../transport/testing.js';
import type { TcpSocket } from '../transport/tcp.js';
import { WallRunner } from './wall-runner.js';
import { PortForwarder, type PortForwarderOptions } from './port-forward.js';

interface Rig {
  lab: TcpLab;
  pf: PortForwarder;
  port: number;
  out: string[];
  err: string[];
  dialed: TcpSocket[];
}

async function rig(t: TestContext, remote: number, opts: Partial<PortForwarderOptions> = {}): Promise<Rig> {
  const lab = twoHostLab();
  const runner = new WallRunner(lab.engine);
  runner.start();
  const out: string[] = [];
  const err: string[] = [];
  const dialed: TcpSocket[] = [];
  const pf = await PortForwarder.listen({
    addresses: ['127.0.0.1'],
    ports: [{ local: 0, remote }],
    dial: (p) => {
      const s = lab.ta.connect(lab.B, p);
      dialed.push(s);
      return s;
    },
    runner,
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    ...opts,
  });
  t.after(async () => {
    await pf.close();
    runner.stop();
  });
  return { lab, pf, port: pf.localPorts[0]!, out, err, dialed };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything the socket receives until its peer's FIN, or the error that ended it. */
function readToEnd(s: Socket): Promise<{ bytes: Buffer; error?: string }> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    s.on('data', (b: Buffer) => chunks.push(b));
    s.on('end', () => resolve({ bytes: Buffer.concat(chunks) }));
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ bytes: Buffer.concat(chunks), error: e.code ?? e.message }));
  });
}

/** An emulated echo server on B: sends back what it gets, and FIN after the client's FIN. */
function echoServer(lab: TcpLab, port: number): void {
  lab.tb.listen(port, {}, (s) => {
    s.on('data', (b) => s.write(b));
    s.on('end', () => s.end());
  });
}

test('port-forward: 300 kB go through the emulated connection and back, then FIN closes both sides', async (t) => {
  const r = await rig(t, 7);
  echoServer(r.lab, 7);
  assert.deepEqual(r.out, [`Forwarding from 127.0.0.1:${r.port} -> 7`]);
  const s = await open(r.port);
  const done = readToEnd(s);
  const data = patternBytes(300_000, 7);
  s.end(data);
  const got = await done;
  assert.equal(got.error, undefined);
  assert.equal(got.bytes.length, data.length);
  assert.ok(got.bytes.equals(data), 'the echo is byte for byte what was sent');
  assert.deepEqual(r.out.slice(1), [`Handling connection for ${r.port}`]);
  assert.equal(r.pf.stats.bytesToCluster, 300_000);
  assert.equal(r.pf.stats.bytesFromCluster, 300_000);
  // the emulated connection went from A to B:7, as the kubelet's side goes from the node to the pod
  assert.equal(r.dialed[0]!.remotePort, 7);
});

test('port-forward: a reader that stops reading pauses the emulated socket, and nothing is lost', async (t) => {
  const r = await rig(t, 9);
  const total = 16 * 1024 * 1024;
  const data = patternBytes(total, 9);
  r.lab.tb.listen(9, {}, (s) => {
    let off = 0;
    const pump = (): void => {
      while (off < total) {
        const n = Math.min(65536, total - off);
        const more = s.write(data.subarray(off, off + n));
        off += n;
        if (!more) return;
      }
      s.end();
    };
    s.on('drain', pump);
    pump();
  });
  const s = await open(r.port);
  s.pause();
  // the real socket's buffers fill, the forwarder pauses the emulated socket, whose receive buffer then holds bytes
  for (let i = 0; i < 400 && !(r.dialed[0] !== undefined && r.dialed[0].bufferedBytes > 0); i++)
    await new Promise((res) => setTimeout(res, 10));
  assert.ok(r.dialed[0]!.bufferedBytes > 0, 'the emulated socket was paused');
  assert.ok(
    r.pf.stats.bytesFromCluster < total,
    `only ${r.pf.stats.bytesFromCluster} of ${total} bytes left the cluster`,
  );
  const done = readToEnd(s);
  s.resume();
  s.end();
  const got = await done;
  assert.equal(got.error, undefined);
  assert.equal(got.bytes.length, total);
  assert.ok(got.bytes.equals(data));
  assert.equal(r.pf.stats.overBuffer, 0);
});

test('port-forward: nothing listening in the cluster resets the real connection and says why', async (t) => {
  const r = await rig(t, 81);
  const s = await open(r.port);
  const got = await readToEnd(s);
  assert.equal(got.error, 'ECONNRESET');
  assert.match(r.err.join('\n'), /error forwarding port 81: the emulated connection refused/);
});

test('port-forward: past --max-connections a new connection is reset with a message; the open one still works', async (t) => {
  const r = await rig(t, 7, { maxConnections: 1 });
  echoServer(r.lab, 7);
  const first = await open(r.port);
  const firstDone = readToEnd(first);
  // the reset may come before or after the client sees its connect complete
  const refused = await readToEnd(connect({ host: '127.0.0.1', port: r.port }));
  assert.equal(refused.error, 'ECONNRESET');
  assert.match(r.err.join('\n'), /1 connections already open \(--max-connections 1\); resetting a new one/);
  assert.equal(r.pf.stats.refused, 1);
  first.end('still here');
  assert.equal((await firstDone).bytes.toString(), 'still here');
});
