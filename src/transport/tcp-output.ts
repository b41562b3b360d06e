/**
 * The part of a TCP connection that sends (RFC 9293, RFC 6298, RFC 5681): the connection's state, and
 * what goes out and when: SYNs, data under the windows, retransmissions after a timeout or three
 * duplicate ACKs, zero-window probes, ACKs (delayed or not), with the retransmission, persist and
 * delayed-ACK timers. Segment arrival and the application API are in tcp-connection.ts, which extends it,
 * as Linux splits tcp_output.c from tcp_input.c.
 */
import { formatIpv4 } from '../wire/addr.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpOption } from '../wire/tcp.js';
import type { Engine } from '../sim/engine.js';
import type { DropReason } from '../link/trace.js';
import { NewReno, Reno } from './tcp-congestion.js';
import { Cubic } from './tcp-cubic.js';
import { ReceiveSpace } from './tcp-receive.js';
import {
  TCPOLEN_TSTAMP_ALIGNED,
  initialWindow,
  segmentOptions,
  synOptions,
  tsClock,
  windowScaleFor,
} from './tcp-options.js';
import { RtoEstimator } from './tcp-rto.js';
import { SendSpace } from './tcp-send.js';
import { SackScoreboard } from './tcp-sack.js';
import { DeadlineTimer } from './tcp-timer.js';
import type { OutSegment, TcpCloseReason, TcpConfig, TcpHost, TcpState, TcpTuple } from './tcp-types.js';

/** Events of a socket and their listeners' signatures. */
export interface TcpSocketEvents {
  /** The handshake completed (active open). */
  connect: () => void;
  /** Bytes arrived in order. The array is the listener's to keep. */
  data: (bytes: Uint8Array) => void;
  /** The peer sent FIN and every byte before it was delivered. */
  end: () => void;
  /** The send buffer drained below `sndBuf` after a write() returned false. */
  drain: () => void;
  /** The connection is over for the application (TIME-WAIT may linger in the stack). Fires once. */
  close: (reason: TcpCloseReason) => void;
}

/** RFC 9293 §3.7.1: the MSS assumed when the peer sends no MSS option. */
export const DEFAULT_PEER_MSS = 536;
export { MAX_WSCALE } from './tcp-options.js';
/** TCP_RESOURCE_PROBE_INTERVAL (HZ/2): how soon a probe refused by a full device queue is tried again. */
const TCP_RESOURCE_PROBE_NS = 500_000_000;
/** An empty option list. */
export const NO_OPTIONS: readonly TcpOption[] = [];
/** Marks a RST that takes the connection's timestamps (one sent by tcp_send_active_reset). */
export const FULL_OPTIONS: readonly TcpOption[] = [];

/** A connection's state and its sending half; TcpSocket adds arrival and the application API. */
export abstract class TcpOutput implements TcpTuple {
  /** The RFC 9293 state. */
  state: TcpState = 'CLOSED';
  /** Why it closed, once it has. */
  closeReason: TcpCloseReason | undefined = undefined;

