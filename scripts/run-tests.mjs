#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with Node's test runner. Extra args are passed through,
// e.g. `node scripts/run-tests.mjs --test-name-pattern=vxlan`.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}
const files = walk('dist').sort();
if (files.length === 0) {
  console.error('run-tests: no test files under dist/');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', ...process.argv.slice(2), ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
