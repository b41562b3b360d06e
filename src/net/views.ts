/**
 * The state of an IP node as iproute2 prints it: `ip addr`, `ip route`, `ip neigh`, `bridge fdb`. Plain
 * text in the tools' own layouts, so what people see here matches what they see on a real machine.
 */
import { formatIpv4, formatMac, prefixMask, type Ipv4 } from '../wire/addr.js';
import { BridgeDev } from './bridge.js';
import { EthernetDev, primaryOf, type NetDev } from './netdev.js';
import { IpipDev } from './ipip.js';
import { TunDev } from './tun.js';
import { IpNode } from './ip-node.js';
import { formatRoute } from './route-table.js';
import { LOOPBACK_ADDR, isLoopbackAddr } from './loopback.js';
import { VlanDev } from './vlan.js';
import { VxlanDev } from './vxlan.js';

/**
 * What `ip addr` and `ip link` print, and the selectors that narrow it (apps/ip-addr-show.ts reads them
 * from the command line as iproute2 6.1 does).
 */
export interface IpShowOptions {
  /** One device (`show dev NAME`). */
  dev?: string;
  /** IPv4 only (-4, or implied by `to PREFIX`): no link line, no device without an IPv4 address. */
  ipv4Only?: boolean;
  /** -br: one line per device. */
  brief?: boolean;
  /** `up`: devices administratively up. */
  up?: boolean;
  /** `master DEV`, or null for `nomaster`. */
  master?: string | null;
  /** `type KIND` (veth, bridge, vxlan, vlan, ipip, tun) and `type KIND_slave` (bridge_slave). */
  kind?: string;
  slaveKind?: string;
  /** `group N`: every podnet device is in group 0 (default). */
  group?: number;
  /** Address selectors: `scope`, the IFA_F_* flags (`primary`, `secondary`, `permanent`, ...), `label GLOB`, `to PREFIX`. */
  scope?: number;
  flagMask?: number;
  flags?: number;
  label?: string;
  prefix?: { addr: Ipv4; len: number };
  /** -s: each device's counters after its link line (`ip link`) or its addresses (`ip addr`); not with -br. */
  stats?: boolean;
}

/** IFA_F_SECONDARY and IFA_F_PERMANENT (every podnet address is permanent: no DHCP lease runs out in it). */
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_PERMANENT = 0x80;

/** The link kind (IFLA_INFO_KIND) of a device, undefined for lo and a physical NIC (no link info). */
function linkKind(d: NetDev): string | undefined {
  if (d instanceof BridgeDev) return 'bridge';
  if (d instanceof VxlanDev) return 'vxlan';
  if (d instanceof VlanDev) return 'vlan';
  if (d instanceof IpipDev) return 'ipip';
  if (d instanceof TunDev) return 'tun';
  if (d instanceof EthernetDev && d.veth !== undefined) return 'veth';
  return undefined;
}

/** fnmatch(pattern, text, 0) for the `label` selector: `*`, `?` and `[...]`. */
function fnmatch(pattern: string, text: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  try {
    return new RegExp(`^${re}$`, 's').test(text);
  } catch {
    return pattern === text;
  }
}

/**
 * `ip addr` (or with `link`, `ip link`): lo first, then devices in creation order, as iproute2 6.1 prints
 * them (checked in network namespaces against veth pairs, a bridge and a vxlan device). A vxlan device's
 * operational state is UNKNOWN, as for any device without a carrier of its own; its VNI and port are
 * details (`ip -d`), not shown here. A device that is up without a carrier says NO-CARRIER. With -4 only
 * devices with an IPv4 address are listed, without their link line. The selectors work as iproute2's
 * ipaddr_filter and print_linkinfo do: a device stays when one of its addresses passes every address
 * selector, or when it has none at all (unless -4 or `to`); `label` prints the matching address lines
 * alone. Undefined when `opts.dev` names no device.
 */
