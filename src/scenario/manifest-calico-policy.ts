/**
 * Calico's own policy resources read as calicoctl reads them: projectcalico.org/v3 NetworkPolicy (namespaced)
 * and GlobalNetworkPolicy (api/pkg/apis/projectcalico/v3 policy.go, networkpolicy.go, globalnetworkpolicy.go;
 * the validation of libcalico-go/lib/validator/v3): order, selector, types, ingress and egress rules with
 * action Allow/Deny/Log/Pass, protocol, notProtocol, source and destination {selector, namespaceSelector,
 * notSelector, nets, notNets, ports, notPorts}. Ports are numbers, "first:last" ranges or names, and need
 * protocol TCP, UDP or SCTP. Only the default tier is emulated: a policy in another tier is reported and
 * left out. Fields Calico has but podnet does not emulate are accepted with a warning naming them.
 */
import type { CalicoEntityRule, CalicoObject, CalicoPort, CalicoRule } from '../cluster/calico-resources.js';
import { checkDns1123Subdomain } from '../cluster/k8s-validation.js';
import type { Origin } from '../cluster/source-ref.js';
import { parseCidr, type Ipv4Prefix } from '../wire/addr.js';
import { checkMeta, strictFields, warn, type ManifestCtx } from './manifest-common.js';
import { selector } from './manifest-calico-common.js';
import type { SpecPath } from './source.js';

const ACTIONS = ['Allow', 'Deny', 'Log', 'Pass'] as const;
const PROTOCOLS = ['TCP', 'UDP', 'ICMP', 'SCTP', 'UDPLite', 'ICMPv6'];

function protocol(ctx: ManifestCtx, path: SpecPath, v: unknown): string | number | undefined {
  if (typeof v === 'number') return ctx.c.int(path, v, { min: 1, max: 255 });
  if (typeof v === 'string') {
    if (PROTOCOLS.includes(v)) return v;
    if (/^[0-9]+$/.test(v) && Number(v) >= 1 && Number(v) <= 255) return Number(v);
  }
  ctx.c.error(path, `invalid protocol ${JSON.stringify(v)}: one of ${PROTOCOLS.join(', ')} or a number 1-255`);
  return undefined;
}

/** numorstring.Port: 80, "80", "80:90", or a name. */
function port(ctx: ManifestCtx, path: SpecPath, v: unknown): CalicoPort | undefined {
  if (typeof v === 'number') {
    const n = ctx.c.int(path, v, { min: 0, max: 65535 });
    return n === undefined ? undefined : { first: n, last: n };
  }
  if (typeof v === 'string') {
    const m = /^([0-9]+)(?::([0-9]+))?$/.exec(v);
    if (m !== null) {
      const first = Number(m[1]);
      const last = m[2] === undefined ? first : Number(m[2]);
      if (first <= 65535 && last <= 65535 && first <= last) return { first, last };
    } else if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) && v.length <= 15) return { name: v };
  }
  ctx.c.error(path, `invalid port ${JSON.stringify(v)}: a number, a range "first:last", or a port name`);
  return undefined;
}

function nets(ctx: ManifestCtx, path: SpecPath, v: unknown): Ipv4Prefix[] {
  if (v === undefined || v === null) return [];
  return (ctx.c.arr(path, v) ?? []).flatMap((x, i) => {
    const s = ctx.c.str([...path, i], x);
    if (s === undefined) return [];
    const p = parseCidr(s.includes('/') ? s : `${s}/32`);
    if (p === undefined) ctx.c.error([...path, i], `${JSON.stringify(s)} is not an IPv4 CIDR`);
    return p === undefined ? [] : [p];
  });
}

function entity(ctx: ManifestCtx, path: SpecPath, v: unknown, hasProtoWithPorts: boolean): CalicoEntityRule {
  const o = v === undefined || v === null ? {} : (ctx.c.obj(path, v) ?? {});
  const notEmulated = ['serviceAccounts', 'services'];
  strictFields(
    ctx.c,
    path,
    o,
    ['selector', 'namespaceSelector', 'notSelector', 'nets', 'notNets', 'ports', 'notPorts'],
    notEmulated,
  );
  for (const k of notEmulated)
    if (o[k] !== undefined) warn(ctx, [...path, k], `${k} is not emulated by podnet: ignored`);
  const sel = (k: string): string => (o[k] === undefined ? '' : (selector(ctx, [...path, k], o[k]) ?? ''));
  const ports = (k: string): CalicoPort[] => {
    if (o[k] === undefined || o[k] === null) return [];
    const list = (ctx.c.arr([...path, k], o[k]) ?? []).flatMap((x, i) => port(ctx, [...path, k, i], x) ?? []);
    if (list.length > 0 && !hasProtoWithPorts)
      ctx.c.error([...path, k], 'rules that specify ports must set protocol to TCP, UDP or SCTP');
    return list;
  };
  return {
    selector: sel('selector'),
    namespaceSelector: sel('namespaceSelector'),
    notSelector: sel('notSelector'),
    nets: nets(ctx, [...path, 'nets'], o.nets),
    notNets: nets(ctx, [...path, 'notNets'], o.notNets),
    ports: ports('ports'),
    notPorts: ports('notPorts'),
  };
}

