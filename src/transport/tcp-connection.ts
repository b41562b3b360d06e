/**
 * One TCP connection (RFC 9293) and the socket an application holds: opening, segment arrival
 * (§3.10.7: acceptability, RST, ACK processing, data and FIN), ICMP errors, TIME-WAIT and closing, and
 * the application API. Sending and the timers are in tcp-output.ts (the base class); the sequence spaces
 * in tcp-send.ts and tcp-receive.ts; demultiplexing, listeners and the wire belong to the stack.
 */
import { ICMP_FRAG_NEEDED, ICMP_PORT_UNREACH } from '../wire/icmp.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, tcpHeaderLength, type TcpOption, type TcpSegment } from '../wire/tcp.js';
import type { Engine } from '../sim/engine.js';
import { SECOND } from '../sim/engine.js';
import { DeadlineTimer } from './tcp-timer.js';
import { DEFAULT_PEER_MSS, FULL_OPTIONS, NO_OPTIONS, TcpOutput, type TcpSocketEvents } from './tcp-output.js';
import { TCPOLEN_TSTAMP_ALIGNED, readSynOptions, sackBlocksOf, timestampsOf } from './tcp-options.js';
import { LOCAL_SKB_OVERHEAD } from './tcp-rcvbuf.js';
import { DUP_THRESH } from './tcp-sack.js';
import type { TcpCloseReason, TcpConfig, TcpHost, TcpStats } from './tcp-types.js';

export type { TcpSocketEvents } from './tcp-output.js';

/** How a passive connection tells its listener about its fate (implemented by TcpListener). */
export interface AcceptQueue {
  /** The handshake completed. */
  established(s: TcpSocket): void;
  /** The half-open connection died before completing. */
  abandoned(s: TcpSocket): void;
}

/** RFC 7323 §5.5: TS.Recent older than this is invalid (Linux TCP_PAWS_24DAYS). */
const PAWS_24DAYS = 24 * 86400 * SECOND;

/** RFC 6298 §5.7: the RTO once data flows after a retransmitted SYN. */
const RTO_AFTER_SYN_LOSS = 3 * SECOND;

/** A TCP connection and the application's handle on it. */
export class TcpSocket extends TcpOutput {
  /** The connection closed in order while the application still had bytes to read. */
  private closePending = false;
  /** SO_KEEPALIVE is on; `probesOut` keepalive probes are unanswered (icsk_probes_out). */
  private keepAliveOn = false;
  private probesOut = 0;
  private keepAliveTimer: DeadlineTimer | undefined = undefined;
  /** close() was called: nobody reads any more (Linux: an orphaned socket, SOCK_DEAD). */
  private orphaned = false;
  private finWait2Timer: DeadlineTimer | undefined = undefined;
  /** In-order bytes for the application, emitted once the segment is processed. */
  private toDeliver: Uint8Array[] = [];
  /** The emptied array of the last delivery, reused for the next (none while a delivery runs). */
  private spareDeliver: Uint8Array[] | undefined = undefined;
  /** In-order data arrived and wants an ACK: at once ('now') or as ackCheck decides. */
  private ackDue: 'none' | 'check' | 'now' = 'none';
  /** @internal Built by TcpStack. `mtu` is the interface MTU toward the peer. */
  constructor(
    host: TcpHost,
    engine: Engine,
    localIp: number,
    localPort: number,
    remoteIp: number,
    remotePort: number,
    config: TcpConfig,
    mtu: number,
    private readonly acceptQueue: AcceptQueue | undefined,
  ) {
    super(host, engine, localIp, localPort, remoteIp, remotePort, config, mtu, acceptQueue !== undefined);
  }

  // ---- application API -------------------------------------------------------------------------------

  /** Adds an event listener. */
  on<K extends keyof TcpSocketEvents>(event: K, fn: TcpSocketEvents[K]): this {
    this.listeners[event].push(fn);
    return this;
  }

  /**
   * Queues bytes to send (copied). Returns false when more than `sndBuf` bytes are waiting, as a Node
   * stream does: the data is still queued, and 'drain' follows. Throws after end() or close (a caller bug).
   */
  write(bytes: Uint8Array): boolean {
    if (this.snd.finQueued || this.state === 'CLOSED' || this.state === 'TIME-WAIT') {
      throw new Error(`tcp ${this.name}: write after ${this.snd.finQueued ? 'end()' : 'close'}`);
    }
    this.snd.push(bytes);
    this.output();
    const ok = this.snd.buf.length < this.config.sndBuf;
    if (!ok) this.needDrain = true;
    return ok;
  }

  /** Sends FIN after the queued data: this side is done writing (RFC 9293 CLOSE). */
  end(): void {
    if (this.snd.finQueued || this.state === 'CLOSED' || this.state === 'TIME-WAIT') return;
    this.snd.finQueued = true;
    if (this.state === 'ESTABLISHED') this.setState('FIN-WAIT-1');
    else if (this.state === 'CLOSE-WAIT') this.setState('LAST-ACK');
    // in SYN-SENT / SYN-RECEIVED the FIN waits for the handshake (RFC 9293 §3.10.4)
    this.output();
  }

