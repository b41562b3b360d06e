/**
 * dig's answers to arguments it cannot use, against BIND's dig 9.18 (Debian's bind9-dnsutils): an option
 * it does not know (its usage, exit 1), numeric options with a value that is not a number or is out of
 * range, and names that are not names (exit 10). The real dig fails while reading its arguments, before it sends anything; podnet's
 * runs in a pod of the demo cluster through `podnet exec`, whose output carries dig's stderr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { requirePeer } from './support/peers.js';
import { EXAMPLES_DIR } from './support/examples.js';
import { cli } from './support/cli.js';

const DEMO = join(EXAMPLES_DIR, 'cluster-demo.yaml');

test("exec's dig fails on bad arguments with the real dig's words and exit status", async (t) => {
  if (!requirePeer(t, 'dig', { bin: 'dig', install: 'apt-get install -y bind9-dnsutils' })) return;
  const names = ['a..b', `${'a'.repeat(64)}.com`, Array(5).fill('a'.repeat(60)).join('.'), 'a\\256', 'a\\'];
  for (const arg of [
    ...names,
    '+frobnicate',
    '+time',
    '+bufsize=abc',
    '+bufsize=65536',
    '+time=65536',
    '+ndots=-1',
    '+retry=x',
  ]) {
    const args = names.includes(arg) ? [arg] : [arg, 'example.org'];
    const real = spawnSync('dig', args, { encoding: 'utf8', timeout: 10_000 });
    assert.notEqual(real.status, 0, `${arg}: the real dig accepted it`);
    const ours = await cli('exec', DEMO, 'default/client', '--', 'dig', ...args);
    assert.equal(ours.code, real.status, `${arg}: exit status`);
    // a terminal gets dig's stdout line first, then its stderr
    assert.equal(ours.stdout, real.stdout + real.stderr, `${arg}: what it printed`);
  }
});
