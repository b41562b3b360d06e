/**
 * The podnet Cluster document (apiVersion podnet.dev/v1alpha1, kind Cluster): nodes with their underlay
 * addresses and roles, the CNI (Flannel) with its backend or a raw net-conf.json, the cluster and service
 * CIDRs, cluster DNS and domain, the underlay between nodes, and what sits outside the cluster on it
 * (the internet router and outside clients: cluster-outside.ts). Everything left out takes k3s's default.
 * Validation reports every problem with file, line and field; the typed result is cluster/cluster-spec.ts.
 */
import {
  CALICO_DEFAULTS,
  CALICO_ENCAP_MODES,
  K3S_COMPONENTS,
  K3S_DEFAULTS,
  type CalicoClusterSpec,
  type ClusterNodeSpec,
  type ClusterSpec,
  type K3sComponent,
  type UnderlaySpec,
} from '../cluster/cluster-spec.js';
import {
  defaultBackend,
  k3sNetConfText,
  parseNetConf,
  type FlannelBackendType,
  type FlannelNetConf,
} from '../cluster/flannel-net-conf.js';
import { checkDns1123Subdomain } from '../cluster/k8s-validation.js';
import {
  formatCidr,
  formatIpv4,
  parseCidr,
  parseIpv4,
  prefixContains,
  prefixMask,
  type Ipv4,
  type Ipv4Prefix,
} from '../wire/addr.js';
import { checkLinkProps } from './lab-nodes.js';
import { checkInternet, checkOutsideClients } from './cluster-outside.js';
import { checkLabels, invalid, warn, type ManifestCtx } from './manifest-common.js';
import { SOURCE_LIMITS, type SpecPath } from './source.js';
import { isMap, parseAllDocuments } from 'yaml';

const SPEC_KEYS = [
  'seed',
  'nodes',
  'cni',
  'flannel',
  'calico',
  'clusterCIDR',
  'nodeCIDRMaskSize',
  'maxPodsPerNode',
  'serviceCIDR',
  'clusterDNS',
  'clusterDomain',
  'nodePortRange',
  'disable',
  'underlay',
  'internet',
  'outsideClients',
  // read by cluster-steps.ts
  'steps',
  'limits',
];

/** Network address of a prefix. */
function network(p: Ipv4Prefix): Ipv4 {
  return (p.addr & prefixMask(p.len)) >>> 0;
}

/** Broadcast address of a prefix. */
function broadcast(p: Ipv4Prefix): Ipv4 {
  return (network(p) | ~prefixMask(p.len)) >>> 0;
}

/** True when two prefixes share any address. */
function overlaps(a: Ipv4Prefix, b: Ipv4Prefix): boolean {
  const len = Math.min(a.len, b.len);
  return (a.addr & prefixMask(len)) >>> 0 === (b.addr & prefixMask(len)) >>> 0;
}

/** Text of a prefix's network, e.g. 192.168.56.0/24 for the node address 192.168.56.11/24. */
function subnetText(p: Ipv4Prefix): string {
  return formatCidr({ addr: network(p), len: p.len });
}

