/**
 * host-local's configuration and ranges (plugins/ipam/host-local/backend/allocator config.go, range.go,
 * range_set.go): reading `ipam` from the full network configuration, the old single-range form, the
 * runtime's ipRanges and ips, and the canonicalisation every range goes through: gateway defaults to the
 * subnet's .1, rangeStart to .1 (the gateway is skipped when iterating), rangeEnd to broadcast-1, /31 and
 * /32 are too small. Messages are the reference plugin's, word for word.
 */
import { isJsonArray, isJsonObject } from '../../wire/json.js';
import { formatIpv4, parseIpv4, prefixMask, type Ipv4 } from '../../wire/addr.js';
import {
  cidrOf,
  fail,
  ok,
  parseRoute,
  CniErrorCode,
  type CniOutcome,
  type CniRoute,
  type FieldError,
} from './types.js';
import type { NetConf } from './plugin.js';

/** One canonical range: subnet (host bits kept, as Go's types.IPNet), start, end, gateway. */
export interface IpRange {
  /** The subnet's address as written (Go keeps host bits) and its prefix length. */
  subnetIp: Ipv4;
  len: number;
  rangeStart: Ipv4;
  rangeEnd: Ipv4;
  gateway: Ipv4;
}

/** A range set: ranges of one address family used together (one address is allocated per set). */
export type RangeSet = IpRange[];

/** host-local's IPAM configuration after loading. */
export interface HostLocalConfig {
  /** The network name (the directory under dataDir). */
  name: string;
  dataDir: string;
  resolvConf: string;
  ranges: RangeSet[];
  routes: CniRoute[];
  /** Requested addresses (CNI_ARGS IP=, args.cni.ips, runtimeConfig.ips). */
  ipArgs: Ipv4[];
}

/** The reference plugin's default dataDir. */
export const HOST_LOCAL_DATA_DIR = '/var/lib/cni/networks';

/** Go's net.IPNet.String() of the subnet as written. */
export function subnetString(r: IpRange): string {
  return `${formatIpv4(r.subnetIp)}/${r.len}`;
}

/** The range as host-local prints it: "start-end". */
export function rangeString(r: IpRange): string {
  return `${formatIpv4(r.rangeStart)}-${formatIpv4(r.rangeEnd)}`;
}

/** RangeSet.String(): ranges joined by commas. */
export function rangeSetString(s: RangeSet): string {
  return s.map(rangeString).join(',');
}

/** Whether `ip` lies in the subnet of `r` (net.IPNet.Contains). */
export function inSubnet(r: IpRange, ip: Ipv4): boolean {
  const m = prefixMask(r.len);
  return (ip & m) >>> 0 === (r.subnetIp & m) >>> 0;
}

/** Range.Contains: in the subnet and between start and end. */
export function rangeContains(r: IpRange, ip: Ipv4): boolean {
  return inSubnet(r, ip) && ip >= r.rangeStart && ip <= r.rangeEnd;
}

/** RangeSet.RangeFor: the range holding `ip`. */
export function rangeFor(s: RangeSet, ip: Ipv4): IpRange | undefined {
  return s.find((r) => rangeContains(r, ip));
}

interface RawRange {
  subnet?: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

function ipInRange(r: Partial<IpRange> & { subnetIp: Ipv4; len: number }, ip: Ipv4): string | undefined {
  const full = r as IpRange;
  if (!inSubnet(full, ip)) return `${formatIpv4(ip)} not in network ${subnetString(full)}`;
  if (r.rangeStart !== undefined && ip < r.rangeStart)
    return `${formatIpv4(ip)} is in network ${subnetString(full)} but before start ${formatIpv4(r.rangeStart)}`;
  if (r.rangeEnd !== undefined && ip > r.rangeEnd)
    return `${formatIpv4(ip)} is in network ${subnetString(full)} but after end ${formatIpv4(r.rangeEnd)}`;
  return undefined;
}

/** Range.Canonicalize: fills in gateway, start and end, or says what is wrong. */
export function canonicalizeRange(raw: RawRange): { ok: true; value: IpRange } | { ok: false; message: string } {
  const sn = typeof raw.subnet === 'string' ? cidrOf(raw.subnet) : undefined;
  if (sn === undefined) return { ok: false, message: `invalid CIDR address: ${String(raw.subnet ?? '')}` };
  const r: Partial<IpRange> & { subnetIp: Ipv4; len: number } = { subnetIp: sn.addr, len: sn.len };
  if (sn.len > 30) return { ok: false, message: `Network ${subnetString(r as IpRange)} too small to allocate from` };
  if (raw.gateway === undefined || raw.gateway === '') r.gateway = (sn.addr + 1) >>> 0;
  else {
    const gw = parseIpv4(raw.gateway);
    if (gw === undefined) return { ok: false, message: `invalid IP address: ${raw.gateway}` };
    if (!inSubnet(r as IpRange, gw))
      return { ok: false, message: `gateway ${raw.gateway} not in network ${subnetString(r as IpRange)}` };
    r.gateway = gw;
  }
  if (raw.rangeStart !== undefined && raw.rangeStart !== '') {
    const s = parseIpv4(raw.rangeStart);
    if (s === undefined) return { ok: false, message: `invalid IP address: ${raw.rangeStart}` };
    const e = ipInRange(r, s);
    if (e !== undefined) return { ok: false, message: e };
    r.rangeStart = s;
  } else r.rangeStart = (sn.addr + 1) >>> 0;
  if (raw.rangeEnd !== undefined && raw.rangeEnd !== '') {
    const s = parseIpv4(raw.rangeEnd);
    if (s === undefined) return { ok: false, message: `invalid IP address: ${raw.rangeEnd}` };
    const e = ipInRange(r, s);
    if (e !== undefined) return { ok: false, message: e };
    r.rangeEnd = s;
  } else {
    // the last address of the subnet, excluding the IPv4 broadcast
    r.rangeEnd = (((sn.addr | ~prefixMask(sn.len)) >>> 0) - 1) >>> 0;
  }
  return { ok: true, value: r as IpRange };
}

function overlaps(a: IpRange, b: IpRange): boolean {
  return (
    ipInRange(a, b.rangeStart) === undefined ||
    ipInRange(a, b.rangeEnd) === undefined ||
    ipInRange(b, a.rangeStart) === undefined ||
    ipInRange(b, a.rangeEnd) === undefined
  );
}

/** RangeSet.Canonicalize. */
function canonicalizeSet(raw: unknown): { ok: true; value: RangeSet } | { ok: false; message: string } {
  if (!isJsonArray(raw) || raw.length === 0) return { ok: false, message: 'empty range set' };
  const set: RangeSet = [];
  for (const x of raw) {
    const r = canonicalizeRange(isJsonObject(x) ? x : {});
    if (!r.ok) return r;
    set.push(r.value);
  }
  for (let i = 0; i < set.length - 1; i++)
    for (let j = i + 1; j < set.length; j++)
      if (overlaps(set[i]!, set[j]!))
        return { ok: false, message: `subnets ${rangeString(set[i]!)} and ${rangeString(set[j]!)} overlap` };
  return { ok: true, value: set };
}

/** Reads CNI_ARGS ("IP=10.0.0.5;K8S_POD_NAME=x") into key/value pairs. */
export function parseCniArgs(args: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const pair of args.split(';')) {
    if (pair === '') continue;
    const i = pair.indexOf('=');
    if (i > 0) m.set(pair.slice(0, i), pair.slice(i + 1));
  }
  return m;
}