  protected readonly snd: SendSpace;
  protected readonly rcv: ReceiveSpace;
  protected readonly rto: RtoEstimator;
  protected readonly cc: NewReno;
  /** What the peer SACKed of our data (RFC 6675). */
  protected readonly sack = new SackScoreboard();
  protected readonly rtxTimer: DeadlineTimer;
  protected readonly persistTimer: DeadlineTimer;
  protected readonly delackTimer: DeadlineTimer;
  protected readonly timeWaitTimer: DeadlineTimer;
  protected connectTimer: DeadlineTimer | undefined = undefined;
  protected retries = 0;
  protected persistBackoff = 0;
  protected synRetransmitted = false;
  /** Both SYNs carried window scale (RFC 7323 §1.3). */
  protected windowScaled = false;
  /** Both SYNs carried timestamps (RFC 7323 §3): every later segment carries them. */
  protected tsOk = false;
  /** Both SYNs carried SACK-permitted (RFC 2018). */
  protected sackOk = false;
  /** Our MSS option: the interface MTU less 40 (Linux advmss). */
  protected readonly advMss: number;
  /** The window our SYN or SYN-ACK announced. */
  protected synWnd = 0;
  /** Added to the millisecond clock for TSval (Linux tp->tsoffset, random per connection). */
  protected readonly tsOffset: number;
  /**
   * The flow hash every segment of this connection carries (Linux sk_txhash; wire/frame-hash.ts): drawn at
   * connect (tcp_v4_connect: sk_set_txhash) or when the SYN arrives (tcp_conn_request: the request sock's,
   * which the SYN-ACK carries and tcp_create_openreq_child hands to the socket), and drawn anew before each
   * retransmission a timeout sends (tcp_write_timeout: sk_rethink_txhash) and for each SYN-ACK sent again
   * (tcp_rtx_synack), as net.core.txrehash=1 (the default) has it. A VXLAN device makes its outer source
   * port of it, so each direction of a connection has its own.
   */
  txHash: number;
  /** RFC 7323 TS.Recent: the TSval to echo; valid once tsRecentAt >= 0 (the engine time it was stored). */
  protected tsRecent = 0;
  protected tsRecentAt = -1;
  /** RCV.NXT when we last sent an ACK (RFC 7323 Last.ACK.sent, Linux rcv_wup). */
  protected lastAckSent = 0;
  /** TSecr of the segment being processed (0: none), for RTTM. */
  protected segTsecr = 0;
  /** Karn's rule: the segment being timed ends at timedEnd (-1: none), sent at timedAt. */
  protected timedEnd = -1;
  protected timedAt = 0;
  /**
   * When each data segment not yet acknowledged was sent, oldest first from `sentHead` (Linux keeps one
   * timestamp per skb, tcp_skb_timestamp_us): the RTT of the newest one an ACK covers is the sample
   * congestion control gets (ca_rtt_us), none when a retransmitted one is among them.
   */
  protected readonly sentLog: { end: number; at: number; rtx: boolean }[] = [];
  protected sentHead = 0;
  /** In-order bytes received since our last ACK (delayed ACKs). */
  protected unackedBytes = 0;
  /**
   * Linux's delayed-ACK state (inet_connection_sock icsk_ack): `ato` is 0 until data first arrives; then
   * `quick` ACKs go at once (quickack mode, up to 16: tcp_incr_quickack), unless the connection is
   * interactive (`pingpong`: we sent data soon after receiving, or the peer sent FIN), when ACKs wait to
   * ride on our next segment.
   */
  protected ato = 0;
  protected quick = 0;
  protected pingpong = false;
  /** When data last arrived (icsk_ack.lrcvtime). */
  protected lastDataAt = 0;
  protected needDrain = false;
  protected endEmitted = false;
  protected closeEmitted = false;
  protected everConnected = false;
  protected readonly counters = {
    segmentsSent: 0,
    queueRefused: 0,
    segmentsReceived: 0,
    bytesSent: 0,
    bytesAcked: 0,
    bytesReceived: 0,
    retransmissions: 0,
    fastRetransmits: 0,
    timeouts: 0,
    dupAcksReceived: 0,
    outOfOrder: 0,
    duplicates: 0,
    windowProbes: 0,
  };
  protected readonly listeners: { [K in keyof TcpSocketEvents]: TcpSocketEvents[K][] } = {
    connect: [],
    data: [],
    end: [],
    drain: [],
    close: [],
  };

