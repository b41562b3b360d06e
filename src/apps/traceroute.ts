/**
 * traceroute, as Linux's traceroute 2.1 does it by default: UDP probes to ports 33434 and up, three per
 * hop, the TTL rising from 1 until the destination answers "port unreachable" or 30 hops pass. Each probe
 * waits up to 5 s. Output in the tool's own layout.
 */
import { formatIpv4, type Ipv4 } from '../wire/addr.js';
import { ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED } from '../wire/icmp.js';
import { IPPROTO_UDP } from '../wire/ipv4.js';
import type { IcmpEvent, IpNode } from '../net/ip-node.js';
import type { UdpStack } from '../transport/udp.js';

/** Options as `traceroute -m MAX -q N -w WAIT -p PORT`. */
export interface TracerouteOptions {
  maxHops: number;
  queries: number;
  /** ns to wait for each probe. */
  wait: number;
  /** First destination port (increases by one per probe). */
  port: number;
  /** Total packet size (traceroute's default: 60 bytes). */
  packetLen: number;
}

/** traceroute's defaults. */
export const DEFAULT_TRACEROUTE: TracerouteOptions = {
  maxHops: 30,
  queries: 3,
  wait: 5_000_000_000,
  port: 33434,
  packetLen: 60,
};

/** One probe's answer. */
export interface Probe {
  from?: Ipv4;
  rttNs?: number;
  /** traceroute's annotation: !H, !N, !P, !F-<mtu>, or '' for a plain answer. */
  note: string;
}

/** One line: a hop and its probes. */
export interface Hop {
  ttl: number;
  probes: Probe[];
}

/** A finished traceroute. */
export interface TracerouteResult {
  dst: Ipv4;
  hops: Hop[];
  reached: boolean;
}

/** Runs traceroute from `node` (with its UDP stack) to `dst`; `done` gets the result. */
export function traceroute(
  node: IpNode,
  udp: UdpStack,
  dst: Ipv4,
  options: Partial<TracerouteOptions>,
  done: (r: TracerouteResult) => void,
): void {
  const o = { ...DEFAULT_TRACEROUTE, ...options };
  const r: TracerouteResult = { dst, hops: [], reached: false };
  // traceroute 2.1 opens a new socket per probe, so each probe has its own ephemeral source port (seen
  // against the real tool by podnet verify); its data is 0x40, 0x41, ... ('@', 'A', ...)
  let srcPort = 0;
  const data = Uint8Array.from({ length: Math.max(0, o.packetLen - 28) }, (_, i) => 0x40 + (i & 0x3f));
  let port = o.port;
  let pending: { port: number; sent: number; resolve: (p: Probe) => void } | undefined;
  const off = node.onIcmp((ev: IcmpEvent) => {
    if (pending === undefined) return;
    const m = ev.message;
    if (m.kind !== 'unreachable' && m.kind !== 'time-exceeded') return;
    const q = m.original;
    if (q.length < 28 || q[9] !== IPPROTO_UDP) return;
    const ihl = (q[0]! & 0x0f) * 4;
    if (q.length < ihl + 4) return;
    const qSport = (q[ihl]! << 8) | q[ihl + 1]!;
    const qDport = (q[ihl + 2]! << 8) | q[ihl + 3]!;
    if (qSport !== srcPort || qDport !== pending.port) return;
    let note = '';
    if (m.type === ICMP_DEST_UNREACH) {
      note =
        m.code === 3
          ? ''
          : m.code === 1
            ? '!H'
            : m.code === 0
              ? '!N'
              : m.code === 2
                ? '!P'
                : m.code === 4
                  ? `!F-${m.nextHopMtu}`
                  : m.code === 13
                    ? '!X'
                    : `!<${m.code}>`;
    } else if (m.type !== ICMP_TIME_EXCEEDED) return;
    const p = pending;
    pending = undefined;
    p.resolve({
      from: ev.src,
      rttNs: ev.time - p.sent,
      note: m.type === ICMP_DEST_UNREACH && m.code === 3 ? '' : note,
    });
    if (m.type === ICMP_DEST_UNREACH) lastWasFinal = true;
  });
  let lastWasFinal = false;
  const finish = (): void => {
    off();
    if (srcPort !== 0) udp.unbind(srcPort);
    done(r);
  };
  const probe = (ttl: number, k: number, hop: Hop): void => {
    if (k === o.queries) {
      r.hops.push(hop);
      const answered = hop.probes.some((p) => p.from !== undefined);
      if (lastWasFinal && answered) {
        r.reached = hop.probes.some((p) => p.from === dst);
        finish();
        return;
      }
      if (ttl >= o.maxHops) {
        finish();
        return;
      }
      lastWasFinal = false;
      probe(ttl + 1, 0, { ttl: ttl + 1, probes: [] });
      return;
    }
    const thisPort = port++;
    let settled = false;
    const resolve = (p: Probe): void => {
      if (settled) return;
      settled = true;
      hop.probes.push(p);
      node.engine.schedule(0, () => probe(ttl, k + 1, hop));
    };
    pending = { port: thisPort, sent: node.engine.now, resolve };
    if (srcPort !== 0) udp.unbind(srcPort);
    srcPort = udp.bind(0, () => {});
    const err = udp.send(srcPort, dst, thisPort, data, { ttl, df: false });
    if (err !== undefined) {
      pending = undefined;
      resolve({ note: err === 'no-route' ? '!N' : '!X' });
      return;
    }
    const wait = node.engine.timer(o.wait, () => {
      if (pending?.port === thisPort) pending = undefined;
      resolve({ note: '' });
    });
    // an answer ends the wait: the clock need not run on to the timeout
    const answered = pending.resolve;
    pending.resolve = (p) => {
      wait.cancel();
      answered(p);
    };
  };
  probe(1, 0, { ttl: 1, probes: [] });
}

/**
 * The text traceroute prints. Without -n the tool prints "name (address)"; with no reverse DNS here the
 * name is the address, exactly as traceroute shows an address that has no PTR record.
 */
export function formatTraceroute(r: TracerouteResult, o: Partial<TracerouteOptions> = {}, numeric = false): string {
  const opts = { ...DEFAULT_TRACEROUTE, ...o };
  const d = formatIpv4(r.dst);
  const out = [`traceroute to ${d} (${d}), ${opts.maxHops} hops max, ${opts.packetLen} byte packets`];
  for (const h of r.hops) {
    let line = `${String(h.ttl).padStart(2)} `;
    let last: Ipv4 | undefined;
    for (const p of h.probes) {
      if (p.from === undefined) {
        line += ' *';
        continue;
      }
      if (p.from !== last)
        line += numeric ? ` ${formatIpv4(p.from)}` : ` ${formatIpv4(p.from)} (${formatIpv4(p.from)})`;
      last = p.from;
      line += `  ${((p.rttNs ?? 0) / 1e6).toFixed(3)} ms${p.note ? ` ${p.note}` : ''}`;
    }
    out.push(line);
  }
  return out.join('\n');
}
