/**
 * HyStart, as Linux's CUBIC runs it in slow start (net/ipv4/tcp_cubic.c, hystart=1,
 * hystart_detect=HYSTART_ACK_TRAIN|HYSTART_DELAY; the idea is Ha and Rhee's, the delay test is close to
 * RFC 9406's HyStart++ round-based one). Slow start ends (ssthresh = cwnd) before the first loss when,
 * with cwnd at least hystart_low_window (16) segments:
 * - ACK train: the ACKs of one round keep coming at most hystart_ack_delta_us (2 ms) apart for longer
 *   than half of (the minimum RTT plus hystart_ack_delay), i.e. the pipe is full; or
 * - delay: the round's minimum RTT (after HYSTART_MIN_SAMPLES = 8 samples) exceeds the connection's
 *   minimum by more than delay_min/8, clamped to [4, 16] ms: a queue is building.
 * A round ends when SND.UNA passes the SND.NXT it started at. Times are in microseconds, as Linux's
 * bictcp_clock_us; this file only decides, the CUBIC state owns it. The parameters are this 6.18 kernel's
 * (/sys/module/tcp_cubic/parameters: hystart=1 hystart_detect=3 hystart_low_window=16
 * hystart_ack_delta_us=2000); there, 50 MB sent over a veth pair under `tbf rate 1gbit` ended slow start
 * by the ACK train at cwnd 30 (nstat TcpExtTCPHystartTrainDetect 1, TcpExtTCPHystartTrainCwnd 30), with
 * no retransmission.
 */

/** hystart_low_window: no detection below 16 segments of cwnd. */
export const HYSTART_LOW_WINDOW = 16;
/** hystart_ack_delta_us: ACKs closer than this belong to one train. */
const ACK_DELTA_US = 2000;
/** HYSTART_MIN_SAMPLES: RTT samples of a round before its minimum counts. */
const MIN_SAMPLES = 8;
/** HYSTART_DELAY_MIN / MAX: the delay increase threshold's bounds (µs). */
const DELAY_MIN_US = 4000;
const DELAY_MAX_US = 16000;
/** GSO_LEGACY_MAX_SIZE (sk_gso_max_size of a veth or a NIC without BIG TCP), for hystart_ack_delay. */
const GSO_MAX_SIZE = 65536;

/** What HyStart reads at an ACK that acknowledged new data. */
export interface HystartAck {
  nowNs: number;
  /** RTT of the newest segment this ACK covers (ca_rtt_us), ns; undefined when it covers a retransmission. */
  rttNs: number | undefined;
  /** cwnd and ssthresh, bytes; the sender MSS. */
  cwnd: number;
  ssthresh: number;
  mss: number;
  /** SND.UNA after the ACK and SND.NXT, as sequence offsets. */
  una: number;
  nxt: number;
  /** The smoothed RTT, ns (0 before a sample), for the pacing rate. */
  srttNs: number;
}

/** HyStart's state of one connection. */
export class Hystart {
  /** Slow start was ended by HyStart (ca->found); only a loss resets it. */
  found = false;
  /** The connection's minimum RTT (ca->delay_min), µs; 0 before a sample. */
  delayMin = 0;
  private roundStart = 0;
  private lastAck = 0;
  /** SND.NXT when the round began (ca->end_seq); -1 before the first round. */
  private endSeq = -1;
  private currRtt = Number.POSITIVE_INFINITY;
  private sampleCnt = 0;

  /** bictcp_hystart_reset: a new round from now, ending when SND.UNA passes `nxt`. */
  private reset(nowUs: number, nxt: number): void {
    this.roundStart = this.lastAck = nowUs;
    this.endSeq = nxt;
    this.currRtt = Number.POSITIVE_INFINITY;
    this.sampleCnt = 0;
  }

  /** bictcp_reset on a retransmission timeout (TCP_CA_Loss): found, the minimum and the round start over. */
  restart(): void {
    this.found = false;
    this.delayMin = 0;
    this.endSeq = -1;
    this.currRtt = Number.POSITIVE_INFINITY;
    this.sampleCnt = 0;
  }

  /**
   * cubictcp_acked: takes the ACK's RTT sample; true when slow start should end now (the caller sets
   * ssthresh to cwnd, as hystart_update does).
   */
  acked(a: HystartAck): boolean {
    if (a.rttNs === undefined) return false;
    const delay = Math.max(1, Math.floor(a.rttNs / 1000));
    if (this.delayMin === 0 || this.delayMin > delay) this.delayMin = delay;
    if (this.found || a.cwnd >= a.ssthresh) return false;
    const now = Math.floor(a.nowNs / 1000);
    if (this.endSeq < 0 || a.una > this.endSeq) this.reset(now, a.nxt);
    if (a.cwnd < HYSTART_LOW_WINDOW * a.mss) return false;
    let found = false;
    if (now - this.lastAck <= ACK_DELTA_US) {
      this.lastAck = now;
      // no pacing (SK_PACING_NONE): half of delay_min plus the GSO cushion
      const threshold = (this.delayMin + ackDelayUs(a)) >> 1;
      if (now - this.roundStart > threshold) found = true;
    }
    if (this.currRtt > delay) this.currRtt = delay;
    if (this.sampleCnt < MIN_SAMPLES) this.sampleCnt++;
    else if (this.currRtt > this.delayMin + Math.min(DELAY_MAX_US, Math.max(DELAY_MIN_US, this.delayMin >> 3)))
      found = true;
    if (found) this.found = true;
    return found;
  }
}

/**
 * hystart_ack_delay: min(1 ms, 4 GSO-sized packets at the pacing rate). Linux's rate (tcp_update_pacing_rate)
 * is 200% of cwnd per srtt in slow start below ssthresh/2, else 120%; without an srtt it is not divided.
 */
function ackDelayUs(a: HystartAck): number {
  if (a.srttNs <= 0) return 0;
  const ratio = a.cwnd < a.ssthresh / 2 ? 2 : 1.2;
  const rateBps = (ratio * a.cwnd * 1e9) / a.srttNs;
  return Math.min(1000, Math.floor((GSO_MAX_SIZE * 4 * 1e6) / rateBps));
}
