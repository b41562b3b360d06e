/**
 * podnet's curl against the real curl 7.88.1: every case in src/apps/http/golden/ (recorded by running
 * the real curl on a terminal against this repository's HttpServer, see the README there) is replayed
 * inside the emulation, client and server two hops apart, and the screen must match line for line.
 * Only wall-clock measurements are normalised: the "after N ms" counts and the progress meter's speeds,
 * which on a real machine depend on how fast it ran. Then: exit codes and texts of failures the goldens
 * do not cover (no route, reset, empty reply, truncated body), argument parsing, the meter arithmetic.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseIptablesSave } from '../net/netfilter/iptables-restore.js';
import { SECOND } from '../sim/engine.js';
import { curlCommand, curlRequest, parseCurlArgs, parseCurlUrl, type CurlOptions } from './curl.js';
import { CurlMeter, max5data, time2str } from './http/curl-meter.js';
import { HttpServer } from './http/server.js';
import { goldenHandler, httpLab, runToEnd, type HttpLab } from './http/testing.js';
import { renderScreen } from './http/terminal.js';

const GOLDEN = new URL('../../../src/apps/http/golden/', import.meta.url);

interface GoldenCase {
  name: string;
  argv: string[];
  status: number;
}

/** Replaces what depends on the speed of the machine that recorded the golden. */
function normalise(screen: string): string {
  return screen
    .split('\n')
    .map((l) =>
      l
        .replace(/after \d+ (ms|milliseconds)/g, 'after N $1')
        .replace(
          /^(\s*\d+ +\S+ +\d+ +\S+ +\d+ +\S+) +\S+ +\S+ (\S+|--:--:--) (\S+|--:--:--) (\S+|--:--:--) +\S+$/,
          '$1 <dl> <ul> $2 $3 $4 <now>',
        ),
    )
    .join('\n');
}

/** The lab with the golden server on web:80, nothing on 8080, and 8081 dropped as by the recorder's iptables. */
function goldenLab(): HttpLab {
  const lab = httpLab();
  new HttpServer(goldenHandler).listen(lab.web.tcp, 80);
  const rules = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 8081 -j DROP\nCOMMIT\n');
  assert.ok(rules.ok);
  lab.web.node.enableNetfilter(rules.ruleset);
  return lab;
}

function curl(lab: HttpLab, argv: string[]): { status: number; stdout: string } {
  return runToEnd(lab.engine, curlCommand, lab.client.ctx, argv);
}

describe('curl matches the real curl 7.88.1 (golden screens)', () => {
  const { curl: version, cases } = JSON.parse(readFileSync(new URL('cases.json', GOLDEN), 'utf8')) as {
    curl: string;
    cases: GoldenCase[];
  };
  it('the goldens come from curl 7.88.1', () => assert.match(version, /^curl 7\.88\.1 /));
  for (const c of cases) {
    it(`curl ${c.argv.join(' ')}`, () => {
      const golden = readFileSync(new URL(`${c.name}.txt`, GOLDEN), 'utf8');
      const r = curl(goldenLab(), c.argv);
      // the shell's stdout drops the final newline of the screen
      assert.equal(normalise(r.stdout), normalise(golden.endsWith('\n') ? golden.slice(0, -1) : golden));
      assert.equal(r.status, c.status);
    });
  }
});

