/**
 * The receive side's memory, and the window it lets us offer, as Linux 6.18 keeps them: the buffer
 * (sk_rcvbuf) and what the queued segments cost in it (sk_rmem_alloc, each segment charged its skb's
 * truesize until the application reads it), the share of the buffer a byte of window may take
 * (tp->scaling_ratio, measured as skb->len / skb->truesize), the largest window (tp->window_clamp), the
 * window offered for now (tp->rcv_ssthresh), the peer's segment size as we see it (icsk_ack.rcv_mss), and
 * the autotuning that grows the buffer while the reader keeps up (tcp_rcv_space_adjust with its receive
 * RTT estimate). Sources: include/net/tcp.h (tcp_win_from_space, tcp_space, tcp_full_space),
 * net/ipv4/tcp_input.c (tcp_measure_rcv_mss, tcp_grow_window, tcp_init_buffer_space,
 * tcp_initialize_rcv_mss, tcp_rcv_rtt_update/_measure/_measure_ts, tcp_rcv_space_adjust,
 * tcp_rcvbuf_grow), net/ipv4/tcp_output.c (__tcp_select_window), net/ipv4/tcp.c
 * (tcp_set_window_clamp). Sequence numbers, the right edge never moving left and the wire belong to
 * tcp-receive.ts; when ACKs go to tcp-connection.ts. Numbers only: nothing here allocates.
 *
 * Not modelled: coalescing into the receive queue's tail (tcp_try_coalesce charges a segment only its
 * payload when the tail skb is no longer a clone, i.e. once the sender has freed its copy on our ACK,
 * which depends on when the sender processed that ACK: a veth capture shows the first burst charged in
 * full and the ACK-clocked segments after it coalesced, so a sleeping reader's window shrinks by 7 units
 * a segment there and by 11 here); pruning, collapsing and dropping once the queue outgrows the buffer
 * (tcp_prune_queue, tcp_collapse); memory pressure and SO_RCVBUF; GRO/TSO aggregates (every segment is
 * one skb, as with gso_max_segs 1); skbs built elsewhere than by a local socket (a NIC's page frags).
 */

/** TCP_RMEM_TO_WIN_SCALE: scaling_ratio is a fraction of 256. */
const RMEM_TO_WIN_SCALE = 8;
/** TCP_DEFAULT_SCALING_RATIO: half the buffer is window until a full-sized segment says otherwise. */
const DEFAULT_SCALING_RATIO = 1 << (RMEM_TO_WIN_SCALE - 1);
/**
 * The truesize of a segment a local socket sent, less its payload: TCP builds each skb with a
 * MAX_TCP_HEADER head (tcp_stream_alloc_skb: alloc_skb_fclone, truesize = SKB_TRUESIZE(skb_end_offset))
 * and adds every byte it copies into page frags to truesize (skb_copy_to_page_nocache -> skb_len_add).
 * On this kernel (x86_64, no IPIP/GRE/SIT tunnels, LL_MAX_HEADER 32) MAX_TCP_HEADER is 192 and the head
 * comes from skb_small_head_cache: SKB_HEAD_ALIGN(max(192, GRO_MAX_HEAD_PAD 224)) = 576 bytes, 256 of
 * them data (skb_end_offset), so SKB_TRUESIZE(256) = 256 + SKB_DATA_ALIGN(sizeof(struct sk_buff) 224)
 * + SKB_DATA_ALIGN(sizeof(struct skb_shared_info) 320) = 832 (sizes from the kernel's BTF). veth, a
 * bridge, VXLAN encapsulation and decapsulation and NAT hand the same skb on: `ss -tmi` shows
 * skmem r910 for 78 unread bytes and r2230 for 1398, in two namespaces and across
 * examples/vxlan-nat-gateway.yaml alike.
 */
export const LOCAL_SKB_OVERHEAD = 832;
/** TCP_MSS_DEFAULT (RFC 1122's 536) and TCP_MIN_MSS (88): tcp_initialize_rcv_mss's bounds. */
const TCP_MSS_DEFAULT = 536;
const TCP_MIN_MSS = 88;
/** TCP_INIT_CWND: rcvq_space starts at no more than ten segments (tcp_init_buffer_space). */
const TCP_INIT_CWND = 10;
/** net.ipv4.tcp_app_win's default: 1/2^31 of the buffer kept for the application, and one segment. */
const TCP_APP_WIN = 31;
/** SOCK_MIN_RCVBUF: 2 * (2048 + SKB_DATA_ALIGN(sizeof(struct sk_buff))); half of it is the least clamp. */
const SOCK_MIN_RCVBUF = 2 * (2048 + 256);
/** A 20-byte TCP header, and the flags that make a short segment a remnant (TCP_REMNANT: FIN URG SYN PSH). */
const TCP_HEADER_LEN = 20;
const TCP_REMNANT = 0x01 | 0x20 | 0x02 | 0x08;

