/** Tests for the Cluster document: k3s defaults, Flannel's net-conf.json, the underlay, located errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterSpec } from '../cluster/cluster-spec.js';
import { formatCidr, formatIpv4 } from '../wire/addr.js';
import { loadCluster, parseClusterFiles } from './manifests.js';
import { formatSpecError } from './source.js';

const HEAD = ['apiVersion: podnet.dev/v1alpha1', 'kind: Cluster', 'metadata: { name: c }', 'spec:'];

/** Reads a Cluster document whose spec lines are `spec` (indented by two). */
function read(spec: string[]): { cluster?: ClusterSpec; errors: string[]; warnings: string[] } {
  const r = parseClusterFiles([{ file: 'cluster.yaml', text: [...HEAD, ...spec].join('\n') }]);
  if (!r.ok) return { errors: r.errors.map(formatSpecError), warnings: r.warnings.map(formatSpecError) };
  return { cluster: r.input.cluster, errors: [], warnings: r.input.warnings.map(formatSpecError) };
}

function ok(spec: string[]): ClusterSpec {
  const r = read(spec);
  assert.deepEqual(r.errors, []);
  return r.cluster!;
}

const TWO_NODES = [
  '  nodes:',
  '    - { name: server, address: 192.168.56.11/24 }',
  '    - { name: agent, address: 192.168.56.12/24 }',
];

test("everything left out is k3s's default", () => {
  const c = ok(TWO_NODES);
  assert.equal(formatCidr(c.clusterCIDR), '10.42.0.0/16');
  assert.equal(formatCidr(c.serviceCIDR), '10.43.0.0/16');
  assert.equal(formatIpv4(c.clusterDNS), '10.43.0.10');
  assert.equal(c.clusterDomain, 'cluster.local');
  assert.deepEqual(c.nodePortRange, { min: 30000, max: 32767 });
  assert.equal(c.cni, 'flannel');
  assert.equal(c.flannel.backend, 'vxlan');
  assert.deepEqual(c.flannel.netConf.backend, {
    type: 'vxlan',
    vni: 1,
    port: 8472,
    directRouting: false,
    gbp: false,
    learning: false,
  });
  assert.equal(c.flannel.netConf.subnetLen, 24);
  assert.equal(formatIpv4(c.flannel.netConf.subnetMin), '10.42.1.0');
  assert.equal(formatIpv4(c.flannel.netConf.subnetMax), '10.42.255.0');
  assert.match(c.flannel.netConfText, /"Network": "10\.42\.0\.0\/16"/);
  assert.deepEqual(c.disable, []);
  assert.equal(c.seed, 1);
  assert.deepEqual(c.underlay, { type: 'switch', link: {} });
  assert.deepEqual(
    c.nodes.map((n) => [n.name, n.role, formatCidr(n.address)]),
    [
      ['server', 'server', '192.168.56.11/24'],
      ['agent', 'agent', '192.168.56.12/24'],
    ],
  );
});

test('explicit settings, link properties and labels are read', () => {
  const c = ok([
    '  seed: 7',
    '  nodes:',
    '    - { name: cp, address: 10.0.0.2/24, role: server, labels: { disktype: ssd } }',
    '    - { name: w1, address: 10.0.0.3/24, role: agent }',
    '  flannel: { backend: host-gw }',
    '  clusterCIDR: 10.244.0.0/16',
    '  serviceCIDR: 10.96.0.0/12',
    '  clusterDNS: 10.96.0.10',
    '  clusterDomain: example.internal',
    '  nodePortRange: 31000-31999',
    '  disable: [traefik, servicelb]',
    '  underlay: { link: { latency: 200us, bandwidth: 100Mbps, mtu: 9000 } }',
  ]);
  assert.equal(c.seed, 7);
  assert.deepEqual(c.nodes[0]!.labels, { disktype: 'ssd' });
  assert.equal(c.flannel.backend, 'host-gw');
  assert.deepEqual(c.flannel.netConf.backend, { type: 'host-gw' });
  assert.equal(formatCidr(c.flannel.netConf.network), '10.244.0.0/16');
  assert.equal(formatCidr(c.serviceCIDR), '10.96.0.0/12');
  assert.equal(c.clusterDomain, 'example.internal');
  assert.deepEqual(c.nodePortRange, { min: 31000, max: 31999 });
  assert.deepEqual(c.disable, ['traefik', 'servicelb']);
  assert.deepEqual(c.underlay.link, { latency: 200_000, bandwidth: 100_000_000, mtu: 9000 });
});

