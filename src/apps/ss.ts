/**
 * iproute2 6.1's `ss` on a node: the node's TCP and UDP sockets as the kernel's sock_diag dump shows them,
 * in ss's columns. Options: -t, -u, -l, -a, -n, -4, -6, -H (and their long names), and the state filter
 * (`state NAME`, `exclude NAME`, as scan_state reads them). The layout is misc/ss.c's for output that is
 * not a terminal (render_calc_width's compact mode: each column as wide as its widest entry, header
 * included, plus its one-blank delimiter): a person's terminal spreads the columns to its width, which
 * podnet cannot know. Without -n a port is printed by its name from the node's /etc/services.
 *
 * What is listed: TCP listeners (LISTEN, Recv-Q the accept queue, Send-Q the backlog), TCP connections
 * (Recv-Q what the application has not read, a FIN before it has seen the end of file included, as
 * rcv_nxt - copied_seq; Send-Q what was written and not acknowledged, SYN and FIN included, as
 * write_seq - snd_una), UDP sockets (UNCONN: podnet's are never connected) and the
 * kernel's own UDP sockets of vxlan devices (0.0.0.0:8472 on a flannel node). podnet has no IPv6, so its
 * sockets are all 0.0.0.0 or an address of the node, where a Go program on a real node listens on `*`.
 * Unix, raw, packet and netlink sockets, processes (-p), the summary (-s), socket details (-e, -o, -i,
 * -m) and address filters are not emulated, and say so. Sockets are listed listeners first, each kind by
 * port: the kernel's order is that of its hash tables, randomly seeded per namespace.
 */
import type { IpNode } from '../net/ip-node.js';
import type { TcpStack } from '../transport/tcp-stack.js';
import type { UdpStack } from '../transport/udp.js';
import { formatIpv4 } from '../wire/addr.js';
import { serviceName } from './etc-services.js';

interface Result {
  status: number;
  stdout: string;
}

/** The kernel's TCP states in ss's numbering (SS_ESTABLISHED = 1 ... SS_CLOSING = 11). */
const STATES = [
  'UNKNOWN',
  'ESTAB',
  'SYN-SENT',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'TIME-WAIT',
  'UNCONN',
  'CLOSE-WAIT',
  'LAST-ACK',
  'LISTEN',
  'CLOSING',
] as const;
const STATE_NAMES = [
  'UNKNOWN',
  'established',
  'syn-sent',
  'syn-recv',
  'fin-wait-1',
  'fin-wait-2',
  'time-wait',
  'unconnected',
  'close-wait',
  'last-ack',
  'listening',
  'closing',
];
export const SS_ESTABLISHED = 1;
const SS_SYN_SENT = 2;
const SS_SYN_RECV = 3;
const SS_TIME_WAIT = 6;
export const SS_CLOSE = 7;
export const SS_LISTEN = 10;
const SS_ALL = (1 << 12) - 1;
const SS_CONN = SS_ALL & ~((1 << SS_LISTEN) | (1 << SS_CLOSE) | (1 << SS_TIME_WAIT) | (1 << SS_SYN_RECV));

/** podnet's TcpState -> ss's state number. */
const TCP_STATE: Record<string, number> = {
  ESTABLISHED: SS_ESTABLISHED,
  'SYN-SENT': SS_SYN_SENT,
  'SYN-RECEIVED': SS_SYN_RECV,
  'FIN-WAIT-1': 4,
  'FIN-WAIT-2': 5,
  'TIME-WAIT': SS_TIME_WAIT,
  'CLOSE-WAIT': 8,
  'LAST-ACK': 9,
  CLOSING: 11,
};

/** scan_state: a state word's bits, or undefined for a name ss does not know. */
function scanState(word: string): number | undefined {
  const w = word.toLowerCase();
  if (w === 'close' || w === 'closed') return 1 << SS_CLOSE;
  if (w === 'syn-rcv') return 1 << SS_SYN_RECV;
  if (w === 'all') return SS_ALL;
  if (w === 'connected') return SS_ALL & ~((1 << SS_CLOSE) | (1 << SS_LISTEN));
  if (w === 'synchronized') return SS_ALL & ~((1 << SS_CLOSE) | (1 << SS_LISTEN) | (1 << SS_SYN_SENT));
  if (w === 'bucket') return (1 << SS_SYN_RECV) | (1 << SS_TIME_WAIT);
  if (w === 'big') return SS_ALL & ~((1 << SS_SYN_RECV) | (1 << SS_TIME_WAIT));
  const i = STATE_NAMES.indexOf(w);
  return i < 0 ? undefined : 1 << i;
}

/** One socket's fields, before layout: `state` in ss's numbering (the kernel's TCP states). */
export interface SocketRow {
  netid: 'tcp' | 'udp';
  state: number;
  rq: number;
  wq: number;
  local: string;
  lport: number;
  peer: string;
  pport: number;
}

/** The stacks of the node ss runs on. */
export interface SsContext {
  node: IpNode;
  udp: UdpStack;
  tcp?: TcpStack;
}

