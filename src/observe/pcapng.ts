/**
 * pcapng capture files: one file holding many interfaces, so the whole network opens at once in
 * Wireshark (one interface per link). A streaming writer (chunked like pcap.ts, nothing allocated per
 * packet beyond the chunk) and a reader for tests and tools. Owns only the container; which frames go on
 * which interface belongs to capture.ts.
 *
 * Format (draft-ietf-opsawg-pcapng, "PCAP Now Generic"), every block: type u32, total length u32, body,
 * total length u32 again; bodies and option values padded to 32 bits with zeros. Written little-endian:
 *   Section Header Block (type 0x0A0D0D0A): byte-order magic 0x1A2B3C4D, major 1, minor 0,
 *     section length i64 (-1: not given), options.
 *   Interface Description Block (type 1): LinkType u16, reserved u16, SnapLen u32, options: if_name
 *     (code 2, UTF-8), if_tsresol (code 9, one byte: 9 = 10^-9 s, our clock being integer ns),
 *     opt_endofopt (code 0, length 0). Interface ids count IDBs in the section from 0.
 *   Enhanced Packet Block (type 6): interface id u32, timestamp high u32 and low u32 (one 64-bit count
 *     of the IDB's units), captured length u32, original length u32, data padded to 32 bits, options.
 */
import { ChunkedFile, type ChunkSink } from './chunked.js';
import { LINKTYPE_ETHERNET, PCAP_DEFAULT_SNAPLEN } from './pcap.js';

/** Block type of a Section Header Block (also reads the same in both byte orders). */
export const PCAPNG_SHB_TYPE = 0x0a0d0d0a;
/** Byte-order magic in the SHB body. */
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Block type of an Interface Description Block. */
export const PCAPNG_IDB_TYPE = 1;
/** Block type of an Enhanced Packet Block. */
export const PCAPNG_EPB_TYPE = 6;
/** Option code of if_name in an IDB. */
export const PCAPNG_OPT_IF_NAME = 2;
/** Option code of if_tsresol in an IDB. */
export const PCAPNG_OPT_IF_TSRESOL = 9;
/** Length of the SHB this writer emits (no options). */
export const PCAPNG_SHB_LEN = 28;
/** Length of an EPB without its padded data (no options). */
export const PCAPNG_EPB_OVERHEAD = 32;

const TWO_32 = 0x1_0000_0000;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Bytes of zero padding after `n` bytes to reach a multiple of 4. */
function pad4(n: number): number {
  return (4 - (n & 3)) & 3;
}

/** Options for a PcapngWriter. */
export interface PcapngWriterOptions {
  /** Largest number of bytes kept per frame, for every interface. */
  snaplen?: number;
  /** Streams the file: each full chunk goes to `sink` (see PcapWriterOptions.sink); `flush()` at the end. */
  sink?: ChunkSink;
}

/** One interface of a pcapng file: what a channel's `capture` field takes. */
export class PcapngInterface {
  /** Made by PcapngWriter.addInterface. */
  constructor(
    private readonly file: PcapngWriter,
    /** The interface id packets refer to (its IDB's index in the section). */
    readonly id: number,
    /** The if_name option. */
    readonly name: string,
  ) {}

  /** Appends one frame seen on this interface at `timeNs` (integer ns). */
  write(timeNs: number, frame: Uint8Array): void {
    this.file.writePacket(this.id, timeNs, frame);
  }
}

/** Appends interfaces and packets to a pcapng file of one section, little-endian, nanosecond stamps. */
export class PcapngWriter extends ChunkedFile {
  private count = 0;
  private interfaces = 0;
  private readonly snaplen: number;

