/**
 * Scenario source text with positions: loads YAML (one or many documents) into plain values while
 * keeping the node tree, so every validation error can name the file, line, column and field, and a
 * small Checker that validates plain values and collects those errors. What a Lab or Cluster document
 * must contain is decided by the validators that use this; reading files from disk is the caller's.
 */
import { formatFieldPath } from '../cluster/source-ref.js';
import {
  Composer,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  type CST,
  type Document,
  type Node,
} from 'yaml';

/**
 * What a scenario file may cost to read. A lab is a few kilobytes; these stop a mistaken or hostile file
 * before it uses minutes of CPU, the stack (deep nesting) or memory (a "billion laughs" of aliases).
 */
export const SOURCE_LIMITS = {
  /** Largest file, in characters (1 MiB; yaml 2.9 parses about 0.2 MB/s here, so this caps it at seconds). */
  maxChars: 1024 * 1024,
  /** Deepest nesting of mappings and lists. */
  maxDepth: 64,
  /** Most alias expansions while building a document's value (the yaml library's maxAliasCount). */
  maxAliasCount: 1000,
} as const;

/** How many errors formatSpecErrors prints before summing up the rest. */
export const MAX_REPORTED_ERRORS = 20;

/** A path into a document: map keys and list indexes, e.g. ['spec', 'nodes', 2, 'name']. */
export type SpecPath = readonly (string | number)[];

/** A position in a source file, both 1-based. */
export interface SourcePos {
  /** Line number, 1-based. */
  line: number;
  /** Column number, 1-based. */
  col: number;
}

/** One problem in a scenario file, located for a person to fix. */
export interface SpecError {
  /** File name as given to loadYaml. */
  file: string;
  /** Line, 1-based. */
  line: number;
  /** Column, 1-based. */
  col: number;
  /** Field path as text, e.g. 'spec.nodes[2].interfaces[0].address'; '' for the whole document. */
  field: string;
  /** What is wrong, e.g. '"10.0.0.2/33" is not an IPv4 CIDR'. */
  message: string;
}

/** One YAML document of a file: its plain value and a way to find where any part of it was written. */
export interface SourceDoc {
  /** File name as given to loadYaml. */
  file: string;
  /** Position of this document in the file, 0-based. */
  index: number;
  /** The document as plain JS (maps → objects, sequences → arrays, scalars → string/number/boolean/null). */
  value: unknown;
  /** Where the value (or, with at='key', the map key) at `path` starts; the nearest existing ancestor if absent. */
  locate(path: SpecPath, at?: 'value' | 'key'): SourcePos;
}

/** Result of loadYaml: all documents, or every syntax error found. */
export type LoadResult = { ok: true; docs: SourceDoc[] } | { ok: false; errors: SpecError[] };

