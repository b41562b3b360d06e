/**
 * Calico's selector language (IPPool and BGPPeer `nodeSelector`/`peerSelector`, and network policy in a later
 * issue), as libcalico-go/lib/selector parses it: tokenizer/tokenizer.go turns the text into tokens,
 * parser/parser.go builds the tree (`||` binds looser than `&&`, `!` prefixes an operation), parser/ast.go
 * evaluates it against a label map and prints its canonical text. This file owns the grammar and evaluation;
 * which labels a resource has is its caller's.
 *
 * Grammar (parser.go): or := and ('||' and)*; and := op ('&&' op)*; op := '!'* ( has(k) | all() | global() |
 * k == "v" | k != "v" | k contains "v" | k starts with "v" | k ends with "v" | k in {"a", ...} |
 * k not in {...} | '(' or ')' ). An empty selector selects everything. Strings take ' or " quotes and no escapes.
 */
import type { Result } from './result.js';

/** A parsed selector: a tree of these nodes. */
export type SelectorNode =
  | { readonly op: 'all' }
  | { readonly op: 'global' }
  | { readonly op: 'has'; readonly label: string }
  | {
      readonly op: '==' | '!=' | 'contains' | 'starts with' | 'ends with';
      readonly label: string;
      readonly value: string;
    }
  | { readonly op: 'in' | 'not in'; readonly label: string; readonly values: readonly string[] }
  | { readonly op: '!'; readonly operand: SelectorNode }
  | { readonly op: '&&' | '||'; readonly operands: readonly SelectorNode[] };

/** Why a selector did not parse; `message` is libcalico-go's error text. */
export interface SelectorError {
  readonly selector: string;
  readonly message: string;
}

type TokKind =
  | 'label'
  | 'string'
  | '{'
  | '}'
  | ','
  | '=='
  | '!='
  | 'in'
  | '!'
  | 'not in'
  | 'contains'
  | 'starts with'
  | 'ends with'
  | 'all'
  | 'has'
  | '('
  | ')'
  | '&&'
  | '||'
  | 'global'
  | 'eof';

interface Token {
  readonly kind: TokKind;
  readonly value: string;
}

/** tokenizer.go MaxLabelLength. */
const MAX_LABEL_LENGTH = 512;

/** tokenizer.go identifierChar: letters, digits, '_', '.', '/', '-'. */
function identifierChar(c: string | undefined): boolean {
  return c !== undefined && /^[a-zA-Z0-9_./-]$/.test(c);
}

/** Only spaces and tabs are whitespace (tokenizer.go trimWhitespace). */
function trimWs(s: string): string {
  let i = 0;
  while (s[i] === ' ' || s[i] === '\t') i++;
  return s.slice(i);
}

function cutIdentifier(s: string): Result<{ ident: string; rest: string }, string> {
  let i = 0;
  while (identifierChar(s[i])) i++;
  const ident = s.slice(0, i);
  if (ident.length > MAX_LABEL_LENGTH) return { ok: false, error: `label too long: ${ident}` };
  if (ident.length === 0) return { ok: false, error: 'expected identifier' };
  return { ok: true, value: { ident, rest: s.slice(i) } };
}

/** Cuts the words (whitespace allowed, not required, between them) when a word boundary follows. */
function cutWords(s: string, words: readonly string[]): string | undefined {
  let rest = s;
  for (const w of words) {
    if (!rest.startsWith(w)) return undefined;
    rest = words.length > 1 ? trimWs(rest.slice(w.length)) : rest.slice(w.length);
  }
  return identifierChar(rest[0]) ? undefined : rest;
}

/** The operators that may follow a label, in the order tokenizer.go tries them. */
const LABEL_OPS: readonly { words: readonly string[]; kind: TokKind }[] = [
  { words: ['contains'], kind: 'contains' },
  { words: ['starts', 'with'], kind: 'starts with' },
  { words: ['ends', 'with'], kind: 'ends with' },
  { words: ['not', 'in'], kind: 'not in' },
  { words: ['in'], kind: 'in' },
];

