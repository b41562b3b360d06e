/**
 * networking.k8s.io/v1 NetworkPolicy and Ingress manifests, validated for the fields the API server
 * requires and kept typed for the issues that enforce policies and run an ingress controller. Namespace
 * scoping and whether backends exist are cluster/plan.ts's.
 */
import type {
  Ingress,
  IngressBackend,
  IngressPath,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicyRule,
} from '../cluster/k8s-objects.js';
import { checkDns1035Label, checkDns1123Subdomain, checkPortName } from '../cluster/k8s-validation.js';
import type { Origin } from '../cluster/source-ref.js';
import { parseCidr, parseIpv4, prefixContains, prefixMask, type Ipv4Prefix } from '../wire/addr.js';
import type { Checker, SpecPath } from './source.js';
import {
  checkIntOrStringPort,
  checkPortNumber,
  checkProtocol,
  checkSelector,
  checkStringList,
  invalid,
  openObject,
  strictFields,
  type ManifestCtx,
} from './manifest-common.js';

/** networking.k8s.io/v1 NetworkPolicy. */
export function checkNetworkPolicy(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
): NetworkPolicy | undefined {
  const { c } = ctx;
  const opened = openObject(ctx, base, o, checkDns1123Subdomain, ['podSelector', 'policyTypes', 'ingress', 'egress']);
  if (opened === undefined) return undefined;
  const { metadata, sp, spec } = opened;
  const podSelector = checkSelector(c, [...sp, 'podSelector'], spec.podSelector);
  const rules = (key: 'ingress' | 'egress', peerKey: 'from' | 'to'): NetworkPolicyRule[] => {
    if (spec[key] === undefined || spec[key] === null) return [];
    return (c.arr([...sp, key], spec[key]) ?? []).flatMap((x, i) => checkRule(c, [...sp, key, i], x, peerKey) ?? []);
  };
  const ingress = rules('ingress', 'from');
  const egress = rules('egress', 'to');
  let policyTypes: ('Ingress' | 'Egress')[] = [];
  if (spec.policyTypes !== undefined) {
    (c.arr([...sp, 'policyTypes'], spec.policyTypes) ?? []).forEach((x, i) => {
      const t = c.oneOf([...sp, 'policyTypes', i], x, ['Ingress', 'Egress'] as const);
      if (t === undefined) return;
      if (policyTypes.includes(t)) c.error([...sp, 'policyTypes', i], `Duplicate value: ${JSON.stringify(t)}`);
      else policyTypes.push(t);
    });
  }
  // The API server's defaulting: Ingress always, Egress when there are egress rules.
  if (policyTypes.length === 0) policyTypes = egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  if (metadata === undefined || podSelector === undefined) return undefined;
  return { kind: 'NetworkPolicy', metadata, spec: { podSelector, policyTypes, ingress, egress }, origin };
}

function checkRule(c: Checker, path: SpecPath, v: unknown, peerKey: 'from' | 'to'): NetworkPolicyRule | undefined {
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  strictFields(c, path, o, [peerKey, 'ports']);
  const peers: NetworkPolicyPeer[] = [];
  if (o[peerKey] !== undefined && o[peerKey] !== null) {
    (c.arr([...path, peerKey], o[peerKey]) ?? []).forEach((x, i) => {
      const p = checkPeer(c, [...path, peerKey, i], x);
      if (p !== undefined) peers.push(p);
    });
  }
  const ports: NetworkPolicyPort[] = [];
  if (o.ports !== undefined && o.ports !== null) {
    (c.arr([...path, 'ports'], o.ports) ?? []).forEach((x, i) => {
      const pp = [...path, 'ports', i];
      const po = c.obj(pp, x);
      if (po === undefined) return;
      strictFields(c, pp, po, ['protocol', 'port', 'endPort']);
      const port: NetworkPolicyPort = { protocol: checkProtocol(c, [...pp, 'protocol'], po.protocol) };
      if (po.port !== undefined) {
        const p = checkIntOrStringPort(c, [...pp, 'port'], po.port);
        if (p !== undefined) port.port = p;
      }
      if (po.endPort !== undefined) {
        const e = checkPortNumber(c, [...pp, 'endPort'], po.endPort);
        if (typeof po.port !== 'number')
          c.error([...pp, 'endPort'], 'Required value: may not be specified when `port` is non-numeric or absent');
        else if (e !== undefined && e < po.port)
          c.error([...pp, 'endPort'], `Invalid value: ${e}: must be greater than or equal to \`port\``);
        else if (e !== undefined) port.endPort = e;
      }
      ports.push(port);
    });
  }
  return { peers, ports };
}

