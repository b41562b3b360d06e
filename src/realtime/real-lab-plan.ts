/**
 * `podnet up` as data: a pure function from a validated lab to the `ip`/`bridge`/`tc`/`sysctl`/
 * `iptables-restore` commands that build it on the real kernel, one network namespace per node. Nothing
 * here runs a command (real-lab-run.ts does); the plan is unit-tested without root.
 *
 * What maps to what (Mininet's and containerlab's choices, checked in namespaces on Linux 6.x):
 * - every node (host, router, switch, hub) is a namespace `<prefix><node>`; IPv6 is turned off in it
 *   before any device exists, so the kernel sends no router solicitations, MLD reports or DAD probes;
 * - a link is a veth pair created straight into both namespaces, each end named after its port;
 * - a switch is a Linux bridge (`mcast_snooping 0`: a snooping bridge sends IGMP queries of its own;
 *   podnet's switch does not snoop) holding its ports; VLANs through `vlan_filtering 1` with
 *   `vlan_default_pvid 0` and `bridge vlan` access (pvid untagged) and trunk (tagged) entries; STP with
 *   `stp_state 1`, the bridge and port MACs podnet's switch uses (02:00:00:00:NN:00, port n at +n);
 * - a hub is a bridge with `ageing_time 0`: it learns nothing, so it floods every frame out of every
 *   other port, as a repeater does;
 * - interfaces get the MAC podnet gives them (the lab's, or podnet's generated one), so frames compare
 *   by value;
 * - link latency, bandwidth, loss and queue are `tc qdisc ... netem delay/rate/loss/limit` on each end's
 *   egress; the link MTU goes on both ends;
 * - routers get `net.ipv4.ip_forward=1`, hosts 0 (a new namespace inherits the machine's IPv4 settings,
 *   Documentation/networking/ip-sysctl.rst devconf_inherit_init_net, so the value is always written).
 */
import {
  formatCidr,
  formatIpv4,
  formatMac,
  prefixContains,
  type Ipv4,
  type Ipv4Prefix,
  type Mac,
} from '../wire/addr.js';
import { formatIptablesSave } from '../net/netfilter/iptables-save.js';
import { DEFAULT_LINK, type LinkProps } from '../link/channel.js';
import { portCostForSpeed } from '../link/stp.js';
import type { LabSpec, NodeSpec } from '../scenario/lab-types.js';

/** One command of a plan. */
export interface RealCommand {
  /** argv, argv[0] the program. */
  argv: string[];
  /** Text fed on stdin (iptables-restore's rules). */
  stdin?: string;
  /** The kernel module a device this command makes needs, named in the error when it fails. */
  module?: string;
  /** A kernel feature the command needs besides the module, named when the kernel says "not supported". */
  feature?: string;
  /** When its module is missing, `up` goes on without it and warns (link latency and loss: sch_netem). */
  optional?: boolean;
  /** When it fails, `up` goes on and warns with this sentence and what the command said. */
  mayFail?: string;
}

/** A file `up` writes (the hosts and resolv.conf `ip netns exec` bind-mounts over /etc's). */
export interface RealFile {
  path: string;
  text: string;
}

/** Everything `podnet up LAB` does, and what `podnet down` removes. */
export interface RealLabPlan {
  lab: string;
  /** Prefix of every namespace (`pn-<lab>-`): names the state file. */
  prefix: string;
  /** Namespace of each node, in the lab's order. */
  namespaces: { node: string; ns: string }[];
  /** Directories under /etc/netns holding the files below (removed by down). */
  etcDirs: string[];
  files: RealFile[];
  commands: RealCommand[];
  /** What the lab asks for that `up` does not build, one sentence each; `up` refuses a lab with any. */
  unsupported: string[];
  /** What `up` builds but leaves without the program podnet runs there (a DNS or HTTP server). */
  warnings: string[];
}

/** The namespace prefix of a lab: `pn-<lab>-`. */
export function labPrefix(lab: string): string {
  return `pn-${lab}-`;
}

/** iproute2's limit on interface names (IFNAMSIZ - 1). */
const IFNAMSIZ = 15;
/** VXLAN's overhead over its underlay (RFC 7348: outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14). */
const VXLAN_OVERHEAD = 50;

type IpNodeSpec = Extract<NodeSpec, { kind: 'host' | 'router' }>;

