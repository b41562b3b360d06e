import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { civilTime } from './civil-time.js';

test('civilTime agrees with the JavaScript Date in UTC, from 1900 to 2400', () => {
  fc.assert(
    fc.property(fc.integer({ min: -2_208_988_800, max: 13_574_563_200 }), (secs) => {
      const d = new Date(secs * 1000);
      assert.deepEqual(civilTime(secs), {
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hour: d.getUTCHours(),
        minute: d.getUTCMinutes(),
        second: d.getUTCSeconds(),
        weekday: d.getUTCDay(),
      });
    }),
    { numRuns: 2000 },
  );
  // a leap day and the epoch, written out
  assert.deepEqual(civilTime(951782400), { year: 2000, month: 2, day: 29, hour: 0, minute: 0, second: 0, weekday: 2 });
  assert.equal(civilTime(0).weekday, 4);
});
