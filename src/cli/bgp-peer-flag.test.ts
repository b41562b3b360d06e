/** `--bgp-peer ADDR[:PORT],as=N`: what it accepts and the message for what it does not. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIpv4 } from '../wire/addr.js';
import { parseBgpPeerArg } from './bgp-peer-flag.js';

test('--bgp-peer: address, port and AS; the port defaults to 179', () => {
  const show = (v: string): unknown => {
    const r = parseBgpPeerArg(v);
    return typeof r === 'string' ? r : `${formatIpv4(r.address)} ${r.port} ${r.asn}`;
  };
  assert.equal(show('127.0.0.1:1791,as=64512'), '127.0.0.1 1791 64512');
  assert.equal(show('10.0.0.254,as=65001'), '10.0.0.254 179 65001');
  assert.equal(show('192.0.2.1:179,as=4200000000'), '192.0.2.1 179 4200000000');
});

test('--bgp-peer: each malformed value says what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['127.0.0.1:1791', /as=N is required/],
    ['localhost:1791,as=1', /IPv4 address/],
    ['300.0.0.1,as=1', /IPv4 address/],
    ['127.0.0.1:0,as=1', /port must be from 1 to 65535/],
    ['127.0.0.1:65536,as=1', /port must be from 1 to 65535/],
    ['127.0.0.1,as=0', /AS must be from 1/],
    ['127.0.0.1,as=4294967296', /AS must be from 1/],
    ['127.0.0.1,as=1,as=2', /given twice/],
    ['127.0.0.1,asn=1', /unknown option "asn=1"/],
    ['', /IPv4 address/],
  ];
  for (const [v, want] of cases) {
    const r = parseBgpPeerArg(v);
    assert.equal(typeof r, 'string', v);
    assert.match(r as string, want, v);
    assert.match(r as string, /^--bgp-peer takes ADDR\[:PORT\],as=N/);
  }
});
