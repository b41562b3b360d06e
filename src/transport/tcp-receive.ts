/**
 * The receive sequence space of one connection (RFC 9293 §3.3.1): RCV.NXT, the window we advertise, the
 * acceptability test and trimming of arriving segments (§3.10.7.4), out-of-order segments held for
 * reassembly, and bytes waiting for a paused application. Offsets are unwrapped from the peer's ISN.
 * The window follows Linux's receive side (net/ipv4/tcp_output.c __tcp_select_window, tcp_input.c
 * tcp_grow_window and tcp_rcv_space_adjust): half the buffer is window, the offer starts at the SYN's
 * window (rcv_ssthresh) and grows by two segments per segment received, and the buffer grows toward its
 * maximum while the application keeps reading. Acknowledging, events and the state machine belong to the
 * connection.
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
  /** SACK blocks to report (RFC 2018 §4), offsets [left, right), most recent first; at most 4 (Linux TCP_NUM_SACKS). */
  sacks: [number, number][] = [];
  /** Bytes delivered in order but not yet read (while the application is paused). */
  unread: Uint8Array[] = [];
  unreadBytes = 0;
  paused = false;
  /** The receive buffer now (sk_rcvbuf): starts at tcp_rmem[1], grows to `bufMax` while the reader keeps up. */
  bufSize: number;
  /** The window offered at most for now (Linux rcv_ssthresh): the SYN's window, growing as data arrives. */
  ssthresh = 0;

  constructor(
    /** Receive buffer size at the start (tcp_rmem[1]). */
    bufSize: number,
    /** Its ceiling (tcp_rmem[2]). */
    readonly bufMax: number,
    /** The unit of "full-sized segment": our MSS, less the timestamps option once agreed. */
    public mss: number,
  ) {
    this.bufSize = bufSize;
  }

  /** Window space of the whole buffer (tcp_full_space: half of it, the default scaling ratio). */
  get fullSpace(): number {
    return Math.floor(this.bufSize / 2);
  }

  /** Starts the space at the peer's SYN, with the window our SYN or SYN-ACK announced. */
  synchronize(irs: number, synWindow: number): void {
    this.irs = irs;
    this.nxt = 1;
    this.advRight = 1 + synWindow;
    this.ssthresh = synWindow;
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

  /**
   * Records an out-of-order segment [start, end) for SACK (RFC 2018 §4): the block holding it goes first,
   * merged with every block it touches; the others keep their order (tcp_sack_new_ofo_skb).
   */
  noteOutOfOrder(start: number, end: number): void {
    let l = start;
    let r = end;
    const rest: [number, number][] = [];
    for (const b of this.sacks) {
      if (b[0] <= r && b[1] >= l) {
        l = Math.min(l, b[0]);
        r = Math.max(r, b[1]);
      } else rest.push(b);
    }
    this.sacks = [[l, r] as [number, number], ...rest].slice(0, 4);
  }

  /** Forgets SACK blocks that RCV.NXT has reached (tcp_sack_remove). */
  pruneSacks(): void {
    if (this.sacks.length > 0) this.sacks = this.sacks.filter((b) => b[1] > this.nxt);
  }

  /**
   * A data segment of `len` bytes arrived in order: tcp_grow_window raises rcv_ssthresh by two segments
   * (for segments of at least 128 bytes), up to the free space.
   */
  grow(len: number): void {
    if (len < 128) return;
    this.ssthresh = Math.min(this.ssthresh + 2 * this.mss, Math.max(this.ssthresh, this.free));
  }

  /** Takes in-order bytes at RCV.NXT; returns them when the application should get them now. */
  take(bytes: Uint8Array): Uint8Array | undefined {
    this.nxt += bytes.length;
    if (this.paused || this.unreadBytes > 0) {
      this.unread.push(bytes);
      this.unreadBytes += bytes.length;
      return undefined;
    }
    // tcp_rcv_space_adjust: a reader that keeps up gets a buffer of about twice what the window offers
    if (this.bufSize < this.bufMax) this.bufSize = Math.min(this.bufMax, Math.max(this.bufSize, 4 * this.ssthresh));
    return bytes;
  }

  /** Puts chunks the application paused before back at the head of the unread bytes. */
  requeue(chunks: Uint8Array[]): void {
    let n = 0;
    for (const c of chunks) n += c.length;
    this.unread = [...chunks, ...this.unread];
    this.unreadBytes += n;
  }

  /** Empties the unread bytes (for delivery on resume). */
  drain(): Uint8Array[] {
    const out = this.unread;
    this.unread = [];
    this.unreadBytes = 0;
    return out;
  }

  /** Window space not taken by unread bytes (tcp_space: half the free buffer). */
  get free(): number {
    return Math.max(0, Math.floor((this.bufSize - this.unreadBytes) / 2));
  }

  /**
   * The window field to send now (scaled down), as __tcp_select_window: min(free space, rcv_ssthresh),
   * zero when less than an MSS is free. With a window scale it is rounded up to the scale unit (ALIGN);
   * without one, receiver SWS avoidance (RFC 9293 §3.8.6.2.2) keeps it a multiple of the MSS unless the
   * last offer is still within an MSS of it. The right edge never moves left (tcp_select_window).
   */
  advertise(): number {
    const free = this.free;
    let wnd = free < this.mss ? 0 : Math.min(free, this.ssthresh);
    const cur = Math.max(0, this.advRight - this.nxt);
    if (this.wscale === 0 && wnd > 0) {
      if (cur <= wnd - this.mss || cur > wnd) wnd -= wnd % this.mss;
      else wnd = cur;
    }
    wnd = Math.max(wnd, cur);
    const unit = 2 ** this.wscale;
    const field = Math.min(0xffff, Math.ceil(wnd / unit));
    const right = this.nxt + field * unit;
    if (right > this.advRight) this.advRight = right;
    return field;
  }
}
