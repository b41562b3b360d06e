/**
 * The demo's second act: Services. On a cluster that has been up a minute (probes passed, so Services have
 * endpoints), an outside client curls a node's address, which ServiceLB advertises as the traefik
 * LoadBalancer's address: kube-proxy's "loadbalancer IP" rule DNATs it to the traefik pod and masquerades it,
 * then Traefik opens its own connection to a whoami pod, across VXLAN when that pod is on the other node. Then, from a pod, cluster DNS and a Service by name. This file owns the act's narration; the
 * data path is the cluster's (runtime.ts) and the tables are observe's.
 */
import { formatIpv4, type Ipv4 } from '../wire/addr.js';
import { parseEthernet } from '../wire/ethernet.js';
import { parseIpv4 } from '../wire/ipv4.js';
import { parseUdp } from '../wire/udp.js';
import { readName } from '../wire/dns-name.js';
import { dnsTypeName } from '../wire/dns-rr.js';
import type { CommandResult } from '../apps/shell.js';
import { CLUSTER_UP_NS, bringUp, type ClusterRuntime } from '../cluster/runtime.js';
import { runOnMachine, type ClusterMachine } from '../scenario/cluster-shell.js';
import { TraceRecorder, type TraceEvent } from '../observe/recorder.js';
import type { FrameSummary } from '../observe/summary.js';
import { formatHopTable } from '../observe/table.js';

/** One command of the act, as run and as printed. */
export interface Act2Command {
  /** Where it ran: a pod id or a machine name. */
  on: string;
  argv: string[];
  status: number;
  stdout: string;
}

/** What act 2 found, for --json and tests. */
export interface Act2Result {
  ok: boolean;
  commands: Act2Command[];
  /** The address rewrites seen on the way, in order: the netfilter NAT decisions, as the trace names them. */
  rewrites: string[];
  /** Every event recorded while the act's commands ran. */
  events: TraceEvent[];
}

/** How long one command may take, in simulated time (curl's and dig's own timeouts are shorter). */
const COMMAND_LIMIT_NS = 30_000_000_000;

/** Runs `argv` on `where` under `rec`, driving the engine until it is done. */
function traced(c: ClusterRuntime, where: ClusterMachine, argv: string[], rec: TraceRecorder): CommandResult {
  let r: CommandResult | undefined;
  c.network.tracer = rec;
  runOnMachine(where, argv, (x) => (r = x));
  const until = c.engine.now + COMMAND_LIMIT_NS;
  while (r === undefined && c.engine.now < until) c.engine.runFor(100_000_000);
  // let the connection close and the last ACKs land, so the trace and pcaps hold the whole exchange
  c.engine.runFor(100_000_000);
  c.network.tracer = undefined;
  return r ?? { status: 124, stdout: `${argv[0] ?? ''}: no answer within ${COMMAND_LIMIT_NS / 1e9} s` };
}

/** The innermost headers of a frame (the pod's packet inside VXLAN). */
function innermost(f: FrameSummary): FrameSummary {
  return f.inner === undefined ? f : innermost(f.inner);
}

/** A NAT decision note (DNAT, SNAT, MASQUERADE in a nat table). */
function isNatNote(e: TraceEvent): boolean {
  return e.kind === 'note' && e.message.startsWith('iptables -t nat ');
}

/**
 * The hops worth a person's reading: every frame of a connection's SYN and SYN-ACK (NAT is decided on the
 * first packet; the others follow the same conntrack entry), with the NAT decisions that led to them. ARP,
 * bridge and routing lines are left out; `podnet trace` and --verbose runs show them.
 */
export function handshakeHops(events: readonly TraceEvent[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const e of events) {
    if (e.kind === 'drop' || isNatNote(e)) out.push(e);
    else if (e.kind === 'frame') {
      const inner = innermost(e.frame);
      if (inner.protocol === 'TCP' && /^\[S\.?\]/.test(inner.info)) out.push(e);
    }
  }
  return out;
}

/** The NAT notes, as "device: decision". */
function natRewrites(events: readonly TraceEvent[]): string[] {
  return events.flatMap((e) => (e.kind === 'note' && isNatNote(e) ? [`${e.device}: ${e.message}`] : []));
}

/** RFC 1035 4.1.1: the question section follows the 12-byte header. */
const DNS_HEADER_LEN = 12;

/** The question of a DNS query in an Ethernet frame from `src` to port 53 ("web.default.svc.cluster.local A"). */
function dnsQuestion(bytes: Uint8Array, src: Ipv4): string | undefined {
  const eth = parseEthernet(bytes);
  if (!eth.ok) return undefined;
  const ip = parseIpv4(eth.value.payload);
  if (!ip.ok || ip.value.header.src !== src) return undefined;
  const udp = parseUdp(ip.value.payload);
  if (!udp.ok || udp.value.dstPort !== 53) return undefined;
  const msg = udp.value.payload;
  const name = readName(msg, DNS_HEADER_LEN);
  if (!name.ok || msg.length < name.value.end + 2) return undefined;
  return `${name.value.name} ${dnsTypeName((msg[name.value.end]! << 8) | msg[name.value.end + 1]!)}`;
}

/** The DNS questions a machine at `src` sent, in order (its resolver's walk of the search list). */
function dnsQuestions(events: readonly TraceEvent[], src: Ipv4): string[] {
  return events.flatMap((e) => {
    if (e.kind !== 'frame' || e.inPort !== undefined || e.bytes === undefined) return [];
    const q = dnsQuestion(e.bytes, src);
    return q === undefined ? [] : [q];
  });
}