/** Validates the Cluster document at `doc`'s root. */
export function checkClusterDoc(ctx: ManifestCtx, root: Record<string, unknown>): ClusterSpec | undefined {
  const { c } = ctx;
  c.unknownKeys([], root, ['apiVersion', 'kind', 'metadata', 'spec']);
  let name = 'cluster';
  if (root.metadata !== undefined) {
    const meta = c.obj(['metadata'], root.metadata);
    if (meta !== undefined) {
      c.unknownKeys(['metadata'], meta, ['name', 'description']);
      if (meta.name !== undefined) name = c.str(['metadata', 'name'], meta.name) ?? name;
      if (meta.description !== undefined) c.str(['metadata', 'description'], meta.description, { allowEmpty: true });
    }
  }
  const spec = c.obj(['spec'], root.spec);
  if (spec === undefined) return undefined;
  c.unknownKeys(['spec'], spec, SPEC_KEYS);
  const seed = spec.seed === undefined ? 1 : (c.int(['spec', 'seed'], spec.seed, { min: 0, max: 0xffff_ffff }) ?? 1);
  const nodes = checkNodes(ctx, spec.nodes);

  const cni =
    spec.cni === undefined
      ? 'flannel'
      : (c.oneOf(['spec', 'cni'], spec.cni, ['flannel', 'calico'] as const) ?? 'flannel');
  if (cni === 'calico' && spec.flannel !== undefined)
    c.error(
      ['spec', 'flannel'],
      'flannel settings apply to cni: flannel; this cluster runs calico (k3s --flannel-backend=none)',
    );
  if (cni !== 'calico' && spec.calico !== undefined)
    c.error(['spec', 'calico'], 'calico settings apply to cni: calico; this cluster runs flannel');
  const calico = cni === 'calico' ? checkCalico(ctx, spec.calico) : undefined;

  // Addresses of the cluster.
  const cidr = (key: 'clusterCIDR' | 'serviceCIDR'): Ipv4Prefix | undefined => {
    if (spec[key] === undefined) return undefined;
    const p = c.parse(['spec', key], spec[key], parseCidr, 'an IPv4 network (10.42.0.0/16)');
    if (p !== undefined && network(p) !== p.addr) {
      c.error(['spec', key], `host bits are set: did you mean ${subnetText(p)}?`);
      return undefined;
    }
    return p;
  };
  const givenClusterCIDR = cidr('clusterCIDR');
  const serviceCIDR = cidr('serviceCIDR') ?? K3S_DEFAULTS.serviceCIDR;
  // The API server's limits on --service-cluster-ip-range: at most a /12; and room for the kubernetes and DNS Services.
  if (serviceCIDR.len < 12)
    c.error(
      ['spec', 'serviceCIDR'],
      `${formatCidr(serviceCIDR)} is too large: for IPv4 the mask must be /12 or longer`,
    );
  if (serviceCIDR.len > 28)
    c.error(['spec', 'serviceCIDR'], `${formatCidr(serviceCIDR)} is too small: use /28 or shorter`);

  // Flannel: a backend type, or a whole net-conf.json (which then decides the backend and the network).
  // With Calico, the pod addresses come from its IP pool: 192.168.0.0/16 unless the cluster CIDR is given
  // (k3s's Calico guide passes --cluster-cidr=192.168.0.0/16, and CALICO_IPV4POOL_CIDR follows it).
  const flannel = checkFlannel(
    ctx,
    cni === 'calico' ? undefined : spec.flannel,
    givenClusterCIDR ?? (cni === 'calico' ? CALICO_DEFAULTS.poolCIDR : undefined),
  );
  const clusterCIDR =
    givenClusterCIDR ??
    (cni === 'calico' ? CALICO_DEFAULTS.poolCIDR : (flannel?.netConf.network ?? K3S_DEFAULTS.clusterCIDR));

  let clusterDNS = K3S_DEFAULTS.clusterDNS;
  if (spec.clusterDNS !== undefined)
    clusterDNS = c.parse(['spec', 'clusterDNS'], spec.clusterDNS, parseIpv4, 'an IPv4 address') ?? clusterDNS;
  if (!prefixContains(serviceCIDR, clusterDNS))
    c.error(
      ['spec', 'clusterDNS'],
      `${formatIpv4(clusterDNS)} is not inside serviceCIDR ${formatCidr(serviceCIDR)} (kube-dns is a Service, its address comes from that range)`,
    );
  else if (clusterDNS === network(serviceCIDR) || clusterDNS === broadcast(serviceCIDR))
    c.error(
      ['spec', 'clusterDNS'],
      `${formatIpv4(clusterDNS)} is the ${clusterDNS === network(serviceCIDR) ? 'network' : 'broadcast'} address of ${formatCidr(serviceCIDR)}`,
    );
  else if (clusterDNS === network(serviceCIDR) + 1)
    c.error(
      ['spec', 'clusterDNS'],
      `${formatIpv4(clusterDNS)} is the kubernetes Service's address (the first of ${formatCidr(serviceCIDR)})`,
    );

  let clusterDomain: string = K3S_DEFAULTS.clusterDomain;
  if (spec.clusterDomain !== undefined) {
    const d = c.str(['spec', 'clusterDomain'], spec.clusterDomain);
    if (d !== undefined && invalid(c, ['spec', 'clusterDomain'], d, checkDns1123Subdomain(d))) clusterDomain = d;
  }
  let nodePortRange: { min: number; max: number } = { ...K3S_DEFAULTS.nodePortRange };
  if (spec.nodePortRange !== undefined) {
    const r = c.parse(
      ['spec', 'nodePortRange'],
      spec.nodePortRange,
      parsePortRange,
      'a port range such as 30000-32767',
    );
    if (r !== undefined) nodePortRange = r;
  }
  const disable: K3sComponent[] = [];
  if (spec.disable !== undefined) {
    (c.arr(['spec', 'disable'], spec.disable) ?? []).forEach((x, i) => {
      const comp = c.oneOf(['spec', 'disable', i], x, K3S_COMPONENTS);
      if (comp !== undefined && !disable.includes(comp)) disable.push(comp);
    });
  }
  const underlay = checkUnderlay(ctx, spec.underlay, nodes);
  const outsideClients = checkOutsideClients(ctx, spec.outsideClients, nodes);
  const internet = checkInternet(ctx, spec.internet, nodes, underlay, outsideClients);

  // The three address spaces must stay apart: pods, services, and the nodes' own networks.
  if (overlaps(clusterCIDR, serviceCIDR))
    c.error(
      ['spec', spec.serviceCIDR === undefined ? 'clusterCIDR' : 'serviceCIDR'],
      `serviceCIDR ${formatCidr(serviceCIDR)} overlaps clusterCIDR ${formatCidr(clusterCIDR)}`,
    );
  for (const n of nodes) {
    for (const [what, p] of [
      ['clusterCIDR', clusterCIDR],
      ['serviceCIDR', serviceCIDR],
    ] as const) {
      if (overlaps(p, n.address))
        c.error(
          [...n.path, 'address'],
          `node ${n.name}'s network ${subnetText(n.address)} overlaps ${what} ${formatCidr(p)}`,
        );
    }
  }
  // Each node gets one podCIDR of the pod network (kube-controller-manager's allocator).
  let nodeCIDRMaskSize: number = K3S_DEFAULTS.nodeCIDRMaskSize;
  if (spec.nodeCIDRMaskSize !== undefined)
    nodeCIDRMaskSize =
      c.int(['spec', 'nodeCIDRMaskSize'], spec.nodeCIDRMaskSize, { min: 1, max: 30 }) ?? nodeCIDRMaskSize;
  const maskAt: SpecPath = [
    'spec',
    spec.nodeCIDRMaskSize !== undefined
      ? 'nodeCIDRMaskSize'
      : givenClusterCIDR !== undefined
        ? 'clusterCIDR'
        : 'flannel',
  ];
  // Calico's IPAM ignores the nodes' podCIDRs (kube-controller-manager still hands them out while it can).
  if (cni === 'calico') {
    // nothing to check: pods get addresses from the pool's blocks
  } else if (nodeCIDRMaskSize < clusterCIDR.len)
    c.error(maskAt, `node podCIDRs of /${nodeCIDRMaskSize} do not fit in clusterCIDR ${formatCidr(clusterCIDR)}`);
  else if (nodeCIDRMaskSize - clusterCIDR.len < 31) {
    const subnets = 2 ** (nodeCIDRMaskSize - clusterCIDR.len);
    if (subnets < nodes.length)
      c.error(
        maskAt,
        `${formatCidr(clusterCIDR)} holds ${subnets} node podCIDR${subnets === 1 ? '' : 's'} of /${nodeCIDRMaskSize}, fewer than the ${nodes.length} nodes`,
      );
  }

  // The kubelet's --max-pods (the kubelet accepts any non-negative value; 0 lets nothing be scheduled).
  let maxPodsPerNode: number = K3S_DEFAULTS.maxPodsPerNode;
  if (spec.maxPodsPerNode !== undefined)
    maxPodsPerNode =
      c.int(['spec', 'maxPodsPerNode'], spec.maxPodsPerNode, { min: 0, max: 1_000_000 }) ?? maxPodsPerNode;

  if (flannel === undefined || underlay === undefined || internet === undefined) return undefined;
  return {
    name,
    seed,
    nodes,
    cni,
    ...(calico !== undefined ? { calico } : {}),
    flannel,
    clusterCIDR,
    nodeCIDRMaskSize,
    maxPodsPerNode,
    serviceCIDR,
    clusterDNS,
    clusterDomain,
    nodePortRange,
    disable,
    underlay,
    internet,
    outsideClients,
    origin: { doc: c.doc, path: [] },
  };
}

