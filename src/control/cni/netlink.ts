/**
 * The few netlink operations CNI plugins perform, done on podnet's stacks: create a bridge, create a veth
 * pair between a pod and the node (a cable between two NICs), delete a link (both veth ends go, as in
 * Linux), add addresses and routes, set a bridge port's hairpin flag, bring up lo. Names and MACs are
 * drawn from the engine's PRNG the way Linux draws them from its own: `veth` + 8 hex digits, locally
 * administered unicast MACs.
 *
 * IpNode has no way yet to remove a device; deleteLink unplugs the cable, takes the device out of the
 * node's list, its bridge and the routing table, but the node keeps the address in its private set of
 * local addresses (which matters only if the namespace is used again after DEL).
 */
import { IpNode } from '../../net/ip-node.js';
import { BridgeDev } from '../../net/bridge.js';
import { EthernetDev, NetDev, primaryOf, type IfAddr } from '../../net/netdev.js';
import type { Port } from '../../link/device.js';
import { formatCidr, formatMac, prefixMask, type Mac } from '../../wire/addr.js';
import type { Prng } from '../../sim/prng.js';
import type { CniHost } from './host.js';
import { CniErrorCode, fail, ok, type CniOutcome } from './types.js';

/** Linux's default MTU for new Ethernet-like links (bridge, veth). */
export const DEFAULT_MTU = 1500;

/** A random host-side veth name, as plugins pkg/ip RandomVethName: "veth" + 4 random bytes in hex. */
export function randomVethName(rng: Prng): string {
  return `veth${rng.nextU32().toString(16).padStart(8, '0')}`;
}

/** A random MAC as Linux's eth_random_addr: locally administered (0x02 set), unicast (0x01 clear). */
export function randomMac(rng: Prng): Mac {
  const hi = ((rng.nextU32() & 0xfeff) | 0x0200) & 0xffff;
  const lo = rng.nextU32() >>> 0;
  return hi * 0x1_0000_0000 + lo;
}

/** Sets a bridge port's hairpin flag (`bridge link set dev X hairpin on`): the bridge then reflects frames. */
export function setHairpin(dev: NetDev, on: boolean): void {
  dev.hairpin = on;
}

/** A bridge port's hairpin flag. */
export function hairpinOf(dev: NetDev): boolean {
  return dev.hairpin;
}

/** The bridge `name` on `node`, or a message saying why it is not one. */
export function bridgeByName(node: IpNode, name: string): CniOutcome<BridgeDev> {
  const d = node.dev(name);
  if (d === undefined) return fail(CniErrorCode.Internal, `could not lookup "${name}": Link not found`);
  if (!(d instanceof BridgeDev)) return fail(CniErrorCode.Internal, `"${name}" already exists but is not a bridge`);
  return ok(d);
}

/** Creates bridge `name` (`ip link add NAME type bridge mtu MTU; ip link set NAME up`) unless it exists. */
export function ensureBridge(
  node: IpNode,
  name: string,
  mtu: number,
  rng: Prng,
  promisc: boolean,
): CniOutcome<BridgeDev> {
  if (node.dev(name) === undefined) {
    const br = new BridgeDev(node, name, randomMac(rng), mtu > 0 ? mtu : DEFAULT_MTU);
    node.addDev(br);
  }
  const br = bridgeByName(node, name);
  if (!br.ok) return br;
  if (promisc) br.value.promiscuous = true;
  br.value.up = true;
  return br;
}

/** The two ends of a veth pair. */
export interface VethPair {
  /** The end inside the pod (named as CNI_IFNAME). */
  cont: EthernetDev;
  /** The end on the node (veth + 8 hex). */
  host: EthernetDev;
}

/**
 * Creates a veth pair: `ifName` in `pod`, a randomly named peer on the node, both with `mtu`, joined by a
 * cable that, like a veth, has no delay and no queueing. As plugins pkg/ip SetupVeth: an existing
 * `ifName` is an error; a peer name that is taken is drawn again (up to 10 tries).
 */
export function createVeth(
  host: CniHost,
  pod: IpNode,
  podNetns: string,
  ifName: string,
  mtu: number,
  contMac?: Mac,
): CniOutcome<VethPair> {
  if (pod.dev(ifName) !== undefined || pod.port(ifName) !== undefined)
    return fail(CniErrorCode.Internal, `container veth name provided (${ifName}) already exists`);
  const node = host.node;
  let peer = '';
  for (let i = 0; i < 10 && peer === ''; i++) {
    const name = randomVethName(host.rng);
    if (node.dev(name) === undefined && node.port(name) === undefined) peer = name;
  }
  if (peer === '') return fail(CniErrorCode.Internal, 'failed to find a unique veth name');
  const m = mtu > 0 ? mtu : DEFAULT_MTU;
  const cont = pod.addNic(ifName, contMac ?? randomMac(host.rng), m);
  const hostDev = node.addNic(peer, randomMac(host.rng), m);
  host.network.connect(cont.port, hostDev.port, { latency: 0, bandwidth: 0, mtu: m, queueLimit: 1000, loss: 0 });
  markVeth(cont, hostDev, podNetns);
  keepLoopbackLast(pod);
  return ok({ cont, host: hostDev });
}