  /** `mtu` is the interface MTU toward the peer. */
  constructor(
    protected readonly host: TcpHost,
    protected readonly engine: Engine,
    readonly localIp: number,
    readonly localPort: number,
    readonly remoteIp: number,
    readonly remotePort: number,
    readonly config: TcpConfig,
    mtu: number,
    /** True for a connection a listener accepted (SYN-ACK retries apply, not SYN retries). */
    protected readonly passive: boolean,
  ) {
    // RFC 9293 §3.4.1 wants a clock plus a keyed hash; a draw from the node's seeded stream is enough here
    this.snd = new SendSpace(host.initialSequence(), Math.min(mtu - 40, DEFAULT_PEER_MSS));
    this.tsOffset = config.timestamps ? host.timestampOffset() : 0;
    this.txHash = host.txHash();
    this.advMss = mtu - 40;
    this.rcv = new ReceiveSpace(config.rcvBuf, Math.max(config.rcvBuf, config.rcvBufMax), this.advMss);
    // the scale we would use, sized on the largest buffer (tcp_select_initial_window)
    this.rcv.wscale = config.windowScaling ? windowScaleFor(config.rcvBufMax) : 0;
    this.rto = new RtoEstimator({
      initialRtoNs: config.initialRtoNs,
      minRtoNs: config.minRtoNs,
      maxRtoNs: config.maxRtoNs,
      granularityNs: config.clockGranularityNs,
    });
    this.cc = new NewReno(
      this.snd.mss,
      config.initialCwndSegments,
      config.congestionControl === 'cubic' ? new Cubic() : new Reno(),
      { now: () => engine.now, srtt: () => this.rto.srtt ?? 0 },
    );
    this.rtxTimer = new DeadlineTimer(engine, () => this.onRetransmitTimeout());
    this.persistTimer = new DeadlineTimer(engine, () => this.onPersistTimeout());
    this.delackTimer = new DeadlineTimer(engine, () => {
      // tcp_delack_timer_handler: a delayed ACK that had to go alone ends the interactive mode
      this.pingpong = false;
      this.sendAck();
    });
    this.timeWaitTimer = new DeadlineTimer(engine, () => this.finish('closed'));
  }

  // ---- output ----------------------------------------------------------------------------------------

  /**
   * The window a SYN (or, with `withAck`, a SYN-ACK) announces, unscaled: tcp_select_initial_window over
   * half the buffer, in whole segments of the MSS less the timestamps a SYN-ACK knows were agreed.
   */
  protected initialWindow(withAck: boolean): number {
    return initialWindow(this.rcv.fullSpace, this.advMss - (withAck && this.tsOk ? 12 : 0));
  }

  /** The TSval to send now. */
  protected get tsNow(): number {
    return tsClock(this.engine.now, this.tsOffset);
  }

  /** The microsecond clock TCP stamps its receive-side events with (Linux tp->tcp_mstamp). */
  protected get nowUs(): number {
    return Math.floor(this.engine.now / 1000);
  }

  /** The header every segment of ours carries once synchronized (Linux tp->tcp_header_len). */
  protected get tcpHeaderLen(): number {
    return 20 + (this.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0);
  }

  /** __tcp_select_window found less than half the window free: quickack mode ends (icsk_ack.quick = 0). */
  protected takeQuickOff(): void {
    if (!this.rcv.mem.quickOff) return;
    this.rcv.mem.quickOff = false;
    this.quick = 0;
  }

  /** Sends (or resends) our SYN, or SYN-ACK with `withAck`, and arms the retransmission timer. */
  protected sendSyn(withAck: boolean): void {
    const cfg = this.config;
    // RFC 7323 §1.3, RFC 2018 §2: a SYN-ACK carries an option only if the SYN did
    const options = synOptions({
      mss: this.advMss,
      sackPermitted: cfg.sack && (!withAck || this.sackOk),
      timestamps:
        cfg.timestamps && (!withAck || this.tsOk)
          ? { tsval: this.tsNow, tsecr: withAck ? this.tsRecent : 0 }
          : undefined,
      wscale: cfg.windowScaling && (!withAck || this.windowScaled) ? this.rcv.wscale : undefined,
    });
    this.synWnd = this.initialWindow(withAck);
    this.transmit({
      seq: this.snd.wire(0),
      ack: withAck ? this.rcv.wire(this.rcv.nxt) : 0,
      flags: TCP_SYN | (withAck ? TCP_ACK : 0),
      window: this.synWnd,
      options,
    });
    if (this.snd.max === 0) {
      this.timedEnd = 1;
      this.timedAt = this.engine.now;
    }
    this.snd.nxt = this.snd.max = 1;
    this.rtxTimer.set(this.rto.rto);
  }

