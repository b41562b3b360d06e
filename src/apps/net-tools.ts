/**
 * net-tools 2.10's `route -n`, `netstat -rn` and `arp -n` on a node: what they read from /proc/net/route
 * and /proc/net/arp, as the kernel writes those files (fib_route_seq_show: the main table only, in the
 * FIB trie's order, with RTF_UP, RTF_GATEWAY, RTF_HOST and RTF_REJECT for unreachable and prohibit
 * routes, `*` for a route with no device; arp_seq_show: every neighbour, ATF_COM once resolved, ATF_PERM
 * for a permanent one), in their layouts (lib/inet_gr.c rprint_fib, arp.c arp_disp and arp_disp_2).
 * Without -n the tools would look names up (/etc/networks, /etc/hosts, reverse DNS): that is not
 * emulated, and they say so; so do the options podnet has no data for.
 */
import type { IpNode } from '../net/ip-node.js';
import { formatIpv4, formatMac, prefixMask } from '../wire/addr.js';
import { SS_CLOSE, SS_LISTEN, tcpRows, udpRows, type SsContext } from './ss.js';

interface Result {
  status: number;
  stdout: string;
}

/** The flags and option counts of a net-tools command line: `-rn`, `-n -e`; undefined for a word. */
function letters(args: readonly string[]): Map<string, number> | string {
  const seen = new Map<string, number>();
  for (const a of args) {
    if (!a.startsWith('-') || a.length < 2) return a;
    const long: Record<string, string> = { '--numeric': 'n', '--extend': 'e', '--route': 'r', '--all': 'a' };
    const ls = a.startsWith('--') ? long[a] : a.slice(1);
    if (ls === undefined) return a;
    for (const ch of ls) seen.set(ch, (seen.get(ch) ?? 0) + 1);
  }
  return seen;
}

/** rprint_fib: the main table as /proc/net/route has it, in layout 1 (route -n), 2 (-e) or 3 (-ee). */
function routeTable(node: IpNode, ext: number): string {
  const head = 'Destination     Gateway         Genmask         ';
  const lines = [
    'Kernel IP routing table',
    ext === 1
      ? `${head}Flags Metric Ref    Use Iface`
      : ext === 2
        ? `${head}Flags   MSS Window  irtt Iface`
        : `${head}Flags Metric Ref    Use Iface    MSS   Window irtt`,
  ];
  for (const r of node.routes.routes()) {
    const dst = formatIpv4(r.dst).padEnd(15);
    const mask = formatIpv4(prefixMask(r.len)).padEnd(15);
    if (r.type === 'unreachable' || r.type === 'prohibit') {
      // RTF_REJECT: `!` replaces the other flags; no gateway, reference count or device
      if (ext === 1)
        lines.push(
          `${dst} -               ${mask} ${'!'.padEnd(5)} ${String(r.metric).padEnd(6)} -  ${'0'.padStart(7)} -`,
        );
      else if (ext === 2) lines.push(`${dst} -               ${mask} ${'!'.padEnd(5)}     - -          - -`);
      else
        lines.push(
          `${dst} -               ${mask} ${'!'.padEnd(5)} ${String(r.metric).padEnd(6)} -  ${'0'.padStart(7)} -        -     -      -`,
        );
      continue;
    }
    const gw = formatIpv4(r.via ?? 0).padEnd(15);
    const flags = `U${r.via !== undefined ? 'G' : ''}${r.len === 32 ? 'H' : ''}`.padEnd(5);
    // a blackhole route has no device: `*`
    const iface = r.type === 'blackhole' ? '*' : r.dev;
    if (ext === 1)
      lines.push(
        `${dst} ${gw} ${mask} ${flags} ${String(r.metric).padEnd(6)} ${'0'.padEnd(2)} ${'0'.padStart(7)} ${iface}`,
      );
    else if (ext === 2)
      lines.push(`${dst} ${gw} ${mask} ${flags} ${'0'.padStart(5)} ${'0'.padEnd(5)} ${'0'.padStart(6)} ${iface}`);
    else
      lines.push(
        `${dst} ${gw} ${mask} ${flags} ${String(r.metric).padEnd(6)} ${'0'.padEnd(3)} ${'0'.padStart(6)} ${iface.slice(0, 6).padEnd(6)}   ${'0'.padEnd(5)} ${'0'.padEnd(6)} 0`,
      );
  }
  return lines.join('\n');
}

const NUMERIC_ONLY = 'names need /etc/networks and reverse DNS lookups; add -n';

/** `route [-n] [-e] [-ee]`. */
export function routeCommand(node: IpNode, args: readonly string[]): Result {
  const o = letters(args.filter((a) => a !== '-A' && a !== 'inet'));
  if (typeof o === 'string')
    return {
      status: 255,
      stdout: `podnet: route ${o} is not emulated (podnet's route shows the table: route -n [-e])`,
    };
  for (const ch of o.keys())
    if (ch !== 'n' && ch !== 'e' && ch !== 'v')
      return {
        status: 255,
        stdout: `podnet: route -${ch} is not emulated (podnet's route shows the table: route -n [-e])`,
      };
  if (!o.has('n')) return { status: 255, stdout: `podnet: route without -n is not emulated (${NUMERIC_ONLY})` };
  return { status: 0, stdout: routeTable(node, Math.min(3, 1 + (o.get('e') ?? 0))) };
}

/** netstat's names of the kernel's TCP states (tcp_state), in ss's numbering. */
const NETSTAT_STATES = [
  '',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
];