function rule(ctx: ManifestCtx, path: SpecPath, v: unknown): CalicoRule | undefined {
  const o = ctx.c.obj(path, v);
  if (o === undefined) return undefined;
  const notEmulated = ['icmp', 'notICMP', 'http', 'ipVersion', 'metadata'];
  strictFields(ctx.c, path, o, ['action', 'protocol', 'notProtocol', 'source', 'destination'], notEmulated);
  for (const k of notEmulated)
    if (o[k] !== undefined) warn(ctx, [...path, k], `${k} is not emulated by podnet: ignored`);
  if (o.action === undefined) {
    ctx.c.error([...path, 'action'], 'action is required (Allow, Deny, Log or Pass)');
    return undefined;
  }
  const action = ctx.c.oneOf([...path, 'action'], o.action, ACTIONS);
  const proto = o.protocol === undefined ? undefined : protocol(ctx, [...path, 'protocol'], o.protocol);
  const notProto = o.notProtocol === undefined ? undefined : protocol(ctx, [...path, 'notProtocol'], o.notProtocol);
  const withPorts =
    proto === 'TCP' || proto === 'UDP' || proto === 'SCTP' || proto === 6 || proto === 17 || proto === 132;
  const source = entity(ctx, [...path, 'source'], o.source, withPorts);
  const destination = entity(ctx, [...path, 'destination'], o.destination, withPorts);
  if (action === undefined) return undefined;
  return {
    action,
    ...(proto !== undefined ? { protocol: proto } : {}),
    ...(notProto !== undefined ? { notProtocol: notProto } : {}),
    source,
    destination,
  };
}

function policy(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
  kind: 'CalicoNetworkPolicy' | 'GlobalNetworkPolicy',
): CalicoObject | undefined {
  const { c } = ctx;
  strictFields(c, base, o, ['apiVersion', 'kind', 'metadata', 'spec'], ['status']);
  const metadata = checkMeta(ctx, [...base, 'metadata'], o.metadata, {
    namespaced: kind === 'CalicoNetworkPolicy',
    nameRule: checkDns1123Subdomain,
  });
  const sp = [...base, 'spec'];
  const spec = o.spec === undefined || o.spec === null ? {} : c.obj(sp, o.spec);
  if (spec === undefined) return undefined;
  const notEmulated = [
    'serviceAccountSelector',
    'performanceHints',
    'stagedAction',
    ...(kind === 'GlobalNetworkPolicy' ? ['namespaceSelector', 'doNotTrack', 'preDNAT', 'applyOnForward'] : []),
  ];
  strictFields(c, sp, spec, ['tier', 'order', 'selector', 'types', 'ingress', 'egress'], notEmulated);
  for (const k of notEmulated)
    if (spec[k] !== undefined) warn(ctx, [...sp, k], `${k} is not emulated by podnet: ignored`);
  const tier = spec.tier === undefined ? 'default' : (c.str([...sp, 'tier'], spec.tier) ?? 'default');
  let order: number | undefined;
  if (spec.order !== undefined) {
    if (typeof spec.order === 'number' && Number.isFinite(spec.order)) order = spec.order;
    else c.error([...sp, 'order'], `order must be a number, got ${JSON.stringify(spec.order)}`);
  }
  const sel = spec.selector === undefined ? '' : (selector(ctx, [...sp, 'selector'], spec.selector) ?? '');
  const rules = (k: 'ingress' | 'egress'): CalicoRule[] =>
    spec[k] === undefined || spec[k] === null
      ? []
      : (c.arr([...sp, k], spec[k]) ?? []).flatMap((x, i) => rule(ctx, [...sp, k, i], x) ?? []);
  const ingress = rules('ingress');
  const egress = rules('egress');
  let types: ('Ingress' | 'Egress')[];
  if (spec.types === undefined) types = egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  else
    types = (c.arr([...sp, 'types'], spec.types) ?? []).flatMap(
      (x, i) => c.oneOf([...sp, 'types', i], x, ['Ingress', 'Egress'] as const) ?? [],
    );
  if (tier !== 'default')
    warn(
      ctx,
      [...sp, 'tier'],
      `tier ${JSON.stringify(tier)} is not emulated by podnet (only the default tier is): this policy is not enforced`,
    );
  if (metadata === undefined) return undefined;
  return {
    kind,
    metadata,
    spec: { tier, ...(order !== undefined ? { order } : {}), selector: sel, types, ingress, egress },
    origin,
  };
}

/** Reads a projectcalico.org/v3 NetworkPolicy. */
export function calicoNetworkPolicy(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
): CalicoObject | undefined {
  return policy(ctx, base, o, origin, 'CalicoNetworkPolicy');
}

/** Reads a projectcalico.org/v3 GlobalNetworkPolicy. */
export function globalNetworkPolicy(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
): CalicoObject | undefined {
  return policy(ctx, base, o, origin, 'GlobalNetworkPolicy');
}
