/** Tests for YAML loading with positions and for Checker's located, collected errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Checker,
  formatPath,
  formatSpecError,
  formatSpecErrors,
  loadYaml,
  type SourceDoc,
  type SpecError,
} from './source.js';
import { parseDuration } from './units.js';

/** A stand-in CIDR parser so this test does not depend on wire/. */
function parseCidr(text: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(text);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) return undefined;
  return text;
}

const LAB = [
  'apiVersion: podnet/v1', // 1
  'kind: Lab', // 2
  'metadata:', // 3
  '  name: two-hosts', // 4
  'spec:', // 5
  '  nodes:', // 6
  '    - name: h1', // 7
  '      interfaces:', // 8
  '        - name: eth0', // 9
  '          address: 10.0.0.1/24', // 10
  '    - name: h2', // 11
  '      interfaces:', // 12
  '        - name: eth0', // 13: the mapping of interface 0 starts at column 11
  '          adress: 10.0.0.2/24', // 14
  '          mtu: 70000', // 15: value at column 16
  '    - name: h3', // 16
  '      interfaces:', // 17
  '        - name: eth0', // 18
  '          address: 10.0.0.2/33', // 19: value at column 20
  '      latency: 10 parsecs', // 20: value at column 16
  '',
].join('\n');

/** A small validator written the way real ones should read. */
function checkLab(doc: SourceDoc): SpecError[] {
  const c = new Checker(doc);
  const root = c.obj([], doc.value);
  if (!root) return c.errors;
  c.unknownKeys([], root, ['apiVersion', 'kind', 'metadata', 'spec']);
  c.oneOf(['kind'], root.kind, ['Lab', 'Cluster']);
  const spec = c.obj(['spec'], root.spec);
  const nodes = spec && c.arr(['spec', 'nodes'], spec.nodes);
  nodes?.forEach((n, i) => {
    const np = ['spec', 'nodes', i];
    const node = c.obj(np, n);
    if (!node) return;
    c.unknownKeys(np, node, ['name', 'interfaces', 'latency']);
    c.str([...np, 'name'], node.name, { pattern: /^[a-z][a-z0-9-]*$/, what: 'a node name' });
    if (node.latency !== undefined) c.parse([...np, 'latency'], node.latency, parseDuration, 'a duration such as 10ms');
    c.arr([...np, 'interfaces'], node.interfaces)?.forEach((f, j) => {
      const ip = [...np, 'interfaces', j];
      const itf = c.obj(ip, f);
      if (!itf) return;
      c.unknownKeys(ip, itf, ['name', 'mac', 'address', 'mtu']);
      c.str([...ip, 'name'], itf.name);
      c.parse([...ip, 'address'], itf.address, parseCidr, 'an IPv4 CIDR');
      if (itf.mtu !== undefined) c.int([...ip, 'mtu'], itf.mtu, { min: 68, max: 65535 });
    });
  });
  return c.errors;
}

test('nested mistakes are reported with exact line, column, field and message', () => {
  const r = loadYaml('lab.yaml', LAB);
  assert.ok(r.ok);
  assert.equal(r.docs.length, 1);
  const errors = checkLab(r.docs[0]!);
  assert.deepEqual(errors, [
    {
      file: 'lab.yaml',
      line: 14,
      col: 11,
      field: 'spec.nodes[1].interfaces[0].adress',
      message: 'unknown field "adress" (expected one of: name, mac, address, mtu)',
    },
    {
      file: 'lab.yaml',
      line: 13,
      col: 11,
      field: 'spec.nodes[1].interfaces[0].address',
      message: 'required field is missing',
    },
    {
      file: 'lab.yaml',
      line: 15,
      col: 16,
      field: 'spec.nodes[1].interfaces[0].mtu',
      message: '70000 is out of range: must be between 68 and 65535',
    },
    {
      file: 'lab.yaml',
      line: 20,
      col: 16,
      field: 'spec.nodes[2].latency',
      message: '"10 parsecs" is not a duration such as 10ms',
    },
    {
      file: 'lab.yaml',
      line: 19,
      col: 20,
      field: 'spec.nodes[2].interfaces[0].address',
      message: '"10.0.0.2/33" is not an IPv4 CIDR',
    },
  ]);
  assert.equal(
    formatSpecError(errors[4]!),
    'lab.yaml:19:20: spec.nodes[2].interfaces[0].address: "10.0.0.2/33" is not an IPv4 CIDR',
  );
});

test('the value is plain JS', () => {
  const r = loadYaml('lab.yaml', LAB);
  assert.ok(r.ok);
  const v = r.docs[0]!.value as { spec: { nodes: { interfaces: { mtu?: number }[] }[] } };
  assert.equal(v.spec.nodes[1]!.interfaces[0]!.mtu, 70000);
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
});

