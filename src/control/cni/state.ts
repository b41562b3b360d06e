/**
 * The emulated host as a JSON document, for executable mode: each plugin run is a new process, so the
 * node's devices, addresses, routes, iptables chains and forwarding switch, the pods' namespaces, the
 * veth cables between them and the PRNG seed are loaded before the plugin runs and saved after. Kernel
 * routes are not stored: adding the addresses back recreates them.
 */
import { Engine } from '../../sim/engine.js';
import { Network } from '../../link/device.js';
import { IpNode } from '../../net/ip-node.js';
import { BridgeDev } from '../../net/bridge.js';
import { EthernetDev, type NetDev } from '../../net/netdev.js';
import type { RouteProto } from '../../net/route-table.js';
import type { TableName } from '../../net/netfilter/rules.js';
import { formatIpv4, formatMac, parseIpv4, parseMac, prefixMask } from '../../wire/addr.js';
import { EmulatedHost } from './emulated-host.js';
import type { CniStore } from './host.js';
import { ensureChain, makeRule } from './iptables.js';
import { LoopbackDev, hairpinOf, setHairpin, vethPeer } from './netlink.js';
import { cidrOf } from './types.js';

/** One device. */
export interface DevState {
  name: string;
  kind: 'nic' | 'bridge' | 'loopback';
  mac: string;
  mtu: number;
  up: boolean;
  promisc?: boolean;
  master?: string;
  hairpin?: boolean;
  addresses: string[];
}

/** One non-kernel route. */
export interface RouteState {
  dst: string;
  via?: string;
  dev: string;
  metric: number;
  proto: RouteProto;
  scope: 'link' | 'global';
  src?: string;
  onlink?: boolean;
}

/** One user or built-in chain: its policy and rules (iptables-save text after "-A CHAIN "). */
export interface ChainState {
  name: string;
  policy?: 'ACCEPT' | 'DROP';
  rules: string[];
}

/** A network stack (the node or a pod). */
export interface StackState {
  name: string;
  forwarding: boolean;
  devs: DevState[];
  routes: RouteState[];
  iptables?: Partial<Record<TableName, ChainState[]>>;
}

/** The whole emulated host. */
export interface HostStateDoc {
  version: 1;
  /** Seed for the next run's PRNG. */
  seed: number;
  node: StackState;
  netns: { path: string; stack: StackState }[];
  /** veth cables: "stack/dev" at each end. */
  links: { a: string; b: string; mtu: number }[];
}

/** The name of the node's stack. */
export const HOST_STACK = 'host';

function saveStack(n: IpNode): StackState {
  const devs: DevState[] = n.devs.map((d) => {
    const s: DevState = {
      name: d.name,
      kind: d instanceof BridgeDev ? 'bridge' : d instanceof LoopbackDev ? 'loopback' : 'nic',
      mac: formatMac(d.mac),
      mtu: d.mtu,
      up: d.up,
      addresses: d.addresses.map((a) => `${formatIpv4(a.addr)}/${a.len}`),
    };
    if (d instanceof BridgeDev && d.promiscuous) s.promisc = true;
    if (d.master instanceof BridgeDev) s.master = d.master.name;
    if (hairpinOf(d)) s.hairpin = true;
    return s;
  });
  const routes: RouteState[] = n.routes
    .routes()
    .filter((r) => r.proto !== 'kernel')
    .map((r) => {
      const s: RouteState = {
        dst: `${formatIpv4(r.dst)}/${r.len}`,
        dev: r.dev,
        metric: r.metric,
        proto: r.proto,
        scope: r.scope,
      };
      if (r.via !== undefined) s.via = formatIpv4(r.via);
      if (r.src !== undefined) s.src = formatIpv4(r.src);
      if (r.onlink) s.onlink = true;
      return s;
    });
  const st: StackState = { name: n.name, forwarding: n.config.forwarding, devs, routes };
  if (n.netfilter !== undefined) {
    st.iptables = {};
    for (const t of ['filter', 'nat'] as const) {
      st.iptables[t] = [...n.netfilter.ruleset[t].values()].map((c) => {
        const cs: ChainState = { name: c.name, rules: c.rules.map((r) => r.text.replace(/^-A \S+ /, '')) };
        if (c.policy !== undefined) cs.policy = c.policy;
        return cs;
      });
    }
  }
  return st;
}