test('address rules: no overlaps between pods, services and nodes; cluster DNS inside the service range', () => {
  const r = read([
    '  nodes:', // 5
    '    - { name: a, address: 10.42.7.1/24 }', // 6: inside the default clusterCIDR
    '    - { name: a, address: 10.42.7.1/24 }', // 7: duplicate name and address
    '  serviceCIDR: 10.42.0.0/16', // 8: same as the clusterCIDR
    '  clusterDNS: 10.96.0.10', // 9: not in serviceCIDR
  ]);
  assert.deepEqual(r.errors, [
    'cluster.yaml:7:15: spec.nodes[1].name: duplicate node name "a"',
    "cluster.yaml:7:27: spec.nodes[1].address: 10.42.7.1 is already node a's address",
    'cluster.yaml:9:15: spec.clusterDNS: 10.96.0.10 is not inside serviceCIDR 10.42.0.0/16 (kube-dns is a Service, its address comes from that range)',
    'cluster.yaml:8:16: spec.serviceCIDR: serviceCIDR 10.42.0.0/16 overlaps clusterCIDR 10.42.0.0/16',
    "cluster.yaml:6:27: spec.nodes[0].address: node a's network 10.42.7.0/24 overlaps clusterCIDR 10.42.0.0/16",
    "cluster.yaml:6:27: spec.nodes[0].address: node a's network 10.42.7.0/24 overlaps serviceCIDR 10.42.0.0/16",
    "cluster.yaml:7:27: spec.nodes[1].address: node a's network 10.42.7.0/24 overlaps clusterCIDR 10.42.0.0/16",
    "cluster.yaml:7:27: spec.nodes[1].address: node a's network 10.42.7.0/24 overlaps serviceCIDR 10.42.0.0/16",
  ]);
});

test('more address mistakes: host bits, the kubernetes address as DNS, too many nodes for the pod network, no server', () => {
  assert.deepEqual(read([...TWO_NODES, '  clusterCIDR: 10.42.1.0/16']).errors, [
    'cluster.yaml:8:16: spec.clusterCIDR: host bits are set: did you mean 10.42.0.0/16?',
  ]);
  assert.deepEqual(read([...TWO_NODES, '  clusterDNS: 10.43.0.1']).errors, [
    "cluster.yaml:8:15: spec.clusterDNS: 10.43.0.1 is the kubernetes Service's address (the first of 10.43.0.0/16)",
  ]);
  assert.deepEqual(read([...TWO_NODES, '  serviceCIDR: 10.0.0.0/8']).errors, [
    'cluster.yaml:8:16: spec.serviceCIDR: 10.0.0.0/8 is too large: for IPv4 the mask must be /12 or longer',
    'cluster.yaml:8:16: spec.serviceCIDR: serviceCIDR 10.0.0.0/8 overlaps clusterCIDR 10.42.0.0/16',
  ]);
  const threeNodes = [
    '  nodes:',
    '    - { name: a, address: 192.168.56.11/24 }',
    '    - { name: b, address: 192.168.56.12/24 }',
    '    - { name: c, address: 192.168.56.13/24 }',
  ];
  assert.deepEqual(read([...threeNodes, '  clusterCIDR: 10.42.0.0/23']).errors, [
    'cluster.yaml:9:16: spec.clusterCIDR: 10.42.0.0/23 holds 2 node podCIDRs of /24, fewer than the 3 nodes',
  ]);
  assert.deepEqual(read(['  nodes:', '    - { name: a, address: 192.168.56.11/24, role: agent }']).errors, [
    'cluster.yaml:6:5: spec.nodes: a k3s cluster needs at least one node with role: server',
  ]);
  assert.deepEqual(read(['  nodes:', '    - { name: a, address: 192.168.56.0/24 }']).errors, [
    'cluster.yaml:6:27: spec.nodes[0].address: 192.168.56.0 is the network address of 192.168.56.0/24',
  ]);
  assert.deepEqual(read(['  nodes: []']).errors, ['cluster.yaml:5:10: spec.nodes: a cluster needs at least one node']);
  assert.deepEqual(read([...TWO_NODES, '  cni: weave']).errors, [
    'cluster.yaml:8:8: spec.cni: "weave" is not one of: flannel, calico',
  ]);
});

