/**
 * What Linux or real gear would refuse, the lab refuses too, with the tool's words: a multicast MAC on an
 * interface, a route prefix with host bits set (both checked with iproute2 6.1 in a network namespace),
 * a link to a switch or hub port that is not declared, a port name given twice, a link from a port to
 * itself. And every problem in a file is reported, not only the first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLab } from './lab.js';
import { formatSpecError } from './source.js';

/** A lab with hosts A (lines 6-8) and its routes, then `nodes` and `links` (SW: switch sw1 with p1, p2 and hub hub1 with h1, h2). */
function lab(nodes: string[], links: string[], routes: string[] = []): string {
  return [
    'apiVersion: podnet.dev/v1alpha1', // 1
    'kind: Lab', // 2
    'metadata: { name: t }', // 3
    'spec:', // 4
    '  nodes:', // 5
    '    - name: A', // 6
    '      kind: host', // 7
    '      interfaces: [{ name: eth0, address: 10.0.0.1/24 }]', // 8
    ...(routes.length > 0 ? ['      routes:', ...routes] : []),
    ...nodes,
    ...(links.length > 0 ? ['  links:', ...links] : ['  links: []']),
    '',
  ].join('\n');
}

function errors(text: string): string[] {
  const r = parseLab('t.yaml', text);
  return r.ok ? [] : r.errors.map(formatSpecError);
}

const SW = ['    - { name: sw1, kind: switch, ports: [p1, p2] }', '    - { name: hub1, kind: hub, ports: [h1, h2] }'];

test('a multicast or all-zero MAC on an interface: "Cannot assign requested address", as ip link set says', () => {
  const text = lab(
    [
      '    - name: B', // 9
      '      kind: host', // 10
      '      interfaces:', // 11
      '        - { name: eth0, mac: "01:00:5e:00:00:01" }', // 12
      '        - { name: eth1, mac: "00:00:00:00:00:00" }', // 13
      '        - { name: eth2, mac: "02:00:00:00:00:01" }', // 14: locally administered unicast is fine
      '      bridges: [{ name: br0, ports: [eth2], mac: "ff:ff:ff:ff:ff:ff" }]', // 15
    ],
    [],
  );
  assert.deepEqual(errors(text), [
    't.yaml:12:30: spec.nodes[1].interfaces[0].mac: Cannot assign requested address: 01:00:5e:00:00:01 is a multicast address; an interface needs a unicast MAC',
    't.yaml:13:30: spec.nodes[1].interfaces[1].mac: Cannot assign requested address: 00:00:00:00:00:00 is the all-zero address; an interface needs a unicast MAC',
    't.yaml:15:50: spec.nodes[1].bridges[0].mac: Cannot assign requested address: ff:ff:ff:ff:ff:ff is a multicast address; an interface needs a unicast MAC',
  ]);
});

test('a route prefix with host bits set: "Invalid prefix for given prefix length", as ip route add says', () => {
  const text = lab([], [], ['        - { to: 10.5.5.5/16, dev: eth0 }', '        - { to: 10.6.0.0/16, dev: eth0 }']);
  assert.deepEqual(errors(text), [
    't.yaml:10:17: spec.nodes[0].routes[0].to: Invalid prefix for given prefix length: 10.5.5.5/16 has host bits set (the prefix is 10.5.0.0/16)',
  ]);
});

test('a link to a switch or hub port that is not declared is refused, naming the ports there are', () => {
  const text = lab(SW, ['    - { a: A:eth0, b: sw1:p9 }', '    - { a: sw1:p1, b: hub1:h3 }']);
  assert.deepEqual(errors(text), [
    't.yaml:12:23: spec.links[0].b: sw1 has no port "p9" (has: p1, p2)',
    't.yaml:13:23: spec.links[1].b: hub1 has no port "h3" (has: h1, h2)',
  ]);
});

