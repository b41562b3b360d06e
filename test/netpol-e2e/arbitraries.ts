/**
 * Random NetworkPolicy worlds for the property tests (fast-check): 2-3 namespaces with labels from a small
 * alphabet, 1-2 pods in each with labels from another, every pod serving TCP 80, TCP 81 and UDP 80 with
 * one of the TCP ports named `http` (so a named port means 80 on some pods and 81 on others), and 1-3
 * policies whose selectors use matchLabels and matchExpressions (all four operators), whose peers are
 * podSelector, namespaceSelector, both, or an ipBlock around a pod's address with an except, whose ports
 * are numbers, names, ranges (endPort) or a protocol alone, and whose policyTypes are given or left to
 * the API server's default. Addresses are known only once the cluster runs, so an ipBlock names a pod and
 * a prefix length and is written out against the running cluster's addresses.
 */
import fc from 'fast-check';
import type { Labels } from '../../src/cluster/k8s-objects.js';
import { AGNHOST_IMAGE, type E2eCni } from './world.js';

/** A label selector as written in a manifest. */
export interface GenSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** A policy peer: selectors, or a block around pod `pod`'s address (index into the pods) /len, except another pod's /32. */
export type GenPeer =
  | { podSelector?: GenSelector; namespaceSelector?: GenSelector }
  | { ipBlock: { pod: number; len: number; exceptPod?: number } };

/** A policy port. */
export interface GenPort {
  protocol?: 'TCP' | 'UDP';
  port?: number | string;
  endPort?: number;
}

/** An ingress or egress rule (absent lists are left out of the manifest). */
export interface GenRule {
  peers?: GenPeer[];
  ports?: GenPort[];
}

/** A NetworkPolicy. */
export interface GenPolicy {
  namespace: string;
  name: string;
  podSelector: GenSelector;
  policyTypes?: ('Ingress' | 'Egress')[];
  ingress?: GenRule[];
  egress?: GenRule[];
}

/** A pod: its labels and which TCP port its `http` container port is. */
export interface GenPod {
  namespace: string;
  name: string;
  labels: Labels;
  httpPort: 80 | 81;
}

/** A whole random world. */
export interface GenWorld {
  namespaces: { name: string; labels: Labels }[];
  pods: GenPod[];
  policies: GenPolicy[];
}

/** The ports and protocols a property probes. */
export const GEN_PROBES = [
  { port: 80, protocol: 'TCP' },
  { port: 81, protocol: 'TCP' },
  { port: 80, protocol: 'UDP' },
] as const;

const POD_KEYS = { app: ['web', 'db'], tier: ['front', 'back'] } as const;
const NS_KEYS = { team: ['red', 'blue'], env: ['prod', 'dev'] } as const;

function labelsArb(keys: Record<string, readonly string[]>): fc.Arbitrary<Labels> {
  return fc.record(Object.fromEntries(Object.entries(keys).map(([k, vs]) => [k, fc.constantFrom(...vs)])), {
    requiredKeys: [],
  }) as fc.Arbitrary<Labels>;
}

function selectorArb(keys: Record<string, readonly string[]>): fc.Arbitrary<GenSelector> {
  const names = Object.keys(keys);
  const expr = fc.constantFrom(...names).chain((key) =>
    fc.oneof(
      fc.record({
        key: fc.constant(key),
        operator: fc.constantFrom('In' as const, 'NotIn' as const),
        values: fc.uniqueArray(fc.constantFrom(...keys[key]!), { minLength: 1, maxLength: 2 }),
      }),
      fc.record({ key: fc.constant(key), operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const) }),
    ),
  );
  return fc.oneof(
    fc.constant({}),
    fc.record({ matchLabels: labelsArb(keys) }),
    fc.record({ matchExpressions: fc.array(expr, { minLength: 1, maxLength: 2 }) }),
  );
}

