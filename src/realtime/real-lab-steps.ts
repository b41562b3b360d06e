/**
 * A lab's steps on the realized lab, as the real programs: `ping` is iputils ping, `udp` a Python sender
 * and listener (Python's socket module sets IP_MTU_DISCOVER for the step's `df`, which Node's dgram
 * cannot), `exec` the command itself, `wait` a real wait, `fdb` `bridge fdb replace`, `unlink` deletes the
 * veth pair and `link` makes a new one and puts back what `up` had configured on its ends. `show` sends
 * nothing and does nothing here. Each returns a line saying what it ran and how it ended.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { formatIpv4, formatMac, type Ipv4 } from '../wire/addr.js';
import type { LabSpec, NodeSpec, StepAction, Target } from '../scenario/lab-types.js';
import { primaryAddress, type RealLabPlan } from './real-lab-plan.js';
import { runCommand } from './real-lab-run.js';
import { DEFAULT_PING } from '../apps/ping.js';

/** What a real step needs: the lab, its plan (namespace names, the commands to replay on `link`). */
export interface RealStepContext {
  spec: LabSpec;
  plan: RealLabPlan;
  /** Called when a link appears (a `link` step), to start capturing it. */
  onLink: (a: { node: string; port: string }, b: { node: string; port: string }) => Promise<void>;
}

/** A finished program. */
export interface ProgramResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` in namespace `ns`, asynchronously, killed after `timeoutMs`. */
export function runIn(ns: string, argv: string[], timeoutMs: number): Promise<ProgramResult> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ status: 127, stdout, stderr: stderr + e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code ?? (signal === 'SIGKILL' ? 137 : 128), stdout, stderr });
    });
  });
}

type IpNodeSpec = Extract<NodeSpec, { kind: 'host' | 'router' }>;

function ipNodes(spec: LabSpec): IpNodeSpec[] {
  return spec.nodes.filter((n): n is IpNodeSpec => n.kind === 'host' || n.kind === 'router');
}

/** The address a step's target stands for (podnet's resolveTarget: a node's primary address). */
export function targetAddress(spec: LabSpec, t: Target): Ipv4 | undefined {
  if ('ip' in t) return t.ip;
  const n = ipNodes(spec).find((x) => x.name === t.node);
  return n === undefined ? undefined : primaryAddress(n);
}

const nsOf = (ctx: RealStepContext, node: string): string => ctx.plan.prefix + node;

/** The UDP sender: binds the source port, sets DF as asked, sends `count` datagrams of the payload (hex). */
const UDP_SEND = `
import socket, sys
src, dst, dport, count, df, payload = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], bytes.fromhex(sys.argv[6])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', src))
if df != 'default':
    # IP_MTU_DISCOVER (10): IP_PMTUDISC_DO (2) sets DF, IP_PMTUDISC_DONT (0) never does
    s.setsockopt(socket.IPPROTO_IP, 10, 2 if df == 'do' else 0)
for _ in range(count):
    try:
        s.sendto(payload, (dst, dport))
    except OSError as e:
        print('send failed:', e)
`;

/** The UDP listener: prints "ready", then the source address of every datagram, until killed. */
const UDP_LISTEN = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', int(sys.argv[1])))
print('ready', flush=True)
while True:
    data, (addr, port) = s.recvfrom(65535)
    print(addr, len(data), flush=True)
`;

/** Starts a UDP listener in `ns` and resolves once it is bound. */
function listen(ns: string, port: number): Promise<{ child: ChildProcess; lines: () => string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', UDP_LISTEN, String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (out.startsWith('ready\n')) resolve({ child, lines: () => out.split('\n').slice(1, -1) });
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('close', () => reject(new Error(`udp listener in ${ns} exited: ${err.trim()}`)));
  });
}