test('a port name given twice on a switch or hub is an error, not a crash', () => {
  const text = lab(
    [
      '    - { name: sw1, kind: switch, ports: [p1, { name: p1, vlan: 2 }] }', // 9
      '    - { name: hub1, kind: hub, ports: [h1, h1] }', // 10
    ],
    ['    - { a: A:eth0, b: sw1:p1 }'],
  );
  assert.deepEqual(errors(text), [
    't.yaml:9:54: spec.nodes[1].ports[1].name: duplicate port "p1"',
    't.yaml:10:44: spec.nodes[2].ports[1]: duplicate port "h1"',
  ]);
});

test('a link from a port to itself says so (not "already used by another link")', () => {
  const text = lab(SW, ['    - { a: sw1:p1, b: sw1:p1 }']);
  assert.deepEqual(errors(text), ['t.yaml:12:23: spec.links[0].b: a link cannot connect sw1:p1 to itself']);
});

test('every problem in a lab is reported at once', () => {
  const text = lab(
    SW,
    ['    - { a: A:eth0, b: sw1:p9 }', '    - { a: sw1:p1, b: sw1:p1 }', '    - { a: B:eth0, b: hub1:h1 }'],
    ['        - { to: 10.5.5.5/16, dev: eth0 }'],
  );
  assert.equal(errors(text).length, 4, errors(text).join('\n'));
});

test('a VLAN device needs an interface of its node as its link, a VID in 1-4094, and a name and VID of its own', () => {
  const text = lab(
    [
      '    - name: R', // 9
      '      kind: router', // 10
      '      interfaces: [{ name: eth0 }]', // 11
      '      vlans:', // 12
      '        - { name: eth0.10, link: eth0, id: 10 }', // 13
      '        - { name: eth1.10, link: eth1, id: 10 }', // 14
      '        - { name: eth0.4095, link: eth0, id: 4095 }', // 15
      '        - { name: eth0.10, link: eth0, id: 11 }', // 16
      '        - { name: again, link: eth0, id: 10 }', // 17
    ],
    [],
  );
  assert.deepEqual(errors(text), [
    't.yaml:14:34: spec.nodes[1].vlans[1].link: no interface eth1 on this node (a VLAN device sits on one of: eth0)',
    't.yaml:15:46: spec.nodes[1].vlans[2].id: 4095 is out of range: must be between 1 and 4094',
    't.yaml:16:19: spec.nodes[1].vlans[3].name: device name eth0.10 is already used on this node',
    't.yaml:17:42: spec.nodes[1].vlans[4].id: eth0 already has a VLAN device with id 10',
  ]);
});

test('a Kubernetes or Calico object alone is named as such, with what to add, not checked as a Lab field by field', () => {
  const pod = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata: { name: web }',
    'spec: { containers: [{ name: c, image: nginx }] }',
  ];
  assert.deepEqual(errors(pod.join('\n')), [
    't.yaml:2:7: kind: Pod (v1) is not a podnet Lab: podnet runs Kubernetes and Calico objects in a cluster, so add a Cluster document (apiVersion: podnet.dev/v1alpha1, kind: Cluster) with the nodes to this file, or write a Lab (apiVersion: podnet.dev/v1alpha1, kind: Lab)',
  ]);
  const pool = ['apiVersion: projectcalico.org/v3', 'kind: IPPool', 'spec: { cidr: 10.0.0.0/16 }'];
  assert.match(
    errors(pool.join('\n')).join('\n'),
    /^t\.yaml:2:7: kind: IPPool \(projectcalico\.org\/v3\) is not a podnet Lab: /,
  );
  // podnet's own apiVersion with a kind it lacks is a Lab with a mistake: its fields are checked as a Lab's
  const typo = ['apiVersion: podnet.dev/v1alpha1', 'kind: Labb', 'metadata: { name: t }', 'spec: { nodes: [] }'];
  assert.deepEqual(errors(typo.join('\n')), ['t.yaml:2:7: kind: must be Lab']);
});
