/**
 * The EndpointSlice controller: for every Service with a selector (and the kubernetes Service, whose
 * endpoints are the servers' API servers), one discovery.k8s.io/v1 EndpointSlice of addressType IPv4 built
 * from the running pods and their Ready condition, as pkg/controller/endpointslice writes it: name
 * `<service>-<5 random characters>` (generateName), labels kubernetes.io/service-name and
 * endpointslice.kubernetes.io/managed-by, endpoints with conditions ready/serving/terminating, nodeName and
 * targetRef, and the ports with name, port and protocol. publishNotReadyAddresses marks every endpoint ready.
 * Computed afresh from the runtime's state; only the slice names are remembered, so they stay stable.
 */
import { formatIpv4, type Ipv4 } from '../wire/addr.js';
import { objectPrng, generateName } from './k8s-names.js';
import type { PlannedService } from './plan-types.js';
import type { ClusterRuntime } from './runtime.js';

/** One endpoint of a slice. */
export interface SliceEndpoint {
  addresses: [string];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  nodeName: string;
  targetRef?: { kind: 'Pod'; namespace: string; name: string };
  /** Not part of the object: the address as a number, for kube-proxy. */
  ip: Ipv4;
  /** Not part of the object: the target port this endpoint listens on, per service port name. */
  portsByName: Map<string, number>;
}

/** A discovery.k8s.io/v1 EndpointSlice. */
export interface EndpointSlice {
  apiVersion: 'discovery.k8s.io/v1';
  kind: 'EndpointSlice';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  addressType: 'IPv4';
  endpoints: SliceEndpoint[];
  ports: { name: string; port: number; protocol: string }[];
  /** Not part of the object: the Service it belongs to. */
  service: PlannedService;
}

/** The kubernetes Service, whose endpoints the API server keeps itself. */
function isApiServer(svc: PlannedService): boolean {
  return svc.namespace === 'default' && svc.name === 'kubernetes';
}

/** The EndpointSlice controller's slices for a running cluster (names kept in `names` across calls). */
export class EndpointSliceController {
  private readonly names = new Map<string, string>();

  constructor(private readonly rt: ClusterRuntime) {}

  /**
   * The slice name of `svc`: generateName(`<name>-`), drawn once from the object's stream; the API server
   * names its own slice for the kubernetes Service `kubernetes` (reconcilers/endpointsadapter.go).
   */
  private nameOf(svc: PlannedService): string {
    if (isApiServer(svc)) return svc.name;
    const key = `${svc.namespace}/${svc.name}`;
    let n = this.names.get(key);
    if (n === undefined) {
      n = generateName(objectPrng(this.rt.plan.cluster.seed, `EndpointSlice/${key}`), `${svc.name}-`);
      this.names.set(key, n);
    }
    return n;
  }

  /** Every Service's slice, in the plan's service order (Services without a selector and ExternalName have none). */
  slices(): EndpointSlice[] {
    const out: EndpointSlice[] = [];
    for (const svc of this.rt.plan.services) {
      if (svc.type === 'ExternalName') continue;
      if (svc.selector === undefined && !isApiServer(svc)) continue;
      out.push(this.sliceOf(svc));
    }
    return out;
  }

  private sliceOf(svc: PlannedService): EndpointSlice {
    // one endpoint per pod (or node), in the plan's pod order, with each service port's resolved target port
    const byKey = new Map<string, SliceEndpoint>();
    for (const p of svc.ports)
      for (const e of p.endpoints) {
        const key = e.pod ?? `node:${e.node}`;
        let ep = byKey.get(key);
        if (ep === undefined) {
          const made = this.endpoint(svc, e.pod, e.node);
          if (made === undefined) continue;
          ep = made;
          byKey.set(key, ep);
        }
        ep.portsByName.set(p.name, e.port);
      }
    return {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: this.nameOf(svc),
        namespace: svc.namespace,
        // the API server's own slice carries only the service-name label (endpointSliceFromEndpoints)
        labels: isApiServer(svc)
          ? { 'kubernetes.io/service-name': svc.name }
          : {
              'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
              'kubernetes.io/service-name': svc.name,
            },
      },
      addressType: 'IPv4',
      endpoints: [...byKey.values()],
      ports: svc.ports.map((p) => ({
        name: p.name,
        port: p.endpoints[0]?.port ?? Number(p.targetPort),
        protocol: p.protocol,
      })),
      service: svc,
    };
  }

  private endpoint(svc: PlannedService, pod: string | undefined, node: string): SliceEndpoint | undefined {
    if (pod === undefined) {
      const n = this.rt.nodes.get(node);
      if (n === undefined) return undefined;
      return {
        addresses: [formatIpv4(n.ip)],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: node,
        ip: n.ip,
        portsByName: new Map(),
      };
    }
    const running = this.rt.pods.get(`${svc.namespace}/${pod}`);
    // a pod whose sandbox failed has no IP and is in no slice
    if (running === undefined) return undefined;
    const ready = running.ready || svc.publishNotReadyAddresses === true;
    return {
      addresses: [formatIpv4(running.ip)],
      conditions: { ready, serving: ready, terminating: false },
      nodeName: running.node,
      targetRef: { kind: 'Pod', namespace: svc.namespace, name: pod },
      ip: running.ip,
      portsByName: new Map(),
    };
  }
}
