/**
 * A running k3s-like cluster built from a plan: nodes on an underlay, a datastore (in memory by default,
 * any Datastore will do), flanneld on every node (kube subnet manager by default, as k3s: each Node gets
 * the next podCIDR of the cluster CIDR as it joins), and every scheduled pod wired by the CNI plugins
 * exactly as the kubelet would do it (k3s's flannel conflist: flannel -> bridge + host-local, portmap).
 * Every node's default route leads to the internet router, where outside clients also sit (internet.ts).
 * Services, kube-proxy and DNS come in later layers; this file owns the data path up to pod IPs.
 */
import { Engine } from '../sim/engine.js';
import { Network, type Port } from '../link/device.js';
import { Switch } from '../link/switch.js';
import type { LinkProps } from '../link/channel.js';
import { IpNode } from '../net/ip-node.js';
import { UdpStack } from '../transport/udp.js';
import { TcpStack } from '../transport/tcp.js';
import {
  formatCidr,
  formatIpv4,
  parseCidr,
  prefixContains,
  prefixMask,
  type Ipv4,
  type Ipv4Prefix,
} from '../wire/addr.js';
import { MemoryDatastore } from '../control/datastore/memory.js';
import type { Datastore } from '../control/datastore/types.js';
import { flannelConfigKey } from '../control/datastore/flannel-keys.js';
import { Flanneld, type FlanneldConfig, type FlanneldOptions } from '../control/flannel/flanneld.js';
import type { BackendConfig, BackendType } from '../control/flannel/backends.js';
import { encodeKubeNode, kubeNodeKey } from '../control/flannel/kube-subnet.js';
import { EmulatedHost } from '../control/cni/emulated-host.js';
import { MemoryStore } from '../control/cni/host.js';
import { CniRuntime } from '../control/cni/runtime.js';
import { K3S_FLANNEL_CONFLIST, calicoConflist, parseConfList, type NetConfList } from '../control/cni/conflist.js';
import { CalicoCluster, calicoPodMtu, type BirdHook, type CalicoNodeAgent } from './calico-node.js';
import { startFelixPolicy } from './calico-policy-enforcer.js';
import type { ClusterPlan, PlannedNode, PlannedPod } from './plan-types.js';
import { FLANNEL_VXLAN_DEFAULT_PORT } from './flannel-net-conf.js';
import { RangeAllocator } from './range-allocator.js';
import { buildOutsideClient, equipInternet, type Internet, type OutsideHost } from './internet.js';
import { PodContainers } from './pod-containers.js';
import { nodeHostsFile, podHostsFile, podResolvConfText } from './pod-dns.js';
import type { ImageEnvironment } from '../apps/images/registry.js';
import { clusterDnsView } from './dns-view.js';
import { KubeProxy } from './kube-proxy.js';
import { KubeRouterNetpol } from './netpol-kube-router.js';
import { traefikIngressView } from './traefik-provider.js';
import type { PolicyEnforcer } from './policy-enforcer.js';

/** A node of the running cluster. */
export interface ClusterNode {
  name: string;
  ip: Ipv4;
  stack: IpNode;
  udp: UdpStack;
  tcp: TcpStack;
  /** flanneld, on a cluster whose CNI is Flannel (flannelOf). */
  flanneld?: Flanneld;
  /** calico-node (Felix and BIRD), on a cluster whose CNI is Calico (calico-node.ts). */
  calico?: CalicoNodeAgent;
  cni: CniRuntime;
  /** The CNI network config list the kubelet runs for this node's pods (/etc/cni/net.d). */
  conflist: NetConfList;
  host: EmulatedHost;
  /** The node's /etc/resolv.conf: the internet router's DNS server (k3s nodes use the host's resolver). */
  resolvConf: string;
  /** The node's /etc/hosts (pod-dns.ts nodeHostsFile). */
  hostsFile: string;
}

