/**
 * The receive sequence space of one connection (RFC 9293 §3.3.1): RCV.NXT, the window we advertise, the
 * acceptability test and trimming of arriving segments (§3.10.7.4), out-of-order segments held for
 * reassembly, and bytes the application has not read yet. Offsets are unwrapped from the peer's ISN.
 * The window follows Linux's tcp_select_window (net/ipv4/tcp_output.c): what the receive memory allows
 * (tcp-rcvbuf.ts, __tcp_select_window), never moving the right edge left. Each segment is charged its
 * truesize while it waits in a queue, the way skb_set_owner_r charges sk_rmem_alloc, and released when
 * the application reads it. Acknowledging, events and the state machine belong to the connection.
 */
import { TCP_FIN, TCP_SYN, type TcpSegment } from '../wire/tcp.js';
import { ReassemblyQueue } from './tcp-buffers.js';
import { ReceiveBuffer } from './tcp-rcvbuf.js';

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
  /** The window last advertised (Linux rcv_wnd, unscaled) and RCV.NXT when it was (rcv_wup). */
  rcvWnd = 0;
  rcvWup = 0;
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
  /** Offset up to which the application has read (Linux copied_seq). */
  copied = 0;
  /** Receive memory: the buffer, what the queues cost in it, and the window it allows. */
  readonly mem: ReceiveBuffer;
  /** The truesize of every in-order chunk not yet read, in stream order, from `chargeHead`. */
  private readonly charges: number[] = [];
  private chargeHead = 0;

  constructor(
    /** Receive buffer size at the start (tcp_rmem[1]). */
    bufSize: number,
    /** Its ceiling (tcp_rmem[2]). */
    bufMax: number,
    /** Our MSS (Linux advmss; the connection lowers the buffer's copy once the timestamps option is agreed). */
    mss: number,
  ) {
    this.mem = new ReceiveBuffer(bufSize, bufMax, mss);
  }

  /** Window space of the whole buffer (tcp_full_space: half of it at the default scaling ratio). */
  get fullSpace(): number {
    return this.mem.fullSpace;
  }

  /** Starts the space at the peer's SYN, with the window our SYN or SYN-ACK announced. */
  synchronize(irs: number, synWindow: number): void {
    this.irs = irs;
    this.nxt = 1;
    this.copied = 1;
    this.rcvWup = 1;
    this.rcvWnd = synWindow;
    this.mem.synchronize(synWindow, this.wscale);
  }

  /** Offset of a 32-bit sequence number the peer sent, nearest RCV.NXT. */
  off(wire: number): number {
    return this.nxt + ((wire - this.irs - this.nxt) | 0);
  }

  /** The 32-bit number of offset `off`. */
  wire(off: number): number {
    return (this.irs + off) >>> 0;
  }

  /** The window the peer may fill now (RCV.WND; Linux tcp_receive_window). */
  get window(): number {
    return Math.max(0, this.rcvWup + this.rcvWnd - this.nxt);
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
   * Holds an out-of-order segment (tcp_data_queue_ofo): rcv_ssthresh may grow (with SACK; a segment
   * counted whole, truesize and all), then it is charged; the buffer may grow to cover what is held
   * beyond RCV.NXT (tcp_rcvbuf_grow). Returns false for one already held.
   */
  hold(seq: number, data: Uint8Array, truesize: number, sack: boolean): boolean {
    if (!this.ooo.insert(seq, data, truesize)) return false;
    if (sack) this.mem.growWindow(data.length, truesize, false);
    this.mem.charge(truesize);
    this.mem.rcvbufGrow(this.mem.space, this.oooAhead);
    return true;
  }

  /** Takes in-order bytes at RCV.NXT, charged `truesize`; returns them when the application should get them now. */
  take(bytes: Uint8Array, truesize: number): Uint8Array | undefined {
    this.mem.charge(truesize);
    return this.queue(bytes, truesize);
  }

  /** Queues in-order bytes already charged (taken from the out-of-order queue). */
  private queue(bytes: Uint8Array, truesize: number): Uint8Array | undefined {
    this.nxt += bytes.length;
    this.charges.push(truesize);
    if (this.paused || this.unreadBytes > 0) {
      this.unread.push(bytes);
      this.unreadBytes += bytes.length;
      return undefined;
    }
    return bytes;
  }

  /**
   * Moves what continues the stream from the out-of-order queue (tcp_ofo_queue), already charged; the
   * chunks the application should get now are pushed onto `out`. Segments wholly below RCV.NXT are
   * released. Returns the bytes moved.
   */
  takeHeld(out: Uint8Array[]): number {
    if (this.ooo.size === 0) return 0;
    const sizes: number[] = [];
    const chunks = this.ooo.take(this.nxt, sizes);
    this.mem.uncharge(this.ooo.dropped);
    let n = 0;
    for (let i = 0; i < chunks.length; i++) {
      n += chunks[i]!.length;
      const now = this.queue(chunks[i]!, sizes[i]!);
      if (now !== undefined) out.push(now);
    }
    return n;
  }

  /** The application read `n` bytes, one whole chunk: its charge is released (sock_rfree). */
  read(n: number): void {
    this.copied += n;
    const c = this.charges;
    if (this.chargeHead >= c.length) throw new Error('ReceiveSpace: read() of a chunk that was never queued');
    this.mem.uncharge(c[this.chargeHead++]!);
    if (this.chargeHead === c.length) {
      c.length = 0;
      this.chargeHead = 0;
    }
  }

  /** What the out-of-order queue holds beyond RCV.NXT (for tcp_rcvbuf_grow). */
  get oooAhead(): number {
    return this.ooo.aheadOf(this.nxt);
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

  /** Forgets the out-of-order queue (the connection is gone), releasing its charge. */
  clearHeld(): void {
    this.mem.uncharge(this.ooo.truesize);
    this.ooo.clear();
  }

  /**
   * The window field to send now (Linux tcp_select_window): what the receive memory allows
   * (__tcp_select_window), or, if that is less, the window still open from the last offer rounded up to
   * the scale unit (the right edge never moves left, RFC 9293 §3.8.6.2.2); remembered as rcv_wnd from
   * RCV.NXT, and scaled down.
   */
  advertise(): number {
    const unit = 2 ** this.wscale;
    const cur = this.window;
    let win = this.mem.selectWindow(this.rcvWnd, this.wscale);
    if (win < cur) win = Math.ceil(cur / unit) * unit;
    this.rcvWnd = win;
    this.rcvWup = this.nxt;
    return Math.floor(Math.min(win, 0xffff * unit) / unit);
  }
}
