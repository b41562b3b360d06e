/**
 * ping: ICMP echo requests at an interval, replies matched by identifier and sequence, and the summary
 * iputils prints ("3 packets transmitted, 3 received, 0% packet loss", "rtt min/avg/max/mdev").
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
  /** ns to wait for the last reply or error (iputils lingers up to 10 s; 2 s covers ARP giving up after 3 tries). */
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
  rtts: number[];
}

/** The default options. */
export const DEFAULT_PING: PingOptions = {
  count: 3,
  interval: 1_000_000_000,
  size: 56,
  ttl: 64,
  timeout: 2_000_000_000,
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
  const r: PingResult = { dst, addr, transmitted: 0, received: 0, errors: 0, lines: [], rtts: [] };
  let finished = false;
  let deadline: Timer | undefined;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    deadline?.cancel();
    off();
    done(r);
  };
  const off = node.onIcmp((ev: IcmpEvent) => {
    const m = ev.message;
    if (m.kind === 'echo' && m.type === ICMP_ECHO_REPLY && m.id === ident && ev.src === addr) {
      const t0 = sentAt.get(m.seq);
      if (t0 === undefined) return;
      sentAt.delete(m.seq);
      r.received++;
      const rtt = ev.time - t0;
      r.rtts.push(rtt);
      r.lines.push({ seq: m.seq, kind: 'reply', from: ev.src, rttNs: rtt, ttl: ev.ttl, bytes: ev.ipLength - 20 });
      if (r.received + r.errors === o.count && r.transmitted === o.count) finish();
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
      sentAt.delete(qseq);
      r.errors++;
      const text =
        m.kind === 'unreachable' && m.code === 4
          ? `Frag needed and DF set (mtu = ${m.nextHopMtu})`
          : icmpTitle(m.type, m.code);
      r.lines.push({ seq: qseq, kind: 'error', from: ev.src, error: text });
      if (r.received + r.errors === o.count && r.transmitted === o.count) finish();
    }
  });
  // iputils fills the data with its index (0x00, 0x01, ...) and, when 16 bytes fit, puts the send time
  // there as a struct timeval (tv_sec, tv_usec: two little-endian 64-bit words on 64-bit Linux);
  // checked against iputils' packets by podnet verify
  const pattern = Uint8Array.from({ length: o.size }, (_, i) => i & 0xff);
  const sendOne = (seq: number): void => {
    const data = pattern.slice();
    if (data.length >= TIMEVAL_LEN) {
      const v = new DataView(data.buffer);
      const us = Math.floor(node.engine.now / 1000);
      v.setBigUint64(0, BigInt(Math.floor(us / 1e6)), true);
      v.setBigUint64(8, BigInt(us % 1e6), true);
    }
    const msg: IcmpMessage = { kind: 'echo', type: ICMP_ECHO_REQUEST, code: 0, id: ident, seq, data };
    r.transmitted++;
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
                    : 'ping: local error: message too long',
      });
    }
    if (seq < o.count) node.engine.schedule(o.interval, () => sendOne(seq + 1));
    else deadline = node.engine.timer(o.timeout, finish);
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

/** The lines iputils ping prints for `r`. */
export function formatPing(r: PingResult, size = DEFAULT_PING.size): string {
  const dst = formatIpv4(r.dst);
  const out = [`PING ${dst} (${formatIpv4(r.addr)}) ${size}(${size + 28}) bytes of data.`];
  for (const l of r.lines) {
    if (l.kind === 'reply')
      out.push(
        `${l.bytes} bytes from ${formatIpv4(l.from)}: icmp_seq=${l.seq} ttl=${l.ttl} time=${fmtMs(l.rttNs!)} ms`,
      );
    else if (l.kind === 'error') out.push(`From ${formatIpv4(l.from)} icmp_seq=${l.seq} ${l.error}`);
    else out.push(l.error!);
  }
  // iputils prints the loss with %g: 66.6667%, 25%
  const loss = r.transmitted === 0 ? 0 : Number((((r.transmitted - r.received) / r.transmitted) * 100).toPrecision(6));
  out.push('', `--- ${dst} ping statistics ---`);
  out.push(
    `${r.transmitted} packets transmitted, ${r.received} received${r.errors ? `, +${r.errors} errors` : ''}, ${loss}% packet loss`,
  );
  if (r.rtts.length > 0) {
    // iputils (ping_common.c, finish): integer microseconds; tsum and tsum2 divided by n, mdev = llsqrt(tsum2 - tsum^2)
    const us = r.rtts.map((x) => BigInt(Math.floor(x / 1000)));
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
    tsum /= n;
    tsum2 /= n;
    const mdev = isqrt(tsum2 - tsum * tsum);
    out.push(`rtt min/avg/max/mdev = ${usText(min)}/${usText(tsum)}/${usText(max)}/${usText(mdev)} ms`);
  }
  return out.join('\n');
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
