/**
 * Calico IPAM as libcalico-go/lib/ipam/ipam.go assigns addresses (AutoAssign for one IPv4 address):
 *
 * 1. The pools: the requested one if given (its nodeSelector is then ignored, as determinePools does),
 *    else every enabled pool whose nodeSelector selects the node; then only pools allowing the use
 *    (Workload or Tunnel). Pools are taken in name order, the order the datastore lists them.
 * 2. The node's affine blocks in those pools, in key order: the first with a free address is used.
 * 3. Otherwise, unless the node already has `maxBlocksPerHost` blocks (0 means 20: autoAssign's safeguard;
 *    reaching it is ErrBlockLimit, an error, not a reason to borrow), a new block is claimed: per pool,
 *    randomBlockGenerator walks the pool's blocks from a start chosen per host and the first block nobody
 *    has is claimed (affinity pending, block created, affinity confirmed).
 * 4. When no pool has an unclaimed block and StrictAffinity is false (the default), an address is borrowed
 *    from another node's block, walking the blocks in the same order; `borrowed: true` tells the dataplane
 *    to route it as a /32.
 *
 * The model is synchronous and in memory (a CNI ADD in podnet is one call); every change is mirrored, in
 * order, to an optional Datastore with libcalico-go's keys and values (ipam-keys.ts); `flush()` waits for
 * the mirror. Not modelled: IPv6, reservations, IP cooldown (IPCooldownSeconds 0 is the default), reclaiming
 * empty blocks of other nodes, and releasing affinities when a pool stops selecting a node.
 */
import { formatCidr, formatIpv4, prefixContains, type Ipv4, type Ipv4Prefix } from '../../wire/addr.js';
import type { Datastore } from '../datastore/types.js';
import { fnv1_32, GoRand } from './go-rand.js';
import { IpamBlock } from './ipam-block.js';
import {
  affinityJson,
  affinityKey,
  blockJson,
  blockKey,
  blockName,
  handleJson,
  handleKey,
  rfc3339Seconds,
  type AffinityState,
} from './ipam-keys.js';
import type { Result } from './result.js';
import { parseSelector, selectorMatches, type SelectorNode } from './selector.js';

/** What an address is for (IPPool allowedUses). */
export type IpPoolUse = 'Workload' | 'Tunnel';

/** The part of a projectcalico.org/v3 IPPool that IPAM reads. */
export interface IpPool {
  readonly name: string;
  readonly cidr: Ipv4Prefix;
  /** Prefix length of the blocks cut from the pool (26 by default). */
  readonly blockSize: number;
  /** Calico selector text; `all()` selects every node. */
  readonly nodeSelector: string;
  readonly disabled: boolean;
  /** Default [Workload, Tunnel]. */
  readonly allowedUses: readonly IpPoolUse[];
}

/** Why an assignment failed. */
export interface IpamError {
  readonly code: 'no-pool' | 'bad-selector' | 'block-limit' | 'exhausted';
  /** libcalico-go's message. */
  readonly message: string;
}

/** One request for an address. */
export interface AutoAssignRequest {
  /** `k8s-pod-network.<containerID>`, `ipip-tunnel-addr-<node>`, ... */
  readonly handleId: string;
  readonly node: string;
  /** Stored as the allocation's `secondary` attributes (namespace, pod, node, ...). */
  readonly attrs?: Readonly<Record<string, string>>;
  /** Assign from this pool only (the CNI config's ipv4_pools). */
  readonly pool?: Ipv4Prefix;
  /** Default Workload. */
  readonly use?: IpPoolUse;
}

/** An assigned address. */
export interface Assignment {
  readonly ip: Ipv4;
  readonly block: Ipv4Prefix;
  /** True when the block is affine to another node (or to none): the address needs its own /32 route. */
  readonly borrowed: boolean;
}

/** One allocation of a block, for views. */
export interface AllocationState {
  readonly ip: Ipv4;
  readonly handleId: string | undefined;
  readonly attrs: Readonly<Record<string, string>>;
  /** Allocated to a node other than the block's (its `node` attribute differs from the affinity). */
  readonly borrowed: boolean;
}

/** A block as views see it. */
export interface BlockState {
  readonly cidr: Ipv4Prefix;
  /** The node the block is affine to. */
  readonly node: string | undefined;
  readonly capacity: number;
  readonly inUse: number;
  readonly allocations: readonly AllocationState[];
}

/** Options of CalicoIpam. */
export interface CalicoIpamOptions {
  /** Mirror every change here (memory or etcd). */
  store?: Datastore;
  /** IPAMConfig.MaxBlocksPerHost; 0 (default) means autoAssign's limit of 20. Needs strictAffinity, as in Calico. */
  maxBlocksPerHost?: number;
  /** IPAMConfig.StrictAffinity (default false): when true, never borrow. */
  strictAffinity?: boolean;
  /** Wall time in ns for sequence numbers and claim times (default 0, the epoch: runs stay byte-identical). */
  nowNs?: () => bigint;
}

