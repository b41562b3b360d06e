#!/usr/bin/env node
// The layer-import rule (ARCHITECTURE.md): a module may import only from its own layer or lower ones, and the
// isomorphic core (everything below realtime/ and cli/) may not touch Node's APIs or the wall clock.
// Reads src/**/*.ts as text; exits non-zero with one line per violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const src = join(root, 'src');
// Lower number = lower layer. Equal numbers may not import each other either (one-way imports only).
const RANK = {
  wire: 0,
  sim: 1,
  link: 2,
  net: 3,
  transport: 4,
  apps: 5,
  control: 6,
  cluster: 7,
  observe: 8,
  scenario: 9,
  realtime: 10,
  cli: 11,
  web: 11,
};
const NODE_OK = new Set(['realtime', 'cli']);
const CLOCK_OK = new Set(['sim', 'realtime', 'cli', 'web']);

function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const problems = [];
for (const file of walk(src)) {
  const rel = relative(src, file);
  const layer = rel.split(sep)[0];
  if (!(layer in RANK)) {
    problems.push(`${rel}: unknown layer folder "${layer}" (add it to scripts/check-layers.mjs and ARCHITECTURE.md)`);
    continue;
  }
  const isTest = file.endsWith('.test.ts');
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const where = `src/${rel}:${i + 1}`;
    for (const m of line.matchAll(
      /(?:^|\s)(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
    )) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('node:') || ['fs', 'net', 'path', 'os', 'child_process', 'dgram'].includes(spec)) {
        if (!NODE_OK.has(layer) && !isTest)
          problems.push(`${where}: Node module "${spec}" in the isomorphic core (layer ${layer})`);
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const target = relative(src, resolve(dirname(file), spec));
      if (target.startsWith('..')) {
        if (!isTest) problems.push(`${where}: imports outside src/: ${spec}`);
        continue;
      }
      const tl = target.split(sep)[0];
      if (tl === layer) continue;
      if (!(tl in RANK)) continue;
      // tests may assemble any layers (a switch test records with observe/); the rule is for shipped code
      if (RANK[tl] >= RANK[layer] && !isTest)
        problems.push(`${where}: layer ${layer} imports ${tl} ("${spec}"); imports must go downward`);
    }
    if (!isTest && !NODE_OK.has(layer) && /\bBuffer\.|\brequire\(/.test(line))
      problems.push(`${where}: Node-only API (Buffer/require) in the isomorphic core`);
    if (
      !isTest &&
      !CLOCK_OK.has(layer) &&
      /Date\.now\(|Math\.random\(|setTimeout\(|setInterval\(|performance\.now\(/.test(line)
    )
      problems.push(`${where}: wall clock or randomness outside sim/ (determinism)`);
  });
}
if (problems.length) {
  console.error(`layer check: ${problems.length} problem(s)`);
  for (const p of problems) console.error('  ' + p);
  process.exit(1);
}
console.log('layer check: ok');
