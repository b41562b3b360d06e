/**
 * Builds a running network from a LabSpec: an engine seeded from the lab, devices, links and routes.
 * Interfaces without a MAC get a locally administered one derived from their position, so the same lab
 * always gets the same addresses.
 */
import { Engine } from '../sim/engine.js';
import { Network, type Device } from '../link/device.js';
import { Hub } from '../link/hub.js';
import { Switch } from '../link/switch.js';
import { IpNode } from '../net/ip-node.js';
import { UdpStack } from '../transport/udp.js';
import { TcpStack } from '../transport/tcp.js';
import { DnsServer, type DnsServerConfig } from '../apps/dns/server.js';
import { serveDnsOverTcp, tcpConnector } from '../apps/dns/tcp.js';
import { whoamiServer } from '../apps/http/whoami.js';
import { VxlanDev, type VxlanConfig } from '../net/vxlan.js';
import { BridgeDev } from '../net/bridge.js';
import { IpipDev, type IpipConfig } from '../net/ipip.js';
import { VlanDev, type VlanConfig } from '../net/vlan.js';
import { UdpEncapAgent, type UdpEncapConfig } from '../control/udp-encap.js';
import type { Ipv4 } from '../wire/addr.js';
import type { LabSpec, Target } from './lab.js';

/** A built lab, ready to run. */
export interface LabNetwork {
  spec: LabSpec;
  engine: Engine;
  network: Network;
  ipNodes: Map<string, IpNode>;
  udp: Map<string, UdpStack>;
  tcp: Map<string, TcpStack>;
  switches: Map<string, Switch>;
  /** resolv.conf text of nodes that have one. */
  resolvConf: Map<string, string>;
}

