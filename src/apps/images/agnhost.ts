/**
 * registry.k8s.io/e2e-test-images/agnhost, the Kubernetes e2e suite's many-tools image, for the
 * subcommands the network policy tests run (test/e2e/network/netpol/model.go: one container per port and
 * protocol, command `/agnhost serve-hostname --tcp|--udp --http=false --port N`, SCTP through `porter`).
 * Behaviour from test/images/agnhost (serve-hostname/serve_hostname.go, porter/porter.go):
 * - `serve-hostname` (flags --tcp, --udp, --http (default true), --port (default 9376)): with --tcp each
 *   accepted connection gets the hostname written, then closed; with --udp each datagram is answered with
 *   the hostname (from the port it came to, to where it came from); with --http (not together with --tcp or
 *   --udp: the real one exits "Can't server TCP/UDP mode and HTTP mode at the same time") an HTTP server
 *   answering every path with the hostname.
 * - `porter`: for every SERVE_PORT_<N> variable, an HTTP server on N answering with the variable's value;
 *   SERVE_SCTP_PORT_<N> asks for SCTP, which podnet does not emulate: nothing listens there
 *   (`sctpNotEmulated` names such ports).
 * - `pause` (the image's default CMD) and other subcommands: nothing podnet emulates listens.
 * The entrypoint is /agnhost, so a pod may give the subcommand in `command` (after /agnhost) or in `args`.
 * Flags are spf13/pflag's: "--port 80", "--port=80", booleans "--tcp" and "--http=false".
 */
import { HttpServer } from '../http/server.js';
import { GO_LISTEN_BACKLOG } from '../../transport/tcp.js';
import { goFields } from './server-fields.js';
import { listenPort, parseGoFlags } from './go-flags.js';
import type { ContainerContext, ImageBehaviour, Listening, RunningContainer } from './types.js';

/** serve-hostname's default port (its --port flag's default). */
export const AGNHOST_SERVE_HOSTNAME_PORT = 9376;

const BOOLEAN_FLAGS = ['tcp', 'udp', 'http', 'close'];

/** The subcommand and its arguments: `command` after /agnhost, then `args`; the image's CMD is `pause`. */
export function agnhostArgv(command: readonly string[], args: readonly string[]): string[] {
  const argv = command.length > 0 ? [...command, ...args] : ['/agnhost', ...(args.length > 0 ? args : ['pause'])];
  if (argv[0] === '/agnhost' || argv[0] === 'agnhost') argv.shift();
  return argv;
}

/** Whether a pflag boolean is on: "--tcp" or "--tcp=true"; `dflt` when absent. */
function boolFlag(flags: Map<string, string>, name: string, dflt: boolean): boolean {
  const v = flags.get(name);
  if (v === undefined) return dflt;
  return v === 'true' || v === '1' || v === 't' || v === 'T' || v === 'TRUE' || v === 'True';
}

function serveHostname(ctx: ContainerContext, rest: readonly string[]): RunningContainer {
  const { flags } = parseGoFlags(rest, BOOLEAN_FLAGS);
  const tcp = boolFlag(flags, 'tcp', false);
  const udp = boolFlag(flags, 'udp', false);
  const http = boolFlag(flags, 'http', true);
  if (http && (tcp || udp))
    return { listening: [], exited: "Can't server TCP/UDP mode and HTTP mode at the same time", stop: () => {} };
  const port = listenPort(flags.get('port') ?? String(AGNHOST_SERVE_HOSTNAME_PORT));
  if (port === undefined) return { listening: [], exited: `invalid --port ${flags.get('port')}`, stop: () => {} };
  const hostname = new TextEncoder().encode(ctx.hostname);
  const listening: Listening[] = [];
  const stops: (() => void)[] = [];
  if (tcp) {
    // conn.Write(hostname); conn.Close()
    const l = ctx.tcp.listen(port, { backlog: GO_LISTEN_BACKLOG }, (s) => {
      s.write(hostname);
      s.end();
    });
    listening.push({ protocol: 'TCP', port, serves: 'the hostname, then close (serve-hostname --tcp)' });
    stops.push(() => l.close());
  }
  if (udp) {
    // sock.WriteTo(hostname, cliAddr) for every datagram read
    ctx.udp.bind(port, (d) => void ctx.udp.send(port, d.src, d.srcPort, hostname, { src: d.dst }));
    listening.push({ protocol: 'UDP', port, serves: 'the hostname to every datagram (serve-hostname --udp)' });
    stops.push(() => ctx.udp.unbind(port));
  }
  if (http) {
    const server = new HttpServer(() => ({ body: ctx.hostname }), { serverName: '', arrangeFields: goFields });
    server.listen(ctx.tcp, port, GO_LISTEN_BACKLOG);
    listening.push({ protocol: 'TCP', port, serves: 'HTTP: the hostname (serve-hostname)' });
    stops.push(() => server.close());
  }
  return {
    listening,
    stop: () => {
      for (const s of stops) s();
    },
  };
}

/** The SCTP ports a porter container would serve (SERVE_SCTP_PORT_<N>), which podnet cannot. */
export function sctpNotEmulated(env: Readonly<Record<string, string>> | undefined): number[] {
  return Object.keys(env ?? {})
    .map((k) => /^SERVE_SCTP_PORT_(\d+)$/.exec(k)?.[1])
    .filter((p) => p !== undefined)
    .map(Number);
}

function porter(ctx: ContainerContext): RunningContainer {
  const listening: Listening[] = [];
  const servers: HttpServer[] = [];
  for (const [k, v] of Object.entries(ctx.env ?? {})) {
    const m = /^SERVE_PORT_(\d+)$/.exec(k);
    const port = m === null ? undefined : listenPort(m[1]!);
    if (port === undefined) continue;
    const server = new HttpServer(() => ({ body: v }), { serverName: '', arrangeFields: goFields });
    server.listen(ctx.tcp, port, GO_LISTEN_BACKLOG);
    servers.push(server);
    listening.push({ protocol: 'TCP', port, serves: `HTTP: ${JSON.stringify(v)} (porter)` });
  }
  return {
    listening,
    stop: () => {
      for (const s of servers) s.close();
    },
  };
}

/** registry.k8s.io/e2e-test-images/agnhost. */
export const agnhostImage: ImageBehaviour = {
  repositories: ['e2e-test-images/agnhost', 'kubernetes-e2e-test-images/agnhost'],
  summary: 'serve-hostname (--tcp, --udp, HTTP; --port, default 9376): the hostname; porter: SERVE_PORT_<N>',
  start(ctx: ContainerContext): RunningContainer {
    const [sub, ...rest] = agnhostArgv(ctx.command, ctx.args);
    if (sub === 'serve-hostname') return serveHostname(ctx, rest);
    if (sub === 'porter') return porter(ctx);
    // pause, and the subcommands podnet does not emulate: nothing listens
    return { listening: [], stop: () => {} };
  },
};
