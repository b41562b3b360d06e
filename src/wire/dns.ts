/**
 * DNS messages (RFC 1035 4.1): the 12-byte header, questions, the answer, authority and additional
 * sections, and EDNS0 (RFC 6891), whose OPT pseudo-record is lifted out of the additional section into
 * `edns`. Encoding compresses names and can truncate to a size limit, setting TC as RFC 2181 9 says.
 * Names and compression are dns-name.ts's; record types are dns-rr.ts's; transports (UDP, the TCP length
 * prefix) are the apps' (src/apps/dns/).
 */
import { readU16 } from './bytes.js';
import { type DnsResult, DnsWriter, dnsFail, readName } from './dns-name.js';
import { type DnsRecord, DNS_TYPE_OPT, parseRData, readRecordHeader, writeRecord } from './dns-rr.js';

export * from './dns-name.js';
export * from './dns-rr.js';

/** ID, flags, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT: 12 bytes. */
export const DNS_HEADER_LEN = 12;
/** ID offset. */
export const DNS_ID_OFF = 0;
/** Flags word offset: QR, Opcode, AA, TC, RD, RA, Z, AD, CD, RCODE. */
export const DNS_FLAGS_OFF = 2;
/** QDCOUNT offset (ANCOUNT, NSCOUNT, ARCOUNT follow, 2 bytes each). */
export const DNS_QDCOUNT_OFF = 4;
/** RFC 1035 4.2.1: a UDP message without EDNS is at most 512 bytes. */
export const DNS_UDP_MAX = 512;
/** RFC 1035 4.2.2: a TCP message is at most 65535 bytes (its length prefix is 16 bits). */
export const DNS_TCP_MAX = 0xffff;

/** Opcode QUERY, a standard query (RFC 1035 4.1.1). */
export const DNS_OPCODE_QUERY = 0;
/** Opcode IQUERY, obsolete (RFC 3425). */
export const DNS_OPCODE_IQUERY = 1;
/** Opcode STATUS. */
export const DNS_OPCODE_STATUS = 2;
/** Opcode NOTIFY (RFC 1996). */
export const DNS_OPCODE_NOTIFY = 4;
/** Opcode UPDATE (RFC 2136). */
export const DNS_OPCODE_UPDATE = 5;

/** RCODE NOERROR. */
export const DNS_RCODE_NOERROR = 0;
/** RCODE FORMERR: the server could not interpret the query. */
export const DNS_RCODE_FORMERR = 1;
/** RCODE SERVFAIL: the server failed. */
export const DNS_RCODE_SERVFAIL = 2;
/** RCODE NXDOMAIN: the name does not exist. */
export const DNS_RCODE_NXDOMAIN = 3;
/** RCODE NOTIMP: the kind of query is not supported. */
export const DNS_RCODE_NOTIMP = 4;
/** RCODE REFUSED: the server will not answer. */
export const DNS_RCODE_REFUSED = 5;
/** Extended RCODE BADVERS: EDNS version not supported (RFC 6891 6.1.3). */
export const DNS_RCODE_BADVERS = 16;
/** Extended RCODE BADCOOKIE (RFC 7873 8). */
export const DNS_RCODE_BADCOOKIE = 23;

/** EDNS option NSID (RFC 5001). */
export const EDNS_OPTION_NSID = 3;
/** EDNS option Client Subnet (RFC 7871). */
export const EDNS_OPTION_CLIENT_SUBNET = 8;
/** EDNS option EXPIRE (RFC 7314). */
export const EDNS_OPTION_EXPIRE = 9;
/** EDNS option COOKIE (RFC 7873). */
export const EDNS_OPTION_COOKIE = 10;
/** EDNS option TCP keepalive (RFC 7828). */
export const EDNS_OPTION_TCP_KEEPALIVE = 11;
/** EDNS option Padding (RFC 7830). */
export const EDNS_OPTION_PADDING = 12;

/** The header's flags and codes (the counts come from the sections). */
export interface DnsHeader {
  readonly id: number;
  /** Response (true) or query. */
  readonly qr: boolean;
  readonly opcode: number;
  /** Authoritative answer. */
  readonly aa: boolean;
  /** Truncated. */
  readonly tc: boolean;
  /** Recursion desired. */
  readonly rd: boolean;
  /** Recursion available. */
  readonly ra: boolean;
  /** The reserved bit (RFC 1035: must be zero; kept as read). */
  readonly z: boolean;
  /** Authentic data (RFC 4035 3.2.3; dig sets it in queries, RFC 6840 5.7). */
  readonly ad: boolean;
  /** Checking disabled (RFC 4035 3.2.2). */
  readonly cd: boolean;
  /** The low 4 bits of the response code; with EDNS the upper 8 are `edns.extendedRcode`. */
  readonly rcode: number;
}