/** tcp_win_from_space: the window `space` bytes of buffer hold at `ratio`/256 (may be negative). */
export function winFromSpace(space: number, ratio: number): number {
  return Math.floor((space * ratio) / 256);
}

/** __tcp_space_from_win: the buffer a window of `win` bytes needs at `ratio`/256. */
function spaceFromWin(win: number, ratio: number): number {
  return Math.floor((win * 256) / ratio);
}

/** Receive memory and window state of one connection (the tcp_sock fields named above). */
export class ReceiveBuffer {
  /** sk_rcvbuf: starts at tcp_rmem[1], autotuning grows it to `rcvbufMax` (tcp_rmem[2]). */
  rcvbuf: number;
  /** sk_rmem_alloc: the truesize of every segment queued and not yet read, in order or not. */
  rmemAlloc = 0;
  /** tp->scaling_ratio, of 256. */
  ratio = DEFAULT_SCALING_RATIO;
  /** tp->window_clamp: the largest window we offer. */
  windowClamp = 0;
  /** tp->rcv_ssthresh: the largest window we offer for now. */
  ssthresh = 0;
  /** icsk_ack.rcv_mss: our guess of the peer's segment size. */
  rcvMss = TCP_MSS_DEFAULT;
  /** icsk_ack.last_seg_size. */
  private lastSegSize = 0;
  /** tp->advmss: our MSS less the timestamps option once agreed. */
  advmss: number;
  /** rcvq_space: bytes the reader took in the last receive RTT, and where and when that RTT began. */
  space = 0;
  private spaceSeq = 0;
  private spaceTimeUs = 0;
  /** rcv_rtt_est: the receive RTT, in microseconds times 8 (0: none yet), and the window being timed. */
  rttUs8 = 0;
  private rttSeq = 0;
  private rttTimeUs = -1;
  /** tp->rcv_rtt_last_tsecr. */
  private lastTsecr = 0;
  /** __tcp_select_window found less than half the window free: leave quickack mode (icsk_ack.quick = 0). */
  quickOff = false;

  constructor(
    rcvbuf: number,
    /** tcp_rmem[2]. */
    readonly rcvbufMax: number,
    advmss: number,
  ) {
    this.rcvbuf = rcvbuf;
    this.advmss = advmss;
  }

  /** tcp_full_space: the window the whole buffer holds. */
  get fullSpace(): number {
    return winFromSpace(this.rcvbuf, this.ratio);
  }

  /** tcp_space: the window the free buffer holds (negative once the queue outgrew the buffer). */
  get freeSpace(): number {
    return winFromSpace(this.rcvbuf - this.rmemAlloc, this.ratio);
  }

  /**
   * The SYN's offer is made (tcp_select_initial_window): the clamp is the largest window the scale can
   * say, and rcv_ssthresh starts at the window announced.
   */
  synchronize(synWindow: number, wscale: number): void {
    this.windowClamp = Math.min(0xffff * 2 ** wscale, 0xffff * 2 ** 14);
    this.ssthresh = synWindow;
  }

  /**
   * The connection is established (tcp_init_transfer): tcp_init_buffer_space keeps one segment of the
   * buffer for the application (tcp_app_win), so the clamp is a full space less advmss and rcv_ssthresh
   * no more; tcp_initialize_rcv_mss guesses the peer's MSS (536 unless something smaller is known).
   */
  establish(advmss: number, sndMss: number, rcvWnd: number, copiedSeq: number, nowUs: number): void {
    this.advmss = advmss;
    const maxwin = this.fullSpace;
    if (this.windowClamp >= maxwin) {
      this.windowClamp = maxwin;
      if (maxwin > 4 * advmss) this.windowClamp = Math.max(maxwin - Math.floor(maxwin / 2 ** TCP_APP_WIN), 4 * advmss);
    }
    if (this.windowClamp > 2 * advmss && this.windowClamp + advmss > maxwin)
      this.windowClamp = Math.max(2 * advmss, maxwin - advmss);
    this.ssthresh = Math.min(this.ssthresh, this.windowClamp);
    this.space = Math.min(this.ssthresh, rcvWnd, TCP_INIT_CWND * advmss);
    this.spaceSeq = copiedSeq;
    this.spaceTimeUs = nowUs;
    let hint = Math.min(advmss, sndMss, Math.floor(rcvWnd / 2), TCP_MSS_DEFAULT);
    hint = Math.max(hint, TCP_MIN_MSS);
    this.rcvMss = hint;
  }

