/**
 * Runs a lab's steps in order on one network, checking each step's expectations. Every step is recorded
 * (frames, decisions, drops) so that a failed expectation can say what happened instead, and so the CLI
 * can print the per-hop table of any step.
 */
import { formatIpv4, formatMac, type Ipv4 } from '../wire/addr.js';
import { IpNode, icmpName } from '../net/ip-node.js';
import { Switch } from '../link/switch.js';
import type { Device, Port } from '../link/device.js';
import type { StpBridge } from '../link/stp.js';
import { formatShowStp, stpPortRows } from '../link/stp-view.js';
import { BridgeDev } from '../net/bridge.js';
import { formatBridgeId } from '../wire/stp.js';
import { VxlanDev } from '../net/vxlan.js';
import { bridgeFdb, ipNeigh, ipRoute } from '../net/views.js';
import { formatIptablesSave } from '../net/netfilter/rules.js';
import { formatConn } from '../net/netfilter/conntrack.js';
import { formatPing, ping, type PingResult } from '../apps/ping.js';
import { Shell, literalOr, type CommandResult, type ShellContext } from '../apps/shell.js';
import { registerHttpCommands } from '../apps/http/commands.js';
import { TraceRecorder, type TraceEvent } from '../observe/recorder.js';
import type { FrameSummary } from '../observe/summary.js';
import { renderTable } from '../observe/table.js';
import { buildLab, resolveTarget, type LabNetwork } from './build.js';
import type { LabSpec, StepSpec } from './lab.js';

/** The outcome of one step. */
export interface StepResult {
  name: string;
  ok: boolean;
  /** What the step printed (ping output, a table, a delivery line). */
  output: string;
  /** One line per failed expectation. */
  failures: string[];
  /** Everything devices reported during the step. */
  events: TraceEvent[];
  /** file:line of the step, for messages. */
  where: string;
}

/** The outcome of a lab run. */
export interface LabRunResult {
  lab: LabNetwork;
  steps: StepResult[];
  ok: boolean;
}

/** Limit of simulated time one step may take (ARP gives up after 3 s; ping waits 1 s). */
const STEP_LIMIT_NS = 60_000_000_000;

/** Builds `spec` and runs its steps. `prepare` runs after building, before the first step (pcap taps). */
export function runLab(spec: LabSpec, opts: { seed?: number; prepare?: (lab: LabNetwork) => void } = {}): LabRunResult {
  const lab = buildLab(spec, opts.seed);
  opts.prepare?.(lab);
  const steps = spec.steps.map((s) => runStep(lab, s));
  return { lab, steps, ok: steps.every((s) => s.ok) };
}

/** Runs one step on a built lab. */
export function runStep(lab: LabNetwork, step: StepSpec): StepResult {
  const rec = new TraceRecorder();
  const prev = lab.network.tracer;
  lab.network.tracer = prev === undefined ? rec : tee(prev, rec);
  const pos = lab.spec.doc.locate(step.path);
  const r: StepResult = {
    name: step.name,
    ok: true,
    output: '',
    failures: [],
    events: rec.events,
    where: `${lab.spec.file}:${pos.line}`,
  };
  try {
    execute(lab, step, r, rec);
  } finally {
    lab.network.tracer = prev;
  }
  r.ok = r.failures.length === 0;
  return r;
}

function tee(
  a: NonNullable<LabNetwork['network']['tracer']>,
  b: TraceRecorder,
): NonNullable<LabNetwork['network']['tracer']> {
  return {
    frame: (...x) => (a.frame?.(...x), b.frame(...x)),
    note: (...x) => (a.note?.(...x), b.note(...x)),
    drop: (...x) => (a.drop?.(...x), b.drop(...x)),
  };
}

