/**
 * What the Calico resource readers share: opening a cluster-scoped object (strict fields, "not emulated"
 * warnings by field name), Calico selectors checked with libcalico-go's grammar, AS numbers in plain or
 * asdot form (numorstring.ASNumber), addresses and CIDRs.
 */
import { checkDns1123Subdomain } from '../cluster/k8s-validation.js';
import { parseSelector } from '../control/calico/selector.js';
import { parseCidr, parseIpv4, type Ipv4, type Ipv4Prefix } from '../wire/addr.js';
import { checkMeta, strictFields, warn, type ManifestCtx } from './manifest-common.js';
import type { SpecPath } from './source.js';

/** Opens a cluster-scoped Calico object: top-level fields, metadata, and the spec mapping ({} when absent). */
export function open(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  used: readonly string[],
  notEmulated: readonly string[] = [],
) {
  const { c } = ctx;
  strictFields(c, base, o, ['apiVersion', 'kind', 'metadata', 'spec'], ['status']);
  const metadata = checkMeta(ctx, [...base, 'metadata'], o.metadata, {
    namespaced: false,
    nameRule: checkDns1123Subdomain,
  });
  const sp = [...base, 'spec'];
  const spec = o.spec === undefined || o.spec === null ? {} : c.obj(sp, o.spec);
  if (spec === undefined) return undefined;
  strictFields(c, sp, spec, used, notEmulated);
  for (const key of notEmulated) {
    if (spec[key] !== undefined) warn(ctx, [...sp, key], `${key} is not emulated by podnet: ignored`);
  }
  return { metadata, sp, spec };
}

/** A selector in Calico's syntax, checked with the parser libcalico-go uses. */
export function selector(ctx: ManifestCtx, path: SpecPath, v: unknown): string | undefined {
  const text = ctx.c.str(path, v, { allowEmpty: true });
  if (text === undefined) return undefined;
  const r = parseSelector(text);
  if (!r.ok) {
    ctx.c.error(path, `invalid selector ${JSON.stringify(text)}: ${r.error.message}`);
    return undefined;
  }
  return text;
}

/** numorstring.ASNumber: an integer, or "high.low" (asdot). */
export function asNumber(ctx: ManifestCtx, path: SpecPath, v: unknown): number | undefined {
  if (typeof v === 'number') return ctx.c.int(path, v, { min: 0, max: 0xffff_ffff });
  if (typeof v === 'string') {
    const m = /^(\d+)(?:\.(\d+))?$/.exec(v);
    const hi = Number(m?.[1]);
    const lo = m?.[2] === undefined ? undefined : Number(m[2]);
    if (m !== null && lo === undefined && hi <= 0xffff_ffff) return hi;
    if (m !== null && lo !== undefined && hi <= 0xffff && lo <= 0xffff) return hi * 65536 + lo;
  }
  ctx.c.error(path, `invalid AS Number format (${typeof v === 'string' ? v : JSON.stringify(v)})`);
  return undefined;
}

/** An IPv4 address. */
export function ipv4(ctx: ManifestCtx, path: SpecPath, v: unknown): Ipv4 | undefined {
  const s = ctx.c.str(path, v);
  if (s === undefined) return undefined;
  const ip = parseIpv4(s);
  if (ip === undefined) ctx.c.error(path, `${JSON.stringify(s)} is not an IPv4 address`);
  return ip;
}

/** An IPv4 CIDR (host bits kept). */
export function cidr(ctx: ManifestCtx, path: SpecPath, v: unknown): Ipv4Prefix | undefined {
  const s = ctx.c.str(path, v);
  if (s === undefined) return undefined;
  const p = parseCidr(s);
  if (p === undefined) ctx.c.error(path, `${JSON.stringify(s)} is not an IPv4 CIDR`);
  return p;
}

/** A list of `{cidr: ...}` (BGPConfiguration's service address blocks). */
export function cidrList(ctx: ManifestCtx, path: SpecPath, v: unknown): Ipv4Prefix[] {
  if (v === undefined || v === null) return [];
  return (ctx.c.arr(path, v) ?? []).flatMap((x, i) => {
    const ip = [...path, i];
    const o = ctx.c.obj(ip, x);
    if (o === undefined) return [];
    strictFields(ctx.c, ip, o, ['cidr']);
    return cidr(ctx, [...ip, 'cidr'], o.cidr) ?? [];
  });
}
