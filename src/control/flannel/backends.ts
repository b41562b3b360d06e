/**
 * What flanneld programs on a node for each backend, given its own lease and the others'. This file owns
 * the data-plane side only (devices, routes, neighbour and FDB entries); leases, watching the datastore and
 * subnet.env are flanneld.ts's. The shapes follow flannel's source exactly (pkg/backend/*):
 * - vxlan: device flannel.<VNI> (UDP 8472, learning off, MTU external - 50, address <subnet>.0/32) and per
 *   remote lease exactly one onlink route, one permanent neighbour entry and one FDB entry;
 * - host-gw: a route to each remote subnet via the remote's public IP on the external device, which only
 *   works when the remote is on the same L2 segment (refused with a clear error otherwise);
 * - udp: the TUN flannel0 with the whole network routed into it and a user-space agent on UDP 8285.
 */
import { formatCidr, formatIpv4, formatMac, type Ipv4, type Ipv4Prefix, type Mac } from '../../wire/addr.js';
import type { IpNode } from '../../net/ip-node.js';
import { VxlanDev } from '../../net/vxlan.js';
import { VXLAN_PORT_LINUX } from '../../wire/vxlan.js';
import type { UdpStack } from '../../transport/udp.js';
import { UdpEncapAgent } from '../udp-encap.js';
import { deleteLink } from '../cni/netlink.js';

/** The backends flanneld can run (the ones the notes and this issue cover). */
export type BackendType = 'vxlan' | 'host-gw' | 'udp';

/** A subnet lease as stored by flannel (pkg/lease): the subnet and its attributes. */
export interface Lease {
  subnet: Ipv4Prefix;
  publicIp: Ipv4;
  backendType: BackendType;
  /** vxlan: the VTEP's MAC and VNI. */
  vtepMac?: Mac;
  vni?: number;
}

/** Backend settings from net-conf.json's Backend object. */
export interface BackendConfig {
  type: BackendType;
  /** vxlan VNI (default 1). */
  vni?: number;
  /** vxlan: UDP port (0 = the kernel's 8472); udp: the agent's port (default 8285). */
  port?: number;
  /** vxlan DirectRouting: peers on the same subnet get host-gw style routes. */
  directRouting?: boolean;
}

/** Why a backend could not program a peer: a message fit for the user. */
export class FlannelError extends Error {}

/** The programmed state of one backend on one node. */
export interface Backend {
  readonly type: BackendType;
  /** The MTU pods should use (FLANNEL_MTU). */
  readonly mtu: number;
  /** Programs (or re-programs) the routes and entries for a remote lease. */
  addPeer(l: Lease): void;
  /** Removes what addPeer programmed. */
  removePeer(l: Lease): void;
  /** Lease attributes this node publishes (VtepMAC for vxlan). */
  readonly attrs: Pick<Lease, 'vtepMac' | 'vni'>;
  /**
   * flanneld's process ends: what the kernel keeps (vxlan device, routes, neighbours, FDB) stays for the next
   * flanneld to take over; what the process owned goes (the udp backend's TUN and socket).
   */
  exit(): void;
}

/** What every backend needs: the node, its external device and address, its lease, the network. */
export interface BackendContext {
  node: IpNode;
  udp: UdpStack;
  /** The external interface (flanneld --iface): its name and public IP. */
  extDev: string;
  publicIp: Ipv4;
  /** This node's lease subnet, e.g. 10.42.0.0/24. */
  subnet: Ipv4Prefix;
  /** The whole pod network, e.g. 10.42.0.0/16. */
  network: Ipv4Prefix;
  /** A random MAC source (the engine's PRNG). */
  randomMac(): Mac;
}

/** Creates the backend of `cfg.type` on ctx.node. */
export function createBackend(ctx: BackendContext, cfg: BackendConfig): Backend {
  if (cfg.type === 'vxlan') return vxlanBackend(ctx, cfg);
  if (cfg.type === 'host-gw') return hostGwBackend(ctx);
  return udpBackend(ctx, cfg);
}

function extMtu(ctx: BackendContext): number {
  return ctx.node.dev(ctx.extDev)?.mtu ?? 1500;
}

/**
 * The vxlan device a previous flanneld left on `node`, when a new one with this config can take it over:
 * pkg/backend/vxlan/device.go ensureLink keeps an existing flannel.<VNI> whose VNI, local address and port
 * match (so its MAC, the VtepMAC the other nodes hold, survives a restart), and recreates any other.
 */
export function reusableVxlanDev(node: IpNode, cfg: BackendConfig, publicIp: Ipv4): VxlanDev | undefined {
  const vni = cfg.vni ?? 1;
  const dev = node.dev(`flannel.${vni}`);
  if (!(dev instanceof VxlanDev)) return undefined;
  return dev.vni === vni && dev.local === publicIp && dev.dstPort === (cfg.port || VXLAN_PORT_LINUX) ? dev : undefined;
}

