/**
 * Congestion control: slow start and congestion avoidance (RFC 5681 §3.1), fast retransmit and fast
 * recovery on three duplicate ACKs (RFC 5681 §3.2) with NewReno's partial-ACK handling (RFC 6582), and the
 * loss window after a retransmission timeout. Windows are in bytes. How the window grows in congestion
 * avoidance and how far it falls on a loss is the algorithm's (tcp-cubic.ts: CUBIC, Linux's default;
 * Reno's halving here). The connection decides what counts as a duplicate ACK and does the
 * retransmitting; this file only keeps cwnd, ssthresh and the recovery point.
 */
import type { TcpCongestionName } from './tcp-types.js';
import type { HystartAck } from './tcp-hystart.js';

/** What a congestion control algorithm decides (Linux struct tcp_congestion_ops). */
export interface CongestionAlgorithm {
  /** Its Linux name. */
  readonly name: TcpCongestionName;
  /** The window after `acked` bytes were acknowledged in congestion avoidance (cong_avoid). */
  avoid(cwnd: number, acked: number, mss: number, nowNs: number, srttNs: number): number;
  /** ssthresh after a loss with `flight` bytes outstanding (ssthresh); it may remember the loss. */
  lossThreshold(cwnd: number, flight: number, mss: number, nowNs: number): number;
  /** An ACK of new data, with its RTT sample (pkts_acked); true when slow start should end now (HyStart). */
  acked?(a: HystartAck): boolean;
  /** A retransmission timeout (the state TCP_CA_Loss), after lossThreshold. */
  onTimeout?(): void;
}

/** Reno (RFC 5681): about one MSS per RTT in congestion avoidance, half the flight after a loss. */
export class Reno implements CongestionAlgorithm {
  readonly name = 'reno';

  avoid(cwnd: number, _acked: number, mss: number): number {
    return cwnd + Math.max(1, Math.floor((mss * mss) / cwnd)); // RFC 5681 eq. (3)
  }

  lossThreshold(_cwnd: number, flight: number, mss: number): number {
    return Math.max(Math.floor(flight / 2), 2 * mss); // RFC 5681 eq. (4)
  }
}

/** What the connection must do after an ACK. */
export type CongestionAction = 'none' | 'fast-retransmit' | 'retransmit-next' | 'send-more';

/** NewReno state of one connection. */
export class NewReno {
  /** Congestion window, bytes. */
  cwnd: number;
  /** Slow-start threshold, bytes; "arbitrarily high" at first (RFC 5681 §3.1). */
  ssthresh = Number.MAX_SAFE_INTEGER;
  /** Duplicate ACKs in a row. */
  dupAcks = 0;
  /** True between a fast retransmit and the ACK that covers `recover`. */
  inRecovery = false;
  /** RFC 6582: the highest sequence offset sent when recovery (or the last timeout) began. */
  recover = 0;
  /** The recovery in progress is RFC 6675's (SACK-based): partial ACKs change nothing here. */
  sackRecovery = false;
  /** A window reduction for local congestion (Linux's TCP_CA_CWR) lasts until `cwrHigh` is acknowledged. */
  cwr = false;
  private cwrHigh = 0;

  constructor(
    private mss: number,
    private readonly initialSegments: number,
    /** The algorithm that grows the window and sets ssthresh on a loss (Reno unless given). */
    readonly algorithm: CongestionAlgorithm = new Reno(),
    /** The clock and smoothed RTT, for algorithms that use time (CUBIC). */
    private readonly clock: { now(): number; srtt(): number } = { now: () => 0, srtt: () => 0 },
  ) {
    this.cwnd = initialSegments * mss;
  }

  /** Sets the sender MSS (after the handshake, or a path MTU change); an untouched initial window follows it. */
  setMss(mss: number): void {
    if (this.cwnd === this.initialSegments * this.mss) this.cwnd = this.initialSegments * mss;
    this.mss = mss;
  }