/**
 * `netstat -rn [-e]`, the routing table, and `netstat -n` with `-t`, `-u`, `-l`, `-a`: the sockets as
 * /proc/net/tcp and /proc/net/udp list them (a listener's Recv-Q is its accept queue and its Send-Q 0,
 * where ss shows the backlog; an unconnected UDP socket counts as a server, with no state), in net-tools'
 * layout (netstat.c: `%-4s  %6ld %6ld %-23s %-23s %-11s`). -p (processes) and the Unix sockets are not
 * emulated and say so.
 */
export function netstatCommand(ctx: SsContext, args: readonly string[]): Result {
  const o = letters(args);
  if (o instanceof Map && o.has('p'))
    return {
      status: 255,
      stdout: 'podnet: netstat -p (PID/Program name) is not emulated (podnet keeps no process table)',
    };
  const known = o instanceof Map && [...o.keys()].every((ch) => 'rnetula'.includes(ch));
  if (typeof o === 'string' || !known)
    return {
      status: 255,
      stdout: `podnet: netstat ${args.join(' ')} is not emulated (podnet's netstat shows the routing table, -rn, and the TCP and UDP sockets, -n with -t -u -l -a; ss shows them too)`,
    };
  if (!o.has('n')) return { status: 255, stdout: `podnet: netstat without -n is not emulated (${NUMERIC_ONLY})` };
  if (o.has('r')) {
    // netstat's layouts: 2 by default, 1 with one -e, 3 with two
    const e = o.get('e') ?? 0;
    return { status: 0, stdout: routeTable(ctx.node, e === 0 ? 2 : e === 1 ? 1 : 3) };
  }
  if (o.has('e')) return { status: 255, stdout: 'podnet: netstat -e (users and inodes) is not emulated' };
  const all = o.has('a');
  const servers = o.has('l');
  // neither -t nor -u: every family, the Unix sockets included, which podnet has none of
  const everything = !o.has('t') && !o.has('u');
  const rows = [
    ...(o.has('t') || everything ? (ctx.tcp === undefined ? [] : tcpRows(ctx.tcp)) : []),
    ...(o.has('u') || everything ? udpRows(ctx) : []),
  ].filter((r) => {
    // a server: a TCP listener or an unconnected UDP socket
    const server = r.state === SS_LISTEN || (r.netid === 'udp' && r.state === SS_CLOSE);
    return all || (servers ? server : !server);
  });
  const lines = [
    `Active Internet connections (${all ? 'servers and established' : servers ? 'only servers' : 'w/o servers'})`,
    'Proto Recv-Q Send-Q Local Address           Foreign Address         State      ',
  ];
  for (const r of rows) {
    // /proc/net/tcp's tx_queue is write_seq - snd_una: 0 for a listener (ss prints its backlog there)
    const wq = r.state === SS_LISTEN ? 0 : r.wq;
    const state = r.netid === 'udp' && r.state === SS_CLOSE ? '' : NETSTAT_STATES[r.state]!;
    const local = `${r.local}:${r.lport}`;
    const foreign = `${r.peer}:${r.pport === 0 ? '*' : r.pport}`;
    lines.push(
      `${r.netid.padEnd(4)}  ${String(r.rq).padStart(6)} ${String(wq).padStart(6)} ${local.padEnd(23)} ${foreign.padEnd(23)} ${state.padEnd(11)}`,
    );
  }
  if (everything) lines.push('podnet: UNIX domain sockets are not emulated');
  return { status: 0, stdout: lines.join('\n') };
}

/** `arp -n` (Linux style) and `arp -an` (BSD style), optionally `-i DEV`. */
export function arpCommand(node: IpNode, args: readonly string[]): Result {
  let dev: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-i') {
      dev = args[++i];
      if (dev === undefined) return { status: 255, stdout: "arp: option requires an argument -- 'i'" };
    } else rest.push(args[i]!);
  }
  const o = letters(rest);
  if (typeof o === 'string' || [...o.keys()].some((ch) => !'nae'.includes(ch)))
    return {
      status: 255,
      stdout: `podnet: arp ${args.join(' ')} is not emulated (podnet's arp shows the cache: arp -n, arp -an, -i DEV)`,
    };
  if (!o.has('n'))
    return { status: 255, stdout: `podnet: arp without -n is not emulated (names need reverse lookups; add -n)` };
  const bsd = o.has('a') && !o.has('e');
  const lines: string[] = [];
  const entries = node.neighbors.entries().filter((n) => dev === undefined || n.dev.name === dev);
  for (const n of entries) {
    const complete = n.state !== 'INCOMPLETE' && n.state !== 'FAILED';
    const permanent = n.state === 'PERMANENT';
    const ip = formatIpv4(n.ip);
    if (bsd) {
      lines.push(
        `? (${ip}) at ${complete ? `${formatMac(n.mac)} [ether] ` : '<incomplete> '}${permanent ? 'PERM ' : ''}on ${n.dev.name}`,
      );
      continue;
    }
    if (lines.length === 0)
      lines.push('Address                  HWtype  HWaddress           Flags Mask            Iface');
    const flags = `${complete ? 'C' : ''}${permanent ? 'M' : ''}`;
    lines.push(
      `${ip.padEnd(23)}  ${complete ? `${'ether'.padEnd(8)}${formatMac(n.mac).padEnd(20)}` : `${''.padEnd(8)}${'(incomplete)'.padEnd(20)}`}${flags.padEnd(6)}${''.padEnd(15)} ${n.dev.name}`,
    );
  }
  if (lines.length === 0 && dev !== undefined)
    lines.push(`arp: in ${node.neighbors.entries().length} entries no match found.`);
  return { status: 0, stdout: lines.join('\n') };
}
