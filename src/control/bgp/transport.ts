/**
 * The byte transport a BGP speaker runs over (RFC 4271 §2: BGP uses TCP port 179), kept abstract so one
 * speaker runs over the emulated TCP (tcp-transport.ts) and over real sockets (realtime/), and tests can
 * join two speakers with a pipe. The speaker owns framing (session.ts); a transport only moves bytes.
 *
 * Contract every implementation keeps:
 * - `write` queues the bytes in order (it may copy them; the caller may reuse its array after the call).
 * - `onData` delivers received bytes in order, in chunks of any size (a chunk may hold part of a BGP
 *   message or several); the array is the listener's to keep.
 * - `onClose` fires once when the connection ends for any reason other than a local `close()` (peer FIN,
 *   reset, timeout), with a short reason for the log. After `close()` no callback fires.
 * - `close()` sends what was written before it (a NOTIFICATION must reach the peer) and then closes.
 * - Callbacks never run inside `write`, `close` or `connect` themselves; they come from later events.
 */
import type { Ipv4 } from '../../wire/addr.js';

/** One end of a BGP connection: an IPv4 address and a TCP port. */
export interface BgpEndpoint {
  readonly addr: Ipv4;
  readonly port: number;
}

/** An open connection carrying a BGP session's bytes. */
export interface BgpTransport {
  /** Our end (its address is the speaker's NEXT_HOP self toward this peer). */
  readonly local: BgpEndpoint;
  /** The peer's end. */
  readonly remote: BgpEndpoint;
  /** Queues bytes to send, in order. */
  write(bytes: Uint8Array): void;
  /** Sends what is queued, then closes; no callback fires afterwards. */
  close(): void;
  /** Receives bytes in order. One listener; a second call replaces the first. */
  onData(fn: (bytes: Uint8Array) => void): void;
  /** Called once when the peer or the network ends the connection. One listener. */
  onClose(fn: (reason: string) => void): void;
}

/** The outcome of `BgpConnector.connect`: an open transport, or why it failed ("refused", "timeout", ...). */
export type BgpConnectResult = { ok: true; transport: BgpTransport } | { ok: false; error: string };

/** A listening socket; `close` stops accepting (open transports stay open). */
export interface BgpListener {
  close(): void;
}

/** Opens and accepts BGP transports for one speaker (one per node: its TCP stack or the host's sockets). */
export interface BgpConnector {
  /**
   * Opens a connection to `remote`:`port`, from `local` if given (BIRD's `source address`), and calls `cb`
   * once, later, with the transport or the error.
   */
  connect(remote: Ipv4, port: number, local: Ipv4 | undefined, cb: (result: BgpConnectResult) => void): void;
  /** Accepts connections on `port`; each accepted one goes to `onAccept`. */
  listen(port: number, onAccept: (transport: BgpTransport) => void): BgpListener;
}
