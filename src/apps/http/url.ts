/**
 * The part of an http URL after its scheme, as curl and wget both split it: the fragment dropped, the
 * authority `host[:port]` up to the first `/` or `?`, and the target (path and query; `/` when there is
 * none, and a bare query gets its `/`). The tools judge the port and their own errors.
 */
export function splitHostPortTarget(rest: string): { host: string; portText?: string; target: string } | undefined {
  const hash = rest.indexOf('#');
  const url = hash >= 0 ? rest.slice(0, hash) : rest;
  const cut = url.search(/[/?]/);
  const authority = cut < 0 ? url : url.slice(0, cut);
  const target = cut < 0 ? '/' : url[cut] === '?' ? `/${url.slice(cut)}` : url.slice(cut);
  const m = /^([^:@]+)(?::([0-9]*))?$/.exec(authority);
  if (m === null) return undefined;
  return m[2] === undefined ? { host: m[1]!, target } : { host: m[1]!, portText: m[2], target };
}
