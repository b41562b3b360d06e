/**
 * IEEE 802.2 LLC headers and the Spanning Tree BPDUs they carry (IEEE 802.1D-2004 §9.3: Configuration and
 * Topology Change Notification BPDUs; RSTP's version 2 adds a Version 1 Length octet).
 */
import { formatMac, readMac } from '../../wire/addr.js';
import { BPDU_TYPE_CONFIG, BPDU_TYPE_TCN, LLC_CONTROL_UI, LLC_HEADER_LEN, LLC_SAP_STP } from '../../wire/stp.js';
import { bitField, dataLayer, field, hex, layer, malformed, u16, u32, u8 } from './build.js';
import { push, type DissectContext } from './context.js';
import type { DissectedField } from './types.js';

/** A Configuration BPDU's length (802.1D §9.3.1); a TCN BPDU is 4. */
const CONFIG_BPDU_LEN = 35;

function sapField(f: Uint8Array, name: 'dsap' | 'ssap', off: number): DissectedField {
  const v = u8(f, off);
  const sapName = v === LLC_SAP_STP ? 'Spanning Tree BPDU' : 'Unknown';
  const children = [bitField(f, `llc.${name}.sap`, `SAP: ${sapName}`, off, 1, 0xfe, v >> 1)];
  if (name === 'ssap')
    children.push(bitField(f, 'llc.ssap.cr', `CR Bit: ${v & 1 ? 'Response' : 'Command'}`, off, 1, 0x01, v & 1));
  return field(`llc.${name}`, `${name.toUpperCase()}: ${sapName} (${hex(v, 2)})`, off, 1, hex(v, 2), children);
}

/** Dissects an LLC header at `off` and, for the STP SAP, the BPDU after it. */
export function dissectLlc(c: DissectContext, off: number, end: number): void {
  const f = c.f;
  if (end - off < LLC_HEADER_LEN) {
    push(c, malformed(layer('llc', 'Logical-Link Control', off, Math.max(0, end - off)), 'LLC header needs 3 bytes'));
    return;
  }
  const l = push(c, layer('llc', 'Logical-Link Control', off, LLC_HEADER_LEN));
  const ctl = u8(f, off + 2);
  const ui = ctl === LLC_CONTROL_UI;
  l.fields.push(sapField(f, 'dsap', off), sapField(f, 'ssap', off + 1));
  l.fields.push(
    field('llc.control', `Control field: ${ui ? 'U, func=UI' : 'U'} (${hex(ctl, 2)})`, off + 2, 1, hex(ctl, 4), [
      bitField(
        f,
        'llc.control.u_modifier_cmd',
        `Command: ${ui ? 'Unnumbered Information' : 'Unknown'} (${hex(ctl & 0xec, 2)})`,
        off + 2,
        1,
        0xec,
        hex(ctl & 0xec, 2),
      ),
      bitField(
        f,
        'llc.control.ftype',
        `Frame type: Unnumbered frame (0x${ctl & 3})`,
        off + 2,
        1,
        0x03,
        hex(ctl & 3, 2),
      ),
    ]),
  );
  if (u8(f, off) === LLC_SAP_STP) dissectBpdu(c, off + LLC_HEADER_LEN, end);
  else if (end > off + LLC_HEADER_LEN) push(c, dataLayer(f, off + LLC_HEADER_LEN, end - off - LLC_HEADER_LEN));
}

/** A bridge identifier (priority, system ID extension, MAC; 802.1D §9.2.5) as a text item with its parts. */
function bridgeId(f: Uint8Array, who: 'root' | 'bridge', off: number): DissectedField {
  const word = u16(f, off);
  const prio = word & 0xf000;
  const ext = word & 0x0fff;
  const mac = formatMac(readMac(f, off + 2));
  const title = who === 'root' ? 'Root' : 'Bridge';
  const part = who === 'root' ? 'Root Bridge' : 'Bridge';
  return field('', `${title} Identifier: ${prio} / ${ext} / ${mac}`, off, 8, '', [
    field(`stp.${who}.prio`, `${part} Priority: ${prio}`, off, 1, prio),
    field(`stp.${who}.ext`, `${part} System ID Extension: ${ext}`, off, 2, ext),
    field(`stp.${who}.hw`, `${part} System ID: ${mac}`, off + 2, 6, mac),
  ]);
}

/** Dissects a BPDU at `off`. */
function dissectBpdu(c: DissectContext, off: number, end: number): void {
  const f = c.f;
  const type = u8(f, off + 3);
  const version = u8(f, off + 2);
  const need = type === BPDU_TYPE_TCN ? 4 : CONFIG_BPDU_LEN + (version >= 2 ? 1 : 0);
  const l = push(c, layer('stp', 'Spanning Tree Protocol', off, Math.min(need, Math.max(0, end - off))));
  if (end - off < need) {
    malformed(l, `BPDU needs ${need} bytes`);
    return;
  }
  const proto = u16(f, off);
  const typeName =
    type === BPDU_TYPE_CONFIG
      ? 'Configuration'
      : type === BPDU_TYPE_TCN
        ? 'Topology Change Notification'
        : 'Rapid/Multiple Spanning Tree';
  const versionName = version === 0 ? 'Spanning Tree' : version === 2 ? 'Rapid Spanning Tree' : 'Unknown';
  l.fields.push(
    field('stp.protocol', `Protocol Identifier: Spanning Tree Protocol (${hex(proto, 4)})`, off, 2, hex(proto, 4)),
    field('stp.version', `Protocol Version Identifier: ${versionName} (${version})`, off + 2, 1, version),
    field('stp.type', `BPDU Type: ${typeName} (${hex(type, 2)})`, off + 3, 1, hex(type, 2)),
  );
  if (type === BPDU_TYPE_TCN) return;
  const flags = u8(f, off + 4);
  const yes = (b: number): string => (flags & b ? 'Yes' : 'No');
  const flagNames = `${flags & 0x80 ? ', Topology Change Acknowledgment' : ''}${flags & 0x01 ? ', Topology Change' : ''}`;
  l.fields.push(
    field('stp.flags', `BPDU flags: ${hex(flags, 2)}${flagNames}`, off + 4, 1, hex(flags, 2), [
      bitField(f, 'stp.flags.tcack', `Topology Change Acknowledgment: ${yes(0x80)}`, off + 4, 1, 0x80, flags >> 7),
      bitField(f, 'stp.flags.tc', `Topology Change: ${yes(0x01)}`, off + 4, 1, 0x01, flags & 1),
    ]),
    bridgeId(f, 'root', off + 5),
    field('stp.root.cost', `Root Path Cost: ${u32(f, off + 13)}`, off + 13, 4, u32(f, off + 13)),
    bridgeId(f, 'bridge', off + 17),
    field('stp.port', `Port identifier: ${hex(u16(f, off + 25), 4)}`, off + 25, 2, hex(u16(f, off + 25), 4)),
  );
  // 802.1D §9.2.8: the four timers are in units of 1/256 second
  const timer = (name: string, text: string, at: number): DissectedField => {
    const v = u16(f, at) / 256;
    return field(`stp.${name}`, `${text}: ${v}`, at, 2, v);
  };
  l.fields.push(
    timer('msg_age', 'Message Age', off + 27),
    timer('max_age', 'Max Age', off + 29),
    timer('hello', 'Hello Time', off + 31),
    timer('forward', 'Forward Delay', off + 33),
  );
  if (version >= 2)
    l.fields.push(field('stp.version_1_length', `Version 1 Length: ${u8(f, off + 35)}`, off + 35, 1, u8(f, off + 35)));
}
