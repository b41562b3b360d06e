/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624): the ones' complement of the
 * ones' complement sum of 16-bit big-endian words. Used by IPv4, ICMP and UDP; the pseudo-header sums
 * belong to the protocols that need them (udp.ts).
 */

/**
 * Sums `len` bytes at `off` as 16-bit big-endian words (an odd last byte is padded with zero, RFC 1071
 * §4.1), adding to `initial`. Not folded: JS numbers hold the carries exactly, so sums of several buffers
 * (a pseudo-header, then a datagram) can be chained and folded once.
 */
export function onesComplementSum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  const end = off + (len & ~1);
  for (let i = off; i < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (len & 1) sum += buf[end]! << 8;
  return sum;
}

/** Folds the carries of `sum` back into 16 bits (end-around carry) and returns the checksum `~sum & 0xffff`. */
export function foldChecksum(sum: number): number {
  // `% 0x10000` and the division stay exact above 2^32, where `>>> 16` would not.
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The RFC 1071 checksum of `len` bytes at `off`; over bytes that include a correct checksum it is 0. */
export function internetChecksum(buf: Uint8Array, off: number, len: number): number {
  return foldChecksum(onesComplementSum(buf, off, len));
}

/**
 * RFC 1624 eqn 3, HC' = ~(~HC + ~m + m'): the checksum after one 16-bit word changes from `oldWord` to
 * `newWord`, without touching the rest of the data. It equals a full recomputation unless the data becomes
 * all zeros (then it gives 0x0000 where RFC 1071 gives 0xffff), which no IPv4 header can be.
 */
export function checksumAdjust(oldChecksum: number, oldWord: number, newWord: number): number {
  return foldChecksum((~oldChecksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff));
}
