/**
 * Names: the text form (BIND's escapes), the limits of RFC 1035 2.3.4, case-insensitive comparison
 * (RFC 4343) and the compressing writer (RFC 1035 4.1.4), with fast-check round trips.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  DnsWriter,
  canonicalName,
  checkName,
  formatLabel,
  isSubdomain,
  labelCount,
  nameKey,
  nameWireLength,
  readName,
  sameName,
  splitName,
} from './dns-name.js';
import { hex } from './testing.js';

describe('dns names: text', () => {
  it("escapes as BIND's dns_name_totext: specials with a backslash, non-printables as \\DDD", () => {
    assert.equal(formatLabel(new TextEncoder().encode('a.b')), 'a\\.b');
    assert.equal(
      formatLabel(Uint8Array.from([0x20, 0x22, 0x24, 0x28, 0x29, 0x3b, 0x40, 0x5c, 0x7f, 0x00, 0x41])),
      String.raw`\032\"\$\(\)\;\@\\\127\000A`,
    );
  });

  it('reads escapes back and normalises to one canonical text', () => {
    assert.equal(canonicalName('example.com'), 'example.com.');
    assert.equal(canonicalName('\\065\\.b.example.'), 'A\\.b.example.');
    assert.equal(canonicalName('.'), '.');
    assert.equal(canonicalName(''), '.');
    assert.equal(canonicalName('ü.de'), '\\195\\188.de.');
  });

  it('rejects empty labels, long labels, long names and bad escapes', () => {
    assert.match(checkName('a..b')!, /empty label/);
    assert.match(checkName('.a')!, /empty label/);
    assert.match(checkName(`${'a'.repeat(64)}.com`)!, /label of 64 octets/);
    assert.equal(checkName(`${'a'.repeat(63)}.com`), undefined);
    const long = Array.from({ length: 4 }, () => 'a'.repeat(63)).join('.'); // 4*64 + 1 = 257 octets
    assert.match(checkName(long)!, /name of 257 octets/);
    assert.equal(checkName(long.slice(2)), undefined); // 255
    assert.match(checkName('a\\')!, /dangling backslash/);
    assert.match(checkName('a\\300')!, /above 255/);
  });

  it('compares case-insensitively (RFC 4343) and knows subdomains', () => {
    assert.ok(sameName('Kubernetes.Default.svc.cluster.local', 'kubernetes.default.svc.cluster.local.'));
    assert.equal(nameKey('WWW.Example.'), 'www.example.');
    assert.ok(isSubdomain('a.svc.cluster.local.', 'cluster.local'));
    assert.ok(isSubdomain('cluster.local', 'cluster.local.'));
    assert.ok(!isSubdomain('xcluster.local.', 'cluster.local.'));
    assert.ok(isSubdomain('anything.', '.'));
    assert.equal(labelCount('a.b.c.'), 3);
    assert.equal(nameWireLength('example.com.'), 13);
    assert.equal(nameWireLength('.'), 1);
  });
});

describe('dns names: wire', () => {
  it('compresses the longest suffix already written, case-sensitively', () => {
    const w = new DnsWriter(4);
    w.bytes(new Uint8Array(12)); // a header's worth, so offsets look like a message's
    w.name('www.example.com.', true);
    w.name('mail.example.com.', true);
    w.name('Example.COM.', true);
    w.name('www.example.com.', true);
    assert.deepEqual(
      w.view().subarray(12),
      hex(`
        03 77 77 77 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 // @12 www.example.com.
        04 6d 61 69 6c c0 10                              // mail + pointer to @16 example.com.
        07 45 78 61 6d 70 6c 65 03 43 4f 4d 00            // Example.COM. differs in case: written out
        c0 0c                                             // the whole name again: pointer to @12
      `),
    );
  });

  it('writes SRV-style names uncompressed when asked, and remembers nothing past 0x3fff', () => {
    const w = new DnsWriter();
    w.bytes(new Uint8Array(0x4000));
    w.name('a.b.', true);
    w.name('a.b.', true);
    assert.deepEqual(w.view().subarray(0x4000), hex('01 61 01 62 00 01 61 01 62 00'));
  });

  it('reads names through pointers and reports where the name ended', () => {
    const msg = hex('00 00 03 77 77 77 07 65 78 61 6d 70 6c 65 00 c0 06 ff');
    assert.deepEqual(readName(msg, 2), { ok: true, value: { name: 'www.example.', end: 15 } });
    assert.deepEqual(readName(msg, 15), { ok: true, value: { name: 'example.', end: 17 } });
    assert.deepEqual(readName(hex('00'), 0), { ok: true, value: { name: '.', end: 1 } });
  });

  it('round-trips any valid name through text and wire', () => {
    const labelArb = fc.uint8Array({ minLength: 1, maxLength: 63 });
    fc.assert(
      fc.property(fc.array(labelArb, { maxLength: 4 }), (labels) => {
        const text = labels.length === 0 ? '.' : labels.map((l) => formatLabel(l)).join('.') + '.';
        const parts = splitName(text);
        assert.ok(typeof parts !== 'string');
        assert.deepEqual(
          parts.labels.map((l) => Array.from(l)),
          labels.map((l) => Array.from(l)),
        );
        const w = new DnsWriter();
        w.name(text, true);
        assert.deepEqual(readName(w.view(), 0), { ok: true, value: { name: text, end: w.pos } });
      }),
    );
  });
});
