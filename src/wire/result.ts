/**
 * The result every wire parser returns. Parsers never throw on input (a packet from the network is data,
 * not a bug): they return `{ ok: false, error }` naming the protocol, the field, the byte offset and why.
 * `throw` is kept for caller bugs, such as emitting into a buffer that is too small.
 */

/** Why some bytes are not a valid packet of `protocol`: the offending field and its offset in the input. */
export interface WireError {
  readonly protocol: string;
  readonly field: string;
  readonly offset: number;
  readonly reason: string;
}

/** A successful parse. */
export interface WireOk<T> {
  readonly ok: true;
  readonly value: T;
}

/** A failed parse. */
export interface WireFail {
  readonly ok: false;
  readonly error: WireError;
}

/** What a parser returns: the value, or why the bytes were rejected. */
export type WireResult<T> = WireOk<T> | WireFail;

/** Wraps a parsed value. */
export function ok<T>(value: T): WireOk<T> {
  return { ok: true, value };
}

/** Builds a rejection of `field` at byte `offset` of a `protocol` packet. */
export function fail(protocol: string, field: string, offset: number, reason: string): WireFail {
  return { ok: false, error: { protocol, field, offset, reason } };
}

/** Throws the RangeError for emitting `need` bytes at `off` into `buf`, when they do not fit (a caller bug). */
export function assertRoom(protocol: string, buf: Uint8Array, off: number, need: number): void {
  if (!(off >= 0 && off + need <= buf.length)) {
    throw new RangeError(`${protocol}: emit needs ${need} bytes at offset ${off}, buffer has ${buf.length}`);
  }
}
