/**
 * The CNI 1.1.0 data model: spec versions, the Result schema (and its 0.3.x/0.4.0 form), the Error object
 * and its well-known codes, and the outcome type every plugin and the runtime return. Parsing a network
 * configuration list lives in conflist.ts; the plugins, the runtime and the executable boundary build on
 * these types.
 */
import { isJsonArray, isJsonObject } from '../../wire/json.js';
import { parseCidr, parseIpv4, prefixMask } from '../../wire/addr.js';

/** The spec version podnet implements. */
export const CNI_SPEC_VERSION = '1.1.0';
/**
 * Versions podnet's plugins accept in a configuration. 0.1.0/0.2.0 (the old "ip4" result) are not spoken;
 * the reference plugins accept them too ("0.1.0" ... "1.0.0" in Debian's 1.1.1).
 */
export const SUPPORTED_VERSIONS: readonly string[] = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];

/** The well-known error codes of SPEC.md "Error" (1-51) and libcni's ErrInternal (999). */
export const CniErrorCode = {
  /** 1: incompatible CNI version. */
  IncompatibleVersion: 1,
  /** 2: unsupported field in network configuration (the message names the key and value). */
  UnsupportedField: 2,
  /** 3: container unknown or does not exist. */
  UnknownContainer: 3,
  /** 4: invalid necessary environment variables, like CNI_COMMAND, CNI_CONTAINERID, etc. */
  InvalidEnvironment: 4,
  /** 5: I/O failure. */
  IoFailure: 5,
  /** 6: failed to decode content (e.g. a JSON parse error). */
  DecodingFailure: 6,
  /** 7: invalid network config. */
  InvalidNetworkConfig: 7,
  /** 11: try again later (a transient condition). */
  TryAgainLater: 11,
  /** 50: the plugin is not available (STATUS: cannot service ADD). */
  PluginNotAvailable: 50,
  /** 51: the plugin is not available, and existing containers may have limited connectivity. */
  LimitedConnectivity: 51,
  /** 999: libcni's catch-all for any other failure (what the reference plugins use for most errors). */
  Internal: 999,
} as const;

/** A CNI error as the spec's Error object carries it. */
export interface CniError {
  code: number;
  msg: string;
  details?: string;
}

/** Success with a value, or a CNI error: what plugins and the runtime return (they never throw). */
export type CniOutcome<T> = { ok: true; value: T } | { ok: false; error: CniError };

/** Success. */
export function ok<T>(value: T): CniOutcome<T> {
  return { ok: true, value };
}

/** A failure with `code` and `msg` (and `details` when given). */
export function fail<T = never>(code: number, msg: string, details?: string): CniOutcome<T> {
  return { ok: false, error: details === undefined || details === '' ? { code, msg } : { code, msg, details } };
}

/** An interface in a Result (SPEC.md "Result": interfaces). */
export interface CniInterface {
  name: string;
  mac?: string;
  /** 1.1.0. */
  mtu?: number;
  /** Netns path for container interfaces; absent for host interfaces. */
  sandbox?: string;
  /** 1.1.0. */
  socketPath?: string;
  /** 1.1.0. */
  pciID?: string;
}

/** An address in a Result: CIDR, optional gateway, index into `interfaces`. */
export interface CniIpConfig {
  address: string;
  gateway?: string;
  interface?: number;
}

/** A route in a Result (mtu/advmss/priority/table/scope are 1.1.0). */
export interface CniRoute {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

/** DNS settings in a Result or a plugin configuration. */
export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** A CNI Result (1.1.0 schema). */
export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: CniRoute[];
  dns?: CniDns;
}

/** `VERSION`'s output. */
export interface CniVersionInfo {
  cniVersion: string;
  supportedVersions: string[];
}

/** Compares two "x.y.z" versions: negative, zero or positive. Unparsable parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number(x) || 0);
  const pb = b.split('.').map((x) => Number(x) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** True when `v` is a well-formed "x.y.z" version. */
export function isVersion(v: string): boolean {
  return /^[0-9]+\.[0-9]+\.[0-9]+$/.test(v);
}

/** True when the DNS object carries nothing (libcni then leaves "dns" out of the Result). */
export function dnsIsEmpty(d: CniDns | undefined): boolean {
  return (
    d === undefined ||
    ((d.nameservers?.length ?? 0) === 0 &&
      (d.domain ?? '') === '' &&
      (d.search?.length ?? 0) === 0 &&
      (d.options?.length ?? 0) === 0)
  );
}

/**
 * A Result as plain JSON for `cniVersion` (as libcni's GetAsVersion then Marshal): the 1.0.0+ schema as is,
 * minus empty dns; for 0.3.x/0.4.0 each ip gets `version` ("4") and the 1.1.0-only fields go.
 */
export function resultToJson(r: CniResult, cniVersion: string): Record<string, unknown> {
  const old = compareVersions(cniVersion, '1.0.0') < 0;
  const out: Record<string, unknown> = { cniVersion };
  if (r.interfaces !== undefined && r.interfaces.length > 0) {
    out.interfaces = r.interfaces.map((i) =>
      old
        ? { name: i.name, mac: i.mac || undefined, sandbox: i.sandbox || undefined }
        : { ...i, mac: i.mac || undefined, sandbox: i.sandbox || undefined },
    );
  }
  if (r.ips !== undefined && r.ips.length > 0)
    out.ips = r.ips.map((ip) => (old ? { version: ip.address.includes(':') ? '6' : '4', ...ip } : { ...ip }));
  if (r.routes !== undefined && r.routes.length > 0)
    out.routes = r.routes.map((rt) => (old ? { dst: rt.dst, gw: rt.gw } : { ...rt }));
  if (!dnsIsEmpty(r.dns)) out.dns = { ...r.dns };
  else if (old) out.dns = {};
  return out;
}

