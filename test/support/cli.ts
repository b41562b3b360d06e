/**
 * The `podnet` command run in-process, as the CLI tests drive it: `main` with its output collected, and a
 * temporary directory removed when the test ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

/** What one run of the command printed, and its exit status. */
export interface CliRun {
  code: number;
  /** stdout without its final newline (lines joined by newlines). */
  out: string;
  err: string;
  /** stdout exactly as a terminal gets it, final newline (or its absence) included. */
  stdout: string;
}

/** Runs `podnet ARGV...` in this process and collects what it printed on stdout and stderr. */
export async function cli(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  const err: string[] = [];
  const code = await main(
    argv,
    (s) => (stdout += `${s}\n`),
    (s) => err.push(s),
    (s) => (stdout += s),
  );
  return { code, out: stdout.endsWith('\n') ? stdout.slice(0, -1) : stdout, err: err.join('\n'), stdout };
}

/** A fresh temporary directory (named with `prefix`), removed after the test `t`. */
export function tempDir(t: { after(fn: () => void): void }, prefix = 'podnet-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
