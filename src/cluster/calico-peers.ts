/**
 * Which BGP sessions BIRD runs on each Calico node, worked out as calico-node's confd does it
 * (confd/pkg/backends/calico/client.go updatePeersV1 and bgp_processor.go processPeers): the node-to-node
 * mesh unless BGPConfiguration turns it off, global BGPPeers (no node or nodeSelector) on every node,
 * node-specific BGPPeers on the nodes they select, the automatic reverse peering of a peer that selects
 * Calico nodes, route reflector clients for a node with a routeReflectorClusterID, and who connects
 * (the lexically smaller address; the other side is passive).
 */
import { formatIpv4, type Ipv4 } from '../wire/addr.js';

/** What confd knows of a Calico node (its projectcalico.org/v3 Node and the Kubernetes labels). */
export interface CalicoBgpNode {
  name: string;
  /** spec.bgp.ipv4Address's address. */
  ip: Ipv4;
  /** spec.bgp.asNumber, when the node overrides the global AS. */
  asNumber?: number;
  /** spec.bgp.routeReflectorClusterID: this node is a route reflector. */
  routeReflectorClusterID?: string;
  labels: Readonly<Record<string, string>>;
}

/** A BGPPeer's spec, as far as peering goes. */
export interface CalicoBgpPeerSpec {
  name: string;
  /** spec.node: the one node this peering is for. */
  node?: string;
  /** spec.nodeSelector: the nodes this peering is for. */
  nodeSelector?: string;
  /** spec.peerIP, as given ("10.0.0.1" or "10.0.0.1:1790"). */
  peerIP?: string;
  /** spec.peerSelector: the Calico nodes to peer with. */
  peerSelector?: string;
  /** spec.asNumber (required with peerIP). */
  asNumber?: number;
}

/** One BIRD `protocol bgp` block of a node's bird.cfg. */
export interface BirdPeer {
  /** BIRD's protocol name: Mesh_10_0_0_2, Node_10_0_0_2, Global_10_0_0_2 (plus _port_N with a port). */
  name: string;
  /** calicoctl node status's PEER TYPE. */
  type: 'node-to-node mesh' | 'node specific' | 'global';
  ip: Ipv4;
  port: number;
  asn: number;
  /** BIRD does not connect; it waits (confd makes the mesh one-way: the larger address waits). */
  passive: boolean;
  /** `rr client; rr cluster id X;`: this node reflects routes to the peer. */
  rrClient: boolean;
  /** This node's cluster ID, when rrClient. */
  rrClusterId?: string;
}

/** The global BGP settings (BGPConfiguration "default"). */
export interface CalicoBgpSettings {
  /** asNumber: 64512 unless set. */
  asNumber: number;
  /** nodeToNodeMeshEnabled: true unless set. */
  nodeToNodeMeshEnabled: boolean;
  /** listenPort, when BGPConfiguration sets it (BIRD then listens there, and peers name the port). */
  listenPort?: number;
}

/** Decides whether a Calico selector matches a node's labels (selector.ts). */
export type NodeSelectorMatch = (selector: string, labels: Readonly<Record<string, string>>) => boolean;