function parsePortRange(text: string): { min: number; max: number } | undefined {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = Number(m[2]);
  return min >= 1 && max <= 65535 && min < max ? { min, max } : undefined;
}

function checkNodes(ctx: ManifestCtx, v: unknown): ClusterNodeSpec[] {
  const { c } = ctx;
  const list = c.arr(['spec', 'nodes'], v);
  if (list === undefined) return [];
  if (list.length === 0) c.error(['spec', 'nodes'], 'a cluster needs at least one node');
  const nodes: ClusterNodeSpec[] = [];
  list.forEach((x, i) => {
    const path: SpecPath = ['spec', 'nodes', i];
    const o = c.obj(path, x);
    if (o === undefined) return;
    c.unknownKeys(path, o, ['name', 'address', 'role', 'labels']);
    let name = c.str([...path, 'name'], o.name);
    if (name !== undefined && !invalid(c, [...path, 'name'], name, checkDns1123Subdomain(name))) name = undefined;
    const address = c.parse(
      [...path, 'address'],
      o.address,
      parseCidr,
      'an IPv4 address with its prefix length (192.168.56.11/24)',
    );
    if (address !== undefined) {
      if (address.len > 30)
        c.error(
          [...path, 'address'],
          `a node needs a subnet it shares with others: /${address.len} is too long (use /30 or shorter)`,
        );
      else if (address.addr === network(address) || address.addr === broadcast(address))
        c.error(
          [...path, 'address'],
          `${formatIpv4(address.addr)} is the ${address.addr === network(address) ? 'network' : 'broadcast'} address of ${subnetText(address)}`,
        );
    }
    // k3s: the first machine runs `k3s server`, the others join with `k3s agent`.
    const role =
      o.role === undefined
        ? i === 0
          ? 'server'
          : 'agent'
        : c.oneOf([...path, 'role'], o.role, ['server', 'agent'] as const);
    const labels = o.labels === undefined ? {} : checkLabels(c, [...path, 'labels'], o.labels);
    if (name === undefined || address === undefined || role === undefined) return;
    const sameName = nodes.find((n) => n.name === name);
    if (sameName) c.error([...path, 'name'], `duplicate node name ${JSON.stringify(name)}`);
    const sameIp = nodes.find((n) => n.address.addr === address.addr);
    if (sameIp) c.error([...path, 'address'], `${formatIpv4(address.addr)} is already node ${sameIp.name}'s address`);
    nodes.push({ name, address, role, labels, path });
  });
  if (nodes.length > 0 && nodes.length === list.length && !nodes.some((n) => n.role === 'server')) {
    c.error(['spec', 'nodes'], 'a k3s cluster needs at least one node with role: server');
  }
  return nodes;
}

