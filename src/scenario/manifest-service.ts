/**
 * v1 Service manifests, validated as the API server validates them: ports (named when there are
 * several, unique, targetPort defaulting to port), type-specific fields (nodePort only for NodePort and
 * LoadBalancer, 'None' only for ClusterIP, externalName only for ExternalName), session affinity and
 * traffic policies, IPv4 single-stack. Allocating clusterIPs and nodePorts is cluster/plan.ts's.
 */
import type { Service, ServicePort, ServiceType } from '../cluster/k8s-objects.js';
import { checkDns1035Label, checkDns1123Label, checkDns1123Subdomain } from '../cluster/k8s-validation.js';
import type { Origin } from '../cluster/source-ref.js';
import { parseCidr, parseIpv4, prefixMask, type Ipv4, type Ipv4Prefix } from '../wire/addr.js';
import type { SpecPath } from './source.js';
import {
  checkIntOrStringPort,
  checkLabels,
  checkMeta,
  checkPortNumber,
  checkProtocol,
  errorAtKey,
  invalid,
  strictFields,
  type ManifestCtx,
} from './manifest-common.js';

/** kube-proxy's default ClientIP affinity timeout (DefaultClientIPServiceAffinitySeconds), and its maximum. */
const AFFINITY_DEFAULT_SECONDS = 10800;
const AFFINITY_MAX_SECONDS = 86400;

