/**
 * A throwaway etcd server for tests: Debian's `etcd` binary (package etcd-server) started as a single
 * member on 127.0.0.1 with free ports and a temporary data directory, and removed again by `stop`.
 * Whether etcd is installed is decided by peers.ts; talking to it belongs to src/realtime/etcd/.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How peers.ts finds etcd and how a person installs it. */
export const ETCD = { bin: 'etcd', install: 'apt-get install -y etcd-server' };

/** A running etcd. */
export interface EtcdServer {
  /** The client URL, e.g. http://127.0.0.1:41234. */
  readonly endpoint: string;
  /** The server's version line from /version, e.g. {"etcdserver":"3.4.23","etcdcluster":"3.4.0"}. */
  readonly version: string;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

/** Starts etcd and resolves once it answers on its client URL (rejects with its log after `timeoutMs`). */
export async function startEtcd(timeoutMs = 15_000): Promise<EtcdServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'podnet-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    ETCD.bin,
    [
      '--name',
      'podnet-test',
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      client,
      '--advertise-client-urls',
      client,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `podnet-test=${peer}`,
      '--initial-cluster-state',
      'new',
    ],
    // a fresh environment for etcd's own settings: ETCD_* variables would override the flags above
    { stdio: ['ignore', 'pipe', 'pipe'], env: withoutEtcdVars(process.env) },
  );
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stopped = false;
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`etcd exited (${child.exitCode ?? child.signalCode}) before answering:\n${log}`);
    }
    const version = await fetch(`${client}/version`, { signal: AbortSignal.timeout(1_000) })
      .then(async (r) => (r.ok ? r.text() : undefined))
      .catch(() => undefined);
    // /version answers before the member has a leader; /health says when it can serve writes
    const healthy =
      version !== undefined &&
      (await fetch(`${client}/health`, { signal: AbortSignal.timeout(1_000) })
        .then((r) => r.ok)
        .catch(() => false));
    if (healthy) return { endpoint: client, version: version.trim(), stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not become healthy on ${client} within ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function withoutEtcdVars(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('ETCD')));
}
