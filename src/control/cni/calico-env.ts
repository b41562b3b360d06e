/**
 * What the calico and calico-ipam plugins need from the node beyond the CniHost: the node's name (real
 * Calico reads it from /var/lib/calico/nodename, written by calico/node), its IPAM client (libcalico-go's
 * ipam.Interface over the datastore) and the pods' annotations (the plugin reads them from the Kubernetes
 * API). The cluster attaches one CalicoNodeEnv per node stack, as flanneld leaves subnet.env for its
 * plugin; the plugins find it through the host they are called on. The IPAM itself is calico-ipam's part
 * (control/calico/ipam.ts); this file only names the interface the plugins call.
 */
import type { IpNode } from '../../net/ip-node.js';
import type { Ipv4, Ipv4Prefix } from '../../wire/addr.js';
import type { CniHost } from './host.js';

/** One address handed out by Calico IPAM (libcalico-go ipam AutoAssign, one IPv4). */
export interface CalicoAssignment {
  ip: Ipv4;
  /** The block it came from, e.g. 192.168.236.0/26. */
  block: Ipv4Prefix;
  /** True when the block is affine to another node (the address then needs its own /32 route). */
  borrowed: boolean;
}

/** Why an assignment failed; `message` is what the plugin reports. */
export interface CalicoIpamFailure {
  message?: string;
  code?: string;
}

/** The slice of Calico IPAM the plugins use (synchronous, as the emulated datastore is). */
export interface CalicoIpamClient {
  /** AutoAssign one IPv4 for `handleId` on `node`, from the node's blocks, claiming or borrowing as needed. */
  autoAssign(req: {
    handleId: string;
    node: string;
    attrs?: Record<string, string>;
  }): { ok: true; value: CalicoAssignment } | { ok: false; error: CalicoIpamFailure | string };
  /** ReleaseByHandle: frees every address of the handle and returns them (none is not an error). */
  releaseByHandle(handleId: string): Ipv4[];
}

/** What the cluster gives the calico plugins on one node. */
export interface CalicoNodeEnv {
  /** The Calico node name (/var/lib/calico/nodename). */
  nodeName: string;
  ipam: CalicoIpamClient;
  /** A pod's annotations (`cni.projectcalico.org/hwAddr` sets the pod's MAC), when the pod is known. */
  annotations?(namespace: string, pod: string): Readonly<Record<string, string>> | undefined;
}

const envs = new WeakMap<IpNode, CalicoNodeEnv>();

/** Makes `env` the Calico environment of the node whose stack is `node` (calico/node has started there). */
export function attachCalicoEnv(node: IpNode, env: CalicoNodeEnv): void {
  envs.set(node, env);
}

/** The Calico environment of the host a plugin runs on, if calico/node runs there. */
export function calicoEnvOf(host: CniHost): CalicoNodeEnv | undefined {
  return envs.get(host.node);
}

/**
 * The error the plugin gives when calico/node has not written the node name yet (cni-plugin
 * pkg/utils DetermineNodename / nodenameFromFile), so a missing environment looks as it does on Linux.
 */
export const NODENAME_MISSING =
  'stat /var/lib/calico/nodename: no such file or directory: check that the calico/node container is running and has mounted /var/lib/calico/';
