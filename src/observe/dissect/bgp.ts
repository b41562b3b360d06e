/**
 * BGP-4 messages (RFC 4271 §4) in a TCP segment, one layer each: the header, OPEN with its capabilities
 * (RFC 5492; multiprotocol RFC 4760, 4-octet AS RFC 6793), UPDATE with withdrawn routes, path attributes
 * (ORIGIN, NEXT_HOP, MED, LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST decoded; others by type and length)
 * and NLRI, NOTIFICATION's codes, KEEPALIVE.
 */
import { formatIpv4, readIpv4 } from '../../wire/addr.js';
import { BGP_ATTR, BGP_CAP, BGP_HEADER_LEN, BGP_TYPE, notificationCodeName } from '../../wire/bgp-codes.js';
import {
  bitField,
  colonHex,
  dataLayer,
  field,
  hex,
  layer,
  malformed,
  plainHex,
  setText,
  u16,
  u32,
  u8,
} from './build.js';
import { push, type DissectContext } from './context.js';
import type { DissectedField, DissectedLayer } from './types.js';

const TYPE_NAMES: Record<number, string> = {
  [BGP_TYPE.OPEN]: 'OPEN Message',
  [BGP_TYPE.UPDATE]: 'UPDATE Message',
  [BGP_TYPE.NOTIFICATION]: 'NOTIFICATION Message',
  [BGP_TYPE.KEEPALIVE]: 'KEEPALIVE Message',
  [BGP_TYPE.ROUTE_REFRESH]: 'ROUTE-REFRESH Message',
};
const CAP_NAMES: Record<number, string> = {
  [BGP_CAP.MULTIPROTOCOL]: 'Multiprotocol extensions capability',
  [BGP_CAP.ROUTE_REFRESH]: 'Route refresh capability',
  [BGP_CAP.GRACEFUL_RESTART]: 'Graceful Restart capability',
  [BGP_CAP.FOUR_OCTET_AS]: 'Support for 4-octet AS number capability',
  [BGP_CAP.ENHANCED_ROUTE_REFRESH]: 'Enhanced route refresh capability',
};
const ATTR_NAMES: Record<number, string> = Object.fromEntries(Object.entries(BGP_ATTR).map(([k, v]) => [v, k]));
// tshark names the subcode field after the error code
const MINOR_FIELDS: Record<number, string> = {
  1: 'bgp.notify.minor_error_header',
  2: 'bgp.notify.minor_error_open',
  3: 'bgp.notify.minor_error_update',
  5: 'bgp.notify.minor_error_fsm',
  6: 'bgp.notify.minor_error_cease',
};
const ORIGINS = ['IGP', 'EGP', 'INCOMPLETE'];
// RFC 4486 §4 Cease subcodes
const CEASE_NAMES: Record<number, string> = {
  1: 'Maximum Number of Prefixes Reached',
  2: 'Administratively Shutdown',
  3: 'Peer De-configured',
  4: 'Administratively Reset',
  5: 'Connection Rejected',
  6: 'Other Configuration Change',
  7: 'Connection Collision Resolution',
  8: 'Out of Resources',
};

/** Dissects the BGP messages in [off, end), one layer each. */
export function dissectBgp(c: DissectContext, off: number, end: number): void {
  const f = c.f;
  let p = off;
  while (p < end) {
    const rest = end - p;
    const len = u16(f, p + 16);
    if (rest < BGP_HEADER_LEN || len < BGP_HEADER_LEN || len > rest) {
      // the rest of a message begun in an earlier segment, or one continued in the next
      const l = push(c, dataLayer(f, p, rest));
      if (rest >= BGP_HEADER_LEN && len < BGP_HEADER_LEN) malformed(l, `BGP length ${len} is less than 19`);
      return;
    }
    const type = u8(f, p + 18);
    const l = push(c, layer('bgp', `Border Gateway Protocol - ${TYPE_NAMES[type] ?? 'Unknown Message'}`, p, len));
    l.fields.push(
      field('bgp.marker', `Marker: ${plainHex(f, p, 16)}`, p, 16, colonHex(f, p, 16)),
      field('bgp.length', `Length: ${len}`, p + 16, 2, len),
      field('bgp.type', `Type: ${TYPE_NAMES[type] ?? 'Unknown Message'} (${type})`, p + 18, 1, type),
    );
    const body = p + BGP_HEADER_LEN;
    const bend = p + len;
    if (type === BGP_TYPE.OPEN) open(f, l, body, bend);
    else if (type === BGP_TYPE.UPDATE) update(f, l, body, bend);
    else if (type === BGP_TYPE.NOTIFICATION) notification(f, l, body, bend);
    p = bend;
  }
}