const NOTES_NODES = [
  '  nodes:',
  '    - { name: master, address: 172.171.5.95/24 }',
  '    - { name: node, address: 172.171.5.96/24, role: agent }',
];

test("cni: calico takes calico.yaml's default pool: 192.168.0.0/16 in /26 blocks, IP-in-IP always, NAT outgoing", () => {
  const c = ok([...NOTES_NODES, '  cni: calico']);
  assert.equal(c.cni, 'calico');
  assert.equal(formatCidr(c.clusterCIDR), '192.168.0.0/16');
  assert.deepEqual(c.calico, { ipipMode: 'Always', vxlanMode: 'Never', natOutgoing: true, blockSize: 26 });
  // BGP mode, as the notes switch it (CALICO_IPV4POOL_IPIP "off", i.e. Never); VXLAN alone turns IP-in-IP off
  assert.equal(ok([...NOTES_NODES, '  cni: calico', '  calico: { ipipMode: Never }']).calico?.ipipMode, 'Never');
  assert.deepEqual(ok([...NOTES_NODES, '  cni: calico', '  calico: { vxlanMode: CrossSubnet }']).calico, {
    ipipMode: 'Never',
    vxlanMode: 'CrossSubnet',
    natOutgoing: true,
    blockSize: 26,
  });
});

test('Calico settings are checked: one encapsulation per pool, no flannel settings, the pool apart from the nodes', () => {
  assert.deepEqual(
    read([...NOTES_NODES, '  cni: calico', '  calico: { ipipMode: Always, vxlanMode: Always }']).errors,
    [
      'cluster.yaml:9:42: spec.calico.vxlanMode: ipipMode Always and vxlanMode Always cannot both be enabled on one pool',
    ],
  );
  assert.deepEqual(read([...NOTES_NODES, '  cni: calico', '  flannel: { backend: vxlan }']).errors, [
    'cluster.yaml:9:12: spec.flannel: flannel settings apply to cni: flannel; this cluster runs calico (k3s --flannel-backend=none)',
  ]);
  assert.deepEqual(read([...NOTES_NODES, '  calico: { ipipMode: Never }']).errors, [
    'cluster.yaml:8:11: spec.calico: calico settings apply to cni: calico; this cluster runs flannel',
  ]);
  assert.deepEqual(read([...NOTES_NODES, '  cni: calico', '  calico: { ipipMode: Sometimes }']).errors, [
    'cluster.yaml:9:23: spec.calico.ipipMode: "Sometimes" is not one of: Always, CrossSubnet, Never',
  ]);
  // the default pool 192.168.0.0/16 holds the usual 192.168.56.x node network
  assert.deepEqual(read([...TWO_NODES, '  cni: calico']).errors, [
    "cluster.yaml:6:32: spec.nodes[0].address: node server's network 192.168.56.0/24 overlaps clusterCIDR 192.168.0.0/16",
    "cluster.yaml:7:31: spec.nodes[1].address: node agent's network 192.168.56.0/24 overlaps clusterCIDR 192.168.0.0/16",
  ]);
});