  /** Sends what the windows allow; arms the persist timer when the peer's window holds data back. */
  protected output(): void {
    if (!this.canSend) return;
    const snd = this.snd;
    if (this.cc.sackRecovery) {
      this.sackTransmit();
      return;
    }
    for (
      let next = this.skipSacked(snd.next(this.cc.cwnd, this.config.noDelay));
      next !== undefined;
      next = this.skipSacked(snd.next(this.cc.cwnd, this.config.noDelay))
    ) {
      // refused by a full device queue: it stays unsent, for the next ACK, write or probe (tcp_write_xmit)
      if (!this.sendData(snd.nxt, next.len, next.fin)) break;
      if (next.len < snd.mss) snd.sml = snd.nxt + next.len + (next.fin ? 1 : 0); // tcp_minshall_update
      snd.nxt += next.len + (next.fin ? 1 : 0);
      if (snd.nxt > snd.max) snd.max = snd.nxt;
    }
    if (snd.waiting && !snd.outstanding && !this.persistTimer.pending) this.persistTimer.set(this.persistInterval());
  }

  /** Resending after a timeout: steps SND.NXT over what the peer SACKed, and asks for the segment again. */
  private skipSacked(next: ReturnType<SendSpace['next']>): ReturnType<SendSpace['next']> {
    const snd = this.snd;
    if (next === undefined || snd.nxt >= snd.max) return next;
    const g = this.sack.covering(snd.nxt);
    if (g === undefined) return next;
    snd.nxt = Math.min(g[1], snd.max);
    return snd.next(this.cc.cwnd, this.config.noDelay);
  }

  /**
   * RFC 6675 §5 steps (C): while cwnd - pipe allows a full segment, send what NextSeg() picks: a lost
   * piece again, new data, or an unSACKed piece (rule 3).
   */
  protected sackTransmit(): void {
    const snd = this.snd;
    for (let n = 0; n < 1000; n++) {
      if (this.cc.cwnd - this.sack.pipe(snd.una, snd.max, snd.mss) < snd.mss) return;
      const newData = snd.nxt >= snd.max && snd.waiting && snd.una + snd.wnd > snd.nxt;
      const c = this.sack.nextSeg(snd.una, snd.mss, snd.dataEnd, newData);
      if (c === undefined) return;
      if (c.kind === 'new') {
        const next = snd.next(Number.MAX_SAFE_INTEGER, true);
        if (next === undefined || !this.sendData(snd.nxt, next.len, next.fin)) return;
        snd.nxt += next.len + (next.fin ? 1 : 0);
        if (snd.nxt > snd.max) snd.max = snd.nxt;
        continue;
      }
      const len = Math.max(0, Math.min(c.end, snd.dataEnd) - c.start);
      const fin = snd.finQueued && c.end > snd.dataEnd;
      if (!this.sendData(c.start, len, fin)) return;
      this.sack.highRxt = c.start + len + (fin ? 1 : 0);
    }
  }

  /**
   * Sends `len` data bytes from offset `off`, plus FIN if `fin`; times it and arms the RTO timer (RFC 6298
   * §5.1). False when this host's full device queue refused it: it then counts as never sent, new data and
   * retransmission alike (tcp_write_xmit and tcp_xmit_retransmit_queue stop there; the segment waits for
   * the next ACK, write or timer).
   */
  protected sendData(off: number, len: number, fin: boolean): boolean {
    const snd = this.snd;
    const end = off + len + (fin ? 1 : 0);
    const isRetransmit = off < snd.max;
    const left = this.transmit({
      seq: snd.wire(off),
      ack: this.rcv.wire(this.rcv.nxt),
      flags: TCP_ACK | (fin ? TCP_FIN : 0) | (len > 0 && off + len === snd.dataEnd ? TCP_PSH : 0),
      window: 0, // filled in by transmit
      options: NO_OPTIONS,
      from: snd.buf,
      off: snd.bufOffset(off),
      len,
    });
    // tcp_event_data_sent: data sent within ato of data received makes the connection interactive (Linux
    // counts this before the device has its say)
    if (!isRetransmit && len > 0 && this.ato > 0 && this.engine.now - this.lastDataAt < this.ato) this.pingpong = true;
    if (!left) return false;
    this.counters.bytesSent += len;
    if (!isRetransmit) this.sentLog.push({ end, at: this.engine.now, rtx: false });
    if (isRetransmit) {
      this.counters.retransmissions++;
      if (this.timedEnd > off) this.timedEnd = -1; // Karn's rule: never time a retransmitted segment
      // every logged segment the retransmission overlaps is marked (TCPCB_RETRANS)
      const log = this.sentLog;
      for (let i = this.sentHead, start = snd.una; i < log.length && start < end; i++) {
        const e = log[i]!;
        if (e.end > off) e.rtx = true;
        start = e.end;
      }
    } else if (this.timedEnd < 0) {
      this.timedEnd = end;
      this.timedAt = this.engine.now;
    }
    this.persistTimer.clear();
    if (!this.rtxTimer.pending) this.rtxTimer.set(this.rto.rto);
    return true;
  }