/** A running pod. */
export interface ClusterPod {
  /** namespace/name. */
  id: string;
  name: string;
  namespace: string;
  node: string;
  ip: Ipv4;
  /** The pod's own stack (the node's for hostNetwork pods). */
  stack: IpNode;
  udp: UdpStack;
  tcp: TcpStack;
  hostNetwork: boolean;
  labels: Record<string, string>;
  /** Its containers, running their images' behaviour, with their probes (pod-containers.ts). */
  containers: PodContainers;
  /** Every container runs and passes its readiness probe (the pod's Ready condition, which endpoints use). */
  ready: boolean;
  /** Its /etc/resolv.conf, from its dnsPolicy and dnsConfig (pod-dns.ts). */
  resolvConf: string;
  /** Its /etc/hosts: its own entry and its hostAliases (pod-dns.ts). */
  hostsFile: string;
}

/** A change to the running cluster's objects, for the components that follow them (kube-proxy, DNS, ingress). */
export type ClusterChange =
  | { kind: 'pod-ready' | 'pod-added' | 'pod-deleted'; pod: ClusterPod }
  | { kind: 'node-added' | 'node-removed'; node: ClusterNode };

/** Who is told about changes: components add a listener; the runtime calls each one, in order, after a change. */
export class ClusterChanges {
  private readonly listeners: ((c: ClusterChange) => void)[] = [];

  /** Calls `listener` after every later change. */
  subscribe(listener: (c: ClusterChange) => void): void {
    this.listeners.push(listener);
  }

  /** Tells every listener. */
  publish(c: ClusterChange): void {
    for (const l of this.listeners) l(c);
  }
}

/** What the builder reports while it works (for progress on big clusters). */
export type BuildProgress = (phase: 'nodes' | 'pods', done: number, total: number) => void;

/** Options of buildCluster. */
export interface BuildOptions {
  /** Run flanneld against this store instead of a fresh in-memory one. */
  store?: Datastore;
  /** Replace the Cluster document's backend (podnet demo --backend). */
  backend?: BackendType;
  /** Called now and then with how far the build is. */
  progress?: BuildProgress;
  /** --ip-masq for flanneld (k3s runs it with ip-masq on). Default true. */
  ipMasq?: boolean;
  /**
   * flannel's subnet manager: `kube` (k3s: each Node's podCIDR from the range allocator, in join order)
   * or `etcd` (random leases under /coreos.com/network/subnets). Default kube.
   */
  subnetManager?: 'kube' | 'etcd';
  /** With cni: calico, another connector (and a log) for a node's BIRD: serve --bgp-peer's real sockets. */
  birdHook?: BirdHook;
}

/** A cluster, built and idle (no packet has moved yet). */
export interface ClusterRuntime {
  plan: ClusterPlan;
  engine: Engine;
  network: Network;
  store: Datastore;
  nodes: Map<string, ClusterNode>;
  pods: Map<string, ClusterPod>;
  /** Pods that could not be wired, with the CNI error (as kubelet's "FailedCreatePodSandBox"). */
  failedPods: { id: string; node: string; error: string }[];
  backend: BackendType;
  conflist: NetConfList;
  /** The subnet manager flanneld runs with. */
  subnetManager: 'kube' | 'etcd';
  /** kube mode: kube-controller-manager's podCIDR allocator. */
  podCIDRs?: RangeAllocator;
  /** The internet router (the underlay router on a routed underlay), with its DNS server. */
  internet: Internet;
  /** Machines outside the cluster on the underlay (spec.outsideClients), by name. */
  outside: Map<string, OutsideHost>;
  /** Changes to pods and nodes while the cluster runs (readiness now; steps add and remove pods and nodes). */
  changes: ClusterChanges;
  /** What starting more nodes and pods later needs (lifecycle.ts), kept from the build. */
  machinery: ClusterMachinery;
  /** kube-proxy (iptables mode) on every node, following the EndpointSlices (kube-proxy.ts). */
  kubeProxy?: KubeProxy;
  /** With cni: calico, Calico's resources, IPAM and calico-node on every node. */
  calico?: CalicoCluster;
  /** The NetworkPolicy enforcer: kube-router's controller with Flannel, Felix with Calico (policy-enforcer.ts). */
  policy?: PolicyEnforcer;
}

