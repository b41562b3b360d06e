/**
 * Flannel's kube subnet manager (flannel pkg/subnet/kube/kube.go), the one k3s runs: a node's subnet is
 * its Node object's spec.podCIDR (given by kube-controller-manager's range allocator), and flanneld
 * publishes what the other nodes need in the Node's annotations (pkg/subnet/kube/annotations.go, prefix
 * flannel.alpha.coreos.com): backend-type, backend-data (the backend's JSON, `{"VNI":1,"VtepMAC":"..."}`
 * for vxlan, `null` for host-gw), public-ip and kube-subnet-manager "true". Peers are the Nodes carrying
 * kube-subnet-manager "true"; a deleted Node removes its routes.
 *
 * The Node objects live in the same Datastore as etcd-mode leases, under the key kube-apiserver stores
 * them at in etcd (`/registry/minions/<name>`), as JSON (kube-apiserver's --storage-media-type
 * application/json), holding only the fields flannel reads.
 */
import {
  formatCidr,
  formatIpv4,
  formatMac,
  parseCidr,
  parseIpv4,
  type Ipv4,
  type Ipv4Prefix,
} from '../../wire/addr.js';
import { parseVxlanBackendData } from '../datastore/flannel-keys.js';
import type { Lease } from './backends.js';

/** Where kube-apiserver keeps Node objects in etcd. */
export const KUBE_NODES_PREFIX = '/registry/minions/';

/** flannel's annotation prefix (--kube-annotation-prefix). */
export const FLANNEL_ANNOTATION_PREFIX = 'flannel.alpha.coreos.com';

/** The annotations flannel reads and writes (pkg/subnet/kube/annotations.go). */
export const FLANNEL_ANNOTATIONS = {
  backendType: `${FLANNEL_ANNOTATION_PREFIX}/backend-type`,
  backendData: `${FLANNEL_ANNOTATION_PREFIX}/backend-data`,
  publicIp: `${FLANNEL_ANNOTATION_PREFIX}/public-ip`,
  subnetKubeManaged: `${FLANNEL_ANNOTATION_PREFIX}/kube-subnet-manager`,
} as const;

/** The part of a v1 Node that flannel and the range allocator use. */
export interface KubeNode {
  name: string;
  annotations: Record<string, string>;
  /** spec.podCIDR, once the range allocator has given one. */
  podCIDR?: Ipv4Prefix;
  /** status.addresses InternalIP. */
  internalIp?: Ipv4;
}

/** The etcd key of a Node. */
export function kubeNodeKey(name: string): string {
  return `${KUBE_NODES_PREFIX}${name}`;
}

/** A Node object as JSON (annotation keys sorted, as Go marshals a map). */
export function encodeKubeNode(n: KubeNode): string {
  const annotations: Record<string, string> = {};
  for (const k of Object.keys(n.annotations).sort()) annotations[k] = n.annotations[k]!;
  const cidr = n.podCIDR === undefined ? undefined : formatCidr(n.podCIDR);
  return JSON.stringify({
    kind: 'Node',
    apiVersion: 'v1',
    metadata: { name: n.name, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec: cidr === undefined ? {} : { podCIDR: cidr, podCIDRs: [cidr] },
    ...(n.internalIp !== undefined
      ? { status: { addresses: [{ type: 'InternalIP', address: formatIpv4(n.internalIp) }] } }
      : {}),
  });
}

/** Reads a Node object written by encodeKubeNode (or by anything with the same fields); why not, else. */
export function parseKubeNode(text: string): KubeNode | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  if (!isObject(doc) || doc.kind !== 'Node') return 'not a Node object';
  const meta = doc.metadata;
  if (!isObject(meta) || typeof meta.name !== 'string') return 'metadata.name missing';
  const annotations: Record<string, string> = {};
  if (isObject(meta.annotations))
    for (const [k, v] of Object.entries(meta.annotations)) if (typeof v === 'string') annotations[k] = v;
  const out: KubeNode = { name: meta.name, annotations };
  const spec = doc.spec;
  if (isObject(spec) && typeof spec.podCIDR === 'string' && spec.podCIDR !== '') {
    const p = parseCidr(spec.podCIDR);
    if (p === undefined) return `spec.podCIDR ${JSON.stringify(spec.podCIDR)} is not an IPv4 network`;
    out.podCIDR = p;
  }
  const status = doc.status;
  if (isObject(status) && Array.isArray(status.addresses)) {
    for (const a of status.addresses as unknown[]) {
      if (isObject(a) && a.type === 'InternalIP' && typeof a.address === 'string') {
        const ip = parseIpv4(a.address);
        if (ip !== undefined) out.internalIp = ip;
      }
    }
  }
  return out;
}

/** What flanneld's AcquireLease writes into its Node's annotations. */
export function flannelNodeAnnotations(l: Omit<Lease, 'subnet'>): Record<string, string> {
  // attrs.BackendData.MarshalJSON(): the vxlan backend's {VNI, VtepMAC}; nil (JSON null) for host-gw and udp
  const data = l.vtepMac !== undefined ? JSON.stringify({ VNI: l.vni ?? 1, VtepMAC: formatMac(l.vtepMac) }) : 'null';
  return {
    [FLANNEL_ANNOTATIONS.backendData]: data,
    [FLANNEL_ANNOTATIONS.backendType]: l.backendType,
    [FLANNEL_ANNOTATIONS.subnetKubeManaged]: 'true',
    [FLANNEL_ANNOTATIONS.publicIp]: formatIpv4(l.publicIp),
  };
}

/**
 * The lease a peer's Node describes (flannel's nodeToLease), undefined when flannel skips the Node (no
 * kube-subnet-manager "true": flanneld not running there yet), or why it is malformed.
 */
export function nodeToLease(n: KubeNode): Lease | undefined | string {
  if (n.annotations[FLANNEL_ANNOTATIONS.subnetKubeManaged] !== 'true') return undefined;
  if (n.podCIDR === undefined) return `node ${n.name} has no podCIDR`;
  const ipText = n.annotations[FLANNEL_ANNOTATIONS.publicIp] ?? '';
  const publicIp = parseIpv4(ipText);
  if (publicIp === undefined) return `node ${n.name}: public-ip ${JSON.stringify(ipText)} is not an IPv4 address`;
  const type = n.annotations[FLANNEL_ANNOTATIONS.backendType] ?? '';
  if (type !== 'vxlan' && type !== 'host-gw' && type !== 'udp')
    return `node ${n.name}: backend-type ${JSON.stringify(type)} is not one podnet runs`;
  const subnet = { addr: n.podCIDR.addr, len: n.podCIDR.len };
  if (type !== 'vxlan') return { subnet, publicIp, backendType: type };
  let data: unknown;
  try {
    data = JSON.parse(n.annotations[FLANNEL_ANNOTATIONS.backendData] ?? '');
  } catch {
    return `node ${n.name}: backend-data is not JSON`;
  }
  const v = parseVxlanBackendData(data, 'backend-data');
  if (!v.ok) return `node ${n.name}: ${v.error.field}: ${v.error.reason}`;
  return { subnet, publicIp, backendType: type, vtepMac: v.value.vtepMac, vni: v.value.vni ?? 1 };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
