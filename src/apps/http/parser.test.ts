/**
 * The HTTP/1.1 parsers and serializers against real bytes: a request captured from curl 7.88.1, chunked
 * bodies from MDN's and Wikipedia's examples and from Node's http server, then every rejection a server
 * must make (RFC 9112) with its status, keep-alive rules, response framing, and properties: any split of
 * the input gives the same events, arbitrary bytes never throw, parse(serialize(m)) is m.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fieldValue, formatHttpDate, latin1, latin1Bytes, utf8Text } from './message.js';
import {
  HttpRequestParser,
  HttpResponseParser,
  parseHttpRequest,
  parseHttpResponse,
  type HttpEvent,
} from './parser.js';
import { encodeChunked, serializeRequest, serializeResponse } from './serialize.js';
import { hex } from '../../wire/testing.js';

const bytes = (s: string): Uint8Array => latin1Bytes(s);

/** `curl -s -d 'a=1&b=2' -H 'X-Trace: abc' http://127.0.0.1:18090/submit?x=1`, captured with `nc -l -p 18090 | xxd`. */
const CURL_POST = hex(`
  504f5354 20 2f7375626d69743f783d31 20 485454502f312e31 0d0a   // POST SP /submit?x=1 SP HTTP/1.1 CRLF
  486f73743a 20 3132372e302e302e313a3138303930 0d0a                // Host: 127.0.0.1:18090
  557365722d4167656e743a 20 6375726c2f372e38382e31 0d0a            // User-Agent: curl/7.88.1
  4163636570743a 20 2a2f2a 0d0a                                    // Accept: */*
  582d54726163653a 20 616263 0d0a                                  // X-Trace: abc (-H comes before the body fields)
  436f6e74656e742d4c656e6774683a 20 37 0d0a                        // Content-Length: 7
  436f6e74656e742d547970653a 20 6170706c69636174696f6e2f782d7777772d666f726d2d75726c656e636f646564 0d0a
  0d0a                                                             // end of the header section
  613d3126623d32                                                   // a=1&b=2
`);

function requestOk(input: Uint8Array | string) {
  const r = parseHttpRequest(typeof input === 'string' ? bytes(input) : input);
  assert.ok(r !== undefined, 'incomplete');
  assert.ok(r.ok, r.ok ? '' : `${r.error.status} ${r.error.field}: ${r.error.reason}`);
  return r.value.message;
}

function requestError(input: string | Uint8Array, limits = {}) {
  const p = new HttpRequestParser(limits);
  p.push(typeof input === 'string' ? bytes(input) : input);
  p.finish();
  for (;;) {
    const ev = p.next();
    assert.ok(ev !== undefined, 'parser wants more bytes after finish()');
    if (ev.kind === 'error') return ev.error;
    assert.notEqual(ev.kind, 'end', 'the request was accepted');
  }
}

/** Every event of feeding `chunks` one after another, then finish(). */
function events<H>(
  p: { push(b: Uint8Array): void; finish(): void; next(): HttpEvent<H> | undefined },
  chunks: Uint8Array[],
): HttpEvent<H>[] {
  const out: HttpEvent<H>[] = [];
  const drain = (): void => {
    for (;;) {
      const ev = p.next();
      if (ev === undefined) return;
      out.push(ev);
      if (ev.kind === 'error') return;
    }
  };
  for (const c of chunks) {
    p.push(c);
    drain();
    if (out.at(-1)?.kind === 'error') return out;
  }
  p.finish();
  drain();
  return out;
}

/** Events with body pieces merged, so splits compare equal. */
function normalize<H>(evs: HttpEvent<H>[]): unknown[] {
  const out: unknown[] = [];
  for (const e of evs) {
    const last = out.at(-1) as { kind: string; data?: string } | undefined;
    if (e.kind === 'body' && last?.kind === 'body') last.data += latin1(e.data);
    else if (e.kind === 'body') out.push({ kind: 'body', data: latin1(e.data) });
    else out.push(e);
  }
  return out;
}

