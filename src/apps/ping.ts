/**
 * ping: ICMP echo requests at an interval, replies matched by identifier and sequence, and the summary
 * iputils 20221126 prints ("3 packets transmitted, 3 received, 0% packet loss, time 2003ms",
 * "rtt min/avg/max/mdev", "pipe N"), following ping_common.c's main_loop, pinger, acknowledge and finish.
 */
import { formatIpv4, type Ipv4 } from '../wire/addr.js';
import { IPPROTO_ICMP } from '../wire/ipv4.js';
import { ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, emitIcmp, icmpLength, type IcmpMessage } from '../wire/icmp.js';
import { icmpName, type IcmpEvent, type IpNode } from '../net/ip-node.js';
import { LOOPBACK_ADDR } from '../net/loopback.js';
import type { Timer } from '../sim/engine.js';

/** Options as `ping -c COUNT -i INTERVAL -s SIZE -t TTL -W TIMEOUT`. */
export interface PingOptions {
  count: number;
  /** ns between requests (iputils default: 1 s). */
  interval: number;
  /** Data bytes after the ICMP header (iputils default: 56). */
  size: number;
  ttl: number;
  /**
   * -W: ns to wait after the last request when nothing has been received (iputils' lingertime, 10 s by
   * default, so the "Destination Host Unreachable" of a neighbour that never answers, 3 s later, is seen).
   * Once a reply came, ping waits max(2 * the largest rtt, interval) instead (ping.h __schedule_exit).
   */
  timeout: number;
  /**
   * -M do (true) or -M dont (false); unset is iputils' default, the kernel's IP_PMTUDISC_WANT: DF while the
   * packet fits the path MTU, fragmented when it does not (`ping -s 1600` over a 1500 link gets replies).
   */
  df?: boolean;
}

/** Bytes of the struct timeval iputils puts first in the data. */
const TIMEVAL_LEN = 16;

/** One reply or error line. */
export interface PingLine {
  seq: number;
  /** Reply, or an ICMP error from a router (ttl exceeded, unreachable), or a local send failure. */
  kind: 'reply' | 'error' | 'send-failed';
  from: Ipv4;
  rttNs?: number;
  ttl?: number;
  bytes?: number;
  error?: string;
}

/** The whole run. */
export interface PingResult {
  dst: Ipv4;
  /** The address the requests went to: `dst`, except 0.0.0.0, which Linux routes to 127.0.0.1. */
  addr: Ipv4;
  transmitted: number;
  received: number;
  errors: number;
  lines: PingLine[];
  /** Round-trip times (empty without timing: iputils times a reply only when 16 data bytes hold a timeval). */
  rtts: number[];
  /** ns from the first request to the last one sent: iputils' ", time Nms" (finish: cur_time - start_time). */
  elapsedNs: number;
  /** Most requests outstanding when one was answered ("pipe N" when above 1; -1 before any answer). */
  pipe: number;
  /** Whether the data had room for the timeval (size >= 16), so replies carry a time. */
  timing: boolean;
}

/** The default options. */
export const DEFAULT_PING: PingOptions = {
  count: 3,
  interval: 1_000_000_000,
  size: 56,
  ttl: 64,
  timeout: 10_000_000_000,
};

/**
 * Starts a ping from `node` to `dst`; `done` is called once the last reply arrived or the timeout after
 * the last request passed. Drive the engine to make it progress.
 */
