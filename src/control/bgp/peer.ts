/**
 * One configured BGP neighbour: its FSM (fsm.ts) run over up to two connections at once, ours and theirs,
 * with RFC 4271 §6.8 collision detection between them; the ConnectRetry and restart timers; and what the
 * session negotiated. Routes are the speaker's business: the peer tells its host when the session comes
 * up, goes down, and what UPDATE or ROUTE-REFRESH arrived.
 */
import type { Engine, Timer } from '../../sim/engine.js';
import { SECOND } from '../../sim/engine.js';
import { type Ipv4, formatIpv4 } from '../../wire/addr.js';
import {
  AFI_IPV4,
  BGP_ERR,
  BGP_OPEN_SUBCODE,
  BGP_VERSION,
  type BgpCapability,
  type BgpNotificationFields,
  type BgpOpen,
  type BgpParsed,
  type BgpResult,
  SAFI_UNICAST,
  checkOpen,
  notificationText,
} from '../../wire/bgp.js';
import type { RouteSource } from './best-path.js';
import { type BgpState, type FsmEvent, type NotifyCode, NOTIFY_CEASE_COLLISION, fsmTransition } from './fsm.js';
import { AdjRibIn, PendingOut } from './rib.js';
import { BgpConnection, type ConnectionOwner } from './session.js';
import type { BgpConnectResult, BgpConnector, BgpTransport } from './transport.js';
import type { PathAttributes } from '../../wire/bgp.js';
import type { BgpAttrIntern } from '../../wire/bgp-attr-intern.js';

/** A neighbour's configuration (BIRD's `protocol bgp NAME { neighbor ADDR as ASN; ... }`). */
export interface BgpPeerConfig {
  /** The neighbour's address. */
  address: Ipv4;
  /** Its AS: equal to ours makes it iBGP. */
  asn: number;
  /** Its TCP port (default 179). */
  port?: number;
  /** Never connect; wait for the neighbour to (BIRD `passive on`). */
  passive?: boolean;
  /** A route-reflector client of ours (RFC 4456; BIRD `rr client`). */
  rrClient?: boolean;
  /** Our address for the session (BIRD `source address`). */
  sourceAddress?: Ipv4;
  /** The protocol's name as BIRD shows it, e.g. "Mesh_172_171_5_96" (default "peer_<a_b_c_d>"). */
  name?: string;
  /** Our Hold Time for this neighbour, seconds (default the speaker's). */
  holdTime?: number;
}

/** Timers and identity a peer takes from its speaker. */
export interface PeerHost {
  readonly engine: Engine;
  readonly connector: BgpConnector;
  readonly routerId: Ipv4;
  readonly asn: number;
  readonly timers: BgpTimers;
  /** Where the sessions' UPDATE parses share attribute sets (one table per simulation). */
  readonly attrIntern?: BgpAttrIntern;
  log(line: string): void;
  /** RFC 4271 §10 jitter: `ns` scaled by a random factor in [0.75, 1] (or unchanged when jitter is off). */
  jitter(ns: number): number;
  /** The session reached Established: send the peer our table. */
  established(peer: BgpPeer): void;
  /** The Established session ended: forget the peer's routes. */
  down(peer: BgpPeer): void;
  /** An UPDATE arrived on the Established session (RFC 7606 findings included). */
  update(peer: BgpPeer, parsed: BgpParsed): void;
  /** A ROUTE-REFRESH arrived: send the Adj-RIB-Out again (RFC 2918 §4). */
  refresh(peer: BgpPeer): void;
  /** The peer's state changed. */
  stateChanged(peer: BgpPeer): void;
}

