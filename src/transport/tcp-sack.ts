/**
 * The sender's SACK scoreboard (RFC 6675 §2-§4): which bytes above SND.UNA the peer has selectively
 * acknowledged (RFC 2018), which of the rest are deemed lost, the `pipe` estimate of what is still in the
 * network, and NextSeg()'s choice of what to send next in loss recovery. Offsets are the connection's
 * unwrapped send offsets. When to enter and leave recovery, and the sending itself, are the connection's.
 */

/** RFC 6675 §2: DupThresh, the duplicate ACKs (or SACKed segments) that mean a loss. */
export const DUP_THRESH = 3;

/** What NextSeg() chose: retransmit [start, end), or send new data. */
export type NextSegChoice = { kind: 'retransmit'; start: number; end: number } | { kind: 'new' } | undefined;

/** The SACKed ranges of one connection, sorted and disjoint. */
export class SackScoreboard {
  /** Sorted, disjoint [start, end) ranges the peer SACKed. */
  ranges: [number, number][] = [];
  /** RFC 6675 HighRxt: the highest offset retransmitted in this recovery. */
  highRxt = 0;

  /** The highest SACKed offset (RFC 6675 HighACK's counterpart for SACK: the right edge), or -1. */
  get highSacked(): number {
    return this.ranges.length === 0 ? -1 : this.ranges[this.ranges.length - 1]![1];
  }

  /** Adds the blocks of one ACK that lie within (una, max]; returns true if any byte was newly SACKed. */
  update(blocks: readonly [number, number][], una: number, max: number): boolean {
    let grew = false;
    for (const [l0, r0] of blocks) {
      const l = Math.max(l0, una);
      const r = Math.min(r0, max);
      if (r <= l || l0 >= r0) continue; // outside what was sent, or a D-SACK below SND.UNA (RFC 2883)
      const before = this.bytes();
      this.add(l, r);
      if (this.bytes() > before) grew = true;
    }
    return grew;
  }

  /** Forgets what SND.UNA has passed. */
  advance(una: number): void {
    while (this.ranges.length > 0 && this.ranges[0]![1] <= una) this.ranges.shift();
    const first = this.ranges[0];
    if (first !== undefined && first[0] < una) first[0] = una;
    if (this.highRxt < una) this.highRxt = una;
  }

  /** Forgets everything (a reneging peer, or the connection's end). */
  clear(): void {
    this.ranges = [];
    this.highRxt = 0;
  }

  /** Bytes SACKed. */
  bytes(): number {
    let n = 0;
    for (const [l, r] of this.ranges) n += r - l;
    return n;
  }

  /** The SACKed range holding `seq`, if any. */
  covering(seq: number): [number, number] | undefined {
    for (const g of this.ranges) if (g[0] <= seq && seq < g[1]) return g;
    return undefined;
  }

  /** The start of the first SACKed range above `seq`, or Infinity. */
  nextSackedAfter(seq: number): number {
    for (const [l] of this.ranges) if (l > seq) return l;
    return Infinity;
  }

  /**
   * RFC 6675 IsLost(seq): DupThresh discontiguous SACKed ranges above it, or more than
   * (DupThresh - 1) * SMSS bytes SACKed above it.
   */
  isLost(seq: number, mss: number): boolean {
    return seq < this.lostBelow(mss);
  }

  /**
   * IsLost is monotone (fewer bytes lie above a higher offset), so it holds exactly below one offset:
   * this one, found from the top in one pass over the ranges.
   */
  lostBelow(mss: number): number {
    const limit = (DUP_THRESH - 1) * mss;
    let acc = 0;
    let lost = -Infinity;
    for (let i = this.ranges.length - 1, n = 1; i >= 0; i--, n++) {
      const [l, r] = this.ranges[i]!;
      if (n === DUP_THRESH) lost = Math.max(lost, r);
      if (acc + (r - l) > limit) lost = Math.max(lost, r - (limit - acc));
      if (lost > -Infinity) break;
      acc += r - l;
    }
    return lost;
  }

  /** Bytes of [a, b) nobody SACKed. */
  private unsacked(a: number, b: number): number {
    if (b <= a) return 0;
    let n = b - a;
    for (const [l, r] of this.ranges) n -= Math.max(0, Math.min(r, b) - Math.max(l, a));
    return n;
  }

  /**
   * RFC 6675 SetPipe(): the bytes in [una, max) still believed in the network: those neither SACKed nor
   * lost, plus those retransmitted (below HighRxt) and not SACKed since.
   */
  pipe(una: number, max: number, mss: number): number {
    const lost = this.lostBelow(mss);
    return this.unsacked(Math.max(una, lost), max) + this.unsacked(una, Math.min(this.highRxt, max));
  }

  /**
   * RFC 6675 NextSeg(): (1) the first unSACKed piece at or above HighRxt, below the highest SACKed
   * byte, that IsLost; else (2) new data, if `newData`; else (3) the first unSACKed piece at or above
   * HighRxt below the highest SACKed byte. Pieces end at `dataEnd` or the next SACKed range.
   */
  nextSeg(una: number, mss: number, dataEnd: number, newData: boolean): NextSegChoice {
    let s = Math.max(una, this.highRxt);
    for (let g = this.covering(s); g !== undefined; g = this.covering(s)) s = g[1];
    if (s < this.highSacked) {
      const end = Math.min(s + mss, this.nextSackedAfter(s), Math.max(dataEnd, s + 1));
      // the first hole is the lowest: if it is not lost, no later one is (rule 3 then applies)
      if (this.isLost(s, mss) || !newData) return { kind: 'retransmit', start: s, end };
    }
    return newData ? { kind: 'new' } : undefined;
  }

  private add(l: number, r: number): void {
    const out: [number, number][] = [];
    let placed = false;
    for (const g of this.ranges) {
      if (g[1] < l) out.push(g);
      else if (g[0] > r) {
        if (!placed) out.push([l, r]);
        placed = true;
        out.push(g);
      } else {
        l = Math.min(l, g[0]);
        r = Math.max(r, g[1]);
      }
    }
    if (!placed) out.push([l, r]);
    this.ranges = out;
  }
}