/** A question (RFC 1035 4.1.2). */
export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

/** One EDNS option, kept raw (RFC 6891 6.1.2). */
export interface EdnsOption {
  readonly code: number;
  readonly data: Uint8Array;
}

/** EDNS0 as carried by the OPT pseudo-record (RFC 6891 6.1.3). */
export interface Edns {
  /** Requestor's UDP payload size (the OPT CLASS field). */
  readonly udpSize: number;
  /** Upper 8 bits of the 12-bit RCODE. */
  readonly extendedRcode: number;
  readonly version: number;
  /** DNSSEC OK (RFC 3225). */
  readonly dnssecOk: boolean;
  /** The other 15 flag bits ("Z", must be zero; kept as read). */
  readonly z: number;
  readonly options: readonly EdnsOption[];
}

/** A DNS message. `edns` is absent when the message has no OPT record. */
export interface DnsMessage extends DnsHeader {
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  /** Additional records other than OPT. */
  readonly additionals: readonly DnsRecord[];
  readonly edns?: Edns;
}

/** The 12-bit RCODE: header low bits plus EDNS upper bits. */
export function fullRcode(m: Pick<DnsMessage, 'rcode' | 'edns'>): number {
  return ((m.edns?.extendedRcode ?? 0) << 4) | m.rcode;
}

/** Reads the header, or undefined below 12 bytes. For servers that must echo the ID of a message that failed to parse. */
export function peekDnsHeader(buf: Uint8Array): DnsHeader | undefined {
  if (buf.length < DNS_HEADER_LEN) return undefined;
  const f = readU16(buf, DNS_FLAGS_OFF);
  return {
    id: readU16(buf, DNS_ID_OFF),
    qr: (f & 0x8000) !== 0,
    opcode: (f >>> 11) & 0xf,
    aa: (f & 0x0400) !== 0,
    tc: (f & 0x0200) !== 0,
    rd: (f & 0x0100) !== 0,
    ra: (f & 0x0080) !== 0,
    z: (f & 0x0040) !== 0,
    ad: (f & 0x0020) !== 0,
    cd: (f & 0x0010) !== 0,
    rcode: f & 0xf,
  };
}

/** The first question of a message whose header says it has one, if it can be read; for echoing in a FORMERR. */
export function peekDnsQuestion(buf: Uint8Array): DnsQuestion | undefined {
  if (buf.length < DNS_HEADER_LEN || readU16(buf, DNS_QDCOUNT_OFF) === 0) return undefined;
  const q = readQuestion(buf, DNS_HEADER_LEN, 'question[0]');
  return q.ok ? q.value.question : undefined;
}

function readQuestion(buf: Uint8Array, off: number, field: string): DnsResult<{ question: DnsQuestion; end: number }> {
  const n = readName(buf, off, `${field}.name`);
  if (!n.ok) return n;
  const p = n.value.end;
  if (p + 4 > buf.length) return dnsFail(field, p, `QTYPE/QCLASS cut short: ${buf.length - p} of 4 bytes`);
  return {
    ok: true,
    value: { question: { name: n.value.name, type: readU16(buf, p), class: readU16(buf, p + 2) }, end: p + 4 },
  };
}

const SECTIONS = ['answer', 'authority', 'additional'] as const;

/**
 * Parses a whole message. Never throws. Failures below 12 bytes have `formerr: false` (no ID to answer);
 * all others are FORMERR: a name or record running past the end, bad compression, RDATA not filling its
 * RDLENGTH, an OPT record outside the additional section, with a non-root owner, repeated (RFC 6891
 * 6.1.1) or with options overrunning it, and bytes after the last record (as BIND).
 */
