/**
 * A throwaway BIRD 2 for tests (Debian's bird2): the test's config written to a temporary directory, `bird -f`
 * started with its own control socket there, `birdcl` to ask it things, and `stop` to kill it and remove the
 * directory. Whether BIRD is installed is decided by peers.ts. The parsers read birdcl's text as BIRD 2.0
 * prints it (nest/proto.c proto_cmd_show, nest/rt-show.c rt_show_rte), checked against the goldens in
 * src/control/bgp/golden/.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** How peers.ts finds BIRD and how a person installs it. */
export const BIRD = { bin: 'bird', install: 'apt-get install -y bird2' };

const run = promisify(execFile);

/** A running BIRD. */
export interface BirdDaemon {
  readonly process: ChildProcess;
  readonly dir: string;
  /** `birdcl -s SOCK ARGS...`: its stdout, the banner line removed. */
  birdcl(...args: string[]): Promise<string>;
  /** Stops the process (SIGCONT first, in case a test froze it) and removes the directory. */
  stop(): Promise<void>;
}

/** Starts `bird -f -c CONFIG -s SOCK` and resolves once birdcl gets an answer (rejects after `timeoutMs`). */
export async function startBird(config: string, timeoutMs = 10_000): Promise<BirdDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-bird-'));
  const conf = join(dir, 'bird.conf');
  const sock = join(dir, 'bird.ctl');
  writeFileSync(conf, config);
  const child = spawn(BIRD.bin, ['-f', '-c', conf, '-s', sock], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const birdcl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run('birdcl', ['-s', sock, ...args]);
    return stdout.slice(stdout.indexOf('\n') + 1);
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await birdcl('show', 'status');
      return { process: child, dir, birdcl, stop };
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`bird did not start: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A TCP port free on 127.0.0.1 just now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = a !== null && typeof a === 'object' ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One row of `show protocols`. */
export interface BirdProtocolRow {
  name: string;
  proto: string;
  table: string;
  state: string;
  since: string;
  /** The info column, trimmed: "Established", "Active        Received: Administrative shutdown" → as printed. */
  info: string;
}

/** Rows of BIRD 2's `show protocols` (the heading skipped). */
export function parseShowProtocols(text: string): BirdProtocolRow[] {
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(l);
      if (m === null) throw new Error(`not a show protocols row: ${JSON.stringify(l)}`);
      return { name: m[1]!, proto: m[2]!, table: m[3]!, state: m[4]!, since: m[5]!, info: m[6]!.trim() };
    });
}

/** One route of `show route all`. */
export interface BirdRouteRow {
  prefix: string;
  dest: string;
  protocol: string;
  /** The address it was learned from (`from X`), when printed. */
  from?: string;
  /** BGP.next_hop. */
  nextHop?: string;
  asPath?: string;
  localPref?: number;
  /** BGP.originator_id and BGP.cluster_list (RFC 4456), when the route was reflected. */
  originatorId?: string;
  clusterList?: string;
  primary: boolean;
}

/** Routes of BIRD 2's `show route all` (continuation rows of the same prefix keep its name). */
export function parseShowRouteAll(text: string): BirdRouteRow[] {
  const rows: BirdRouteRow[] = [];
  let prefix = '';
  for (const line of text.split('\n')) {
    const head = /^(\S*)\s+(unicast|blackhole|unreachable|prohibited)\s+\[(\S+) [^\]\s]+(?: from (\S+))?\]( \*)?/.exec(
      line,
    );
    if (head !== null) {
      if (head[1] !== '') prefix = head[1]!;
      rows.push({
        prefix,
        dest: head[2]!,
        protocol: head[3]!,
        ...(head[4] !== undefined ? { from: head[4] } : {}),
        primary: head[5] !== undefined,
      });
      continue;
    }
    const cur = rows[rows.length - 1];
    const attr = /^\tBGP\.(\w+): ?(.*)$/.exec(line);
    if (cur === undefined || attr === null) continue;
    if (attr[1] === 'next_hop') cur.nextHop = attr[2]!;
    else if (attr[1] === 'as_path') cur.asPath = attr[2]!;
    else if (attr[1] === 'local_pref') cur.localPref = Number(attr[2]);
    else if (attr[1] === 'originator_id') cur.originatorId = attr[2]!;
    else if (attr[1] === 'cluster_list') cur.clusterList = attr[2]!;
  }
  return rows;
}
