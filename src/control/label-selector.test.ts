/**
 * Label selectors with Kubernetes' semantics (k8s.io/apimachinery/pkg/labels, documented in "Labels and
 * Selectors"): matchLabels and every expression must hold; NotIn and DoesNotExist hold for an object
 * without the key; the empty selector selects everything; kubectl's text form.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatSelector,
  labelsMatch,
  selectorIsEmpty,
  selectorMatches,
  type LabelSelectorLike,
} from './label-selector.js';

const web = { app: 'web', tier: 'front' };
const bare = {};

describe('label selectors', () => {
  it('matchLabels needs every pair, with the same value', () => {
    assert.equal(labelsMatch({ app: 'web' }, web), true);
    assert.equal(labelsMatch({ app: 'web', tier: 'back' }, web), false);
    assert.equal(labelsMatch({ app: 'web' }, bare), false);
    assert.equal(labelsMatch({}, bare), true);
  });

  it('In, NotIn, Exists and DoesNotExist, as the API documents them (NotIn holds without the key)', () => {
    const sel = (operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', values: string[] = []): LabelSelectorLike => ({
      matchLabels: {},
      matchExpressions: [{ key: 'tier', operator, values }],
    });
    assert.deepEqual(
      [sel('In', ['front', 'back']), sel('In', ['back'])].map((s) => [
        selectorMatches(s, web),
        selectorMatches(s, bare),
      ]),
      [
        [true, false],
        [false, false],
      ],
    );
    assert.deepEqual(
      [sel('NotIn', ['front']), sel('NotIn', ['back'])].map((s) => [selectorMatches(s, web), selectorMatches(s, bare)]),
      [
        [false, true],
        [true, true],
      ],
    );
    assert.deepEqual([selectorMatches(sel('Exists'), web), selectorMatches(sel('Exists'), bare)], [true, false]);
    assert.deepEqual(
      [selectorMatches(sel('DoesNotExist'), web), selectorMatches(sel('DoesNotExist'), bare)],
      [false, true],
    );
  });

  it('labels and expressions must all hold; the empty selector selects everything', () => {
    const both: LabelSelectorLike = {
      matchLabels: { app: 'web' },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }],
    };
    assert.equal(selectorMatches(both, web), false);
    assert.equal(selectorMatches({ ...both, matchExpressions: [] }, web), true);
    const empty: LabelSelectorLike = { matchLabels: {}, matchExpressions: [] };
    assert.equal(selectorIsEmpty(empty), true);
    assert.equal(selectorMatches(empty, bare), true);
    assert.equal(selectorIsEmpty(both), false);
  });

  it('prints as kubectl does: app=web,tier in (a,b),env notin (x),legacy,!canary', () => {
    assert.equal(
      formatSelector({
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'env', operator: 'NotIn', values: ['x'] },
          { key: 'legacy', operator: 'Exists', values: [] },
          { key: 'canary', operator: 'DoesNotExist', values: [] },
        ],
      }),
      'app=web,tier in (a,b),env notin (x),legacy,!canary',
    );
  });
});
