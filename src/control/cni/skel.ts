/**
 * A plugin as an executable sees the world (libcni pkg/skel): the command and arguments in CNI_*
 * environment variables, the configuration on stdin, and on stdout either the result (ADD), the version
 * information (VERSION), nothing (DEL, CHECK, STATUS, GC) or an error object, with exit status 0 or 1.
 * Isomorphic: the caller supplies the environment, stdin and the host; realtime/cni wires it to a process.
 */
import { goJson } from './go-format.js';
import type { CniHost } from './host.js';
import {
  decodeMessage,
  dispatch,
  makeInvoker,
  versionInfo,
  type CniPlugin,
  type PluginArgs,
  type PluginRegistry,
} from './plugin.js';
import { CNI_SPEC_VERSION, CniErrorCode, isVersion, type CniError } from './types.js';

/** What a plugin process produced. */
export interface ExecOutcome {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The CNI_* variables each command needs (skel's reqForCmd; STATUS and GC need only CNI_PATH). */
const REQUIRED: Record<string, string[]> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_PATH'],
  STATUS: ['CNI_PATH'],
  GC: ['CNI_PATH'],
};

/** The environment variables a plugin reads, in the order skel reports missing ones. */
const VARS = ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_ARGS', 'CNI_PATH'];

/** The error object as SPEC.md "Error" shows it: cniVersion, code, msg, details; printed indented. */
export function formatCniError(e: CniError, cniVersion: string): string {
  return goJson({ cniVersion, code: e.code, msg: e.msg, details: e.details }, '    ', false);
}

/** The command a process environment asks for, and whether it needs the host (all but VERSION and none). */
export function needsHost(env: Readonly<Record<string, string | undefined>>): boolean {
  const cmd = env.CNI_COMMAND ?? '';
  return cmd !== '' && cmd !== 'VERSION';
}

/**
 * Runs `plugin` as its executable would. `host` is asked for only when the command needs one;
 * `registry` serves delegation (bridge -> host-local). `about` goes to stderr when CNI_COMMAND is unset.
 */
export function runSkel(
  plugin: CniPlugin,
  env: Readonly<Record<string, string | undefined>>,
  stdin: string,
  host: () => CniHost,
  registry: PluginRegistry,
  about = `CNI ${plugin.type} plugin (podnet)`,
): ExecOutcome {
  const get = (k: string): string => env[k] ?? '';
  const cmd = get('CNI_COMMAND');
  const missing = VARS.filter((v) => get(v) === '' && (v === 'CNI_COMMAND' || (REQUIRED[cmd] ?? []).includes(v)));
  let confVersion = CNI_SPEC_VERSION;
  const failWith = (e: CniError): ExecOutcome => ({ stdout: formatCniError(e, confVersion), stderr: '', exitCode: 1 });
  if (missing.length > 0) {
    if (cmd === '')
      return {
        stdout: '',
        stderr: `${about}\nCNI protocol versions supported: ${plugin.supportedVersions.join(', ')}\n`,
        exitCode: 0,
      };
    return failWith({
      code: CniErrorCode.InvalidEnvironment,
      msg: `required env variables [${missing.join(',')}] missing`,
    });
  }
  if (cmd === 'VERSION') return { stdout: goJson(versionInfo(plugin)) + '\n', stderr: '', exitCode: 0 };
  let conf: unknown;
  try {
    conf = JSON.parse(stdin);
  } catch (e) {
    return failWith({
      code: CniErrorCode.DecodingFailure,
      msg: `error unmarshall network config: ${decodeMessage(stdin, e)}`,
    });
  }
  if (
    typeof conf === 'object' &&
    conf !== null &&
    typeof (conf as { cniVersion?: unknown }).cniVersion === 'string' &&
    isVersion((conf as { cniVersion: string }).cniVersion)
  )
    confVersion = (conf as { cniVersion: string }).cniVersion;
  const args: PluginArgs = {
    containerId: get('CNI_CONTAINERID'),
    netns: get('CNI_NETNS'),
    ifName: get('CNI_IFNAME'),
    args: get('CNI_ARGS'),
    path: get('CNI_PATH')
      .split(':')
      .filter((p) => p !== ''),
  };
  const h = host();
  const r = dispatch(plugin, cmd, { ...args, host: h, invoke: makeInvoker(registry, h) }, conf);
  if (!r.ok) return failWith(r.error);
  // libcni prints results with json.MarshalIndent and four spaces, and no final newline
  return { stdout: cmd === 'ADD' && r.value !== undefined ? goJson(r.value, '    ') : '', stderr: '', exitCode: 0 };
}