const NS_SELECTOR_KEYS: Record<string, readonly string[]> = {
  ...NS_KEYS,
  'kubernetes.io/metadata.name': ['x', 'y', 'z'],
};

function peerArb(podCount: number): fc.Arbitrary<GenPeer> {
  return fc.oneof(
    fc.record({ podSelector: selectorArb(POD_KEYS) }),
    fc.record({ namespaceSelector: selectorArb(NS_SELECTOR_KEYS) }),
    fc.record({ podSelector: selectorArb(POD_KEYS), namespaceSelector: selectorArb(NS_SELECTOR_KEYS) }),
    fc.record(
      {
        ipBlock: fc.record(
          {
            pod: fc.nat(podCount - 1),
            len: fc.constantFrom(32, 24, 16, 8),
            exceptPod: fc.nat(podCount - 1),
          },
          { requiredKeys: ['pod', 'len'] },
        ),
      },
      { requiredKeys: ['ipBlock'] },
    ),
  );
}

const numberedPortArb: fc.Arbitrary<GenPort> = fc.oneof(
  fc.record(
    { protocol: fc.constantFrom('TCP' as const, 'UDP' as const), port: fc.constantFrom(80, 81) },
    {
      requiredKeys: ['port'],
    },
  ),
  fc.record(
    { protocol: fc.constant('TCP' as const), port: fc.constant(79), endPort: fc.constantFrom(80, 81) },
    {
      requiredKeys: ['port', 'endPort'],
    },
  ),
  fc.record({ protocol: fc.constantFrom('TCP' as const, 'UDP' as const) }),
);

const namedPortArb: fc.Arbitrary<GenPort> = fc.oneof(
  fc.record({ port: fc.constant('http') }),
  fc.record({ protocol: fc.constant('UDP' as const), port: fc.constant('udp-80') }),
);

/** What a generated world may use. */
export interface WorldOptions {
  /** Named ports in policies (`http`, `udp-80`). */
  namedPorts: boolean;
}

function ruleArb(podCount: number, opts: WorldOptions): fc.Arbitrary<GenRule> {
  const port = opts.namedPorts ? fc.oneof(numberedPortArb, namedPortArb) : numberedPortArb;
  return fc.record(
    {
      peers: fc.array(peerArb(podCount), { maxLength: 2 }),
      ports: fc.array(port, { maxLength: 2 }),
    },
    { requiredKeys: [] },
  );
}

function policyArb(
  namespaces: readonly string[],
  podCount: number,
  i: number,
  opts: WorldOptions,
): fc.Arbitrary<GenPolicy> {
  return fc.record(
    {
      namespace: fc.constantFrom(...namespaces),
      name: fc.constant(`p${i}`),
      podSelector: selectorArb(POD_KEYS),
      policyTypes: fc.constantFrom<('Ingress' | 'Egress')[]>(['Ingress'], ['Egress'], ['Ingress', 'Egress']),
      ingress: fc.array(ruleArb(podCount, opts), { maxLength: 2 }),
      egress: fc.array(ruleArb(podCount, opts), { maxLength: 2 }),
    },
    { requiredKeys: ['namespace', 'name', 'podSelector'] },
  );
}

/** Random worlds: namespaces, pods, policies. */
export function worldArb(opts: WorldOptions = { namedPorts: true }): fc.Arbitrary<GenWorld> {
  return fc
    .record({
      nsCount: fc.integer({ min: 2, max: 3 }),
      nsLabels: fc.array(labelsArb(NS_KEYS), { minLength: 3, maxLength: 3 }),
      podsPerNs: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 3, maxLength: 3 }),
    })
    .chain(({ nsCount, nsLabels, podsPerNs }) => {
      const names = ['x', 'y', 'z'].slice(0, nsCount);
      const namespaces = names.map((name, i) => ({ name, labels: nsLabels[i]! }));
      const slots = names.flatMap((ns, i) => Array.from({ length: podsPerNs[i]! }, (_, j) => ({ ns, name: `p${j}` })));
      return fc.record({
        namespaces: fc.constant(namespaces),
        pods: fc.tuple(
          ...slots.map((s) =>
            fc.record({
              namespace: fc.constant(s.ns),
              name: fc.constant(s.name),
              labels: labelsArb(POD_KEYS),
              httpPort: fc.constantFrom(80 as const, 81 as const),
            }),
          ),
        ),
        policies: fc
          .integer({ min: 1, max: 3 })
          .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => policyArb(names, slots.length, i, opts)))),
      });
    });
}

