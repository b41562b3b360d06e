/**
 * Bad input loses nothing: nslookup, host, getent and wget, given any argument list built from their
 * options, names, addresses and junk, finish with a status (none throws, none hangs) in a small network
 * with a DNS server and an HTTP server.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SECOND } from '../sim/engine.js';
import { DnsServer } from './dns/server.js';
import { CLUSTER_ZONE } from './dns/testing.js';
import { HttpServer } from './http/server.js';
import { httpLab, start } from './http/testing.js';
import { wgetCommand } from './wget.js';
import { Shell, type Command } from './shell.js';

const WORDS = [
  '-',
  '--',
  '-q',
  '-O',
  '-O-',
  '-qO-',
  '-T',
  '-t',
  '0',
  '1',
  '-1',
  'inf',
  '-type=mx',
  '-type=',
  '-query=AAAA',
  '-port=53',
  '-port=99999',
  '-timeout=1',
  '-retry=0',
  '-vc',
  '-debug',
  '-domain=x..y',
  '-ndots=200',
  '-t',
  'mx',
  'junk',
  '-N',
  '-R',
  '-W',
  '-r',
  '-T',
  '-v',
  '-V',
  '-x',
  'hosts',
  'ahosts',
  'ahostsv4',
  'passwd',
  'web',
  'web.',
  'a..b',
  'kubernetes.default',
  '10.43.0.1',
  '10.43.0.10',
  '::1',
  '10.0.1.1',
  'http://web/',
  'https://web/',
  'web:99999',
  'http://[',
  '--header',
  'X: 1',
  '--max-redirect',
  '--tries',
  '--bogus',
  '',
];

describe('nslookup, host, getent and wget on any arguments', () => {
  it('finish with a status and never throw', () => {
    const l = httpLab();
    new DnsServer(l.web.udp, { zones: [CLUSTER_ZONE] });
    new HttpServer(() => ({ body: 'ok\n' })).listen(l.web.tcp, 80);
    const shell = new Shell();
    const ctx = {
      ...l.client.ctx,
      resolvConf:
        'search default.svc.cluster.local svc.cluster.local\nnameserver 10.43.0.1\noptions ndots:5 timeout:1 attempts:1\n',
      hostsFile: '127.0.0.1 localhost\n::1 localhost ip6-localhost\n',
    };
    const tools: [string, Command][] = [
      ['nslookup', shell.commands.get('nslookup')!],
      ['host', shell.commands.get('host')!],
      ['getent', shell.commands.get('getent')!],
      ['wget', wgetCommand],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...tools), fc.array(fc.constantFrom(...WORDS), { maxLength: 6 }), ([, cmd], args) => {
        const box = start(cmd, ctx, args);
        l.engine.run(l.engine.now + 600 * SECOND);
        assert.ok(box.result !== undefined, 'finished');
        assert.equal(typeof box.result.status, 'number');
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