/** Timer values in seconds; BIRD 2's defaults (proto/bgp/config.Y) unless the speaker is told otherwise. */
export interface BgpTimers {
  /** Proposed Hold Time (BIRD `hold time` 240). */
  holdTime: number;
  /** Hold Time while waiting for the OPEN (RFC 4271 §8.2.2 "large value", 4 minutes; BIRD `startup hold time` 240). */
  initialHoldTime: number;
  /** Between connection attempts (RFC 4271 §10 ConnectRetryTime 120; BIRD `connect retry time` 120). */
  connectRetryTime: number;
  /** From start to the first connect (BIRD `connect delay time` 5). */
  connectDelayTime: number;
  /** After a failure, before restarting; doubles per consecutive failure (BIRD `error wait time` 60,300). */
  errorWaitMin: number;
  errorWaitMax: number;
  /** Failures further apart than this do not lengthen the wait (BIRD `error forget time` 300). */
  errorForgetTime: number;
}

/** BIRD 2.0's timer defaults. */
export const BIRD_TIMERS: BgpTimers = {
  holdTime: 240,
  initialHoldTime: 240,
  connectRetryTime: 120,
  connectDelayTime: 5,
  errorWaitMin: 60,
  errorWaitMax: 300,
  errorForgetTime: 300,
};

/** BIRD's default protocol name for a neighbour address: "peer_10_0_0_1" (podnet's; Calico names its own). */
export function defaultPeerName(addr: Ipv4): string {
  return `peer_${formatIpv4(addr).replaceAll('.', '_')}`;
}

/** A configured neighbour and its session. */
export class BgpPeer implements RouteSource, ConnectionOwner {
  readonly local = false;
  readonly ebgp: boolean;
  readonly peerAddr: Ipv4;
  peerBgpId = 0;
  readonly name: string;
  readonly port: number;
  /** The session state as shown (the most advanced connection's, else Idle/Connect/Active). */
  state: BgpState = 'Idle';
  /** Sim time of the last state change. */
  since: number;
  /** The last error, as BIRD's "Last error" line: "Hold timer expired", "Received: Cease / ...". */
  lastError = '';
  readonly adjIn = new AdjRibIn();
  /** What we advertised and with which attributes (RFC 4271 §3.2 Adj-RIB-Out). */
  readonly adjOut = new Map<number, PathAttributes>();
  /** Changes waiting for the next flush: attributes to announce, null to withdraw. */
  readonly pendingOut = new PendingOut();
  /** @internal On its speaker's list of peers to flush. */
  dirty = false;
  /** The session's connection once Established. */
  session: BgpConnection | undefined;
  /** Peer-level state while no connection has an OPEN exchange going. */
  private waitState: 'Idle' | 'Connect' | 'Active' = 'Idle';
  private readonly conns: BgpConnection[] = [];
  private connectRetry: Timer | undefined;
  private restartTimer: Timer | undefined;
  private attempt = 0;
  private failures = 0;
  private lastFailure: number | undefined;
  private stopped = false;

  constructor(
    private readonly host: PeerHost,
    readonly config: BgpPeerConfig,
  ) {
    this.ebgp = config.asn !== host.asn;
    this.peerAddr = config.address;
    this.name = config.name ?? defaultPeerName(config.address);
    this.port = config.port ?? 179;
    this.since = host.engine.now;
  }

  /** Route-reflector client (RFC 4456). */
  get rrClient(): boolean {
    return this.config.rrClient === true;
  }

  /** Our address on the Established session (NEXT_HOP self), else the configured source address. */
  get localAddress(): Ipv4 | undefined {
    return this.session?.transport.local.addr ?? this.config.sourceAddress;
  }

  /** The negotiated Hold Time and Keepalive (seconds) of the Established session. */
  get timers(): { hold: number; keepalive: number } | undefined {
    return this.session === undefined
      ? undefined
      : { hold: this.session.holdTime, keepalive: this.session.keepaliveTime };
  }

