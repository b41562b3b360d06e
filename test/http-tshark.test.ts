/**
 * HTTP exchanges inside the emulation, checked by an independent dissector: curl and nc talk to the
 * HttpServer two hops away while every link is captured; tshark must decode every frame cleanly (no
 * malformed packet, no bad checksum) and read, after its own TCP reassembly, the same requests (method,
 * Host, URI) and responses (status, Content-Length, chunked body) that our parser and server handled,
 * including a 9 KiB header answered with 431.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureLinks } from '../src/observe/capture.js';
import { curlCommand } from '../src/apps/curl.js';
import { ncCommand } from '../src/apps/nc.js';
import { HttpServer, type HttpServerRequest } from '../src/apps/http/server.js';
import { goldenHandler, httpLab, runToEnd } from '../src/apps/http/testing.js';
import { requirePeer } from './support/peers.js';
import { assertCleanDecode, tsharkFramesOf } from './support/tshark.js';

const TSHARK = { bin: 'tshark', install: 'apt-get install -y tshark' };

test('an HTTP exchange in the emulation decodes in tshark as our parser and server saw it', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const lab = httpLab();
  const captures = captureLinks(lab.net);
  const seen: HttpServerRequest[] = [];
  const server = new HttpServer((req, respond) => {
    seen.push(req);
    return goldenHandler(req, respond);
  });
  server.listen(lab.web.tcp, 80);

  const run = (cmd: typeof curlCommand, args: string[]): void => {
    runToEnd(lab.engine, cmd, lab.client.ctx, args);
  };
  run(curlCommand, ['http://web/']);
  run(curlCommand, ['-d', 'a=1&b=2', 'http://10.43.0.1/post']);
  run(curlCommand, ['http://web/chunked']);
  run(curlCommand, ['-I', 'http://web/missing']);
  run(ncCommand, [
    '-N',
    'web',
    '80',
    '--send',
    `GET /big HTTP/1.1\\r\\nHost: web\\r\\nX-Big: ${'a'.repeat(9 * 1024)}\\r\\n\\r\\n`,
  ]);
  lab.engine.run(lab.engine.now + 10_000_000_000);

  // the client's link carries everything; tshark reassembles the TCP streams itself
  const link = captures.find((c) => c.fileName.startsWith('client-eth0'));
  assert.ok(link, captures.map((c) => c.fileName).join(', '));
  const frames = tsharkFramesOf(link.writer.bytes());
  assert.ok(frames.length > 20, `${frames.length} frames`);
  assertCleanDecode(frames);

  const f = (name: string): string[] => frames.flatMap((fr) => fr.fields[name] ?? []);
  assert.deepEqual(f('http.request.method'), [...seen.map((r) => r.method), 'GET']);
  assert.deepEqual(f('http.host'), [...seen.map((r) => r.host), 'web']);
  assert.deepEqual(f('http.request.uri'), [...seen.map((r) => r.target), '/big']);
  assert.deepEqual(
    seen.map((r) => `${r.method} ${r.target}`),
    ['GET /', 'POST /post', 'GET /chunked', 'HEAD /missing'],
  );
  const statuses = [...server.stats.responses.entries()].flatMap(([code, n]) => Array<string>(n).fill(String(code)));
  assert.deepEqual([...f('http.response.code')].sort(), statuses.sort());
  assert.deepEqual(f('http.response.code'), ['200', '200', '200', '404', '431']);
  // in wire order: GET's answer, the POST body, its echo, the HEAD answer (the length it would have), the 431
  assert.deepEqual(f('http.content_length_header'), ['18', '7', '19', '19', '75']);
  assert.ok(f('http.transfer_encoding').includes('chunked'), 'the chunked response was recognised');
  assert.deepEqual(
    server.stats.parseErrors.map((e) => e.status),
    [431],
  );
});
