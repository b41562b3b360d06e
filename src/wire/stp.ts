/**
 * IEEE 802.1D (1998) clause 9 Bridge Protocol Data Units: the 35-byte Configuration BPDU and the 4-byte
 * Topology Change Notification, carried in 802.3 frames (a length, not an ethertype) with an LLC header
 * (DSAP 0x42, SSAP 0x42, UI 0x03) to the Bridge Group Address 01:80:c2:00:00:00. The protocol itself (root
 * election, port states, timers) is link/stp*.ts.
 */
import { type Mac, readMac, writeMac } from './addr.js';
import { readU16, readU32, writeU16, writeU32 } from './bytes.js';
import { ETH_HEADER_LEN, ETH_TYPE_OFF } from './ethernet.js';
import { type WireResult, assertRoom, fail, ok } from './result.js';

/** The Bridge Group Address every STP bridge listens to (802.1D Table 7-9). */
export const STP_GROUP_MAC: Mac = 0x01_80_c2_00_00_00;
/** LLC DSAP and SSAP of the Spanning Tree Protocol (802.1D 7.12.3). */
export const LLC_SAP_STP = 0x42;
/** LLC control field: Unnumbered Information. */
export const LLC_CONTROL_UI = 0x03;
/** DSAP, SSAP, control. */
export const LLC_HEADER_LEN = 3;
/** An 802.3 length field is at most 1500; 0x0600 and above is an ethertype (IEEE 802.3 3.2.6). */
export const ETH_MAX_LENGTH_FIELD = 1500;
/** BPDU type of a Configuration BPDU (802.1D 9.3.1). */
export const BPDU_TYPE_CONFIG = 0x00;
/** BPDU type of a Topology Change Notification (802.1D 9.3.2). */
export const BPDU_TYPE_TCN = 0x80;
/** A Configuration BPDU is 35 bytes. */
export const BPDU_CONFIG_LEN = 35;
/** A TCN BPDU is 4 bytes. */
export const BPDU_TCN_LEN = 4;
/** Flags bit 1: Topology Change. */
export const BPDU_FLAG_TC = 0x01;
/** Flags bit 8: Topology Change Acknowledgment. */
export const BPDU_FLAG_TCA = 0x80;

/** Protocol Identifier offset (two bytes, 0). */
export const BPDU_PROTOCOL_OFF = 0;
/** Protocol Version Identifier offset (0 for 802.1D STP). */
export const BPDU_VERSION_OFF = 2;
/** BPDU Type offset. */
export const BPDU_TYPE_OFF = 3;
/** Flags offset. */
export const BPDU_FLAGS_OFF = 4;
/** Root Identifier offset (2-byte priority, 6-byte MAC). */
export const BPDU_ROOT_OFF = 5;
/** Root Path Cost offset (4 bytes). */
export const BPDU_COST_OFF = 13;
/** Bridge Identifier offset. */
export const BPDU_BRIDGE_OFF = 17;
/** Port Identifier offset (2 bytes). */
export const BPDU_PORT_OFF = 25;
/** Message Age offset (1/256 s). */
export const BPDU_MESSAGE_AGE_OFF = 27;
/** Max Age offset (1/256 s). */
export const BPDU_MAX_AGE_OFF = 29;
/** Hello Time offset (1/256 s). */
export const BPDU_HELLO_OFF = 31;
/** Forward Delay offset (1/256 s). */
export const BPDU_FORWARD_DELAY_OFF = 33;

/** A Bridge Identifier: 16-bit priority (the 802.1t system-id extension is part of it) and a MAC. */
export interface BridgeId {
  priority: number;
  mac: Mac;
}

/** A Configuration BPDU. Times are in the wire's units of 1/256 s. */
export interface ConfigBpdu {
  type: 'config';
  topologyChange: boolean;
  topologyChangeAck: boolean;
  root: BridgeId;
  rootPathCost: number;
  bridge: BridgeId;
  /** Port priority in the high bits, port number in the low (Linux: priority << 10 | port_no). */
  portId: number;
  messageAge: number;
  maxAge: number;
  helloTime: number;
  forwardDelay: number;
}

/** A Topology Change Notification BPDU. */
export interface TcnBpdu {
  type: 'tcn';
}

