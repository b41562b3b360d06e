/**
 * curl on an emulated node, as curl 7.88.1 (Debian 12) behaves and prints on a terminal: the body on
 * stdout, `-v` lines on stderr ("*   Trying", "> " request lines, "< " response lines, "left intact"),
 * errors as "curl: (N) ..." with curl's exit codes (6 resolve, 7 connect, 18 partial, 22 -f, 28 timeout,
 * 52 empty reply, 56 receive failure), the progress meter when the body goes to -o, and -w variables.
 * The exact texts were checked against the real curl (src/apps/http/golden/README.md).
 *
 * Supported: -v -s -S -i -I -f -X -H -d (--data-raw, --data-binary) -A -m/--max-time --connect-timeout
 * -o -w --no-progress-meter, plus -4, -k, --http1.1, --no-styled-output and -N, which change nothing
 * here. One URL, http:// only (there is no TLS in podnet). `-o FILE` discards the body (no file system);
 * the terminal shows what it would with curl writing the file. Header output is not styled (no bold
 * names), as with --no-styled-output. Names resolve through the shell's resolver.
 */
import { formatIpv4, parseIpv4, type Ipv4 } from '../wire/addr.js';
import type { TcpStack } from '../transport/tcp.js';
import { MS, SECOND } from '../sim/engine.js';
import { HTTP_EPOCH_MS, concatBytes, fieldValue, latin1Bytes, type HttpResponseHead } from './http/message.js';
import { HttpConnection, httpExchange, type HttpExchangeResult, type HttpFailure } from './http/client.js';
import { CurlMeter, type MeterCounts } from './http/curl-meter.js';
import { Terminal } from './http/terminal.js';
import { printed, withLookedUp, type Command } from './shell.js';
import { curlRequest, parseCurlArgs, parseCurlUrl, type CurlOptions } from './http/curl-args.js';
import { curlWriteOut } from './http/curl-writeout.js';

export {
  CURL_VERSION,
  curlRequest,
  parseCurlArgs,
  parseCurlUrl,
  type CurlOptions,
  type CurlUrl,
} from './http/curl-args.js';
export { curlWriteOut } from './http/curl-writeout.js';

/** What curl printed and returned. */
export interface CurlResult {
  status: number;
  stdout: string;
  stderr: string;
  /** The terminal as a person sees it (stdout and stderr interleaved, "\r" applied). */
  screen: string;
  /** The exchange, when one took place. */
  exchange?: HttpExchangeResult;
}

/** Where curl runs. */
export interface CurlEnv {
  tcp: TcpStack;
  resolve(name: string): Ipv4 | undefined;
  /** Wall-clock ms at engine time 0 (default HTTP_EPOCH_MS). */
  epochMs?: number;
}

