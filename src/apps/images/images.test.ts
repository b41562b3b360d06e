import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageRef } from './image-ref.js';
import { imageBehaviour, isKnownImage, startContainer } from './registry.js';
import { listenPort, parseGoFlags } from './go-flags.js';
import { NGINX_INDEX_HTML, nginxVersion } from './nginx.js';
import { HTTPD_INDEX_HTML } from './httpd.js';
import { httpLab, ip, runToEnd, type LabHost } from '../http/testing.js';
import { HttpConnection, httpExchange, type HttpExchangeResult } from '../http/client.js';
import { SECOND } from '../../sim/engine.js';
import { curlCommand } from '../curl.js';
import type { ContainerContext, DeclaredPort } from './types.js';

function ctxOn(h: LabHost, image: string, args: string[] = [], ports: DeclaredPort[] = []): ContainerContext {
  return { node: h.node, tcp: h.tcp, udp: h.udp, hostname: 'pod-a', image, command: [], args, ports };
}

describe('image references', () => {
  it('registry, library/, tag and digest do not change the repository', () => {
    for (const ref of ['nginx', 'nginx:1.25', 'docker.io/library/nginx:1.25', 'library/nginx', 'nginx@sha256:abcd'])
      assert.equal(parseImageRef(ref).repository, 'nginx', ref);
    assert.deepEqual(parseImageRef('rancher/mirrored-coredns-coredns:1.10.1'), {
      repository: 'rancher/mirrored-coredns-coredns',
      tag: '1.10.1',
    });
    assert.deepEqual(parseImageRef('localhost:5000/team/app:v2'), {
      registry: 'localhost:5000',
      repository: 'team/app',
      tag: 'v2',
    });
    assert.equal(parseImageRef('registry.k8s.io/coredns/coredns:v1.11.1').repository, 'coredns/coredns');
  });

  it('matches the known images by repository, and no others', () => {
    assert.deepEqual(imageBehaviour('docker.io/library/nginx:1.25')?.repositories, ['nginx']);
    assert.ok(imageBehaviour('rancher/mirrored-coredns-coredns:1.10.1')?.repositories.includes('coredns/coredns'));
    assert.ok(isKnownImage('ghcr.io/traefik/whoami:v1.10'), 'the registry does not matter');
    for (const known of ['traefik/whoami:v1.10', 'hashicorp/http-echo', 'busybox:1.36', 'alpine', 'httpd:2.4'])
      assert.ok(isKnownImage(known), known);
    for (const unknown of ['bitnami/nginx', 'nginxinc/nginx-unprivileged', 'example.com/acme/app:1'])
      assert.ok(!isKnownImage(unknown), unknown);
  });

  it('the version nginx reports follows a full version tag', () => {
    assert.equal(nginxVersion('nginx:1.25.3'), '1.25.3');
    assert.equal(nginxVersion('nginx:1.25.3-alpine'), '1.25.3');
    assert.equal(nginxVersion('nginx:1.27'), '1.27.2');
    assert.equal(nginxVersion('nginx'), '1.27.2');
  });
});

describe("Go's flags", () => {
  it('reads -a=b, --a=b, -a b and booleans, and stops at the first non-flag', () => {
    const r = parseGoFlags(['-text=hello world', '--listen', ':8080', '-verbose', 'extra', '-x=1'], ['verbose']);
    assert.deepEqual(
      [...r.flags],
      [
        ['text', 'hello world'],
        ['listen', ':8080'],
        ['verbose', 'true'],
      ],
    );
    assert.deepEqual(r.rest, ['extra', '-x=1']);
    assert.equal(listenPort(':5678'), 5678);
    assert.equal(listenPort('0.0.0.0:80'), 80);
    assert.equal(listenPort('8080'), 8080);
    assert.equal(listenPort(':http'), undefined);
  });
});

