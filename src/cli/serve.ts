/**
 * `podnet serve FILE` and `podnet port-forward FILE TYPE/NAME [LOCAL:]REMOTE...`: a cluster brought up in
 * simulated time (as `podnet get` sees it), then run on the wall clock until SIGINT or SIGTERM, so real
 * programs can talk to it. port-forward does what kubectl port-forward does, with real sockets on loopback
 * (realtime/port-forward.ts) and, per connection, an emulated TCP connection from the pod's node to the pod
 * (the kubelet's side), across the node's cni0 bridge and the pod's veth. Wall-clock runs are not
 * deterministic. This file reads the arguments, builds, prints and waits; the pod and port choice is
 * port-forward-target.ts's.
 */
import { readFileSync } from 'node:fs';
import { loadCluster } from '../scenario/manifests.js';
import { holdsClusterDoc } from '../scenario/cluster-doc.js';
import { formatSpecErrors } from '../scenario/source.js';
import { buildCluster, describePod, type BuildOptions, type ClusterRuntime } from '../cluster/runtime.js';
import type { BgpConnector, BgpListener, BgpTransport } from '../control/bgp/transport.js';
import { OutsidePeerConnector } from '../realtime/bgp-outside-connector.js';
import { attachBgpPeer } from '../realtime/bgp-attach.js';
import { formatWarnings } from '../cluster/cluster-warnings.js';
import { formatIpv4 } from '../wire/addr.js';
import { WallRunner } from '../realtime/wall-runner.js';
import {
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  ListenError,
  PortForwarder,
} from '../realtime/port-forward.js';
import { loadedWarnings } from './demo.js';
import { GET_AFTER_NS } from './get.js';
import { checkPcapTarget, PcapOutput } from './pcap-out.js';
import { parsePortArg, parseResourceArg, resolveTarget, type PortArg } from './port-forward-target.js';
import { parseBgpPeerArg, type BgpPeerArg } from './bgp-peer-flag.js';

/** The usage lines of serve and port-forward, for main's usage text. */
export const SERVE_USAGE = `  podnet serve CLUSTER.yaml [--pcap DIR|FILE.pcapng] [--bgp-peer ADDR[:PORT],as=N]...
                                             bring the cluster up, then run it on the wall clock until
                                             Ctrl-C (SIGINT) or SIGTERM; prints its pods and services.
                                             --bgp-peer: a real BGP speaker (port 179 by default) the
                                             cluster's route reflector or first node peers with over a
                                             real TCP socket (cni: calico)
  podnet port-forward CLUSTER.yaml TYPE/NAME [LOCAL:]REMOTE... [-n NS] [--address IP[,IP]]
              [--max-connections N] [--max-buffer BYTES] [--pcap DIR|FILE.pcapng]
                                             as kubectl port-forward: listen on 127.0.0.1 (default) and
                                             carry each TCP connection to pod/NAME, or to one pod of
                                             svc/NAME or deployment/NAME (a Service port becomes the pod's
                                             targetPort); :REMOTE picks a free local port. TCP only (dig
                                             needs +tcp). At most N connections at once (default ${DEFAULT_MAX_CONNECTIONS}) and
                                             BYTES buffered per connection (default ${DEFAULT_MAX_BUFFERED_BYTES}); more are reset
                                             with a message. The cluster first runs ${GET_AFTER_NS / 1e9} s of simulated
                                             time in fast-forward (probes settle), then follows the wall
                                             clock: such runs are not deterministic (real input arrives
                                             when it does), unlike every other podnet command`;

/** A bad serve/port-forward command line: main prints it with the usage text and exits 2. */
export class ServeUsageError extends Error {}

interface ServeArgs {
  positional: string[];
  namespace: string;
  addresses: string[];
  maxConnections: number;
  maxBuffered: number;
  pcap?: string;
  /** serve's --bgp-peer, in the order given. */
  bgpPeers: BgpPeerArg[];
}

const BYTE_UNITS: Record<string, number> = { '': 1, k: 1024, ki: 1024, m: 2 ** 20, mi: 2 ** 20 };