function checkPeer(c: Checker, path: SpecPath, v: unknown): NetworkPolicyPeer | undefined {
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  strictFields(c, path, o, ['podSelector', 'namespaceSelector', 'ipBlock']);
  const peer: NetworkPolicyPeer = {};
  if (o.podSelector !== undefined) {
    const s = checkSelector(c, [...path, 'podSelector'], o.podSelector);
    if (s !== undefined) peer.podSelector = s;
  }
  if (o.namespaceSelector !== undefined) {
    const s = checkSelector(c, [...path, 'namespaceSelector'], o.namespaceSelector);
    if (s !== undefined) peer.namespaceSelector = s;
  }
  if (o.ipBlock !== undefined) {
    const bp = [...path, 'ipBlock'];
    if (o.podSelector !== undefined || o.namespaceSelector !== undefined)
      c.error(bp, 'Forbidden: may not specify both ipBlock and another peer');
    const bo = c.obj(bp, o.ipBlock);
    if (bo !== undefined) {
      strictFields(c, bp, bo, ['cidr', 'except']);
      const cidr = c.parse([...bp, 'cidr'], bo.cidr, parseNetworkCidr, 'an IPv4 CIDR (10.0.0.0/8)');
      const except: Ipv4Prefix[] = [];
      if (bo.except !== undefined) {
        (c.arr([...bp, 'except'], bo.except) ?? []).forEach((x, i) => {
          const e = c.parse([...bp, 'except', i], x, parseNetworkCidr, 'an IPv4 CIDR');
          if (e === undefined || cidr === undefined) return;
          if (!(e.len > cidr.len && prefixContains(cidr, e.addr)))
            c.error([...bp, 'except', i], 'Invalid value: must be a strict subset of `cidr`');
          else except.push(e);
        });
      }
      if (cidr !== undefined) peer.ipBlock = { cidr, except };
    }
  }
  if (o.podSelector === undefined && o.namespaceSelector === undefined && o.ipBlock === undefined)
    c.error(path, 'Required value: must specify a peer (podSelector, namespaceSelector or ipBlock)');
  return peer;
}

/** An IPv4 CIDR; host bits are cleared, as net.ParseCIDR does for the API server. */
function parseNetworkCidr(text: string): Ipv4Prefix | undefined {
  const p = parseCidr(text);
  return p === undefined ? undefined : { addr: (p.addr & prefixMask(p.len)) >>> 0, len: p.len };
}

/** networking.k8s.io/v1 Ingress. */
export function checkIngress(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
): Ingress | undefined {
  const { c } = ctx;
  const opened = openObject(ctx, base, o, checkDns1123Subdomain, [
    'ingressClassName',
    'defaultBackend',
    'rules',
    'tls',
  ]);
  if (opened === undefined) return undefined;
  const { metadata, sp, spec } = opened;
  const out: Ingress['spec'] = { rules: [], tls: [] };
  if (spec.ingressClassName !== undefined) {
    const n = c.str([...sp, 'ingressClassName'], spec.ingressClassName);
    if (n !== undefined && invalid(c, [...sp, 'ingressClassName'], n, checkDns1123Subdomain(n)))
      out.ingressClassName = n;
  }
  if (spec.defaultBackend !== undefined) {
    const b = checkBackend(c, [...sp, 'defaultBackend'], spec.defaultBackend);
    if (b !== undefined) out.defaultBackend = b;
  }
  const rules = spec.rules === undefined ? [] : (c.arr([...sp, 'rules'], spec.rules) ?? []);
  if (spec.defaultBackend === undefined && rules.length === 0)
    c.error(sp, 'Invalid value: either `defaultBackend` or `rules` must be specified');
  rules.forEach((x, i) => {
    const rp = [...sp, 'rules', i];
    const ro = c.obj(rp, x);
    if (ro === undefined) return;
    strictFields(c, rp, ro, ['host', 'http']);
    const rule: Ingress['spec']['rules'][number] = { paths: [] };
    if (ro.host !== undefined) {
      const h = c.str([...rp, 'host'], ro.host);
      if (h !== undefined && parseIpv4(h) !== undefined)
        c.error([...rp, 'host'], `Invalid value: ${JSON.stringify(h)}: must be a DNS name, not an IP address`);
      else if (
        h !== undefined &&
        invalid(c, [...rp, 'host'], h, checkDns1123Subdomain(h.startsWith('*.') ? h.slice(2) : h))
      )
        rule.host = h;
    }
    if (ro.http !== undefined) {
      const hp = [...rp, 'http'];
      const ho = c.obj(hp, ro.http);
      if (ho !== undefined) {
        strictFields(c, hp, ho, ['paths']);
        const paths = c.arr([...hp, 'paths'], ho.paths) ?? [];
        if (ho.paths !== undefined && paths.length === 0) c.error([...hp, 'paths'], 'Required value');
        paths.forEach((px, j) => {
          const p = checkPath(c, [...hp, 'paths', j], px);
          if (p !== undefined) rule.paths.push(p);
        });
      }
    }
    out.rules.push(rule);
  });
  if (spec.tls !== undefined) {
    (c.arr([...sp, 'tls'], spec.tls) ?? []).forEach((x, i) => {
      const tp = [...sp, 'tls', i];
      const to = c.obj(tp, x);
      if (to === undefined) return;
      strictFields(c, tp, to, ['hosts', 'secretName']);
      const tls: Ingress['spec']['tls'][number] = {
        hosts: to.hosts === undefined ? [] : checkStringList(c, [...tp, 'hosts'], to.hosts),
      };
      if (to.secretName !== undefined) {
        const s = c.str([...tp, 'secretName'], to.secretName);
        if (s !== undefined) tls.secretName = s;
      }
      out.tls.push(tls);
    });
  }
  if (metadata === undefined) return undefined;
  return { kind: 'Ingress', metadata, spec: out, origin };
}

