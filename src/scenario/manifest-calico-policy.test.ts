/**
 * projectcalico.org/v3 NetworkPolicy and GlobalNetworkPolicy read as calicoctl reads them: order, selector,
 * types (defaulted to Ingress, plus Egress when there are egress rules), rules with action, protocol and
 * source/destination; ports as numbers, "first:last" ranges and names, only with TCP, UDP or SCTP;
 * bad fields are errors with file, line and field; another tier is a warning that names it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CalicoObject } from '../cluster/calico-resources.js';
import { formatCidr } from '../wire/addr.js';
import { readManifestDocs } from './manifests.js';
import { formatSpecError, loadYaml } from './source.js';

function read(text: string) {
  const loaded = loadYaml('policy.yaml', text);
  assert.ok(loaded.ok);
  return readManifestDocs(loaded.docs);
}

test('a namespaced NetworkPolicy and a GlobalNetworkPolicy, with their rules', () => {
  const m = read(
    [
      'apiVersion: projectcalico.org/v3',
      'kind: NetworkPolicy',
      'metadata: { name: allow-web, namespace: prod }',
      'spec:',
      '  order: 100.5',
      "  selector: app == 'web'",
      '  ingress:',
      '    - action: Allow',
      '      protocol: TCP',
      "      source: { namespaceSelector: team == 'a', selector: has(role), notNets: [10.1.0.0/16] }",
      '      destination: { ports: [80, "8000:8080", http], notPorts: [8001] }',
      '  egress:',
      '    - action: Deny',
      '      destination: { nets: [192.0.2.0/24, 198.51.100.7] }',
      '---',
      'apiVersion: crd.projectcalico.org/v1',
      'kind: GlobalNetworkPolicy',
      'metadata: { name: deny-all }',
      'spec: { selector: all(), types: [Ingress, Egress] }',
    ].join('\n'),
  );
  assert.deepEqual(m.errors.map(formatSpecError), []);
  const [np, gnp] = m.objects as CalicoObject[];
  assert.ok(np?.kind === 'CalicoNetworkPolicy' && gnp?.kind === 'GlobalNetworkPolicy');
  assert.equal(np.metadata.namespace, 'prod');
  assert.equal(np.spec.order, 100.5);
  assert.deepEqual(np.spec.types, ['Ingress', 'Egress'], 'egress rules add Egress');
  const r = np.spec.ingress[0]!;
  assert.equal(r.action, 'Allow');
  assert.equal(r.protocol, 'TCP');
  assert.equal(r.source.namespaceSelector, "team == 'a'");
  assert.deepEqual(r.source.notNets.map(formatCidr), ['10.1.0.0/16']);
  assert.deepEqual(r.destination.ports, [{ first: 80, last: 80 }, { first: 8000, last: 8080 }, { name: 'http' }]);
  assert.deepEqual(r.destination.notPorts, [{ first: 8001, last: 8001 }]);
  assert.deepEqual(np.spec.egress[0]!.destination.nets.map(formatCidr), ['192.0.2.0/24', '198.51.100.7/32']);
  assert.equal(gnp.metadata.namespace, '');
  assert.equal(gnp.spec.tier, 'default');
  assert.equal(gnp.spec.order, undefined);
});

test('types default to Ingress alone without egress rules', () => {
  const m = read(
    ['apiVersion: projectcalico.org/v3', 'kind: GlobalNetworkPolicy', 'metadata: { name: g }', 'spec: {}'].join('\n'),
  );
  const [g] = m.objects as CalicoObject[];
  assert.ok(g?.kind === 'GlobalNetworkPolicy');
  assert.deepEqual(g.spec.types, ['Ingress']);
  assert.equal(g.spec.selector, '');
});

test('errors carry file, line and field', () => {
  const errs = read(
    [
      'apiVersion: projectcalico.org/v3', // 1
      'kind: GlobalNetworkPolicy', // 2
      'metadata: { name: g }', // 3
      'spec:', // 4
      '  order: high', // 5
      "  selector: app = 'x'", // 6
      '  ingress:', // 7
      '    - action: allow', // 8: case matters
      '    - action: Allow', // 9
      '      destination: { ports: [80] }', // 10: ports without a protocol
      '    - action: Deny', // 11
      '      protocol: TCP', // 12
      '      source: { nets: [10.0.0.0/33] }', // 13
      '      destination: { ports: ["90:80"] }', // 14
      '    - protocol: UDP', // 15: no action
      '  egres: []', // 16: typo
    ].join('\n'),
  ).errors.map(formatSpecError);
  assert.deepEqual(errs, [
    'policy.yaml:16:3: spec.egres: unknown field "egres" (did you mean "egress"?)',
    'policy.yaml:5:10: spec.order: order must be a number, got "high"',
    'policy.yaml:6:13: spec.selector: invalid selector "app = \'x\'": expected ==',
    'policy.yaml:8:15: spec.ingress[0].action: "allow" is not one of: Allow, Deny, Log, Pass',
    'policy.yaml:10:29: spec.ingress[1].destination.ports: rules that specify ports must set protocol to TCP, UDP or SCTP',
    'policy.yaml:13:24: spec.ingress[2].source.nets[0]: "10.0.0.0/33" is not an IPv4 CIDR',
    'policy.yaml:14:30: spec.ingress[2].destination.ports[0]: invalid port "90:80": a number, a range "first:last", or a port name',
    'policy.yaml:15:7: spec.ingress[3].action: action is required (Allow, Deny, Log or Pass)',
  ]);
});

test('another tier is a warning naming it; fields not emulated are warnings naming them', () => {
  const m = read(
    [
      'apiVersion: projectcalico.org/v3',
      'kind: GlobalNetworkPolicy',
      'metadata: { name: security.g }',
      'spec: { tier: security, serviceAccountSelector: "x == \'y\'", ingress: [{ action: Allow, icmp: { type: 8 } }] }',
    ].join('\n'),
  );
  assert.deepEqual(m.errors, []);
  assert.deepEqual(m.warnings.map(formatSpecError), [
    'policy.yaml:4:49: spec.serviceAccountSelector: serviceAccountSelector is not emulated by podnet: ignored',
    'policy.yaml:4:94: spec.ingress[0].icmp: icmp is not emulated by podnet: ignored',
    'policy.yaml:4:15: spec.tier: tier "security" is not emulated by podnet (only the default tier is): this policy is not enforced',
  ]);
});