/**
 * spec.calico: the default pool's settings, named as calico-node's environment in calico.yaml names them
 * (CALICO_IPV4POOL_IPIP, _VXLAN, _NAT_OUTGOING, _BLOCK_SIZE). IPPool documents, when given, replace the
 * default pool altogether, as calico-node creates it only when no pool exists.
 */
function checkCalico(ctx: ManifestCtx, v: unknown): CalicoClusterSpec | undefined {
  const { c } = ctx;
  const cp: SpecPath = ['spec', 'calico'];
  const o = v === undefined ? {} : c.obj(cp, v);
  if (o === undefined) return undefined;
  c.unknownKeys(cp, o, ['ipipMode', 'vxlanMode', 'natOutgoing', 'blockSize']);
  const mode = (key: 'ipipMode' | 'vxlanMode', dflt: CalicoClusterSpec['ipipMode']): CalicoClusterSpec['ipipMode'] =>
    o[key] === undefined ? dflt : (c.oneOf([...cp, key], o[key], CALICO_ENCAP_MODES) ?? dflt);
  const ipipMode = mode(
    'ipipMode',
    o.vxlanMode !== undefined && o.vxlanMode !== 'Never' ? 'Never' : CALICO_DEFAULTS.ipipMode,
  );
  const vxlanMode = mode('vxlanMode', CALICO_DEFAULTS.vxlanMode);
  // libcalico-go's validator: a pool carries IP-in-IP or VXLAN, never both.
  if (ipipMode !== 'Never' && vxlanMode !== 'Never')
    c.error([...cp, 'vxlanMode'], `ipipMode ${ipipMode} and vxlanMode ${vxlanMode} cannot both be enabled on one pool`);
  const natOutgoing =
    o.natOutgoing === undefined ? CALICO_DEFAULTS.natOutgoing : (c.bool([...cp, 'natOutgoing'], o.natOutgoing) ?? true);
  // IPv4 blocks between /20 and /32 (libcalico-go validation of blockSize).
  const blockSize =
    o.blockSize === undefined
      ? CALICO_DEFAULTS.blockSize
      : (c.int([...cp, 'blockSize'], o.blockSize, { min: 20, max: 32 }) ?? CALICO_DEFAULTS.blockSize);
  return { ipipMode, vxlanMode, natOutgoing, blockSize };
}