function tokenize(input: string): Result<Token[], string> {
  const toks: Token[] = [];
  const push = (kind: TokKind, value = ''): void => void toks.push({ kind, value });
  let s = input;
  for (;;) {
    s = trimWs(s);
    if (s.length === 0) {
      push('eof');
      return { ok: true, value: toks };
    }
    const c = s[0]!;
    if (c === '(' || c === ')' || c === '{' || c === '}' || c === ',') {
      push(c);
      s = s.slice(1);
    } else if (c === '"' || c === "'") {
      const end = s.indexOf(c, 1);
      if (end < 0) return { ok: false, error: 'unterminated string' };
      push('string', s.slice(1, end));
      s = s.slice(end + 1);
    } else if (c === '=') {
      if (!s.startsWith('==')) return { ok: false, error: 'expected ==' };
      push('==');
      s = s.slice(2);
    } else if (c === '!') {
      if (s.startsWith('!=')) {
        push('!=');
        s = s.slice(2);
      } else {
        push('!');
        s = s.slice(1);
      }
    } else if (c === '&' || c === '|') {
      if (!s.startsWith(c + c)) return { ok: false, error: `expected ${c}${c}` };
      push(c === '&' ? '&&' : '||');
      s = s.slice(2);
    } else if (toks.at(-1)?.kind === 'label') {
      const op = LABEL_OPS.find((o) => cutWords(s, o.words) !== undefined);
      if (op === undefined) return { ok: false, error: `expected operator after label "${toks.at(-1)!.value}"` };
      push(op.kind);
      s = cutWords(s, op.words)!;
    } else if (s.startsWith('has(')) {
      const id = cutIdentifier(trimWs(s.slice(4)));
      if (!id.ok) return id;
      const rest = trimWs(id.value.rest);
      if (!rest.startsWith(')')) return { ok: false, error: "no closing ')' after has(" };
      push('has', id.value.ident);
      s = rest.slice(1);
    } else if (s.startsWith('all(') || s.startsWith('global(')) {
      const fn = s.startsWith('all(') ? 'all' : 'global';
      const rest = trimWs(s.slice(fn.length + 1));
      if (!rest.startsWith(')')) return { ok: false, error: `no closing ')' after ${fn}(` };
      push(fn);
      s = rest.slice(1);
    } else {
      const id = cutIdentifier(s);
      if (!id.ok) return id;
      push('label', id.value.ident);
      s = id.value.rest;
    }
  }
}

type Parsed = Result<{ node: SelectorNode; rest: Token[] }, string>;

function parseOr(toks: Token[]): Parsed {
  return parseList(toks, '||', parseAnd);
}

function parseAnd(toks: Token[]): Parsed {
  return parseList(toks, '&&', parseOperation);
}

function parseList(toks: Token[], sep: '&&' | '||', item: (t: Token[]) => Parsed): Parsed {
  const nodes: SelectorNode[] = [];
  let rest = toks;
  for (;;) {
    const r = item(rest);
    if (!r.ok) return r;
    nodes.push(r.value.node);
    rest = r.value.rest;
    if (rest[0]?.kind !== sep) break;
    rest = rest.slice(1);
  }
  return { ok: true, value: { node: nodes.length === 1 ? nodes[0]! : { op: sep, operands: nodes }, rest } };
}

const VALUE_OPS = ['==', '!=', 'contains', 'starts with', 'ends with'] as const;