function execute(lab: LabNetwork, step: StepSpec, r: StepResult, rec: TraceRecorder): void {
  const a = step.action;
  const e = step.expect;
  const fail = (m: string): void => {
    r.failures.push(m);
  };
  const { engine } = lab;
  if (a.kind === 'wait') {
    engine.run(engine.now + a.duration);
    r.output = `waited ${a.duration / 1e9}s (now ${engine.now / 1e9}s)`;
    return;
  }
  if (a.kind === 'show') {
    r.output = show(lab, a.what, a.node);
    if (a.what === 'mac-table') {
      const rows = lab.switches.get(a.node)!.macTable();
      if (e.macTableSize !== undefined && rows.length !== e.macTableSize)
        fail(`MAC table of ${a.node} has ${rows.length} entries, expected ${e.macTableSize}`);
      for (const want of e.macTable ?? []) {
        const row = rows.find((x) => x.mac === want.mac && (want.vlan === undefined || x.vlan === want.vlan));
        if (row === undefined)
          fail(
            `MAC table of ${a.node} has no entry for ${formatMac(want.mac)}${want.vlan ? ` in VLAN ${want.vlan}` : ''}`,
          );
        else if (want.port !== undefined && row.port !== want.port)
          fail(`MAC table of ${a.node}: ${formatMac(want.mac)} is on ${row.port}, expected ${want.port}`);
      }
    }
    return;
  }
  if (a.kind === 'unlink') {
    const port = lab.network.device(a.node)!.port(a.port);
    const peer = port?.peer;
    if (port === undefined || peer === undefined) {
      fail(`${a.node}:${a.port} is not linked`);
      return;
    }
    lab.network.disconnect(port);
    r.output = `unplugged ${port.id} from ${peer.id}`;
    return;
  }
  if (a.kind === 'link') {
    const pa = portFor(lab, a.a.node, a.a.port);
    const pb = portFor(lab, a.b.node, a.b.port);
    if (pa.link !== undefined || pb.link !== undefined) {
      fail(`${pa.link ? pa.id : pb.id} is already linked`);
      return;
    }
    lab.network.connect(pa, pb, lab.spec.linkDefaults);
    r.output = `plugged ${pa.id} into ${pb.id}`;
    return;
  }
  if (a.kind === 'fdb') {
    const dev = lab.ipNodes.get(a.node)!.dev(a.dev);
    if (!(dev instanceof VxlanDev)) {
      fail(`${a.node} has no vxlan device ${a.dev}`);
      return;
    }
    dev.setFdb(a.mac, a.remote);
    r.output = `bridge fdb replace ${formatMac(a.mac)} dev ${a.dev} dst ${formatIpv4(a.remote)} (on ${a.node})`;
    return;
  }
  if (a.kind === 'exec') {
    let result: CommandResult | undefined;
    execCommand(lab, a.node, a.argv, (x) => {
      result = x;
    });
    engine.runUntilIdle(STEP_LIMIT_NS);
    if (result === undefined) {
      fail(`${a.argv.join(' ')} did not finish within 60 s of simulated time`);
      return;
    }
    r.output = `${a.node}$ ${a.argv.join(' ')}\n${result.stdout}`;
    if (e.status !== undefined && result.status !== e.status)
      fail(`exit status ${result.status}, expected ${e.status}`);
    for (const t of e.contains ?? [])
      if (!result.stdout.includes(t)) fail(`output does not contain ${JSON.stringify(t)}`);
    for (const re of e.matches ?? []) if (!re.test(result.stdout)) fail(`output does not match /${re.source}/`);
    return;
  }
  const from = lab.ipNodes.get(a.from)!;
  const dst = resolveTarget(lab, a.to);
  if (dst === undefined) {
    fail(`target ${JSON.stringify(a.to)} has no address`);
    return;
  }
  const icmpSeen: string[] = [];
  const off = from.onIcmp((ev) => {
    if (ev.message.kind !== 'echo') icmpSeen.push(icmpName(ev.message.type, ev.message.code));
  });
  let match: (ev: TraceEvent) => boolean;
  /** Where the packet ended up, when it did: the path's last device (a flood's other copies end elsewhere). */
  let reached: string | undefined;
  try {
    if (a.kind === 'ping') {
      let result: PingResult | undefined;
      const opts: Parameters<typeof ping>[2] = { count: a.count };
      if (a.size !== undefined) opts.size = a.size;
      if (a.ttl !== undefined) opts.ttl = a.ttl;
      if (a.df !== undefined) opts.df = a.df;
      if (a.interval !== undefined) opts.interval = a.interval;
      ping(from, dst, opts, (x) => {
        result = x;
      });
      // Run until the network is quiet, not just until the last reply: copies still on a wire (a hub's
      // repeats, a flood) and pending ARP retries belong to this step, not to the next one.
      engine.runUntilIdle(STEP_LIMIT_NS);
      if (result === undefined) {
        fail('ping did not finish within 60 s of simulated time');
        return;
      }
      r.output = formatPing(result, a.size);
      const loss = Math.round(((result.transmitted - result.received) / result.transmitted) * 100);
      if (e.received !== undefined && result.received !== e.received)
        fail(`received ${result.received} replies, expected ${e.received}`);
      if (e.loss !== undefined && loss !== e.loss) fail(`${loss}% packet loss, expected ${e.loss}%`);
      const d = formatIpv4(dst);
      match = (ev) =>
        ev.kind === 'frame' && anyLayer(ev.frame, (x) => x.protocol === 'ICMP echo request' && x.dstIp === d);
      if (result.received > 0) reached = [...lab.ipNodes.values()].find((n) => n.isLocal(dst))?.name;
    } else {
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
      engine.runUntilIdle(STEP_LIMIT_NS);
      if (bound) recvStack.unbind(listenPort);
      const delivered = got.length > 0;
      if (delivered) reached = target?.name;
      const lines = [
        `${a.from} -> ${formatIpv4(dst)}:${a.dstPort} UDP ${a.size !== undefined ? `${a.size} bytes` : JSON.stringify(a.data)} x${a.count}: ${got.length} delivered${target ? ` to ${target.name}` : ''}${got.length ? ` (${got[0]!.bytes} bytes, seen from ${formatIpv4(got[0]!.from)})` : ''}`,
      ];
      for (const err of errors) lines.push(`  send failed: ${err}`);
      const drops = rec.events.filter((x) => x.kind === 'drop');
      for (const x of drops)
        if (x.kind === 'drop')
          lines.push(
            `  dropped at ${x.device}${x.port ? `:${x.port}` : ''}: ${x.reason}${x.detail ? ` (${x.detail})` : ''}`,
          );
      for (const m of icmpSeen) lines.push(`  ${a.from} got ICMP ${m}`);
      r.output = lines.join('\n');
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
      match = (ev) =>
        ev.kind === 'frame' &&
        anyLayer(ev.frame, (x) => x.protocol === 'UDP' && x.srcPort === sport && x.dstPort === dport);
    }
  } finally {
    off();
  }
  if (e.drop !== undefined && !rec.events.some((x) => x.kind === 'drop' && x.reason === e.drop)) {
    const seen = rec.events.flatMap((x) => (x.kind === 'drop' ? [`${x.device}: ${x.reason}`] : []));
    fail(`expected a drop with reason ${e.drop}; drops seen: ${seen.length ? seen.join(', ') : 'none'}`);
  }
  if (e.icmp !== undefined && !icmpSeen.includes(e.icmp))
    fail(`expected ICMP "${e.icmp}" at ${a.from}; got: ${icmpSeen.length ? icmpSeen.join(', ') : 'none'}`);
  if (e.path !== undefined) {
    const p = dataPath(lab, rec.events.filter(match), reached);
    if (p.join(' ') !== e.path.join(' '))
      fail(`path was ${p.join(' -> ') || '(nothing sent)'}, expected ${e.path.join(' -> ')}`);
  }
  if (e.seenBy !== undefined) {
    // who had to look at what this step sent: its packets, and the ARP requests broadcast to deliver them
    const seen = seenBy(
      lab,
      rec.events.filter((ev) => match(ev) || (ev.kind === 'frame' && ev.frame.protocol === 'ARP request')),
    );
    const want = [...e.seenBy].sort();
    if (seen.join(',') !== want.join(','))
      fail(`frames were seen by ${seen.join(', ') || 'nobody'}, expected ${want.join(', ')}`);
  }
}

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

