/**
 * IPv4 options (RFC 791 §3.1, RFC 2113 Router Alert): the type octet's copy/class/number bits, the length,
 * and the contents of Router Alert and the route options (Record Route, Loose and Strict Source Route).
 */
import { formatIpv4, readIpv4 } from '../../wire/addr.js';
import { bitField, colonHex, field, u16, u8 } from './build.js';
import type { DissectedField } from './types.js';

/** Option number -> [tshark field suffix, title, name of the number]. */
const OPTIONS: Record<number, [string, string, string]> = {
  0: ['eol', 'End of Options List (EOL)', 'End of Option List (EOL)'],
  1: ['nop', 'No-Operation (NOP)', 'No-Operation (NOP)'],
  3: ['lsr', 'Loose Source Route', 'Loose source route'],
  7: ['record_route', 'Record Route', 'Record route'],
  9: ['ssr', 'Strict Source Route', 'Strict source route'],
  20: ['routeralert', 'Router Alert', 'Router Alert'],
};
const ROUTE_OPTIONS = new Set([3, 7, 9]);

/** The option type octet and its three parts. */
function typeField(f: Uint8Array, off: number): DissectedField {
  const t = u8(f, off);
  const num = t & 0x1f;
  const cls = (t >> 5) & 3;
  const name = OPTIONS[num]?.[2] ?? 'Unknown';
  return field('ip.opt.type', `Type: ${t}`, off, 1, t, [
    bitField(f, 'ip.opt.type.copy', `Copy on fragmentation: ${t & 0x80 ? 'Yes' : 'No'}`, off, 1, 0x80, t >> 7),
    bitField(
      f,
      'ip.opt.type.class',
      `Class: ${cls === 0 ? 'Control' : cls === 2 ? 'Debugging and measurement' : 'Reserved'} (${cls})`,
      off,
      1,
      0x60,
      cls,
    ),
    bitField(f, 'ip.opt.type.number', `Number: ${name} (${num})`, off, 1, 0x1f, num),
  ]);
}

/** The options [off, end) as Wireshark's 'Options' item with one child per option. */
export function ipOptions(f: Uint8Array, off: number, end: number): DissectedField {
  const items: DissectedField[] = [];
  const names: string[] = [];
  let p = off;
  while (p < end) {
    const t = u8(f, p);
    const num = t & 0x1f;
    const known = OPTIONS[num];
    if (t === 0 || t === 1) {
      items.push(
        field(`ip.options.${known![0]}`, `IP Option - ${known![1]}`, p, 1, colonHex(f, p, 1), [typeField(f, p)]),
      );
      p++;
      if (t === 0) break;
      continue;
    }
    const len = u8(f, p + 1);
    if (p + 2 > end || len < 2 || p + len > end) {
      items.push(field('', `IP Option - bad length ${len}`, p, end - p, colonHex(f, p, end - p), [typeField(f, p)]));
      break;
    }
    const children = [typeField(f, p), field('ip.opt.len', `Length: ${len}`, p + 1, 1, len)];
    let title = `IP Option - ${known?.[1] ?? `Unknown (0x${t.toString(16).padStart(2, '0')})`} (${len} bytes)`;
    if (num === 20 && len === 4) {
      const v = u16(f, p + 2);
      const text = v === 0 ? 'Router shall examine packet' : 'Reserved';
      title += `: ${text} (${v})`;
      children.push(field('ip.opt.ra', `Router Alert: ${text} (${v})`, p + 2, 2, v));
    } else if (ROUTE_OPTIONS.has(num) && len >= 3) {
      const ptr = u8(f, p + 2);
      children.push(field('ip.opt.ptr', `Pointer: ${ptr}`, p + 2, 1, ptr));
      for (let a = 3; a + 4 <= len; a += 4) {
        const ip = formatIpv4(readIpv4(f, p + a));
        // RFC 791: the pointer (1-based) names the next free slot; slots before it hold recorded addresses
        const recorded = a + 1 < ptr;
        const next = a + 1 === ptr ? ' <- (next)' : '';
        children.push(
          num === 7
            ? field(
                recorded ? 'ip.rec_rt' : 'ip.empty_rt',
                `${recorded ? 'Recorded' : 'Empty'} Route: ${ip}${next}`,
                p + a,
                4,
                ip,
              )
            : field(
                recorded ? 'ip.src_rt' : 'ip.dst_rt',
                `${recorded ? 'Recorded' : 'Source'} Route: ${ip}${next}`,
                p + a,
                4,
                ip,
              ),
        );
      }
    }
    items.push(field(known ? `ip.options.${known[0]}` : '', title, p, len, colonHex(f, p, len), children));
    names.push(known?.[1] ?? 'Unknown');
    p += len;
  }
  const label = `Options: (${end - off} bytes)${names.length > 0 ? `, ${names.join(', ')}` : ''}`;
  return field('', label, off, end - off, '', items);
}
