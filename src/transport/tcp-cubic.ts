/**
 * CUBIC congestion avoidance (RFC 9438), Linux's default (net/ipv4/tcp_cubic.c): after a loss the
 * window falls to beta = 0.7 of itself, then follows W(t) = C (t - K)^3 + W_max (C = 0.4, t in seconds,
 * windows in segments), concave up to the window of the last loss and convex beyond it, never slower than
 * Reno would be (the Reno-friendly estimate, §4.3). Fast convergence (§4.7) lowers W_max when losses come
 * before the window regained the last one. Slow start ends early by HyStart (tcp-hystart.ts), as Linux's
 * default hystart=1 does; a retransmission timeout forgets W_max and HyStart's state (bictcp_reset).
 */
import type { CongestionAlgorithm } from './tcp-congestion.js';
import { Hystart, type HystartAck } from './tcp-hystart.js';

/** RFC 9438 §5: the cubic constant C and the multiplicative decrease beta (Linux: 717/1024). */
const C = 0.4;
const BETA = 0.7;
/** §4.3: the additive increase that keeps the Reno-friendly estimate Reno's average. */
const ALPHA = (3 * (1 - BETA)) / (1 + BETA);

/** CUBIC's state of one connection. */
export class Cubic implements CongestionAlgorithm {
  readonly name = 'cubic';
  /** The window (segments) before the last reduction; 0 before any. */
  wMax = 0;
  /** Time (ns) the current congestion avoidance epoch began, or -1. */
  private epochStart = -1;
  private k = 0;
  private origin = 0;
  /** The Reno-friendly window estimate, segments. */
  private wEst = 0;

  avoid(cwnd: number, acked: number, mss: number, nowNs: number, srttNs: number): number {
    const w = cwnd / mss;
    if (this.epochStart < 0) {
      // §4.2: a new epoch at the first ACK of congestion avoidance
      this.epochStart = nowNs;
      if (w < this.wMax) {
        this.k = Math.cbrt((this.wMax - w) / C);
        this.origin = this.wMax;
      } else {
        this.k = 0;
        this.origin = w;
      }
      this.wEst = w;
    }
    const t = (nowNs - this.epochStart + srttNs) / 1e9;
    const target = this.origin + C * (t - this.k) ** 3;
    const segs = acked / mss;
    // §4.3: Reno-friendly region
    this.wEst += (ALPHA * segs) / w;
    let next: number;
    if (this.wEst > target) next = Math.max(w, this.wEst);
    // §4.4, §4.5: toward the target within an RTT, at most half again per RTT (target <= 1.5 cwnd)
    else if (target > w) next = w + (Math.min(target, 1.5 * w) - w) * (segs / w);
    else next = w + (0.01 * segs) / w; // at the plateau: grow very slowly (Linux: 100 * cwnd ACKs per segment)
    return Math.max(cwnd, Math.floor(next * mss));
  }

  /** HyStart's state (Linux's default hystart=1). */
  readonly hystart = new Hystart();

  acked(a: HystartAck): boolean {
    // cubictcp_acked: delay samples right after fast recovery are discarded (less than a second, HZ)
    if (this.epochStart >= 0 && a.nowNs - this.epochStart < 1e9) return false;
    return this.hystart.acked(a);
  }

  onTimeout(): void {
    // bictcp_reset on TCP_CA_Loss: W_max too (the next epoch starts from cwnd), and HyStart anew
    this.wMax = 0;
    this.epochStart = -1;
    this.hystart.restart();
  }

  lossThreshold(cwnd: number, _flight: number, mss: number): number {
    const w = cwnd / mss;
    // §4.7 fast convergence: a loss before the window regained W_max lowers it further
    this.wMax = w < this.wMax ? (w * (1 + BETA)) / 2 : w;
    this.epochStart = -1;
    return Math.max(Math.floor(cwnd * BETA), 2 * mss); // §4.6, Linux bictcp_recalc_ssthresh
  }
}