export function ipShow(node: IpNode, opts: IpShowOptions = {}, link = false): string | undefined {
  if (opts.dev !== undefined && opts.dev !== 'lo' && !node.devs.some((d) => d.name === opts.dev)) return undefined;
  const mode = link ? ' mode DEFAULT' : '';
  const ipv4Only = opts.ipv4Only === true && !link;
  const addressFilters =
    opts.scope !== undefined || opts.flagMask !== undefined || opts.label !== undefined || opts.prefix !== undefined;
  const lines: string[] = [];
  [node.lo, ...node.devs].forEach((d, i) => {
    if (opts.dev !== undefined && d.name !== opts.dev) return;
    const isLo = d === node.lo;
    // the addresses every address selector passes (ipaddr_filter, print_addrinfo)
    const addrs = d.addresses
      .map((a, k) => {
        const secondary = primaryOf(d.addresses, k) !== undefined;
        return { a, secondary, scope: isLo ? 254 : 0, flags: IFA_F_PERMANENT | (secondary ? IFA_F_SECONDARY : 0) };
      })
      .filter(
        (x) =>
          (opts.scope === undefined || x.scope === opts.scope) &&
          (opts.flagMask === undefined || ((x.flags ^ (opts.flags ?? 0)) & opts.flagMask) === 0) &&
          (opts.label === undefined || fnmatch(opts.label, d.name)) &&
          (opts.prefix === undefined ||
            opts.prefix.len <= 0 ||
            ((x.a.addr ^ opts.prefix.addr) & prefixMask(opts.prefix.len)) === 0),
      );
    if (!link && (d.addresses.length > 0 || ipv4Only) && addrs.length === 0 && (addressFilters || ipv4Only)) return;
    if (opts.up === true && !d.up) return;
    if (opts.label !== undefined) {
      // print_linkinfo prints no header under `label`: the address lines alone (none for `ip link`)
      if (link) return;
      if (opts.brief === true) lines.push(addrs.map((x) => `${formatIpv4(x.a.addr)}/${x.a.len} `).join(''));
      else for (const x of addrs) lines.push(...inetLines(d.name, x.a, x.secondary));
      return;
    }
    if (opts.group !== undefined && opts.group !== 0) return;
    const masterName = d.master instanceof BridgeDev ? d.master.name : undefined;
    if (opts.master === null && masterName !== undefined) return;
    if (typeof opts.master === 'string' && masterName !== opts.master) return;
    if (opts.kind !== undefined && linkKind(d) !== opts.kind) return;
    if (opts.slaveKind !== undefined && (masterName === undefined || opts.slaveKind !== 'bridge')) return;
    const up = isLo || hasCarrier(d);
    const flags = linkFlags(d, isLo);
    // devices without a carrier of their own report no operational state: UNKNOWN
    const state = !up ? 'DOWN' : isLo || d instanceof VxlanDev || d instanceof IpipDev ? 'UNKNOWN' : 'UP';
    // a veth names its peer's index and namespace: `eth0@if5 ... link-netnsid 0`
    const veth = d instanceof EthernetDev ? vethPeerOf(d) : undefined;
    // a tunnel bound to no device has IFLA_LINK 0, which iproute2 prints as @NONE (`tunl0@NONE`)
    const at =
      d instanceof VlanDev
        ? `@${d.parent.name}`
        : veth !== undefined
          ? `@if${veth.index}`
          : d instanceof IpipDev
            ? '@NONE'
            : '';
    const ipip = d instanceof IpipDev ? ipipAddresses(d) : undefined;
    const mac = isLo ? '00:00:00:00:00:00' : d.usesArp ? formatMac(d.mac) : ipip?.local;
    if (opts.brief === true) {
      const head = `${`${d.name}${at}`.padEnd(16)} ${state.padEnd(14)} `;
      if (link) lines.push(`${head}${mac === undefined ? '' : `${mac} `}<${flags.join(',')}> `);
      else lines.push(`${head}${addrs.map((x) => `${formatIpv4(x.a.addr)}/${x.a.len} `).join('')}`);
      return;
    }
    const netns = veth === undefined ? '' : veth.netns === undefined ? ' link-netnsid 0' : ` link-netns ${veth.netns}`;
    const master = masterName === undefined ? '' : ` master ${masterName}`;
    const withLink = link || !ipv4Only;
    const mtu = isLo ? 65536 : d.mtu;
    lines.push(
      `${i + 1}: ${d.name}${at}: <${flags.join(',')}> mtu ${mtu} qdisc noqueue${master} state ${state}${mode} group default qlen 1000${withLink ? '' : netns}`,
    );
    if (withLink)
      lines.push(
        isLo
          ? '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00'
          : d.usesArp
            ? `    link/ether ${formatMac(d.mac)} brd ff:ff:ff:ff:ff:ff${netns}`
            : ipip !== undefined
              ? `    link/ipip ${ipip.local} ${ipip.remote === undefined ? 'brd 0.0.0.0' : `peer ${ipip.remote}`}`
              : '    link/none',
      );
    if (!link) for (const x of addrs) lines.push(...inetLines(d.name, x.a, x.secondary));
    if (opts.stats === true) lines.push(...statsLines(d));
  });
  return lines.join('\n');
}

