/**
 * The official Apache httpd image (docker.io/library/httpd): httpd on port 80 serving htdocs, whose
 * index.html is "<html><body><h1>It works!</h1></body></html>\n" (45 bytes). Fields in Apache's order with
 * "Server: Apache/<version> (Unix)" (ServerTokens Full, the image's httpd.conf default) and Apache's
 * Keep-Alive fields.
 *
 * Last-Modified and ETag are the ones that file has carried since 2007 (mtime 2007-06-11 18:53:14 UTC;
 * Apache's ETag is "<size hex>-<mtime in µs hex>" with FileETag MTime Size). Written from `curl -v`
 * transcripts; field order and the keep-alive rule checked against Debian's apache2 2.4.71 with curl -si
 * (the image itself was not run: no container runtime here).
 */
import { HttpServer, type HttpHandler } from '../http/server.js';
import { apacheFields } from './server-fields.js';
import { parseImageRef } from './image-ref.js';
import type { ContainerContext, ImageBehaviour, RunningContainer } from './types.js';

/** The version httpd reports when the tag does not name a full one ("httpd", "httpd:2.4"). */
export const HTTPD_DEFAULT_VERSION = '2.4.62';

/** htdocs/index.html of the image. */
export const HTTPD_INDEX_HTML = '<html><body><h1>It works!</h1></body></html>\n';

/** Apache's 404 page (modules/http/http_protocol.c get_canned_error_string). */
export const HTTPD_NOT_FOUND =
  '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n' +
  '</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n';

/** The version in an image tag like "2.4.58" or "2.4.58-alpine"; the default otherwise. */
export function httpdVersion(image: string): string {
  const m = /^(\d+\.\d+\.\d+)(-|$)/.exec(parseImageRef(image).tag ?? '');
  return m?.[1] ?? HTTPD_DEFAULT_VERSION;
}

/** The default htdocs: index for "/" and "/index.html", 404 for the rest. */
export const httpdHandler: HttpHandler = (req) => {
  if (req.path === '/' || req.path === '/index.html')
    return {
      headers: [
        ['Last-Modified', 'Mon, 11 Jun 2007 18:53:14 GMT'],
        ['ETag', '"2d-432a5e4a73a80"'],
        ['Accept-Ranges', 'bytes'],
        ['Content-Type', 'text/html'],
      ],
      body: HTTPD_INDEX_HTML,
    };
  return { status: 404, headers: [['Content-Type', 'text/html; charset=iso-8859-1']], body: HTTPD_NOT_FOUND };
};

/** Apache httpd. */
export const httpdImage: ImageBehaviour = {
  repositories: ['httpd'],
  summary: 'port 80: "It works!", Apache\'s 404 page, Apache\'s response fields',
  start(ctx: ContainerContext): RunningContainer {
    const server = new HttpServer(httpdHandler, {
      serverName: `Apache/${httpdVersion(ctx.image)} (Unix)`,
      keepAliveTimeoutNs: 5_000_000_000,
      maxRequestsPerConnection: 100,
      arrangeFields: apacheFields,
    });
    server.listen(ctx.tcp, 80);
    return { listening: [{ protocol: 'TCP', port: 80, serves: 'Apache "It works!"' }], stop: () => server.close() };
  },
};
