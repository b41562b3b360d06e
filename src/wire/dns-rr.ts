/**
 * DNS resource records (RFC 1035 3.2, 4.1.3) and the typed RDATA of A, AAAA (RFC 3596), CNAME, NS, SOA,
 * PTR, SRV (RFC 2782) and TXT; any other type, or any type outside class IN, is kept as raw bytes (RFC 3597).
 * EDNS0's OPT pseudo-record is read here too but surfaces as the message's `edns` (dns.ts), not as a record.
 * Names and compression belong to dns-name.ts.
 */
import { readIpv4 } from './addr.js';
import { readU16, readU32 } from './bytes.js';
import { type DnsResult, type DnsWriter, dnsFail, readName } from './dns-name.js';

/** A: an IPv4 address (RFC 1035 3.4.1). */
export const DNS_TYPE_A = 1;
/** NS: an authoritative name server (RFC 1035 3.3.11). */
export const DNS_TYPE_NS = 2;
/** CNAME: the canonical name of an alias (RFC 1035 3.3.1). */
export const DNS_TYPE_CNAME = 5;
/** SOA: start of a zone of authority (RFC 1035 3.3.13). */
export const DNS_TYPE_SOA = 6;
/** PTR: a domain name pointer (RFC 1035 3.3.12). */
export const DNS_TYPE_PTR = 12;
/** MX: mail exchange (RFC 1035 3.3.9); kept raw here. */
export const DNS_TYPE_MX = 15;
/** TXT: character-strings (RFC 1035 3.3.14). */
export const DNS_TYPE_TXT = 16;
/** AAAA: an IPv6 address (RFC 3596). */
export const DNS_TYPE_AAAA = 28;
/** SRV: a service location (RFC 2782). */
export const DNS_TYPE_SRV = 33;
/** OPT: the EDNS0 pseudo-record (RFC 6891). */
export const DNS_TYPE_OPT = 41;
/** AXFR: a zone transfer request (RFC 5936). */
export const DNS_TYPE_AXFR = 252;
/** ANY ("*"): every type at a name (RFC 8482). */
export const DNS_TYPE_ANY = 255;
/** CLASS IN, the Internet (RFC 1035 3.2.4). */
export const DNS_CLASS_IN = 1;
/** CLASS CH, Chaos. */
export const DNS_CLASS_CH = 3;
/** QCLASS ANY (RFC 1035 3.2.5). */
export const DNS_CLASS_ANY = 255;

/** Mnemonics of the types podnet names (dig prints the rest as TYPEnnn, RFC 3597 5). */
const TYPE_NAMES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  13: 'HINFO',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  35: 'NAPTR',
  39: 'DNAME',
  41: 'OPT',
  43: 'DS',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  64: 'SVCB',
  65: 'HTTPS',
  99: 'SPF',
  251: 'IXFR',
  252: 'AXFR',
  255: 'ANY',
  257: 'CAA',
};
const TYPE_CODES: Record<string, number> = Object.fromEntries(
  Object.entries(TYPE_NAMES).map(([k, v]) => [v, Number(k)]),
);

/** The mnemonic of a type ("A", "SRV"), or "TYPE65280" for one without a name (RFC 3597 5). */
export function dnsTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

/** The code of a type mnemonic or TYPEnnn (case-insensitive); undefined if unknown. */
export function dnsTypeCode(text: string): number | undefined {
  const t = text.toUpperCase();
  if (TYPE_CODES[t] !== undefined) return TYPE_CODES[t];
  const m = /^TYPE([0-9]{1,5})$/.exec(t);
  return m !== null && Number(m[1]) <= 0xffff ? Number(m[1]) : undefined;
}

/** The mnemonic of a class ("IN"), or "CLASS4" (RFC 3597 5). */
export function dnsClassName(cls: number): string {
  return cls === 1
    ? 'IN'
    : cls === 3
      ? 'CH'
      : cls === 4
        ? 'HS'
        : cls === 254
          ? 'NONE'
          : cls === 255
            ? 'ANY'
            : `CLASS${cls}`;
}