function portFor(lab: LabNetwork, node: string, name: string): Port {
  const d = lab.network.device(node)!;
  return d.port(name) ?? (d instanceof Switch ? d.addSwitchPort(name) : d.addPort(name));
}

/** Renders `show` views: MAC table, routes (ip route), ARP cache (ip neigh), FDBs (bridge fdb), conntrack -L, iptables-save -c. */
export function show(
  lab: LabNetwork,
  what: 'mac-table' | 'routes' | 'arp' | 'fdb' | 'conntrack' | 'iptables' | 'stp',
  node: string,
): string {
  const d = lab.network.device(node);
  if ((what === 'conntrack' || what === 'iptables') && d instanceof IpNode) {
    const nf = d.netfilter;
    if (nf === undefined) return `${node}: netfilter is not enabled (no iptables rules)`;
    if (what === 'iptables') return `iptables-save -c (${node}):\n${formatIptablesSave(nf.ruleset)}`;
    const now = lab.engine.now;
    const conns = nf.conntrack.entries(now);
    return `conntrack -L (${node}):\n${conns.map((c) => formatConn(c, now)).join('\n')}\nconntrack v1.4.7 (conntrack-tools): ${conns.length} flow entries have been shown.`;
  }
  if (what === 'fdb' && d instanceof IpNode) return `bridge fdb (${node}):\n${bridgeFdb(d)}`;
  if (what === 'mac-table' && d instanceof Switch) {
    return (
      `MAC table of ${node}:\n` +
      renderTable(
        ['VLAN', 'MAC', 'port', 'age'],
        d.macTable().map((x) => [String(x.vlan), formatMac(x.mac), x.port, `${x.age.toFixed(3)}s`]),
      )
    );
  }
  if (what === 'stp') return showStp(d, node);
  if (what === 'routes' && d instanceof IpNode) return `ip route (${node}):\n${ipRoute(d)}`;
  if (what === 'arp' && d instanceof IpNode) return `ip neigh (${node}):\n${ipNeigh(d)}`;
  return `${node}: nothing to show for ${what}`;
}