/** Runs act 2 on a built cluster (it brings it up first) and returns its text and results. */
export function runAct2(c: ClusterRuntime, explain: boolean): { lines: string[]; result: Act2Result } {
  bringUp(c);
  const lines: string[] = [];
  const commands: Act2Command[] = [];
  const events: TraceEvent[] = [];
  const rewrites: string[] = [];
  let ok = true;
  const run = (on: string, where: ClusterMachine, argv: string[], rec = new TraceRecorder()): CommandResult => {
    const r = traced(c, where, argv, rec);
    commands.push({ on, argv, status: r.status, stdout: r.stdout });
    events.push(...rec.events);
    rewrites.push(...natRewrites(rec.events));
    if (r.status !== 0) ok = false;
    return r;
  };
  lines.push(
    `Act 2: Services, on the cluster ${CLUSTER_UP_NS / 1e9} s after it came up (readiness probes have passed, so Services have endpoints)`,
  );
  const [laptopName, laptop] = [...c.outside.entries()][0] ?? [];
  const node = [...c.nodes.values()][0];
  if (laptop === undefined || laptopName === undefined || node === undefined) {
    lines.push('', 'no outside client (spec.outsideClients) to curl the cluster from: act 2 needs one');
    return { lines, result: { ok: false, commands, rewrites, events } };
  }
  const url = `http://${formatIpv4(node.ip)}/`;
  for (const round of [1, 2]) {
    const rec = new TraceRecorder();
    const argv = ['curl', '-s', url];
    lines.push(
      '',
      round === 1
        ? `${laptopName}$ ${argv.join(' ')}     (outside the cluster, to node ${node.name}'s address)`
        : `${laptopName}$ ${argv.join(' ')}     (again: Traefik takes the next whoami pod, round robin)`,
    );
    const r = run(laptopName, laptop, argv, rec);
    lines.push(r.stdout.trimEnd());
    const hops = handshakeHops(rec.events);
    const frames = rec.events.filter((e) => e.kind === 'frame').length;
    lines.push(
      '',
      `each connection's SYN and SYN-ACK, hop by hop, with every address rewrite (${hops.filter((e) => e.kind === 'frame').length} of ${frames} frames; the rest follow the same conntrack entries):`,
      '',
      formatHopTable(hops, { explain }),
    );
  }
  lines.push(
    '',
    'Why the whoami page shows what it shows:',
    `  - ServiceLB advertises each node with a ready svclb-traefik pod as the Service's load-balancer address, and kube-proxy`,
    `    writes a "loadbalancer IP" rule for each in KUBE-SERVICES, which PREROUTING runs before the svclb pod's hostPort: on`,
    `    ${node.name}, kube-proxy DNATs ${formatIpv4(node.ip)}:80 straight to the traefik pod and marks it for MASQUERADE`,
    "    (externalTrafficPolicy Cluster), so it reaches Traefik from the node's cni0 address: X-Forwarded-For and X-Real-Ip",
    `    carry that, and ${laptopName}'s address is lost. The svclb pod holds hostPort 80 but sees only traffic to node addresses`,
    '    ServiceLB does not advertise (k3s discussion #9927).',
    "  - Traefik opens its own connection to a whoami pod's IP (not the whoami ClusterIP), so RemoteAddr is the traefik pod.",
    '  - externalTrafficPolicy: Local on the traefik Service keeps the client address (KUBE-SVL: no masquerade); ServiceLB then',
    '    advertises only nodes with a ready traefik pod, and a node without one drops.',
  );
  // (b) from a pod: cluster DNS through the kube-dns ClusterIP, and a Service by its short name
  const pod =
    c.pods.get('default/client') ?? [...c.pods.values()].find((p) => p.namespace === 'default' && !p.hostNetwork);
  const svc = c.plan.services.find((s) => s.namespace === 'default' && s.name === 'web');
  if (pod === undefined || svc === undefined) {
    lines.push('', 'no pod in default and no Service "web" to look up from a pod: that part is skipped');
    return { lines, result: { ok, commands, rewrites, events } };
  }
  const fqdn = `${svc.name}.${svc.namespace}.svc.cluster.local`;
  const digRec = new TraceRecorder();
  const dig = run(pod.id, pod, ['dig', fqdn], digRec);
  lines.push(
    '',
    `${pod.name}$ dig ${fqdn}`,
    dig.stdout.trimEnd(),
    '',
    'on the way (kube-proxy sends the query to the coredns pod):',
  );
  lines.push(...natRewrites(digRec.events).map((n) => `  ${n}`));
  const curlRec = new TraceRecorder({ keepBytes: true });
  const curl = run(pod.id, pod, ['curl', '-s', `http://${svc.name}`], curlRec);
  lines.push('', `${pod.name}$ curl -s http://${svc.name}`, curl.stdout.trimEnd(), '');
  // resolv.conf's ndots:5: a name with fewer dots is tried with each search domain before as it is
  lines.push(
    `the resolver's questions (ndots:5: "${svc.name}" is tried with the search domains first, in order, each for A and AAAA at once, as glibc's getaddrinfo asks):`,
  );
  lines.push(...dnsQuestions(curlRec.events, pod.ip).map((q) => `  ${q}`));
  lines.push('and the rewrites on the way (kube-proxy: the query to the coredns pod, the connection to a web pod):');
  lines.push(...natRewrites(curlRec.events).map((n) => `  ${n}`));
  return { lines, result: { ok, commands, rewrites, events } };
}
