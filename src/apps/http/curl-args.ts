/**
 * curl's command line as curl 7.88.1 reads it: options (grouped short flags, attached values, long
 * names, its usage errors and exit status 2), the URL (http:// only, the scheme may be left out), and
 * the request it builds from them: Host first, User-Agent, Accept, -H lines verbatim in their place
 * ("Name:" removes a header, "Name;" sends it empty), then Content-Length and Content-Type for -d.
 * Running it is src/apps/curl.ts.
 */
import { utf8 } from './message.js';
import { splitHostPortTarget } from './url.js';

/** The version curl announces in User-Agent. */
export const CURL_VERSION = '7.88.1';

/** A parsed curl command line. */
export interface CurlOptions {
  url: string;
  verbose: boolean;
  silent: boolean;
  showError: boolean;
  include: boolean;
  head: boolean;
  fail: boolean;
  noProgress: boolean;
  method?: string;
  /** -H values, in order. */
  headers: string[];
  /** -d values (joined with '&'). */
  data?: string[];
  maxTimeS?: number;
  connectTimeoutS?: number;
  output?: string;
  writeOut?: string;
  userAgent?: string;
}

const TRY_HELP = "curl: try 'curl --help' or 'curl --manual' for more information";

type Key = keyof CurlOptions | 'ignore' | 'data-raw';
const LONG: Record<string, { key: Key; arg: boolean }> = {
  verbose: { key: 'verbose', arg: false },
  silent: { key: 'silent', arg: false },
  'show-error': { key: 'showError', arg: false },
  include: { key: 'include', arg: false },
  head: { key: 'head', arg: false },
  fail: { key: 'fail', arg: false },
  'no-progress-meter': { key: 'noProgress', arg: false },
  request: { key: 'method', arg: true },
  header: { key: 'headers', arg: true },
  data: { key: 'data', arg: true },
  'data-ascii': { key: 'data', arg: true },
  'data-raw': { key: 'data', arg: true },
  'data-binary': { key: 'data', arg: true },
  'max-time': { key: 'maxTimeS', arg: true },
  'connect-timeout': { key: 'connectTimeoutS', arg: true },
  output: { key: 'output', arg: true },
  'write-out': { key: 'writeOut', arg: true },
  'user-agent': { key: 'userAgent', arg: true },
  url: { key: 'url', arg: true },
  ipv4: { key: 'ignore', arg: false },
  insecure: { key: 'ignore', arg: false },
  'http1.1': { key: 'ignore', arg: false },
  'no-styled-output': { key: 'ignore', arg: false },
  'no-buffer': { key: 'ignore', arg: false },
};
const SHORT: Record<string, string> = {
  v: 'verbose',
  s: 'silent',
  S: 'show-error',
  i: 'include',
  I: 'head',
  f: 'fail',
  X: 'request',
  H: 'header',
  d: 'data',
  m: 'max-time',
  o: 'output',
  w: 'write-out',
  A: 'user-agent',
  '4': 'ipv4',
  k: 'insecure',
  N: 'no-buffer',
};

/** Parses curl's arguments; a usage error comes back as curl's text (exit status 2). */
export function parseCurlArgs(args: readonly string[]): CurlOptions | { error: string } {
  const o: CurlOptions = {
    url: '',
    verbose: false,
    silent: false,
    showError: false,
    include: false,
    head: false,
    fail: false,
    noProgress: false,
    headers: [],
  };
  const urls: string[] = [];
  const set = (name: string, shown: string, value: string | undefined): string | undefined => {
    const spec = LONG[name]!;
    const k = spec.key;
    if (!spec.arg) {
      if (k !== 'ignore') (o as unknown as Record<string, boolean>)[k] = true;
      return undefined;
    }
    if (value === undefined) return `curl: option ${shown}: requires parameter`;
    if (k === 'headers') o.headers.push(value);
    else if (k === 'data') (o.data ??= []).push(value);
    else if (k === 'maxTimeS' || k === 'connectTimeoutS') {
      if (!/^[0-9]*\.?[0-9]+$/.test(value.trim()))
        return `curl: option ${shown}: expected a ${/^-/.test(value.trim()) ? 'positive' : 'proper'} numerical parameter`;
      o[k] = Number(value);
    } else if (k === 'url') urls.push(value);
    else (o as unknown as Record<string, string>)[k] = value;
    return undefined;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let err: string | undefined;
    if (a.startsWith('--') && a.length > 2) {
      const name = a.slice(2);
      if (LONG[name] === undefined) return { error: `curl: option ${a}: is unknown\n${TRY_HELP}` };
      err = set(name, a, LONG[name].arg ? args[++i] : undefined);
    } else if (a.startsWith('-') && a.length > 1) {
      // short options group ("-sSv"); one taking a value ends the group, its value attached or next
      for (let j = 1; j < a.length; j++) {
        const name = SHORT[a[j]!];
        if (name === undefined) return { error: `curl: option ${a}: is unknown\n${TRY_HELP}` };
        if (LONG[name]!.arg) {
          const attached = a.slice(j + 1);
          err = set(name, `-${a[j]}`, attached !== '' ? attached : args[++i]);
          break;
        }
        err = set(name, `-${a[j]}`, undefined);
      }
    } else {
      urls.push(a);
    }
    if (err !== undefined) return { error: `${err}\n${TRY_HELP}` };
  }
  if (urls.length === 0) return { error: `curl: no URL specified!\n${TRY_HELP}` };
  if (urls.length > 1)
    return { error: `curl: podnet's curl fetches one URL per run (got ${urls.length})\n${TRY_HELP}` };
  o.url = urls[0]!;
  return o;
}

