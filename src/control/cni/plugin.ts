/**
 * The plugin interface and the checks every plugin call goes through, whoever the caller is: the
 * libcni-like runtime inside the emulator, another plugin delegating (bridge -> host-local, flannel ->
 * bridge), or a real container runtime executing podnet as a CNI binary. The checks and their messages
 * are those of libcni's skel package (pkg/skel/skel.go), so errors look the same as the reference plugins'.
 */
import { isJsonArray, isJsonObject, jsonString } from '../../wire/json.js';
import { goQuoteList } from './go-format.js';
import type { CniHost } from './host.js';
import { CNI_NAME_RE } from './conflist.js';
import {
  CNI_SPEC_VERSION,
  CniErrorCode,
  compareVersions,
  fail,
  ok,
  parseResult,
  resultToJson,
  type CniOutcome,
  type CniResult,
  type CniVersionInfo,
} from './types.js';

/** The six CNI operations. */
export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'STATUS' | 'VERSION' | 'GC';

/** What the CNI_* environment carries. */
export interface PluginArgs {
  /** CNI_CONTAINERID. */
  containerId: string;
  /** CNI_NETNS (may be empty for DEL). */
  netns: string;
  /** CNI_IFNAME. */
  ifName: string;
  /** CNI_ARGS, "K=V;K2=V2". */
  args: string;
  /** CNI_PATH, split. */
  path: string[];
}

/** A plugin configuration as received on stdin (decoded JSON). */
export type NetConf = Record<string, unknown> & { cniVersion: string; name: string; type: string };

/** Runs another plugin (`invoke.DelegateAdd` & co.): same environment, another command and configuration. */
export type Invoker = (
  type: string,
  command: CniCommand,
  conf: Record<string, unknown>,
  args: PluginArgs,
) => CniOutcome<Record<string, unknown> | undefined>;

/** Everything a plugin call can use. */
export interface PluginCtx extends PluginArgs {
  readonly host: CniHost;
  /** For delegation to IPAM and other plugins. */
  readonly invoke: Invoker;
}

/** A CNI plugin. Methods never throw: failures are CNI errors. */
export interface CniPlugin {
  /** The executable's name, as in a configuration's "type". */
  readonly type: string;
  /** Spec versions accepted in configurations. */
  readonly supportedVersions: readonly string[];
  /** ADD: attach the container; `prevResult` is the previous plugin's result in a chain. */
  add(ctx: PluginCtx, conf: NetConf, prevResult?: CniResult): CniOutcome<CniResult>;
  /** DEL: release everything ADD made; idempotent, tolerant of missing resources. */
  del(ctx: PluginCtx, conf: NetConf, prevResult?: CniResult): CniOutcome<void>;
  /** CHECK: verify what ADD made is still there. */
  check(ctx: PluginCtx, conf: NetConf, prevResult?: CniResult): CniOutcome<void>;
  /** STATUS: ready to serve ADD (error 50/51 when not). */
  status(ctx: PluginCtx, conf: NetConf): CniOutcome<void>;
  /** GC: release what no attachment in `cni.dev/valid-attachments` holds. */
  gc?(ctx: PluginCtx, conf: NetConf, valid: ValidAttachment[]): CniOutcome<void>;
}

/** One entry of `cni.dev/valid-attachments`. */
export interface ValidAttachment {
  containerID: string;
  ifname: string;
}

/** The VERSION answer for a plugin. */
export function versionInfo(plugin: CniPlugin): CniVersionInfo {
  return { cniVersion: CNI_SPEC_VERSION, supportedVersions: [...plugin.supportedVersions] };
}

/** libcni utils.ValidateContainerID. */
export function validateContainerId(id: string): CniOutcome<void> {
  if (id === '') return fail(CniErrorCode.UnknownContainer, 'missing containerID');
  if (!CNI_NAME_RE.test(id)) return fail(CniErrorCode.InvalidEnvironment, 'invalid characters in containerID', id);
  return ok(undefined);
}

/** libcni utils.ValidateInterfaceName: Linux's rules for interface names. */
export function validateIfName(name: string): CniOutcome<void> {
  if (name === '') return fail(CniErrorCode.InvalidEnvironment, 'interface name is empty');
  if (name.length > 15)
    return fail(
      CniErrorCode.InvalidEnvironment,
      'interface name is too long',
      'interface name should be less than 16 characters',
    );
  if (name === '.' || name === '..') return fail(CniErrorCode.InvalidEnvironment, 'interface name is . or ..');
  if (/[/:\s]/.test(name))
    return fail(CniErrorCode.InvalidEnvironment, 'interface name contains / or : or whitespace characters');
  return ok(undefined);
}

/** Go's encoding/json message for an empty document, which is what plugins most often get by mistake. */
export function decodeMessage(text: string, e: unknown): string {
  return text.trim() === '' ? 'unexpected end of JSON input' : (e as Error).message;
}

/**
 * Calls `plugin` for `command` as skel.PluginMain would, with `conf` the decoded stdin: validates the
 * configuration name, the container ID and interface name (not for STATUS and GC), the configuration's
 * version against the plugin's, parses prevResult, and returns ADD's result converted to the
 * configuration's version (undefined for the other commands).
 */
