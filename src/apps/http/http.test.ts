/**
 * The HTTP server and client end to end over the emulated network (client -- router -- web): what a
 * person checks with curl or nc against a server: keep-alive reuses one connection, pipelined requests
 * are answered in order, oversized headers get 431 and malformed requests 400 (then the connection
 * closes), HTTP/1.0 and Connection: close are honoured, Date follows the simulated clock, and the whoami
 * handler shows the client address after NAT.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIptablesSave } from '../../net/netfilter/iptables-restore.js';
import { SECOND } from '../../sim/engine.js';
import { readAll } from '../../transport/socket.js';
import { HttpClient, type HttpExchangeResult } from './client.js';
import { fieldValue, latin1, latin1Bytes, utf8Text } from './message.js';
import { parseHttpResponse } from './parser.js';
import { HttpServer, type HttpHandler } from './server.js';
import { goldenHandler, httpLab, ip, type HttpLab } from './testing.js';
import { whoamiServer } from './whoami.js';

const WEB = ip('10.43.0.1');

/** Sends raw bytes from the client to web:80 and returns everything the server sent until it closed. */
function rawExchange(
  lab: HttpLab,
  request: string | Uint8Array,
  opts: { endAfter?: boolean; runNs?: number } = {},
): { text: string; closedByServer: boolean } {
  let got: Uint8Array | undefined;
  const s = lab.client.tcp.connect(WEB, 80, {}, (sock) => {
    sock.write(typeof request === 'string' ? latin1Bytes(request) : request);
    if (opts.endAfter === true) sock.end();
  });
  readAll(s, (b) => {
    got = b;
    s.end();
  });
  lab.engine.run(lab.engine.now + (opts.runNs ?? 1 * SECOND));
  return { text: got === undefined ? '' : latin1(got), closedByServer: got !== undefined };
}

/** Splits a byte string of back-to-back responses (all with Content-Length) into parsed responses. */
function responses(
  text: string,
  methods: string[] = [],
): { status: number; fields: { name: string; value: string }[]; body: string }[] {
  const out = [];
  let bytes = latin1Bytes(text);
  let k = 0;
  while (bytes.length > 0) {
    const r = parseHttpResponse(bytes, methods[k++] ?? 'GET');
    assert.ok(r !== undefined && r.ok, r === undefined ? 'incomplete response' : r.ok ? '' : r.error.reason);
    out.push({ status: r.value.message.status, fields: r.value.message.fields, body: latin1(r.value.message.body) });
    bytes = bytes.subarray(r.value.consumed);
  }
  return out;
}

function labWith(handler: HttpHandler = goldenHandler): { lab: HttpLab; server: HttpServer } {
  const lab = httpLab();
  const server = new HttpServer(handler);
  server.listen(lab.web.tcp, 80);
  return { lab, server };
}