/** The build's settings and underlay, for nodes and pods that come later. */
export interface ClusterMachinery {
  flannel: FlanneldConfig;
  ipMasq: boolean;
  link: Partial<LinkProps>;
  /** The underlay switch a node with this address plugs into. */
  switchFor(a: Ipv4): Switch;
  /** Its default gateway: the internet router, or the routed underlay's router. */
  gatewayFor(a: Ipv4): Ipv4;
  /** The underlay's subnets (a joining node's address must be in one). */
  underlaySubnets: Ipv4Prefix[];
  /** What images need from the cluster (CoreDNS: NodeHosts, Services and pods). */
  images: ImageEnvironment;
  /** Machines that have joined so far, ever (numbers their MACs and switch ports). */
  nodesJoined: number;
}

/**
 * How long a cluster has been up when a person first looks at it (`podnet get`, `exec`, `run`, `serve`):
 * past Kubernetes' default probe schedule (first probe at initialDelaySeconds, then every 10 s; 3 failures
 * make a container not ready), so readiness, and with it every Service's endpoints, is what probes found.
 */
export const CLUSTER_UP_NS = 60_000_000_000;

/** Lets the cluster run CLUSTER_UP_NS of simulated time, as if it had just been up that long. */
export function bringUp(rt: ClusterRuntime): void {
  rt.engine.runFor(CLUSTER_UP_NS);
}

