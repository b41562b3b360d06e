/**
 * The Datastore on a real etcd v3 server, for emulated nodes spread over processes or machines that share
 * state the way flanneld and Calico do in production. It speaks etcd's HTTP/JSON gateway with Node's fetch
 * (gateway.ts), so it needs no gRPC library; every call is one POST, watches and keepalives are streams.
 *
 * How the interface maps onto etcd v3 (api/etcdserverpb/rpc.proto):
 * - get/list: Range, with range_end from clientv3's prefix rule; results come sorted by key.
 * - put: Put with prev_kv, so the stored key's createRevision and version are known without a second read.
 * - compareAndSwap: one Txn. "Must not exist" compares VERSION = 0 (as flannel's subnet claim does),
 *   "value equals" compares VALUE, "modRevision equals" compares MOD. Both branches end with a Range of the
 *   key, so the result carries the key as it is after the Txn.
 * - leases: LeaseGrant / LeaseRevoke; keepAlive opens the LeaseKeepAlive stream, sends one request, reads
 *   one answer (TTL 0 = the lease is gone) and closes it.
 * - watch: the Watch stream with one create_request; it counts as established at the `created` answer.
 * etcd's minimum lease TTL is 1.5 election timeouts rounded up: 2 s with default flags; a shorter TTL is
 * granted as that minimum.
 */
import { DatastoreError } from '../../control/datastore/types.js';
import type {
  CasExpectation,
  CasResult,
  Datastore,
  KeyValue,
  LeaseId,
  ListResult,
  PutOptions,
  Watch,
  WatchEvent,
  WatchOptions,
} from '../../control/datastore/types.js';
import {
  EtcdGateway,
  b64,
  int,
  prefixRangeEnd,
  unb64,
  type JsonDeleteRangeResponse,
  type JsonKeyValue,
  type JsonLeaseGrantResponse,
  type JsonLeaseKeepAliveResponse,
  type JsonPutResponse,
  type JsonRangeResponse,
  type JsonTxnResponse,
  type JsonWatchResponse,
} from './gateway.js';

/** Options of an etcd client. */
export interface EtcdV3Options {
  /** Deadline of one call in milliseconds (default 5000). */
  timeoutMs?: number;
}

/** A Datastore backed by the etcd server at `endpoint` (e.g. http://127.0.0.1:2379). */
export class EtcdV3Datastore implements Datastore {
  private readonly gw: EtcdGateway;
  private readonly timeoutMs: number;
  private closed = false;
  /** Open streams (watches, keepalives), aborted by close(). */
  private readonly streams = new Set<AbortController>();

  constructor(endpoint: string, opts: EtcdV3Options = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.gw = new EtcdGateway(endpoint.replace(/\/+$/, ''), this.timeoutMs);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const r = await this.call<JsonRangeResponse>('/v3/kv/range', { key: b64(key) });
    const kv = r.kvs?.[0];
    return kv === undefined ? undefined : toKeyValue(kv);
  }

  async list(prefix: string): Promise<ListResult> {
    const r = await this.call<JsonRangeResponse>('/v3/kv/range', prefixRangeEnd(prefix));
    return { kvs: (r.kvs ?? []).map(toKeyValue), revision: int(r.header.revision) };
  }

  async put(key: string, value: string, opts: PutOptions = {}): Promise<KeyValue> {
    const r = await this.call<JsonPutResponse>('/v3/kv/put', {
      key: b64(key),
      value: b64(value),
      lease: opts.lease,
      prev_kv: true,
    });
    const revision = int(r.header.revision);
    const prev = r.prev_kv;
    return {
      key,
      value,
      createRevision: prev === undefined ? revision : int(prev.create_revision),
      modRevision: revision,
      version: prev === undefined ? 1 : int(prev.version) + 1,
      ...(opts.lease !== undefined ? { lease: opts.lease } : {}),
    };
  }

  async delete(key: string): Promise<boolean> {
    const r = await this.call<JsonDeleteRangeResponse>('/v3/kv/deleterange', { key: b64(key) });
    return int(r.deleted) > 0;
  }

  async deletePrefix(prefix: string): Promise<number> {
    const r = await this.call<JsonDeleteRangeResponse>('/v3/kv/deleterange', prefixRangeEnd(prefix));
    return int(r.deleted);
  }

  async compareAndSwap(
    key: string,
    expected: CasExpectation,
    value: string,
    opts: PutOptions = {},
  ): Promise<CasResult> {
    const k = b64(key);
    let compare: Record<string, unknown>;
    if ('modRevision' in expected) {
      if (!Number.isInteger(expected.modRevision) || expected.modRevision < 0)
        throw new DatastoreError('invalid', `compareAndSwap: bad modRevision ${expected.modRevision}`);
      compare = { key: k, target: 'MOD', result: 'EQUAL', mod_revision: String(expected.modRevision) };
    } else if (expected.value === undefined) {
      compare = { key: k, target: 'VERSION', result: 'EQUAL', version: '0' };
    } else {
      compare = { key: k, target: 'VALUE', result: 'EQUAL', value: b64(expected.value) };
    }
    const read = { request_range: { key: k } };
    const r = await this.call<JsonTxnResponse>('/v3/kv/txn', {
      compare: [compare],
      success: [{ request_put: { key: k, value: b64(value), lease: opts.lease } }, read],
      failure: [read],
    });
    const kv = r.responses?.at(-1)?.response_range?.kvs?.[0];
    return { succeeded: r.succeeded === true, current: kv === undefined ? undefined : toKeyValue(kv) };
  }