function parseOperation(input: Token[]): Parsed {
  let toks = input;
  let negated = false;
  while (toks[0]?.kind === '!') {
    negated = !negated;
    toks = toks.slice(1);
  }
  const t = toks[0];
  if (t === undefined || t.kind === 'eof') {
    return { ok: false, error: t === undefined ? 'unexpected end of string looking for op' : 'unexpected token: eof' };
  }
  let node: SelectorNode;
  let rest: Token[];
  if (t.kind === 'has') {
    node = { op: 'has', label: t.value };
    rest = toks.slice(1);
  } else if (t.kind === 'all' || t.kind === 'global') {
    node = { op: t.kind };
    rest = toks.slice(1);
  } else if (t.kind === 'label') {
    if (toks.length < 3) return { ok: false, error: 'unexpected end of string looking for op' };
    const op = toks[1]!.kind;
    const vop = VALUE_OPS.find((o) => o === op);
    if (vop !== undefined) {
      if (toks[2]!.kind !== 'string') return { ok: false, error: 'expected string' };
      node = { op: vop, label: t.value, value: toks[2]!.value };
      rest = toks.slice(3);
    } else if (op === 'in' || op === 'not in') {
      if (toks[2]!.kind !== '{') return { ok: false, error: 'expected set literal' };
      rest = toks.slice(3);
      const values: string[] = [];
      while (rest[0]?.kind === 'string') {
        values.push(rest[0].value);
        rest = rest.slice(1);
        if (rest[0]?.kind !== ',') break;
        rest = rest.slice(1);
      }
      if (rest[0]?.kind !== '}') return { ok: false, error: 'expected }' };
      rest = rest.slice(1);
      // parser.ConvertToStringSetInPlace: sorted, without duplicates
      node = { op, label: t.value, values: [...new Set(values)].sort() };
    } else {
      return { ok: false, error: `expected == or != not: ${op}` };
    }
  } else if (t.kind === '(') {
    const inner = parseOr(toks.slice(1));
    if (!inner.ok) return inner;
    if (inner.value.rest[0]?.kind !== ')') return { ok: false, error: 'expected )' };
    node = inner.value.node;
    rest = inner.value.rest.slice(1);
  } else {
    return { ok: false, error: `unexpected token: ${t.kind}` };
  }
  return { ok: true, value: { node: negated ? { op: '!', operand: node } : node, rest } };
}

/** Parses a selector; an empty (or all-whitespace) text selects everything, as `all()`. */
export function parseSelector(text: string): Result<SelectorNode, SelectorError> {
  const toks = tokenize(text);
  if (!toks.ok) return { ok: false, error: { selector: text, message: toks.error } };
  if (toks.value[0]!.kind === 'eof') return { ok: true, value: { op: 'all' } };
  const r = parseOr(toks.value);
  if (!r.ok) return { ok: false, error: { selector: text, message: r.error } };
  if (r.value.rest.length !== 1) {
    const left = r.value.rest.map((x) => (x.value === '' ? x.kind : `${x.kind}(${x.value})`)).join(' ');
    return { ok: false, error: { selector: text, message: `unexpected content at end of selector ${left}` } };
  }
  return { ok: true, value: r.value.node };
}

/** True when `labels` satisfy the selector (ast.go Evaluate: a missing label fails ==, passes != and not in). */
export function selectorMatches(node: SelectorNode, labels: Readonly<Record<string, string>>): boolean {
  const get = (k: string): string | undefined => (Object.hasOwn(labels, k) ? labels[k] : undefined);
  switch (node.op) {
    case 'all':
    case 'global':
      return true;
    case 'has':
      return get(node.label) !== undefined;
    case '==':
      return get(node.label) === node.value;
    case '!=':
      return get(node.label) !== node.value;
    case 'contains':
      return get(node.label)?.includes(node.value) ?? false;
    case 'starts with':
      return get(node.label)?.startsWith(node.value) ?? false;
    case 'ends with':
      return get(node.label)?.endsWith(node.value) ?? false;
    case 'in': {
      const v = get(node.label);
      return v !== undefined && node.values.includes(v);
    }
    case 'not in': {
      const v = get(node.label);
      return v === undefined || !node.values.includes(v);
    }
    case '!':
      return !selectorMatches(node.operand, labels);
    case '&&':
      return node.operands.every((o) => selectorMatches(o, labels));
    case '||':
      return node.operands.some((o) => selectorMatches(o, labels));
  }
}

/** ast.go's quoting: double quotes unless the value holds one. */
function quote(s: string): string {
  return s.includes('"') ? `'${s}'` : `"${s}"`;
}

/** The canonical text libcalico-go prints for a selector (Selector.String): `(a == "b" && has(c))`. */
export function formatSelector(node: SelectorNode): string {
  switch (node.op) {
    case 'all':
    case 'global':
      return `${node.op}()`;
    case 'has':
      return `has(${node.label})`;
    case '==':
    case '!=':
    case 'contains':
    case 'starts with':
    case 'ends with':
      return `${node.label} ${node.op} ${quote(node.value)}`;
    case 'in':
    case 'not in':
      return `${node.label} ${node.op} {${node.values.map(quote).join(', ')}}`;
    case '!':
      return `!${formatSelector(node.operand)}`;
    case '&&':
    case '||':
      return `(${node.operands.map(formatSelector).join(` ${node.op} `)})`;
  }
}
