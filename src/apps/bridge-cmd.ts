/**
 * iproute2 6.1's `bridge` on a node: `bridge fdb [show] [dev|brport DEV] [br BR] [dynamic] [vlan N]` and
 * `bridge link [show] [dev DEV]`, read as bridge/fdb.c and bridge/link.c read them (words fdb show does
 * not know are skipped, as there), in their layouts, with their errors. A learned entry's line ends with
 * the blank after its last flag. `bridge fdb show` lists what the kernel dumps, the kernel's own entries
 * included (kernelFdb). VLAN-aware bridges are not emulated, so `vlan N` finds nothing. Commands that
 * change state are not emulated.
 */
import type { IpNode } from '../net/ip-node.js';
import { BridgeDev } from '../net/bridge.js';
import { EthernetDev, type NetDev } from '../net/netdev.js';
import { type FdbEntry, formatFdbEntry, hasCarrier, linkFlags, vethPeerOf, vxlanFdbEntries } from '../net/views.js';
import { VxlanDev } from '../net/vxlan.js';
import { MAC_ALL_HOSTS, MAC_ALL_NODES_V6 } from '../wire/addr.js';
import { matches } from './iproute2-args.js';

interface Result {
  status: number;
  stdout: string;
}

const INCOMPLETE = { status: 255, stdout: 'Command line is not complete. Try option "help"' };

/** `bridge ARGS...` on `node`. */
export function bridgeCommand(node: IpNode, args: readonly string[]): Result {
  const [obj = '', sub, ...rest] = args;
  if (obj === '') return { status: 255, stdout: 'Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }' };
  const show = (w: string | undefined): boolean =>
    w === undefined || matches(w, 'show') || matches(w, 'lst') || matches(w, 'list');
  if (matches(obj, 'fdb')) {
    if (!show(sub)) return changing('fdb', sub!, ['add', 'append', 'replace', 'delete', 'get', 'flush']);
    return fdbShow(node, rest);
  }
  if (matches(obj, 'link')) {
    if (!show(sub)) return changing('link', sub!, ['set', 'change']);
    return linkShow(node, rest);
  }
  if (['mdb', 'vlan', 'monitor'].some((o) => matches(obj, o)))
    return { status: 255, stdout: `podnet: bridge ${obj} is not emulated (podnet's bridge shows fdb and link)` };
  return { status: 255, stdout: `Object "${obj}" is unknown, try "bridge help".` };
}

function changing(obj: string, sub: string, verbs: readonly string[]): Result {
  return verbs.some((v) => matches(sub, v))
    ? {
        status: 255,
        stdout: `podnet: bridge ${obj} ${sub} is not emulated (podnet's bridge shows state; it does not change it)`,
      }
    : { status: 255, stdout: `Command "${sub}" is unknown, try "bridge ${obj} help".` };
}

function exists(node: IpNode, name: string): boolean {
  return name === 'lo' || node.dev(name) !== undefined;
}

function fdbShow(node: IpNode, args: readonly string[]): Result {
  let dev: string | undefined;
  let br: string | undefined;
  let dynamic = false;
  let vlan: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w === 'dev' || w === 'brport' || w === 'br' || w === 'vlan' || w === 'state') {
      const v = args[++i];
      if (v === undefined) return INCOMPLETE;
      if (w === 'br') br = v;
      else if (w === 'vlan') vlan = Number.parseInt(v, 10) || 0;
      else if (w === 'state') return { status: 255, stdout: 'podnet: bridge fdb show state is not emulated' };
      else dev = v;
    } else if (w === 'dynamic') dynamic = true;
  }
  if (br !== undefined && !exists(node, br)) return { status: 255, stdout: `Cannot find bridge device "${br}"` };
  if (dev !== undefined && !exists(node, dev)) return { status: 255, stdout: `Cannot find device "${dev}"` };
  // ports of `br`, and the bridge itself
  const under = (name: string): boolean => {
    if (br === undefined) return true;
    const d = node.dev(name);
    return name === br || (d?.master instanceof BridgeDev && d.master.name === br);
  };
  const lines = kernelFdb(node)
    .filter((e) => (dev === undefined || e.dev === dev) && under(e.dev) && !(dynamic && e.permanent))
    // entries of a bridge that is not VLAN-aware carry no VLAN: `vlan N` matches none
    .filter(() => vlan === undefined || vlan === 0)
    .map((e) => formatFdbEntry(e, dev === undefined, true));
  return { status: 0, stdout: lines.join('\n') };
}