describe('images over the emulated network', () => {
  const lab = (image: string, args: string[] = []) => {
    const l = httpLab();
    const running = startContainer(ctxOn(l.web, image, args, [{ containerPort: 9000, protocol: 'TCP' }]));
    return { l, running };
  };
  /** GET `path` on web:`port` from the client: the response's lines as received and its body bytes as text. */
  const get = (image: string, args: string[], port: number, path = '/', extra: [string, string][] = []) => {
    const { l } = lab(image, args);
    const conn = new HttpConnection(l.client.tcp, ip('10.43.0.1'), port);
    let res: HttpExchangeResult | undefined;
    const fields: [string, string][] = [
      ['Host', port === 80 ? 'web' : `web:${port}`],
      ['User-Agent', 'curl/7.88.1'],
      ['Accept', '*/*'],
      ...extra,
    ];
    httpExchange(conn, { method: 'GET', target: path, fields }, {}, (r) => (res = r));
    l.engine.runUntilIdle(10 * SECOND);
    assert.ok(res?.head !== undefined, `no response: ${JSON.stringify(res?.failure)}`);
    return { lines: res.head.lines, body: new TextDecoder().decode(res.body) };
  };
  const curl = (image: string, args: string[], url: string, curlArgs: string[] = ['-s']) => {
    const { l, running } = lab(image, args);
    return { r: runToEnd(l.engine, curlCommand, l.client.ctx, [...curlArgs, url]), running };
  };

  it("nginx: the 615-byte default page with nginx's fields in nginx's order", () => {
    assert.equal(NGINX_INDEX_HTML.length, 615); // the real file's ETag ends in -267: 0x267 = 615
    const { lines, body } = get('nginx:1.27', [], 80);
    assert.equal(body, NGINX_INDEX_HTML);
    assert.deepEqual(lines, [
      'HTTP/1.1 200 OK',
      'Server: nginx/1.27.2',
      'Date: Thu, 01 Jan 2026 00:00:00 GMT',
      'Content-Type: text/html',
      'Content-Length: 615',
      'Last-Modified: Wed, 02 Oct 2024 15:13:19 GMT',
      'Connection: keep-alive',
      'ETag: "66fd630f-267"',
      'Accept-Ranges: bytes',
    ]);
  });

  it("nginx: other paths get nginx's 404 page naming the version, with CRLF line ends", () => {
    const { lines, body } = get('nginx:1.25.3', [], 80, '/missing');
    assert.equal(lines[0], 'HTTP/1.1 404 Not Found');
    assert.equal(
      body,
      '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n',
    );
  });

  // Field order and the keep-alive rule checked against Debian's apache2 2.4.71 with curl -si (2026-12-03):
  // curl sends no Connection field, so Apache sends neither Keep-Alive nor Connection (ap_set_keepalive)
  it('httpd: "It works!" in Apache\'s field order; Keep-Alive only when the client asked for it', () => {
    const { lines, body } = get('httpd:2.4', [], 80);
    assert.equal(body, '<html><body><h1>It works!</h1></body></html>\n');
    assert.equal(body, HTTPD_INDEX_HTML);
    assert.deepEqual(lines, [
      'HTTP/1.1 200 OK',
      'Date: Thu, 01 Jan 2026 00:00:00 GMT',
      'Server: Apache/2.4.62 (Unix)',
      'Last-Modified: Mon, 11 Jun 2007 18:53:14 GMT',
      'ETag: "2d-432a5e4a73a80"',
      'Accept-Ranges: bytes',
      'Content-Length: 45',
      'Content-Type: text/html',
    ]);
    const asked = get('httpd:2.4', [], 80, '/', [['Connection', 'keep-alive']]);
    assert.deepEqual(asked.lines.slice(6), [
      'Content-Length: 45',
      'Keep-Alive: timeout=5, max=100',
      'Connection: Keep-Alive',
      'Content-Type: text/html',
    ]);
  });

  it('whoami: the client address as the server saw it, on port 80 or --port', () => {
    const { lines, body } = get('traefik/whoami:v1.10', [], 80);
    assert.match(
      body,
      /^Hostname: pod-a\nIP: 127\.0\.0\.1\nIP: 10\.43\.0\.1\nRemoteAddr: 10\.0\.1\.2:\d+\nGET \/ HTTP\/1\.1\r\nHost: web\r\n/,
    );
    assert.deepEqual(
      lines.map((x) => x.split(':')[0]),
      ['HTTP/1.1 200 OK', 'Date', 'Content-Length', 'Content-Type'],
    );
    assert.match(get('traefik/whoami', ['--port', '8080'], 8080).body, /^Hostname: pod-a\n/);
  });

  it('http-echo: -text and a newline on 5678, Go field order; without -text nothing listens', () => {
    const { lines, body } = get('hashicorp/http-echo:1.0', ['-text=hello'], 5678);
    assert.equal(body, 'hello\n');
    assert.deepEqual(
      lines.map((x) => x.replace(/^Date: .*/, 'Date')),
      [
        'HTTP/1.1 200 OK',
        'X-App-Name: http-echo',
        'X-App-Version: 1.0.0',
        'Date',
        'Content-Length: 6',
        'Content-Type: text/plain; charset=utf-8',
      ],
    );
    const none = curl('hashicorp/http-echo', [], 'http://web:5678/');
    assert.equal(none.running.exited, 'Missing -text option!');
    assert.equal(none.r.status, 7, 'curl: (7) connection refused');
  });

  it("listen() backlogs as `ss -lnt` shows them: a Go program's net.core.somaxconn (4096), nginx's and Apache's 511", () => {
    // Go's net.Listen passes somaxconn (4096 since Linux 5.4; maxListenerBacklog in net/sock_linux.go);
    // nginx's NGX_LISTEN_BACKLOG and Apache's ListenBacklog default to 511
    for (const [image, args, port, backlog] of [
      ['traefik/whoami', [], 80, 4096],
      ['hashicorp/http-echo', ['-text=hi'], 5678, 4096],
      ['rancher/mirrored-coredns-coredns:1.10.1', ['-conf', '/etc/coredns/Corefile'], 53, 4096],
      ['nginx', [], 80, 511],
      ['httpd', [], 80, 511],
    ] as const) {
      const lab = httpLab();
      startContainer(ctxOn(lab.web, image, [...args]));
      assert.equal(lab.web.tcp.listener(port)?.backlog, backlog, image);
    }
  });

  it('busybox: its declared port refuses', () => {
    assert.equal(curl('busybox:1.36', [], 'http://web:9000/').r.status, 7);
  });

  it('an unknown image accepts on its TCP containerPort and answers nothing', () => {
    const { r, running } = curl('example.com/acme/app:1', [], 'http://web:9000/', ['-sv', '-m', '2']);
    assert.equal(r.status, 28, 'curl: (28) operation timed out');
    assert.match(r.stdout, /Connected to web \(10\.43\.0\.1\) port 9000/);
    assert.match(r.stdout, /with 0 bytes received/);
    assert.deepEqual(
      running.listening.map((x) => `${x.port}/${x.protocol}`),
      ['9000/TCP'],
    );
  });
});
