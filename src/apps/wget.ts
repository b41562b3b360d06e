/**
 * GNU Wget 1.21.3 (Debian 12) on an emulated node, quiet: `wget -q [-O -|FILE] [-T S] [-t N] [-U AGENT]
 * [--header LINE] [--max-redirect N] URL`, what Kubernetes guides type in a pod (`wget -qO- http://web`).
 * What it does, as the real one (checked against it: test/dns-tools-real.test.ts):
 * - the URL may leave out `http://`; https is not emulated (no TLS in podnet) and says so;
 * - the name is looked up with getaddrinfo (A and AAAA at once);
 * - the request: `GET PATH HTTP/1.1`, Host (with the port unless 80), `User-Agent: Wget/1.21.3`,
 *   `Accept: *\/*`, `Accept-Encoding: identity`, `Connection: Keep-Alive`, then --header lines;
 * - a 2xx body goes to stdout with `-O -` (a file is not kept: no file system is emulated, as with curl's
 *   -o); a redirect (301, 302, 303, 307, 308 with Location) is followed, up to --max-redirect (20), on the
 *   same connection when it stays open and the host and port are the same; a 4xx or 5xx answer prints
 *   nothing and exits 8;
 * - a name that does not resolve, or a refused connection, exits 4 at once; any other failure (a timeout,
 *   no route, a reset) is tried again, `--tries` in all (20 by default), waiting 1, 2, ... up to 10
 *   seconds between tries (waitretry), then exits 4. -T bounds the connection and the whole answer
 *   (wget bounds each read: the same for the small answers of a cluster's services).
 * Without -q wget prints its log and progress bar: not emulated, and it says so.
 */
import { formatIpv4, parseIpv4, type Ipv4 } from '../wire/addr.js';
import type { TcpStack } from '../transport/tcp.js';
import { SECOND } from '../sim/engine.js';
import { HttpConnection, httpExchange } from './http/client.js';
import { fieldValue, latin1Bytes } from './http/message.js';
import { splitHostPortTarget } from './http/url.js';
import { printed, withLookedUp, type Command } from './shell.js';

/** The version wget announces in User-Agent. */
export const WGET_VERSION = '1.21.3';

/** A parsed wget command line. */
export interface WgetOptions {
  url: string;
  quiet: boolean;
  /** -O: '-' for stdout. */
  output?: string;
  /** -T: seconds for the connection and each read (default 900 for reads). */
  timeoutS?: number;
  tries: number;
  userAgent?: string;
  headers: string[];
  maxRedirect: number;
}

const USAGE_TAIL = "Usage: wget [OPTION]... [URL]...\n\nTry `wget --help' for more options.";

/** Long options: whether each takes a value, and the short letter it stands for. */
const LONG: Record<string, { letter: string; arg: boolean }> = {
  quiet: { letter: 'q', arg: false },
  'output-document': { letter: 'O', arg: true },
  timeout: { letter: 'T', arg: true },
  tries: { letter: 't', arg: true },
  'user-agent': { letter: 'U', arg: true },
  header: { letter: 'header', arg: true },
  'max-redirect': { letter: 'max-redirect', arg: true },
  'inet4-only': { letter: '4', arg: false },
};
const SHORT_WITH_VALUE = new Set(['O', 'T', 't', 'U']);
const SHORT_FLAGS = new Set(['q', '4']);