/** The RDATA of a record, by type. `UNKNOWN` holds any other type (or any class other than IN) as raw bytes. */
export type DnsRData =
  | { readonly type: 'A'; readonly address: number }
  | { readonly type: 'AAAA'; readonly address: Uint8Array }
  | { readonly type: 'CNAME'; readonly target: string }
  | { readonly type: 'NS'; readonly target: string }
  | { readonly type: 'PTR'; readonly target: string }
  | {
      readonly type: 'SOA';
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    }
  | {
      readonly type: 'SRV';
      readonly priority: number;
      readonly weight: number;
      readonly port: number;
      readonly target: string;
    }
  | { readonly type: 'TXT'; readonly strings: readonly Uint8Array[] }
  | { readonly type: 'UNKNOWN'; readonly code: number; readonly data: Uint8Array };

/** A resource record. `ttl` is in seconds (RFC 2181 8: 0 .. 2^31-1). */
export interface DnsRecord {
  readonly name: string;
  readonly class: number;
  readonly ttl: number;
  readonly data: DnsRData;
}

/** The TYPE code of some RDATA. */
export function rdataTypeCode(d: DnsRData): number {
  switch (d.type) {
    case 'A':
      return DNS_TYPE_A;
    case 'AAAA':
      return DNS_TYPE_AAAA;
    case 'CNAME':
      return DNS_TYPE_CNAME;
    case 'NS':
      return DNS_TYPE_NS;
    case 'PTR':
      return DNS_TYPE_PTR;
    case 'SOA':
      return DNS_TYPE_SOA;
    case 'SRV':
      return DNS_TYPE_SRV;
    case 'TXT':
      return DNS_TYPE_TXT;
    case 'UNKNOWN':
      return d.code;
  }
}

/** Types this file parses into typed RDATA (class IN only). */
const TYPED = new Set([
  DNS_TYPE_A,
  DNS_TYPE_AAAA,
  DNS_TYPE_CNAME,
  DNS_TYPE_NS,
  DNS_TYPE_PTR,
  DNS_TYPE_SOA,
  DNS_TYPE_SRV,
  DNS_TYPE_TXT,
]);

/** True when records of `type` in `cls` are parsed into typed RDATA (others stay UNKNOWN). */
export function isTypedRData(type: number, cls: number): boolean {
  return cls === DNS_CLASS_IN && TYPED.has(type);
}

/** The fixed part after an owner name: TYPE, CLASS, TTL, RDLENGTH. */
export const DNS_RR_FIXED_LEN = 10;

/** One record as read, before the message decides what OPT means. */
export interface RawRecordRead {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  /** The TTL field as an unsigned 32-bit number (OPT reuses it for extended RCODE, version and flags). */
  readonly ttl: number;
  /** RDATA offset and length in the message. */
  readonly rdataOff: number;
  readonly rdataLen: number;
  readonly end: number;
}

/** Reads the owner, fixed fields and RDATA bounds of the record at `off`. */
export function readRecordHeader(msg: Uint8Array, off: number, field: string): DnsResult<RawRecordRead> {
  const n = readName(msg, off, `${field}.name`);
  if (!n.ok) return n;
  const p = n.value.end;
  if (p + DNS_RR_FIXED_LEN > msg.length)
    return dnsFail(field, p, `record fields cut short: ${msg.length - p} of ${DNS_RR_FIXED_LEN} bytes`);
  const rdataLen = readU16(msg, p + 8);
  const rdataOff = p + DNS_RR_FIXED_LEN;
  if (rdataOff + rdataLen > msg.length)
    return dnsFail(`${field}.rdlength`, p + 8, `RDLENGTH ${rdataLen} runs past the end of the message`);
  return {
    ok: true,
    value: {
      name: n.value.name,
      type: readU16(msg, p),
      class: readU16(msg, p + 2),
      ttl: readU32(msg, p + 4),
      rdataOff,
      rdataLen,
      end: rdataOff + rdataLen,
    },
  };
}

