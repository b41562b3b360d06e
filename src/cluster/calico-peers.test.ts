/**
 * Tests for confd's peer computation: the notes' two-node mesh, route reflectors from a BGPPeer with
 * peerSelector (the configuration Calico's docs give), and a ToR router as a global peer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpv4 } from '../wire/addr.js';
import { birdPeersOf, parsePeerIp, type CalicoBgpNode, type CalicoBgpSettings } from './calico-peers.js';

const BGP: CalicoBgpSettings = { asNumber: 64512, nodeToNodeMeshEnabled: true };

function node(name: string, ip: string, extra: Partial<CalicoBgpNode> = {}): CalicoBgpNode {
  return { name, ip: parseIpv4(ip)!, labels: {}, ...extra };
}

/** Just enough of Calico's selector syntax for these tests: `k == 'v'` and all(). */
function matches(selector: string, labels: Readonly<Record<string, string>>): boolean {
  if (selector === 'all()') return true;
  const m = /^(\S+) == '([^']*)'$/.exec(selector);
  assert.ok(m, `test selector ${selector}`);
  return labels[m[1]!] === m[2];
}

const short = (p: ReturnType<typeof birdPeersOf>[number]): string =>
  `${p.name} ${p.type}${p.passive ? ' passive' : ''}${p.rrClient ? ` rr-client ${p.rrClusterId}` : ''}`;

test("the notes' two nodes peer in the mesh; the larger address waits for the smaller to connect", () => {
  const nodes = [node('master', '172.171.5.95'), node('node', '172.171.5.96')];
  assert.deepEqual(birdPeersOf(nodes[0]!, nodes, [], BGP, matches).map(short), [
    'Mesh_172_171_5_96 node-to-node mesh passive',
  ]);
  assert.deepEqual(birdPeersOf(nodes[1]!, nodes, [], BGP, matches).map(short), ['Mesh_172_171_5_95 node-to-node mesh']);
  // confd compares the address text: "10.0.0.10" < "10.0.0.9", so .9 waits for .10
  const odd = [node('a', '10.0.0.9'), node('b', '10.0.0.10')];
  assert.deepEqual(birdPeersOf(odd[0]!, odd, [], BGP, matches).map(short), ['Mesh_10_0_0_10 node-to-node mesh']);
});

test('route reflectors: no mesh, every node peers with the reflectors, reflectors treat the rest as clients', () => {
  const rr = { labels: { 'route-reflector': 'true' }, routeReflectorClusterID: '244.0.0.1' };
  const nodes = [
    node('rr1', '10.0.0.1', rr),
    node('rr2', '10.0.0.2', rr),
    node('n3', '10.0.0.3'),
    node('n4', '10.0.0.4'),
  ];
  const bgp = { ...BGP, nodeToNodeMeshEnabled: false };
  const peers = [
    { name: 'peer-with-route-reflectors', nodeSelector: 'all()', peerSelector: "route-reflector == 'true'" },
  ];
  assert.deepEqual(birdPeersOf(nodes[2]!, nodes, peers, bgp, matches).map(short), [
    'Node_10_0_0_1 node specific',
    'Node_10_0_0_2 node specific',
  ]);
  // the reflector: the other reflector (same cluster ID: not a client), then the reverse peerings to the clients
  assert.deepEqual(birdPeersOf(nodes[0]!, nodes, peers, bgp, matches).map(short), [
    'Node_10_0_0_2 node specific passive',
    'Node_10_0_0_3 node specific passive rr-client 244.0.0.1',
    'Node_10_0_0_4 node specific passive rr-client 244.0.0.1',
  ]);
  // with the mesh still on, ordinary nodes mesh among themselves and leave the reflectors out of it
  assert.deepEqual(birdPeersOf(nodes[2]!, nodes, peers, BGP, matches).map(short), [
    'Mesh_10_0_0_4 node-to-node mesh passive',
    'Node_10_0_0_1 node specific',
    'Node_10_0_0_2 node specific',
  ]);
});

test('a ToR router as a global peer on every node, and a node-specific peer with a port', () => {
  const nodes = [node('a', '172.171.5.95', { labels: { rack: 'r1' } }), node('b', '172.171.5.96')];
  const peers = [
    { name: 'tor', peerIP: '172.171.5.1', asNumber: 64513 },
    { name: 'lab', nodeSelector: "rack == 'r1'", peerIP: '127.0.0.1:1790', asNumber: 65000 },
    // a node-specific peering to an address that already has a global one is left out
    { name: 'dup', node: 'a', peerIP: '172.171.5.1', asNumber: 64513 },
  ];
  const a = birdPeersOf(nodes[0]!, nodes, peers, BGP, matches);
  assert.deepEqual(a.map(short), [
    'Mesh_172_171_5_96 node-to-node mesh passive',
    'Global_172_171_5_1 global',
    'Node_127_0_0_1_port_1790 node specific',
  ]);
  assert.deepEqual(
    a.slice(1).map((p) => [p.asn, p.port]),
    [
      [64513, 179],
      [65000, 1790],
    ],
  );
  assert.deepEqual(birdPeersOf(nodes[1]!, nodes, peers, BGP, matches).map(short), [
    'Mesh_172_171_5_95 node-to-node mesh',
    'Global_172_171_5_1 global',
  ]);
});

test('peerIP is an address with an optional port', () => {
  assert.deepEqual(parsePeerIp('10.0.0.1'), { ip: parseIpv4('10.0.0.1') });
  assert.deepEqual(parsePeerIp('10.0.0.1:1790'), { ip: parseIpv4('10.0.0.1'), port: 1790 });
  assert.equal(parsePeerIp('10.0.0.256'), undefined);
  assert.equal(parsePeerIp('10.0.0.1:0'), undefined);
  assert.equal(parsePeerIp('fe80::1'), undefined);
});