describe('HTTP request parser: real bytes', () => {
  it('reads the POST curl 7.88.1 sent, field by field, and writes it back byte for byte', () => {
    const m = requestOk(CURL_POST);
    assert.equal(m.method, 'POST');
    assert.equal(m.target, '/submit?x=1');
    assert.equal(m.version, 'HTTP/1.1');
    assert.equal(m.host, '127.0.0.1:18090');
    assert.deepEqual(
      m.fields.map((f) => `${f.name}: ${f.value}`),
      [
        'Host: 127.0.0.1:18090',
        'User-Agent: curl/7.88.1',
        'Accept: */*',
        'X-Trace: abc',
        'Content-Length: 7',
        'Content-Type: application/x-www-form-urlencoded',
      ],
    );
    assert.deepEqual(m.framing, { kind: 'length', length: 7 });
    assert.equal(latin1(m.body), 'a=1&b=2');
    assert.equal(m.keepAlive, true);
    assert.equal(m.headerBytes, CURL_POST.length - 7);
    assert.deepEqual(
      serializeRequest({ method: m.method, target: m.target, fields: m.fields, body: m.body }),
      CURL_POST,
    );
  });

  it('gives the same events however the bytes are split (one byte at a time, random cuts)', () => {
    const whole = normalize(events(new HttpRequestParser(), [CURL_POST]));
    const single = normalize(
      events(
        new HttpRequestParser(),
        [...CURL_POST].map((b) => Uint8Array.of(b)),
      ),
    );
    assert.deepEqual(single, whole);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: CURL_POST.length }), { maxLength: 8 }), (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), CURL_POST.length];
        const chunks = at.slice(1).map((end, i) => CURL_POST.subarray(at[i], end));
        assert.deepEqual(normalize(events(new HttpRequestParser(), chunks)), whole);
      }),
    );
  });

  it('reads pipelined requests one after another, and skips empty lines before a request line (RFC 9112 §2.2)', () => {
    const two = bytes('GET /a HTTP/1.1\r\nHost: h\r\n\r\n\r\nHEAD /b HTTP/1.1\r\nHost: h\r\n\r\n');
    const evs = events(new HttpRequestParser(), [two]);
    assert.deepEqual(
      evs.map((e) => (e.kind === 'head' ? `head ${e.head.method} ${e.head.target}` : e.kind)),
      ['head GET /a', 'end', 'head HEAD /b', 'end'],
    );
  });

  it('accepts a bare LF as line end (RFC 9112 §2.2 MAY), and identical repeated Content-Lengths (RFC 9110 §8.6)', () => {
    const m = requestOk('PUT /x HTTP/1.1\nHost: h\nContent-Length: 3, 3\n\nabc');
    assert.equal(latin1(m.body), 'abc');
  });

  it('reads a chunked request body with extensions and trailers', () => {
    const m = requestOk(
      'POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b ; c="x \\"y\\""\r\nhello\r\n1\r\n!\r\n000\r\nX-Sum: 6\r\n\r\n',
    );
    assert.equal(latin1(m.body), 'hello!');
    assert.deepEqual(m.trailers, [{ name: 'X-Sum', value: '6' }]);
  });
});

