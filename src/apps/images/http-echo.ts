/**
 * hashicorp/http-echo: a Go server on -listen (default ":5678") answering every path with the -text
 * argument and a newline (fmt.Fprintln), status -status-code (default 200), with its X-App-Name and
 * X-App-Version fields; /health answers {"status":"ok"}. Without -text it exits at once ("Missing -text
 * option!"), so nothing listens. The X-App-* fields and the /health body are from http-echo 1.0's source
 * as remembered, not checked against a running image here.
 */
import { HttpServer, type HttpHandler } from '../http/server.js';
import { goFields } from './server-fields.js';
import { listenPort, parseGoFlags } from './go-flags.js';
import type { ContainerContext, ImageBehaviour, RunningContainer } from './types.js';
import { GO_LISTEN_BACKLOG } from '../../transport/tcp.js';

/** http-echo's default listen address. */
export const HTTP_ECHO_DEFAULT_PORT = 5678;

/** The version http-echo 1.0 reports in X-App-Version. */
export const HTTP_ECHO_VERSION = '1.0.0';

/** http-echo's handler: `text` + "\n" with `status`. */
export function httpEchoHandler(text: string, status: number): HttpHandler {
  const appFields: [string, string][] = [
    ['X-App-Name', 'http-echo'],
    ['X-App-Version', HTTP_ECHO_VERSION],
  ];
  return (req) => {
    if (req.path === '/health')
      return { headers: [...appFields, ['Content-Type', 'text/plain; charset=utf-8']], body: '{"status":"ok"}\n' };
    return { status, headers: [...appFields, ['Content-Type', 'text/plain; charset=utf-8']], body: `${text}\n` };
  };
}

/** hashicorp/http-echo. */
export const httpEchoImage: ImageBehaviour = {
  repositories: ['hashicorp/http-echo'],
  summary: 'port 5678 (-listen): the -text argument and a newline',
  start(ctx: ContainerContext): RunningContainer {
    const { flags } = parseGoFlags([...ctx.command.slice(1), ...ctx.args]);
    const text = flags.get('text');
    if (text === undefined || text === '') return { listening: [], exited: 'Missing -text option!', stop: () => {} };
    const port = listenPort(flags.get('listen') ?? `:${HTTP_ECHO_DEFAULT_PORT}`) ?? HTTP_ECHO_DEFAULT_PORT;
    const code = Number(flags.get('status-code') ?? '200');
    const server = new HttpServer(httpEchoHandler(text, Number.isInteger(code) ? code : 200), {
      serverName: '',
      arrangeFields: goFields,
    });
    server.listen(ctx.tcp, port, GO_LISTEN_BACKLOG);
    return { listening: [{ protocol: 'TCP', port, serves: `http-echo "${text}"` }], stop: () => server.close() };
  },
};
