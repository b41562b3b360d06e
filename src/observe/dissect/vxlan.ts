/** VXLAN (RFC 7348 §5, with the Group Based Policy bits Linux's VXLAN_GBP knows) and the inner Ethernet frame. */
import { bitField, field, hex, layer, malformed, u16, u24, u8 } from './build.js';
import { push, type DissectContext } from './context.js';

/** Dissects a VXLAN header at `off` and the Ethernet frame it carries. */
export function dissectVxlan(c: DissectContext, off: number, end: number): void {
  const f = c.f;
  const l = push(c, layer('vxlan', 'Virtual eXtensible Local Area Network', off, Math.min(8, end - off)));
  if (end - off < 8) {
    malformed(l, 'VXLAN header needs 8 bytes');
    return;
  }
  const flags = u16(f, off);
  const tf = (b: number): string => (flags & b ? 'True' : 'False');
  const names = [flags & 0x8000 ? 'GBP Extension' : '', flags & 0x0800 ? 'VXLAN Network ID (VNI)' : '']
    .filter((s) => s !== '')
    .join(', ');
  const vni = u24(f, off + 4);
  l.fields.push(
    field('vxlan.flags', `Flags: ${hex(flags, 4)}${names !== '' ? `, ${names}` : ''}`, off, 2, hex(flags, 4), [
      bitField(
        f,
        'vxlan.flag_g',
        `GBP Extension: ${flags & 0x8000 ? 'Defined' : 'Not defined'}`,
        off,
        2,
        0x8000,
        flags >> 15,
      ),
      bitField(f, 'vxlan.flag_i', `VXLAN Network ID (VNI): ${tf(0x0800)}`, off, 2, 0x0800, (flags >> 11) & 1),
      bitField(f, 'vxlan.flag_d', `Don't Learn: ${tf(0x0040)}`, off, 2, 0x0040, (flags >> 6) & 1),
      bitField(f, 'vxlan.flag_a', `Policy Applied: ${tf(0x0008)}`, off, 2, 0x0008, (flags >> 3) & 1),
      bitField(
        f,
        'vxlan.flags_reserved',
        `Reserved(R): ${hex(flags & 0x77b7, 4)}`,
        off,
        2,
        0x77b7,
        hex(flags & 0x77b7, 4),
      ),
    ]),
    field('vxlan.gbp', `Group Policy ID: ${u16(f, off + 2)}`, off + 2, 2, u16(f, off + 2)),
    field('vxlan.vni', `VXLAN Network Identifier (VNI): ${vni}`, off + 4, 3, vni),
    field('vxlan.reserved8', `Reserved: ${u8(f, off + 7)}`, off + 7, 1, u8(f, off + 7)),
  );
  c.depth++;
  c.ethernet(c, off + 8, end);
  c.depth--;
}
