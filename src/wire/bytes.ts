/**
 * Big-endian (network order, RFC 1700 "Data Notations") integer access to a Uint8Array, without a
 * DataView per packet. Callers guarantee bounds; out-of-range reads see zeros instead of throwing.
 */

/** Reads the 16-bit big-endian word at `off`. */
export function readU16(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 8) | buf[off + 1]!) & 0xffff;
}

/** Writes the low 16 bits of `v` big-endian at `off`. */
export function writeU16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 8;
  buf[off + 1] = v;
}

/** Reads the 32-bit big-endian word at `off` as an unsigned number. */
export function readU32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/** Writes the low 32 bits of `v` big-endian at `off`. */
export function writeU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = v >>> 16;
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
}
