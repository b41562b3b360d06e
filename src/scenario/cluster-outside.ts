/**
 * The parts of a Cluster document outside the cluster: `spec.internet` (the router that stands in for the
 * internet, with its upstream DNS names) and `spec.outsideClients` (machines on the underlay that are not
 * nodes, such as a laptop). Both are placed in the nodes' subnets; cluster-doc.ts calls these checks.
 */
import type { ClusterNodeSpec, InternetSpec, OutsideClientSpec, UnderlaySpec } from '../cluster/cluster-spec.js';
import { checkDns1123Subdomain } from '../cluster/k8s-validation.js';
import { formatCidr, formatIpv4, parseCidr, parseIpv4, prefixContains, prefixMask } from '../wire/addr.js';
import { checkName } from '../wire/dns-name.js';
import { invalid, type ManifestCtx } from './manifest-common.js';
import type { SpecPath } from './source.js';

/** spec.outsideClients: `[{ name, address: A.B.C.D/LEN }]`, each in some node's subnet, names unique. */
export function checkOutsideClients(ctx: ManifestCtx, v: unknown, nodes: ClusterNodeSpec[]): OutsideClientSpec[] {
  const { c } = ctx;
  const out: OutsideClientSpec[] = [];
  if (v === undefined) return out;
  (c.arr(['spec', 'outsideClients'], v) ?? []).forEach((x, i) => {
    const path: SpecPath = ['spec', 'outsideClients', i];
    const o = c.obj(path, x);
    if (o === undefined) return;
    c.unknownKeys(path, o, ['name', 'address']);
    let name = c.str([...path, 'name'], o.name);
    if (name !== undefined && !invalid(c, [...path, 'name'], name, checkDns1123Subdomain(name))) name = undefined;
    const address = c.parse([...path, 'address'], o.address, parseCidr, 'an IPv4 address with its prefix length');
    if (name === undefined || address === undefined) return;
    if (nodes.some((n) => n.name === name) || out.some((n) => n.name === name) || name === 'internet')
      c.error([...path, 'name'], `${JSON.stringify(name)} is already the name of a node or host`);
    const home = nodes.find((n) => n.address.len === address.len && prefixContains(n.address, address.addr));
    const same = nodes.find((n) => n.address.addr === address.addr) ?? out.find((n) => n.address.addr === address.addr);
    if (home === undefined)
      c.error(
        [...path, 'address'],
        `${formatCidr(address)} is in no node's subnet: outside clients sit on the underlay`,
      );
    else if (same !== undefined)
      c.error([...path, 'address'], `${formatIpv4(address.addr)} is already ${same.name}'s address`);
    else out.push({ name, address, path });
  });
  return out;
}

/**
 * spec.internet: `{ address?: A.B.C.D/LEN, dns?: { NAME: IP } }`. On a switch underlay the router's address
 * defaults to the lowest one of the nodes' subnet that no node, client or gateway holds; on a routed
 * underlay the underlay's router is the internet and its first gateway is the address.
 */
export function checkInternet(
  ctx: ManifestCtx,
  v: unknown,
  nodes: ClusterNodeSpec[],
  underlay: UnderlaySpec | undefined,
  clients: OutsideClientSpec[],
): InternetSpec | undefined {
  const { c } = ctx;
  const p: SpecPath = ['spec', 'internet'];
  const o = v === undefined ? {} : c.obj(p, v);
  if (o === undefined) return undefined;
  c.unknownKeys(p, o, ['address', 'dns']);
  const dns: InternetSpec['dns'] = [];
  if (o.dns !== undefined) {
    const m = c.obj([...p, 'dns'], o.dns);
    for (const [name, ip] of Object.entries(m ?? {})) {
      const at: SpecPath = [...p, 'dns', name];
      if (checkName(name) !== undefined) {
        c.error(at, `${JSON.stringify(name)} is not a DNS name`);
        continue;
      }
      const addr = c.parse(at, ip, parseIpv4, 'an IPv4 address');
      if (addr !== undefined) dns.push({ name: name.replace(/\.$/, ''), ip: addr });
    }
  }
  const taken = (a: number): boolean =>
    nodes.some((n) => n.address.addr === a) || clients.some((n) => n.address.addr === a);
  const first = nodes[0];
  if (underlay === undefined || first === undefined) return undefined;
  if (underlay.type === 'routed') {
    if (o.address !== undefined)
      c.error([...p, 'address'], 'on a routed underlay the underlay router is the internet: set underlay.gateways');
    for (const cl of clients)
      if (underlay.gateways.some((g) => g.addr === cl.address.addr))
        c.error([...cl.path, 'address'], `${formatIpv4(cl.address.addr)} is the underlay router's address`);
    return { address: underlay.gateways[0]!, dns };
  }
  if (o.address !== undefined) {
    const a = c.parse([...p, 'address'], o.address, parseCidr, 'an IPv4 address with its prefix length');
    if (a === undefined) return undefined;
    if (a.len !== first.address.len || !prefixContains(first.address, a.addr)) {
      const net = { addr: (first.address.addr & prefixMask(first.address.len)) >>> 0, len: first.address.len };
      c.error([...p, 'address'], `${formatCidr(a)} is not in the nodes' subnet ${formatCidr(net)}`);
      return undefined;
    }
    if (taken(a.addr)) {
      c.error([...p, 'address'], `${formatIpv4(a.addr)} is already a node's or client's address`);
      return undefined;
    }
    return { address: a, dns };
  }
  const net = (first.address.addr & prefixMask(first.address.len)) >>> 0;
  const bcast = (net | ~prefixMask(first.address.len)) >>> 0;
  let addr = net + 1;
  while (addr < bcast && taken(addr)) addr++;
  if (addr >= bcast) {
    c.error(['spec', 'nodes'], `${formatCidr(first.address)} has no free address for the internet router`);
    return undefined;
  }
  return { address: { addr, len: first.address.len }, dns };
}
