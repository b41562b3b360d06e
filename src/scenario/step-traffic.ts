/**
 * The traffic steps, `ping` and `udp`: send, let the network settle, print what happened, and check what the
 * step expects of the packets (path, who saw them, drops, ICMP errors) from what was recorded.
 */
import { formatIpv4, type Ipv4 } from '../wire/addr.js';
import { IpNode, icmpName } from '../net/ip-node.js';
import { formatPing, ping, type PingResult } from '../apps/ping.js';
import type { TraceEvent } from '../observe/recorder.js';
import type { FrameSummary } from '../observe/summary.js';
import { resolveTarget, type LabNetwork } from './build.js';
import type { StepContext, StepRunner } from './step-context.js';
import type { Target } from './lab-types.js';

/** What a traffic step found out, for the checks shared by ping and udp. */
interface Sent {
  /** Picks the step's own packets out of the recorded frames. */
  match: (ev: TraceEvent) => boolean;
  /** Where the packet ended up, when it did: the path's last device (a flood's other copies end elsewhere). */
  reached: string | undefined;
}

/** Resolves the destination and watches ICMP at the sender while `body` runs; then runs the shared checks. */
function traffic(
  ctx: StepContext,
  fromName: string,
  to: Target,
  body: (dst: Ipv4, icmpSeen: string[]) => Sent | undefined,
): void {
  const { lab } = ctx;
  const from = lab.ipNodes.get(fromName)!;
  const dst = resolveTarget(lab, to);
  if (dst === undefined) {
    ctx.fail(`target ${JSON.stringify(to)} has no address`);
    return;
  }
  const icmpSeen: string[] = [];
  const off = from.onIcmp((ev) => {
    if (ev.message.kind !== 'echo') icmpSeen.push(icmpName(ev.message.type, ev.message.code));
  });
  let sent: Sent | undefined;
  try {
    sent = body(dst, icmpSeen);
  } finally {
    off();
  }
  if (sent !== undefined) check(ctx, fromName, icmpSeen, sent);
}

function check(ctx: StepContext, from: string, icmpSeen: string[], { match, reached }: Sent): void {
  const { rec, lab, fail } = ctx;
  const e = ctx.step.expect;
  if (e.drop !== undefined && !rec.dropReasons.has(e.drop as never)) {
    const seen = [...rec.dropCounts.keys()];
    fail(`expected a drop with reason ${e.drop}; drops seen: ${seen.length ? seen.join(', ') : 'none'}`);
  }
  if (e.icmp !== undefined && !icmpSeen.includes(e.icmp))
    fail(`expected ICMP "${e.icmp}" at ${from}; got: ${icmpSeen.length ? icmpSeen.join(', ') : 'none'}`);
  const capped =
    rec.omitted > 0
      ? ` (recording capped: ${rec.omitted} events of this step were not kept, the check may be wrong)`
      : '';
  if (e.path !== undefined) {
    const p = dataPath(lab, rec.events.filter(match), reached);
    if (p.join(' ') !== e.path.join(' '))
      fail(`path was ${p.join(' -> ') || '(nothing sent)'}, expected ${e.path.join(' -> ')}${capped}`);
  }
  if (e.seenBy !== undefined) {
    // who had to look at what this step sent: its packets, and the ARP requests broadcast to deliver them
    const seen = seenBy(
      lab,
      rec.events.filter((ev) => match(ev) || (ev.kind === 'frame' && ev.frame.protocol === 'ARP request')),
    );
    const want = [...e.seenBy].sort();
    if (seen.join(',') !== want.join(','))
      fail(`frames were seen by ${seen.join(', ') || 'nobody'}, expected ${want.join(', ')}${capped}`);
  }
}

/** `ping`: ICMP echo requests, checked for replies, loss and the common traffic expectations. */
export const runPing: StepRunner<'ping'> = (ctx, a) =>
  traffic(ctx, a.from, a.to, (dst) => {
    const { lab, fail } = ctx;
    const e = ctx.step.expect;
    let result: PingResult | undefined;
    const opts: Parameters<typeof ping>[2] = { count: a.count };
    if (a.size !== undefined) opts.size = a.size;
    if (a.ttl !== undefined) opts.ttl = a.ttl;
    if (a.df !== undefined) opts.df = a.df;
    if (a.interval !== undefined) opts.interval = a.interval;
    ping(lab.ipNodes.get(a.from)!, dst, opts, (x) => {
      result = x;
    });
    // Run until the network is quiet, not just until the last reply: copies still on a wire (a hub's
    // repeats, a flood) and pending ARP retries belong to this step, not to the next one.
    if (!ctx.settle()) return undefined;
    if (result === undefined) {
      fail('ping did not finish (the network went quiet without an answer)');
      return undefined;
    }
    ctx.result.output = formatPing(result, a.size);
    const loss = Math.round(((result.transmitted - result.received) / result.transmitted) * 100);
    if (e.received !== undefined && result.received !== e.received)
      fail(`received ${result.received} replies, expected ${e.received}`);
    if (e.loss !== undefined && loss !== e.loss) fail(`${loss}% packet loss, expected ${e.loss}%`);
    const d = formatIpv4(dst);
    return {
      match: (ev) =>
        ev.kind === 'frame' && anyLayer(ev.frame, (x) => x.protocol === 'ICMP echo request' && x.dstIp === d),
      reached: result.received > 0 ? [...lab.ipNodes.values()].find((n) => n.isLocal(dst))?.name : undefined,
    };
  });

