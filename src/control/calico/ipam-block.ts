/**
 * One Calico allocation block, as libcalico-go/lib/ipam/ipam_block.go keeps it: a CIDR cut from a pool,
 * an optional affinity `host:<node>`, the per-ordinal allocations pointing into a deduplicated attributes
 * list, and the FIFO `unallocated` list of free ordinals. A fresh block lists every ordinal in order (the
 * block's first address is assignable: tunl0 takes .0), allocation takes from the front, and a release
 * appends to the back (garbageCollect with IPCooldownSeconds 0, the default), so a freed address is handed
 * out again only after every address never used. This file owns one block's arithmetic; ipam.ts decides
 * which block to use and mirrors changes to the datastore.
 */
import { type Ipv4, type Ipv4Prefix } from '../../wire/addr.js';
import type { AllocationAttribute, AllocationBlockValue } from './ipam-keys.js';

/** A mutable allocation block. */
export class IpamBlock {
  readonly cidr: Ipv4Prefix;
  /** `host:<node>` or undefined. */
  affinity: string | undefined;
  affinityClaimTime: string | undefined;
  readonly allocations: (number | null)[];
  unallocated: number[];
  attributes: AllocationAttribute[] | null = null;
  sequenceNumber: bigint;
  readonly sequenceNumberForAllocation = new Map<number, bigint>();

  /** newBlock: every ordinal free, in order; the sequence number starts at the creation time in ns. */
  constructor(cidr: Ipv4Prefix, createdNs: bigint) {
    this.cidr = cidr;
    const n = 2 ** (32 - cidr.len);
    this.allocations = new Array<number | null>(n).fill(null);
    this.unallocated = Array.from({ length: n }, (_, i) => i);
    this.sequenceNumber = createdNs;
  }

  /** Number of addresses in the block. */
  get size(): number {
    return this.allocations.length;
  }

  /** The address at `ordinal` (ordinal 0 is the block's first address). */
  ip(ordinal: number): Ipv4 {
    return (this.cidr.addr + ordinal) >>> 0;
  }

  /** The node of a `host:` affinity. */
  get host(): string | undefined {
    return this.affinity?.startsWith('host:') ? this.affinity.slice(5) : undefined;
  }

  /** autoAssign for one address: the first ordinal of the free list, or undefined when the block is full. */
  assign(handleId: string, attrs: Readonly<Record<string, string>>): Ipv4 | undefined {
    const ordinal = this.unallocated.shift();
    if (ordinal === undefined) return undefined;
    this.allocations[ordinal] = this.findOrAddAttribute(handleId, attrs);
    this.sequenceNumberForAllocation.set(ordinal, this.sequenceNumber);
    return this.ip(ordinal);
  }

  /** findOrAddAttribute: an identical {handle, attributes} entry is shared (reflect.DeepEqual). */
  private findOrAddAttribute(handleId: string, attrs: Readonly<Record<string, string>>): number {
    const list = (this.attributes ??= []);
    const same = (a: AllocationAttribute): boolean => a.handleId === handleId && sameMap(a.secondary ?? {}, attrs);
    const found = list.findIndex(same);
    if (found >= 0) return found;
    list.push(Object.keys(attrs).length === 0 ? { handleId } : { handleId, secondary: { ...attrs } });
    return list.length - 1;
  }

  /** The addresses held by `handleId`, in ordinal order. */
  ipsByHandle(handleId: string): Ipv4[] {
    const out: Ipv4[] = [];
    this.allocations.forEach((idx, o) => {
      if (idx !== null && this.attributes?.[idx]?.handleId === handleId) out.push(this.ip(o));
    });
    return out;
  }

  /**
   * releaseByHandle then garbageCollect with no cooldown: the handle's ordinals go to the back of the free
   * list in ordinal order, and attributes nothing points to any more are dropped (indexes renumbered).
   */
  releaseByHandle(handleId: string): number {
    let released = 0;
    this.allocations.forEach((idx, o) => {
      if (idx === null || this.attributes?.[idx]?.handleId !== handleId) return;
      this.allocations[o] = null;
      this.unallocated.push(o);
      this.sequenceNumberForAllocation.delete(o);
      released++;
    });
    if (released > 0) this.compactAttributes();
    return released;
  }

  private compactAttributes(): void {
    const old = this.attributes ?? [];
    const used = new Set(this.allocations.filter((x): x is number => x !== null));
    if (used.size === old.length) return;
    const renumber = new Map<number, number>();
    const kept: AllocationAttribute[] = [];
    old.forEach((a, i) => {
      if (!used.has(i)) return;
      renumber.set(i, kept.length);
      kept.push(a);
    });
    this.attributes = kept;
    this.allocations.forEach((idx, o) => {
      if (idx !== null) this.allocations[o] = renumber.get(idx)!;
    });
  }

  /** Allocated addresses (capacity minus the free list). */
  get inUse(): number {
    return this.size - this.unallocated.length;
  }

  /** True when nothing is allocated (ipam_block.go empty). */
  get empty(): boolean {
    return this.unallocated.length === this.size;
  }

  /** The attributes of the allocation at `ordinal`, if allocated. */
  attributeAt(ordinal: number): AllocationAttribute | undefined {
    const idx = this.allocations[ordinal];
    return idx === null || idx === undefined ? undefined : this.attributes?.[idx];
  }

  /** A snapshot for the datastore. */
  value(): AllocationBlockValue {
    return {
      cidr: this.cidr,
      affinity: this.affinity,
      affinityClaimTime: this.affinityClaimTime,
      allocations: [...this.allocations],
      unallocated: [...this.unallocated],
      attributes: this.attributes === null ? null : [...this.attributes],
      sequenceNumber: this.sequenceNumber,
      sequenceNumberForAllocation: new Map(this.sequenceNumberForAllocation),
    };
  }
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
