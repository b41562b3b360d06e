/**
 * The state of an IP node as iproute2 prints it: `ip addr`, `ip route`, `ip neigh`, `bridge fdb`. Plain
 * text in the tools' own layouts, so what people see here matches what they see on a real machine.
 */
import { formatIpv4, formatMac, prefixMask, type Ipv4 } from '../wire/addr.js';
import { BridgeDev } from './bridge.js';
import { EthernetDev } from './netdev.js';
import { IpNode } from './ip-node.js';
import { formatRoute } from './route-table.js';
import { LOOPBACK_ADDR, isLoopbackAddr } from './loopback.js';
import { VlanDev } from './vlan.js';
import { VxlanDev } from './vxlan.js';

/** What `ip addr` and `ip link` print: one device (`show dev NAME`), IPv4 addresses only (-4). */
export interface IpShowOptions {
  dev?: string;
  ipv4Only?: boolean;
}

/**
 * `ip addr` (or with `link`, `ip link`): lo first, then devices in creation order, as iproute2 6.1 prints
 * them (checked in network namespaces against veth pairs and a vxlan device). A vxlan device's
 * operational state is UNKNOWN, as for any device without a carrier of its own; its VNI and port are
 * details (`ip -d`), not shown here. With -4 only devices with an IPv4 address are listed, without their
 * link line. Undefined when `opts.dev` names no device.
 */
export function ipShow(node: IpNode, opts: IpShowOptions = {}, link = false): string | undefined {
  if (opts.dev !== undefined && opts.dev !== 'lo' && !node.devs.some((d) => d.name === opts.dev)) return undefined;
  const mode = link ? ' mode DEFAULT' : '';
  const blocks: string[][] = [];
  const lo = [`1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN${mode} group default qlen 1000`];
  if (link || opts.ipv4Only !== true) lo.push('    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00');
  if (!link) lo.push('    inet 127.0.0.1/8 scope host lo', '       valid_lft forever preferred_lft forever');
  if (opts.dev === undefined || opts.dev === 'lo') blocks.push(lo);
  node.devs.forEach((d, i) => {
    if (opts.dev !== undefined && d.name !== opts.dev) return;
    if (!link && opts.ipv4Only === true && d.addresses.length === 0) return;
    const lower = d instanceof VlanDev ? d.parent : d;
    const up = d.up && lower.up && (!(lower instanceof EthernetDev) || lower.port.link !== undefined);
    const flags = d.usesArp ? ['BROADCAST', 'MULTICAST'] : ['POINTOPOINT', 'NOARP'];
    if (d.up) flags.push('UP');
    if (up) flags.push('LOWER_UP');
    const master = d.master instanceof BridgeDev ? ` master ${d.master.name}` : '';
    const state = !up ? 'DOWN' : d instanceof VxlanDev ? 'UNKNOWN' : 'UP';
    // a veth names its peer's index and namespace: `eth0@if5 ... link-netnsid 0`
    const veth = d instanceof EthernetDev ? vethPeerOf(d) : undefined;
    const at = d instanceof VlanDev ? `@${d.parent.name}` : veth !== undefined ? `@if${veth.index}` : '';
    const netns = veth === undefined ? '' : veth.netns === undefined ? ' link-netnsid 0' : ` link-netns ${veth.netns}`;
    const withLink = link || opts.ipv4Only !== true;
    const out = [
      `${i + 2}: ${d.name}${at}: <${flags.join(',')}> mtu ${d.mtu} qdisc noqueue${master} state ${state}${mode} group default qlen 1000${withLink ? '' : netns}`,
    ];
    if (withLink)
      out.push(d.usesArp ? `    link/ether ${formatMac(d.mac)} brd ff:ff:ff:ff:ff:ff${netns}` : '    link/none');
    if (!link)
      for (const a of d.addresses) {
        const brd = a.len < 31 ? ` brd ${formatIpv4(((a.addr & prefixMask(a.len)) | ~prefixMask(a.len)) >>> 0)}` : '';
        out.push(`    inet ${formatIpv4(a.addr)}/${a.len}${brd} scope global ${d.name}`);
        out.push('       valid_lft forever preferred_lft forever');
      }
    blocks.push(out);
  });
  return blocks.flat().join('\n');
}