/** An http:// URL as curl reads it. */
export interface CurlUrl {
  host: string;
  port: number;
  /** The port was written in the URL (and is not 80): it then appears in Host. */
  showPort: boolean;
  /** Path and query ("/" when empty); the fragment is dropped. */
  target: string;
  /** %{url_effective}. */
  effective: string;
}

/** Parses `url` (the scheme may be left out, as curl allows); errors come with curl's code and text. */
export function parseCurlUrl(url: string): CurlUrl | { code: number; message: string } {
  const bad = { code: 3, message: 'URL using bad/illegal format or missing URL' };
  let rest = url;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest);
  if (scheme !== null) {
    const s = scheme[1]!.toLowerCase();
    if (s !== 'http') return { code: 1, message: `Protocol "${s}" not supported or disabled in libcurl` };
    rest = rest.slice(scheme[0].length);
  }
  if (/[\s]/.test(rest)) return bad;
  const parts = splitHostPortTarget(rest);
  if (parts === undefined) return bad;
  const { host, portText, target } = parts;
  const port = portText === undefined || portText === '' ? 80 : Number(portText);
  if (!(port >= 1 && port <= 65535)) return bad;
  const showPort = portText !== undefined && portText !== '' && port !== 80;
  return { host, port, showPort, target, effective: `http://${host}${showPort ? `:${port}` : ''}${target}` };
}

/** A -H value split as curl reads it: "Name: value" is sent as typed, "Name:" removes, "Name;" sends it empty. */
function customHeader(h: string): { name: string; line?: string } | undefined {
  const colon = h.indexOf(':');
  const semi = h.indexOf(';');
  if (colon > 0 && (semi < 0 || colon < semi)) {
    const name = h.slice(0, colon).trim();
    const value = h.slice(colon + 1).trim();
    return value === '' ? { name } : { name, line: h };
  }
  if (semi > 0 && h.slice(semi + 1).trim() === '')
    return { name: h.slice(0, semi).trim(), line: `${h.slice(0, semi).trim()}:` };
  return undefined;
}

/** The request curl sends: its method, the head as text lines, the body. */
export function curlRequest(
  o: CurlOptions,
  u: CurlUrl,
): { method: string; lines: string[]; body: Uint8Array | undefined } {
  const body = o.data === undefined ? undefined : utf8(o.data.join('&'));
  const method = o.method ?? (o.head ? 'HEAD' : body !== undefined ? 'POST' : 'GET');
  const custom = o.headers.map(customHeader).filter((h) => h !== undefined);
  const has = (name: string): boolean => custom.some((c) => c.name.toLowerCase() === name);
  const hostLine = custom.find((c) => c.name.toLowerCase() === 'host');
  const lines = [`${method} ${u.target} HTTP/1.1`];
  if (hostLine === undefined) lines.push(`Host: ${u.host}${u.showPort ? `:${u.port}` : ''}`);
  else if (hostLine.line !== undefined) lines.push(hostLine.line);
  if (!has('user-agent')) lines.push(`User-Agent: ${o.userAgent ?? `curl/${CURL_VERSION}`}`);
  if (!has('accept')) lines.push('Accept: */*');
  for (const c of custom) if (c.name.toLowerCase() !== 'host' && c.line !== undefined) lines.push(c.line);
  if (body !== undefined) {
    if (!has('content-length')) lines.push(`Content-Length: ${body.length}`);
    if (!has('content-type')) lines.push('Content-Type: application/x-www-form-urlencoded');
  }
  return { method, lines, body };
}