test('wrong types and empty values name what was found', () => {
  const r = loadYaml('t.yaml', ['name: [a, b]', 'mtu: "1500"', 'up: yes', 'address:', 'kind: lab', ''].join('\n'));
  assert.ok(r.ok);
  const doc = r.docs[0]!;
  const c = new Checker(doc);
  const o = c.obj([], doc.value)!;
  assert.equal(c.str(['name'], o.name), undefined);
  assert.equal(c.int(['mtu'], o.mtu), undefined);
  assert.equal(c.bool(['up'], o.up), undefined); // YAML 1.2: `yes` is a string
  assert.equal(c.parse(['address'], o.address, parseCidr, 'an IPv4 CIDR'), undefined);
  assert.equal(c.oneOf(['kind'], o.kind, ['Lab', 'Cluster']), undefined);
  assert.deepEqual(
    c.errors.map((e) => `${e.line}:${e.col} ${e.field}: ${e.message}`),
    [
      '1:7 name: expected a string, got a list',
      '2:6 mtu: expected an integer, got a string "1500"',
      '3:5 up: expected true or false, got a string "yes"',
      '4:1 address: expected an IPv4 CIDR, got nothing', // an empty value is located at its key
      '5:7 kind: "lab" is not one of: Lab, Cluster',
    ],
  );
});

test('YAML syntax errors carry line and column', () => {
  const r = loadYaml('bad.yaml', ['name: h1', 'address: a: b', ''].join('\n'));
  assert.ok(!r.ok);
  assert.equal(r.errors.length, 1);
  const e = r.errors[0]!;
  assert.deepEqual([e.file, e.line, e.col, e.field], ['bad.yaml', 2, 10, '']);
  assert.match(e.message, /Nested mappings are not allowed in compact mappings/);
  assert.doesNotMatch(e.message, /\n/);

  const dup = loadYaml('dup.yaml', 'a: 1\nb: 2\na: 3\n');
  assert.ok(!dup.ok);
  assert.deepEqual(
    dup.errors.map((x) => [x.line, x.col, x.message]),
    [[3, 1, 'Map keys must be unique']],
  );
});

test('multi-document files give each document its index and absolute positions', () => {
  const text = ['kind: A', 'x: 1', '---', 'kind: B', 'x:', '  y: [1, 2, oops]', ''].join('\n');
  const r = loadYaml('multi.yaml', text);
  assert.ok(r.ok);
  assert.deepEqual(
    r.docs.map((d) => [d.index, d.value]),
    [
      [0, { kind: 'A', x: 1 }],
      [1, { kind: 'B', x: { y: [1, 2, 'oops'] } }],
    ],
  );
  const [a, b] = r.docs as [SourceDoc, SourceDoc];
  assert.deepEqual(a.locate(['x']), { line: 2, col: 4 });
  assert.deepEqual(b.locate(['x', 'y', 2]), { line: 6, col: 13 });
  assert.deepEqual(b.locate(['x', 'y']), { line: 6, col: 6 });
  assert.deepEqual(b.locate(['x', 'y'], 'key'), { line: 6, col: 3 });
  // Missing parts fall back to the nearest ancestor that exists.
  assert.deepEqual(b.locate(['x', 'y', 9]), { line: 6, col: 6 });
  assert.deepEqual(b.locate(['nope', 'deeper']), { line: 4, col: 1 });
  assert.deepEqual(b.locate([]), { line: 4, col: 1 });
});

test('a syntax error in one document reports that document only', () => {
  const r = loadYaml('m.yaml', ['a: 1', '---', 'b: [1', 'c: 2', ''].join('\n'));
  assert.ok(!r.ok);
  assert.ok(r.errors.length >= 1);
  assert.ok(
    r.errors.every((e) => e.line >= 3),
    JSON.stringify(r.errors),
  );
});

test('aliases resolve for values and positions', () => {
  const r = loadYaml('a.yaml', ['base: &b', '  mtu: 9000', 'eth0: *b', ''].join('\n'));
  assert.ok(r.ok);
  const d = r.docs[0]!;
  assert.deepEqual(d.value, { base: { mtu: 9000 }, eth0: { mtu: 9000 } });
  assert.deepEqual(d.locate(['eth0', 'mtu']), { line: 2, col: 8 });
});

test('an alias bomb is an error, not a hang or a throw', () => {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 0; i < 8; i++) {
    const p = String.fromCharCode(97 + i);
    const n = String.fromCharCode(98 + i);
    lines.push(`${n}: &${n} [*${p}, *${p}, *${p}, *${p}, *${p}, *${p}, *${p}, *${p}, *${p}, *${p}]`);
  }
  const r = loadYaml('bomb.yaml', lines.join('\n'));
  assert.ok(!r.ok);
  assert.match(r.errors[0]!.message, /alias/i);
});

test('empty files and comment-only files have no documents', () => {
  assert.deepEqual(loadYaml('e.yaml', ''), { ok: true, docs: [] });
  assert.deepEqual(loadYaml('c.yaml', '# nothing here\n'), { ok: true, docs: [] });
});

