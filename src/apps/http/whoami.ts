/**
 * A demo handler that answers with what the server saw, in the layout of traefik/whoami (the image
 * Kubernetes and Traefik tutorials put behind a Service; its app.go, whoamiHandler and getIPs): the node's
 * name and addresses, the client address as it reached the server (so NAT, kube-proxy DNAT/SNAT and
 * proxies show), then the request re-written as Go's Request.Write prints it: request line, Host,
 * User-Agent, the other fields sorted and in Go's canonical case, CRLF line ends. The response is Go
 * net/http's: no Server field; Date, Content-Length, then the sniffed Content-Type (server.go's
 * extraHeader order). /health answers 200 with no body.
 *
 * getIPs walks net.Interfaces() in index order, so lo's 127.0.0.1 comes first; podnet has no IPv6, so the
 * "IP: ::1" and "IP: fe80::..." lines a real container prints are missing.
 */
import { formatIpv4 } from '../../wire/addr.js';
import type { IpNode } from '../../net/ip-node.js';
import { LOOPBACK_ADDR } from '../../net/loopback.js';
import { goFields } from '../images/server-fields.js';
import { concatBytes, latin1Bytes } from './message.js';
import { HttpServer, type HttpHandler, type HttpServerRequest } from './server.js';

/** Go's textproto.CanonicalMIMEHeaderKey: "x-forwarded-for" → "X-Forwarded-For"; names with other characters stay as they are. */
export function canonicalHeaderKey(name: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** The request as Go's (*http.Request).Write writes a request a server received. */
export function goRequestWrite(req: HttpServerRequest): Uint8Array {
  const target = req.path + (req.query === '' ? '' : `?${req.query}`);
  let text = `${req.method} ${target || '/'} HTTP/1.1\r\nHost: ${req.host}\r\n`;
  const ua = req.fields.find((f) => f.name.toLowerCase() === 'user-agent')?.value;
  // Go writes its default User-Agent when the request had none
  text += `User-Agent: ${ua ?? 'Go-http-client/1.1'}\r\n`;
  // the transfer writer: Content-Length for a body (and for an empty POST/PUT/PATCH), chunked never here
  if (req.body.length > 0 || ['POST', 'PUT', 'PATCH'].includes(req.method))
    text += `Content-Length: ${req.body.length}\r\n`;
  const skip = new Set(['host', 'user-agent', 'content-length', 'transfer-encoding', 'trailer']);
  const byKey = new Map<string, string[]>();
  for (const f of req.fields) {
    if (skip.has(f.name.toLowerCase())) continue;
    const k = canonicalHeaderKey(f.name);
    byKey.set(k, [...(byKey.get(k) ?? []), f.value]);
  }
  for (const k of [...byKey.keys()].sort()) for (const v of byKey.get(k)!) text += `${k}: ${v}\r\n`;
  return concatBytes([latin1Bytes(`${text}\r\n`), req.body]);
}

/** whoami's text for `req` on a node called `hostname` with `addresses`. */
export function whoamiBody(req: HttpServerRequest, hostname: string, addresses: readonly string[]): Uint8Array {
  let text = `Hostname: ${hostname}\n`;
  for (const a of addresses) text += `IP: ${a}\n`;
  text += `RemoteAddr: ${req.remoteAddress}:${req.remotePort}\n`;
  return concatBytes([latin1Bytes(text), goRequestWrite(req)]);
}

/** The addresses whoami lists for `node`: lo's 127.0.0.1, then each interface's, in interface order. */
export function whoamiAddresses(node: IpNode): string[] {
  return [formatIpv4(LOOPBACK_ADDR), ...node.devs.flatMap((d) => d.addresses.map((a) => formatIpv4(a.addr)))];
}

/** The whoami handler for a server on `node`, calling itself `hostname` (Content-Type as Go sniffs text). */
export function whoamiHandler(node: IpNode, hostname = node.name): HttpHandler {
  return (req) => {
    if (req.path === '/health') return { status: 200 };
    return {
      status: 200,
      headers: [['Content-Type', 'text/plain; charset=utf-8']],
      body: whoamiBody(req, hostname, whoamiAddresses(node)),
    };
  };
}

/** A whoami server as traefik/whoami runs one: Go net/http's fields (no Server, Go's order). */
export function whoamiServer(node: IpNode, hostname = node.name): HttpServer {
  return new HttpServer(whoamiHandler(node, hostname), { serverName: '', arrangeFields: goFields });
}