/**
 * Parses RDATA of `type` in `cls` at msg[off, off+len). Names inside may be compressed pointers into the
 * whole message (RFC 3597 4 allows it for the RFC 1035 types; SRV targets are accepted compressed too, as
 * BIND does). RDATA that does not fill its RDLENGTH exactly is FORMERR.
 */
export function parseRData(
  msg: Uint8Array,
  type: number,
  cls: number,
  off: number,
  len: number,
  field: string,
): DnsResult<DnsRData> {
  const end = off + len;
  if (!isTypedRData(type, cls)) return { ok: true, value: { type: 'UNKNOWN', code: type, data: msg.slice(off, end) } };
  const exact = <T extends DnsRData>(value: T, used: number): DnsResult<DnsRData> =>
    used === end
      ? { ok: true, value }
      : dnsFail(`${field}.rdata`, off, `${dnsTypeName(type)} RDATA uses ${used - off} of RDLENGTH ${len} bytes`);
  // a name inside RDATA must end inside it
  const nameIn = (at: number, what: string): DnsResult<{ name: string; end: number }> => {
    const r = readName(msg.subarray(0, end), at, `${field}.${what}`);
    return r;
  };
  switch (type) {
    case DNS_TYPE_A:
      if (len !== 4) return dnsFail(`${field}.rdata`, off, `A RDATA is ${len} bytes, not 4`);
      return { ok: true, value: { type: 'A', address: readIpv4(msg, off) } };
    case DNS_TYPE_AAAA:
      if (len !== 16) return dnsFail(`${field}.rdata`, off, `AAAA RDATA is ${len} bytes, not 16`);
      return { ok: true, value: { type: 'AAAA', address: msg.slice(off, end) } };
    case DNS_TYPE_CNAME:
    case DNS_TYPE_NS:
    case DNS_TYPE_PTR: {
      const n = nameIn(off, 'target');
      if (!n.ok) return n;
      const t = type === DNS_TYPE_CNAME ? 'CNAME' : type === DNS_TYPE_NS ? 'NS' : 'PTR';
      return exact({ type: t, target: n.value.name }, n.value.end);
    }
    case DNS_TYPE_SOA: {
      const m = nameIn(off, 'mname');
      if (!m.ok) return m;
      const r = nameIn(m.value.end, 'rname');
      if (!r.ok) return r;
      const p = r.value.end;
      if (p + 20 > end) return dnsFail(`${field}.rdata`, p, 'SOA counters cut short');
      return exact(
        {
          type: 'SOA',
          mname: m.value.name,
          rname: r.value.name,
          serial: readU32(msg, p),
          refresh: readU32(msg, p + 4),
          retry: readU32(msg, p + 8),
          expire: readU32(msg, p + 12),
          minimum: readU32(msg, p + 16),
        },
        p + 20,
      );
    }
    case DNS_TYPE_SRV: {
      if (len < 7) return dnsFail(`${field}.rdata`, off, `SRV RDATA of ${len} bytes is too short`);
      const t = nameIn(off + 6, 'target');
      if (!t.ok) return t;
      return exact(
        {
          type: 'SRV',
          priority: readU16(msg, off),
          weight: readU16(msg, off + 2),
          port: readU16(msg, off + 4),
          target: t.value.name,
        },
        t.value.end,
      );
    }
    default: {
      // TXT (RFC 1035 3.3.14): one or more <character-string>s, each a length byte and that many bytes
      if (len === 0) return dnsFail(`${field}.rdata`, off, 'TXT RDATA holds no character-string');
      const strings: Uint8Array[] = [];
      let p = off;
      while (p < end) {
        const n = msg[p]!;
        if (p + 1 + n > end) return dnsFail(`${field}.rdata`, p, `character-string of ${n} bytes runs past RDLENGTH`);
        strings.push(msg.slice(p + 1, p + 1 + n));
        p += 1 + n;
      }
      return { ok: true, value: { type: 'TXT', strings } };
    }
  }
}

