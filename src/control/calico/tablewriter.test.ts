/** tablewriter v0.0.5's defaults, case by case (expected text worked out from table.go, util.go and wrap.go). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTableWriter } from './tablewriter.js';

test('headings centred (smaller half left), numbers right-aligned, text left-aligned', () => {
  assert.equal(
    renderTableWriter(
      ['name', 'count'],
      [
        ['a', '7'],
        ['bbbbbbb', '1,024'],
      ],
    ),
    [
      '+---------+-------+',
      '|  NAME   | COUNT |',
      '+---------+-------+',
      '| a       |     7 |',
      '| bbbbbbb | 1,024 |',
      '+---------+-------+',
      '',
    ].join('\n'),
  );
});

test('a cell over 30 columns wraps with minimal raggedness; one longer word is not broken', () => {
  // 4 words, 33 columns: breaking after "Connection" leaves 5 spare columns (cost 25), after "Socket:" 16 (256)
  const wrapped = renderTableWriter(['info'], [['Active Socket: Connection refused']]).split('\n');
  assert.deepEqual(wrapped.slice(3, 5), ['| Active Socket: Connection |', '| refused                   |']);
  const word = 'x'.repeat(35);
  assert.equal(renderTableWriter(['info'], [[word]]).split('\n')[3], `| ${word} |`);
});