test('nodes on one switch share a subnet; a routed underlay joins several with a router', () => {
  const apart = [
    '  nodes:',
    '    - { name: a, address: 192.168.56.11/24 }',
    '    - { name: b, address: 192.168.57.12/24 }',
    '    - { name: c, address: 192.168.56.1/24 }',
  ];
  assert.deepEqual(read(apart).errors, [
    "cluster.yaml:7:27: spec.nodes[1].address: node b (192.168.57.12/24) is not in a's subnet 192.168.56.0/24: nodes on one switch share one subnet (set underlay.type: routed to join several subnets with a router)",
  ]);
  const routed = ok([...apart, '  underlay: { type: routed }']);
  assert.equal(routed.underlay.type, 'routed');
  // .1 of 192.168.56.0/24 is node c's, so the router takes .2 there.
  assert.deepEqual(routed.underlay.type === 'routed' && routed.underlay.gateways.map(formatCidr), [
    '192.168.56.2/24',
    '192.168.57.1/24',
  ]);
  const explicit = read([...apart, '  underlay:', '    type: routed', '    gateways: [192.168.56.11/24, 10.9.9.9/24]']);
  assert.deepEqual(explicit.errors, [
    "cluster.yaml:11:16: spec.underlay.gateways[0]: 192.168.56.11 is node a's address",
    "cluster.yaml:11:34: spec.underlay.gateways[1]: 10.9.9.9/24 is in no node's subnet (192.168.56.0/24, 192.168.57.0/24)",
    "cluster.yaml:11:15: spec.underlay.gateways: no router address in 192.168.56.0/24 (node a's subnet)",
    "cluster.yaml:11:15: spec.underlay.gateways: no router address in 192.168.57.0/24 (node b's subnet)",
  ]);
});

test('host-gw over a routed underlay is accepted, with a warning that says why it will fail', () => {
  const text = [
    ...HEAD,
    '  nodes:',
    '    - { name: a, address: 192.168.56.11/24 }',
    '    - { name: b, address: 192.168.57.12/24 }',
    '  flannel: { backend: host-gw }',
    '  underlay: { type: routed }',
  ].join('\n');
  const r = loadCluster([{ file: 'cluster.yaml', text }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatSpecError).join('\n'));
  assert.deepEqual(r.cluster.warnings.map(formatSpecError), [
    "cluster.yaml:8:23: spec.flannel.backend: flannel host-gw needs every node on one L2 segment, but b is not in a's subnet 192.168.56.0/24: routes to pods there cannot be installed (use vxlan, or vxlan with DirectRouting)",
  ]);
});

test("a raw net-conf.json decides the network and backend, checked by Flannel's rules", () => {
  const c = ok([
    ...TWO_NODES,
    '  flannel:',
    '    netConf: |',
    '      {"Network": "10.244.0.0/16", "SubnetLen": 26, "Backend": {"Type": "vxlan", "VNI": 4096, "Port": 4789, "DirectRouting": true}}',
  ]);
  assert.equal(formatCidr(c.clusterCIDR), '10.244.0.0/16', 'clusterCIDR follows the net-conf.json Network');
  assert.equal(c.flannel.netConf.subnetLen, 26);
  assert.deepEqual(c.flannel.netConf.backend, {
    type: 'vxlan',
    vni: 4096,
    port: 4789,
    directRouting: true,
    gbp: false,
    learning: false,
  });
  assert.equal(c.flannel.backend, 'vxlan');

  // ⚠ Without Backend, flanneld's code picks udp (its docs say vxlan): podnet follows the code.
  const udp = ok([...TWO_NODES, '  flannel:', '    netConf: \'{"Network": "10.42.0.0/16"}\'']);
  assert.equal(udp.flannel.backend, 'udp');
  assert.deepEqual(udp.flannel.netConf.backend, { type: 'udp', port: 8285 });
  assert.deepEqual(
    read([...TWO_NODES, '  flannel:', '    backend: vxlan', '    netConf: \'{"Network": "10.42.0.0/16"}\'']).errors,
    [
      'cluster.yaml:9:14: spec.flannel.backend: backend vxlan disagrees with net-conf.json\'s Backend.Type "udp" (no Backend in net-conf.json: flannel then uses udp)',
    ],
  );

  // Errors name the netConf field and the JSON key.
  assert.deepEqual(
    read([
      ...TWO_NODES,
      '  flannel:',
      '    netConf: \'{"Network": "10.42.0.0/16", "SubnetLen": 31, "Backend": {"Type": "vxlan"}}\'',
    ]).errors,
    ['cluster.yaml:9:14: spec.flannel.netConf: net-conf.json SubnetLen: SubnetLen must be less than /31'],
  );
  assert.deepEqual(
    read([
      ...TWO_NODES,
      '  clusterCIDR: 10.42.0.0/16',
      '  flannel:',
      '    netConf: \'{"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan"}}\'',
    ]).errors,
    [
      'cluster.yaml:10:14: spec.flannel.netConf: net-conf.json Network 10.244.0.0/16 differs from spec.clusterCIDR 10.42.0.0/16',
    ],
  );
  const warned = read([
    ...TWO_NODES,
    '  flannel:',
    '    netConf: \'{"Network": "10.42.0.0/16", "Backend": {"Type": "host-gw"}, "Bakcend": 1}\'',
  ]);
  assert.deepEqual(warned.errors, []);
  assert.equal(warned.warnings.length, 1);
  assert.match(
    warned.warnings[0]!,
    /^cluster\.yaml:9:14: spec\.flannel\.netConf: net-conf\.json Bakcend: flannel ignores unknown key "Bakcend"/,
  );
});