const shell = new Shell();
registerHttpCommands(shell);

/** Runs a command line in `ctx` with the lab shell's commands (ping, dig, curl, ...); drive the engine to finish it. */
export function shellRun(ctx: ShellContext, argv: string[], done: (r: CommandResult) => void): void {
  shell.run(ctx, argv, done);
}

/** Port roles and states of a switch's or a node's bridges' spanning tree, then `brctl showstp`. */
function showStp(d: Device | undefined, node: string): string {
  const trees: [string, StpBridge, number][] = [];
  if (d instanceof Switch && d.stp !== undefined) trees.push([node, d.stp, d.agingNs]);
  if (d instanceof IpNode)
    for (const dev of d.devs)
      if (dev instanceof BridgeDev && dev.stp !== undefined) trees.push([dev.name, dev.stp, dev.ageingNs]);
  if (trees.length === 0) return `${node}: STP is not enabled (stp: true)`;
  return trees
    .map(([name, stp, ageing]) => {
      const head = `STP of ${node}${name === node ? '' : ` ${name}`}: ${stp.isRootBridge() ? 'root bridge' : `root ${formatBridgeId(stp.designatedRoot)} cost ${stp.rootPathCost}`}`;
      const table = renderTable(['port', 'role', 'state', 'cost', 'designated bridge', 'dport'], stpPortRows(stp));
      return `${head}\n${table}\n\nbrctl showstp ${name}:\n${formatShowStp(name, stp, ageing)}`;
    })
    .join('\n');
}

/** Runs a command line on a node of the lab (`podnet exec`, `exec` steps); drive the engine to finish it. */
export function execCommand(lab: LabNetwork, node: string, argv: string[], done: (r: CommandResult) => void): void {
  const n = lab.ipNodes.get(node);
  if (n === undefined) {
    done({ status: 2, stdout: `no host or router named ${node}` });
    return;
  }
  const ctx: ShellContext = {
    node: n,
    udp: lab.udp.get(node)!,
    resolve: literalOr((name) => lab.ipNodes.get(name)?.primaryAddress),
  };
  const tcp = lab.tcp.get(node);
  if (tcp !== undefined) ctx.tcp = tcp;
  const rc = lab.resolvConf.get(node);
  if (rc !== undefined) ctx.resolvConf = rc;
  shell.run(ctx, argv, done);
}

/** Re-export for the CLI. */
export type { LabSpec };
