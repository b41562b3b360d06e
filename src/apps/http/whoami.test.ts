/**
 * The whoami server as traefik/whoami answers: its app.go (whoamiHandler, getIPs, the /health route) and
 * Go net/http's response (server.go: no Server field; Date, Content-Length, then the sniffed
 * Content-Type, from extraHeader.Write). `curl -si` shows the head.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { curlCommand } from '../curl.js';
import { httpLab, runToEnd } from './testing.js';
import { whoamiServer } from './whoami.js';

describe('whoami (traefik/whoami with Go net/http)', () => {
  it('answers with Date, Content-Length, Content-Type and no Server, the body listing lo first', () => {
    const lab = httpLab();
    whoamiServer(lab.web.node).listen(lab.web.tcp, 80);
    const r = runToEnd(lab.engine, curlCommand, lab.client.ctx, ['-si', 'http://10.43.0.1/']);
    assert.equal(r.status, 0);
    const lines = r.stdout.split('\n');
    const blank = lines.indexOf('');
    assert.deepEqual(
      lines
        .slice(0, blank)
        .map((l) => l.replace(/^Date: .*/, 'Date: D').replace(/^Content-Length: \d+$/, 'Content-Length: N')),
      ['HTTP/1.1 200 OK', 'Date: D', 'Content-Length: N', 'Content-Type: text/plain; charset=utf-8'],
    );
    const body = lines.slice(blank + 1).join('\n');
    assert.match(
      body,
      /^Hostname: web\nIP: 127\.0\.0\.1\nIP: 10\.43\.0\.1\nRemoteAddr: 10\.0\.1\.2:\d+\nGET \/ HTTP\/1\.1\n/,
    );
    const length = Number(/^Content-Length: (\d+)$/m.exec(r.stdout)![1]);
    // curl's screen drops the CRs of the lines Go's Request.Write ends with CRLF (the request line, Host,
    // User-Agent, Accept and the empty line: 5), and the command's text its final newline (1)
    assert.equal(length, new TextEncoder().encode(body).length + 6);
  });

  it('/health answers 200 with an empty body', () => {
    const lab = httpLab();
    whoamiServer(lab.web.node).listen(lab.web.tcp, 80);
    const r = runToEnd(lab.engine, curlCommand, lab.client.ctx, ['-si', 'http://10.43.0.1/health']);
    assert.match(r.stdout, /^HTTP\/1\.1 200 OK\nDate: .*\nContent-Length: 0\n$/);
  });
});
