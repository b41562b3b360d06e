/**
 * Calico on a running cluster, as calico-node runs it on every machine (k3s with --flannel-backend=none
 * and Calico's manifests):
 * - at start, calico-node registers the node and takes its tunnel address from IPAM (handle
 *   `ipip-tunnel-addr-<node>` when a pool uses IP-in-IP, `vxlan-tunnel-addr-<node>` for VXLAN), which claims
 *   the node's first block;
 * - Felix programs tunl0 / vxlan.calico, a blackhole route per affine block, the VXLAN routes, and the
 *   nat-outgoing chain (control/calico/felix.ts);
 * - BIRD (control/bgp, CALICO_NETWORKING_BACKEND=bird) runs the sessions confd writes into bird.cfg
 *   (calico-peers.ts), exports the node's blocks and the /32 of each local pod with a borrowed address, and
 *   installs what it learns as the notes show it: `via <node> dev tunl0 proto bird onlink` in IP-in-IP mode,
 *   `via <node> dev eth0 proto bird` without encapsulation (control/calico/bird-routes.ts);
 * - the calico CNI plugin wires pods through IPAM (control/cni/calico.ts).
 * Every change to IPAM (a pod added or deleted, a node joining) is followed by `sync`, which recomputes each
 * node's Felix state and BIRD's exports from IPAM as it now is.
 */
import type { IpNode } from '../net/ip-node.js';
import type { Route, RouteSpec } from '../net/route-table.js';
import { BgpSpeaker } from '../control/bgp/speaker.js';
import { TcpBgpConnector } from '../control/bgp/tcp-transport.js';
import type { BgpConnector } from '../control/bgp/transport.js';
import type { Candidate } from '../control/bgp/best-path.js';
import { prefixKey } from '../control/bgp/rib.js';
import type { PathAttributes } from '../wire/bgp.js';
import { CalicoIpam, tunnelHandle } from '../control/calico/ipam.js';
import { Felix } from '../control/calico/felix.js';
import { birdKernelRoute } from '../control/calico/bird-routes.js';
import type { FelixPeer, FelixPool, FelixState, NetworkingBackend } from '../control/calico/felix-types.js';
import { type SelectorNode, parseSelector, selectorMatches } from '../control/calico/selector.js';
import { attachCalicoEnv } from '../control/cni/calico-env.js';
import type { Datastore } from '../control/datastore/types.js';
import { formatCidr, formatIpv4, prefixContains, type Ipv4, type Ipv4Prefix } from '../wire/addr.js';
import {
  defaultBgpConfiguration,
  defaultFelixConfiguration,
  defaultIpPool,
  type BgpConfiguration,
  type CalicoIpPool,
  type CalicoNodeSpec,
  type CalicoObject,
  type FelixConfiguration,
} from './calico-resources.js';
import { birdPeersOf, type BirdPeer, type CalicoBgpNode, type CalicoBgpPeerSpec } from './calico-peers.js';
import type { ClusterSpec } from './cluster-spec.js';

/** calico-node on one machine. */
export interface CalicoNodeAgent {
  name: string;
  /** The node's BGP address (Node spec.bgp.ipv4Address: its eth0 address). */
  address: Ipv4Prefix;
  felix: Felix;
  /** BIRD; undefined with the vxlan networking backend, which runs no BGP. */
  bird?: BgpSpeaker;
  /** The `protocol bgp` blocks confd wrote for this node. */
  peers: BirdPeer[];
  ipipTunnelAddr?: Ipv4;
  vxlanTunnelAddr?: Ipv4;
  /** The blocks affine to this node when Felix last synced. */
  blocks: Ipv4Prefix[];
  /** Prefixes BIRD exports (the node's blocks, its pods' borrowed /32s), by text. */
  exported: Map<string, Ipv4Prefix>;
  /** Kernel routes BIRD installed, by RIB key (control/bgp/rib.ts prefixKey), with the attributes they came from. */
  kernel: Map<number, KernelRoute>;
}

/** A route BIRD's kernel protocol installed, and the BGP attributes it was made from. */
export interface KernelRoute {
  readonly route: Route;
  /** Updated in place when another copy of the route (the second reflector's) wins with the same route. */
  attrs: PathAttributes;
}

