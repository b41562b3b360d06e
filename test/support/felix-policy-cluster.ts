/**
 * A two-node Calico cluster with Kubernetes and Calico policies that between them make Felix write most
 * of its rule forms: selectors, a namespace selector, an ipBlock with excepts, a port range, two policies
 * grouped, named ports alone and with a numbered one, a GlobalNetworkPolicy with Deny, Pass, Log, notNets
 * and notPorts. The kernel tests load its rules into a real iptables.
 */
export const FELIX_POLICY_CLUSTER = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: felix-kernel }
spec:
  seed: 5
  nodes:
    - { name: master, address: 172.171.5.95/24, role: server }
    - { name: node, address: 172.171.5.96/24, role: agent }
  cni: calico
  calico: { ipipMode: Always }
  disable: [traefik, servicelb]
---
apiVersion: v1
kind: Namespace
metadata: { name: x, labels: { ns: x } }
---
apiVersion: v1
kind: Namespace
metadata: { name: y, labels: { ns: y } }
---
apiVersion: v1
kind: Pod
metadata: { name: a, namespace: x, labels: { pod: a } }
spec:
  nodeName: master
  containers:
    - name: c
      image: busybox:1.36
      ports: [{ name: http, containerPort: 8080 }, { name: dns, containerPort: 5353, protocol: UDP }]
---
apiVersion: v1
kind: Pod
metadata: { name: b, namespace: x, labels: { pod: b } }
spec: { nodeName: master, containers: [{ name: c, image: busybox:1.36 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: a, namespace: y, labels: { pod: a } }
spec: { nodeName: node, containers: [{ name: c, image: busybox:1.36, ports: [{ name: http, containerPort: 80 }] }] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: named-ports, namespace: x }
spec:
  podSelector: {}
  ingress:
    - ports: [{ port: http }, { port: 81 }]
  egress:
    - to: [{ namespaceSelector: {} }]
      ports: [{ protocol: UDP, port: dns }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny, namespace: x }
spec: { podSelector: {}, policyTypes: [Ingress, Egress] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-some, namespace: x }
spec:
  podSelector: {}
  ingress:
    - from: [{ namespaceSelector: { matchLabels: { ns: y } }, podSelector: { matchExpressions: [{ key: pod, operator: In, values: [a, b] }] } }]
      ports: [{ port: 80 }, { port: 8000, endPort: 8080 }, { protocol: UDP, port: 53 }]
    - from: [{ ipBlock: { cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16] } }]
  egress:
    - to: [{ podSelector: { matchLabels: { pod: a } } }]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: platform }
spec:
  order: 10
  selector: has(pod)
  types: [Ingress, Egress]
  ingress:
    - action: Log
      protocol: TCP
      destination: { ports: [22] }
    - action: Deny
      protocol: TCP
      source: { nets: [192.0.2.0/24], notNets: [192.0.2.8/29] }
      destination: { notPorts: [443, "8443:8444"] }
    - action: Pass
      source: { notSelector: pod == 'b' }
  egress:
    - action: Allow
      protocol: UDP
      destination: { ports: [53] }
    - action: Pass
`;