/** Builds the network described by `spec`. Does not run any step. */
export function buildLab(spec: LabSpec, seedOverride?: number): LabNetwork {
  const engine = new Engine(seedOverride ?? spec.seed);
  const network = new Network(engine);
  const ipNodes = new Map<string, IpNode>();
  const udp = new Map<string, UdpStack>();
  const tcp = new Map<string, TcpStack>();
  const resolvConf = new Map<string, string>();
  const switches = new Map<string, Switch>();
  const mtuOf = new Map<string, number>();
  for (const l of spec.links) {
    const mtu = l.props.mtu ?? spec.linkDefaults.mtu;
    if (mtu !== undefined) {
      mtuOf.set(`${l.a.node}:${l.a.port}`, mtu);
      mtuOf.set(`${l.b.node}:${l.b.port}`, mtu);
    }
  }
  spec.nodes.forEach((n, ni) => {
    if (n.kind === 'host' || n.kind === 'router') {
      const node = new IpNode(network, n.name, { forwarding: n.kind === 'router' });
      const autoMac = (k: number): number => 0x02_00_00_00_00_00 + (ni + 1) * 256 + k + 1;
      n.interfaces.forEach((i, ii) => {
        node.addNic(i.name, i.mac ?? autoMac(ii), i.mtu ?? mtuOf.get(`${n.name}:${i.name}`) ?? 1500).proxyArp =
          i.proxyArp;
        for (const a of i.addresses) node.addAddress(i.name, a);
      });
      for (const v of n.vlans) {
        const parent = node.dev(v.link)!;
        const cfg: VlanConfig = { name: v.name, id: v.id };
        if (v.mac !== undefined) cfg.mac = v.mac;
        if (v.mtu !== undefined) cfg.mtu = v.mtu;
        node.addDev(new VlanDev(parent, cfg));
        for (const a of v.addresses) node.addAddress(v.name, a);
      }
      n.vxlans.forEach((v, vi) => {
        const underlay =
          node.routes.lookup(v.local) === undefined ? 1500 : (node.dev(node.routes.lookup(v.local)!.dev)?.mtu ?? 1500);
        const cfg: VxlanConfig = {
          name: v.name,
          mac: v.mac ?? autoMac(64 + vi),
          vni: v.vni,
          local: v.local,
          dstPort: v.port,
          learning: v.learning,
          proxy: v.proxy,
          df: v.df,
          udpChecksum: v.udpcsum,
          ttl: v.ttl,
          underlayMtu: underlay,
        };
        if (v.mtu !== undefined) cfg.mtu = v.mtu;
        const dev = new VxlanDev(node, cfg);
        dev.floodList.push(...v.remotes);
        for (const e of v.fdb) dev.setFdb(e.mac, e.remote);
        for (const e of v.arp) dev.arpTable.set(e.ip, e.mac);
        for (const a of v.addresses) node.addAddress(v.name, a);
      });
      for (const t of n.ipips) {
        const cfg: IpipConfig = { name: t.name, local: t.local };
        if (t.remote !== undefined) cfg.remote = t.remote;
        if (t.mtu !== undefined) cfg.mtu = t.mtu;
        new IpipDev(node, cfg);
        for (const a of t.addresses) node.addAddress(t.name, a);
      }
      n.bridges.forEach((b, bi) => {
        const members = b.ports.map((p) => node.dev(p)!);
        // Linux gives a bridge whose address was not set the lowest MAC of its ports
        // (br_stp_recalculate_bridge_id in net/bridge/br_stp_if.c); with no ports, a generated one
        const lowest = members.reduce<number | undefined>(
          (lo, m) => (lo === undefined || m.mac < lo ? m.mac : lo),
          undefined,
        );
        const br = new BridgeDev(
          node,
          b.name,
          b.mac ?? lowest ?? autoMac(128 + bi),
          Math.min(1500, ...members.map((m) => m.mtu)),
        );
        node.addDev(br);
        for (const m of members) br.enslave(m);
        if (b.stp !== undefined) br.enableStp(b.stp);
        for (const a of b.addresses) node.addAddress(b.name, a);
      });
      for (const r of n.routes) {
        const dev = r.dev ?? (r.via === undefined ? undefined : node.routes.lookup(r.via)?.dev);
        if (dev === undefined)
          throw new LabBuildError(
            spec,
            [...n.path, 'routes'],
            `${n.name}: gateway of route is not on any connected subnet`,
          );
        node.routes.add({ dst: r.to.addr, len: r.to.len, via: r.via, dev, proto: 'static' });
      }
      if (n.iptables !== undefined) node.enableNetfilter(n.iptables);
      ipNodes.set(n.name, node);
      udp.set(n.name, new UdpStack(node));
      tcp.set(
        n.name,
        new TcpStack(node, n.tcpCongestionControl !== undefined ? { congestionControl: n.tcpCongestionControl } : {}),
      );
      if (n.resolvConf !== undefined) resolvConf.set(n.name, n.resolvConf);
      for (const port of n.httpPorts) whoamiServer(node).listen(tcp.get(n.name)!, port);
      if (n.dns !== undefined) {
        const cfg: DnsServerConfig = {
          // with upstreams, names the hosts records lack go on to them (CoreDNS: hosts { fallthrough })
          ...(n.dns.hosts !== undefined ? { hosts: { text: n.dns.hosts, fallthrough: n.dns.forward.length > 0 } } : {}),
          ...(n.dns.forward.length > 0
            ? {
                forward: {
                  upstreams: n.dns.forward.map((addr) => ({ addr })),
                  connect: tcpConnector(tcp.get(n.name)!),
                },
              }
            : {}),
        };
        serveDnsOverTcp(new DnsServer(udp.get(n.name)!, cfg), tcp.get(n.name)!);
      }
      for (const u of n.udpEncaps) {
        // flanneld's MTU comes from the external interface: here the one facing the first peer
        const toPeer = u.peers.length > 0 ? node.routes.lookup(u.peers[0]!.remote) : undefined;
        const cfg: UdpEncapConfig = {
          name: u.name,
          port: u.port,
          underlayMtu: (toPeer && node.dev(toPeer.dev)?.mtu) ?? 1500,
        };
        if (u.mtu !== undefined) cfg.mtu = u.mtu;
        const agent = new UdpEncapAgent(node, udp.get(n.name)!, cfg);
        for (const a of u.addresses) node.addAddress(u.name, a);
        for (const peer of u.peers) agent.setPeer(peer.subnet, peer.remote);
      }
    } else if (n.kind === 'switch') {
      const sw = new Switch(network, n.name, n.agingNs);
      for (const p of n.ports) {
        const cfg =
          p.mode === 'trunk' && p.vlans !== undefined
            ? { mode: p.mode, vlan: p.vlan, allowed: new Set(p.vlans) }
            : { mode: p.mode, vlan: p.vlan };
        sw.addSwitchPort(p.name, cfg);
      }
      switches.set(n.name, sw);
    } else if (n.kind === 'hub') {
      const hub = new Hub(network, n.name);
      for (const p of n.ports) hub.addPort(p);
    }
  });
  for (const l of spec.links) {
    const pa = portOf(network.device(l.a.node)!, l.a.port);
    const pb = portOf(network.device(l.b.node)!, l.b.port);
    network.connect(pa, pb, { ...spec.linkDefaults, ...l.props });
  }
  // STP runs on the ports the links made; the bridge MAC is 02:00:00:00:NN:00 (NN = node number), port n's n above
  spec.nodes.forEach((n, ni) => {
    if (n.kind === 'switch' && n.stp !== undefined)
      switches.get(n.name)!.enableStp(0x02_00_00_00_00_00 + (ni + 1) * 256, n.stp);
  });
  return { spec, engine, network, ipNodes, udp, tcp, switches, resolvConf };
}

function portOf(d: Device, name: string) {
  const p = d.port(name);
  // parseEnd accepts only declared interfaces and switch/hub ports
  if (p === undefined) throw new Error(`lab validation let through ${d.name}:${name}, which has no such port`);
  return p;
}

/** A lab that validated but cannot be built (a rule that needs the whole topology). */
export class LabBuildError extends Error {
  constructor(
    readonly spec: LabSpec,
    readonly path: (string | number)[],
    message: string,
  ) {
    const pos = spec.doc.locate(path);
    super(`${spec.file}:${pos.line}:${pos.col}: ${message}`);
  }
}

/** The address a step target stands for: the node's primary address, or the IP given. */
export function resolveTarget(lab: LabNetwork, t: Target): Ipv4 | undefined {
  if ('ip' in t) return t.ip;
  return lab.ipNodes.get(t.node)?.primaryAddress;
}
