/**
 * DNS messages (RFC 1035 §4.1): header, flags, questions and resource records with their common RDATA
 * (A, AAAA, NS, CNAME, PTR, SOA, MX, TXT, SRV) and EDNS's OPT pseudo-record (RFC 6891). Names are read with
 * the wire codec's readName (compression pointers only backwards, as BIND insists). Over TCP a 2-byte
 * length comes first (RFC 1035 §4.2.2).
 */
import { formatIpv4, readIpv4 } from '../../wire/addr.js';
import { readName } from '../../wire/dns-name.js';
import { dnsClassName, dnsTypeName, formatIpv6, DNS_TYPE_OPT } from '../../wire/dns-rr.js';
import { bitField, colonHex, field, hex, latin1, layer, malformed, plainHex, u16, u32, u8 } from './build.js';
import { push, type DissectContext } from './context.js';
import type { DissectedField } from './types.js';

/** The DNS port (RFC 1035 §4.2). */
export const DNS_PORT = 53;

// Wireshark's long names of record types
const TYPE_LONG: Record<number, string> = {
  1: 'Host Address',
  2: 'authoritative Name Server',
  5: 'Canonical NAME for an alias',
  6: 'Start Of a zone of Authority',
  12: 'domain name PoinTeR',
  15: 'Mail eXchange',
  16: 'Text strings',
  28: 'IPv6 Address',
  33: 'Server Selection',
};
const RCODES = ['No error', 'Format error', 'Server failure', 'No such name', 'Not implemented', 'Refused'];
const OPCODES: Record<number, string> = {
  0: 'Standard query',
  1: 'Inverse query',
  2: 'Server status request',
  4: 'Zone change notification',
  5: 'Dynamic update',
};

/** 'A (Host Address) (1)', as Wireshark labels a type. */
function typeText(t: number): string {
  const long = TYPE_LONG[t];
  return `${dnsTypeName(t)}${long !== undefined ? ` (${long})` : ''} (${t})`;
}

/** Seconds as Wireshark words them: '1 hour, 1 minute, 1 second'. */
export function secondsText(s: number): string {
  const parts: string[] = [];
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  let rest = s;
  for (const [n, name] of units) {
    const k = Math.floor(rest / n);
    rest -= k * n;
    if (k > 0) parts.push(`${k} ${name}${k === 1 ? '' : 's'}`);
  }
  return parts.length > 0 ? parts.join(', ') : '0 seconds';
}

/** The name at message offset `rel` (frame offset `base + rel`): its text as tshark shows it and its wire size. */
function nameAt(msg: Uint8Array, rel: number): { text: string; size: number } | undefined {
  const r = readName(msg, rel);
  if (!r.ok) return undefined;
  const text = r.value.name === '.' ? '<Root>' : r.value.name.slice(0, -1);
  return { text, size: r.value.end - rel };
}

function flagsField(f: Uint8Array, off: number): DissectedField {
  const w = u16(f, off);
  const qr = w >> 15;
  const opcode = (w >> 11) & 15;
  const rcode = w & 15;
  const b = (mask: number): number => (w & mask ? 1 : 0);
  const bf = (name: string, text: string, mask: number, v: number | string): DissectedField =>
    bitField(f, `dns.flags.${name}`, text, off, 2, mask, v);
  const opName = OPCODES[opcode] ?? 'Unknown';
  const kids = [
    bf('response', `Response: Message is a ${qr ? 'response' : 'query'}`, 0x8000, qr),
    bf('opcode', `Opcode: ${opName} (${opcode})`, 0x7800, opcode),
  ];
  if (qr)
    kids.push(
      bf(
        'authoritative',
        `Authoritative: Server ${b(0x400) ? 'is' : 'is not'} an authority for domain`,
        0x400,
        b(0x400),
      ),
    );
  kids.push(
    bf('truncated', `Truncated: Message is ${b(0x200) ? '' : 'not '}truncated`, 0x200, b(0x200)),
    bf('recdesired', `Recursion desired: ${b(0x100) ? 'Do' : "Don't do"} query recursively`, 0x100, b(0x100)),
  );
  if (qr)
    kids.push(
      bf('recavail', `Recursion available: Server ${b(0x80) ? 'can' : "can't"} do recursive queries`, 0x80, b(0x80)),
    );
  kids.push(bf('z', `Z: reserved ${b(0x40) ? '- incorrect!' : '(0)'}`, 0x40, b(0x40)));
  if (qr)
    kids.push(
      bf(
        'authenticated',
        `Answer authenticated: Answer/authority portion was ${b(0x20) ? '' : 'not '}authenticated by the server`,
        0x20,
        b(0x20),
      ),
    );
  kids.push(bf('checkdisable', `Non-authenticated data: ${b(0x10) ? 'Acceptable' : 'Unacceptable'}`, 0x10, b(0x10)));
  if (qr) kids.push(bf('rcode', `Reply code: ${RCODES[rcode] ?? 'Unknown'} (${rcode})`, 0x000f, rcode));
  // the summary says 'Unknown operation' where the opcode item says 'Unknown' (packet-dns.c)
  const opText = OPCODES[opcode] ?? 'Unknown operation';
  const summary = qr ? `${opText} response, ${RCODES[rcode] ?? 'Unknown'}` : opText;
  return field('dns.flags', `Flags: ${hex(w, 4)} ${summary}`, off, 2, hex(w, 4), kids);
}