function vxlanBackend(ctx: BackendContext, cfg: BackendConfig): Backend {
  const vni = cfg.vni ?? 1;
  const name = `flannel.${vni}`;
  const mtu = extMtu(ctx) - 50;
  const reused = reusableVxlanDev(ctx.node, cfg, ctx.publicIp);
  // ensureLink: an incompatible device of that name is deleted and made again
  if (reused === undefined && ctx.node.dev(name) !== undefined) deleteLink(ctx.node, name);
  // pkg/backend/vxlan/device.go: Learning false, no flood list; Port 0 means the kernel default, 8472
  const dev =
    reused ??
    new VxlanDev(ctx.node, {
      name,
      mac: ctx.randomMac(),
      vni,
      local: ctx.publicIp,
      dstPort: cfg.port || VXLAN_PORT_LINUX,
      learning: false,
      mtu,
      underlayMtu: extMtu(ctx),
    });
  const mac = dev.mac;
  // vxlan_network.go: the device gets the lease's network address as a /32 (ensureV4AddressOnLink: kept
  // when it is already there, as after a restart)
  if (!dev.addresses.some((a) => a.addr === ctx.subnet.addr && a.len === 32))
    ctx.node.addAddress(name, { addr: ctx.subnet.addr, len: 32 });
  const onSameSubnet = (ip: Ipv4): boolean => {
    const r = ctx.node.routes.lookup(ip);
    return r !== undefined && r.dev === ctx.extDev && r.via === undefined;
  };
  return {
    type: 'vxlan',
    mtu,
    attrs: { vtepMac: mac, vni },
    addPeer(l: Lease): void {
      if (l.vtepMac === undefined)
        throw new FlannelError(
          `lease ${formatCidr(l.subnet)} of ${formatIpv4(l.publicIp)} has no VtepMAC: is that node running the vxlan backend?`,
        );
      // netlink RouteReplace / NeighSet / FDB replace: programming a peer twice (a restart) leaves one of each
      ctx.node.routes.remove(l.subnet.addr, l.subnet.len);
      if (cfg.directRouting === true && onSameSubnet(l.publicIp)) {
        ctx.node.routes.add({
          dst: l.subnet.addr,
          len: l.subnet.len,
          via: l.publicIp,
          dev: ctx.extDev,
          proto: 'flannel',
        });
        ctx.node.note(
          () => `flanneld: ${formatCidr(l.subnet)} via ${formatIpv4(l.publicIp)} (DirectRouting: same subnet)`,
        );
        return;
      }
      // exactly one route, one permanent ARP entry and one FDB entry per remote (vxlan_network.go handleSubnetEvents)
      ctx.node.routes.add({
        dst: l.subnet.addr,
        len: l.subnet.len,
        via: l.subnet.addr,
        dev: name,
        proto: 'flannel',
        onlink: true,
      });
      ctx.node.addPermanentNeighbor(name, l.subnet.addr, l.vtepMac);
      dev.setFdb(l.vtepMac, l.publicIp);
      if (ctx.node.tracing)
        ctx.node.note(
          () =>
            `flanneld: ${formatCidr(l.subnet)} via ${formatIpv4(l.subnet.addr)} dev ${name} onlink; neigh ${formatIpv4(l.subnet.addr)} lladdr ${formatMac(l.vtepMac!)} permanent; fdb ${formatMac(l.vtepMac!)} dst ${formatIpv4(l.publicIp)}`,
        );
    },
    removePeer(l: Lease): void {
      ctx.node.routes.remove(l.subnet.addr, l.subnet.len);
      ctx.node.neighbors.delete(dev, l.subnet.addr);
      if (l.vtepMac !== undefined) dev.deleteFdb(l.vtepMac);
    },
    exit(): void {},
  };
}

function hostGwBackend(ctx: BackendContext): Backend {
  return {
    type: 'host-gw',
    mtu: extMtu(ctx),
    attrs: {},
    addPeer(l: Lease): void {
      const r = ctx.node.routes.lookup(l.publicIp);
      // host-gw needs every peer one L2 hop away: its public IP must be on a connected subnet of the external device
      if (r === undefined || r.via !== undefined || r.dev !== ctx.extDev) {
        throw new FlannelError(
          `host-gw: ${formatIpv4(l.publicIp)} (lease ${formatCidr(l.subnet)}) is not on ${ctx.extDev}'s subnet: ` +
            `host-gw routes pod subnets via peer hosts directly, so all nodes must share one L2 segment (use vxlan, or DirectRouting)`,
        );
      }
      // RouteReplace: once, however often the peer is programmed
      ctx.node.routes.remove(l.subnet.addr, l.subnet.len, { via: l.publicIp });
      ctx.node.routes.add({
        dst: l.subnet.addr,
        len: l.subnet.len,
        via: l.publicIp,
        dev: ctx.extDev,
        proto: 'flannel',
      });
      if (ctx.node.tracing)
        ctx.node.note(() => `flanneld: ${formatCidr(l.subnet)} via ${formatIpv4(l.publicIp)} dev ${ctx.extDev}`);
    },
    removePeer(l: Lease): void {
      ctx.node.routes.remove(l.subnet.addr, l.subnet.len, { via: l.publicIp });
    },
    exit(): void {},
  };
}

function udpBackend(ctx: BackendContext, cfg: BackendConfig): Backend {
  const agent = new UdpEncapAgent(ctx.node, ctx.udp, {
    name: 'flannel0',
    port: cfg.port ?? 8285,
    underlayMtu: extMtu(ctx),
    local: ctx.publicIp,
  });
  // pkg/backend/udp: the lease IP as a /32 on flannel0 and the whole network routed into it
  ctx.node.addAddress('flannel0', { addr: ctx.subnet.addr, len: 32 });
  ctx.node.routes.add({
    dst: ctx.network.addr,
    len: ctx.network.len,
    dev: 'flannel0',
    proto: 'flannel',
    scope: 'link',
  });
  return {
    type: 'udp',
    mtu: agent.tun.mtu,
    attrs: {},
    addPeer(l: Lease): void {
      agent.setPeer(l.subnet, l.publicIp);
    },
    removePeer(l: Lease): void {
      agent.removePeer(l.subnet);
    },
    exit(): void {
      // the TUN was opened by the process without TUNSETPERSIST: it goes with it, and its routes with it
      agent.stop();
      deleteLink(ctx.node, agent.tun.name);
    },
  };
}
