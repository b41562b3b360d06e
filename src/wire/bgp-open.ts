/**
 * The BGP OPEN message body (RFC 4271 §4.2) with its Capabilities optional parameter (RFC 5492): the
 * multiprotocol (RFC 4760), route refresh (RFC 2918), graceful restart (RFC 4724), 4-octet AS (RFC 6793)
 * and enhanced route refresh (RFC 7313) capabilities are decoded, the others kept raw. Errors carry the
 * OPEN Message Error NOTIFICATION of RFC 4271 §6.2. The header and dispatch are bgp.ts.
 */
import { type Ipv4, readIpv4, writeIpv4 } from './addr.js';
import { readU16, readU32, writeU16, writeU32 } from './bytes.js';
import {
  AS_TRANS,
  BGP_CAP,
  BGP_ERR,
  BGP_OPEN_SUBCODE,
  BGP_OPT_PARAM_CAPABILITIES,
  BGP_VERSION,
  type BgpError,
  type BgpResult,
  bgpFail,
} from './bgp-codes.js';

/** Graceful Restart capability (RFC 4724 §3), as BIRD sends it. */
export interface BgpGracefulRestartCap {
  kind: 'graceful-restart';
  /** Restart Flags, the top 4 bits: 0x8 Restart State (R), 0x4 Notification (N, RFC 8538). */
  flags: number;
  /** Restart Time in seconds (12 bits). */
  restartTime: number;
  /** Per address family: AFI, SAFI and its flags (0x80 Forwarding State). */
  afis: { afi: number; safi: number; flags: number }[];
}

/** A capability of an OPEN (RFC 5492). Those not decoded are kept raw. */
export type BgpCapability =
  | { kind: 'multiprotocol'; afi: number; safi: number }
  | { kind: 'route-refresh' }
  | BgpGracefulRestartCap
  | { kind: 'four-octet-as'; as: number }
  | { kind: 'enhanced-route-refresh' }
  | { kind: 'raw'; code: number; value: Uint8Array };

/** An OPEN (RFC 4271 §4.2). */
export interface BgpOpen {
  type: 'open';
  version: number;
  /** The 4-octet AS from capability 65 when present, else the 2-octet My AS field. */
  myAs: number;
  holdTime: number;
  bgpId: Ipv4;
  /** In order; emitting puts them all in one Capabilities optional parameter. */
  capabilities: BgpCapability[];
}

function capabilityBytes(c: BgpCapability): { code: number; value: Uint8Array } {
  switch (c.kind) {
    case 'multiprotocol': {
      const v = new Uint8Array(4); // AFI, Reserved, SAFI (RFC 4760 §8)
      writeU16(v, 0, c.afi);
      v[3] = c.safi;
      return { code: BGP_CAP.MULTIPROTOCOL, value: v };
    }
    case 'route-refresh':
      return { code: BGP_CAP.ROUTE_REFRESH, value: new Uint8Array(0) };
    case 'graceful-restart': {
      const v = new Uint8Array(2 + 4 * c.afis.length);
      writeU16(v, 0, ((c.flags & 0xf) << 12) | (c.restartTime & 0xfff));
      c.afis.forEach((a, i) => {
        writeU16(v, 2 + 4 * i, a.afi);
        v[4 + 4 * i] = a.safi;
        v[5 + 4 * i] = a.flags;
      });
      return { code: BGP_CAP.GRACEFUL_RESTART, value: v };
    }
    case 'four-octet-as': {
      const v = new Uint8Array(4);
      writeU32(v, 0, c.as);
      return { code: BGP_CAP.FOUR_OCTET_AS, value: v };
    }
    case 'enhanced-route-refresh':
      return { code: BGP_CAP.ENHANCED_ROUTE_REFRESH, value: new Uint8Array(0) };
    case 'raw':
      return { code: c.code, value: c.value };
  }
}