test('unknown fields of the Cluster document are errors at the key', () => {
  assert.deepEqual(
    read([...TWO_NODES, '  clusterCidr: 10.42.0.0/16']).errors.map((e) => e.split(' (expected')[0]),
    ['cluster.yaml:8:3: spec.clusterCidr: unknown field "clusterCidr"'],
  );
});

test('spec.internet and spec.outsideClients: defaults, placement in the nodes subnet, located errors', () => {
  const nodes = [
    '  nodes:',
    '    - { name: a, address: 192.168.56.1/24 }',
    '    - { name: b, address: 192.168.56.12/24 }',
  ];
  // the internet router takes the lowest address no node or client holds; no DNS names unless listed
  const plain = ok([...nodes, '  outsideClients: [{ name: laptop, address: 192.168.56.2/24 }]']);
  assert.equal(formatCidr(plain.internet.address), '192.168.56.3/24');
  assert.deepEqual(plain.internet.dns, []);
  assert.deepEqual(
    plain.outsideClients.map((c) => [c.name, formatCidr(c.address)]),
    [['laptop', '192.168.56.2/24']],
  );
  const dns = ok([...nodes, '  internet: { address: 192.168.56.254/24, dns: { example.com: 93.184.215.14 } }']);
  assert.equal(formatCidr(dns.internet.address), '192.168.56.254/24');
  assert.deepEqual(
    dns.internet.dns.map((e) => [e.name, formatIpv4(e.ip)]),
    [['example.com', '93.184.215.14']],
  );
  assert.deepEqual(
    read([
      ...nodes,
      '  internet: { address: 10.0.0.1/24, dns: { example.com: nine } }',
      '  outsideClients:',
      '    - { name: b, address: 192.168.56.40/24 }',
      '    - { name: laptop, address: 192.168.56.12/24 }',
      '    - { name: far, address: 172.16.0.9/24 }',
    ]).errors,
    [
      'cluster.yaml:10:15: spec.outsideClients[0].name: "b" is already the name of a node or host',
      "cluster.yaml:11:32: spec.outsideClients[1].address: 192.168.56.12 is already b's address",
      "cluster.yaml:12:29: spec.outsideClients[2].address: 172.16.0.9/24 is in no node's subnet: outside clients sit on the underlay",
      'cluster.yaml:8:57: spec.internet.dns["example.com"]: "nine" is not an IPv4 address',
      "cluster.yaml:8:24: spec.internet.address: 10.0.0.1/24 is not in the nodes' subnet 192.168.56.0/24",
    ],
  );
});
