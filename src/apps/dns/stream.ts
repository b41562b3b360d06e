/**
 * DNS over a byte stream (RFC 1035 4.2.2, RFC 7766): each message is preceded by its length as two bytes,
 * big-endian. This file owns that framing as a pure function pair, the `ByteStream` interface every
 * stream transport implements (the TCP stack's connections, once wired), and an in-memory stream pair
 * driven by the engine. Servers and clients using it are in server.ts, resolver.ts and dig.ts.
 */
import type { Engine } from '../../sim/engine.js';
import type { Ipv4 } from '../../wire/addr.js';

/**
 * A reliable, ordered byte stream, as a TCP connection is to the application. Writes may be made before
 * the connection is established (the transport buffers them); data may arrive split or coalesced at any
 * byte boundary; `onEnd` fires once when the peer closes or the connection fails.
 */
export interface ByteStream {
  /** Queues bytes for the peer. The stream may keep a reference: do not reuse `bytes`. */
  write(bytes: Uint8Array): void;
  /** Sets the receiver of incoming bytes (a view valid during the call). */
  onData(handler: (chunk: Uint8Array) => void): void;
  /** Sets what runs once when the peer has closed (or the connection failed). */
  onEnd(handler: () => void): void;
  /** Closes our side. */
  end(): void;
}

/** Opens a stream to `dst`:`port` (a TCP connect), or returns undefined when the transport cannot. */
export type StreamConnector = (dst: Ipv4, port: number) => ByteStream | undefined;

/** The message with its 2-byte length prefix (RFC 1035 4.2.2). Throws above 65535 bytes (a caller bug). */
export function frameDnsMessage(message: Uint8Array): Uint8Array {
  if (message.length > 0xffff)
    throw new RangeError(`dns: a ${message.length}-byte message cannot be framed (max 65535)`);
  const out = new Uint8Array(2 + message.length);
  out[0] = message.length >>> 8;
  out[1] = message.length & 0xff;
  out.set(message, 2);
  return out;
}

/** What deframing found: whole messages, and the bytes of an incomplete one to keep for later. */
export interface Deframed {
  readonly messages: Uint8Array[];
  readonly rest: Uint8Array;
}

/**
 * Splits `buffered` (everything received and not yet consumed) into whole messages and the incomplete
 * rest. Pure: feed it `concat(rest, nextChunk)` next time. A zero length prefix yields an empty message
 * (the server answers nothing to it: it has no header).
 */
export function deframeDnsMessages(buffered: Uint8Array): Deframed {
  const messages: Uint8Array[] = [];
  let p = 0;
  while (buffered.length - p >= 2) {
    const len = (buffered[p]! << 8) | buffered[p + 1]!;
    if (buffered.length - p - 2 < len) break;
    messages.push(buffered.slice(p + 2, p + 2 + len));
    p += 2 + len;
  }
  return { messages, rest: buffered.slice(p) };
}

/** Appends `chunk` to `rest` (a new array). */
export function appendBytes(rest: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (rest.length === 0) return chunk.slice();
  const out = new Uint8Array(rest.length + chunk.length);
  out.set(rest);
  out.set(chunk, rest.length);
  return out;
}

/** Calls `onMessage` for every framed DNS message arriving on `stream` (RFC 7766 6.2.1: several per connection). */
export function readDnsMessages(stream: ByteStream, onMessage: (message: Uint8Array) => void): void {
  let rest: Uint8Array = new Uint8Array(0);
  stream.onData((chunk) => {
    const d = deframeDnsMessages(appendBytes(rest, chunk));
    rest = d.rest;
    for (const m of d.messages) onMessage(m);
  });
}

/** Options of an in-memory stream pair. */
export interface MemoryStreamOptions {
  /** ns from a write to its delivery (default 0: the next event). */
  latency: number;
  /** Deliver writes cut into pieces of at most this many bytes (default: whole), to exercise reassembly. */
  chunkSize: number;
}

/**
 * Two connected ByteStreams whose writes arrive at the other end after `latency` ns of simulated time,
 * in order: a stand-in for a TCP connection where none is needed (tests, and servers' own tests). Not a
 * model of TCP: no handshake, windows or loss.
 */
export function memoryStreamPair(engine: Engine, options: Partial<MemoryStreamOptions> = {}): [ByteStream, ByteStream] {
  const o: MemoryStreamOptions = { latency: 0, chunkSize: Number.POSITIVE_INFINITY, ...options };
  interface End {
    data: ((c: Uint8Array) => void) | undefined;
    end: (() => void) | undefined;
    closed: boolean;
    ended: boolean;
    pending: Uint8Array[];
  }
  const mk = (): End => ({ data: undefined, end: undefined, closed: false, ended: false, pending: [] });
  const ends: [End, End] = [mk(), mk()];
  const deliver = (to: End, chunk: Uint8Array): void => {
    if (to.data === undefined) to.pending.push(chunk);
    else to.data(chunk);
  };
  const finish = (to: End): void => {
    if (to.ended) return;
    to.ended = true;
    to.end?.();
  };
  const side = (me: End, peer: End): ByteStream => ({
    write(bytes) {
      if (me.closed) throw new Error('memory stream: write after end');
      for (let i = 0; i < bytes.length; i += Math.min(o.chunkSize, bytes.length)) {
        const piece = bytes.slice(i, Math.min(bytes.length, i + o.chunkSize));
        engine.schedule(o.latency, () => deliver(peer, piece));
      }
    },
    onData(handler) {
      me.data = handler;
      const queued = me.pending;
      me.pending = [];
      for (const c of queued) handler(c);
    },
    onEnd(handler) {
      me.end = handler;
      if (me.ended) handler();
    },
    end() {
      if (me.closed) return;
      me.closed = true;
      engine.schedule(o.latency, () => finish(peer));
    },
  });
  return [side(ends[0], ends[1]), side(ends[1], ends[0])];
}
