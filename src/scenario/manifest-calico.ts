/**
 * Calico's resources read as calicoctl reads them: IPPool, BGPConfiguration, BGPPeer, FelixConfiguration and
 * Node at projectcalico.org/v3, and the same kinds at crd.projectcalico.org/v1 (the CRD form manifests also
 * use). Field names are the json tags of api/pkg/apis/projectcalico/v3; an unknown field is an error at its
 * line, as for the Kubernetes kinds; a field Calico has but podnet does not emulate is accepted with a
 * "not emulated" warning naming it. Defaults (cluster/calico-resources.ts) are applied here. All the kinds
 * are cluster-scoped.
 */
import {
  DEFAULT_ALLOWED_USES,
  defaultBgpConfiguration,
  type BgpPeer,
  type CalicoNodeSpec,
  type CalicoObject,
  type EncapMode,
} from '../cluster/calico-resources.js';
import type { Origin } from '../cluster/source-ref.js';
import type { IpPoolUse } from '../control/calico/ipam.js';
import { formatCidr, parseIpv4, prefixMask, type Ipv4Prefix } from '../wire/addr.js';
import { strictFields, warn, type ManifestCtx } from './manifest-common.js';
import { asNumber, cidr, cidrList, ipv4, open, selector } from './manifest-calico-common.js';
import { felixConfiguration } from './manifest-calico-felix.js';
import { calicoNetworkPolicy, globalNetworkPolicy } from './manifest-calico-policy.js';
import type { SpecPath } from './source.js';

const ENCAP_MODES: readonly EncapMode[] = ['Always', 'CrossSubnet', 'Never'];

function ipPool(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
): CalicoObject | undefined {
  const { c } = ctx;
  const opened = open(
    ctx,
    base,
    o,
    [
      'cidr',
      'blockSize',
      'ipipMode',
      'vxlanMode',
      'natOutgoing',
      'disabled',
      'disableBGPExport',
      'nodeSelector',
      'allowedUses',
    ],
    ['namespaceSelector', 'assignmentMode'],
  );
  if (opened === undefined) return undefined;
  const { metadata, sp, spec } = opened;
  let poolCidr: Ipv4Prefix | undefined;
  if (spec.cidr === undefined) c.error([...sp, 'cidr'], 'IPPool CIDR must be specified');
  else {
    poolCidr = cidr(ctx, [...sp, 'cidr'], spec.cidr);
    if (poolCidr !== undefined && (poolCidr.addr & prefixMask(poolCidr.len)) >>> 0 !== poolCidr.addr) {
      c.error([...sp, 'cidr'], 'IP pool CIDR is not strictly masked');
      poolCidr = undefined;
    }
  }
  // ippool.go: "between 20 and 32 for IPv4 ... smaller than or equal to the size of the pool CIDR"
  const blockSize =
    spec.blockSize === undefined ? 26 : c.int([...sp, 'blockSize'], spec.blockSize, { min: 20, max: 32 });
  if (poolCidr !== undefined && blockSize !== undefined && blockSize < poolCidr.len) {
    c.error([...sp, 'blockSize'], `blockSize ${blockSize} is larger than the pool ${formatCidr(poolCidr)}`);
  }
  const mode = (k: 'ipipMode' | 'vxlanMode'): EncapMode =>
    spec[k] === undefined ? 'Never' : (c.oneOf([...sp, k], spec[k], ENCAP_MODES) ?? 'Never');
  const ipipMode = mode('ipipMode');
  const vxlanMode = mode('vxlanMode');
  if (ipipMode !== 'Never' && vxlanMode !== 'Never')
    c.error([...sp, 'vxlanMode'], 'IPIPMode and VXLANMode cannot both be enabled');
  const flag = (k: string): boolean => (spec[k] === undefined ? false : (c.bool([...sp, k], spec[k]) ?? false));
  const nodeSelector =
    spec.nodeSelector === undefined ? 'all()' : selector(ctx, [...sp, 'nodeSelector'], spec.nodeSelector);
  let allowedUses: IpPoolUse[] = [...DEFAULT_ALLOWED_USES];
  if (spec.allowedUses !== undefined) {
    const uses = (c.arr([...sp, 'allowedUses'], spec.allowedUses) ?? []).flatMap(
      (x, i) => c.oneOf([...sp, 'allowedUses', i], x, ['Workload', 'Tunnel', 'LoadBalancer'] as const) ?? [],
    );
    if (uses.includes('LoadBalancer'))
      warn(ctx, [...sp, 'allowedUses'], 'LoadBalancer pools are not emulated by podnet: ignored');
    const kept = uses.filter((u): u is IpPoolUse => u !== 'LoadBalancer');
    if (uses.length > 0) allowedUses = kept;
  }
  if (metadata === undefined || poolCidr === undefined || blockSize === undefined || nodeSelector === undefined)
    return undefined;
  return {
    kind: 'IPPool',
    metadata,
    spec: {
      name: metadata.name,
      cidr: poolCidr,
      blockSize,
      nodeSelector: nodeSelector === '' ? 'all()' : nodeSelector,
      disabled: flag('disabled'),
      allowedUses,
      ipipMode,
      vxlanMode,
      natOutgoing: flag('natOutgoing'),
      disableBGPExport: flag('disableBGPExport'),
    },
    origin,
  };
}

