/**
 * traefik/whoami (also published as containous/whoami): a Go server on port 80 ("--port" changes it)
 * answering every path with the whoami text (hostname, addresses, RemoteAddr, the request as Go writes
 * it; the text itself is apps/http/whoami.ts), except /health, which answers 200 with no body. Go's
 * field order.
 */
import { formatIpv4 } from '../../wire/addr.js';
import { HttpServer, type HttpHandler } from '../http/server.js';
import { whoamiBody } from '../http/whoami.js';
import type { IpNode } from '../../net/ip-node.js';
import { goFields } from './server-fields.js';
import { listenPort, parseGoFlags } from './go-flags.js';
import type { ContainerContext, ImageBehaviour, RunningContainer } from './types.js';

/** whoami's handler on `node`, calling itself `hostname`. */
export function whoamiImageHandler(node: IpNode, hostname: string): HttpHandler {
  return (req) => {
    if (req.path === '/health') return { status: 200 };
    const addresses = node.devs.flatMap((d) => d.addresses.map((a) => formatIpv4(a.addr)));
    return {
      headers: [['Content-Type', 'text/plain; charset=utf-8']],
      body: whoamiBody(req, hostname, addresses),
    };
  };
}

/** traefik/whoami. */
export const whoamiImage: ImageBehaviour = {
  repositories: ['traefik/whoami', 'containous/whoami'],
  summary: 'port 80 (--port): the whoami text (hostname, addresses, RemoteAddr, the request)',
  start(ctx: ContainerContext): RunningContainer {
    const { flags } = parseGoFlags([...ctx.command.slice(1), ...ctx.args], ['verbose']);
    const port = listenPort(flags.get('port') ?? '80') ?? 80;
    const server = new HttpServer(whoamiImageHandler(ctx.node, ctx.hostname), {
      serverName: '',
      arrangeFields: goFields,
    });
    server.listen(ctx.tcp, port);
    return { listening: [{ protocol: 'TCP', port, serves: 'whoami' }], stop: () => server.close() };
  },
};