/** Dissects a DNS message at `off` (after a 2-byte length over TCP). */
export function dissectDns(c: DissectContext, off: number, end: number, overTcp: boolean): void {
  const f = c.f;
  let m = off;
  const l = push(c, layer('dns', 'Domain Name System', off, end - off));
  if (overTcp) {
    if (end - off < 2) {
      malformed(l, 'DNS length cut short');
      return;
    }
    l.fields.push(field('dns.length', `Length: ${u16(f, off)}`, off, 2, u16(f, off)));
    m = off + 2;
    end = Math.min(end, m + u16(f, off));
  }
  if (end - m < 12) {
    malformed(l, 'DNS header needs 12 bytes');
    return;
  }
  const msg = f.subarray(m, end);
  const qr = u8(f, m + 2) >> 7;
  l.title = `Domain Name System (${qr ? 'response' : 'query'})`;
  const counts = [u16(f, m + 4), u16(f, m + 6), u16(f, m + 8), u16(f, m + 10)] as const;
  l.fields.push(
    field('dns.id', `Transaction ID: ${hex(u16(f, m), 4)}`, m, 2, hex(u16(f, m), 4)),
    flagsField(f, m + 2),
    field('dns.count.queries', `Questions: ${counts[0]}`, m + 4, 2, counts[0]),
    field('dns.count.answers', `Answer RRs: ${counts[1]}`, m + 6, 2, counts[1]),
    field('dns.count.auth_rr', `Authority RRs: ${counts[2]}`, m + 8, 2, counts[2]),
    field('dns.count.add_rr', `Additional RRs: ${counts[3]}`, m + 10, 2, counts[3]),
  );
  let rel = 12;
  const sections = ['Queries', 'Answers', 'Authoritative nameservers', 'Additional records'] as const;
  for (let s = 0; s < 4; s++) {
    const n = counts[s]!;
    if (n === 0) continue;
    const start = rel;
    const title = sections[s]!;
    const items: DissectedField[] = [];
    for (let i = 0; i < n; i++) {
      const item = s === 0 ? question(f, msg, m, rel) : record(f, msg, m, rel);
      if (item === undefined) {
        l.fields.push(field('', title, m + start, rel - start, '', items));
        malformed(l, `${title} entry ${i + 1} cut short or bad`);
        return;
      }
      items.push(item.field);
      rel = item.next;
    }
    l.fields.push(field('', title, m + start, rel - start, '', items));
  }
  l.length = m + rel - off;
}

interface Item {
  field: DissectedField;
  next: number;
}

function question(f: Uint8Array, msg: Uint8Array, m: number, rel: number): Item | undefined {
  const name = nameAt(msg, rel);
  if (name === undefined || rel + name.size + 4 > msg.length) return undefined;
  const at = m + rel;
  const t = u16(f, at + name.size);
  const cls = u16(f, at + name.size + 2);
  const labels = name.text === '<Root>' ? 0 : name.text.split('.').length;
  return {
    field: field('', `${name.text}: type ${dnsTypeName(t)}, class ${dnsClassName(cls)}`, at, name.size + 4, '', [
      field('dns.qry.name', `Name: ${name.text}`, at, name.size, name.text),
      field(
        'dns.qry.name.len',
        `Name Length: ${name.text === '<Root>' ? 6 : name.text.length}`,
        at,
        name.size,
        name.text === '<Root>' ? 6 : name.text.length,
      ),
      field('dns.count.labels', `Label Count: ${labels}`, at, name.size, labels),
      field('dns.qry.type', `Type: ${typeText(t)}`, at + name.size, 2, t),
      field('dns.qry.class', `Class: ${dnsClassName(cls)} (${hex(cls, 4)})`, at + name.size + 2, 2, hex(cls, 4)),
    ]),
    next: rel + name.size + 4,
  };
}

