/** The wall clock drives the embedded datastore in real time: a short lease really expires. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryDatastore } from '../control/datastore/memory.js';
import { WallClock } from './wall-clock.js';

test('WallClock: time moves forward in nanoseconds and callbacks run no earlier than asked', async () => {
  const clock = new WallClock({ keepProcessAlive: true });
  const t0 = clock.now;
  const fired = await new Promise<number>((resolve) => clock.schedule(20_000_000, () => resolve(clock.now)));
  assert.ok(Number.isInteger(t0) && t0 >= 0);
  assert.ok(fired - t0 >= 20_000_000, `fired after ${fired - t0} ns`);
});

test('WallClock: the embedded datastore expires a 1 s lease in real time', async () => {
  const store = new MemoryDatastore(new WallClock());
  const lease = await store.grantLease(1);
  await store.put('/k', 'v', { lease });
  const deleted = new Promise<number>(
    (resolve) => void store.watch('/', (ev) => ev.type === 'delete' && resolve(ev.revision)),
  );
  const keepOpen = setTimeout(() => undefined, 5_000); // the store's own timers do not hold the process
  const revision = await deleted;
  clearTimeout(keepOpen);
  assert.equal(await store.get('/k'), undefined);
  assert.equal(revision, 3);
  await store.close();
});
