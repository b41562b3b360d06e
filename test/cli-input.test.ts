/**
 * Bad input through the `podnet` command: seeded random mutations of the example labs end in exit 0, 1
 * or 2 with messages, never a stack trace; an internal error (provoked through the test-only
 * PODNET_TEST_INTERNAL_ERROR) is one line and exit 70, with the stack only under PODNET_DEBUG=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { main } from '../src/cli/main.js';
import { EXAMPLES_DIR, exampleNames } from './support/examples.js';

const BIN = join(dirname(EXAMPLES_DIR), 'dist/src/cli/bin.js');

/** mulberry32: a small seeded generator, so a failing case can be replayed from its number. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOISE = [
  '[',
  ']',
  '{',
  '}',
  ':',
  ',',
  '-',
  '"',
  "'",
  '&a',
  '*a',
  '!',
  '#',
  '\n',
  ' ',
  '0',
  '-1',
  'x',
  '65536',
  '::',
];

/** One random edit of `text`: drop, duplicate or swap lines, splice in noise, re-indent or truncate. */
function mutate(text: string, r: () => number): string {
  const lines = text.split('\n');
  const pick = (): number => Math.floor(r() * lines.length);
  const i = pick();
  const line = lines[i]!;
  switch (Math.floor(r() * 6)) {
    case 0:
      lines.splice(i, 1);
      break;
    case 1:
      lines.splice(i, 0, line);
      break;
    case 2: {
      const j = pick();
      [lines[i], lines[j]] = [lines[j]!, line];
      break;
    }
    case 3: {
      const at = Math.floor(r() * (line.length + 1));
      lines[i] = line.slice(0, at) + NOISE[Math.floor(r() * NOISE.length)]! + line.slice(at + 1);
      break;
    }
    case 4:
      lines[i] = r() < 0.5 ? '  ' + line : line.replace(/^ {2}/, '');
      break;
    default:
      return text.slice(0, Math.floor(r() * text.length));
  }
  return lines.join('\n');
}

test('seeded mutations of the example labs exit 0, 1 or 2 with messages, never a stack trace', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-fuzz-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const names = exampleNames();
  const r = rng(8);
  const codes = new Map<number, number>();
  for (let k = 0; k < 48; k++) {
    const name = names[k % names.length]!;
    let text = readFileSync(join(EXAMPLES_DIR, name), 'utf8');
    const edits = 1 + Math.floor(r() * 3);
    for (let e = 0; e < edits; e++) text = mutate(text, r);
    const file = join(dir, `case-${k}-${name}`);
    writeFileSync(file, text);
    const out: string[] = [];
    let code: number;
    try {
      code = await main(
        ['run', file],
        (s) => out.push(s),
        (s) => out.push(s),
      );
    } catch (e) {
      assert.fail(`case ${k} (${name}, kept in the message) threw: ${(e as Error).stack}\n--- input ---\n${text}`);
    }
    codes.set(code, (codes.get(code) ?? 0) + 1);
    const printed = out.join('\n');
    assert.ok([0, 1, 2].includes(code), `case ${k} (${name}) exited ${code}:\n${printed}`);
    assert.doesNotMatch(printed, /^\s+at .+:\d+:\d+\)?$/m, `case ${k} (${name}) printed a stack trace`);
    if (code === 2) assert.match(printed, /^.+:\d+:\d+: /m, `case ${k} (${name}): exit 2 without file:line:col`);
  }
  // the mutations must actually break files, or this test proves nothing
  assert.ok((codes.get(2) ?? 0) >= 10, `too few rejected cases: ${JSON.stringify([...codes])}`);
});

test('an internal error is one line and exit 70; PODNET_DEBUG=1 adds the stack', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, PODNET_TEST_INTERNAL_ERROR: '1' };
  delete env['PODNET_DEBUG'];
  const plain = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', env });
  assert.equal(plain.status, 70, plain.stderr);
  assert.equal(
    plain.stderr,
    'podnet: internal error: Error: provoked by PODNET_TEST_INTERNAL_ERROR (please report this with the file)\n',
  );
  assert.equal(plain.stdout, '');
  const debug = spawnSync(process.execPath, [BIN, '--version'], {
    encoding: 'utf8',
    env: { ...env, PODNET_DEBUG: '1' },
  });
  assert.equal(debug.status, 70);
  assert.match(debug.stderr, /^podnet: internal error: /);
  assert.match(debug.stderr, /^\s+at .*bin\.js:\d+:\d+/m);
});

test('a 50 MB lab is refused in well under a second through the command', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-big-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'big.yaml');
  writeFileSync(file, '# padding\n'.repeat(5 * 1024 * 1024));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'run', file], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `${file}:1:1: file is too large (52428800 characters; the limit is 1 MiB)\n`);
  // the whole process, node's start included; the check itself is a length comparison
  assert.ok(ms < 3000, `took ${ms.toFixed(0)} ms`);
});

test('a reader that goes away (podnet run LAB 2>&1 | head) loses nothing: the run finishes, pcaps and exit code included', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-epipe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(
    process.execPath,
    [BIN, 'run', join(EXAMPLES_DIR, 'two-subnets.yaml'), '--verbose', '--pcap', dir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // both read ends closed before the first line: every write the command makes meets EPIPE
  child.stdout.destroy();
  child.stderr.destroy();
  const code = await new Promise<number | null>((resolve) => {
    const kill = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, 30_000);
    child.on('exit', (c) => {
      clearTimeout(kill);
      resolve(c);
    });
  });
  assert.equal(code, 0, 'the run ends with its own status (it used to spin on EPIPE, or exit 70)');
  const pcaps = readdirSync(dir).filter((f) => f.endsWith('.pcap'));
  assert.ok(pcaps.length > 0, 'the pcaps are written');
  for (const f of pcaps) assert.ok(readFileSync(join(dir, f)).length > 24, `${f} has packets`);
});
