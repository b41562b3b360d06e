/**
 * TCP's byte buffers: the send buffer (bytes written by the application and not yet acknowledged, read
 * back at any offset for (re)transmission) and the reassembly queue (segments that arrived ahead of
 * RCV.NXT, RFC 9293 §3.10.7.4 "segments with higher beginning sequence numbers may be held"). Sequence
 * numbers here are the connection's unwrapped offsets, never the 32-bit wire values.
 */

const EMPTY = new Uint8Array(0);

/** A growable ring of bytes: append at the tail, copy out from any offset, consume from the head. */
export class ByteRing {
  // allocated on the first push: most connections of a big run (probes, handshakes that are refused or
  // reset) never write a byte, and 4 KiB for each of them was most of what a connection cost
  private buf: Uint8Array = EMPTY;
  private head = 0;
  private readonly initialCapacity: number;
  /** Bytes held. */
  length = 0;

  constructor(initialCapacity = 4096) {
    let cap = 1;
    while (cap < initialCapacity) cap *= 2;
    this.initialCapacity = cap;
  }

  /** Appends a copy of `bytes`. */
  push(bytes: Uint8Array): void {
    const need = this.length + bytes.length;
    if (need > this.buf.length) this.grow(need);
    const cap = this.buf.length;
    const tail = (this.head + this.length) & (cap - 1);
    const first = Math.min(bytes.length, cap - tail);
    // the common case needs no view: a subarray is an allocation per write (a BGP UPDATE is one write)
    if (first === bytes.length) this.buf.set(bytes, tail);
    else {
      this.buf.set(bytes.subarray(0, first), tail);
      this.buf.set(bytes.subarray(first), 0);
    }
    this.length = need;
  }

  /** Copies `len` bytes starting `off` bytes after the head into `dst` at `dstOff`. Throws past the end. */
  copyOut(off: number, len: number, dst: Uint8Array, dstOff: number): void {
    if (off < 0 || len < 0 || off + len > this.length)
      throw new RangeError(`ByteRing: copyOut(${off}, ${len}) of ${this.length} bytes`);
    const cap = this.buf.length;
    const start = (this.head + off) & (cap - 1);
    const first = Math.min(len, cap - start);
    dst.set(this.buf.subarray(start, start + first), dstOff);
    if (first < len) dst.set(this.buf.subarray(0, len - first), dstOff + first);
  }

  /** Drops `n` bytes from the head. */
  consume(n: number): void {
    if (n < 0 || n > this.length) throw new RangeError(`ByteRing: consume(${n}) of ${this.length} bytes`);
    this.head = (this.head + n) & (this.buf.length - 1);
    this.length -= n;
  }

  private grow(need: number): void {
    let cap = Math.max(this.buf.length * 2, this.initialCapacity);
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    this.copyOut(0, this.length, next, 0);
    this.buf = next;
    this.head = 0;
  }
}

/** One held segment: its first sequence offset, a private copy of its data, and what it costs the receive buffer. */
interface Held {
  start: number;
  data: Uint8Array;
  truesize: number;
}

/** Out-of-order segments, sorted by start; overlaps are allowed and resolved when taken. */
export class ReassemblyQueue {
  private readonly held: Held[] = [];
  /** Bytes held (counting overlaps twice). */
  bytes = 0;
  /** The truesize of the segments held (what they are charged in the receive buffer). */
  truesize = 0;
  /** The truesize of the segments the last take() dropped as wholly below `next`. */
  dropped = 0;
  // the highest end of a segment held since the queue was last empty: kept as segments arrive, where a
  // scan per held segment made a loss episode quadratic
  private maxEnd = -1;

  /** Segments held. */
  get size(): number {
    return this.held.length;
  }

  /**
   * Holds a copy of `data`, which starts at sequence offset `start`, charged `truesize`. Returns false
   * for a segment already held wholly by the one before it (ignored, and not charged).
   */
  insert(start: number, data: Uint8Array, truesize = 0): boolean {
    const h = this.held;
    let i = h.length;
    while (i > 0 && h[i - 1]!.start > start) i--;
    // already held wholly by the segment before (a duplicate of an out-of-order segment)
    const prev = h[i - 1];
    if (prev !== undefined && prev.start <= start && prev.start + prev.data.length >= start + data.length) return false;
    h.splice(i, 0, { start, data: data.slice(), truesize });
    this.maxEnd = Math.max(this.maxEnd, start + data.length);
    this.bytes += data.length;
    this.truesize += truesize;
    return true;
  }

  /**
   * Removes and returns the bytes that continue the stream at `next` (in order, without overlap), and drops
   * held segments wholly below it. Returns [] when the next byte has not arrived. The truesize of each
   * chunk returned is pushed onto `sizes`, in the same order; the dropped segments' is in `this.dropped`.
   */
  take(next: number, sizes?: number[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    const h = this.held;
    this.dropped = 0;
    while (h.length > 0 && h[0]!.start <= next) {
      const s = h.shift()!;
      this.bytes -= s.data.length;
      this.truesize -= s.truesize;
      const end = s.start + s.data.length;
      if (end <= next) {
        this.dropped += s.truesize;
        continue;
      }
      out.push(s.data.subarray(next - s.start));
      sizes?.push(s.truesize);
      next = end;
    }
    if (h.length === 0) this.maxEnd = -1;
    return out;
  }

  /**
   * How far the segments held reach beyond `next`, the stream's next byte (0 when they do not). A segment
   * taken since the queue was last empty may still count in maxEnd, but take() leaves the stream at or past
   * its end, so it adds nothing beyond `next`.
   */
  aheadOf(next: number): number {
    return this.held.length > 0 ? Math.max(0, this.maxEnd - next) : 0;
  }

  /** Forgets everything. */
  clear(): void {
    this.held.length = 0;
    this.maxEnd = -1;
    this.bytes = 0;
    this.truesize = 0;
  }
}
