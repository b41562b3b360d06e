/**
 * The one conformance suite every Datastore implementation runs (STYLE.md rule 6): memory.test.ts against
 * the embedded store on a simulated clock, test/etcd.test.ts against a real etcd server. The cases are
 * etcd v3's contract as types.ts states it, checked with behaviour observed on etcd 3.4.
 *
 * This module is isomorphic like the rest of control/: it does not import node:test or node:assert. The
 * caller passes its test registrar, and the few checks needed are below (they throw ordinary Errors).
 * Each case works under its own key prefix and revokes what it granted, so one server can serve them all;
 * revisions are checked relative to each other, never as absolute numbers.
 */
import { compareKeys } from './key-order.js';
import { DatastoreError, type Datastore, type LeaseId, type WatchEvent } from './types.js';

/** How the suite drives one implementation. */
export interface ConformanceTarget {
  /** A new client for one case (memory: a new store; etcd: a new client of the shared server). */
  makeStore(): Promise<Datastore>;
  /** Lets `seconds` of the store's time pass: advance the simulated clock, or sleep. */
  elapse(seconds: number): Promise<void>;
  /** How late a lease may expire after its TTL: 0 in simulated time; etcd checks about every 500 ms. */
  leaseSlackSeconds: number;
  /**
   * Resolves once `cond()` holds, or rejects naming `what`. Simulated time: it must hold already, since
   * watchers are called synchronously; a real server: poll it for a few seconds.
   */
  until(cond: () => boolean, what: string): Promise<void>;
}

/** Registers one test, as node:test's `test` or `it` does. */
export type TestRegistrar = (name: string, fn: () => Promise<void>) => unknown;

/** The lease TTL the suite uses: etcd 3.4's minimum with default election settings. */
const TTL = 2;

