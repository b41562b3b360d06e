/**
 * kube-controller-manager's range allocator (pkg/controller/nodeipam/ipam/range_allocator.go over
 * cidrset/cidr_set.go): the cluster CIDR is cut into subnets of --node-cidr-mask-size, and each Node
 * that joins gets the next free one as its spec.podCIDR. The search starts after the last one handed
 * out and wraps around (cidrSet.nextCandidate), so the first node gets the first subnet (10.42.0.0/24 in
 * k3s), the second the next, and a subnet released by a departed node is reused only after the range
 * has been gone through once.
 */
import { formatCidr, prefixMask, type Ipv4Prefix } from '../wire/addr.js';

/** Hands out node podCIDRs from a cluster CIDR. */
export class RangeAllocator {
  private readonly used = new Set<number>();
  private readonly byNode = new Map<string, number>();
  private nextCandidate = 0;
  /** How many podCIDRs the cluster CIDR holds. */
  readonly size: number;

  constructor(
    readonly clusterCIDR: Ipv4Prefix,
    readonly maskSize: number,
  ) {
    this.size = 2 ** Math.max(0, maskSize - clusterCIDR.len);
  }

  /** The podCIDR of `node`: the one it holds, else the next free one; undefined when none is left. */
  allocate(node: string): Ipv4Prefix | undefined {
    const held = this.byNode.get(node);
    if (held !== undefined) return this.cidr(held);
    for (let i = 0; i < this.size; i++) {
      const candidate = (this.nextCandidate + i) % this.size;
      if (this.used.has(candidate)) continue;
      this.nextCandidate = (candidate + 1) % this.size;
      this.used.add(candidate);
      this.byNode.set(node, candidate);
      return this.cidr(candidate);
    }
    return undefined;
  }

  /** The podCIDR `node` holds, if any (none allocated: undefined, nothing is allocated by asking). */
  held(node: string): Ipv4Prefix | undefined {
    const h = this.byNode.get(node);
    return h === undefined ? undefined : this.cidr(h);
  }

  /** Frees a deleted node's podCIDR. */
  release(node: string): void {
    const held = this.byNode.get(node);
    if (held === undefined) return;
    this.used.delete(held);
    this.byNode.delete(node);
  }

  /** The error kube-controller-manager reports when the range is full. */
  exhaustedMessage(): string {
    return `CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range (${formatCidr(this.clusterCIDR)} at /${this.maskSize})`;
  }

  private cidr(index: number): Ipv4Prefix {
    const base = (this.clusterCIDR.addr & prefixMask(this.clusterCIDR.len)) >>> 0;
    return { addr: (base + index * 2 ** (32 - this.maskSize)) >>> 0, len: this.maskSize };
  }
}
