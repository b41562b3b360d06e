#!/usr/bin/env node
// The layer-import rule (docs/ARCHITECTURE.md): a module may import only from its own layer or lower ones, and the
// isomorphic core (everything below realtime/ and cli/) may not touch Node's APIs or the wall clock.
//
// The import graph is the TypeScript compiler's own: every source file of the program is parsed by the compiler,
// and every module reference in it (`import ... from`, `import type`, `export ... from`, `import()`, `import x =
// require()`, and `import('x').T` in types) is resolved with the compiler's module resolution. Nothing here reads
// lines as text, so a multi-line import cannot slip through. Exits non-zero with one line per violation.
import ts from 'typescript';
import { dirname, relative, resolve, sep } from 'node:path';

// The project to check: this repository, or the directory given as the first argument (the tests check fixtures).
const root = resolve(process.argv[2] ?? resolve(dirname(new URL(import.meta.url).pathname), '..'));
const src = resolve(root, 'src');

/** Lower number = lower layer. A layer may import its own folder and lower ranks only. */
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
/** Globals that are Node-only (a browser has none of them). */
const NODE_GLOBALS = new Set(['Buffer', 'require', 'process', '__dirname', '__filename']);
/** Wall-clock and ambient-randomness calls, written as `object.member` or a bare global. */
const CLOCK_MEMBERS = new Set(['Date.now', 'Math.random', 'performance.now']);
const CLOCK_GLOBALS = new Set(['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask']);

const configPath = resolve(root, 'tsconfig.json');
const config = ts.readConfigFile(configPath, ts.sys.readFile);
if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });

/** Every module specifier in a file, with the node it came from. */
function moduleReferences(sf) {
  const refs = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) refs.push({ spec: node.moduleSpecifier.text, node });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const e = node.moduleReference.expression;
      if (ts.isStringLiteral(e)) refs.push({ spec: e.text, node });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = node.arguments[0];
      if (a && ts.isStringLiteralLike(a)) refs.push({ spec: a.text, node });
      else refs.push({ spec: undefined, node }); // a computed import() cannot be checked: reject it in the core
    } else if (ts.isImportTypeNode(node)) {
      const l = node.argument;
      if (ts.isLiteralTypeNode(l) && ts.isStringLiteral(l.literal)) refs.push({ spec: l.literal.text, node });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return refs;
}

/** Wall-clock, randomness and Node-global uses, found in the syntax tree (comments and strings never match). */
function ambientUses(sf) {
  const uses = [];
  const visit = (node) => {
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
      const name = `${node.expression.text}.${node.name.text}`;
      if (CLOCK_MEMBERS.has(name)) uses.push({ kind: 'clock', name, node });
    } else if (ts.isIdentifier(node) && !isPropertyName(node)) {
      if (CLOCK_GLOBALS.has(node.text) && isGlobalReference(node)) uses.push({ kind: 'clock', name: node.text, node });
      if (NODE_GLOBALS.has(node.text) && isGlobalReference(node)) uses.push({ kind: 'node', name: node.text, node });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return uses;
}

function isPropertyName(id) {
  const p = id.parent;
  return (
    (ts.isPropertyAccessExpression(p) && p.name === id) ||
    (ts.isPropertyAssignment(p) && p.name === id) ||
    (ts.isPropertyDeclaration(p) && p.name === id) ||
    (ts.isPropertySignature(p) && p.name === id) ||
    (ts.isMethodDeclaration(p) && p.name === id) ||
    (ts.isMethodSignature(p) && p.name === id) ||
    ts.isImportSpecifier(p) ||
    ts.isExportSpecifier(p)
  );
}

const checker = program.getTypeChecker();
/** True when the identifier refers to an ambient global (declared in a lib or @types file), not a local. */
function isGlobalReference(id) {
  const sym = checker.getSymbolAtLocation(id);
  if (sym === undefined) return false;
  const decls = sym.getDeclarations() ?? [];
  return decls.length > 0 && decls.every((d) => d.getSourceFile().isDeclarationFile);
}

function layerOf(file) {
  const rel = relative(src, file);
  if (rel.startsWith('..')) return undefined;
  return rel.split(sep)[0];
}

const problems = [];
for (const sf of program.getSourceFiles()) {
  if (sf.isDeclarationFile) continue;
  const file = resolve(sf.fileName);
  const layer = layerOf(file);
  if (layer === undefined) continue; // test/ and bench/ may assemble any layers
  const rel = relative(root, file);
  if (!(layer in RANK)) {
    problems.push(
      `${rel}: unknown layer folder "${layer}" (add it to scripts/check-layers.mjs and docs/ARCHITECTURE.md)`,
    );
    continue;
  }
  // tests may assemble any layers (a switch test records with observe/); the rule is for shipped code
  const isTest = file.endsWith('.test.ts');
  const at = (node) => {
    const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    return `${rel}:${line + 1}:${character + 1}`;
  };
  for (const { spec, node } of moduleReferences(sf)) {
    if (spec === undefined) {
      if (!isTest) problems.push(`${at(node)}: import() of a computed specifier cannot be checked`);
      continue;
    }
    const resolved = ts.resolveModuleName(spec, sf.fileName, parsed.options, ts.sys).resolvedModule;
    const external = resolved === undefined || resolved.isExternalLibraryImport || spec.startsWith('node:');
    if (external) {
      const builtin = spec.startsWith('node:') || isNodeBuiltin(spec);
      if (builtin && !NODE_OK.has(layer) && !isTest)
        problems.push(`${at(node)}: Node module "${spec}" in the isomorphic core (layer ${layer})`);
      continue;
    }
    const target = resolve(resolved.resolvedFileName);
    const tl = layerOf(target);
    if (tl === undefined) {
      if (!isTest) problems.push(`${at(node)}: imports outside src/: ${spec}`);
      continue;
    }
    if (tl === layer || !(tl in RANK) || isTest) continue;
    if (RANK[tl] >= RANK[layer])
      problems.push(`${at(node)}: layer ${layer} imports ${tl} ("${spec}"); imports must go downward`);
  }
  if (isTest) continue;
  for (const { kind, name, node } of ambientUses(sf)) {
    if (kind === 'node' && !NODE_OK.has(layer))
      problems.push(`${at(node)}: Node-only global ${name} in the isomorphic core (layer ${layer})`);
    if (kind === 'clock' && !CLOCK_OK.has(layer))
      problems.push(`${at(node)}: ${name} outside sim/ (clock and randomness come only from the engine: determinism)`);
  }
}

function isNodeBuiltin(spec) {
  const builtins = new Set([
    'fs',
    'net',
    'path',
    'os',
    'child_process',
    'dgram',
    'http',
    'https',
    'crypto',
    'url',
    'util',
    'worker_threads',
    'stream',
    'events',
    'zlib',
    'dns',
    'tls',
    'readline',
    'process',
    'buffer',
    'assert',
    'perf_hooks',
    'timers',
  ]);
  return builtins.has(spec.split('/')[0]);
}

if (problems.length) {
  console.error(`layer check: ${problems.length} problem(s)`);
  for (const p of problems) console.error('  ' + p);
  process.exit(1);
}
console.log(
  `layer check: ok (${program.getSourceFiles().filter((f) => !f.isDeclarationFile).length} files, compiler-resolved imports)`,
);