describe('HTTP server over the emulated network', () => {
  it('keep-alive: two requests from HttpClient travel on one connection', () => {
    const { lab, server } = labWith();
    const client = new HttpClient(lab.client.tcp);
    const results: HttpExchangeResult[] = [];
    client.request(WEB, 80, { target: '/' }, (r) => {
      results.push(r);
      client.request(WEB, 80, { target: '/post', body: 'again' }, (r2) => results.push(r2));
    });
    lab.engine.run(lab.engine.now + SECOND);
    assert.deepEqual(
      results.map((r) => [r.ok, r.head?.status, utf8Text(r.body), r.reusable]),
      [
        [true, 200, 'Hello from podnet\n', true],
        [true, 200, 'POST /post again\n', true],
      ],
    );
    assert.equal(client.connectionsOpened, 1);
    assert.equal(server.stats.connections, 1);
    assert.equal(server.stats.requests, 2);
    client.close();
  });

  it('answers pipelined requests in order on one connection, and closes after Connection: close', () => {
    const { lab } = labWith();
    const r = rawExchange(
      lab,
      'GET / HTTP/1.1\r\nHost: web\r\n\r\nHEAD / HTTP/1.1\r\nHost: web\r\n\r\nGET /missing HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n',
    );
    assert.ok(r.closedByServer);
    const rs = responses(r.text, ['GET', 'HEAD', 'GET']);
    assert.deepEqual(
      rs.map((x) => [x.status, x.body, fieldValue(x.fields, 'content-length'), fieldValue(x.fields, 'connection')]),
      [
        [200, 'Hello from podnet\n', '18', undefined],
        [200, '', '18', undefined], // HEAD: the length of the body it would have had
        [404, '404 page not found\n', '19', 'close'],
      ],
    );
    assert.deepEqual(
      rs[0]!.fields.map((f) => f.name),
      ['Server', 'Date', 'Content-Type', 'Content-Length'],
    );
  });

  it('431 for a 9 KiB header field, then the connection closes', () => {
    const { lab, server } = labWith();
    const r = rawExchange(lab, `GET / HTTP/1.1\r\nHost: web\r\nX-Big: ${'a'.repeat(9 * 1024)}\r\n\r\n`);
    assert.ok(r.closedByServer);
    const [res, ...more] = responses(r.text);
    assert.equal(more.length, 0);
    assert.equal(res!.status, 431);
    assert.match(r.text, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.equal(fieldValue(res!.fields, 'connection'), 'close');
    assert.equal(server.stats.parseErrors[0]?.status, 431);
  });

  it('400 for a malformed request line, a missing Host, a bad chunk size and CL+TE; then it closes', () => {
    const cases: [string, number][] = [
      ['GET /\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nAccept: */*\r\n\r\n', 400],
      ['POST / HTTP/1.1\r\nHost: web\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
      ['POST / HTTP/1.1\r\nHost: web\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
      ['GET / HTTP/2.0\r\nHost: web\r\n\r\n', 505],
      ['GET / HTTP/1.1\r\nHost: web\r\nExpect: something\r\n\r\n', 417],
    ];
    for (const [req, status] of cases) {
      const { lab } = labWith();
      const r = rawExchange(lab, req);
      assert.ok(r.closedByServer, JSON.stringify(req));
      const [res] = responses(r.text);
      assert.equal(res!.status, status, JSON.stringify(req));
      assert.match(res!.body, new RegExp(`^${status} `));
    }
  });

  it('HTTP/1.0: closes unless keep-alive was asked, and then says Connection: keep-alive', () => {
    const { lab } = labWith();
    const plain = rawExchange(lab, 'GET / HTTP/1.0\r\n\r\n');
    assert.ok(plain.closedByServer);
    assert.equal(fieldValue(responses(plain.text)[0]!.fields, 'connection'), 'close');
    const { lab: lab2 } = labWith();
    const ka = rawExchange(lab2, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', { runNs: SECOND });
    assert.ok(!ka.closedByServer, 'kept open (until the idle timeout)');
  });

  it('closes an idle persistent connection after the keep-alive timeout (5 s)', () => {
    const { lab } = labWith();
    const r = rawExchange(lab, 'GET / HTTP/1.1\r\nHost: web\r\n\r\n', { runNs: 6 * SECOND });
    assert.ok(r.closedByServer);
    assert.equal(responses(r.text)[0]!.status, 200);
  });

  it('reads a chunked request body, and answers Expect: 100-continue with an interim 100', () => {
    const { lab } = labWith();
    const r = rawExchange(
      lab,
      'POST /post HTTP/1.1\r\nHost: web\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n',
      { endAfter: true },
    );
    assert.match(r.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    assert.match(r.text, /POST \/post abcde\n$/);
  });

  it('writes Date from the simulated clock (2026-01-01T00:00:00Z plus engine time)', () => {
    const { lab } = labWith();
    lab.engine.run(90 * SECOND);
    const r = rawExchange(lab, 'GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n');
    assert.equal(fieldValue(responses(r.text)[0]!.fields, 'date'), 'Thu, 01 Jan 2026 00:01:30 GMT');
  });

  it('a handler may answer later; one that throws gives a 500', () => {
    const { lab } = labWith((req, respond) => {
      if (req.path === '/boom') throw new Error('boom');
      lab.engine.schedule(10_000_000, () => respond({ body: 'late\n' }));
    });
    const r = rawExchange(lab, 'GET /slow HTTP/1.1\r\nHost: web\r\n\r\nGET /boom HTTP/1.1\r\nHost: web\r\n\r\n');
    assert.deepEqual(
      responses(r.text).map((x) => [x.status, x.body]),
      [
        [200, 'late\n'],
        [500, '500 Internal Server Error: boom\n'],
      ],
    );
  });

  it('the client gives up at its deadline when no answer comes', () => {
    const { lab } = labWith();
    const client = new HttpClient(lab.client.tcp, { timeoutNs: 2 * SECOND });
    let result: HttpExchangeResult | undefined;
    client.request(WEB, 80, { target: '/hang' }, (r) => (result = r));
    lab.engine.run(lab.engine.now + 3 * SECOND);
    assert.equal(result?.failure?.kind, 'timeout');
    assert.equal(result?.failure?.phase, 'transfer');
    assert.equal(result?.timings.done, 2 * SECOND);
  });
});

describe('whoami: what the server saw', () => {
  it('prints the client address as the server sees it: the client itself, or the router after MASQUERADE', () => {
    const lab = httpLab();
    whoamiServer(lab.web.node).listen(lab.web.tcp, 80);
    const get = (): string => {
      let text = '';
      const client = new HttpClient(lab.client.tcp, { userAgent: 'curl/7.88.1' });
      client.request(
        WEB,
        80,
        {
          target: '/?x=1',
          host: 'web',
          headers: [
            ['accept', '*/*'],
            ['X-Forwarded-For', '1.2.3.4'],
          ],
        },
        (r) => {
          text = utf8Text(r.body);
          client.close();
        },
      );
      lab.engine.run(lab.engine.now + SECOND);
      return text;
    };
    const direct = get();
    assert.equal(
      direct.replace(/:\d{5}\n/, ':PORT\n'),
      // traefik/whoami's getIPs: lo first (127.0.0.1; no ::1 here, podnet has no IPv6), then eth0
      'Hostname: web\nIP: 127.0.0.1\nIP: 10.43.0.1\nRemoteAddr: 10.0.1.2:PORT\nGET /?x=1 HTTP/1.1\r\nHost: web\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n',
    );
    const nat = parseIptablesSave('*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n');
    assert.ok(nat.ok);
    lab.router.node.enableNetfilter(nat.ruleset);
    assert.match(get(), /^RemoteAddr: 10\.43\.0\.254:\d+$/m);
  });
});