  /**
   * Forgets the send times of segments wholly below `ack`; the RTT of the newest of them, undefined when
   * none or when one was retransmitted (tcp_clean_rtx_queue: FLAG_RETRANS_DATA_ACKED gives no ca_rtt_us).
   */
  protected ackedRtt(ack: number): number | undefined {
    const log = this.sentLog;
    let newest = -1;
    let rtx = false;
    while (this.sentHead < log.length && log[this.sentHead]!.end <= ack) {
      const e = log[this.sentHead++]!;
      newest = e.at;
      rtx ||= e.rtx;
    }
    if (this.sentHead > 1024 && this.sentHead * 2 > log.length) {
      log.splice(0, this.sentHead);
      this.sentHead = 0;
    }
    return newest < 0 || rtx ? undefined : this.engine.now - newest;
  }

  /**
   * Retransmits the first unacknowledged segment (fast retransmit, NewReno partial ACK). One a full device
   * queue refuses is left to the RTO here; Linux, which marks it lost, tries again at the next ACK.
   */
  protected retransmitFirst(): void {
    const snd = this.snd;
    const len = Math.min(snd.mss, Math.max(0, Math.min(snd.dataEnd, snd.max) - snd.una));
    const fin = snd.finQueued && snd.una + len === snd.dataEnd && snd.max > snd.dataEnd;
    if (len === 0 && !fin) return;
    if (!this.sendData(snd.una, len, fin)) return;
    const end = snd.una + len + (fin ? 1 : 0);
    if (snd.nxt < end) snd.nxt = end;
  }

  protected onRetransmitTimeout(): void {
    const s = this.state;
    if (s === 'SYN-SENT' || s === 'SYN-RECEIVED') {
      this.retries++;
      const limit = s === 'SYN-SENT' || !this.passive ? this.config.synRetries : this.config.synAckRetries;
      const what = s === 'SYN-SENT' ? 'SYN' : 'SYN-ACK';
      if (this.retries > limit) {
        this.note(() => `${what} retransmitted ${limit} times: giving up`);
        this.finish('timeout');
        return;
      }
      this.counters.timeouts++;
      this.counters.retransmissions++;
      this.synRetransmitted = true;
      this.timedEnd = -1;
      this.rethinkTxHash();
      this.rto.backoff();
      this.note(() => `${what} timeout: retransmission ${this.retries}, next RTO ${this.rto.rto / 1e6} ms`);
      this.sendSyn(s === 'SYN-RECEIVED');
      return;
    }
    const snd = this.snd;
    if (!this.canSend || !snd.outstanding) return;
    this.retries++;
    if (this.retries > this.config.retries) {
      this.note(() => `retransmitted ${this.config.retries} times without an ACK: connection timed out`);
      this.finish('timeout');
      return;
    }
    this.counters.timeouts++;
    this.rethinkTxHash();
    this.cc.onTimeout(snd.max - snd.una, snd.max);
    const unbacked = this.rto.rto;
    this.rto.backoff();
    this.timedEnd = -1;
    this.note(
      () =>
        `retransmission timeout: resending from ${snd.wire(snd.una)}, RTO now ${this.rto.rto / 1e6} ms, cwnd ${this.cc.cwnd}`,
    );
    // go back N: resend from SND.UNA as the (now one-segment) window allows
    snd.nxt = snd.una;
    this.rtxTimer.set(this.rto.rto);
    const refusedBefore = this.counters.queueRefused;
    this.output();
    if (snd.nxt === snd.una && this.counters.queueRefused > refusedBefore) {
      // tcp_retransmit_timer: "Retransmission failed because of local congestion": tried again after
      // TCP_RESOURCE_PROBE_INTERVAL, and the RTO is not backed off
      this.rto.rto = unbacked;
      this.rtxTimer.set(TCP_RESOURCE_PROBE_NS);
      this.note(() => `the device queue refused the retransmission: again in 500 ms, RTO back to ${unbacked / 1e6} ms`);
    }
  }