/** Runs curl with parsed options; `done` is called once, inside simulated time. */
export function runCurl(env: CurlEnv, o: CurlOptions, done: (r: CurlResult) => void): void {
  const term = new Terminal();
  const engine = env.tcp.node.engine;
  const start = engine.now;
  const epochMs = env.epochMs ?? HTTP_EPOCH_MS;
  const info = (text: string): void => {
    if (o.verbose) term.stderr(`* ${text}\n`);
  };
  const finish = (status: number, exchange?: HttpExchangeResult): void => {
    term.flush();
    done({
      status,
      stdout: term.stdoutText,
      stderr: term.stderrText,
      screen: term.screen,
      ...(exchange === undefined ? {} : { exchange }),
    });
  };
  const u = parseCurlUrl(o.url);
  if ('code' in u) {
    if (!o.silent || o.showError) term.stderr(`curl: (${u.code}) ${u.message}\n`);
    finish(u.code);
    return;
  }
  if (o.verbose && o.method === 'POST' && o.data !== undefined)
    term.stderr('Note: Unnecessary use of -X or --request, POST is already inferred.\n');
  const toTerminal = o.output === undefined;
  const meter =
    !o.silent && !o.noProgress && !toTerminal ? new CurlMeter((t) => term.stderr(t), start, epochMs) : undefined;
  // curl notes "[N bytes data]" only when the data is not shown on the terminal itself
  const dataNotes = o.verbose && !toTerminal;
  const req = curlRequest(o, u);
  // the upload size becomes known when the request is built, after the connection is up
  const counts: MeterCounts = { dl: 0, ul: 0 };
  meter?.update(start, counts);
  let progressTimer: { cancel(): void } | undefined;
  const tick = (): void => {
    progressTimer = engine.timer(SECOND, () => {
      meter!.update(engine.now, counts);
      tick();
    });
  };
  if (meter !== undefined) tick();

  // ip, conn and abandon are read by closures that may run before they are assigned below (so not const)
  // eslint-disable-next-line prefer-const
  let ip: Ipv4 | undefined;
  let exchange: HttpExchangeResult | undefined;
  let timedOutBy: 'connect-timeout' | undefined;
  const writeOut = (code: number, errormsg: string): void => {
    if (o.writeOut === undefined) return;
    const local =
      conn?.established === true ? { ip: formatIpv4(conn.socket.localIp), port: conn.socket.localPort } : undefined;
    const headBytes = req.lines.join('\r\n').length + 4;
    const text = curlWriteOut(
      o.writeOut,
      {
        code,
        errormsg,
        url: u,
        ip,
        local,
        exchange,
        method: req.method,
        headBytes,
        bodyBytes: req.body?.length ?? 0,
        start,
      },
      (unknown) => term.stderr(`curl: unknown --write-out variable: '${unknown}'\n`),
    );
    term.stdout(text);
  };
  const fail = (code: number, message: string, verboseLines: string[] = [message]): void => {
    progressTimer?.cancel();
    for (const l of verboseLines) info(l);
    meter?.done(engine.now, counts);
    info('Closing connection 0');
    if (!o.silent || o.showError) term.stderr(`curl: (${code}) ${message}\n`);
    writeOut(code, message);
    finish(code, exchange);
  };

  const host = u.host;
  // eslint-disable-next-line prefer-const
  let conn: HttpConnection | undefined;
  ip = parseIpv4(host) ?? env.resolve(host);
  if (ip === undefined) {
    fail(6, `Could not resolve host: ${host}`);
    return;
  }
  const addr = formatIpv4(ip);
  info(`  Trying ${addr}:${u.port}...`);
  const c = new HttpConnection(env.tcp, ip, u.port);
  conn = c;
  const elapsedMs = (): number => Math.floor((engine.now - start) / MS);
  let connectTimer: { cancel(): void } | undefined;
  // eslint-disable-next-line prefer-const
  let abandon: (() => void) | undefined;
  if (o.connectTimeoutS !== undefined) {
    connectTimer = engine.timer(Math.round(o.connectTimeoutS * SECOND), () => {
      if (c.established) return;
      timedOutBy = 'connect-timeout';
      abandon?.();
    });
  }
  let tracedData = false;
  const raw = latin1Bytes(req.lines.map((l) => `${l}\r\n`).join('') + '\r\n');
  abandon = httpExchange(
    c,
    { method: req.method, raw: req.body === undefined ? raw : concatBytes([raw, req.body]) },
    {
      ...(o.maxTimeS === undefined ? {} : { timeoutNs: Math.round(o.maxTimeS * SECOND) }),
      discardBody: true,
      hooks: {
        connected: () => {
          connectTimer?.cancel();
          info(`Connected to ${host} (${addr}) port ${u.port} (#0)`);
          meter?.update(engine.now, counts);
        },
        sent: () => {
          if (o.verbose) term.stderr(req.lines.map((l) => `> ${l}\r\n`).join('') + '> \r\n');
          tracedData = false;
          counts.ulSize = req.body?.length ?? 0;
          if (req.body !== undefined && req.body.length > 0) {
            if (dataNotes) term.stderr(`} [${req.body.length} bytes data]\n`);
            tracedData = true;
            counts.ul = req.body.length;
          }
          meter?.update(engine.now, counts);
        },
        head: (h) => {
          tracedData = false;
          return showHead(h);
        },
        data: (d) => {
          counts.dl += d.length;
          if (toTerminal) term.stdout(d);
          if (dataNotes && !tracedData) term.stderr(`{ [${d.length} bytes data]\n`);
          tracedData = true;
          meter?.update(engine.now, counts);
        },
      },
    },
    (r) => {
      exchange = r;
      connectTimer?.cancel();
      if (r.ok) {
        progressTimer?.cancel();
        meter?.done(engine.now, counts);
        info(r.reusable ? `Connection #0 to host ${host} left intact` : 'Closing connection 0');
        c.end(); // curl exits and closes its socket
        writeOut(0, '');
        finish(0, r);
        return;
      }
      const f = r.failure!;
      const e = curlError(f, r, {
        host,
        addr,
        port: u.port,
        ms: elapsedMs(),
        timedOutBy,
        connectTimeoutMs: Math.round((o.connectTimeoutS ?? 0) * 1000),
      });
      if (f.kind === 'stopped' && timedOutBy === undefined) c.destroy();
      else if (f.phase === 'transfer') c.end();
      fail(e.code, e.message, e.verbose);
    },
  );

  /** Prints a response head as curl does (-v lines on stderr, -i/-I copy on stdout); false stops (-f). */
  function showHead(h: HttpResponseHead): boolean {
    const headers = o.include || o.head;
    const [status, ...fieldLines] = h.lines;
    if (h.minor === 0) info('HTTP 1.0, assume close after body');
    if (o.verbose) term.stderr(`< ${status}\r\n`);
    if (headers) term.stdout(`${status}\r\n`);
    for (const line of fieldLines) {
      if (h.minor === 0 && /^connection:\s*keep-alive\s*$/i.test(line)) info('HTTP/1.0 connection set to keep alive');
      if (o.verbose) term.stderr(`< ${line}\r\n`);
      if (headers) term.stdout(`${line}\r\n`);
    }
    const cl = fieldValue(h.fields, 'content-length');
    if (cl !== undefined && /^[0-9]+$/.test(cl) && h.status >= 200) counts.dlSize = Number(cl);
    if (o.fail && h.status >= 400) return false;
    if (headers) term.stdout('\r\n');
    if (o.verbose) term.stderr('< \r\n');
    return true;
  }
}

