/**
 * Flannel's net-conf.json (flannel-io/flannel pkg/subnet/config.go): parsing with encoding/json's
 * habits and validation by CheckNetworkConfig's rules, in its order and with its messages, plus the
 * backend options of the backends podnet emulates (vxlan, host-gw, udp). Leasing subnets to nodes and
 * building devices and routes belong to control/.
 *
 * Note: flanneld runs CheckNetworkConfig only with its etcd/local subnet manager; with
 * --kube-subnet-mgr (k3s) each node's subnet is node.spec.podCIDR. podnet checks the rules anyway,
 * because a net-conf.json that fails them fails the moment it is used with etcd.
 */
import { formatIpv4, parseCidr, parseIpv4, prefixMask, type Ipv4, type Ipv4Prefix } from '../wire/addr.js';
import { VXLAN_PORT_LINUX } from '../wire/vxlan.js';

/** The Flannel backends podnet emulates. */
export type FlannelBackendType = 'vxlan' | 'host-gw' | 'udp';

/** The kernel's VXLAN port when Flannel's Port is 0 (IANA's 4789 is only the Windows default). */
export const FLANNEL_VXLAN_DEFAULT_PORT = VXLAN_PORT_LINUX;
/** flanneld's udp backend port. */
export const FLANNEL_UDP_DEFAULT_PORT = 8285;
/** The vxlan backend's VNI when Backend.VNI is absent (device flannel.1). */
export const FLANNEL_VXLAN_DEFAULT_VNI = 1;

/** A backend with its options, defaults applied. */
export type FlannelBackend =
  | {
      type: 'vxlan';
      vni: number;
      /** UDP port of the VXLAN device (Port 0 in the config means the kernel default, 8472). */
      port: number;
      /** Peers on the same subnet get a plain route via their public IP instead of the tunnel. */
      directRouting: boolean;
      gbp: boolean;
      learning: boolean;
      /** Backend.MTU: the external MTU to derive the device MTU from (device = MTU - 50); absent = the interface's. */
      mtu?: number;
    }
  | { type: 'host-gw' }
  | { type: 'udp'; port: number };

/** A validated net-conf.json with Flannel's defaults filled in. */
export interface FlannelNetConf {
  /** The whole pod network (host bits cleared, as Go's net.ParseCIDR does). */
  network: Ipv4Prefix;
  /** Size of each node's subnet. */
  subnetLen: number;
  /** First and last subnet that may be leased, both SubnetLen-aligned. */
  subnetMin: Ipv4;
  subnetMax: Ipv4;
  enableNFTables: boolean;
  backend: FlannelBackend;
}

/** A problem with a net-conf.json; `key` is the JSON key it concerns ('' for the whole text). */
export interface NetConfIssue {
  key: string;
  message: string;
}

/** Result of parseNetConf: the config, or the errors; warnings (things flannel ignores silently) either way. */
export type NetConfResult =
  | { ok: true; conf: FlannelNetConf; warnings: NetConfIssue[] }
  | { ok: false; errors: NetConfIssue[]; warnings: NetConfIssue[] };

/** The keys of Flannel's Config; encoding/json ignores any other key. */
const CONFIG_KEYS = [
  'EnableIPv4',
  'EnableIPv6',
  'EnableNFTables',
  'Network',
  'IPv6Network',
  'Networks',
  'IPv6Networks',
  'SubnetMin',
  'SubnetMax',
  'IPv6SubnetMin',
  'IPv6SubnetMax',
  'SubnetLen',
  'IPv6SubnetLen',
  'Backend',
];

/** Backends Flannel has that podnet does not emulate yet. */
const OTHER_BACKENDS = ['wireguard', 'ipip', 'ipsec', 'extension', 'alloc', 'tencent-vpc', 'ali-vpc', 'aws-vpc', 'gce'];

/**
 * Flannel's default SubnetLen for a Network prefix: /24 when the Network is /22 or larger, else prefix+2
 * (four subnets); undefined when the Network is longer than /28 ("network is too small").
 */
export function defaultSubnetLen(prefixLen: number): number | undefined {
  if (prefixLen > 28) return undefined;
  return prefixLen <= 22 ? 24 : prefixLen + 2;
}

/** Input of checkNetworkConfig: Network and whatever of SubnetLen/Min/Max the config gave (0 = not given, as in Go). */
export interface NetworkConfigInput {
  network: Ipv4Prefix;
  subnetLen?: number;
  subnetMin?: Ipv4;
  subnetMax?: Ipv4;
}

