/**
 * curl's --write-out (-w): %{variable} (the ones curl 7.88 documents that make sense here), %header{name},
 * %%, and the escapes \n \r \t \\, computed from an exchange in simulated time. An unknown variable
 * is reported on stderr as curl does ("curl: unknown --write-out variable: 'x'") and expands to nothing.
 */
import { formatIpv4, type Ipv4 } from '../../wire/addr.js';
import { SECOND } from '../../sim/engine.js';
import type { HttpExchangeResult } from './client.js';
import type { CurlUrl } from './curl-args.js';
import { fieldValue } from './message.js';

/** What -w variables are computed from. */
export interface WriteOutContext {
  code: number;
  errormsg: string;
  url: CurlUrl;
  ip: Ipv4 | undefined;
  local: { ip: string; port: number } | undefined;
  exchange: HttpExchangeResult | undefined;
  method: string;
  /** Bytes of the request head and body. */
  headBytes: number;
  bodyBytes: number;
  start: number;
}

/** Expands a -w format: %{variable}, %header{name}, %%, and the escapes \n \r \t \\. */
export function curlWriteOut(format: string, c: WriteOutContext, unknown: (name: string) => void): string {
  const x = c.exchange;
  const t = x?.timings;
  const secs = (ns: number | undefined): string => ((ns === undefined ? 0 : ns - c.start) / SECOND).toFixed(6);
  const head = x?.head;
  const connected = x !== undefined && t?.connected !== undefined;
  const totalUs = t === undefined ? 0 : Math.floor((t.done - c.start) / 1000);
  const vars: Record<string, () => string> = {
    http_code: () => String(head?.status ?? 0).padStart(3, '0'),
    response_code: () => String(head?.status ?? 0).padStart(3, '0'),
    http_version: () => (head === undefined ? '0' : head.version.slice(5)),
    exitcode: () => String(c.code),
    errormsg: () => c.errormsg,
    method: () => c.method,
    scheme: () => 'HTTP',
    url_effective: () => c.url.effective,
    url: () => c.url.effective,
    remote_ip: () => (connected && c.ip !== undefined ? formatIpv4(c.ip) : ''),
    remote_port: () => (connected ? String(c.url.port) : '0'),
    local_ip: () => c.local?.ip ?? '',
    local_port: () => String(c.local?.port ?? 0),
    num_connects: () => (connected ? '1' : '0'),
    num_redirects: () => '0',
    redirect_url: () => '',
    content_type: () => (head === undefined ? '' : (fieldValue(head.fields, 'content-type') ?? '')),
    size_download: () => String(x?.bodyBytes ?? 0),
    size_upload: () => String(connected ? c.bodyBytes : 0),
    size_header: () => String((x?.interim ?? []).reduce((n, h) => n + h.headerBytes, 0) + (head?.headerBytes ?? 0)),
    size_request: () => String(connected ? c.headBytes + c.bodyBytes : 0),
    speed_download: () => String(totalUs > 0 ? Math.floor(((x?.bodyBytes ?? 0) * 1_000_000) / totalUs) : 0),
    speed_upload: () => '0',
    time_namelookup: () => secs(c.start),
    time_connect: () => secs(t?.connected),
    time_appconnect: () => (0).toFixed(6),
    time_pretransfer: () => secs(t?.connected),
    time_starttransfer: () => secs(t?.firstByte),
    time_redirect: () => (0).toFixed(6),
    time_total: () => secs(t?.done),
  };
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch === '\\' && i + 1 < format.length) {
      const n = format[++i]!;
      out += n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n === '\\' ? '\\' : `\\${n}`;
    } else if (ch === '%' && format[i + 1] === '%') {
      out += '%';
      i++;
    } else if (ch === '%' && format[i + 1] === '{') {
      const end = format.indexOf('}', i);
      if (end < 0) {
        out += ch;
        continue;
      }
      const name = format.slice(i + 2, end);
      i = end;
      const v = vars[name];
      if (v === undefined) unknown(name);
      else out += v();
    } else if (format.startsWith('%header{', i)) {
      const end = format.indexOf('}', i);
      if (end < 0) {
        out += ch;
        continue;
      }
      const name = format.slice(i + 8, end);
      i = end;
      out += head === undefined ? '' : (fieldValue(head.fields, name) ?? '');
    } else out += ch;
  }
  return out;
}
