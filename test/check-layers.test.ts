/**
 * scripts/check-layers.mjs on small fixture projects: it must catch what the old line-by-line regex let through
 * (a multi-line import, `export ... from`, `import()`, `import('x').T`), Node globals and the wall clock in the
 * core, and stay quiet on clean code, comments and strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(repo, 'scripts/check-layers.mjs');

/** Writes a fixture project (inside dist/, so node_modules and @types/node resolve) and runs the check on it. */
function check(files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(repo, 'dist', 'layer-fixture-'));
  try {
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          types: ['node'],
          noEmit: true,
        },
        include: ['src'],
      }),
    );
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const NET = { 'src/net/route.ts': 'export const ROUTE = 1;\nexport type Route = { to: number };\n' };

test('layer check: downward imports, comments and strings pass', () => {
  const r = check({
    ...NET,
    'src/wire/a.ts': 'export const A = 1;\n',
    'src/cli/main.ts': [
      "import { ROUTE } from '../net/route.js';",
      "import { readFileSync } from 'node:fs';",
      '// Date.now() in a comment, and Math.random() in a string, are not uses:',
      "export const s = 'Math.random()' + String(ROUTE) + String(readFileSync);",
      'export const t = Date.now();',
      '',
    ].join('\n'),
    'src/net/uses-wire.ts': "import { A } from '../wire/a.js';\nexport const B = A;\n",
  });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /layer check: ok/);
});

test('layer check: a multi-line import, export-from, import() and an import type going upward are all caught', () => {
  const r = check({
    ...NET,
    'src/wire/multi.ts': "import {\n  ROUTE,\n} from '../net/route.js';\nexport const X = ROUTE;\n",
    'src/wire/reexport.ts': "export {\n  ROUTE } from '../net/route.js';\n",
    'src/wire/dynamic.ts': "export const load = () => import(\n  '../net/route.js');\n",
    'src/wire/typeimport.ts': "export type R = import('../net/route.js').Route;\n",
  });
  assert.equal(r.status, 1, r.out);
  for (const f of ['multi.ts:1', 'reexport.ts:1', 'dynamic.ts:1', 'typeimport.ts:1'])
    assert.match(r.out, new RegExp(`src/wire/${f.replace('.', '\\.')}:\\d+: layer wire imports net`), r.out);
  assert.match(r.out, /4 problem\(s\)/);
});

test('layer check: Node modules, Node globals and the wall clock in the core are caught; tests are exempt', () => {
  const r = check({
    'src/link/io.ts':
      "import { readFileSync } from 'node:fs';\nimport * as os from 'os';\nexport const f = [readFileSync, os];\n",
    'src/net/buf.ts': "export const b = Buffer.from('x');\n",
    'src/apps/clock.ts':
      'export const t = Date.now();\nexport const r = Math.random();\nsetTimeout(() => undefined, 1);\n',
    'src/apps/clock.test.ts': "import { readFileSync } from 'node:fs';\nexport const t = [Date.now(), readFileSync];\n",
    'src/sim/engine.ts': 'export const t = Date.now();\n',
  });
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /src\/link\/io\.ts:1:1: Node module "node:fs" in the isomorphic core/);
  assert.match(r.out, /src\/link\/io\.ts:2:1: Node module "os" in the isomorphic core/);
  assert.match(r.out, /src\/net\/buf\.ts:1:\d+: Node-only global Buffer/);
  assert.match(r.out, /src\/apps\/clock\.ts:1:\d+: Date\.now outside sim/);
  assert.match(r.out, /src\/apps\/clock\.ts:2:\d+: Math\.random outside sim/);
  assert.match(r.out, /src\/apps\/clock\.ts:3:\d+: setTimeout outside sim/);
  assert.doesNotMatch(r.out, /clock\.test\.ts|sim\/engine\.ts/);
});

test('layer check: a folder that is no layer is reported', () => {
  const r = check({ 'src/misc/x.ts': 'export const x = 1;\n' });
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /unknown layer folder "misc"/);
});
