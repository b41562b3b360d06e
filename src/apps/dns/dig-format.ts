/**
 * dig's text output, as BIND 9.18's dig prints it (bin/dig/dig.c printmessage and received, and
 * lib/dns masterdump.c / message.c for sections): greeting, header and flags, the OPT pseudosection,
 * question, answer, authority and additional sections in BIND's columns (24/32/40/48 with its tab rule),
 * and the statistics. Checked byte for byte against the real dig 9.18.49 (golden/README.md). Running
 * the query is dig.ts's job; this file only turns what happened into text.
 */
import { formatIpv4 } from '../../wire/addr.js';
import {
  type DnsMessage,
  type DnsRData,
  type DnsRecord,
  type Edns,
  EDNS_OPTION_COOKIE,
  EDNS_OPTION_NSID,
  dnsClassName,
  dnsOpcodeName,
  dnsRcodeName,
  dnsTypeName,
  formatIpv6,
  fullRcode,
  isSubdomain,
} from '../../wire/dns.js';

/** The dig version podnet's dig prints by default: the one its output was checked against. */
export const DIG_VERSION = '9.18.49-1~deb12u3-Debian';

/** Something dig printed before the answer (each becomes one line). */
export type DigNote =
  /** ";; communications error to ADDR#PORT: timed out" */
  | { readonly kind: 'timeout'; readonly server: string }
  /** ";; communications error to ADDR#PORT: connection refused" */
  | { readonly kind: 'refused'; readonly server: string }
  /** ";; Truncated, retrying in TCP mode." */
  | { readonly kind: 'truncated' }
  /** ";; Warning: Client COOKIE mismatch" */
  | { readonly kind: 'cookie-mismatch' };

/** The answer dig printed. */
export interface DigReply {
  /** The message as received (without a TCP length prefix): MSG SIZE is its length. */
  readonly bytes: Uint8Array;
  readonly message: DnsMessage;
  readonly transport: 'UDP' | 'TCP';
  /** ns from sending the query that got this answer to receiving it. */
  readonly rtt: number;
}

/** Everything the output depends on. */
export interface DigRun {
  /** The command-line arguments after "dig", as typed. */
  readonly argv: readonly string[];
  /** Addresses found for @server (printed as "; (N server found)"); 0 when no @server was given. */
  readonly serverCount: number;
  /** The server the answer came from: its address and port, and the name it was given by. */
  readonly serverAddr: number;
  readonly serverPort: number;
  readonly serverName: string;
  readonly notes: readonly DigNote[];
  readonly reply?: DigReply;
  /** The client COOKIE sent, to judge the one that came back. */
  readonly sentCookie?: Uint8Array;
  /** +short. */
  readonly short?: boolean;
  /** Wall-clock time of the answer, ms since 1970 (UTC), for ";; WHEN:". */
  readonly whenMs: number;
  /**
   * How many times the statistics (Query time, SERVER, WHEN, MSG SIZE) follow the answer: once (the
   * default), but with +search dighost's recv_done prints them twice after an NXDOMAIN for a name it asked
   * as it is because it had ndots dots, and not at all after an error other than NXDOMAIN for a name with a
   * search domain.
   */
  readonly statsBlocks?: 0 | 1 | 2;
  readonly version?: string;
}

/** The complete stdout of dig for `run`. */
export function formatDig(run: DigRun): string {
  const out: string[] = [];
  for (const n of run.notes) out.push(noteLine(n));
  const r = run.reply;
  if (run.short === true) {
    if (r === undefined) out.push(';; no servers could be reached');
    else for (const a of r.message.answers) out.push(rdataText(a.data));
    return out.map((l) => `${l}\n`).join('');
  }
  out.push('', `; <<>> DiG ${run.version ?? DIG_VERSION} <<>>${run.argv.map((a) => ` ${a}`).join('')}`);
  if (run.serverCount > 0) out.push(`; (${run.serverCount} server${run.serverCount > 1 ? 's' : ''} found)`);
  out.push(';; global options: +cmd');
  if (r === undefined) {
    out.push(';; no servers could be reached');
    return out.map((l) => `${l}\n`).join('');
  }
  const m = r.message;
  out.push(';; Got answer:');
  if (m.questions.some((q) => isSubdomain(q.name, 'local.'))) {
    out.push(
      ';; WARNING: .local is reserved for Multicast DNS',
      ';; You are currently testing what happens when an mDNS query is leaked to DNS',
    );
  }
  const rcode = fullRcode(m);
  const status = dnsRcodeName(rcode) ?? `?${rcode}`;
  out.push(`;; ->>HEADER<<- opcode: ${dnsOpcodeName(m.opcode)}, status: ${status}, id: ${m.id}`);
  const flags = (['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'] as const)
    .filter((f) => m[f])
    .map((f) => ` ${f}`)
    .join('');
  const additional = m.additionals.length + (m.edns === undefined ? 0 : 1);
  out.push(
    `;; flags:${flags}${m.z ? '; MBZ: 0x4' : ''}; QUERY: ${m.questions.length}, ANSWER: ${m.answers.length}, AUTHORITY: ${m.authorities.length}, ADDITIONAL: ${additional}`,
  );
  if (m.rd && !m.ra) out.push(';; WARNING: recursion requested but not available');
  out.push('');
  if (m.edns !== undefined) out.push(...optLines(m.edns, run.sentCookie));
  if (m.questions.length > 0) {
    out.push(';; QUESTION SECTION:');
    for (const q of m.questions)
      out.push(
        `;${columns(q.name, [
          [32, dnsClassName(q.class)],
          [40, dnsTypeName(q.type)],
        ])}`,
      );
    out.push('');
  }
  const section = (title: string, list: readonly DnsRecord[]): void => {
    if (list.length === 0) return;
    out.push(`;; ${title} SECTION:`);
    for (const rec of list) out.push(recordLine(rec));
    out.push('');
  };
  section('ANSWER', m.answers);
  section('AUTHORITY', m.authorities);
  section('ADDITIONAL', m.additionals);
  for (let i = 0; i < (run.statsBlocks ?? 1); i++)
    out.push(
      `;; Query time: ${Math.floor(Math.floor(r.rtt / 1000) / 1000)} msec`,
      `;; SERVER: ${formatIpv4(run.serverAddr)}#${run.serverPort}(${run.serverName}) (${r.transport})`,
      `;; WHEN: ${formatWhen(run.whenMs)}`,
      `;; MSG SIZE  rcvd: ${r.bytes.length}`,
      '',
    );
  return out.map((l) => `${l}\n`).join('');
}

