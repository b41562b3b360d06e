/**
 * dig run inside the emulation against podnet's DNS server. Where the server gives the same answer as
 * the one the real dig 9.18 printed in golden/ (same records, flags, EDNS and cookie echo), the whole
 * output must equal the golden text except for what differs by nature: the ID, the cookie, the command
 * line, the server address, the query time and the date.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SECOND } from '../../sim/engine.js';
import { type DigResult, dig, parseDigArgs } from './dig.js';
import { podResolvConf } from './resolv-conf.js';
import { DnsServer } from './server.js';
import { CLUSTER_ZONE, type DnsLab, REVERSE_ZONE, UPSTREAM_ZONE, dnsLab, ip } from './testing.js';

const GOLDEN = new URL('../../../../src/apps/dns/golden/', import.meta.url);

function setup(seed = 1): DnsLab {
  const l = dnsLab(seed);
  new DnsServer(l.udp.upstream, { zones: [UPSTREAM_ZONE] });
  const dns = new DnsServer(l.udp.dns, {
    zones: [CLUSTER_ZONE, REVERSE_ZONE],
    forward: { upstreams: [{ addr: ip('10.44.0.53') }] },
  });
  l.streamServers.set(ip('10.43.0.10'), dns);
  return l;
}

function run(l: DnsLab, args: string, withConnect = true): DigResult {
  let out: DigResult | undefined;
  dig(
    {
      udp: l.udp.client,
      resolvConf: podResolvConf(ip('10.43.0.10'), 'default'),
      ...(withConnect ? { connect: l.connect } : {}),
    },
    args,
    (r) => (out = r),
  );
  l.engine.runFor(60 * SECOND);
  assert.ok(out, 'dig finished');
  return out;
}

/** Blanks what legitimately differs between two runs of dig against equal answers. */
function normalise(text: string): string {
  return text
    .replace(/^; <<>> DiG .*$/m, '; <<>> DiG (command line)')
    .replace(/id: \d+$/m, 'id: ID')
    .replace(/^; COOKIE: [0-9a-f]+/m, '; COOKIE: C')
    .replace(/^;; Query time: \d+ msec$/m, ';; Query time: T msec')
    .replace(/^;; SERVER: .*$/m, ';; SERVER: S')
    .replace(/^;; WHEN: .*$/m, ';; WHEN: W')
    .replace(/communications error to \S+:/g, 'communications error to S:');
}

