/**
 * A BgpConnector over the host's real TCP sockets (node:net), so an emulated BGP speaker running on the wall
 * clock (wall-runner.ts) keeps a session with a real one (BIRD, a ToR router), as `podnet serve --bgp-peer`
 * does. The speaker never sees node:net: it gets BgpTransports as the emulated TCP gives them.
 *
 * Ordering, as port-forward.ts does it: before any real event (connect, data, close) is handed to the
 * emulated side, the runner catches the engine up to the present (`advance`), so the speaker's timers that
 * were due have run and what it schedules in reaction counts from now; afterwards `kick` runs what became
 * due at once. Bytes the speaker writes go straight to the socket (the kernel keeps their order).
 *
 * The transport contract (control/bgp/transport.ts) holds: callbacks come from later socket events, never
 * from inside `write`, `close` or `connect`; `close` flushes what was written (`end`), and after it no
 * callback fires; `onClose` fires once for a close the peer or the network caused.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type {
  BgpConnectResult,
  BgpConnector,
  BgpEndpoint,
  BgpListener,
  BgpTransport,
} from '../control/bgp/transport.js';
import { formatIpv4, parseIpv4, type Ipv4 } from '../wire/addr.js';
import type { WallRunner } from './wall-runner.js';

/** What a SocketBgpConnector needs. */
export interface SocketBgpConnectorOptions {
  /** The engine on the wall clock: advanced before real input goes in, kicked after. */
  runner: WallRunner;
  /** The host address to listen on (default 127.0.0.1). */
  listenAddress?: string;
  /** Gives up a connect after this many ms (default 30 s, BIRD's connect retry is 120 s). */
  connectTimeoutMs?: number;
  /** Errors that have no caller to return to (a listener that cannot bind). */
  log?: (line: string) => void;
}

/** A real listening socket: `bound` gives the port once bound (useful with port 0), or rejects. */
export interface SocketBgpListener extends BgpListener {
  readonly bound: Promise<number>;
}

/** Short names for the errors a connect meets, as the speaker logs them. */
const CONNECT_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ECONNRESET: 'Connection reset by peer',
};

/** The strerror-style text of a socket error ("Connection refused"), or its code. */
export function socketErrorText(e: NodeJS.ErrnoException): string {
  return (e.code !== undefined ? CONNECT_ERRORS[e.code] : undefined) ?? e.code ?? e.message;
}

/** Real-socket BGP connections for one emulated speaker. */
export class SocketBgpConnector implements BgpConnector {
  private readonly sockets = new Set<Socket>();
  private readonly servers = new Set<Server>();

  constructor(private readonly opts: SocketBgpConnectorOptions) {}

  /** Opens a real TCP connection to `remote`:`port` (from `local` when given). */
  connect(remote: Ipv4, port: number, local: Ipv4 | undefined, cb: (result: BgpConnectResult) => void): void {
    const { runner } = this.opts;
    const socket = createConnection({
      host: formatIpv4(remote),
      port,
      ...(local !== undefined ? { localAddress: formatIpv4(local) } : {}),
      noDelay: true,
      timeout: this.opts.connectTimeoutMs ?? 30_000,
    });
    this.sockets.add(socket);
    let settled = false;
    const fail = (error: string): void => {
      if (settled) return;
      settled = true;
      this.sockets.delete(socket);
      socket.destroy();
      runner.advance();
      cb({ ok: false, error });
      runner.kick();
    };
    socket.once('timeout', () => fail('Connection timed out'));
    socket.once('error', (e: NodeJS.ErrnoException) => fail(socketErrorText(e)));
    socket.once('connect', () => {
      if (settled) return;
      settled = true;
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      runner.advance();
      cb({ ok: true, transport: this.wrap(socket) });
      runner.kick();
    });
  }