/** The peers BIRD has on `self`, in bird.cfg's order: mesh peers (by address), then global, then node-specific. */
export function birdPeersOf(
  self: CalicoBgpNode,
  nodes: readonly CalicoBgpNode[],
  peers: readonly CalicoBgpPeerSpec[],
  bgp: CalicoBgpSettings,
  matches: NodeSelectorMatch,
): BirdPeer[] {
  const selfAs = self.asNumber ?? bgp.asNumber;
  const clusterId = self.routeReflectorClusterID;
  const out: BirdPeer[] = [];
  const selfText = formatIpv4(self.ip);
  const nodeByIp = new Map(nodes.map((n) => [n.ip, n]));
  // processMeshPeers: a route reflector has no mesh; the mesh leaves route reflectors out
  if (bgp.nodeToNodeMeshEnabled && clusterId === undefined) {
    const mesh = nodes
      .filter((n) => n.name !== self.name && n.ip !== self.ip && n.routeReflectorClusterID === undefined)
      .sort((a, b) => a.ip - b.ip);
    for (const n of mesh) {
      const ip = formatIpv4(n.ip);
      out.push({
        name: birdProtocolName('Mesh', n.ip),
        type: 'node-to-node mesh',
        ip: n.ip,
        port: bgp.listenPort ?? BGP_DEFAULT_PORT,
        asn: n.asNumber ?? bgp.asNumber,
        // "Make mesh unidirectional to avoid race conditions": a string comparison, as confd does it
        passive: ip > selfText,
        rrClient: false,
      });
    }
  }
  // updatePeersV1: global peerings first, then node-specific ones (a node-specific one to an address that
  // already has a global peering is skipped), then the reverse peerings of peers that select Calico nodes
  const seen = new Set<string>();
  const emit = (p: BirdPeer, global: boolean): void => {
    // confd keys peerings by address and port: a node-specific one never doubles a global one
    const key = p.name.replace(/^(Global|Node)_/, '');
    if (seen.has(key) || p.ip === self.ip) return;
    seen.add(key);
    const peerNode = nodeByIp.get(p.ip);
    // buildPeerFromData: a route reflector reflects to iBGP peers outside its cluster
    const ibgp = p.asn === selfAs;
    const rrClient =
      ibgp && clusterId !== undefined && (peerNode === undefined || peerNode.routeReflectorClusterID !== clusterId);
    out.push({
      ...p,
      type: global ? 'global' : 'node specific',
      rrClient,
      ...(rrClient ? { rrClusterId: clusterId } : {}),
      // a Calico node on the other side: the larger address waits, as in the mesh
      passive: peerNode !== undefined && formatIpv4(p.ip) > selfText,
    });
  };
  const asTarget = (n: CalicoBgpNode): Target => ({ ip: n.ip, port: bgp.listenPort, asn: n.asNumber ?? bgp.asNumber });
  const peerTargets = (spec: CalicoBgpPeerSpec): Target[] => {
    if (spec.peerSelector !== undefined)
      return nodes.filter((n) => matches(spec.peerSelector!, n.labels)).map(asTarget);
    const parsed = parsePeerIp(spec.peerIP ?? '');
    if (parsed === undefined) return [];
    // no port given: a Calico node at that address is reached on the listen port
    return [{ ip: parsed.ip, port: parsed.port ?? bgp.listenPort, asn: spec.asNumber ?? bgp.asNumber }];
  };
  const appliesTo = (spec: CalicoBgpPeerSpec, n: CalicoBgpNode): boolean =>
    spec.nodeSelector !== undefined
      ? matches(spec.nodeSelector, n.labels)
      : spec.node !== undefined
        ? spec.node === n.name
        : true;
  for (const global of [true, false]) {
    for (const spec of peers) {
      if (global !== (spec.node === undefined && spec.nodeSelector === undefined)) continue;
      if (!appliesTo(spec, self)) continue;
      for (const t of peerTargets(spec)) emit(protocol(global ? 'Global' : 'Node', t), global);
    }
  }
  // the second pass: a node this BGPPeer names as a peer peers back with the nodes the BGPPeer is for
  for (const spec of peers) {
    const isPeer =
      spec.peerSelector !== undefined
        ? matches(spec.peerSelector, self.labels)
        : (() => {
            const p = parsePeerIp(spec.peerIP ?? '');
            return p !== undefined && p.ip === self.ip && (spec.asNumber ?? bgp.asNumber) === selfAs;
          })();
    if (!isPeer) continue;
    for (const n of nodes) if (n.name !== self.name && appliesTo(spec, n)) emit(protocol('Node', asTarget(n)), false);
  }
  return out;
}

/** BGP's port. */
const BGP_DEFAULT_PORT = 179;

/** A peer address with the port when one is set (which then appears in the protocol's name). */
interface Target {
  ip: Ipv4;
  port: number | undefined;
  asn: number;
}

function protocol(prefix: 'Global' | 'Node', t: Target): BirdPeer {
  return {
    name: birdProtocolName(prefix, t.ip, t.port),
    type: prefix === 'Global' ? 'global' : 'node specific',
    ip: t.ip,
    port: t.port ?? BGP_DEFAULT_PORT,
    asn: t.asn,
    passive: false,
    rrClient: false,
  };
}

/**
 * BIRD's protocol name for a peer as confd writes it (bgp_processor.go): `Mesh_10_0_0_2`, `Node_10_0_0_2`,
 * `Global_10_0_0_2`, with `_port_N` when the peering names a port.
 */
export function birdProtocolName(prefix: 'Mesh' | 'Node' | 'Global', ip: Ipv4, port?: number): string {
  return `${prefix}_${formatIpv4(ip).replaceAll('.', '_')}${port !== undefined ? `_port_${port}` : ''}`;
}

/** A BGPPeer's peerIP: an address, or address:port. */
export function parsePeerIp(text: string): { ip: Ipv4; port?: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::(\d{1,5}))?$/.exec(text.trim());
  if (m === null) return undefined;
  const parts = [m[1], m[2], m[3], m[4]].map(Number);
  if (parts.some((x) => x > 255)) return undefined;
  const ip = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  if (m[5] === undefined) return { ip };
  const port = Number(m[5]);
  return port >= 1 && port <= 65535 ? { ip, port } : undefined;
}
