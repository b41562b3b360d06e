/**
 * The embedded datastore: etcd v3's semantics (types.ts) in memory, on an injected Clock, so the same
 * scenario and seed give the same revisions, lease expiries and watch events every run. It is the default
 * store for an emulated cluster; realtime/etcd/ is the real-server alternative with the same behaviour.
 *
 * Inside a simulation every effect happens at the moment of the call: a put has been applied and its
 * watchers have been called by the time `put` returns its (already settled) promise, and a lease expires
 * in a clock event at exactly grant/keepAlive time + TTL. Code running in engine events cannot wait for a
 * promise (microtasks only run after the engine loop returns), so each operation also has a synchronous
 * twin (`putSync`, ...) that returns its result directly and throws DatastoreError.
 *
 * Watchers are called in revision order. A callback that writes does not re-enter delivery: its change is
 * queued and delivered to every watcher after the current one, so each watcher still sees revisions in order.
 */
import { compareKeys } from './key-order.js';
import {
  DatastoreError,
  type CasExpectation,
  type CasResult,
  type Clock,
  type Datastore,
  type KeyValue,
  type LeaseId,
  type ListResult,
  type PutOptions,
  type Watch,
  type WatchEvent,
  type WatchOptions,
} from './types.js';

/** Tunables of the embedded store. */
export interface MemoryDatastoreOptions {
  /** Past events kept for watches with startRevision (etcd keeps them until compaction). Default 10000. */
  historyLimit?: number;
}

const NS_PER_SECOND = 1_000_000_000;

interface LeaseState {
  readonly id: LeaseId;
  readonly ttlNs: number;
  /** Absolute clock time (ns) at which the lease expires unless kept alive. */
  deadline: number;
  /** Keys currently attached. */
  readonly keys: Set<string>;
}

interface Watcher {
  readonly prefix: string;
  readonly onEvent: (ev: WatchEvent) => void;
  /** Events of earlier revisions are not for this watcher. */
  readonly minRevision: number;
  active: boolean;
}

/** The in-memory Datastore; see the module comment. */
export class MemoryDatastore implements Datastore {
  private readonly kvs = new Map<string, KeyValue>();
  private readonly leases = new Map<LeaseId, LeaseState>();
  private readonly watchers = new Set<Watcher>();
  // etcd's first revision is 1 (the empty store); the first change makes it 2.
  private rev = 1;
  private nextLeaseId = 1;
  private closed = false;
  private readonly historyLimit: number;
  /** Every event, in order; log[i] has sequence number logStart + i. */
  private log: WatchEvent[] = [];
  private logStart = 0;
  /** Highest revision whose events were dropped from the log. */
  private compactedRevision = 0;
  /** Sequence number of the next event to deliver; events from here on are queued. */
  private nextDelivery = 0;
  private delivering = false;

  constructor(
    private readonly clock: Clock,
    opts: MemoryDatastoreOptions = {},
  ) {
    this.historyLimit = opts.historyLimit ?? 10_000;
  }

  /** The store's current revision. */
  get revision(): number {
    return this.rev;
  }

  /** The key, or undefined. */
  getSync(key: string): KeyValue | undefined {
    this.assertOpen();
    return this.kvs.get(key);
  }

  /** Every key starting with `prefix`, sorted by key, and the current revision. */
  listSync(prefix: string): ListResult {
    this.assertOpen();
    const kvs = [...this.kvs.values()].filter((kv) => kv.key.startsWith(prefix));
    kvs.sort((a, b) => compareKeys(a.key, b.key));
    return { kvs, revision: this.rev };
  }

  /** Writes the key and returns it as stored; throws 'lease-not-found' for an unknown lease. */
  putSync(key: string, value: string, opts: PutOptions = {}): KeyValue {
    this.assertOpen();
    const lease = opts.lease === undefined ? undefined : this.leases.get(opts.lease);
    if (opts.lease !== undefined && lease === undefined) throw leaseNotFound(opts.lease);
    const old = this.kvs.get(key);
    const revision = ++this.rev;
    const kv: KeyValue = {
      key,
      value,
      createRevision: old?.createRevision ?? revision,
      modRevision: revision,
      version: (old?.version ?? 0) + 1,
      ...(lease ? { lease: lease.id } : {}),
    };
    if (old?.lease !== undefined) this.leases.get(old.lease)?.keys.delete(key);
    lease?.keys.add(key);
    this.kvs.set(key, kv);
    this.emit([
      {
        type: 'put',
        key,
        value,
        revision,
        createRevision: kv.createRevision,
        version: kv.version,
        ...(lease ? { lease: lease.id } : {}),
      },
    ]);
    return kv;
  }

