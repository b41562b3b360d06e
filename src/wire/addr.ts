/**
 * Addresses as numbers. A MAC (48 bits) and an IPv4 address (32 bits, unsigned) both fit in a JS number
 * exactly, so the hot path keys its tables by number and never builds strings. Text forms are for people.
 */

/** A 48-bit MAC address held as an unsigned integer (0 .. 2^48-1). */
export type Mac = number;
/** An IPv4 address held as an unsigned 32-bit integer. */
export type Ipv4 = number;

/** ff:ff:ff:ff:ff:ff. */
export const MAC_BROADCAST: Mac = 0xffff_ffff_ffff;

/** 01:00:5e:00:00:01, the Ethernet multicast address of 224.0.0.1, all hosts (RFC 1112 6.4). */
export const MAC_ALL_HOSTS: Mac = 0x01_00_5e_00_00_01;

/** 33:33:00:00:00:01, the Ethernet multicast address of ff02::1, all nodes (RFC 2464 7). */
export const MAC_ALL_NODES_V6: Mac = 0x33_33_00_00_00_01;

/** Reads 6 bytes at `off` as a MAC number. Caller guarantees bounds. */
export function readMac(buf: Uint8Array, off: number): Mac {
  const hi = (buf[off]! << 8) | buf[off + 1]!;
  const lo = ((buf[off + 2]! << 24) | (buf[off + 3]! << 16) | (buf[off + 4]! << 8) | buf[off + 5]!) >>> 0;
  return hi * 0x1_0000_0000 + lo;
}

/** Writes a MAC number as 6 bytes at `off`. */
export function writeMac(buf: Uint8Array, off: number, mac: Mac): void {
  const hi = Math.floor(mac / 0x1_0000_0000);
  const lo = mac >>> 0;
  buf[off] = hi >>> 8;
  buf[off + 1] = hi & 0xff;
  buf[off + 2] = lo >>> 24;
  buf[off + 3] = (lo >>> 16) & 0xff;
  buf[off + 4] = (lo >>> 8) & 0xff;
  buf[off + 5] = lo & 0xff;
}

/** True for a group (multicast or broadcast) MAC: the I/G bit, the low bit of the first octet. */
export function isGroupMac(mac: Mac): boolean {
  return Math.floor(mac / 0x100_0000_0000) % 2 === 1;
}

/** Reads 4 bytes at `off` as an unsigned IPv4 number. */
export function readIpv4(buf: Uint8Array, off: number): Ipv4 {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/** Writes an IPv4 number as 4 bytes at `off`. */
export function writeIpv4(buf: Uint8Array, off: number, ip: Ipv4): void {
  buf[off] = ip >>> 24;
  buf[off + 1] = (ip >>> 16) & 0xff;
  buf[off + 2] = (ip >>> 8) & 0xff;
  buf[off + 3] = ip & 0xff;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** aa:bb:cc:dd:ee:ff. */
export function formatMac(mac: Mac): string {
  const hi = Math.floor(mac / 0x1_0000_0000);
  const lo = mac >>> 0;
  return `${HEX[hi >>> 8]}:${HEX[hi & 0xff]}:${HEX[lo >>> 24]}:${HEX[(lo >>> 16) & 0xff]}:${HEX[(lo >>> 8) & 0xff]}:${HEX[lo & 0xff]}`;
}

/** Parses aa:bb:cc:dd:ee:ff (or with '-'); undefined when malformed. */
export function parseMac(text: string): Mac | undefined {
  const m =
    /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(
      text.trim(),
    );
  if (!m) return undefined;
  let v = 0;
  for (let i = 1; i <= 6; i++) v = v * 256 + parseInt(m[i]!, 16);
  return v;
}

/** Dotted quad. */
export function formatIpv4(ip: Ipv4): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

/** Parses a dotted quad (no leading zeros, as inet_pton); undefined when malformed. */
export function parseIpv4(text: string): Ipv4 | undefined {
  // by hand: this runs for every address in every manifest and CNI result
  let v = 0;
  let part = -1;
  let digits = 0;
  let dots = 0;
  let i = 0;
  let end = text.length;
  while (i < end && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  while (
    end > i &&
    (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9 || text.charCodeAt(end - 1) === 10)
  )
    end--;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return undefined; // leading zero
      part = digits === 0 ? c - 48 : part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return undefined;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      v = v * 256 + part;
      digits = 0;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return (v * 256 + part) >>> 0;
}

/** The netmask of a prefix length, as an unsigned number (prefix 0 gives 0). */
export function prefixMask(len: number): Ipv4 {
  return len === 0 ? 0 : (0xffff_ffff << (32 - len)) >>> 0;
}

/** An IPv4 prefix such as 10.0.0.0/24. */
export interface Ipv4Prefix {
  readonly addr: Ipv4;
  readonly len: number;
}

/** Parses a.b.c.d/n (host bits are kept: "10.0.0.2/24" is an interface address). */
export function parseCidr(text: string): Ipv4Prefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIpv4(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (addr === undefined || !/^[0-9]{1,2}$/.test(lenText)) return undefined;
  const len = Number(lenText);
  if (len > 32) return undefined;
  return { addr, len };
}

/** a.b.c.d/n. */
export function formatCidr(p: Ipv4Prefix): string {
  return `${formatIpv4(p.addr)}/${p.len}`;
}

/** True when `ip` lies inside `prefix`. */
export function prefixContains(prefix: Ipv4Prefix, ip: Ipv4): boolean {
  const mask = prefixMask(prefix.len);
  return (ip & mask) >>> 0 === (prefix.addr & mask) >>> 0;
}
