/**
 * The short label a device shows beside itself in simulation mode ("learned", "flooded", "matched
 * 10.42.1.0/24 via flannel.1", "encapsulated VNI 1", "DNAT to 10.42.1.5:80", "dropped: TTL exceeded"), made
 * from one recorded trace event. The notes' wording belongs to the devices that emit them (link/, net/,
 * control/); the patterns here follow it, and test/dissect-hop-label.test.ts runs the labs and the demo to
 * keep them matching. A note no pattern knows keeps its own text, shortened.
 */
import type { DropReason } from '../../link/trace.js';
import type { TraceEvent } from '../recorder.js';

/** What kind of decision a label reports, for colouring. */
export type HopLabelKind =
  | 'switch' // learned, flooded, forwarded by the MAC table, repeated
  | 'route' // a route matched, delivered locally
  | 'tunnel' // encapsulated or decapsulated
  | 'nat' // DNAT, SNAT, MASQUERADE
  | 'filter' // an iptables verdict
  | 'neighbour' // ARP
  | 'icmp' // an ICMP message sent or answered
  | 'transport' // TCP state, UDP delivery, DNS
  | 'stp' // spanning tree
  | 'drop' // the frame was discarded
  | 'frame' // a frame put on a wire
  | 'other';

/** A device's decision, shortened. */
export interface HopLabel {
  text: string;
  kind: HopLabelKind;
}

/** How a drop reason reads after 'dropped: '. */
const DROP_TEXT: Record<DropReason, string> = {
  'queue-full': 'queue full',
  'link-loss': 'lost on the link',
  'link-down': 'link down',
  'mtu-exceeded': 'MTU exceeded',
  malformed: 'malformed',
  'bad-checksum': 'bad checksum',
  'vlan-mismatch': 'VLAN mismatch',
  'same-port': 'destination on the same port',
  'not-for-us': 'not for us',
  'no-route': 'no route',
  'route-blackhole': 'blackhole route',
  'route-unreachable': 'unreachable route',
  'route-prohibit': 'prohibit route',
  martian: 'martian address',
  'ttl-expired': 'TTL exceeded',
  'arp-timeout': 'no ARP reply',
  'arp-queue-full': 'ARP queue full',
  'no-listener': 'port closed',
  'listen-overflow': 'listen queue full',
  'out-of-window': 'out of window',
  'tcp-paws': 'PAWS: old timestamp',
  'tcp-state': 'TCP state',
  'unhandled-protocol': 'unhandled protocol',
  policy: 'policy',
  'fragment-timeout': 'reassembly timeout',
  'no-fdb-entry': 'no FDB entry',
  'arp-suppressed': 'ARP suppressed',
  'unknown-vni': 'unknown VNI',
  'stp-port-state': 'STP port not forwarding',
};

type Rule = [RegExp, HopLabelKind, (m: RegExpExecArray) => string];