  /** Starts a file with its Section Header Block written. */
  constructor(opts: PcapngWriterOptions = {}) {
    super(opts.sink);
    const snaplen = opts.snaplen ?? PCAP_DEFAULT_SNAPLEN;
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0xffff_ffff) {
      throw new RangeError(`pcapng snaplen must be a positive 32-bit integer, got ${snaplen}`);
    }
    this.snaplen = snaplen;
    const v = this.view;
    v.setUint32(0, PCAPNG_SHB_TYPE, true);
    v.setUint32(4, PCAPNG_SHB_LEN, true);
    v.setUint32(8, PCAPNG_BYTE_ORDER_MAGIC, true);
    v.setUint16(12, 1, true); // major
    v.setUint16(14, 0, true); // minor
    v.setInt32(16, -1, true); // section length -1 (64 bits of ones): not given, as a streamed file must
    v.setInt32(20, -1, true);
    v.setUint32(24, PCAPNG_SHB_LEN, true);
    this.pos = PCAPNG_SHB_LEN;
  }

  /** Adds an Ethernet interface named `name` (at any point: IDBs may follow packets of other interfaces). */
  addInterface(name: string): PcapngInterface {
    const nameBytes = textEncoder.encode(name);
    if (nameBytes.length > 0xffff) throw new RangeError(`pcapng if_name is ${nameBytes.length} bytes, over 65535`);
    const len = 16 + 4 + nameBytes.length + pad4(nameBytes.length) + 8 + 4 + 4;
    if (this.pos + len > this.buf.length) this.nextChunk(len);
    const v = this.view;
    let at = this.pos;
    v.setUint32(at, PCAPNG_IDB_TYPE, true);
    v.setUint32(at + 4, len, true);
    v.setUint16(at + 8, LINKTYPE_ETHERNET, true);
    v.setUint16(at + 10, 0, true); // reserved
    v.setUint32(at + 12, this.snaplen, true);
    at += 16;
    v.setUint16(at, PCAPNG_OPT_IF_NAME, true);
    v.setUint16(at + 2, nameBytes.length, true);
    this.buf.set(nameBytes, at + 4);
    at += 4 + nameBytes.length;
    this.buf.fill(0, at, at + pad4(nameBytes.length));
    at += pad4(nameBytes.length);
    v.setUint16(at, PCAPNG_OPT_IF_TSRESOL, true);
    v.setUint16(at + 2, 1, true);
    v.setUint32(at + 4, 9, true); // 10^-9 s, then three bytes of padding (little-endian: 09 00 00 00)
    v.setUint32(at + 8, 0, true); // opt_endofopt: code 0, length 0
    v.setUint32(at + 12, len, true);
    this.pos = at + 16;
    return new PcapngInterface(this, this.interfaces++, name);
  }

  /** Appends one frame on interface `id` at simulated time `timeNs` (integer ns); the bytes are copied now. */
  writePacket(id: number, timeNs: number, frame: Uint8Array): void {
    if (!(timeNs >= 0 && timeNs <= Number.MAX_SAFE_INTEGER) || timeNs % 1 !== 0) {
      throw new RangeError(`pcapng timestamp must be a non-negative integer of nanoseconds, got ${timeNs}`);
    }
    const incl = Math.min(frame.length, this.snaplen);
    const padded = incl + pad4(incl);
    const len = PCAPNG_EPB_OVERHEAD + padded;
    if (this.pos + len > this.buf.length) this.nextChunk(len);
    const v = this.view;
    const at = this.pos;
    const high = Math.floor(timeNs / TWO_32);
    v.setUint32(at, PCAPNG_EPB_TYPE, true);
    v.setUint32(at + 4, len, true);
    v.setUint32(at + 8, id, true);
    v.setUint32(at + 12, high, true);
    v.setUint32(at + 16, timeNs - high * TWO_32, true);
    v.setUint32(at + 20, incl, true);
    v.setUint32(at + 24, frame.length, true);
    this.buf.set(incl === frame.length ? frame : frame.subarray(0, incl), at + 28);
    // the chunk is reused when streaming: padding must be written, not assumed zero
    for (let i = at + 28 + incl; i < at + 28 + padded; i++) this.buf[i] = 0;
    v.setUint32(at + 28 + padded, len, true);
    this.pos = at + len;
    this.count++;
  }

  /** Number of packets written so far. */
  get frameCount(): number {
    return this.count;
  }

  /** Number of interfaces added so far. */
  get interfaceCount(): number {
    return this.interfaces;
  }
}

/** Why a pcapng file could not be read. */
export interface PcapngError {
  /** Always 'pcapng'. */
  protocol: 'pcapng';
  /** The field at fault, e.g. 'block[2].total_length'. */
  field: string;
  /** Byte offset of that field in the file. */
  offset: number;
  /** What is wrong with it. */
  reason: string;
}

/** One interface from an IDB. */
export interface PcapngInterfaceInfo {
  /** LINKTYPE_* of its packets. */
  linktype: number;
  /** SnapLen field. */
  snaplen: number;
  /** if_name, or '' when absent. */
  name: string;
  /** Power of ten of the timestamp unit (6 when if_tsresol is absent; base-2 resolutions are not read). */
  tsresol: number;
}

/** One packet from an EPB. */
export interface PcapngPacket {
  /** Index of its interface. */
  interfaceId: number;
  /** Timestamp in integer nanoseconds. */
  timeNs: number;
  /** Length on the wire. */
  origLen: number;
  /** Captured bytes (a view into the input). */
  data: Uint8Array;
}

