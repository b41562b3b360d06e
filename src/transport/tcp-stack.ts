/**
 * The TCP layer of one IP node: demultiplexes segments to connections by their four numbers, runs
 * listeners (the LISTEN state, the backlog), answers segments for no connection with RST (RFC 9293
 * §3.10.7.1: a connection to a closed port is refused), hands ICMP errors to the connection they quote,
 * and writes segments onto the wire in place. The state machine itself lives in tcp-connection.ts.
 */
import { formatIpv4, readIpv4, type Ipv4 } from '../wire/addr.js';
import { readU16 } from '../wire/bytes.js';
import { IPPROTO_TCP, IPV4_DST_OFF, IPV4_SRC_OFF } from '../wire/ipv4.js';
import {
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
  emitTcpHeader,
  parseTcp,
  tcpHeaderLength,
  verifyTcpChecksum,
  writeTcpChecksum,
  type TcpSegment,
} from '../wire/tcp.js';
import type { DropReason } from '../link/trace.js';
import { IP_OFF, type IcmpEvent, type IpNode, type SendError } from '../net/ip-node.js';
import type { NetDev } from '../net/netdev.js';
import type { Prng } from '../sim/prng.js';
import { TcpSocket, type AcceptQueue } from './tcp-connection.js';
import { DEFAULT_TCP, type OutSegment, type TcpConfig, type TcpHost, type TcpTuple } from './tcp-types.js';

/**
 * The backlog a Go program's net.Listen asks for: net.core.somaxconn, which is 4096 since Linux 5.4
 * (Go's maxListenerBacklog), as `ss -lnt` shows a CoreDNS or Traefik listener's Send-Q.
 */
export const GO_LISTEN_BACKLOG = 4096;

/** Options of listen(): the backlog and any per-connection tunables. */
export interface TcpListenOptions extends Partial<TcpConfig> {
  /** Connections the listener may hold that the application has not accepted, half-open ones included. Default 511 (Node's). */
  backlog?: number;
}

/** Options of connect(). */
export interface TcpConnectOptions extends Partial<TcpConfig> {
  /** Local port; an ephemeral one (32768-60999, Linux ip_local_port_range) when omitted. */
  srcPort?: number;
  /** Give up the handshake after this long ('timeout'), before the SYN retries run out. */
  timeoutNs?: number;
}

/** Receives each connection a listener accepts. */
export type TcpConnectionHandler = (socket: TcpSocket) => void;

/** Loopback MTU: Linux lo has 65536, but an IPv4 packet stops at 65535 (so the MSS is 65495, as Linux announces on lo). */
const LOOPBACK_MTU = 65535;

/** A listening port (RFC 9293 LISTEN). */
export class TcpListener implements AcceptQueue {
  private halfOpen = 0;
  private readonly queue: TcpSocket[] = [];
  private accepting = true;
  /** True after close(). */
  closed = false;

  constructor(
    private readonly stack: TcpStack,
    readonly port: number,
    readonly backlog: number,
    readonly config: TcpConfig,
    private readonly onConnection: TcpConnectionHandler,
  ) {}

  /** Connections established and not yet accepted (sk_ack_backlog, `ss`'s Recv-Q of a listener). */
  get acceptQueueLength(): number {
    return this.queue.length;
  }

  /** Connections counted against the backlog: half-open plus established and not yet accepted. */
  get held(): number {
    return this.halfOpen + this.queue.length;
  }

  /** True when a new SYN would overflow the backlog. */
  get full(): boolean {
    return this.held >= this.backlog;
  }

  /** Stops handing connections to the application; completed ones wait in the accept queue (and fill the backlog). */
  pause(): void {
    this.accepting = false;
  }

  /** Hands over the queued connections and those that follow. */
  resume(): void {
    this.accepting = true;
    while (this.accepting && this.queue.length > 0) this.onConnection(this.queue.shift()!);
  }

  /** Stops listening; connections not yet accepted are reset, as Linux does on close(listen_fd). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stack.unlisten(this);
    for (const s of this.queue.splice(0)) s.destroy();
  }

  /** @internal */
  halfOpened(): void {
    this.halfOpen++;
  }

