#!/usr/bin/env node
// `npm run build:web`: the static site in dist/web. esbuild bundles the page (src/web/app/main.tsx, Preact,
// CodeMirror, elkjs) and the Web Worker that runs the emulator (src/web/worker.ts, the isomorphic core);
// index.html and the CSS are copied, and examples/*.yaml are written to examples.json for the examples menu.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // the core is isomorphic: a Node built-in reaching the bundle is a bug, not something to polyfill
  platform: 'browser',
};
const t0 = Date.now();
const [page, worker] = await Promise.all([
  build({ ...common, entryPoints: [join(root, 'src/web/app/main.tsx')], outfile: join(out, 'app.js'), metafile: true }),
  build({ ...common, entryPoints: [join(root, 'src/web/worker.ts')], outfile: join(out, 'worker.js'), metafile: true }),
]);
copyFileSync(join(root, 'src/web/app/index.html'), join(out, 'index.html'));
// ELK lays the topology out in its own worker (already minified by its authors)
copyFileSync(join(root, 'node_modules/elkjs/lib/elk-worker.min.js'), join(out, 'elk-worker.js'));
copyFileSync(join(root, 'src/web/app/style.css'), join(out, 'app.css'));
const examples = readdirSync(join(root, 'examples'))
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((name) => ({ name, text: readFileSync(join(root, 'examples', name), 'utf8') }));
writeFileSync(join(out, 'examples.json'), JSON.stringify(examples));
const kb = (m) =>
  Math.round(
    Object.entries(m.metafile.outputs)
      .filter(([f]) => f.endsWith('.js'))
      .reduce((s, [, o]) => s + o.bytes, 0) / 1024,
  );
console.log(
  `dist/web: app.js ${kb(page)} KiB, worker.js ${kb(worker)} KiB, ${examples.length} examples (${Date.now() - t0} ms)`,
);