/** Path segments the API server refuses in Exact and Prefix paths. */
const BAD_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const BAD_SUFFIXES = ['/..', '/.'];

function checkPath(c: Checker, path: SpecPath, v: unknown): IngressPath | undefined {
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  strictFields(c, path, o, ['path', 'pathType', 'backend']);
  if (o.pathType === undefined) {
    c.error([...path, 'pathType'], 'Required value: pathType must be specified');
    return undefined;
  }
  const pathType = c.oneOf([...path, 'pathType'], o.pathType, ['Exact', 'Prefix', 'ImplementationSpecific'] as const);
  const p = o.path === undefined ? undefined : c.str([...path, 'path'], o.path, { allowEmpty: true });
  if (pathType === 'Exact' || pathType === 'Prefix') {
    if (!(p ?? '').startsWith('/'))
      c.error([...path, 'path'], `Invalid value: ${JSON.stringify(p ?? '')}: must be an absolute path`);
    else if (BAD_SEQUENCES.some((s) => p!.includes(s)) || BAD_SUFFIXES.some((s) => p!.endsWith(s)))
      c.error(
        [...path, 'path'],
        `Invalid value: ${JSON.stringify(p)}: must not contain '//', '/./', '/../', '%2f' or end with '/..' or '/.'`,
      );
  } else if (p !== undefined && p !== '' && !p.startsWith('/')) {
    c.error([...path, 'path'], `Invalid value: ${JSON.stringify(p)}: must be an absolute path`);
  }
  const backend = checkBackend(c, [...path, 'backend'], o.backend);
  if (pathType === undefined || backend === undefined) return undefined;
  const out: IngressPath = { pathType, backend };
  if (p !== undefined && p !== '') out.path = p;
  return out;
}

function checkBackend(c: Checker, path: SpecPath, v: unknown): IngressBackend | undefined {
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  strictFields(c, path, o, ['service', 'resource']);
  if (o.service !== undefined && o.resource !== undefined) {
    c.error(path, 'Invalid value: cannot set both `resource` and `service` backends');
    return undefined;
  }
  if (o.resource !== undefined) {
    const rp = [...path, 'resource'];
    const ro = c.obj(rp, o.resource);
    if (ro === undefined) return undefined;
    strictFields(c, rp, ro, ['apiGroup', 'kind', 'name']);
    const kind = c.str([...rp, 'kind'], ro.kind);
    const name = c.str([...rp, 'name'], ro.name);
    const apiGroup =
      ro.apiGroup === undefined ? undefined : c.str([...rp, 'apiGroup'], ro.apiGroup, { allowEmpty: true });
    if (kind === undefined || name === undefined) return undefined;
    return { resource: apiGroup === undefined ? { kind, name } : { apiGroup, kind, name } };
  }
  const sp = [...path, 'service'];
  if (o.service === undefined) {
    c.error(path, 'Invalid value: one backend type must be specified (service or resource)');
    return undefined;
  }
  const so = c.obj(sp, o.service);
  if (so === undefined) return undefined;
  strictFields(c, sp, so, ['name', 'port']);
  let name = c.str([...sp, 'name'], so.name);
  if (name !== undefined && !invalid(c, [...sp, 'name'], name, checkDns1035Label(name))) name = undefined;
  const pp = [...sp, 'port'];
  const po = c.obj(pp, so.port);
  let port: { number: number } | { name: string } | undefined;
  if (po !== undefined) {
    strictFields(c, pp, po, ['name', 'number']);
    if (po.name !== undefined && po.number !== undefined)
      c.error(pp, 'Invalid value: cannot set both port name & port number');
    else if (po.number !== undefined) {
      const n = checkPortNumber(c, [...pp, 'number'], po.number);
      if (n !== undefined) port = { number: n };
    } else if (po.name !== undefined) {
      const n = c.str([...pp, 'name'], po.name);
      if (n !== undefined && invalid(c, [...pp, 'name'], n, checkPortName(n))) port = { name: n };
    } else c.error(pp, 'Required value: port name or number is required');
  }
  if (name === undefined || port === undefined) return undefined;
  return { service: { name, port } };
}