function parseCapability(code: number, v: Uint8Array): BgpCapability | undefined {
  switch (code) {
    case BGP_CAP.MULTIPROTOCOL:
      return v.length === 4 ? { kind: 'multiprotocol', afi: readU16(v, 0), safi: v[3]! } : undefined;
    case BGP_CAP.ROUTE_REFRESH:
      return v.length === 0 ? { kind: 'route-refresh' } : undefined;
    case BGP_CAP.GRACEFUL_RESTART: {
      if (v.length < 2 || (v.length - 2) % 4 !== 0) return undefined;
      const w = readU16(v, 0);
      const afis = Array.from({ length: (v.length - 2) / 4 }, (_, i) => ({
        afi: readU16(v, 2 + 4 * i),
        safi: v[4 + 4 * i]!,
        flags: v[5 + 4 * i]!,
      }));
      return { kind: 'graceful-restart', flags: w >>> 12, restartTime: w & 0xfff, afis };
    }
    case BGP_CAP.FOUR_OCTET_AS:
      return v.length === 4 ? { kind: 'four-octet-as', as: readU32(v, 0) } : undefined;
    case BGP_CAP.ENHANCED_ROUTE_REFRESH:
      return v.length === 0 ? { kind: 'enhanced-route-refresh' } : undefined;
    default:
      return undefined;
  }
}

/** The OPEN body (after the header); throws when the capabilities pass 255 bytes (a caller bug). */
export function emitOpenBody(m: BgpOpen): Uint8Array {
  const caps = m.capabilities.map(capabilityBytes);
  const capLen = caps.reduce((n, c) => n + 2 + c.value.length, 0);
  const optLen = caps.length > 0 ? 2 + capLen : 0;
  if (optLen > 255) throw new RangeError(`bgp: OPEN capabilities take ${optLen} bytes, more than 255`);
  const out = new Uint8Array(10 + optLen);
  out[0] = m.version;
  // RFC 6793 §4.1: an AS that does not fit in 2 octets goes in the capability, with AS_TRANS here.
  writeU16(out, 1, m.myAs > 0xffff ? AS_TRANS : m.myAs);
  writeU16(out, 3, m.holdTime);
  writeIpv4(out, 5, m.bgpId);
  out[9] = optLen;
  if (optLen > 0) {
    out[10] = BGP_OPT_PARAM_CAPABILITIES;
    out[11] = capLen;
    let off = 12;
    for (const c of caps) {
      out[off] = c.code;
      out[off + 1] = c.value.length;
      out.set(c.value, off + 2);
      off += 2 + c.value.length;
    }
  }
  return out;
}

