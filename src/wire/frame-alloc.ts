/**
 * Where frames get their bytes. `new Uint8Array(n)` costs about half a microsecond in V8 (a separate
 * zeroed backing store per array), more than a whole hop of podnet's forwarding path; a view into a shared
 * slab costs a tenth of that. Frames are bump-allocated from 256 KiB slabs that are never reused: a slab
 * is freed by the garbage collector once no frame in it is alive, so no ownership rules are needed.
 * The contents of a fresh frame are zero, as with `new Uint8Array`.
 */
import { carryFrameHash } from './frame-hash.js';

const SLAB_BYTES = 256 * 1024;
/** Frames larger than this get their own buffer (jumbo frames, reassembly). */
const MAX_SLAB_FRAME = 16 * 1024;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A zeroed byte array of `len` bytes for a frame or packet. */
export function allocFrame(len: number): Uint8Array {
  if (len > MAX_SLAB_FRAME) return new Uint8Array(len);
  if (used + len > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const f = new Uint8Array(slab, used, len);
  used += (len + 7) & ~7; // keep 8-byte alignment for the next frame
  return f;
}

/** A copy of `f` in a fresh frame (a flood's extra copies, a hub's repeats), with its flow hash (frame-hash.ts). */
export function copyFrame(f: Uint8Array): Uint8Array {
  const c = allocFrame(f.length);
  c.set(f);
  carryFrameHash(f, c);
  return c;
}