/**
 * Lets the builder give one node's BIRD another way to reach its neighbours (serve --bgp-peer: real
 * sockets for an outside router) and a log: given the node's emulated connector, what BIRD should use.
 */
export type BirdHook = (
  node: string,
  emulated: BgpConnector,
  calico: CalicoCluster,
) => { connector: BgpConnector; log?: (line: string) => void } | undefined;

/** What a Calico cluster's machines share: the resources, IPAM, and one agent per node. */
export class CalicoCluster {
  readonly pools: CalicoIpPool[];
  readonly bgp: BgpConfiguration;
  readonly felixConfig: FelixConfiguration;
  readonly bgpPeers: CalicoBgpPeerSpec[];
  readonly nodeSpecs = new Map<string, CalicoNodeSpec>();
  readonly ipam: CalicoIpam;
  readonly backend: NetworkingBackend;
  readonly agents = new Map<string, CalicoNodeAgent>();
  private readonly nodeLabels = new Map<string, Readonly<Record<string, string>>>();
  /** BGPPeer selectors parsed once (null: does not parse); confd matches each against every node. */
  private readonly selectors = new Map<string, SelectorNode | null>();
  /** The pools as Felix (and BIRD's kernel filter) sees them; the pools never change once the cluster is built. */
  readonly felixPools: readonly FelixPool[];

  constructor(
    spec: ClusterSpec,
    resources: readonly CalicoObject[],
    store: Datastore,
    private readonly birdHook?: BirdHook,
  ) {
    const pools = resources.flatMap((r) => (r.kind === 'IPPool' ? [r.spec] : []));
    // calico-node creates the default pool only when there is none (startup.go)
    this.pools =
      pools.length > 0
        ? pools
        : [
            {
              ...defaultIpPool(spec.clusterCIDR),
              ...(spec.calico !== undefined
                ? {
                    ipipMode: spec.calico.ipipMode,
                    vxlanMode: spec.calico.vxlanMode,
                    natOutgoing: spec.calico.natOutgoing,
                    blockSize: spec.calico.blockSize,
                  }
                : {}),
            },
          ];
    this.bgp =
      resources.flatMap((r) => (r.kind === 'BGPConfiguration' && r.metadata.name === 'default' ? [r.spec] : []))[0] ??
      defaultBgpConfiguration();
    this.felixConfig =
      resources.flatMap((r) => (r.kind === 'FelixConfiguration' && r.metadata.name === 'default' ? [r.spec] : []))[0] ??
      defaultFelixConfiguration();
    this.bgpPeers = resources.flatMap((r): CalicoBgpPeerSpec[] =>
      r.kind === 'BGPPeer'
        ? [
            {
              name: r.metadata.name,
              ...(r.spec.node !== undefined ? { node: r.spec.node } : {}),
              ...(r.spec.nodeSelector !== undefined ? { nodeSelector: r.spec.nodeSelector } : {}),
              ...(r.spec.peerSelector !== undefined ? { peerSelector: r.spec.peerSelector } : {}),
              ...(r.spec.peerIP !== undefined
                ? {
                    peerIP: `${formatIpv4(r.spec.peerIP)}${r.spec.peerPort !== undefined ? `:${r.spec.peerPort}` : ''}`,
                  }
                : {}),
              ...(r.spec.asNumber !== undefined ? { asNumber: r.spec.asNumber } : {}),
            },
          ]
        : [],
    );
    for (const r of resources) if (r.kind === 'CalicoNode') this.nodeSpecs.set(r.metadata.name, r.spec);
    // CALICO_NETWORKING_BACKEND: calico-vxlan.yaml sets vxlan (no BIRD) for VXLAN pools, calico.yaml bird
    this.backend = this.pools.some((p) => !p.disabled && p.vxlanMode !== 'Never') ? 'vxlan' : 'bird';
    this.ipam = new CalicoIpam(this.pools, { store });
    this.felixPools = this.pools.map((p) => ({
      name: p.name,
      cidr: p.cidr,
      ipipMode: p.ipipMode,
      vxlanMode: p.vxlanMode,
      natOutgoing: p.natOutgoing,
      disabled: p.disabled,
    }));
  }