  /** Listens on `port` of the listen address (0: any free port); every accepted connection goes to `onAccept`. */
  listen(port: number, onAccept: (transport: BgpTransport) => void): SocketBgpListener {
    const { runner } = this.opts;
    const host = this.opts.listenAddress ?? '127.0.0.1';
    const server = createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      runner.advance();
      onAccept(this.wrap(socket));
      runner.kick();
    });
    this.servers.add(server);
    const bound = new Promise<number>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        const why = `bgp: cannot listen on ${host}:${port}: ${e.code ?? e.message}`;
        this.opts.log?.(why);
        reject(new Error(why));
      });
      server.listen({ host, port, exclusive: true }, () => {
        const a = server.address();
        resolve(a !== null && typeof a === 'object' ? a.port : port);
      });
    });
    // the log line above is the report when nobody awaits `bound`
    bound.catch(() => undefined);
    return {
      bound,
      close: () => {
        this.servers.delete(server);
        server.close();
      },
    };
  }

  /** Stops listening and resets every connection still open (shutdown of `serve`). */
  closeAll(): void {
    for (const s of this.servers) s.close();
    for (const s of this.sockets) s.destroy();
    this.servers.clear();
    this.sockets.clear();
  }

  private wrap(socket: Socket): SocketBgpTransport {
    return new SocketBgpTransport(socket, this.opts.runner, () => this.sockets.delete(socket));
  }
}

/** One real TCP connection seen as a BgpTransport. */
class SocketBgpTransport implements BgpTransport {
  readonly local: BgpEndpoint;
  readonly remote: BgpEndpoint;
  private dataFn: ((bytes: Uint8Array) => void) | undefined;
  private closeFn: ((reason: string) => void) | undefined;
  /** Bytes that arrived before the speaker installed its listener (it does so right after getting us). */
  private early: Uint8Array[] = [];
  private closedLocally = false;
  private closeReported = false;

  constructor(
    private readonly socket: Socket,
    runner: WallRunner,
    forget: () => void,
  ) {
    this.local = endpoint(socket.localAddress, socket.localPort);
    this.remote = endpoint(socket.remoteAddress, socket.remotePort);
    let lastError = '';
    socket.on('data', (b: Buffer) => {
      if (this.closedLocally) return;
      const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      runner.advance();
      if (this.dataFn !== undefined) this.dataFn(bytes);
      else this.early.push(bytes);
      runner.kick();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      lastError = socketErrorText(e);
    });
    // the peer's FIN: BGP has no half-close, the session is over (we answer with our own FIN)
    socket.on('end', () => socket.end());
    socket.on('close', () => {
      forget();
      if (this.closedLocally || this.closeReported) return;
      this.closeReported = true;
      runner.advance();
      this.closeFn?.(lastError !== '' ? lastError : 'Connection closed');
      runner.kick();
    });
  }

  write(bytes: Uint8Array): void {
    if (this.closedLocally || this.socket.destroyed) return;
    // copy: the caller may reuse its array once write returns
    this.socket.write(Buffer.from(bytes));
  }

  close(): void {
    if (this.closedLocally) return;
    this.closedLocally = true;
    this.socket.end();
    // a peer that never closes its side must not keep the socket forever
    this.socket.setTimeout(5_000, () => this.socket.destroy());
  }

  onData(fn: (bytes: Uint8Array) => void): void {
    this.dataFn = fn;
    const early = this.early;
    this.early = [];
    // delivered from a later event, as the contract says, and before any newer data (same queue)
    if (early.length > 0) queueMicrotask(() => early.forEach((b) => this.closedLocally || fn(b)));
  }

  onClose(fn: (reason: string) => void): void {
    this.closeFn = fn;
  }
}

function endpoint(addr: string | undefined, port: number | undefined): BgpEndpoint {
  const v4 = addr?.startsWith('::ffff:') === true ? addr.slice(7) : addr;
  return { addr: parseIpv4(v4 ?? '') ?? 0, port: port ?? 0 };
}
