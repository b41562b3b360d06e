/**
 * Scenario source text with positions: loads YAML (one or many documents) into plain values while
 * keeping the node tree, so every validation error can name the file, line, column and field, and a
 * small Checker that validates plain values and collects those errors. What a Lab or Cluster document
 * must contain is decided by the validators that use this; reading files from disk is the caller's.
 */
import { formatFieldPath } from '../cluster/source-ref.js';
import {
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
} from 'yaml';

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

/** Field text for a path: `a.b[2].c`; keys that are not plain names are quoted: `labels["app.kubernetes.io/name"]`. */
export function formatPath(path: SpecPath): string {
  return formatFieldPath(path);
}

/** Parses every document in `text`; YAML syntax errors (and duplicate keys) become SpecErrors. */
export function loadYaml(file: string, text: string): LoadResult {
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const errors: SpecError[] = [];
  const docs: SourceDoc[] = [];
  parsed.forEach((doc, index) => {
    for (const e of doc.errors) {
      errors.push({ file, ...toPos(lines, e.pos[0]), field: '', message: e.message });
    }
    if (doc.errors.length > 0) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      // toJS throws only on alias bombs (resource exhaustion); report it like a syntax error.
      errors.push({ file, ...toPos(lines, doc.range[0]), field: '', message: (e as Error).message });
      return;
    }
    docs.push({ file, index, value, locate: (path, at = 'value') => locate(doc, lines, path, at) });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, docs };
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