function checkFlannel(
  ctx: ManifestCtx,
  v: unknown,
  clusterCIDR: Ipv4Prefix | undefined,
): ClusterSpec['flannel'] | undefined {
  const { c } = ctx;
  const fp: SpecPath = ['spec', 'flannel'];
  const o = v === undefined ? {} : c.obj(fp, v);
  if (o === undefined) return undefined;
  c.unknownKeys(fp, o, ['backend', 'netConf']);
  let backend: FlannelBackendType | undefined;
  if (o.backend !== undefined) {
    if (o.backend === 'wireguard-native' || o.backend === 'wireguard' || o.backend === 'ipsec')
      c.error(
        [...fp, 'backend'],
        `${JSON.stringify(o.backend)} is not emulated by podnet yet (vxlan, host-gw, udp are)`,
      );
    else backend = c.oneOf([...fp, 'backend'], o.backend, ['vxlan', 'host-gw', 'udp'] as const);
    if (backend === undefined) return undefined;
  }
  if (o.netConf === undefined) {
    const type = backend ?? K3S_DEFAULTS.flannelBackend;
    const network = clusterCIDR ?? K3S_DEFAULTS.clusterCIDR;
    const text = k3sNetConfText(network, type);
    const parsed = parseNetConf(text);
    if (!parsed.ok) {
      // Only the Network can make k3s's own config fail Flannel's rules (a prefix longer than /28).
      for (const e of parsed.errors)
        c.error(['spec', 'clusterCIDR'], `flannel refuses ${formatCidr(network)}: ${e.message}`);
      return undefined;
    }
    return { backend: type, netConf: { ...parsed.conf, backend: defaultBackend(type) }, netConfText: text };
  }
  const text = c.str([...fp, 'netConf'], o.netConf);
  if (text === undefined) return undefined;
  const parsed = parseNetConf(text);
  for (const w of parsed.warnings)
    warn(ctx, [...fp, 'netConf'], `net-conf.json${w.key === '' ? '' : ` ${w.key}`}: ${w.message}`);
  if (!parsed.ok) {
    for (const e of parsed.errors)
      c.error([...fp, 'netConf'], `net-conf.json${e.key === '' ? '' : ` ${e.key}`}: ${e.message}`);
    return undefined;
  }
  const conf: FlannelNetConf = parsed.conf;
  if (backend !== undefined && conf.backend.type !== backend) {
    c.error(
      [...fp, 'backend'],
      `backend ${backend} disagrees with net-conf.json's Backend.Type ${JSON.stringify(conf.backend.type)}${text.toLowerCase().includes('"backend"') ? '' : ' (no Backend in net-conf.json: flannel then uses udp)'}`,
    );
    return undefined;
  }
  // k3s writes its --cluster-cidr into net-conf.json; a different Network would give pods addresses outside every node's podCIDR.
  if (clusterCIDR !== undefined && (conf.network.addr !== clusterCIDR.addr || conf.network.len !== clusterCIDR.len)) {
    c.error(
      [...fp, 'netConf'],
      `net-conf.json Network ${formatCidr(conf.network)} differs from spec.clusterCIDR ${formatCidr(clusterCIDR)}`,
    );
    return undefined;
  }
  return { backend: conf.backend.type, netConf: conf, netConfText: text };
}