export function parseDns(buf: Uint8Array): DnsResult<DnsMessage> {
  const h = peekDnsHeader(buf);
  if (h === undefined) return dnsFail('header', 0, `truncated: ${buf.length} of ${DNS_HEADER_LEN} bytes`, false);
  const counts = [readU16(buf, 4), readU16(buf, 6), readU16(buf, 8), readU16(buf, 10)] as const;
  let pos = DNS_HEADER_LEN;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const q = readQuestion(buf, pos, `question[${i}]`);
    if (!q.ok) return q;
    questions.push(q.value.question);
    pos = q.value.end;
  }
  const sections: DnsRecord[][] = [[], [], []];
  let edns: Edns | undefined;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const field = `${SECTIONS[s]}[${i}]`;
      const rr = readRecordHeader(buf, pos, field);
      if (!rr.ok) return rr;
      const r = rr.value;
      if (r.type === DNS_TYPE_OPT) {
        if (s !== 2) return dnsFail(field, pos, `OPT record in the ${SECTIONS[s]} section`);
        if (r.name !== '.')
          return dnsFail(`${field}.name`, pos, `OPT owner is "${r.name}", not the root (RFC 6891 6.1.2)`);
        if (edns !== undefined) return dnsFail(field, pos, 'more than one OPT record (RFC 6891 6.1.1)');
        const opts = readEdnsOptions(buf, r.rdataOff, r.rdataLen, field);
        if (!opts.ok) return opts;
        edns = {
          udpSize: r.class,
          extendedRcode: r.ttl >>> 24,
          version: (r.ttl >>> 16) & 0xff,
          dnssecOk: (r.ttl & 0x8000) !== 0,
          z: r.ttl & 0x7fff,
          options: opts.value,
        };
      } else {
        const d = parseRData(buf, r.type, r.class, r.rdataOff, r.rdataLen, field);
        if (!d.ok) return d;
        sections[s]!.push({ name: r.name, class: r.class, ttl: r.ttl, data: d.value });
      }
      pos = r.end;
    }
  }
  if (pos !== buf.length) return dnsFail('message', pos, `${buf.length - pos} bytes after the last record`);
  // spelled out rather than spread: this runs for every DNS packet
  const m = {
    id: h.id,
    qr: h.qr,
    opcode: h.opcode,
    aa: h.aa,
    tc: h.tc,
    rd: h.rd,
    ra: h.ra,
    z: h.z,
    ad: h.ad,
    cd: h.cd,
    rcode: h.rcode,
    questions,
    answers: sections[0]!,
    authorities: sections[1]!,
    additionals: sections[2]!,
  };
  return { ok: true, value: edns === undefined ? m : { ...m, edns } };
}

function readEdnsOptions(buf: Uint8Array, off: number, len: number, field: string): DnsResult<EdnsOption[]> {
  const out: EdnsOption[] = [];
  const end = off + len;
  let p = off;
  while (p < end) {
    if (p + 4 > end) return dnsFail(`${field}.option`, p, 'EDNS option header cut short');
    const code = readU16(buf, p);
    const n = readU16(buf, p + 2);
    if (p + 4 + n > end) return dnsFail(`${field}.option`, p, `EDNS option ${code} of ${n} bytes runs past RDLENGTH`);
    out.push({ code, data: buf.slice(p + 4, p + 4 + n) });
    p += 4 + n;
  }
  return { ok: true, value: out };
}

/** The result of encoding: the bytes (a view into the writer) and whether records were left out. */
export interface DnsEncoded {
  readonly bytes: Uint8Array;
  /** TC was set: answer or authority records did not fit (additional ones are dropped silently, RFC 2181 9). */
  readonly truncated: boolean;
  /** Records of the additional section left out without setting TC. */
  readonly droppedAdditional: number;
}

/**
 * Encodes `m` into a fresh writer, keeping it within `limit` bytes: records that do not fit are left out
 * whole, the OPT record is kept (RFC 6891 7), and TC is set if an answer or authority record was left out.
 * `m.tc` is also honoured (a relayed truncated answer stays truncated). Pass a writer to reuse its
 * buffer (the result is then a view into it, valid until the next use). Throws when even the header,
 * questions and OPT do not fit, or on out-of-range values (caller bugs).
 */
