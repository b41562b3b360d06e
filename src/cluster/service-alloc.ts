/**
 * ClusterIP and NodePort allocation as the API server does it (pkg/registry/core/service/ipallocator and
 * portallocator): a bitmap over the range, split by an offset into a lower "static" band and an upper
 * "dynamic" band. Automatic allocation picks a random start in the upper band and takes the first free
 * slot after it, falling back to the lower band only when the upper one is full, so addresses and ports
 * written in manifests (usually low ones, like a cluster DNS at .10) rarely collide with allocated ones.
 * Randomness comes from the PRNG the caller passes.
 */
import type { Prng } from '../sim/prng.js';
import { formatCidr, prefixContains, prefixMask, type Ipv4, type Ipv4Prefix } from '../wire/addr.js';

/** Why an explicit value was refused: outside the range, or taken. */
export type AllocError = 'out-of-range' | 'already-allocated';

/** min(max(min, size/step), max), 0 when the range is no bigger than min: the size of the static band. */
function rangeOffset(size: number, min: number, max: number, step: number): number {
  if (size <= min) return 0;
  const offset = Math.floor(size / step);
  return offset < min ? min : offset > max ? max : offset;
}

/** A bitmap allocator over slots [0, size) with a static band [0, offset). */
export class BandedAllocator {
  private readonly used = new Set<number>();

  constructor(
    /** Number of slots. */
    readonly size: number,
    /** Slots below this are the static band. */
    readonly offset: number,
  ) {}

  /** Marks `slot` used; false when it is out of range or already used. */
  take(slot: number): AllocError | undefined {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.size) return 'out-of-range';
    if (this.used.has(slot)) return 'already-allocated';
    this.used.add(slot);
    return undefined;
  }

  /** True when `slot` is used. */
  has(slot: number): boolean {
    return this.used.has(slot);
  }

  /** Takes a free slot, upper band first (randomScanStrategyWithOffset); undefined when full. */
  next(prng: Prng): number | undefined {
    if (this.used.size >= this.size) return undefined;
    const scan = (from: number, count: number): number | undefined => {
      if (count <= 0) return undefined;
      const start = prng.int(count);
      for (let i = 0; i < count; i++) {
        const at = from + ((start + i) % count);
        if (!this.used.has(at)) return at;
      }
      return undefined;
    };
    const at = scan(this.offset, this.size - this.offset) ?? scan(0, this.offset);
    if (at !== undefined) this.used.add(at);
    return at;
  }
}

/** ClusterIPs of a service CIDR: every address but the network and broadcast ones; the static band is min(max(16, size/16), 256). */
export class ClusterIpAllocator {
  private readonly bitmap: BandedAllocator;
  private readonly base: Ipv4;

  constructor(readonly cidr: Ipv4Prefix) {
    const size = 2 ** (32 - cidr.len);
    this.base = (((cidr.addr & prefixMask(cidr.len)) >>> 0) + 1) >>> 0;
    this.bitmap = new BandedAllocator(Math.max(0, size - 2), rangeOffset(size, 16, 256, 16));
  }

  /** The address automatic allocation starts at (first of the dynamic band). */
  get dynamicStart(): Ipv4 {
    return this.base + this.bitmap.offset;
  }

  /** Reserves a written clusterIP. */
  take(ip: Ipv4): AllocError | undefined {
    if (!prefixContains(this.cidr, ip)) return 'out-of-range';
    return this.bitmap.take(ip - this.base);
  }

  /** Allocates a free address. */
  next(prng: Prng): Ipv4 | undefined {
    const at = this.bitmap.next(prng);
    return at === undefined ? undefined : this.base + at;
  }

  /** The API server's message for a refused address. */
  describe(err: AllocError): string {
    return err === 'out-of-range'
      ? `provided IP is not in the valid range. The range of valid IPs is ${formatCidr(this.cidr)}`
      : 'provided IP is already allocated';
  }
}

/** NodePorts of a port range (30000-32767 by default); the static band is min(max(16, size/32), 128) ports. */
export class NodePortAllocator {
  private readonly bitmap: BandedAllocator;

  constructor(readonly range: { min: number; max: number }) {
    const size = range.max - range.min + 1;
    this.bitmap = new BandedAllocator(size, rangeOffset(size, 16, 128, 32));
  }

  /** The port automatic allocation starts at. */
  get dynamicStart(): number {
    return this.range.min + this.bitmap.offset;
  }

  /** True when `port` is taken. */
  has(port: number): boolean {
    return this.bitmap.has(port - this.range.min);
  }

  /** Reserves a written nodePort. */
  take(port: number): AllocError | undefined {
    return this.bitmap.take(port - this.range.min);
  }

  /** Allocates a free port. */
  next(prng: Prng): number | undefined {
    const at = this.bitmap.next(prng);
    return at === undefined ? undefined : this.range.min + at;
  }

  /** The API server's message for a refused port. */
  describe(err: AllocError): string {
    return err === 'out-of-range'
      ? `provided port is not in the valid range. The range of valid ports is ${this.range.min}-${this.range.max}`
      : 'provided port is already allocated';
  }
}
