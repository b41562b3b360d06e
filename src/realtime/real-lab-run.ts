/**
 * Runs a plan of real-lab-plan.ts on this machine's kernel: `podnet up` (every command in order, and on
 * the first failure everything made so far removed again), `podnet down` (idempotent) and
 * `podnet exec --real` (`ip netns exec`). The state `down` needs is written to /run/podnet/<lab>.json;
 * without it, down still finds the lab's namespaces by their prefix.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { planDown, type RealCommand, type RealLabPlan } from './real-lab-plan.js';

/** Where `up` keeps what `down` removes. */
export const STATE_DIR = '/run/podnet';
/** How long one command may take. */
const COMMAND_TIMEOUT_MS = 10_000;

/** The outcome of `up`. */
export type UpResult = { ok: true; warnings: string[] } | { ok: false; error: string };

/** The outcome of one command. */
export interface CommandOutcome {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs one command synchronously; never throws. */
export function runCommand(c: RealCommand, timeoutMs = COMMAND_TIMEOUT_MS): CommandOutcome {
  const r = spawnSync(c.argv[0]!, c.argv.slice(1), {
    input: c.stdin ?? '',
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  if (r.error !== undefined) return { status: 127, stdout: '', stderr: r.error.message };
  return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/** Whether the kernel has module `m` built in or loaded (/sys/module), or can load it (modprobe -n). */
function moduleAvailable(m: string): boolean {
  if (existsSync(`/sys/module/${m}`)) return true;
  return runCommand({ argv: ['modprobe', '-n', '-q', m] }).status === 0;
}

/** The state file of the lab whose namespaces start with `prefix`. */
export function statePath(prefix: string): string {
  return `${STATE_DIR}/${prefix.replace(/-$/, '')}.json`;
}

/** Builds `plan` on the kernel; on the first failure removes what was made and says which command failed. */
export function realLabUp(plan: RealLabPlan): UpResult {
  if (plan.unsupported.length > 0)
    return { ok: false, error: `podnet up cannot build lab ${plan.lab}:\n  ${plan.unsupported.join('\n  ')}` };
  const taken = plan.namespaces.filter((x) => existsSync(`/run/netns/${x.ns}`));
  if (taken.length > 0)
    return {
      ok: false,
      error: `namespace ${taken[0]!.ns} exists already: lab ${plan.lab} is up (podnet down ${plan.lab} first)`,
    };
  writeState(plan);
  for (const f of plan.files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.text);
  }
  const warnings: string[] = [];
  const skipped = new Set<string>();
  for (const c of plan.commands) {
    const r = runCommand(c);
    if (r.status === 0) continue;
    if (c.mayFail !== undefined) {
      warnings.push(`${c.mayFail}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
      continue;
    }
    const missing = c.module !== undefined && !moduleAvailable(c.module) ? c.module : undefined;
    if (c.optional === true && missing !== undefined) {
      if (!skipped.has(missing))
        warnings.push(`the kernel has no ${missing} module: went on without it (${c.argv.slice(-6).join(' ')} ...)`);
      skipped.add(missing);
      continue;
    }
    realLabDown(plan);
    const unsupported = c.feature !== undefined && /not supported/i.test(r.stderr) ? c.feature : undefined;
    const why =
      unsupported !== undefined
        ? `the running kernel has no ${unsupported}: ${r.stderr.trim()}`
        : missing !== undefined
          ? `the running kernel cannot make this device: module ${missing} is not loaded and cannot be loaded (modprobe ${missing})`
          : (r.stderr || r.stdout).trim();
    return { ok: false, error: `${c.argv.join(' ')}: ${why}\n(everything podnet up made was removed again)` };
  }
  return { ok: true, warnings };
}

function writeState(plan: RealLabPlan): void {
  mkdirSync(STATE_DIR, { recursive: true });
  const state = { lab: plan.lab, namespaces: plan.namespaces, etcDirs: plan.etcDirs };
  writeFileSync(statePath(plan.prefix), `${JSON.stringify(state, null, 2)}\n`);
}

/** What `down` removes. */
export type DownTargets = Pick<RealLabPlan, 'namespaces' | 'etcDirs' | 'lab' | 'prefix'>;

/** What `down` removes: the state file's namespaces, or else those named with the lab's prefix. */
export function downTargets(lab: string, prefix: string): DownTargets {
  try {
    const s = JSON.parse(readFileSync(statePath(prefix), 'utf8')) as Pick<RealLabPlan, 'namespaces' | 'etcDirs'>;
    return { lab, prefix, namespaces: s.namespaces, etcDirs: s.etcDirs };
  } catch {
    let names: string[] = [];
    try {
      names = readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
    } catch {
      // no namespaces at all
    }
    return {
      lab,
      prefix,
      namespaces: names.map((ns) => ({ node: ns.slice(prefix.length), ns })),
      etcDirs: names.map((ns) => `/etc/netns/${ns}`),
    };
  }
}

/** Removes a lab's namespaces, /etc/netns files and state; what is already gone is no error. */
export function realLabDown(t: DownTargets): string[] {
  const removed: string[] = [];
  for (const c of planDown(t)) {
    const nsName = c.argv[c.argv.length - 1]!;
    if (!existsSync(`/run/netns/${nsName}`)) continue;
    if (runCommand(c).status === 0) removed.push(nsName);
  }
  for (const d of t.etcDirs) rmSync(d, { recursive: true, force: true });
  rmSync(statePath(t.prefix), { force: true });
  return removed;
}

/** `ip netns exec NS argv...` with the caller's stdio: returns the program's exit status. */
export function execReal(ns: string, argv: string[]): number {
  if (!existsSync(`/run/netns/${ns}`)) {
    process.stderr.write(`podnet: no namespace ${ns} (is the lab up? podnet up LAB)\n`);
    return 1;
  }
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { stdio: 'inherit' });
  if (r.error !== undefined) {
    process.stderr.write(`podnet: ${r.error.message}\n`);
    return 127;
  }
  return r.status ?? 128 + 1;
}
