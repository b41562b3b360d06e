/**
 * The device inspector's tables at the selected instant, as data the UI renders ({title, columns, rows}):
 * a switch's MAC table; an IP node's routes, neighbours, forwarding database (bridge and VXLAN entries),
 * iptables chains with their counters and conntrack entries; a BGP speaker's sessions. Each reads the same
 * model the shell's command does (`ip route`, `ip neigh`, `bridge fdb`, `iptables -L -v`, `conntrack -L`,
 * `calicoctl node status`), so the tables and the commands agree; formatting lines is theirs, not ours.
 */
import type { BgpSpeaker } from '../../control/bgp/speaker.js';
import { Switch } from '../../link/switch.js';
import type { Device } from '../../link/device.js';
import { formatIpv4, formatMac } from '../../wire/addr.js';
import { BridgeDev } from '../../net/bridge.js';
import { IpNode } from '../../net/ip-node.js';
import type { TableName } from '../../net/netfilter/rules.js';
import { formatRoute } from '../../net/route-table.js';
import { VxlanDev } from '../../net/vxlan.js';

/** One table of a device. */
export interface DeviceTable {
  title: string;
  columns: string[];
  rows: string[][];
}

/** Seconds with up to 3 decimals, for ages and timers. */
function secs(ns: number): string {
  return String(Math.round(ns / 1e6) / 1e3);
}

/** A switch's MAC table (VLAN, MAC, port, age), as `show mac address-table` lists it. */
export function macTable(sw: Switch): DeviceTable {
  return {
    title: 'MAC table',
    columns: ['VLAN', 'MAC', 'Port', 'Age (s)'],
    rows: sw.macTable().map((r) => [String(r.vlan), formatMac(r.mac), r.port, String(Math.round(r.age * 1000) / 1000)]),
  };
}

/** The main routing table, one row per route, with the route as `ip route` prints it. */
export function routeTable(node: IpNode): DeviceTable {
  return {
    title: 'Routes',
    columns: ['Destination', 'Gateway', 'Device', 'Type', 'Protocol', 'Metric', 'ip route'],
    rows: node.routes
      .routes()
      .map((r) => [
        r.len === 0 ? 'default' : `${formatIpv4(r.dst)}/${r.len}`,
        r.via === undefined ? '' : formatIpv4(r.via),
        r.dev,
        r.type,
        r.proto,
        String(r.metric),
        formatRoute(r),
      ]),
  };
}

/** The neighbour (ARP) cache; REACHABLE entries past their time are STALE, as `ip neigh` reports them. */
export function neighbourTable(node: IpNode): DeviceTable {
  const now = node.engine.now;
  return {
    title: 'Neighbours (ARP)',
    columns: ['IP', 'Device', 'MAC', 'State'],
    rows: node.neighbors.entries().map((n) => {
      const state = n.state === 'REACHABLE' && n.expires <= now ? 'STALE' : n.state;
      const mac = n.state === 'INCOMPLETE' || n.state === 'FAILED' ? '' : formatMac(n.mac);
      return [formatIpv4(n.ip), n.dev.name, mac, state];
    }),
  };
}

/** The forwarding database: Linux bridges' learned MACs and VXLAN devices' entries (00:00:.. is the flood list). */
export function fdbTable(node: IpNode): DeviceTable {
  const rows: string[][] = [];
  for (const dev of node.devs) {
    if (dev instanceof VxlanDev) {
      for (const e of dev.fdbEntries())
        rows.push([formatMac(e.mac), dev.name, `VTEP ${formatIpv4(e.remote)}`, e.static ? 'permanent' : 'learned', '']);
      for (const r of dev.floodList)
        rows.push(['00:00:00:00:00:00', dev.name, `VTEP ${formatIpv4(r)}`, 'permanent', '']);
    } else if (dev instanceof BridgeDev) {
      for (const e of dev.entries())
        rows.push([formatMac(e.mac), e.dev, `master ${dev.name}`, 'learned', secs(e.ageNs)]);
    }
  }
  return { title: 'Forwarding database (bridge fdb)', columns: ['MAC', 'Device', 'Where', 'Kind', 'Age (s)'], rows };
}

