/**
 * flanneld on one node, as flannel's etcd subnet manager runs it: lease a subnet for this node under
 * /coreos.com/network/subnets (a random free one among the first 100 in [SubnetMin, SubnetMax], written
 * with compare-and-swap so two nodes never get the same one; 10 tries, then "out of subnets"), keep the
 * lease alive (TTL 24 h, renewed an hour before it ends), write subnet.env, program the backend for every
 * other node's lease, and follow joins and departures through a watch. Works on any Datastore: the
 * in-memory one inside the simulation or a real etcd.
 */
import { formatCidr, formatIpv4, prefixMask, type Ipv4, type Ipv4Prefix, type Mac } from '../../wire/addr.js';
import type { IpNode } from '../../net/ip-node.js';
import { parseIptablesSave } from '../../net/netfilter/iptables-restore.js';
import type { UdpStack } from '../../transport/udp.js';
import type { Datastore, LeaseId, ListResult, Watch } from '../datastore/types.js';
import {
  encodeFlannelLeaseValue,
  flannelSubnetKey,
  flannelSubnetsPrefix,
  parseFlannelLeaseValue,
  parseFlannelSubnetKey,
  vxlanBackendData,
  FLANNEL_ETCD_PREFIX,
} from '../datastore/flannel-keys.js';
import {
  FlannelError,
  createBackend,
  type Backend,
  type BackendConfig,
  type BackendType,
  type Lease,
} from './backends.js';
import { flannelMasqRules } from './ipmasq.js';

/** The parts of net-conf.json flanneld acts on (defaults already applied). */
export interface FlanneldConfig {
  network: Ipv4Prefix;
  subnetLen: number;
  subnetMin: Ipv4;
  subnetMax: Ipv4;
  backend: BackendConfig;
}

/** How one flanneld runs. */
export interface FlanneldOptions {
  node: IpNode;
  udp: UdpStack;
  store: Datastore;
  config: FlanneldConfig;
  /** The external interface (--iface) and its address (--public-ip). */
  extDev: string;
  publicIp: Ipv4;
  /** --ip-masq. */
  ipMasq: boolean;
  /** Random numbers for the subnet choice and VTEP MAC; by default the node's stream `flanneld:<node>`. */
  random?: () => number;
  /** --etcd-prefix. */
  prefix?: string;
  /** Subnet lease TTL (flannel: 24 h). */
  leaseTtlSeconds?: number;
}

/** Flannel's lease TTL and renew margin. */
export const FLANNEL_LEASE_TTL_S = 24 * 3600;
const RENEW_MARGIN_S = 3600;

/** A running flanneld. */
export class Flanneld {
  /** This node's lease. */
  readonly lease: Lease;
  /** What the backend programmed. */
  readonly backend: Backend;
  /** Other nodes' leases by subnet key. */
  readonly peers = new Map<string, Lease>();
  /** Problems programming peers (host-gw across an L3 hop, a lease without VtepMAC). */
  readonly errors: string[] = [];
  private watch: Watch | undefined;
  private stopped = false;

  private constructor(
    readonly o: FlanneldOptions,
    lease: Lease,
    backend: Backend,
    private readonly key: string,
    private readonly storeLease: LeaseId,
  ) {
    this.lease = lease;
    this.backend = backend;
  }