/** A parsed pcapng file (one section). */
export interface PcapngFile {
  interfaces: PcapngInterfaceInfo[];
  packets: PcapngPacket[];
}

/** Result of parsePcapng. */
export type PcapngParseResult = { ok: true; value: PcapngFile } | { ok: false; error: PcapngError };

function fail(field: string, offset: number, reason: string): PcapngParseResult {
  return { ok: false, error: { protocol: 'pcapng', field, offset, reason } };
}

/**
 * Reads a single-section pcapng file of SHB, IDB and EPB blocks (either byte order; other block types are
 * skipped); never throws on input.
 */
export function parsePcapng(bytes: Uint8Array): PcapngParseResult {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < PCAPNG_SHB_LEN) return fail('shb', 0, `file is ${bytes.length} bytes, shorter than an SHB`);
  if (v.getUint32(0, true) !== PCAPNG_SHB_TYPE) return fail('shb.type', 0, 'not a Section Header Block');
  let le: boolean;
  if (v.getUint32(8, true) === PCAPNG_BYTE_ORDER_MAGIC) le = true;
  else if (v.getUint32(8, false) === PCAPNG_BYTE_ORDER_MAGIC) le = false;
  else return fail('shb.byte_order_magic', 8, `0x${v.getUint32(8, false).toString(16)} is not 0x1a2b3c4d`);
  const major = v.getUint16(12, le);
  if (major !== 1) return fail('shb.major_version', 12, `version ${major} is not 1`);
  const interfaces: PcapngInterfaceInfo[] = [];
  const packets: PcapngPacket[] = [];
  let off = 0;
  for (let i = 0; off < bytes.length; i++) {
    if (bytes.length - off < 12) return fail(`block[${i}]`, off, `${bytes.length - off} bytes left, under 12`);
    const type = v.getUint32(off, le);
    const len = v.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0 || len > bytes.length - off)
      return fail(`block[${i}].total_length`, off + 4, `${len} is not a multiple of 4 from 12 to what is left`);
    if (v.getUint32(off + len - 4, le) !== len)
      return fail(`block[${i}].total_length`, off + len - 4, 'the trailing total length differs from the leading one');
    const body = off + 8;
    const end = off + len - 4;
    if (type === PCAPNG_SHB_TYPE && i > 0) return fail(`block[${i}].type`, off, 'a second section is not supported');
    if (type === PCAPNG_IDB_TYPE) {
      if (end - body < 8) return fail(`block[${i}]`, body, 'IDB body shorter than 8 bytes');
      const info: PcapngInterfaceInfo = {
        linktype: v.getUint16(body, le),
        snaplen: v.getUint32(body + 4, le),
        name: '',
        tsresol: 6,
      };
      for (let o = body + 8; o + 4 <= end;) {
        const code = v.getUint16(o, le);
        const olen = v.getUint16(o + 2, le);
        if (code === 0) break;
        if (o + 4 + olen > end) return fail(`block[${i}].option[${code}]`, o + 2, `length ${olen} overruns the block`);
        if (code === PCAPNG_OPT_IF_NAME) info.name = textDecoder.decode(bytes.subarray(o + 4, o + 4 + olen));
        if (code === PCAPNG_OPT_IF_TSRESOL && olen >= 1) {
          const r = bytes[o + 4]!;
          if (r & 0x80) return fail(`block[${i}].if_tsresol`, o + 4, 'base-2 resolutions are not supported');
          info.tsresol = r;
        }
        o += 4 + olen + pad4(olen);
      }
      interfaces.push(info);
    } else if (type === PCAPNG_EPB_TYPE) {
      if (end - body < 20) return fail(`block[${i}]`, body, 'EPB body shorter than 20 bytes');
      const id = v.getUint32(body, le);
      const iface = interfaces[id];
      if (iface === undefined) return fail(`block[${i}].interface_id`, body, `no interface ${id} described before`);
      const ts = v.getUint32(body + 4, le) * TWO_32 + v.getUint32(body + 8, le);
      const incl = v.getUint32(body + 12, le);
      if (incl > end - (body + 20)) return fail(`block[${i}].captured_length`, body + 12, `${incl} overruns the block`);
      const r = iface.tsresol;
      packets.push({
        interfaceId: id,
        timeNs: r <= 9 ? ts * 10 ** (9 - r) : Math.floor(ts / 10 ** (r - 9)),
        origLen: v.getUint32(body + 16, le),
        data: bytes.subarray(body + 20, body + 20 + incl),
      });
    }
    off += len;
  }
  return { ok: true, value: { interfaces, packets } };
}