  /** @internal The handshake of `s` completed. */
  established(s: TcpSocket): void {
    this.halfOpen--;
    if (this.closed) {
      s.destroy();
      return;
    }
    if (this.accepting) this.onConnection(s);
    else this.queue.push(s);
  }

  /** @internal A half-open connection died. */
  abandoned(_s: TcpSocket): void {
    this.halfOpen--;
  }
}

/** The TCP layer of one node. */
export class TcpStack implements TcpHost {
  /** Defaults for this node's connections (each connect/listen may override). */
  readonly config: TcpConfig;
  /** Resets sent for segments that matched no connection or listener. */
  resetsSent = 0;
  private readonly conns = new Map<string, TcpSocket>();
  private readonly listenersByPort = new Map<number, TcpListener>();
  /** listenOnEveryPort's handler: a port without a listener gets one on its first segment. */
  private everyPort: TcpConnectionHandler | undefined;
  private readonly portUse = new Map<number, number>();
  /** connect()'s per-destination port offsets and perturbations (Linux port_offset and table_perturb). */
  private readonly portOffsets = new Map<string, { offset: number; perturb: number }>();
  /** ISNs: the stream `node:<name>/tcp`, so connections elsewhere never move this node's sequence numbers. */
  private readonly rng: Prng;
  /** Timestamp offsets (`node:<name>/tcp-ts`) and source ports (`node:<name>/tcp-port`), each its own stream. */
  private readonly tsRng: Prng;
  private readonly portRng: Prng;
  /** Flow hashes (`node:<name>/tcp-txhash`), a stream of their own so they move no other draw. */
  private readonly txHashRng: Prng;
  /** The frame being handled, so drops inside a connection trace it. */
  private current: Uint8Array | undefined = undefined;

  constructor(
    readonly node: IpNode,
    config: Partial<TcpConfig> = {},
  ) {
    this.config = { ...DEFAULT_TCP, ...config };
    this.rng = node.engine.stream(`node:${node.name}/tcp`);
    this.tsRng = node.engine.stream(`node:${node.name}/tcp-ts`);
    this.portRng = node.engine.stream(`node:${node.name}/tcp-port`);
    this.txHashRng = node.engine.stream(`node:${node.name}/tcp-txhash`);
    node.setProtocolHandler(IPPROTO_TCP, (frame, ipLen, dev) => this.receive(frame, ipLen, dev));
    node.onIcmp((ev) => this.icmp(ev));
  }

  // ---- application API -------------------------------------------------------------------------------

  /** Listens on `port` (0: an ephemeral one). Throws if the port already listens (EADDRINUSE, a caller bug). */
  listen(port: number, onConnection: TcpConnectionHandler): TcpListener;
  listen(port: number, opts: TcpListenOptions, onConnection: TcpConnectionHandler): TcpListener;
  listen(port: number, a: TcpListenOptions | TcpConnectionHandler, b?: TcpConnectionHandler): TcpListener {
    const opts = typeof a === 'function' ? {} : a;
    const handler = typeof a === 'function' ? a : b!;
    const p = port === 0 ? this.pickBindPort() : port;
    if (this.listenersByPort.has(p)) throw new Error(`${this.node.name}: TCP port ${p} already listening`);
    const { backlog, ...config } = opts;
    const l = new TcpListener(this, p, backlog ?? 511, { ...this.config, ...config }, handler);
    this.listenersByPort.set(p, l);
    return l;
  }

  /**
   * Accepts connections on every port that has no listener of its own, each handed to `onConnection`:
   * a stand-in for "some server is there", whatever the port (the internet router of a cluster).
   */
  listenOnEveryPort(onConnection: TcpConnectionHandler): void {
    this.everyPort = onConnection;
  }