/** Builds `plan`: underlay, datastore, flanneld everywhere, then every scheduled pod through CNI. */
export async function buildCluster(plan: ClusterPlan, opts: BuildOptions = {}): Promise<ClusterRuntime> {
  const spec = plan.cluster;
  const engine = new Engine(spec.seed);
  const network = new Network(engine);
  const store = opts.store ?? new MemoryDatastore(engine);
  const backend: BackendType = opts.backend ?? spec.flannel.backend;
  const nc = spec.flannel.netConf;
  const backendCfg: BackendConfig =
    backend === spec.flannel.netConf.backend.type
      ? nc.backend
      : backend === 'vxlan'
        ? { type: 'vxlan', vni: 1, port: FLANNEL_VXLAN_DEFAULT_PORT }
        : backend === 'udp'
          ? { type: 'udp', port: 8285 }
          : { type: 'host-gw' };
  const flannelCfg: FlanneldConfig = {
    network: nc.network,
    subnetLen: nc.subnetLen,
    subnetMin: nc.subnetMin,
    subnetMax: nc.subnetMax,
    backend: backendCfg,
  };
  const subnetManager = opts.subnetManager ?? 'kube';
  // etcd mode reads net-conf.json from the store; kube mode (k3s) from a file, and needs each Node's podCIDR
  if (subnetManager === 'etcd') await store.put(flannelConfigKey(), spec.flannel.netConfText);
  const podCIDRs = subnetManager === 'kube' ? new RangeAllocator(spec.clusterCIDR, spec.nodeCIDRMaskSize) : undefined;

  // underlay: one switch for all nodes, or a router and one switch per subnet
  const link = spec.underlay.link;
  const switches = new Map<string, Switch>();
  let router: IpNode | undefined;
  if (spec.underlay.type === 'routed') {
    router = new IpNode(network, 'underlay-router', { forwarding: true });
    spec.underlay.gateways.forEach((g, i) => {
      const ifName = `eth${i}`;
      router!.addNic(ifName, 0x02_fe_00_00_00_00 + i);
      router!.addAddress(ifName, g);
      const sw = new Switch(network, `underlay${i}`);
      switches.set(formatCidr({ addr: g.addr, len: g.len }), sw);
      network.connect(router!.port(ifName)!, sw.addSwitchPort('uplink'), link);
    });
  } else switches.set('all', new Switch(network, 'underlay'));
  // the internet: the routed underlay's router, or a router of its own on the nodes' switch (internet.ts)
  if (router === undefined) {
    router = new IpNode(network, 'internet', { forwarding: true });
    router.addNic('eth0', 0x02_fe_00_00_01_00);
    router.addAddress('eth0', spec.internet.address);
    network.connect(router.port('eth0')!, switches.get('all')!.addSwitchPort('internet'), link);
  }
  const internet = equipInternet(router, spec.internet);
  const switchFor = (a: Ipv4): Switch =>
    spec.underlay.type === 'routed'
      ? switches.get(formatCidr(spec.underlay.gateways.find((x) => prefixContains(x, a))!))!
      : switches.get('all')!;
  const gatewayFor = (a: Ipv4): Ipv4 =>
    spec.underlay.type === 'routed'
      ? spec.underlay.gateways.find((x) => prefixContains(x, a))!.addr
      : spec.internet.address.addr;
  const outside = new Map<string, OutsideHost>();
  spec.outsideClients.forEach((oc, i) => {
    const mac = 0x02_fe_00_00_02_00 + i;
    const gateway = gatewayFor(oc.address.addr);
    outside.set(
      oc.name,
      buildOutsideClient(network, switchFor(oc.address.addr), oc, { mac, gateway, dns: internet.ip, link }),
    );
  });

  const parsed = parseConfList(K3S_FLANNEL_CONFLIST);
  if (!parsed.ok) throw new Error(`built-in conflist: ${JSON.stringify(parsed.problem)}`);
  const nodes = new Map<string, ClusterNode>();
  const rt: ClusterRuntime = {
    plan,
    engine,
    network,
    store,
    nodes,
    pods: new Map(),
    failedPods: [],
    backend,
    conflist: parsed.value,
    internet,
    outside,
    changes: new ClusterChanges(),
    subnetManager,
    ...(spec.cni === 'calico' ? { calico: new CalicoCluster(spec, plan.calicoResources, store, opts.birdHook) } : {}),
    ...(podCIDRs !== undefined ? { podCIDRs } : {}),
    machinery: {
      flannel: flannelCfg,
      ipMasq: opts.ipMasq ?? true,
      link,
      switchFor,
      gatewayFor,
      underlaySubnets:
        spec.underlay.type === 'routed'
          ? spec.underlay.gateways.map((g) => ({ addr: (g.addr & prefixMask(g.len)) >>> 0, len: g.len }))
          : [
              ...new Set(
                spec.nodes.map((n) =>
                  formatCidr({ addr: (n.address.addr & prefixMask(n.address.len)) >>> 0, len: n.address.len }),
                ),
              ),
            ].map((t) => parseCidr(t)!),
      // CoreDNS's NodeHosts, as k3s writes it into the coredns ConfigMap: "IP NAME" per node; its kubernetes
      // plugin reads Services and pods as they are when asked (dns-view.ts)
      images: {
        nodeHosts: () => [...nodes.values()].map((n) => `${formatIpv4(n.ip)} ${n.name}`).join('\n'),
        kubernetes: () => clusterDnsView({ ...rt, lastChange: () => lastChange }),
        clusterDomain: spec.clusterDomain,
        // traefik's Kubernetes Ingress provider, reading the plan and readiness as they are when a request comes
        ingress: traefikIngressView(
          () => rt.plan,
          (ns, name) => {
            const p = rt.pods.get(`${ns}/${name}`);
            return p?.ready === true ? p.ip : undefined;
          },
          (name) => rt.nodes.get(name)?.ip,
        ),
      },
      nodesJoined: 0,
    },
  };
  // CoreDNS's SOA serial: when it last saw the cluster change
  let lastChange = 0;
  rt.changes.subscribe(() => (lastChange = engine.now));
  for (const pn of plan.nodes) {
    await startNode(rt, pn);
    const joined = rt.machinery.nodesJoined;
    if (opts.progress !== undefined && (joined % 100 === 0 || joined === plan.nodes.length))
      opts.progress('nodes', joined, plan.nodes.length);
  }
  refreshNodeHosts(rt);
  // confd writes every node's bird.cfg once it knows the nodes; Felix programs what IPAM holds so far
  const calico = rt.calico;
  if (calico !== undefined) {
    calico.configurePeers();
    calico.sync();
    rt.changes.subscribe((c) => {
      if (c.kind === 'node-removed') calico.stopNode(c.node.name);
      if (c.kind === 'node-added' || c.kind === 'node-removed') calico.configurePeers();
      // a released address may have been a borrowed one, exported on its own
      if (c.kind !== 'pod-ready' && c.kind !== 'pod-added') calico.sync();
    });
  }

  const scheduled = plan.pods.filter((p) => p.node !== undefined);
  let done = 0;
  for (const p of scheduled) {
    startPod(rt, p);
    done++;
    if (opts.progress !== undefined && (done % 1000 === 0 || done === scheduled.length))
      opts.progress('pods', done, scheduled.length);
  }
  // Felix's policy chains and ipsets on every node, then following the pods (calico-policy-enforcer.ts)
  if (rt.calico !== undefined) rt.policy = startFelixPolicy(rt);
  // kube-proxy starts once every node and pod is there, its rules after flannel's (k3s starts it after the CNI)
  rt.kubeProxy = new KubeProxy(rt);
  rt.kubeProxy.start();
  // k3s's embedded kube-router network policy controller, on Flannel (Felix enforces policy with Calico)
  if (spec.cni !== 'calico' && !spec.disable.includes('network-policy')) {
    const netpol = new KubeRouterNetpol(rt);
    rt.policy = netpol;
    netpol.start();
  }
  return rt;
}

