/**
 * Calico's resources read as calicoctl reads them: both apiVersions, the defaults of
 * api/pkg/apis/projectcalico/v3 and libcalico-go clientv3 (blockSize 26, ipipMode/vxlanMode Never,
 * nodeSelector all(), allowedUses Workload+Tunnel; AS 64512, mesh on, port 179; VNI 4096, port 4789),
 * selectors checked with Calico's grammar, "not emulated" warnings by field name, and errors with lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CalicoObject } from '../cluster/calico-resources.js';
import { defaultIpPool } from '../cluster/calico-resources.js';
import { formatCidr, formatIpv4 } from '../wire/addr.js';
import { readManifestDocs } from './manifests.js';
import { formatSpecError, loadYaml } from './source.js';

function read(text: string) {
  const loaded = loadYaml('calico.yaml', text);
  assert.ok(loaded.ok);
  return readManifestDocs(loaded.docs);
}

function objects(text: string): CalicoObject[] {
  const m = read(text);
  assert.deepEqual(m.errors.map(formatSpecError), []);
  return m.objects as CalicoObject[];
}

test('IPPool: Calico’s defaults, at projectcalico.org/v3 and crd.projectcalico.org/v1', () => {
  const [a, b] = objects(
    [
      'apiVersion: projectcalico.org/v3',
      'kind: IPPool',
      'metadata: { name: pool-a }',
      'spec: { cidr: 10.10.0.0/16 }',
      '---',
      'apiVersion: crd.projectcalico.org/v1',
      'kind: IPPool',
      'metadata: { name: master-pool }',
      'spec:',
      '  cidr: 192.168.236.0/26',
      '  ipipMode: Always',
      '  natOutgoing: true',
      '  blockSize: 26',
      "  nodeSelector: kubernetes.io/hostname == 'master'",
    ].join('\n'),
  );
  assert.ok(a?.kind === 'IPPool' && b?.kind === 'IPPool');
  assert.equal(a.metadata.namespace, '');
  assert.deepEqual(
    { ...a.spec, cidr: formatCidr(a.spec.cidr) },
    {
      name: 'pool-a',
      cidr: '10.10.0.0/16',
      blockSize: 26,
      nodeSelector: 'all()',
      disabled: false,
      allowedUses: ['Workload', 'Tunnel'],
      ipipMode: 'Never',
      vxlanMode: 'Never',
      natOutgoing: false,
      disableBGPExport: false,
    },
  );
  assert.equal(b.spec.ipipMode, 'Always');
  assert.equal(b.spec.natOutgoing, true);
  assert.equal(b.spec.nodeSelector, "kubernetes.io/hostname == 'master'");
});

test('the pool calico-node creates follows calico.yaml: 192.168.0.0/16, /26, IPIP Always, natOutgoing', () => {
  const p = defaultIpPool();
  assert.equal(p.name, 'default-ipv4-ippool');
  assert.equal(formatCidr(p.cidr), '192.168.0.0/16');
  assert.deepEqual([p.blockSize, p.ipipMode, p.vxlanMode, p.natOutgoing], [26, 'Always', 'Never', true]);
});

test('BGPConfiguration, BGPPeer, FelixConfiguration and Node: defaults and fields', () => {
  const [conf, peer, rr, felix, node] = objects(
    [
      'apiVersion: projectcalico.org/v3',
      'kind: BGPConfiguration',
      'metadata: { name: default }',
      'spec:',
      '  nodeToNodeMeshEnabled: false',
      '  serviceClusterIPs: [{ cidr: 10.96.0.0/12 }]',
      '---',
      'apiVersion: projectcalico.org/v3',
      'kind: BGPPeer',
      'metadata: { name: tor }',
      'spec: { peerIP: "172.171.5.1:1179", asNumber: 65001, node: master }',
      '---',
      'apiVersion: projectcalico.org/v3',
      'kind: BGPPeer',
      'metadata: { name: peer-with-rr }',
      'spec: { nodeSelector: all(), peerSelector: has(route-reflector) }',
      '---',
      'apiVersion: projectcalico.org/v3',
      'kind: FelixConfiguration',
      'metadata: { name: default }',
      'spec: { ipipEnabled: true }',
      '---',
      'apiVersion: projectcalico.org/v3',
      'kind: Node',
      'metadata: { name: master, labels: { route-reflector: "true" } }',
      'spec:',
      '  bgp:',
      '    ipv4Address: 172.171.5.95/24',
      '    ipv4IPIPTunnelAddr: 192.168.236.0',
      '    routeReflectorClusterID: 244.0.0.1',
      '    asNumber: "1.10"',
    ].join('\n'),
  );
  assert.ok(conf?.kind === 'BGPConfiguration');
  assert.equal(conf.spec.asNumber, 64512);
  assert.equal(conf.spec.nodeToNodeMeshEnabled, false);
  assert.equal(conf.spec.listenPort, 179);
  assert.deepEqual(conf.spec.serviceClusterIPs.map(formatCidr), ['10.96.0.0/12']);
  assert.ok(peer?.kind === 'BGPPeer');
  assert.deepEqual(
    [formatIpv4(peer.spec.peerIP!), peer.spec.peerPort, peer.spec.asNumber, peer.spec.node],
    ['172.171.5.1', 1179, 65001, 'master'],
  );
  assert.ok(rr?.kind === 'BGPPeer');
  assert.equal(rr.spec.peerSelector, 'has(route-reflector)');
  assert.ok(felix?.kind === 'FelixConfiguration');
  assert.deepEqual(felix.spec, {
    name: 'default',
    vxlanVNI: 4096,
    vxlanPort: 4789,
    iptablesBackend: 'Auto',
    ipipEnabled: true,
  });
  assert.ok(node?.kind === 'CalicoNode');
  assert.deepEqual(node.metadata.labels, { 'route-reflector': 'true' });
  assert.equal(formatCidr(node.spec.bgp!.ipv4Address!), '172.171.5.95/24');
  assert.equal(formatIpv4(node.spec.bgp!.routeReflectorClusterID!), '244.0.0.1');
  // asdot "1.10" is 1 * 65536 + 10 (numorstring.ASNumberFromString)
  assert.equal(node.spec.bgp!.asNumber, 65546);
});

test('fields Calico has but podnet does not emulate are warnings naming them', () => {
  const m = read(
    [
      'apiVersion: projectcalico.org/v3',
      'kind: FelixConfiguration',
      'metadata: { name: default }',
      'spec: { bpfEnabled: true }',
      '---',
      'apiVersion: projectcalico.org/v3',
      'kind: BGPPeer',
      'metadata: { name: p }',
      'spec: { peerIP: 10.0.0.1, asNumber: 65000, password: { secretKeyRef: { name: s, key: k } } }',
    ].join('\n'),
  );
  assert.deepEqual(m.errors, []);
  assert.deepEqual(m.warnings.map(formatSpecError), [
    'calico.yaml:4:21: spec.bpfEnabled: bpfEnabled is not emulated by podnet: ignored',
    'calico.yaml:9:54: spec.password: password is not emulated by podnet: ignored',
  ]);
});

test('errors carry file, line and field', () => {
  const errs = read(
    [
      'apiVersion: projectcalico.org/v3', // 1
      'kind: IPPool', // 2
      'metadata: { name: p }', // 3
      'spec:', // 4
      '  cidr: 10.0.0.1/16', // 5: host bits
      '  ipipMode: always', // 6: case matters
      '  nodeSelector: "zone = \'a\'"', // 7: '=' is not an operator
      '  blockSise: 26', // 8: typo
      '---',
      'apiVersion: projectcalico.org/v3', // 10
      'kind: BGPConfiguration', // 11
      'metadata: { name: default }', // 12
      'spec: { asNumber: "x.y" }', // 13
    ].join('\n'),
  ).errors.map(formatSpecError);
  assert.deepEqual(errs, [
    'calico.yaml:8:3: spec.blockSise: unknown field "blockSise" (did you mean "blockSize"?)',
    'calico.yaml:5:9: spec.cidr: IP pool CIDR is not strictly masked',
    'calico.yaml:6:13: spec.ipipMode: "always" is not one of: Always, CrossSubnet, Never',
    'calico.yaml:7:17: spec.nodeSelector: invalid selector "zone = \'a\'": expected ==',
    'calico.yaml:13:19: spec.asNumber: invalid AS Number format (x.y)',
  ]);
});