// Ordered: the first match wins. Bridges prefix their notes with their name ("cni0: learned ...").
const RULES: Rule[] = [
  // link/switch.ts, net/bridge.ts
  [/(?:^|: )learned \S+ on \S+/, 'switch', () => 'learned'],
  [/(?:^|: )\S+ moved from \S+ to (\S+)/, 'switch', (m) => `moved to ${m[1]!}`],
  [/(?:^|: )(?:broadcast:? |unknown \S+ )flooded/, 'switch', () => 'flooded'],
  [/(?:^|: )\S+ is on (\S+?)(?: \(MAC table[^)]*\))?: forwarded/, 'switch', (m) => `forwarded to ${m[1]!}`],
  [/^repeated to every other port/, 'switch', () => 'repeated'],
  // net/ip-node.ts
  [/matched route (\S+) (?:via \S+ )?dev ([^\s;]+)/, 'route', (m) => `matched ${m[1]!} via ${m[2]!}`],
  [/ is local: looped back/, 'route', () => 'local'],
  [/^no route to (\S+)/, 'route', (m) => `no route to ${m[1]!}`],
  [/fragmented into (\d+)/, 'route', (m) => `fragmented into ${m[1]!}`],
  [/reassembled from its fragments/, 'route', () => 'reassembled'],
  [/fragment queued for reassembly/, 'route', () => 'fragment queued'],
  [/^path MTU to \S+ is now (\d+)/, 'route', (m) => `path MTU ${m[1]!}`],
  // net/vxlan.ts, net/ipip.ts, control/udp-encap.ts
  [/is behind VTEP (\S+) \((?:static|learned) FDB entry, VNI (\d+)\)/, 'tunnel', (m) => `encapsulated VNI ${m[2]!}`],
  [/head-end replication to (.+)$/, 'tunnel', (m) => `encapsulated to ${m[1]!.split(', ').length} VTEP(s)`],
  [/decapsulated VNI (\d+)/, 'tunnel', (m) => `decapsulated VNI ${m[1]!}`],
  [/learned \S+ is behind VTEP (\S+)/, 'tunnel', (m) => `learned VTEP ${m[1]!}`],
  [/IP-in-IP to (\S+)/, 'tunnel', (m) => `encapsulated IP-in-IP to ${m[1]!}`],
  [/decapsulated IP-in-IP/, 'tunnel', () => 'decapsulated IP-in-IP'],
  [/: UDP to (\S+)/, 'tunnel', (m) => `encapsulated UDP to ${m[1]!}`],
  [/holds a packet for \S+: written into the tun/, 'tunnel', () => 'decapsulated UDP'],
  [/read by the process holding the tun/, 'tunnel', () => 'to flanneld'],
  // net/netfilter
  [/^iptables -t nat \S+: DNAT \S+ -> (\S+)/, 'nat', (m) => `DNAT to ${m[1]!}`],
  [/^iptables -t nat \S+: SNAT \S+ -> (\S+)/, 'nat', (m) => `SNAT to ${m[1]!}`],
  [/^iptables -t nat \S+: MASQUERADE \S+ -> (\S+)/, 'nat', (m) => `masqueraded to ${m[1]!}`],
  [/^iptables -t (\w+) (\S+): (\w+)/, 'filter', (m) => `${m[3]!} in ${m[2]!}`],
  // net/arp-resolver.ts
  [/^ARP who-has (\S+) tell \S+ on/, 'neighbour', (m) => `ARP who-has ${m[1]!}`],
  [/^ARP who-has \S+ tell \S+: that is us, replying/, 'neighbour', () => 'ARP reply'],
  [/^ARP who-has \S+: not ours, ignored/, 'neighbour', () => 'ARP ignored'],
  [/^ARP: (\S+) is at (\S+)/, 'neighbour', (m) => `ARP: ${m[1]!} is at ${m[2]!}`],
  [/^ARP: (\S+) unconfirmed for .* probing/, 'neighbour', (m) => `ARP probe ${m[1]!}`],
  [/not in ARP cache: packet queued/, 'neighbour', () => 'waiting for ARP'],
  [/ARP proxy answers/, 'neighbour', () => 'ARP answered locally'],
  [/proxy ARP/i, 'neighbour', () => 'proxy ARP'],
  // net/local-icmp.ts, net/ip-errors.ts
  [/^echo request from \S+: replying/, 'icmp', () => 'echo reply'],
  [/^sending ICMP (.+?) to \d+\.\d+\.\d+\.\d+/, 'icmp', (m) => `sent ICMP ${m[1]!}`],
  [/: ICMP (.+?) to \S+ written back into the tun/, 'icmp', (m) => `sent ICMP ${m[1]!}`],
  [/^ICMP (.+?) to \S+ not sent: rate limit/, 'icmp', (m) => `ICMP ${m[1]!} rate-limited`],
  [/^TCP reset to/, 'icmp', () => 'sent TCP reset'],
  [/ICMP redirect/, 'icmp', () => 'ICMP redirect'],
  // transport/, apps/
  [/^TCP \S+ > \S+: \S+ -> (\S+)$/, 'transport', (m) => `TCP ${m[1]!}`],
  [/^UDP \S+ -> port (\d+): delivered/, 'transport', (m) => `delivered to port ${m[1]!}`],
  [/^DNS (?:UDP|TCP) query from \S+: (\S+?)\.? (\S+) id/, 'transport', (m) => `DNS query ${m[1]!} ${m[2]!}`],
  [/^DNS answer to \S+: (\w+), (\d+) answers/, 'transport', (m) => `DNS ${m[1]!}, ${m[2]!} answers`],
  // link/stp.ts
  [/^stp: port (\S+) \S+ -> (\S+)/, 'stp', (m) => `STP ${m[1]!} ${m[2]!}`],
  [/^stp: (.*)$/, 'stp', (m) => `STP: ${m[1]!}`],
];

/** Longest label text kept when no rule shortens a note. */
export const HOP_LABEL_MAX = 48;

function shorten(s: string): string {
  return s.length > HOP_LABEL_MAX ? `${s.slice(0, HOP_LABEL_MAX - 1)}…` : s;
}

/** The label of a note's text. */
export function noteLabel(message: string): HopLabel {
  for (const [re, kind, text] of RULES) {
    const m = re.exec(message);
    if (m !== null) return { text: shorten(text(m)), kind };
  }
  return { text: shorten(message), kind: 'other' };
}

/** The label of one trace event: a note's decision, a drop's reason, or where a frame was sent. */
export function hopLabel(event: TraceEvent): HopLabel {
  switch (event.kind) {
    case 'note':
      return noteLabel(event.message);
    case 'drop':
      return { text: `dropped: ${DROP_TEXT[event.reason]}`, kind: 'drop' };
    case 'frame':
      return { text: `${event.inPort === undefined ? 'sent' : 'forwarded'} on ${event.outPort}`, kind: 'frame' };
  }
}