/** The MAC podnet's builder (scenario/build.ts) gives the k-th generated address of node number ni. */
function autoMac(ni: number, k: number): Mac {
  return 0x02_00_00_00_00_00 + (ni + 1) * 256 + k + 1;
}

/** The bridge device of a switch or hub inside its namespace: the node's own name when it can be one. */
export function switchBridgeName(n: { name: string; ports: readonly (string | { name: string })[] }): string {
  const ports = n.ports.map((p) => (typeof p === 'string' ? p : p.name));
  return n.name.length <= IFNAMSIZ && /^[A-Za-z0-9_.-]+$/.test(n.name) && !ports.includes(n.name) ? n.name : 'br0';
}

/**
 * An address as `ip addr add` takes it, with `brd +` (the subnet's broadcast address, which iproute2 sets
 * for prefixes up to /30) as DHCP clients and the CNI plugins add theirs: podnet's nodes have one, and
 * so a broadcast route in the local table and `brd` in `ip addr`.
 */
function withBroadcast(a: Ipv4Prefix): string[] {
  return a.len <= 30 ? [formatCidr(a), 'brd', '+'] : [formatCidr(a)];
}

/** The address a node name stands for in steps and /etc/hosts: podnet's primary address. */
export function primaryAddress(n: IpNodeSpec): Ipv4 | undefined {
  const devs = [...n.interfaces, ...n.vlans, ...n.vxlans, ...n.ipips, ...n.bridges, ...n.udpEncaps];
  return devs.find((d) => d.addresses.length > 0)?.addresses[0]?.addr;
}

/** tbf for the link's bandwidth: a burst of at least 10 ms of traffic, a queue of queueLimit full frames. */
function tbfArgs(p: LinkProps): string[] {
  const burst = Math.max(32 * 1024, Math.ceil(p.bandwidth / 8 / 100));
  const limit = p.queueLimit * (p.mtu + 14);
  return ['tbf', 'rate', `${p.bandwidth}bit`, 'burst', String(burst), 'limit', String(limit)];
}

/** netem for the link's latency and loss, or undefined when it has neither. */
function netemArgs(p: LinkProps): string[] | undefined {
  if (p.latency <= 0 && p.loss <= 0) return undefined;
  const args = ['netem', 'limit', String(p.queueLimit)];
  if (p.latency > 0) args.push('delay', `${p.latency / 1000}us`);
  if (p.loss > 0) args.push('loss', `${p.loss * 100}%`);
  return args;
}

