/**
 * Broadcast-storm detection: a switch loop without STP copies the same broadcast frame around the loop for
 * ever (IEEE 802.1D exists to prevent it). Each channel counts the group-addressed frames it carries in a
 * one-second window of simulated time; only when that count is already suspicious are the frame's bytes
 * hashed, so a unicast frame costs one byte test on the hot path and ordinary broadcast traffic (ARP) a
 * counter increment. When the same bytes cross one channel more than `copies` times within the window, the
 * watch records a report (the frame, the loop it went round, the count) and stops the engine.
 * Unknown-unicast loops are not detected here; the step's event budget ends them.
 */
import type { Engine } from '../sim/engine.js';
import type { Channel } from './channel.js';

/** Tunables of storm detection; the defaults are justified next to them. */
export interface StormLimits {
  /** Length of the counting window, ns of simulated time (the "per second"). */
  windowNs: number;
  /** Group-addressed frames on one channel within a window before bytes are hashed. */
  suspicious: number;
  /** Copies of the same bytes on one channel within a window that make a storm. */
  copies: number;
}

/**
 * One second; 100 broadcast frames per second on a link before hashing (a quiet LAN sends a few; a burst of
 * ARP from many hosts costs hashing but its frames all differ); 1,000 identical copies per second on one
 * link (ARP retries the same request 3 times a second; a looping frame at 1 Gbps over 1 µs cables passes a
 * link every few microseconds, so it trips within milliseconds). Hashing starts well before the trip so
 * that every link of the loop has carried hashed copies by then.
 */
export const DEFAULT_STORM_LIMITS: StormLimits = { windowNs: 1_000_000_000, suspicious: 100, copies: 1000 };

/** A detected storm. */
export interface StormReport {
  /** When it tripped (ns). */
  time: number;
  /** A copy of the looping frame's bytes. */
  bytes: Uint8Array;
  /** Copies of the frame counted on the link that tripped, since hashing started (more than `copies`). */
  copies: number;
  /** Times the frame went round the loop (copies on the loop's first link) since hashing started. */
  laps: number;
  /** Simulated time over which they were counted (ns). */
  spanNs: number;
  /** The loop as ports, "sw1:p2 -> sw2:p1 -> sw2:p2 -> sw1:p3 -> sw1:p2" (out, in, out, in, ..., back). */
  loop: string[];
}

/** The per-channel state the watch keeps on each channel. */
export interface StormCounters {
  windowEnd: number;
  groupFrames: number;
}

interface Seen {
  /** Copies per channel since `first`. */
  counts: Map<Channel, number>;
  first: number;
}

/** Above this many distinct hashed frames the table is cleared (bounds memory under heavy legitimate broadcast). */
const MAX_TRACKED = 65_536;

/** Watches every channel of one network for broadcast storms. */
export class StormWatch {
  /** Set when a storm tripped; the engine was stopped then. */
  report: StormReport | undefined = undefined;
  private readonly seen = new Map<number, Seen>();

  constructor(
    private readonly engine: Engine,
    readonly limits: StormLimits = DEFAULT_STORM_LIMITS,
  ) {}

  /** Called by a channel for every group-addressed frame it puts on the wire. */
  groupFrame(ch: Channel, c: StormCounters, frame: Uint8Array): void {
    const now = this.engine.now;
    if (now >= c.windowEnd) {
      c.windowEnd = now + this.limits.windowNs;
      c.groupFrames = 0;
    }
    if (++c.groupFrames <= this.limits.suspicious || this.report !== undefined) return;
    const h = hashFrame(frame);
    let s = this.seen.get(h);
    if (s === undefined || now - s.first > this.limits.windowNs) {
      if (this.seen.size >= MAX_TRACKED) this.seen.clear();
      s = { counts: new Map(), first: now };
      this.seen.set(h, s);
    }
    const n = (s.counts.get(ch) ?? 0) + 1;
    s.counts.set(ch, n);
    if (n > this.limits.copies) this.trip(ch, s, n, frame);
  }

  private trip(ch: Channel, s: Seen, n: number, frame: Uint8Array): void {
    const { loop, first } = findLoop(ch, [...s.counts.keys()]);
    this.report = {
      time: this.engine.now,
      bytes: frame.slice(),
      copies: n,
      laps: s.counts.get(first) ?? 0,
      spanNs: this.engine.now - s.first,
      loop,
    };
    this.engine.stop();
  }
}

/**
 * The cycle through `start` among the channels that carried the frame: a depth-first search from `start`'s
 * far device along channels that leave a device by another port than the one the frame came in on, until
 * back at `start`. Channels into hosts are dead ends and drop out. Falls back to the channels in the order
 * they were seen.
 */
function findLoop(tripped: Channel, carried: Channel[]): { loop: string[]; first: Channel } {
  // the channel that tripped may lead into a host (a host receives every lap); start from one that loops
  for (const start of [tripped, ...carried]) {
    const loop = loopThrough(start, carried);
    if (loop !== undefined) return { loop, first: start };
  }
  return { loop: portsOf(carried, undefined), first: tripped };
}

function loopThrough(start: Channel, carried: Channel[]): string[] | undefined {
  const path: Channel[] = [start];
  const onPath = new Set<Channel>([start]);
  const extend = (cur: Channel): boolean => {
    const at = cur.ends?.to;
    if (at === undefined) return false;
    for (const c of carried) {
      if (c.ends?.from.device !== at.device || c.ends.from === at) continue;
      if (c === start) return true;
      if (onPath.has(c)) continue;
      path.push(c);
      onPath.add(c);
      if (extend(c)) return true;
      path.pop();
      onPath.delete(c);
    }
    return false;
  };
  return extend(start) ? portsOf(path, start) : undefined;
}

function portsOf(chs: Channel[], back: Channel | undefined): string[] {
  const out: string[] = [];
  for (const c of chs) if (c.ends !== undefined) out.push(c.ends.from.id, c.ends.to.id);
  if (back?.ends !== undefined) out.push(back.ends.from.id);
  return out;
}

/** FNV-1a (32-bit) over the bytes, mixed with the length. */
export function hashFrame(f: Uint8Array): number {
  let h = 0x811c9dc5 ^ f.length;
  for (let i = 0; i < f.length; i++) h = Math.imul(h ^ f[i]!, 0x01000193);
  return h >>> 0;
}

/** The frame's MAC addresses, "src -> dst" (layers above describe frames better). */
export function describeMacs(f: Uint8Array): string {
  const mac = (o: number): string => Array.from(f.subarray(o, o + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
  return f.length >= 14 ? `${mac(6)} -> ${mac(0)}` : `${f.length}-byte frame`;
}

/** "broadcast storm: frame X crossed sw1:p2 -> sw2:p1 -> ... 550 times in 1.3 ms (...); ... (enable STP)". */
export function formatStorm(r: StormReport, describe: (frame: Uint8Array) => string = describeMacs): string {
  const ms = (r.spanNs / 1e6).toFixed(1);
  return `broadcast storm: frame ${describe(r.bytes)} (${r.bytes.length} bytes) crossed ${r.loop.join(' -> ')} ${groupDigits(r.laps)} times in ${ms} ms (${groupDigits(r.copies)} copies on one link; stopped at t=${formatSeconds(r.time)}); the switches form a loop (enable STP)`;
}

/** 1234567 -> "1,234,567" (no locale: output must not depend on the machine). */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Simulated time in seconds with nanosecond precision, trailing zeros dropped ("0.003012s"). */
export function formatSeconds(ns: number): string {
  return `${(ns / 1e9).toFixed(9).replace(/\.?0+$/, '')}s`;
}
