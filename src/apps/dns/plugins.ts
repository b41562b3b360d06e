/**
 * The order DNS plugins run in, fixed here and nowhere else, as CoreDNS's plugin.cfg fixes it: a server's
 * configuration says which plugins are on and how they are set up, never their order. A request enters
 * the first configured plugin; each answers or hands it to the next; a request nobody takes is REFUSED
 * (CoreDNS refuses names no server block covers).
 */
import { DNS_RCODE_REFUSED } from '../../wire/dns.js';
import type { UdpStack } from '../../transport/udp.js';
import { type CacheConfig, type CacheStats, cachePlugin } from './cache.js';
import { type ForwardConfig, type ForwardStats, forwardPlugin } from './forward.js';
import { type HostsConfig, hostsPlugin } from './hosts.js';
import { type KubernetesConfig, kubernetesPlugin } from './kubernetes.js';
import { type DnsHandler, type DnsPlugin, replyTo } from './plugin.js';
import { type Zone, type ZoneConfig, zonePlugin } from './zone.js';

/** CoreDNS plugin.cfg order, restricted to the plugins podnet has: cache, hosts, kubernetes, file (zone), forward. */
export const PLUGIN_ORDER = ['cache', 'hosts', 'kubernetes', 'zone', 'forward'] as const;

/** A plugin's name. */
export type PluginName = (typeof PLUGIN_ORDER)[number];

/** Which plugins a server runs, and their settings. */
export interface PluginSetup {
  readonly cache?: CacheConfig;
  readonly hosts?: HostsConfig;
  /** Cluster records from a view of Services, endpoints and pods the cluster layer supplies (kubernetes.ts). */
  readonly kubernetes?: KubernetesConfig;
  readonly zones?: readonly (Zone | ZoneConfig)[];
  readonly forward?: ForwardConfig;
}

/** The handler at the end of every chain: REFUSED. */
export const refuseAll: DnsHandler = (req, respond) => respond(replyTo(req.message, { rcode: DNS_RCODE_REFUSED }));

/**
 * Builds the chain for `setup`, plugins in PLUGIN_ORDER; `udp` is the server node's UDP layer (for forward,
 * and the engine clock for cache).
 */
export function buildChain(
  setup: PluginSetup,
  udp: UdpStack,
  forwardStats?: ForwardStats,
  cacheStats?: CacheStats,
): DnsHandler {
  const engine = udp.node.engine;
  const make: Record<PluginName, () => DnsPlugin | undefined> = {
    cache: () => (setup.cache === undefined ? undefined : cachePlugin(setup.cache, () => engine.now, cacheStats)),
    hosts: () => (setup.hosts === undefined ? undefined : hostsPlugin(setup.hosts)),
    kubernetes: () => (setup.kubernetes === undefined ? undefined : kubernetesPlugin(setup.kubernetes)),
    zone: () => (setup.zones === undefined || setup.zones.length === 0 ? undefined : zonePlugin(setup.zones)),
    forward: () => (setup.forward === undefined ? undefined : forwardPlugin(udp, setup.forward, forwardStats)),
  };
  let handler = refuseAll;
  for (let i = PLUGIN_ORDER.length - 1; i >= 0; i--) {
    const plugin = make[PLUGIN_ORDER[i]!]();
    if (plugin !== undefined) handler = plugin(handler);
  }
  return handler;
}