  /**
   * calico-node starts on a machine: its node name for the CNI plugin, its tunnel address, Felix, and
   * BIRD listening (its sessions come with `configurePeers`, once confd knows the other nodes).
   */
  startNode(
    name: string,
    stack: IpNode,
    tcp: ConstructorParameters<typeof TcpBgpConnector>[0],
    address: Ipv4Prefix,
    labels: Readonly<Record<string, string>>,
  ): CalicoNodeAgent {
    this.nodeLabels.set(name, labels);
    this.ipam.setNodeLabels(name, labels);
    attachCalicoEnv(stack, {
      nodeName: name,
      ipam: {
        autoAssign: (req) => this.ipam.autoAssign(req),
        releaseByHandle: (h) => this.ipam.releaseByHandle(h),
      },
    });
    const enabled = this.pools.filter((p) => !p.disabled);
    const tunnel = (kind: 'ipip' | 'vxlan'): Ipv4 | undefined => {
      const r = this.ipam.autoAssign({
        handleId: tunnelHandle(kind, name),
        node: name,
        attrs: { node: name, type: kind === 'ipip' ? 'ipipTunnelAddress' : 'vxlanTunnelAddress' },
        use: 'Tunnel',
      });
      return r.ok ? r.value.ip : undefined;
    };
    const ipipTunnelAddr = enabled.some((p) => p.ipipMode !== 'Never') ? tunnel('ipip') : undefined;
    const vxlanTunnelAddr = enabled.some((p) => p.vxlanMode !== 'Never') ? tunnel('vxlan') : undefined;
    const agent: CalicoNodeAgent = {
      name,
      address,
      felix: new Felix(stack),
      peers: [],
      ...(ipipTunnelAddr !== undefined ? { ipipTunnelAddr } : {}),
      ...(vxlanTunnelAddr !== undefined ? { vxlanTunnelAddr } : {}),
      blocks: [],
      exported: new Map(),
      kernel: new Map(),
    };
    if (this.backend === 'bird') {
      const spec = this.nodeSpecs.get(name)?.bgp;
      const rrId = spec?.routeReflectorClusterID;
      const emulated = new TcpBgpConnector(tcp);
      const hooked = this.birdHook?.(name, emulated, this);
      const bird = new BgpSpeaker(stack.engine, {
        routerId: address.addr,
        asn: spec?.asNumber ?? this.bgp.asNumber,
        connector: hooked?.connector ?? emulated,
        ...(hooked?.log !== undefined ? { log: hooked.log } : {}),
        listenPort: this.bgp.listenPort,
        // confd's bgp_template: connect delay time 2; connect retry time 5; error wait time 5,30
        timers: { connectDelayTime: 2, connectRetryTime: 5, errorWaitMin: 5, errorWaitMax: 30 },
        ...(rrId !== undefined ? { clusterId: rrId } : {}),
      });
      bird.onBestChange((prefix, best) => this.learned(agent, stack, prefix, best));
      agent.bird = bird;
    }
    this.agents.set(name, agent);
    return agent;
  }

  /** The first node (in document order) whose projectcalico.org/v3 Node makes it a route reflector. */
  firstReflector(): string | undefined {
    for (const [name, spec] of this.nodeSpecs) if (spec.bgp?.routeReflectorClusterID !== undefined) return name;
    return undefined;
  }

  /** calico-node leaves (its machine shut down): BIRD's sessions end, its addresses go back with its Node. */
  stopNode(name: string): void {
    const a = this.agents.get(name);
    if (a === undefined) return;
    a.bird?.shutdown();
    // kube-controllers' IPAM garbage collection: the node's addresses (tunnel and pods) go, then its blocks
    for (const block of this.ipam.allBlocks())
      for (const alloc of block.allocations)
        if (alloc.attrs.node === name && alloc.handleId !== undefined) this.ipam.releaseByHandle(alloc.handleId);
    this.ipam.removeHost(name);
    this.agents.delete(name);
    this.nodeLabels.delete(name);
  }