/**
 * CheckNetworkConfig for IPv4: the first rule broken, with Flannel's message, or SubnetLen/Min/Max with
 * defaults. A SubnetMin or SubnetMax of 0.0.0.0 counts as not given, as in Flannel.
 */
export function checkNetworkConfig(
  input: NetworkConfigInput,
): { ok: true; subnetLen: number; subnetMin: Ipv4; subnetMax: Ipv4 } | { ok: false; error: NetConfIssue } {
  const { network } = input;
  const fail = (key: string, message: string): { ok: false; error: NetConfIssue } => ({
    ok: false,
    error: { key, message },
  });
  if (network.addr === 0 && network.len === 0)
    return fail('Network', 'please define a correct Network parameter in the flannel config');
  let subnetLen = input.subnetLen ?? 0;
  if (subnetLen > 0) {
    // SubnetLen needs room for a tunnel and a bridge device on each host.
    if (subnetLen > 30) return fail('SubnetLen', 'SubnetLen must be less than /31');
    // The first subnet is not used, so the Network must hold more than two.
    if (subnetLen < network.len + 2)
      return fail('SubnetLen', 'network must be able to accommodate at least four subnets');
  } else {
    const d = defaultSubnetLen(network.len);
    if (d === undefined) return fail('Network', 'network is too small. Minimum useful network prefix is /28');
    subnetLen = d;
  }
  const size = 2 ** (32 - subnetLen);
  const base = (network.addr & prefixMask(network.len)) >>> 0;
  const inNetwork = (ip: Ipv4): boolean => (ip & prefixMask(network.len)) >>> 0 === base;
  let subnetMin = input.subnetMin ?? 0;
  // Flannel skips the first subnet: its .0 would be the Network's own address.
  if (subnetMin === 0) subnetMin = base + size;
  else if (!inNetwork(subnetMin)) return fail('SubnetMin', 'SubnetMin is not in the range of the Network');
  let subnetMax = input.subnetMax ?? 0;
  if (subnetMax === 0) subnetMax = base + 2 ** (32 - network.len) - size;
  else if (!inNetwork(subnetMax)) return fail('SubnetMax', 'SubnetMax is not in the range of the Network');
  const mask = prefixMask(subnetLen);
  if ((subnetMin & mask) >>> 0 !== subnetMin)
    return fail('SubnetMin', `SubnetMin is not on a SubnetLen boundary: ${formatIpv4(subnetMin)}`);
  if ((subnetMax & mask) >>> 0 !== subnetMax)
    return fail('SubnetMax', `SubnetMax is not on a SubnetLen boundary: ${formatIpv4(subnetMax)}`);
  return { ok: true, subnetLen, subnetMin, subnetMax };
}

/**
 * Looks `name` up the way encoding/json matches struct fields: an exact key, else any key equal ignoring
 * case; when several keys match, the last one in the text wins (each assignment overwrites). A JSON null
 * leaves the field unset.
 */
function field(obj: Record<string, unknown>, name: string): unknown {
  let found: unknown;
  for (const [k, v] of Object.entries(obj)) if (k === name || k.toLowerCase() === name.toLowerCase()) found = v;
  return found === null ? undefined : found;
}