  async grantLease(ttlSeconds: number): Promise<LeaseId> {
    this.assertOpen();
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1)
      throw new DatastoreError(
        'invalid',
        `grantLease: TTL must be a positive whole number of seconds, got ${ttlSeconds}`,
      );
    const r = await this.call<JsonLeaseGrantResponse>('/v3/lease/grant', { TTL: String(ttlSeconds) });
    if (r.error || r.ID === undefined)
      throw new DatastoreError('unavailable', `etcd /v3/lease/grant: ${r.error || 'no lease id in the answer'}`);
    return r.ID;
  }

  async keepAlive(lease: LeaseId): Promise<boolean> {
    this.assertOpen();
    let ttl = 0;
    const ac = this.openStream();
    const timer = setTimeout(() => ac.abort(), this.timeoutMs);
    let answered = false;
    try {
      await this.gw.stream<JsonLeaseKeepAliveResponse>('/v3/lease/keepalive', { ID: lease }, ac.signal, (msg) => {
        ttl = int(msg.TTL);
        answered = true;
        return false; // one answer is all a keepAlive needs
      });
    } finally {
      clearTimeout(timer);
      this.streams.delete(ac);
    }
    if (!answered)
      throw new DatastoreError(
        this.closed ? 'closed' : 'unavailable',
        `etcd /v3/lease/keepalive: no answer for lease ${lease}`,
      );
    return ttl > 0;
  }

  async revokeLease(lease: LeaseId): Promise<boolean> {
    try {
      await this.call('/v3/lease/revoke', { ID: lease });
      return true;
    } catch (err) {
      if (err instanceof DatastoreError && err.code === 'lease-not-found') return false;
      throw err;
    }
  }

  async watch(prefix: string, onEvent: (ev: WatchEvent) => void, opts: WatchOptions = {}): Promise<Watch> {
    this.assertOpen();
    const start = opts.startRevision;
    if (start !== undefined && (!Number.isInteger(start) || start < 0))
      throw new DatastoreError('invalid', `watch: bad startRevision ${start}`);
    const ac = this.openStream();
    let active = true;
    const watch: Watch = {
      cancel: () => {
        active = false;
        this.streams.delete(ac);
        ac.abort();
      },
    };
    let established: (() => void) | undefined;
    const created = new Promise<void>((resolve) => (established = resolve));
    const request = {
      create_request: { ...prefixRangeEnd(prefix), ...(start ? { start_revision: String(start) } : {}) },
    };
    let createdSeen = false;
    const ended = this.gw.stream<JsonWatchResponse>('/v3/watch', request, ac.signal, (msg) => {
      if (msg.canceled) {
        const compacted = int(msg.compact_revision) > 0;
        throw new DatastoreError(
          compacted ? 'compacted' : 'unavailable',
          `etcd watch canceled: ${compacted ? `revision ${start} is compacted (oldest kept: ${msg.compact_revision})` : (msg.cancel_reason ?? 'no reason given')}`,
        );
      }
      if (msg.created) {
        createdSeen = true;
        established!();
      }
      for (const ev of msg.events ?? []) {
        if (!active) return false;
        onEvent(toWatchEvent(ev.type, ev.kv));
      }
      return active;
    });
    // the watch either gets established, or its stream fails first: whichever comes first settles `watch`
    const failed = ended.then(
      () => {
        if (!createdSeen && !ac.signal.aborted)
          throw new DatastoreError('unavailable', 'etcd watch: stream ended before the watch was created');
      },
      (err: unknown) => {
        const e = err instanceof DatastoreError ? err : new DatastoreError('unavailable', String(err));
        if (!createdSeen) throw e;
        if (active) {
          active = false;
          this.streams.delete(ac);
          opts.onError?.(e);
        }
      },
    );
    try {
      await Promise.race([created, failed]);
    } catch (err) {
      watch.cancel();
      throw err;
    }
    if (!createdSeen)
      throw new DatastoreError(this.closed ? 'closed' : 'unavailable', 'etcd watch: closed before it was created');
    return watch;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const ac of this.streams) ac.abort();
    this.streams.clear();
  }

  private async call<T>(path: string, body: unknown): Promise<T> {
    this.assertOpen();
    return this.gw.call<T>(path, body);
  }

  private openStream(): AbortController {
    const ac = new AbortController();
    this.streams.add(ac);
    return ac;
  }

  private assertOpen(): void {
    if (this.closed) throw new DatastoreError('closed', 'datastore is closed');
  }
}

function toKeyValue(kv: JsonKeyValue): KeyValue {
  return {
    key: unb64(kv.key),
    value: unb64(kv.value),
    createRevision: int(kv.create_revision),
    modRevision: int(kv.mod_revision),
    version: int(kv.version),
    ...(kv.lease !== undefined && kv.lease !== '0' ? { lease: kv.lease } : {}),
  };
}

function toWatchEvent(type: 'PUT' | 'DELETE' | undefined, kv: JsonKeyValue): WatchEvent {
  const key = unb64(kv.key);
  const revision = int(kv.mod_revision);
  if (type === 'DELETE') return { type: 'delete', key, revision };
  const { value, createRevision, version, lease } = toKeyValue(kv);
  return { type: 'put', key, value, revision, createRevision, version, ...(lease !== undefined ? { lease } : {}) };
}
