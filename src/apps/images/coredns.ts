/**
 * CoreDNS as k3s runs it (rancher/mirrored-coredns-coredns, coredns/coredns): DNS on port 53 over UDP
 * and TCP, the health plugin on 8080 (/health: "OK") and the ready plugin on 8181 (/ready: "OK"). The
 * DNS chain is k3s's Corefile (manifests/coredns.yaml):
 *
 *     kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure; fallthrough in-addr.arpa ip6.arpa }
 *     hosts /etc/coredns/NodeHosts { ttl 60; reload 15s; fallthrough }
 *     forward . /etc/resolv.conf
 *     cache 30
 *
 * run in plugin.cfg's order (cache, hosts, kubernetes, forward). Without a cluster view (a lab outside a
 * cluster) the kubernetes plugin is left out; without a resolv.conf, forward is, and other names are
 * REFUSED. Not modelled: errors, prometheus (9153), loop, reload, loadbalance (which shuffles A records).
 */
import type { KubernetesView } from '../dns/kubernetes-view.js';
import { parseResolvConf } from '../dns/resolv-conf.js';
import { DnsServer, type DnsServerConfig } from '../dns/server.js';
import { serveDnsOverTcp, tcpConnector } from '../dns/tcp.js';
import { HttpServer } from '../http/server.js';
import { goFields } from './server-fields.js';
import type { ContainerContext, ImageBehaviour, RunningContainer } from './types.js';
import { GO_LISTEN_BACKLOG } from '../../transport/tcp.js';

/** CoreDNS's health (8080) and ready (8181) ports. */
export const COREDNS_HEALTH_PORT = 8080;
/** The ready plugin's port. */
export const COREDNS_READY_PORT = 8181;

/** What CoreDNS learns from the cluster it runs in. */
export interface CoreDnsCluster {
  /** k3s's NodeHosts: "ADDRESS NAME" per node ("" for none). */
  readonly nodeHosts: () => string;
  /** The cluster's Services, endpoints and pods now (absent outside a cluster). */
  readonly kubernetes?: () => KubernetesView;
  /** The cluster domain (default cluster.local). */
  readonly clusterDomain?: string;
  /** The pod's /etc/resolv.conf (dnsPolicy Default: its node's), for `forward . /etc/resolv.conf`. */
  readonly resolvConf?: () => string;
}

/** The DNS server settings of k3s's Corefile for `cluster`, the pod's TCP stack opening forward streams. */
export function k3sCorefile(cluster: CoreDnsCluster, ctx: Pick<ContainerContext, 'tcp'>): DnsServerConfig {
  const resolv = cluster.resolvConf?.();
  const view = cluster.kubernetes;
  const domain = cluster.clusterDomain ?? 'cluster.local';
  return {
    cache: { ttl: 30 },
    hosts: { text: cluster.nodeHosts(), ttl: 60, fallthrough: true },
    ...(view === undefined
      ? {}
      : {
          kubernetes: {
            zones: [domain, 'in-addr.arpa', 'ip6.arpa'],
            pods: 'insecure' as const,
            fallthrough: ['in-addr.arpa', 'ip6.arpa'],
            view,
          },
        }),
    ...(resolv === undefined
      ? {}
      : {
          forward: {
            upstreams: parseResolvConf(resolv).nameservers.map((addr) => ({ addr })),
            connect: tcpConnector(ctx.tcp),
          },
        }),
  };
}

/** CoreDNS, serving k3s's Corefile for the cluster it is given. */
export function coreDnsImage(cluster: CoreDnsCluster): ImageBehaviour {
  return {
    repositories: ['coredns/coredns', 'rancher/mirrored-coredns-coredns', 'coredns'],
    summary:
      "DNS on 53/UDP and 53/TCP (k3s's Corefile: cluster.local from Services and pods, NodeHosts, forward, cache 30), /health on 8080, /ready on 8181",
    start(ctx: ContainerContext): RunningContainer {
      const dns = new DnsServer(ctx.udp, k3sCorefile(cluster, ctx));
      serveDnsOverTcp(dns, ctx.tcp, 53, GO_LISTEN_BACKLOG);
      const ok = new HttpServer(() => ({ headers: [['Content-Type', 'text/plain; charset=utf-8']], body: 'OK' }), {
        serverName: '',
        arrangeFields: goFields,
      });
      ok.listen(ctx.tcp, COREDNS_HEALTH_PORT, GO_LISTEN_BACKLOG);
      ok.listen(ctx.tcp, COREDNS_READY_PORT, GO_LISTEN_BACKLOG);
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