function checkUnderlay(ctx: ManifestCtx, v: unknown, nodes: ClusterNodeSpec[]): UnderlaySpec | undefined {
  const { c } = ctx;
  const up: SpecPath = ['spec', 'underlay'];
  const o = v === undefined ? {} : c.obj(up, v);
  if (o === undefined) return undefined;
  c.unknownKeys(up, o, ['type', 'gateways', 'link']);
  const type = o.type === undefined ? 'switch' : c.oneOf([...up, 'type'], o.type, ['switch', 'routed'] as const);
  const link = o.link === undefined ? {} : checkLinkProps(c, [...up, 'link'], o.link, []);
  if (type === undefined) return undefined;
  // Distinct node subnets, in order of first appearance.
  const subnets: { net: Ipv4Prefix; first: ClusterNodeSpec }[] = [];
  for (const n of nodes) {
    const net = { addr: network(n.address), len: n.address.len };
    if (!subnets.some((s) => s.net.addr === net.addr && s.net.len === net.len)) subnets.push({ net, first: n });
  }
  if (type === 'switch') {
    if (o.gateways !== undefined) c.error([...up, 'gateways'], 'gateways belong to a routed underlay (type: routed)');
    const [home, ...others] = subnets;
    for (const s of others) {
      for (const n of nodes.filter((x) => network(x.address) === s.net.addr && x.address.len === s.net.len)) {
        c.error(
          [...n.path, 'address'],
          `node ${n.name} (${formatCidr(n.address)}) is not in ${home!.first.name}'s subnet ${formatCidr(home!.net)}: nodes on one switch share one subnet (set underlay.type: routed to join several subnets with a router)`,
        );
      }
    }
    return { type, link };
  }
  // Routed: the router has one address in each node subnet; by default the lowest address no node uses.
  const gateways: Ipv4Prefix[] = [];
  if (o.gateways !== undefined) {
    (c.arr([...up, 'gateways'], o.gateways) ?? []).forEach((x, i) => {
      const g = c.parse([...up, 'gateways', i], x, parseCidr, 'an IPv4 address with prefix length (192.168.56.1/24)');
      if (g === undefined) return;
      const s = subnets.find((s) => s.net.len === g.len && prefixContains(s.net, g.addr));
      const node = nodes.find((n) => n.address.addr === g.addr);
      if (s === undefined)
        c.error(
          [...up, 'gateways', i],
          `${formatCidr(g)} is in no node's subnet (${subnets.map((s) => formatCidr(s.net)).join(', ')})`,
        );
      else if (node !== undefined)
        c.error([...up, 'gateways', i], `${formatIpv4(g.addr)} is node ${node.name}'s address`);
      else if (g.addr === s.net.addr || g.addr === broadcast(s.net))
        c.error(
          [...up, 'gateways', i],
          `${formatIpv4(g.addr)} is the ${g.addr === s.net.addr ? 'network' : 'broadcast'} address of ${formatCidr(s.net)}`,
        );
      else if (gateways.some((x) => prefixContains({ addr: x.addr, len: x.len }, g.addr) && x.len === g.len))
        c.error([...up, 'gateways', i], `the router already has an address in ${formatCidr(s.net)}`);
      else gateways.push(g);
    });
  }
  for (const s of subnets) {
    if (gateways.some((g) => g.len === s.net.len && prefixContains(s.net, g.addr))) continue;
    if (o.gateways !== undefined) {
      c.error([...up, 'gateways'], `no router address in ${formatCidr(s.net)} (node ${s.first.name}'s subnet)`);
      continue;
    }
    let addr = s.net.addr + 1;
    while (addr < broadcast(s.net) && nodes.some((n) => n.address.addr === addr)) addr++;
    if (addr >= broadcast(s.net))
      c.error([...s.first.path, 'address'], `${formatCidr(s.net)} has no free address for the router`);
    else gateways.push({ addr, len: s.net.len });
  }
  return { type, gateways, link };
}

/**
 * Whether `text` holds a document of kind Cluster, read with the YAML parser so quoting (`kind: "Cluster"`),
 * flow style and trailing comments (`kind: Cluster # mine`) do not matter. A document with syntax errors
 * still counts when its kind reads as Cluster: the cluster reader then reports those errors.
 */
export function holdsClusterDoc(text: string): boolean {
  // over the limit, the reader refuses it with the size named; do not parse it here first
  if (text.length > SOURCE_LIMITS.maxChars) return false;
  return parseAllDocuments(text).some((d) => isMap(d.contents) && d.get('kind') === 'Cluster');
}