  /** A segment joined a queue (skb_set_owner_r). */
  charge(truesize: number): void {
    this.rmemAlloc += truesize;
  }

  /** The reader took a segment, or a held one was dropped (sock_rfree). */
  uncharge(truesize: number): void {
    this.rmemAlloc -= truesize;
  }

  /**
   * tcp_set_window_clamp: a new clamp; growing it lets rcv_ssthresh reach the window last offered,
   * shrinking it pulls rcv_ssthresh down (__tcp_adjust_rcv_ssthresh; no reserved memory here).
   */
  setWindowClamp(val: number, rcvWnd: number): void {
    const clamp = Math.max(val, SOCK_MIN_RCVBUF / 2);
    if (clamp === this.windowClamp) return;
    const old = this.windowClamp;
    this.windowClamp = clamp;
    if (clamp < old) this.ssthresh = Math.min(this.ssthresh, clamp);
    else this.ssthresh = Math.max(Math.min(rcvWnd, clamp), this.ssthresh);
  }

  /**
   * tcp_measure_rcv_mss for an in-order segment of `len` payload bytes. A segment at least rcv_mss long
   * (and not exactly it) re-measures the scaling ratio as len / truesize and moves the clamp to the
   * buffer's window at that ratio; a shorter one sets rcv_mss when two in a row, header included, had
   * the same length. `tcpHeaderLen` is tp->tcp_header_len (20, or 32 with timestamps), `hdrLen` this
   * segment's header, `flags` its flags byte.
   */
  measureRcvMss(
    len: number,
    truesize: number,
    hdrLen: number,
    flags: number,
    tcpHeaderLen: number,
    rcvWnd: number,
  ): void {
    const lss = this.lastSegSize;
    this.lastSegSize = 0;
    if (len >= this.rcvMss) {
      if (len !== this.rcvMss) {
        const old = this.ratio;
        this.ratio = Math.floor((len * 256) / truesize) || 1;
        if (old !== this.ratio) {
          this.setWindowClamp(winFromSpace(this.rcvbuf, this.ratio), rcvWnd);
          if (this.windowClamp < this.space) this.space = this.windowClamp;
        }
      }
      this.rcvMss = Math.min(len, this.advmss);
      return;
    }
    let l = len + hdrLen;
    if (l >= TCP_MSS_DEFAULT + TCP_HEADER_LEN || (l >= TCP_MIN_MSS + TCP_HEADER_LEN && (flags & TCP_REMNANT) === 0)) {
      l -= tcpHeaderLen;
      this.lastSegSize = l;
      if (l === lss) this.rcvMss = l;
    }
  }

  /**
   * tcp_grow_window: raise rcv_ssthresh toward the clamp and the free space by two segments (or twice
   * this one) when a segment of this size and truesize would still fit the buffer's window; `adjust`
   * (in-order data from page frags) counts only the payload, as truesize_adjust does. Returns whether it
   * grew, which puts the connection in quickack mode for one more ACK (icsk_ack.quick |= 1).
   */
  growWindow(len: number, truesize: number, adjust: boolean): boolean {
    const room = Math.min(this.windowClamp, this.freeSpace) - this.ssthresh;
    if (room <= 0) return false;
    // truesize_adjust: an skb whose head holds no payload (skb_headlen 0, as a local socket's are once the
    // TCP header is pulled) costs its frags only
    const ts = adjust && truesize - LOCAL_SKB_OVERHEAD >= len ? truesize - LOCAL_SKB_OVERHEAD : truesize;
    let incr: number;
    if (winFromSpace(ts, this.ratio) <= len) incr = 2 * this.advmss;
    else incr = this.growSlow(len, ts);
    if (incr === 0) return false;
    incr = Math.max(incr, 2 * len);
    this.ssthresh += Math.min(room, incr);
    return true;
  }

  /** __tcp_grow_window: the slow part of check #2, halving truesize and the largest window together. */
  private growSlow(len: number, truesize: number): number {
    let ts = winFromSpace(truesize, this.ratio) >> 1;
    let window = winFromSpace(this.rcvbufMax, this.ratio) >> 1;
    while (this.ssthresh <= window) {
      if (ts <= len) return 2 * this.rcvMss;
      ts >>= 1;
      window >>= 1;
    }
    return 0;
  }

