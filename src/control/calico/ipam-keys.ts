/**
 * Calico IPAM's datastore layout: the keys and the JSON values libcalico-go writes to etcd (backend/model
 * block.go, block_affinity.go, ipam_handle.go; values are encoding/json of the model structs, so struct
 * fields keep their declaration order, map keys are sorted, and nil slices are `null`). This file owns the
 * text; ipam.ts owns the state it is made from.
 *
 * - `/calico/ipam/v2/assignment/ipv4/block/192.168.236.0-26`: the AllocationBlock
 *   `{"cidr","affinity","affinity_claim_time","allocations","unallocated","attributes","sequenceNumber",
 *   "sequenceNumberForAllocation","deleted"}`;
 * - `/calico/ipam/v2/host/<node>/ipv4/block/192.168.236.0-26`: the BlockAffinity `{"state","deleted"}`;
 * - `/calico/ipam/v2/handle/<handle>`: the IPAMHandle `{"block":{"192.168.236.0/26":1},"deleted":false}`.
 */
import { formatCidr, type Ipv4Prefix } from '../../wire/addr.js';
import { goJson } from '../cni/go-format.js';

/** Where every IPAM key lives. */
export const IPAM_PREFIX = '/calico/ipam/v2/';

/** BlockKey's text form: the CIDR with '/' replaced by '-' (model.BlockKey.defaultPath). */
export function blockName(cidr: Ipv4Prefix): string {
  return formatCidr(cidr).replace('/', '-');
}

/** `/calico/ipam/v2/assignment/ipv4/block/<a.b.c.d-n>`. */
export function blockKey(cidr: Ipv4Prefix): string {
  return `${IPAM_PREFIX}assignment/ipv4/block/${blockName(cidr)}`;
}

/** `/calico/ipam/v2/host/<node>/ipv4/block/<a.b.c.d-n>` (affinity type `host`). */
export function affinityKey(node: string, cidr: Ipv4Prefix): string {
  return `${IPAM_PREFIX}host/${node}/ipv4/block/${blockName(cidr)}`;
}

/** `/calico/ipam/v2/handle/<handle>`. */
export function handleKey(handleId: string): string {
  return `${IPAM_PREFIX}handle/${handleId}`;
}

/** BlockAffinityState (block_affinity.go). */
export type AffinityState = 'pending' | 'confirmed' | 'pendingDeletion';

/** One entry of AllocationBlock.Attributes (block.go AllocationAttribute). */
export interface AllocationAttribute {
  /** `handle_id`, omitted when nil. */
  readonly handleId?: string;
  /** `secondary` (ActiveOwnerAttrs), omitted when empty. */
  readonly secondary?: Readonly<Record<string, string>>;
}

/** The fields of model.AllocationBlock podnet keeps, in the values libcalico-go gives them. */
export interface AllocationBlockValue {
  readonly cidr: Ipv4Prefix;
  /** `host:<node>`, or undefined (JSON null) for a block with no affinity. */
  readonly affinity: string | undefined;
  /** metav1.Time of the claim, RFC 3339 in seconds; omitted when unset. */
  readonly affinityClaimTime: string | undefined;
  /** Per ordinal: the index into attributes, or null when free. */
  readonly allocations: readonly (number | null)[];
  readonly unallocated: readonly number[];
  /** null until the first attribute is added (a Go nil slice). */
  readonly attributes: readonly AllocationAttribute[] | null;
  readonly sequenceNumber: bigint;
  /** Ordinal -> the block's sequence number when it was allocated. */
  readonly sequenceNumberForAllocation: ReadonlyMap<number, bigint>;
}

/** json.Marshal of a map[string]V: keys sorted as strings. */
function sortedMap<V>(entries: Iterable<[string, V]>, value: (v: V) => string): string {
  const list = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${list.map(([k, v]) => `${goJson(k)}:${value(v)}`).join(',')}}`;
}

function attributeJson(a: AllocationAttribute): string {
  const parts: string[] = [];
  if (a.handleId !== undefined) parts.push(`"handle_id":${goJson(a.handleId)}`);
  if (a.secondary !== undefined && Object.keys(a.secondary).length > 0)
    parts.push(`"secondary":${sortedMap(Object.entries(a.secondary), (v) => goJson(v))}`);
  return `{${parts.join(',')}}`;
}

/** The AllocationBlock JSON exactly as libcalico-go's etcd backend stores it. */
export function blockJson(b: AllocationBlockValue): string {
  const fields = [
    `"cidr":${goJson(formatCidr(b.cidr))}`,
    `"affinity":${b.affinity === undefined ? 'null' : goJson(b.affinity)}`,
  ];
  if (b.affinityClaimTime !== undefined) fields.push(`"affinity_claim_time":${goJson(b.affinityClaimTime)}`);
  fields.push(
    `"allocations":[${b.allocations.map((x) => (x === null ? 'null' : String(x))).join(',')}]`,
    `"unallocated":[${b.unallocated.join(',')}]`,
    `"attributes":${b.attributes === null ? 'null' : `[${b.attributes.map(attributeJson).join(',')}]`}`,
    `"sequenceNumber":${b.sequenceNumber}`,
    `"sequenceNumberForAllocation":${sortedMap(
      [...b.sequenceNumberForAllocation].map(([o, s]) => [String(o), s]),
      (s) => String(s),
    )}`,
    `"deleted":false`,
  );
  return `{${fields.join(',')}}`;
}

/** The BlockAffinity JSON. */
export function affinityJson(state: AffinityState): string {
  return `{"state":${goJson(state)},"deleted":false}`;
}

/** The IPAMHandle JSON: how many addresses the handle holds in each block (keyed by the block's CIDR). */
export function handleJson(blocks: ReadonlyMap<string, number>): string {
  return `{"block":${sortedMap(blocks, String)},"deleted":false}`;
}

/** metav1.Time's JSON text for `ns` nanoseconds since the Unix epoch: RFC 3339 in UTC, whole seconds. */
export function rfc3339Seconds(ns: bigint): string {
  const ms = Number(ns / 1_000_000_000n) * 1000;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
