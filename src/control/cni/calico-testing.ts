/**
 * Test helpers for the calico plugins: a stand-in for Calico IPAM that hands out a node's /26 block in
 * order (the first address first, as a block's free list is ordered) and releases by handle. Test-only.
 */
import { prefixMask, type Ipv4 } from '../../wire/addr.js';
import type { CalicoAssignment, CalicoIpamClient } from './calico-env.js';

/** A minimal CalicoIpamClient over one block per node. */
export class FakeCalicoIpam implements CalicoIpamClient {
  private readonly byHandle = new Map<string, Ipv4[]>();
  private readonly used = new Set<Ipv4>();
  /** Every call, for assertions. */
  readonly calls: string[] = [];

  constructor(private readonly blocks: ReadonlyMap<string, { addr: Ipv4; len: number }>) {}

  autoAssign(req: {
    handleId: string;
    node: string;
    attrs?: Record<string, string>;
  }): { ok: true; value: CalicoAssignment } | { ok: false; error: string } {
    this.calls.push(`assign ${req.handleId} ${req.node}`);
    const block = this.blocks.get(req.node);
    if (block === undefined) return { ok: false, error: `no block for ${req.node}` };
    const base = (block.addr & prefixMask(block.len)) >>> 0;
    for (let i = 0; i < 2 ** (32 - block.len); i++) {
      const ip = (base + i) >>> 0;
      if (this.used.has(ip)) continue;
      this.used.add(ip);
      this.byHandle.set(req.handleId, [...(this.byHandle.get(req.handleId) ?? []), ip]);
      return { ok: true, value: { ip, block, borrowed: false } };
    }
    return { ok: false, error: 'no more free affine blocks and strict affinity not enabled' };
  }

  releaseByHandle(handleId: string): Ipv4[] {
    this.calls.push(`release ${handleId}`);
    const ips = this.byHandle.get(handleId) ?? [];
    for (const ip of ips) this.used.delete(ip);
    this.byHandle.delete(handleId);
    return ips;
  }

  /** Marks an address as taken (the node's tunnel address, say). */
  reserve(ip: Ipv4): void {
    this.used.add(ip);
  }
}