/** The manifest of a rule, with ipBlocks written against `ips` (the pods' addresses, by index). */
function ruleManifest(r: GenRule, peerKey: 'from' | 'to', ips: readonly number[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.peers !== undefined)
    out[peerKey] = r.peers.map((p) => {
      if (!('ipBlock' in p)) return p;
      const { pod, len, exceptPod } = p.ipBlock;
      const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
      const base = (ips[pod]! & mask) >>> 0;
      const block: { cidr: string; except?: string[] } = { cidr: `${dotted(base)}/${len}` };
      // except must be a strict subset of cidr (the API server refuses anything else)
      if (exceptPod !== undefined && len < 32 && (ips[exceptPod]! & mask) >>> 0 === base)
        block.except = [`${dotted(ips[exceptPod]!)}/32`];
      return { ipBlock: block };
    });
  if (r.ports !== undefined) out.ports = r.ports;
  return out;
}

const dotted = (a: number): string => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');

/** The NetworkPolicy manifests of `w` (JSON documents, which YAML reads), ipBlocks against `ips`. */
export function policyDocs(w: GenWorld, ips: readonly number[]): string[] {
  return w.policies.map((p) => {
    const spec: Record<string, unknown> = { podSelector: p.podSelector };
    if (p.policyTypes !== undefined) spec.policyTypes = p.policyTypes;
    if (p.ingress !== undefined) spec.ingress = p.ingress.map((r) => ruleManifest(r, 'from', ips));
    if (p.egress !== undefined) spec.egress = p.egress.map((r) => ruleManifest(r, 'to', ips));
    return JSON.stringify({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: p.name, namespace: p.namespace },
      spec,
    });
  });
}

/** The Cluster, Namespace and Pod manifests of `w` on two nodes (pods alternate between them), with `cni`. */
export function worldDocs(w: GenWorld, cni: E2eCni): string[] {
  const cluster = JSON.stringify({
    apiVersion: 'podnet.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'netpol-prop' },
    spec: {
      seed: 7,
      nodes: [
        { name: 'server', address: '172.20.0.11/24', role: 'server' },
        { name: 'agent', address: '172.20.0.12/24', role: 'agent' },
      ],
      cni,
      disable: ['coredns', 'traefik', 'servicelb'],
    },
  });
  const namespaces = w.namespaces.map((n) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n.name, labels: n.labels } }),
  );
  const pods = w.pods.map((p, i) => {
    const container = (port: number, protocol: 'TCP' | 'UDP', name: string): Record<string, unknown> => ({
      name: `cont-${port}-${protocol.toLowerCase()}`,
      image: AGNHOST_IMAGE,
      command: ['/agnhost', 'serve-hostname', `--${protocol.toLowerCase()}`, '--http=false', '--port', `${port}`],
      ports: [{ containerPort: port, name, protocol }],
    });
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
      spec: {
        nodeName: i % 2 === 0 ? 'server' : 'agent',
        containers: [
          container(80, 'TCP', p.httpPort === 80 ? 'http' : 'tcp-80'),
          container(81, 'TCP', p.httpPort === 81 ? 'http' : 'tcp-81'),
          container(80, 'UDP', 'udp-80'),
        ],
      },
    });
  });
  return [cluster, ...namespaces, ...pods];
}