/** autoAssign's default when MaxBlocksPerHost is 0 (ipam.go: "Default to a reasonable limit"). */
export const DEFAULT_MAX_BLOCKS_PER_HOST = 20;

/** The handle of a tunnel device's address, as calico-node's allocateip names it. */
export function tunnelHandle(kind: 'ipip' | 'vxlan', node: string): string {
  return `${kind}-tunnel-addr-${node}`;
}

/**
 * calico-node's request for a tunnel device's address (node/pkg/allocateip generateHandleAndAttributes and
 * assignHostTunnelAddr): the handle `ipip-tunnel-addr-<node>` or `vxlan-tunnel-addr-<node>`, attributes
 * `node` and `type` (ipipTunnelAddress, vxlanTunnelAddress), intended use Tunnel.
 */
export function tunnelRequest(kind: 'ipip' | 'vxlan', node: string): AutoAssignRequest {
  return {
    handleId: tunnelHandle(kind, node),
    node,
    attrs: { node, type: kind === 'ipip' ? 'ipipTunnelAddress' : 'vxlanTunnelAddress' },
    use: 'Tunnel',
  };
}

/** The handle the calico CNI plugin uses for a pod: `k8s-pod-network.<containerID>`. */
export function podHandle(containerId: string): string {
  return `k8s-pod-network.${containerId}`;
}

/**
 * The order a host tries a pool's blocks in, as randomBlockGenerator walks them: from a start index, every
 * block once, wrapping at the pool's end. The start is `big.Int.Rand` of Go's math/rand seeded with FNV-1 32
 * of the host name (determineSeed), reproduced exactly (go-rand.ts), so a node claims the block a real
 * calico-node of that name would in an empty pool. (For /32 blocks Calico seeds with the time instead; podnet
 * keeps the host seed there too, so runs repeat.)
 */
export function blockOrder(pool: IpPool, host: string): Ipv4Prefix[] {
  const count = 2 ** (pool.blockSize - pool.cidr.len);
  const step = 2 ** (32 - pool.blockSize);
  const start = Number(new GoRand(BigInt(fnv1_32(host))).bigIntRand(BigInt(count)));
  return Array.from({ length: count }, (_, i) => ({
    addr: (pool.cidr.addr + ((start + i) % count) * step) >>> 0,
    len: pool.blockSize,
  }));
}

/** Calico IPAM over an in-memory model mirrored to a datastore. */
export class CalicoIpam {
  private readonly pools: IpPool[];
  private readonly selectors = new Map<string, Result<SelectorNode, string>>();
  private readonly blocks = new Map<string, IpamBlock>();
  /** node -> block name -> affinity state. */
  private readonly affinities = new Map<string, Map<string, AffinityState>>();
  /** handle -> block CIDR text -> count. */
  private readonly handles = new Map<string, Map<string, number>>();
  private readonly nodeLabels = new Map<string, Readonly<Record<string, string>>>();
  private readonly store: Datastore | undefined;
  private readonly maxBlocks: number;
  private readonly strict: boolean;
  private readonly nowNs: () => bigint;
  private mirror: Promise<void> = Promise.resolve();
  private mirrorError: Error | undefined;

  constructor(pools: IpPool[], opts: CalicoIpamOptions = {}) {
    this.pools = [...pools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const p of this.pools) {
      const s = parseSelector(p.nodeSelector);
      this.selectors.set(p.name, s.ok ? s : { ok: false, error: s.error.message });
    }
    // SetIPAMConfig (ipam.go): "MaxBlocksPerHost always takes effect before StrictAffinity"
    if ((opts.maxBlocksPerHost ?? 0) > 0 && opts.strictAffinity !== true)
      throw new Error('MaxBlocksPerHost requires StrictAffinity to be enabled');
    this.store = opts.store;
    this.maxBlocks = opts.maxBlocksPerHost || DEFAULT_MAX_BLOCKS_PER_HOST;
    this.strict = opts.strictAffinity ?? false;
    this.nowNs = opts.nowNs ?? (() => 0n);
  }

  /** Sets a node's labels, which pools' nodeSelectors match (none until set). */
  setNodeLabels(node: string, labels: Readonly<Record<string, string>>): void {
    this.nodeLabels.set(node, { ...labels });
  }