  /** Deletes the key; false when it did not exist. */
  deleteSync(key: string): boolean {
    this.assertOpen();
    return this.deleteKeys(this.kvs.has(key) ? [key] : []) === 1;
  }

  /** Deletes every key starting with `prefix` in one revision; returns how many. */
  deletePrefixSync(prefix: string): number {
    this.assertOpen();
    return this.deleteKeys([...this.kvs.keys()].filter((k) => k.startsWith(prefix)));
  }

  /** Writes `value` if the key's current state meets `expected`. */
  compareAndSwapSync(key: string, expected: CasExpectation, value: string, opts: PutOptions = {}): CasResult {
    this.assertOpen();
    const cur = this.kvs.get(key);
    let holds: boolean;
    if ('modRevision' in expected) {
      if (!Number.isInteger(expected.modRevision) || expected.modRevision < 0)
        throw new DatastoreError('invalid', `compareAndSwap: bad modRevision ${expected.modRevision}`);
      // etcd compares a missing key's mod_revision as 0
      holds = (cur?.modRevision ?? 0) === expected.modRevision;
    } else {
      holds = expected.value === undefined ? cur === undefined : cur !== undefined && cur.value === expected.value;
    }
    if (!holds) return { succeeded: false, current: cur };
    return { succeeded: true, current: this.putSync(key, value, opts) };
  }

