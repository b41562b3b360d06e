/**
 * Helpers the protocol dissectors share: bounds-checked reads, field constructors, Wireshark's bit-pattern
 * labels ('.1.. .... = Don't fragment: Set') and value texts ('0x0800', colon hex). Reads past the end
 * return 0; dissectors check lengths first and mark a short layer malformed instead of reading past it.
 */
import type { DissectedField, DissectedLayer } from './types.js';

/** The byte at `off`, or 0 past the end. */
export function u8(f: Uint8Array, off: number): number {
  return f[off] ?? 0;
}

/** The big-endian 16-bit word at `off`. */
export function u16(f: Uint8Array, off: number): number {
  return (u8(f, off) << 8) | u8(f, off + 1);
}

/** The big-endian 24-bit word at `off`. */
export function u24(f: Uint8Array, off: number): number {
  return (u8(f, off) << 16) | u16(f, off + 1);
}

/** The big-endian unsigned 32-bit word at `off`. */
export function u32(f: Uint8Array, off: number): number {
  return ((u8(f, off) << 24) >>> 0) + (u8(f, off + 1) << 16) + u16(f, off + 2);
}

/** `v` as lower-case hex with at least `digits` digits and a 0x prefix ('0x0800'). */
export function hex(v: number, digits: number): string {
  return `0x${v.toString(16).padStart(digits, '0')}`;
}

/** Bytes as colon-separated hex ('08:00:00:01'), as PDML shows byte fields. */
export function colonHex(f: Uint8Array, off: number, len: number): string {
  const out: string[] = [];
  for (let i = off; i < off + len && i < f.length; i++) out.push(u8(f, i).toString(16).padStart(2, '0'));
  return out.join(':');
}

/** Bytes as plain hex ('0800000001'), as Wireshark's labels show byte fields. */
export function plainHex(f: Uint8Array, off: number, len: number): string {
  return colonHex(f, off, len).replaceAll(':', '');
}

/** Bytes as Latin-1 text (HTTP lines, DNS TXT). */
export function latin1(f: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = off; i < off + len && i < f.length; i++) s += String.fromCharCode(u8(f, i));
  return s;
}

/** A field. */
export function field(
  name: string,
  label: string,
  offset: number,
  length: number,
  value: string | number,
  children?: DissectedField[],
): DissectedField {
  const fl: DissectedField = { name, label, offset, length, value: String(value) };
  if (children !== undefined && children.length > 0) fl.children = children;
  return fl;
}

/**
 * Wireshark's bit pattern of `mask` over `bits` bits of `word`: the masked bits as 0/1, the others as '.',
 * in groups of four ('...0 0000 1011 0010').
 */
export function bitPattern(word: number, mask: number, bits: number): string {
  let s = '';
  for (let i = bits - 1; i >= 0; i--) {
    const bit = 2 ** i;
    const on = Math.floor(mask / bit) % 2 === 1;
    s += on ? String(Math.floor(word / bit) % 2) : '.';
    if (i > 0 && i % 4 === 0) s += ' ';
  }
  return s;
}

/** The value of `mask`'s bits in `word` (at most 32 bits), shifted down. */
export function masked(word: number, mask: number): number {
  let shift = 0;
  while (shift < 31 && ((mask >>> shift) & 1) === 0) shift++;
  return ((word & mask) >>> 0) >>> shift;
}

/**
 * A bit field over `length` bytes at `offset`: its label is Wireshark's pattern then `text`
 * ('0100 .... = Version: 4'). `bits` overrides the pattern width (TCP's 12-bit flags over 2 bytes).
 */
export function bitField(
  f: Uint8Array,
  name: string,
  text: string,
  offset: number,
  length: number,
  mask: number,
  value: string | number,
  bits = length * 8,
  wordOverride?: number,
): DissectedField {
  let word = 0;
  for (let i = 0; i < length; i++) word = word * 256 + u8(f, offset + i);
  const w = wordOverride ?? word;
  return { name, label: `${bitPattern(w, mask, bits)} = ${text}`, offset, length, value: String(value), bitmask: mask };
}

/** 'Set' or 'Not set', as Wireshark labels a boolean flag. */
export function setText(on: boolean): string {
  return on ? 'Set' : 'Not set';
}

/** A new layer. */
export function layer(id: string, title: string, offset: number, length: number): DissectedLayer {
  return { id, title, offset, length, fields: [] };
}

/** Marks `l` malformed (Wireshark's '[Malformed Packet]') and returns it. */
export function malformed(l: DissectedLayer, reason: string): DissectedLayer {
  l.error = `[Malformed Packet: ${reason}]`;
  return l;
}

/** A 'data' layer for `len` bytes at `off` (what no dissector claims), as Wireshark's Data item. */
export function dataLayer(f: Uint8Array, off: number, len: number): DissectedLayer {
  const l = layer('data', `Data (${len} bytes)`, off, len);
  const shown = plainHex(f, off, Math.min(len, 36));
  l.fields.push(field('data.data', `Data: ${shown}${len > 36 ? '…' : ''}`, off, len, colonHex(f, off, len)));
  return l;
}
