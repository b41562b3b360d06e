/**
 * A container runtime's side of CNI, as libcni (containernetworking/cni libcni/api.go) does it: run a
 * configuration list's plugins in order for ADD, each getting the list's name and cniVersion, the
 * previous plugin's result as prevResult and, for the capabilities it declares, the runtime's arguments
 * as runtimeConfig; cache the final result; run DEL in reverse order with the cached result as
 * prevResult, going on past failures (best effort) and forgetting the cache when all succeeded; CHECK
 * (skipped when disableCheck), STATUS, GC (skipped when disableGC) and VERSION.
 */
import { goJson } from './go-format.js';
import { joinPath, type CniHost } from './host.js';
import type { NetConfList, PluginConf } from './conflist.js';
import {
  makeInvoker,
  resultFromJson,
  type CniCommand,
  type Invoker,
  type PluginArgs,
  type PluginRegistry,
  type ValidAttachment,
} from './plugin.js';
import { defaultRegistry } from './plugins.js';
import {
  CniErrorCode,
  compareVersions,
  fail,
  ok,
  resultToJson,
  type CniOutcome,
  type CniResult,
  type CniVersionInfo,
} from './types.js';

/** What the runtime knows about one attachment (libcni RuntimeConf). */
export interface RuntimeConf {
  containerId: string;
  netns: string;
  ifName: string;
  /** CNI_ARGS as pairs, e.g. [['K8S_POD_NAME', 'web-0']]. */
  args?: [string, string][];
  /** Capability arguments, e.g. { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] }. */
  capabilityArgs?: Record<string, unknown>;
}

/** libcni's default cache directory. */
export const DEFAULT_CACHE_DIR = '/var/lib/cni';

/** The runtime side of CNI over one host. */
export class CniRuntime {
  private readonly invoke: Invoker;

  constructor(
    readonly host: CniHost,
    readonly registry: PluginRegistry = defaultRegistry(),
    readonly opts: { path?: string[]; cacheDir?: string } = {},
  ) {
    this.invoke = makeInvoker(registry, host);
  }

  private pluginArgs(rt: RuntimeConf): PluginArgs {
    return {
      containerId: rt.containerId,
      netns: rt.netns,
      ifName: rt.ifName,
      args: (rt.args ?? []).map(([k, v]) => `${k}=${v}`).join(';'),
      path: this.opts.path ?? ['/opt/cni/bin'],
    };
  }

  /** libcni buildOneConfig: name, cniVersion, prevResult and runtimeConfig injected into a plugin's conf. */
  buildOneConfig(
    list: NetConfList,
    plugin: PluginConf,
    prev: Record<string, unknown> | undefined,
    rt: RuntimeConf,
  ): Record<string, unknown> {
    const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
    if (prev !== undefined) conf.prevResult = prev;
    const caps = (plugin.capabilities ?? {}) as Record<string, boolean>;
    const rc: Record<string, unknown> = {};
    for (const [cap, on] of Object.entries(caps))
      if (on && rt.capabilityArgs?.[cap] !== undefined) rc[cap] = rt.capabilityArgs[cap];
    if (Object.keys(rc).length > 0) conf.runtimeConfig = rc;
    return conf;
  }

  private run(
    plugin: PluginConf,
    command: CniCommand,
    conf: Record<string, unknown>,
    rt: RuntimeConf,
  ): CniOutcome<Record<string, unknown> | undefined> {
    const r = this.invoke(plugin.type, command, conf, this.pluginArgs(rt));
    if (r.ok) return r;
    const verb = command.toLowerCase();
    return fail(
      r.error.code,
      `plugin type="${plugin.type}" name="${String(conf.name)}" failed (${verb}): ${r.error.msg}`,
      r.error.details,
    );
  }

  private cachePath(list: NetConfList, rt: RuntimeConf): string {
    return joinPath(this.opts.cacheDir ?? DEFAULT_CACHE_DIR, 'results', `${list.name}-${rt.containerId}-${rt.ifName}`);
  }

  /** The result cached by the last successful ADD of this attachment. */
  cachedResult(list: NetConfList, rt: RuntimeConf): CniResult | undefined {
    const text = this.host.store.read(this.cachePath(list, rt));
    if (text === undefined) return undefined;
    try {
      const doc = JSON.parse(text) as { result?: Record<string, unknown> };
      const r = resultFromJson(doc.result);
      return r.ok ? r.value : undefined;
    } catch {
      return undefined;
    }
  }

