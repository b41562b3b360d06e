/**
 * The embedded store: the shared conformance suite on the simulation engine's clock, then what only the
 * simulated store promises: exact expiry instants, synchronous watch delivery, ordered delivery when a
 * callback writes, bounded history, and identical runs.
 */
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { Engine, SECOND } from '../../sim/engine.js';
import { runDatastoreConformance } from './conformance.js';
import { MemoryDatastore } from './memory.js';
import { DatastoreError, type WatchEvent } from './types.js';

let engine = new Engine();
runDatastoreConformance(
  'memory',
  {
    makeStore: async () => {
      engine = new Engine();
      return new MemoryDatastore(engine);
    },
    elapse: async (seconds) => engine.runFor(Math.round(seconds * SECOND)),
    leaseSlackSeconds: 0,
    until: async (cond, what) =>
      assert.ok(cond(), `${what}: not yet true, but the in-memory store delivers synchronously`),
  },
  test,
);

describe('memory datastore in simulated time', () => {
  it('expires a lease exactly TTL after grant, and TTL after the last keepAlive', () => {
    const e = new Engine();
    const s = new MemoryDatastore(e);
    const a = s.grantLeaseSync(2);
    s.putSync('/a', 'x', { lease: a });
    e.run(2 * SECOND - 1);
    assert.equal(s.getSync('/a')?.value, 'x');
    e.run(2 * SECOND);
    assert.equal(s.getSync('/a'), undefined);

    const b = s.grantLeaseSync(2); // granted at 2 s
    s.putSync('/b', 'x', { lease: b });
    e.run(3 * SECOND);
    assert.equal(s.keepAliveSync(b), true); // now expires at 5 s
    e.run(5 * SECOND - 1);
    assert.equal(s.getSync('/b')?.value, 'x');
    assert.equal(e.pendingEvents, 1, 'one expiry event per lease, however often it is kept alive');
    e.run(5 * SECOND);
    assert.equal(s.getSync('/b'), undefined);
    assert.equal(e.pendingEvents, 0);
  });

  it('calls watchers inside the call that made the change, and at the expiry instant', () => {
    const e = new Engine();
    const s = new MemoryDatastore(e);
    const seen: string[] = [];
    s.watchSync('/', (ev) => seen.push(`${ev.type} ${ev.key} @${e.now}`));
    s.putSync('/k', 'v', { lease: s.grantLeaseSync(3) });
    assert.deepEqual(seen, ['put /k @0']);
    e.run();
    assert.deepEqual(seen, ['put /k @0', `delete /k @${3 * SECOND}`]);
  });

  it('delivers a change made by a callback after the current event, to every watcher in revision order', () => {
    const s = new MemoryDatastore(new Engine());
    const first: number[] = [];
    const second: number[] = [];
    s.watchSync('/', (ev) => {
      first.push(ev.revision);
      if (ev.key === '/ping') s.putSync('/pong', 'reply');
    });
    s.watchSync('/', (ev) => second.push(ev.revision));
    const ping = s.putSync('/ping', 'x');
    assert.deepEqual(first, [ping.modRevision, ping.modRevision + 1]);
    assert.deepEqual(second, first);
  });

  it('a watch created in a callback gets only later changes, unless it asks for a start revision', () => {
    const s = new MemoryDatastore(new Engine());
    const late: string[] = [];
    const replay: string[] = [];
    s.watchSync('/', (ev) => {
      if (ev.key !== '/first') return;
      s.watchSync('/', (e2) => late.push(e2.key));
      s.watchSync('/', (e2) => replay.push(e2.key), { startRevision: ev.revision });
      s.putSync('/second', 'x');
    });
    s.putSync('/first', 'x');
    assert.deepEqual(late, ['/second']);
    assert.deepEqual(replay, ['/first', '/second']);
  });

  it('a throwing callback does not stop the other watchers; its error surfaces from the write', () => {
    const s = new MemoryDatastore(new Engine());
    const seen: string[] = [];
    s.watchSync('/', () => {
      throw new Error('callback bug');
    });
    s.watchSync('/', (ev) => seen.push(ev.key));
    assert.throws(() => s.putSync('/k', 'v'), /callback bug/);
    assert.deepEqual(seen, ['/k']);
    assert.equal(s.getSync('/k')?.value, 'v', 'the write itself was applied');
  });

  it('keeps historyLimit events for replay and reports older revisions as compacted', () => {
    const s = new MemoryDatastore(new Engine(), { historyLimit: 4 });
    for (let i = 0; i < 9; i++) s.putSync(`/k${i}`, String(i)); // revisions 2..10
    const events: WatchEvent[] = [];
    assert.throws(
      () => s.watchSync('/', (ev) => events.push(ev), { startRevision: 2 }),
      (err: unknown) => err instanceof DatastoreError && err.code === 'compacted',
    );
    s.watchSync('/', (ev) => events.push(ev), { startRevision: 7 });
    assert.deepEqual(
      events.map((ev) => ev.revision),
      [7, 8, 9, 10],
    );
  });

  it('lists every key for the empty prefix and resolves its promises with effects already applied', async () => {
    const s = new MemoryDatastore(new Engine());
    const put = s.put('/b', '2');
    assert.equal(s.getSync('/b')?.value, '2', 'applied before the promise is awaited');
    await put;
    await s.put('/a', '1');
    assert.deepEqual(
      (await s.list('')).kvs.map((kv) => kv.key),
      ['/a', '/b'],
    );
    assert.equal(s.revision, 3);
  });

  it('gives identical events in two runs of the same script', () => {
    const run = (): string[] => {
      const e = new Engine(7);
      const s = new MemoryDatastore(e);
      const log: string[] = [];
      s.watchSync('/coreos.com/network/subnets', (ev) => log.push(`${e.now} ${ev.type} ${ev.key} r${ev.revision}`));
      for (let i = 0; i < 5; i++) {
        e.schedule(i * SECOND, () => {
          const lease = s.grantLeaseSync(2 + e.stream('test:ttl').int(3));
          s.compareAndSwapSync(`/coreos.com/network/subnets/10.5.${i}.0-24`, { value: undefined }, '{}', { lease });
        });
      }
      e.run();
      return log;
    };
    const first = run();
    assert.equal(first.length, 10);
    assert.deepEqual(run(), first);
  });
});