export function ping(node: IpNode, dst: Ipv4, options: Partial<PingOptions>, done: (r: PingResult) => void): void {
  const o = { ...DEFAULT_PING, ...options };
  // iputils uses a per-process identifier; ours comes from the node's ping stream so runs repeat exactly
  const ident = node.engine.stream(`node:${node.name}/ping`).nextU32() & 0xffff;
  const sentAt = new Map<number, number>();
  // ip_route_output_key_hash: a socket sending to 0.0.0.0 sends to 127.0.0.1 (iputils then prints
  // "PING 0.0.0.0 (127.0.0.1)" and the reply comes from 127.0.0.1, as seen in a namespace)
  const addr = dst === 0 ? LOOPBACK_ADDR : dst;
  const timing = o.size >= TIMEVAL_LEN;
  const startAt = node.engine.now;
  const r: PingResult = {
    dst,
    addr,
    transmitted: 0,
    received: 0,
    errors: 0,
    lines: [],
    rtts: [],
    elapsedNs: 0,
    pipe: -1,
    timing,
  };
  let finished = false;
  let deadline: Timer | undefined;
  // the next request: main_loop calls pinger before it reads the socket, so a request due at the very
  // moment an answer arrives goes out first (a neighbour that fails at 3 s meets icmp_seq=4: "pipe 4")
  let next: { seq: number; at: number; timer: Timer } | undefined;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    deadline?.cancel();
    off();
    done(r);
  };
  // ping.h acknowledge: the pipe is how many requests were out, this one included, when it was answered
  const acknowledge = (seq: number): void => {
    r.pipe = Math.max(r.pipe, r.transmitted - seq + 1);
  };
  const sendDueFirst = (): void => {
    if (next !== undefined && next.at === node.engine.now) {
      const n = next;
      n.timer.cancel();
      sendOne(n.seq);
    }
  };
  const answered = (): void => {
    // main_loop: "if (npackets && nreceived + nerrors >= npackets) break"
    if (r.received + r.errors >= o.count && r.transmitted === o.count) finish();
  };
  const off = node.onIcmp((ev: IcmpEvent) => {
    const m = ev.message;
    if (m.kind === 'echo' && m.type === ICMP_ECHO_REPLY && m.id === ident && ev.src === addr) {
      const t0 = sentAt.get(m.seq);
      if (t0 === undefined) return;
      sendDueFirst();
      sentAt.delete(m.seq);
      acknowledge(m.seq);
      r.received++;
      const line: PingLine = { seq: m.seq, kind: 'reply', from: ev.src, ttl: ev.ttl, bytes: ev.ipLength - 20 };
      if (timing) {
        const rtt = ev.time - t0;
        r.rtts.push(rtt);
        line.rttNs = rtt;
      }
      r.lines.push(line);
      answered();
      return;
    }
    if (m.kind === 'unreachable' || m.kind === 'time-exceeded') {
      const q = m.original;
      // the quoted header + 8 bytes: our echo request's id and seq sit at ihl+4..ihl+7
      if (q.length < 28 || q[9] !== IPPROTO_ICMP) return;
      const ihl = (q[0]! & 0x0f) * 4;
      if (q.length < ihl + 8 || q[ihl] !== ICMP_ECHO_REQUEST) return;
      const qid = (q[ihl + 4]! << 8) | q[ihl + 5]!;
      const qseq = (q[ihl + 6]! << 8) | q[ihl + 7]!;
      if (qid !== ident || !sentAt.has(qseq)) return;
      sendDueFirst();
      sentAt.delete(qseq);
      acknowledge(qseq);
      r.errors++;
      const text =
        m.kind === 'unreachable' && m.code === 4
          ? `Frag needed and DF set (mtu = ${m.nextHopMtu})`
          : icmpTitle(m.type, m.code);
      r.lines.push({ seq: qseq, kind: 'error', from: ev.src, error: text });
      answered();
    }
  });
  // iputils fills the data with its index (0x00, 0x01, ...) and, when 16 bytes fit, puts the send time
  // there as a struct timeval (tv_sec, tv_usec: two little-endian 64-bit words on 64-bit Linux);
  // checked against iputils' packets by podnet verify
  const pattern = Uint8Array.from({ length: o.size }, (_, i) => i & 0xff);
  const sendOne = (seq: number): void => {
    next = undefined;
    const data = pattern.slice();
    if (timing) {
      const v = new DataView(data.buffer);
      const us = Math.floor(node.engine.now / 1000);
      v.setBigUint64(0, BigInt(Math.floor(us / 1e6)), true);
      v.setBigUint64(8, BigInt(us % 1e6), true);
    }
    const msg: IcmpMessage = { kind: 'echo', type: ICMP_ECHO_REQUEST, code: 0, id: ident, seq, data };
    r.transmitted++;
    r.elapsedNs = node.engine.now - startAt;
    sentAt.set(seq, node.engine.now);
    const err = node.sendIp(
      { dst: addr, protocol: IPPROTO_ICMP, ttl: o.ttl, ...(o.df === undefined ? {} : { df: o.df }) },
      icmpLength(msg),
      (f, off) => {
        emitIcmp(msg, f, off);
      },
    );
    if (err !== undefined) {
      sentAt.delete(seq);
      r.errors++;
      r.lines.push({
        seq,
        kind: 'send-failed',
        from: 0,
        error:
          err === 'no-route'
            ? 'connect: Network is unreachable'
            : err === 'policy'
              ? 'ping: sendmsg: Operation not permitted'
              : err === 'blackhole'
                ? 'connect: Invalid argument'
                : err === 'unreachable'
                  ? 'connect: No route to host'
                  : err === 'prohibited'
                    ? 'ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules'
                    : err === 'no-buffer-space'
                      ? // a full transmit queue: iputils retries such a send quietly for up to lingertime
                        // first (ping_common.c, oom_count); podnet reports it at once
                        'ping: sendmsg: No buffer space available'
                      : 'ping: local error: message too long',
      });
    }
    if (seq < o.count) {
      const at = node.engine.now + o.interval;
      next = { seq: seq + 1, at, timer: node.engine.timer(o.interval, () => sendOne(seq + 1)) };
      return;
    }
    // ping.h __schedule_exit: after the last request, wait lingertime (-W) while nothing came back,
    // else twice the longest rtt, at least one interval (both in whole microseconds)
    const tmaxNs = r.rtts.reduce((a, b) => Math.max(a, Math.floor(b / 1000) * 1000), 0);
    const wait = r.received > 0 ? Math.max(2 * tmaxNs, o.interval) : o.timeout;
    deadline = node.engine.timer(wait, finish);
    answered();
  };
  sendOne(1);
}