  /** Starts the session (BIRD starts a protocol after `connect delay time`; a passive one just listens). */
  start(): void {
    this.stopped = false;
    const delay = this.host.timers.connectDelayTime;
    if (this.config.passive !== true && delay === 0) {
      this.event(undefined, 'Start');
      return;
    }
    // BIRD waits `connect delay time` in Active before its first connect; the peer's connect may come first
    this.event(undefined, 'StartPassive');
    if (this.config.passive !== true) this.startConnectRetry(delay, true);
  }

  /** ManualStop (RFC 4271 §8.1.2 Event 2): Cease `notify` on every open connection, then Idle for good. */
  stop(notify: NotifyCode): void {
    this.stopped = true;
    this.restartTimer?.cancel();
    this.restartTimer = undefined;
    for (const c of [...this.conns]) this.event(c, 'ManualStop', notify);
    this.event(undefined, 'ManualStop');
  }

  /** A connection the speaker accepted from this neighbour. */
  accepted(t: BgpTransport): void {
    // RFC 4271 §8.2.2: Idle refuses connections; a third connection has no FSM to go to
    if (this.state === 'Idle' || this.conns.length >= 2 || this.conns.some((c) => !c.outgoing)) {
      t.close();
      return;
    }
    this.connectionUp(t, false);
  }

  // ---- the FSM -----------------------------------------------------------------------------------------

  /** Runs `event` on connection `conn` (undefined: the peer-level part: Idle, Connect, Active). */
  private event(
    conn: BgpConnection | undefined,
    event: FsmEvent,
    eventNotify?: BgpNotificationFields | NotifyCode,
  ): void {
    const from = conn?.state ?? this.waitState;
    const t = fsmTransition(from, event);
    // a connection going down while the other one lives on (collision) leaves the peer's state alone
    const others = conn === undefined ? this.conns.length : this.conns.length - 1;
    for (const a of t.actions) {
      switch (a) {
        case 'connect':
          this.connect();
          break;
        case 'drop-connection':
          if (conn !== undefined) this.dropConnection(conn);
          else this.attempt++; // a connect still in flight is abandoned; its result is ignored
          break;
        case 'send-open':
          conn?.send(this.openMessage());
          break;
        case 'send-keepalive':
          conn?.sendKeepalive();
          break;
        case 'send-notification':
          // ManualStop's Cease subcode is the caller's (Administrative Shutdown, Peer De-configured, ...)
          this.sendNotification(conn, event === 'ManualStop' ? (eventNotify ?? t.notify) : (t.notify ?? eventNotify));
          break;
        case 'start-connect-retry':
          // BIRD retries a refused connect after `connect delay time`, not the full ConnectRetryTime
          if (others === 0 || conn === undefined)
            this.startConnectRetry(
              event === 'TcpConnectionFails' ? this.host.timers.connectDelayTime : this.host.timers.connectRetryTime,
            );
          break;
        case 'stop-connect-retry':
          if (others === 0 || t.next !== 'Idle') this.stopConnectRetry();
          break;
        case 'hold-large':
          conn?.setHold(this.host.timers.initialHoldTime);
          break;
        case 'hold-negotiated':
          if (conn !== undefined) this.negotiate(conn);
          break;
        case 'restart-hold':
          conn?.heard();
          break;
        case 'restart-keepalive':
          conn?.restartKeepalive();
          break;
        case 'process-update':
        case 'established':
          // done by the caller once the state is set (the host reads it)
          break;
        case 'release':
          if (conn !== undefined && conn === this.session) this.release();
          break;
        case 'schedule-restart':
          if (others === 0 && !this.stopped) this.scheduleRestart();
          break;
      }
    }
    if (conn !== undefined) {
      conn.state = t.next;
      if (t.next === 'Idle' || t.next === 'Active' || t.next === 'Connect') {
        this.dropConnection(conn);
        if (others === 0) this.waitState = t.next;
      }
      if (t.actions.includes('established')) {
        this.session = conn;
        this.peerBgpId = conn.remoteOpen?.bgpId ?? 0;
      }
    } else {
      this.waitState = t.next === 'Idle' || t.next === 'Connect' || t.next === 'Active' ? t.next : this.waitState;
    }
    this.refreshState();
    if (conn !== undefined && t.actions.includes('established')) this.host.established(this);
  }

