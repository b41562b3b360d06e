/**
 * CoreDNS as k3s runs it (rancher/mirrored-coredns-coredns, coredns/coredns): DNS on port 53 over UDP
 * and TCP, the health plugin on 8080 (/health: "OK") and the ready plugin on 8181 (/ready: "OK"). The
 * DNS chain is the minimal part of k3s's Corefile that needs no cluster: `hosts` (k3s's NodeHosts: the
 * nodes' names, fallthrough), with nothing after it, so other names are REFUSED. The cluster DNS
 * (`kubernetes` plugin, `forward . /etc/resolv.conf`) is the next issue's.
 */
import { DnsServer } from '../dns/server.js';
import { serveDnsOverTcp } from '../dns/tcp.js';
import { HttpServer } from '../http/server.js';
import { goFields } from './server-fields.js';
import type { ContainerContext, ImageBehaviour, RunningContainer } from './types.js';

/** CoreDNS's health (8080) and ready (8181) ports. */
export const COREDNS_HEALTH_PORT = 8080;
/** The ready plugin's port. */
export const COREDNS_READY_PORT = 8181;

/** CoreDNS, started with the NodeHosts text the cluster gives it (`nodeHosts`, "" for none). */
export function coreDnsImage(nodeHosts: () => string): ImageBehaviour {
  return {
    repositories: ['coredns/coredns', 'rancher/mirrored-coredns-coredns', 'coredns'],
    summary: 'DNS on 53/UDP and 53/TCP (k3s NodeHosts; the cluster zone comes later), /health on 8080, /ready on 8181',
    start(ctx: ContainerContext): RunningContainer {
      const dns = new DnsServer(ctx.udp, { hosts: { text: nodeHosts(), ttl: 60, fallthrough: true } });
      serveDnsOverTcp(dns, ctx.tcp, 53);
      const ok = new HttpServer(() => ({ headers: [['Content-Type', 'text/plain; charset=utf-8']], body: 'OK' }), {
        serverName: '',
        arrangeFields: goFields,
      });
      ok.listen(ctx.tcp, COREDNS_HEALTH_PORT);
      ok.listen(ctx.tcp, COREDNS_READY_PORT);
      return {
        listening: [
          { protocol: 'UDP', port: 53, serves: 'DNS' },
          { protocol: 'TCP', port: 53, serves: 'DNS' },
          { protocol: 'TCP', port: COREDNS_HEALTH_PORT, serves: 'health' },
          { protocol: 'TCP', port: COREDNS_READY_PORT, serves: 'ready' },
        ],
        stop: () => {
          dns.close();
          ctx.tcp.listener(53)?.close();
          ok.close();
        },
      };
    },
  };
}
