/**
 * The Kubernetes e2e NetworkPolicy suite's cases, as data: kubernetes/kubernetes
 * test/e2e/network/netpol/network_policy.go (the `f.It`s under "Netpol" and "Netpol [LinuxOnly]"), on its
 * model (model.go): namespaces x, y, z labelled `ns: <name>` (and kubernetes.io/metadata.name, which the
 * API server adds), each with pods a, b, c labelled `pod: <name>`, every pod serving TCP and UDP on 80 and
 * 81 with agnhost serve-hostname, container ports named serve-<port>-<tcp|udp>.
 *
 * Each case keeps the test's exact name, the policies as the Go code builds them (GenNetworkPolicy with
 * SetSpecIngressRules/SetSpecEgressRules, which always write policyTypes), written as the YAML `kubectl get
 * -o yaml` would show, and for every ValidateOrFail the port, the protocol and the expected Reachability as
 * the suite prints it (TruthTable.PrettyPrint: rows are the client, columns the server, `.` connected, `X`
 * not; the suite separates cells with tabs, any whitespace does here). The tables were written from the
 * Go expectation calls (NewReachability(all, true) then Expect / ExpectPeer / ExpectAllIngress, which sets
 * a column / ExpectAllEgress, which sets a row), not from running podnet. As in the suite
 * (`ignoreLoopback = true`), the diagonal (a pod probing itself) is printed but not held against an
 * implementation that probes through its data path.
 *
 * Steps follow the test's order: `apply` creates or updates policies (a policy with the same namespace and
 * name replaces the earlier one, as UpdatePolicy does), `deleteAllPolicies` is cleanNetworkPolicies,
 * `podLabels` / `namespaceLabels` are AddPodLabels / AddNamespaceLabel (labels added to the existing ones).
 * `{{ns/pod}}` in a policy stands for that pod's address (the CIDR cases build their blocks from
 * pod.Status.PodIP).
 *
 * Not encoded (podnet has no SCTP data path; their probes are SCTP): the three cases of "Netpol
 * [Feature:SCTPConnectivity] [LinuxOnly]" — "should support a 'default-deny-ingress' policy", "should
 * enforce policy based on Ports", "should enforce policy to allow traffic only from a pod in a different
 * namespace based on PodSelector and NamespaceSelector" — which repeat the TCP/UDP cases of the same names.
 * The two TCP cases that only write SCTP into a policy ("should not mistakenly treat 'protocol: SCTP' as
 * 'protocol: TCP'...", "should properly isolate pods that are selected by a policy allowing SCTP...") probe
 * TCP and are encoded. The suite version read has no endPort case; endPort ranges are covered by the
 * property tests (test/netpol-property.test.ts).
 */
import type { Labels } from '../../src/cluster/k8s-objects.js';

/** The protocols the cases probe with. */
export type E2eProtocol = 'TCP' | 'UDP';

/** One ValidateOrFail: a port and protocol probed from every pod to every pod, and the expected table. */
export interface E2eProbe {
  port: number;
  protocol: E2eProtocol;
  /** The expected Reachability, as TruthTable.PrettyPrint prints it. */
  reachability: string;
}

/** What the test does before it probes again. */
export interface E2eStep {
  /** NetworkPolicy documents created (or updated, when namespace and name are already there). */
  apply?: string;
  /** cleanNetworkPolicies: every policy of x, y and z deleted. */
  deleteAllPolicies?: true;
  /** AddPodLabels: labels added to one pod ("x/b"). */
  podLabels?: { pod: string; labels: Labels };
  /** AddNamespaceLabel: labels added to one namespace. */
  namespaceLabels?: { namespace: string; labels: Labels };
  probes: E2eProbe[];
}

/** One `f.It` of the suite. */
export interface E2eCase {
  /** The ginkgo.Context it is in. */
  context: string;
  /** The `f.It` text, exactly. */
  name: string;
  steps: E2eStep[];
}

/** The suite's namespaces and pods, in the order it prints them. */
export const E2E_NAMESPACES = ['x', 'y', 'z'] as const;
/** The pods of each namespace. */
export const E2E_PODS = ['a', 'b', 'c'] as const;
/** The ports every pod serves. */
export const E2E_PORTS = [80, 81] as const;