  private refreshState(): void {
    let s: BgpState = this.waitState;
    const rank = (x: BgpState): number =>
      x === 'Established' ? 3 : x === 'OpenConfirm' ? 2 : x === 'OpenSent' ? 1 : 0;
    for (const c of this.conns) if (rank(c.state) > rank(s)) s = c.state;
    if (s !== this.state) {
      const before = this.state;
      this.state = s;
      this.since = this.host.engine.now;
      this.host.log(`${this.name}: ${before} -> ${s}`);
      this.host.stateChanged(this);
    }
  }

  private connect(): void {
    const id = ++this.attempt;
    this.host.connector.connect(this.config.address, this.port, this.config.sourceAddress, (r: BgpConnectResult) => {
      if (id !== this.attempt) {
        if (r.ok) r.transport.close();
        return;
      }
      if (!r.ok) {
        this.host.log(`${this.name}: connect to ${formatIpv4(this.config.address)}:${this.port} failed: ${r.error}`);
        this.lastError = `Socket: ${r.error}`;
        if (this.conns.length === 0) this.event(undefined, 'TcpConnectionFails');
        return;
      }
      this.connectionUp(r.transport, true);
    });
  }

  private connectionUp(t: BgpTransport, outgoing: boolean): void {
    if (this.conns.some((c) => c.state === 'Established')) {
      // RFC 4271 §6.8: a collision with an Established session closes the new connection
      const c = new BgpConnection(this.host.engine, t, outgoing, this, 'Active');
      c.send({ type: 'notification', ...NOTIFY_CEASE_COLLISION, data: new Uint8Array(0) });
      c.close();
      return;
    }
    const conn = new BgpConnection(
      this.host.engine,
      t,
      outgoing,
      this,
      this.conns.length === 0 ? this.waitState : 'Active',
    );
    this.conns.push(conn);
    if (conn.state === 'Idle') conn.state = 'Active';
    this.event(conn, 'TcpConnectionConfirmed');
  }

  /**
   * An error other than Cease on `conn` stops the whole protocol in BIRD, not one connection
   * (bgp_rx_notification and bgp_error call bgp_stop when code != 6): the other connection of a collision
   * is closed too, with a Cease NOTIFICATION once it has sent an OPEN (bgp_graceful_close_conn), so the
   * peer goes Idle and waits out its error delay instead of carrying on with the other connection.
   */
  private stopOthers(conn: BgpConnection): void {
    for (const c of this.conns.filter((x) => x !== conn)) {
      if (c.state === 'OpenSent' || c.state === 'OpenConfirm' || c.state === 'Established')
        c.send({ type: 'notification', code: 6, subcode: 0, data: new Uint8Array(0) });
      if (c === this.session) this.release();
      this.dropConnection(c);
    }
  }

  private dropConnection(conn: BgpConnection): void {
    conn.close();
    const i = this.conns.indexOf(conn);
    if (i >= 0) this.conns.splice(i, 1);
  }

  private release(): void {
    this.session = undefined;
    this.host.down(this);
  }

  private sendNotification(conn: BgpConnection | undefined, n: BgpNotificationFields | NotifyCode | undefined): void {
    if (conn === undefined || n === undefined) return;
    const data = 'data' in n ? n.data : new Uint8Array(0);
    conn.send({ type: 'notification', code: n.code, subcode: n.subcode, data });
    // a collision loser is routine, not the session's last error
    if (
      n.code !== NOTIFY_CEASE_COLLISION.code ||
      n.subcode !== NOTIFY_CEASE_COLLISION.subcode ||
      this.conns.length <= 1
    )
      this.lastError = n.code === 4 ? 'Hold timer expired' : `Sent: ${notificationText(n.code, n.subcode)}`;
  }

