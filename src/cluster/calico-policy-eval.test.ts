/**
 * Calico's policy judge. For worlds with only Kubernetes NetworkPolicy (converted as Calico converts them,
 * calico-policy.ts) it must agree with the Kubernetes judge (netpol-eval.ts) on every pair: fast-check
 * generates random policies over the e2e suite's world (namespaces x, y, z with pods a, b, c on 80 and 81,
 * named ports serve-80-tcp and serve-81-tcp) and compares the two verdicts for TCP 80/81, UDP 80, SCTP 81,
 * ICMP and an address outside the cluster. Calico's own semantics (order, Deny, Pass, Log, notNets,
 * notSelector, global policies) are checked case by case against what Calico's documentation says.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCidr, parseIpv4, type Ipv4 } from '../wire/addr.js';
import { calicoWorkloadLabels } from '../control/calico/felix-policy-model.js';
import type {
  LabelSelector,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicyRule,
} from './k8s-objects.js';
import { evaluateNetpol, type NetpolPod, type NetpolProtocol } from './netpol-eval.js';
import { calicoToFelixPolicy, felixPolicies } from './calico-policy.js';
import { evaluateCalicoPolicy, type CalicoEndpoint, type CalicoPeer, type CalicoWorld } from './calico-policy-eval.js';
import type { CalicoEntityRule, CalicoPolicySpec, CalicoRule } from './calico-resources.js';

const NAMESPACES = ['x', 'y', 'z'] as const;
const POD_NAMES = ['a', 'b', 'c'] as const;
const NS_LABELS = new Map(NAMESPACES.map((ns) => [ns, { ns }]));

const PODS: NetpolPod[] = NAMESPACES.flatMap((ns, i) =>
  POD_NAMES.map((name, j) => ({
    namespace: ns,
    name,
    labels: { pod: name },
    ip: parseIpv4(`10.42.${i}.${j + 2}`)!,
    ports: [
      { name: 'serve-80-tcp', port: 80, protocol: 'TCP' as const },
      { name: 'serve-81-tcp', port: 81, protocol: 'TCP' as const },
      { name: 'serve-81-sctp', port: 81, protocol: 'SCTP' as const },
    ],
  })),
);

const ENDPOINTS: CalicoEndpoint[] = PODS.map((p) => ({
  namespace: p.namespace,
  name: p.name,
  ip: p.ip,
  ports: p.ports,
  labels: calicoWorkloadLabels(
    p.labels,
    p.namespace,
    { ...NS_LABELS.get(p.namespace as 'x'), 'kubernetes.io/metadata.name': p.namespace },
    'default',
  ),
}));

const OUTSIDE = parseIpv4('192.0.2.7')!;

// ---- random Kubernetes policies ----

const selectorArb: fc.Arbitrary<LabelSelector> = fc.oneof(
  fc.constant<LabelSelector>({ matchLabels: {}, matchExpressions: [] }),
  fc.constantFrom(...POD_NAMES).map((p) => ({ matchLabels: { pod: p }, matchExpressions: [] })),
  fc
    .subarray([...POD_NAMES], { minLength: 1 })
    .map((v) => ({ matchLabels: {}, matchExpressions: [{ key: 'pod', operator: 'In' as const, values: v }] })),
  fc.constantFrom(...POD_NAMES).map((p) => ({
    matchLabels: {},
    matchExpressions: [{ key: 'pod', operator: 'NotIn' as const, values: [p] }],
  })),
);

const nsSelectorArb: fc.Arbitrary<LabelSelector> = fc.oneof(
  fc.constant<LabelSelector>({ matchLabels: {}, matchExpressions: [] }),
  fc.constantFrom(...NAMESPACES).map((ns) => ({ matchLabels: { ns }, matchExpressions: [] })),
  fc.constantFrom(...NAMESPACES).map((ns) => ({
    matchLabels: { 'kubernetes.io/metadata.name': ns },
    matchExpressions: [],
  })),
);

const peerArb: fc.Arbitrary<NetworkPolicyPeer> = fc.oneof(
  selectorArb.map((podSelector) => ({ podSelector })),
  nsSelectorArb.map((namespaceSelector) => ({ namespaceSelector })),
  fc.tuple(selectorArb, nsSelectorArb).map(([podSelector, namespaceSelector]) => ({ podSelector, namespaceSelector })),
  fc
    .tuple(fc.constantFrom('10.42.0.0/16', '10.42.1.0/24', '0.0.0.0/0', '192.0.2.0/24'), fc.boolean())
    .map(([cidr, withExcept]) => ({
      ipBlock: {
        cidr: parseCidr(cidr)!,
        except: withExcept && cidr !== '10.42.1.0/24' ? [parseCidr('10.42.1.0/24')!, parseCidr('10.42.0.3/32')!] : [],
      },
    })),
);

const portArb: fc.Arbitrary<NetworkPolicyPort> = fc.oneof(
  fc.constantFrom(80, 81).map((port) => ({ protocol: 'TCP' as const, port })),
  fc.constantFrom(80, 81).map((port) => ({ protocol: 'UDP' as const, port })),
  fc.constant({ protocol: 'TCP' as const, port: 79, endPort: 80 }),
  fc.constant({ protocol: 'TCP' as const, port: 81, endPort: 90 }),
  fc.constantFrom('serve-80-tcp', 'serve-81-tcp').map((port) => ({ protocol: 'TCP' as const, port })),
  fc.constant({ protocol: 'SCTP' as const, port: 'serve-81-sctp' }),
  fc.constantFrom('TCP', 'UDP', 'SCTP').map((protocol) => ({ protocol: protocol as 'TCP' })),
);

const ruleArb: fc.Arbitrary<NetworkPolicyRule> = fc.record({
  peers: fc.array(peerArb, { maxLength: 2 }),
  ports: fc.array(portArb, { maxLength: 2 }),
});

const policyArb = (i: number): fc.Arbitrary<NetworkPolicy> =>
  fc
    .record({
      ns: fc.constantFrom(...NAMESPACES),
      podSelector: selectorArb,
      types: fc.constantFrom<('Ingress' | 'Egress')[]>(['Ingress'], ['Egress'], ['Ingress', 'Egress']),
      ingress: fc.array(ruleArb, { maxLength: 2 }),
      egress: fc.array(ruleArb, { maxLength: 2 }),
    })
    .map(({ ns, podSelector, types, ingress, egress }) => ({
      kind: 'NetworkPolicy' as const,
      metadata: { name: `p${i}`, namespace: ns, labels: {}, annotations: {} },
      spec: { podSelector, policyTypes: types, ingress, egress },
      origin: { file: 'gen.yaml', line: 1 } as unknown as NetworkPolicy['origin'],
    }));

const policiesArb = fc
  .integer({ min: 1, max: 3 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => policyArb(i))));

const PROBES: [number, NetpolProtocol][] = [
  [80, 'TCP'],
  [81, 'TCP'],
  [80, 'UDP'],
  [81, 'SCTP'],
  [0, 'ICMP'],
];

function calicoPeer(e: { pod: NetpolPod } | { ip: Ipv4 }): CalicoPeer {
  if ('ip' in e) return { ip: e.ip };
  return { endpoint: ENDPOINTS.find((x) => x.ip === e.pod.ip)! };
}

describe("Calico's policy judge", () => {
  it('agrees with the Kubernetes judge on random Kubernetes policies over x/y/z (property)', () => {
    fc.assert(
      fc.property(policiesArb, (policies) => {
        const k8sWorld = { pods: PODS, namespaceLabels: NS_LABELS, policies };
        const calico: CalicoWorld = { endpoints: ENDPOINTS, policies: felixPolicies(policies, []) };
        const ends: ({ pod: NetpolPod } | { ip: Ipv4 })[] = [...PODS.map((pod) => ({ pod })), { ip: OUTSIDE }];
        for (const from of ends)
          for (const to of ends) {
            if ('ip' in from && 'ip' in to) continue;
            for (const [port, protocol] of PROBES) {
              const k = evaluateNetpol(k8sWorld, from, to, port, protocol).allowed;
              const c = evaluateCalicoPolicy(calico, calicoPeer(from), calicoPeer(to), port, protocol).allowed;
              if (k !== c)
                assert.fail(
                  `${'pod' in from ? from.pod.namespace + '/' + from.pod.name : 'outside'} -> ${
                    'pod' in to ? to.pod.namespace + '/' + to.pod.name : 'outside'
                  } ${protocol} ${port}: kubernetes ${k}, calico ${c}`,
                );
            }
          }
      }),
      { numRuns: 150, seed: 12 },
    );
  });
});

// ---- Calico's own semantics ----

const entity = (e: Partial<CalicoEntityRule> = {}): CalicoEntityRule => ({
  selector: '',
  namespaceSelector: '',
  notSelector: '',
  nets: [],
  notNets: [],
  ports: [],
  notPorts: [],
  ...e,
});
const rule = (action: CalicoRule['action'], r: Partial<CalicoRule> = {}): CalicoRule => ({
  action,
  source: entity(),
  destination: entity(),
  ...r,
});
const gnp = (name: string, spec: Partial<CalicoPolicySpec>) =>
  calicoToFelixPolicy('GlobalNetworkPolicy', name, '', {
    tier: 'default',
    selector: '',
    types: ['Ingress'],
    ingress: [],
    egress: [],
    ...spec,
  });
const ep = (ref: string): CalicoPeer => ({ endpoint: ENDPOINTS.find((e) => `${e.namespace}/${e.name}` === ref)! });

describe("Calico's own policy semantics", () => {
  it('the lower order decides first; ties go by name; no order sorts last', () => {
    const w: CalicoWorld = {
      endpoints: ENDPOINTS,
      policies: [
        gnp('b-allow', { order: 5, ingress: [rule('Allow')] }),
        gnp('a-deny', { order: 5, ingress: [rule('Deny')] }),
        gnp('none', { ingress: [rule('Allow')] }),
      ],
    };
    const v = evaluateCalicoPolicy(w, ep('y/b'), ep('x/a'), 80, 'TCP');
    assert.equal(v.allowed, false);
    assert.equal(v.ingress.decision.kind === 'rule' && v.ingress.decision.policy.name, 'a-deny');
    assert.deepEqual(
      v.ingress.policies.map((p) => p.name),
      ['a-deny', 'b-allow', 'none'],
    );
  });

  it('Log goes on to the next rule; Pass goes to the profile, which allows; no rule deciding drops', () => {
    const logThenDeny = { endpoints: ENDPOINTS, policies: [gnp('p', { ingress: [rule('Log'), rule('Deny')] })] };
    assert.equal(evaluateCalicoPolicy(logThenDeny, ep('y/b'), ep('x/a'), 80, 'TCP').allowed, false);
    const pass = {
      endpoints: ENDPOINTS,
      policies: [gnp('p', { order: 1, ingress: [rule('Pass')] }), gnp('q', { order: 2, ingress: [rule('Deny')] })],
    };
    const v = evaluateCalicoPolicy(pass, ep('y/b'), ep('x/a'), 80, 'TCP');
    assert.equal(v.allowed, true);
    assert.equal(v.ingress.decision.kind, 'profile');
    const nothing = { endpoints: ENDPOINTS, policies: [gnp('p', { ingress: [rule('Allow', { protocol: 'UDP' })] })] };
    const d = evaluateCalicoPolicy(nothing, ep('y/b'), ep('x/a'), 80, 'TCP');
    assert.equal(d.allowed, false);
    assert.equal(d.ingress.decision.kind, 'end-of-tier');
  });

  it('notNets, notSelector and notPorts exclude; a namespaced Calico policy selects only its namespace', () => {
    const w: CalicoWorld = {
      endpoints: ENDPOINTS,
      policies: [
        gnp('p', {
          selector: "pod == 'a'",
          ingress: [
            rule('Allow', {
              protocol: 'TCP',
              source: entity({ notNets: [parseCidr('10.42.1.0/24')!], notSelector: "pod == 'c'" }),
              destination: entity({ notPorts: [{ first: 81, last: 90 }] }),
            }),
          ],
        }),
      ],
    };
    const ok = (from: string, to: string, port: number): boolean =>
      evaluateCalicoPolicy(w, ep(from), ep(to), port, 'TCP').allowed;
    assert.equal(ok('x/b', 'x/a', 80), true);
    assert.equal(ok('y/b', 'x/a', 80), false, 'y is 10.42.1.0/24');
    assert.equal(ok('z/c', 'x/a', 80), false, 'pod c is excluded');
    assert.equal(ok('x/b', 'x/a', 81), false, '81 is in notPorts');
    assert.equal(ok('x/b', 'x/c', 81), true, 'x/c is not selected');
    const namespaced = calicoToFelixPolicy('CalicoNetworkPolicy', 'deny', 'y', {
      tier: 'default',
      selector: '',
      types: ['Ingress'],
      ingress: [rule('Deny')],
      egress: [],
    });
    const w2 = { endpoints: ENDPOINTS, policies: [namespaced] };
    assert.equal(evaluateCalicoPolicy(w2, ep('x/a'), ep('y/a'), 80, 'TCP').allowed, false);
    assert.equal(evaluateCalicoPolicy(w2, ep('y/a'), ep('x/a'), 80, 'TCP').allowed, true);
  });
});
