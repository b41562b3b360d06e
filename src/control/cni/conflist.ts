/**
 * Network configuration lists (SPEC.md "Section 1: Network configuration format"): parsing the JSON a
 * runtime reads from /etc/cni/net.d, checking every field the spec defines, and saying exactly where a
 * problem is (`plugins[1].type: must be a non-empty string`). Plugin-specific keys are left to the plugins.
 */
import { isJsonArray, isJsonObject } from '../../wire/json.js';
import {
  CniErrorCode,
  SUPPORTED_VERSIONS,
  compareVersions,
  isVersion,
  type CniError,
  type FieldError,
} from './types.js';

/** One plugin's configuration object inside a list (its own keys are the plugin's business). */
export type PluginConf = Record<string, unknown> & { type: string };

/** A parsed network configuration list. */
export interface NetConfList {
  /** The version the runtime speaks to the plugins (from cniVersion, or the best of cniVersions). */
  cniVersion: string;
  cniVersions?: string[];
  name: string;
  disableCheck: boolean;
  disableGC: boolean;
  loadOnlyInlinedPlugins: boolean;
  plugins: PluginConf[];
}

/** Why a list was rejected: the CNI error (code 6 for bad JSON, 1 for versions, 7 otherwise) and every field problem. */
export interface ConfListProblem {
  error: CniError;
  fields: FieldError[];
}

/** Network names, container IDs: alphanumeric, then [A-Za-z0-9_.-] (libcni utils cniReg). */
export const CNI_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Formats field problems one per line, `path: message`. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('\n');
}

/** Parses a .conflist document. */
export function parseConfList(
  text: string,
): { ok: true; value: NetConfList } | { ok: false; problem: ConfListProblem } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return {
      ok: false,
      problem: {
        error: { code: CniErrorCode.DecodingFailure, msg: `error parsing configuration list: ${(e as Error).message}` },
        fields: [],
      },
    };
  }
  return confListFromObject(doc);
}

/**
 * Wraps a single-plugin .conf document into a list, as libcni's ConfListFromConf does (name and
 * cniVersion come from the plugin's configuration).
 */
export function parseConf(text: string): { ok: true; value: NetConfList } | { ok: false; problem: ConfListProblem } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return {
      ok: false,
      problem: {
        error: { code: CniErrorCode.DecodingFailure, msg: `error parsing configuration: ${(e as Error).message}` },
        fields: [],
      },
    };
  }
  if (!isJsonObject(doc)) return invalid([{ path: '.', message: 'must be a JSON object' }]);
  const { name, cniVersion, ...plugin } = doc;
  return confListFromObject({ name, cniVersion, plugins: [plugin] });
}

function invalid(
  fields: FieldError[],
  code: number = CniErrorCode.InvalidNetworkConfig,
): { ok: false; problem: ConfListProblem } {
  return {
    ok: false,
    problem: {
      error: { code, msg: `invalid network configuration list: ${formatFieldErrors(fields).replace(/\n/g, '; ')}` },
      fields,
    },
  };
}