/** Either BPDU. */
export type Bpdu = ConfigBpdu | TcnBpdu;

const P = 'stp';

/** Orders bridge ids as 802.1D 8.5.1.1 does: the 8 bytes as one unsigned number (lower is better). */
export function compareBridgeId(a: BridgeId, b: BridgeId): number {
  return a.priority - b.priority || a.mac - b.mac;
}

/** "8000.020000000a0a"-style text used by brctl; `bridge`'s dotted form is formatBridgeIdColons. */
export function formatBridgeId(id: BridgeId): string {
  return `${id.priority.toString(16).padStart(4, '0')}.${id.mac.toString(16).padStart(12, '0')}`;
}

function readBridgeId(buf: Uint8Array, off: number): BridgeId {
  return { priority: readU16(buf, off), mac: readMac(buf, off + 2) };
}

function writeBridgeId(buf: Uint8Array, off: number, id: BridgeId): void {
  writeU16(buf, off, id.priority);
  writeMac(buf, off + 2, id.mac);
}

/**
 * Parses a BPDU (the bytes after the LLC header). As Linux's br_stp_rcv, the protocol id and version must
 * be 0 (an RSTP BPDU, version 2, is not for an STP bridge); bytes after the BPDU are ignored.
 */
export function parseBpdu(buf: Uint8Array): WireResult<Bpdu> {
  if (buf.length < BPDU_TCN_LEN)
    return fail(P, 'bpdu', 0, 'truncated', `truncated: ${buf.length} of ${BPDU_TCN_LEN} bytes`);
  if (readU16(buf, BPDU_PROTOCOL_OFF) !== 0)
    return fail(P, 'protocol', 0, 'unsupported', 'protocol identifier is not 0');
  if (buf[BPDU_VERSION_OFF] !== 0)
    return fail(P, 'version', BPDU_VERSION_OFF, 'unsupported', `version ${buf[BPDU_VERSION_OFF]} is not 802.1D STP`);
  const type = buf[BPDU_TYPE_OFF];
  if (type === BPDU_TYPE_TCN) return ok({ type: 'tcn' });
  if (type !== BPDU_TYPE_CONFIG)
    return fail(P, 'type', BPDU_TYPE_OFF, 'unsupported', `unknown BPDU type 0x${type?.toString(16)}`);
  if (buf.length < BPDU_CONFIG_LEN)
    return fail(P, 'bpdu', 0, 'truncated', `truncated config BPDU: ${buf.length} of ${BPDU_CONFIG_LEN} bytes`);
  const flags = buf[BPDU_FLAGS_OFF] ?? 0;
  return ok({
    type: 'config',
    topologyChange: (flags & BPDU_FLAG_TC) !== 0,
    topologyChangeAck: (flags & BPDU_FLAG_TCA) !== 0,
    root: readBridgeId(buf, BPDU_ROOT_OFF),
    rootPathCost: readU32(buf, BPDU_COST_OFF),
    bridge: readBridgeId(buf, BPDU_BRIDGE_OFF),
    portId: readU16(buf, BPDU_PORT_OFF),
    messageAge: readU16(buf, BPDU_MESSAGE_AGE_OFF),
    maxAge: readU16(buf, BPDU_MAX_AGE_OFF),
    helloTime: readU16(buf, BPDU_HELLO_OFF),
    forwardDelay: readU16(buf, BPDU_FORWARD_DELAY_OFF),
  });
}

/** 35 for a Configuration BPDU, 4 for a TCN. */
export function bpduLength(b: Bpdu): number {
  return b.type === 'config' ? BPDU_CONFIG_LEN : BPDU_TCN_LEN;
}