/** For one end of a veth pair: the other end's index in its node (as `ip` numbers them) and its namespace's name. */
function vethPeerOf(d: EthernetDev): { index: number; netns: string | undefined } | undefined {
  if (d.veth === undefined) return undefined;
  const p = d.port.peer;
  if (p === undefined || !(p.device instanceof IpNode)) return undefined;
  const peer = p.device.devs.findIndex((x) => x instanceof EthernetDev && x.port === p);
  return peer < 0 ? undefined : { index: peer + 2, netns: d.veth.peerNetns };
}

/** `ip addr`, every device. */
export function ipAddr(node: IpNode): string {
  return ipShow(node)!;
}

/** `ip route`. */
export function ipRoute(node: IpNode): string {
  return node.routes.routes().map(formatRoute).join('\n');
}

/** One entry of the kernel's local table: what fib_add_ifaddr adds for an address. */
export interface LocalTableEntry {
  type: 'local' | 'broadcast';
  dst: Ipv4;
  len: number;
  dev: string;
  src: Ipv4;
}

/**
 * The kernel's local table (fib_add_ifaddr): `local ADDR` for every address and, on broadcast-capable
 * subnets, `broadcast BRD`, plus lo's `local 127.0.0.0/8`; sorted by destination, as the kernel's trie
 * lists them (checked in a namespace with addresses on a veth).
 */
export function localTableRows(node: IpNode): LocalTableEntry[] {
  const rows: LocalTableEntry[] = [];
  for (const d of [node.lo, ...node.devs]) {
    for (const a of d.addresses) {
      if (d === node.lo)
        rows.push({ type: 'local', dst: (a.addr & prefixMask(a.len)) >>> 0, len: a.len, dev: 'lo', src: a.addr });
      rows.push({ type: 'local', dst: a.addr, len: 32, dev: d.name, src: a.addr });
      if (a.len < 31) {
        const brd = ((a.addr & prefixMask(a.len)) | ~prefixMask(a.len)) >>> 0;
        rows.push({ type: 'broadcast', dst: brd, len: 32, dev: d.name, src: a.addr });
      }
    }
  }
  return rows.sort((x, y) => x.dst - y.dst || x.len - y.len);
}

/**
 * `ip route show table local`, without the blank iproute2 ends each line with: the shell's `ip` adds it
 * (apps/shell.ts), the tables do without.
 */
export function ipRouteLocal(node: IpNode): string {
  return localTableRows(node)
    .map((e) => {
      const dst = e.len === 32 ? formatIpv4(e.dst) : `${formatIpv4(e.dst)}/${e.len}`;
      const scope = e.type === 'local' ? 'host' : 'link';
      return `${e.type} ${dst} dev ${e.dev} proto kernel scope ${scope} src ${formatIpv4(e.src)}`;
    })
    .join('\n');
}

/**
 * `ip neigh [show dev DEV]`: REACHABLE entries past their time show as STALE, as the kernel reports them;
 * FAILED entries (ARP went unanswered) as `10.0.1.9 dev eth0 FAILED`. Filtered by device, iproute2 leaves
 * `dev DEV` out of each line (checked with iproute2 6.1 in a namespace).
 */
export function ipNeigh(node: IpNode, dev?: string): string {
  const now = node.engine.now;
  return node.neighbors
    .entries()
    .filter((n) => dev === undefined || n.dev.name === dev)
    .map((n) => {
      const state = n.state === 'REACHABLE' && n.expires <= now ? 'STALE' : n.state;
      const ll = n.state === 'INCOMPLETE' || n.state === 'FAILED' ? '' : ` lladdr ${formatMac(n.mac)}`;
      return `${formatIpv4(n.ip)}${dev === undefined ? ` dev ${n.dev.name}` : ''}${ll} ${state}`;
    })
    .join('\n');
}

/**
 * `bridge fdb [show dev DEV]`: learned bridge entries and VXLAN forwarding entries (all-zero MAC = flood
 * list). Filtered by device, iproute2 leaves `dev DEV` out of each line, as `bridge fdb show dev
 * flannel.1` prints `aa:bb:cc:dd:ee:ff dst 192.168.1.3 self permanent` (checked in a namespace).
 */