/**
 * `ip -s`'s four lines for `d` (iproute2 6.1 print_stats64): each column as wide as its header or its
 * widest number, the first at least 10 ("*X errors:"), a blank after every number. podnet keeps no receive
 * errors, missed frames, collisions or compressed counts: those columns are 0, as on a veth.
 */
export function statsLines(d: NetDev): string[] {
  const rx = [d.rxBytes, d.rxPackets, 0, d.rxDropped, 0, d.rxMulticast];
  const tx = [d.txBytes, d.txPackets, d.txErrors, d.txDropped, d.txCarrierErrors, 0];
  const cols = ['*X errors:', 'packets', 'errors', 'dropped', 'heartbt', 'overrun'].map((h) => h.length);
  for (const v of [rx, tx]) v.forEach((n, i) => (cols[i] = Math.max(cols[i]!, String(n).length)));
  // the seventh column (compressed) is 10 wide and empty
  const head = (dir: string, names: string[]): string =>
    `    ${dir}: ${'bytes'.padStart(cols[0]! - 4)} ${names.map((h, i) => h.padStart(cols[i + 1]!)).join(' ')} ${''.padStart(10)}`;
  const nums = (v: number[]): string => `    ${v.map((n, i) => `${String(n).padStart(cols[i]!)} `).join('')}`;
  return [
    head('RX', ['packets', 'errors', 'dropped', 'missed', 'mcast']),
    nums(rx),
    head('TX', ['packets', 'errors', 'dropped', 'carrier', 'collsns']),
    nums(tx),
  ];
}

/**
 * An IP-in-IP device's link-layer addresses as `ip link` shows them (`link/ipip LOCAL brd|peer REMOTE`):
 * Calico's tunl0 is the module's fallback device, with neither (`link/ipip 0.0.0.0 brd 0.0.0.0`).
 */
function ipipAddresses(d: IpipDev): { local: string; remote: string | undefined } {
  const fallback = d.name === 'tunl0' && d.remote === undefined;
  return {
    local: fallback ? '0.0.0.0' : formatIpv4(d.local),
    remote: d.remote === undefined ? undefined : formatIpv4(d.remote),
  };
}

/**
 * A device's flags as `ip link` and `bridge link` print them (print_link_flags): NO-CARRIER for one that
 * is up without a carrier, then the kind's flags (an IP-in-IP device is point-to-point only with a fixed
 * remote: Calico's tunl0, any remote, is `<NOARP,UP,LOWER_UP>`, as real nodes print it), UP, LOWER_UP.
 */
export function linkFlags(d: NetDev, isLo = false): string[] {
  const flags = isLo
    ? ['LOOPBACK']
    : d.usesArp
      ? ['BROADCAST', 'MULTICAST']
      : d instanceof IpipDev && d.remote === undefined
        ? ['NOARP']
        : ['POINTOPOINT', 'NOARP'];
  const up = isLo || hasCarrier(d);
  if (d.up || isLo) flags.push('UP');
  if (up) flags.push('LOWER_UP');
  if ((d.up || isLo) && !up) flags.unshift('NO-CARRIER');
  return flags;
}

/**
 * Whether `d` is up with a carrier (IFF_RUNNING): a NIC with a cable, a VLAN device over one; virtual
 * devices have theirs while up. A device that is up without one is NO-CARRIER in `ip link`, and its
 * routes are `linkdown` in `ip route`.
 */
export function hasCarrier(d: NetDev): boolean {
  const lower = d instanceof VlanDev ? d.parent : d;
  return d.up && lower.up && (!(lower instanceof EthernetDev) || lower.port.link !== undefined);
}