  /** Assigns one IPv4 address to `handleId` on `node`. */
  autoAssign(req: AutoAssignRequest): Result<Assignment, IpamError> {
    const pools = this.poolsFor(req);
    if (!pools.ok) return pools;
    const attrs = req.attrs ?? {};
    const inPools = (b: Ipv4Prefix): boolean => pools.value.some((p) => prefixContains(p.cidr, b.addr));
    const affine = this.blocksOf(req.node).filter(inPools);
    for (const cidr of affine) {
      const b = this.blocks.get(blockName(cidr))!;
      if (b.unallocated.length > 0) return { ok: true, value: this.assignFrom(b, req.handleId, attrs, req.node) };
    }
    if (affine.length >= this.maxBlocks) {
      return {
        ok: false,
        error: {
          code: 'block-limit',
          message: `cannot allocate new block due to per host block limit (${this.maxBlocks} blocks on node ${req.node})`,
        },
      };
    }
    for (const pool of pools.value) {
      for (const cidr of blockOrder(pool, req.node)) {
        if (this.blocks.has(blockName(cidr))) continue;
        const b = this.claim(cidr, req.node);
        return { ok: true, value: this.assignFrom(b, req.handleId, attrs, req.node) };
      }
    }
    if (!this.strict) {
      for (const pool of pools.value) {
        for (const cidr of blockOrder(pool, req.node)) {
          const b = this.blocks.get(blockName(cidr));
          if (b !== undefined && b.unallocated.length > 0)
            return { ok: true, value: this.assignFrom(b, req.handleId, attrs, req.node) };
        }
      }
    }
    const why = this.strict
      ? 'No more free affine blocks and strict affinity enabled'
      : `No IPs available in pools: [${pools.value.map((p) => formatCidr(p.cidr)).join(' ')}]`;
    return { ok: false, error: { code: 'exhausted', message: `Assigned 0 out of 1 requested IPv4 addresses; ${why}` } };
  }

  /** Releases every address of the handle (a pod's deletion); returns them. Blocks stay affine when empty. */
  releaseByHandle(handleId: string): Ipv4[] {
    const held = this.handles.get(handleId);
    if (held === undefined) return [];
    const out: Ipv4[] = [];
    for (const cidrText of [...held.keys()].sort()) {
      const b = this.blocks.get(cidrText.replace('/', '-'));
      if (b === undefined) continue;
      const ips = b.ipsByHandle(handleId);
      const n = b.releaseByHandle(handleId);
      if (n === 0) continue;
      out.push(...ips);
      if (b.empty && b.affinity === undefined) {
        this.blocks.delete(blockName(b.cidr));
        this.write(blockKey(b.cidr), undefined);
      } else {
        this.updateBlock(b);
      }
      const left = (held.get(cidrText) ?? 0) - n;
      if (left > 0) held.set(cidrText, left);
      else held.delete(cidrText);
      if (held.size === 0) {
        this.handles.delete(handleId);
        this.write(handleKey(handleId), undefined);
      } else {
        this.write(handleKey(handleId), handleJson(held));
      }
    }
    return out;
  }

  /**
   * RemoveIPAMHost, for a deleted node (kube-controllers does it after releasing the node's addresses): each
   * of its blocks' affinity goes to pendingDeletion, then an empty block is deleted and a block still holding
   * addresses (borrowed by other nodes, or not yet released) loses its affinity and stays; the affinity key
   * is deleted last (releaseBlockAffinity).
   */
  removeHost(node: string): void {
    const mine = this.affinities.get(node);
    if (mine === undefined) return;
    for (const name of [...mine.keys()].sort()) {
      const b = this.blocks.get(name);
      if (b === undefined) continue;
      this.write(affinityKey(node, b.cidr), affinityJson('pendingDeletion'));
      if (b.empty) {
        this.blocks.delete(name);
        this.write(blockKey(b.cidr), undefined);
      } else {
        b.affinity = undefined;
        b.affinityClaimTime = undefined;
        this.updateBlock(b);
      }
      this.write(affinityKey(node, b.cidr), undefined);
    }
    this.affinities.delete(node);
  }

  /** The node's confirmed affine blocks, in datastore key order. */
  blocksOf(node: string): Ipv4Prefix[] {
    const names = [...(this.affinities.get(node)?.entries() ?? [])]
      .filter(([, s]) => s === 'confirmed')
      .map(([n]) => n)
      .sort();
    return names.map((n) => this.blocks.get(n)!.cidr);
  }

  /** The node a block is affine to, if any. */
  affinity(block: Ipv4Prefix): string | undefined {
    return this.blocks.get(blockName(block))?.host;
  }

  /** Every block, in datastore key order, with its allocations. */
  allBlocks(): BlockState[] {
    return [...this.blocks.keys()].sort().map((name) => {
      const b = this.blocks.get(name)!;
      const allocations: AllocationState[] = [];
      b.allocations.forEach((idx, o) => {
        if (idx === null) return;
        const a = b.attributeAt(o);
        const attrs = a?.secondary ?? {};
        allocations.push({
          ip: b.ip(o),
          handleId: a?.handleId,
          attrs,
          borrowed: attrs.node !== undefined && attrs.node !== b.host,
        });
      });
      return { cidr: b.cidr, node: b.host, capacity: b.size, inUse: b.inUse, allocations };
    });
  }