function noteLine(n: DigNote): string {
  switch (n.kind) {
    case 'timeout':
      return `;; communications error to ${n.server}: timed out`;
    case 'refused':
      return `;; communications error to ${n.server}: connection refused`;
    case 'truncated':
      return ';; Truncated, retrying in TCP mode.';
    case 'cookie-mismatch':
      return ';; Warning: Client COOKIE mismatch';
  }
}

/** message.c, OPT pseudosection: EDNS version, flags, UDP size, then one line per option. */
function optLines(e: Edns, sentCookie: Uint8Array | undefined): string[] {
  const out = [';; OPT PSEUDOSECTION:'];
  const mbz = e.z & 0x7fff;
  out.push(
    `; EDNS: version: ${e.version}, flags:${e.dnssecOk ? ' do' : ''}${mbz !== 0 ? `; MBZ: 0x${mbz.toString(16).padStart(4, '0')}, udp: ` : '; udp: '}${e.udpSize}`,
  );
  for (const o of e.options) {
    const name =
      o.code === EDNS_OPTION_COOKIE ? '; COOKIE' : o.code === EDNS_OPTION_NSID ? '; NSID' : `; OPT=${o.code}`;
    if (o.data.length === 0) {
      out.push(name);
      continue;
    }
    if (o.code === EDNS_OPTION_COOKIE) {
      const hex = Array.from(o.data, (b) => b.toString(16).padStart(2, '0')).join('');
      let verdict = '';
      if (sentCookie !== undefined) {
        const ok = o.data.length >= 8 && sentCookie.every((b, i) => i >= 8 || o.data[i] === b);
        verdict = !ok ? ' (bad)' : o.data.length >= 16 ? ' (good)' : ' (echoed)';
      }
      out.push(`${name}: ${hex}${verdict}`);
      continue;
    }
    const hex = Array.from(o.data, (b) => `${b.toString(16).padStart(2, '0')} `).join('');
    const text = Array.from(o.data, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push(`${name}: ${hex}("${text}")`);
  }
  return out;
}

/**
 * masterdump.c indent(): from column `from`, tabs (width 8) and spaces to reach `to`, but at least one
 * character; a field already past `to` is followed by a single space (or a tab landing on a multiple of 8).
 */
function indent(from: number, to: number): [string, number] {
  const target = Math.max(to, from + 1);
  const tabs = Math.floor(target / 8) - Math.floor(from / 8);
  if (tabs > 0) return ['\t'.repeat(tabs) + ' '.repeat(target - Math.floor(target / 8) * 8), target];
  return [' '.repeat(target - from), target];
}

/** `first`, then each field at its column (BIND counts columns from the start of `first`). */
function columns(first: string, fields: readonly (readonly [number, string])[]): string {
  let s = first;
  let col = first.length;
  for (const [to, text] of fields) {
    const [pad, at] = indent(col, to);
    s += pad + text;
    col = at + text.length;
  }
  return s;
}

/** One record as dig prints it: owner, TTL at 24, class at 32, type at 40, RDATA at 48. */
export function recordLine(r: DnsRecord): string {
  const type = r.data.type === 'UNKNOWN' ? dnsTypeName(r.data.code) : r.data.type;
  return columns(r.name, [
    [24, String(r.ttl)],
    [32, dnsClassName(r.class)],
    [40, type],
    [48, rdataText(r.data)],
  ]);
}

/** RDATA in presentation form, single-line (dig's default style). */
export function rdataText(d: DnsRData): string {
  switch (d.type) {
    case 'A':
      return formatIpv4(d.address);
    case 'AAAA':
      return formatIpv6(d.address);
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return d.target;
    case 'SOA':
      return `${d.mname} ${d.rname} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case 'SRV':
      return `${d.priority} ${d.weight} ${d.port} ${d.target}`;
    case 'TXT':
      return d.strings.map(quoteString).join(' ');
    case 'UNKNOWN': {
      // RFC 3597 5 generic form; BIND writes upper-case hex in words of 28 bytes (as dig 9.18 printed)
      if (d.data.length === 0) return '\\# 0';
      const words: string[] = [];
      for (let i = 0; i < d.data.length; i += 28) {
        words.push(
          Array.from(d.data.subarray(i, i + 28), (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(''),
        );
      }
      return `\\# ${d.data.length} ${words.join(' ')}`;
    }
  }
}

/** A <character-string> quoted as BIND's txt_totext does: \" and \\ escaped, bytes outside 0x20..0x7e as \DDD. */
function quoteString(s: Uint8Array): string {
  let out = '"';
  for (const b of s) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b >= 0x7f) out += `\\${String(b).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `${out}"`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** strftime "%a %b %d %H:%M:%S %Z %Y" in UTC, as dig prints ";; WHEN:" on a host whose zone is UTC. */
export function formatWhen(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}