describe('dig in the emulation, against the real dig 9.18 output', () => {
  const same: [string, string][] = [
    ['a-zone', '@10.43.0.10 kubernetes.default.svc.cluster.local'],
    ['nxdomain', '@10.43.0.10 nope.default.svc.cluster.local'],
    ['nodata', '@10.43.0.10 kubernetes.default.svc.cluster.local AAAA'],
    ['srv', '@10.43.0.10 _https._tcp.kubernetes.default.svc.cluster.local SRV'],
    ['ptr', '@10.43.0.10 -x 10.43.0.1'],
    ['norecurse', '@10.43.0.10 kubernetes.default.svc.cluster.local +norecurse'],
  ];
  for (const [golden, args] of same) {
    it(`dig ${args} prints what dig 9.18 printed for the same answer (${golden}.txt)`, () => {
      const r = run(setup(), args);
      assert.equal(r.exitCode, 0);
      assert.equal(normalise(r.stdout), normalise(readFileSync(new URL(`${golden}.txt`, GOLDEN), 'utf8')));
    });
  }

  it('times out as dig does: one line per try, then no servers could be reached, exit 9', () => {
    const r = run(setup(), '@10.45.0.200 silent.example.com +tries=2 +time=1');
    assert.equal(r.exitCode, 9);
    assert.equal(normalise(r.stdout), normalise(readFileSync(new URL('timeout.txt', GOLDEN), 'utf8')));
    assert.match(r.stdout, /^;; communications error to 10\.45\.0\.200#53: timed out$/m);
  });
});

describe('dig in the emulation', () => {
  it('prints the server, the simulated date and the round trip of the emulated links', () => {
    const r = run(setup(), '@10.43.0.10 kubernetes.default.svc.cluster.local');
    assert.match(r.stdout, /^;; SERVER: 10\.43\.0\.10#53\(10\.43\.0\.10\) \(UDP\)$/m);
    assert.match(r.stdout, /^;; WHEN: Thu Jan 01 00:00:00 UTC 2026$/m);
    // client -> router -> server and back: 4 links of 100 us
    assert.match(r.stdout, /^;; Query time: 0 msec$/m);
    assert.deepEqual(
      r.response?.answers.map((a) => a.data),
      [{ type: 'A', address: ip('10.43.0.1') }],
    );
  });

  it('uses the resolv.conf nameserver without @server, and prints no "server found" line', () => {
    const r = run(setup(), 'www.example.org');
    assert.doesNotMatch(r.stdout, /server found/);
    assert.match(r.stdout, /^;; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1$/m);
    assert.match(r.stdout, /^www\.example\.org\.\t300\tIN\tA\t192\.0\.2\.10$/m);
  });

  it('retries in TCP mode after a truncated answer', () => {
    const r = run(setup(), '@10.43.0.10 big.cluster.local TXT');
    assert.match(r.stdout, /^;; Truncated, retrying in TCP mode\.\n\n; <<>> DiG/);
    assert.match(r.stdout, /ANSWER: 40,/);
    assert.match(r.stdout, /\(TCP\)$/m);
    assert.equal(r.response?.answers.length, 40);
    const noTcp = run(setup(), '@10.43.0.10 big.cluster.local TXT', false);
    assert.match(
      noTcp.stdout,
      /^;; Truncated, retrying in TCP mode\.\n;; communications error to 10\.43\.0\.10#53: connection refused\n/,
    );
    assert.equal(noTcp.exitCode, 9);
    assert.match(run(setup(), '@10.43.0.10 big.cluster.local TXT +ignore').stdout, /flags: qr aa tc rd;/);
  });

  it('+tcp, +short, and repeated runs with one seed print the same bytes', () => {
    assert.match(run(setup(), '@10.43.0.10 kubernetes.default.svc.cluster.local +tcp').stdout, /\(TCP\)$/m);
    assert.equal(
      run(setup(), '@10.43.0.10 alias.default.svc.cluster.local +short').stdout,
      'kubernetes.default.svc.cluster.local.\n10.43.0.1\n',
    );
    assert.equal(
      run(setup(7), '@10.43.0.10 www.example.org').stdout,
      run(setup(7), '@10.43.0.10 www.example.org').stdout,
    );
  });

  it('reads the command line as dig does', () => {
    const o = parseDigArgs([
      '@10.43.0.10',
      '-p',
      '5353',
      'MX',
      'example.org',
      '+dnssec',
      '+bufsize=4096',
      '+retry=1',
      '+time=2',
    ]);
    assert.ok(typeof o !== 'string');
    assert.deepEqual(
      [o.name, o.type, o.port, o.dnssec, o.bufsize, o.tries, o.time],
      ['example.org', 15, 5353, true, 4096, 2, 2],
    );
    const root = parseDigArgs([]);
    assert.ok(typeof root !== 'string');
    assert.deepEqual([root.name, root.type], ['.', 2]);
    assert.equal(parseDigArgs(['+frobnicate']), 'Invalid option: +frobnicate');
    // dig(1): +vc is +tcp, +[no]rdflag is +[no]recurse, +ignore keeps a truncated UDP answer, +nsid adds an OPT record
    const flags = parseDigArgs(['+vc', '+nordflag', '+noedns', '+ignore', '+noadflag', '+cdflag', '+nocookie', 'x']);
    assert.ok(typeof flags !== 'string');
    assert.deepEqual(
      [flags.tcp, flags.recurse, flags.edns, flags.ignoreTc, flags.adflag, flags.cdflag, flags.cookie],
      [true, false, false, true, false, true, false],
    );
    const nsid = parseDigArgs(['+noedns', '+nsid', 'x']);
    assert.ok(typeof nsid !== 'string');
    assert.deepEqual([nsid.nsid, nsid.edns], [true, true]);
    assert.equal(parseDigArgs(['+constructor']), 'Invalid option: +constructor');
    assert.equal(parseDigArgs(['a..b']), "dig: 'a..b' is not a legal name (empty label)");
    const bad = run(setup(), '+frobnicate');
    assert.deepEqual([bad.exitCode, bad.stdout], [1, '']);
    // dig 9.18's own text for an option it does not know, and for values it cannot read (exit 10)
    assert.equal(
      bad.stderr,
      [
        'Invalid option: +frobnicate',
        'Usage:  dig [@global-server] [domain] [q-type] [q-class] {q-opt}',
        '            {global-d-opt} host [@local-server] {local-d-opt}',
        '            [ host [@local-server] {local-d-opt} [...]]',
        '',
        'Use "dig -h" (or "dig -h | more") for complete list of options',
        '',
      ].join('\n'),
    );
    // a value dig cannot read: the first line on stdout, dig's own on stderr, exit 10 (as dig 9.18)
    for (const [args, out] of [
      ['+bufsize=abc', "invalid buffer size 'abc': not a valid number\n"],
      ['+bufsize=65536', "invalid buffer size '65536': out of range\n"],
      ['+time=65536', "invalid timeout '65536': out of range\n"],
      ['+retry=x', "invalid retries 'x': not a valid number\n"],
      ['+ndots=-1', "invalid ndots '-1': not a valid number\n"],
    ] as const) {
      const r = run(setup(), args);
      const what = /^invalid (.+) '/.exec(out)![1]!;
      assert.deepEqual([r.exitCode, r.stdout, r.stderr], [10, out, `dig: Couldn't parse ${what}\n`], args);
    }
    assert.match(run(setup(), '+time').stderr, /^Invalid option: \+time\nUsage: /);
    const tries = parseDigArgs(['+tries=4294967295', '+bufsize', 'x']);
    assert.ok(typeof tries !== 'string');
    assert.deepEqual([tries.tries, tries.bufsize], [4294967295, 1232]);
  });
});