/**
 * Marks `cont` (in a pod) and `host` as the two ends of a veth pair, for `ip link`: the host's end names the
 * pod's network namespace (the basename of its path, as `ip netns` lists it), the pod's end the host's,
 * which has no name.
 */
export function markVeth(cont: EthernetDev, host: EthernetDev, podNetns: string): void {
  cont.veth = { peerNetns: undefined };
  host.veth = { peerNetns: podNetns.split('/').pop() || undefined };
}

/** The other end of a veth (or any cable) whose one end is `dev`. */
export function vethPeer(dev: NetDev): { node: IpNode; dev: NetDev } | undefined {
  if (!(dev instanceof EthernetDev)) return undefined;
  const p: Port | undefined = dev.port.peer;
  if (p === undefined || !(p.device instanceof IpNode)) return undefined;
  const d = p.device.dev(p.name);
  return d === undefined ? undefined : { node: p.device, dev: d };
}

/**
 * Deletes link `name` from `node` and, for a veth, its peer (`ip link del`). Returns the addresses it had
 * (plugins pkg/ip DelLinkByNameAddr), or undefined when there was no such link.
 */
export function deleteLink(node: IpNode, name: string): IfAddr[] | undefined {
  const dev = node.dev(name);
  if (dev === undefined) return undefined;
  const addrs = [...dev.addresses];
  const peer = vethPeer(dev);
  removeDev(node, dev);
  if (peer !== undefined) removeDev(peer.node, peer.dev);
  return addrs;
}

function removeDev(node: IpNode, dev: NetDev): void {
  if (dev instanceof EthernetDev) node.network.disconnect(dev.port);
  const master = dev.master;
  if (master instanceof BridgeDev) {
    const i = master.members.indexOf(dev);
    if (i >= 0) master.members.splice(i, 1);
  }
  dev.master = undefined;
  for (const r of node.routes.routes()) if (r.dev === dev.name) node.routes.remove(r.dst, r.len, { dev: dev.name });
  dev.addresses.splice(0);
  dev.up = false;
  const i = node.devs.indexOf(dev);
  if (i >= 0) node.devs.splice(i, 1);
}

/** `ip addr add ADDR/LEN dev NAME`; "file exists" when it is already there. */
export function addAddress(node: IpNode, devName: string, a: IfAddr): CniOutcome<void> {
  const d = node.dev(devName);
  if (d === undefined) return fail(CniErrorCode.Internal, `failed to lookup "${devName}": Link not found`);
  if (d.addresses.some((x) => x.addr === a.addr && x.len === a.len))
    return fail(CniErrorCode.Internal, `failed to add IP addr ${formatCidr(a)} to "${devName}": file exists`);
  node.addAddress(devName, a);
  return ok(undefined);
}

/** Removes an address and its connected route (`ip addr del`). */
export function removeAddress(node: IpNode, devName: string, a: IfAddr): void {
  const d = node.dev(devName);
  if (d === undefined) return;
  const i = d.addresses.findIndex((x) => x.addr === a.addr && x.len === a.len);
  if (i < 0) return;
  // a secondary address leaves the subnet's route to its primary
  const secondary = primaryOf(d.addresses, i) !== undefined;
  d.addresses.splice(i, 1);
  if (!secondary) node.routes.remove((a.addr & prefixMask(a.len)) >>> 0, a.len, { dev: devName });
}

/** Lowercase colon MAC, as Go's net.HardwareAddr.String(). */
export function macString(m: Mac): string {
  return formatMac(m);
}

/** Linux's loopback: `lo`, MTU 65536, no ARP; what is sent to it comes straight back in. */
export class LoopbackDev extends NetDev {
  constructor(readonly node: IpNode) {
    super('lo', 0, 65536);
  }

  override get usesArp(): boolean {
    return false;
  }

  xmit(frame: Uint8Array): void {
    // the frame carries no link-layer addresses of its own: give it lo's (all zero), then receive it
    frame.fill(0, 0, 12);
    frame[12] = 0x08;
    frame[13] = 0x00;
    this.node.engine.schedule(0, () => this.node.receiveOn(this, frame));
  }
}

/** Brings up `lo` with 127.0.0.1/8 in `node` (creating the device the first time). */
export function loopbackUp(node: IpNode): void {
  let lo = node.dev('lo');
  if (lo === undefined) {
    lo = new LoopbackDev(node);
    node.addDev(lo);
    node.addAddress('lo', { addr: 0x7f00_0001, len: 8 });
    keepLoopbackLast(node);
  }
  lo.up = true;
}

/** Sets `lo` down (the loopback plugin's DEL). */
export function loopbackDown(node: IpNode): void {
  const lo = node.dev('lo');
  if (lo !== undefined) lo.up = false;
}

/**
 * Keeps `lo` after the other devices in the node's list: IpNode takes the first device with an address as
 * the node's primary address (used for sources and names), which must be eth0's, never 127.0.0.1.
 */
export function keepLoopbackLast(node: IpNode): void {
  const i = node.devs.findIndex((d) => d instanceof LoopbackDev);
  if (i >= 0 && i !== node.devs.length - 1) node.devs.push(node.devs.splice(i, 1)[0]!);
}