/** `lab.yaml:12:7: spec.nodes[2].interfaces[0].address: "10.0.0.2/33" is not an IPv4 CIDR`. */
export function formatSpecError(e: SpecError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.field === '' ? '' : `${e.field}: `}${e.message}`;
}

/**
 * All errors as text, one per line, at most `cap` of them followed by `... and N more errors`.
 */
export function formatSpecErrors(errors: readonly SpecError[], cap: number = MAX_REPORTED_ERRORS): string {
  const lines = errors.slice(0, cap).map(formatSpecError);
  const rest = errors.length - cap;
  if (rest > 0) lines.push(`... and ${rest} more error${rest === 1 ? '' : 's'}`);
  return lines.join('\n');
}

/** Field text for a path: `a.b[2].c`; keys that are not plain names are quoted: `labels["app.kubernetes.io/name"]`. */
export function formatPath(path: SpecPath): string {
  return formatFieldPath(path);
}

/**
 * Parses every document in `text`; YAML syntax errors (and duplicate keys) become SpecErrors, the first
 * one of each document only, since the parser's later errors there mostly follow from the first. A file
 * over SOURCE_LIMITS is rejected with one error and not composed at all.
 */
export function loadYaml(file: string, text: string): LoadResult {
  const fail = (pos: SourcePos, message: string): LoadResult => ({
    ok: false,
    errors: [{ file, ...pos, field: '', message }],
  });
  if (text.length > SOURCE_LIMITS.maxChars) {
    return fail(
      { line: 1, col: 1 },
      `file is too large (${text.length} characters; the limit is ${SOURCE_LIMITS.maxChars / 1024 / 1024} MiB)`,
    );
  }
  const tooDeepMessage = `nesting is deeper than ${SOURCE_LIMITS.maxDepth} levels of mappings and lists`;
  // The yaml parser takes ~15 us per level of one-line nesting ("[[[[", "- - - -"): a quick scan first.
  const early = scanNesting(text, SOURCE_LIMITS.maxDepth);
  if (early !== undefined) {
    const lineStart = text.lastIndexOf('\n', early) + 1;
    const line = text.slice(0, lineStart).split('\n').length;
    return fail({ line, col: early - lineStart + 1 }, tooDeepMessage);
  }
  const lines = new LineCounter();
  // The parser builds its syntax tree without recursion; the composer after it recurses once per level.
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const deep = tooDeep(tokens, SOURCE_LIMITS.maxDepth);
  if (deep !== undefined) return fail(toPos(lines, deep), tooDeepMessage);
  const parsed = new Composer({ prettyErrors: false }).compose(tokens);
  const errors: SpecError[] = [];
  const docs: SourceDoc[] = [];
  let index = 0;
  for (const doc of parsed) {
    const at = index++;
    const first = doc.errors[0];
    if (first !== undefined) {
      errors.push({ file, ...toPos(lines, first.pos[0]), field: '', message: first.message });
      continue;
    }
    const expanded = aliasedDepth(doc.contents, new Map());
    if (expanded > SOURCE_LIMITS.maxDepth) {
      errors.push({
        file,
        ...toPos(lines, doc.range[0]),
        field: '',
        message: `${tooDeepMessage} once aliases are expanded`,
      });
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: SOURCE_LIMITS.maxAliasCount });
    } catch (e) {
      // toJS throws only when aliases expand past maxAliasCount: a "billion laughs".
      const message = `aliases expand to too many nodes (limit ${SOURCE_LIMITS.maxAliasCount}): ${(e as Error).message}`;
      errors.push({ file, ...toPos(lines, doc.range[0]), field: '', message });
      continue;
    }
    docs.push({ file, index: at, value, locate: (path, at = 'value') => locate(doc, lines, path, at) });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, docs };
}

/**
 * Offset where one-line nesting passes `max`: flow brackets ("[[{") or compact block entries ("- - ? ").
 * A bracket counts only where a flow collection can start (after a line start, indicator, comma or
 * bracket); quoted text and comments are skipped. Nesting spread over indented lines is left to tooDeep:
 * each such level costs a longer line, so the size limit bounds it.
 */
function scanNesting(text: string, max: number): number | undefined {
  let flow = 0;
  let compact = 0;
  let prev = '\n'; // last character that was not a space
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\r') continue;
    const atStart =
      prev === '\n' || prev === ',' || prev === '[' || prev === '{' || prev === ':' || prev === '-' || prev === '?';
    // a bracket or comma inside plain text ("a[b") is text: it must not make the next bracket count
    const plain = (ch === '[' || ch === '{' || ch === ',') && !atStart && !(ch === ',' && flow > 0);
    if (ch === '\n') compact = 0;
    else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end - 1;
      continue;
    } else if ((ch === '"' || ch === "'") && atStart) {
      // skip the quoted scalar ('' is an escaped quote in single quotes, \" in double)
      for (i++; i < text.length && text[i] !== ch; i++) if (ch === '"' && text[i] === '\\') i++;
    } else if ((ch === '[' || ch === '{') && atStart) {
      if (++flow > max) return i;
    } else if ((ch === ']' || ch === '}') && flow > 0) flow--;
    else if ((ch === '-' || ch === '?') && (prev === '\n' || prev === '-' || prev === '?') && text[i + 1] === ' ') {
      if (++compact > max) return i;
    }
    prev = plain ? 'a' : ch;
  }
  return undefined;
}

/** Depth of mappings and lists under `node` with aliases counted as what they stand for (anchors come first). */
function aliasedDepth(node: unknown, anchors: Map<string, number>): number {
  if (isAlias(node)) return anchors.get(node.source) ?? 0;
  let depth = 0;
  if (isMap(node))
    depth =
      1 + Math.max(0, ...node.items.flatMap((p) => [aliasedDepth(p.key, anchors), aliasedDepth(p.value, anchors)]));
  else if (isSeq(node)) depth = 1 + Math.max(0, ...node.items.map((x) => aliasedDepth(x, anchors)));
  const anchor = isNode(node) ? node.anchor : undefined;
  if (anchor !== undefined) anchors.set(anchor, depth);
  return depth;
}

/** Offset of the first collection nested deeper than `max`, walking the syntax tree without recursion. */
function tooDeep(tokens: readonly CST.Token[], max: number): number | undefined {
  const stack: [CST.Token, number][] = tokens.map((t) => [t, 0]);
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [t, depth] = top;
    if (t.type === 'document') {
      if (t.value !== undefined) stack.push([t.value, depth]);
    } else if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      if (depth + 1 > max) return t.offset;
      for (const item of t.items) {
        if (item.key) stack.push([item.key, depth + 1]);
        if (item.value) stack.push([item.value, depth + 1]);
      }
    }
  }
  return undefined;
}

function toPos(lines: LineCounter, offset: number): SourcePos {
  const { line, col } = lines.linePos(offset);
  return { line, col };
}

/** Walks the node tree along `path`; stops at the last node that exists. */
function locate(doc: Document, lines: LineCounter, path: SpecPath, at: 'value' | 'key'): SourcePos {
  let node: unknown = doc.contents;
  let best: Node | undefined = isNode(node) ? node : undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let key: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : p.key) === String(seg));
      if (!pair) break;
      key = pair.key;
      next = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg];
      if (next === undefined) break;
    } else {
      break;
    }
    const last = i === path.length - 1;
    // `key:` with nothing after it has an empty null scalar; pointing at its key reads better.
    const emptyValue = isScalar(next) && next.value === null && next.range?.[0] === next.range?.[1];
    if (isNode(key) && (emptyValue || (last && at === 'key'))) best = key;
    else if (isNode(next)) best = next;
    node = next;
  }
  return best?.range ? toPos(lines, best.range[0]) : { line: 1, col: 1 };
}

/** Describes a plain value for messages: 'a string "x"', 'a number 5', 'a mapping', 'a list', 'null'. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return `a string ${JSON.stringify(v)}`;
    case 'number':
      return `a number ${v}`;
    case 'boolean':
      return `a boolean ${v}`;
    case 'object':
      return v instanceof Map || Object.getPrototypeOf(v) === Object.prototype ? 'a mapping' : 'an object';
    default:
      return typeof v;
  }
}

/**
 * Validates plain values taken from a SourceDoc while collecting located errors. Each method takes the
 * path of the value (for the message and position) and the value itself, records an error and returns
 * undefined when it does not fit, so a validator checks every field and reports all problems at once.
 * A value of `undefined` means the field is absent and is reported as missing; guard optional fields.
 */
export class Checker {
  /** Errors collected so far, in the order found. */
  readonly errors: SpecError[] = [];

  /** Checks values of `doc`. */
  constructor(readonly doc: SourceDoc) {}

  /** Records `message` about the value at `path`. */
  error(path: SpecPath, message: string): void {
    this.push(path, message, 'value');
  }

  /** A mapping (plain object), or undefined after an error. */
  obj(path: SpecPath, v: unknown): Record<string, unknown> | undefined {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    return this.expected(path, 'a mapping', v);
  }

  /** A list, or undefined after an error. */
  arr(path: SpecPath, v: unknown): unknown[] | undefined {
    return Array.isArray(v) ? v : this.expected(path, 'a list', v);
  }

  /** A string (non-empty unless allowEmpty; matching `pattern`, described by `what`, if given). */
  str(
    path: SpecPath,
    v: unknown,
    opts: { allowEmpty?: boolean; pattern?: RegExp; what?: string } = {},
  ): string | undefined {
    if (typeof v !== 'string') return this.expected(path, 'a string', v);
    if (v === '' && !opts.allowEmpty) return this.fail(path, 'must not be empty');
    if (opts.pattern && !opts.pattern.test(v)) {
      return this.fail(path, `${JSON.stringify(v)} is not ${opts.what ?? `a string matching ${opts.pattern}`}`);
    }
    return v;
  }

  /** A safe integer within [min, max] when given. */
  int(path: SpecPath, v: unknown, range: { min?: number; max?: number } = {}): number | undefined {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return this.expected(path, 'an integer', v);
    const { min, max } = range;
    if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
      const bounds =
        min !== undefined && max !== undefined
          ? `between ${min} and ${max}`
          : min !== undefined
            ? `at least ${min}`
            : `at most ${max}`;
      return this.fail(path, `${v} is out of range: must be ${bounds}`);
    }
    return v;
  }

  /** true or false. */
  bool(path: SpecPath, v: unknown): boolean | undefined {
    return typeof v === 'boolean' ? v : this.expected(path, 'true or false', v);
  }

  /** One of `choices`, compared exactly. */
  oneOf<T extends string>(path: SpecPath, v: unknown, choices: readonly T[]): T | undefined {
    if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
    if (v === undefined) return this.fail(path, 'required field is missing');
    return this.fail(
      path,
      `${typeof v === 'string' ? JSON.stringify(v) : describeValue(v)} is not one of: ${choices.join(', ')}`,
    );
  }

  /**
   * Text read by `parse` (numbers are read as their text), e.g. `c.parse(p, v, parseCidr, 'an IPv4 CIDR')`
   * reports `"10.0.0.2/33" is not an IPv4 CIDR`.
   */
  parse<T>(path: SpecPath, v: unknown, parse: (text: string) => T | undefined, what: string): T | undefined {
    if (typeof v !== 'string' && typeof v !== 'number') return this.expected(path, what, v);
    const out = parse(String(v));
    return out === undefined ? this.fail(path, `${JSON.stringify(String(v))} is not ${what}`) : out;
  }

  /**
   * Each item of the list at `path` (absent counts as empty unless `required`), checked by `item` with its
   * own path; the items it returns, leaving out those it rejected (undefined).
   */
  each<T>(
    path: SpecPath,
    v: unknown,
    item: (path: SpecPath, v: unknown) => T | undefined,
    opts: { required?: boolean } = {},
  ): T[] {
    if (v === undefined && !opts.required) return [];
    const out: T[] = [];
    (this.arr(path, v) ?? []).forEach((x, i) => {
      const r = item([...path, i], x);
      if (r !== undefined) out.push(r);
    });
    return out;
  }

  /**
   * The mapping at `path` with only `allowed` keys (others reported), or undefined after an error: the
   * "object with these fields" shape every lab and manifest object has.
   */
  fields<K extends string>(path: SpecPath, v: unknown, allowed: readonly K[]): Partial<Record<K, unknown>> | undefined {
    const o = this.obj(path, v);
    if (o !== undefined) this.unknownKeys(path, o, allowed);
    return o as Partial<Record<K, unknown>> | undefined;
  }

  /** Reports each key of `obj` not in `allowed`, at the key itself. */
  unknownKeys(path: SpecPath, obj: Record<string, unknown>, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        this.push(
          [...path, key],
          `unknown field ${JSON.stringify(key)} (expected one of: ${allowed.join(', ')})`,
          'key',
        );
      }
    }
  }

  private expected(path: SpecPath, what: string, v: unknown): undefined {
    return this.fail(path, v === undefined ? 'required field is missing' : `expected ${what}, got ${describeValue(v)}`);
  }

  private fail(path: SpecPath, message: string): undefined {
    this.push(path, message, 'value');
    return undefined;
  }

  private push(path: SpecPath, message: string, at: 'value' | 'key'): void {
    const { line, col } = this.doc.locate(path, at);
    this.errors.push({ file: this.doc.file, line, col, field: formatPath(path), message });
  }
}
