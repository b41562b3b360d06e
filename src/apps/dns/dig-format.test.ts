/**
 * dig's output, byte for byte against the real dig 9.18.49 (golden/README.md says how the files were
 * made): for each recorded case the response bytes dig received are parsed with podnet's codec and
 * formatted; only the host-dependent query time and date are taken from the golden text.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseDns } from '../../wire/dns.js';
import { hex } from '../../wire/testing.js';
import { type DigNote, type DigReply, formatDig, formatWhen, recordLine } from './dig-format.js';

const GOLDEN = new URL('../../../../src/apps/dns/golden/', import.meta.url);

interface GoldenCase {
  name: string;
  argv: string[];
  exitCode: number;
  exchanges: { transport: 'UDP' | 'TCP'; query: string; response: string | null }[];
}

const cases = JSON.parse(readFileSync(new URL('cases.json', GOLDEN), 'utf8')) as GoldenCase[];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ms since 1970 from dig's "Thu Nov 26 06:36:05 UTC 2026". */
function parseWhen(text: string): number {
  const m = /^\w{3} (\w{3}) (\d\d) (\d\d):(\d\d):(\d\d) UTC (\d{4})$/.exec(text);
  assert.ok(m, `unexpected WHEN: ${text}`);
  return Date.UTC(Number(m[6]), MONTHS.indexOf(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
}

describe('dig output matches dig 9.18 (golden files)', () => {
  assert.ok(cases.length >= 20);
  for (const c of cases) {
    it(c.name, () => {
      const golden = readFileSync(new URL(`${c.name}.txt`, GOLDEN), 'utf8');
      const notes: DigNote[] = [];
      let reply: DigReply | undefined;
      let sentCookie: Uint8Array | undefined;
      const queryTime = Number(/^;; Query time: (\d+) msec$/m.exec(golden)?.[1] ?? 0);
      for (const x of c.exchanges) {
        const q = parseDns(hex(x.query));
        assert.ok(q.ok);
        sentCookie = q.value.edns?.options.find((o) => o.code === 10)?.data;
        if (x.response === null) {
          notes.push({ kind: 'timeout', server: '127.0.0.1#5300' });
          continue;
        }
        const bytes = hex(x.response);
        const r = parseDns(bytes);
        assert.ok(r.ok, `response of ${c.name} does not parse`);
        if (r.value.tc && x.transport === 'UDP') {
          notes.push({ kind: 'truncated' });
          continue;
        }
        reply = { bytes, message: r.value, transport: x.transport, rtt: queryTime * 1_000_000 + 123_456 };
      }
      const when = /^;; WHEN: (.*)$/m.exec(golden)?.[1];
      const text = formatDig({
        argv: c.argv,
        serverCount: 1,
        serverAddr: 0x7f000001,
        serverPort: 5300,
        serverName: '127.0.0.1',
        notes,
        ...(reply === undefined ? {} : { reply }),
        ...(sentCookie === undefined ? {} : { sentCookie }),
        short: c.argv.includes('+short'),
        whenMs: when === undefined ? 0 : parseWhen(when) + 999,
      });
      assert.equal(text, golden);
      assert.equal(reply === undefined ? 9 : 0, c.exitCode);
    });
  }
});

describe('dig text pieces', () => {
  it('prints the date as strftime "%a %b %d %H:%M:%S %Z %Y" in UTC', () => {
    assert.equal(formatWhen(Date.UTC(2026, 0, 1)), 'Thu Jan 01 00:00:00 UTC 2026');
    assert.equal(formatWhen(Date.UTC(2026, 11, 31, 23, 59, 59, 999)), 'Thu Dec 31 23:59:59 UTC 2026');
  });

  it("puts fields at BIND's columns: tabs to 24/32/40/48, one space once a field runs past", () => {
    const a = (name: string, ttl: number): string =>
      recordLine({ name, class: 1, ttl, data: { type: 'A', address: 0x0a000001 } });
    assert.equal(a('a.', 5), 'a.\t\t\t5\tIN\tA\t10.0.0.1');
    assert.equal(a('example.com.', 300), 'example.com.\t\t300\tIN\tA\t10.0.0.1');
    assert.equal(a('aaaaaaaaaaaaaaaaaaaaaaa.', 0), 'aaaaaaaaaaaaaaaaaaaaaaa. 0\tIN\tA\t10.0.0.1'); // 24 chars: one space
    assert.equal(a('aaaaaaaaaaaaaaaaaaaaaa.', 0), 'aaaaaaaaaaaaaaaaaaaaaa.\t0\tIN\tA\t10.0.0.1'); // 23 chars: a tab to 24
    assert.equal(
      a('kubernetes.default.svc.cluster.local.', 5),
      'kubernetes.default.svc.cluster.local. 5\tIN A\t10.0.0.1',
    );
  });

  it('judges the COOKIE that came back against the one sent', () => {
    const base = {
      argv: [],
      serverCount: 0,
      serverAddr: 0x0a2b000a,
      serverPort: 53,
      serverName: '10.43.0.10',
      notes: [],
      whenMs: 0,
    };
    const message = (cookie: string) => {
      const r = parseDns(
        hex(
          `0001 8180 0000 0000 0000 0001 00 0029 04d0 00000000 ${(4 + cookie.length / 2).toString(16).padStart(4, '0')} 000a ${(cookie.length / 2).toString(16).padStart(4, '0')} ${cookie}`,
        ),
      );
      assert.ok(r.ok);
      return { bytes: new Uint8Array(0), message: r.value, transport: 'UDP' as const, rtt: 0 };
    };
    const sent = hex('0102030405060708');
    const line = (cookie: string): string | undefined =>
      formatDig({ ...base, reply: message(cookie), sentCookie: sent })
        .split('\n')
        .find((l) => l.startsWith('; COOKIE'));
    assert.equal(line('0102030405060708'), '; COOKIE: 0102030405060708 (echoed)');
    assert.equal(line('01020304050607080a0b0c0d0e0f1011'), '; COOKIE: 01020304050607080a0b0c0d0e0f1011 (good)');
    assert.equal(line('ff02030405060708'), '; COOKIE: ff02030405060708 (bad)');
  });
});