/** Runs one step on the real lab; `settle` waits until the captures are quiet. Returns what happened. */
export async function runRealStep(ctx: RealStepContext, a: StepAction, settle: () => Promise<void>): Promise<string> {
  switch (a.kind) {
    case 'ping': {
      const dst = targetAddress(ctx.spec, a.to);
      if (dst === undefined) return `target ${JSON.stringify(a.to)} has no address`;
      // -W: the lingertime podnet's ping uses (iputils' own default, 10 s), so both wait as long
      const argv = ['ping', '-n', '-c', String(a.count), '-W', String(DEFAULT_PING.timeout / 1e9)];
      if (a.size !== undefined) argv.push('-s', String(a.size));
      if (a.ttl !== undefined) argv.push('-t', String(a.ttl));
      if (a.df !== undefined) argv.push('-M', a.df ? 'do' : 'dont');
      if (a.interval !== undefined) argv.push('-i', String(a.interval / 1e9));
      argv.push(formatIpv4(dst));
      const r = await runIn(nsOf(ctx, a.from), argv, 60_000);
      await settle();
      const summary = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
      return `${argv.join(' ')}: ${summary ? `${summary[2]}/${summary[1]} received` : (r.stderr || r.stdout).trim()}`;
    }
    case 'udp': {
      const dst = targetAddress(ctx.spec, a.to);
      if (dst === undefined) return `target ${JSON.stringify(a.to)} has no address`;
      const receiver =
        a.listenAt?.node ??
        ('node' in a.to
          ? a.to.node
          : ipNodes(ctx.spec).find((n) =>
              [...n.interfaces, ...n.vlans, ...n.vxlans, ...n.bridges].some((d) =>
                d.addresses.some((x) => x.addr === dst),
              ),
            )?.name);
      const port = a.listenAt?.port ?? a.dstPort;
      const l = a.listen && receiver !== undefined ? await listen(nsOf(ctx, receiver), port) : undefined;
      const payload =
        a.size !== undefined
          ? Buffer.from(Array.from({ length: a.size }, (_, i) => 0x61 + (i % 26)))
          : Buffer.from(a.data, 'utf8');
      const df = a.df === undefined ? 'default' : a.df ? 'do' : 'dont';
      const argv = ['python3', '-c', UDP_SEND, String(a.srcPort), formatIpv4(dst), String(a.dstPort)];
      argv.push(String(a.count), df, payload.toString('hex'));
      const r = await runIn(nsOf(ctx, a.from), argv, 10_000);
      await settle();
      l?.child.removeAllListeners('close');
      l?.child.kill('SIGKILL');
      const got = l?.lines() ?? [];
      return `udp ${a.from} -> ${formatIpv4(dst)}:${a.dstPort} x${a.count}: ${got.length} delivered${got[0] ? ` (from ${got[0].split(' ')[0]})` : ''}${r.stdout.trim() ? `; ${r.stdout.trim()}` : ''}`;
    }
    case 'exec': {
      const r = await runIn(nsOf(ctx, a.node), a.argv, 60_000);
      await settle();
      return `${a.node}$ ${a.argv.join(' ')}: exit ${r.status}${r.status === 127 ? ` (${r.stderr.trim()})` : ''}`;
    }
    case 'wait':
      await new Promise((r) => setTimeout(r, a.duration / 1e6));
      return `waited ${a.duration / 1e9}s`;
    case 'show':
      return `show ${a.what} ${a.node}: nothing sent`;
    case 'fdb': {
      const argv = ['bridge', '-n', nsOf(ctx, a.node), 'fdb', 'replace', formatMac(a.mac), 'dev', a.dev];
      const r = runCommand({ argv: [...argv, 'dst', formatIpv4(a.remote)] });
      await settle();
      return `${argv.join(' ')} dst ${formatIpv4(a.remote)}: exit ${r.status} ${r.stderr.trim()}`;
    }
    case 'unlink': {
      // deleting one end of a veth pair deletes both: the cable is gone
      const r = runCommand({ argv: ['ip', '-n', nsOf(ctx, a.node), 'link', 'del', 'dev', a.port] });
      await settle();
      return `unplugged ${a.node}:${a.port}: exit ${r.status} ${r.stderr.trim()}`;
    }
    case 'link':
      return relink(ctx, a.a, a.b, settle);
  }
}

/** A new veth pair between two ports, then what `up` had set on those ports (and the nodes' routes) again. */
async function relink(
  ctx: RealStepContext,
  a: { node: string; port: string },
  b: { node: string; port: string },
  settle: () => Promise<void>,
): Promise<string> {
  const [na, nb] = [nsOf(ctx, a.node), nsOf(ctx, b.node)];
  // a port declared but on no link was a dummy device: it makes way for the veth end
  for (const [ns, port] of [
    [na, a.port],
    [nb, b.port],
  ] as const)
    runCommand({ argv: ['ip', '-n', ns, 'link', 'del', 'dev', port] });
  const add = runCommand({
    argv: ['ip', '-n', na, 'link', 'add', 'name', a.port, 'type', 'veth', 'peer', 'name', b.port, 'netns', nb],
  });
  if (add.status !== 0) return `link ${a.node}:${a.port} ${b.node}:${b.port}: ${add.stderr.trim()}`;
  const mine = (argv: string[], ns: string, port: string): boolean =>
    argv.includes(ns) && (argv.includes(port) || argv.includes('route')) && !argv.includes('type');
  for (const c of ctx.plan.commands) if (mine(c.argv, na, a.port) || mine(c.argv, nb, b.port)) runCommand(c);
  for (const [ns, port] of [
    [na, a.port],
    [nb, b.port],
  ] as const)
    runCommand({ argv: ['ip', '-n', ns, 'link', 'set', 'dev', port, 'up'] });
  await ctx.onLink(a, b);
  await settle();
  return `plugged ${a.node}:${a.port} into ${b.node}:${b.port}`;
}