function bgpConfiguration(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
): CalicoObject | undefined {
  const { c } = ctx;
  const opened = open(
    ctx,
    base,
    o,
    [
      'asNumber',
      'nodeToNodeMeshEnabled',
      'logSeverityScreen',
      'serviceClusterIPs',
      'serviceExternalIPs',
      'serviceLoadBalancerIPs',
      'listenPort',
    ],
    [
      'serviceLoadBalancerAggregation',
      'communities',
      'prefixAdvertisements',
      'nodeMeshPassword',
      'nodeMeshMaxRestartTime',
      'bindMode',
      'ignoredInterfaces',
      'localWorkloadPeeringIPV4',
      'localWorkloadPeeringIPV6',
      'programClusterRoutes',
      'ipv4NormalRoutePriority',
      'ipv6NormalRoutePriority',
    ],
  );
  if (opened === undefined) return undefined;
  const { metadata, sp, spec } = opened;
  const d = defaultBgpConfiguration();
  const as = spec.asNumber === undefined ? d.asNumber : asNumber(ctx, [...sp, 'asNumber'], spec.asNumber);
  const mesh =
    spec.nodeToNodeMeshEnabled === undefined
      ? d.nodeToNodeMeshEnabled
      : c.bool([...sp, 'nodeToNodeMeshEnabled'], spec.nodeToNodeMeshEnabled);
  const log =
    spec.logSeverityScreen === undefined
      ? d.logSeverityScreen
      : c.oneOf([...sp, 'logSeverityScreen'], spec.logSeverityScreen, [
          'Trace',
          'Debug',
          'Info',
          'Warning',
          'Error',
          'Fatal',
        ] as const);
  const port =
    spec.listenPort === undefined
      ? d.listenPort
      : c.int([...sp, 'listenPort'], spec.listenPort, { min: 1, max: 65535 });
  if (metadata === undefined || as === undefined || mesh === undefined || log === undefined || port === undefined)
    return undefined;
  return {
    kind: 'BGPConfiguration',
    metadata,
    spec: {
      name: metadata.name,
      asNumber: as,
      nodeToNodeMeshEnabled: mesh,
      logSeverityScreen: log,
      serviceClusterIPs: cidrList(ctx, [...sp, 'serviceClusterIPs'], spec.serviceClusterIPs),
      serviceExternalIPs: cidrList(ctx, [...sp, 'serviceExternalIPs'], spec.serviceExternalIPs),
      serviceLoadBalancerIPs: cidrList(ctx, [...sp, 'serviceLoadBalancerIPs'], spec.serviceLoadBalancerIPs),
      listenPort: port,
    },
    origin,
  };
}

function bgpPeer(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
): CalicoObject | undefined {
  const { c } = ctx;
  const opened = open(
    ctx,
    base,
    o,
    ['node', 'nodeSelector', 'peerIP', 'asNumber', 'peerSelector', 'keepOriginalNextHop'],
    [
      'localASNumber',
      'nextHopMode',
      'password',
      'sourceAddress',
      'maxRestartTime',
      'keepaliveTime',
      'numAllowedLocalASNumbers',
      'ttlSecurity',
      'reachableBy',
      'filters',
      'localWorkloadSelector',
      'reversePeering',
    ],
  );
  if (opened === undefined) return undefined;
  const { metadata, sp, spec } = opened;
  const peer: { -readonly [K in keyof BgpPeer]: BgpPeer[K] } = {
    name: metadata?.name ?? '',
    keepOriginalNextHop: false,
  };
  if (spec.peerIP !== undefined) {
    const text = c.str([...sp, 'peerIP'], spec.peerIP);
    // validator "IP:port": an address, or address:port
    const m = text === undefined ? null : /^([0-9.]+)(?::(\d{1,5}))?$/.exec(text);
    const ip = m === null ? undefined : parseIpv4(m[1]!);
    const port = m?.[2] === undefined ? undefined : Number(m[2]);
    if (text !== undefined && (ip === undefined || (port !== undefined && (port < 1 || port > 65535))))
      c.error([...sp, 'peerIP'], `${JSON.stringify(text)} is not an IPv4 address or address:port`);
    else if (ip !== undefined) {
      peer.peerIP = ip;
      if (port !== undefined) peer.peerPort = port;
    }
  }
  if (spec.asNumber !== undefined) {
    const as = asNumber(ctx, [...sp, 'asNumber'], spec.asNumber);
    if (as !== undefined) peer.asNumber = as;
  }
  if (spec.node !== undefined) {
    const n = c.str([...sp, 'node'], spec.node);
    if (n !== undefined) peer.node = n;
  }
  for (const k of ['nodeSelector', 'peerSelector'] as const) {
    if (spec[k] === undefined) continue;
    const s = selector(ctx, [...sp, k], spec[k]);
    if (s !== undefined) peer[k] = s;
  }
  if (spec.keepOriginalNextHop !== undefined)
    peer.keepOriginalNextHop = c.bool([...sp, 'keepOriginalNextHop'], spec.keepOriginalNextHop) ?? false;
  if (peer.peerSelector !== undefined && (peer.peerIP !== undefined || peer.asNumber !== undefined))
    c.error([...sp, 'peerSelector'], 'peerSelector cannot be used with peerIP or asNumber');
  if (peer.node !== undefined && peer.nodeSelector !== undefined)
    c.error([...sp, 'nodeSelector'], 'node and nodeSelector cannot both be set');
  if (metadata === undefined) return undefined;
  return { kind: 'BGPPeer', metadata, spec: peer, origin };
}

