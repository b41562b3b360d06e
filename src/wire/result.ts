/**
 * The result every wire parser returns. Parsers never throw on input (a packet from the network is data,
 * not a bug): they return `{ ok: false, error }` naming the protocol, the field, the byte offset, a
 * machine-readable code and a reason for people. Callers decide on `code`, never on the reason's text.
 * `throw` is kept for caller bugs, such as emitting into a buffer that is too small.
 */

/**
 * What kind of wrong the bytes are, for callers to act on (a drop reason, an answer):
 * - `truncated`: fewer bytes than the format or one of its length fields needs;
 * - `bad-checksum`: the checksum does not verify;
 * - `bad-length`: a length field is below its minimum or disagrees with the rest of the header;
 * - `bad-value`: a field holds a value the format forbids (IP version not 4, a reserved bit, an unknown op);
 * - `unsupported`: well-formed, but not a variant podnet handles (ARP over non-Ethernet, 802.3 length frames);
 * - `malformed`: anything else; protocols with their own error codes say more (DNS `formerr`, HTTP `status`).
 */
export type WireErrorCode = 'truncated' | 'bad-checksum' | 'bad-length' | 'bad-value' | 'unsupported' | 'malformed';

/** Why some bytes are not a valid packet of `protocol`: the offending field and its offset in the input. */
export interface WireError {
  readonly protocol: string;
  readonly field: string;
  readonly offset: number;
  /** What kind of wrong: decide on this. */
  readonly code: WireErrorCode;
  /** The explanation for people (traces, messages): never match on its text. */
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
export function fail(protocol: string, field: string, offset: number, code: WireErrorCode, reason: string): WireFail {
  return { ok: false, error: { protocol, field, offset, code, reason } };
}

/** Throws the RangeError for emitting `need` bytes at `off` into `buf`, when they do not fit (a caller bug). */
export function assertRoom(protocol: string, buf: Uint8Array, off: number, need: number): void {
  if (!(off >= 0 && off + need <= buf.length)) {
    throw new RangeError(`${protocol}: emit needs ${need} bytes at offset ${off}, buffer has ${buf.length}`);
  }
}
