/**
 * BGP-4 numbers shared by the message codecs (bgp.ts, bgp-update.ts, bgp-attrs.ts): message types,
 * path attribute type codes and flags, capability codes, and the NOTIFICATION error codes and subcodes
 * with the names the RFCs give them (RFC 4271 §4.5 and §6, RFC 4486 Cease subcodes, RFC 5492 Unsupported
 * Capability, RFC 6608 FSM errors, RFC 7313 ROUTE-REFRESH errors; IANA "BGP Error (Notification) Codes").
 * Also the error value a parser returns, which carries the NOTIFICATION a speaker must send.
 */
import type { WireError } from './result.js';

/** The TCP port BGP listens on (RFC 4271 §8.2.1). */
export const BGP_PORT = 179;
/** Marker (16) + Length (2) + Type (1) (RFC 4271 §4.1). */
export const BGP_HEADER_LEN = 19;
/** The largest BGP message (RFC 4271 §4.1; RFC 8654 extended messages are not negotiated here). */
export const BGP_MAX_MESSAGE_LEN = 4096;
/** The 2-octet AS a 4-octet-AS speaker puts where an AS > 65535 does not fit (RFC 6793 §9). */
export const AS_TRANS = 23456;
/** The only BGP version (RFC 4271 §4.2). */
export const BGP_VERSION = 4;

/** Message type codes (RFC 4271 §4.1, RFC 2918 §3 for ROUTE-REFRESH). */
export const BGP_TYPE = { OPEN: 1, UPDATE: 2, NOTIFICATION: 3, KEEPALIVE: 4, ROUTE_REFRESH: 5 } as const;

/** Path attribute type codes (RFC 4271 §5, RFC 1997, RFC 4456, RFC 4760, RFC 4360, RFC 6793, RFC 8092). */
export const BGP_ATTR = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MULTI_EXIT_DISC: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8,
  ORIGINATOR_ID: 9,
  CLUSTER_LIST: 10,
  MP_REACH_NLRI: 14,
  MP_UNREACH_NLRI: 15,
  EXTENDED_COMMUNITIES: 16,
  AS4_PATH: 17,
  AS4_AGGREGATOR: 18,
  LARGE_COMMUNITY: 32,
} as const;

/** Attribute Flags bits (RFC 4271 §4.3). */
export const BGP_ATTR_FLAG = { OPTIONAL: 0x80, TRANSITIVE: 0x40, PARTIAL: 0x20, EXTENDED_LENGTH: 0x10 } as const;

/** Capability codes (IANA "Capability Codes"; RFC 4760, RFC 2918, RFC 4724, RFC 6793, RFC 7313). */
export const BGP_CAP = {
  MULTIPROTOCOL: 1,
  ROUTE_REFRESH: 2,
  GRACEFUL_RESTART: 64,
  FOUR_OCTET_AS: 65,
  ENHANCED_ROUTE_REFRESH: 70,
} as const;

/** OPEN Optional Parameter type of Capabilities (RFC 5492 §4). */
export const BGP_OPT_PARAM_CAPABILITIES = 2;

/** AFI/SAFI of IPv4 unicast (IANA Address Family Numbers; RFC 4760 §6). */
export const AFI_IPV4 = 1;
/** SAFI of unicast forwarding (RFC 4760 §6). */
export const SAFI_UNICAST = 1;

/** NOTIFICATION error codes (RFC 4271 §4.5, RFC 6608 §3, RFC 7313 §5). */
export const BGP_ERR = {
  MESSAGE_HEADER: 1,
  OPEN_MESSAGE: 2,
  UPDATE_MESSAGE: 3,
  HOLD_TIMER_EXPIRED: 4,
  FSM: 5,
  CEASE: 6,
  ROUTE_REFRESH_MESSAGE: 7,
} as const;

/** Message Header Error subcodes (RFC 4271 §4.5). */
export const BGP_HEADER_SUBCODE = {
  CONNECTION_NOT_SYNCHRONIZED: 1,
  BAD_MESSAGE_LENGTH: 2,
  BAD_MESSAGE_TYPE: 3,
} as const;

/** OPEN Message Error subcodes (RFC 4271 §4.5; 5 is deprecated; 7 from RFC 5492 §5). */
export const BGP_OPEN_SUBCODE = {
  UNSPECIFIC: 0,
  UNSUPPORTED_VERSION_NUMBER: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_IDENTIFIER: 3,
  UNSUPPORTED_OPTIONAL_PARAMETER: 4,
  UNACCEPTABLE_HOLD_TIME: 6,
  UNSUPPORTED_CAPABILITY: 7,
} as const;

/** UPDATE Message Error subcodes (RFC 4271 §4.5; 7 is deprecated). */
export const BGP_UPDATE_SUBCODE = {
  MALFORMED_ATTRIBUTE_LIST: 1,
  UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: 2,
  MISSING_WELL_KNOWN_ATTRIBUTE: 3,
  ATTRIBUTE_FLAGS_ERROR: 4,
  ATTRIBUTE_LENGTH_ERROR: 5,
  INVALID_ORIGIN_ATTRIBUTE: 6,
  INVALID_NEXT_HOP_ATTRIBUTE: 8,
  OPTIONAL_ATTRIBUTE_ERROR: 9,
  INVALID_NETWORK_FIELD: 10,
  MALFORMED_AS_PATH: 11,
} as const;

