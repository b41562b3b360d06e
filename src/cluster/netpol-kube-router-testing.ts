/**
 * The small cluster the kube-router tests run (src/cluster/netpol-kube-router.test.ts and
 * test/kube-router-cli.test.ts), as the YAML a user would write.
 */

/** Two nodes, namespaces x and y: x/a (nginx, a Deployment) and x/c on the server, y/b on the agent. */
export const NETPOL_CLUSTER = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: netpol }
spec:
  seed: 3
  nodes:
    - { name: server, address: 192.168.56.11/24, role: server }
    - { name: agent, address: 192.168.56.12/24, role: agent }
  disable: [traefik, servicelb, coredns]
---
apiVersion: v1
kind: Namespace
metadata: { name: x }
---
apiVersion: v1
kind: Namespace
metadata: { name: y }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: a, namespace: x }
spec:
  replicas: 1
  selector: { matchLabels: { pod: a } }
  template:
    metadata: { labels: { pod: a } }
    spec:
      nodeName: server
      containers: [{ name: web, image: nginx, ports: [{ name: http, containerPort: 80 }] }]
---
apiVersion: v1
kind: Pod
metadata: { name: c, namespace: x, labels: { pod: c } }
spec:
  nodeName: server
  containers: [{ name: c, image: busybox, command: [sleep, infinity] }]
---
apiVersion: v1
kind: Pod
metadata: { name: b, namespace: y, labels: { pod: b } }
spec:
  nodeName: agent
  containers: [{ name: b, image: busybox, command: [sleep, infinity] }]
`;

/** x: deny (ingress, every pod) and allow-b (x/a from y/b on TCP 80); y: egress-b (y/b only to pod=a on 80). */
export const NETPOL_POLICIES = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny, namespace: x }
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-b, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } }
          podSelector: { matchLabels: { pod: b } }
      ports: [{ port: 80 }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: egress-b, namespace: y }
spec:
  podSelector: { matchLabels: { pod: b } }
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector: {}
          podSelector: { matchLabels: { pod: a } }
      ports: [{ protocol: TCP, port: 80 }]
`;
