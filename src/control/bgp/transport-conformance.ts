/**
 * The one conformance suite every BgpTransport / BgpConnector runs (STYLE.md rule 6): tcp-transport.test.ts
 * over the emulated TCP, and the real-socket connector in realtime/ over node:net. The cases are the
 * contract transport.ts states. Isomorphic: the caller passes its test registrar; checks throw Errors.
 */
import type { Ipv4 } from '../../wire/addr.js';
import type { BgpConnectResult, BgpConnector, BgpTransport } from './transport.js';

/** How the suite drives one implementation: two endpoints that can reach each other. */
export interface TransportTarget {
  /** A fresh pair: `a` connects to `b`, listening on `port` at `bAddr`. */
  makePair(): Promise<{ a: BgpConnector; b: BgpConnector; bAddr: Ipv4; port: number; closedPort: number }>;
  /** Resolves once `cond()` holds (simulated time: run the engine; real sockets: poll), or rejects. */
  until(cond: () => boolean, what: string): Promise<void>;
}

/** Registers one test, as node:test's `test` does. */
export type TestRegistrar = (name: string, fn: () => Promise<void>) => unknown;

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`transport conformance: ${what}`);
}

function concat(chunks: Uint8Array[]): number[] {
  return chunks.flatMap((c) => [...c]);
}

/** Registers every case for `name`. */
export function runTransportConformance(name: string, target: TransportTarget, test: TestRegistrar): void {
  /** Connects a to b; resolves with both ends. */
  async function pair(): Promise<{
    client: BgpTransport;
    server: BgpTransport;
    closedPort: number;
    p: Awaited<ReturnType<TransportTarget['makePair']>>;
  }> {
    const p = await target.makePair();
    let server: BgpTransport | undefined;
    let result: BgpConnectResult | undefined;
    p.b.listen(p.port, (t) => (server = t));
    p.a.connect(p.bAddr, p.port, undefined, (r) => (result = r));
    await target.until(() => result !== undefined && server !== undefined, 'connect and accept');
    check(result!.ok, `connect failed: ${result!.ok ? '' : result!.error}`);
    return {
      client: (result as { ok: true; transport: BgpTransport }).transport,
      server: server!,
      closedPort: p.closedPort,
      p,
    };
  }

  test(`${name}: connect and accept agree on the endpoints`, async () => {
    const { client, server, p } = await pair();
    check(client.remote.addr === p.bAddr && client.remote.port === p.port, 'client.remote is the listener');
    check(server.local.port === p.port, 'server.local.port is the listening port');
    check(server.remote.port === client.local.port && server.remote.addr === client.local.addr, 'ends match');
    client.close();
    server.close();
  });

  test(`${name}: bytes arrive in order, both ways, whatever the chunking`, async () => {
    const { client, server } = await pair();
    const atServer: Uint8Array[] = [];
    const atClient: Uint8Array[] = [];
    server.onData((b) => atServer.push(b));
    client.onData((b) => atClient.push(b));
    const big = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff);
    client.write(Uint8Array.of(1, 2, 3));
    const reused = Uint8Array.of(4, 5);
    client.write(reused);
    reused[0] = 99; // the transport must have taken its copy
    client.write(big);
    server.write(Uint8Array.of(9));
    await target.until(() => concat(atServer).length === 10_005 && concat(atClient).length === 1, 'all bytes');
    const got = concat(atServer);
    check(got.slice(0, 5).join() === '1,2,3,4,5', 'first bytes in order and copied at write');
    check(
      got.slice(5).every((x, i) => x === big[i]),
      'the large write intact',
    );
    client.close();
    server.close();
  });

  test(`${name}: close sends what was written first, the peer gets onClose, the closer gets nothing more`, async () => {
    const { client, server } = await pair();
    const atServer: Uint8Array[] = [];
    let serverClosed: string | undefined;
    let clientCallbacks = 0;
    server.onData((b) => atServer.push(b));
    server.onClose((r) => (serverClosed = r));
    client.onData(() => clientCallbacks++);
    client.onClose(() => clientCallbacks++);
    client.write(Uint8Array.of(0xff, 0xff, 7));
    client.close();
    await target.until(() => serverClosed !== undefined, 'the peer notices the close');
    check(concat(atServer).join() === '255,255,7', 'bytes written before close arrive');
    check(typeof serverClosed === 'string' && serverClosed.length > 0, 'a reason is given');
    server.write(Uint8Array.of(1));
    server.close();
    check(clientCallbacks === 0, 'no callback after a local close');
  });

  test(`${name}: a port nobody listens on is refused`, async () => {
    const p = await target.makePair();
    let result: BgpConnectResult | undefined;
    p.a.connect(p.bAddr, p.closedPort, undefined, (r) => (result = r));
    await target.until(() => result !== undefined, 'the connect result');
    check(!result!.ok && result!.error === 'Connection refused', `refused, got ${JSON.stringify(result)}`);
  });
}