  /**
   * Opens a connection to `dst`:`port` and returns its socket at once (in SYN-SENT); `onConnect`, if
   * given, runs when the handshake completes. Failure arrives as the 'close' event ('refused', 'timeout',
   * 'unreachable'). Throws if the chosen local port already has this connection (a caller bug).
   */
  connect(dst: Ipv4, port: number, opts: TcpConnectOptions = {}, onConnect?: (s: TcpSocket) => void): TcpSocket {
    const { srcPort, timeoutNs, ...overrides } = opts;
    const config = { ...this.config, ...overrides };
    const path = this.pathTo(dst);
    const localIp = path?.src ?? this.node.primaryAddress ?? 0;
    const lport = srcPort ?? this.pickConnectPort(dst, port);
    const key = connKey(localIp, lport, dst, port);
    if (this.conns.has(key))
      throw new Error(
        `${this.node.name}: TCP ${formatIpv4(localIp)}:${lport} -> ${formatIpv4(dst)}:${port} already exists`,
      );
    const s = new TcpSocket(this, this.node.engine, localIp, lport, dst, port, config, path?.mtu ?? 1500, undefined);
    if (onConnect !== undefined) s.on('connect', () => onConnect(s));
    if (path === undefined) {
      this.node.note(() => `TCP connect to ${formatIpv4(dst)}:${port}: no route (ENETUNREACH)`);
      this.node.engine.schedule(0, () => s.finish('unreachable'));
      return s;
    }
    this.conns.set(key, s);
    this.portUse.set(lport, (this.portUse.get(lport) ?? 0) + 1);
    s.openActive(timeoutNs);
    return s;
  }

  /** connect() as a promise: resolves when established, rejects with a TcpError naming the reason. */
  connectAsync(dst: Ipv4, port: number, opts: TcpConnectOptions = {}): Promise<TcpSocket> {
    return this.connect(dst, port, opts).connected();
  }

  /** The live connections (TIME-WAIT included), for inspection. */
  connections(): TcpSocket[] {
    return [...this.conns.values()];
  }

  /** The listeners, in the order opened. */
  listeners(): TcpListener[] {
    return [...this.listenersByPort.values()];
  }

  /** The listener on `port`, if any. */
  listener(port: number): TcpListener | undefined {
    return this.listenersByPort.get(port);
  }

  /** @internal Called by TcpListener.close(). */
  unlisten(l: TcpListener): void {
    if (this.listenersByPort.get(l.port) === l) this.listenersByPort.delete(l.port);
  }

  // ---- TcpHost ---------------------------------------------------------------------------------------

  /** @internal A new connection's ISN, from this node's TCP stream. */
  initialSequence(): number {
    return this.rng.nextU32();
  }

  /** @internal A new connection's TSval offset, from this node's TCP stream. */
  timestampOffset(): number {
    return this.tsRng.nextU32();
  }

  /** @internal A new sk_txhash: net_tx_rndhash, a random 32-bit value that is never 0. */
  txHash(): number {
    return this.txHashRng.nextU32() || 1;
  }

  /** @internal Writes one segment of `t` in place in a new frame and sends it, with its socket's flow hash. */
  transmit(t: TcpTuple, s: OutSegment): SendError | undefined {
    const hl = tcpHeaderLength(s);
    const dataLen = s.len ?? 0;
    const len = hl + dataLen;
    const opts = { dst: t.remoteIp, src: t.localIp, protocol: IPPROTO_TCP, hash: t.txHash };
    return this.node.sendIp(opts, len, (f, off) => {
      emitTcpHeader(
        {
          srcPort: t.localPort,
          dstPort: t.remotePort,
          seq: s.seq,
          ack: s.ack,
          flags: s.flags,
          window: s.window,
          urgent: 0,
          options: s.options,
        },
        f,
        off,
      );
      if (dataLen > 0) s.from!.copyOut(s.off!, dataLen, f, off + hl);
      writeTcpChecksum(t.localIp, t.remoteIp, f, off, len);
    });
  }

  /** @internal A connection reached CLOSED. */
  release(conn: object): void {
    const s = conn as TcpSocket;
    const key = connKey(s.localIp, s.localPort, s.remoteIp, s.remotePort);
    if (this.conns.get(key) !== s) return;
    this.conns.delete(key);
    const n = (this.portUse.get(s.localPort) ?? 1) - 1;
    if (n > 0) this.portUse.set(s.localPort, n);
    else this.portUse.delete(s.localPort);
  }

  /** @internal */
  note(message: () => string): void {
    this.node.note(message);
  }

  /** @internal */
  drop(reason: DropReason, detail: string): void {
    this.node.drop(reason, this.current, undefined, detail);
  }

