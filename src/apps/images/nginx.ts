/**
 * The official nginx image (docker.io/library/nginx): nginx on port 80 with the image's default.conf,
 * serving /usr/share/nginx/html: "/" and "/index.html" are the "Welcome to nginx!" page, anything else
 * nginx's 404 page. Fields in nginx's order, "Server: nginx/<version>".
 *
 * The page is html/index.html of the nginx 1.27 source (615 bytes, as nginx.org and the image ship it;
 * checked against copies of `curl` output). Last-Modified and ETag are those of nginx 1.27.2's index.html
 * (mtime 2024-10-02 15:13:19 UTC; nginx's ETag is "<mtime hex>-<length hex>", ngx_http_set_etag); other
 * releases have other mtimes. The field order and the 404 page's shape were checked against Debian's nginx
 * 1.22.1 with curl -si (2026-12-03); the image itself was not run (no container runtime here).
 */
import { HttpServer, type HttpHandler } from '../http/server.js';
import { nginxFields } from './server-fields.js';
import { parseImageRef } from './image-ref.js';
import type { ContainerContext, ImageBehaviour, RunningContainer } from './types.js';

/** The version nginx reports when the tag does not name a full one ("nginx", "nginx:1.27", "nginx:alpine"). */
export const NGINX_DEFAULT_VERSION = '1.27.2';

/** /usr/share/nginx/html/index.html of the image. */
export const NGINX_INDEX_HTML = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`;

const INDEX_MTIME = { http: 'Wed, 02 Oct 2024 15:13:19 GMT', hex: '66fd630f' };

/** nginx's error page (ngx_http_special_response.c: the status lines, then the tail with NGINX_VER; CRLF line ends). */
export function nginxErrorPage(status: number, reason: string, version: string): string {
  return (
    `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n` +
    `<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx/${version}</center>\r\n</body>\r\n</html>\r\n`
  );
}

/** The version in an image tag like "1.25.3" or "1.25.3-alpine"; the default otherwise. */
export function nginxVersion(image: string): string {
  const m = /^(\d+\.\d+\.\d+)(-|$)/.exec(parseImageRef(image).tag ?? '');
  return m?.[1] ?? NGINX_DEFAULT_VERSION;
}

/** The default site: index for "/" and "/index.html", 404 for the rest. */
export function nginxHandler(version: string): HttpHandler {
  return (req) => {
    if (req.path === '/' || req.path === '/index.html')
      return {
        headers: [
          ['Content-Type', 'text/html'],
          ['Last-Modified', INDEX_MTIME.http],
          ['ETag', `"${INDEX_MTIME.hex}-${NGINX_INDEX_HTML.length.toString(16)}"`],
          ['Accept-Ranges', 'bytes'],
        ],
        body: NGINX_INDEX_HTML,
      };
    return { status: 404, headers: [['Content-Type', 'text/html']], body: nginxErrorPage(404, 'Not Found', version) };
  };
}

/** nginx. */
export const nginxImage: ImageBehaviour = {
  repositories: ['nginx'],
  summary: 'port 80: the "Welcome to nginx!" page, nginx\'s 404 page, nginx\'s response fields',
  start(ctx: ContainerContext): RunningContainer {
    const version = nginxVersion(ctx.image);
    const server = new HttpServer(nginxHandler(version), {
      serverName: `nginx/${version}`,
      // nginx's keepalive_timeout in the image's nginx.conf: 65 s
      keepAliveTimeoutNs: 65_000_000_000,
      arrangeFields: nginxFields,
    });
    server.listen(ctx.tcp, 80);
    return { listening: [{ protocol: 'TCP', port: 80, serves: 'nginx default page' }], stop: () => server.close() };
  },
};