function open(f: Uint8Array, l: DissectedLayer, p: number, end: number): void {
  if (end - p < 10) {
    malformed(l, 'OPEN needs 10 bytes after the header');
    return;
  }
  const optLen = u8(f, p + 9);
  const id = formatIpv4(readIpv4(f, p + 5));
  l.fields.push(
    field('bgp.open.version', `Version: ${u8(f, p)}`, p, 1, u8(f, p)),
    field('bgp.open.myas', `My AS: ${u16(f, p + 1)}`, p + 1, 2, u16(f, p + 1)),
    field('bgp.open.holdtime', `Hold Time: ${u16(f, p + 3)}`, p + 3, 2, u16(f, p + 3)),
    field('bgp.open.identifier', `BGP Identifier: ${id}`, p + 5, 4, id),
    field('bgp.open.opt.len', `Optional Parameters Length: ${optLen}`, p + 9, 1, optLen),
  );
  const o = p + 10;
  const oend = Math.min(end, o + optLen);
  if (optLen === 0) return;
  const params: DissectedField[] = [];
  for (let q = o; q + 2 <= oend;) {
    const ptype = u8(f, q);
    const plen = u8(f, q + 1);
    const pend = Math.min(oend, q + 2 + plen);
    const kids = [
      field(
        'bgp.open.opt.param.type',
        `Parameter Type: ${ptype === 2 ? 'Capability' : 'Unknown'} (${ptype})`,
        q,
        1,
        ptype,
      ),
      field('bgp.open.opt.param.len', `Parameter Length: ${plen}`, q + 1, 1, plen),
    ];
    // RFC 5492 §4: a Capabilities parameter holds (code, length, value) triples
    for (let k = q + 2; ptype === 2 && k + 2 <= pend;) {
      kids.push(capability(f, k, pend));
      k += 2 + u8(f, k + 1);
    }
    params.push(
      field(
        'bgp.open.opt.param',
        `Optional Parameter: ${ptype === 2 ? 'Capability' : 'Unknown'}`,
        q,
        pend - q,
        '',
        kids,
      ),
    );
    q = pend;
  }
  l.fields.push(field('bgp.open.opt', 'Optional Parameters', o, oend - o, '', params));
}

function capability(f: Uint8Array, k: number, end: number): DissectedField {
  const code = u8(f, k);
  const len = u8(f, k + 1);
  const size = Math.min(2 + len, end - k);
  const name = CAP_NAMES[code] ?? 'Unknown capability';
  const kids = [
    field('bgp.cap.type', `Type: ${name} (${code})`, k, 1, code),
    field('bgp.cap.length', `Length: ${len}`, k + 1, 1, len),
  ];
  if (k + 2 + len > end) return field('bgp.cap', `Capability: ${name}`, k, size, '', kids);
  if (code === BGP_CAP.MULTIPROTOCOL && len === 4) {
    const afi = u16(f, k + 2);
    const safi = u8(f, k + 5);
    kids.push(
      field('bgp.cap.mp.afi', `AFI: ${afi === 1 ? 'IPv4' : afi === 2 ? 'IPv6' : 'Unknown'} (${afi})`, k + 2, 2, afi),
      field('bgp.cap.reserved', `Reserved: ${plainHex(f, k + 4, 1)}`, k + 4, 1, plainHex(f, k + 4, 1)),
      field(
        'bgp.cap.mp.safi',
        `SAFI: ${safi === 1 ? 'Unicast' : safi === 2 ? 'Multicast' : 'Unknown'} (${safi})`,
        k + 5,
        1,
        safi,
      ),
    );
  } else if (code === BGP_CAP.FOUR_OCTET_AS && len === 4) {
    kids.push(field('bgp.cap.4as', `AS Number: ${u32(f, k + 2)}`, k + 2, 4, u32(f, k + 2)));
  }
  return field('bgp.cap', `Capability: ${name}`, k, size, '', kids);
}