/**
 * A machine joins the underlay as a k3s node: its NIC on the subnet's switch, a default route to the
 * internet, the Node registered (kube mode: the range allocator gives it the next podCIDR), flanneld
 * started, and /run/flannel/subnet.env written for the CNI flannel plugin.
 */
export async function startNode(rt: ClusterRuntime, pn: PlannedNode): Promise<ClusterNode> {
  const m = rt.machinery;
  const index = m.nodesJoined++;
  const stack = new IpNode(rt.network, pn.name, { forwarding: true });
  stack.addNic('eth0', 0x02_00_c0_a8_00_00 + index);
  stack.addAddress('eth0', pn.address);
  // the default route goes to the internet (or the routed underlay's router, which plays it)
  stack.routes.add({ dst: 0, len: 0, via: m.gatewayFor(pn.address.addr), dev: 'eth0' });
  rt.network.connect(stack.port('eth0')!, m.switchFor(pn.address.addr).addSwitchPort(`p${index + 1}`), m.link);
  const udp = new UdpStack(stack);
  const tcp = new TcpStack(stack);
  const cniStore = new MemoryStore();
  let net: Pick<ClusterNode, 'flanneld' | 'calico' | 'conflist'>;
  if (rt.calico !== undefined) {
    // kube-controller-manager still hands out podCIDRs while it has some; Calico's IPAM does not use them
    rt.podCIDRs?.allocate(pn.name);
    const calico = rt.calico.startNode(pn.name, stack, tcp, pn.address, pn.labels);
    net = { calico, conflist: calicoConflistFor(pn.name, calico) };
  } else {
    if (rt.podCIDRs !== undefined) await registerNode(rt.store, rt.podCIDRs, pn.name, pn.address.addr);
    const flanneld = await Flanneld.start(flanneldOptions(rt, stack, udp, pn.address.addr));
    cniStore.write('/run/flannel/subnet.env', flanneld.subnetEnv);
    net = { flanneld, conflist: rt.conflist };
  }
  const host = new EmulatedHost(stack, cniStore);
  const node: ClusterNode = {
    name: pn.name,
    ip: pn.address.addr,
    stack,
    udp,
    tcp,
    ...net,
    cni: new CniRuntime(host),
    host,
    resolvConf: rt.internet.resolvConf,
    hostsFile: '', // refreshNodeHosts, once the nodes are known
  };
  rt.nodes.set(pn.name, node);
  return node;
}

/** A node's flanneld; a Calico cluster has none, and code that needs one says so by name. */
export function flannelOf(n: ClusterNode): Flanneld {
  if (n.flanneld === undefined) throw new Error(`node ${n.name} runs no flanneld: this cluster's CNI is calico`);
  return n.flanneld;
}

/** What flanneld runs with on a node (k3s's embedded flannel: --ip-masq, the external interface eth0). */
export function flanneldOptions(rt: ClusterRuntime, stack: IpNode, udp: UdpStack, publicIp: Ipv4): FlanneldOptions {
  return {
    subnetManager: rt.subnetManager,
    node: stack,
    udp,
    store: rt.store,
    config: rt.machinery.flannel,
    extDev: 'eth0',
    publicIp,
    ipMasq: rt.machinery.ipMasq,
  };
}

