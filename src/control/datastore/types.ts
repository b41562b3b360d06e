/**
 * The datastore interface that control planes (flanneld, Calico) keep their shared state in: an etcd v3
 * style key space of string keys and values, with revisions, prefix watches, compare-and-swap and TTL
 * leases. This file owns the shapes and their contract; memory.ts implements it inside the simulation and
 * realtime/etcd/ implements it against a real etcd server. conformance.ts checks both against the same cases.
 *
 * The contract follows etcd v3 (api/etcdserverpb/rpc.proto, api/mvccpb/kv.proto):
 * - The store has one revision counter. Every change bumps it by exactly one; a change that touches several
 *   keys at once (deletePrefix, revoking or expiring a lease) gives all of them the same new revision.
 *   Operations that change nothing (deleting a missing key, revoking a lease with no keys) do not bump it.
 * - A key's createRevision is the revision that created it, modRevision the last one that changed it, and
 *   version counts its puts since creation (1 after the first). Deleting a key resets all three.
 * - A put attaches the key to the given lease, or detaches it when no lease is given. When a lease is
 *   revoked or its TTL passes without keepAlive, every key still attached to it is deleted.
 * - Prefixes are raw: watching "/a" also sees "/ab". Flannel's own prefixes are in flannel-keys.ts.
 */

/** A lease's id: a decimal string, because etcd's 64-bit ids do not fit a JS number exactly. */
export type LeaseId = string;

/** One key and its metadata, as etcd's mvccpb.KeyValue. */
export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** The revision that created the key (since it last did not exist). */
  readonly createRevision: number;
  /** The revision of the last change to the key. */
  readonly modRevision: number;
  /** Puts since creation: 1 after the first. */
  readonly version: number;
  /** The lease the key is attached to; absent when none. */
  readonly lease?: LeaseId;
}

/** The keys under a prefix, sorted by key, and the store's revision when they were read. */
export interface ListResult {
  readonly kvs: KeyValue[];
  /** The revision the list is a snapshot of: watch from `revision + 1` to miss nothing after it. */
  readonly revision: number;
}

/** Options of a write. */
export interface PutOptions {
  /** Attach the key to this lease (it must exist); without it the key is detached from any lease. */
  lease?: LeaseId;
}

/**
 * What a compare-and-swap requires of the key's current state:
 * `{ value: undefined }` the key must not exist; `{ value: 'x' }` it must exist with value 'x';
 * `{ modRevision: n }` its modRevision must be n (0 = must not exist, as in etcd).
 */
export type CasExpectation = { readonly value: string | undefined } | { readonly modRevision: number };

/** The outcome of a compare-and-swap. */
export interface CasResult {
  /** True when the expectation held and the new value was written. */
  readonly succeeded: boolean;
  /** The key after the operation: the written value on success, what blocked the swap on failure. */
  readonly current: KeyValue | undefined;
}

/** One change seen by a watch, stamped with the revision that made it. */
export type WatchEvent =
  | {
      readonly type: 'put';
      readonly key: string;
      readonly value: string;
      readonly revision: number;
      readonly createRevision: number;
      readonly version: number;
      readonly lease?: LeaseId;
    }
  | { readonly type: 'delete'; readonly key: string; readonly revision: number };

/** Options of a watch. */
export interface WatchOptions {
  /**
   * Deliver changes from this revision on, including past ones still in the store's history (etcd's
   * start_revision). Default: only changes after the watch is established.
   */
  startRevision?: number;
  /** Called once if the watch ends on its own (server gone, history compacted); no events follow. */
  onError?: (err: DatastoreError) => void;
}

/** A running watch. */
export interface Watch {
  /** Stops delivery: no callback runs after cancel returns. */
  cancel(): void;
}

/** Why a datastore operation failed. */
export type DatastoreErrorCode =
  /** The lease does not exist (never granted, revoked or expired). */
  | 'lease-not-found'
  /** A watch asked for revisions the store no longer keeps. */
  | 'compacted'
  /** The store was closed. */
  | 'closed'
  /** A caller bug: bad TTL, bad revision. */
  | 'invalid'
  /** The server failed or could not be reached (etcd only). */
  | 'unavailable';

/** A failed datastore operation; `code` says why. Promises of the Datastore reject with this. */
export class DatastoreError extends Error {
  /** Why it failed. */
  readonly code: DatastoreErrorCode;

  constructor(code: DatastoreErrorCode, message: string) {
    super(message);
    this.name = 'DatastoreError';
    this.code = code;
  }
}

/** An etcd v3 style key-value store; every implementation passes conformance.ts. */
export interface Datastore {
  /** The key, or undefined when it does not exist. */
  get(key: string): Promise<KeyValue | undefined>;
  /** Every key starting with `prefix` ('' = all keys), sorted by key (UTF-8 byte order, as etcd). */
  list(prefix: string): Promise<ListResult>;
  /** Writes the key and returns it as stored. Rejects with 'lease-not-found' for an unknown lease. */
  put(key: string, value: string, opts?: PutOptions): Promise<KeyValue>;
  /** Deletes the key; false when it did not exist. */
  delete(key: string): Promise<boolean>;
  /** Deletes every key starting with `prefix` in one revision; returns how many were deleted. */
  deletePrefix(prefix: string): Promise<number>;
  /** Writes `value` only if the key's current state meets `expected`, atomically. */
  compareAndSwap(key: string, expected: CasExpectation, value: string, opts?: PutOptions): Promise<CasResult>;
  /** Grants a lease that expires `ttlSeconds` (a positive integer) from now unless kept alive. */
  grantLease(ttlSeconds: number): Promise<LeaseId>;
  /** Restarts the lease's TTL from now; false when it no longer exists (grant a new one). */
  keepAlive(lease: LeaseId): Promise<boolean>;
  /** Revokes the lease, deleting its keys in one revision; false when it did not exist. */
  revokeLease(lease: LeaseId): Promise<boolean>;
  /**
   * Calls `onEvent` for every change to a key starting with `prefix`, in revision order. Resolves once
   * the watch is established: every change made after that is delivered.
   */
  watch(prefix: string, onEvent: (ev: WatchEvent) => void, opts?: WatchOptions): Promise<Watch>;
  /** Cancels every watch and rejects later calls with 'closed'. Leases are left to expire. */
  close(): Promise<void>;
}

/**
 * The clock a store in simulated time runs on: integer nanoseconds and one-shot callbacks. The sim
 * Engine satisfies it as is (`engine.now`, `engine.schedule`); realtime/wall-clock.ts adapts real time.
 */
export interface Clock {
  /** Current time in integer nanoseconds. */
  readonly now: number;
  /** Runs `fn` after `delayNs` (an integer >= 0) nanoseconds. */
  schedule(delayNs: number, fn: () => void): void;
}
