/**
 * One direction of a full-duplex link: a transmitter with a bounded FIFO queue (tail drop), serialization
 * delay from the bandwidth, propagation latency, an MTU and optional seeded loss. Frames in flight live in
 * this channel's own ring, so a hop costs one pooled engine event and no allocation.
 *
 * Serialization counts what IEEE 802.3 puts on the wire around the bytes we carry: the preamble and SFD
 * (8 bytes) before the frame, padding up to the 60-byte minimum (clause 3.2.8: 64 with the FCS), the FCS
 * (4) after it, and the inter-frame gap (12 byte times) before the next frame may start. The receiver has
 * the frame when its FCS has arrived; the gap only keeps the transmitter busy. So a 1 GbE link carries at
 * most 1500 / 1538 of its bit rate as IP packets, and TCP with 1460-byte segments at most 949 Mbit/s.
 * The frame itself stays unpadded in memory, in captures and at the receiver: that is what tcpdump shows
 * on a veth (a 42-byte ARP frame is captured as 42 bytes on both ends, checked in namespaces), and what
 * it shows for frames a host sends on a real NIC, which pads them in hardware.
 */
import type { Engine } from '../sim/engine.js';
import type { Prng } from '../sim/prng.js';
import type { DropReason } from './trace.js';
import type { Port } from './device.js';
import type { StormCounters, StormWatch } from './storm.js';

/** Preamble (7) and start frame delimiter (1), sent before every frame (IEEE 802.3 clause 3.2.1). */
export const ETH_PREAMBLE_SFD = 8;
/** The frame check sequence after the frame (clause 3.2.9). */
export const ETH_FCS = 4;
/** The minimum inter-frame gap: 96 bit times (clause 4.4.2). */
export const ETH_IFG = 12;
/** The shortest frame without its FCS (minFrameSize 64 with it): shorter ones are padded (clause 3.2.8). */
export const ETH_MIN_FRAME = 60;

/** Bytes a frame of `length` occupies on the wire until the receiver has its FCS: preamble, padding, FCS. */
export function ethWireBytes(length: number): number {
  return ETH_PREAMBLE_SFD + Math.max(length, ETH_MIN_FRAME) + ETH_FCS;
}

/** Tunables of a link, applied to both directions. */
export interface LinkProps {
  /** Propagation delay in ns. */
  latency: number;
  /** Bits per second; 0 means infinitely fast (no serialization delay, no queueing). */
  bandwidth: number;
  /** Largest L3 payload (bytes after the Ethernet header and any 802.1Q tag). */
  mtu: number;
  /** Frames that may wait for the transmitter (Linux txqueuelen). */
  queueLimit: number;
  /** Probability in [0, 1) that a frame is lost on the wire. */
  loss: number;
}

/** Defaults: a 1 Gbps, 1500-byte-MTU Ethernet with 1 µs of cable and a 1000-frame queue. */
export const DEFAULT_LINK: LinkProps = {
  latency: 1_000,
  bandwidth: 1_000_000_000,
  mtu: 1500,
  queueLimit: 1000,
  loss: 0,
};

/** Receives what a channel delivers. */
export interface FrameReceiver {
  deliver(frame: Uint8Array): void;
}

/** Called when a channel discards a frame. */
export type ChannelDrop = (reason: DropReason, frame: Uint8Array) => void;

/** One direction of a link. */
export class Channel {
  /** Frames delivered. */
  delivered = 0;
  /** Frames put on the wire (including ones then lost). */
  transmitted = 0;
  /** Set by observers: called with every frame put on the wire, at its transmit start time. */
  tap: ((time: number, frame: Uint8Array) => void) | undefined = undefined;
  /** Set by captures: a writer fed every frame put on the wire (a method call, cheaper than `tap`). */
  capture: { write(time: number, frame: Uint8Array): void } | undefined = undefined;

  /** The ports this channel joins, sender first (set by `Link`; a bare channel in a test has none). */
  ends: { from: Port; to: Port } | undefined = undefined;
  /** Set by `Link`: counts this channel's group-addressed frames to detect broadcast storms. */
  storm: StormWatch | undefined = undefined;
  /** This channel's window for `storm`. */
  readonly stormCounters: StormCounters = { windowEnd: 0, groupFrames: 0 };

