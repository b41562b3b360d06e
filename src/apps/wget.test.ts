/**
 * wget -q in a small lab against an HTTP server that redirects: the body after a redirect (on the same
 * connection, as wget keeps it open to the same host), a redirect loop stopped by --max-redirect (exit
 * 8), a Location that is no URL, an error answer (exit 8), a refused connection (exit 4 at once), and a
 * server that never answers, tried --tries times with waitretry's waits of 1, 2, ... seconds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SECOND } from '../sim/engine.js';
import { HttpServer, type HttpHandler } from './http/server.js';
import { httpLab, runToEnd, start } from './http/testing.js';
import { wgetCommand, parseWgetArgs } from './wget.js';

const handler: HttpHandler = (req) => {
  const text: [string, string][] = [['Content-Type', 'text/plain']];
  switch (req.path) {
    case '/a':
      return { status: 302, headers: [...text, ['Location', '/b']], body: 'moved\n' };
    case '/b':
      return { headers: text, body: 'B\n' };
    case '/loop':
      return { status: 302, headers: [...text, ['Location', '/loop']], body: '' };
    case '/bad':
      return { status: 302, headers: [...text, ['Location', 'http://[']], body: '' };
    case '/hang':
      return undefined;
    default:
      return { status: 404, headers: text, body: 'no\n' };
  }
};

function lab(): ReturnType<typeof httpLab> {
  const l = httpLab();
  new HttpServer(handler).listen(l.web.tcp, 80);
  return l;
}

/** The HTTP server's connection count after `args` ran (one per TCP connection it accepted). */
function connectionsFor(args: string[]): number {
  const l = httpLab();
  const server = new HttpServer(handler);
  server.listen(l.web.tcp, 80);
  runToEnd(l.engine, wgetCommand, l.client.ctx, args);
  return server.stats.connections;
}

describe('wget -q', () => {
  it('follows a redirect on the same connection and prints the body with -O -', () => {
    const l = lab();
    const r = runToEnd(l.engine, wgetCommand, l.client.ctx, ['-qO-', 'http://web/a']);
    assert.deepEqual([r.status, r.stdout], [0, 'B']);
    assert.equal(connectionsFor(['-qO-', 'http://web/a']), 1);
  });

  it('stops a redirect loop at --max-redirect (exit 8), and gives up on a Location that is no URL', () => {
    const l = lab();
    assert.equal(runToEnd(l.engine, wgetCommand, l.client.ctx, ['-qO-', '--max-redirect', '3', 'web/loop']).status, 8);
    assert.equal(runToEnd(l.engine, wgetCommand, l.client.ctx, ['-qO-', 'web/bad']).status, 1);
  });

  it('exits 8 on an error answer and 4 on a refused connection, printing nothing', () => {
    const l = lab();
    assert.deepEqual(runToEnd(l.engine, wgetCommand, l.client.ctx, ['-qO-', 'web/nope']), { status: 8, stdout: '' });
    const refused = runToEnd(l.engine, wgetCommand, l.client.ctx, ['-qO-', 'http://web:81/']);
    assert.deepEqual([refused.status, refused.stdout], [4, '']);
  });

  it('tries a server that never answers --tries times, waiting 1, 2, ... seconds between, then exits 4', () => {
    const l = lab();
    const t0 = l.engine.now;
    const box = start(wgetCommand, l.client.ctx, ['-q', '-T', '2', '-t', '3', '-O', '-', 'web/hang']);
    l.engine.run(t0 + 60 * SECOND);
    assert.equal(box.result?.status, 4);
    // three tries of 2 s each, with waits of 1 and 2 s between them: 9 s
    const took = box.at! - t0;
    assert.ok(took >= 9 * SECOND && took < 9 * SECOND + SECOND / 10, `${took} ns`);
  });

  it('reads its options as getopt_long does, and says what it does not emulate', () => {
    assert.deepEqual(parseWgetArgs(['-qO-', '--header=X: 1', '--tries', 'inf', 'web']), {
      url: 'web',
      quiet: true,
      output: '-',
      tries: 0,
      headers: ['X: 1'],
      maxRedirect: 20,
    });
    assert.match(String((parseWgetArgs(['--mirror', 'web']) as { error: string }).error), /not emulated/);
    assert.match(String((parseWgetArgs([]) as { error: string }).error), /^wget: missing URL/);
  });
});
