/**
 * `calicoctl node status`: what calicoctl prints after asking the node's BIRD for `show protocols`
 * (calicoctl/calicoctl/commands/node/status.go in projectcalico/calico). It keeps the BGP rows whose names
 * match `^(Global|Node|Mesh)_(.+)$`, turns the name back into the peer address and a peer type, and prints an
 * olekukonko/tablewriter v0.0.5 table (the library of every released calicoctl up to v3.32; go-pretty, with
 * left-aligned headings, replaced it on the master branch after that; ../calico/tablewriter.ts). The BIRD
 * text itself is views.ts's.
 */
import { renderTableWriter } from '../calico/tablewriter.js';
import { birdShowProtocols, type BirdBgpProtocol, type BirdClock, type BirdOtherProtocol } from './views.js';

/** status.go bgpTypeMap: the display name of each protocol-name prefix. */
const PEER_TYPES: Readonly<Record<string, string>> = {
  Global: 'global',
  Mesh: 'node-to-node mesh',
  Node: 'node specific',
};

/** status.go birdExpectedHeadings: any other heading makes calicoctl give up. */
const EXPECTED_HEADINGS = ['name', 'proto', 'table', 'state', 'since', 'info'];

/** One peer row as status.go's bgpPeer holds it. */
export interface CalicoBgpPeer {
  peerIp: string;
  peerType: string;
  state: string;
  since: string;
  bgpState: string;
  info: string;
}

/** A `show protocols` text calicoctl refuses ("unknown BIRD table output format"). */
export class CalicoStatusError extends Error {}

/**
 * status.go scanBIRDPeers + unmarshalBIRD over BIRD 1.6's `show protocols` text: fields split on white space,
 * column 1 must be `BGP`, the name must match the peer pattern; the info is column 6 on, joined by one space.
 */
export function scanBirdPeers(showProtocols: string): CalicoBgpPeer[] {
  const peers: CalicoBgpPeer[] = [];
  const lines = showProtocols.split('\n').filter((l) => l !== '');
  const heading = lines.shift()?.split(/\s+/) ?? [];
  if (heading.join(' ') !== EXPECTED_HEADINGS.join(' ')) {
    throw new CalicoStatusError('error executing command: unknown BIRD table output format');
  }
  for (const line of lines) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 6 || cols[1] !== 'BGP') continue;
    const m = /^(Global|Node|Mesh)_(.+)$/.exec(cols[0]!);
    const type = m === null ? undefined : PEER_TYPES[m[1]!];
    if (m === null || type === undefined) continue;
    peers.push({
      peerIp: m[2]!.replaceAll('_', '.'),
      peerType: type,
      state: cols[3]!,
      since: cols[4]!,
      bgpState: cols[5]!,
      info: cols.slice(6).join(' '),
    });
  }
  return peers;
}

/** The whole `calicoctl node status` output for an IPv4-only node whose BIRD shows `showProtocols`. */
export function calicoNodeStatusText(showProtocols: string): string {
  const peers = scanBirdPeers(showProtocols);
  const out = ['Calico process is running.', '', 'IPv4 BGP status'];
  if (peers.length === 0) out.push('No IPv4 peers found.');
  else {
    const rows = peers.map((p) => [
      p.peerIp,
      p.peerType,
      p.state,
      p.since,
      p.info === '' ? p.bgpState : `${p.bgpState} ${p.info}`,
    ]);
    out.push(renderTableWriter(['Peer address', 'Peer type', 'State', 'Since', 'Info'], rows).trimEnd());
  }
  // status.go: printBIRDPeers("6") finds no IPv6 peers, then a final fmt.Println()
  out.push('', 'IPv6 BGP status', 'No IPv6 peers found.', '');
  return out.join('\n') + '\n';
}

/** `calicoctl node status` for a node whose speaker has these peers (rendered through Calico's BIRD text). */
export function calicoNodeStatus(
  bgp: readonly BirdBgpProtocol[],
  others: readonly BirdOtherProtocol[],
  clock: BirdClock,
): string {
  return calicoNodeStatusText(birdShowProtocols(bgp, others, clock, 'calico-bird'));
}