/** Writes `b` at `off` and returns its length. */
export function emitBpdu(b: Bpdu, buf: Uint8Array, off = 0): number {
  const len = bpduLength(b);
  assertRoom(P, buf, off, len);
  writeU16(buf, off + BPDU_PROTOCOL_OFF, 0);
  buf[off + BPDU_VERSION_OFF] = 0;
  if (b.type === 'tcn') {
    buf[off + BPDU_TYPE_OFF] = BPDU_TYPE_TCN;
    return len;
  }
  buf[off + BPDU_TYPE_OFF] = BPDU_TYPE_CONFIG;
  buf[off + BPDU_FLAGS_OFF] = (b.topologyChange ? BPDU_FLAG_TC : 0) | (b.topologyChangeAck ? BPDU_FLAG_TCA : 0);
  writeBridgeId(buf, off + BPDU_ROOT_OFF, b.root);
  writeU32(buf, off + BPDU_COST_OFF, b.rootPathCost);
  writeBridgeId(buf, off + BPDU_BRIDGE_OFF, b.bridge);
  writeU16(buf, off + BPDU_PORT_OFF, b.portId);
  writeU16(buf, off + BPDU_MESSAGE_AGE_OFF, b.messageAge);
  writeU16(buf, off + BPDU_MAX_AGE_OFF, b.maxAge);
  writeU16(buf, off + BPDU_HELLO_OFF, b.helloTime);
  writeU16(buf, off + BPDU_FORWARD_DELAY_OFF, b.forwardDelay);
  return len;
}

/** True when the Ethernet frame's type/length field is a length (802.3 framing, as LLC uses). */
export function isLengthFramed(frame: Uint8Array): boolean {
  return frame.length >= ETH_HEADER_LEN && readU16(frame, ETH_TYPE_OFF) <= ETH_MAX_LENGTH_FIELD;
}

/**
 * Parses an untagged 802.3 frame carrying STP: the length field bounds the LLC PDU (so NIC padding after
 * it is ignored), the LLC header must be 42 42 03, and the BPDU follows. The destination is not checked
 * here (a bridge decides what to do with frames to other addresses).
 */
export function parseBpduFrame(frame: Uint8Array): WireResult<Bpdu> {
  if (frame.length < ETH_HEADER_LEN + LLC_HEADER_LEN)
    return fail(P, 'frame', 0, 'truncated', `truncated: ${frame.length} bytes is too short for 802.3 + LLC`);
  const length = readU16(frame, ETH_TYPE_OFF);
  if (length > ETH_MAX_LENGTH_FIELD)
    return fail(P, 'length', ETH_TYPE_OFF, 'bad-value', `0x${length.toString(16)} is an ethertype`);
  if (length < LLC_HEADER_LEN || ETH_HEADER_LEN + length > frame.length)
    return fail(
      P,
      'length',
      ETH_TYPE_OFF,
      'bad-length',
      `length ${length} does not fit the ${frame.length}-byte frame`,
    );
  const llc = ETH_HEADER_LEN;
  if (frame[llc] !== LLC_SAP_STP) return fail(P, 'dsap', llc, 'unsupported', 'DSAP is not 0x42 (STP)');
  if (frame[llc + 1] !== LLC_SAP_STP) return fail(P, 'ssap', llc + 1, 'unsupported', 'SSAP is not 0x42 (STP)');
  if (frame[llc + 2] !== LLC_CONTROL_UI)
    return fail(P, 'control', llc + 2, 'unsupported', 'LLC control is not UI (0x03)');
  const r = parseBpdu(frame.subarray(llc + LLC_HEADER_LEN, ETH_HEADER_LEN + length));
  if (r.ok) return r;
  const e = r.error;
  return fail(P, e.field, e.offset + llc + LLC_HEADER_LEN, e.code, e.reason);
}

/**
 * A new frame carrying `b` from `src` to the Bridge Group Address: 14 + 3 + 35 (or 4) bytes, unpadded, as
 * Linux's br_send_bpdu hands it to the driver (tcpdump on a veth shows 52 bytes for a config BPDU).
 */
export function buildBpduFrame(b: Bpdu, src: Mac): Uint8Array {
  const len = bpduLength(b);
  const frame = new Uint8Array(ETH_HEADER_LEN + LLC_HEADER_LEN + len);
  writeMac(frame, 0, STP_GROUP_MAC);
  writeMac(frame, 6, src);
  writeU16(frame, ETH_TYPE_OFF, LLC_HEADER_LEN + len);
  frame[ETH_HEADER_LEN] = LLC_SAP_STP;
  frame[ETH_HEADER_LEN + 1] = LLC_SAP_STP;
  frame[ETH_HEADER_LEN + 2] = LLC_CONTROL_UI;
  emitBpdu(b, frame, ETH_HEADER_LEN + LLC_HEADER_LEN);
  return frame;
}
