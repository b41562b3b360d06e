/**
 * One BGP connection: frames the transport's byte stream into messages (RFC 4271 §4.1: a 19-byte header
 * whose Length delimits each message), sends messages with the encoding the session negotiated, and
 * keeps the connection's Hold and Keepalive timers (RFC 4271 §10). The FSM decisions are fsm.ts and
 * peer.ts; this file never changes state on its own, it reports to its owner.
 */
import type { Engine, Timer } from '../../sim/engine.js';
import { SECOND } from '../../sim/engine.js';
import {
  type BgpCodecCtx,
  type BgpMessage,
  type BgpParsed,
  type BgpResult,
  bgpMessageLength,
  emitBgpMessage,
  parseBgpMessage,
} from '../../wire/bgp.js';
import type { BgpState } from './fsm.js';
import type { BgpTransport } from './transport.js';

/** What a connection reports to its owner. */
export interface ConnectionOwner {
  /** A message, or the parse error with the NOTIFICATION to answer. */
  message(conn: BgpConnection, result: BgpResult<BgpParsed>): void;
  /** The transport closed under us (peer FIN or reset, network failure). */
  closed(conn: BgpConnection, reason: string): void;
  /** The Hold timer ran out. */
  holdExpired(conn: BgpConnection): void;
  /** Time to send a KEEPALIVE. */
  keepaliveDue(conn: BgpConnection): void;
}

// the KEEPALIVE never changes: 16 0xff, Length 19, Type 4 (RFC 4271 §4.4)
const KEEPALIVE: BgpMessage = { type: 'keepalive' };

/** A transport carrying one BGP connection, with its framing and timers. */
export class BgpConnection {
  /** This connection's FSM state (RFC 4271 §6.8: each connection has its own until collisions resolve). */
  state: BgpState;
  /** The peer's OPEN, once received. */
  remoteOpen: import('../../wire/bgp.js').BgpOpen | undefined;
  /** The negotiated encoding (4-octet AS once both sides advertised it). */
  ctx: BgpCodecCtx = { fourOctetAs: false };
  /** Negotiated Hold Time and Keepalive interval, seconds (0: none). */
  holdTime = 0;
  keepaliveTime = 0;
  /** Bytes sent and messages sent/received, for status. */
  messagesIn = 0;
  messagesOut = 0;
  private pending: Uint8Array = new Uint8Array(0);
  private pendingOff = 0;
  private holdNs = 0;
  private lastHeard = 0;
  private holdTimer: Timer | undefined;
  private keepaliveTimer: Timer | undefined;
  private open = true;

  constructor(
    private readonly engine: Engine,
    readonly transport: BgpTransport,
    /** True when this side connected (false: accepted). */
    readonly outgoing: boolean,
    private readonly owner: ConnectionOwner,
    initial: BgpState,
  ) {
    this.state = initial;
    transport.onData((bytes) => this.receive(bytes));
    transport.onClose((reason) => {
      if (!this.open) return;
      this.stopTimers();
      this.open = false;
      owner.closed(this, reason);
    });
  }

  /** Still open (not closed by either side). */
  get isOpen(): boolean {
    return this.open;
  }

  /** Sends a message (ignored once closed). */
  send(msg: BgpMessage): void {
    if (!this.open) return;
    this.transport.write(emitBgpMessage(msg, this.ctx));
    this.messagesOut++;
  }

  /** Sends already encoded bytes (an UPDATE built once for several peers). */
  sendBytes(bytes: Uint8Array): void {
    if (!this.open) return;
    this.transport.write(bytes);
    this.messagesOut++;
  }

  /** Sends a KEEPALIVE. */
  sendKeepalive(): void {
    this.send(KEEPALIVE);
  }

  /** Closes the transport (after what was sent); no more reports. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.stopTimers();
    this.transport.close();
  }

  /** Starts (or restarts) the Hold timer for `seconds` from now; 0 stops it (RFC 4271 §4.2). */
  setHold(seconds: number): void {
    this.holdNs = seconds * SECOND;
    this.lastHeard = this.engine.now;
    this.holdTimer?.cancel();
    this.holdTimer = undefined;
    if (seconds > 0) this.armHold(this.holdNs);
  }

  /** Restarts the Hold timer: a KEEPALIVE or UPDATE arrived (RFC 4271 §8.2.2). Allocation-free. */
  heard(): void {
    this.lastHeard = this.engine.now;
  }

  /** (Re)starts the periodic Keepalive timer at `keepaliveTime` (0: none). */
  restartKeepalive(): void {
    this.keepaliveTimer?.cancel();
    this.keepaliveTimer = undefined;
    if (this.keepaliveTime > 0 && this.open) {
      // a background timer: a converged network whose only work is keepalives counts as idle
      this.keepaliveTimer = this.engine.backgroundTimer(this.keepaliveTime * SECOND, () => {
        this.keepaliveTimer = undefined;
        this.owner.keepaliveDue(this);
      });
    }
  }

  private armHold(delay: number): void {
    this.holdTimer = this.engine.backgroundTimer(delay, () => {
      this.holdTimer = undefined;
      // the deadline moves with every message heard; re-arm for the rest instead of a timer per message
      const left = this.lastHeard + this.holdNs - this.engine.now;
      if (left > 0) this.armHold(left);
      else this.owner.holdExpired(this);
    });
  }

  private stopTimers(): void {
    this.holdTimer?.cancel();
    this.keepaliveTimer?.cancel();
    this.holdTimer = undefined;
    this.keepaliveTimer = undefined;
  }

  /** RFC 4271 §4.1 framing: whole messages go to the owner, a partial one waits for more bytes. */
  private receive(chunk: Uint8Array): void {
    if (!this.open) return;
    let buf: Uint8Array;
    if (this.pendingOff >= this.pending.length) buf = chunk;
    else {
      buf = new Uint8Array(this.pending.length - this.pendingOff + chunk.length);
      buf.set(this.pending.subarray(this.pendingOff), 0);
      buf.set(chunk, this.pending.length - this.pendingOff);
    }
    let off = 0;
    while (this.open) {
      const len = bgpMessageLength(buf, off);
      if (len === undefined || buf.length - off < len) break;
      // the parser sees no byte past this message
      const result = parseBgpMessage(buf, off, this.ctx, off + len);
      off += len;
      this.messagesIn++;
      this.owner.message(this, result);
    }
    this.pending = buf;
    this.pendingOff = off;
  }
}