/** curl's exit code, its message, and the `*` lines -v shows before it, for a failed exchange. */
function curlError(
  f: HttpFailure,
  r: HttpExchangeResult,
  c: {
    host: string;
    addr: string;
    port: number;
    ms: number;
    timedOutBy: 'connect-timeout' | undefined;
    connectTimeoutMs: number;
  },
): { code: number; message: string; verbose: string[] } {
  const couldnt = `Failed to connect to ${c.host} port ${c.port} after ${c.ms} ms: Couldn't connect to server`;
  const one = (code: number, message: string): { code: number; message: string; verbose: string[] } => ({
    code,
    message,
    verbose: [message],
  });
  if (c.timedOutBy === 'connect-timeout') {
    const message = `Failed to connect to ${c.host} port ${c.port} after ${c.ms} ms: Timeout was reached`;
    return { code: 28, message, verbose: [`ipv4 connect timeout after ${c.connectTimeoutMs}ms, move on!`, message] };
  }
  switch (f.kind) {
    case 'refused':
      return {
        code: 7,
        message: couldnt,
        verbose: [`connect to ${c.addr} port ${c.port} failed: Connection refused`, couldnt],
      };
    case 'unreachable':
      return f.immediate === true
        ? {
            code: 7,
            message: couldnt,
            verbose: [`Immediate connect fail for ${c.addr}: Network is unreachable`, couldnt],
          }
        : {
            code: 7,
            message: couldnt,
            verbose: [`connect to ${c.addr} port ${c.port} failed: No route to host`, couldnt],
          };
    case 'connect-failed':
      return {
        code: 7,
        message: couldnt,
        verbose: [`connect to ${c.addr} port ${c.port} failed: Connection timed out`, couldnt],
      };
    case 'timeout':
      if (f.phase === 'connect') return one(28, `Connection timed out after ${c.ms} milliseconds`);
      {
        const size = r.head === undefined ? undefined : fieldValue(r.head.fields, 'content-length');
        const got = r.bodyBytes;
        return one(
          28,
          `Operation timed out after ${c.ms} milliseconds with ${got}${size !== undefined && r.head?.framing.kind === 'length' ? ` out of ${size}` : ''} bytes received`,
        );
      }
    case 'reset':
      return one(56, 'Recv failure: Connection reset by peer');
    case 'empty':
      return one(52, 'Empty reply from server');
    case 'truncated': {
      const framing = r.head?.framing;
      if (framing?.kind === 'length')
        return one(18, `transfer closed with ${framing.length - r.bodyBytes} bytes remaining to read`);
      return one(18, 'transfer closed with outstanding read data remaining');
    }
    case 'protocol': {
      const field = f.error?.field ?? '';
      if (field === 'status-line' || field === 'HTTP-version') return one(1, 'Received HTTP/0.9 when not allowed');
      if (field.startsWith('chunk')) return one(56, 'Illegal or missing hexadecimal sequence in chunked-encoding');
      return one(8, 'Weird server reply');
    }
    case 'stopped':
      return one(22, `The requested URL returned error: ${r.head?.status ?? 0}`);
  }
}

/** The `curl` command for the shell: needs the node's TCP stack (ctx.tcp). */
export const curlCommand: Command = (ctx, args, done) => {
  const o = parseCurlArgs(args);
  if ('error' in o) {
    done({ status: 2, stdout: o.error });
    return;
  }
  const tcp = ctx.tcp;
  if (tcp === undefined) {
    done({ status: 2, stdout: `curl: podnet: node ${ctx.node.name} has no TCP stack` });
    return;
  }
  const u = parseCurlUrl(o.url);
  withLookedUp(ctx, 'host' in u ? u.host : undefined, (c) =>
    runCurl({ tcp, resolve: (n) => c.resolve(n) }, o, (r) => done(printed(r.status, r.screen))),
  );
};
