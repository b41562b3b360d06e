/**
 * The real half of `podnet port-forward`: listeners on real sockets (node:net) and, per accepted connection,
 * an emulated TCP connection (the kubelet's side, opened by `dial`) with bytes copied both ways. It prints what
 * kubectl port-forward prints (client-go tools/portforward: "Forwarding from ADDR:PORT -> REMOTE", then
 * "Handling connection for PORT" per connection). Which pod and port to dial is the CLI's business
 * (cli/port-forward-target.ts); running the engine in real time is wall-runner.ts's.
 *
 * Backpressure both ways: a real socket whose bytes the emulated one cannot take yet (write() returned false)
 * is paused until 'drain', and an emulated socket whose bytes the real one cannot take is paused (its receive
 * window closes, so the emulated sender slows down as TCP's flow control says). A FIN on one side becomes a
 * FIN on the other (half-close is kept); a reset or abort on one side resets the other.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { TcpCloseReason, TcpSocket } from '../transport/tcp.js';
import type { WallRunner } from './wall-runner.js';

/** One LOCAL:REMOTE pair; local 0 asks the system for a free port. */
export interface ForwardedPort {
  local: number;
  remote: number;
}

/** Concurrent connections podnet port-forward carries unless told otherwise (--max-connections). */
export const DEFAULT_MAX_CONNECTIONS = 64;
/**
 * Bytes one connection may hold in podnet's buffers in either direction (--max-buffer): normally never
 * reached, because both sides are paused long before; a connection that exceeds it is reset.
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** What a PortForwarder needs. */
export interface PortForwarderOptions {
  /** Addresses to listen on, each with every port (kubectl --address). */
  addresses: readonly string[];
  ports: readonly ForwardedPort[];
  /** Opens the emulated connection for one accepted real connection. */
  dial: (remotePort: number) => TcpSocket;
  /** The engine on the wall clock: advanced before real input goes in, kicked after. */
  runner: WallRunner;
  maxConnections?: number;
  maxBufferedBytes?: number;
  /** stdout (kubectl's "Forwarding from" and "Handling connection" lines). */
  out: (s: string) => void;
  /** stderr (errors per connection). */
  err: (s: string) => void;
}

/** Counters for the summary line. */
export interface PortForwardStats {
  connections: number;
  /** Connections turned away because --max-connections were open. */
  refused: number;
  /** Connections reset because one buffered more than --max-buffer bytes. */
  overBuffer: number;
  bytesToCluster: number;
  bytesFromCluster: number;
}

/** A listen() that failed: the address and the system's error code (EADDRINUSE, EACCES, ...). */
export class ListenError extends Error {}

/** Listeners for every address and port, carrying connections into the emulated cluster. */
export class PortForwarder {
  readonly stats: PortForwardStats = {
    connections: 0,
    refused: 0,
    overBuffer: 0,
    bytesToCluster: 0,
    bytesFromCluster: 0,
  };
  private readonly servers: Server[] = [];
  private readonly open = new Set<Socket>();
  private readonly maxConnections: number;
  private readonly maxBuffered: number;

  private constructor(private readonly opts: PortForwarderOptions) {
    this.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.maxBuffered = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  /**
   * Binds every address and port (a port given as 0 is chosen on the first address and reused on the
   * others) and prints kubectl's "Forwarding from" line for each. Rejects with a ListenError, closing what
   * it had bound, when one cannot be bound.
   */
  static async listen(opts: PortForwarderOptions): Promise<PortForwarder> {
    const pf = new PortForwarder(opts);
    try {
      for (const p of opts.ports) {
        let local = p.local;
        for (const address of opts.addresses) {
          const port = { local, remote: p.remote };
          const server = createServer({ allowHalfOpen: true, noDelay: true }, (s) => pf.accept(s, port));
          pf.servers.push(server);
          local = await listenOn(server, address, local);
          port.local = local;
          opts.out(`Forwarding from ${joinHostPort(address, local)} -> ${p.remote}`);
        }
      }
    } catch (e) {
      await pf.close();
      throw e;
    }
    return pf;
  }

  /** The local ports bound, in the order of `ports` (useful when one was 0). */
  get localPorts(): number[] {
    const ports: number[] = [];
    for (const s of this.servers) {
      const a = s.address();
      if (a !== null && typeof a === 'object' && !ports.includes(a.port)) ports.push(a.port);
    }
    return ports;
  }

  /** Stops listening and resets the connections still open. */
  async close(): Promise<void> {
    for (const s of this.open) s.resetAndDestroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  private accept(real: Socket, port: ForwardedPort): void {
    if (this.open.size >= this.maxConnections) {
      this.stats.refused++;
      this.opts.err(
        `podnet port-forward: ${this.open.size} connections already open (--max-connections ${this.maxConnections}); resetting a new one for ${port.local}`,
      );
      real.resetAndDestroy();
      return;
    }
    this.stats.connections++;
    this.open.add(real);
    this.opts.out(`Handling connection for ${port.local}`);
    const { runner } = this.opts;
    runner.advance();
    const emu = this.opts.dial(port.remote);
    let emuClosed = false;
    let realClosed = false;
    const overBuffer = (where: string, bytes: number): void => {
      this.stats.overBuffer++;
      this.opts.err(
        `podnet port-forward: a connection for ${port.local} holds ${bytes} bytes ${where}, more than --max-buffer ${this.maxBuffered}; resetting it`,
      );
      real.resetAndDestroy();
      if (!emuClosed) emu.destroy();
    };

    // real -> cluster
    real.on('data', (b: Buffer) => {
      if (emuClosed) return;
      runner.advance();
      this.stats.bytesToCluster += b.length;
      if (!emu.write(b)) real.pause();
      if (emu.pendingBytes > this.maxBuffered) overBuffer('on its way into the cluster', emu.pendingBytes);
      runner.kick();
    });
    emu.on('drain', () => real.resume());
    real.on('end', () => {
      if (emuClosed) return;
      runner.advance();
      emu.end();
      runner.kick();
    });
    real.on('error', () => {
      // ECONNRESET and the like: the 'close' below carries it on
    });
    real.on('close', (hadError) => {
      realClosed = true;
      this.open.delete(real);
      if (!emuClosed && hadError) {
        runner.advance();
        emu.destroy();
        runner.kick();
      }
    });

    // cluster -> real
    emu.on('data', (b) => {
      if (realClosed) return;
      this.stats.bytesFromCluster += b.length;
      if (!real.write(b)) emu.pause();
      if (real.writableLength > this.maxBuffered) overBuffer('on its way out', real.writableLength);
    });
    real.on('drain', () => {
      runner.advance();
      emu.resume();
      runner.kick();
    });
    emu.on('end', () => {
      if (!realClosed) real.end();
    });
    emu.on('close', (reason: TcpCloseReason) => {
      emuClosed = true;
      if (reason === 'closed') {
        if (!realClosed) real.end();
        return;
      }
      if (reason !== 'aborted')
        this.opts.err(`podnet port-forward: error forwarding port ${port.remote}: the emulated connection ${reason}`);
      if (!realClosed) real.resetAndDestroy();
    });
  }
}

function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void =>
      reject(new ListenError(`unable to listen on ${joinHostPort(host, port)}: ${e.code ?? e.message}`));
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      const a = server.address();
      resolve(a !== null && typeof a === 'object' ? a.port : port);
    });
  });
}

/** Go's net.JoinHostPort: IPv6 addresses in brackets. */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