  /** ADD: every plugin in order, each result the next one's prevResult. The last result is returned and cached. */
  addNetworkList(list: NetConfList, rt: RuntimeConf): CniOutcome<CniResult> {
    let prev: Record<string, unknown> | undefined;
    for (const plugin of list.plugins) {
      const r = this.run(plugin, 'ADD', this.buildOneConfig(list, plugin, prev, rt), rt);
      if (!r.ok) return r;
      prev = r.value;
    }
    const result = resultFromJson(prev);
    if (!result.ok) return result;
    this.host.store.write(
      this.cachePath(list, rt),
      goJson({
        kind: 'cniCacheV1',
        containerId: rt.containerId,
        config: list.plugins,
        ifName: rt.ifName,
        networkName: list.name,
        cniArgs: rt.args,
        capabilityArgs: rt.capabilityArgs,
        result: prev,
      }),
    );
    return result;
  }

  /**
   * DEL: plugins in reverse order, prevResult = the cached ADD result (0.4.0 and later). Every plugin runs
   * even when one fails (DEL is best effort); the first failure is returned and the cache kept for a retry.
   */
  delNetworkList(list: NetConfList, rt: RuntimeConf): CniOutcome<void> {
    const cached = compareVersions(list.cniVersion, '0.4.0') >= 0 ? this.cachedResult(list, rt) : undefined;
    const prev = cached === undefined ? undefined : resultToJson(cached, list.cniVersion);
    let first: CniOutcome<void> | undefined;
    for (let i = list.plugins.length - 1; i >= 0; i--) {
      const plugin = list.plugins[i]!;
      const r = this.run(plugin, 'DEL', this.buildOneConfig(list, plugin, prev, rt), rt);
      if (!r.ok && first === undefined) first = r;
    }
    if (first !== undefined) return first;
    this.host.store.remove(this.cachePath(list, rt));
    return ok(undefined);
  }

  /** CHECK: each plugin with the cached result; nothing when the list sets disableCheck. */
  checkNetworkList(list: NetConfList, rt: RuntimeConf): CniOutcome<void> {
    if (compareVersions(list.cniVersion, '0.4.0') < 0)
      return fail(
        CniErrorCode.IncompatibleVersion,
        `configuration version "${list.cniVersion}" does not support the CHECK command`,
      );
    if (list.disableCheck) return ok(undefined);
    const cached = this.cachedResult(list, rt);
    if (cached === undefined)
      return fail(
        CniErrorCode.UnknownContainer,
        `no cached result for ${list.name}/${rt.containerId}/${rt.ifName}: was ADD run?`,
      );
    const prev = resultToJson(cached, list.cniVersion);
    for (const plugin of list.plugins) {
      const r = this.run(plugin, 'CHECK', this.buildOneConfig(list, plugin, prev, rt), rt);
      if (!r.ok) return r;
    }
    return ok(undefined);
  }

  /** STATUS: each plugin in order; the first that is not ready answers (error 50 or 51). */
  getStatusNetworkList(list: NetConfList): CniOutcome<void> {
    if (compareVersions(list.cniVersion, '1.1.0') < 0)
      return fail(
        CniErrorCode.IncompatibleVersion,
        `configuration version "${list.cniVersion}" does not support the STATUS verb`,
      );
    const rt: RuntimeConf = { containerId: '', netns: '', ifName: '' };
    for (const plugin of list.plugins) {
      const r = this.run(plugin, 'STATUS', this.buildOneConfig(list, plugin, undefined, rt), rt);
      if (!r.ok) return r;
    }
    return ok(undefined);
  }

  /**
   * GC: drops cached results of attachments not in `valid`, then lets each plugin release what only they
   * held (`cni.dev/valid-attachments`). Goes on past failures; returns the first. Nothing when disableGC.
   */
  gcNetworkList(list: NetConfList, valid: ValidAttachment[]): CniOutcome<void> {
    if (compareVersions(list.cniVersion, '1.1.0') < 0 || list.disableGC) return ok(undefined);
    const dir = joinPath(this.opts.cacheDir ?? DEFAULT_CACHE_DIR, 'results');
    const keep = new Set(valid.map((a) => `${list.name}-${a.containerID}-${a.ifname}`));
    for (const f of this.host.store.list(dir))
      if (f.startsWith(`${list.name}-`) && !keep.has(f)) this.host.store.remove(joinPath(dir, f));
    const rt: RuntimeConf = { containerId: '', netns: '', ifName: '' };
    let first: CniOutcome<void> | undefined;
    for (const plugin of list.plugins) {
      const conf = { ...this.buildOneConfig(list, plugin, undefined, rt), 'cni.dev/valid-attachments': valid };
      const r = this.run(plugin, 'GC', conf, rt);
      if (!r.ok && first === undefined) first = r;
    }
    return first ?? ok(undefined);
  }

  /** VERSION of plugin `type`. */
  getVersionInfo(type: string): CniOutcome<CniVersionInfo> {
    const r = this.invoke(
      type,
      'VERSION',
      {},
      { containerId: '', netns: '', ifName: '', args: '', path: this.opts.path ?? ['/opt/cni/bin'] },
    );
    return r.ok ? ok(r.value as unknown as CniVersionInfo) : r;
  }
}
