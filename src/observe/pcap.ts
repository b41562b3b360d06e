/**
 * Classic libpcap capture files (not pcapng): a writer that appends frames stamped with simulated
 * nanosecond time, and a reader used by tests and tools. Owns only the file container; what the frames
 * mean belongs to wire/, and deciding which frames to capture belongs to whoever calls `write`.
 *
 * Format (https://www.tcpdump.org/manpages/pcap-savefile.5.html, draft-ietf-opsawg-pcap):
 *   global header, 24 bytes: magic u32, version_major u16, version_minor u16, thiszone i32,
 *     sigfigs u32, snaplen u32, linktype u32
 *   per record, 16 bytes: ts_sec u32, ts_frac u32 (µs or ns per the magic), incl_len u32, orig_len u32,
 *     then incl_len bytes of packet data.
 * The writer always emits the nanosecond magic 0xa1b23c4d in little-endian byte order.
 */
import { ChunkedFile, type ChunkSink } from './chunked.js';

/** Magic number of a microsecond-resolution pcap file. */
export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
/** Magic number of a nanosecond-resolution pcap file. */
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;
/** LINKTYPE_ETHERNET: IEEE 802.3 frames starting at the destination MAC, without FCS. */
export const LINKTYPE_ETHERNET = 1;
/** Default snapshot length; matches tcpdump's MAXIMUM_SNAPLEN. */
export const PCAP_DEFAULT_SNAPLEN = 262144;
/** Length of the file's global header. */
export const PCAP_GLOBAL_HEADER_LEN = 24;
/** Length of each record's header. */
export const PCAP_RECORD_HEADER_LEN = 16;

const NS_PER_SEC = 1_000_000_000;
/** First time (ns) whose seconds no longer fit the 32-bit ts_sec field. */
const MAX_TIME_NS = 0x1_0000_0000 * NS_PER_SEC;

/** Options for a PcapWriter. */
export interface PcapWriterOptions {
  /** Largest number of bytes kept per frame; longer frames are truncated (orig_len records the truth). */
  snaplen?: number;
  /** LINKTYPE_* value for every record in the file. */
  linktype?: number;
  /**
   * Streams the file instead of keeping it: each full chunk is handed to `sink`, which must consume it
   * before returning (the buffer is reused: fresh memory would cost page faults on every chunk). Call
   * `flush()` at the end. Keeps memory flat on long captures.
   */
  sink?: ChunkSink;
}

/**
 * Appends frames to an in-memory pcap file (nanosecond timestamps, little-endian). Storage is a list of
 * fixed-size chunks (chunked.ts), so a long capture never re-copies what it already holds. This sits on
 * the per-hop path when capturing.
 */
export class PcapWriter extends ChunkedFile {
  private count = 0;
  private readonly snaplen: number;

  /** Starts a file with its global header already written. */
  constructor(opts: PcapWriterOptions = {}) {
    super(opts.sink);
    const snaplen = opts.snaplen ?? PCAP_DEFAULT_SNAPLEN;
    const linktype = opts.linktype ?? LINKTYPE_ETHERNET;
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0xffff_ffff) {
      throw new RangeError(`pcap snaplen must be a positive 32-bit integer, got ${snaplen}`);
    }
    if (!Number.isInteger(linktype) || linktype < 0 || linktype > 0xffff_ffff) {
      throw new RangeError(`pcap linktype must be an unsigned 32-bit integer, got ${linktype}`);
    }
    this.snaplen = snaplen;
    const v = this.view;
    v.setUint32(0, PCAP_MAGIC_NANOS, true);
    v.setUint16(4, 2, true); // version_major
    v.setUint16(6, 4, true); // version_minor
    v.setInt32(8, 0, true); // thiszone: timestamps are already UTC (simulated)
    v.setUint32(12, 0, true); // sigfigs: always 0 in practice
    v.setUint32(16, snaplen, true);
    v.setUint32(20, linktype, true);
    this.pos = PCAP_GLOBAL_HEADER_LEN;
  }

  /** Appends one frame seen at simulated time `timeNs` (integer ns); the bytes are copied now. */
  write(timeNs: number, frame: Uint8Array): void {
    // one comparison on the hot path; the detailed checks only when it fails
    if (!(timeNs >= 0 && timeNs < MAX_TIME_NS) || timeNs % 1 !== 0) {
      if (timeNs >= MAX_TIME_NS) throw new RangeError(`pcap timestamp ${timeNs}ns overflows 32-bit seconds`);
      throw new RangeError(`pcap timestamp must be a non-negative integer of nanoseconds, got ${timeNs}`);
    }
    const sec = Math.floor(timeNs / NS_PER_SEC);
    const incl = Math.min(frame.length, this.snaplen);
    const need = PCAP_RECORD_HEADER_LEN + incl;
    if (this.pos + need > this.buf.length) this.nextChunk(need);
    const b = this.buf;
    let at = this.pos;
    const v = this.view;
    v.setUint32(at, sec, true);
    v.setUint32(at + 4, timeNs - sec * NS_PER_SEC, true);
    v.setUint32(at + 8, incl, true);
    v.setUint32(at + 12, frame.length, true);
    at += PCAP_RECORD_HEADER_LEN;
    b.set(incl === frame.length ? frame : frame.subarray(0, incl), at);
    this.pos = at + incl;
    this.count++;
  }

  /** Number of frames written so far. */
  get frameCount(): number {
    return this.count;
  }
}