  /**
   * __tcp_select_window: the window the buffer lets us offer now, before the right edge's no-shrink rule.
   * With less than half the window free it is rounded down to the scale unit and goes to zero below
   * 1/16 of the buffer's window or one rcv_mss; otherwise it is the free space, at most rcv_ssthresh,
   * rounded up to the scale unit, or without scaling to whole rcv_mss unless the last offer (`rcvWnd`)
   * is within one of it.
   */
  selectWindow(rcvWnd: number, wscale: number): number {
    let mss = this.rcvMss;
    let free = this.freeSpace;
    const allowed = this.fullSpace;
    const full = Math.min(this.windowClamp, allowed);
    const unit = 2 ** wscale;
    if (mss > full) {
      mss = full;
      if (mss <= 0) return 0;
    }
    if (free < full >> 1) {
      this.quickOff = true;
      free = Math.floor(free / unit) * unit;
      if (free < allowed >> 4 || free < mss) return 0;
    }
    if (free > this.ssthresh) free = this.ssthresh;
    if (wscale !== 0) return Math.ceil(free / unit) * unit;
    let window = rcvWnd;
    if (window <= free - mss || window > free) window = Math.floor(free / mss) * mss;
    else if (mss === full && free > window + (full >> 1)) window = free;
    return window;
  }

  /** tcp_rcv_rtt_update: a receive RTT sample; a smaller one is taken at once, a larger one smoothed. */
  private rttUpdate(sampleUs: number, winDep: boolean, queueEmpty: boolean): void {
    const m = sampleUs * 8;
    const old = this.rttUs8;
    if (old === 0 || m < old) this.rttUs8 = m;
    else if (!winDep && queueEmpty) this.rttUs8 = old - (old >> 3) + sampleUs;
  }

  /**
   * tcp_rcv_rtt_measure (every in-order data segment): the time the peer took to fill one window, from
   * when RCV.NXT + RCV.WND was noted until RCV.NXT passed it; only ever lowers the estimate.
   */
  rttMeasure(nowUs: number, rcvNxt: number, rcvWnd: number): void {
    if (this.rttTimeUs >= 0) {
      if (rcvNxt < this.rttSeq) return;
      this.rttUpdate(Math.max(1, nowUs - this.rttTimeUs), true, true);
    }
    this.rttSeq = rcvNxt + rcvWnd;
    this.rttTimeUs = nowUs;
  }

  /**
   * tcp_rcv_rtt_measure_ts (every segment in a synchronized state): the first segment echoing a new
   * TSecr and carrying at least rcv_mss measures the RTT in whole TS ticks (milliseconds); a zero delta
   * is no sample, and a larger sample waits for an empty receive queue.
   */
  rttMeasureTs(tsecr: number, tsNow: number, seqLen: number, queueEmpty: boolean): void {
    if (tsecr === this.lastTsecr) return;
    this.lastTsecr = tsecr;
    if (seqLen < this.rcvMss) return;
    const delta = (tsNow - tsecr) >>> 0;
    if (delta === 0 || delta >= 0x7fffffff / 1000) return;
    this.rttUpdate(delta * 1000, false, queueEmpty);
  }

  /**
   * tcp_rcv_space_adjust, after the reader copied: once a receive RTT has passed, if it read more than
   * rcvq_space in it (less what still waits), the buffer grows (tcp_rcvbuf_grow).
   */
  spaceAdjust(nowUs: number, copiedSeq: number, rcvNxt: number, oooAhead: number): void {
    const time = Math.max(0, nowUs - this.spaceTimeUs);
    if (this.rttUs8 === 0 || time < this.rttUs8 >> 3) return;
    const copied = copiedSeq - this.spaceSeq - (rcvNxt - copiedSeq);
    if (copied > this.space) this.rcvbufGrow(copied, oooAhead);
    this.spaceSeq = copiedSeq;
    this.spaceTimeUs = nowUs;
  }

  /**
   * tcp_rcvbuf_grow(sk, newval): DRS is one RTT late, so twice what was read, plus twice its growth
   * over the last RTT (slow start), plus what the out-of-order queue holds beyond RCV.NXT (`oooAhead`);
   * the buffer that window needs, up to tcp_rmem[2], and the clamp follow.
   */
  rcvbufGrow(newval: number, oooAhead: number): void {
    const oldval = this.space;
    this.space = newval;
    let rcvwin = newval * 2;
    if (oldval > 0) rcvwin += 2 * Math.floor((rcvwin * (newval - oldval)) / oldval);
    rcvwin += oooAhead;
    const rcvbuf = Math.min(spaceFromWin(rcvwin, this.ratio), this.rcvbufMax);
    if (rcvbuf > this.rcvbuf) {
      this.rcvbuf = rcvbuf;
      this.windowClamp = winFromSpace(rcvbuf, this.ratio);
    }
  }
}