/** Finite State Machine Error subcodes (RFC 6608 §3). */
export const BGP_FSM_SUBCODE = {
  UNSPECIFIED: 0,
  UNEXPECTED_IN_OPENSENT: 1,
  UNEXPECTED_IN_OPENCONFIRM: 2,
  UNEXPECTED_IN_ESTABLISHED: 3,
} as const;

/** Cease subcodes (RFC 4486 §4; 9 Hard Reset from RFC 8538). */
export const BGP_CEASE_SUBCODE = {
  MAXIMUM_PREFIXES_REACHED: 1,
  ADMINISTRATIVE_SHUTDOWN: 2,
  PEER_DECONFIGURED: 3,
  ADMINISTRATIVE_RESET: 4,
  CONNECTION_REJECTED: 5,
  OTHER_CONFIGURATION_CHANGE: 6,
  CONNECTION_COLLISION_RESOLUTION: 7,
  OUT_OF_RESOURCES: 8,
  HARD_RESET: 9,
} as const;

/** ROUTE-REFRESH Message Error subcodes (RFC 7313 §5). */
export const BGP_ROUTE_REFRESH_SUBCODE = { INVALID_MESSAGE_LENGTH: 1 } as const;

const CODE_NAMES: Record<number, string> = {
  1: 'Message Header Error',
  2: 'OPEN Message Error',
  3: 'UPDATE Message Error',
  4: 'Hold Timer Expired',
  5: 'Finite State Machine Error',
  6: 'Cease',
  7: 'ROUTE-REFRESH Message Error',
};

const SUBCODE_NAMES: Record<number, Record<number, string>> = {
  1: { 1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type' },
  2: {
    1: 'Unsupported Version Number',
    2: 'Bad Peer AS',
    3: 'Bad BGP Identifier',
    4: 'Unsupported Optional Parameter',
    5: 'Authentication Failure',
    6: 'Unacceptable Hold Time',
    7: 'Unsupported Capability',
  },
  3: {
    1: 'Malformed Attribute List',
    2: 'Unrecognized Well-known Attribute',
    3: 'Missing Well-known Attribute',
    4: 'Attribute Flags Error',
    5: 'Attribute Length Error',
    6: 'Invalid ORIGIN Attribute',
    7: 'AS Routing Loop',
    8: 'Invalid NEXT_HOP Attribute',
    9: 'Optional Attribute Error',
    10: 'Invalid Network Field',
    11: 'Malformed AS_PATH',
  },
  5: {
    1: 'Receive Unexpected Message in OpenSent State',
    2: 'Receive Unexpected Message in OpenConfirm State',
    3: 'Receive Unexpected Message in Established State',
  },
  6: {
    1: 'Maximum Number of Prefixes Reached',
    2: 'Administrative Shutdown',
    3: 'Peer De-configured',
    4: 'Administrative Reset',
    5: 'Connection Rejected',
    6: 'Other Configuration Change',
    7: 'Connection Collision Resolution',
    8: 'Out of Resources',
    9: 'Hard Reset',
  },
  7: { 1: 'Invalid Message Length' },
};

/** The RFC name of a NOTIFICATION error code ("Cease"), or undefined for a number RFC 4271 does not name. */
export function notificationCodeName(code: number): string | undefined {
  return CODE_NAMES[code];
}

/**
 * The RFC names of a NOTIFICATION: "Hold Timer Expired", "Cease / Administrative Shutdown". Subcode 0 is
 * "unspecific" (RFC 4271 §4.5) and is left out; unknown numbers print as numbers.
 */
export function notificationText(code: number, subcode: number): string {
  const name = CODE_NAMES[code] ?? `Error ${code}`;
  if (subcode === 0) return name;
  return `${name} / ${SUBCODE_NAMES[code]?.[subcode] ?? `Subcode ${subcode}`}`;
}

/** The NOTIFICATION a speaker sends for an error (RFC 4271 §4.5): code, subcode and the Data field. */
export interface BgpNotificationFields {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

/**
 * Why bytes are not an acceptable BGP message, and the NOTIFICATION the receiver must answer with before
 * closing the session (RFC 4271 §6.1, §6.2, §6.3 for UPDATEs whose fields cannot be delimited).
 */
export interface BgpError extends WireError {
  readonly notification: BgpNotificationFields;
}

/** The plan's name for a message-level parse error (header, OPEN, NOTIFICATION, ...): same type. */
export type BgpHeaderError = BgpError;

/** What a BGP parser returns. */
export type BgpResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: BgpError };

/** Builds a BGP parse failure carrying the NOTIFICATION to send. */
export function bgpFail(
  field: string,
  offset: number,
  code: WireError['code'],
  reason: string,
  bgpCode: number,
  subcode: number,
  data: Uint8Array = new Uint8Array(0),
): { ok: false; error: BgpError } {
  return {
    ok: false,
    error: { protocol: 'bgp', field, offset, code, reason, notification: { code: bgpCode, subcode, data } },
  };
}
