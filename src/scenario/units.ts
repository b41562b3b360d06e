/**
 * Human-written quantities in scenario files: durations, bandwidths and byte sizes, parsed into exact
 * integers (nanoseconds, bits per second, bytes), and written back for people (formatDuration,
 * formatBitRate). Owns only the text forms; what range a field allows, and the error message naming the
 * field, belong to the validator that calls these.
 *
 * Shared grammar: an unsigned decimal with an optional fraction (`2`, `2.5`; not `.5`, `5.`, `+5`, `-5`,
 * and no exponent such as `1e3us`, which reads like a typo more often than an intent), optional spaces,
 * then a case-sensitive unit. Results are computed in exact decimal arithmetic and must come out as a
 * safe integer: `1.5ns` and `0.5B` are rejected rather than rounded.
 */

const NUMBER_WITH_UNIT = /^(\d+)(?:\.(\d+))?\s*(\S*)$/;

/** Parses `text` as decimal × multiplier exactly; undefined when the unit is unknown or not integral. */
function scaled(text: string, units: Readonly<Record<string, bigint>>): number | undefined {
  const m = NUMBER_WITH_UNIT.exec(text.trim());
  if (!m) return undefined;
  const [, whole, frac = '', unit = ''] = m;
  const mult = units[unit];
  if (mult === undefined) return undefined;
  const scale = 10n ** BigInt(frac.length);
  const numerator = BigInt(whole! + frac) * mult;
  if (numerator % scale !== 0n) return undefined;
  const value = numerator / scale;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
}

const DURATION_UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 MICRO SIGN
  μs: 1_000n, // U+03BC GREEK SMALL LETTER MU
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/**
 * A duration in integer nanoseconds, or undefined when malformed.
 * Accepts `0` (the number or the text) and `<decimal><unit>` with unit `ns`, `us`/`µs`, `ms`, `s`,
 * `m` (minutes) or `h`: '10ns', '1us', '2.5ms', '3s', '1m', '10 ms'. Rejects other bare numbers
 * (which unit?), negatives, exponents and fractions of a nanosecond.
 */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return input === 0 ? 0 : undefined;
  if (input.trim() === '0') return 0;
  return scaled(input, DURATION_UNITS);
}

const BANDWIDTH_UNITS: Readonly<Record<string, bigint>> = {
  bps: 1n,
  kbps: 1_000n,
  Kbps: 1_000n,
  Mbps: 1_000_000n,
  Gbps: 1_000_000_000n,
  Tbps: 1_000_000_000_000n,
};

/**
 * A bandwidth in integer bits per second, or undefined when malformed.
 * Accepts `0` and `<decimal><unit>` with SI (powers of 1000) units `bps`, `kbps`/`Kbps`, `Mbps`, `Gbps`,
 * `Tbps`: '9600bps', '1.5kbps', '100Mbps', '10Gbps'. Rejects other bare numbers, byte rates such as
 * 'MBps', negatives, exponents and fractional bits per second.
 */
export function parseBandwidth(input: string | number): number | undefined {
  if (typeof input === 'number') return input === 0 ? 0 : undefined;
  if (input.trim() === '0') return 0;
  return scaled(input, BANDWIDTH_UNITS);
}

const BYTE_UNITS: Readonly<Record<string, bigint>> = {
  '': 1n,
  B: 1n,
  kB: 1_000n,
  KB: 1_000n,
  MB: 1_000_000n,
  GB: 1_000_000_000n,
  TB: 1_000_000_000_000n,
  KiB: 1n << 10n,
  MiB: 1n << 20n,
  GiB: 1n << 30n,
  TiB: 1n << 40n,
};

/**
 * A size in integer bytes, or undefined when malformed.
 * Accepts a non-negative integer (number or text: 1500, '1500'), or `<decimal><unit>` with `B`,
 * SI units `kB`/`KB`, `MB`, `GB`, `TB` (powers of 1000) or IEC units `KiB`, `MiB`, `GiB`, `TiB`
 * (powers of 1024): '64KiB', '1MB', '1.5KiB'. Rejects negatives, exponents and fractional bytes.
 */
export function parseByteSize(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isSafeInteger(input) && input >= 0 ? input : undefined;
  return scaled(input, BYTE_UNITS);
}

const FORMAT_STEPS: readonly (readonly [bigint, string])[] = [
  [1_000_000_000n, 's'],
  [1_000_000n, 'ms'],
  [1_000n, 'us'],
];

/**
 * Nanoseconds for people, exactly: the largest of s, ms, us, ns that keeps an integer part, with as
 * many decimals as needed and no more ('1.5ms', '10us', '1.000001s', '0s'). parseDuration reads it back.
 */
export function formatDuration(ns: number): string {
  if (!Number.isSafeInteger(ns)) return `${ns}ns`;
  if (ns < 0) return `-${formatDuration(-ns)}`;
  if (ns === 0) return '0s';
  const v = BigInt(ns);
  for (const [size, unit] of FORMAT_STEPS) {
    if (v < size) continue;
    const whole = v / size;
    const frac = (v % size)
      .toString()
      .padStart(size.toString().length - 1, '0')
      .replace(/0+$/, '');
    return frac === '' ? `${whole}${unit}` : `${whole}.${frac}${unit}`;
  }
  return `${ns}ns`;
}

/** A bit rate as people write it: "10 Gbit/s", "1 Gbit/s", "100 Mbit/s", "1.5 Mbit/s". */
export function formatBitRate(bps: number): string {
  for (const [unit, n] of [
    ['Gbit/s', 1e9],
    ['Mbit/s', 1e6],
    ['kbit/s', 1e3],
  ] as const)
    if (bps >= n) return `${+(bps / n).toFixed(3)} ${unit}`;
  return `${bps} bit/s`;
}
