/**
 * The state of an IP node as iproute2 prints it: `ip addr`, `ip route`, `ip neigh`, `bridge fdb`. Plain
 * text in the tools' own layouts, so what people see here matches what they see on a real machine.
 */
import { formatIpv4, formatMac, prefixMask } from '../wire/addr.js';
import { BridgeDev } from './bridge.js';
import { EthernetDev } from './netdev.js';
import type { IpNode } from './ip-node.js';
import { formatRoute } from './route-table.js';
import { VxlanDev } from './vxlan.js';

/** `ip addr`: lo first, then devices in creation order. */
export function ipAddr(node: IpNode): string {
  const out = [
    '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
    '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
    '    inet 127.0.0.1/8 scope host lo',
    '       valid_lft forever preferred_lft forever',
  ];
  node.devs.forEach((d, i) => {
    const up = d.up && (!(d instanceof EthernetDev) || d.port.link !== undefined);
    const flags = d.usesArp ? ['BROADCAST', 'MULTICAST'] : ['POINTOPOINT', 'NOARP'];
    if (d.up) flags.push('UP');
    if (up) flags.push('LOWER_UP');
    const master = d.master instanceof BridgeDev ? ` master ${d.master.name}` : '';
    out.push(
      `${i + 2}: ${d.name}: <${flags.join(',')}> mtu ${d.mtu} qdisc noqueue${master} state ${up ? 'UP' : 'DOWN'} group default qlen 1000`,
    );
    out.push(d.usesArp ? `    link/ether ${formatMac(d.mac)} brd ff:ff:ff:ff:ff:ff` : '    link/none');
    if (d instanceof VxlanDev)
      out.push(
        `    vxlan id ${d.vni} local ${formatIpv4(d.local)} dstport ${d.dstPort}${d.learning ? '' : ' nolearning'}${d.proxy ? ' proxy' : ''}`,
      );
    for (const a of d.addresses) {
      const brd = a.len < 31 ? ` brd ${formatIpv4(((a.addr & prefixMask(a.len)) | ~prefixMask(a.len)) >>> 0)}` : '';
      out.push(`    inet ${formatIpv4(a.addr)}/${a.len}${brd} scope global ${d.name}`);
      out.push('       valid_lft forever preferred_lft forever');
    }
  });
  return out.join('\n');
}

/** `ip route`. */
export function ipRoute(node: IpNode): string {
  return node.routes.routes().map(formatRoute).join('\n');
}

/**
 * `ip route show table local`: what the kernel adds for every address (fib_add_ifaddr): `local ADDR` and,
 * on broadcast-capable subnets, `broadcast BRD`, plus lo's `local 127.0.0.0/8`; sorted by destination, as
 * the kernel's trie lists them (checked in a namespace with addresses on a veth). Without the trailing
 * blank iproute2 prints.
 */
export function ipRouteLocal(node: IpNode): string {
  const rows: { key: number; len: number; text: string }[] = [];
  for (const d of [node.lo, ...node.devs]) {
    for (const a of d.addresses) {
      const src = formatIpv4(a.addr);
      if (d === node.lo)
        rows.push({
          key: (a.addr & prefixMask(a.len)) >>> 0,
          len: a.len,
          text: `local ${formatIpv4((a.addr & prefixMask(a.len)) >>> 0)}/${a.len} dev lo proto kernel scope host src ${src}`,
        });
      rows.push({ key: a.addr, len: 32, text: `local ${src} dev ${d.name} proto kernel scope host src ${src}` });
      if (a.len < 31) {
        const brd = ((a.addr & prefixMask(a.len)) | ~prefixMask(a.len)) >>> 0;
        rows.push({
          key: brd,
          len: 32,
          text: `broadcast ${formatIpv4(brd)} dev ${d.name} proto kernel scope link src ${src}`,
        });
      }
    }
  }
  rows.sort((x, y) => x.key - y.key || x.len - y.len);
  return rows.map((r) => r.text).join('\n');
}

/** `ip neigh`: REACHABLE entries past their time show as STALE, as the kernel reports them. */
export function ipNeigh(node: IpNode): string {
  const now = node.engine.now;
  return node.neighbors
    .entries()
    .map((n) => {
      const state = n.state === 'REACHABLE' && n.expires <= now ? 'STALE' : n.state;
      const ll = n.state === 'INCOMPLETE' || n.state === 'FAILED' ? '' : ` lladdr ${formatMac(n.mac)}`;
      return `${formatIpv4(n.ip)} dev ${n.dev.name}${ll} ${state}`;
    })
    .join('\n');
}

/** `bridge fdb`: learned bridge entries and VXLAN forwarding entries (all-zero MAC = flood list). */
export function bridgeFdb(node: IpNode): string {
  const lines: string[] = [];
  for (const dev of node.devs) {
    if (dev instanceof VxlanDev) {
      for (const e of dev.fdbEntries())
        lines.push(
          `${formatMac(e.mac)} dev ${dev.name} dst ${formatIpv4(e.remote)} self${e.static ? ' permanent' : ''}`,
        );
      for (const r of dev.floodList)
        lines.push(`00:00:00:00:00:00 dev ${dev.name} dst ${formatIpv4(r)} self permanent`);
    } else if (dev instanceof BridgeDev) {
      for (const e of dev.entries()) lines.push(`${formatMac(e.mac)} dev ${e.dev} master ${dev.name}`);
    }
  }
  return lines.join('\n');
}