/** allocator.LoadIPAMConfig. */
export function loadHostLocalConfig(conf: NetConf, cniArgs: string): CniOutcome<HostLocalConfig> {
  const ipam = conf.ipam;
  if (!isJsonObject(ipam)) return fail(CniErrorCode.Internal, "IPAM config missing 'ipam' key");
  const ipArgs: Ipv4[] = [];
  const ipArg = parseCniArgs(cniArgs).get('IP');
  if (ipArg !== undefined) {
    const ip = parseIpv4(ipArg);
    if (ip === undefined)
      return fail(CniErrorCode.Internal, `ARGS: error parsing value of pair "IP=${ipArg}": invalid IP address`);
    ipArgs.push(ip);
  }
  const extra: unknown[] = [];
  const args = conf.args;
  if (isJsonObject(args) && isJsonObject(args.cni) && isJsonArray(args.cni.ips)) extra.push(...args.cni.ips);
  const rc = isJsonObject(conf.runtimeConfig) ? conf.runtimeConfig : {};
  if (isJsonArray(rc.ips)) extra.push(...rc.ips);
  for (const x of extra) {
    const ip = typeof x === 'string' ? parseIpv4(x.split('/')[0]!) : undefined;
    if (ip === undefined) return fail(CniErrorCode.Internal, `cannot understand ip: ${String(x)}`);
    ipArgs.push(ip);
  }
  const rawSets: unknown[] = [];
  if (isJsonArray(rc.ipRanges)) rawSets.push(...rc.ipRanges);
  if (typeof ipam.subnet === 'string' && ipam.subnet !== '')
    rawSets.push([
      { subnet: ipam.subnet, rangeStart: ipam.rangeStart, rangeEnd: ipam.rangeEnd, gateway: ipam.gateway },
    ]);
  if (ipam.ranges !== undefined && ipam.ranges !== null) {
    if (!isJsonArray(ipam.ranges))
      return fail(CniErrorCode.Internal, 'json: cannot unmarshal ipam.ranges: must be an array of range sets');
    rawSets.push(...ipam.ranges);
  }
  if (rawSets.length === 0) return fail(CniErrorCode.Internal, 'no IP ranges specified');
  const ranges: RangeSet[] = [];
  for (let i = 0; i < rawSets.length; i++) {
    const s = canonicalizeSet(rawSets[i]);
    if (!s.ok) return fail(CniErrorCode.Internal, `invalid range set ${i}: ${s.message}`);
    ranges.push(s.value);
  }
  for (let i = 0; i < ranges.length - 1; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      if (ranges[i]!.some((a) => ranges[j]!.some((b) => overlaps(a, b))))
        return fail(CniErrorCode.Internal, `range set ${i} overlaps with ${j}`);
    }
  }
  const routes: CniRoute[] = [];
  if (isJsonArray(ipam.routes)) {
    const errors: FieldError[] = [];
    ipam.routes.forEach((x, i) => {
      const r = parseRoute(x, `ipam.routes[${i}]`, errors);
      if (r !== undefined) routes.push(r);
    });
    if (errors.length > 0) return fail(CniErrorCode.Internal, errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  }
  return ok({
    name: conf.name,
    dataDir: typeof ipam.dataDir === 'string' && ipam.dataDir !== '' ? ipam.dataDir : HOST_LOCAL_DATA_DIR,
    resolvConf: typeof ipam.resolvConf === 'string' ? ipam.resolvConf : '',
    ranges,
    routes,
    ipArgs,
  });
}
