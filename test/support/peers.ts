/**
 * Real external programs that tests lean on (tshark, BIRD, etcd, ip): finding them on PATH and deciding
 * what a test does when one is missing. A developer's machine may lack them, so the test skips with the
 * install command; CI must have them, so there a missing program fails the test instead of hiding it.
 * Starting and talking to each program belongs to its own helper (e.g. tshark.ts).
 */
import assert from 'node:assert/strict';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

/** How to find a peer program and how a person would install it. */
export interface PeerSpec {
  /** Executable name looked up on PATH, e.g. 'tshark'. */
  bin: string;
  /** Command that installs it, shown in the skip or failure message. */
  install: string;
}

/** True when `bin` names an executable file on PATH (or is itself a path to one). */
export function hasBinary(bin: string): boolean {
  const candidates = bin.includes('/')
    ? [bin]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => join(dir, bin));
  return candidates.some(isExecutableFile);
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * True when the peer is installed. Otherwise fails the test in CI (CI=true) and skips it elsewhere,
 * naming the install command either way; the caller returns early on false.
 */
export function requirePeer(t: TestContext, name: string, opts: PeerSpec): boolean {
  if (hasBinary(opts.bin)) return true;
  if (process.env.CI === 'true') assert.fail(`${name} is required in CI: ${opts.install}`);
  t.skip(`${name} not installed: ${opts.install}`);
  return false;
}