/** Parses an OPEN body `b[s, e)`; errors per RFC 4271 §6.2 (checks that need configuration: checkOpen). */
export function parseOpenBody(b: Uint8Array, s: number, e: number): BgpResult<BgpOpen> {
  const OPEN = BGP_ERR.OPEN_MESSAGE;
  const version = b[s]!;
  if (version !== BGP_VERSION) {
    // RFC 4271 §6.2: Data is the largest locally supported version, as a 2-octet unsigned integer.
    return bgpFail(
      'version',
      s,
      'unsupported',
      `BGP version ${version}`,
      OPEN,
      BGP_OPEN_SUBCODE.UNSUPPORTED_VERSION_NUMBER,
      Uint8Array.of(0, BGP_VERSION),
    );
  }
  const as2 = readU16(b, s + 1);
  const holdTime = readU16(b, s + 3);
  // RFC 4271 §6.2: a Hold Time of 1 or 2 seconds MUST be rejected (0 means no keepalives; 3+ is fine).
  if (holdTime === 1 || holdTime === 2)
    return bgpFail(
      'hold-time',
      s + 3,
      'bad-value',
      `Hold Time ${holdTime}`,
      OPEN,
      BGP_OPEN_SUBCODE.UNACCEPTABLE_HOLD_TIME,
      b.slice(s + 3, s + 5), // no Data in RFC 4271 §6.2; BIRD 2 sends the Hold Time field
    );
  const bgpId = readIpv4(b, s + 5);
  // RFC 6286 §2.2: the BGP Identifier is any non-zero 4-octet value.
  if (bgpId === 0)
    return bgpFail(
      'bgp-identifier',
      s + 5,
      'bad-value',
      'BGP Identifier 0',
      OPEN,
      BGP_OPEN_SUBCODE.BAD_BGP_IDENTIFIER,
      b.slice(s + 5, s + 9),
    );
  const optLen = b[s + 9]!;
  if (s + 10 + optLen !== e)
    return bgpFail(
      'opt-param-len',
      s + 9,
      'bad-length',
      'Optional Parameters Length disagrees with the message Length',
      OPEN,
      BGP_OPEN_SUBCODE.UNSPECIFIC,
    );
  const capabilities: BgpCapability[] = [];
  let myAs = as2;
  for (let off = s + 10; off < e;) {
    if (off + 2 > e || off + 2 + b[off + 1]! > e)
      return bgpFail('opt-param', off, 'bad-length', 'optional parameter overruns', OPEN, BGP_OPEN_SUBCODE.UNSPECIFIC);
    const pType = b[off]!;
    const pEnd = off + 2 + b[off + 1]!;
    if (pType !== BGP_OPT_PARAM_CAPABILITIES)
      return bgpFail(
        'opt-param',
        off,
        'unsupported',
        `optional parameter type ${pType}`,
        OPEN,
        BGP_OPEN_SUBCODE.UNSUPPORTED_OPTIONAL_PARAMETER,
      );
    for (let c = off + 2; c < pEnd;) {
      if (c + 2 > pEnd || c + 2 + b[c + 1]! > pEnd)
        return bgpFail(
          'capability',
          c,
          'bad-length',
          'capability overruns its parameter',
          OPEN,
          BGP_OPEN_SUBCODE.UNSPECIFIC,
        );
      const code = b[c]!;
      const value = b.slice(c + 2, c + 2 + b[c + 1]!);
      const cap = parseCapability(code, value) ?? { kind: 'raw', code, value };
      if (cap.kind === 'four-octet-as') myAs = cap.as;
      capabilities.push(cap);
      c += 2 + value.length;
    }
    off = pEnd;
  }
  return { ok: true, value: { type: 'open', version, myAs, holdTime, bgpId, capabilities } };
}

function u32(v: number): Uint8Array {
  const out = new Uint8Array(4);
  writeU32(out, 0, v);
  return out;
}

/** What the local side expects of a peer's OPEN (RFC 4271 §6.2 checks that need configuration). */
export interface BgpOpenExpectation {
  /** The configured peer AS. */
  peerAs: number;
  /** The local BGP Identifier: an iBGP peer with the same one is rejected (RFC 6286 §2.1). */
  localBgpId: Ipv4;
  /** The local AS, to tell iBGP from eBGP. */
  localAs: number;
}

/** The NOTIFICATION a peer's OPEN earns under `want`, or undefined when it is acceptable. */
export function checkOpen(open: BgpOpen, want: BgpOpenExpectation): BgpError | undefined {
  if (open.myAs !== want.peerAs) {
    // RFC 4271 §6.2 gives no Data for Bad Peer AS. BIRD 2 (proto/bgp/packets.c, bgp_rx_open) sends the AS
    // the peer claimed: 4 octets when it sent the 4-octet AS capability, else its 2-octet My AS field.
    const as4 = open.capabilities.some((c) => c.kind === 'four-octet-as');
    const data = new Uint8Array(as4 ? 4 : 2);
    if (as4) writeU32(data, 0, open.myAs);
    else writeU16(data, 0, open.myAs);
    const f = bgpFail(
      'my-as',
      20,
      'bad-value',
      `peer AS ${open.myAs}, expected ${want.peerAs}`,
      BGP_ERR.OPEN_MESSAGE,
      BGP_OPEN_SUBCODE.BAD_PEER_AS,
      data,
    );
    return f.error;
  }
  if (want.peerAs === want.localAs && open.bgpId === want.localBgpId) {
    return bgpFail(
      'bgp-identifier',
      24,
      'bad-value',
      'iBGP peer has our BGP Identifier',
      BGP_ERR.OPEN_MESSAGE,
      BGP_OPEN_SUBCODE.BAD_BGP_IDENTIFIER,
      u32(open.bgpId), // as BIRD 2: the identifier received
    ).error;
  }
  return undefined;
}
