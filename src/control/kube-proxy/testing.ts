/**
 * Fixtures for kube-proxy's tests: a Service port with a ClusterIP Service's defaults, and a ready endpoint.
 * (Tests only; nothing in the product imports this.)
 */
import { parseIpv4 } from '../../wire/addr.js';
import type { ProxyEndpoint, ProxyServicePort } from './types.js';

/** A TCP port 80 "http" of a ClusterIP Service in default, with what `over` changes. */
export function proxyPort(
  over: Partial<ProxyServicePort> & Pick<ProxyServicePort, 'service' | 'clusterIP'>,
): ProxyServicePort {
  return {
    namespace: 'default',
    portName: 'http',
    protocol: 'TCP',
    port: 80,
    nodePort: 0,
    type: 'ClusterIP',
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    sessionAffinity: 'None',
    stickyMaxAgeSeconds: 10800,
    externalIPs: [],
    loadBalancerIPs: [],
    ...over,
  };
}

/** An endpoint at `addr`:`port` on `nodeName`, ready (and serving) unless told otherwise. */
export function proxyEndpoint(
  addr: string,
  nodeName: string,
  o: { port?: number; ready?: boolean } = {},
): ProxyEndpoint {
  const ready = o.ready ?? true;
  return { ip: parseIpv4(addr)!, port: o.port ?? 8080, ready, serving: ready, terminating: false, nodeName };
}