  /**
   * SO_KEEPALIVE: after `keepAliveTimeNs` without a segment from the peer, probe it every
   * `keepAliveIntervalNs`; after `keepAliveProbes` unanswered probes, reset and close with 'timeout'
   * (Linux tcp_keepalive_timer; 7200 s, 75 s, 9 probes by default).
   */
  setKeepAlive(enable: boolean): void {
    this.keepAliveOn = enable;
    if (!enable) this.keepAliveTimer?.clear();
    else if (this.synchronized) this.armKeepAlive();
  }

  /**
   * Closes the socket: FIN after the queued data, as end(), and the application reads no more (an
   * orphaned socket). Stuck in FIN-WAIT-2, it gives up after `finTimeoutNs` (tcp_fin_timeout, 60 s).
   */
  close(): void {
    this.orphaned = true;
    this.end();
  }

  /** Aborts the connection: RST to the peer where one is due (RFC 9293 ABORT), close reason 'aborted'. */
  destroy(): void {
    this.destroyWith('aborted');
  }

  /** Sends RST where one is due and closes with `reason`. */
  private destroyWith(reason: TcpCloseReason): void {
    const s = this.state;
    if (s === 'CLOSED') return;
    if (s === 'SYN-RECEIVED' || s === 'ESTABLISHED' || s === 'FIN-WAIT-1' || s === 'FIN-WAIT-2' || s === 'CLOSE-WAIT') {
      this.transmit({
        seq: this.snd.wire(this.snd.max),
        ack: this.rcv.wire(this.rcv.nxt),
        flags: TCP_RST | TCP_ACK,
        window: 0,
        options: FULL_OPTIONS,
      });
    }
    this.finish(reason);
  }

  /** Stops 'data' events; arriving bytes fill the receive buffer and the advertised window shrinks. */
  pause(): void {
    this.rcv.paused = true;
  }

  /** Delivers what was buffered while paused and reopens the window (sending a window update if it grew). */
  resume(): void {
    if (!this.rcv.paused) return;
    this.rcv.paused = false;
    this.emitUntilPaused(this.rcv.drain());
    this.maybeEmitEnd();
  }

  /** Bytes received but not yet delivered (while paused). */
  get bufferedBytes(): number {
    return this.rcv.unreadBytes;
  }

  /**
   * Sequence space received and not yet read, a FIN whose end of file the application has not had
   * included (Linux's rcv_nxt - copied_seq, `ss`'s Recv-Q: 1 in CLOSE-WAIT until the reader sees EOF).
   */
  get unreadSequence(): number {
    const r = this.rcv;
    return r.unreadBytes + (r.peerFin >= 0 && r.nxt > r.peerFin && !this.endEmitted ? 1 : 0);
  }

  /**
   * Sequence space written and not yet acknowledged, the SYN and FIN included (Linux's write_seq -
   * snd_una, `ss`'s Send-Q): 1 while a SYN waits for its ACK.
   */
  get unacknowledgedSequence(): number {
    const snd = this.snd;
    return snd.dataEnd + (snd.finQueued ? 1 : 0) - snd.una;
  }

  /** Bytes written and not yet acknowledged. */
  get pendingBytes(): number {
    return this.snd.buf.length;
  }

  /** Resolves when the handshake completes; rejects with a TcpError if it never does. */
  connected(): Promise<TcpSocket> {
    return new Promise((resolve, reject) => {
      if (this.everConnected) return resolve(this);
      if (this.closeEmitted) return reject(new TcpError(this.closeReason ?? 'closed'));
      this.on('connect', () => resolve(this));
      this.on('close', (r) => reject(new TcpError(r)));
    });
  }

  /** Resolves with the close reason once the socket closes. */
  closed(): Promise<TcpCloseReason> {
    return new Promise((resolve) => {
      if (this.closeEmitted) return resolve(this.closeReason ?? 'closed');
      this.on('close', resolve);
    });
  }

  /** Counters and estimator values. */
  get stats(): TcpStats {
    return {
      ...this.counters,
      rttSamples: this.rto.samples,
      srttNs: this.rto.srtt,
      rttvarNs: this.rto.rttvar,
      rtoNs: this.rto.rto,
      cwnd: this.cc.cwnd,
      ssthresh: this.cc.ssthresh,
      mss: this.snd.mss,
    };
  }

  // ---- opening ---------------------------------------------------------------------------------------