/** Reads wget's command line (getopt_long); a string is what wget prints before exiting 2. */
export function parseWgetArgs(args: readonly string[]): WgetOptions | { error: string; notEmulated?: boolean } {
  const o: WgetOptions = { url: '', quiet: false, tries: 20, headers: [], maxRedirect: 20 };
  const urls: string[] = [];
  const apply = (letter: string, value: string | undefined): string | undefined => {
    if (letter === 'q') o.quiet = true;
    else if (letter === 'O') o.output = value!;
    else if (letter === 'T') {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) return `wget: --timeout: Invalid time period '${value}'`;
      o.timeoutS = n;
    } else if (letter === 't') {
      if (value === 'inf') o.tries = 0;
      else if (!/^[0-9]+$/.test(value!)) return `wget: --tries: Invalid number '${value}'.`;
      else o.tries = Number(value);
    } else if (letter === 'U') o.userAgent = value!;
    else if (letter === 'header') o.headers.push(value!);
    else if (letter === 'max-redirect') {
      if (!/^[0-9]+$/.test(value!)) return `wget: --max-redirect: Invalid number '${value}'.`;
      o.maxRedirect = Number(value);
    }
    return undefined;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      urls.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const spec = LONG[name];
      if (spec === undefined)
        return {
          error: `podnet: wget --${name} is not emulated (podnet's wget takes -q, -O, -T, -t, -U, --header, --max-redirect, -4)`,
          notEmulated: true,
        };
      const value = spec.arg ? (eq < 0 ? args[++i] : a.slice(eq + 1)) : undefined;
      if (spec.arg && value === undefined)
        return { error: `wget: option '--${name}' requires an argument\n${USAGE_TAIL}` };
      const bad = apply(spec.letter, value);
      if (bad !== undefined) return { error: bad };
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (SHORT_WITH_VALUE.has(c)) {
          const value = a.slice(j + 1) || args[++i];
          if (value === undefined) return { error: `wget: option requires an argument -- '${c}'\n${USAGE_TAIL}` };
          const bad = apply(c, value);
          if (bad !== undefined) return { error: bad };
          break;
        }
        if (!SHORT_FLAGS.has(c))
          return {
            error: `podnet: wget -${c} is not emulated (podnet's wget takes -q, -O, -T, -t, -U, --header, --max-redirect, -4)`,
            notEmulated: true,
          };
        apply(c, undefined);
      }
      continue;
    }
    urls.push(a);
  }
  if (urls.length === 0) return { error: `wget: missing URL\n${USAGE_TAIL}` };
  if (urls.length > 1) return { error: 'podnet: wget with more than one URL is not emulated', notEmulated: true };
  o.url = urls[0]!;
  return o;
}

/** An http URL as wget reads it: scheme optional, host, port, path (with its query). */
interface WgetUrl {
  host: string;
  port: number;
  path: string;
}

function parseUrl(text: string): WgetUrl | { error: string; notEmulated?: boolean } {
  let rest = text;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest);
  if (scheme !== null) {
    const s = scheme[1]!.toLowerCase();
    if (s === 'https' || s === 'ftp' || s === 'ftps')
      return { error: `podnet: wget ${s}:// is not emulated (no TLS or FTP in podnet)`, notEmulated: true };
    if (s !== 'http') return { error: `${text}: Unsupported scheme '${s}'.` };
    rest = rest.slice(scheme[0].length);
  }
  const parts = splitHostPortTarget(rest);
  if (parts === undefined) return { error: `${text}: Invalid host name.` };
  const port = parts.portText === undefined || parts.portText === '' ? 80 : Number(parts.portText);
  if (!(port >= 1 && port <= 65535)) return { error: `${text}: Bad port number.` };
  return { host: parts.host, port, path: parts.target };
}

/** What wget printed (stdout and stderr, in order) and its exit status. */
export interface WgetResult {
  status: number;
  stdout: string;
}

/** Where wget runs. */
export interface WgetEnv {
  tcp: TcpStack;
  /** getaddrinfo for a host name (the shell's lookup). */
  lookup(name: string, done: (ip: Ipv4 | undefined) => void): void;
}