function unknownKeys(
  obj: Record<string, unknown>,
  known: readonly string[],
  where: string,
  warnings: NetConfIssue[],
): void {
  const lower = known.map((k) => k.toLowerCase());
  for (const k of Object.keys(obj)) {
    if (!lower.includes(k.toLowerCase()))
      warnings.push({
        key: where === '' ? k : `${where}.${k}`,
        message: `flannel ignores unknown key ${JSON.stringify(k)} (known: ${known.join(', ')})`,
      });
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Go's text for a JSON value in "cannot unmarshal" messages. */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (isPlainObject(v)) return 'object';
  return typeof v === 'number' ? `number ${v}` : typeof v;
}

/** Parses and validates net-conf.json text as flanneld does; podnet's own limits (IPv4 only) are reported too. */
export function parseNetConf(text: string): NetConfResult {
  const errors: NetConfIssue[] = [];
  const warnings: NetConfIssue[] = [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, errors: [{ key: '', message: `not valid JSON: ${(e as Error).message}` }], warnings };
  }
  if (!isPlainObject(raw))
    return {
      ok: false,
      errors: [{ key: '', message: `json: cannot unmarshal ${jsonKind(raw)} into Go value of type subnet.Config` }],
      warnings,
    };
  unknownKeys(raw, CONFIG_KEYS, '', warnings);
  const typeError = (key: string, v: unknown, goType: string): void => {
    errors.push({
      key,
      message: `json: cannot unmarshal ${jsonKind(v)} into Go struct field Config.${key} of type ${goType}`,
    });
  };
  const bool = (key: string, dflt: boolean): boolean => {
    const v = field(raw, key);
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') {
      typeError(key, v, 'bool');
      return dflt;
    }
    return v;
  };
  const uint = (key: string): number | undefined => {
    const v = field(raw, key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      typeError(key, v, 'uint');
      return undefined;
    }
    return v;
  };
  // ip.IP4 and ip.IP4Net trim the quotes off the raw JSON value and parse what is left, so a bare number
  // gets as far as the parser; IPv6 text makes Flannel panic (FromIP on a non-IPv4 address).
  const ip4 = (key: string): Ipv4 | undefined => {
    const v = field(raw, key);
    if (v === undefined) return undefined;
    const ip = typeof v === 'string' || typeof v === 'number' ? parseIpv4(String(v)) : undefined;
    if (ip === undefined)
      errors.push({ key, message: `${JSON.stringify(v)} is not an IPv4 address (Invalid IP address format)` });
    return ip;
  };
  const enableIPv4 = bool('EnableIPv4', true);
  const enableIPv6 = bool('EnableIPv6', false);
  const enableNFTables = bool('EnableNFTables', false);
  if (!enableIPv4) errors.push({ key: 'EnableIPv4', message: 'podnet emulates IPv4 only: EnableIPv4 must stay true' });
  if (enableIPv6) errors.push({ key: 'EnableIPv6', message: 'podnet emulates IPv4 only: EnableIPv6 is not supported' });
  if (field(raw, 'Networks') !== undefined)
    errors.push({
      key: 'Networks',
      message: 'podnet supports a single Network (the MultiClusterCIDR "Networks" list is not supported)',
    });
  let network: Ipv4Prefix | undefined = { addr: 0, len: 0 };
  const netRaw = field(raw, 'Network');
  if (netRaw !== undefined) {
    const p = typeof netRaw === 'string' || typeof netRaw === 'number' ? parseCidr(String(netRaw)) : undefined;
    if (p === undefined) {
      errors.push({
        key: 'Network',
        message: `invalid CIDR address: ${typeof netRaw === 'string' ? netRaw : JSON.stringify(netRaw)}`,
      });
      network = undefined;
    } else {
      network = { addr: (p.addr & prefixMask(p.len)) >>> 0, len: p.len };
      if (network.addr !== p.addr)
        warnings.push({
          key: 'Network',
          message: `host bits are set: flannel uses ${formatIpv4(network.addr)}/${network.len}`,
        });
    }
  }
  const subnetLen = uint('SubnetLen');
  const subnetMin = ip4('SubnetMin');
  const subnetMax = ip4('SubnetMax');
  const backend = parseBackend(field(raw, 'Backend'), errors, warnings);
  if (errors.length > 0 || network === undefined || backend === undefined) return { ok: false, errors, warnings };
  const input: NetworkConfigInput = { network };
  if (subnetLen !== undefined) input.subnetLen = subnetLen;
  if (subnetMin !== undefined) input.subnetMin = subnetMin;
  if (subnetMax !== undefined) input.subnetMax = subnetMax;
  const checked = checkNetworkConfig(input);
  if (!checked.ok) return { ok: false, errors: [checked.error], warnings };
  if (checked.subnetMin > checked.subnetMax) {
    warnings.push({
      key: 'SubnetMin',
      message: `SubnetMin ${formatIpv4(checked.subnetMin)} is above SubnetMax ${formatIpv4(checked.subnetMax)}: no subnet can be leased ("out of subnets")`,
    });
  }
  return {
    ok: true,
    conf: {
      network,
      subnetLen: checked.subnetLen,
      subnetMin: checked.subnetMin,
      subnetMax: checked.subnetMax,
      enableNFTables,
      backend,
    },
    warnings,
  };
}