/** The cases, in the suite's order. */
export const E2E_CASES: readonly E2eCase[] = [
  {
    context: 'NetworkPolicy between server and client',
    name: "should support a 'default-deny-ingress' policy",
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-ingress, namespace: x }
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: []
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   .   .   .   .   .   .
x/b   X   X   X   .   .   .   .   .   .
x/c   X   X   X   .   .   .   .   .   .
y/a   X   X   X   .   .   .   .   .   .
y/b   X   X   X   .   .   .   .   .   .
y/c   X   X   X   .   .   .   .   .   .
z/a   X   X   X   .   .   .   .   .   .
z/b   X   X   X   .   .   .   .   .   .
z/c   X   X   X   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: "should support a 'default-deny-all' policy",
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-all, namespace: x }
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress: []
  egress: []
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   X   X   X   X   X   X
x/b   X   X   X   X   X   X   X   X   X
x/c   X   X   X   X   X   X   X   X   X
y/a   X   X   X   .   .   .   .   .   .
y/b   X   X   X   .   .   .   .   .   .
y/c   X   X   X   .   .   .   .   .   .
z/a   X   X   X   .   .   .   .   .   .
z/b   X   X   X   .   .   .   .   .   .
z/c   X   X   X   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policy to allow traffic from pods within server namespace based on PodSelector',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: x-a-allows-x-b, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector: { matchLabels: { pod: b } }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policy to allow ingress traffic for a target',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-all, namespace: x }
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-all-to-a, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector: {}
          namespaceSelector: {}
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   X   X   .   .   .   .   .   .
x/b   .   X   X   .   .   .   .   .   .
x/c   .   X   X   .   .   .   .   .   .
y/a   .   X   X   .   .   .   .   .   .
y/b   .   X   X   .   .   .   .   .   .
y/c   .   X   X   .   .   .   .   .   .
z/a   .   X   X   .   .   .   .   .   .
z/b   .   X   X   .   .   .   .   .   .
z/c   .   X   X   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policy to allow ingress traffic from pods in all namespaces',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-from-another-ns, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: { matchLabels: {} }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client-a-via-ns-selector, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policy based on PodSelector with MatchExpressions',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: x-a-allows-x-b, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector: { matchExpressions: [{ key: pod, operator: In, values: [b] }] }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policy based on NamespaceSelector with MatchExpressions',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-ns-y-match-selector, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchExpressions: [{ key: kubernetes.io/metadata.name, operator: In, values: [y] }]
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policy based on PodSelector or NamespaceSelector',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-ns-y-match-selector, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchExpressions: [{ key: kubernetes.io/metadata.name, operator: NotIn, values: [x] }]
        - podSelector: { matchLabels: { pod: b } }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policy based on PodSelector and NamespaceSelector',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-ns-y-podselector-and-nsselector, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchExpressions: [{ key: kubernetes.io/metadata.name, operator: NotIn, values: [x] }]
          podSelector: { matchLabels: { pod: b } }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policy based on Multiple PodSelectors and NamespaceSelectors',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-ns-y-z-pod-b-c, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchExpressions: [{ key: kubernetes.io/metadata.name, operator: NotIn, values: [x] }]
          podSelector:
            matchExpressions: [{ key: pod, operator: In, values: [b, c] }]
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policy based on any PodSelectors',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-ns-x-pod-b-c, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector: { matchLabels: { pod: b } }
        - podSelector: { matchLabels: { pod: c } }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-ns-y-pod-a-via-namespace-pod-selector, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } }
          podSelector: { matchLabels: { pod: a } }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policy based on Ports',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client-a-via-ns-selector, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } }
      ports:
        - { port: 81, protocol: TCP }
`,
        probes: [
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce multiple, stacked policies with overlapping podSelectors',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client-a-via-ns-selector, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } }
      ports:
        - { port: 81, protocol: TCP }
`,
        probes: [
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client-a-via-ns-selector-80, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } }
      ports:
        - { port: 80, protocol: TCP }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should support allow-all policy',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-all, namespace: x }
spec:
  podSelector: { matchLabels: {} }
  policyTypes: [Ingress]
  ingress:
    - {}
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should allow ingress access on one named port',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-all, namespace: x }
spec:
  podSelector: { matchLabels: {} }
  policyTypes: [Ingress]
  ingress:
    - ports:
        - port: serve-81-tcp
`,
        probes: [
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   .   .   .   .   .   .
x/b   X   X   X   .   .   .   .   .   .
x/c   X   X   X   .   .   .   .   .   .
y/a   X   X   X   .   .   .   .   .   .
y/b   X   X   X   .   .   .   .   .   .
y/c   X   X   X   .   .   .   .   .   .
z/a   X   X   X   .   .   .   .   .   .
z/b   X   X   X   .   .   .   .   .   .
z/c   X   X   X   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should allow ingress access from namespace on one named port',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client-a-via-ns-selector-80, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } }
      ports:
        - { port: serve-80-tcp, protocol: TCP }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should allow egress access on one named port',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-egress, namespace: x }
spec:
  podSelector: { matchLabels: {} }
  policyTypes: [Egress]
  egress:
    - ports:
        - port: serve-80-tcp
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   X   X   X   X   X   X
x/b   X   X   X   X   X   X   X   X   X
x/c   X   X   X   X   X   X   X   X   X
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce updated policy',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-all-mutate-to-deny-all, namespace: x }
spec:
  podSelector: { matchLabels: {} }
  policyTypes: [Ingress]
  ingress:
    - {}
`,
        probes: [
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-all-mutate-to-deny-all, namespace: x }
spec:
  podSelector: { matchLabels: {} }
  policyTypes: [Ingress]
  ingress: []