/**
 * What the kernel dumps for `bridge fdb show` (rtnl_fdb_dump), device by device in index order: a bridge
 * member's entries in its bridge (br_fdb_dump: learned newest first, then the member's own MAC as
 * permanent), then the device's own: a vxlan device's table (vxlan_fdb_dump); a bridge's multicast
 * addresses and its own MAC (`dev cni0 master cni0 permanent`); any other Ethernet device's multicast
 * addresses (ndo_dflt_fdb_dump). Those are 33:33:00:00:00:01 (ff02::1, which IPv6 joins when the device
 * is registered, even with IPv6 disabled) and, while the device is up, 01:00:5e:00:00:01 (224.0.0.1,
 * joined by IPv4 when it comes up). lo, tun and IP-in-IP devices have none. A snooping bridge (Linux's
 * default) also joins 224.0.0.106 and ff02::6a; podnet's bridges do not snoop multicast, so they list
 * what a bridge made with `mcast_snooping 0` lists. Checked in namespaces with IPv6 disabled.
 */
function kernelFdb(node: IpNode): FdbEntry[] {
  const out: FdbEntry[] = [];
  const multicast = (d: NetDev): void => {
    out.push({ mac: MAC_ALL_NODES_V6, dev: d.name, permanent: true });
    if (d.up) out.push({ mac: MAC_ALL_HOSTS, dev: d.name, permanent: true });
  };
  for (const d of node.devs) {
    const br = d.master;
    if (br instanceof BridgeDev)
      for (const e of br.portEntries(d)) out.push({ mac: e.mac, dev: d.name, master: br.name, permanent: e.permanent });
    if (d instanceof VxlanDev) out.push(...vxlanFdbEntries(d));
    else if (d instanceof BridgeDev) {
      multicast(d);
      out.push({ mac: d.mac, dev: d.name, master: d.name, permanent: true });
    } else if (d.usesArp) multicast(d);
  }
  return out;
}

/** The kernel's default path cost of a bridge port by its speed (br_if.c port_cost): a veth is 10 Gb/s. */
function portCost(d: NetDev): number {
  if (!(d instanceof EthernetDev)) return 100;
  const bps = d.veth !== undefined ? 10_000_000_000 : (d.port.link?.props.bandwidth ?? 0);
  if (bps > 10_000_000_000) return 1;
  if (bps === 10_000_000_000) return 2;
  if (bps >= 2_500_000_000) return bps === 5_000_000_000 ? 3 : 4;
  if (bps === 1_000_000_000) return 4;
  if (bps === 100_000_000) return 19;
  return 100;
}

function linkShow(node: IpNode, args: readonly string[]): Result {
  let dev: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== 'dev') continue;
    const v = args[++i];
    if (v === undefined) return INCOMPLETE;
    if (dev !== undefined) return { status: 255, stdout: `Error: duplicate "dev": "${v}" is the second value.` };
    dev = v;
  }
  if (dev !== undefined && !exists(node, dev)) return { status: 255, stdout: `Cannot find device "${dev}"` };
  const lines: string[] = [];
  node.devs.forEach((d, i) => {
    const br = d.master;
    if (!(br instanceof BridgeDev) || (dev !== undefined && d.name !== dev)) return;
    const up = hasCarrier(d);
    const flags = linkFlags(d);
    // the bridge's dump has the peer's index but not its namespace: iproute2 names the device with that
    // index here, whichever it is (a pod's eth0 is index 2 in its namespace, so `veth...@eth0` on a node)
    let at = '';
    const peer = d instanceof EthernetDev ? vethPeerOf(d) : undefined;
    if (peer !== undefined) {
      const local = peer.index === 1 ? node.lo : node.devs[peer.index - 2];
      at = `@${local?.name ?? `if${peer.index}`}`;
      if (local !== undefined && !local.up) flags.push('M-DOWN');
    }
    const state = !up ? 'disabled' : br.portState(d);
    lines.push(
      `${i + 2}: ${d.name}${at}: <${flags.join(',')}> mtu ${d.mtu} master ${br.name} state ${state} priority 32 cost ${portCost(d)} `,
    );
  });
  return { status: 0, stdout: lines.join('\n') };
}