/** Prefixes (length octet, then just enough address octets; RFC 4271 §4.3) as text items. */
function prefixes(f: Uint8Array, p: number, end: number, kind: 'nlri' | 'withdrawn'): DissectedField[] {
  const out: DissectedField[] = [];
  while (p < end) {
    const bits = u8(f, p);
    const n = Math.ceil(bits / 8);
    if (bits > 32 || p + 1 + n > end) {
      out.push(field('', `Invalid prefix length ${bits}`, p, end - p, ''));
      break;
    }
    const a = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) a[i] = u8(f, p + 1 + i);
    const addr = a.join('.');
    const lenLabel = kind === 'nlri' ? 'NLRI prefix length' : 'Withdrawn route prefix length';
    out.push(
      field('', `${addr}/${bits}`, p, 1 + n, '', [
        field('bgp.prefix_length', `${lenLabel}: ${bits}`, p, 1, bits),
        field(
          kind === 'nlri' ? 'bgp.nlri_prefix' : 'bgp.withdrawn_prefix',
          `${kind === 'nlri' ? 'NLRI' : 'Withdrawn'} prefix: ${addr}`,
          p + 1,
          n,
          addr,
        ),
      ]),
    );
    p += 1 + n;
  }
  return out;
}

function update(f: Uint8Array, l: DissectedLayer, p: number, end: number): void {
  if (end - p < 4) {
    malformed(l, 'UPDATE needs its two length fields');
    return;
  }
  const wlen = u16(f, p);
  l.fields.push(field('bgp.update.withdrawn_routes.length', `Withdrawn Routes Length: ${wlen}`, p, 2, wlen));
  const w = p + 2;
  if (w + wlen + 2 > end) {
    malformed(l, 'withdrawn routes run past the message');
    return;
  }
  if (wlen > 0)
    l.fields.push(
      field('bgp.update.withdrawn_routes', 'Withdrawn Routes', w, wlen, '', prefixes(f, w, w + wlen, 'withdrawn')),
    );
  const alen = u16(f, w + wlen);
  l.fields.push(field('bgp.update.path_attributes.length', `Total Path Attribute Length: ${alen}`, w + wlen, 2, alen));
  const a = w + wlen + 2;
  if (a + alen > end) {
    malformed(l, 'path attributes run past the message');
    return;
  }
  if (alen > 0) {
    const attrs: DissectedField[] = [];
    for (let q = a; q + 3 <= a + alen;) {
      const item = attribute(f, q, a + alen);
      attrs.push(item);
      q += item.length;
      if (item.length === 0) break;
    }
    l.fields.push(field('bgp.update.path_attributes', 'Path attributes', a, alen, '', attrs));
  }
  if (end > a + alen)
    l.fields.push(
      field(
        'bgp.update.nlri',
        'Network Layer Reachability Information (NLRI)',
        a + alen,
        end - a - alen,
        '',
        prefixes(f, a + alen, end, 'nlri'),
      ),
    );
}

