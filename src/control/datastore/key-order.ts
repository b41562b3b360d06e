/**
 * Key order as etcd has it. etcd sorts keys by their bytes; keys here are strings sent as UTF-8, and UTF-8
 * byte order equals Unicode code point order. JS's `<` compares UTF-16 code units instead, which disagrees
 * for characters above U+FFFF against U+E000..U+FFFF, so comparison goes by code point.
 */

/** Negative, zero or positive as `a` sorts before, with or after `b` in etcd's (UTF-8 byte) order. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // A surrogate (0xd800..0xdfff) stands for a code point above 0xffff, which sorts after every BMP unit.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}