  private busyUntil = 0;
  // ring of in-flight frames: [head, tail)
  private frames: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(16);
  private starts: Float64Array = new Float64Array(16);
  private lost: Uint8Array = new Uint8Array(16);
  private head = 0;
  private txHead = 0; // first entry whose transmission has not started yet
  private tail = 0;
  private readonly deliverNext = (): void => this.deliverHead();
  /** Loss draws: this direction's own stream `link:<from port>><to port>`, e.g. `link:A:eth0>sw1:p1`. */
  private readonly rng: Prng;

  /** `name` is the direction, `<from port>><to port>`; it names the channel's random stream. */
  constructor(
    private readonly engine: Engine,
    readonly props: LinkProps,
    private readonly receiver: FrameReceiver,
    private readonly onDrop: ChannelDrop,
    readonly name: string,
  ) {
    this.rng = engine.stream(`link:${name}`);
  }

  /** Frames waiting for the transmitter (not counting the one being sent). */
  get queued(): number {
    this.advanceTxHead();
    return this.tail - this.txHead;
  }

  /** Queues `frame` for transmission; ownership passes to the channel. Returns false if it was dropped. */
  send(frame: Uint8Array, l3Length: number): boolean {
    const p = this.props;
    if (l3Length > p.mtu) {
      this.onDrop('mtu-exceeded', frame);
      return false;
    }
    const now = this.engine.now;
    let start = now;
    let end = now;
    if (p.bandwidth > 0) {
      if (this.busyUntil > now) {
        if (this.queued >= p.queueLimit) {
          this.onDrop('queue-full', frame);
          return false;
        }
        start = this.busyUntil;
      }
      const wire = ethWireBytes(frame.length);
      end = start + Math.ceil((wire * 8 * 1e9) / p.bandwidth);
      // the next frame waits out the inter-frame gap as well
      this.busyUntil = start + Math.ceil(((wire + ETH_IFG) * 8 * 1e9) / p.bandwidth);
    }
    this.transmitted++;
    // the I/G bit of the destination MAC: only group-addressed frames can storm (unicast pays this test)
    if ((frame[0]! & 1) !== 0 && this.storm !== undefined) this.storm.groupFrame(this, this.stormCounters, frame);
    if (this.capture !== undefined) this.capture.write(start, frame);
    if (this.tap !== undefined) this.tap(start, frame);
    const lost = p.loss > 0 && this.rng.next() < p.loss;
    if (this.tail - this.head === this.frames.length) this.grow();
    const mask = this.frames.length - 1;
    const i = this.tail & mask;
    this.frames[i] = frame;
    this.starts[i] = start;
    this.lost[i] = lost ? 1 : 0;
    this.tail++;
    // arrivals are monotonic in a FIFO channel, so each frame gets its own event at its own time
    this.engine.at(end + p.latency, this.deliverNext);
    return true;
  }

  private deliverHead(): void {
    const mask = this.frames.length - 1;
    const i = this.head & mask;
    const frame = this.frames[i]!;
    const lost = this.lost[i] === 1;
    this.frames[i] = undefined;
    this.head++;
    if (this.txHead < this.head) this.txHead = this.head;
    if (lost) {
      this.onDrop('link-loss', frame);
      return;
    }
    this.delivered++;
    this.receiver.deliver(frame);
  }

  private advanceTxHead(): void {
    const now = this.engine.now;
    const mask = this.frames.length - 1;
    while (this.txHead < this.tail && this.starts[this.txHead & mask]! <= now) this.txHead++;
  }

  private grow(): void {
    const n = this.frames.length;
    const frames: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(n * 2);
    const starts = new Float64Array(n * 2);
    const lost = new Uint8Array(n * 2);
    for (let k = this.head; k < this.tail; k++) {
      const a = k & (n - 1);
      const b = k & (2 * n - 1);
      frames[b] = this.frames[a];
      starts[b] = this.starts[a]!;
      lost[b] = this.lost[a]!;
    }
    this.frames = frames;
    this.starts = starts;
    this.lost = lost;
  }
}