test('formatPath quotes keys that are not plain names', () => {
  assert.equal(formatPath(['spec', 'nodes', 2, 'interfaces', 0, 'address']), 'spec.nodes[2].interfaces[0].address');
  assert.equal(
    formatPath(['metadata', 'labels', 'app.kubernetes.io/name']),
    'metadata.labels["app.kubernetes.io/name"]',
  );
  assert.equal(formatPath([0, 'a']), '[0].a');
  assert.equal(formatPath([]), '');
  assert.equal(formatSpecError({ file: 'x.yaml', line: 1, col: 1, field: '', message: 'empty' }), 'x.yaml:1:1: empty');
});

test('a file over the size limit is rejected with one error before it is parsed, fast', () => {
  const text = 'a: [' + '"xxxxxxxx", '.repeat((50 * 1024 * 1024) / 12) + ']\n'; // about 50 MB
  const t0 = performance.now();
  const r = loadYaml('big.yaml', text);
  const ms = performance.now() - t0;
  assert.equal(r.ok, false);
  assert.deepEqual(r.ok ? [] : r.errors.map(formatSpecError), [
    `big.yaml:1:1: file is too large (${text.length} characters; the limit is 1 MiB)`,
  ]);
  assert.ok(ms < 500, `rejecting a 50 MB file took ${ms.toFixed(0)} ms`);
});

test('nesting deeper than 64 levels is one clear error, not a stack overflow', () => {
  const cases: [string, string, string][] = [
    ['flow', '['.repeat(100_000), 'deep.yaml:1:65'],
    ['flow maps', 'a: ' + '{b: '.repeat(1000), 'deep.yaml:1:260'],
    ['compact lists', '- '.repeat(20_000) + 'x', 'deep.yaml:1:129'],
    ['indented', Array.from({ length: 70 }, (_, i) => ' '.repeat(i) + 'k:').join('\n'), 'deep.yaml:65:65'],
  ];
  for (const [name, text, at] of cases) {
    const r = loadYaml('deep.yaml', text);
    assert.deepEqual(
      r.ok ? [] : r.errors.map(formatSpecError),
      [`${at}: nesting is deeper than 64 levels of mappings and lists`],
      name,
    );
  }
  const ok = loadYaml('ok.yaml', '['.repeat(64) + ']'.repeat(64));
  assert.equal(ok.ok, true, '64 levels are allowed');
  // A bracket inside a plain or quoted scalar is text, not nesting.
  const text = loadYaml('ok.yaml', `a: x${'['.repeat(100)}\nb: "${'['.repeat(100)}"\nc: 'it''s ${'{'.repeat(100)}'\n`);
  assert.equal(text.ok, true, JSON.stringify(text));
});

test('aliases: a billion laughs and alias chains that nest too deep are rejected', () => {
  const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (const [prev, name] of [...'abcdefgh'].map((p, i) => [p, 'bcdefghi'[i]!])) {
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
  }
  const bomb = loadYaml('lol.yaml', lines.join('\n'));
  assert.equal(bomb.ok, false);
  assert.match(
    bomb.ok ? '' : formatSpecError(bomb.errors[0]!),
    /^lol\.yaml:1:1: aliases expand to too many nodes \(limit 1000\)/,
  );

  let chain = `a0: &a0 ${'['.repeat(40)}${']'.repeat(40)}\n`;
  for (let i = 1; i < 5; i++) chain += `a${i}: &a${i} ${'['.repeat(40)}*a${i - 1}${']'.repeat(40)}\n`;
  const deep = loadYaml('chain.yaml', chain);
  assert.deepEqual(deep.ok ? [] : deep.errors.map(formatSpecError), [
    'chain.yaml:1:1: nesting is deeper than 64 levels of mappings and lists once aliases are expanded',
  ]);
  assert.equal(loadYaml('ok.yaml', 'x: &x {a: 1}\ny: [*x, *x]\n').ok, true, 'ordinary aliases still work');
});

test('one syntax error gives one message, not the cascade after it', () => {
  const r = loadYaml('bad.yaml', 'a: 1\n  b: 2\nc: {x: 1\n');
  assert.deepEqual(r.ok ? [] : r.errors.map(formatSpecError), [
    'bad.yaml:1:4: Nested mappings are not allowed in compact mappings',
  ]);
});

test('formatSpecErrors prints at most 20 errors, then how many more', () => {
  const errors: SpecError[] = Array.from({ length: 23 }, (_, i) => ({
    file: 'f.yaml',
    line: i + 1,
    col: 1,
    field: 'x',
    message: `problem ${i}`,
  }));
  const lines = formatSpecErrors(errors).split('\n');
  assert.equal(lines.length, 21);
  assert.equal(lines[19], 'f.yaml:20:1: x: problem 19');
  assert.equal(lines[20], '... and 3 more errors');
  assert.equal(formatSpecErrors(errors.slice(0, 21)).split('\n')[20], '... and 1 more error');
  assert.equal(formatSpecErrors(errors.slice(0, 20)).split('\n').length, 20);
});