/**
 * Appends a record. Names in NS, CNAME, PTR and SOA RDATA are compressed (RFC 3597 4 permits it for the RFC
 * 1035 types); SRV targets are not (RFC 2782: "name compression is not to be used for this field").
 * Throws RangeError on values that do not fit their fields (caller bugs).
 */
export function writeRecord(w: DnsWriter, r: DnsRecord): void {
  w.name(r.name, true);
  w.u16(rdataTypeCode(r.data));
  w.u16(r.class);
  w.u32(r.ttl);
  const lenAt = w.pos;
  w.u16(0);
  writeRData(w, r.data);
  const len = w.pos - lenAt - 2;
  if (len > 0xffff) throw new RangeError(`dns: RDATA of ${len} bytes exceeds 65535`);
  w.buf[lenAt] = len >>> 8;
  w.buf[lenAt + 1] = len;
}

function writeRData(w: DnsWriter, d: DnsRData): void {
  switch (d.type) {
    case 'A':
      w.u32(d.address);
      return;
    case 'AAAA':
      if (d.address.length !== 16) throw new RangeError(`dns: AAAA address of ${d.address.length} bytes`);
      w.bytes(d.address);
      return;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      w.name(d.target, true);
      return;
    case 'SOA':
      w.name(d.mname, true);
      w.name(d.rname, true);
      for (const v of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) w.u32(v);
      return;
    case 'SRV':
      w.u16(d.priority);
      w.u16(d.weight);
      w.u16(d.port);
      w.name(d.target, false, false);
      return;
    case 'TXT':
      if (d.strings.length === 0) throw new RangeError('dns: TXT needs at least one character-string');
      for (const s of d.strings) {
        if (s.length > 255) throw new RangeError(`dns: TXT character-string of ${s.length} bytes exceeds 255`);
        w.u8(s.length);
        w.bytes(s);
      }
      return;
    case 'UNKNOWN':
      w.bytes(d.data);
      return;
  }
}

// ---- convenience constructors, for zones and tests ------------------------------------------------------

const textBytes = new TextEncoder();

/** TXT RDATA from text, each string UTF-8 encoded (split by the caller into pieces of at most 255 bytes). */
export function txtData(...strings: string[]): DnsRData {
  return { type: 'TXT', strings: strings.map((s) => textBytes.encode(s)) };
}

/** Parses an IPv6 address in text (RFC 4291 2.2, including :: and a dotted IPv4 tail) into 16 bytes. */
export function parseIpv6(text: string): Uint8Array | undefined {
  const t = text.trim();
  if (!/^[0-9a-fA-F:.]+$/.test(t)) return undefined;
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const words = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const q = p.split('.');
        if (q.length !== 4 || q.some((x) => !/^(0|[1-9][0-9]{0,2})$/.test(x) || Number(x) > 255)) return undefined;
        out.push((Number(q[0]) << 8) | Number(q[1]), (Number(q[2]) << 8) | Number(q[3]));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >>> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/**
 * Text of an IPv6 address as glibc's inet_ntop prints it (what dig shows): lowercase hex without leading
 * zeros, the first longest run of two or more zero words as "::", and the last 32 bits dotted when the
 * address is IPv4-compatible (::a.b.c.d) or IPv4-mapped (::ffff:a.b.c.d).
 */
export function formatIpv6(a: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((a[2 * i]! << 8) | a[2 * i + 1]!);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (best < 0 || j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) best = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best >= 0 && i >= best && i < best + bestLen) {
      if (i === best) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      return `${out}${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
    }
    out += w[i]!.toString(16);
  }
  if (best >= 0 && best + bestLen === 8) out += ':';
  return out;
}