  /**
   * A new flow hash, so what follows may take another path (sk_rethink_txhash from tcp_write_timeout, or a
   * request sock's from tcp_rtx_synack); through a VXLAN device, another outer source port.
   */
  protected rethinkTxHash(): void {
    this.txHash = this.host.txHash();
  }

  protected onPersistTimeout(): void {
    const snd = this.snd;
    if (!this.canSend || snd.outstanding) return;
    const avail = snd.dataEnd - snd.nxt;
    if (avail <= 0) return;
    const usable = snd.una + snd.wnd - snd.nxt;
    if (usable > 0) {
      // a window too small for SWS avoidance: send what fits after all (RFC 9293 §3.8.6.2.1 override)
      const len = Math.min(avail, usable, snd.mss);
      if (!this.sendData(snd.nxt, len, false)) {
        this.retryRefused();
        return;
      }
      snd.nxt += len;
      if (snd.nxt > snd.max) snd.max = snd.nxt;
      return;
    }
    // zero window: probe with one byte beyond it (RFC 9293 §3.8.6.1); SND.NXT stays
    this.counters.windowProbes++;
    this.note(() => `zero window: probe ${this.persistBackoff + 1}`);
    const left = this.transmit({
      seq: snd.wire(snd.nxt),
      ack: this.rcv.wire(this.rcv.nxt),
      flags: TCP_ACK,
      window: 0,
      options: NO_OPTIONS,
      from: snd.buf,
      off: snd.bufOffset(snd.nxt),
      len: 1,
    });
    if (!left) {
      this.retryRefused();
      return;
    }
    snd.probeEnd = Math.max(snd.probeEnd, snd.nxt + 1);
    this.persistBackoff++;
    this.persistTimer.set(this.persistInterval());
  }

  /**
   * A probe the device's full queue refused: tried again after at most TCP_RESOURCE_PROBE_INTERVAL, without
   * backing off (tcp_send_probe0: "let senders fight for local resources conservatively").
   */
  private retryRefused(): void {
    this.persistTimer.set(Math.min(this.persistInterval(), TCP_RESOURCE_PROBE_NS));
  }

  protected persistInterval(): number {
    return Math.min(this.rto.rto * 2 ** this.persistBackoff, this.config.maxRtoNs);
  }

  /** Sends a bare ACK now (and cancels a delayed one). Its sequence number is SND.MAX, as Linux's is. */
  protected sendAck(): void {
    if (this.state === 'CLOSED' || this.state === 'SYN-SENT') return;
    this.transmit({
      seq: this.snd.wire(this.snd.max),
      ack: this.rcv.wire(this.rcv.nxt),
      flags: TCP_ACK,
      window: 0,
      options: NO_OPTIONS,
    });
  }