  /** Leases a subnet, programs the node, and starts following the other leases. */
  static async start(o: FlanneldOptions): Promise<Flanneld> {
    const prefix = o.prefix ?? FLANNEL_ETCD_PREFIX;
    const c = o.config;
    const type: BackendType = c.backend.type;
    const rng = o.node.engine.stream(`flanneld:${o.node.name}`);
    const random = o.random ?? ((): number => rng.next());
    const vtepMac: Mac | undefined = type === 'vxlan' ? randomMac(random) : undefined;
    const ttl = o.leaseTtlSeconds ?? FLANNEL_LEASE_TTL_S;
    const value = encodeFlannelLeaseValue({
      publicIp: o.publicIp,
      backendType: type,
      ...(vtepMac !== undefined ? { backendData: vxlanBackendData({ vni: c.backend.vni ?? 1, vtepMac }) } : {}),
    });
    const storeLease = await o.store.grantLease(ttl);
    let subnet: Ipv4Prefix | undefined;
    let existing: ListResult | undefined;
    for (let attempt = 0; attempt < 10 && subnet === undefined; attempt++) {
      existing = await o.store.list(flannelSubnetsPrefix(prefix));
      const taken = new Set<number>();
      for (const kv of existing.kvs) {
        const l = parseLeaseCached(o.store, kv.key, kv.value, prefix);
        if (typeof l !== 'string') taken.add(l.subnet.addr);
        else {
          const k = parseFlannelSubnetKey(kv.key, prefix);
          if (k.ok) taken.add(k.value.ipv4.addr);
        }
      }
      const candidate = pickFreeSubnet(c, taken, random);
      if (candidate === undefined) break;
      const cas = await o.store.compareAndSwap(
        flannelSubnetKey({ ipv4: candidate }, prefix),
        { value: undefined },
        value,
        { lease: storeLease },
      );
      if (cas.succeeded) subnet = candidate;
    }
    if (subnet === undefined) {
      await o.store.revokeLease(storeLease);
      throw new FlannelError(
        `${o.node.name}: out of subnets: no free /${c.subnetLen} left in ${formatCidr(c.network)} between ${formatIpv4(c.subnetMin)} and ${formatIpv4(c.subnetMax)}`,
      );
    }
    const key = flannelSubnetKey({ ipv4: subnet }, prefix);
    o.node.note(() => `flanneld: leased ${formatCidr(subnet)} (${key}) for ${formatIpv4(o.publicIp)}, TTL ${ttl} s`);
    const backend = createBackend(
      {
        node: o.node,
        udp: o.udp,
        extDev: o.extDev,
        publicIp: o.publicIp,
        subnet,
        network: c.network,
        randomMac: () => vtepMac ?? randomMac(random),
      },
      c.backend,
    );
    const lease: Lease = {
      subnet,
      publicIp: o.publicIp,
      backendType: type,
      ...(vtepMac !== undefined ? { vtepMac, vni: c.backend.vni ?? 1 } : {}),
    };
    const f = new Flanneld(o, lease, backend, key, storeLease);
    if (o.ipMasq) {
      const nf = o.node.enableNetfilter();
      const r = parseIptablesSave(flannelMasqRules(c.network, subnet), nf.ruleset, { noflush: true });
      if (!r.ok) throw new Error(`flanneld: bad ip-masq rules: ${r.errors.map((e) => e.message).join('; ')}`);
    }
    // the list the lease was chosen from also seeds the peers: a watch from its revision misses nothing
    await f.follow(prefix, existing!);
    f.scheduleRenewal(ttl);
    return f;
  }

  /** /run/flannel/subnet.env, as flannel writes it (FLANNEL_SUBNET is the subnet's .1). */
  get subnetEnv(): string {
    const s = this.lease.subnet;
    return [
      `FLANNEL_NETWORK=${formatCidr(this.o.config.network)}`,
      `FLANNEL_SUBNET=${formatIpv4((s.addr + 1) >>> 0)}/${s.len}`,
      `FLANNEL_MTU=${this.backend.mtu}`,
      `FLANNEL_IPMASQ=${this.o.ipMasq}`,
      '',
    ].join('\n');
  }