  /** confd rewrites every node's bird.cfg for the nodes there are now; BIRD starts and stops sessions to match. */
  configurePeers(): void {
    const nodes: CalicoBgpNode[] = [...this.agents.values()].map((a) => {
      const bgp = this.nodeSpecs.get(a.name)?.bgp;
      return {
        name: a.name,
        ip: a.address.addr,
        labels: this.nodeLabels.get(a.name) ?? {},
        ...(bgp?.asNumber !== undefined ? { asNumber: bgp.asNumber } : {}),
        ...(bgp?.routeReflectorClusterID !== undefined
          ? { routeReflectorClusterID: formatIpv4(bgp.routeReflectorClusterID) }
          : {}),
      };
    });
    const settings = {
      asNumber: this.bgp.asNumber,
      nodeToNodeMeshEnabled: this.bgp.nodeToNodeMeshEnabled,
      ...(this.bgp.listenPort !== 179 ? { listenPort: this.bgp.listenPort } : {}),
    };
    for (const self of nodes) {
      const agent = this.agents.get(self.name)!;
      const bird = agent.bird;
      if (bird === undefined) continue;
      const want = birdPeersOf(self, nodes, this.bgpPeers, settings, (s, labels) => this.matchSelector(s, labels));
      const wanted = new Set(want.map((p) => p.ip));
      for (const old of agent.peers) if (!wanted.has(old.ip)) bird.removePeer(old.ip);
      const had = new Set(agent.peers.map((p) => p.ip));
      for (const p of want)
        if (!had.has(p.ip))
          bird.addPeer({
            address: p.ip,
            asn: p.asn,
            port: p.port,
            passive: p.passive,
            rrClient: p.rrClient,
            sourceAddress: agent.address.addr,
            name: p.name,
          });
      agent.peers = want;
    }
  }

  /** After IPAM changed: every node's Felix state and BIRD exports, from IPAM as it is now. */
  sync(): void {
    const blocks = this.ipam.allBlocks();
    const blocksOf = new Map<string, Ipv4Prefix[]>();
    for (const b of blocks) if (b.node !== undefined) blocksOf.set(b.node, [...(blocksOf.get(b.node) ?? []), b.cidr]);
    // borrowed addresses: in a block affine to one node, held by a pod on another (IPAM attrs name the node)
    const borrowed: { ip: Ipv4; node: string }[] = [];
    for (const b of blocks)
      for (const a of b.allocations)
        if (a.borrowed && a.attrs.node !== undefined) borrowed.push({ ip: a.ip, node: a.attrs.node });
    const pools = [...this.felixPools];
    const peersFor = (self: string): FelixPeer[] =>
      this.backend === 'vxlan'
        ? [...this.agents.values()]
            .filter((a) => a.name !== self)
            .map((a) => ({
              name: a.name,
              address: a.address.addr,
              blocks: blocksOf.get(a.name) ?? [],
              ...(a.vxlanTunnelAddr !== undefined ? { vxlan: { tunnelAddr: a.vxlanTunnelAddr } } : {}),
            }))
        : [];
    for (const agent of this.agents.values()) {
      const own = blocksOf.get(agent.name) ?? [];
      agent.blocks = own;
      const state: FelixState = {
        nodeName: agent.name,
        address: agent.address.addr,
        subnetLen: agent.address.len,
        device: 'eth0',
        backend: this.backend,
        pools,
        blocks: own,
        ...(agent.ipipTunnelAddr !== undefined ? { ipipTunnelAddr: agent.ipipTunnelAddr } : {}),
        ...(agent.vxlanTunnelAddr !== undefined ? { vxlanTunnelAddr: agent.vxlanTunnelAddr } : {}),
        peers: peersFor(agent.name),
        borrowed: borrowed.filter((b) => b.node !== agent.name),
        config: {
          vxlanVni: this.felixConfig.vxlanVNI,
          vxlanPort: this.felixConfig.vxlanPort,
          ...(this.felixConfig.ipipMTU !== undefined ? { ipipMtu: this.felixConfig.ipipMTU } : {}),
          ...(this.felixConfig.vxlanMTU !== undefined ? { vxlanMtu: this.felixConfig.vxlanMTU } : {}),
        },
      };
      agent.felix.apply(state);
      const bird = agent.bird;
      if (bird === undefined) continue;
      // BIRD's static protocol: a blackhole per affine block; calico_aggr exports the blocks, and a local
      // pod's borrowed /32 (a more-specific route of another node's block) on its own
      const exports = new Map<string, Ipv4Prefix>();
      for (const b of own) if (!this.poolOf(b)?.disableBGPExport) exports.set(formatCidr(b), b);
      for (const b of borrowed)
        if (b.node === agent.name) exports.set(formatCidr({ addr: b.ip, len: 32 }), { addr: b.ip, len: 32 });
      for (const [k, p] of agent.exported) if (!exports.has(k)) bird.withdraw(p);
      for (const [k, p] of exports) if (!agent.exported.has(k)) bird.originate(p);
      agent.exported = exports;
    }
  }