function icmpTitle(type: number, code: number): string {
  // iputils wording
  if (type === 11) return 'Time to live exceeded';
  // iputils ping4 print_icmp: ICMP_PKT_FILTERED (code 13, what a `prohibit` route sends)
  if (type === 3 && code === 13) return 'Packet filtered';
  if (type === 3)
    return (
      [
        'Destination Net Unreachable',
        'Destination Host Unreachable',
        'Destination Protocol Unreachable',
        'Destination Port Unreachable',
      ][code] ?? icmpName(type, code)
    );
  return icmpName(type, code);
}

/**
 * The text iputils ping prints for `r` (to `host`, as named on the command line), without the final newline (ping_common.c finish). With no rtt and
 * no pipe line, finish still ends the summary with an empty line, which is kept: `-s 0` ends "time 0ms\n\n".
 */
export function formatPing(r: PingResult, size = DEFAULT_PING.size, host = formatIpv4(r.dst)): string {
  // iputils prints the host by its canonical name (AI_CANONNAME; the caller passes it): "PING
  // web.default.svc.cluster.local (10.43.237.236)", "--- web.default.svc.cluster.local ping statistics ---"
  // when `web` was found with the first search domain; an address as it was typed
  const dst = host;
  const out = [`PING ${dst} (${formatIpv4(r.addr)}) ${size}(${size + 28}) bytes of data.`];
  for (const l of r.lines) {
    if (l.kind === 'reply')
      out.push(
        `${l.bytes} bytes from ${formatIpv4(l.from)}: icmp_seq=${l.seq} ttl=${l.ttl}` +
          (l.rttNs === undefined ? '' : ` time=${fmtMs(l.rttNs)} ms`),
      );
    else if (l.kind === 'error') out.push(`From ${formatIpv4(l.from)} icmp_seq=${l.seq} ${l.error}`);
    else out.push(l.error!);
  }
  // iputils prints the loss with %g: 66.6667%, 25%
  const loss = r.transmitted === 0 ? 0 : Number((((r.transmitted - r.received) / r.transmitted) * 100).toPrecision(6));
  // ", time %ldms": 1000 * tv_sec + (tv_nsec + 500000) / 1000000
  const ms = Math.floor((r.elapsedNs + 500_000) / 1_000_000);
  out.push('', `--- ${dst} ping statistics ---`);
  out.push(
    `${r.transmitted} packets transmitted, ${r.received} received${r.errors ? `, +${r.errors} errors` : ''}` +
      (r.transmitted > 0 ? `, ${loss}% packet loss, time ${ms}ms` : ''),
  );
  const last: string[] = [];
  if (r.rtts.length > 0) last.push(`rtt min/avg/max/mdev = ${rttSummary(r.rtts)} ms`);
  if (r.pipe > 1) last.push(`pipe ${r.pipe}`);
  out.push(last.join(', '));
  return out.join('\n');
}

/** min/avg/max/mdev as finish computes them: integer microseconds, mdev = llsqrt((tsum2 - tsum²/n) / n). */
function rttSummary(rtts: readonly number[]): string {
  const us = rtts.map((x) => BigInt(Math.floor(x / 1000)));
  const n = BigInt(us.length);
  let min = us[0]!;
  let max = us[0]!;
  let tsum = 0n;
  let tsum2 = 0n;
  for (const t of us) {
    if (t < min) min = t;
    if (t > max) max = t;
    tsum += t;
    tsum2 += t * t;
  }
  const avg = tsum / n;
  // "This slightly clumsy computation order is important to avoid integer rounding errors"
  const variance = tsum < 2_147_483_647n ? (tsum2 - (tsum * tsum) / n) / n : tsum2 / n - avg * avg;
  return `${usText(min)}/${usText(avg)}/${usText(max)}/${usText(isqrt(variance))}`;
}

function fmtMs(ns: number): string {
  // iputils ping_common.c, t in whole microseconds; a value that rounds into the next range takes its format
  const t = Math.floor(ns / 1000);
  if (t >= 100_000 - 50) return String(Math.floor((t + 500) / 1000));
  if (t >= 10_000 - 5) return `${Math.floor((t + 50) / 1000)}.${Math.floor(((t + 50) % 1000) / 100)}`;
  if (t >= 1_000) return `${Math.floor((t + 5) / 1000)}.${String(Math.floor(((t + 5) % 1000) / 10)).padStart(2, '0')}`;
  return `${Math.floor(t / 1000)}.${String(t % 1000).padStart(3, '0')}`;
}

/** Microseconds as iputils prints them in the summary: "%ld.%03ld". */
function usText(us: bigint): string {
  return `${us / 1000n}.${String(us % 1000n).padStart(3, '0')}`;
}

/** Integer square root (floor), as iputils' llsqrt. */
function isqrt(v: bigint): bigint {
  if (v <= 0n) return 0n;
  let x = BigInt(Math.floor(Math.sqrt(Number(v))));
  while (x * x > v) x--;
  while ((x + 1n) * (x + 1n) <= v) x++;
  return x;
}