  /** Stops: revokes the lease, so the other nodes remove this node's routes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.cancel();
    await this.o.store.revokeLease(this.storeLease);
  }

  private async follow(prefix: string, list: ListResult): Promise<void> {
    for (const kv of list.kvs) this.onPut(kv.key, kv.value, prefix);
    this.watch = await this.o.store.watch(
      flannelSubnetsPrefix(prefix),
      (ev) => {
        if (ev.type === 'put') this.onPut(ev.key, ev.value, prefix);
        else this.onDelete(ev.key);
      },
      { startRevision: list.revision + 1 },
    );
  }

  private onPut(key: string, value: string, prefix: string): void {
    if (key === this.key) return;
    // every flanneld sees the same leases: parse each once per store (N nodes, N^2 sightings), and share
    // the resulting (immutable) Lease between the nodes
    const parsed = parseLeaseCached(this.o.store, key, value, prefix);
    if (typeof parsed === 'string') {
      this.errors.push(`ignored malformed lease ${key}: ${parsed}`);
      return;
    }
    const lease = parsed;
    const old = this.peers.get(key);
    if (old !== undefined) {
      if (old.publicIp === lease.publicIp && old.vtepMac === lease.vtepMac) return;
      this.backend.removePeer(old);
    }
    try {
      this.backend.addPeer(lease);
      this.peers.set(key, lease);
    } catch (e) {
      const msg = e instanceof FlannelError ? e.message : String(e);
      this.errors.push(msg);
      this.o.node.note(() => `flanneld: ${msg}`);
    }
  }

  private onDelete(key: string): void {
    const old = this.peers.get(key);
    if (old === undefined) return;
    this.peers.delete(key);
    this.backend.removePeer(old);
    this.o.node.note(
      () => `flanneld: lease ${formatCidr(old.subnet)} of ${formatIpv4(old.publicIp)} is gone: its routes removed`,
    );
  }

  private scheduleRenewal(ttl: number): void {
    const engine = this.o.node.engine;
    const renewIn = Math.max(1, ttl - RENEW_MARGIN_S) * 1e9;
    engine.schedule(renewIn, () => {
      if (this.stopped) return;
      void this.o.store.keepAlive(this.storeLease).then((alive) => {
        if (!alive) this.errors.push(`lease ${this.key} expired before renewal`);
      });
      this.scheduleRenewal(ttl);
    });
  }
}

/** Parsed leases by key, per datastore (dropped with it): the value they were parsed from and the result. */
const parsedLeases = new WeakMap<Datastore, Map<string, { value: string; lease: Lease | string }>>();

/** The Lease a subnet key and value describe, or why they are malformed; parsed once per store. */
function parseLeaseCached(store: Datastore, key: string, value: string, prefix: string): Lease | string {
  let cache = parsedLeases.get(store);
  if (cache === undefined) {
    cache = new Map();
    parsedLeases.set(store, cache);
  }
  const hit = cache.get(key);
  if (hit !== undefined && hit.value === value) return hit.lease;
  const k = parseFlannelSubnetKey(key, prefix);
  const v = parseFlannelLeaseValue(value);
  const lease: Lease | string = !k.ok
    ? k.error.reason
    : !v.ok
      ? v.error.reason
      : v.value.vxlan !== undefined
        ? {
            subnet: k.value.ipv4,
            publicIp: v.value.publicIp,
            backendType: v.value.backendType as BackendType,
            vtepMac: v.value.vxlan.vtepMac,
            vni: v.value.vxlan.vni ?? 1,
          }
        : { subnet: k.value.ipv4, publicIp: v.value.publicIp, backendType: v.value.backendType as BackendType };
  cache.set(key, { value, lease });
  return lease;
}

/** flannel's subnet pick: a random one among the first 100 free in [SubnetMin, SubnetMax]. */
export function pickFreeSubnet(
  c: FlanneldConfig,
  taken: ReadonlySet<number>,
  random: () => number,
): Ipv4Prefix | undefined {
  const step = 2 ** (32 - c.subnetLen);
  const free: number[] = [];
  for (let a = c.subnetMin; a <= c.subnetMax && free.length < 100; a += step) {
    const addr = (a & prefixMask(c.subnetLen)) >>> 0;
    if (!taken.has(addr)) free.push(addr);
  }
  if (free.length === 0) return undefined;
  return { addr: free[Math.floor(random() * free.length)]!, len: c.subnetLen };
}

/** A random locally administered unicast MAC, as the kernel gives a new device. */
function randomMac(random: () => number): Mac {
  let m = 0;
  for (let i = 0; i < 6; i++) m = m * 256 + Math.floor(random() * 256);
  const first = Math.floor(m / 2 ** 40);
  const fixed = (first & 0xfe) | 0x02;
  return (m % 2 ** 40) + fixed * 2 ** 40;
}