  /**
   * Arms the ConnectRetry timer. It is a background timer (a neighbour that never answers must not keep an
   * otherwise idle network running), except the first connect after a start, which is real work to come.
   */
  private startConnectRetry(seconds = this.host.timers.connectRetryTime, foreground = false): void {
    this.connectRetry?.cancel();
    const fire = (): void => {
      this.connectRetry = undefined;
      if (this.conns.length === 0 && !this.config.passive) this.event(undefined, 'ConnectRetryTimerExpires');
    };
    const e = this.host.engine;
    const ns = this.host.jitter(seconds * SECOND);
    this.connectRetry = foreground ? e.timer(ns, fire) : e.backgroundTimer(ns, fire);
  }

  private stopConnectRetry(): void {
    this.connectRetry?.cancel();
    this.connectRetry = undefined;
  }

  private scheduleRestart(): void {
    const t = this.host.timers;
    // BIRD bgp_update_startup_delay: failures `error forget time` or more apart start a new sequence
    const now = this.host.engine.now;
    if (this.lastFailure !== undefined && now - this.lastFailure >= t.errorForgetTime * SECOND) this.failures = 0;
    this.lastFailure = now;
    const wait = Math.min(t.errorWaitMax, t.errorWaitMin * 2 ** Math.min(this.failures, 16));
    this.failures++;
    this.restartTimer?.cancel();
    this.restartTimer = this.host.engine.backgroundTimer(this.host.jitter(wait * SECOND), () => {
      this.restartTimer = undefined;
      if (!this.stopped && this.state === 'Idle') this.start();
    });
  }

  private openMessage(): BgpOpen {
    const capabilities: BgpCapability[] = [
      { kind: 'multiprotocol', afi: AFI_IPV4, safi: SAFI_UNICAST },
      { kind: 'route-refresh' },
      { kind: 'four-octet-as', as: this.host.asn },
    ];
    return {
      type: 'open',
      version: BGP_VERSION,
      myAs: this.host.asn,
      holdTime: this.config.holdTime ?? this.host.timers.holdTime,
      bgpId: this.host.routerId,
      capabilities,
    };
  }

  /** RFC 4271 §4.2: Hold Time is the smaller of the two; Keepalive a third of it (BIRD: hold / 3). */
  private negotiate(conn: BgpConnection): void {
    const theirs = conn.remoteOpen?.holdTime ?? 0;
    const hold = Math.min(theirs, this.config.holdTime ?? this.host.timers.holdTime);
    conn.holdTime = hold;
    conn.keepaliveTime = Math.floor(hold / 3);
    conn.setHold(hold);
    const fourOctetAs = conn.remoteOpen?.capabilities.some((c) => c.kind === 'four-octet-as') === true;
    const intern = this.host.attrIntern;
    conn.ctx = intern === undefined ? { fourOctetAs } : { fourOctetAs, attrIntern: intern };
  }

  /** Capabilities the peer sent on the Established session. */
  hasCapability(kind: BgpCapability['kind']): boolean {
    return this.session?.remoteOpen?.capabilities.some((c) => c.kind === kind) === true;
  }

  // ---- ConnectionOwner ------------------------------------------------------------------------------------