function record(f: Uint8Array, msg: Uint8Array, m: number, rel: number): Item | undefined {
  const name = nameAt(msg, rel);
  if (name === undefined || rel + name.size + 10 > msg.length) return undefined;
  const at = m + rel;
  const h = at + name.size;
  const t = u16(f, h);
  const cls = u16(f, h + 2);
  const ttl = u32(f, h + 4);
  const rdlen = u16(f, h + 8);
  const rd = h + 10;
  if (rel + name.size + 10 + rdlen > msg.length) return undefined;
  const kids: DissectedField[] = [];
  let summary = `${name.text}: type ${dnsTypeName(t)}`;
  if (t === DNS_TYPE_OPT) {
    // RFC 6891 §6.1.2: CLASS is the UDP payload size and TTL holds the extended RCODE, version and DO bit
    kids.push(
      field('dns.resp.name', `Name: ${name.text}`, at, name.size, name.text),
      field('dns.resp.type', `Type: ${typeText(t)}`, h, 2, t),
      field('dns.rr.udp_payload_size', `UDP payload size: ${cls}`, h + 2, 2, cls),
      field(
        'dns.resp.ext_rcode',
        `Higher bits in extended RCODE: ${hex(u8(f, h + 4), 2)}`,
        h + 4,
        1,
        hex(u8(f, h + 4), 2),
      ),
      field('dns.resp.edns0_version', `EDNS0 version: ${u8(f, h + 5)}`, h + 5, 1, u8(f, h + 5)),
      field('dns.resp.z', `Z: ${hex(u16(f, h + 6), 4)}`, h + 6, 2, hex(u16(f, h + 6), 4), [
        bitField(
          f,
          'dns.resp.z.do',
          `DO bit: ${u8(f, h + 6) & 0x80 ? 'Accepts DNSSEC security RRs' : 'Cannot handle DNSSEC security RRs'}`,
          h + 6,
          2,
          0x8000,
          u8(f, h + 6) >> 7,
        ),
        bitField(
          f,
          'dns.resp.z.reserved',
          `Reserved: ${hex(u16(f, h + 6) & 0x7fff, 4)}`,
          h + 6,
          2,
          0x7fff,
          hex(u16(f, h + 6) & 0x7fff, 4),
        ),
      ]),
      field('dns.resp.len', `Data length: ${rdlen}`, h + 8, 2, rdlen),
    );
    for (let o = rd; o + 4 <= rd + rdlen;) {
      const code = u16(f, o);
      const olen = u16(f, o + 2);
      const size = Math.min(4 + olen, rd + rdlen - o);
      kids.push(
        field(
          'dns.opt',
          `Option: ${code === 10 ? 'COOKIE' : code === 12 ? 'PADDING' : code === 8 ? 'CSUBNET - Client subnet' : `Unknown (${code})`}`,
          o,
          size,
          '',
          [
            field(
              'dns.opt.code',
              `Option Code: ${code === 10 ? 'COOKIE' : code === 12 ? 'PADDING' : code === 8 ? 'CSUBNET - Client subnet' : 'Unknown'} (${code})`,
              o,
              2,
              code,
            ),
            field('dns.opt.len', `Option Length: ${olen}`, o + 2, 2, olen),
            ...(olen > 0
              ? [
                  field(
                    'dns.opt.data',
                    `Option Data: ${plainHex(f, o + 4, size - 4)}`,
                    o + 4,
                    size - 4,
                    colonHex(f, o + 4, size - 4),
                  ),
                ]
              : []),
          ],
        ),
      );
      o += 4 + olen;
    }
    return { field: field('', `${summary}`, at, name.size + 10 + rdlen, '', kids), next: rel + name.size + 10 + rdlen };
  }
  summary += `, class ${dnsClassName(cls)}`;
  const srv = t === 33 ? /^(_[^.]+)\.(_[^.]+)\.(.+)$/.exec(name.text) : null;
  if (srv !== null)
    kids.push(
      field('dns.srv.service', `Service: ${srv[1]!}`, at, name.size, srv[1]!),
      field('dns.srv.proto', `Protocol: ${srv[2]!}`, at, name.size, srv[2]!),
      field('dns.srv.name', `Name: ${srv[3]!}`, at, name.size, srv[3]!),
    );
  else kids.push(field('dns.resp.name', `Name: ${name.text}`, at, name.size, name.text));
  kids.push(
    field('dns.resp.type', `Type: ${typeText(t)}`, h, 2, t),
    field('dns.resp.class', `Class: ${dnsClassName(cls)} (${hex(cls, 4)})`, h + 2, 2, hex(cls, 4)),
    field('dns.resp.ttl', `Time to live: ${ttl} (${secondsText(ttl)})`, h + 4, 4, ttl),
    field('dns.resp.len', `Data length: ${rdlen}`, h + 8, 2, rdlen),
  );
  summary += rdataFields(f, msg, m, t, rd, rdlen, kids);
  return { field: field('', summary, at, name.size + 10 + rdlen, '', kids), next: rel + name.size + 10 + rdlen };
}

