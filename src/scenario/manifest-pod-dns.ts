/**
 * A PodSpec's DNS fields: dnsConfig (nameservers, searches, options) and hostAliases, with the API server's
 * checks (pkg/apis/core/validation validatePodDNSConfig, validateHostAliases). What they do to the pod's
 * files is src/cluster/pod-dns.ts.
 */
import type { HostAlias, PodDnsConfig, PodSpec } from '../cluster/k8s-objects.js';
import { checkDns1123Subdomain } from '../cluster/k8s-validation.js';
import { parseIpv4 } from '../wire/addr.js';
import type { SpecPath } from './source.js';
import { type ManifestCtx, checkStringList, invalid, strictFields } from './manifest-common.js';

/** validatePodDNSConfig's limits: 3 nameservers, 32 search paths. */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

/** Reads spec.dnsConfig; with dnsPolicy None it must name at least one nameserver, as the API server requires. */
export function checkDnsConfig(
  ctx: ManifestCtx,
  path: SpecPath,
  v: unknown,
  policy: PodSpec['dnsPolicy'],
): PodDnsConfig | undefined {
  const { c } = ctx;
  if (v === undefined) {
    if (policy === 'None') c.error(path, 'Required value: must provide `dnsConfig` when `dnsPolicy` is None');
    return undefined;
  }
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  strictFields(c, path, o, ['nameservers', 'searches', 'options']);
  const out: PodDnsConfig = { nameservers: [], searches: [], options: [] };
  const ns = o.nameservers === undefined ? [] : checkStringList(c, [...path, 'nameservers'], o.nameservers);
  ns.forEach((s, i) => {
    const ip = c.parse([...path, 'nameservers', i], s, parseIpv4, 'a valid IP address');
    if (ip !== undefined) out.nameservers.push(ip);
  });
  if (ns.length > MAX_NAMESERVERS)
    c.error([...path, 'nameservers'], `Invalid value: must not have more than ${MAX_NAMESERVERS} nameservers`);
  if (policy === 'None' && ns.length === 0)
    c.error(
      [...path, 'nameservers'],
      'Required value: must provide at least one DNS nameserver when `dnsPolicy` is None',
    );
  const searches = o.searches === undefined ? [] : checkStringList(c, [...path, 'searches'], o.searches);
  searches.forEach((s, i) => {
    // the API server checks the name without a trailing dot
    const name = s.endsWith('.') ? s.slice(0, -1) : s;
    if (invalid(c, [...path, 'searches', i], s, checkDns1123Subdomain(name))) out.searches.push(name);
  });
  if (searches.length > MAX_SEARCHES)
    c.error([...path, 'searches'], `Invalid value: must not have more than ${MAX_SEARCHES} search paths`);
  const opts = o.options === undefined ? [] : (c.arr([...path, 'options'], o.options) ?? []);
  opts.forEach((x, i) => {
    const p = [...path, 'options', i];
    const oo = c.obj(p, x);
    if (oo === undefined) return;
    strictFields(c, p, oo, ['name', 'value']);
    const name = c.str([...p, 'name'], oo.name);
    if (name === undefined) return;
    const value = oo.value === undefined ? undefined : c.str([...p, 'value'], oo.value, { allowEmpty: true });
    out.options.push(value === undefined ? { name } : { name, value });
  });
  return out;
}

/** Reads spec.hostAliases: each an IP address and its hostnames. */
export function checkHostAliases(ctx: ManifestCtx, path: SpecPath, v: unknown): HostAlias[] {
  const { c } = ctx;
  if (v === undefined) return [];
  const out: HostAlias[] = [];
  (c.arr(path, v) ?? []).forEach((x, i) => {
    const p = [...path, i];
    const o = c.obj(p, x);
    if (o === undefined) return;
    strictFields(c, p, o, ['ip', 'hostnames']);
    const ip = c.parse([...p, 'ip'], o.ip, parseIpv4, 'a valid IP address');
    const hostnames = o.hostnames === undefined ? [] : checkStringList(c, [...p, 'hostnames'], o.hostnames);
    hostnames.forEach((h, j) => invalid(c, [...p, 'hostnames', j], h, checkDns1123Subdomain(h)));
    if (ip !== undefined) out.push({ ip, hostnames });
  });
  return out;
}