function parseArgs(args: readonly string[], portForward: boolean): ServeArgs {
  const a: ServeArgs = {
    positional: [],
    namespace: 'default',
    addresses: ['127.0.0.1'],
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    maxBuffered: DEFAULT_MAX_BUFFERED_BYTES,
    bgpPeers: [],
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : args[++i];
      if (v === undefined || v === '') throw new ServeUsageError(`${name} needs a value`);
      return v;
    };
    if (name === '--pcap') a.pcap = value();
    else if (!portForward && name === '--bgp-peer') {
      const peer = parseBgpPeerArg(value());
      if (typeof peer === 'string') throw new ServeUsageError(peer);
      a.bgpPeers.push(peer);
    } else if (portForward && (name === '-n' || name === '--namespace')) a.namespace = value();
    else if (portForward && name === '--address') a.addresses = addressList(value());
    else if (portForward && name === '--max-connections') {
      const v = value();
      if (!/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > 100_000)
        throw new ServeUsageError(`--max-connections must be an integer from 1 to 100000, got ${JSON.stringify(v)}`);
      a.maxConnections = Number(v);
    } else if (portForward && name === '--max-buffer') {
      const v = value();
      const m = /^([0-9]+)([kKmM]i?)?$/.exec(v);
      const bytes = m === null ? NaN : Number(m[1]) * BYTE_UNITS[(m[2] ?? '').toLowerCase()]!;
      if (!(bytes >= 65536 && bytes <= 2 ** 30))
        throw new ServeUsageError(`--max-buffer must be from 64Ki to 1Gi bytes (e.g. 4Mi), got ${JSON.stringify(v)}`);
      a.maxBuffered = bytes;
    } else if (arg.startsWith('-') && arg !== '-') throw new ServeUsageError(`unknown option ${arg}`);
    else a.positional.push(arg);
  }
  return a;
}

/** --address: IPv4 or IPv6 literals, or localhost (127.0.0.1 here: podnet binds IPv4 loopback for it). */
function addressList(v: string): string[] {
  const out: string[] = [];
  for (const raw of v.split(',')) {
    const x = raw.trim();
    const ip = x === 'localhost' ? '127.0.0.1' : x;
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
    const ok =
      v4 !== null ? v4.slice(1).every((o) => Number(o) <= 255) : /^[0-9a-fA-F:.]+$/.test(ip) && ip.includes(':');
    if (!ok) throw new ServeUsageError(`--address takes IP addresses or localhost, got ${JSON.stringify(x)}`);
    if (!out.includes(ip)) out.push(ip);
  }
  return out;
}

/** Reads, validates and builds the cluster, then fast-forwards it as `podnet get` does. */
async function bringUp(
  file: string,
  err: (s: string) => void,
  birdHook?: BuildOptions['birdHook'],
): Promise<ClusterRuntime | number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ServeUsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (!holdsClusterDoc(text)) throw new ServeUsageError(`${file} holds no Cluster document`);
  const loaded = loadCluster([{ file, text }]);
  if (!loaded.ok) {
    err(formatSpecErrors(loaded.errors));
    return 2;
  }
  const warnings = formatWarnings(loadedWarnings(loaded.cluster));
  if (warnings.length > 0) err(['', ...warnings].join('\n'));
  const c = await buildCluster(loaded.cluster.plan, birdHook !== undefined ? { birdHook } : {});
  c.engine.runFor(GET_AFTER_NS);
  return c;
}

/**
 * A node's BIRD connector whose neighbours go over the emulated TCP until `use` gives it the real-socket
 * one (serve builds the cluster before its wall-clock runner exists, and the real sockets need the runner).
 */
class LateConnector implements BgpConnector {
  private outer: BgpConnector | undefined;

  constructor(readonly emulated: BgpConnector) {}

  use(c: BgpConnector): void {
    this.outer = c;
  }

  connect(...args: Parameters<BgpConnector['connect']>): void {
    (this.outer ?? this.emulated).connect(...args);
  }

  listen(port: number, onAccept: (t: BgpTransport) => void): BgpListener {
    return this.emulated.listen(port, onAccept);
  }
}