/** Why a pcap file could not be read. */
export interface PcapError {
  /** Always 'pcap'. */
  protocol: 'pcap';
  /** The header field at fault, e.g. 'magic' or 'record[3].incl_len'. */
  field: string;
  /** Byte offset of that field in the file. */
  offset: number;
  /** What is wrong with it. */
  reason: string;
}

/** One captured frame. */
export interface PcapRecord {
  /** Timestamp in integer nanoseconds (µs files are scaled up). */
  timeNs: number;
  /** Length of the frame on the wire, before snaplen truncation. */
  origLen: number;
  /** Captured bytes (a view into the input; length incl_len). */
  data: Uint8Array;
}

/** A parsed pcap file. */
export interface PcapFile {
  /** LINKTYPE_* of the records. */
  linktype: number;
  /** True when timestamps were stored in nanoseconds. */
  nanos: boolean;
  /** Records in file order. */
  records: PcapRecord[];
}

/** Result of parsePcap. */
export type PcapParseResult = { ok: true; value: PcapFile } | { ok: false; error: PcapError };

function fail(field: string, offset: number, reason: string): PcapParseResult {
  return { ok: false, error: { protocol: 'pcap', field, offset, reason } };
}

/** Reads a classic pcap file (µs or ns magic, either byte order); never throws on input. */
export function parsePcap(bytes: Uint8Array): PcapParseResult {
  if (bytes.length < PCAP_GLOBAL_HEADER_LEN) {
    return fail('header', 0, `file is ${bytes.length} bytes, shorter than the 24-byte global header`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  let nanos: boolean;
  const magicLe = v.getUint32(0, true);
  const magicBe = v.getUint32(0, false);
  if (magicLe === PCAP_MAGIC_MICROS || magicLe === PCAP_MAGIC_NANOS) {
    le = true;
    nanos = magicLe === PCAP_MAGIC_NANOS;
  } else if (magicBe === PCAP_MAGIC_MICROS || magicBe === PCAP_MAGIC_NANOS) {
    le = false;
    nanos = magicBe === PCAP_MAGIC_NANOS;
  } else {
    return fail('magic', 0, `0x${magicBe.toString(16).padStart(8, '0')} is not a pcap magic number`);
  }
  const major = v.getUint16(4, le);
  if (major !== 2) return fail('version_major', 4, `version ${major} is not 2`);
  const snaplen = v.getUint32(16, le);
  const linktype = v.getUint32(20, le);
  const records: PcapRecord[] = [];
  const fracScale = nanos ? 1 : 1000;
  const fracLimit = nanos ? NS_PER_SEC : 1_000_000;
  let off = PCAP_GLOBAL_HEADER_LEN;
  while (off < bytes.length) {
    const i = records.length;
    if (bytes.length - off < PCAP_RECORD_HEADER_LEN) {
      return fail(`record[${i}]`, off, `${bytes.length - off} bytes left, shorter than a 16-byte record header`);
    }
    const sec = v.getUint32(off, le);
    const frac = v.getUint32(off + 4, le);
    const incl = v.getUint32(off + 8, le);
    const orig = v.getUint32(off + 12, le);
    if (frac >= fracLimit) {
      return fail(`record[${i}].ts_frac`, off + 4, `${frac} is not below ${fracLimit}`);
    }
    // Some writers set snaplen 0 or smaller than what they stored; only bound by the file itself.
    if (snaplen !== 0 && incl > Math.max(snaplen, PCAP_DEFAULT_SNAPLEN)) {
      return fail(`record[${i}].incl_len`, off + 8, `${incl} exceeds snaplen ${snaplen}`);
    }
    if (incl > orig) {
      return fail(`record[${i}].incl_len`, off + 8, `${incl} is larger than orig_len ${orig}`);
    }
    const dataAt = off + PCAP_RECORD_HEADER_LEN;
    if (bytes.length - dataAt < incl) {
      return fail(`record[${i}].data`, dataAt, `needs ${incl} bytes, only ${bytes.length - dataAt} left`);
    }
    records.push({
      timeNs: sec * NS_PER_SEC + frac * fracScale,
      origLen: orig,
      data: bytes.subarray(dataAt, dataAt + incl),
    });
    off = dataAt + incl;
  }
  return { ok: true, value: { linktype, nanos, records } };
}