/** Runs wget with parsed options; `done` is called once, inside simulated time. */
export function runWget(env: WgetEnv, o: WgetOptions, done: (r: WgetResult) => void): void {
  const engine = env.tcp.node.engine;
  const out: string[] = [];
  const finish = (status: number): void => done({ status, stdout: out.join('') });
  const first = parseUrl(o.url);
  if ('error' in first) {
    done({ status: first.notEmulated === true ? 255 : 1, stdout: first.error });
    return;
  }
  const readTimeoutNs = Math.round((o.timeoutS ?? 900) * SECOND);
  const connectTimeoutNs = o.timeoutS === undefined ? undefined : Math.round(o.timeoutS * SECOND);
  let conn: HttpConnection | undefined;
  let connTo = '';
  const fetch = (u: WgetUrl, redirects: number, attempt: number): void => {
    const retry = (): void => {
      conn?.destroy();
      conn = undefined;
      if (o.tries !== 0 && attempt >= o.tries) {
        finish(4);
        return;
      }
      // waitretry (10): 1 second after the first failure, then one more after each, at most 10
      engine.timer(Math.min(attempt, 10) * SECOND, () => fetch(u, redirects, attempt + 1));
    };
    const withIp = (ip: Ipv4 | undefined): void => {
      if (ip === undefined) {
        finish(4);
        return;
      }
      const key = `${formatIpv4(ip)}:${u.port}`;
      if (conn === undefined || connTo !== key || !conn.reusable) {
        conn?.end();
        conn = new HttpConnection(env.tcp, ip, u.port, connectTimeoutNs === undefined ? {} : { connectTimeoutNs });
        connTo = key;
      }
      const c = conn;
      const hostField = u.port === 80 ? u.host : `${u.host}:${u.port}`;
      const lines = [
        `GET ${u.path} HTTP/1.1`,
        `Host: ${hostField}`,
        `User-Agent: ${o.userAgent ?? `Wget/${WGET_VERSION}`}`,
        'Accept: */*',
        'Accept-Encoding: identity',
        'Connection: Keep-Alive',
        ...o.headers,
      ];
      const raw = latin1Bytes(lines.map((l) => `${l}\r\n`).join('') + '\r\n');
      httpExchange(c, { method: 'GET', raw }, { timeoutNs: readTimeoutNs }, (r) => {
        if (!r.ok) {
          const f = r.failure!;
          // a refused connection is final (no --retry-connrefused); anything else is tried again
          if (f.kind === 'refused') {
            c.destroy();
            finish(4);
          } else retry();
          return;
        }
        const h = r.head!;
        const location = fieldValue(h.fields, 'location');
        if ([301, 302, 303, 307, 308].includes(h.status) && location !== undefined) {
          if (redirects >= o.maxRedirect) {
            c.end();
            finish(8);
            return;
          }
          let target: string;
          try {
            target = new URL(location, `http://${hostField}${u.path}`).href;
          } catch {
            // a Location that is no URL: wget gives up on it
            c.end();
            finish(1);
            return;
          }
          const next = parseUrl(target);
          if ('error' in next) {
            c.end();
            done({ status: next.notEmulated === true ? 255 : 1, stdout: next.error });
            return;
          }
          fetch(next, redirects + 1, 1);
          return;
        }
        c.end(); // wget exits and closes its socket
        if (h.status >= 400) {
          finish(8);
          return;
        }
        if (o.output === '-') out.push(new TextDecoder('latin1').decode(r.body));
        finish(0);
      });
    };
    const literal = parseIpv4(u.host);
    if (literal !== undefined) withIp(literal);
    else env.lookup(u.host, withIp);
  };
  fetch(first, 0, 1);
}

/** `wget` in the shell. */
export const wgetCommand: Command = (ctx, args, done) => {
  const o = parseWgetArgs(args);
  if ('error' in o) {
    done({ status: o.notEmulated === true ? 255 : 2, stdout: o.error });
    return;
  }
  if (!o.quiet) {
    done({
      status: 255,
      stdout: 'podnet: wget without -q is not emulated (its log and progress bar); use wget -q, or -qO- for the body',
    });
    return;
  }
  const tcp = ctx.tcp;
  if (tcp === undefined) {
    done({ status: 1, stdout: `wget: podnet: node ${ctx.node.name} has no TCP stack` });
    return;
  }
  runWget(
    {
      tcp,
      lookup: (name, cb) => withLookedUp(ctx, name, (c) => cb(c.resolve(name))),
    },
    o,
    (r) => done(printed(r.status, r.stdout)),
  );
};