/** v1 Service. */
export function checkService(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
): Service | undefined {
  const { c } = ctx;
  strictFields(c, base, o, ['apiVersion', 'kind', 'metadata', 'spec'], ['status']);
  const metadata = checkMeta(ctx, [...base, 'metadata'], o.metadata, { namespaced: true, nameRule: checkDns1035Label });
  const sp = [...base, 'spec'];
  const spec = c.obj(sp, o.spec);
  if (spec === undefined) return undefined;
  strictFields(
    c,
    sp,
    spec,
    [
      'type',
      'clusterIP',
      'clusterIPs',
      'selector',
      'ports',
      'sessionAffinity',
      'sessionAffinityConfig',
      'externalTrafficPolicy',
      'internalTrafficPolicy',
      'externalName',
      'externalIPs',
      'healthCheckNodePort',
      'publishNotReadyAddresses',
      'allocateLoadBalancerNodePorts',
      'ipFamilies',
      'ipFamilyPolicy',
      'loadBalancerSourceRanges',
    ],
    ['loadBalancerClass', 'loadBalancerIP', 'trafficDistribution'],
  );
  const type: ServiceType =
    spec.type === undefined
      ? 'ClusterIP'
      : (c.oneOf([...sp, 'type'], spec.type, ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const) ??
        'ClusterIP');
  const external = type === 'NodePort' || type === 'LoadBalancer';

  // clusterIP: '' or absent = allocate, 'None' = headless, else an address; clusterIPs must agree.
  let clusterIP: Ipv4 | 'None' | undefined;
  const readIp = (path: SpecPath, v: unknown): Ipv4 | 'None' | undefined => {
    if (v === '' || v === undefined) return undefined;
    if (v === 'None') return 'None';
    return c.parse(path, v, parseIpv4, 'a valid IP address (e.g. 10.43.0.10) or "None"');
  };
  clusterIP = readIp([...sp, 'clusterIP'], spec.clusterIP);
  if (spec.clusterIPs !== undefined) {
    const list = c.arr([...sp, 'clusterIPs'], spec.clusterIPs) ?? [];
    if (list.length > 1)
      c.error([...sp, 'clusterIPs'], 'podnet emulates IPv4 single-stack services: at most one clusterIP');
    if (list.length > 0) {
      const first = readIp([...sp, 'clusterIPs', 0], list[0]);
      if (spec.clusterIP !== undefined && spec.clusterIP !== '' && first !== clusterIP)
        c.error([...sp, 'clusterIPs', 0], 'Invalid value: must match `clusterIP` when both are given');
      clusterIP ??= first;
    }
  }
  if (clusterIP === 'None' && external)
    c.error([...sp, 'clusterIP'], `Invalid value: "None": may not be set to 'None' for ${type} services`);
  if (type === 'ExternalName' && clusterIP !== undefined)
    c.error([...sp, 'clusterIP'], 'Forbidden: may not be set for ExternalName services');
  if (spec.ipFamilies !== undefined) {
    (c.arr([...sp, 'ipFamilies'], spec.ipFamilies) ?? []).forEach((f, i) => {
      if (f !== 'IPv4') c.error([...sp, 'ipFamilies', i], `podnet emulates IPv4 only (got ${JSON.stringify(f)})`);
    });
  }
  if (spec.ipFamilyPolicy !== undefined) {
    const p = c.oneOf([...sp, 'ipFamilyPolicy'], spec.ipFamilyPolicy, [
      'SingleStack',
      'PreferDualStack',
      'RequireDualStack',
    ] as const);
    if (p === 'RequireDualStack')
      c.error([...sp, 'ipFamilyPolicy'], 'podnet emulates IPv4 only: RequireDualStack cannot be met');
  }

  let selector: Record<string, string> | undefined;
  if (spec.selector !== undefined && spec.selector !== null)
    selector = { ...checkLabels(c, [...sp, 'selector'], spec.selector) };

  const ports: ServicePort[] = [];
  const rawPorts = spec.ports === undefined ? undefined : c.arr([...sp, 'ports'], spec.ports);
  if (spec.ports === undefined && clusterIP !== 'None' && type !== 'ExternalName') {
    c.error([...sp, 'ports'], 'Required value');
  } else if (rawPorts !== undefined && rawPorts.length === 0 && clusterIP !== 'None' && type !== 'ExternalName') {
    c.error([...sp, 'ports'], 'Required value: a Service needs at least one port (unless headless or ExternalName)');
  }
  const many = (rawPorts?.length ?? 0) > 1;
  rawPorts?.forEach((x, i) => {
    const pp = [...sp, 'ports', i];
    const po = c.obj(pp, x);
    if (po === undefined) return;
    strictFields(c, pp, po, ['name', 'protocol', 'port', 'targetPort', 'nodePort', 'appProtocol']);
    let name = '';
    if (po.name !== undefined) {
      const n = c.str([...pp, 'name'], po.name, { allowEmpty: true });
      if (n !== undefined && n !== '' && invalid(c, [...pp, 'name'], n, checkDns1123Label(n))) name = n;
    }
    if (many && (po.name === undefined || po.name === ''))
      c.error([...pp, 'name'], 'Required value: a Service with several ports must name each');
    if (name !== '' && ports.some((q) => q.name === name))
      c.error([...pp, 'name'], `Duplicate value: ${JSON.stringify(name)}`);
    const protocol = checkProtocol(c, [...pp, 'protocol'], po.protocol);
    const port = checkPortNumber(c, [...pp, 'port'], po.port);
    const targetPort =
      po.targetPort === undefined ? port : checkIntOrStringPort(c, [...pp, 'targetPort'], po.targetPort);
    let nodePort: number | undefined;
    if (po.nodePort !== undefined && po.nodePort !== 0) {
      nodePort = c.int([...pp, 'nodePort'], po.nodePort, { min: 1, max: 65535 });
      if (!external) errorAtKey(c, [...pp, 'nodePort'], `Forbidden: may not be used when \`type\` is '${type}'`);
    }
    if (port === undefined || targetPort === undefined) return;
    if (ports.some((q) => q.port === port && q.protocol === protocol))
      c.error(pp, `Duplicate value: port ${port}/${protocol} is already defined in this Service`);
    const sport: ServicePort = { name, protocol, port, targetPort };
    if (nodePort !== undefined && external) sport.nodePort = nodePort;
    if (po.appProtocol !== undefined) {
      const a = c.str([...pp, 'appProtocol'], po.appProtocol);
      if (a !== undefined) sport.appProtocol = a;
    }
    ports.push(sport);
  });

  const sessionAffinity =
    spec.sessionAffinity === undefined
      ? 'None'
      : (c.oneOf([...sp, 'sessionAffinity'], spec.sessionAffinity, ['None', 'ClientIP'] as const) ?? 'None');
  let sessionAffinityTimeoutSeconds = AFFINITY_DEFAULT_SECONDS;
  if (spec.sessionAffinityConfig !== undefined) {
    const ap = [...sp, 'sessionAffinityConfig'];
    if (sessionAffinity === 'None') errorAtKey(c, ap, 'Forbidden: must not be set when `sessionAffinity` is None');
    const ao = c.obj(ap, spec.sessionAffinityConfig);
    if (ao !== undefined) {
      strictFields(c, ap, ao, ['clientIP']);
      const co = ao.clientIP === undefined ? undefined : c.obj([...ap, 'clientIP'], ao.clientIP);
      if (co !== undefined) {
        strictFields(c, [...ap, 'clientIP'], co, ['timeoutSeconds']);
        if (co.timeoutSeconds !== undefined) {
          const t = c.int([...ap, 'clientIP', 'timeoutSeconds'], co.timeoutSeconds, {
            min: 1,
            max: AFFINITY_MAX_SECONDS,
          });
          if (t !== undefined) sessionAffinityTimeoutSeconds = t;
        }
      }
    }
  }

  const externalIPs: Ipv4[] = [];
  if (spec.externalIPs !== undefined) {
    (c.arr([...sp, 'externalIPs'], spec.externalIPs) ?? []).forEach((x, i) => {
      const ip = c.parse([...sp, 'externalIPs', i], x, parseIpv4, 'an IPv4 address');
      if (ip !== undefined) externalIPs.push(ip);
    });
  }
  // apis/core/validation ValidateService: LoadBalancer only, each entry an IP range (utilnet.ParseIPNets);
  // kube-proxy uses the masked network (net.ParseCIDR's IPNet), so 192.168.56.7/24 means 192.168.56.0/24
  const loadBalancerSourceRanges: Ipv4Prefix[] = [];
  if (spec.loadBalancerSourceRanges !== undefined) {
    const ranges = c.arr([...sp, 'loadBalancerSourceRanges'], spec.loadBalancerSourceRanges) ?? [];
    if (ranges.length > 0 && type !== 'LoadBalancer')
      c.error([...sp, 'loadBalancerSourceRanges'], "Forbidden: may only be used when `type` is 'LoadBalancer'");
    ranges.forEach((x, i) => {
      const r = c.parse(
        [...sp, 'loadBalancerSourceRanges', i],
        x,
        (t) => parseCidr(t.trim()),
        'an IP range (spec.loadBalancerSourceRanges must be a list of IP ranges, e.g. 10.240.0.0/24)',
      );
      if (r !== undefined) loadBalancerSourceRanges.push({ addr: (r.addr & prefixMask(r.len)) >>> 0, len: r.len });
    });
  }
  // Reachable from outside: NodePort, LoadBalancer, or any Service with externalIPs.
  const reachable = external || externalIPs.length > 0;
  let externalTrafficPolicy: 'Cluster' | 'Local' | undefined = reachable ? 'Cluster' : undefined;
  if (spec.externalTrafficPolicy !== undefined) {
    const p = c.oneOf([...sp, 'externalTrafficPolicy'], spec.externalTrafficPolicy, ['Cluster', 'Local'] as const);
    if (!reachable)
      c.error(
        [...sp, 'externalTrafficPolicy'],
        'Invalid value: may only be set for externally-accessible services (NodePort, LoadBalancer, or with externalIPs)',
      );
    else if (p !== undefined) externalTrafficPolicy = p;
  }
  const internalTrafficPolicy =
    spec.internalTrafficPolicy === undefined
      ? 'Cluster'
      : (c.oneOf([...sp, 'internalTrafficPolicy'], spec.internalTrafficPolicy, ['Cluster', 'Local'] as const) ??
        'Cluster');
  let healthCheckNodePort: number | undefined;
  if (spec.healthCheckNodePort !== undefined && spec.healthCheckNodePort !== 0) {
    healthCheckNodePort = c.int([...sp, 'healthCheckNodePort'], spec.healthCheckNodePort, { min: 1, max: 65535 });
    if (!(type === 'LoadBalancer' && externalTrafficPolicy === 'Local'))
      c.error(
        [...sp, 'healthCheckNodePort'],
        "Invalid value: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
      );
  }
  let externalName: string | undefined;
  if (type === 'ExternalName') {
    const n = c.str([...sp, 'externalName'], spec.externalName);
    // A trailing dot (fully qualified) is allowed.
    if (
      n !== undefined &&
      invalid(c, [...sp, 'externalName'], n, checkDns1123Subdomain(n.endsWith('.') ? n.slice(0, -1) : n))
    )
      externalName = n;
  } else if (spec.externalName !== undefined) {
    errorAtKey(c, [...sp, 'externalName'], "Forbidden: may only be set when `type` is 'ExternalName'");
  }
  const publishNotReadyAddresses =
    spec.publishNotReadyAddresses === undefined
      ? false
      : (c.bool([...sp, 'publishNotReadyAddresses'], spec.publishNotReadyAddresses) ?? false);
  let allocateLoadBalancerNodePorts = true;
  if (spec.allocateLoadBalancerNodePorts !== undefined) {
    allocateLoadBalancerNodePorts =
      c.bool([...sp, 'allocateLoadBalancerNodePorts'], spec.allocateLoadBalancerNodePorts) ?? true;
    if (type !== 'LoadBalancer')
      c.error([...sp, 'allocateLoadBalancerNodePorts'], "Forbidden: may only be used when `type` is 'LoadBalancer'");
  }

  if (metadata === undefined) return undefined;
  const svc: Service = {
    kind: 'Service',
    metadata,
    spec: {
      type,
      ports,
      sessionAffinity,
      sessionAffinityTimeoutSeconds,
      internalTrafficPolicy,
      externalIPs,
      publishNotReadyAddresses,
      allocateLoadBalancerNodePorts,
    },
    origin,
  };
  if (clusterIP !== undefined) svc.spec.clusterIP = clusterIP;
  if (selector !== undefined && type !== 'ExternalName') svc.spec.selector = selector;
  if (externalTrafficPolicy !== undefined) svc.spec.externalTrafficPolicy = externalTrafficPolicy;
  if (healthCheckNodePort !== undefined) svc.spec.healthCheckNodePort = healthCheckNodePort;
  if (externalName !== undefined) svc.spec.externalName = externalName;
  if (loadBalancerSourceRanges.length > 0) svc.spec.loadBalancerSourceRanges = loadBalancerSourceRanges;
  return svc;
}
