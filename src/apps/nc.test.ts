/**
 * nc inside the emulation, with netcat-openbsd 1.219's messages (recorded from the Debian 12 package on
 * a Linux host: listener and client exchange, -zv scans with refused and succeeded ports, -w connect
 * timeouts, no route, unknown host, usage errors) and the podnet `--send` option standing in for stdin.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIptablesSave } from '../net/netfilter/iptables-restore.js';
import { SECOND } from '../sim/engine.js';
import { HttpServer } from './http/server.js';
import { goldenHandler, httpLab, runToEnd, start } from './http/testing.js';
import { NC_USAGE, ncCommand, parseNcArgs, printfBytes } from './nc.js';

describe('nc over the emulated network', () => {
  it('listener and client exchange a line each way; -v prints what netcat-openbsd prints', () => {
    const lab = httpLab();
    const listener = start(ncCommand, lab.web.ctx, ['-lv', '-p', '8080', '--send', 'pong\\n']);
    const client = runToEnd(lab.engine, ncCommand, lab.client.ctx, ['-v', '-N', 'web', '8080', '--send', 'ping\\n']);
    assert.deepEqual(client, {
      status: 0,
      stdout: 'Connection to web (10.43.0.1) 8080 port [tcp/http-alt] succeeded!\npong',
    });
    lab.engine.run(lab.engine.now + SECOND);
    // the client's port is an even one Linux's connect() would pick (transport/tcp-stack.ts pickConnectPort)
    assert.deepEqual(listener.result, {
      status: 0,
      stdout: 'Listening on 0.0.0.0 8080\nConnection received on 10.0.1.2 41336\nping',
    });
    // the listener served one connection and stopped listening
    assert.equal(lab.web.tcp.listener(8080), undefined);
  });

  it('-zv scans a port range: refused, succeeded, refused; exit 0 when one succeeded, 1 when none', () => {
    const lab = httpLab();
    new HttpServer(goldenHandler).listen(lab.web.tcp, 80);
    const scan = runToEnd(lab.engine, ncCommand, lab.client.ctx, ['-zv', '10.43.0.1', '79-81']);
    assert.deepEqual(scan, {
      status: 0,
      stdout: [
        'nc: connect to 10.43.0.1 port 79 (tcp) failed: Connection refused',
        'Connection to 10.43.0.1 80 port [tcp/http] succeeded!',
        'nc: connect to 10.43.0.1 port 81 (tcp) failed: Connection refused',
      ].join('\n'),
    });
    assert.deepEqual(runToEnd(lab.engine, ncCommand, lab.client.ctx, ['-z', '10.43.0.1', '81']), {
      status: 1,
      stdout: '',
    });
    assert.deepEqual(runToEnd(lab.engine, ncCommand, lab.client.ctx, ['-zvn', 'web', '80']), {
      status: 0,
      stdout: 'Connection to web 80 port [tcp/*] succeeded!',
    });
  });

  it('-z without -v prints nothing, also when the port is open (netcat-openbsd 1.219 in a namespace)', () => {
    const lab = httpLab();
    new HttpServer(goldenHandler).listen(lab.web.tcp, 80);
    // `nc -z 10.77.0.2 8080` to a listener: no output, exit 0; `nc -z 10.77.0.2 81 8080`: exit 0
    assert.deepEqual(runToEnd(lab.engine, ncCommand, lab.client.ctx, ['-z', '10.43.0.1', '80']), {
      status: 0,
      stdout: '',
    });
    assert.deepEqual(runToEnd(lab.engine, ncCommand, lab.client.ctx, ['-z', '10.43.0.1', '81', '80']), {
      status: 0,
      stdout: '',
    });
  });

  it('-zu sends nothing and exits 0; -zuv probes with "X" and fails silently on a closed port', () => {
    // Recorded with netcat-openbsd 1.219 and strace in two namespaces: `nc -zu 10.77.0.2 9999` makes a
    // connected UDP socket, writes nothing and exits 0 (so -zu alone does not exit 1 on a closed port);
    // `nc -zuv 10.77.0.2 9999` writes "X", the ICMP port unreachable makes the next write fail with
    // ECONNREFUSED and nc exits 1 printing nothing; to a UDP listener it writes X at 0, 0, 1, 2, 3 s,
    // then prints "succeeded!"; `-zuv open closed` exits 1 and `-zuv closed open` exits 0.
    const lab = httpLab();
    const seen: number[] = [];
    lab.web.ctx.udp.bind(5353, (d) => seen.push(d.payload[0]!));
    const sentX = (): number => seen.length;
    assert.deepEqual(runToEnd(lab.engine, ncCommand, lab.client.ctx, ['-zu', '10.43.0.1', '5353']), {
      status: 0,
      stdout: '',
    });
    assert.equal(sentX(), 0, '-zu without -v writes nothing');
    assert.deepEqual(runToEnd(lab.engine, ncCommand, lab.client.ctx, ['-zu', '10.43.0.1', '9999']), {
      status: 0,
      stdout: '',
    });
    const closed = start(ncCommand, lab.client.ctx, ['-zuv', '10.43.0.1', '9999']);
    const t0 = lab.engine.now;
    lab.engine.run(t0 + 5 * SECOND);
    assert.deepEqual(closed.result, { status: 1, stdout: '' });
    // the first two X go out back to back, before the port unreachable is back; the third write fails
    assert.equal(closed.at, t0 + SECOND);
    const open = start(ncCommand, lab.client.ctx, ['-zuv', '10.43.0.1', '5353']);
    const t1 = lab.engine.now;
    lab.engine.run(t1 + 5 * SECOND);
    assert.deepEqual(open.result, { status: 0, stdout: 'Connection to 10.43.0.1 5353 port [udp/mdns] succeeded!' });
    assert.equal(open.at, t1 + 3 * SECOND);
    assert.deepEqual(seen, [0x58, 0x58, 0x58, 0x58, 0x58]);
    const openThenClosed = start(ncCommand, lab.client.ctx, ['-zuv', '10.43.0.1', '5353', '9999']);
    lab.engine.run(lab.engine.now + 10 * SECOND);
    assert.deepEqual(openThenClosed.result, {
      status: 1,
      stdout: 'Connection to 10.43.0.1 5353 port [udp/mdns] succeeded!',
    });
    const closedThenOpen = start(ncCommand, lab.client.ctx, ['-zuv', '10.43.0.1', '9999', '5353']);
    lab.engine.run(lab.engine.now + 10 * SECOND);
    assert.deepEqual(closedThenOpen.result, {
      status: 0,
      stdout: 'Connection to 10.43.0.1 5353 port [udp/mdns] succeeded!',
    });
  });

  it('talks HTTP by hand: -C turns \\n into CRLF, the server closes after Connection: close', () => {
    const lab = httpLab();
    new HttpServer(goldenHandler).listen(lab.web.tcp, 80);
    const r = runToEnd(lab.engine, ncCommand, lab.client.ctx, [
      '-C',
      'web',
      '80',
      '--send',
      'GET / HTTP/1.1\\nHost: web\\nConnection: close\\n\\n',
    ]);
    assert.equal(r.status, 0);
    assert.equal(
      r.stdout.replace(/\r/g, ''),
      'HTTP/1.1 200 OK\nServer: podnet\nDate: Thu, 01 Jan 2026 00:00:00 GMT\nContent-Type: text/plain; charset=utf-8\nContent-Length: 18\nConnection: close\n\nHello from podnet',
    );
    // without Connection: close the server keeps the connection until its 5 s idle timeout
    const keep = start(ncCommand, lab.client.ctx, ['-C', 'web', '80', '--send', 'GET / HTTP/1.1\\nHost: web\\n\\n']);
    const t0 = lab.engine.now;
    lab.engine.run(t0 + 4 * SECOND);
    const before = keep.result;
    lab.engine.run(t0 + 6 * SECOND);
    assert.equal(before, undefined);
    assert.equal(keep.result?.status, 0);
    // a malformed request: the server answers 400 and closes
    const bad = runToEnd(lab.engine, ncCommand, lab.client.ctx, ['web', '80', '--send', 'hello\\r\\n\\r\\n']);
    assert.match(bad.stdout, /^HTTP\/1\.1 400 Bad Request\n/);
  });

  it('-w bounds the connect: "timed out: Operation now in progress"; no route and unknown hosts', () => {
    const lab = httpLab();
    const drop = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 8081 -j DROP\nCOMMIT\n');
    assert.ok(drop.ok);
    lab.web.node.enableNetfilter(drop.ruleset);
    const t0 = lab.engine.now;
    const r = runToEnd(lab.engine, ncCommand, lab.client.ctx, ['-v', '-w', '2', '10.43.0.1', '8081']);
    assert.deepEqual(r, {
      status: 1,
      stdout: 'nc: connect to 10.43.0.1 port 8081 (tcp) timed out: Operation now in progress',
    });
    assert.ok(lab.engine.now - t0 >= 2 * SECOND);
    assert.deepEqual(runToEnd(lab.engine, ncCommand, lab.client.ctx, ['-v', '192.0.2.1', '80']), {
      status: 1,
      stdout: 'nc: connect to 192.0.2.1 port 80 (tcp) failed: No route to host',
    });
    lab.client.node.routes.remove(0, 0);
    assert.deepEqual(runToEnd(lab.engine, ncCommand, lab.client.ctx, ['-zv', '192.0.2.1', '80']), {
      status: 1,
      stdout: 'nc: connect to 192.0.2.1 port 80 (tcp) failed: Network is unreachable',
    });
    assert.deepEqual(runToEnd(lab.engine, ncCommand, lab.client.ctx, ['-zv', 'nosuch', '80']), {
      status: 1,
      stdout: 'nc: getaddrinfo for host "nosuch" port 80: Name or service not known',
    });
  });

  it('UDP: the listener answers the first peer; the client prints the reply and stops after -w', () => {
    const lab = httpLab();
    const listener = start(ncCommand, lab.web.ctx, ['-luv', '-p', '9999', '-w', '3', '--send', 'pong\\n']);
    const t0 = lab.engine.now;
    const client = runToEnd(lab.engine, ncCommand, lab.client.ctx, [
      '-u',
      '-w',
      '1',
      'web',
      '9999',
      '--send',
      'ping\\n',
    ]);
    assert.deepEqual(client, { status: 0, stdout: 'pong' });
    assert.ok(lab.engine.now - t0 >= 1 * SECOND);
    lab.engine.run(lab.engine.now + 5 * SECOND);
    assert.deepEqual(listener.result, {
      status: 0,
      stdout: 'Bound on 0.0.0.0 9999\nConnection received on 10.0.1.2 32768\nping',
    });
  });
});

describe('nc arguments', () => {
  it('prints netcat-openbsd’s errors', () => {
    assert.deepEqual(parseNcArgs([]), { error: NC_USAGE });
    assert.deepEqual(parseNcArgs(['web']), { error: 'nc: missing port number' });
    assert.deepEqual(parseNcArgs(['web', 'abc']), { error: 'nc: port number invalid: abc' });
    assert.deepEqual(parseNcArgs(['web', '99999']), { error: 'nc: port number too large: 99999' });
    assert.deepEqual(parseNcArgs(['-x', 'web', '80']), { error: `nc: invalid option -- 'x'\n${NC_USAGE}` });
    assert.deepEqual(parseNcArgs(['-lp']), { error: `nc: option requires an argument -- 'p'\n${NC_USAGE}` });
    const o = parseNcArgs(['-l', '8080']);
    assert.ok(!('error' in o) && o.listen && o.ports[0] === 8080);
    const s = parseNcArgs(['web', 'http']);
    assert.ok(!('error' in s) && s.ports[0] === 80);
  });

  it('reads --send as printf does', () => {
    assert.deepEqual(
      printfBytes('a\\r\\nb\\x41\\0101\\\\é'),
      Uint8Array.from([0x61, 13, 10, 0x62, 0x41, 0x41, 0x5c, 0xc3, 0xa9]),
    );
  });
});