  /** Grants a lease expiring `ttlSeconds` from now. */
  grantLeaseSync(ttlSeconds: number): LeaseId {
    this.assertOpen();
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1)
      throw new DatastoreError(
        'invalid',
        `grantLease: TTL must be a positive whole number of seconds, got ${ttlSeconds}`,
      );
    const id = String(this.nextLeaseId++);
    const ttlNs = ttlSeconds * NS_PER_SECOND;
    this.leases.set(id, { id, ttlNs, deadline: this.clock.now + ttlNs, keys: new Set() });
    this.clock.schedule(ttlNs, () => this.checkExpiry(id));
    return id;
  }

  /** Restarts the lease's TTL from now; false when it no longer exists. */
  keepAliveSync(id: LeaseId): boolean {
    this.assertOpen();
    const lease = this.leases.get(id);
    if (lease === undefined) return false;
    if (this.clock.now >= lease.deadline) {
      // its expiry event is due at this very instant but has not run yet: the lease is already dead
      this.revokeSync(id);
      return false;
    }
    // the pending expiry event sees the later deadline and reschedules itself
    lease.deadline = this.clock.now + lease.ttlNs;
    return true;
  }

  /** Revokes the lease and deletes its keys in one revision; false when it did not exist. */
  revokeSync(id: LeaseId): boolean {
    this.assertOpen();
    const lease = this.leases.get(id);
    if (lease === undefined) return false;
    this.leases.delete(id);
    this.deleteKeys([...lease.keys]);
    return true;
  }

  /**
   * Starts a watch. With `startRevision`, past events from that revision on are replayed to `onEvent`
   * before this returns; throws 'compacted' when they are no longer kept.
   */
  watchSync(prefix: string, onEvent: (ev: WatchEvent) => void, opts: WatchOptions = {}): Watch {
    this.assertOpen();
    const start = opts.startRevision;
    if (start !== undefined && (!Number.isInteger(start) || start < 0))
      throw new DatastoreError('invalid', `watch: bad startRevision ${start}`);
    if (start !== undefined && start > 0 && start <= this.compactedRevision) {
      throw new DatastoreError(
        'compacted',
        `watch: revision ${start} is compacted (history kept after ${this.compactedRevision})`,
      );
    }
    const w: Watcher = {
      prefix,
      onEvent,
      minRevision: start !== undefined && start > 0 ? start : this.rev + 1,
      active: true,
    };
    this.watchers.add(w);
    if (start !== undefined && start > 0) {
      // replay what was already delivered to others; queued events reach w through the delivery loop
      for (let seq = this.logStart; seq < this.nextDelivery && w.active; seq++) {
        const ev = this.log[seq - this.logStart]!;
        if (ev.revision >= w.minRevision && ev.key.startsWith(prefix)) onEvent(ev);
      }
    }
    return {
      cancel: () => {
        w.active = false;
        this.watchers.delete(w);
      },
    };
  }

  get(key: string): Promise<KeyValue | undefined> {
    return settle(() => this.getSync(key));
  }
  list(prefix: string): Promise<ListResult> {
    return settle(() => this.listSync(prefix));
  }
  put(key: string, value: string, opts?: PutOptions): Promise<KeyValue> {
    return settle(() => this.putSync(key, value, opts));
  }
  delete(key: string): Promise<boolean> {
    return settle(() => this.deleteSync(key));
  }
  deletePrefix(prefix: string): Promise<number> {
    return settle(() => this.deletePrefixSync(prefix));
  }
  compareAndSwap(key: string, expected: CasExpectation, value: string, opts?: PutOptions): Promise<CasResult> {
    return settle(() => this.compareAndSwapSync(key, expected, value, opts));
  }
  grantLease(ttlSeconds: number): Promise<LeaseId> {
    return settle(() => this.grantLeaseSync(ttlSeconds));
  }
  keepAlive(lease: LeaseId): Promise<boolean> {
    return settle(() => this.keepAliveSync(lease));
  }
  revokeLease(lease: LeaseId): Promise<boolean> {
    return settle(() => this.revokeSync(lease));
  }
  watch(prefix: string, onEvent: (ev: WatchEvent) => void, opts?: WatchOptions): Promise<Watch> {
    return settle(() => this.watchSync(prefix, onEvent, opts));
  }
  close(): Promise<void> {
    this.closed = true;
    for (const w of this.watchers) w.active = false;
    this.watchers.clear();
    return Promise.resolve();
  }

  /** Deletes existing `keys` in one revision (none: no revision), in key order as etcd does. */
  private deleteKeys(keys: string[]): number {
    if (keys.length === 0) return 0;
    keys.sort(compareKeys);
    const revision = ++this.rev;
    for (const key of keys) {
      const lease = this.kvs.get(key)?.lease;
      if (lease !== undefined) this.leases.get(lease)?.keys.delete(key);
      this.kvs.delete(key);
    }
    this.emit(keys.map((key) => ({ type: 'delete', key, revision })));
    return keys.length;
  }

  /** The clock event of a lease's deadline: expire it, or wait for the deadline a keepAlive moved. */
  private checkExpiry(id: LeaseId): void {
    const lease = this.leases.get(id);
    if (this.closed || lease === undefined) return;
    const now = this.clock.now;
    if (now < lease.deadline) {
      this.clock.schedule(lease.deadline - now, () => this.checkExpiry(id));
      return;
    }
    this.revokeSync(id);
  }

  /** Appends events to the log and delivers everything queued, unless a delivery is already running. */
  private emit(events: WatchEvent[]): void {
    for (const ev of events) this.log.push(ev);
    if (this.delivering) return;
    this.delivering = true;
    let firstError: unknown;
    try {
      while (this.nextDelivery < this.logStart + this.log.length) {
        const ev = this.log[this.nextDelivery - this.logStart]!;
        this.nextDelivery++;
        for (const w of [...this.watchers]) {
          if (!w.active || ev.revision < w.minRevision || !ev.key.startsWith(w.prefix)) continue;
          try {
            w.onEvent(ev);
          } catch (err) {
            // a callback's bug must not stop the others from seeing the change; it surfaces afterwards
            firstError ??= err;
          }
        }
      }
    } finally {
      this.delivering = false;
    }
    this.trimLog();
    // rethrows what a watcher threw, as it was
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (firstError !== undefined) throw firstError;
  }

  /** Drops delivered events beyond historyLimit, whole revisions at a time, in batches (amortised O(1)). */
  private trimLog(): void {
    if (this.log.length < 2 * this.historyLimit) return;
    let drop = Math.min(this.log.length - this.historyLimit, this.nextDelivery - this.logStart);
    // never split a revision: back off to its first event
    while (drop > 0 && drop < this.log.length && this.log[drop]!.revision === this.log[drop - 1]!.revision) drop--;
    if (drop === 0) return;
    this.compactedRevision = this.log[drop - 1]!.revision;
    this.log = this.log.slice(drop);
    this.logStart += drop;
  }

  private assertOpen(): void {
    if (this.closed) throw new DatastoreError('closed', 'datastore is closed');
  }
}

function leaseNotFound(id: LeaseId): DatastoreError {
  return new DatastoreError('lease-not-found', `lease ${id} not found`);
}

/** Runs a synchronous operation and hands its outcome over as a settled promise. */
function settle<T>(op: () => T): Promise<T> {
  try {
    return Promise.resolve(op());
  } catch (err) {
    // passes on whatever the operation threw, unchanged
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(err);
  }
}
