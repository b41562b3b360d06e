/**
 * The value types of BGP path attributes (RFC 4271 §4.3, §5) and of the RFC 7606 error handling, shared
 * by the attribute parser (bgp-attrs.ts) and emitter (bgp-attrs-emit.ts), plus the flag bits each
 * recognized attribute must carry.
 */
import type { Ipv4, Ipv4Prefix } from './addr.js';
import { BGP_ATTR, BGP_ATTR_FLAG } from './bgp-codes.js';

/** ORIGIN values (RFC 4271 §4.3 a). */
export type BgpOrigin = 'igp' | 'egp' | 'incomplete';
/** ORIGIN values by their code (0 IGP, 1 EGP, 2 INCOMPLETE). */
export const ORIGINS: readonly BgpOrigin[] = ['igp', 'egp', 'incomplete'];

/** AS_PATH segment types: 1 AS_SET, 2 AS_SEQUENCE (RFC 4271 §4.3 b), 3/4 confederation ones (RFC 5065 §3). */
export type AsPathSegmentType = 'set' | 'sequence' | 'confed-sequence' | 'confed-set';
/** Segment types by their code minus one. */
export const SEGMENT_TYPES: readonly AsPathSegmentType[] = ['set', 'sequence', 'confed-sequence', 'confed-set'];

/** One AS_PATH segment: its type and ASNs (2- or 4-octet on the wire, per the session). */
export interface AsPathSegment {
  type: AsPathSegmentType;
  asns: number[];
}

/** AGGREGATOR (RFC 4271 §5.1.7): the aggregating AS and its BGP Identifier. */
export interface BgpAggregator {
  as: number;
  id: Ipv4;
}

/** MP_REACH_NLRI (RFC 4760 §3). IPv4 unicast NLRI are parsed into `nlri`; other families keep `nlriRaw`. */
export interface BgpMpReach {
  afi: number;
  safi: number;
  /** Network Address of Next Hop, as bytes (4 for IPv4; 16 or 32 for IPv6). */
  nextHop: Uint8Array;
  nlri: Ipv4Prefix[];
  /** The NLRI bytes of a family other than IPv4 unicast (undefined for IPv4 unicast). */
  nlriRaw?: Uint8Array;
}

/** MP_UNREACH_NLRI (RFC 4760 §4). IPv4 unicast withdrawals are parsed; other families keep `withdrawnRaw`. */
export interface BgpMpUnreach {
  afi: number;
  safi: number;
  withdrawn: Ipv4Prefix[];
  withdrawnRaw?: Uint8Array;
}

/** An attribute this codec does not decode, kept as received (flags without the Extended Length bit). */
export interface BgpRawAttr {
  flags: number;
  code: number;
  value: Uint8Array;
}

/** The path attributes of an UPDATE. Absent means not present in the message. */
export interface PathAttributes {
  origin?: BgpOrigin;
  asPath?: AsPathSegment[];
  nextHop?: Ipv4;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: BgpAggregator;
  /** COMMUNITIES (RFC 1997): 32-bit values, AS in the high 16 bits. */
  communities?: number[];
  originatorId?: Ipv4;
  clusterList?: Ipv4[];
  mpReach?: BgpMpReach;
  mpUnreach?: BgpMpUnreach;
  /** AS4_PATH (RFC 6793 §3): always 4-octet ASNs. */
  as4Path?: AsPathSegment[];
  as4Aggregator?: BgpAggregator;
  /**
   * Unrecognized optional transitive attributes (and recognized ones not decoded here, such as extended
   * communities). Emitting sets the Partial bit on the optional transitive ones (RFC 4271 §5: a passed-on
   * unrecognized transitive attribute carries Partial). Unrecognized optional non-transitive attributes
   * are quietly ignored on parse (RFC 4271 §5) and never appear here.
   */
  unknown: BgpRawAttr[];
}

/** RFC 7606 §2 approaches, least to most severe (RFC 7606 §3 h gives the precedence). */
export type BgpUpdateAction = 'attribute-discard' | 'treat-as-withdraw' | 'afi-safi-disable' | 'session-reset';
const SEVERITY: Record<BgpUpdateAction, number> = {
  'attribute-discard': 1,
  'treat-as-withdraw': 2,
  'afi-safi-disable': 3,
  'session-reset': 4,
};

/** The most severe of `actions` (RFC 7606 §3 h), or 'none' when there are none. */
export function mostSevere(actions: readonly BgpUpdateAction[]): BgpUpdateAction | 'none' {
  let best: BgpUpdateAction | 'none' = 'none';
  for (const a of actions) if (best === 'none' || SEVERITY[a] > SEVERITY[best]) best = a;
  return best;
}

/**
 * One malformed attribute of an UPDATE: the action to take and the NOTIFICATION that RFC 4271 §6.3
 * names for it (sent only when the action is session-reset; logged otherwise).
 */
export interface BgpAttrError {
  /** Attribute type code (0 when the error is not about one attribute). */
  attr: number;
  action: BgpUpdateAction;
  code: number;
  subcode: number;
  data: Uint8Array;
  reason: string;
}

/** The findings of a message that has none: one shared, frozen list (nothing adds to it). */
export const NO_ATTR_ERRORS: readonly BgpAttrError[] = Object.freeze([]);

/** The Optional and Transitive bits each recognized attribute must carry (RFC 4271 §5, RFC 4760, RFC 4456). */
export const BGP_ATTR_EXPECTED_FLAGS: Record<number, number> = {
  [BGP_ATTR.ORIGIN]: BGP_ATTR_FLAG.TRANSITIVE,
  [BGP_ATTR.AS_PATH]: BGP_ATTR_FLAG.TRANSITIVE,
  [BGP_ATTR.NEXT_HOP]: BGP_ATTR_FLAG.TRANSITIVE,
  [BGP_ATTR.MULTI_EXIT_DISC]: BGP_ATTR_FLAG.OPTIONAL,
  [BGP_ATTR.LOCAL_PREF]: BGP_ATTR_FLAG.TRANSITIVE,
  [BGP_ATTR.ATOMIC_AGGREGATE]: BGP_ATTR_FLAG.TRANSITIVE,
  [BGP_ATTR.AGGREGATOR]: BGP_ATTR_FLAG.OPTIONAL | BGP_ATTR_FLAG.TRANSITIVE,
  [BGP_ATTR.COMMUNITIES]: BGP_ATTR_FLAG.OPTIONAL | BGP_ATTR_FLAG.TRANSITIVE,
  [BGP_ATTR.ORIGINATOR_ID]: BGP_ATTR_FLAG.OPTIONAL,
  [BGP_ATTR.CLUSTER_LIST]: BGP_ATTR_FLAG.OPTIONAL,
  [BGP_ATTR.MP_REACH_NLRI]: BGP_ATTR_FLAG.OPTIONAL,
  [BGP_ATTR.MP_UNREACH_NLRI]: BGP_ATTR_FLAG.OPTIONAL,
  [BGP_ATTR.AS4_PATH]: BGP_ATTR_FLAG.OPTIONAL | BGP_ATTR_FLAG.TRANSITIVE,
  [BGP_ATTR.AS4_AGGREGATOR]: BGP_ATTR_FLAG.OPTIONAL | BGP_ATTR_FLAG.TRANSITIVE,
};

/** Whether `code` is an attribute this codec decodes into a field of PathAttributes. */
export function isDecodedAttr(code: number): boolean {
  return BGP_ATTR_EXPECTED_FLAGS[code] !== undefined;
}
