/**
 * Flannel's key space in an etcd v3 style datastore, used as is so that a real flanneld and an emulated
 * one can share an etcd (flannel pkg/subnet/etcd/registry.go, pkg/lease/lease.go):
 * - `<prefix>/config`: the network config (net-conf.json), written by the operator;
 * - `<prefix>/subnets/10.5.72.0-24`: one key per node's subnet lease (dual-stack:
 *   `10.5.72.0-24&fc00::-64`), attached to a TTL lease (24 h by default) and holding the lease attributes
 *   as JSON, e.g. `{"PublicIP":"10.85.81.165","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":...}}`.
 * `<prefix>` is flanneld's --etcd-prefix, `/coreos.com/network` by default. This file converts keys and
 * values; allocating subnets and renewing leases is flanneld's job.
 *
 * Values are JSON as Go's encoding/json writes it: fields in struct order, no spaces, `<`, `>`, `&`,
 * U+2028 and U+2029 escaped. Flannel since dual-stack support declares `PublicIPv6 *ip.IP6` without
 * omitempty, so it writes `"PublicIPv6":null` on IPv4-only nodes; older releases wrote no such field.
 * Both are accepted when parsing; encoding writes the current form unless told otherwise.
 */
import { isJsonObject } from '../../wire/json.js';
import { formatIpv4, formatMac, parseIpv4, parseMac, type Ipv4, type Ipv4Prefix, type Mac } from '../../wire/addr.js';

/** flanneld's default --etcd-prefix. */
export const FLANNEL_ETCD_PREFIX = '/coreos.com/network';

/** Why a flannel key or value was rejected: the offending field (e.g. 'BackendData.VtepMAC') and why. */
export interface FlannelFormatError {
  readonly field: string;
  readonly reason: string;
}

/** A parsed key or value, or why it is not one. */
export type FlannelResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: FlannelFormatError };

/** A lease's subnet as its key names it: IPv4, plus IPv6 on dual-stack networks. */
export interface FlannelSubnet {
  readonly ipv4: Ipv4Prefix;
  /** The IPv6 subnet as written in the key (flannel prints it with Go's net.IP.String). */
  readonly ipv6?: { readonly addr: string; readonly len: number };
}

/** A lease's attributes (flannel's LeaseAttrs), the value of a subnet key. */
export interface FlannelLeaseAttrs {
  /** The node's public (underlay) IPv4 address: the VXLAN/UDP tunnel endpoint or host-gw next hop. */
  readonly publicIp: Ipv4;
  /** The node's public IPv6 address on dual-stack networks. */
  readonly publicIpv6?: string;
  /** 'vxlan', 'host-gw', 'udp', ...; '' when the value has none. */
  readonly backendType: string;
  /** Backend-specific JSON (for vxlan see vxlanBackendData); absent when the backend has none. */
  readonly backendData?: unknown;
  /** The same for IPv6 (dual-stack vxlan). */
  readonly backendV6Data?: unknown;
}

/** What the vxlan backend publishes in BackendData (pkg/backend/vxlan vxlanLeaseAttrs). */
export interface FlannelVxlanData {
  /** The VXLAN network identifier (Go uint16); absent in values from flannel before it was added. */
  readonly vni?: number;
  /** The MAC of the node's flannel.<VNI> device: remote nodes' ARP and FDB entries point at it. */
  readonly vtepMac: Mac;
}

/** A parsed lease value; `vxlan` is set when the backend type is 'vxlan'. */
export interface FlannelLeaseValue extends FlannelLeaseAttrs {
  readonly vxlan?: FlannelVxlanData;
}

/** Options of encodeFlannelLeaseValue. */
export interface FlannelEncodeOptions {
  /** Leave out `"PublicIPv6":null` when there is no IPv6 address, as flannel did before dual-stack. */
  omitNullPublicIpv6?: boolean;
}

/** `<prefix>/config`, the key of the network configuration. */
export function flannelConfigKey(prefix = FLANNEL_ETCD_PREFIX): string {
  return `${trimSlash(prefix)}/config`;
}

