/**
 * The BGP transport over podnet's emulated TCP (transport/tcp.ts): a node's TcpStack as a BgpConnector.
 * `close()` is a graceful close (FIN after the queued NOTIFICATION), as a BGP speaker closes its socket;
 * the stack's 'close' event becomes `onClose` unless we closed first. The real-socket twin is in
 * realtime/.
 */
import type { Ipv4 } from '../../wire/addr.js';
import type { TcpCloseReason, TcpSocket, TcpStack } from '../../transport/tcp.js';
import type { BgpConnectResult, BgpConnector, BgpEndpoint, BgpListener, BgpTransport } from './transport.js';

/** The strerror text of a TCP close reason, as BIRD logs it ("Socket: Connection refused"). */
export function socketErrorText(reason: TcpCloseReason): string {
  switch (reason) {
    case 'closed':
      return 'Connection closed';
    case 'refused':
      return 'Connection refused';
    case 'timeout':
      return 'Connection timed out';
    case 'reset':
      return 'Connection reset by peer';
    case 'aborted':
      return 'Connection aborted';
    case 'unreachable':
      return 'Network is unreachable';
  }
}

/** A TcpSocket as a BgpTransport. */
class TcpBgpTransport implements BgpTransport {
  readonly local: BgpEndpoint;
  readonly remote: BgpEndpoint;
  private dataFn: ((bytes: Uint8Array) => void) | undefined;
  private closeFn: ((reason: string) => void) | undefined;
  private closedByUs = false;

  constructor(private readonly socket: TcpSocket) {
    this.local = { addr: socket.localIp, port: socket.localPort };
    this.remote = { addr: socket.remoteIp, port: socket.remotePort };
    socket.on('data', (bytes) => {
      if (!this.closedByUs) this.dataFn?.(bytes);
    });
    // the peer's FIN: BGP has no half-close, the session is over (BIRD: "Connection closed")
    socket.on('end', () => this.ended('Connection closed'));
    socket.on('close', (reason) => this.ended(socketErrorText(reason)));
  }

  private ended(reason: string): void {
    if (this.closedByUs) return;
    this.closedByUs = true;
    this.socket.end();
    const fn = this.closeFn;
    this.closeFn = undefined;
    fn?.(reason);
  }

  write(bytes: Uint8Array): void {
    if (!this.closedByUs) this.socket.write(bytes);
  }

  close(): void {
    if (this.closedByUs) return;
    this.closedByUs = true;
    this.socket.end();
  }

  onData(fn: (bytes: Uint8Array) => void): void {
    this.dataFn = fn;
  }

  onClose(fn: (reason: string) => void): void {
    this.closeFn = fn;
  }
}

/** A node's TCP stack as the connector of its BGP speaker. */
export class TcpBgpConnector implements BgpConnector {
  constructor(private readonly tcp: TcpStack) {}

  connect(remote: Ipv4, port: number, _local: Ipv4 | undefined, cb: (result: BgpConnectResult) => void): void {
    // the stack picks the source address from the route to `remote`, as Linux does for an unbound socket;
    // BIRD's `source address` is the node's address on that route in every Calico setup
    const s = this.tcp.connect(remote, port, {});
    let settled = false;
    s.on('connect', () => {
      if (settled) return;
      settled = true;
      cb({ ok: true, transport: new TcpBgpTransport(s) });
    });
    s.on('close', (reason) => {
      if (settled) return;
      settled = true;
      cb({ ok: false, error: socketErrorText(reason) });
    });
  }

  listen(port: number, onAccept: (transport: BgpTransport) => void): BgpListener {
    const l = this.tcp.listen(port, (s) => onAccept(new TcpBgpTransport(s)));
    return { close: () => this.tcp.unlisten(l) };
  }
}