function attribute(f: Uint8Array, q: number, end: number): DissectedField {
  const flags = u8(f, q);
  const code = u8(f, q + 1);
  const ext = (flags & 0x10) !== 0;
  if (q + (ext ? 4 : 3) > end) return field('', 'Path attribute cut short', q, end - q, '');
  const len = ext ? u16(f, q + 2) : u8(f, q + 2);
  const v = q + (ext ? 4 : 3);
  const size = Math.min(end, v + len) - q;
  const name = ATTR_NAMES[code] ?? 'Unknown';
  const b = (m: number): number => (flags & m ? 1 : 0);
  const words = [
    flags & 0x80 ? 'Optional' : '',
    flags & 0x40 ? 'Transitive' : '',
    flags & 0x20 ? 'Partial' : '',
    flags & 0x10 ? 'Extended-Length' : '',
  ];
  words.push(flags & 0x80 ? '' : 'Well-known', flags & 0x40 ? '' : 'Non-transitive', flags & 0x20 ? '' : 'Complete');
  const P = 'bgp.update.path_attribute';
  const kids: DissectedField[] = [
    field(`${P}.flags`, `Flags: ${hex(flags, 2)}, ${words.filter((s) => s !== '').join(', ')}`, q, 1, hex(flags, 2), [
      bitField(f, `${P}.flags.optional`, `Optional: ${setText(b(0x80) === 1)}`, q, 1, 0x80, b(0x80)),
      bitField(f, `${P}.flags.transitive`, `Transitive: ${setText(b(0x40) === 1)}`, q, 1, 0x40, b(0x40)),
      bitField(f, `${P}.flags.partial`, `Partial: ${setText(b(0x20) === 1)}`, q, 1, 0x20, b(0x20)),
      bitField(f, `${P}.flags.extended_length`, `Extended-Length: ${setText(b(0x10) === 1)}`, q, 1, 0x10, b(0x10)),
      bitField(f, `${P}.flags.unused`, `Unused: 0x${(flags & 0x0f).toString(16)}`, q, 1, 0x0f, hex(flags & 0x0f, 2)),
    ]),
    field(`${P}.type_code`, `Type Code: ${name} (${code})`, q + 1, 1, code),
    field(`${P}.length`, `Length: ${len}`, q + 2, ext ? 2 : 1, len),
  ];
  let summary = '';
  const ip = (at: number): string => formatIpv4(readIpv4(f, at));
  if (v + len <= end) {
    if (code === BGP_ATTR.ORIGIN && len === 1) {
      const o = u8(f, v);
      summary = `: ${ORIGINS[o] ?? 'Unknown'}`;
      kids.push(field(`${P}.origin`, `Origin: ${ORIGINS[o] ?? 'Unknown'} (${o})`, v, 1, o));
    } else if (code === BGP_ATTR.NEXT_HOP && len === 4) {
      summary = `: ${ip(v)} `;
      kids.push(field(`${P}.next_hop`, `Next hop: ${ip(v)}`, v, 4, ip(v)));
    } else if (code === BGP_ATTR.MULTI_EXIT_DISC && len === 4) {
      summary = `: ${u32(f, v)}`;
      kids.push(field(`${P}.multi_exit_disc`, `Multiple exit discriminator: ${u32(f, v)}`, v, 4, u32(f, v)));
    } else if (code === BGP_ATTR.LOCAL_PREF && len === 4) {
      summary = `: ${u32(f, v)}`;
      kids.push(field(`${P}.local_pref`, `Local preference: ${u32(f, v)}`, v, 4, u32(f, v)));
    } else if (code === BGP_ATTR.ORIGINATOR_ID && len === 4) {
      summary = `: ${ip(v)} `;
      kids.push(field(`${P}.originator_id`, `Originator identifier: ${ip(v)}`, v, 4, ip(v)));
    } else if (code === BGP_ATTR.CLUSTER_LIST && len % 4 === 0) {
      const ids: DissectedField[] = [];
      for (let k = v; k < v + len; k += 4)
        ids.push(field('bgp.path_attribute.cluster_id', `Cluster ID: ${ip(k)}`, k, 4, ip(k)));
      summary = `: ${ids.map((x) => x.value).join(' ')}`;
      kids.push(
        field('bgp.path_attribute.cluster_list', `Cluster List: ${ids.map((x) => x.value).join(' ')}`, v, len, '', ids),
      );
    } else if (code === BGP_ATTR.AS_PATH && len === 0) summary = ': empty';
  }
  return field(P, `Path Attribute - ${name}${summary}`, q, size, '', kids);
}

function notification(f: Uint8Array, l: DissectedLayer, p: number, end: number): void {
  if (end - p < 2) {
    malformed(l, 'NOTIFICATION needs its error code and subcode');
    return;
  }
  const major = u8(f, p);
  const minor = u8(f, p + 1);
  l.fields.push(
    field(
      'bgp.notify.major_error',
      `Major error Code: ${notificationCodeName(major) ?? 'Unknown'} (${major})`,
      p,
      1,
      major,
    ),
    field(
      MINOR_FIELDS[major] ?? 'bgp.notify.minor_error',
      major === 6
        ? `Minor error Code (Cease): ${CEASE_NAMES[minor] ?? 'Unknown'} (${minor})`
        : `Minor error Code: ${minor}`,
      p + 1,
      1,
      minor,
    ),
  );
  if (end > p + 2)
    l.fields.push(
      field(
        'bgp.notify.data',
        `Data: ${plainHex(f, p + 2, end - p - 2)}`,
        p + 2,
        end - p - 2,
        colonHex(f, p + 2, end - p - 2),
      ),
    );
}
