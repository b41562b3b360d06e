/**
 * The CNI plugins podnet ships, by the type name a configuration uses (the executable's name). The
 * order is that of SPEC.md's examples; lookups are by name.
 */
import { bridgePlugin } from './bridge.js';
import { calicoIpamPlugin } from './calico-ipam.js';
import { calicoPlugin } from './calico.js';
import { flannelPlugin } from './flannel.js';
import { hostLocalPlugin } from './host-local.js';
import { loopbackPlugin } from './loopback.js';
import type { CniPlugin, PluginRegistry } from './plugin.js';
import { portmapPlugin } from './portmap.js';

/** Every plugin podnet implements. */
export const ALL_PLUGINS: readonly CniPlugin[] = [
  bridgePlugin,
  hostLocalPlugin,
  loopbackPlugin,
  portmapPlugin,
  flannelPlugin,
  calicoPlugin,
  calicoIpamPlugin,
];

/** A registry of all of podnet's plugins. */
export function defaultRegistry(): PluginRegistry {
  return new Map(ALL_PLUGINS.map((p) => [p.type, p]));
}
