/**
 * etcd's HTTP/JSON gRPC gateway as plain fetch calls: the request and response shapes of the v3 API that
 * etcd-v3.ts uses, base64 for keys and values, unary calls and streamed calls, and the gateway's errors
 * turned into DatastoreErrors. What the calls mean belongs to etcd-v3.ts.
 *
 * Facts about the gateway this relies on (api/etcdserverpb/rpc.proto; checked against etcd 3.4.23, the
 * version Debian 12 ships as `etcd-server`):
 * - The prefix is /v3/ from 3.4 on (3.3 had /v3beta/, 3.2 and older /v3alpha/). Every call is a POST of
 *   the request message as JSON, with proto field names (`range_end`, `prev_kv`) and enum names as strings
 *   ("VALUE", "EQUAL"); the lease messages alone spell their fields `ID` and `TTL`.
 * - bytes fields (key, value, range_end) are base64; int64 fields (revisions, versions, lease ids, TTLs)
 *   are JSON strings. Fields at their zero value are left out of responses: an empty value has no `value`,
 *   a failed txn no `succeeded`, a key without a lease no `lease`, a PUT event no `type`.
 * - Unary errors come with an HTTP error status and `{"error": msg, "message": msg, "code": grpcCode}`,
 *   e.g. 404 and code 5 for "etcdserver: requested lease not found".
 * - Streaming calls (/v3/watch, /v3/lease/keepalive) answer 200 with one JSON object per line, each
 *   `{"result": <response>}` or `{"error": {...}}`; the request stream is the single POSTed message.
 */
import { Buffer } from 'node:buffer';
import { DatastoreError, type DatastoreErrorCode } from '../../control/datastore/types.js';

/** mvccpb.KeyValue as the gateway prints it. */
export interface JsonKeyValue {
  key: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  version?: string;
  lease?: string;
}

/** etcdserverpb.ResponseHeader (cluster_id, member_id and raft_term are not used). */
export interface JsonHeader {
  revision?: string;
}

/** RangeResponse. */
export interface JsonRangeResponse {
  header: JsonHeader;
  kvs?: JsonKeyValue[];
  count?: string;
}

/** PutResponse (with prev_kv requested). */
export interface JsonPutResponse {
  header: JsonHeader;
  prev_kv?: JsonKeyValue;
}

/** DeleteRangeResponse. */
export interface JsonDeleteRangeResponse {
  header: JsonHeader;
  deleted?: string;
}

/** TxnResponse: one ResponseOp per request of the branch taken. */
export interface JsonTxnResponse {
  header: JsonHeader;
  succeeded?: boolean;
  responses?: { response_range?: JsonRangeResponse; response_put?: JsonPutResponse }[];
}

/** LeaseGrantResponse. */
export interface JsonLeaseGrantResponse {
  header: JsonHeader;
  ID?: string;
  TTL?: string;
  error?: string;
}

/** LeaseKeepAliveResponse: TTL is absent (0) when the lease no longer exists. */
export interface JsonLeaseKeepAliveResponse {
  header: JsonHeader;
  ID?: string;
  TTL?: string;
}

/** mvccpb.Event. */
export interface JsonEvent {
  type?: 'PUT' | 'DELETE';
  kv: JsonKeyValue;
}

/** WatchResponse. */
export interface JsonWatchResponse {
  header: JsonHeader;
  watch_id?: string;
  created?: boolean;
  canceled?: boolean;
  compact_revision?: string;
  cancel_reason?: string;
  events?: JsonEvent[];
}

/** A gateway error body. */
interface JsonError {
  error?: string;
  message?: string;
  code?: number;
}

/** Text to the base64 of its UTF-8 bytes. */
export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** The base64 of UTF-8 bytes back to text; absent means empty (proto3 leaves empty bytes out). */
export function unb64(data: string | undefined): string {
  return data === undefined ? '' : Buffer.from(data, 'base64').toString('utf8');
}

/**
 * The range_end that makes [key, range_end) cover every key starting with `prefix` (clientv3's
 * GetPrefixRangeEnd): the prefix with its last byte below 0xff incremented and the rest dropped; "\0"
 * (every key from `key` on) when there is no such byte, e.g. for the empty prefix.
 */
export function prefixRangeEnd(prefix: string): { key: string; range_end: string } {
  const bytes = Buffer.from(prefix, 'utf8');
  let i = bytes.length - 1;
  while (i >= 0 && bytes[i] === 0xff) i--;
  if (i < 0) return { key: bytes.length === 0 ? 'AA==' : bytes.toString('base64'), range_end: 'AA==' };
  const end = Buffer.from(bytes.subarray(0, i + 1));
  end[i] = end[i]! + 1;
  return { key: bytes.toString('base64'), range_end: end.toString('base64') };
}

/** An int64 field as a number (0 when absent). */
export function int(field: string | undefined): number {
  return field === undefined ? 0 : Number(field);
}

/** Maps a gateway error to the datastore's codes. */
export function gatewayError(path: string, status: number, body: JsonError | undefined): DatastoreError {
  const msg = body?.message ?? body?.error ?? `HTTP ${status}`;
  let code: DatastoreErrorCode = 'unavailable';
  if (/lease not found/.test(msg)) code = 'lease-not-found';
  else if (/compacted/.test(msg)) code = 'compacted';
  else if (body?.code === 3) code = 'invalid'; // gRPC InvalidArgument
  return new DatastoreError(code, `etcd ${path}: ${msg}`);
}

/** A client of one etcd server's gateway. */
export class EtcdGateway {
  constructor(
    /** e.g. http://127.0.0.1:2379 */
    readonly endpoint: string,
    /** Deadline of a unary call. */
    private readonly timeoutMs = 5_000,
  ) {}

  /** POSTs `body` to `path` (e.g. '/v3/kv/range') and returns the parsed response. */
  async call<T>(path: string, body: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.endpoint + path, {
        method: 'POST',
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new DatastoreError('unavailable', `etcd ${path}: ${describe(err)}`);
    }
    const text = await res.text().catch(() => '');
    const parsed = parseJson(text);
    if (!res.ok) throw gatewayError(path, res.status, parsed as JsonError | undefined);
    if (parsed === undefined)
      throw new DatastoreError('unavailable', `etcd ${path}: response is not JSON: ${text.slice(0, 200)}`);
    return parsed as T;
  }

  /**
   * POSTs `body` to a streaming `path` and calls `onMessage` with each `result` until it returns false,
   * the stream ends, or `signal` aborts. Rejects with a DatastoreError on a failure other than the abort.
   */
  async stream<T>(path: string, body: unknown, signal: AbortSignal, onMessage: (msg: T) => boolean): Promise<void> {
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      const res = await fetch(this.endpoint + path, { method: 'POST', body: JSON.stringify(body), signal });
      if (!res.ok || res.body === null) {
        const text = await res.text().catch(() => '');
        throw gatewayError(path, res.status, parseJson(text) as JsonError | undefined);
      }
      reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line === '') continue;
          const msg = parseJson(line) as { result?: T; error?: JsonError } | undefined;
          if (msg?.error !== undefined || msg?.result === undefined)
            throw gatewayError(path, 200, msg?.error ?? { message: `bad stream message: ${line.slice(0, 200)}` });
          if (!onMessage(msg.result)) return;
        }
      }
      if (!signal.aborted) throw new DatastoreError('unavailable', `etcd ${path}: stream ended`);
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof DatastoreError) throw err;
      throw new DatastoreError('unavailable', `etcd ${path}: ${describe(err)}`);
    } finally {
      // closing the response cancels the server-side stream (watch or keepalive)
      reader?.cancel().catch(() => undefined);
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