  /** @internal Active open: sends the SYN. `timeoutNs` bounds the whole handshake. */
  openActive(timeoutNs: number | undefined): void {
    this.setState('SYN-SENT');
    this.sendSyn(false);
    if (timeoutNs !== undefined) {
      this.connectTimer = new DeadlineTimer(this.engine, () => {
        if (this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED') this.finish('timeout');
      });
      this.connectTimer.set(timeoutNs);
    }
  }

  /** @internal Passive open: `syn` arrived at a listener. */
  openPassive(syn: TcpSegment): void {
    this.counters.segmentsReceived++;
    this.takeSynOptions(syn.options);
    this.rcv.synchronize(syn.seq, this.initialWindow(true));
    this.snd.wnd = this.snd.maxWnd = syn.window; // RFC 7323 §2.2: never scaled in a SYN
    this.setState('SYN-RECEIVED');
    this.sendSyn(true);
  }

  /**
   * Reads the peer's SYN or SYN-ACK: MSS, and which of window scale, timestamps and SACK both sides offer
   * (RFC 7323 §1.3, §3.2; RFC 2018 §2). With timestamps every segment carries 12 option bytes, so the
   * segment size is the MSS less 12 (Linux mss_cache), and the peer's TSval is the first TS.Recent.
   */
  private takeSynOptions(options: readonly TcpOption[]): void {
    const peer = readSynOptions(options);
    const cfg = this.config;
    this.tsOk = cfg.timestamps && peer.timestamps !== undefined;
    this.sackOk = cfg.sack && peer.sackPermitted;
    const tsLen = this.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0;
    this.snd.mss = Math.max(1, Math.min(this.advMss, peer.mss ?? DEFAULT_PEER_MSS) - tsLen);
    this.rcv.mem.advmss = Math.max(1, this.advMss - tsLen);
    this.cc.setMss(this.snd.mss);
    if (peer.timestamps !== undefined && this.tsOk) this.storeTsRecent(peer.timestamps.tsval);
    this.windowScaled = peer.wscale !== undefined && cfg.windowScaling;
    if (this.windowScaled) {
      this.snd.wscale = peer.wscale ?? 0;
    } else {
      this.snd.wscale = 0;
      this.rcv.wscale = 0;
    }
  }

  private storeTsRecent(tsval: number): void {
    this.tsRecent = tsval;
    this.tsRecentAt = this.engine.now;
  }

  /**
   * RFC 7323 §5.3 PAWS (Linux tcp_paws_discard): a segment whose TSval is older than TS.Recent (by more
   * than one tick, TCP_PAWS_WINDOW) is an old duplicate, unless TS.Recent is over 24 days old.
   */
  private pawsReject(tsval: number): boolean {
    if (this.tsRecentAt < 0) return false;
    if (this.engine.now - this.tsRecentAt > PAWS_24DAYS) return false;
    return ((this.tsRecent - tsval) | 0) > 1;
  }

  // ---- segment arrival (RFC 9293 §3.10.7) --------------------------------------------------------------

  /** @internal A segment for this connection, checksum verified. */
  segmentArrives(seg: TcpSegment): void {
    this.counters.segmentsReceived++;
    if (this.keepAliveOn && this.keepAliveTimer !== undefined) {
      // keepalive_time_elapsed counts from the last segment received
      this.probesOut = 0;
      this.keepAliveTimer.set(this.config.keepAliveTimeNs);
    }
    if (this.state === 'SYN-SENT') {
      this.synSentArrives(seg);
      return;
    }
    if (this.state === 'CLOSED') {
      this.drop('tcp-state', 'segment for a closed connection');
      return;
    }
    const flags = seg.flags;
    // Linux tcp_check_req: a retransmitted SYN in SYN-RECEIVED means our SYN-ACK was lost
    if (
      this.state === 'SYN-RECEIVED' &&
      (flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN &&
      seg.seq === this.rcv.irs
    ) {
      this.note(() => 'retransmitted SYN: SYN-ACK again');
      // inet_rtx_syn_ack -> tcp_rtx_synack: the request sock draws a new flow hash for it
      if (this.passive) this.rethinkTxHash();
      this.sendSyn(true);
      return;
    }
    // RFC 7323 §5.3 (before the sequence check, as tcp_validate_incoming): PAWS
    const ts = this.tsOk ? timestampsOf(seg.options) : undefined;
    this.segTsecr = ts?.tsecr ?? 0;
    if (ts !== undefined && (flags & TCP_RST) === 0 && this.pawsReject(ts.tsval)) {
      this.sendAck();
      this.drop('tcp-paws', `PAWS: TSval ${ts.tsval} older than TS.Recent ${this.tsRecent}`);
      return;
    }
    // step 1: sequence number acceptable?
    const a = this.rcv.accept(seg);
    if (a === undefined) {
      if ((flags & TCP_RST) === 0) this.sendAck();
      const seq = this.rcv.off(seg.seq);
      const len = seg.payload.length + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
      if (seq + len <= this.rcv.nxt) this.counters.duplicates++;
      if (this.state === 'TIME-WAIT' && flags & TCP_FIN) this.timeWaitTimer.set(2 * this.config.mslNs); // a retransmitted FIN
      this.drop(
        'out-of-window',
        `seq ${seg.seq} len ${len} outside RCV.NXT ${this.rcv.wire(this.rcv.nxt)} window ${this.rcv.window}`,
      );
      return;
    }
    // RFC 7323 §4.3: TS.Recent follows segments that cover Last.ACK.sent
    if (ts !== undefined && this.rcv.off(seg.seq) <= this.lastAckSent) this.storeTsRecent(ts.tsval);
    // step 2: RST (RFC 5961 §3: only an exact match resets; other in-window RSTs get a challenge ACK)
    if (flags & TCP_RST) {
      if (this.rcv.off(seg.seq) !== this.rcv.nxt) {
        this.sendAck();
        this.drop('out-of-window', 'RST not at RCV.NXT: challenge ACK (RFC 5961)');
      } else this.resetArrives();
      return;
    }
    // step 4: SYN in a synchronized state: challenge ACK (RFC 5961 §4)
    if (a.syn) {
      this.sendAck();
      this.drop('tcp-state', `SYN in ${this.state}: challenge ACK`);
      return;
    }
    // step 5: ACK
    if ((flags & TCP_ACK) === 0) {
      this.drop('tcp-state', 'segment without ACK');
      return;
    }
    const ack = this.snd.off(seg.ack);
    if (this.state === 'SYN-RECEIVED') {
      if (!(ack > this.snd.una && ack <= this.snd.max)) {
        this.transmit({ seq: seg.ack, ack: 0, flags: TCP_RST, window: 0, options: NO_OPTIONS });
        this.drop('tcp-state', `ACK ${seg.ack} does not acknowledge our SYN`);
        return;
      }
      this.snd.wnd = this.snd.maxWnd = seg.window << this.snd.wscale;
      this.snd.wl1 = a.seq;
      this.snd.wl2 = ack;
      this.ackAdvance(ack);
      this.establish();
      this.announce();
      if (this.isClosed) return; // the application destroyed it on accept
    }
    const wasEstablished = this.state === 'ESTABLISHED';
    if (!this.processAck(seg, a.seq, ack)) return;
    // tcp_rcv_established: a new TSecr on a segment of at least rcv_mss times the receive RTT
    if (ts !== undefined && wasEstablished)
      this.rcv.mem.rttMeasureTs(
        ts.tsecr,
        this.tsNow,
        seg.payload.length + (flags & TCP_FIN ? 1 : 0),
        this.rcv.copied === this.rcv.nxt,
      );
    // steps 7 and 8: text and FIN
    if (a.data.length > 0) {
      if (this.state === 'ESTABLISHED' || this.state === 'FIN-WAIT-1' || this.state === 'FIN-WAIT-2')
        this.receiveData(a.seq, a.data, seg);
      else this.drop('tcp-state', `data in ${this.state} (the peer already sent FIN)`);
    }
    if (a.probe) this.sendAck();
    if (a.fin && this.rcv.peerFin < 0) this.rcv.peerFin = a.seq + a.data.length;
    this.maybeTakeFin();
    this.ackCheck();
    this.flushDeliveries();
    if (!this.isClosed) this.output();
  }

  private synSentArrives(seg: TcpSegment): void {
    const flags = seg.flags;
    const ack = this.snd.off(seg.ack);
    const ackOk = (flags & TCP_ACK) !== 0 && ack > 0 && ack <= this.snd.max;
    if ((flags & TCP_ACK) !== 0 && !ackOk) {
      if ((flags & TCP_RST) === 0)
        this.transmit({ seq: seg.ack, ack: 0, flags: TCP_RST, window: 0, options: NO_OPTIONS });
      this.drop('tcp-state', `SYN-SENT: ACK ${seg.ack} is not for our SYN`);
      return;
    }
    if (flags & TCP_RST) {
      if (ackOk) {
        this.note(() => 'RST in answer to our SYN: connection refused');
        this.finish('refused');
      } else this.drop('tcp-state', 'SYN-SENT: RST without ACK');
      return;
    }
    if ((flags & TCP_SYN) === 0) {
      this.drop('tcp-state', 'SYN-SENT: neither SYN nor RST');
      return;
    }
    this.takeSynOptions(seg.options);
    this.segTsecr = this.tsOk ? (timestampsOf(seg.options)?.tsecr ?? 0) : 0;
    this.rcv.synchronize(seg.seq, this.synWnd);
    this.snd.wnd = this.snd.maxWnd = seg.window;
    this.snd.wl1 = 0;
    this.snd.wl2 = ack;
    if (!ackOk) {
      // simultaneous open (RFC 9293 §3.5, figure 7)
      this.setState('SYN-RECEIVED');
      this.sendSyn(true);
      return;
    }
    this.ackAdvance(ack);
    this.establish();
    this.sendAck();
    this.announce();
    this.output();
  }

  /** The handshake completed: ESTABLISHED (or FIN-WAIT-1 if end() came first). */
  private establish(): void {
    // tcp_init_transfer: tcp_init_buffer_space (the clamp keeps a segment for the application)
    const rcv = this.rcv;
    rcv.mem.establish(rcv.mem.advmss, this.snd.mss, rcv.rcvWnd, rcv.copied, this.nowUs);
    this.connectTimer?.clear();
    this.retries = 0;
    this.everConnected = true;
    if (this.synRetransmitted && this.rto.samples === 0) this.rto.atLeast(RTO_AFTER_SYN_LOSS);
    this.setState(this.snd.finQueued ? 'FIN-WAIT-1' : 'ESTABLISHED');
    if (this.config.keepAlive) this.keepAliveOn = true;
    if (this.keepAliveOn) this.armKeepAlive();
  }

  private armKeepAlive(): void {
    this.keepAliveTimer ??= new DeadlineTimer(this.engine, () => this.onKeepAlive());
    this.keepAliveTimer.set(this.config.keepAliveTimeNs);
  }

  /** tcp_keepalive_timer: the peer was silent for the idle time, or since the last probe. */
  private onKeepAlive(): void {
    const cfg = this.config;
    if (!this.keepAliveOn || !this.synchronized || this.state === 'TIME-WAIT') return;
    if (this.snd.outstanding || this.snd.waiting) {
      // data in flight: the retransmission timer watches the peer
      this.keepAliveTimer!.set(cfg.keepAliveTimeNs);
      return;
    }
    if (this.probesOut >= cfg.keepAliveProbes) {
      this.note(() => `${this.probesOut} keepalive probes unanswered: reset`);
      this.destroyWith('timeout');
      return;
    }
    // tcp_write_wakeup / tcp_xmit_probe_skb: an ACK carrying SND.UNA - 1, which the peer must answer
    this.probesOut++;
    this.note(() => `keepalive probe ${this.probesOut}`);
    this.transmit({
      seq: this.snd.wire(this.snd.una - 1),
      ack: this.rcv.wire(this.rcv.nxt),
      flags: TCP_ACK,
      window: 0,
      options: NO_OPTIONS,
    });
    this.keepAliveTimer!.set(cfg.keepAliveIntervalNs);
  }

  /** Tells the application: 'connect', or the listener's accept queue for a passive open. */
  private announce(): void {
    if (this.acceptQueue !== undefined) this.acceptQueue.established(this);
    else this.emit('connect');
  }

  private resetArrives(): void {
    const s = this.state;
    if (s === 'SYN-RECEIVED' && this.acceptQueue !== undefined) {
      this.note(() => 'RST in SYN-RECEIVED: the half-open connection is dropped');
      this.finish('reset');
    } else if (s === 'SYN-RECEIVED') {
      this.finish('refused');
    } else if (s === 'TIME-WAIT') {
      this.finish('closed');
    } else {
      this.note(() => `RST in ${s}: connection reset`);
      this.finish('reset');
    }
  }

  /** Step 5 for synchronized states. Returns false when the segment was consumed (dropped or closed). */
  private processAck(seg: TcpSegment, seq: number, ack: number): boolean {
    const snd = this.snd;
    if (ack > snd.ackLimit) {
      this.sendAck();
      this.drop('out-of-window', `ACK ${seg.ack} for data not yet sent`);
      return false;
    }
    const window = seg.window << snd.wscale;
    // RFC 2018 / RFC 6675: the scoreboard takes the blocks first
    const blocks = this.sackOk ? sackBlocksOf(seg.options) : undefined;
    const sackGrew =
      blocks !== undefined &&
      this.sack.update(
        blocks.map(([l, r]) => [snd.off(l), snd.off(r)]),
        Math.max(ack, snd.una),
        snd.max,
      );
    if (ack > snd.una) {
      this.ackAdvance(ack);
      this.sack.advance(ack);
    } else if (
      ack === snd.una &&
      snd.outstanding &&
      (sackGrew || (seg.payload.length === 0 && (seg.flags & (TCP_SYN | TCP_FIN)) === 0 && window === snd.wnd))
    ) {
      // RFC 5681 §2: a duplicate acknowledgment (with SACK, RFC 6675 §2: one that SACKs new data)
      this.counters.dupAcksReceived++;
      if (this.sackOk) this.cc.dupAcks++;
      else if (this.cc.onDupAck(ack, snd.max - snd.una, snd.max) === 'fast-retransmit') {
        this.counters.fastRetransmits++;
        this.note(
          () => `3 duplicate ACKs for ${seg.ack}: fast retransmit, cwnd ${this.cc.cwnd}, ssthresh ${this.cc.ssthresh}`,
        );
        this.retransmitFirst();
      }
    }
    snd.updateWindow(seq, ack, window);
    if (this.sackOk) this.sackRecoveryStart();
    const finAcked = snd.finAcked;
    if (this.state === 'FIN-WAIT-1' && finAcked) {
      this.setState('FIN-WAIT-2');
      if (this.orphaned) {
        // tcp_fin_timeout: an orphan does not wait for the peer's FIN for ever (tcp_time_wait(TCP_FIN_WAIT2))
        this.finWait2Timer = new DeadlineTimer(this.engine, () => {
          if (this.state !== 'FIN-WAIT-2') return;
          this.note(() => `no FIN from the peer in ${this.config.finTimeoutNs / 1e9} s: forgotten`);
          this.finish('closed');
        });
        this.finWait2Timer.set(this.config.finTimeoutNs);
      }
    } else if (this.state === 'CLOSING' && finAcked) this.enterTimeWait();
    else if (this.state === 'LAST-ACK' && finAcked) {
      this.finish('closed');
      return false;
    }
    return true;
  }

  /**
   * RFC 6675 §5 step 4: loss recovery begins on DupThresh duplicate ACKs, or once IsLost(SND.UNA), if
   * SND.UNA is past the last RecoveryPoint; the first unacknowledged segment goes again at once and the
   * rest follow as pipe allows (output() runs after every ACK).
   */
  private sackRecoveryStart(): void {
    const snd = this.snd;
    const cc = this.cc;
    if (cc.inRecovery || !snd.outstanding || snd.una <= cc.recover) return;
    if (cc.dupAcks < DUP_THRESH && !this.sack.isLost(snd.una, snd.mss)) return;
    cc.enterSackRecovery(snd.max - snd.una, snd.max);
    this.counters.fastRetransmits++;
    this.note(
      () =>
        `SACK loss recovery from ${snd.wire(snd.una)}: ${cc.algorithm.name} cwnd ${cc.cwnd}, ssthresh ${cc.ssthresh}`,
    );
    this.sack.highRxt = snd.una;
    const end = Math.min(snd.una + snd.mss, this.sack.nextSackedAfter(snd.una), Math.max(snd.dataEnd, snd.una + 1));
    const len = Math.max(0, Math.min(end, snd.dataEnd) - snd.una);
    const fin = snd.finQueued && end > snd.dataEnd && snd.max > snd.dataEnd;
    if ((len > 0 || fin) && this.sendData(snd.una, len, fin)) this.sack.highRxt = snd.una + len + (fin ? 1 : 0);
  }

  /** The peer acknowledged everything below `ack` (> SND.UNA). */
  private ackAdvance(ack: number): void {
    const rttNs = this.ackedRtt(ack);
    const dataAcked = this.snd.acknowledge(ack);
    this.counters.bytesAcked += dataAcked;
    if (this.timedEnd >= 0 && ack >= this.timedEnd) {
      this.rto.sample(this.engine.now - this.timedAt);
      this.timedEnd = -1;
    } else if (this.timedEnd < 0 && this.segTsecr !== 0) {
      // RFC 7323 §4.1 RTTM, as tcp_ack_update_rtt: when no sent-time sample exists (Karn: the ACK covers
      // a retransmission), the echoed TSval gives one, in whole milliseconds (at least 1 µs)
      const ms = (this.tsNow - this.segTsecr) | 0;
      if (ms >= 0) this.rto.sample(Math.max(1000, ms * 1_000_000));
    }
    this.retries = 0;
    this.persistBackoff = 0;
    if (this.snd.outstanding)
      this.rtxTimer.set(this.rto.rto); // RFC 6298 §5.3
    else this.rtxTimer.clear();
    if (
      dataAcked > 0 &&
      this.synchronized &&
      this.cc.onNewAck(dataAcked, ack, this.snd.max - this.snd.una, { rttNs, nxt: this.snd.nxt }) === 'retransmit-next'
    ) {
      this.retransmitFirst(); // NewReno partial ACK: the next hole
    }
    if (this.needDrain && this.snd.buf.length < this.config.sndBuf) {
      this.needDrain = false;
      this.emit('drain');
    }
  }

  /**
   * Step 7, the text of segment `seg` (trimmed to `data` at `seq`): queued in order, or held ahead of
   * RCV.NXT; either way charged the truesize of the skb a local socket would have sent it in.
   */
  private receiveData(seq: number, data: Uint8Array, seg: TcpSegment): void {
    const rcv = this.rcv;
    const truesize = LOCAL_SKB_OVERHEAD + seg.payload.length;
    if (seq !== rcv.nxt) {
      // ahead of RCV.NXT: hold it and send a duplicate ACK at once (RFC 5681 §4.2), with SACK blocks
      rcv.hold(seq, data, truesize, this.sackOk);
      rcv.noteOutOfOrder(seq, seq + data.length);
      this.counters.outOfOrder++;
      this.sendAck();
      return;
    }
    // tcp_queue_rcv, then tcp_event_data_recv: the segment is charged before the window is reconsidered
    this.counters.bytesReceived += data.length;
    const now = rcv.take(data.slice(), truesize);
    if (now !== undefined) this.toDeliver.push(now);
    const mem = rcv.mem;
    mem.measureRcvMss(data.length, truesize, tcpHeaderLength(seg), seg.flags, this.tcpHeaderLen, rcv.rcvWnd);
    mem.rttMeasure(this.nowUs, rcv.nxt, rcv.rcvWnd);
    if (this.ato === 0) {
      // the first data: quickack mode for rcv_wnd / (2 * rcv_mss) ACKs, at most 16 (tcp_incr_quickack)
      this.ato = this.config.delayedAckNs;
      const q = Math.min(16, Math.floor(rcv.rcvWnd / (2 * mem.rcvMss)) || 2);
      if (q > this.quick) this.quick = q;
    }
    if (data.length >= 128 && mem.growWindow(data.length, truesize, true)) this.quick |= 1;
    this.lastDataAt = this.engine.now;
    // counted before delivery: an answer written in the 'data' handler carries the ACK
    this.unackedBytes += data.length;
    this.ackDue = rcv.ooo.size > 0 ? 'now' : 'check';
    this.counters.bytesReceived += rcv.takeHeld(this.toDeliver);
    rcv.pruneSacks();
  }

  /**
   * After a segment's data and FIN are taken (Linux __tcp_ack_snd_check): ACK at once when a hole
   * filled, when more than one rcv_mss arrived since the last ACK and the window would not shrink for
   * it (the data is still unread: the reader runs after), or in quickack mode; otherwise arm the
   * delayed-ACK timer, and the reader may send the ACK once it has read (cleanupRbuf). A FIN taken with
   * the data made the connection interactive, so then the ACK waits for the application's answer.
   */
  private ackCheck(): void {
    const due = this.ackDue;
    this.ackDue = 'none';
    if (due === 'none' || this.unackedBytes === 0) return;
    const rcv = this.rcv;
    if (
      due === 'now' ||
      this.config.delayedAckNs === 0 ||
      (this.unackedBytes > rcv.mem.rcvMss && (rcv.nxt === rcv.copied || this.windowNow() >= rcv.rcvWnd)) ||
      (this.quick > 0 && !this.pingpong)
    )
      this.sendAck();
    else if (!this.delackTimer.pending) this.delackTimer.set(this.config.delayedAckNs);
  }

  /** __tcp_select_window now, without offering it; leaves quickack mode when less than half is free. */
  private windowNow(): number {
    const w = this.rcv.mem.selectWindow(this.rcv.rcvWnd, this.rcv.wscale);
    this.takeQuickOff();
    return w;
  }

  /**
   * Linux tcp_cleanup_rbuf, after the application read `copied` bytes: send the ACK still owed for
   * more than one rcv_mss of data, or a window update when the window at least doubled and had fallen
   * to half the clamp (not once the peer's FIN is in: no more data will come).
   */
  private cleanupRbuf(copied: number): void {
    if (!this.synchronized || this.isClosed) return;
    const rcv = this.rcv;
    let timeToAck = this.unackedBytes > rcv.mem.rcvMss;
    const finIn = rcv.peerFin >= 0 && rcv.nxt > rcv.peerFin;
    if (copied > 0 && !timeToAck && !finIn) {
      const now = rcv.window;
      if (2 * now <= rcv.mem.windowClamp) {
        const w = this.windowNow();
        if (w > 0 && w >= 2 * now) timeToAck = true;
      }
    }
    if (timeToAck) this.sendAck();
  }

  /**
   * Wakes the application with what the segment brought: data, then 'end'. As in Linux, where the reader
   * runs after the softirq has queued the data, taken the FIN and sent or delayed the ACK, an answer the
   * application writes at once follows a quick ACK rather than carrying it.
   */
  private flushDeliveries(): void {
    const chunks = this.toDeliver;
    if (chunks.length > 0) {
      // two arrays take turns, no new one per segment; a delivery started from a listener takes a new one
      this.toDeliver = this.spareDeliver ?? [];
      this.spareDeliver = undefined;
      this.emitUntilPaused(chunks);
      chunks.length = 0;
      this.spareDeliver = chunks;
    }
    this.maybeEmitEnd();
  }

  /**
   * Emits `chunks` as 'data' until the application pauses; the rest wait in the receive buffer. Each
   * chunk read frees its charge, lets autotuning look at the reader's pace (tcp_rcv_space_adjust) and
   * may send an ACK (tcp_cleanup_rbuf), before the application sees it, as tcp_recvmsg does.
   */
  private emitUntilPaused(chunks: Uint8Array[]): void {
    const rcv = this.rcv;
    for (let i = 0; i < chunks.length; i++) {
      if (rcv.paused) {
        rcv.requeue(chunks.slice(i));
        return;
      }
      const chunk = chunks[i]!;
      rcv.read(chunk.length);
      rcv.mem.spaceAdjust(this.nowUs, rcv.copied, rcv.nxt, rcv.oooAhead);
      this.cleanupRbuf(chunk.length);
      this.emitData(chunk);
    }
  }

  /** Step 8: the peer's FIN, once every byte before it has arrived. */
  private maybeTakeFin(): void {
    if (this.rcv.peerFin < 0 || this.rcv.nxt !== this.rcv.peerFin) return;
    const s = this.state;
    if (s !== 'ESTABLISHED' && s !== 'FIN-WAIT-1' && s !== 'FIN-WAIT-2') return;
    this.rcv.nxt++;
    // tcp_fin: in ESTABLISHED the ACK waits (interactive mode), so an application that closes or answers
    // at once sends it on its FIN or data; in FIN-WAIT-1 and FIN-WAIT-2 it goes at once
    if (s === 'ESTABLISHED') {
      this.setState('CLOSE-WAIT');
      this.pingpong = true;
      if (this.config.delayedAckNs === 0) this.sendAck();
      else if (!this.delackTimer.pending) this.delackTimer.set(this.config.delayedAckNs);
    } else {
      this.sendAck();
      if (s === 'FIN-WAIT-1') this.setState('CLOSING');
      else this.enterTimeWait();
    }
  }

  private maybeEmitEnd(): void {
    const r = this.rcv;
    if (this.endEmitted || r.peerFin < 0 || r.nxt <= r.peerFin || r.unreadBytes > 0 || r.paused) return;
    this.endEmitted = true;
    this.emit('end');
    if (this.closePending) {
      this.closePending = false;
      this.emitClose('closed');
    }
  }

  // ---- errors and closing ----------------------------------------------------------------------------

  /** @internal An ICMP destination unreachable about this connection (RFC 1122 §4.2.3.9, RFC 1191). */
  icmpUnreachable(code: number, nextHopMtu: number): void {
    const snd = this.snd;
    if (code === ICMP_FRAG_NEEDED && nextHopMtu >= 68) {
      const mss = nextHopMtu - 40 - (this.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0);
      if (mss >= snd.mss) return;
      this.note(() => `path MTU ${nextHopMtu}: MSS ${snd.mss} -> ${mss}, resending`);
      snd.mss = mss;
      this.cc.setMss(mss);
      if (this.canSend && snd.outstanding) {
        snd.nxt = snd.una; // not congestion: resend at the smaller size at once
        this.output();
      }
      return;
    }
    if (this.state === 'SYN-SENT') {
      this.note(() => `ICMP unreachable (code ${code}) while connecting`);
      // icmp_err_convert (net/ipv4/icmp.c): port unreachable is ECONNREFUSED, the other codes EHOSTUNREACH
      // and the like (what a REJECTed ClusterIP gives: "Connection refused")
      this.finish(code === ICMP_PORT_UNREACH ? 'refused' : 'unreachable');
      return;
    }
    // Linux treats it as a soft error on an open connection: retransmission decides
    this.note(() => `ICMP unreachable (code ${code}) on an open connection: ignored (soft error)`);
  }

  private enterTimeWait(): void {
    this.setState('TIME-WAIT');
    this.rtxTimer.clear();
    this.persistTimer.clear();
    this.delackTimer.clear();
    this.timeWaitTimer.set(2 * this.config.mslNs);
    this.emitClose('closed');
  }

  /** @internal Enters CLOSED, leaves the stack, and tells the application (once). */
  override finish(reason: TcpCloseReason): void {
    if (this.state === 'CLOSED' && this.closeEmitted) return;
    const wasHalfOpen = this.state === 'SYN-RECEIVED' && this.acceptQueue !== undefined;
    this.setState('CLOSED');
    for (const t of [this.rtxTimer, this.persistTimer, this.delackTimer, this.timeWaitTimer]) t.clear();
    this.connectTimer?.clear();
    this.keepAliveTimer?.clear();
    this.finWait2Timer?.clear();
    this.rcv.clearHeld();
    this.host.release(this);
    if (wasHalfOpen) this.acceptQueue.abandoned(this);
    this.emitClose(reason);
  }

  private emitClose(reason: TcpCloseReason): void {
    if (this.closeEmitted) return;
    // an orderly close waits until a paused application has read everything ('end', then 'close')
    const r = this.rcv;
    if (reason === 'closed' && (r.unreadBytes > 0 || (!this.endEmitted && r.peerFin >= 0 && r.nxt > r.peerFin))) {
      this.closePending = true;
      return;
    }
    this.closeEmitted = true;
    this.closeReason = reason;
    this.emit('close', reason);
  }
}

/** A failed connect() as a promise rejection; `reason` is the close reason. */
export class TcpError extends Error {
  constructor(readonly reason: TcpCloseReason) {
    super(`tcp: ${reason}`);
  }
}