function calicoNode(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
): CalicoObject | undefined {
  const { c } = ctx;
  const opened = open(
    ctx,
    base,
    o,
    ['bgp', 'ipv4VXLANTunnelAddr'],
    [
      'vxlanTunnelMACAddr',
      'ipv6VXLANTunnelAddr',
      'vxlanTunnelMACAddrV6',
      'orchRefs',
      'wireguard',
      'addresses',
      'interfaces',
    ],
  );
  if (opened === undefined) return undefined;
  const { metadata, sp, spec } = opened;
  const node: { -readonly [K in keyof CalicoNodeSpec]: CalicoNodeSpec[K] } = {};
  if (spec.ipv4VXLANTunnelAddr !== undefined)
    node.ipv4VXLANTunnelAddr = ipv4(ctx, [...sp, 'ipv4VXLANTunnelAddr'], spec.ipv4VXLANTunnelAddr);
  if (spec.bgp !== undefined) {
    const bp = [...sp, 'bgp'];
    const b = c.obj(bp, spec.bgp);
    if (b !== undefined) {
      strictFields(
        c,
        bp,
        b,
        ['ipv4Address', 'ipv4IPIPTunnelAddr', 'asNumber', 'routeReflectorClusterID'],
        ['ipv6Address', 'interfaceIPv4Address', 'interfaceIPv6Address'],
      );
      const bgp: { -readonly [K in keyof NonNullable<CalicoNodeSpec['bgp']>]: NonNullable<CalicoNodeSpec['bgp']>[K] } =
        {};
      if (b.ipv4Address !== undefined) bgp.ipv4Address = cidr(ctx, [...bp, 'ipv4Address'], b.ipv4Address);
      if (b.ipv4IPIPTunnelAddr !== undefined)
        bgp.ipv4IPIPTunnelAddr = ipv4(ctx, [...bp, 'ipv4IPIPTunnelAddr'], b.ipv4IPIPTunnelAddr);
      if (b.asNumber !== undefined) bgp.asNumber = asNumber(ctx, [...bp, 'asNumber'], b.asNumber);
      if (b.routeReflectorClusterID !== undefined)
        bgp.routeReflectorClusterID = ipv4(ctx, [...bp, 'routeReflectorClusterID'], b.routeReflectorClusterID);
      for (const k of Object.keys(bgp) as (keyof typeof bgp)[]) if (bgp[k] === undefined) delete bgp[k];
      node.bgp = bgp;
    }
  }
  if (node.ipv4VXLANTunnelAddr === undefined) delete node.ipv4VXLANTunnelAddr;
  if (metadata === undefined) return undefined;
  return { kind: 'CalicoNode', metadata, spec: node, origin };
}

type CalicoChecker = (
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
) => CalicoObject | undefined;

const BY_KIND: Readonly<Record<string, CalicoChecker>> = {
  IPPool: ipPool,
  BGPConfiguration: bgpConfiguration,
  BGPPeer: bgpPeer,
  FelixConfiguration: felixConfiguration,
  Node: calicoNode,
  NetworkPolicy: calicoNetworkPolicy,
  GlobalNetworkPolicy: globalNetworkPolicy,
};

/** The "apiVersion kind" entries for manifests.ts's HANDLED table: every kind at both apiVersions. */
export const CALICO_HANDLED: Readonly<Record<string, CalicoChecker>> = Object.fromEntries(
  ['projectcalico.org/v3', 'crd.projectcalico.org/v1'].flatMap((v) =>
    Object.entries(BY_KIND).map(([kind, check]) => [`${v} ${kind}`, check]),
  ),
);
