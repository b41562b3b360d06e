/** Record types: mnemonics (RFC 3597 TYPEnnn), and IPv6 text as glibc's inet_ntop prints it (what dig shows). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { dnsClassName, dnsTypeCode, dnsTypeName, formatIpv6, parseIpv6, txtData } from './dns-rr.js';

describe('dns record types', () => {
  it('names types and classes, with RFC 3597 forms for the rest', () => {
    assert.equal(dnsTypeName(33), 'SRV');
    assert.equal(dnsTypeName(65280), 'TYPE65280');
    assert.equal(dnsTypeCode('aaaa'), 28);
    assert.equal(dnsTypeCode('TYPE65280'), 65280);
    assert.equal(dnsTypeCode('TYPE65536'), undefined);
    assert.equal(dnsTypeCode('example.com'), undefined);
    assert.equal(dnsClassName(1), 'IN');
    assert.equal(dnsClassName(3), 'CH');
    assert.equal(dnsClassName(77), 'CLASS77');
  });

  it('prints IPv6 as glibc inet_ntop does (vectors from Python socket.inet_ntop on glibc 2.36)', () => {
    const cases: [string, string][] = [
      ['2001:db8::1', '2001:db8::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['::2', '::2'],
      ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
      ['::10.0.0.1', '::10.0.0.1'],
      ['fe80:0:0:1::', 'fe80:0:0:1::'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
      ['0:0:1::', '0:0:1::'],
      ['::ffff:0:0', '::ffff:0.0.0.0'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['0:0:0:0:0:1:0:0', '::1:0:0'],
      ['::ffff:1:2', '::ffff:0.1.0.2'],
    ];
    for (const [input, text] of cases) assert.equal(formatIpv6(parseIpv6(input)!), text, input);
  });

  it('rejects malformed IPv6 text and round-trips any address', () => {
    for (const bad of [
      '1:2:3:4:5:6:7',
      '1::2::3',
      '12345::',
      '::g',
      '1:2:3:4:5:6:7:8:9',
      '::1.2.3',
      '1:2:3:4:5:6:7::8',
    ])
      assert.equal(parseIpv6(bad), undefined, bad);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (a) =>
        assert.deepEqual(parseIpv6(formatIpv6(a)), a),
      ),
    );
  });

  it('builds TXT RDATA from text', () => {
    assert.deepEqual(txtData('1.1.0'), { type: 'TXT', strings: [Uint8Array.from([0x31, 0x2e, 0x31, 0x2e, 0x30])] });
  });
});
