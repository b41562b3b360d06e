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
  out: string;
  err: string;
}

/** Runs `podnet ARGV...` in this process and collects what it printed on stdout and stderr. */
export async function cli(...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A fresh temporary directory (named with `prefix`), removed after the test `t`. */
export function tempDir(t: { after(fn: () => void): void }, prefix = 'podnet-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