export function dispatch(
  plugin: CniPlugin,
  command: string, // a CniCommand, or whatever CNI_COMMAND held
  ctx: PluginCtx,
  conf: unknown,
): CniOutcome<Record<string, unknown> | undefined> {
  if (command === 'VERSION') return ok(versionInfo(plugin) as unknown as Record<string, unknown>);
  if (!isJsonObject(conf))
    return fail(
      CniErrorCode.DecodingFailure,
      'error unmarshall network config: json: cannot unmarshal non-object into Go value of type struct { Name string "json:\\"name\\"" }',
    );
  if (typeof conf.name !== 'string' || conf.name === '')
    return fail(CniErrorCode.InvalidNetworkConfig, 'missing network name');
  if (!CNI_NAME_RE.test(conf.name))
    return fail(CniErrorCode.InvalidNetworkConfig, 'invalid characters found in network name', conf.name);
  if (command !== 'STATUS' && command !== 'GC') {
    const c = validateContainerId(ctx.containerId);
    if (!c.ok) return c;
    const i = validateIfName(ctx.ifName);
    if (!i.ok) return i;
  }
  // libcni's ConfigDecoder: a configuration without cniVersion is 0.1.0
  const version = typeof conf.cniVersion === 'string' && conf.cniVersion !== '' ? conf.cniVersion : '0.1.0';
  const minimum: Partial<Record<string, string>> = { CHECK: '0.4.0', STATUS: '1.1.0', GC: '1.1.0' };
  const min = minimum[command];
  if (min !== undefined && compareVersions(version, min) < 0)
    return fail(CniErrorCode.IncompatibleVersion, `config version does not allow ${command}`);
  if (!plugin.supportedVersions.includes(version))
    return fail(
      CniErrorCode.IncompatibleVersion,
      'incompatible CNI versions',
      `config is "${version}", plugin supports ${goQuoteList(plugin.supportedVersions)}`,
    );
  const netConf = { ...conf, cniVersion: version } as NetConf;
  if (typeof netConf.type !== 'string') netConf.type = plugin.type;
  let prev: CniResult | undefined;
  if (conf.prevResult !== undefined && conf.prevResult !== null) {
    const p = parseResult(conf.prevResult, 'prevResult');
    if (!p.ok)
      return fail(
        CniErrorCode.DecodingFailure,
        `could not parse prevResult: ${p.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      );
    prev = p.value;
  }
  switch (command) {
    case 'ADD': {
      const r = plugin.add(ctx, netConf, prev);
      return r.ok ? ok(resultToJson(r.value, version)) : r;
    }
    case 'DEL': {
      const r = plugin.del(ctx, netConf, prev);
      return r.ok ? ok(undefined) : r;
    }
    case 'CHECK': {
      const r = plugin.check(ctx, netConf, prev);
      return r.ok ? ok(undefined) : r;
    }
    case 'STATUS': {
      const r = plugin.status(ctx, netConf);
      return r.ok ? ok(undefined) : r;
    }
    case 'GC': {
      if (plugin.gc === undefined) return ok(undefined);
      const raw = conf['cni.dev/valid-attachments'];
      const valid: ValidAttachment[] = isJsonArray(raw)
        ? raw
            .filter(isJsonObject)
            .map((a) => ({ containerID: jsonString(a.containerID), ifname: jsonString(a.ifname) }))
        : [];
      const r = plugin.gc(ctx, netConf, valid);
      return r.ok ? ok(undefined) : r;
    }
    default:
      return fail(CniErrorCode.InvalidEnvironment, `unknown CNI_COMMAND: ${command}`);
  }
}

/** The plugins a host can run, by type. */
export type PluginRegistry = ReadonlyMap<string, CniPlugin>;

/**
 * A deep copy of JSON data (what JSON.parse(JSON.stringify(v)) gives, without the text in between):
 * undefined members dropped, as the encoding would drop them.
 */
function cloneJson(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (isJsonArray(v)) return v.map((x) => (x === undefined ? null : cloneJson(x)));
  const out: Record<string, unknown> = {};
  for (const k in v as Record<string, unknown>) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined && typeof x !== 'function') out[k] = cloneJson(x);
  }
  return out;
}

/**
 * An Invoker over a registry, as libcni's invoke package over CNI_PATH: the configuration is serialised
 * and decoded again so callee and caller share no objects, exactly as through a pipe.
 */
export function makeInvoker(registry: PluginRegistry, host: CniHost): Invoker {
  const invoke: Invoker = (type, command, conf, args) => {
    const plugin = registry.get(type);
    if (plugin === undefined)
      return fail(CniErrorCode.Internal, `failed to find plugin "${type}" in path [${args.path.join(' ')}]`);
    return dispatch(plugin, command, { ...args, host, invoke }, cloneJson(conf));
  };
  return invoke;
}

/** Reads a delegate's ADD output back into a Result (libcni's NewResultFromResult). */
export function resultFromJson(v: Record<string, unknown> | undefined): CniOutcome<CniResult> {
  const p = parseResult(v);
  if (!p.ok)
    return fail(
      CniErrorCode.DecodingFailure,
      `failed to decode result: ${p.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    );
  return ok(p.value);
}