/** An address's two lines in `ip addr`. */
function inetLines(dev: string, a: { addr: Ipv4; len: number }, secondary: boolean): string[] {
  // lo's 127.0.0.1/8 is added without a broadcast address; podnet adds the others with `brd +`
  const brd =
    a.len < 31 && dev !== 'lo' ? ` brd ${formatIpv4(((a.addr & prefixMask(a.len)) | ~prefixMask(a.len)) >>> 0)}` : '';
  const scope = dev === 'lo' ? 'host' : 'global';
  return [
    `    inet ${formatIpv4(a.addr)}/${a.len}${brd} scope ${scope}${secondary ? ' secondary' : ''} ${dev}`,
    '       valid_lft forever preferred_lft forever',
  ];
}

/** For one end of a veth pair: the other end's index in its node (as `ip` numbers them) and its namespace's name. */
export function vethPeerOf(d: EthernetDev): { index: number; netns: string | undefined } | undefined {
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
    d.addresses.forEach((a, k) => {
      // a secondary address's entries take its primary's address as their source, and the subnet's
      // broadcast entry is the primary's alone (fib_add_ifaddr; checked in a namespace)
      const primary = primaryOf(d.addresses, k);
      const src = primary?.addr ?? a.addr;
      if (d === node.lo && primary === undefined)
        rows.push({ type: 'local', dst: (a.addr & prefixMask(a.len)) >>> 0, len: a.len, dev: 'lo', src });
      rows.push({ type: 'local', dst: a.addr, len: 32, dev: d.name, src });
      if (a.len < 31 && primary === undefined) {
        const brd = ((a.addr & prefixMask(a.len)) | ~prefixMask(a.len)) >>> 0;
        rows.push({ type: 'broadcast', dst: brd, len: 32, dev: d.name, src });
      }
    });
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
  return fdbEntries(node)
    .filter((e) => filterDev === undefined || e.dev === filterDev)
    .map((e) => formatFdbEntry(e, filterDev === undefined))
    .join('\n');
}

/** One forwarding entry as `bridge fdb` lists it: a bridge's learned MAC, or a VXLAN device's remote. */
export interface FdbEntry {
  mac: number;
  dev: string;
  /** The bridge whose table holds it (`master cni0`); undefined for a VXLAN device's own (`self`). */
  master?: string;
  /** A VXLAN entry's remote VTEP. */
  dst?: Ipv4;
  permanent: boolean;
}

/** Every bridge and VXLAN forwarding entry of `node`, devices in order (VXLAN flood entries as 00:00:00:00:00:00). */
export function fdbEntries(node: IpNode): FdbEntry[] {
  const out: FdbEntry[] = [];
  for (const dev of node.devs) {
    if (dev instanceof VxlanDev) out.push(...vxlanFdbEntries(dev));
    else if (dev instanceof BridgeDev) {
      for (const e of dev.entries()) out.push({ mac: e.mac, dev: e.dev, master: dev.name, permanent: false });
    }
  }
  return out;
}

/** A VXLAN device's forwarding entries, its flood list as 00:00:00:00:00:00 entries after them. */
export function vxlanFdbEntries(dev: VxlanDev): FdbEntry[] {
  const out: FdbEntry[] = [];
  for (const e of dev.fdbEntries())
    out.push({ mac: e.mac, dev: dev.name, dst: e.remote, permanent: e.static === true });
  for (const r of dev.floodList) out.push({ mac: 0, dev: dev.name, dst: r, permanent: true });
  return out;
}

/**
 * An entry's line (`withDev` false: `bridge fdb show dev X` leaves the device out). An entry of a device's
 * own without a remote (a multicast address it listens to) is `self` alone. iproute2 ends a
 * learned entry's line with the blank after its last flag (`... master cni0 `), where a permanent one
 * ends with `permanent`; the tables here (demo, lab views) print it without.
 */
export function formatFdbEntry(e: FdbEntry, withDev: boolean, iproute2 = false): string {
  const dev = withDev ? ` dev ${e.dev}` : '';
  const where =
    e.master !== undefined ? ` master ${e.master}` : e.dst !== undefined ? ` dst ${formatIpv4(e.dst)} self` : ' self';
  return `${formatMac(e.mac)}${dev}${where}${e.permanent ? ' permanent' : iproute2 ? ' ' : ''}`;
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
