/**
 * A small world for kube-router's tests (the generator's unit tests and the real-kernel comparison): node
 * n1 runs x/a and x/b, n2 runs y/b and z/c; x/a is isolated for ingress by three policies (deny-all,
 * allow-b with a named port and a port range, blocks with ipBlock excepts), x/b has an egress policy
 * (SCTP to a named port in z, HTTPS anywhere), and y/both selects all of y both ways.
 */
import type { KrInput, KrPolicy, KrSelector } from './types.js';

const sel = (matchLabels: Record<string, string> = {}): KrSelector => ({ matchLabels, matchExpressions: [] });

/** The policies of the small world. */
export const KR_POLICIES: KrPolicy[] = [
  { namespace: 'x', name: 'deny-all', podSelector: sel(), policyTypes: ['Ingress'], ingress: [], egress: [] },
  {
    namespace: 'x',
    name: 'allow-b',
    podSelector: sel({ pod: 'a' }),
    policyTypes: ['Ingress'],
    ingress: [
      {
        peers: [{ podSelector: sel({ pod: 'b' }), namespaceSelector: sel() }],
        ports: [
          { protocol: 'TCP', port: 'http' },
          { protocol: 'TCP', port: 8080, endPort: 8090 },
        ],
      },
    ],
    egress: [],
  },
  {
    namespace: 'x',
    name: 'blocks',
    podSelector: sel({ pod: 'a' }),
    policyTypes: ['Ingress'],
    ingress: [
      {
        peers: [
          { ipBlock: { cidr: '192.168.0.0/16', except: ['192.168.1.0/24'] } },
          { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } },
        ],
        ports: [{ protocol: 'UDP', port: 53 }],
      },
    ],
    egress: [],
  },
  {
    namespace: 'x',
    name: 'egress',
    podSelector: sel({ pod: 'b' }),
    policyTypes: ['Egress'],
    ingress: [],
    egress: [
      {
        peers: [{ namespaceSelector: sel({ 'kubernetes.io/metadata.name': 'z' }) }],
        ports: [{ protocol: 'SCTP', port: 'serve' }],
      },
      { peers: [], ports: [{ protocol: 'TCP', port: 443 }] },
    ],
  },
  {
    namespace: 'y',
    name: 'both',
    podSelector: sel(),
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ peers: [], ports: [] }],
    egress: [],
  },
];

/** The small world as node n1's sync at version "1". */
export const KR_INPUT: KrInput = {
  node: 'n1',
  pods: [
    {
      namespace: 'x',
      name: 'a',
      ip: '10.42.0.2',
      node: 'n1',
      labels: { pod: 'a' },
      ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
    },
    { namespace: 'x', name: 'b', ip: '10.42.0.3', node: 'n1', labels: { pod: 'b' }, ports: [] },
    {
      namespace: 'y',
      name: 'b',
      ip: '10.42.1.3',
      node: 'n2',
      labels: { pod: 'b' },
      ports: [{ name: 'http', containerPort: 8081, protocol: 'TCP' }],
    },
    {
      namespace: 'z',
      name: 'c',
      ip: '10.42.1.4',
      node: 'n2',
      labels: { pod: 'c' },
      ports: [{ name: 'serve', containerPort: 9000, protocol: 'SCTP' }],
    },
  ],
  namespaces: new Map(['x', 'y', 'z'].map((n) => [n, { 'kubernetes.io/metadata.name': n }])),
  policies: KR_POLICIES,
  serviceClusterIPRange: '10.43.0.0/16',
  nodePortRange: '30000:32767',
  syncVersion: '1',
};