  /**
   * Every segment leaves here: fills in the window (when ACK is set and it is not a SYN or RST) and the
   * options of a synchronized connection (timestamps and SACK blocks; a RST keeps the options it was
   * given, as Linux's tcp_v4_send_reset sends none), and counts.
   */
  protected transmit(s: OutSegment): boolean {
    if ((s.flags & TCP_ACK) !== 0 && (s.flags & (TCP_SYN | TCP_RST)) === 0) {
      s.window = this.rcv.advertise();
      this.takeQuickOff();
      if (this.quick > 0 && (this.unackedBytes > 0 || this.delackTimer.pending)) this.quick--; // tcp_dec_quickack_mode
      this.unackedBytes = 0;
      this.delackTimer.clear();
    }
    if (s.flags & TCP_ACK) this.lastAckSent = this.rcv.nxt;
    if ((s.flags & (TCP_SYN | TCP_RST)) === 0 && (this.tsOk || this.sackOk))
      s.options = segmentOptions(
        this.tsOk ? { tsval: this.tsNow, tsecr: this.tsRecent } : undefined,
        this.sackBlocks(s.len ?? 0),
      );
    if (s.flags & TCP_RST && s.options === FULL_OPTIONS)
      s.options = this.tsOk ? segmentOptions({ tsval: this.tsNow, tsecr: this.tsRecent }, undefined) : NO_OPTIONS;
    this.counters.segmentsSent++;
    if (this.host.transmit(this, s) !== 'no-buffer-space') return true;
    // __tcp_transmit_skb: NET_XMIT_DROP from the device's queue is local congestion (tcp_enter_cwr)
    this.counters.queueRefused++;
    this.cc.enterCwr(this.snd.max - this.snd.una, this.snd.max);
    this.note(() => `device queue full: segment ${s.seq} not sent (local congestion, cwnd ${this.cc.cwnd})`);
    return false;
  }

  /**
   * SACK blocks for an ACK (RFC 2018 §4), as wire numbers, most recent first: at most 3 beside
   * timestamps, 4 without (40 option bytes), and only as many as leave room for `dataLen` bytes of data
   * in an MSS-sized segment.
   */
  protected sackBlocks(dataLen: number): [number, number][] | undefined {
    if (!this.sackOk || this.rcv.sacks.length === 0) return undefined;
    let max = this.tsOk ? 3 : 4;
    // header room in a full segment beyond the timestamps: MSS - data, less NOP NOP kind length
    if (dataLen > 0) max = Math.min(max, Math.floor((this.snd.mss - dataLen - 4) / 8));
    if (max <= 0) return undefined;
    return this.rcv.sacks.slice(0, max).map(([l, r]) => [this.rcv.wire(l), this.rcv.wire(r)]);
  }

  /** "10.0.0.1:32768 > 10.0.0.2:80", for messages. */
  get name(): string {
    return `${formatIpv4(this.localIp)}:${this.localPort} > ${formatIpv4(this.remoteIp)}:${this.remotePort}`;
  }

  // ---- helpers ---------------------------------------------------------------------------------------

  /** State read through a getter, so TypeScript does not narrow it across calls that change it. */
  protected get isClosed(): boolean {
    return this.state === 'CLOSED';
  }

  protected get synchronized(): boolean {
    const s = this.state;
    return s !== 'CLOSED' && s !== 'SYN-SENT' && s !== 'SYN-RECEIVED';
  }

  /** States in which data and FIN may be sent. */
  protected get canSend(): boolean {
    const s = this.state;
    return s === 'ESTABLISHED' || s === 'CLOSE-WAIT' || s === 'FIN-WAIT-1' || s === 'CLOSING' || s === 'LAST-ACK';
  }

  protected setState(s: TcpState): void {
    const from = this.state;
    if (from === s) return;
    this.state = s;
    this.note(() => `${from} -> ${s}`);
  }

  protected note(message: () => string): void {
    this.host.note(() => `TCP ${this.name}: ${message()}`);
  }

  protected drop(reason: DropReason, detail: string): void {
    this.host.drop(reason, `TCP ${this.name}: ${detail}`);
  }

  protected emit<K extends keyof TcpSocketEvents>(event: K, ...args: Parameters<TcpSocketEvents[K]>): void {
    for (const fn of this.listeners[event].slice()) (fn as (...a: unknown[]) => void)(...args);
  }

  /**
   * emit('data', chunk), once per chunk read: a single listener (BGP's, most sockets') is called without
   * copying the list or gathering the arguments. As with the copy, one it adds is called from the next chunk.
   */
  protected emitData(chunk: Uint8Array): void {
    const ls = this.listeners.data;
    if (ls.length === 1) ls[0]!(chunk);
    else for (const fn of ls.slice()) fn(chunk);
  }

  /** Enters CLOSED, leaves the stack, and tells the application (once). */
  abstract finish(reason: TcpCloseReason): void;
}