describe('curl inside the emulation', () => {
  it('resolves names through the shell and says so in -v, and the emulated times are exact', () => {
    const lab = goldenLab();
    const r = curl(lab, ['-v', 'http://web/']);
    assert.match(r.stdout, /^\* Connected to web \(10\.43\.0\.1\) port 80 \(#0\)$/m);
    assert.match(r.stdout, /^> Host: web$/m);
    assert.match(r.stdout, /^\* Connection #0 to host web left intact$/m);
    const t = curl(goldenLab(), ['-m', '1.5', 'http://10.43.0.1:8081/']);
    assert.equal(t.stdout, 'curl: (28) Connection timed out after 1500 milliseconds');
  });

  it('prints the write-out variables from simulated time', () => {
    const r = curl(goldenLab(), [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{remote_ip}:%{remote_port} %{local_ip} %{size_header} %{size_request} %{time_connect} %{exitcode} %%\\n',
      'http://10.43.0.1/',
    ]);
    const m = /^200 10\.43\.0\.1:80 10\.0\.1\.2 133 73 0\.000(\d{3}) 0 %$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const refused = curl(goldenLab(), [
      '-s',
      '-w',
      '%{http_code} %{exitcode} %{remote_port} [%{errormsg}]',
      'http://10.43.0.1:8080/',
    ]);
    assert.equal(
      refused.stdout,
      "000 7 0 [Failed to connect to 10.43.0.1 port 8080 after 0 ms: Couldn't connect to server]",
    );
    assert.equal(refused.status, 7);
    const unknown = curl(goldenLab(), ['-s', '-o', '/dev/null', '-w', '%{nope}x', 'http://10.43.0.1/']);
    assert.equal(unknown.stdout, "curl: unknown --write-out variable: 'nope'\nx");
  });

  it('exit 7 "Immediate connect fail" without a route, "No route to host" when a router answers unreachable', () => {
    const lab = goldenLab();
    const r = curl(lab, ['-v', 'http://192.0.2.1/']);
    assert.equal(r.status, 7);
    assert.match(r.stdout, /^\* connect to 192\.0\.2\.1 port 80 failed: No route to host$/m);
    assert.match(
      r.stdout,
      /^curl: \(7\) Failed to connect to 192\.0\.2\.1 port 80 after 0 ms: Couldn't connect to server$/m,
    );
    lab.client.node.routes.remove(0, 0);
    const island = curl(lab, ['-v', 'http://192.0.2.1/']);
    assert.equal(island.status, 7);
    assert.match(island.stdout, /^\* Immediate connect fail for 192\.0\.2\.1: Network is unreachable$/m);
  });

  it('exit 56 on a reset, 52 on an empty reply, 18 on a cut body, 1 on a non-HTTP reply', () => {
    const lab = httpLab();
    const tcp = lab.web.tcp;
    tcp.listen(81, (s) => s.on('data', () => s.destroy()));
    tcp.listen(82, (s) => s.on('data', () => s.end()));
    tcp.listen(83, (s) =>
      s.on(
        'data',
        () => (s.write(new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello')), s.end()),
      ),
    );
    tcp.listen(84, (s) => s.on('data', () => (s.write(new TextEncoder().encode('garbage here\r\n\r\n')), s.end())));
    tcp.listen(85, (s) =>
      s.on(
        'data',
        () => (
          s.write(new TextEncoder().encode('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n')),
          s.end()
        ),
      ),
    );
    const run = (port: number): { status: number; stdout: string; unterminated?: boolean } =>
      runToEnd(lab.engine, curlCommand, lab.client.ctx, [`http://10.43.0.1:${port}/`]);
    assert.deepEqual(run(81), { status: 56, stdout: 'curl: (56) Recv failure: Connection reset by peer' });
    assert.deepEqual(run(82), { status: 52, stdout: 'curl: (52) Empty reply from server' });
    // as on a terminal: the partial body has no newline, so stdout shows it only when curl exits, and
    // the text ends without one (podnet exec adds none)
    assert.deepEqual(run(83), {
      status: 18,
      stdout: 'curl: (18) transfer closed with 5 bytes remaining to read\nhello',
      unterminated: true,
    });
    assert.deepEqual(run(84), { status: 1, stdout: 'curl: (1) Received HTTP/0.9 when not allowed' });
    assert.deepEqual(run(85), {
      status: 18,
      stdout: 'curl: (18) transfer closed with outstanding read data remaining\nhello',
      unterminated: true,
    });
  });

  it('closes its connection when it exits (FIN), so the server side closes too', () => {
    const lab = goldenLab();
    const r = curl(lab, ['http://10.43.0.1/']);
    assert.equal(r.stdout, 'Hello from podnet');
    lab.engine.run(lab.engine.now + 5 * SECOND);
    assert.deepEqual(
      lab.web.tcp
        .connections()
        .map((s) => s.state)
        .filter((s) => s !== 'TIME-WAIT' && s !== 'CLOSED'),
      [],
    );
  });
});

describe('curl arguments and request', () => {
  const opts = (args: string[]): CurlOptions => {
    const o = parseCurlArgs(args);
    assert.ok(!('error' in o), 'error' in o ? o.error : '');
    return o;
  };

  it('reads grouped short options, attached values and long options', () => {
    const o = opts(['-sSf', '-XPUT', '-H', 'A: 1', '--data', 'x', '-d', 'y', '-m2.5', 'http://h/']);
    assert.equal(o.silent && o.showError && o.fail, true);
    assert.equal(o.method, 'PUT');
    assert.deepEqual(o.data, ['x', 'y']);
    assert.equal(o.maxTimeS, 2.5);
    assert.equal(
      (parseCurlArgs(['-m']) as { error: string }).error.split('\n')[0],
      'curl: option -m: requires parameter',
    );
    assert.equal(
      (parseCurlArgs(['-m', 'abc', 'u']) as { error: string }).error.split('\n')[0],
      'curl: option -m: expected a proper numerical parameter',
    );
    assert.equal(
      (parseCurlArgs(['-sW', 'u']) as { error: string }).error.split('\n')[0],
      'curl: option -sW: is unknown',
    );
  });

  it('writes headers as curl does: Host first, -H lines verbatim in their place, removals, empty headers', () => {
    const o = opts([
      '-H',
      'X-First: 1',
      '-H',
      'User-Agent: x',
      '-H',
      'Host: example.com',
      '-H',
      'Accept:',
      '-H',
      'X-Empty;',
      '-H',
      'X-A:1',
      'http://10.0.0.1:8080/p?q=1#frag',
    ]);
    const u = parseCurlUrl(o.url);
    assert.ok(!('code' in u));
    assert.deepEqual(curlRequest(o, u).lines, [
      'GET /p?q=1 HTTP/1.1',
      'Host: example.com',
      'X-First: 1',
      'User-Agent: x',
      'X-Empty:',
      'X-A:1',
    ]);
    const post = opts(['-d', 'zz', '-H', 'X-First: 1', '-H', 'Content-Type: text/plain', 'h:8080']);
    const pu = parseCurlUrl(post.url);
    assert.ok(!('code' in pu));
    assert.deepEqual(curlRequest(post, pu).lines, [
      'POST / HTTP/1.1',
      'Host: h:8080',
      'User-Agent: curl/7.88.1',
      'Accept: */*',
      'X-First: 1',
      'Content-Type: text/plain',
      'Content-Length: 2',
    ]);
  });

  it('reads URLs as curl does', () => {
    assert.deepEqual(parseCurlUrl('web'), {
      host: 'web',
      port: 80,
      showPort: false,
      target: '/',
      effective: 'http://web/',
    });
    assert.deepEqual(parseCurlUrl('http://web:80?x'), {
      host: 'web',
      port: 80,
      showPort: false,
      target: '/?x',
      effective: 'http://web/?x',
    });
    assert.deepEqual(parseCurlUrl('https://web/'), {
      code: 1,
      message: 'Protocol "https" not supported or disabled in libcurl',
    });
    assert.deepEqual(parseCurlUrl('http://web:99999/'), {
      code: 3,
      message: 'URL using bad/illegal format or missing URL',
    });
  });
});

describe('curl progress meter arithmetic (lib/progress.c)', () => {
  it('formats sizes and times in curl’s columns', () => {
    assert.equal(max5data(7), '    7');
    assert.equal(max5data(99999), '99999');
    assert.equal(max5data(100000), '  97k');
    assert.equal(max5data(12 * 1024 * 1024 + 300 * 1024), '12.2M');
    assert.equal(time2str(0), '--:--:--');
    assert.equal(time2str(1), ' 0:00:01');
    assert.equal(time2str(3 * 86400 + 7200), '74:00:00');
    assert.equal(time2str(5 * 86400 + 7200), '  5d 02h');
  });

  it('reproduces the line the real curl printed for 7 bytes in 2.133 ms: average 3281, current 3500', () => {
    let out = '';
    // wall clock 2026-01-01T00:00:00.5: the transfer stays inside one second, as in the recording
    const m = new CurlMeter((t) => (out += t), 500_000_000, Date.UTC(2026, 0, 1));
    m.update(500_000_000, { dl: 0, ul: 0, ulSize: 0 });
    m.done(500_000_000 + 2_133_000, { dl: 7, ul: 0, dlSize: 7, ulSize: 0 });
    assert.equal(
      renderScreen(out).split('\n')[2],
      '100     7  100     7    0     0   3281      0 --:--:-- --:--:-- --:--:--  3500',
    );
  });
});
