/**
 * The order DNS plugins run in, fixed here and nowhere else, as CoreDNS's plugin.cfg fixes it: a server's
 * configuration says which plugins are on and how they are set up, never their order. A request enters
 * the first configured plugin; each answers or hands it to the next; a request nobody takes is REFUSED
 * (CoreDNS refuses names no server block covers).
 */
import { DNS_RCODE_REFUSED } from '../../wire/dns.js';
import type { UdpStack } from '../../transport/udp.js';
import { type ForwardConfig, type ForwardStats, forwardPlugin } from './forward.js';
import { type HostsConfig, hostsPlugin } from './hosts.js';
import { type DnsHandler, type DnsPlugin, replyTo } from './plugin.js';
import { type Zone, type ZoneConfig, zonePlugin } from './zone.js';

/** CoreDNS plugin.cfg order, restricted to the plugins podnet has: hosts, kubernetes, file (zone), forward. */
export const PLUGIN_ORDER = ['hosts', 'kubernetes', 'zone', 'forward'] as const;

/** A plugin's name. */
export type PluginName = (typeof PLUGIN_ORDER)[number];

/** Which plugins a server runs, and their settings. */
export interface PluginSetup {
  readonly hosts?: HostsConfig;
  /**
   * Cluster records, built by the cluster layer from Services and Endpoints (CoreDNS's `kubernetes`); it
   * slots in here so the order stays in this file while the plugin lives above apps/.
   */
  readonly kubernetes?: DnsPlugin;
  readonly zones?: readonly (Zone | ZoneConfig)[];
  readonly forward?: ForwardConfig;
}

/** The handler at the end of every chain: REFUSED. */
export const refuseAll: DnsHandler = (req, respond) => respond(replyTo(req.message, { rcode: DNS_RCODE_REFUSED }));

/** Builds the chain for `setup`, plugins in PLUGIN_ORDER; `udp` is the server node's UDP layer (for forward). */
export function buildChain(setup: PluginSetup, udp: UdpStack, forwardStats?: ForwardStats): DnsHandler {
  const make: Record<PluginName, () => DnsPlugin | undefined> = {
    hosts: () => (setup.hosts === undefined ? undefined : hostsPlugin(setup.hosts)),
    kubernetes: () => setup.kubernetes,
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
