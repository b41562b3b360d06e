/**
 * Running CNI plugins side by side for the reference tests: Debian's containernetworking-plugins
 * (/usr/lib/cni) inside a "host" network namespace the test made (so the machine's own bridges and
 * iptables are never touched), and podnet's in-process executable entry on the same configuration.
 * Also the normalisation that leaves out what is random by nature (veth names, MACs) and what the
 * reference's libcni prints differently but means the same (key order, an empty "dns").
 */
import type { TestContext } from 'node:test';
import { spawnSync } from 'node:child_process';
import { runCniExecutable } from '../../src/realtime/cni/exec.js';
import type { NetnsSet } from './netns.js';
import { requirePeer } from './peers.js';

/** Where Debian installs the reference plugins. */
export const CNI_BIN_DIR = '/usr/lib/cni';
const PLUGINS = { bin: `${CNI_BIN_DIR}/bridge`, install: 'apt-get install -y containernetworking-plugins' };
const IPTABLES = { bin: 'iptables-save', install: 'apt-get install -y iptables' };

/** True when the reference plugins and iptables are installed (fails in CI, skips elsewhere). */
export function requireCniPlugins(t: TestContext): boolean {
  return requirePeer(t, 'containernetworking-plugins', PLUGINS) && requirePeer(t, 'iptables', IPTABLES);
}

/** What a plugin run produced. */
export interface PluginRun {
  stdout: string;
  exitCode: number;
  /** stdout decoded, when it is JSON. */
  json: Record<string, unknown> | undefined;
}

/** The CNI_* environment for one call. */
export interface CniCall {
  command: string;
  containerId?: string;
  netns?: string;
  ifName?: string;
  args?: string;
}

function cniEnv(c: CniCall): Record<string, string> {
  const env: Record<string, string> = { CNI_COMMAND: c.command, CNI_PATH: CNI_BIN_DIR };
  if (c.containerId !== undefined) env.CNI_CONTAINERID = c.containerId;
  if (c.netns !== undefined) env.CNI_NETNS = c.netns;
  if (c.ifName !== undefined) env.CNI_IFNAME = c.ifName;
  if (c.args !== undefined) env.CNI_ARGS = c.args;
  return env;
}

function decode(stdout: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Runs reference plugin `type` in namespace `hostNs` of `ns`. */
export function runReference(ns: NetnsSet, hostNs: string, type: string, call: CniCall, conf: unknown): PluginRun {
  const r = spawnSync('ip', ['netns', 'exec', ns.full(hostNs), `${CNI_BIN_DIR}/${type}`], {
    input: typeof conf === 'string' ? conf : JSON.stringify(conf),
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...cniEnv(call) },
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.error !== undefined) throw r.error;
  return { stdout: r.stdout, exitCode: r.status ?? -1, json: decode(r.stdout) };
}

/** Runs podnet's plugin `type` as its executable would, with its emulated host in `stateDir`. */
export function runPodnet(stateDir: string, type: string, call: CniCall, conf: unknown): PluginRun {
  const r = runCniExecutable(
    type,
    { ...cniEnv(call), PODNET_CNI_STATE: stateDir },
    typeof conf === 'string' ? conf : JSON.stringify(conf),
  );
  return { stdout: r.stdout, exitCode: r.exitCode, json: decode(r.stdout) };
}

/** The netns path a plugin is given for namespace `name` of `ns`. */
export function netnsPath(ns: NetnsSet, name: string): string {
  return `/var/run/netns/${ns.full(name)}`;
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const VETH_RE = /^veth[0-9a-f]{8}$/;

/**
 * A Result with its random parts replaced by what they must look like: MACs become "<mac>" when they are
 * well-formed, host veth names "veth<8 hex>". An empty dns object (libcni before 1.2 prints one) goes.
 */
export function normalizeResult(r: Record<string, unknown> | undefined): unknown {
  if (r === undefined) return undefined;
  const out: Record<string, unknown> = { ...r };
  if (typeof out.dns === 'object' && out.dns !== null && Object.keys(out.dns).length === 0) delete out.dns;
  if (Array.isArray(out.interfaces)) {
    out.interfaces = (out.interfaces as Record<string, unknown>[]).map((i) => ({
      ...i,
      mac: typeof i.mac === 'string' && MAC_RE.test(i.mac) ? (i.mac === '00:00:00:00:00:00' ? i.mac : '<mac>') : i.mac,
      name: typeof i.name === 'string' && VETH_RE.test(i.name) ? 'veth<8 hex>' : i.name,
    }));
  }
  return out;
}

/** A CNI error's code, msg and details (the spec's cniVersion member, which libcni leaves out, aside). */
export function errorOf(r: PluginRun): { code: unknown; msg: unknown; details: unknown } | undefined {
  if (r.json === undefined) return undefined;
  return { code: r.json.code, msg: r.json.msg, details: r.json.details };
}