  /**
   * An ACK of `acked` new bytes, up to offset `ack`; `flight` is what is still outstanding after it.
   * In recovery a partial ACK asks for the next hole to be retransmitted (RFC 6582 §3.2 step 3).
   */
  onNewAck(
    acked: number,
    ack: number,
    flight: number,
    sample: { rttNs: number | undefined; nxt: number } = { rttNs: undefined, nxt: ack },
  ): CongestionAction {
    this.dupAcks = 0;
    const mss = this.mss;
    // pkts_acked comes before the window grows (tcp_clean_rtx_queue, then tcp_cong_control)
    const a = this.algorithm;
    if (a.acked !== undefined) {
      const now = this.clock.now();
      // one literal per ACK (a spread copy is V8's slow path)
      const info = {
        nowNs: now,
        rttNs: sample.rttNs,
        cwnd: this.cwnd,
        ssthresh: this.ssthresh,
        mss,
        una: ack,
        nxt: sample.nxt,
        srttNs: this.clock.srtt(),
      };
      if (a.acked(info)) this.ssthresh = this.cwnd;
    }
    if (this.cwr) {
      // no growth while the reduction lasts (tcp_cong_control: tcp_cwnd_reduction, not cong_avoid)
      if (ack < this.cwrHigh) return 'none';
      this.cwr = false;
    }
    if (this.inRecovery && this.sackRecovery) {
      // RFC 6675 §5: recovery ends when RecoveryPoint is acknowledged; Linux then sets cwnd to ssthresh
      // (tcp_end_cwnd_reduction); until then the scoreboard's pipe governs sending, not cwnd growth
      if (ack >= this.recover) {
        this.inRecovery = false;
        this.sackRecovery = false;
        this.cwnd = this.ssthresh;
      }
      return 'none';
    }
    if (this.inRecovery) {
      if (ack >= this.recover) {
        // full ACK: RFC 6582 §3.2 step 3, option (1)
        this.inRecovery = false;
        this.cwnd = Math.min(this.ssthresh, Math.max(flight, mss) + mss);
        return 'none';
      }
      // partial ACK: deflate by what was acked, add back one MSS if at least that much was
      this.cwnd = Math.max(this.cwnd - acked + (acked >= mss ? mss : 0), mss);
      return 'retransmit-next';
    }
    if (this.cwnd < this.ssthresh) {
      // slow start, RFC 5681 eq. (2): cwnd += min(N, SMSS)
      this.cwnd += Math.min(acked, mss);
    } else {
      // congestion avoidance: the algorithm's (Reno: RFC 5681 eq. (3), about one SMSS per RTT)
      this.cwnd = this.algorithm.avoid(this.cwnd, acked, mss, this.clock.now(), this.clock.srtt());
    }
    return 'none';
  }

  /**
   * A duplicate ACK (RFC 5681 §2) while `flight` bytes are outstanding; `ack` is its acknowledgment and
   * `highest` the highest offset sent. The third one starts fast retransmit unless the ACK does not
   * cover `recover` (RFC 6582 §3.2 step 2: losses from before the last recovery or timeout).
   */
  onDupAck(ack: number, flight: number, highest: number): CongestionAction {
    this.dupAcks++;
    const mss = this.mss;
    if (this.inRecovery) {
      // RFC 5681 §3.2 step 4: each further duplicate means a segment left the network
      this.cwnd += mss;
      return 'send-more';
    }
    if (this.dupAcks !== 3 || ack <= this.recover) return 'none';
    this.cwr = false; // recovery takes over from a reduction (TCP_CA_Recovery > TCP_CA_CWR)
    this.ssthresh = this.algorithm.lossThreshold(this.cwnd, flight, mss, this.clock.now());
    this.recover = highest;
    this.cwnd = this.ssthresh + 3 * mss;
    this.inRecovery = true;
    return 'fast-retransmit';
  }

  /**
   * RFC 6675 §5 step 4: loss recovery begins, with `flight` outstanding and `highest` (HighData) the
   * RecoveryPoint: ssthresh from the algorithm, and cwnd = ssthresh.
   */
  enterSackRecovery(flight: number, highest: number): void {
    this.cwr = false;
    this.ssthresh = this.algorithm.lossThreshold(this.cwnd, flight, this.mss, this.clock.now());
    this.cwnd = this.ssthresh;
    this.recover = highest;
    this.inRecovery = true;
    this.sackRecovery = true;
  }

  /**
   * Local congestion: the device's full queue refused a segment (tcp_enter_cwr, from __tcp_transmit_skb on
   * NET_XMIT_DROP) with `flight` outstanding and `highest` sent. Unless a reduction or a recovery is under
   * way, ssthresh comes from the algorithm as after a loss, and the window falls to it and stays there until
   * `highest` is acknowledged. Linux lowers it one ACK at a time (PRR, RFC 6937) to the same end; here it
   * falls at once, as on entering SACK recovery.
   */
  enterCwr(flight: number, highest: number): void {
    if (this.inRecovery || this.cwr) return;
    this.ssthresh = this.algorithm.lossThreshold(this.cwnd, flight, this.mss, this.clock.now());
    this.cwnd = Math.min(this.cwnd, this.ssthresh);
    this.cwr = true;
    this.cwrHigh = highest;
  }

  /** The retransmission timer expired with `flight` outstanding: RFC 5681 eq. (4), then the loss window. */
  onTimeout(flight: number, highest: number): void {
    this.ssthresh = this.algorithm.lossThreshold(this.cwnd, flight, this.mss, this.clock.now());
    this.algorithm.onTimeout?.();
    this.cwr = false;
    this.cwnd = this.mss;
    this.inRecovery = false;
    this.sackRecovery = false;
    this.dupAcks = 0;
    this.recover = highest;
  }
}