/** Every node's /etc/hosts names every node (k3s's agents resolve each other by name). */
export function refreshNodeHosts(rt: ClusterRuntime): void {
  const machines = [...rt.nodes.values()].map((n) => ({ name: n.name, ip: n.ip }));
  const text = nodeHostsFile(machines);
  for (const n of rt.nodes.values()) n.hostsFile = text;
}

/**
 * The kubelet runs a pod bound to its node: CNI ADD for the sandbox, resolv.conf and hosts written, the
 * containers started with their probes. A pod whose CNI ADD fails is kept in failedPods with the error.
 */
export function startPod(rt: ClusterRuntime, p: PlannedPod): ClusterPod | undefined {
  const node = rt.nodes.get(p.node!)!;
  const r = wirePod(node, p, node.conflist);
  if (typeof r === 'string') {
    rt.failedPods.push({ id: `${p.namespace}/${p.name}`, node: node.name, error: r });
    return undefined;
  }
  const pod = runContainers(withDnsFiles(r, node, p, rt.plan.cluster), node, p, rt.machinery.images, rt.changes);
  rt.pods.set(pod.id, pod);
  // a pod that took a new block, or borrowed an address, changes what Felix and BIRD program
  if (rt.calico !== undefined && !pod.hostNetwork) rt.calico.podWired(node.name, pod.ip);
  return pod;
}

/** The conflist Calico's install-cni writes on a node, with the MTU its pools' encapsulation leaves. */
function calicoConflistFor(name: string, calico: CalicoNodeAgent): NetConfList {
  const parsed = parseConfList(calicoConflist(name, calicoPodMtu(calico)));
  if (!parsed.ok) throw new Error(`built-in calico conflist: ${JSON.stringify(parsed.problem)}`);
  return parsed.value;
}

/** The kubelet registers the Node; kube-controller-manager's range allocator sets its spec.podCIDR. */
async function registerNode(store: Datastore, podCIDRs: RangeAllocator, name: string, ip: Ipv4): Promise<void> {
  const podCIDR = podCIDRs.allocate(name);
  if (podCIDR === undefined) throw new Error(`node ${name}: ${podCIDRs.exhaustedMessage()}`);
  await store.put(kubeNodeKey(name), encodeKubeNode({ name, annotations: {}, podCIDR, internalIp: ip }));
}

/** A pod whose sandbox is wired, before its containers start. */
type WiredPod = Omit<ClusterPod, 'containers' | 'ready' | 'resolvConf' | 'hostsFile'>;

/** The kubelet's part of the sandbox: the pod's resolv.conf and hosts file. */
function withDnsFiles(
  w: WiredPod,
  node: ClusterNode,
  p: PlannedPod,
  cluster: { clusterDNS: Ipv4; clusterDomain: string },
): Omit<ClusterPod, 'containers' | 'ready'> {
  const ctx = { clusterDNS: cluster.clusterDNS, clusterDomain: cluster.clusterDomain, nodeResolvConf: node.resolvConf };
  const pod = { name: p.name, namespace: p.namespace, ip: w.ip };
  return {
    ...w,
    resolvConf: podResolvConfText(p.spec, p.namespace, ctx),
    hostsFile: podHostsFile(p.spec, pod, cluster.clusterDomain, node.hostsFile),
  };
}

/** Starts the pod's containers in its sandbox, with their probes sent from `node` (the kubelet's part). */
function runContainers(
  w: Omit<ClusterPod, 'containers' | 'ready'>,
  node: ClusterNode,
  p: PlannedPod,
  env: ImageEnvironment,
  changes: ClusterChanges,
): ClusterPod {
  const sandbox = {
    engine: node.stack.engine,
    stack: w.stack,
    tcp: w.tcp,
    udp: w.udp,
    ip: w.ip,
    nodeTcp: node.tcp,
    hostIp: node.ip,
  };
  const podEnv: ImageEnvironment = { ...env, resolvConf: () => w.resolvConf };
  const containers = new PodContainers({ ...sandbox, hostname: p.spec.hostname ?? p.name }, p.spec.containers, podEnv);
  const pod: ClusterPod = { ...w, containers, ready: false };
  containers.onReadyChange = (ready) => {
    pod.ready = ready;
    changes.publish({ kind: 'pod-ready', pod });
  };
  containers.start();
  pod.ready = containers.ready;
  return pod;
}