export function encodeDns(m: DnsMessage, limit = DNS_TCP_MAX, w = new DnsWriter()): DnsEncoded {
  w.reset();
  w.u16(m.id);
  w.u16(0); // flags, written last (TC depends on what fits)
  w.u16(m.questions.length);
  w.u16(0);
  w.u16(0);
  w.u16(0);
  for (const q of m.questions) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  const optLen = m.edns === undefined ? 0 : 11 + m.edns.options.reduce((n, o) => n + 4 + o.data.length, 0);
  if (w.pos + optLen > limit)
    throw new RangeError(`dns: header, questions and OPT need ${w.pos + optLen} bytes, limit ${limit}`);
  const written = [0, 0, 0];
  const lists = [m.answers, m.authorities, m.additionals];
  let truncated = false;
  let dropped = 0;
  outer: for (let s = 0; s < 3; s++) {
    const list = lists[s]!;
    for (let i = 0; i < list.length; i++) {
      const mark = w.pos;
      writeRecord(w, list[i]!);
      if (w.pos + optLen > limit) {
        w.pos = mark;
        w.forgetFrom(mark);
        if (s < 2) truncated = true;
        else dropped = list.length - i;
        break outer;
      }
      written[s]!++;
    }
  }
  if (m.edns !== undefined) writeOpt(w, m.edns);
  const tc = m.tc || truncated;
  const flags =
    (m.qr ? 0x8000 : 0) |
    ((m.opcode & 0xf) << 11) |
    (m.aa ? 0x0400 : 0) |
    (tc ? 0x0200 : 0) |
    (m.rd ? 0x0100 : 0) |
    (m.ra ? 0x0080 : 0) |
    (m.z ? 0x0040 : 0) |
    (m.ad ? 0x0020 : 0) |
    (m.cd ? 0x0010 : 0) |
    (m.rcode & 0xf);
  const b = w.buf;
  b[2] = flags >>> 8;
  b[3] = flags;
  const counts = [written[0]!, written[1]!, written[2]! + (m.edns === undefined ? 0 : 1)];
  for (let s = 0; s < 3; s++) {
    b[6 + 2 * s] = counts[s]! >>> 8;
    b[7 + 2 * s] = counts[s]!;
  }
  return { bytes: w.view(), truncated, droppedAdditional: dropped };
}

function writeOpt(w: DnsWriter, e: Edns): void {
  w.u8(0); // root owner
  w.u16(DNS_TYPE_OPT);
  w.u16(e.udpSize);
  w.u8(e.extendedRcode);
  w.u8(e.version);
  w.u16((e.dnssecOk ? 0x8000 : 0) | (e.z & 0x7fff));
  w.u16(e.options.reduce((n, o) => n + 4 + o.data.length, 0));
  for (const o of e.options) {
    w.u16(o.code);
    w.u16(o.data.length);
    w.bytes(o.data);
  }
}

/** A new buffer holding the message (no size limit beyond 65535). */
export function buildDns(m: DnsMessage): Uint8Array {
  return encodeDns(m).bytes.slice();
}

/** Bytes the message takes with compression. */
export function dnsLength(m: DnsMessage): number {
  return encodeDns(m).bytes.length;
}

/** Writes the message at `off` of `buf` and returns its length. Throws RangeError when it does not fit. */
export function emitDns(m: DnsMessage, buf: Uint8Array, off = 0): number {
  const bytes = encodeDns(m).bytes;
  if (!(off >= 0 && off + bytes.length <= buf.length)) {
    throw new RangeError(`dns: emit needs ${bytes.length} bytes at offset ${off}, buffer has ${buf.length}`);
  }
  buf.set(bytes, off);
  return bytes.length;
}

const RCODE_NAMES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
];

/** BIND's text of a 12-bit RCODE ("NXDOMAIN", "RESERVED11", "BADVERS"), undefined when it has none. */
export function dnsRcodeName(rcode: number): string | undefined {
  if (rcode < RCODE_NAMES.length) return RCODE_NAMES[rcode];
  if (rcode < 16) return `RESERVED${rcode}`;
  if (rcode === DNS_RCODE_BADVERS) return 'BADVERS';
  if (rcode === DNS_RCODE_BADCOOKIE) return 'BADCOOKIE';
  return undefined;
}

/** BIND's opcode text (dig's opcodetext). */
export function dnsOpcodeName(opcode: number): string {
  return ['QUERY', 'IQUERY', 'STATUS', 'RESERVED3', 'NOTIFY', 'UPDATE'][opcode] ?? `RESERVED${opcode}`;
}

/** A header with every flag clear, for building messages: `{ ...DNS_EMPTY_HEADER, id, rd: true }`. */
export const DNS_EMPTY_HEADER: DnsHeader = {
  id: 0,
  qr: false,
  opcode: 0,
  aa: false,
  tc: false,
  rd: false,
  ra: false,
  z: false,
  ad: false,
  cd: false,
  rcode: 0,
};

/** A message with no records. */
export function emptyDnsMessage(header: Partial<DnsHeader> = {}): DnsMessage {
  return { ...DNS_EMPTY_HEADER, ...header, questions: [], answers: [], authorities: [], additionals: [] };
}