  /**
   * A pod got `ip` on `node`: when the address is outside the node's blocks as Felix last saw them (a new
   * block was claimed, or the address borrowed), every node's programming follows.
   */
  podWired(node: string, ip: Ipv4): void {
    const agent = this.agents.get(node);
    if (agent === undefined || !agent.blocks.some((b) => prefixContains(b, ip))) this.sync();
  }

  /** A Calico selector against labels; a selector that does not parse matches nothing (confd logs it). */
  private matchSelector(selector: string, labels: Readonly<Record<string, string>>): boolean {
    let node = this.selectors.get(selector);
    if (node === undefined) {
      const s = parseSelector(selector);
      node = s.ok ? s.value : null;
      this.selectors.set(selector, node);
    }
    return node !== null && selectorMatches(node, labels);
  }

  private poolOf(p: Ipv4Prefix): CalicoIpPool | undefined {
    return this.pools.find((x) => prefixContains(x.cidr, p.addr) && x.cidr.len <= p.len);
  }

  /** BIRD's kernel protocol: a learned best route goes into the node's table, a withdrawn one comes out. */
  private learned(agent: CalicoNodeAgent, stack: IpNode, prefix: Ipv4Prefix, best: Candidate | undefined): void {
    const key = prefixKey(prefix.addr, prefix.len);
    const old = agent.kernel.get(key);
    // the same attributes again (interned: the second route reflector's copy of the route won): nothing to do
    if (old !== undefined && best !== undefined && !best.source.local && best.attrs === old.attrs) return;
    const spec =
      best === undefined || best.source.local || best.attrs.nextHop === undefined
        ? undefined
        : birdKernelRoute(
            this.felixPools,
            { address: agent.address.addr, subnetLen: agent.address.len, device: 'eth0' },
            prefix,
            best.attrs.nextHop,
          );
    // the same tunnel route again (a second route reflector's copy of the route won): the kernel route
    // stays as it is, as `ip route replace` with the same values leaves it (a speed-up for big clusters)
    if (old !== undefined && spec?.onlink === true && sameRoute(old.route, spec)) {
      old.attrs = best!.attrs; // no new entry: the old one has survived into the old generation
      return;
    }
    if (old !== undefined) {
      const r = old.route;
      stack.routes.remove(r.dst, r.len, { dev: r.dev, ...(r.via !== undefined ? { via: r.via } : {}) });
      agent.kernel.delete(key);
    }
    if (spec === undefined) return;
    // `gateway recursive` (confd's bgp_template): a next hop that is not on a connected network resolves
    // through the table (BIRD `learn`s the kernel's default route), so a block behind a router goes to
    // the router; the tunnel's onlink routes keep the node as their gateway
    let route = spec;
    if (spec.onlink !== true && spec.via !== undefined) {
      const to = stack.routes.lookup(spec.via);
      if (to === undefined || to.type !== 'unicast') return;
      if (to.via !== undefined) route = { ...spec, via: to.via, dev: to.dev };
    }
    agent.kernel.set(key, { route: stack.routes.add(route), attrs: best!.attrs });
  }
}

function sameRoute(r: Route, spec: RouteSpec): boolean {
  return (
    r.dst === spec.dst &&
    r.len === spec.len &&
    r.via === spec.via &&
    r.dev === spec.dev &&
    r.onlink === (spec.onlink ?? false) &&
    r.proto === (spec.proto ?? 'static') &&
    r.metric === (spec.metric ?? 0) &&
    r.src === spec.src &&
    r.type === (spec.type ?? 'unicast') &&
    spec.scope === undefined
  );
}

/**
 * The pods' MTU on a node (calico.yaml's veth_mtu "0": Calico picks it from the encapsulation): 1450 with
 * VXLAN, 1480 with IP-in-IP, 1500 without, over a 1500-byte underlay.
 */
export function calicoPodMtu(agent: CalicoNodeAgent): number {
  return agent.vxlanTunnelAddr !== undefined ? 1450 : agent.ipipTunnelAddr !== undefined ? 1480 : 1500;
}