/** `udp`: datagrams to a port, checked for delivery, the source the receiver saw and the common expectations. */
export const runUdp: StepRunner<'udp'> = (ctx, a) =>
  traffic(ctx, a.from, a.to, (dst, icmpSeen) => {
    const { lab, fail, rec } = ctx;
    const e = ctx.step.expect;
    const stack = lab.udp.get(a.from)!;
    // a node named as target is the receiver, even where tenants overlap addresses
    const target =
      a.listenAt !== undefined
        ? lab.ipNodes.get(a.listenAt.node)
        : 'node' in a.to
          ? lab.ipNodes.get(a.to.node)
          : [...lab.ipNodes.values()].find((n) => n.isLocal(dst));
    const listenPort = a.listenAt?.port ?? a.dstPort;
    const got: { from: Ipv4; data: string; bytes: number }[] = [];
    const recvStack = target === undefined ? undefined : lab.udp.get(target.name);
    const bound = a.listen && recvStack !== undefined && !recvStack.isBound(listenPort);
    if (bound)
      recvStack.bind(listenPort, (d) =>
        got.push({ from: d.src, data: new TextDecoder().decode(d.payload), bytes: d.payload.length }),
      );
    // `size` sends that many bytes of a repeating pattern instead of `data`
    const payload =
      a.size !== undefined
        ? Uint8Array.from({ length: a.size }, (_, i) => 0x61 + (i % 26))
        : new TextEncoder().encode(a.data);
    const errors: string[] = [];
    for (let i = 0; i < a.count; i++) {
      const err = stack.send(a.srcPort, dst, a.dstPort, payload, a.df === undefined ? {} : { df: a.df });
      if (err !== undefined) errors.push(err);
    }
    const settled = ctx.settle();
    if (bound) recvStack.unbind(listenPort);
    if (!settled) return undefined;
    const delivered = got.length > 0;
    const lines = [
      `${a.from} -> ${formatIpv4(dst)}:${a.dstPort} UDP ${a.size !== undefined ? `${a.size} bytes` : JSON.stringify(a.data)} x${a.count}: ${got.length} delivered${target ? ` to ${target.name}` : ''}${got.length ? ` (${got[0]!.bytes} bytes, seen from ${formatIpv4(got[0]!.from)})` : ''}`,
    ];
    for (const err of errors) lines.push(`  send failed: ${err}`);
    for (const x of rec.events)
      if (x.kind === 'drop')
        lines.push(
          `  dropped at ${x.device}${x.port ? `:${x.port}` : ''}: ${x.reason}${x.detail ? ` (${x.detail})` : ''}`,
        );
    for (const m of icmpSeen) lines.push(`  ${a.from} got ICMP ${m}`);
    ctx.result.output = lines.join('\n');
    if (e.receivedFrom !== undefined) {
      const froms = [...new Set(got.map((g) => formatIpv4(g.from)))];
      if (froms.length !== 1 || froms[0] !== formatIpv4(e.receivedFrom))
        fail(
          `the receiver saw the datagram from ${froms.join(', ') || 'nobody'}, expected ${formatIpv4(e.receivedFrom)}`,
        );
    }
    if (e.delivered !== undefined && delivered !== e.delivered)
      fail(
        e.delivered ? 'datagram was not delivered' : `datagram was delivered (${got.length}x), expected it not to be`,
      );
    const sport = a.srcPort;
    const dport = a.dstPort;
    return {
      match: (ev) =>
        ev.kind === 'frame' &&
        anyLayer(ev.frame, (x) => x.protocol === 'UDP' && x.srcPort === sport && x.dstPort === dport),
      reached: delivered ? target?.name : undefined,
    };
  });

/** True when `pred` holds for the frame or any frame it encapsulates. */
function anyLayer(s: FrameSummary, pred: (s: FrameSummary) => boolean): boolean {
  for (let x: FrameSummary | undefined = s; x !== undefined; x = x.inner) if (pred(x)) return true;
  return false;
}

/** Devices in the order they first put the packet on a wire, then the last receiver. */
function dataPath(lab: LabNetwork, frames: TraceEvent[], reached: string | undefined): string[] {
  const out: string[] = [];
  let lastReceiver: string | undefined;
  for (const f of frames) {
    if (f.kind !== 'frame') continue;
    if (!out.includes(f.device)) out.push(f.device);
    lastReceiver = lab.network.device(f.device)?.port(f.outPort)?.peer?.device.name;
  }
  // the node that delivered it, when known; else where the last copy went
  const last = reached ?? lastReceiver;
  if (last !== undefined && !out.includes(last)) out.push(last);
  return out;
}

/** Hosts and routers whose NIC received one of these frames (whether they kept it or dropped it). */
function seenBy(lab: LabNetwork, frames: TraceEvent[]): string[] {
  const s = new Set<string>();
  for (const f of frames) {
    if (f.kind !== 'frame') continue;
    const peer = lab.network.device(f.device)?.port(f.outPort)?.peer?.device;
    if (peer instanceof IpNode) s.add(peer.name);
  }
  return [...s].sort();
}
