/**
 * `calicoctl node status`: what calicoctl prints after asking the node's BIRD for `show protocols`
 * (calicoctl/calicoctl/commands/node/status.go in projectcalico/calico). It keeps the BGP rows whose names
 * match `^(Global|Node|Mesh)_(.+)$`, turns the name back into the peer address and a peer type, and prints an
 * olekukonko/tablewriter v0.0.5 table (the library of every released calicoctl up to v3.32; go-pretty, with
 * left-aligned headings, replaced it on the master branch after that). The BIRD text itself is views.ts's.
 */
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
    out.push(...renderTable(['Peer address', 'Peer type', 'State', 'Since', 'Info'], rows));
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

/** tablewriter v0.0.5 cells wrap at 30 columns (MAX_ROW_WIDTH) unless a single word is longer. */
const MAX_CELL_WIDTH = 30;

/**
 * tablewriter v0.0.5's Render with its defaults: ASCII borders, headings upper-cased and centred (the extra
 * space on the right), cells left-aligned (these cells are never numbers, which it would right-align), long
 * cells wrapped with minimal raggedness, the other cells of a wrapped row left blank.
 */
export function renderTable(headings: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const cells = rows.map((r) => r.map((c) => wrapCell(c)));
  const widths = headings.map((h, i) =>
    Math.max(h.length, ...cells.map((r) => Math.max(...(r[i] ?? ['']).map((l) => l.length)))),
  );
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const center = (s: string, w: number): string => {
    const left = Math.floor((w - s.length) / 2);
    return ' '.repeat(Math.max(0, left)) + s + ' '.repeat(Math.max(0, w - s.length - left));
  };
  const out = [rule, '|' + headings.map((h, i) => ` ${center(h.toUpperCase(), widths[i]!)} `).join('|') + '|', rule];
  for (const r of cells) {
    const height = Math.max(...r.map((c) => c.length));
    for (let line = 0; line < height; line++) {
      out.push('|' + widths.map((w, i) => ` ${(r[i]?.[line] ?? '').padEnd(w)} `).join('|') + '|');
    }
  }
  out.push(rule);
  return out;
}

/** tablewriter's parseDimension + WrapString: a cell wider than 30 is wrapped at min(width, 30). */
function wrapCell(text: string): string[] {
  if (text.length <= MAX_CELL_WIDTH) return [text];
  const words = text.split(' ');
  const lim = Math.max(MAX_CELL_WIDTH, ...words.map((w) => w.length));
  return wrapWords(words, lim).map((l) => l.join(' '));
}

/** tablewriter's WrapWords: the line breaks with the least total squared slack (too-long lines cost 1e5 more). */
function wrapWords(words: readonly string[], lim: number): string[][] {
  const n = words.length;
  const len = (i: number, j: number): number => {
    let total = j - i; // the spaces
    for (let k = i; k <= j; k++) total += words[k]!.length;
    return total;
  };
  const cost = new Array<number>(n).fill(2 ** 31 - 1);
  const brk = new Array<number>(n).fill(n);
  for (let i = n - 1; i >= 0; i--) {
    if (len(i, n - 1) <= lim) {
      cost[i] = 0;
      brk[i] = n;
      continue;
    }
    for (let j = i + 1; j < n; j++) {
      const d = lim - len(i, j - 1);
      let c = d * d + cost[j]!;
      if (len(i, j - 1) > lim) c += 1e5;
      if (c < cost[i]!) {
        cost[i] = c;
        brk[i] = j;
      }
    }
  }
  const lines: string[][] = [];
  for (let i = 0; i < n; i = brk[i]!) lines.push(words.slice(i, brk[i]));
  return lines;
}
