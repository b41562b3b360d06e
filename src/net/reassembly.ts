/**
 * IPv4 reassembly at the destination (RFC 791 section 3.2, with RFC 815's hole list idea): fragments
 * are collected per (source, destination, protocol, identification) until every byte from 0 to the end
 * given by the last fragment is present. As Linux: a queue lives 30 s (ipfrag_time), overlapping fragments
 * discard the whole datagram (the kernel has done so since 4.19, against overlap attacks), and a datagram
 * over 65,535 bytes is refused.
 */
import { allocFrame } from '../wire/frame-alloc.js';
import { frameHash, setFrameHash } from '../wire/frame-hash.js';
import { readIpv4 } from '../wire/addr.js';

/** Linux's net.ipv4.ipfrag_time: 30 s. */
export const REASSEMBLY_TIMEOUT_NS = 30_000_000_000;

interface Piece {
  off: number;
  data: Uint8Array;
}

interface Queue {
  pieces: Piece[];
  /** Total payload length, known once the last fragment (MF clear) arrived. */
  total: number;
  /** The first fragment's IP header (for the rebuilt datagram). */
  header: Uint8Array | undefined;
  /** The first fragment as it arrived, header and 8 bytes: what an ICMP error about the datagram quotes. */
  quote: Uint8Array | undefined;
  /** The first fragment's flow hash: ip_frag_reasm morphs the head fragment into the datagram (skb_morph). */
  hash: number | undefined;
  expires: number;
  bytes: number;
}

/** What happened to one fragment. */
export type ReassemblyResult =
  { kind: 'pending' } | { kind: 'complete'; frame: Uint8Array; ipLen: number } | { kind: 'invalid'; reason: string };

/** Reassembly queues of one node. */
export class Reassembler {
  private readonly queues = new Map<string, Queue>();

  /** Datagrams whose queue expired, with their first fragment's quote if it came (for ICMP time exceeded code 1). */
  expire(now: number, onTimeout: (quote: Uint8Array | undefined, key: string) => void): void {
    for (const [k, q] of this.queues) {
      if (q.expires <= now) {
        this.queues.delete(k);
        onTimeout(q.quote, k);
      }
    }
  }

  /** Number of datagrams waiting. */
  get pending(): number {
    return this.queues.size;
  }

  /** Adds the fragment in `frame` (IP header at `ipOff`, `ipLen` bytes). */
  add(frame: Uint8Array, ipOff: number, ipLen: number, now: number): ReassemblyResult {
    const ihl = (frame[ipOff]! & 0x0f) * 4;
    const word = (frame[ipOff + 6]! << 8) | frame[ipOff + 7]!;
    const mf = (word & 0x2000) !== 0;
    const off = (word & 0x1fff) * 8;
    const len = ipLen - ihl;
    const key = `${readIpv4(frame, ipOff + 12)}|${readIpv4(frame, ipOff + 16)}|${frame[ipOff + 9]}|${(frame[ipOff + 4]! << 8) | frame[ipOff + 5]!}`;
    if (mf && len % 8 !== 0)
      return { kind: 'invalid', reason: `fragment payload of ${len} bytes is not a multiple of 8` };
    if (off + len > 65535 - ihl) return { kind: 'invalid', reason: 'reassembled datagram would exceed 65535 bytes' };
    let q = this.queues.get(key);
    if (q === undefined) {
      q = {
        pieces: [],
        total: -1,
        header: undefined,
        quote: undefined,
        hash: undefined,
        expires: now + REASSEMBLY_TIMEOUT_NS,
        bytes: 0,
      };
      this.queues.set(key, q);
    }
    for (const p of q.pieces) {
      if (off < p.off + p.data.length && p.off < off + len) {
        this.queues.delete(key);
        return {
          kind: 'invalid',
          reason: `fragment at ${off}..${off + len} overlaps ${p.off}..${p.off + p.data.length}: datagram discarded`,
        };
      }
    }
    if (!mf) {
      if (q.total >= 0 && q.total !== off + len) {
        this.queues.delete(key);
        return { kind: 'invalid', reason: 'two last fragments disagree on the length' };
      }
      q.total = off + len;
    }
    if (off === 0) {
      q.header = frame.slice(ipOff, ipOff + ihl);
      q.quote = frame.slice(ipOff, ipOff + Math.min(ipLen, ihl + 8));
      q.hash = frameHash(frame);
    }
    q.pieces.push({ off, data: frame.slice(ipOff + ihl, ipOff + ipLen) });
    q.bytes += len;
    if (q.total < 0 || q.bytes !== q.total || q.header === undefined) return { kind: 'pending' };
    this.queues.delete(key);
    const h = q.header;
    const total = h.length + q.total;
    const out = allocFrame(14 + total);
    out.set(h, 14);
    for (const p of q.pieces) out.set(p.data, 14 + h.length + p.off);
    // the whole datagram: length, no MF, offset 0, header checksum recomputed
    out[14 + 2] = total >>> 8;
    out[14 + 3] = total & 0xff;
    out[14 + 6] = h[6]! & 0x40; // keep only DF (h is at least a 20-byte header)
    out[14 + 7] = 0;
    out[14 + 10] = 0;
    out[14 + 11] = 0;
    let sum = 0;
    for (let i = 0; i < h.length; i += 2) sum += (out[14 + i]! << 8) | out[14 + i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const c = ~sum & 0xffff;
    out[14 + 10] = c >>> 8;
    out[14 + 11] = c & 0xff;
    if (q.hash !== undefined) setFrameHash(out, q.hash);
    return { kind: 'complete', frame: out, ipLen: total };
  }
}
