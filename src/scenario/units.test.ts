/** Tests for human-unit parsing: accepted forms, rejects, exactness, and formatDuration round trips. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatBitRate, formatDuration, parseBandwidth, parseByteSize, parseDuration } from './units.js';

test('parseDuration accepts the documented forms', () => {
  const cases: [string | number, number][] = [
    ['0', 0],
    [0, 0],
    ['10ns', 10],
    ['1us', 1_000],
    ['1µs', 1_000], // U+00B5
    ['1μs', 1_000], // U+03BC
    ['2.5ms', 2_500_000],
    ['3s', 3_000_000_000],
    ['1m', 60_000_000_000],
    ['2h', 7_200_000_000_000],
    ['10 ms', 10_000_000],
    [' 1.005s ', 1_005_000_000], // exact: 1.005 * 1e9 in floating point is 1004999999.9999999
    ['0ms', 0],
  ];
  for (const [text, ns] of cases) assert.equal(parseDuration(text), ns, String(text));
});

test('parseDuration rejects malformed text', () => {
  for (const bad of [
    '',
    '10',
    10,
    1.5,
    '10 parsecs',
    '-1ms',
    '+1ms',
    '1e3us',
    '.5ms',
    '5.ms',
    '1.5ns',
    '1 m s',
    'ms',
    '10MS',
    '1_000ns',
    '0x10ns',
    '9007199254740993ns',
  ]) {
    assert.equal(parseDuration(bad), undefined, JSON.stringify(bad));
  }
});

test('parseBandwidth accepts SI bit rates and rejects the rest', () => {
  const cases: [string | number, number][] = [
    ['10Gbps', 10_000_000_000],
    ['100Mbps', 100_000_000],
    ['1.5kbps', 1_500],
    ['1.5Kbps', 1_500],
    ['9600bps', 9_600],
    ['1Tbps', 1_000_000_000_000],
    ['0', 0],
  ];
  for (const [text, bps] of cases) assert.equal(parseBandwidth(text), bps, String(text));
  for (const bad of ['9600', 9600, '1MBps', '10gbps', '-1Mbps', '1e9bps', '1.5bps', '10 parsecs', 'Mbps']) {
    assert.equal(parseBandwidth(bad), undefined, JSON.stringify(bad));
  }
});

test('parseByteSize accepts plain bytes, SI and IEC units', () => {
  const cases: [string | number, number][] = [
    ['1500', 1500],
    [1500, 1500],
    [0, 0],
    ['64B', 64],
    ['64KiB', 65_536],
    ['1MB', 1_000_000],
    ['1MiB', 1_048_576],
    ['1.5KiB', 1_536],
    ['2kB', 2_000],
    ['1GiB', 1_073_741_824],
  ];
  for (const [text, n] of cases) assert.equal(parseByteSize(text), n, String(text));
  for (const bad of [-1, 1.5, '-1', '0.5B', '1e3', '1kib', '1Mb', '10 parsecs', 'KiB', '']) {
    assert.equal(parseByteSize(bad), undefined, JSON.stringify(bad));
  }
});

test('formatDuration picks a readable unit and stays exact', () => {
  assert.equal(formatDuration(1_500_000), '1.5ms');
  assert.equal(formatDuration(10_000), '10us');
  assert.equal(formatDuration(999), '999ns');
  assert.equal(formatDuration(3_000_000_000), '3s');
  assert.equal(formatDuration(1_000_001_000), '1.000001s');
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(-2_000), '-2us');
});

test('parseDuration(formatDuration(ns)) === ns', () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), (ns) => parseDuration(formatDuration(ns)) === ns),
    { numRuns: 2000 },
  );
});

test('arbitrary text never makes the parsers throw', () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      for (const f of [parseDuration, parseBandwidth, parseByteSize]) {
        const v = f(s);
        assert.ok(v === undefined || (Number.isSafeInteger(v) && v >= 0));
      }
    }),
  );
});

test('formatBitRate writes a rate as people do', () => {
  assert.equal(formatBitRate(10_000_000_000), '10 Gbit/s');
  assert.equal(formatBitRate(1_000_000_000), '1 Gbit/s');
  assert.equal(formatBitRate(2_500_000_000), '2.5 Gbit/s');
  assert.equal(formatBitRate(100_000_000), '100 Mbit/s');
  assert.equal(formatBitRate(9600), '9.6 kbit/s');
  assert.equal(formatBitRate(300), '300 bit/s');
});