/** `<prefix>/subnets`, the prefix flannel lists and watches the leases under (path.Join: no trailing slash). */
export function flannelSubnetsPrefix(prefix = FLANNEL_ETCD_PREFIX): string {
  return `${trimSlash(prefix)}/subnets`;
}

/** The key of a subnet's lease: `<prefix>/subnets/10.5.72.0-24` (`&fc00::-64` appended for dual-stack). */
export function flannelSubnetKey(subnet: FlannelSubnet, prefix = FLANNEL_ETCD_PREFIX): string {
  const v4 = `${formatIpv4(subnet.ipv4.addr)}-${subnet.ipv4.len}`;
  const v6 = subnet.ipv6 === undefined ? '' : `&${subnet.ipv6.addr}-${subnet.ipv6.len}`;
  return `${flannelSubnetsPrefix(prefix)}/${v4}${v6}`;
}

// flannel's subnetRegex is `(\d+\.\d+.\d+.\d+)-(\d+)(?:&([a-f\d:]+)-(\d+))?$`; here the dots are literal
// and the whole last path segment must match.
const SUBNET_SEGMENT = /^(\d+\.\d+\.\d+\.\d+)-(\d+)(?:&([a-f\d:]+)-(\d+))?$/;

/** The subnet named by a lease key under `prefix`. */
export function parseFlannelSubnetKey(key: string, prefix = FLANNEL_ETCD_PREFIX): FlannelResult<FlannelSubnet> {
  const dir = `${flannelSubnetsPrefix(prefix)}/`;
  if (!key.startsWith(dir)) return fail('key', `${JSON.stringify(key)} is not under ${dir}`);
  const m = SUBNET_SEGMENT.exec(key.slice(dir.length));
  if (!m)
    return fail(
      'key',
      `${JSON.stringify(key.slice(dir.length))} is not a subnet like 10.5.72.0-24 or 10.5.72.0-24&fc00::-64`,
    );
  const addr = parseIpv4(m[1]!);
  if (addr === undefined) return fail('key', `${m[1]} is not an IPv4 address`);
  const len = Number(m[2]);
  if (len > 32) return fail('key', `prefix length ${m[2]} is over 32`);
  if (m[3] === undefined) return ok({ ipv4: { addr, len } });
  if (!isIpv6Text(m[3])) return fail('key', `${m[3]} is not an IPv6 address`);
  const len6 = Number(m[4]);
  if (len6 > 128) return fail('key', `IPv6 prefix length ${m[4]} is over 128`);
  return ok({ ipv4: { addr, len }, ipv6: { addr: m[3], len: len6 } });
}

/** BackendData of a vxlan lease, fields in flannel's order: `{"VNI":1,"VtepMAC":"de:71:6e:55:36:75"}`. */
export function vxlanBackendData(data: FlannelVxlanData): Record<string, unknown> {
  return { ...(data.vni !== undefined ? { VNI: data.vni } : {}), VtepMAC: formatMac(data.vtepMac) };
}

/** Reads a vxlan BackendData value (VNI a 16-bit integer when present, VtepMAC a MAC). */
export function parseVxlanBackendData(data: unknown, field = 'BackendData'): FlannelResult<FlannelVxlanData> {
  if (!isJsonObject(data)) return fail(field, 'must be an object with VtepMAC (vxlan backend)');
  const vni = member(data, 'VNI');
  if (vni !== undefined && !(Number.isInteger(vni) && (vni as number) >= 0 && (vni as number) <= 0xffff)) {
    return fail(`${field}.VNI`, `${JSON.stringify(vni)} is not an integer 0..65535`);
  }
  const macText = member(data, 'VtepMAC');
  if (typeof macText !== 'string') return fail(`${field}.VtepMAC`, 'missing or not a string');
  const vtepMac = parseMac(macText);
  if (vtepMac === undefined) return fail(`${field}.VtepMAC`, `${JSON.stringify(macText)} is not a MAC address`);
  return ok(vni === undefined ? { vtepMac } : { vni: vni as number, vtepMac });
}

