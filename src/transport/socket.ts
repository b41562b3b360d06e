/**
 * The socket API emulated programs use, the same on every host (and later every pod): one `Sockets`
 * object per IP node giving UDP and TCP sockets with callbacks, plus promise helpers. Callbacks run inside
 * simulated time; a promise settles in a microtask, which runs only once the engine hands control back
 * (after `engine.run()` returns, or between steps of an async driver), so programs that must react at a
 * simulated instant use the callbacks. The protocols themselves live in udp.ts and tcp*.ts.
 */
import type { Ipv4 } from '../wire/addr.js';
import type { IpNode, SendError } from '../net/ip-node.js';
import { UdpStack, type UdpDatagramIn, type UdpSendOptions } from './udp.js';
import {
  TcpStack,
  type TcpConnectOptions,
  type TcpConnectionHandler,
  type TcpListenOptions,
  type TcpListener,
} from './tcp-stack.js';
import type { TcpSocket } from './tcp-connection.js';
import type { TcpConfig } from './tcp-types.js';

/** A bound UDP port. */
export class UdpSocket {
  private readonly handlers: ((d: UdpDatagramIn) => void)[] = [];
  private readonly waiting: ((d: UdpDatagramIn) => void)[] = [];
  private readonly queued: UdpDatagramIn[] = [];
  /** True after close(). */
  closed = false;

  /** @internal Made by Sockets.udpSocket. */
  constructor(
    private readonly stack: UdpStack,
    port: number,
  ) {
    this.port = stack.bind(port, (d) => this.receive(d));
  }

  /** The local port (chosen from the ephemeral range when 0 was asked for). */
  readonly port: number;

  /** Calls `fn` for each datagram (its payload copied, so it may be kept). */
  onMessage(fn: (d: UdpDatagramIn) => void): this {
    this.handlers.push(fn);
    return this;
  }

  /** Sends a datagram from this port; returns an error word if it could not leave (no route, too big with DF). */
  send(dst: Ipv4, port: number, payload: Uint8Array, opts: UdpSendOptions = {}): SendError | undefined {
    if (this.closed) throw new Error(`udp: send on closed port ${this.port}`);
    return this.stack.send(this.port, dst, port, payload, opts);
  }

  /** The next datagram not taken by an onMessage handler, as a promise. */
  recv(): Promise<UdpDatagramIn> {
    const d = this.queued.shift();
    if (d !== undefined) return Promise.resolve(d);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Releases the port. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stack.unbind(this.port);
  }

  private receive(d: UdpDatagramIn): void {
    const copy: UdpDatagramIn = { ...d, payload: d.payload.slice() };
    if (this.handlers.length > 0) {
      for (const h of this.handlers.slice()) h(copy);
      return;
    }
    const w = this.waiting.shift();
    if (w !== undefined) w(copy);
    else this.queued.push(copy);
  }
}

/** UDP and TCP of one node, as programs see them. */
export class Sockets {
  readonly udp: UdpStack;
  readonly tcp: TcpStack;

  /**
   * Uses the node's existing stacks when given (a scenario may have made its UdpStack already: each
   * protocol has one handler per node), and makes the missing ones.
   */
  constructor(
    readonly node: IpNode,
    stacks: { udp?: UdpStack; tcp?: TcpStack; tcpConfig?: Partial<TcpConfig> } = {},
  ) {
    this.udp = stacks.udp ?? new UdpStack(node);
    this.tcp = stacks.tcp ?? new TcpStack(node, stacks.tcpConfig);
  }

  /** Binds a UDP port (0: ephemeral). Throws if it is taken (EADDRINUSE). */
  udpSocket(port = 0): UdpSocket {
    return new UdpSocket(this.udp, port);
  }

  /** Opens a TCP connection; see TcpStack.connect. */
  tcpConnect(dst: Ipv4, port: number, opts: TcpConnectOptions = {}, onConnect?: (s: TcpSocket) => void): TcpSocket {
    return this.tcp.connect(dst, port, opts, onConnect);
  }

  /** Opens a TCP connection as a promise (rejects with a TcpError). */
  tcpConnectAsync(dst: Ipv4, port: number, opts: TcpConnectOptions = {}): Promise<TcpSocket> {
    return this.tcp.connectAsync(dst, port, opts);
  }

  /** Listens on a TCP port; see TcpStack.listen. */
  tcpListen(port: number, opts: TcpListenOptions, onConnection: TcpConnectionHandler): TcpListener {
    return this.tcp.listen(port, opts, onConnection);
  }
}

/**
 * Collects everything a TCP socket receives until the peer's FIN, then calls `done` with the bytes (a
 * callback so it runs inside simulated time).
 */
export function readAll(s: TcpSocket, done: (bytes: Uint8Array) => void): void {
  const chunks: Uint8Array[] = [];
  let n = 0;
  s.on('data', (d) => {
    chunks.push(d);
    n += d.length;
  });
  s.on('end', () => {
    const out = new Uint8Array(n);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    done(out);
  });
}