const NOT_EMULATED: Record<string, string> = {
  x: 'unix sockets',
  w: 'raw sockets',
  '0': 'packet sockets',
  d: 'DCCP sockets',
  S: 'SCTP sockets',
  p: 'the process column (podnet keeps no process table)',
  T: 'the process column (podnet keeps no process table)',
  s: 'the summary',
  e: 'socket details',
  o: 'timer details',
  i: 'TCP internals',
  m: 'socket memory',
  b: 'BPF filters',
  E: 'following events',
  K: 'killing sockets',
  r: 'resolving addresses',
  M: 'MPTCP sockets',
  z: 'SELinux contexts',
  Z: 'SELinux contexts',
};

const LONG: Record<string, string> = {
  '--tcp': 't',
  '--udp': 'u',
  '--listening': 'l',
  '--all': 'a',
  '--numeric': 'n',
  '--ipv4': '4',
  '--ipv6': '6',
  '--no-header': 'H',
};

/** `ss ARGS...` on a node. */
export function ssCommand(ctx: SsContext, args: readonly string[]): Result {
  let numeric = false;
  let header = true;
  let tcp = false;
  let udp = false;
  let families = 0; // 4 and 6 as bits 1 and 2
  let stateFilter = 0;
  let anyDb = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-') || a === '-') break;
    let letters: string;
    if (a.startsWith('--')) {
      const l = LONG[a];
      if (l === undefined)
        return { status: 255, stdout: `podnet: ss ${a} is not emulated (podnet's ss takes -t -u -l -a -n -4 -6 -H)` };
      letters = l;
    } else letters = a.slice(1);
    for (const ch of letters) {
      if (ch === 'n') numeric = true;
      else if (ch === 'H') header = false;
      else if (ch === 't') {
        tcp = true;
        anyDb = true;
      } else if (ch === 'u') {
        udp = true;
        anyDb = true;
      } else if (ch === 'a') stateFilter = SS_ALL;
      else if (ch === 'l') stateFilter = (1 << SS_LISTEN) | (1 << SS_CLOSE);
      else if (ch === '4') families |= 1;
      else if (ch === '6') families |= 2;
      else if (NOT_EMULATED[ch] !== undefined)
        return { status: 255, stdout: `podnet: ss -${ch} (${NOT_EMULATED[ch]}) is not emulated` };
      else
        return {
          status: 255,
          stdout: `ss: invalid option -- '${ch}'\nUsage: ss [ OPTIONS ]\n       ss [ OPTIONS ] [ FILTER ]`,
        };
    }
  }
  // `state NAME` / `exclude NAME`, then no other filter words (podnet does not read ss's filter language)
  let sawStates = false;
  for (; i < args.length; i++) {
    const w = args[i]!;
    if (w !== 'state' && w !== 'exclude' && w !== 'excl') break;
    const v = args[++i];
    if (v === undefined) return { status: 255, stdout: 'Command line is not complete. Try option "help"' };
    const bits = scanState(v);
    if (bits === undefined) return { status: 255, stdout: `ss: wrong state name: ${v}` };
    if (w === 'state') {
      if (!sawStates) stateFilter = 0;
      stateFilter |= bits;
    } else {
      if (!sawStates) stateFilter = SS_ALL;
      stateFilter &= ~bits;
    }
    sawStates = true;
  }
  if (i < args.length)
    return {
      status: 255,
      stdout: `podnet: ss's filter "${args.slice(i).join(' ')}" is not emulated (podnet's ss takes state and exclude)`,
    };

  // the tables and their default states (filter_db_set, filter_merge_defaults): TCP's connected states,
  // UDP's connected sockets only; no table named: every table (do_default), of which podnet has two
  const everything = !anyDb && families === 0;
  if (!anyDb) tcp = udp = true;
  const ipv4 = families === 0 || (families & 1) !== 0;
  let states = stateFilter;
  if (states === 0) states = (tcp ? SS_CONN : 0) | (udp ? 1 << SS_ESTABLISHED : 0) | (everything ? SS_CONN : 0);
  const rows: SocketRow[] = [];
  if (ipv4) {
    if (udp) rows.push(...udpRows(ctx));
    if (tcp && ctx.tcp !== undefined) rows.push(...tcpRows(ctx.tcp));
  }
  const shown = rows.filter((r) => (states & (1 << r.state)) !== 0);
  const tables = everything ? 2 : (tcp ? 1 : 0) + (udp ? 1 : 0);
  const out = render(shown, {
    netid: tables > 1,
    state: (states & (states - 1)) !== 0,
    header,
    service: (port, proto) => (numeric ? undefined : serviceName(port, proto)),
  });
  return {
    status: 0,
    stdout: everything ? `${out}\npodnet: unix, raw, packet and netlink sockets are not emulated` : out,
  };
}