/** The value flanneld stores under a subnet key, byte for byte as Go's json.Marshal writes it. */
export function encodeFlannelLeaseValue(attrs: FlannelLeaseAttrs, opts: FlannelEncodeOptions = {}): string {
  let out = `{"PublicIP":${goJson(formatIpv4(attrs.publicIp))}`;
  if (attrs.publicIpv6 !== undefined) out += `,"PublicIPv6":${goJson(attrs.publicIpv6)}`;
  else if (opts.omitNullPublicIpv6 !== true) out += ',"PublicIPv6":null';
  if (attrs.backendType !== '') out += `,"BackendType":${goJson(attrs.backendType)}`;
  if (attrs.backendData !== undefined) out += `,"BackendData":${goJson(attrs.backendData)}`;
  if (attrs.backendV6Data !== undefined) out += `,"BackendV6Data":${goJson(attrs.backendV6Data)}`;
  return `${out}}`;
}

/** Reads a subnet key's value; a vxlan lease must carry a valid VtepMAC. */
export function parseFlannelLeaseValue(text: string): FlannelResult<FlannelLeaseValue> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail('', `not JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(doc)) return fail('', 'must be a JSON object');
  const ipText = member(doc, 'PublicIP');
  if (typeof ipText !== 'string') return fail('PublicIP', 'missing or not a string');
  const publicIp = parseIpv4(ipText);
  if (publicIp === undefined) return fail('PublicIP', `${JSON.stringify(ipText)} is not an IPv4 address`);
  const ip6 = member(doc, 'PublicIPv6');
  if (ip6 !== undefined && ip6 !== null && !(typeof ip6 === 'string' && isIpv6Text(ip6))) {
    return fail('PublicIPv6', `${JSON.stringify(ip6)} is not an IPv6 address or null`);
  }
  const backendType = member(doc, 'BackendType') ?? '';
  if (typeof backendType !== 'string') return fail('BackendType', 'not a string');
  const backendData = nullToUndefined(member(doc, 'BackendData'));
  const backendV6Data = nullToUndefined(member(doc, 'BackendV6Data'));
  let vxlan: FlannelVxlanData | undefined;
  if (backendType === 'vxlan') {
    const r = parseVxlanBackendData(backendData);
    if (!r.ok) return r;
    vxlan = r.value;
  }
  return ok({
    publicIp,
    ...(typeof ip6 === 'string' ? { publicIpv6: ip6 } : {}),
    backendType,
    ...(backendData !== undefined ? { backendData } : {}),
    ...(backendV6Data !== undefined ? { backendV6Data } : {}),
    ...(vxlan !== undefined ? { vxlan } : {}),
  });
}

/** Go's encoding/json member lookup: the exact name first, else a case-insensitive match. */
function member(obj: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  const k = Object.keys(obj).find((key) => key.toLowerCase() === lower);
  return k === undefined ? undefined : obj[k];
}

/** JSON.stringify plus the escapes Go's encoder adds (HTML-safe and JS-safe). */
function goJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A textual IPv6 address: up to eight groups of 1-4 hex digits, at most one '::', optional dotted tail. */
function isIpv6Text(s: string): boolean {
  let text = s;
  let groupsForV4 = 0;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    if (parseIpv4(text.slice(lastColon + 1)) === undefined) return false;
    text = `${text.slice(0, lastColon + 1)}0`;
    groupsForV4 = 1; // the dotted quad takes two groups; '0' stands in for one of them
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  if (!groups.every((g) => g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)))) return false;
  const count = groups.reduce((n, g) => n + g.length, 0) + groupsForV4;
  return halves.length === 2 ? count <= 7 : count === 8;
}

function nullToUndefined(v: unknown): unknown {
  return v === null ? undefined : v;
}

function trimSlash(prefix: string): string {
  return prefix.replace(/\/+$/, '');
}

function ok<T>(value: T): FlannelResult<T> {
  return { ok: true, value };
}

function fail<T>(field: string, reason: string): FlannelResult<T> {
  return { ok: false, error: { field, reason } };
}