/** The plan that builds `spec` in namespaces named `prefix + node` (default `pn-<lab>-`). */
export function planUp(spec: LabSpec, prefix = labPrefix(spec.name)): RealLabPlan {
  const ns = (node: string): string => prefix + node;
  const cmds: RealCommand[] = [];
  const ip = (node: string, ...args: string[]): number => cmds.push({ argv: ['ip', '-n', ns(node), ...args] });
  const inNs = (node: string, ...argv: string[]): number =>
    cmds.push({ argv: ['ip', 'netns', 'exec', ns(node), ...argv] });
  const bridgeCmd = (node: string, ...args: string[]): number =>
    cmds.push({ argv: ['bridge', '-n', ns(node), ...args] });
  const plan: RealLabPlan = {
    lab: spec.name,
    prefix,
    namespaces: spec.nodes.map((n) => ({ node: n.name, ns: ns(n.name) })),
    etcDirs: [],
    files: [],
    commands: cmds,
    unsupported: [],
    warnings: [],
  };
  const up: [string, string][] = [];
  let unplugged = 0;

  // link properties per port, as the emulated links get them (lab defaults, then the link's own)
  const props = new Map<string, LinkProps>();
  for (const l of spec.links) {
    const p: LinkProps = { ...DEFAULT_LINK, ...spec.linkDefaults, ...l.props };
    props.set(`${l.a.node}:${l.a.port}`, p);
    props.set(`${l.b.node}:${l.b.port}`, p);
  }

  for (const n of spec.nodes) {
    cmds.push({ argv: ['ip', 'netns', 'add', ns(n.name)] });
    // default.* covers devices made later, all.* those that exist (lo)
    inNs(n.name, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    inNs(n.name, 'sysctl', '-q', '-w', `net.ipv4.ip_forward=${n.kind === 'router' ? 1 : 0}`);
    // Linux's default TCP buffers (a namespace copies the machine's, which may be tuned): tcp_rmem[2] sets
    // the window scale podnet offers (7), tcp_rmem[1] the first windows (64240 / 65160)
    inNs(n.name, 'sysctl', '-q', '-w', 'net.ipv4.tcp_rmem=4096 131072 6291456', 'net.ipv4.tcp_wmem=4096 16384 4194304');
    // per namespace since Linux 4.15, and a new one copies the machine's (tcp_sk_init): always written. A
    // namespace may only pick one of the machine's net.ipv4.tcp_allowed_congestion_control (EPERM
    // otherwise, tcp_set_default_congestion_control): then up goes on with the machine's and says so
    if (n.kind === 'host' || n.kind === 'router') {
      const cc = n.tcpCongestionControl ?? 'cubic';
      cmds.push({
        argv: ['ip', 'netns', 'exec', ns(n.name), 'sysctl', '-q', '-w', `net.ipv4.tcp_congestion_control=${cc}`],
        mayFail: `${n.name}: TCP congestion control ${cc} refused, the namespace keeps the machine's (a namespace may only choose one listed in the machine's net.ipv4.tcp_allowed_congestion_control; add ${cc} there to use it)`,
      });
    }
    ip(n.name, 'link', 'set', 'dev', 'lo', 'up');
  }
  for (const l of spec.links)
    ip(l.a.node, 'link', 'add', 'name', l.a.port, 'type', 'veth', 'peer', 'name', l.b.port, 'netns', ns(l.b.node));

  const hosts: string[] = ['127.0.0.1\tlocalhost'];
  spec.nodes.forEach((n, ni) => {
    if (n.kind === 'switch' || n.kind === 'hub') {
      planSwitch(n, ni);
      return;
    }
    planIpNode(n, ni);
    const a = primaryAddress(n);
    if (a !== undefined) hosts.push(`${formatIpv4(a)}\t${n.name}`);
  });
  for (const l of spec.links)
    for (const end of [l.a, l.b]) {
      const p = props.get(`${end.node}:${end.port}`)!;
      ip(end.node, 'link', 'set', 'dev', end.port, 'up');
      // bandwidth by tbf at the root, latency and loss by netem under it (netem may be missing: optional)
      const tc = ['tc', '-n', ns(end.node), 'qdisc', 'add', 'dev', end.port];
      if (p.bandwidth > 0) cmds.push({ argv: [...tc, 'root', 'handle', '1:', ...tbfArgs(p)], module: 'sch_tbf' });
      const netem = netemArgs(p);
      if (netem !== undefined)
        cmds.push({
          argv: [...tc, ...(p.bandwidth > 0 ? ['parent', '1:1'] : ['root']), 'handle', '10:', ...netem],
          module: 'sch_netem',
          optional: true,
        });
    }
  for (const [node, dev] of up) ip(node, 'link', 'set', 'dev', dev, 'up');
  // routes last: a gateway must be on a connected subnet, and connected routes appear when devices are up
  for (const n of spec.nodes) {
    if (n.kind !== 'host' && n.kind !== 'router') continue;
    for (const r of n.routes)
      ip(
        n.name,
        'route',
        'add',
        r.to.len === 0 ? 'default' : formatCidr(r.to),
        ...(r.via === undefined ? [] : ['via', formatIpv4(r.via)]),
        ...(r.dev === undefined ? [] : ['dev', r.dev]),
      );
    if (n.iptables !== undefined)
      cmds.push({
        argv: ['ip', 'netns', 'exec', ns(n.name), 'iptables-restore'],
        stdin: `${formatIptablesSave(n.iptables)}\n`,
        module: 'ip_tables',
      });
  }
  for (const n of spec.nodes) {
    if (n.kind !== 'host' && n.kind !== 'router') continue;
    const dir = `/etc/netns/${ns(n.name)}`;
    plan.etcDirs.push(dir);
    plan.files.push({ path: `${dir}/hosts`, text: `${hosts.join('\n')}\n` });
    if (n.resolvConf !== undefined) plan.files.push({ path: `${dir}/resolv.conf`, text: n.resolvConf });
  }
  return plan;

  function planSwitch(n: Extract<NodeSpec, { kind: 'switch' | 'hub' }>, ni: number): void {
    const br = switchBridgeName(n);
    const args = ['link', 'add', 'name', br];
    const stp = n.kind === 'switch' ? n.stp : undefined;
    const bridgeMac = 0x02_00_00_00_00_00 + (ni + 1) * 256;
    if (stp !== undefined) args.push('address', formatMac(bridgeMac));
    args.push('type', 'bridge', 'mcast_snooping', '0');
    const ports = n.kind === 'hub' ? n.ports.map((name) => ({ name, mode: 'access' as const, vlan: 1 })) : n.ports;
    const vlans = ports.some((p) => p.mode === 'trunk' || p.vlan !== 1);
    if (vlans) args.push('vlan_filtering', '1', 'vlan_default_pvid', '0');
    // a hub learns nothing: ageing 0 floods every frame (iproute2 takes centiseconds, USER_HZ)
    if (n.kind === 'hub') args.push('ageing_time', '0');
    else if (n.agingNs !== undefined) args.push('ageing_time', String(Math.round(n.agingNs / 1e7)));
    if (stp !== undefined) args.push('stp_state', '1', 'priority', String(stp.priority ?? 32768));
    cmds.push({
      argv: ['ip', '-n', ns(n.name), ...args],
      module: 'bridge',
      ...(vlans ? { feature: 'bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)' } : {}),
    });
    ports.forEach((p, k) => {
      if (stp !== undefined) ip(n.name, 'link', 'set', 'dev', p.name, 'address', formatMac(bridgeMac + k + 1));
      const cost = stp === undefined ? undefined : props.get(`${n.name}:${p.name}`);
      ip(n.name, 'link', 'set', 'dev', p.name, 'master', br);
      // a veth says it runs at 10 Gb/s; the path cost follows the lab's link (Linux port_cost, net/bridge/br_if.c)
      if (cost !== undefined)
        ip(
          n.name,
          'link',
          'set',
          'dev',
          p.name,
          'type',
          'bridge_slave',
          'cost',
          String(portCostForSpeed(cost.bandwidth)),
        );
      if (!vlans) return;
      if (p.mode === 'trunk') {
        const allowed = p.vlans === undefined ? ['1-4094'] : p.vlans.map(String);
        for (const v of allowed) bridgeCmd(n.name, 'vlan', 'add', 'dev', p.name, 'vid', v);
      }
      bridgeCmd(n.name, 'vlan', 'add', 'dev', p.name, 'vid', String(p.vlan), 'pvid', 'untagged');
    });
    up.push([n.name, br]);
  }

  function planIpNode(n: IpNodeSpec, ni: number): void {
    const mtuOf = new Map<string, number>();
    n.interfaces.forEach((i, ii) => {
      const mtu = i.mtu ?? props.get(`${n.name}:${i.name}`)?.mtu ?? 1500;
      mtuOf.set(i.name, mtu);
      if (!props.has(`${n.name}:${i.name}`)) {
        // an interface on no link is an unplugged NIC: a veth whose peer stays down has no carrier
        unplugged++;
        ip(n.name, 'link', 'add', 'name', i.name, 'type', 'veth', 'peer', 'name', `unplugged${unplugged}`);
        up.push([n.name, i.name]);
      }
      ip(n.name, 'link', 'set', 'dev', i.name, 'address', formatMac(i.mac ?? autoMac(ni, ii)), 'mtu', String(mtu));
      for (const a of i.addresses) ip(n.name, 'addr', 'add', ...withBroadcast(a), 'dev', i.name);
      if (i.proxyArp) inNs(n.name, 'sysctl', '-q', '-w', `net.ipv4.conf.${i.name}.proxy_arp=1`);
    });
    for (const v of n.vlans) {
      const args = ['link', 'add', 'link', v.link, 'name', v.name];
      if (v.mac !== undefined) args.push('address', formatMac(v.mac));
      if (v.mtu !== undefined) args.push('mtu', String(v.mtu));
      args.push('type', 'vlan', 'id', String(v.id));
      cmds.push({ argv: ['ip', '-n', ns(n.name), ...args], module: '8021q' });
      for (const a of v.addresses) ip(n.name, 'addr', 'add', ...withBroadcast(a), 'dev', v.name);
      up.push([n.name, v.name]);
    }
    n.vxlans.forEach((v, vi) => {
      const under = n.interfaces.find((i) => i.addresses.some((a) => prefixContains(a, v.local)));
      const mtu = v.mtu ?? (under === undefined ? 1500 : mtuOf.get(under.name)!) - VXLAN_OVERHEAD;
      const args = ['link', 'add', 'name', v.name, 'address', formatMac(v.mac ?? autoMac(ni, 64 + vi))];
      args.push('mtu', String(mtu), 'type', 'vxlan', 'id', String(v.vni), 'local', formatIpv4(v.local));
      args.push('dstport', String(v.port));
      if (!v.learning) args.push('nolearning');
      if (v.proxy) args.push('proxy');
      if (v.df) args.push('df', 'set');
      if (!v.udpcsum) args.push('noudpcsum');
      // podnet's ttl 64 is Linux's "ttl auto" (ip4_dst_hoplimit: the default 64)
      if (v.ttl !== 64) args.push('ttl', String(v.ttl));
      cmds.push({ argv: ['ip', '-n', ns(n.name), ...args], module: 'vxlan' });
      // the all-zeros entries are the flood list (head-end replication to every remote)
      for (const r of v.remotes)
        bridgeCmd(n.name, 'fdb', 'append', '00:00:00:00:00:00', 'dev', v.name, 'dst', formatIpv4(r));
      for (const e of v.fdb)
        bridgeCmd(n.name, 'fdb', 'replace', formatMac(e.mac), 'dev', v.name, 'dst', formatIpv4(e.remote));
      for (const e of v.arp)
        ip(n.name, 'neigh', 'replace', formatIpv4(e.ip), 'lladdr', formatMac(e.mac), 'dev', v.name, 'nud', 'permanent');
      for (const a of v.addresses) ip(n.name, 'addr', 'add', ...withBroadcast(a), 'dev', v.name);
      up.push([n.name, v.name]);
    });
    for (const t of n.ipips) {
      const args = ['link', 'add', 'name', t.name, ...(t.mtu === undefined ? [] : ['mtu', String(t.mtu)])];
      args.push('type', 'ipip', 'local', formatIpv4(t.local));
      if (t.remote !== undefined) args.push('remote', formatIpv4(t.remote));
      cmds.push({ argv: ['ip', '-n', ns(n.name), ...args], module: 'ipip' });
      for (const a of t.addresses) ip(n.name, 'addr', 'add', ...withBroadcast(a), 'dev', t.name);
      up.push([n.name, t.name]);
    }
    for (const b of n.bridges) {
      // without an address of its own, Linux gives the bridge its lowest port MAC, as podnet's builder does
      const args = ['link', 'add', 'name', b.name, ...(b.mac === undefined ? [] : ['address', formatMac(b.mac)])];
      args.push('type', 'bridge', 'mcast_snooping', '0');
      if (b.stp !== undefined) args.push('stp_state', '1', 'priority', String(b.stp.priority ?? 32768));
      ip(n.name, ...args);
      for (const p of b.ports) ip(n.name, 'link', 'set', 'dev', p, 'master', b.name);
      for (const a of b.addresses) ip(n.name, 'addr', 'add', ...withBroadcast(a), 'dev', b.name);
      up.push([n.name, b.name]);
    }
    for (const u of n.udpEncaps)
      plan.unsupported.push(
        `${n.name}: ${u.name} is flanneld's udp backend, a TUN device with a userspace agent behind it; podnet up does not run that agent`,
      );
    if (n.dns !== undefined)
      plan.warnings.push(`${n.name}: podnet up starts no DNS server (podnet's runs in emulation only)`);
    if (n.httpPorts.length > 0) plan.warnings.push(noHttpServerWarning(n.name, n.httpPorts));
  }
}

/** The warning that `up` starts no HTTP server for a node's `http` ports (verify starts scripts/whoami.py). */
export function noHttpServerWarning(node: string, ports: readonly number[]): string {
  return `${node}: podnet up starts no HTTP server on port ${ports.join(', ')}`;
}

/** The commands that remove what `plan` made (each may fail harmlessly when already gone). */
export function planDown(plan: Pick<RealLabPlan, 'namespaces'>): RealCommand[] {
  // deleting a namespace deletes every device in it; a veth goes with either end
  return plan.namespaces.map((x) => ({ argv: ['ip', 'netns', 'delete', x.ns] }));
}
