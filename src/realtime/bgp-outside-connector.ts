/**
 * The connector of the one emulated speaker that also peers with a real router (`podnet serve --bgp-peer`):
 * sessions with the outside peers go over real sockets (bgp-socket.ts), every other session over the node's
 * emulated TCP, so the speaker itself stays unaware of which neighbour is real. Inbound, a real listener
 * accepts only the outside peers' addresses (as BIRD accepts only configured neighbours) and the emulated
 * listener keeps serving the cluster.
 */
import type { BgpConnectResult, BgpConnector, BgpListener, BgpTransport } from '../control/bgp/transport.js';
import { formatIpv4, parseIpv4, type Ipv4 } from '../wire/addr.js';
import { SocketBgpConnector } from './bgp-socket.js';
import type { WallRunner } from './wall-runner.js';

/** Where the real side connects from and listens. */
export interface OutsideSideOptions {
  /** The host address our real sockets use (connect from, listen on). */
  localAddress: string;
  /** The real port to listen on for the outside peers (their `neighbor ... port`); none: we only connect. */
  listenPort?: number;
  /**
   * The emulated node's address our end of a real session presents to the speaker as its local address:
   * the speaker's NEXT_HOP self (RFC 4271 §5.1.3) then names the node, as on a real ToR link, not the
   * host's loopback the socket happens to use. Default: the socket's own address.
   */
  presentAs?: Ipv4;
  /** Log lines (a real connection from an address that is no outside peer, refused). */
  log?: (line: string) => void;
}

/** Routes each connection to the real or the emulated network by the neighbour's address. */
export class OutsidePeerConnector implements BgpConnector {
  private readonly outside = new Set<Ipv4>();
  /** The real sockets (closeAll() when serve stops). */
  readonly real: SocketBgpConnector;

  constructor(
    private readonly emulated: BgpConnector,
    runner: WallRunner,
    private readonly opts: OutsideSideOptions,
  ) {
    this.real = new SocketBgpConnector({
      runner,
      listenAddress: opts.localAddress,
      ...(opts.log !== undefined ? { log: opts.log } : {}),
    });
  }

  /** Marks `addr` as a real neighbour: sessions with it use real sockets. */
  addOutsidePeer(addr: Ipv4): void {
    this.outside.add(addr);
  }

  /** True when sessions with `addr` go over real sockets. */
  isOutside(addr: Ipv4): boolean {
    return this.outside.has(addr);
  }

  connect(remote: Ipv4, port: number, local: Ipv4 | undefined, cb: (result: BgpConnectResult) => void): void {
    if (!this.outside.has(remote)) {
      this.emulated.connect(remote, port, local, cb);
      return;
    }
    // the speaker's source address is an emulated one the host does not have: use the host's
    this.real.connect(remote, port, parseIpv4(this.opts.localAddress), (r) =>
      cb(r.ok ? { ok: true, transport: this.present(r.transport) } : r),
    );
  }

  listen(port: number, onAccept: (transport: BgpTransport) => void): BgpListener {
    const inner = this.emulated.listen(port, onAccept);
    const { listenPort } = this.opts;
    if (listenPort === undefined) return inner;
    const real = this.real.listen(listenPort, (t) => {
      if (this.outside.has(t.remote.addr)) {
        onAccept(this.present(t));
        return;
      }
      this.opts.log?.(`bgp: refused a connection from ${formatIpv4(t.remote.addr)}: not a configured outside peer`);
      t.close();
    });
    return {
      close: () => {
        inner.close();
        real.close();
      },
    };
  }

  /** The transport as the speaker sees it: our end at `presentAs` when set. */
  private present(t: BgpTransport): BgpTransport {
    const addr = this.opts.presentAs;
    if (addr === undefined) return t;
    return {
      local: { addr, port: t.local.port },
      remote: t.remote,
      write: (b) => t.write(b),
      close: () => t.close(),
      onData: (fn) => t.onData(fn),
      onClose: (fn) => t.onClose(fn),
    };
  }
}
