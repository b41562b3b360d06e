/**
 * flanneld on one node. With flannel's etcd subnet manager (the default of this class): take back the lease
 * an earlier flanneld with the same public IP left, else lease a subnet for this node under
 * /coreos.com/network/subnets (a random free one among the first 100 in [SubnetMin, SubnetMax], written
 * with compare-and-swap so two nodes never get the same one; 10 tries, then "out of subnets"), keep the
 * lease alive (TTL 24 h, renewed an hour before it ends), write subnet.env, program the backend for every
 * other node's lease, and follow joins and departures through a watch. Works on any Datastore: the
 * in-memory one inside the simulation or a real etcd. With the kube subnet manager (k3s's): the subnet is
 * the Node's podCIDR and peers come from the other Nodes' annotations (kube-subnet.ts).
 */
import {
  formatCidr,
  formatIpv4,
  prefixContains,
  prefixMask,
  type Ipv4,
  type Ipv4Prefix,
  type Mac,
} from '../../wire/addr.js';
import type { IpNode } from '../../net/ip-node.js';
import { parseIptablesSave } from '../../net/netfilter/iptables-restore.js';
import type { UdpStack } from '../../transport/udp.js';
import type { Datastore, KeyValue, LeaseId, ListResult, Watch } from '../datastore/types.js';
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
  reusableVxlanDev,
  type Backend,
  type BackendConfig,
  type BackendType,
  type Lease,
} from './backends.js';
import { flannelMasqRules, removeFlannelJumps } from './ipmasq.js';
import {
  KUBE_NODES_PREFIX,
  encodeKubeNode,
  flannelNodeAnnotations,
  kubeNodeKey,
  nodeToLease,
  parseKubeNode,
} from './kube-subnet.js';

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
  /**
   * Where the subnet comes from: flannel's etcd subnet manager (the default here, a lease under
   * --etcd-prefix) or its kube subnet manager (--kube-subnet-mgr, as k3s runs it: the Node's podCIDR).
   */
  subnetManager?: 'etcd' | 'kube';
  /** kube mode: the Node's name (flannel's NODE_NAME); by default the node's. */
  nodeName?: string;
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
    private readonly storeLease: LeaseId | undefined,
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
    // a restarted flanneld takes over the vxlan device the last one left, and so keeps its VtepMAC
    const vtepMac: Mac | undefined =
      type === 'vxlan' ? (reusableVxlanDev(o.node, c.backend, o.publicIp)?.mac ?? randomMac(random)) : undefined;
    const ttl = o.leaseTtlSeconds ?? FLANNEL_LEASE_TTL_S;
    const attrs: Omit<Lease, 'subnet'> = {
      publicIp: o.publicIp,
      backendType: type,
      ...(vtepMac !== undefined ? { vtepMac, vni: c.backend.vni ?? 1 } : {}),
    };
    const kube = o.subnetManager === 'kube';
    const got = kube ? await acquireKube(o, attrs) : await acquireEtcd(o, attrs, prefix, ttl, random);
    const { subnet, key } = got;
    if (!kube)
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
    const lease: Lease = { subnet, ...attrs };
    const f = new Flanneld(o, lease, backend, key, got.storeLease);
    if (o.ipMasq) {
      const nf = o.node.enableNetfilter();
      // a restart finds its rules in place: like flannel's ensure loop, leave one copy of each, not two
      removeFlannelJumps(nf.ruleset);
      const r = parseIptablesSave(flannelMasqRules(c.network, subnet), nf.ruleset, { noflush: true });
      if (!r.ok) throw new Error(`flanneld: bad ip-masq rules: ${r.errors.map((e) => e.message).join('; ')}`);
    }
    // the list the lease was chosen from also seeds the peers: a watch from its revision misses nothing
    await f.follow(kube ? KUBE_NODES_PREFIX : flannelSubnetsPrefix(prefix), got.list);
    // the kube subnet manager has no lease to renew (RenewLease is unimplemented there)
    if (got.storeLease !== undefined) f.scheduleRenewal(ttl, got.storeLease);
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

  /**
   * Stops and gives the subnet up (etcd mode: revokes the lease), so the other nodes remove this node's
   * routes. In kube mode the Node object stays until it is deleted, as with a stopped flanneld in k3s.
   */
  async stop(): Promise<void> {
    this.exit();
    if (this.storeLease !== undefined) await this.o.store.revokeLease(this.storeLease);
  }

  /**
   * The flanneld process ends (killed, restarted) without touching the datastore: its lease stays until
   * its TTL runs out, and a flanneld started again with the same public IP takes it back.
   */
  exit(): void {
    this.stopped = true;
    this.watch?.cancel();
    this.backend.exit();
  }

  private async follow(watchPrefix: string, list: ListResult): Promise<void> {
    const prefix = this.o.prefix ?? FLANNEL_ETCD_PREFIX;
    for (const kv of list.kvs) this.onPut(kv.key, kv.value, prefix);
    this.watch = await this.o.store.watch(
      watchPrefix,
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
    const parsed =
      this.o.subnetManager === 'kube'
        ? nodeLeaseCached(this.o.store, key, value)
        : parseLeaseCached(this.o.store, key, value, prefix);
    if (parsed === undefined) return;
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

  private scheduleRenewal(ttl: number, storeLease: LeaseId): void {
    const engine = this.o.node.engine;
    const renewIn = Math.max(1, ttl - RENEW_MARGIN_S) * 1e9;
    engine.schedule(renewIn, () => {
      if (this.stopped) return;
      void this.o.store.keepAlive(storeLease).then((alive) => {
        if (!alive) this.errors.push(`lease ${this.key} expired before renewal`);
      });
      this.scheduleRenewal(ttl, storeLease);
    });
  }
}

/** The subnet a subnet manager gave, its key, the list of peers it read, and the store lease (etcd mode). */
interface Acquired {
  subnet: Ipv4Prefix;
  key: string;
  list: ListResult;
  storeLease: LeaseId | undefined;
}

/**
 * flannel's etcd subnet manager (pkg/subnet/etcd/local_manager.go tryAcquireLease): a lease already held
 * for this public IP is taken back and renewed with the new attributes (a restarted flanneld keeps its
 * subnet), if it still fits the config; else a random free subnet, written with compare-and-swap.
 */
async function acquireEtcd(
  o: FlanneldOptions,
  attrs: Omit<Lease, 'subnet'>,
  prefix: string,
  ttl: number,
  random: () => number,
): Promise<Acquired> {
  const c = o.config;
  const value = encodeFlannelLeaseValue({
    publicIp: attrs.publicIp,
    backendType: attrs.backendType,
    ...(attrs.vtepMac !== undefined
      ? { backendData: vxlanBackendData({ vni: attrs.vni ?? 1, vtepMac: attrs.vtepMac }) }
      : {}),
  });
  const storeLease = await o.store.grantLease(ttl);
  for (let attempt = 0; attempt < 10; attempt++) {
    const existing = await o.store.list(flannelSubnetsPrefix(prefix));
    const taken = new Set<number>();
    let mine: { kv: KeyValue; subnet: Ipv4Prefix } | undefined;
    for (const kv of existing.kvs) {
      const l = parseLeaseCached(o.store, kv.key, kv.value, prefix);
      if (typeof l !== 'string') {
        taken.add(l.subnet.addr);
        if (l.publicIp === o.publicIp && mine === undefined) mine = { kv, subnet: l.subnet };
      } else {
        const k = parseFlannelSubnetKey(kv.key, prefix);
        if (k.ok) taken.add(k.value.ipv4.addr);
      }
    }
    if (mine !== undefined) {
      const s = mine.subnet;
      if (subnetFitsConfig(c, s)) {
        const cas = await o.store.compareAndSwap(mine.kv.key, { modRevision: mine.kv.modRevision }, value, {
          lease: storeLease,
        });
        if (!cas.succeeded) continue;
        o.node.note(
          () => `flanneld: found lease (${formatCidr(s)}) for current IP (${formatIpv4(o.publicIp)}), reusing`,
        );
        return { subnet: s, key: mine.kv.key, list: await o.store.list(flannelSubnetsPrefix(prefix)), storeLease };
      }
      o.node.note(
        () =>
          `flanneld: found lease (${formatCidr(s)}) for current IP (${formatIpv4(o.publicIp)}) but not compatible with current config, deleting`,
      );
      await o.store.delete(mine.kv.key);
      continue;
    }
    const candidate = pickFreeSubnet(c, taken, random);
    if (candidate === undefined) break;
    const key = flannelSubnetKey({ ipv4: candidate }, prefix);
    const cas = await o.store.compareAndSwap(key, { value: undefined }, value, { lease: storeLease });
    if (cas.succeeded) return { subnet: candidate, key, list: existing, storeLease };
  }
  await o.store.revokeLease(storeLease);
  throw new FlannelError(
    `${o.node.name}: out of subnets: no free /${c.subnetLen} left in ${formatCidr(c.network)} between ${formatIpv4(c.subnetMin)} and ${formatIpv4(c.subnetMax)}`,
  );
}

/** flannel's isSubnetConfigCompat: the subnet is one of [SubnetMin, SubnetMax] at SubnetLen. */
function subnetFitsConfig(c: FlanneldConfig, s: Ipv4Prefix): boolean {
  return s.len === c.subnetLen && s.addr >= c.subnetMin && s.addr <= c.subnetMax && prefixContains(c.network, s.addr);
}

/**
 * flannel's kube subnet manager (pkg/subnet/kube/kube.go AcquireLease): the subnet is the Node's
 * spec.podCIDR; flanneld writes its backend-type, backend-data, public-ip and kube-subnet-manager
 * annotations when they differ from what the Node holds.
 */
async function acquireKube(o: FlanneldOptions, attrs: Omit<Lease, 'subnet'>): Promise<Acquired> {
  const name = o.nodeName ?? o.node.name;
  const key = kubeNodeKey(name);
  for (let attempt = 0; attempt < 10; attempt++) {
    const kv = await o.store.get(key);
    if (kv === undefined) throw new FlannelError(`nodes "${name}" not found`);
    const n = parseKubeNode(kv.value);
    if (typeof n === 'string') throw new FlannelError(`node "${name}": ${n}`);
    const cidr = n.podCIDR;
    if (cidr === undefined) throw new FlannelError(`node "${name}" pod cidr not assigned`);
    const net = o.config.network;
    if (!(net.len <= cidr.len && prefixContains(net, cidr.addr)))
      throw new FlannelError(
        `subnet "${formatCidr(net)}" specified in the flannel net config doesn't contain "${formatCidr(cidr)}" PodCIDR of the "${name}" node`,
      );
    const want = flannelNodeAnnotations(attrs);
    const differs = Object.entries(want).some(([k, v]) => n.annotations[k] !== v);
    if (differs) {
      const updated = encodeKubeNode({ ...n, annotations: { ...n.annotations, ...want } });
      const cas = await o.store.compareAndSwap(key, { modRevision: kv.modRevision }, updated);
      if (!cas.succeeded) continue;
    }
    o.node.note(
      () =>
        `flanneld: kube subnet manager: node ${name} podCIDR ${formatCidr(cidr)}, annotations ${differs ? 'written' : 'unchanged'}`,
    );
    return { subnet: cidr, key, list: await o.store.list(KUBE_NODES_PREFIX), storeLease: undefined };
  }
  throw new FlannelError(`node "${name}": the Node kept changing while flanneld annotated it`);
}

/** Leases from Node objects, per store, parsed once per value (like parseLeaseCached). */
const parsedNodes = new WeakMap<Datastore, Map<string, { value: string; lease: Lease | undefined | string }>>();

function nodeLeaseCached(store: Datastore, key: string, value: string): Lease | undefined | string {
  let cache = parsedNodes.get(store);
  if (cache === undefined) {
    cache = new Map();
    parsedNodes.set(store, cache);
  }
  const hit = cache.get(key);
  if (hit !== undefined && hit.value === value) return hit.lease;
  const n = parseKubeNode(value);
  const lease = typeof n === 'string' ? n : nodeToLease(n);
  cache.set(key, { value, lease });
  return lease;
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