/** Resolves on the first SIGINT or SIGTERM, naming it; `cancel` removes the handlers without waiting. */
function interrupted(): Promise<string> & { cancel(): void } {
  let cancel = (): void => undefined;
  const p = new Promise<string>((resolve) => {
    const on = (sig: string) => () => {
      cancel();
      resolve(sig);
    };
    const onInt = on('SIGINT');
    const onTerm = on('SIGTERM');
    cancel = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  return Object.assign(p, { cancel });
}

/** --pcap checked before the build, so a bad path fails fast. */
function checkPcapArg(arg: string | undefined): void {
  if (arg === undefined) return;
  const t = checkPcapTarget(arg);
  if (!t.ok) throw new ServeUsageError(t.error);
}

function openPcap(arg: string | undefined): PcapOutput | undefined {
  if (arg === undefined) return undefined;
  const t = checkPcapTarget(arg);
  if (!t.ok) throw new ServeUsageError(t.error);
  const p = PcapOutput.open(t.target);
  if (!p.ok) throw new ServeUsageError(p.error);
  return p.value;
}

function summary(cmd: string, sig: string, runner: WallRunner, c: ClusterRuntime, extra = ''): string {
  return `podnet ${cmd}: ${sig}: stopped after ${(runner.wallElapsedNs / 1e9).toFixed(1)} s on the wall clock (simulated clock at ${(c.engine.now / 1e9).toFixed(1)} s, ${c.engine.eventsRun} events, longest catch-up ${(runner.maxLagNs / 1e6).toFixed(1)} ms)${extra}`;
}

/** `podnet serve` (args after the word serve); returns the exit status. */
export async function cmdServe(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const a = parseArgs(args, false);
  const [file, ...more] = a.positional;
  if (file === undefined || more.length > 0) throw new ServeUsageError('serve takes one cluster file');
  const pcapArg = a.pcap;
  checkPcapArg(pcapArg);
  // --bgp-peer: the route reflector's BIRD (or the first node's) gets the outside peers over real sockets
  let peering: { node: string; connector: LateConnector } | undefined;
  const birdHook: BuildOptions['birdHook'] =
    a.bgpPeers.length === 0
      ? undefined
      : (node, emulated, calico) => {
          // the first route reflector, else the first node to start
          const reflector = calico.firstReflector();
          if (peering !== undefined || (reflector !== undefined && node !== reflector)) return undefined;
          peering = { node, connector: new LateConnector(emulated) };
          return { connector: peering.connector, log: (line) => out(`bgp ${node}: ${line}`) };
        };
  const c = await bringUp(file, err, birdHook);
  if (typeof c === 'number') return c;
  const speaker = peering === undefined ? undefined : c.nodes.get(peering.node)?.calico?.bird;
  if (a.bgpPeers.length > 0 && (peering === undefined || speaker === undefined)) {
    err(
      `podnet serve: --bgp-peer: cluster "${c.plan.cluster.name}" runs no BGP speaker ${c.plan.cluster.cni !== 'calico' ? `(its CNI is ${c.plan.cluster.cni}): peering with an outside router needs cni: calico` : '(its Calico pools use VXLAN, which runs no BIRD)'}`,
    );
    return 2;
  }
  out(`podnet serve: cluster "${c.plan.cluster.name}" from ${file}, on the wall clock (not deterministic)`);
  for (const n of c.nodes.values()) out(`  node ${n.name}: ${formatIpv4(n.ip)}`);
  for (const p of c.pods.values()) {
    const listens = p.containers.statuses.flatMap((s) => s.listening.map((l) => `${l.port}/${l.protocol} ${l.serves}`));
    out(`  pod ${describePod(p)}${p.ready ? '' : ' (not ready)'}${listens.length ? `; ${listens.join(', ')}` : ''}`);
  }
  for (const s of c.plan.services)
    out(
      `  service ${s.namespace}/${s.name}: ${s.clusterIP !== undefined ? formatIpv4(s.clusterIP) : 'None'} ${s.ports.map((p) => `${p.port}/${p.protocol}`).join(', ')}`,
    );
  // handlers first: a signal sent as soon as the line below is read must find them
  const stopped = interrupted();
  const pcap = openPcap(pcapArg);
  pcap?.attach(c.network);
  const runner = new WallRunner(c.engine);
  let outside: OutsidePeerConnector | undefined;
  if (peering !== undefined && speaker !== undefined) {
    const node = c.nodes.get(peering.node)!;
    outside = new OutsidePeerConnector(peering.connector.emulated, runner, {
      localAddress: '127.0.0.1',
      presentAs: node.ip,
      log: (line) => out(line),
    });
    peering.connector.use(outside);
    for (const p of a.bgpPeers) {
      attachBgpPeer(speaker, outside, { address: p.address, port: p.port, asn: p.asn }, (line) => out(line));
      out(`  BGP: ${peering.node} (${formatIpv4(node.ip)}) peers with ${formatIpv4(p.address)}:${p.port} as ${p.asn}`);
    }
  }
  runner.start();
  out('Press Ctrl-C to stop.');
  const sig = await stopped;
  runner.stop();
  outside?.real.closeAll();
  const files = pcap?.finish() ?? [];
  out(summary('serve', sig, runner, c, files.length ? `; pcap ${files.join(', ')}` : ''));
  return 0;
}

/** `podnet port-forward` (args after the word port-forward); returns the exit status. */
export async function cmdPortForward(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const a = parseArgs(args, true);
  const [file, resArg, ...portArgs] = a.positional;
  if (file === undefined || resArg === undefined || portArgs.length === 0)
    throw new ServeUsageError('port-forward takes a cluster file, TYPE/NAME and at least one [LOCAL:]REMOTE port');
  const res = parseResourceArg(resArg);
  if (typeof res === 'string') throw new ServeUsageError(res);
  const ports: PortArg[] = [];
  for (const p of portArgs) {
    const r = parsePortArg(p);
    if (typeof r === 'string') throw new ServeUsageError(r);
    ports.push(r);
  }
  checkPcapArg(a.pcap);
  const c = await bringUp(file, err);
  if (typeof c === 'number') return c;
  const target = resolveTarget(c, res, a.namespace, ports);
  if (typeof target === 'string') {
    err(`error: ${target}`);
    return 1;
  }
  const node = c.nodes.get(target.pod.node);
  if (node === undefined) throw new Error(`port-forward: pod ${target.pod.id} is on unknown node ${target.pod.node}`);
  const pcap = openPcap(a.pcap);
  pcap?.attach(c.network);
  const runner = new WallRunner(c.engine);
  runner.start();
  // handlers before the "Forwarding from" lines: a signal sent as soon as one is read must find them
  const stopped = interrupted();
  let pf: PortForwarder;
  try {
    pf = await PortForwarder.listen({
      addresses: a.addresses,
      ports: target.ports,
      // the kubelet's side: from the pod's node to podIP:port, over cni0 and the pod's veth. containerd (k3s's
      // runtime, internal/cri/server/sandbox_portforward_linux.go) dials localhost:port inside the pod's
      // netns first and the pod IP from the host only as a fallback; the pod-IP path shows on the wire.
      dial: (port) => node.tcp.connect(target.pod.ip, port),
      runner,
      maxConnections: a.maxConnections,
      maxBufferedBytes: a.maxBuffered,
      out,
      err,
    });
  } catch (e) {
    runner.stop();
    pcap?.discard();
    stopped.cancel();
    if (e instanceof ListenError) {
      err(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const lost = new Promise<string>((resolve) =>
    c.changes.subscribe((ch) => {
      if (ch.kind === 'pod-deleted' && ch.pod === target.pod) resolve('lost');
    }),
  );
  const why = await Promise.race([stopped, lost]);
  await pf.close();
  runner.stop();
  const files = pcap?.finish() ?? [];
  const s = pf.stats;
  const line = summary(
    'port-forward',
    why === 'lost' ? `pod ${target.pod.id} was deleted` : why,
    runner,
    c,
    `; ${s.connections} connections to ${target.pod.id} (${s.bytesToCluster} bytes in, ${s.bytesFromCluster} out${s.refused ? `, ${s.refused} refused over --max-connections` : ''}${s.overBuffer ? `, ${s.overBuffer} reset over --max-buffer` : ''})${files.length ? `; pcap ${files.join(', ')}` : ''}`,
  );
  if (why === 'lost') {
    err(line);
    err('error: lost connection to pod');
    return 1;
  }
  out(line);
  return 0;
}
