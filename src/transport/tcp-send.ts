/**
 * The send sequence space of one connection (RFC 9293 §3.3.1): SND.UNA, SND.NXT, the peer's window, the
 * bytes written and not yet acknowledged, and which segment may go next under the windows, Nagle's
 * algorithm and sender-side silly window avoidance. Offsets are unwrapped from the ISN (0 is the SYN, data
 * byte k is at k + 1, the FIN follows the last byte). Timers, congestion control and the wire belong to
 * the connection.
 */
import { ByteRing } from './tcp-buffers.js';

/** The next segment to send from SND.NXT: `len` data bytes, and FIN if `fin`. */
export interface NextSegment {
  len: number;
  fin: boolean;
}

/** Send-side state. */
export class SendSpace {
  /** Oldest unacknowledged offset (SND.UNA). */
  una = 0;
  /** Next offset to send (SND.NXT); goes back to SND.UNA after a timeout. */
  nxt = 0;
  /** Highest offset sent plus one; after a timeout SND.NXT goes back, this stays. */
  max = 0;
  /** End of the last zero-window probe byte (may pass `max`: probes do not advance SND.NXT). */
  probeEnd = 0;
  /** The peer's window in bytes, scaled (SND.WND), and the largest seen. */
  wnd = 0;
  maxWnd = 0;
  /** The segment that last updated the window (SND.WL1 in the peer's offsets, SND.WL2 in ours). */
  wl1 = 0;
  wl2 = 0;
  /** The peer's window scale shift (RFC 7323). */
  wscale = 0;
  /** Sender MSS: min(our MTU - 40, the peer's MSS option). */
  mss: number;
  /** Written and not yet acknowledged. */
  readonly buf = new ByteRing();
  /** Data bytes the application wrote. */
  written = 0;
  /** Data bytes acknowledged and dropped from `buf`. */
  private base = 0;
  /** end() was called. */
  finQueued = false;
  /** End of the last segment sent smaller than the MSS (Linux snd_sml, for Minshall's Nagle). */
  sml = 0;

  constructor(
    /** Initial send sequence number, as on the wire. */
    readonly iss: number,
    mss: number,
  ) {
    this.mss = mss;
  }

  /** Offset of a 32-bit number we sent (an acknowledgment), nearest SND.UNA. */
  off(wire: number): number {
    return this.una + ((wire - this.iss - this.una) | 0);
  }

  /** The 32-bit sequence number of offset `off`. */
  wire(off: number): number {
    return (this.iss + off) >>> 0;
  }

  /** Offset just past the last data byte written (where the FIN goes). */
  get dataEnd(): number {
    return 1 + this.written;
  }

  /** True when something sent is unacknowledged. */
  get outstanding(): boolean {
    return this.max > this.una;
  }

  /** True when data or a queued FIN has not been sent yet. */
  get waiting(): boolean {
    return this.dataEnd > this.nxt || (this.finQueued && this.nxt <= this.dataEnd);
  }

  /** True once our FIN is acknowledged. */
  get finAcked(): boolean {
    return this.finQueued && this.una > this.dataEnd;
  }

  /** Highest acknowledgment the peer may send: what was sent, probes included. */
  get ackLimit(): number {
    return Math.max(this.max, this.probeEnd);
  }

  /** Position in `buf` of send offset `off`. */
  bufOffset(off: number): number {
    return off - 1 - this.base;
  }

  /** Queues application bytes (copied). */
  push(bytes: Uint8Array): void {
    this.buf.push(bytes);
    this.written += bytes.length;
  }

  /** The peer acknowledged everything below `ack` (> SND.UNA); returns the data bytes newly acknowledged. */
  acknowledge(ack: number): number {
    const acked = this.dataIndex(ack) - this.dataIndex(this.una);
    this.una = ack;
    if (this.nxt < ack) this.nxt = ack;
    if (this.max < ack) this.max = ack; // a zero-window probe byte was taken
    const base = this.dataIndex(ack);
    this.buf.consume(base - this.base);
    this.base = base;
    return acked;
  }

  /** RFC 9293 §3.10.7.4: takes the window from a segment newer than the last that set it. */
  updateWindow(seq: number, ack: number, window: number): void {
    if (this.wl1 < seq || (this.wl1 === seq && this.wl2 <= ack)) {
      this.wnd = window;
      this.wl1 = seq;
      this.wl2 = ack;
      if (window > this.maxWnd) this.maxWnd = window;
    }
  }

  /**
   * The next segment from SND.NXT under min(cwnd, SND.WND), or undefined when none may go. New data obeys
   * sender SWS avoidance (RFC 9293 §3.8.6.2.1: no small segment because the window is small) and Nagle
   * in Minshall's form, as Linux's tcp_nagle_check/tcp_minshall_check (no small final segment while an
   * earlier small one is unacknowledged, unless `noDelay` or it carries the FIN); resending after a
   * timeout does not wait. A FIN alone goes whatever the window.
   */
  next(cwnd: number, noDelay: boolean): NextSegment | undefined {
    if (this.finQueued && this.nxt > this.dataEnd) return undefined; // FIN sent
    const avail = this.dataEnd - this.nxt;
    const edge = this.una + Math.min(this.wnd, cwnd);
    let len = Math.min(avail, this.mss, Math.max(0, edge - this.nxt));
    const resending = this.nxt < this.max;
    if (len < avail && len < this.mss && !resending && (cwnd < this.wnd || len < this.maxWnd / 2)) len = 0;
    const fin = this.finQueued && this.nxt + len === this.dataEnd;
    if (len === 0 && !(fin && avail === 0)) return undefined;
    if (
      len < this.mss &&
      len === avail &&
      !fin &&
      !resending &&
      !noDelay &&
      this.sml > this.una &&
      this.sml <= this.nxt
    )
      return undefined;
    return { len, fin };
  }

  /** Data bytes below send offset `off`. */
  private dataIndex(off: number): number {
    return Math.min(Math.max(off - 1, 0), this.written);
  }
}