/** One table per iptables table in use: each chain's policy and rules with packet and byte counters. */
export function iptablesTables(node: IpNode): DeviceTable[] {
  const rs = node.netfilter?.ruleset;
  if (rs === undefined) return [];
  const out: DeviceTable[] = [];
  for (const name of ['raw', 'mangle', 'nat', 'filter'] as TableName[]) {
    const rows: string[][] = [];
    for (const chain of rs[name].values()) {
      if (chain.policy !== undefined || chain.rules.length > 0)
        rows.push([
          chain.name,
          '',
          String(chain.packets),
          String(chain.bytes),
          chain.policy !== undefined ? `policy ${chain.policy}` : '',
        ]);
      chain.rules.forEach((r, i) => rows.push([chain.name, String(i + 1), String(r.packets), String(r.bytes), r.text]));
    }
    if (rows.length > 0)
      out.push({ title: `iptables -t ${name}`, columns: ['Chain', '#', 'Packets', 'Bytes', 'Rule'], rows });
  }
  return out;
}

/** The connection tracking table, one row per connection. */
export function conntrackTable(node: IpNode): DeviceTable {
  const nf = node.netfilter;
  const now = node.engine.now;
  const proto = (p: number): string => (p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 1 ? 'icmp' : String(p));
  const ends = (src: number, sport: number, dst: number, dport: number, p: number): string =>
    p === 6 || p === 17
      ? `${formatIpv4(src)}:${sport} -> ${formatIpv4(dst)}:${dport}`
      : `${formatIpv4(src)} -> ${formatIpv4(dst)}`;
  return {
    title: 'Connection tracking (conntrack -L)',
    columns: ['Protocol', 'State', 'Original', 'Reply', 'Flags', 'Expires (s)'],
    rows: (nf === undefined ? [] : nf.conntrack.entries(now)).map((c) => [
      proto(c.orig.proto),
      c.tcp ?? '',
      ends(c.orig.src, c.orig.sport, c.orig.dst, c.orig.dport, c.orig.proto),
      ends(c.reply.src, c.reply.sport, c.reply.dst, c.reply.dport, c.reply.proto),
      [c.seenReply ? '' : 'UNREPLIED', c.assured ? 'ASSURED' : ''].filter((s) => s !== '').join(' '),
      String(Math.max(0, Math.floor((c.expires - now) / 1e9))),
    ]),
  };
}

/** A BGP speaker's sessions (what `calicoctl node status` and `birdcl show protocols` read). */
export function bgpSessionTable(speaker: BgpSpeaker, now: number): DeviceTable {
  return {
    title: 'BGP sessions',
    columns: ['Peer', 'AS', 'Type', 'State', 'Since (s)', 'Received', 'Accepted', 'Exported', 'Last error'],
    rows: speaker
      .status()
      .map((s) => [
        formatIpv4(s.address),
        String(s.asn),
        `${s.type}${s.rrClient ? ' (route reflector client)' : ''}`,
        s.state,
        secs(now - s.since),
        String(s.received),
        String(s.accepted),
        String(s.exported),
        s.lastError,
      ]),
  };
}

/** Every table a device has: a switch's MAC table, an IP node's routes, neighbours, FDB, iptables and conntrack. */
export function deviceTables(device: Device): DeviceTable[] {
  if (device instanceof Switch) return [macTable(device)];
  if (device instanceof IpNode) {
    const out = [routeTable(device), neighbourTable(device)];
    const fdb = fdbTable(device);
    if (fdb.rows.length > 0) out.push(fdb);
    out.push(...iptablesTables(device));
    if (device.netfilter !== undefined) out.push(conntrackTable(device));
    return out;
  }
  return [];
}