function parseBackend(v: unknown, errors: NetConfIssue[], warnings: NetConfIssue[]): FlannelBackend | undefined {
  // ⚠ Flannel's docs say the backend defaults to vxlan, but parseBackendType (config.go) returns "udp"
  // when Backend is absent. podnet follows the code. (JSON null still reaches parseBackendType, as
  // json.RawMessage "null", and decodes to an empty Type.)
  if (v === undefined) return { type: 'udp', port: FLANNEL_UDP_DEFAULT_PORT };
  if (!isPlainObject(v)) {
    errors.push({
      key: 'Backend',
      message: `error decoding Backend property of config: json: cannot unmarshal ${jsonKind(v)} into Go value of type struct { Type string }`,
    });
    return undefined;
  }
  const typeRaw = field(v, 'Type');
  if (typeRaw !== undefined && typeof typeRaw !== 'string') {
    errors.push({
      key: 'Backend.Type',
      message: `error decoding Backend property of config: json: cannot unmarshal ${jsonKind(typeRaw)} into Go struct field .Type of type string`,
    });
    return undefined;
  }
  const type = typeRaw ?? '';
  const int = (key: string, dflt: number, min: number, max: number): number => {
    const x = field(v, key);
    if (x === undefined) return dflt;
    if (typeof x !== 'number' || !Number.isSafeInteger(x)) {
      errors.push({
        key: `Backend.${key}`,
        message: `json: cannot unmarshal ${jsonKind(x)} into Go struct field .${key} of type int`,
      });
      return dflt;
    }
    if (x < min || x > max)
      errors.push({ key: `Backend.${key}`, message: `${key} ${x} is out of range: must be between ${min} and ${max}` });
    return x;
  };
  const bool = (key: string): boolean => {
    const x = field(v, key);
    if (x === undefined) return false;
    if (typeof x !== 'boolean') {
      errors.push({
        key: `Backend.${key}`,
        message: `json: cannot unmarshal ${jsonKind(x)} into Go struct field .${key} of type bool`,
      });
      return false;
    }
    return x;
  };
  switch (type) {
    case 'vxlan': {
      unknownKeys(
        v,
        ['Type', 'VNI', 'Port', 'MTU', 'GBP', 'Learning', 'DirectRouting', 'MacPrefix'],
        'Backend',
        warnings,
      );
      const vni = int('VNI', FLANNEL_VXLAN_DEFAULT_VNI, 0, 0xff_ffff);
      const port = int('Port', 0, 0, 65535);
      const b: FlannelBackend = {
        type: 'vxlan',
        vni,
        port: port === 0 ? FLANNEL_VXLAN_DEFAULT_PORT : port,
        directRouting: bool('DirectRouting'),
        gbp: bool('GBP'),
        learning: bool('Learning'),
      };
      const mtu = field(v, 'MTU');
      if (mtu !== undefined) {
        const m = int('MTU', 0, 0, 65535);
        // MTU 0 means "the external interface's", as when absent.
        if (m !== 0) b.mtu = m;
      }
      return b;
    }
    case 'host-gw':
      unknownKeys(v, ['Type'], 'Backend', warnings);
      return { type: 'host-gw' };
    case 'udp':
      unknownKeys(v, ['Type', 'Port'], 'Backend', warnings);
      return { type: 'udp', port: int('Port', FLANNEL_UDP_DEFAULT_PORT, 1, 65535) };
    default:
      if (OTHER_BACKENDS.includes(type))
        errors.push({
          key: 'Backend.Type',
          message: `backend type ${JSON.stringify(type)} is not emulated by podnet yet (vxlan, host-gw, udp are)`,
        });
      else
        errors.push({
          key: 'Backend.Type',
          message: `unknown backend type: ${type === '' ? '""' : type} (flannel's backends: vxlan, host-gw, udp, ${OTHER_BACKENDS.join(', ')})`,
        });
      return undefined;
  }
}

/** The backend with default options, for a Cluster that names only the type. */
export function defaultBackend(type: FlannelBackendType): FlannelBackend {
  switch (type) {
    case 'vxlan':
      return {
        type,
        vni: FLANNEL_VXLAN_DEFAULT_VNI,
        port: FLANNEL_VXLAN_DEFAULT_PORT,
        directRouting: false,
        gbp: false,
        learning: false,
      };
    case 'host-gw':
      return { type };
    case 'udp':
      return { type, port: FLANNEL_UDP_DEFAULT_PORT };
  }
}

/**
 * The net-conf.json k3s writes for `--cluster-cidr` and `--flannel-backend` (pkg/agent/flannel/setup.go's
 * template, IPv4 only). k3s's flag offers vxlan and host-gw (and wireguard-native) but not udp; podnet
 * writes udp the same way, as a hand-written --flannel-conf would.
 */
export function k3sNetConfText(network: Ipv4Prefix, type: FlannelBackendType): string {
  return [
    '{',
    `\t"Network": "${formatIpv4(network.addr)}/${network.len}",`,
    '\t"EnableIPv6": false,',
    '\t"EnableIPv4": true,',
    '\t"IPv6Network": "::/0",',
    `\t"Backend": {\n\t"Type": "${type}"\n}`,
    '}',
    '',
  ].join('\n');
}
