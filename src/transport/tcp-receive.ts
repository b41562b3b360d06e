/**
 * The receive sequence space of one connection (RFC 9293 §3.3.1): RCV.NXT, the window we advertise, the
 * acceptability test and trimming of arriving segments (§3.10.7.4), out-of-order segments held for
 * reassembly, and bytes waiting for a paused application. Offsets are unwrapped from the peer's ISN.
 * Acknowledging, events and the state machine belong to the connection.
 */
import { TCP_FIN, TCP_SYN, type TcpSegment } from '../wire/tcp.js';
import { ReassemblyQueue } from './tcp-buffers.js';

/** An acceptable segment after trimming to the window. */
export interface Accepted {
  /** Offset of the first byte of `data` (or of the FIN when there is no data). */
  seq: number;
  data: Uint8Array;
  syn: boolean;
  fin: boolean;
  /** Data arrived on a zero window (a window probe): it was dropped and deserves an ACK. */
  probe: boolean;
}

/** Receive-side state. */
export class ReceiveSpace {
  /** The peer's initial sequence number, as on the wire. */
  irs = 0;
  /** Next offset expected (RCV.NXT). */
  nxt = 0;
  /** Right edge of the window last advertised; never moves left (RFC 9293 §3.8.6.2.2). */
  advRight = 0;
  /** Our window scale shift (RFC 7323). */
  wscale = 0;
  /** Offset of the peer's FIN once seen (it may arrive ahead of data), else -1. */
  peerFin = -1;
  /** Segments held until the gap before them fills. */
  readonly ooo = new ReassemblyQueue();
  /** Bytes delivered in order but not yet read (while the application is paused). */
  unread: Uint8Array[] = [];
  unreadBytes = 0;
  paused = false;

  constructor(
    /** Receive buffer size: the most the window offers. */
    readonly bufSize: number,
    /** Our MSS, the unit of "full-sized segment". */
    readonly mss: number,
  ) {}

  /** Starts the space at the peer's SYN, with the window our SYN or SYN-ACK announced. */
  synchronize(irs: number, synWindow: number): void {
    this.irs = irs;
    this.nxt = 1;
    this.advRight = 1 + synWindow;
  }

  /** Offset of a 32-bit sequence number the peer sent, nearest RCV.NXT. */
  off(wire: number): number {
    return this.nxt + ((wire - this.irs - this.nxt) | 0);
  }

  /** The 32-bit number of offset `off`. */
  wire(off: number): number {
    return (this.irs + off) >>> 0;
  }

  /** The window the peer may fill now (RCV.WND). */
  get window(): number {
    return Math.max(0, this.advRight - this.nxt);
  }

  /**
   * RFC 9293 §3.10.7.4 step 1: is the segment acceptable, and what of it lies in the window? Returns
   * undefined for an unacceptable one. A segment at RCV.NXT on a zero window is taken for its ACK and
   * control bits, with its data dropped (the special allowance for window probes).
   */
  accept(s: TcpSegment): Accepted | undefined {
    let seq = this.off(s.seq);
    let data = s.payload;
    let syn = (s.flags & TCP_SYN) !== 0;
    let fin = (s.flags & TCP_FIN) !== 0;
    const len = data.length + (syn ? 1 : 0) + (fin ? 1 : 0);
    const wnd = this.window;
    const inWnd = (x: number): boolean => x >= this.nxt && x < this.nxt + wnd;
    let ok = len === 0 ? (wnd === 0 ? seq === this.nxt : inWnd(seq)) : wnd > 0 && (inWnd(seq) || inWnd(seq + len - 1));
    let probe = false;
    if (!ok && wnd === 0 && seq === this.nxt) {
      ok = true;
      probe = data.length > 0;
    }
    if (!ok) return undefined;
    if (seq < this.nxt) {
      let cut = this.nxt - seq;
      if (syn) {
        syn = false;
        cut--;
        seq++;
      }
      const d = Math.min(cut, data.length);
      data = data.subarray(d);
      seq += d;
      if (cut > d) fin = false; // the FIN was below RCV.NXT too: a duplicate
    }
    if (seq + data.length > this.nxt + wnd) {
      data = data.subarray(0, Math.max(0, this.nxt + wnd - seq));
      fin = false;
    }
    return { seq, data, syn, fin, probe };
  }

  /** Takes in-order bytes at RCV.NXT; returns them when the application should get them now. */
  take(bytes: Uint8Array): Uint8Array | undefined {
    this.nxt += bytes.length;
    if (this.paused || this.unreadBytes > 0) {
      this.unread.push(bytes);
      this.unreadBytes += bytes.length;
      return undefined;
    }
    return bytes;
  }

  /** Empties the unread bytes (for delivery on resume). */
  drain(): Uint8Array[] {
    const out = this.unread;
    this.unread = [];
    this.unreadBytes = 0;
    return out;
  }

  /** Buffer space not taken by unread bytes. */
  get free(): number {
    return Math.max(0, this.bufSize - this.unreadBytes);
  }

  /**
   * The window field to send now (scaled down). Receiver SWS avoidance (RFC 9293 §3.8.6.2.2): the right
   * edge moves only by at least min(buffer / 2, MSS), and it never moves left.
   */
  advertise(): number {
    let wnd = this.free;
    const growth = this.nxt + wnd - this.advRight;
    if (growth > 0 && growth < Math.min(this.bufSize / 2, this.mss)) wnd = this.advRight - this.nxt;
    wnd = Math.max(wnd, this.advRight - this.nxt);
    const field = Math.min(0xffff, Math.floor(wnd / 2 ** this.wscale));
    const right = this.nxt + field * 2 ** this.wscale;
    if (right > this.advRight) this.advRight = right;
    return field;
  }
}