  /** @internal A message or parse error on `conn`. */
  message(conn: BgpConnection, r: BgpResult<BgpParsed>): void {
    if (!r.ok) {
      const n = r.error.notification;
      this.host.log(
        `${this.name}: bad message (${r.error.field}: ${r.error.reason}): ${notificationText(n.code, n.subcode)}`,
      );
      this.stopOthers(conn);
      const ev: FsmEvent =
        n.code === BGP_ERR.OPEN_MESSAGE
          ? 'BgpOpenMsgErr'
          : n.code === BGP_ERR.MESSAGE_HEADER
            ? 'BgpHeaderErr'
            : 'UpdateMsgErr';
      this.event(conn, ev, n);
      return;
    }
    const m = r.value.message;
    switch (m.type) {
      case 'open':
        this.receiveOpen(conn, m);
        return;
      case 'keepalive':
        this.event(conn, 'KeepAliveMsg');
        return;
      case 'notification': {
        const text = `Received: ${notificationText(m.code, m.subcode)}`;
        // the losing side of a collision is routine while the other connection lives on
        const routine = m.code === NOTIFY_CEASE_COLLISION.code && m.subcode === NOTIFY_CEASE_COLLISION.subcode;
        if (!routine || this.conns.length <= 1) this.lastError = text;
        this.host.log(`${this.name}: ${text}`);
        if (!routine && m.code !== NOTIFY_CEASE_COLLISION.code) this.stopOthers(conn);
        const verErr = m.code === BGP_ERR.OPEN_MESSAGE && m.subcode === BGP_OPEN_SUBCODE.UNSUPPORTED_VERSION_NUMBER;
        this.event(conn, verErr ? 'NotifMsgVerErr' : 'NotifMsg');
        return;
      }
      case 'update': {
        if (conn.state !== 'Established') {
          this.event(conn, 'UpdateMsg');
          return;
        }
        const severe = r.value.action === 'session-reset' || r.value.action === 'afi-safi-disable';
        if (severe) {
          // RFC 7606 §2: session reset; AFI/SAFI disable of our only family (RFC 4760 §7) is the same
          const err = r.value.attrErrors.find((e) => e.action === r.value.action) ?? r.value.attrErrors[0];
          this.host.update(this, r.value); // counted there
          this.event(conn, 'UpdateMsgErr', err);
          return;
        }
        // Established + UpdateMsg: process it and restart the Hold timer (the FSM row, without the lookup)
        conn.heard();
        this.host.update(this, r.value);
        return;
      }
      case 'route-refresh':
        if (conn.state !== 'Established') {
          this.event(conn, 'UpdateMsg');
          return;
        }
        conn.heard();
        if (m.afi === AFI_IPV4 && m.safi === SAFI_UNICAST) this.host.refresh(this);
        return;
    }
  }

  private receiveOpen(conn: BgpConnection, open: BgpOpen): void {
    const bad = checkOpen(open, { peerAs: this.config.asn, localBgpId: this.host.routerId, localAs: this.host.asn });
    if (bad !== undefined) {
      this.stopOthers(conn);
      this.event(conn, 'BgpOpenMsgErr', bad.notification);
      return;
    }
    conn.remoteOpen = open;
    // RFC 4271 §6.8: the connection initiated by the speaker with the higher BGP Identifier survives
    const other = this.conns.find((c) => c !== conn);
    if (other !== undefined && conn.state === 'OpenSent') {
      if (other.state === 'Established') {
        this.event(conn, 'OpenCollisionDump');
        return;
      }
      const keepOutgoing = this.host.routerId >>> 0 > open.bgpId >>> 0;
      const loser = conn.outgoing === keepOutgoing ? other : conn;
      this.host.log(`${this.name}: connection collision, closing the ${loser.outgoing ? 'outgoing' : 'incoming'} one`);
      this.event(loser, 'OpenCollisionDump');
      if (loser === conn) return;
    }
    this.event(conn, 'BgpOpen');
  }

  /** @internal */
  closed(conn: BgpConnection, reason: string): void {
    if (this.conns.includes(conn)) {
      if (conn.state === 'Established' || this.lastError === '') this.lastError = `Socket: ${reason}`;
      this.event(conn, 'TcpConnectionFails');
    }
  }

  /** @internal */
  holdExpired(conn: BgpConnection): void {
    this.host.log(`${this.name}: hold timer expired`);
    this.event(conn, 'HoldTimerExpires');
  }

  /** @internal */
  keepaliveDue(conn: BgpConnection): void {
    this.event(conn, 'KeepaliveTimerExpires');
  }
}