/** Checks a decoded configuration list. */
export function confListFromObject(
  doc: unknown,
): { ok: true; value: NetConfList } | { ok: false; problem: ConfListProblem } {
  if (!isJsonObject(doc)) return invalid([{ path: '.', message: 'must be a JSON object' }]);
  const errors: FieldError[] = [];
  const versionErrors: FieldError[] = [];
  const bool = (k: string): boolean => {
    const v = doc[k];
    if (v === undefined) return false;
    // libcni accepts the strings "true"/"false" too
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    errors.push({ path: k, message: 'must be true or false' });
    return false;
  };
  let name = '';
  if (typeof doc.name !== 'string' || doc.name === '')
    errors.push({ path: 'name', message: 'must be a non-empty string' });
  else if (!CNI_NAME_RE.test(doc.name))
    errors.push({
      path: 'name',
      message: `invalid characters in ${JSON.stringify(doc.name)}: must start with a letter or digit, then letters, digits, "_", "." or "-"`,
    });
  else name = doc.name;

  let cniVersion = '';
  let cniVersions: string[] | undefined;
  if (doc.cniVersions !== undefined) {
    if (!isJsonArray(doc.cniVersions) || !doc.cniVersions.every((v) => typeof v === 'string' && isVersion(v)))
      errors.push({ path: 'cniVersions', message: 'must be an array of versions like "1.1.0"' });
    else {
      cniVersions = doc.cniVersions as string[];
      // SPEC 1.1.0: the runtime uses the highest version both sides support
      const common = cniVersions.filter((v) => SUPPORTED_VERSIONS.includes(v)).sort(compareVersions);
      if (common.length > 0) cniVersion = common[common.length - 1]!;
      else
        versionErrors.push({
          path: 'cniVersions',
          message: `none of ${JSON.stringify(cniVersions)} is supported (supported: ${SUPPORTED_VERSIONS.join(', ')})`,
        });
    }
  }
  if (doc.cniVersion !== undefined) {
    if (typeof doc.cniVersion !== 'string' || !isVersion(doc.cniVersion))
      errors.push({ path: 'cniVersion', message: 'must be a version string like "1.1.0"' });
    else if (cniVersion === '' && cniVersions === undefined) {
      if (SUPPORTED_VERSIONS.includes(doc.cniVersion)) cniVersion = doc.cniVersion;
      else
        versionErrors.push({
          path: 'cniVersion',
          message: `${JSON.stringify(doc.cniVersion)} is not supported (supported: ${SUPPORTED_VERSIONS.join(', ')})`,
        });
    }
  } else if (cniVersions === undefined) errors.push({ path: 'cniVersion', message: 'is required' });

  const disableCheck = bool('disableCheck');
  const disableGC = bool('disableGC');
  const loadOnlyInlinedPlugins = bool('loadOnlyInlinedPlugins');
  const plugins: PluginConf[] = [];
  if (!isJsonArray(doc.plugins)) errors.push({ path: 'plugins', message: 'must be an array of plugin configurations' });
  else if (doc.plugins.length === 0) errors.push({ path: 'plugins', message: 'must not be empty' });
  else {
    doc.plugins.forEach((p, i) => {
      const at = `plugins[${i}]`;
      if (!isJsonObject(p)) {
        errors.push({ path: at, message: 'must be an object' });
        return;
      }
      if (typeof p.type !== 'string' || p.type === '')
        errors.push({ path: `${at}.type`, message: 'must be a non-empty string' });
      else if (p.type.includes('/') || p.type === '.' || p.type === '..')
        errors.push({ path: `${at}.type`, message: `${JSON.stringify(p.type)} is not a plugin name (no "/" allowed)` });
      if (
        p.capabilities !== undefined &&
        (!isJsonObject(p.capabilities) || !Object.values(p.capabilities).every((b) => typeof b === 'boolean'))
      )
        errors.push({ path: `${at}.capabilities`, message: 'must map capability names to true or false' });
      if (
        p.ipam !== undefined &&
        (!isJsonObject(p.ipam) || (p.ipam.type !== undefined && typeof p.ipam.type !== 'string'))
      )
        errors.push({ path: `${at}.ipam`, message: 'must be an object with a string "type"' });
      if (p.dns !== undefined && !isJsonObject(p.dns)) errors.push({ path: `${at}.dns`, message: 'must be an object' });
      for (const reserved of ['runtimeConfig', 'prevResult'])
        if (p[reserved] !== undefined)
          errors.push({ path: `${at}.${reserved}`, message: 'is set by the runtime, not in the configuration file' });
      plugins.push({ ...(p as PluginConf) });
    });
  }
  if (errors.length > 0) return invalid([...errors, ...versionErrors]);
  if (versionErrors.length > 0) return invalid(versionErrors, CniErrorCode.IncompatibleVersion);
  const value: NetConfList = { cniVersion, name, disableCheck, disableGC, loadOnlyInlinedPlugins, plugins };
  if (cniVersions !== undefined) value.cniVersions = cniVersions;
  return { ok: true, value };
}

/** k3s's flannel conflist (pkg/agent/flannel/setup_linux.go: cniVersion 1.0.0, forceAddress, portmap). */
export const K3S_FLANNEL_CONFLIST = JSON.stringify({
  name: 'cbr0',
  cniVersion: '1.0.0',
  plugins: [
    { type: 'flannel', delegate: { hairpinMode: true, forceAddress: true, isDefaultGateway: true } },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
});

/**
 * The conflist Calico's install-cni writes on each node (manifests/calico.yaml cni_network_config, with
 * __KUBERNETES_NODE_NAME__ and __CNI_MTU__ filled in): calico with calico-ipam, then portmap with SNAT. Calico's veth_mtu "0" lets it
 * pick the MTU from the encapsulation: 1480 for IP-in-IP, 1450 for VXLAN, 1500 without (over a 1500 underlay).
 */
export function calicoConflist(nodeName: string, mtu: number): string {
  return JSON.stringify({
    name: 'k8s-pod-network',
    cniVersion: '1.0.0',
    plugins: [
      {
        type: 'calico',
        log_level: 'info',
        log_file_path: '/var/log/calico/cni/cni.log',
        datastore_type: 'kubernetes',
        nodename: nodeName,
        mtu,
        ipam: { type: 'calico-ipam' },
        policy: { type: 'k8s' },
        kubernetes: { kubeconfig: '/etc/cni/net.d/calico-kubeconfig' },
      },
      { type: 'portmap', snat: true, capabilities: { portMappings: true } },
    ],
  });
}