describe('HTTP request parser: limits and malformed requests answer with the right status', () => {
  it('431 for a 9 KiB header field, 414 for a request line alone over the limit, and exactly 8 KiB passes', () => {
    const big = `GET / HTTP/1.1\r\nHost: h\r\nX-Big: ${'a'.repeat(9 * 1024)}\r\n\r\n`;
    const e = requestError(big);
    assert.equal(e.status, 431);
    assert.equal(e.field, 'header-section');
    // 431 as soon as 8 KiB arrived without the end of the section: no need to wait for the rest
    const p = new HttpRequestParser();
    p.push(bytes(big.slice(0, 8193)));
    assert.equal(p.next()?.kind, 'error');
    assert.equal(requestError(`GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: h\r\n\r\n`).status, 414);
    const head = 'GET / HTTP/1.1\r\nHost: h\r\nX-Pad: \r\n\r\n';
    const exact = head.replace('X-Pad: ', `X-Pad: ${'p'.repeat(8192 - head.length)}`);
    assert.equal(exact.length, 8192);
    assert.equal(requestOk(exact).headerBytes, 8192);
    assert.equal(requestError(exact.replace('X-Pad: ', 'X-Pad: p')).status, 431);
  });

  it('413 for a body over the limit, by Content-Length or by chunks', () => {
    assert.equal(requestError('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000000\r\n\r\n').status, 413);
    assert.equal(
      requestError('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n', { maxBodyBytes: 8 })
        .status,
      413,
    );
  });

  const cases: [string, string, number, string][] = [
    ['HTTP/0.9 request line', 'GET /\r\n\r\n', 400, 'request-line'],
    ['two spaces in the request line', 'GET  / HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'request-target'],
    ['lower-case version', 'GET / http/1.1\r\nHost: h\r\n\r\n', 400, 'HTTP-version'],
    ['method not a token', 'G(T / HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'method'],
    ['target not origin-form', 'GET index.html HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'request-target'],
    ['HTTP/2.0 over HTTP/1 syntax', 'GET / HTTP/2.0\r\nHost: h\r\n\r\n', 505, 'HTTP-version'],
    ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n', 400, 'Host'],
    ['two Host fields', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, 'Host'],
    ['Host with a space', 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n', 400, 'Host'],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  2\r\n\r\n', 400, 'obs-fold'],
    ['whitespace before the first field', 'GET / HTTP/1.1\r\n Host: h\r\n\r\n', 400, 'obs-fold'],
    ['space before the colon', 'GET / HTTP/1.1\r\nHost : h\r\n\r\n', 400, 'field-name'],
    ['field without colon', 'GET / HTTP/1.1\r\nHost: h\r\nnonsense\r\n\r\n', 400, 'field-line'],
    ['bare CR', 'GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n', 400, 'line'],
    ['NUL in a value', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n', 400, 'line'],
    ['control char in a value', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n', 400, 'field-value'],
    [
      'Content-Length and Transfer-Encoding (RFC 9112 §6.3)',
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'Transfer-Encoding',
    ],
    [
      'differing Content-Lengths',
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
      400,
      'Content-Length',
    ],
    [
      'Content-Length not a number',
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello',
      400,
      'Content-Length',
    ],
    [
      'final coding not chunked',
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n',
      400,
      'Transfer-Encoding',
    ],
    [
      'chunked twice',
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n',
      400,
      'Transfer-Encoding',
    ],
    [
      'unknown coding before chunked',
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      501,
      'Transfer-Encoding',
    ],
    [
      'Transfer-Encoding in HTTP/1.0',
      'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'Transfer-Encoding',
    ],
    [
      'bad chunk size',
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
      400,
      'chunk-size',
    ],
    [
      'chunk longer than its size',
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n',
      400,
      'chunk-data',
    ],
    [
      'chunk-size line ended by a bare LF',
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n',
      400,
      'chunk-size',
    ],
    [
      'bad chunk extension',
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n',
      400,
      'chunk-ext',
    ],
    [
      'chunk size overflow',
      `POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n${'f'.repeat(20)}\r\n`,
      413,
      'chunk-size',
    ],
    ['connection closed inside the head', 'GET / HTTP/1.1\r\nHost: h\r\n', 400, 'header-section'],
    ['connection closed inside the body', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhello', 400, 'body'],
  ];
  for (const [name, input, status, field] of cases) {
    it(`${status} for ${name}`, () => {
      const e = requestError(input);
      assert.equal(e.status, status, e.reason);
      assert.equal(e.field, field, e.reason);
      assert.equal(e.protocol, 'HTTP');
    });
  }

  it('stays failed after an error (the framing is lost)', () => {
    const p = new HttpRequestParser();
    p.push(bytes('BAD\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n'));
    assert.equal(p.next()?.kind, 'error');
    assert.equal(p.next()?.kind, 'error');
  });

  it('reports where the error is: the offset of the offending field line', () => {
    const input = 'GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n';
    assert.equal(requestError(input).offset, input.indexOf('Bad Name'));
  });
});

describe('HTTP keep-alive (RFC 9112 §9.3)', () => {
  const ka = (s: string): boolean => requestOk(s).keepAlive;
  it('HTTP/1.1 persists unless Connection: close; HTTP/1.0 only with keep-alive', () => {
    assert.equal(ka('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), true);
    assert.equal(ka('GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n'), false);
    assert.equal(ka('GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, close\r\n\r\n'), false);
    assert.equal(ka('GET / HTTP/1.0\r\n\r\n'), false);
    assert.equal(ka('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'), true);
  });
});

describe('HTTP response parser', () => {
  const res = (s: string, method = 'GET', closed = true) => {
    const r = parseHttpResponse(bytes(s), method, closed);
    assert.ok(r !== undefined && r.ok, r === undefined ? 'incomplete' : r.ok ? '' : r.error.reason);
    return r.value.message;
  };

  it("decodes MDN's chunked example (Transfer-Encoding page)", () => {
    const m = res(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nMozilla\r\n11\r\nDeveloper Network\r\n0\r\n\r\n',
    );
    assert.equal(latin1(m.body), 'MozillaDeveloper Network');
    assert.equal(m.keepAlive, true);
  });

  it("decodes Wikipedia's chunked example, CRLFs inside the data included", () => {
    const m = res(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n',
    );
    assert.equal(latin1(m.body), 'Wikipedia in \r\n\r\nchunks.');
  });

  it('decodes the 27 chunked bytes Node 20 sent for res.write("hello "); res.end("world\\n") (curl: "{ [27 bytes data]")', () => {
    const chunked = '6\r\nhello \r\n6\r\nworld\n\r\n0\r\n\r\n';
    assert.equal(chunked.length, 27);
    assert.equal(latin1(encodeChunked(bytes('hello world\n'), 6)), chunked);
    assert.equal(latin1(res(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`).body), 'hello world\n');
  });

  it('has no body for HEAD, 204 and 304 whatever the fields say, and skips interim 100', () => {
    const head = res('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 'HEAD', false);
    assert.equal(head.body.length, 0);
    assert.equal(fieldValue(head.fields, 'content-length'), '5');
    assert.equal(res('HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n', 'GET', false).body.length, 0);
    assert.equal(res('HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n', 'GET', false).body.length, 0);
    const m = res('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', 'POST', false);
    assert.equal(m.status, 201);
  });

  it('reads a body until the close when nothing else delimits it (and then does not keep the connection)', () => {
    const p = new HttpResponseParser();
    p.push(bytes('HTTP/1.0 200 OK\r\n\r\nuntil '));
    const evs = normalize(events(p, [bytes('close\n')]));
    assert.equal((evs[0] as { head: { keepAlive: boolean } }).head.keepAlive, false);
    assert.deepEqual(evs.slice(1), [
      { kind: 'body', data: 'until close\n' },
      { kind: 'end', trailers: [] },
    ]);
  });

  it('unfolds obs-fold in a response into one space (RFC 9112 §5.2), keeps raw lines for curl -v', () => {
    const m = res('HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\nContent-Length: 0\r\n\r\n', 'GET', false);
    assert.equal(fieldValue(m.fields, 'x-long'), 'a b');
    assert.deepEqual(m.lines, ['HTTP/1.1 200 OK', 'X-Long: a', '  b', 'Content-Length: 0']);
  });

  it('rejects a non-HTTP status line and a truncated body with 502 (what a proxy answers)', () => {
    const bad = parseHttpResponse(bytes('garbage here\r\n\r\n'), 'GET', true);
    assert.ok(bad !== undefined && !bad.ok && bad.error.status === 502 && bad.error.field === 'status-line');
    const cut = parseHttpResponse(bytes('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello'), 'GET', true);
    assert.ok(cut !== undefined && !cut.ok && cut.error.field === 'body');
    // Transfer-Encoding overrides Content-Length in a response, and the connection must close after it
    const both = res(
      'HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
      'GET',
      false,
    );
    assert.equal(latin1(both.body), 'ok');
    assert.equal(both.keepAlive, false);
  });

  it('matches responses to pipelined requests in order (HEAD then GET)', () => {
    const p = new HttpResponseParser();
    p.expect('HEAD');
    p.expect('GET');
    const evs = events(p, [
      bytes('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc'),
    ]);
    assert.deepEqual(
      normalize(evs).map((e) => (e as { kind: string }).kind),
      ['head', 'end', 'head', 'body', 'end'],
    );
  });
});

describe('HTTP serializers and properties', () => {
  it('writes Content-Length or chunked framing, and heads without bodies for HEAD/204', () => {
    const r = serializeResponse({ status: 200, fields: [['Content-Type', 'text/plain']], body: bytes('hi\n') });
    assert.equal(latin1(r), 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nhi\n');
    const c = serializeResponse({
      status: 200,
      fields: [],
      body: bytes('hello'),
      chunked: true,
      trailers: [['X-T', '1']],
    });
    assert.equal(latin1(c), 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n');
    assert.equal(
      latin1(serializeResponse({ status: 200, fields: [], body: bytes('hello'), headOnly: true })),
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n',
    );
    assert.equal(latin1(serializeResponse({ status: 204, fields: [] })), 'HTTP/1.1 204 No Content\r\n\r\n');
    assert.throws(() => serializeResponse({ status: 200, fields: [['X', 'a\r\nInjected: 1']] }));
    assert.throws(() => serializeRequest({ method: 'GET', target: '/', fields: [['Bad Name', 'x']] }));
  });

  it('formats IMF-fixdate (RFC 9110 §5.6.7) for the simulated epoch and leap days', () => {
    assert.equal(formatHttpDate(Date.UTC(2026, 0, 1)), 'Thu, 01 Jan 2026 00:00:00 GMT');
    assert.equal(formatHttpDate(Date.UTC(1994, 10, 6, 8, 49, 37)), 'Sun, 06 Nov 1994 08:49:37 GMT'); // RFC 9110's example
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        assert.equal(formatHttpDate(ms), new Date(ms).toUTCString());
      }),
    );
  });

  const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
  const value = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/);
  it('parse(serialize(request)) gives back the request', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.stringMatching(/^\/[A-Za-z0-9/._~?=&%-]{0,30}$/),
        fc.array(fc.tuple(token, value), { maxLength: 6 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.boolean(),
        (method, target, extra, body, chunked) => {
          const fields = [
            ['Host', 'example.test'] as [string, string],
            ...extra.filter(([n]) => !/^(host|content-length|transfer-encoding|expect)$/i.test(n)),
          ];
          const wire = serializeRequest({ method, target, fields, body, chunked });
          const m = requestOk(wire);
          assert.equal(m.method, method);
          assert.equal(m.target, target);
          assert.deepEqual(m.body, body);
          assert.deepEqual(
            m.fields.filter((f) => !/^(content-length|transfer-encoding)$/i.test(f.name)).map((f) => [f.name, f.value]),
            fields,
          );
        },
      ),
    );
  });

  it('never throws on arbitrary bytes, split anywhere, for either side', () => {
    const httpish = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .array(
          fc.constantFrom(
            'GET / HTTP/1.1\r\n',
            'Host: h\r\n',
            'Transfer-Encoding: chunked\r\n',
            'Content-Length: 3\r\n',
            '\r\n',
            '5\r\n',
            'hello',
            '0\r\n',
            ';x=y',
            ' ',
            '\n',
            '\r',
            'HTTP/1.1 200 OK\r\n',
          ),
          { maxLength: 20 },
        )
        .map((a) => bytes(a.join(''))),
    );
    fc.assert(
      fc.property(httpish, fc.integer({ min: 1, max: 50 }), (input, step) => {
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < input.length; i += step) chunks.push(input.subarray(i, i + step));
        const a = events(new HttpRequestParser({ maxHeaderBytes: 64 }), chunks);
        const b = events(new HttpResponseParser(), chunks);
        for (const e of [...a, ...b])
          if (e.kind === 'error') assert.ok([400, 413, 414, 431, 501, 502, 505].includes(e.error.status));
      }),
    );
  });

  it('bodies survive as bytes: UTF-8 text and binary', () => {
    const body = concatBytes([new TextEncoder().encode('héllo ✓'), Uint8Array.of(0, 255, 13, 10)]);
    const m = requestOk(serializeRequest({ method: 'POST', target: '/', fields: [['Host', 'h']], body }));
    assert.deepEqual(m.body, body);
    assert.ok(utf8Text(m.body).startsWith('héllo ✓'));
  });
});