export function bridgeFdb(node: IpNode, filterDev?: string): string {
  const lines: string[] = [];
  const devText = (name: string): string => (filterDev === undefined ? ` dev ${name}` : '');
  for (const dev of node.devs) {
    if (dev instanceof VxlanDev) {
      if (filterDev !== undefined && filterDev !== dev.name) continue;
      for (const e of dev.fdbEntries())
        lines.push(
          `${formatMac(e.mac)}${devText(dev.name)} dst ${formatIpv4(e.remote)} self${e.static ? ' permanent' : ''}`,
        );
      for (const r of dev.floodList)
        lines.push(`00:00:00:00:00:00${devText(dev.name)} dst ${formatIpv4(r)} self permanent`);
    } else if (dev instanceof BridgeDev) {
      for (const e of dev.entries())
        if (filterDev === undefined || filterDev === e.dev)
          lines.push(`${formatMac(e.mac)}${devText(e.dev)} master ${dev.name}`);
    }
  }
  return lines.join('\n');
}

/** The "cache" line under a route in `ip route get` / `ip route show cache` (iproute2 6.1's layout). */
function cacheLine(node: IpNode, dst: number, flags: string[]): string {
  const e = node.exceptions.get(dst, node.engine.now);
  const parts = ['    cache'];
  if (e?.gateway !== undefined) flags.push('redirected');
  if (flags.length > 0) parts.push(`<${flags.join(',')}>`);
  if (e !== undefined) {
    // iproute2 prints rta_expires / hz: whole seconds left, rounded down
    parts.push(`expires ${Math.floor((e.expires - node.engine.now) / 1_000_000_000)}sec`);
    if (e.pmtu > 0) parts.push(`mtu ${e.pmtu}`);
  }
  return parts.join(' ');
}

/**
 * `ip route get ADDR`: the route the node would use for a packet it sends to ADDR, with what ICMP taught
 * it (a redirected gateway, a path MTU, and how long they last), in iproute2's layout (checked in a
 * namespace: `10.0.2.2 via 10.0.1.1 dev a0 src 10.0.1.2 uid 0` then `    cache expires 597sec mtu 1400`;
 * local addresses and 0.0.0.0 as `local ... dev lo`, broadcasts as `broadcast ...`). Without the blank
 * iproute2 ends each line with, which the shell's `ip` adds. Undefined when there is no route (the caller
 * prints the error).
 */
export function ipRouteGet(node: IpNode, dst: number): string | undefined {
  const ip = formatIpv4(dst);
  if (dst === 0 || node.isLocal(dst)) {
    // ip_route_output_key_hash: 0.0.0.0 means this host, answered from 127.0.0.1
    const src = dst === 0 || isLoopbackAddr(dst) ? LOOPBACK_ADDR : dst;
    return `local ${ip} dev lo src ${formatIpv4(src)} uid 0\n${cacheLine(node, dst, ['local'])}`;
  }
  const route = node.lookupOutput(dst);
  if (route === undefined) return undefined;
  const dev = node.dev(route.dev);
  const src = route.src ?? (dev === undefined ? 0 : node.sourceFor(dev, route.via ?? dst));
  if (node.isBroadcast(dst) && dst >>> 28 !== 0xe)
    return `broadcast ${ip} dev ${route.dev} src ${formatIpv4(src)} uid 0\n${cacheLine(node, dst, ['local', 'brd'])}`;
  const via = route.via === undefined ? '' : ` via ${formatIpv4(route.via)}`;
  return `${ip}${via} dev ${route.dev} src ${formatIpv4(src)} uid 0\n${cacheLine(node, dst, [])}`;
}

/** `ip route show cache`: the destinations ICMP taught something (iproute2 6.1's layout). */
export function ipRouteCache(node: IpNode): string {
  const out: string[] = [];
  for (const e of node.exceptions.entries(node.engine.now)) {
    const route = node.lookupOutput(e.dst);
    if (route === undefined) continue;
    const via = route.via === undefined ? '' : ` via ${formatIpv4(route.via)}`;
    out.push(`${formatIpv4(e.dst)}${via} dev ${route.dev}`, cacheLine(node, e.dst, []));
  }
  return out.join('\n');
}