  /** The pools, in name order. */
  allPools(): readonly IpPool[] {
    return this.pools;
  }

  /** Resolves when every change so far is in the datastore; rejects with the first write that failed. */
  async flush(): Promise<void> {
    await this.mirror;
    if (this.mirrorError !== undefined) throw this.mirrorError;
  }

  private poolsFor(req: AutoAssignRequest): Result<IpPool[], IpamError> {
    const use = req.use ?? 'Workload';
    const enabled = this.pools.filter((p) => !p.disabled);
    let selected: IpPool[];
    if (req.pool !== undefined) {
      const want = req.pool;
      const p = enabled.find((x) => x.cidr.addr === want.addr && x.cidr.len === want.len);
      if (p === undefined) {
        const message = `the given pool (${formatCidr(want)}) does not exist, or is not enabled`;
        return { ok: false, error: { code: 'no-pool', message } };
      }
      selected = [p];
    } else {
      const labels = this.nodeLabels.get(req.node) ?? {};
      selected = [];
      for (const p of enabled) {
        const s = this.selectors.get(p.name)!;
        if (!s.ok) {
          return {
            ok: false,
            error: { code: 'bad-selector', message: `pool ${p.name}: invalid nodeSelector: ${s.error}` },
          };
        }
        if (selectorMatches(s.value, labels)) selected.push(p);
      }
      if (selected.length === 0)
        return { ok: false, error: { code: 'no-pool', message: `no configured Calico pools for node ${req.node}` } };
    }
    const allowed = selected.filter((p) => p.allowedUses.includes(use));
    if (allowed.length === 0) {
      const message = `no matching IPPool is available, no pools match the required use (${use})`;
      return { ok: false, error: { code: 'no-pool', message } };
    }
    return { ok: true, value: allowed };
  }

  /** getPendingAffinity, claimAffineBlock, confirmAffinity: three writes, in Calico's order. */
  private claim(cidr: Ipv4Prefix, node: string): IpamBlock {
    const name = blockName(cidr);
    let mine = this.affinities.get(node);
    if (mine === undefined) this.affinities.set(node, (mine = new Map<string, AffinityState>()));
    mine.set(name, 'pending');
    this.write(affinityKey(node, cidr), affinityJson('pending'));
    const now = this.nowNs();
    const b = new IpamBlock(cidr, now);
    b.affinity = `host:${node}`;
    b.affinityClaimTime = rfc3339Seconds(now);
    this.blocks.set(name, b);
    this.write(blockKey(cidr), blockJson(b.value()));
    mine.set(name, 'confirmed');
    this.write(affinityKey(node, cidr), affinityJson('confirmed'));
    return b;
  }

  /** assignFromExistingBlock: the block's free-list head, the handle incremented, then the block written. */
  private assignFrom(
    b: IpamBlock,
    handleId: string,
    attrs: Readonly<Record<string, string>>,
    node: string,
  ): Assignment {
    const ip = b.assign(handleId, attrs)!;
    const cidrText = formatCidr(b.cidr);
    let held = this.handles.get(handleId);
    if (held === undefined) this.handles.set(handleId, (held = new Map<string, number>()));
    held.set(cidrText, (held.get(cidrText) ?? 0) + 1);
    this.write(handleKey(handleId), handleJson(held));
    this.updateBlock(b);
    return { ip, block: b.cidr, borrowed: b.host !== node };
  }

  /** blockReaderWriter.updateBlock: the sequence number goes up by one on every write. */
  private updateBlock(b: IpamBlock): void {
    b.sequenceNumber += 1n;
    this.write(blockKey(b.cidr), blockJson(b.value()));
  }

  /** Queues a put (or a delete, for undefined) behind the earlier ones. */
  private write(key: string, value: string | undefined): void {
    const store = this.store;
    if (store === undefined) return;
    this.mirror = this.mirror.then(
      async () => {
        if (this.mirrorError !== undefined) return;
        if (value === undefined) await store.delete(key);
        else await store.put(key, value);
      },
      () => undefined,
    );
    this.mirror = this.mirror.catch((err: unknown) => {
      this.mirrorError ??= err instanceof Error ? err : new Error(String(err));
    });
  }
}

/** `192.168.236.3` for messages. */
export function describeAssignment(a: Assignment): string {
  return `${formatIpv4(a.ip)} from ${formatCidr(a.block)}${a.borrowed ? ' (borrowed)' : ''}`;
}
