/**
 * TCP bulk transfer over three hops (host - router - router - host, as src/transport/testing.ts builds
 * it): one connection writes N MiB and closes. Returns the goodput in simulated time (application bytes
 * over the time from connect() to the last byte delivered) and the wall time of the simulation. Not a
 * test: timings belong in `npm run bench`, never in assertions.
 */
import { SECOND } from '../src/sim/engine.js';
import type { LinkProps } from '../src/link/channel.js';
import { patternBytes, threeHopLab, type ImpairmentProps } from '../src/transport/testing.js';

/** Options of one run. */
export interface TcpBulkOptions {
  /** Props of every link (default 1 Gbps, 100 µs). */
  link?: Partial<LinkProps>;
  /** Loss, duplication and reordering in the middle link. */
  impair?: ImpairmentProps;
  seed?: number;
}

/** One measured run. */
export interface TcpBulkResult {
  /** Application bytes per simulated second, in bits per second. */
  simulatedGoodputBps: number;
  wallSeconds: number;
  /** Simulated ns from connect() to the last byte delivered. */
  simulatedNs: number;
  bytes: number;
  retransmissions: number;
  events: number;
}

/** Transfers `megabytes` MiB from A to B over three hops; throws if the data did not arrive intact. */
export function runTcpBulk(megabytes: number, opts: TcpBulkOptions = {}): TcpBulkResult {
  const lab = threeHopLab({ seed: opts.seed ?? 1, link: opts.link, impair: opts.impair });
  const n = Math.round(megabytes * (1 << 20));
  const data = patternBytes(n, 7);
  let received = 0;
  let mismatch = -1;
  let doneAt = -1;
  lab.tb.listen(5001, (s) => {
    s.on('data', (d) => {
      for (let i = 0; i < d.length && mismatch < 0; i++) if (d[i] !== data[received + i]) mismatch = received + i;
      received += d.length;
      if (received === n) doneAt = lab.engine.now;
    });
    s.on('end', () => s.end());
  });
  const c = lab.ta.connect(lab.B, 5001);
  c.on('connect', () => {
    c.write(data);
    c.end();
  });
  const t0 = process.hrtime.bigint();
  lab.engine.run(3600 * SECOND);
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (received !== n || mismatch >= 0 || doneAt < 0)
    throw new Error(`tcp-bulk: ${received} of ${n} bytes, first mismatch at ${mismatch}`);
  return {
    simulatedGoodputBps: (n * 8 * SECOND) / doneAt,
    wallSeconds,
    simulatedNs: doneAt,
    bytes: n,
    retransmissions: c.stats.retransmissions,
    events: lab.engine.eventsRun,
  };
}
