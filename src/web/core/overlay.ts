/**
 * The overlay between a cluster's nodes, as the topology draws it: one tunnel per pair of nodes when
 * pods' traffic is tunnelled (Flannel's vxlan or udp backend, Calico's IP-in-IP or VXLAN), named with
 * its device and VNI. Up to 50 nodes: beyond that, 1,225 lines and more say nothing.
 */
import type { ClusterSpec } from '../../cluster/cluster-spec.js';

/** A tunnel between two devices: [a, b, label, segment (VNI)]. */
export type Tunnel = [string, string, string, number | undefined];

/** Most nodes whose tunnels are drawn. */
export const MAX_TUNNELLED_NODES = 50;

/** The tunnels between `nodes` of a cluster specified by `spec`. */
export function clusterTunnels(spec: ClusterSpec, nodes: readonly string[]): Tunnel[] {
  const overlay = overlayLabel(spec);
  const tunnels: Tunnel[] = [];
  if (overlay === undefined || nodes.length > MAX_TUNNELLED_NODES) return tunnels;
  for (let i = 0; i < nodes.length; i++)
    for (let j = i + 1; j < nodes.length; j++) tunnels.push([nodes[i]!, nodes[j]!, overlay.label, overlay.segment]);
  return tunnels;
}

/** The overlay between nodes, when pods' traffic is tunnelled: its name and VNI. */
function overlayLabel(spec: ClusterSpec): { label: string; segment: number | undefined } | undefined {
  const calico = spec.calico;
  if (spec.cni === 'calico' && calico !== undefined) {
    const mode =
      calico.ipipMode !== 'Never'
        ? 'IP-in-IP tunl0'
        : calico.vxlanMode !== 'Never'
          ? 'VXLAN vxlan.calico VNI 4096'
          : undefined;
    return mode === undefined ? undefined : { label: mode, segment: mode.startsWith('VXLAN') ? 4096 : undefined };
  }
  const b = spec.flannel.netConf.backend;
  if (b.type === 'vxlan') return { label: `VXLAN flannel.1 VNI ${b.vni}`, segment: b.vni };
  if (b.type === 'udp') return { label: 'flannel UDP 8285', segment: undefined };
  return undefined;
}
