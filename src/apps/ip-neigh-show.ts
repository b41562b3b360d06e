/**
 * `ip neigh show [SELECTOR]` as iproute2 6.1 reads it (ip/ipneigh.c do_show_or_flush and print_neigh):
 * `dev DEV` (then left out of each line), `nud STATE` (any number, or `all`; without one, every state but
 * NOARP), a destination prefix, bare or after `to`, `nomaster`, `master DEV` and `proxy` (podnet's nodes
 * answer proxy ARP by device, never from proxy entries, so that list is empty, as Calico's nodes' is).
 * `unused`, `protocol` and `vrf` are not emulated and say so. Errors in iproute2's words and exit statuses.
 * With -brief, print_neigh_brief's columns: the address, the device, the MAC, no state.
 */
import { formatIpv4, formatMac } from '../wire/addr.js';
import { BridgeDev } from '../net/bridge.js';
import type { IpNode } from '../net/ip-node.js';
import type { NeighborState } from '../net/neighbor.js';
import { IpError, Words, addrMatch, invarg, matches, parsePrefix, strtoul, type Prefix } from './iproute2-args.js';

/** NUD_* bits. */
const NUD: Record<NeighborState | 'NOARP' | 'NONE', number> = {
  INCOMPLETE: 0x01,
  REACHABLE: 0x02,
  STALE: 0x04,
  DELAY: 0x08,
  PROBE: 0x10,
  FAILED: 0x20,
  NOARP: 0x40,
  PERMANENT: 0x80,
  NONE: 0x00,
};

/** nud_state_a2n: a state's bit, or undefined where iproute2 says "nud state is bad". */
function nudState(arg: string): number | undefined {
  if (matches(arg, 'permanent')) return NUD.PERMANENT;
  if (matches(arg, 'reachable')) return NUD.REACHABLE;
  if (arg === 'noarp') return NUD.NOARP;
  if (arg === 'none') return NUD.NONE;
  if (arg === 'stale') return NUD.STALE;
  if (arg === 'incomplete') return NUD.INCOMPLETE;
  if (arg === 'delay') return NUD.DELAY;
  if (arg === 'probe') return NUD.PROBE;
  if (matches(arg, 'failed')) return NUD.FAILED;
  const n = strtoul(arg, 0);
  return n === undefined || n >= 0x100 || (n & (n - 1)) !== 0 ? undefined : n;
}

interface NeighFilter {
  dev: string | undefined;
  /** NUD bits to show; 0x100 stands for NUD_NONE (state 0). */
  state: number;
  prefix: Prefix | undefined;
  /** undefined: any; null: no master (`nomaster`); else the master's name. */
  master: string | null | undefined;
  proxy: boolean;
}

function deviceExists(node: IpNode, name: string): boolean {
  return name === 'lo' || node.devs.some((d) => d.name === name);
}

function parse(node: IpNode, args: readonly string[], ipv4Only: boolean): NeighFilter {
  const f: NeighFilter = {
    dev: undefined,
    state: 0xff & ~NUD.NOARP,
    prefix: undefined,
    master: undefined,
    proxy: false,
  };
  let stateGiven = false;
  const words = new Words(args);
  const next = (): string => words.next();
  for (; words.more; words.i++) {
    const w = words.word;
    if (w === 'dev') {
      const v = next();
      if (f.dev !== undefined) throw new IpError(255, `Error: duplicate "dev": "${v}" is the second value.`);
      f.dev = v;
    } else if (w === 'master') {
      const v = next();
      if (!deviceExists(node, v)) throw invarg('Device does not exist\n', v);
      f.master = v;
    } else if (w === 'vrf') {
      // podnet has no VRF devices
      throw invarg('Not a valid VRF name\n', next());
    } else if (w === 'nomaster') f.master = null;
    else if (w === 'unused') throw new IpError(255, 'podnet: ip neigh show unused is not emulated');
    else if (w === 'nud') {
      const v = next();
      if (!stateGiven) {
        stateGiven = true;
        f.state = 0;
      }
      let s = nudState(v);
      if (s === undefined) {
        if (v !== 'all') throw invarg('nud state is bad', v);
        s = 0x1ff;
      }
      f.state |= s === 0 ? 0x100 : s;
    } else if (w === 'proxy') f.proxy = true;
    else if (matches(w, 'protocol')) throw new IpError(255, 'podnet: ip neigh show protocol is not emulated');
    else {
      const v = w === 'to' ? next() : w;
      if (v.includes(':')) throw new IpError(255, `podnet: ${v} is an IPv6 prefix; IPv6 is not emulated`);
      const family = ipv4Only ? 4 : 0;
      const p = parsePrefix(v, family);
      if (p === undefined)
        throw new IpError(1, `Error: ${family === 4 ? 'inet' : 'any valid'} prefix is expected rather than "${v}".`);
      f.prefix = p;
    }
  }
  if (f.dev !== undefined && !deviceExists(node, f.dev)) throw new IpError(1, `Cannot find device "${f.dev}"`);
  return f;
}

/**
 * `ip neigh show|list ARGS...` on `node` (`ipv4Only`: `ip -4`), without the blank iproute2 ends each line
 * with (the shell adds it). A REACHABLE entry past its time is STALE, as the kernel reports it.
 */
export function ipNeighShow(
  node: IpNode,
  args: readonly string[],
  ipv4Only: boolean,
  brief = false,
): { status: number; stdout: string } {
  let f: NeighFilter;
  try {
    f = parse(node, args, ipv4Only);
  } catch (e) {
    if (e instanceof IpError) return { status: e.status, stdout: e.text };
    throw e;
  }
  if (f.proxy) return { status: 0, stdout: '' };
  const now = node.engine.now;
  const lines: string[] = [];
  for (const n of node.neighbors.entries()) {
    if (f.dev !== undefined && n.dev.name !== f.dev) continue;
    const master = n.dev.master instanceof BridgeDev ? n.dev.master.name : null;
    if (f.master !== undefined && master !== f.master) continue;
    const state = n.state === 'REACHABLE' && n.expires <= now ? 'STALE' : n.state;
    if ((f.state & NUD[state]) === 0) continue;
    // inet_addr_match_rta: a prefix of length 0 (or `all`) matches everything
    if (f.prefix !== undefined && f.prefix.bitlen > 0 && !addrMatch(n.ip, f.prefix.addr, f.prefix.bitlen)) continue;
    const known = n.state !== 'INCOMPLETE' && n.state !== 'FAILED';
    if (brief) {
      // print_neigh_brief: the address in 39 columns, the device in 16 (unless chosen), the MAC; no state
      const dev = f.dev === undefined ? `${n.dev.name.padEnd(16)} ` : '';
      lines.push(`${formatIpv4(n.ip).padEnd(39)} ${dev}${known ? formatMac(n.mac) : ''}`);
      continue;
    }
    const ll = known ? ` lladdr ${formatMac(n.mac)}` : '';
    lines.push(`${formatIpv4(n.ip)}${f.dev === undefined ? ` dev ${n.dev.name}` : ''}${ll} ${state}`);
  }
  return { status: 0, stdout: lines.join('\n') };
}