/** Registers every conformance case for `name` through `test`. */
export function runDatastoreConformance(name: string, target: ConformanceTarget, test: TestRegistrar): void {
  let n = 0;
  const each = (title: string, body: (s: Datastore, p: string, leases: LeaseId[]) => Promise<void>): void => {
    const p = `/conformance/${++n}/`;
    test(`${name}: ${title}`, async () => {
      const s = await target.makeStore();
      const leases: LeaseId[] = [];
      try {
        await body(s, p, leases);
      } finally {
        // leave nothing that could expire into a later case's revisions
        for (const l of leases) await s.revokeLease(l).catch(() => false);
        await s.close();
      }
    });
  };

  each('put then get returns the value with createRevision, modRevision and version', async (s, p) => {
    equal(await s.get(`${p}a`), undefined, 'a missing key');
    const kv = await s.put(`${p}a`, '{"Network":"10.5.0.0/16"}');
    equal(
      kv,
      {
        key: `${p}a`,
        value: '{"Network":"10.5.0.0/16"}',
        createRevision: kv.modRevision,
        modRevision: kv.modRevision,
        version: 1,
      },
      'put result',
    );
    equal(await s.get(`${p}a`), kv, 'get after put');
    await s.put(`${p}empty`, '');
    equal((await s.get(`${p}empty`))?.value, '', 'an empty value');
    await s.put(`${p}unicode`, 'héllo ✓ 𝄞');
    equal((await s.get(`${p}unicode`))?.value, 'héllo ✓ 𝄞', 'a non-ASCII value');
  });

  each('list returns the keys under a prefix in key (UTF-8 byte) order with the revision', async (s, p) => {
    const inside = ['b', 'a/2', 'a/10', 'a', '\uffff', '𝄞', 'z'];
    for (const k of inside) await s.put(p + k, k);
    await s.put(p.slice(0, -1), 'the prefix without its slash');
    const last = await s.put(`${p.slice(0, -1)}x`, 'a sibling');
    const all = await s.list(p);
    // UTF-8 order: 'z' (7a) < U+FFFF (ef bf bf) < U+1D11E (f0 9d 84 9e), unlike UTF-16's '<'
    equal(
      all.kvs.map((kv) => kv.key.slice(p.length)),
      ['a', 'a/10', 'a/2', 'b', 'z', '\uffff', '𝄞'],
      'keys under the prefix',
    );
    equal(
      all.kvs.map((kv) => kv.value),
      ['a', 'a/10', 'a/2', 'b', 'z', '\uffff', '𝄞'],
      'values under the prefix',
    );
    equal(all.revision, last.modRevision, 'list revision is the store revision');
    equal(
      (await s.list(`${p}a/`)).kvs.map((kv) => kv.key),
      [`${p}a/10`, `${p}a/2`],
      'a narrower prefix',
    );
    equal((await s.list(`${p}nothing/`)).kvs, [], 'an empty prefix match');
    const sorted = [...inside].sort(compareKeys);
    equal(sorted, ['a', 'a/10', 'a/2', 'b', 'z', '\uffff', '𝄞'], 'compareKeys agrees with the store');
  });

  each('every change bumps the revision by one; a recreated key starts again at version 1', async (s, p) => {
    const a1 = await s.put(`${p}a`, '1');
    const a2 = await s.put(`${p}a`, '2');
    equal(
      [a2.createRevision, a2.modRevision, a2.version],
      [a1.createRevision, a1.modRevision + 1, 2],
      'second put of a',
    );
    const b = await s.put(`${p}b`, 'x');
    equal(b.modRevision, a2.modRevision + 1, 'put of b');
    equal(await s.delete(`${p}a`), true, 'delete of an existing key');
    equal(await s.delete(`${p}a`), false, 'delete of a missing key');
    const a3 = await s.put(`${p}a`, '3');
    // the delete took b + 1; deleting the missing key took nothing
    equal([a3.createRevision, a3.modRevision, a3.version], [b.modRevision + 2, b.modRevision + 2, 1], 'recreated a');
    equal((await s.list(p)).revision, a3.modRevision, 'store revision');
  });

  each('deletePrefix removes only the keys under the prefix, all in one revision', async (s, p) => {
    for (const k of ['d/2', 'd/1', 'd', 'e']) await s.put(p + k, k);
    const before = (await s.list(p)).revision;
    const events: WatchEvent[] = [];
    const w = await s.watch(p, (ev) => events.push(ev));
    equal(await s.deletePrefix(`${p}d/`), 2, 'keys deleted');
    equal(
      (await s.list(p)).kvs.map((kv) => kv.key),
      [`${p}d`, `${p}e`],
      'keys left',
    );
    await target.until(() => events.length >= 2, 'two delete events');
    const r = before + 1;
    equal(
      events,
      [
        { type: 'delete', key: `${p}d/1`, revision: r },
        { type: 'delete', key: `${p}d/2`, revision: r },
      ],
      'delete events',
    );
    equal(await s.deletePrefix(`${p}nothing/`), 0, 'deleting nothing');
    equal((await s.put(`${p}f`, 'f')).modRevision, r + 1, 'next revision after an empty deletePrefix');
    w.cancel();
  });

  each('compareAndSwap with "must not exist" creates once and then fails, returning the winner', async (s, p) => {
    const k = `${p}subnets/10.5.72.0-24`;
    const first = await s.compareAndSwap(k, { value: undefined }, 'first');
    equal(first.succeeded, true, 'first claim');
    equal(
      [first.current?.value, first.current?.version, first.current?.createRevision],
      ['first', 1, first.current?.modRevision],
      'first claim result',
    );
    const second = await s.compareAndSwap(k, { value: undefined }, 'second');
    equal(second, { succeeded: false, current: first.current }, 'second claim');
    equal((await s.get(k))?.value, 'first', 'value after the failed claim');
  });

  each('compareAndSwap with "value equals" swaps only that value', async (s, p) => {
    const k = `${p}k`;
    equal(await s.compareAndSwap(k, { value: 'v0' }, 'v1'), { succeeded: false, current: undefined }, 'missing key');
    equal(await s.get(k), undefined, 'still missing');
    const v0 = await s.put(k, 'v0');
    const ok = await s.compareAndSwap(k, { value: 'v0' }, 'v1');
    equal(
      ok,
      { succeeded: true, current: { ...v0, value: 'v1', modRevision: v0.modRevision + 1, version: 2 } },
      'matching value',
    );
    equal(await s.compareAndSwap(k, { value: 'v0' }, 'v2'), { succeeded: false, current: ok.current }, 'stale value');
  });

  each('compareAndSwap with "modRevision equals" (0 = must not exist)', async (s, p) => {
    const k = `${p}k`;
    const created = await s.compareAndSwap(k, { modRevision: 0 }, 'a');
    equal(created.succeeded, true, 'modRevision 0 on a missing key');
    const cur = created.current!;
    const ok = await s.compareAndSwap(k, { modRevision: cur.modRevision }, 'b');
    equal(
      [ok.succeeded, ok.current?.value, ok.current?.modRevision],
      [true, 'b', cur.modRevision + 1],
      'current modRevision',
    );
    equal(
      await s.compareAndSwap(k, { modRevision: cur.modRevision }, 'c'),
      { succeeded: false, current: ok.current },
      'stale modRevision',
    );
    equal((await s.compareAndSwap(k, { modRevision: 0 }, 'd')).succeeded, false, 'modRevision 0 on an existing key');
  });

  each('revoking a lease deletes its keys in one revision and tells watchers', async (s, p, leases) => {
    const lease = await s.grantLease(60);
    leases.push(lease);
    await s.put(`${p}l/1`, 'x', { lease });
    equal(
      (await s.compareAndSwap(`${p}l/2`, { value: undefined }, 'x', { lease })).current?.lease,
      lease,
      'CAS attaches the lease',
    );
    await s.put(`${p}l/3`, 'no lease');
    await s.put(`${p}l/4`, 'x', { lease });
    const l4 = await s.put(`${p}l/4`, 'rewritten without a lease');
    equal((await s.get(`${p}l/1`))?.lease, lease, 'attached key');
    equal([l4.lease, (await s.get(`${p}l/4`))?.lease], [undefined, undefined], 'a put without lease detaches');
    const events: WatchEvent[] = [];
    const w = await s.watch(p, (ev) => events.push(ev));
    equal(await s.revokeLease(lease), true, 'revoke');
    equal(
      (await s.list(p)).kvs.map((kv) => kv.key),
      [`${p}l/3`, `${p}l/4`],
      'keys left',
    );
    await target.until(() => events.length >= 2, 'two delete events');
    const r = l4.modRevision + 1;
    equal(
      events,
      [
        { type: 'delete', key: `${p}l/1`, revision: r },
        { type: 'delete', key: `${p}l/2`, revision: r },
      ],
      'delete events',
    );
    equal(await s.revokeLease(lease), false, 'second revoke');
    equal(await s.keepAlive(lease), false, 'keepAlive of a revoked lease');
    await rejectsWith(s.put(`${p}l/5`, 'x', { lease }), 'lease-not-found', 'put with a revoked lease');
    w.cancel();
  });

  each(`a lease's keys vanish ${TTL} s after its last keepAlive; watchers see the deletes`, async (s, p, leases) => {
    const dropped = await s.grantLease(TTL);
    const kept = await s.grantLease(TTL);
    leases.push(dropped, kept);
    await s.put(`${p}dropped`, 'x', { lease: dropped });
    const kv = await s.put(`${p}kept`, 'x', { lease: kept });
    const events: WatchEvent[] = [];
    const w = await s.watch(p, (ev) => events.push(ev));
    await target.elapse(1);
    equal((await s.list(p)).kvs.length, 2, 'both keys within the TTL');
    for (let i = 0; i < 3; i++) {
      equal(await s.keepAlive(kept), true, `keepAlive #${i + 1}`);
      if (i < 2) await target.elapse(1);
    }
    // t = 3 s: `dropped` expired at 2 s; `kept` was renewed at 1, 2 and 3 s, so it lives until 5 s
    await target.until(() => events.length >= 1, 'the expiry of the lease not kept alive');
    equal(events, [{ type: 'delete', key: `${p}dropped`, revision: kv.modRevision + 1 }], 'expiry event');
    equal(
      (await s.list(p)).kvs.map((e) => e.key),
      [`${p}kept`],
      'keys after the first expiry',
    );
    equal(await s.keepAlive(dropped), false, 'keepAlive after expiry');
    await target.elapse(TTL - 0.5);
    equal((await s.get(`${p}kept`))?.value, 'x', 'kept key half a second before its TTL');
    await target.elapse(0.5 + target.leaseSlackSeconds);
    await target.until(() => events.length >= 2, 'the expiry of the kept lease');
    equal(events[1], { type: 'delete', key: `${p}kept`, revision: kv.modRevision + 2 }, 'second expiry event');
    equal(await s.get(`${p}kept`), undefined, 'kept key after its TTL');
    w.cancel();
  });

  each('watch sees puts and deletes under its prefix in order, and nothing outside it', async (s, p) => {
    const events: WatchEvent[] = [];
    const w = await s.watch(`${p}w/`, (ev) => events.push(ev));
    const a1 = await s.put(`${p}w/a`, '1');
    await s.put(`${p}wx`, 'outside');
    await s.put(`${p}w`, 'outside');
    const a2 = await s.put(`${p}w/a`, '2');
    const b = await s.put(`${p}w/b`, '3', {});
    await s.delete(`${p}w/a`);
    await target.until(() => events.length >= 4, 'four events');
    equal(
      events,
      [
        {
          type: 'put',
          key: `${p}w/a`,
          value: '1',
          revision: a1.modRevision,
          createRevision: a1.modRevision,
          version: 1,
        },
        {
          type: 'put',
          key: `${p}w/a`,
          value: '2',
          revision: a2.modRevision,
          createRevision: a1.modRevision,
          version: 2,
        },
        { type: 'put', key: `${p}w/b`, value: '3', revision: b.modRevision, createRevision: b.modRevision, version: 1 },
        { type: 'delete', key: `${p}w/a`, revision: b.modRevision + 1 },
      ],
      'events',
    );
    w.cancel();
  });

  each('a cancelled watch gets no more events', async (s, p) => {
    const a: WatchEvent[] = [];
    const b: WatchEvent[] = [];
    const wa = await s.watch(p, (ev) => a.push(ev));
    const wb = await s.watch(p, (ev) => b.push(ev));
    await s.put(`${p}1`, '1');
    await target.until(() => a.length === 1 && b.length === 1, 'both watches see the first put');
    wa.cancel();
    await s.put(`${p}2`, '2');
    await s.put(`${p}3`, '3');
    await target.until(() => b.length === 3, 'the live watch sees the later puts');
    equal(
      a.map((ev) => ev.key),
      [`${p}1`],
      'events after cancel',
    );
    wb.cancel();
  });

  each('watch from list revision + 1 replays what changed since the list', async (s, p) => {
    await s.put(`${p}h/1`, 'one');
    const snap = await s.list(`${p}h/`);
    const two = await s.put(`${p}h/2`, 'two');
    await s.put(`${p}other`, 'outside');
    const one = await s.put(`${p}h/1`, 'one again');
    const events: WatchEvent[] = [];
    const w = await s.watch(`${p}h/`, (ev) => events.push(ev), { startRevision: snap.revision + 1 });
    await target.until(() => events.length >= 2, 'two replayed events');
    const three = await s.put(`${p}h/3`, 'three');
    await target.until(() => events.length >= 3, 'a live event after the replay');
    equal(
      events.map((ev) => [ev.key.slice(p.length), ev.revision]),
      [
        ['h/2', two.modRevision],
        ['h/1', one.modRevision],
        ['h/3', three.modRevision],
      ],
      'events',
    );
    w.cancel();
  });

  each('grantLease takes only a positive whole number of seconds', async (s) => {
    await rejectsWith(s.grantLease(0), 'invalid', 'TTL 0');
    await rejectsWith(s.grantLease(1.5), 'invalid', 'TTL 1.5');
  });

  each('close cancels watches and rejects later calls', async (s, p) => {
    await s.watch(p, () => undefined);
    await s.close();
    await rejectsWith(s.get(`${p}a`), 'closed', 'get after close');
    await rejectsWith(s.put(`${p}a`, 'x'), 'closed', 'put after close');
  });
}

/** Fails unless `actual` and `expected` are deeply equal (properties holding undefined count as absent). */
function equal(actual: unknown, expected: unknown, what: string): void {
  const a = canonical(actual);
  const e = canonical(expected);
  if (a !== e) throw new Error(`${what}:\n  expected ${e}\n  actual   ${a}`);
}

/** Fails unless `p` rejects with a DatastoreError of `code`. */
async function rejectsWith(p: Promise<unknown>, code: DatastoreError['code'], what: string): Promise<void> {
  let value: unknown;
  try {
    value = await p;
  } catch (err) {
    if (err instanceof DatastoreError && err.code === code) return;
    throw new Error(`${what}: expected DatastoreError '${code}', got ${String(err)}`);
  }
  throw new Error(`${what}: expected DatastoreError '${code}', but it resolved to ${canonical(value)}`);
}

/** JSON with object keys sorted and undefined properties dropped, so equal values print equal. */
function canonical(v: unknown): string {
  return (
    JSON.stringify(v, (_k, x: unknown) =>
      x !== null && typeof x === 'object' && !Array.isArray(x)
        ? Object.fromEntries(
            Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
          )
        : x,
    ) ?? 'undefined'
  );
}
