/**
 * The selector language against libcalico-go/lib/selector: the grammar of parser.go (precedence, negation,
 * sets, parens), Evaluate's rules for missing labels (ast.go), the canonical text of Selector.String, and
 * the tokenizer's and parser's error texts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSelector, parseSelector, selectorMatches } from './selector.js';

function sel(text: string) {
  const r = parseSelector(text);
  if (!r.ok) throw new Error(`${text}: ${r.error.message}`);
  return r.value;
}

function matches(text: string, labels: Record<string, string>): boolean {
  return selectorMatches(sel(text), labels);
}

describe('Calico selectors', () => {
  it('an empty selector and all() select every node; global() too', () => {
    assert.equal(matches('', {}), true);
    assert.equal(matches('   ', { a: 'b' }), true);
    assert.equal(matches('all()', {}), true);
    assert.equal(matches('all( )', {}), true);
    assert.equal(matches('global()', {}), true);
  });

  it('== and != with either quote; a missing label fails == and passes !=', () => {
    const l = { 'kubernetes.io/hostname': 'master', zone: 'a' };
    assert.equal(matches("kubernetes.io/hostname == 'master'", l), true);
    assert.equal(matches('kubernetes.io/hostname == "node"', l), false);
    assert.equal(matches("zone != 'b'", l), true);
    assert.equal(matches("rack == 'r1'", l), false);
    assert.equal(matches("rack != 'r1'", l), true);
  });

  it('has(), in and not in (a missing label is "not in" any set)', () => {
    const l = { zone: 'a', 'route-reflector': 'true' };
    assert.equal(matches('has(route-reflector)', l), true);
    assert.equal(matches('has( zone )', l), true);
    assert.equal(matches('!has(zone)', l), false);
    assert.equal(matches("zone in {'a', 'b'}", l), true);
    assert.equal(matches("zone in {'c'}", l), false);
    assert.equal(matches('zone in {}', l), false);
    assert.equal(matches("zone not in {'b'}", l), true);
    assert.equal(matches("rack not in {'b'}", l), true);
    assert.equal(matches("rack in {'b'}", l), false);
  });

  it('contains, starts with and ends with', () => {
    const l = { host: 'worker-12' };
    assert.equal(matches("host contains 'ker'", l), true);
    assert.equal(matches("host starts with 'work'", l), true);
    assert.equal(matches("host ends with '-12'", l), true);
    assert.equal(matches("host ends with 'x'", l), false);
    assert.equal(matches("other contains ''", l), false);
  });

  it('&& binds tighter than ||; ! negates one operation; parens group', () => {
    const l = { a: '1' };
    // a || (b && c): true because a matches
    assert.equal(matches("a == '1' || b == '1' && c == '1'", l), true);
    assert.equal(matches("(a == '1' || b == '1') && c == '1'", l), false);
    assert.equal(matches("!a == '1'", l), false);
    assert.equal(matches("!!a == '1'", l), true);
    assert.equal(matches("!(a == '2' || has(b))", l), true);
  });

  it('prints the canonical text as Selector.String does', () => {
    assert.equal(
      formatSelector(sel("a=='x'&&b in {'z','y','z'}||!has(c)")),
      '((a == "x" && b in {"y", "z"}) || !has(c))',
    );
    assert.equal(formatSelector(sel(`a == '"q"'`)), `a == '"q"'`);
    assert.equal(formatSelector(sel('')), 'all()');
    assert.equal(formatSelector(sel("x not  in {'1'}")), 'x not in {"1"}');
  });

  it('rejects bad selectors with libcalico-go’s messages', () => {
    const err = (t: string) => {
      const r = parseSelector(t);
      assert.equal(r.ok, false, t);
      return r.ok ? '' : r.error.message;
    };
    assert.equal(err("a == 'x"), 'unterminated string');
    assert.equal(err('a = "x"'), 'expected ==');
    assert.equal(err('a == "x" & b == "y"'), 'expected &&');
    assert.equal(err('a is "x"'), 'expected operator after label "a"');
    assert.equal(err('a == b'), 'expected string');
    assert.equal(err('a in "x"'), 'expected set literal');
    assert.equal(err('a in {"x" "y"}'), 'expected }');
    assert.equal(err('(a == "x"'), 'expected )');
    assert.equal(err('has(a'), "no closing ')' after has(");
    assert.equal(err('all(x)'), "no closing ')' after all(");
    assert.equal(err('a'), 'unexpected end of string looking for op');
    assert.match(err('a == "x" b == "y"'), /^unexpected content at end of selector/);
    // "in" must end at a word boundary: "inside" is not an operator
    assert.equal(err('a inside {"x"}'), 'expected operator after label "a"');
  });
});
