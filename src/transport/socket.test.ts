/**
 * The socket API programs use: UDP and TCP through one object per node, with callbacks inside simulated
 * time and promises that settle once the engine hands control back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SECOND } from '../sim/engine.js';
import { Sockets, readAll } from './socket.js';
import { twoHostLab } from './testing.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

function lab() {
  const l = twoHostLab();
  // the lab made TCP stacks already; Sockets reuses them (one protocol handler per node)
  return { ...l, sa: new Sockets(l.a, { tcp: l.ta }), sb: new Sockets(l.b, { tcp: l.tb }) };
}

describe('Sockets', () => {
  it('sends and receives UDP datagrams with callbacks, copying the payload', () => {
    const { engine, sa, sb, B } = lab();
    const server = sb.udpSocket(53);
    const seen: string[] = [];
    server.onMessage((d) => {
      seen.push(`${str(d.payload)} from port ${d.srcPort}`);
      server.send(d.src, d.srcPort, text('answer'));
    });
    const client = sa.udpSocket();
    const answers: string[] = [];
    client.onMessage((d) => answers.push(str(d.payload)));
    assert.equal(client.port, 32768);
    client.send(B, 53, text('question'));
    engine.run();
    assert.deepEqual(seen, ['question from port 32768']);
    assert.deepEqual(answers, ['answer']);
    client.close();
    assert.throws(() => client.send(B, 53, text('x')), /closed/);
  });

  it('hands UDP datagrams to recv() promises when no handler takes them', async () => {
    const { engine, sa, sb, B } = lab();
    const server = sb.udpSocket(9);
    sa.udpSocket().send(B, 9, text('one'));
    sa.udpSocket().send(B, 9, text('two'));
    engine.run();
    assert.deepEqual([str((await server.recv()).payload), str((await server.recv()).payload)], ['one', 'two']);
  });

  it('connects, exchanges and closes TCP with callbacks', () => {
    const { engine, sa, sb, B } = lab();
    sb.tcpListen(80, { backlog: 8 }, (s) =>
      readAll(s, (req) => {
        s.write(text(`echo ${str(req)}`));
        s.end();
      }),
    );
    let reply = '';
    sa.tcpConnect(B, 80, {}, (s) => {
      s.write(text('ping'));
      s.end();
      readAll(s, (b) => (reply = str(b)));
    });
    engine.run(1 * SECOND);
    assert.equal(reply, 'echo ping');
  });

  it('settles connect promises after the engine returns', async () => {
    const { engine, sa, sb, B } = lab();
    sb.tcpListen(80, {}, (s) => s.on('end', () => s.end()));
    const ok = sa.tcpConnectAsync(B, 80);
    const refused = sa.tcpConnectAsync(B, 81);
    engine.run(1 * SECOND);
    const s = await ok;
    assert.equal(s.state, 'ESTABLISHED');
    await assert.rejects(refused, /refused/);
    s.end();
    engine.run(2 * SECOND);
    assert.equal(await s.closed(), 'closed');
  });
});
