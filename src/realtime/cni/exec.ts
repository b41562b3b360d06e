/**
 * podnet's CNI plugins as real executables: `runCniExecutable(type, env, stdin)` does what the binary
 * does (CNI_* environment, configuration on stdin, result or error JSON on stdout, exit status), and
 * `cniMain()` wires that to the process. The plugins act on an emulated host kept as JSON in a state
 * directory ($PODNET_CNI_STATE, default /var/lib/cni/podnet) and reloaded for every run, under a lock so
 * parallel runs for different containers queue. The files plugins keep for themselves are real:
 * host-local's dataDir (/var/lib/cni/networks/<net>/...), flannel's subnet.env and delegate cache, so a
 * real runtime and podnet can share them. VERSION needs no state.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { defaultRegistry } from '../../control/cni/plugins.js';
import { formatCniError, needsHost, runSkel, type ExecOutcome } from '../../control/cni/skel.js';
import { loadHostState, saveHostState, type HostStateDoc } from '../../control/cni/state.js';
import { CNI_SPEC_VERSION, CniErrorCode } from '../../control/cni/types.js';
import type { CniHost } from '../../control/cni/host.js';
import type { Engine } from '../../sim/engine.js';
import type { EmulatedHost } from '../../control/cni/emulated-host.js';
import { FsStore } from './fs-store.js';

/** Where the emulated host's state lives unless PODNET_CNI_STATE says otherwise. */
export const DEFAULT_STATE_DIR = '/var/lib/cni/podnet';
/** The state file inside the state directory. */
export const STATE_FILE = 'host.json';
/** How long a run waits for another run's lock. */
export const LOCK_TIMEOUT_MS = 10_000;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Takes `<dir>/lock` (O_EXCL), waiting for another run to finish; returns the release function. */
function lock(dir: string): () => void {
  const path = join(dir, 'lock');
  const end = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      closeSync(openSync(path, 'wx', 0o600));
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() > end) throw new Error(`timed out after ${LOCK_TIMEOUT_MS} ms waiting for ${path}`);
      Atomics.wait(sleeper, 0, 0, 10);
    }
  }
}

/** Runs plugin `pluginType` as its executable would, with `env` and `stdin`. */
export function runCniExecutable(
  pluginType: string,
  env: Readonly<Record<string, string | undefined>>,
  stdin: string,
): ExecOutcome {
  const registry = defaultRegistry();
  const plugin = registry.get(pluginType);
  if (plugin === undefined) {
    return {
      stdout: formatCniError(
        {
          code: CniErrorCode.Internal,
          msg: `podnet has no CNI plugin "${pluginType}"`,
          details: `known: ${[...registry.keys()].join(', ')}`,
        },
        CNI_SPEC_VERSION,
      ),
      stderr: '',
      exitCode: 1,
    };
  }
  if (!needsHost(env)) return runSkel(plugin, env, stdin, () => ({}) as CniHost, registry);
  const dir = env.PODNET_CNI_STATE ?? DEFAULT_STATE_DIR;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const release = lock(dir);
  try {
    const file = join(dir, STATE_FILE);
    let doc: HostStateDoc | undefined;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8')) as HostStateDoc;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    let loaded: { host: EmulatedHost; engine: Engine } | undefined;
    const out = runSkel(plugin, env, stdin, () => (loaded = loadHostState(doc, new FsStore(), true)).host, registry);
    const cmd = env.CNI_COMMAND;
    if (loaded !== undefined && (cmd === 'ADD' || cmd === 'DEL' || cmd === 'GC')) {
      // the next invocation's seed: a stream of its own, so it does not depend on how many draws this one made
      const next = saveHostState(loaded.host, loaded.engine.stream('cni-exec:next-seed').nextU32());
      writeFileSync(`${file}.tmp`, JSON.stringify(next, null, 1) + '\n', { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    }
    return out;
  } finally {
    release();
  }
}

/**
 * The process entry: the plugin type is `type`, or the name the binary was run as (so one file can be
 * linked as /opt/cni/bin/bridge, host-local, ...). Reads stdin unless the command is VERSION.
 */
export function cniMain(type?: string): void {
  const pluginType = type ?? basename(process.argv[1] ?? '').replace(/\.js$/, '');
  const cmd = process.env.CNI_COMMAND ?? '';
  const stdin = cmd === '' || cmd === 'VERSION' ? '' : readFileSync(0, 'utf8');
  const out = runCniExecutable(pluginType, process.env, stdin);
  if (out.stderr !== '') process.stderr.write(out.stderr);
  process.stdout.write(out.stdout);
  process.exitCode = out.exitCode;
}