/** Runs the CNI ADD for one pod, as the kubelet does for its sandbox. Returns the pod, or the CNI error. */
function wirePod(node: ClusterNode, p: PlannedPod, conflist: NetConfList): WiredPod | string {
  const id = `${p.namespace}/${p.name}`;
  const labels = { ...p.labels };
  if (p.spec.hostNetwork === true) {
    return {
      id,
      name: p.name,
      namespace: p.namespace,
      node: node.name,
      ip: node.ip,
      stack: node.stack,
      udp: node.udp,
      tcp: node.tcp,
      hostNetwork: true,
      labels,
    };
  }
  const rtConf = podSandbox(p);
  const stack = node.host.createNetns(rtConf.netns, podStackName(p));
  const r = node.cni.addNetworkList(conflist, { ...rtConf, capabilityArgs: { portMappings: portMappings(p) } });
  if (!r.ok) {
    node.host.deleteNetns(rtConf.netns);
    return `${r.error.msg}`;
  }
  const addr = r.value.ips?.[0]?.address;
  const ip = addr === undefined ? undefined : parseCidr(addr)?.addr;
  if (ip === undefined) return `CNI result without an address for ${id}`;
  return {
    id,
    name: p.name,
    namespace: p.namespace,
    node: node.name,
    ip,
    stack,
    udp: new UdpStack(stack),
    tcp: new TcpStack(stack),
    hostNetwork: false,
    labels,
  };
}

/** The name of a pod's network stack (its device in the network): `name` in default, `namespace/name` elsewhere. */
export function podStackName(p: { namespace: string; name: string }): string {
  return p.namespace === 'default' ? p.name : `${p.namespace}/${p.name}`;
}

/**
 * The sandbox of a pod as the runtime hands it to CNI (ADD and DEL alike): its container ID, network
 * namespace, eth0 and the K8S_POD_* arguments. containerd names sandboxes by a 64-hex id and namespaces
 * /var/run/netns/cni-<uuid>; podnet's are readable.
 */
export function podSandbox(p: { namespace: string; name: string }): {
  containerId: string;
  netns: string;
  ifName: string;
  args: [string, string][];
} {
  const containerId = `${p.namespace}_${p.name}`;
  return {
    containerId,
    netns: `/var/run/netns/cni-${p.namespace}-${p.name}`,
    ifName: 'eth0',
    args: [
      ['K8S_POD_NAMESPACE', p.namespace],
      ['K8S_POD_NAME', p.name],
      ['K8S_POD_INFRA_CONTAINER_ID', containerId],
    ],
  };
}

/**
 * The portMappings capability argument for a pod's CNI ADD: one entry per container port with a hostPort,
 * as containerd's CRI plugin builds it (internal/cri/server/sandbox_run.go toCNIPortMappings: hostPort > 0
 * only, protocol lower-cased, hostIP as given), so the portmap plugin programs CNI-HOSTPORT-DNAT.
 */
export function portMappings(
  p: PlannedPod,
): { hostPort: number; containerPort: number; protocol: string; hostIP: string }[] {
  return p.spec.containers.flatMap((c) =>
    c.ports.flatMap((port) =>
      port.hostPort !== undefined && port.hostPort > 0
        ? [
            {
              hostPort: port.hostPort,
              containerPort: port.containerPort,
              protocol: port.protocol.toLowerCase(),
              hostIP: port.hostIP === undefined ? '' : formatIpv4(port.hostIP),
            },
          ]
        : [],
    ),
  );
}

/** A one-line description of a pod, for listings. */
export function describePod(p: ClusterPod): string {
  return `${p.id} on ${p.node}: ${formatIpv4(p.ip)}${p.hostNetwork ? ' (hostNetwork)' : ''}`;
}

/** The port of a node's eth0 (for captures and traces). */
export function nodeUplink(n: ClusterNode): Port {
  return n.stack.port('eth0')!;
}
