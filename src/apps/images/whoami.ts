/**
 * traefik/whoami (also published as containous/whoami): a Go server on port 80 ("--port" changes it)
 * answering every path with the whoami text (hostname, addresses, RemoteAddr, the request as Go writes
 * it; the text itself is apps/http/whoami.ts), except /health, which answers 200 with no body. Go's
 * field order.
 */
import { whoamiServer } from '../http/whoami.js';
import { listenPort, parseGoFlags } from './go-flags.js';
import type { ContainerContext, ImageBehaviour, RunningContainer } from './types.js';
import { GO_LISTEN_BACKLOG } from '../../transport/tcp.js';

/** traefik/whoami. */
export const whoamiImage: ImageBehaviour = {
  repositories: ['traefik/whoami', 'containous/whoami'],
  summary: 'port 80 (--port): the whoami text (hostname, addresses, RemoteAddr, the request)',
  start(ctx: ContainerContext): RunningContainer {
    const { flags } = parseGoFlags([...ctx.command.slice(1), ...ctx.args], ['verbose']);
    const port = listenPort(flags.get('port') ?? '80') ?? 80;
    const server = whoamiServer(ctx.node, ctx.hostname);
    server.listen(ctx.tcp, port, GO_LISTEN_BACKLOG);
    return { listening: [{ protocol: 'TCP', port, serves: 'whoami' }], stop: () => server.close() };
  },
};