/** A problem found in a Result-shaped JSON object: where (e.g. `ips[0].address`) and what. */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * Reads a Result (a plugin's output, or `prevResult`) from decoded JSON, checking the types and formats of
 * the fields it uses. `path` prefixes the field paths in errors (e.g. "prevResult").
 */
export function parseResult(
  v: unknown,
  path = '',
): { ok: true; value: CniResult } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const at = (p: string): string => (path === '' ? p : `${path}.${p}`);
  if (!isJsonObject(v)) return { ok: false, errors: [{ path: path || '.', message: 'must be an object' }] };
  const r: CniResult = { cniVersion: typeof v.cniVersion === 'string' ? v.cniVersion : '' };
  if (typeof v.cniVersion !== 'string' || !isVersion(v.cniVersion))
    errors.push({ path: at('cniVersion'), message: 'must be a version string like "1.1.0"' });
  const list = (k: string): unknown[] | undefined => {
    const x = v[k];
    if (x === undefined || x === null) return undefined;
    if (!isJsonArray(x)) {
      errors.push({ path: at(k), message: 'must be an array' });
      return undefined;
    }
    return x;
  };
  const ifs = list('interfaces');
  if (ifs !== undefined) {
    r.interfaces = [];
    ifs.forEach((x, i) => {
      if (!isJsonObject(x) || typeof x.name !== 'string')
        errors.push({ path: at(`interfaces[${i}].name`), message: 'must be a string' });
      else r.interfaces!.push({ ...(x as unknown as CniInterface) });
    });
  }
  const ips = list('ips');
  if (ips !== undefined) {
    r.ips = [];
    ips.forEach((x, i) => {
      if (!isJsonObject(x) || typeof x.address !== 'string' || cidrOf(x.address) === undefined) {
        errors.push({
          path: at(`ips[${i}].address`),
          message: 'must be an address with prefix length, e.g. "10.1.0.5/16"',
        });
        return;
      }
      if (x.gateway !== undefined && (typeof x.gateway !== 'string' || parseIpv4(x.gateway) === undefined))
        errors.push({ path: at(`ips[${i}].gateway`), message: 'must be an IPv4 address' });
      if (
        x.interface !== undefined &&
        (typeof x.interface !== 'number' || !Number.isInteger(x.interface) || x.interface < 0)
      )
        errors.push({ path: at(`ips[${i}].interface`), message: 'must be an index into interfaces' });
      const ip: CniIpConfig = { address: x.address };
      if (typeof x.gateway === 'string') ip.gateway = x.gateway;
      if (typeof x.interface === 'number') ip.interface = x.interface;
      r.ips!.push(ip);
    });
  }
  const routes = list('routes');
  if (routes !== undefined) {
    r.routes = [];
    routes.forEach((x, i) => {
      const rt = parseRoute(x, at(`routes[${i}]`), errors);
      if (rt !== undefined) r.routes!.push(rt);
    });
  }
  if (v.dns !== undefined && v.dns !== null) {
    if (!isJsonObject(v.dns)) errors.push({ path: at('dns'), message: 'must be an object' });
    else r.dns = { ...(v.dns as CniDns) };
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: r };
}

/** Reads one `{dst, gw, ...}` route object, adding problems to `errors`. */
export function parseRoute(x: unknown, path: string, errors: FieldError[]): CniRoute | undefined {
  if (!isJsonObject(x) || typeof x.dst !== 'string' || cidrOf(x.dst) === undefined) {
    errors.push({ path: `${path}.dst`, message: 'must be a CIDR, e.g. "10.42.0.0/16"' });
    return undefined;
  }
  const rt: CniRoute = { dst: x.dst };
  if (x.gw !== undefined) {
    if (typeof x.gw !== 'string' || parseIpv4(x.gw) === undefined)
      errors.push({ path: `${path}.gw`, message: 'must be an IPv4 address' });
    else rt.gw = x.gw;
  }
  for (const k of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) {
    if (x[k] === undefined) continue;
    if (typeof x[k] !== 'number' || !Number.isInteger(x[k]))
      errors.push({ path: `${path}.${k}`, message: 'must be an integer' });
    else rt[k] = x[k];
  }
  return rt;
}

/** Parses "a.b.c.d/len" keeping the host bits (an interface address); undefined when malformed. */
export function cidrOf(text: string): { addr: number; len: number } | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIpv4(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (addr === undefined || !/^[0-9]{1,2}$/.test(lenText) || Number(lenText) > 32) return undefined;
  return { addr, len: Number(lenText) };
}

/** Network prefix of a CIDR (host bits cleared), as Go's net.ParseCIDR returns it. */
export function networkOf(text: string): { addr: number; len: number } | undefined {
  const c = parseCidr(text);
  return c === undefined ? undefined : { addr: (c.addr & prefixMask(c.len)) >>> 0, len: c.len };
}
