/**
 * Real Linux network namespaces for tests that take the kernel as the oracle: creating and always
 * deleting namespaces under a per-process prefix (`pn-<pid>-`), running `ip` and other programs inside
 * them with timeouts, a tcpdump capture, probing which tunnel devices the kernel can create, and deciding
 * what a test does when namespaces are unavailable (fail in CI, skip elsewhere, saying what is needed).
 * What to build inside the namespaces belongs to each test; finding peer programs belongs to peers.ts.
 *
 * Everything goes through iproute2's `ip` (`ip -n NS ...`, `ip netns exec NS ...`), so devices are created
 * directly inside their namespace and never appear, even briefly, in the machine's own namespace.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { parsePcap } from '../../src/observe/pcap.js';
import { hasBinary } from './peers.js';

/** Every namespace a test creates is named `pn-<pid>-<rest>`; leftovers of dead pids are removed. */
export const NETNS_PREFIX_RE = /^pn-(\d+)-/;
/** How long one `ip` (or other short) command may take before it is killed. */
export const COMMAND_TIMEOUT_MS = 5_000;
/** What a person needs for these tests, shown when they are skipped or fail. */
export const NETNS_NEEDS = 'root and Linux network namespaces (iproute2: apt-get install -y iproute2)';

/** Runs `cmd args` synchronously with a timeout; returns stdout, throws with the command and its stderr. */
export function run(cmd: string, args: readonly string[], timeoutMs = COMMAND_TIMEOUT_MS): string {
  try {
    return execFileSync(cmd, [...args], {
      encoding: 'utf8',
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; signal?: string; status?: number; message: string };
    const why =
      err.signal === 'SIGKILL' ? `timed out after ${timeoutMs} ms` : `exited with ${err.status ?? err.signal ?? '?'}`;
    const out = `${err.stderr ?? ''}${err.stdout ?? ''}`.trim() || err.message;
    throw new Error(`${cmd} ${args.join(' ')}: ${why}: ${out}`);
  }
}

/** Names of all namespaces `ip netns` knows (the files under /var/run/netns). */
export function listNetns(): string[] {
  try {
    return readdirSync('/var/run/netns');
  } catch {
    return [];
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes namespaces left by earlier runs that crashed before cleaning up: those named `pn-<pid>-...`
 * whose pid no longer runs. Namespaces of live processes (a test running beside us) are left alone.
 * Returns the names deleted.
 */
export function deleteLeftoverNetns(): string[] {
  const deleted: string[] = [];
  for (const name of listNetns()) {
    const m = NETNS_PREFIX_RE.exec(name);
    if (m === null || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    try {
      run('ip', ['netns', 'delete', name]);
      deleted.push(name);
    } catch {
      // another run may have removed it first
    }
  }
  return deleted;
}

let instances = 0;
let leftoversCleaned = false;

/**
 * A set of namespaces owned by one test. Names passed to its methods are short ('hv1'); the real
 * namespace is `pn-<pid>-<k>-hv1`. IPv6 is disabled in each new namespace before any device exists,
 * so no router solicitation, MLD report or DAD probe appears in a capture. Call `destroy()` in a
 * `finally` or `t.after`: it stops the processes started here and deletes every namespace.
 */
export class NetnsSet {
  /** Prefix of every namespace of this set. */
  readonly prefix: string;
  private readonly names: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor() {
    if (!leftoversCleaned) {
      leftoversCleaned = true;
      deleteLeftoverNetns();
    }
    this.prefix = `pn-${process.pid}-${instances++}-`;
  }

  /** The real name of namespace `name`. */
  full(name: string): string {
    return this.prefix + name;
  }

  /** Creates namespace `name` with IPv6 off; returns its real name. */
  add(name: string): string {
    const full = this.full(name);
    run('ip', ['netns', 'add', full]);
    this.names.push(full);
    // default.* applies to devices created later, all.* to those that exist (lo). A kernel booted with
    // ipv6.disable=1 has no such files, and nothing to turn off.
    this.exec(name, 'sh', [
      '-c',
      'd=/proc/sys/net/ipv6/conf; [ -d $d ] || exit 0; echo 1 > $d/default/disable_ipv6 && echo 1 > $d/all/disable_ipv6',
    ]);
    return full;
  }

  /** `ip -n NS args...`; returns stdout. */
  ip(name: string, args: readonly string[]): string {
    return run('ip', ['-n', this.full(name), ...args]);
  }

  /** `ip netns exec NS cmd args...` with a timeout; returns stdout. */
  exec(name: string, cmd: string, args: readonly string[], timeoutMs = COMMAND_TIMEOUT_MS): string {
    return run('ip', ['netns', 'exec', this.full(name), cmd, ...args], timeoutMs);
  }

  /** Starts `cmd args...` inside the namespace; `destroy()` kills it if it still runs. */
  spawn(name: string, cmd: string, args: readonly string[]): ChildProcess {
    // `ip netns exec` execs the command, so the child's pid is the command's own
    const child = spawn('ip', ['netns', 'exec', this.full(name), cmd, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.children.push(child);
    return child;
  }

  /** Kills what `spawn` started (by pid) and deletes every namespace; errors are collected, not thrown. */
  destroy(): string[] {
    const errors: string[] = [];
    for (const c of this.children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
    for (const full of this.names.splice(0).reverse()) {
      try {
        run('ip', ['netns', 'delete', full]);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    return errors;
  }
}

/** Why this process cannot create network namespaces (undefined: it can); null until first asked. */
let netnsProblem: string | undefined | null = null;

function whyNoNetns(): string | undefined {
  if (netnsProblem !== null) return netnsProblem;
  netnsProblem = undefined;
  if (process.platform !== 'linux') netnsProblem = `not Linux (${process.platform})`;
  else if (!hasBinary('ip')) netnsProblem = 'ip (iproute2) is not installed';
  else if (process.getuid?.() !== 0) netnsProblem = `not root (uid ${process.getuid?.()})`;
  else {
    const probe = `pn-${process.pid}-probe-netns`;
    try {
      run('ip', ['netns', 'add', probe]);
    } catch (e) {
      netnsProblem = `ip netns add failed: ${(e as Error).message}`;
    } finally {
      try {
        run('ip', ['netns', 'delete', probe]);
      } catch {
        // it was never created
      }
    }
  }
  return netnsProblem;
}

/**
 * True when the test may create network namespaces (root, iproute2, a kernel that allows it). Otherwise
 * fails the test in CI (CI=true), where they must work, and skips it elsewhere saying what is needed; the
 * caller returns early on false.
 */
export function requireNetns(t: TestContext): boolean {
  const why = whyNoNetns();
  if (why === undefined) return true;
  if (process.env.CI === 'true') assert.fail(`network namespaces are required in CI: needs ${NETNS_NEEDS}; ${why}`);
  t.skip(`needs ${NETNS_NEEDS}: ${why}`);
  return false;
}

/** Tunnel and VLAN device kinds whose kernel support a test may need. */
export type KernelDeviceKind = 'vxlan' | 'ipip' | '8021q';

/** Whether the kernel can create a kind of device, and if not, what `ip` said. */
export type KernelSupport = { ok: true } | { ok: false; error: string };

const support = new Map<KernelDeviceKind, KernelSupport>();

/**
 * Tries to create a device of `kind` in a scratch namespace (which loads its module if the kernel has
 * one) and reports whether that worked, with the error text when not. Needs requireNetns first.
 */
export function kernelSupports(kind: KernelDeviceKind): KernelSupport {
  const known = support.get(kind);
  if (known !== undefined) return known;
  const ns = new NetnsSet();
  let result: KernelSupport;
  try {
    ns.add('probe');
    // documentation addresses (RFC 5737): the devices stay down and nothing is ever sent
    if (kind === 'vxlan')
      ns.ip('probe', [
        'link',
        'add',
        'name',
        'probe0',
        'type',
        'vxlan',
        'id',
        '1',
        'dstport',
        '4789',
        'local',
        '192.0.2.1',
        'remote',
        '192.0.2.2',
      ]);
    else if (kind === 'ipip')
      ns.ip('probe', ['link', 'add', 'name', 'probe0', 'type', 'ipip', 'local', '192.0.2.1', 'remote', '192.0.2.2']);
    else {
      ns.ip('probe', ['link', 'add', 'name', 'probe-a', 'type', 'veth', 'peer', 'name', 'probe-b']);
      ns.ip('probe', ['link', 'add', 'link', 'probe-a', 'name', 'probe0', 'type', 'vlan', 'id', '2']);
    }
    result = { ok: true };
  } catch (e) {
    result = { ok: false, error: (e as Error).message };
  } finally {
    ns.destroy();
  }
  support.set(kind, result);
  return result;
}

/** Polls `check` every 10 ms until it returns true; throws `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A running tcpdump writing a pcap file. */
export interface Capture {
  /** Frames in the file so far (whole records only). */
  frames(): number;
  /** Stops tcpdump and waits for it to exit; the file is complete afterwards. */
  stop(): Promise<void>;
}

/**
 * Starts `tcpdump -i dev -w file` in namespace `name` and resolves once it is listening. Packets are
 * handed over and written one by one (--immediate-mode -U): without that, TPACKET_V3 holds frames in
 * the kernel until a block fills or a second passes, and a stopped capture would miss them. `-Z root`
 * keeps tcpdump from switching to its own user, who could not write into our temporary directory.
 */
export async function startCapture(ns: NetnsSet, name: string, dev: string, file: string): Promise<Capture> {
  // -B 32768 (KiB): with the default 2 MiB buffer a busy machine's tcpdump drops frames of a burst
  const child = ns.spawn(name, 'tcpdump', [
    '-B',
    '32768',
    '-i',
    dev,
    '-n',
    '-s',
    '0',
    '--immediate-mode',
    '-U',
    '-Z',
    'root',
    '-w',
    file,
  ]);
  let stderr = '';
  let exited = false;
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exit = new Promise<void>((resolve) => {
    child.on('exit', () => {
      exited = true;
      resolve();
    });
    child.on('error', (e) => {
      stderr += e.message;
      exited = true;
      resolve();
    });
  });
  await waitFor(
    `tcpdump to listen on ${dev} in ${ns.full(name)}`,
    () => {
      if (exited) throw new Error(`tcpdump exited before listening: ${stderr.trim()}`);
      return stderr.includes('listening on');
    },
    COMMAND_TIMEOUT_MS,
  );
  return {
    frames(): number {
      try {
        const r = parsePcap(readFileSync(file));
        return r.ok ? r.value.records.length : 0; // a record may be half written
      } catch {
        return 0;
      }
    },
    async stop(): Promise<void> {
      if (exited) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
      await exit;
      clearTimeout(timer);
    },
  };
}