/** The node's UDP sockets, by port (bound ones and the kernel's own vxlan sockets). */
export function udpRows(ctx: SsContext): SocketRow[] {
  const ports = new Set<number>([...ctx.udp.boundPorts(), ...ctx.node.udpTunnelPorts()]);
  return [...ports]
    .sort((a, b) => a - b)
    .map((p) => ({
      netid: 'udp',
      state: SS_CLOSE,
      rq: 0,
      wq: 0,
      local: '0.0.0.0',
      lport: p,
      peer: '0.0.0.0',
      pport: 0,
    }));
}

/** The node's TCP sockets: listeners by port, then connections by local port and peer. */
export function tcpRows(tcp: TcpStack): SocketRow[] {
  const rows: SocketRow[] = tcp
    .listeners()
    .sort((a, b) => a.port - b.port)
    .map((l) => ({
      netid: 'tcp',
      state: SS_LISTEN,
      // sk_ack_backlog (accepted by the kernel, not yet by the application) and sk_max_ack_backlog, which
      // listen() caps at net.core.somaxconn (4096)
      rq: l.acceptQueueLength,
      wq: Math.min(l.backlog, 4096),
      local: '0.0.0.0',
      lport: l.port,
      peer: '0.0.0.0',
      pport: 0,
    }));
  const conns = tcp
    .connections()
    .filter((c) => TCP_STATE[c.state] !== undefined)
    .sort((a, b) => a.localPort - b.localPort || a.remoteIp - b.remoteIp || a.remotePort - b.remotePort);
  for (const c of conns) {
    const state = TCP_STATE[c.state]!;
    // a request socket (SYN-RECV) and a TIME-WAIT socket report no queues (inet_diag_req, inet_twsk_diag)
    const queues = state !== SS_SYN_RECV && state !== SS_TIME_WAIT;
    rows.push({
      netid: 'tcp',
      state,
      rq: queues ? c.unreadSequence : 0,
      wq: queues ? c.unacknowledgedSequence : 0,
      local: formatIpv4(c.localIp),
      lport: c.localPort,
      peer: formatIpv4(c.remoteIp),
      pport: c.remotePort,
    });
  }
  return rows;
}

interface Layout {
  netid: boolean;
  state: boolean;
  header: boolean;
  service: (port: number, proto: 'tcp' | 'udp') => string | undefined;
}

/** ss's columns: alignment, header and left delimiter (misc/ss.c `columns`). */
const COLUMNS: { right: boolean; header: string; ldelim: string }[] = [
  { right: false, header: 'Netid', ldelim: '' },
  { right: false, header: 'State', ldelim: ' ' },
  { right: false, header: 'Recv-Q', ldelim: ' ' },
  { right: false, header: 'Send-Q', ldelim: ' ' },
  { right: true, header: 'Local Address:', ldelim: ' ' },
  { right: false, header: 'Port', ldelim: '' },
  { right: true, header: 'Peer Address:', ldelim: ' ' },
  { right: false, header: 'Port', ldelim: '' },
  { right: false, header: 'Process', ldelim: '' },
  { right: false, header: '', ldelim: '' },
];

/** render() after render_calc_width in compact mode (stdout not a terminal). */
function render(rows: readonly SocketRow[], o: Layout): string {
  const enabled = COLUMNS.map((_, k) => (k === 0 ? o.netid : k === 1 ? o.state : true));
  const port = (p: number, proto: 'tcp' | 'udp'): string => (p === 0 ? '*' : (o.service(p, proto) ?? String(p)));
  const lines: string[][] = [];
  if (o.header) lines.push(COLUMNS.map((c) => c.header).map((h, k) => (k === COLUMNS.length - 1 ? '' : h)));
  for (const r of rows)
    lines.push([
      r.netid,
      STATES[r.state]!,
      String(r.rq).padEnd(6),
      String(r.wq).padEnd(6),
      `${r.local}:`,
      port(r.lport, r.netid),
      `${r.peer}:`,
      port(r.pport, r.netid),
      '',
      '',
    ]);
  // first pass: each enabled column as wide as its longest token, plus its delimiter after the first
  const width = COLUMNS.map(() => 0);
  let first = true;
  COLUMNS.forEach((c, k) => {
    if (!enabled[k]) return;
    const max = Math.max(0, ...lines.map((l) => l[k]!.length));
    width[k] = !first && max > 0 ? max + c.ldelim.length : max;
    if (width[k] > 0) first = false;
  });
  return lines
    .map((tokens) => {
      let s = '';
      let started = false;
      COLUMNS.forEach((c, k) => {
        if (!enabled[k]) return;
        let printed = 0;
        if (started) {
          s += c.ldelim;
          printed = c.ldelim.length;
        }
        started = true;
        const t = tokens[k]!;
        const w = width[k]!;
        if (c.right && w > 0) s += ' '.repeat(Math.max(0, w - t.length - printed));
        s += t;
        if (!c.right && w > 0) s += ' '.repeat(Math.max(0, w - printed - t.length));
      });
      return s;
    })
    .join('\n');
}