  // ---- receive ---------------------------------------------------------------------------------------

  private receive(frame: Uint8Array, ipLen: number, _dev: NetDev): void {
    const node = this.node;
    const ihl = (frame[IP_OFF]! & 0x0f) * 4;
    const off = IP_OFF + ihl;
    const len = ipLen - ihl;
    const src = readIpv4(frame, IP_OFF + IPV4_SRC_OFF);
    const dst = readIpv4(frame, IP_OFF + IPV4_DST_OFF);
    if (len >= 20 && !verifyTcpChecksum(src, dst, frame, off, len)) {
      node.drop('bad-checksum', frame, undefined, 'TCP checksum');
      return;
    }
    const parsed = parseTcp(frame.subarray(off, off + len));
    if (!parsed.ok) {
      node.drop('malformed', frame, undefined, `TCP ${parsed.error.field}: ${parsed.error.reason}`);
      return;
    }
    if (node.isBroadcast(dst)) {
      // RFC 1122 §4.2.3.10: a segment to a broadcast or multicast address is silently discarded
      node.drop('not-for-us', frame, undefined, `TCP to broadcast ${formatIpv4(dst)}`);
      return;
    }
    const seg = parsed.value;
    const conn = this.conns.get(connKey(dst, seg.dstPort, src, seg.srcPort));
    if (conn !== undefined) {
      this.current = frame;
      conn.segmentArrives(seg);
      this.current = undefined;
      return;
    }
    const l =
      this.listenersByPort.get(seg.dstPort) ??
      (this.everyPort !== undefined && (seg.flags & TCP_SYN) !== 0
        ? this.listen(seg.dstPort, this.everyPort)
        : undefined);
    if (l !== undefined) {
      this.listenArrives(l, seg, src, dst, frame);
      return;
    }
    node.drop('no-listener', frame, undefined, `TCP port ${seg.dstPort} closed`);
    this.sendReset(seg, dst, src);
  }

  /** RFC 9293 §3.10.7.2: a segment for a listener. */
  private listenArrives(l: TcpListener, seg: TcpSegment, src: Ipv4, dst: Ipv4, frame: Uint8Array): void {
    const node = this.node;
    if (seg.flags & TCP_RST) {
      node.drop('tcp-state', frame, undefined, `TCP RST to listener ${l.port}`);
      return;
    }
    if (seg.flags & TCP_ACK) {
      node.drop('tcp-state', frame, undefined, `TCP ACK to listener ${l.port} without a connection: RST`);
      this.sendReset(seg, dst, src);
      return;
    }
    if ((seg.flags & TCP_SYN) === 0) {
      node.drop('tcp-state', frame, undefined, `TCP segment without SYN to listener ${l.port}`);
      return;
    }
    if (l.full) {
      // Linux drops the SYN (ListenOverflows); the client's SYN retransmission tries again later
      node.drop('listen-overflow', frame, undefined, `TCP listener ${l.port}: backlog ${l.backlog} full`);
      return;
    }
    const path = this.pathTo(src);
    const s = new TcpSocket(this, node.engine, dst, seg.dstPort, src, seg.srcPort, l.config, path?.mtu ?? 1500, l);
    this.conns.set(connKey(dst, seg.dstPort, src, seg.srcPort), s);
    this.portUse.set(seg.dstPort, (this.portUse.get(seg.dstPort) ?? 0) + 1);
    l.halfOpened();
    s.openPassive(seg);
  }

  /** RFC 9293 §3.10.7.1: the reset for a segment that belongs to no connection (never for a RST). */
  private sendReset(seg: TcpSegment, local: Ipv4, remote: Ipv4): void {
    if (seg.flags & TCP_RST) return;
    const segLen = seg.payload.length + (seg.flags & TCP_SYN ? 1 : 0) + (seg.flags & TCP_FIN ? 1 : 0);
    const withAck = (seg.flags & TCP_ACK) === 0;
    this.resetsSent++;
    this.node.note(() => `TCP ${formatIpv4(remote)}:${seg.srcPort} -> port ${seg.dstPort}: no connection, sending RST`);
    this.transmit(
      { localIp: local, localPort: seg.dstPort, remoteIp: remote, remotePort: seg.srcPort },
      withAck
        ? { seq: 0, ack: (seg.seq + segLen) >>> 0, flags: TCP_RST | TCP_ACK, window: 0, options: [] }
        : { seq: seg.ack, ack: 0, flags: TCP_RST, window: 0, options: [] },
    );
  }