/** Appends the RDATA fields of a record to `kids`; returns the summary's tail (', addr 10.0.0.1'). */
function rdataFields(
  f: Uint8Array,
  msg: Uint8Array,
  m: number,
  t: number,
  rd: number,
  rdlen: number,
  kids: DissectedField[],
): string {
  const rdEnd = rd + rdlen;
  const nameField = (fname: string, text: string, at: number): string | undefined => {
    const n = nameAt(msg, at - m);
    if (n === undefined || at + n.size > rdEnd) return undefined;
    kids.push(field(fname, `${text}: ${n.text}`, at, n.size, n.text));
    return n.text;
  };
  if (t === 1 && rdlen === 4) {
    const a = formatIpv4(readIpv4(f, rd));
    kids.push(field('dns.a', `Address: ${a}`, rd, 4, a));
    return `, addr ${a}`;
  }
  if (t === 28 && rdlen === 16) {
    const a = formatIpv6(f.subarray(rd, rd + 16));
    kids.push(field('dns.aaaa', `AAAA Address: ${a}`, rd, 16, a));
    return `, addr ${a}`;
  }
  if (t === 5) return `, cname ${nameField('dns.cname', 'CNAME', rd) ?? '?'}`;
  if (t === 2) return `, ns ${nameField('dns.ns', 'Name Server', rd) ?? '?'}`;
  if (t === 12) return `, ${nameField('dns.ptr.domain_name', 'Domain Name', rd) ?? '?'}`;
  if (t === 15 && rdlen >= 3) {
    kids.push(field('dns.mx.preference', `Preference: ${u16(f, rd)}`, rd, 2, u16(f, rd)));
    return `, preference ${u16(f, rd)}, mx ${nameField('dns.mx.mail_exchange', 'Mail Exchange', rd + 2) ?? '?'}`;
  }
  if (t === 33 && rdlen >= 7) {
    kids.push(
      field('dns.srv.priority', `Priority: ${u16(f, rd)}`, rd, 2, u16(f, rd)),
      field('dns.srv.weight', `Weight: ${u16(f, rd + 2)}`, rd + 2, 2, u16(f, rd + 2)),
      field('dns.srv.port', `Port: ${u16(f, rd + 4)}`, rd + 4, 2, u16(f, rd + 4)),
    );
    const target = nameField('dns.srv.target', 'Target', rd + 6);
    return `, priority ${u16(f, rd)}, weight ${u16(f, rd + 2)}, port ${u16(f, rd + 4)}, target ${target ?? '?'}`;
  }
  if (t === 6) {
    const mname = nameAt(msg, rd - m);
    const rname = mname && nameAt(msg, rd - m + mname.size);
    if (mname === undefined || rname === undefined || rd + mname.size + rname.size > rdEnd) return '';
    kids.push(field('dns.soa.mname', `Primary name server: ${mname.text}`, rd, mname.size, mname.text));
    kids.push(
      field('dns.soa.rname', `Responsible authority's mailbox: ${rname.text}`, rd + mname.size, rname.size, rname.text),
    );
    const n = rd + mname.size + rname.size;
    if (n + 20 <= rd + rdlen) {
      const v = (i: number): number => u32(f, n + 4 * i);
      kids.push(
        field('dns.soa.serial_number', `Serial Number: ${v(0)}`, n, 4, v(0)),
        field('dns.soa.refresh_interval', `Refresh Interval: ${v(1)} (${secondsText(v(1))})`, n + 4, 4, v(1)),
        field('dns.soa.retry_interval', `Retry Interval: ${v(2)} (${secondsText(v(2))})`, n + 8, 4, v(2)),
        field('dns.soa.expire_limit', `Expire limit: ${v(3)} (${secondsText(v(3))})`, n + 12, 4, v(3)),
        field('dns.soa.minimum_ttl', `Minimum TTL: ${v(4)} (${secondsText(v(4))})`, n + 16, 4, v(4)),
      );
    }
    return `, mname ${mname.text}`;
  }
  if (t === 16) {
    for (let o = rd; o < rd + rdlen;) {
      const n = u8(f, o);
      const len = Math.min(n, rd + rdlen - o - 1);
      kids.push(
        field('dns.txt.length', `TXT Length: ${n}`, o, 1, n),
        field('dns.txt', `TXT: ${latin1(f, o + 1, len)}`, o + 1, len, latin1(f, o + 1, len)),
      );
      o += 1 + n;
    }
    return '';
  }
  if (rdlen > 0) kids.push(field('dns.data', `Data: ${plainHex(f, rd, rdlen)}`, rd, rdlen, colonHex(f, rd, rdlen)));
  return '';
}