/** The document for `host` with `seed` as the next run's seed. */
export function saveHostState(host: EmulatedHost, seed: number): HostStateDoc {
  const links: HostStateDoc['links'] = [];
  const seen = new Set<NetDev>();
  const stacks: [string, IpNode][] = [[HOST_STACK, host.node], ...host.netnsEntries()];
  const label = new Map<IpNode, string>(stacks.map(([k, n]) => [n, k === HOST_STACK ? HOST_STACK : n.name]));
  for (const [, n] of stacks) {
    for (const d of n.devs) {
      const peer = vethPeer(d);
      if (peer === undefined || seen.has(d) || !label.has(peer.node)) continue;
      seen.add(d);
      seen.add(peer.dev);
      links.push({
        a: `${label.get(n)}/${d.name}`,
        b: `${label.get(peer.node)}/${peer.dev.name}`,
        mtu: (d as EthernetDev).port.link!.props.mtu,
      });
    }
  }
  return {
    version: 1,
    seed: seed >>> 0,
    node: saveStack(host.node),
    // a namespace with no device was only looked at (a DEL after it was gone): nothing to keep
    netns: host
      .netnsEntries()
      .filter(([, n]) => n.devs.length > 0)
      .map(([path, n]) => ({ path, stack: saveStack(n) })),
    links,
  };
}

function restoreStack(n: IpNode, s: StackState): void {
  n.config.forwarding = s.forwarding;
  for (const d of s.devs) {
    const mac = parseMac(d.mac) ?? 0;
    const dev: NetDev =
      d.kind === 'bridge'
        ? new BridgeDev(n, d.name, mac, d.mtu)
        : d.kind === 'loopback'
          ? new LoopbackDev(n)
          : n.addNic(d.name, mac, d.mtu);
    if (d.kind !== 'nic') n.addDev(dev);
    dev.up = d.up;
    if (d.promisc === true) dev.promiscuous = true;
    for (const a of d.addresses) {
      const c = cidrOf(a);
      if (c !== undefined) n.addAddress(d.name, c);
    }
  }
  for (const d of s.devs) {
    if (d.master === undefined) continue;
    const br = n.dev(d.master);
    const dev = n.dev(d.name)!;
    if (br instanceof BridgeDev) br.enslave(dev);
    if (d.hairpin === true) setHairpin(dev, true);
  }
  for (const r of s.routes) {
    const c = cidrOf(r.dst);
    if (c === undefined) continue;
    n.routes.add({
      dst: (c.addr & prefixMask(c.len)) >>> 0,
      len: c.len,
      dev: r.dev,
      via: r.via === undefined ? undefined : parseIpv4(r.via),
      metric: r.metric,
      proto: r.proto,
      scope: r.scope,
      src: r.src === undefined ? undefined : parseIpv4(r.src),
      onlink: r.onlink ?? false,
    });
  }
  for (const [t, chains] of Object.entries(s.iptables ?? {}) as [TableName, ChainState[]][]) {
    for (const c of chains) {
      ensureChain(n, t, c.name);
      const chain = n.netfilter!.ruleset[t].get(c.name)!;
      if (c.policy !== undefined) chain.policy = c.policy;
      for (const spec of c.rules) {
        const r = makeRule(t, c.name, spec);
        if (r.ok) chain.rules.push(r.value);
      }
    }
  }
}

/**
 * Rebuilds a host from `doc` (or a fresh one when undefined) over `store`. With `autoNetns`, a namespace
 * the document does not know is created when a plugin first asks for it (executable mode: the real
 * runtime made it).
 */
export function loadHostState(
  doc: HostStateDoc | undefined,
  store: CniStore,
  autoNetns: boolean,
  initialSeed = 1,
): { host: EmulatedHost; engine: Engine } {
  const engine = new Engine(doc?.seed ?? initialSeed);
  const network = new Network(engine);
  const node = new IpNode(network, HOST_STACK);
  const host = autoNetns ? new AutoNetnsHost(node, store) : new EmulatedHost(node, store);
  if (doc === undefined) return { host, engine };
  restoreStack(node, doc.node);
  for (const ns of doc.netns) restoreStack(host.createNetns(ns.path, ns.stack.name), ns.stack);
  const stack = (label: string): IpNode | undefined =>
    label === HOST_STACK ? node : host.netnsEntries().find(([, n]) => n.name === label)?.[1];
  for (const l of doc.links) {
    const [an, ad] = splitLabel(l.a);
    const [bn, bd] = splitLabel(l.b);
    const a = stack(an)?.dev(ad);
    const b = stack(bn)?.dev(bd);
    if (a instanceof EthernetDev && b instanceof EthernetDev)
      network.connect(a.port, b.port, { latency: 0, bandwidth: 0, mtu: l.mtu, queueLimit: 1000, loss: 0 });
  }
  return { host, engine };
}

function splitLabel(s: string): [string, string] {
  const i = s.lastIndexOf('/');
  return [s.slice(0, i), s.slice(i + 1)];
}

/** An EmulatedHost that creates unknown namespaces on first use, named after their path. */
class AutoNetnsHost extends EmulatedHost {
  override podNode(containerId: string, netns: string) {
    if (netns === '') return undefined;
    return super.podNode(containerId, netns) ?? this.createNetns(netns, netns);
  }
}
