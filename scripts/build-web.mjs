#!/usr/bin/env node
// `npm run build:web`: the static site in dist/web. esbuild bundles the page (src/web/app/main.tsx, Preact,
// CodeMirror, elkjs) and the Web Worker that runs the emulator (src/web/worker.ts, the isomorphic core);
// index.html and the CSS are copied, and examples/*.yaml are written to examples.json for the examples menu.
// The page is split (ESM chunks in dist/web/chunks): app.js is only the start-up code, the views, the
// editor (CodeMirror) and ELK are chunks the page imports when it needs them, so the first topology is
// drawn before CodeMirror or ELK is even parsed.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
// chunks are named by hash: old ones would pile up
rmSync(join(out, 'chunks'), { recursive: true, force: true });
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
  build({
    ...common,
    entryPoints: { app: join(root, 'src/web/app/main.tsx') },
    outdir: out,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
  }),
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
const entry = Math.round((page.metafile.outputs['dist/web/app.js']?.bytes ?? 0) / 1024);
console.log(
  `dist/web: app.js ${entry} KiB (page ${kb(page)} KiB with its chunks), worker.js ${kb(worker)} KiB, ${examples.length} examples (${Date.now() - t0} ms)`,
);