  /** ICMP destination unreachable quoting one of our segments goes to its connection. */
  private icmp(ev: IcmpEvent): void {
    const m = ev.message;
    if (m.kind !== 'unreachable') return;
    const q = m.original;
    if (q.length < 20 || q[9] !== IPPROTO_TCP) return;
    const ihl = (q[0]! & 0x0f) * 4;
    if (q.length < ihl + 8) return;
    const conn = this.conns.get(connKey(readIpv4(q, 12), readU16(q, ihl), readIpv4(q, 16), readU16(q, ihl + 2)));
    conn?.icmpUnreachable(m.code, m.nextHopMtu);
  }

  // ---- helpers ---------------------------------------------------------------------------------------

  /** Source address and interface MTU toward `dst`, as the node's routing would choose; undefined: no route. */
  private pathTo(dst: Ipv4): { src: Ipv4; mtu: number } | undefined {
    const node = this.node;
    if (node.isLocal(dst)) return { src: dst, mtu: LOOPBACK_MTU };
    const route = node.routes.lookup(dst);
    if (route === undefined) return undefined;
    const dev = node.dev(route.dev);
    if (dev === undefined) return undefined;
    return { src: route.src ?? node.sourceFor(dev, route.via ?? dst), mtu: dev.mtu };
  }

  private portFree(p: number): boolean {
    return !this.portUse.has(p) && !this.listenersByPort.has(p);
  }

  /**
   * connect()'s source port, as __inet_hash_connect (net/ipv4/inet_hashtables.c) picks it in
   * ip_local_port_range 32768-60999: from an offset per destination (Linux: a keyed hash of the addresses
   * and port, secure_ipv4_port_ephemeral; here a draw from the node's stream on first use) plus a
   * perturbation that moves on after each connect by the ports tried plus a random 0-7 steps, it tries the
   * even ports first (the parity of the range's low end; bind(0) prefers odd ones), then the odd ones.
   */
  private pickConnectPort(dst: Ipv4, dport: number): number {
    const key = `${dst}:${dport}`;
    let st = this.portOffsets.get(key);
    if (st === undefined) {
      st = { offset: this.portRng.nextU32(), perturb: 0 };
      this.portOffsets.set(key, st);
    }
    const offset = ((st.offset + st.perturb) % EPHEMERAL_COUNT) & ~1;
    for (let parity = 0; parity < 2; parity++) {
      for (let i = 0; i < EPHEMERAL_COUNT; i += 2) {
        const p = EPHEMERAL_LOW + ((offset + parity + i) % EPHEMERAL_COUNT);
        if (!this.portFree(p)) continue;
        st.perturb += Math.max(i, this.portRng.int(8) * 2) + 2;
        return p;
      }
    }
    throw new Error(`${this.node.name}: no ephemeral TCP port left`);
  }

  /** listen(0)'s port: random, odd ports first (inet_csk_find_open_port, net/ipv4/inet_connection_sock.c). */
  private pickBindPort(): number {
    const offset = this.portRng.int(EPHEMERAL_COUNT) | 1;
    for (let parity = 0; parity < 2; parity++)
      for (let i = 0; i < EPHEMERAL_COUNT; i += 2) {
        const p = EPHEMERAL_LOW + ((offset - parity + i) % EPHEMERAL_COUNT);
        if (this.portFree(p)) return p;
      }
    throw new Error(`${this.node.name}: no ephemeral TCP port left`);
  }
}

/** Linux's default net.ipv4.ip_local_port_range: 32768-60999 (28232 ports, an even count). */
const EPHEMERAL_LOW = 32768;
const EPHEMERAL_COUNT = 60999 - 32768 + 1;

function connKey(localIp: Ipv4, localPort: number, remoteIp: Ipv4, remotePort: number): string {
  return `${localIp}:${localPort}:${remoteIp}:${remotePort}`;
}
