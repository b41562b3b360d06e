/**
 * The retransmission timeout of RFC 6298: smoothed RTT and RTT variance from samples (§2), exponential
 * backoff on expiry (§5.5), bounded below and above. Which segments may be sampled (Karn's rule, RFC 6298
 * §3) is the connection's business: it only calls `sample` for segments sent once.
 */

/** Bounds of the estimator, in ns. */
export interface RtoConfig {
  /** RTO before the first sample: RFC 6298 §2.1 says 1 s (Linux TCP_TIMEOUT_INIT, also 1 s). */
  initialRtoNs: number;
  /** Floor: RFC 6298 §2.4 says 1 s; Linux uses 200 ms (TCP_RTO_MIN). */
  minRtoNs: number;
  /** Ceiling: RFC 6298 §2.5 allows one of at least 60 s; Linux uses 120 s (TCP_RTO_MAX). */
  maxRtoNs: number;
  /** Clock granularity G of RFC 6298 §2: RTO = SRTT + max(G, 4 * RTTVAR). */
  granularityNs: number;
}

/** RFC 6298 §2.3: alpha = 1/8, beta = 1/4, K = 4. */
const ALPHA = 1 / 8;
const BETA = 1 / 4;
const K = 4;

/** Smoothed RTT, variance and the current (possibly backed-off) RTO of one connection. */
export class RtoEstimator {
  /** Smoothed RTT in ns; undefined before the first sample. */
  srtt: number | undefined = undefined;
  /** RTT variance in ns. */
  rttvar = 0;
  /** Samples taken. */
  samples = 0;
  /** The RTO in force, in whole ns: computed from the last sample, then doubled on each expiry. */
  rto: number;

  constructor(private readonly cfg: RtoConfig) {
    this.rto = cfg.initialRtoNs;
  }

  /** Takes one RTT measurement `r` (ns) and recomputes the RTO, which also ends any backoff (§5.7 note). */
  sample(r: number): void {
    if (this.srtt === undefined) {
      // §2.2: the first measurement
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      // §2.3: RTTVAR first, with the old SRTT
      this.rttvar = (1 - BETA) * this.rttvar + BETA * Math.abs(this.srtt - r);
      this.srtt = (1 - ALPHA) * this.srtt + ALPHA * r;
    }
    this.samples++;
    this.rto = this.clamp(this.srtt + Math.max(this.cfg.granularityNs, K * this.rttvar));
  }

  /** §5.5: the timer expired; back off (double, up to the ceiling). */
  backoff(): void {
    this.rto = Math.min(this.rto * 2, this.cfg.maxRtoNs);
  }

  /** Raises the RTO to at least `ns` (RFC 6298 §5.7: 3 s once data flows after a retransmitted SYN). */
  atLeast(ns: number): void {
    if (this.rto < ns) this.rto = Math.min(ns, this.cfg.maxRtoNs);
  }

  private clamp(v: number): number {
    return Math.round(Math.min(Math.max(v, this.cfg.minRtoNs), this.cfg.maxRtoNs));
  }
}
