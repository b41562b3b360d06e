/**
 * For tests and the golden recorder only: a small network for HTTP (client -- router -- web, each node
 * with UDP and TCP), a shell context per node, a way to run commands to completion, and the handler the
 * curl goldens were recorded against. Shipped code does not import this file.
 */
import { Network } from '../../link/device.js';
import type { LinkProps } from '../../link/channel.js';
import { Engine, MS } from '../../sim/engine.js';
import { parseIpv4, type Ipv4 } from '../../wire/addr.js';
import { IpNode } from '../../net/ip-node.js';
import { UdpStack } from '../../transport/udp.js';
import { TcpStack } from '../../transport/tcp.js';
import { literalOr, type CommandResult, type Command, type ShellContext } from '../shell.js';
import type { HttpHandler } from './server.js';
import { latin1 } from './message.js';

/** Dotted quad to number; throws on a typo (a test bug). */
export function ip(s: string): Ipv4 {
  const a = parseIpv4(s);
  if (a === undefined) throw new Error(`bad address ${s}`);
  return a;
}

/** One node of the lab and its stacks. */
export interface LabHost {
  node: IpNode;
  udp: UdpStack;
  tcp: TcpStack;
  ctx: ShellContext;
}

/** client (10.0.1.2) -- router (10.0.1.1 | 10.43.0.254) -- web (10.43.0.1). */
export interface HttpLab {
  engine: Engine;
  net: Network;
  client: LabHost;
  router: LabHost;
  web: LabHost;
  /** Names the shells resolve: client, router, web. */
  names: Map<string, Ipv4>;
}

/** Builds the lab. Links: 1 Gbps, 100 µs unless `link` says otherwise. */
export function httpLab(opts: { seed?: number; link?: Partial<LinkProps> } = {}): HttpLab {
  const engine = new Engine(opts.seed ?? 1);
  const net = new Network(engine);
  const link = { bandwidth: 1_000_000_000, latency: 100_000, ...opts.link };
  const names = new Map<string, Ipv4>();
  const mk = (name: string, mac: number, forwarding = false): IpNode => new IpNode(net, name, { forwarding });
  const client = mk('client', 1);
  const router = mk('router', 2, true);
  const web = mk('web', 3);
  client.addNic('eth0', 0x02_00_00_00_00_01);
  router.addNic('eth0', 0x02_00_00_00_00_02);
  router.addNic('eth1', 0x02_00_00_00_00_03);
  web.addNic('eth0', 0x02_00_00_00_00_04);
  client.addAddress('eth0', { addr: ip('10.0.1.2'), len: 24 });
  router.addAddress('eth0', { addr: ip('10.0.1.1'), len: 24 });
  router.addAddress('eth1', { addr: ip('10.43.0.254'), len: 24 });
  web.addAddress('eth0', { addr: ip('10.43.0.1'), len: 24 });
  client.routes.add({ dst: 0, len: 0, via: ip('10.0.1.1'), dev: 'eth0' });
  web.routes.add({ dst: 0, len: 0, via: ip('10.43.0.254'), dev: 'eth0' });
  net.connect(client.port('eth0')!, router.port('eth0')!, link);
  net.connect(router.port('eth1')!, web.port('eth0')!, link);
  names.set('client', ip('10.0.1.2'));
  names.set('router', ip('10.0.1.1'));
  names.set('web', ip('10.43.0.1'));
  const host = (node: IpNode): LabHost => {
    const udp = new UdpStack(node);
    const tcp = new TcpStack(node);
    const ctx: ShellContext = { node, udp, resolve: literalOr((n) => names.get(n)), tcp };
    return { node, udp, tcp, ctx };
  };
  return { engine, net, client: host(client), router: host(router), web: host(web), names };
}

/** Starts `cmd` on `ctx`; the result is filled in when it finishes (drive the engine). */
export function start(
  cmd: Command,
  ctx: ShellContext,
  args: string[],
): { result: CommandResult | undefined; at: number | undefined } {
  const box: { result: CommandResult | undefined; at: number | undefined } = { result: undefined, at: undefined };
  cmd(ctx, args, (r) => {
    if (box.result !== undefined) throw new Error('command finished twice');
    box.result = r;
    box.at = ctx.node.engine.now;
  });
  return box;
}

/** Runs `cmd` to completion (the engine runs until it finishes or nothing is left to do). */
export function runToEnd(engine: Engine, cmd: Command, ctx: ShellContext, args: string[]): CommandResult {
  const box = start(cmd, ctx, args);
  while (box.result === undefined && engine.pendingEvents > 0) engine.run(engine.now + 100 * MS);
  if (box.result === undefined) throw new Error(`${args.join(' ')}: never finished`);
  return box.result;
}

/**
 * The handler the curl goldens were recorded against (golden/make-golden.mjs serves it with this
 * repository's HttpServer over real sockets): fixed texts, an echo of POSTs, a chunked body, a 404, a
 * response that closes the connection, and one that never comes.
 */
export const goldenHandler: HttpHandler = (req) => {
  const text = [['Content-Type', 'text/plain; charset=utf-8']] as [string, string][];
  switch (req.path) {
    case '/':
      return { headers: text, body: 'Hello from podnet\n' };
    case '/post':
      return { headers: text, body: `${req.method} ${req.path} ${latin1(req.body)}\n` };
    case '/chunked':
      return { headers: text, body: 'hello world\n', chunked: true };
    case '/close':
      return { headers: text, body: 'bye\n', close: true };
    case '/hang':
      return undefined; // never answered
    default:
      return { status: 404, headers: text, body: '404 page not found\n' };
  }
};
