/**
 * The per-hop decision labels of simulation mode, from the notes devices really emit: a table of notes
 * copied from runs of the examples and the cluster demo (device in the comment), then the demo and two labs
 * run again so that every note they emit still gets a label of a known kind (a device rewording its note
 * shows up here), and the six example labels come out of real runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runDemo } from '../src/cli/demo.js';
import { hopLabel, noteLabel } from '../src/observe/dissect/index.js';
import { TraceRecorder, type TraceEvent } from '../src/observe/recorder.js';
import { runLab } from '../src/scenario/run.js';
import { EXAMPLES_DIR, loadExample } from './support/examples.js';

const NOTES: [string, string][] = [
  // cluster-demo.yaml (flannel vxlan): underlay switch, cni0 bridges, agent routing into flannel.1
  ['learned 02:fe:00:00:02:00 on laptop (VLAN 1)', 'learned'],
  ['cni0: learned 22:c9:3d:1c:99:89 on veth681eb7f9', 'learned'],
  ['broadcast: flooded in VLAN 1 to internet, laptop, p1', 'flooded'],
  ['cni0: broadcast flooded to vetha15f09ac, vethdab9699a, veth27199006, veth8aec41f4', 'flooded'],
  ['br0: unknown 52:54:00:00:00:05 flooded to vnet0', 'flooded'],
  ['02:fe:00:00:02:00 is on laptop (MAC table, VLAN 1): forwarded', 'forwarded to laptop'],
  ['cni0: 22:c9:3d:1c:99:89 is on veth681eb7f9: forwarded', 'forwarded to veth681eb7f9'],
  [
    '10.42.0.3 matched route 10.42.0.0/24 via 10.42.0.0 dev flannel.1 onlink; TTL 64 -> 63',
    'matched 10.42.0.0/24 via flannel.1',
  ],
  ['10.0.1.2 matched route 10.0.1.0/24 via 192.168.255.2 dev eth1; TTL 64 -> 63', 'matched 10.0.1.0/24 via eth1'],
  ['10.244.1.2 matched route default via 10.244.0.1 dev eth0', 'matched default via eth0'],
  ['flannel.1: 4e:bf:15:c8:3f:5a is behind VTEP 192.168.56.11 (static FDB entry, VNI 1)', 'encapsulated VNI 1'],
  ['flannel.1: decapsulated VNI 1 from 192.168.56.12', 'decapsulated VNI 1'],
  ["tunl0: IP-in-IP to 192.168.0.12 (the route's gateway)", 'encapsulated IP-in-IP to 192.168.0.12'],
  [
    'flannel0: 10.244.1.2 is in 10.244.1.0/24 leased by 192.168.0.12: UDP to 192.168.0.12:8285 (inner TTL 63 -> 62)',
    'encapsulated UDP to 192.168.0.12:8285',
  ],
  [
    'iptables -t nat KUBE-SEP-KHNSQKPVDQB2LPD3: DNAT 10.43.237.236:80 -> 10.42.0.3:80 by "-A KUBE-SEP-KHNSQKPVDQB2LPD3 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.42.0.3:80"',
    'DNAT to 10.42.0.3:80',
  ],
  [
    'iptables -t nat POSTROUTING: MASQUERADE 10.10.0.1:39276 -> 203.0.113.1:39276 by "-A POSTROUTING -s 10.10.0.0/24 -o eth1 -j MASQUERADE"',
    'masqueraded to 203.0.113.1:39276',
  ],
  ['iptables -t filter FORWARD: ACCEPT by "-A FORWARD -i vxlan100 -o eth1 -j ACCEPT"', 'ACCEPT in FORWARD'],
  ['ARP who-has 10.42.0.3 tell 10.42.0.1 on cni0 (try 1)', 'ARP who-has 10.42.0.3'],
  ['ARP who-has 10.0.0.53 tell 10.0.0.2: that is us, replying 02:00:00:00:02:01', 'ARP reply'],
  ['sending ICMP time exceeded in-transit to 10.0.0.2', 'sent ICMP time exceeded in-transit'],
  ['sending ICMP unreachable - need to frag to 10.244.0.2 (next-hop MTU 1480)', 'sent ICMP unreachable - need to frag'],
  ['3028 bytes > MTU 1450 of eth0: fragmented into 3', 'fragmented into 3'],
  ['stp: port p1 learning -> forwarding', 'STP p1 forwarding'],
  [
    'DNS UDP query from 10.42.1.5:32768: web.default.svc.cluster.local. A id 28592',
    'DNS query web.default.svc.cluster.local A',
  ],
];

test('notes devices emit get the short labels of simulation mode', () => {
  for (const [note, label] of NOTES) assert.equal(noteLabel(note).text, label, note);
  assert.equal(noteLabel('a note nobody has written yet').kind, 'other');
  assert.equal(noteLabel('x'.repeat(100)).text.length, 48);
});

test('drops read "dropped: <reason>"; frames say where they went', () => {
  const drop: TraceEvent = {
    kind: 'drop',
    time: 0,
    device: 'router1',
    port: 'eth0',
    reason: 'ttl-expired',
    detail: 'TTL 1 on arrival',
  };
  assert.deepEqual(hopLabel(drop), { text: 'dropped: TTL exceeded', kind: 'drop' });
  assert.equal(hopLabel({ ...drop, reason: 'no-route' }).text, 'dropped: no route');
  const frame = { kind: 'frame', time: 0, device: 'sw1', inPort: 'p1', outPort: 'p2' } as const;
  const summary = { srcMac: '', dstMac: '', ethertype: 'IPv4', protocol: 'UDP', info: '', length: 60 };
  assert.equal(hopLabel({ ...frame, frame: summary }).text, 'forwarded on p2');
  assert.equal(hopLabel({ ...frame, inPort: undefined, frame: summary }).text, 'sent on p2');
});

test("the demo and the labs: every note has a known label, and the issue's six labels appear", async () => {
  const events: TraceEvent[] = [];
  for (const name of ['two-subnets.yaml', 'vxlan-nat-gateway.yaml', 'udp-encap.yaml']) {
    const rec = new TraceRecorder();
    runLab(loadExample(name), { prepare: (lab) => (lab.network.tracer = rec) });
    events.push(...rec.events);
  }
  const r = await runDemo({
    file: join(EXAMPLES_DIR, 'cluster-demo.yaml'),
    backend: 'vxlan',
    compare: false,
    pcap: false,
    json: true,
    explain: false,
  });
  assert.equal(r.status, 0, r.text);
  const walk = (o: unknown): void => {
    if (o === null || typeof o !== 'object') return;
    const ev = (o as { events?: unknown }).events;
    if (Array.isArray(ev)) events.push(...(ev as TraceEvent[]));
    for (const v of Object.values(o)) walk(v);
  };
  walk(r.json);
  const unknown = events.flatMap((e) => (e.kind === 'note' && hopLabel(e).kind === 'other' ? [e.message] : []));
  assert.deepEqual([...new Set(unknown)], [], 'notes without a label pattern (src/observe/dissect/hop-label.ts)');
  const labels = new Set(events.map((e) => hopLabel(e).text));
  for (const want of [
    'learned',
    'flooded',
    'matched 10.42.0.0/24 via flannel.1',
    'encapsulated VNI 1',
    'DNAT to 10.42.0.3:80',
    'dropped: TTL exceeded',
  ])
    assert.ok(labels.has(want), `no "${want}" among ${labels.size} labels`);
});