`,
        probes: [
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   .   .   .   .   .   .
x/b   X   X   X   .   .   .   .   .   .
x/c   X   X   X   .   .   .   .   .   .
y/a   X   X   X   .   .   .   .   .   .
y/b   X   X   X   .   .   .   .   .   .
y/c   X   X   X   .   .   .   .   .   .
z/a   X   X   X   .   .   .   .   .   .
z/b   X   X   X   .   .   .   .   .   .
z/c   X   X   X   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should allow ingress access from updated namespace',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client-a-via-ns-selector, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { ns2: updated } }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
      {
        namespaceLabels: { namespace: 'y', labels: { ns2: 'updated' } },
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should allow ingress access from updated pod',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client-a-via-pod-selector, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector: { matchLabels: { pod: b, pod2: updated } }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
      {
        podLabels: { pod: 'x/b', labels: { pod: 'b', pod2: 'updated' } },
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should deny ingress from pods on other namespaces',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-empty-policy, namespace: x }
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector: { matchLabels: {} }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   X   X   X   .   .   .   .   .   .
y/b   X   X   X   .   .   .   .   .   .
y/c   X   X   X   .   .   .   .   .   .
z/a   X   X   X   .   .   .   .   .   .
z/b   X   X   X   .   .   .   .   .   .
z/c   X   X   X   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should deny ingress access to updated pod',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-ingress-via-label-selector, namespace: x }
spec:
  podSelector: { matchLabels: { target: isolated } }
  policyTypes: [Ingress]
  ingress: []
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
      {
        podLabels: { pod: 'x/a', labels: { target: 'isolated' } },
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should deny egress from pods based on PodSelector',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-egress-pod-a, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Egress]
  egress: []
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   X   X   X   X   X   X
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should deny egress from all pods in a namespace',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-egress-ns-x, namespace: x }
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: []
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   X   X   X   X   X   X
x/b   X   X   X   X   X   X   X   X   X
x/c   X   X   X   X   X   X   X   X   X
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should work with Ingress, Egress specified together',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client-a-via-pod-selector, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Egress, Ingress]
  ingress:
    - from:
        - podSelector: { matchLabels: { pod: b } }
  egress:
    - ports:
        - port: 80
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   X   X   X   X   X   X
x/b   .   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-to-ns-y-pod-a, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } }
          podSelector: { matchLabels: { pod: a } }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-from-xa-on-ya-match-selector, namespace: y }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: x } }
          podSelector: { matchLabels: { pod: a } }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-from-xa-on-yb-match-selector, namespace: y }
spec:
  podSelector: { matchLabels: { pod: b } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: x } }
          podSelector: { matchLabels: { pod: a } }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   .   X   X   X   X   X
x/b   .   .   .   X   X   .   .   .   .
x/c   .   .   .   X   X   .   .   .   .
y/a   .   .   .   X   X   .   .   .   .
y/b   .   .   .   X   X   .   .   .   .
y/c   .   .   .   X   X   .   .   .   .
z/a   .   .   .   X   X   .   .   .   .
z/b   .   .   .   X   X   .   .   .   .
z/c   .   .   .   X   X   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-to-ns-y-pod-a, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } }
          podSelector: { matchLabels: { pod: a } }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   .   X   X   X   X   X
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce ingress policy allowing any port traffic to a server on a specific protocol',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-ingress-by-proto, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - ports:
        - protocol: TCP
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
          {
            port: 80,
            protocol: 'UDP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce multiple ingress policies with ingress allow-all policy taking precedence',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-ingress-port-80, namespace: x }
spec:
  podSelector: { matchLabels: {} }
  policyTypes: [Ingress]
  ingress:
    - ports:
        - port: 80
`,
        probes: [
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   .   .   .   .   .   .
x/b   X   X   X   .   .   .   .   .   .
x/c   X   X   X   .   .   .   .   .   .
y/a   X   X   X   .   .   .   .   .   .
y/b   X   X   X   .   .   .   .   .   .
y/c   X   X   X   .   .   .   .   .   .
z/a   X   X   X   .   .   .   .   .   .
z/b   X   X   X   .   .   .   .   .   .
z/c   X   X   X   .   .   .   .   .   .
`,
          },
        ],
      },
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-ingress, namespace: x }
spec:
  podSelector: { matchLabels: {} }
  policyTypes: [Ingress]
  ingress:
    - {}
`,
        probes: [
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce multiple egress policies with egress allow-all policy taking precedence',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-egress-port-80, namespace: x }
spec:
  podSelector: { matchLabels: {} }
  policyTypes: [Egress]
  egress:
    - ports:
        - port: 80
`,
        probes: [
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   X   X   X   X   X   X
x/b   X   X   X   X   X   X   X   X   X
x/c   X   X   X   X   X   X   X   X   X
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-egress, namespace: x }
spec:
  podSelector: { matchLabels: {} }
  policyTypes: [Egress]
  egress:
    - {}
`,
        probes: [
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should stop enforcing policies after they are deleted',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-all, namespace: x }
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress: []
  egress: []
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   X   X   X   X   X   X
x/b   X   X   X   X   X   X   X   X   X
x/c   X   X   X   X   X   X   X   X   X
y/a   X   X   X   .   .   .   .   .   .
y/b   X   X   X   .   .   .   .   .   .
y/c   X   X   X   .   .   .   .   .   .
z/a   X   X   X   .   .   .   .   .   .
z/b   X   X   X   .   .   .   .   .   .
z/c   X   X   X   .   .   .   .   .   .
`,
          },
        ],
      },
      {
        deleteAllPolicies: true,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should allow egress access to server in CIDR block',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client-a-via-cidr-egress-rule, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock: { cidr: '{{y/b}}/32' }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   X   .   X   X   X   X
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce except clause while egress access to server in CIDR block',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client-a-via-cidr-egress-rule, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock: { cidr: '{{x/a}}/4', except: ['{{x/b}}/32'] }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   X   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client-a-via-cidr-egress-rule, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock: { cidr: '{{x/a}}/4', except: ['{{x/b}}/32'] }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   X   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client-a-via-cidr-egress-rule, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock: { cidr: '{{x/b}}/32' }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   X   X   X   X   X   X   X
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-egress-for-target, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Egress]
  egress:
    - {}
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-ingress-via-label-selector, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress: []
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP",
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-ingress, namespace: x }
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-only-sctp-ingress-on-port-81, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - ports:
        - { port: 81, protocol: SCTP }
`,
        probes: [
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   .   .   .   .   .   .
x/b   X   X   X   .   .   .   .   .   .
x/c   X   X   X   .   .   .   .   .   .
y/a   X   X   X   .   .   .   .   .   .
y/b   X   X   X   .   .   .   .   .   .
y/c   X   X   X   .   .   .   .   .   .
z/a   X   X   X   .   .   .   .   .   .
z/b   X   X   X   .   .   .   .   .   .
z/c   X   X   X   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: "should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP",
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-only-sctp-ingress-on-port-80, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - ports:
        - { port: 80, protocol: SCTP }
`,
        probes: [
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should not allow access by TCP when a policy specifies only UDP',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-only-udp-ingress-on-port-81, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - ports:
        - { port: 81, protocol: UDP }
`,
        probes: [
          {
            port: 81,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client-a-via-ns-selector-for-immutable-ns-label, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } }
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client',
    name: 'should enforce policy based on NamespaceSelector with MatchExpressions using default ns label',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-ns-y-match-selector-for-immutable-ns-label, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector:
            matchExpressions: [{ key: kubernetes.io/metadata.name, operator: NotIn, values: [y] }]
`,
        probes: [
          {
            port: 80,
            protocol: 'TCP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   X   X   X   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client using UDP',
    name: "should support a 'default-deny-ingress' policy",
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-all, namespace: x }
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: []
`,
        probes: [
          {
            port: 80,
            protocol: 'UDP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   X   X   .   .   .   .   .   .
x/b   X   X   X   .   .   .   .   .   .
x/c   X   X   X   .   .   .   .   .   .
y/a   X   X   X   .   .   .   .   .   .
y/b   X   X   X   .   .   .   .   .   .
y/c   X   X   X   .   .   .   .   .   .
z/a   X   X   X   .   .   .   .   .   .
z/b   X   X   X   .   .   .   .   .   .
z/c   X   X   X   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client using UDP',
    name: 'should enforce policy based on Ports',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-ingress-on-port-81-ns-x, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } }
      ports:
        - { port: 81, protocol: UDP }
`,
        probes: [
          {
            port: 81,
            protocol: 'UDP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
  {
    context: 'NetworkPolicy between server and client using UDP',
    name: 'should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector',
    steps: [
      {
        apply: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-ns-y-pod-a-via-namespace-pod-selector, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } }
          podSelector: { matchLabels: { pod: a } }
`,
        probes: [
          {
            port: 80,
            protocol: 'UDP',
            reachability: `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   X   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .
`,
          },
        ],
      },
    ],
  },
];
