/**
 * kube-proxy end to end, through the CLI as a user drives it (`podnet exec FILE WHO -- curl ...`), checked
 * the way one checks a k3s cluster: a pod's curl to a ClusterIP reaches a backend and the answer comes back
 * from the ClusterIP (conntrack un-DNATs it, also on the same bridge, br_netfilter); a Service without
 * endpoints refuses (REJECT: curl's "Connection refused", exit 7); a NodePort answers the laptop outside on
 * every node; externalTrafficPolicy Local keeps the client's address and a node without a local endpoint
 * drops; a pod reaches itself through its own Service (hairpin, masqueraded); and `iptables-save -t nat`
 * on a node prints kube-proxy's chains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from './support/cli.js';

/** Two nodes, a laptop outside; whoami pinned to the agent behind three Services; nginx on both nodes. */
const CLUSTER = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: kp }
spec:
  seed: 1
  nodes:
    - { name: server, address: 192.168.56.11/24, role: server }
    - { name: agent, address: 192.168.56.12/24, role: agent }
  outsideClients:
    - { name: laptop, address: 192.168.56.100/24 }
  disable: [coredns]
---
apiVersion: v1
kind: Pod
metadata: { name: who, labels: { app: who } }
spec:
  nodeName: agent
  containers: [{ name: w, image: traefik/whoami, ports: [{ containerPort: 80 }] }]
---
apiVersion: v1
kind: Pod
metadata: { name: web1, labels: { app: web } }
spec:
  nodeName: server
  containers: [{ name: w, image: nginx, ports: [{ containerPort: 80 }] }]
---
apiVersion: v1
kind: Pod
metadata: { name: web2, labels: { app: web } }
spec:
  nodeName: agent
  containers: [{ name: w, image: nginx, ports: [{ containerPort: 80 }] }]
---
apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  nodeName: server
  containers: [{ name: c, image: busybox, command: [sleep, infinity] }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { clusterIP: 10.43.0.80, selector: { app: web }, ports: [{ port: 80 }] }
---
apiVersion: v1
kind: Service
metadata: { name: empty }
spec: { clusterIP: 10.43.0.81, selector: { app: nothing }, ports: [{ port: 80 }] }
---
apiVersion: v1
kind: Service
metadata: { name: who-np }
spec: { type: NodePort, clusterIP: 10.43.0.82, selector: { app: who }, ports: [{ port: 80, nodePort: 30080 }] }
---
apiVersion: v1
kind: Service
metadata: { name: who-local }
spec:
  type: NodePort
  clusterIP: 10.43.0.83
  externalTrafficPolicy: Local
  selector: { app: who }
  ports: [{ port: 80, nodePort: 30081 }]
---
apiVersion: v1
kind: Service
metadata: { name: who }
spec: { clusterIP: 10.43.0.84, selector: { app: who }, ports: [{ port: 80 }] }
`;

function file(t: { after(fn: () => void): void }): string {
  const f = join(tempDir(t, 'podnet-kube-proxy-'), 'cluster.yaml');
  writeFileSync(f, CLUSTER);
  return f;
}

test('a pod curls a ClusterIP: nginx answers through the DNAT, whichever node the endpoint is on', async (t) => {
  const f = file(t);
  for (const seed of ['1', '2', '3', '4']) {
    const r = await cli('exec', f, 'client', '--seed', seed, '--', 'curl', '-s', 'http://10.43.0.80/');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /<title>Welcome to nginx!<\/title>/);
  }
  // the client saw the ClusterIP answer: curl -v names it (the reply was un-DNATed)
  const v = await cli('exec', f, 'client', '--', 'curl', '-sv', 'http://10.43.0.80/');
  assert.match(v.out + v.err, /Connected to 10\.43\.0\.80 \(10\.43\.0\.80\) port 80/);
});

test('a Service without endpoints refuses: REJECT with port unreachable, curl exits 7', async (t) => {
  // curl 7.88 says "Couldn't connect to server" for any failed connect; -v names the errno (checked with the
  // real curl against a closed port on 127.0.0.1)
  const r = await cli('exec', file(t), 'client', '--', 'curl', '-sv', 'http://10.43.0.81/');
  assert.equal(r.code, 7, r.out + r.err);
  assert.match(r.out + r.err, /^\* connect to 10\.43\.0\.81 port 80 failed: Connection refused$/m);
});

test('NodePort: the laptop reaches whoami on both nodes; the source is masqueraded (Cluster policy)', async (t) => {
  const f = file(t);
  for (const node of ['192.168.56.11', '192.168.56.12']) {
    const r = await cli('exec', f, 'laptop', '--', 'curl', '-s', `http://${node}:30080/`);
    assert.equal(r.code, 0, `${node}: ${r.err}`);
    assert.match(r.out, /^Hostname: who$/m);
    // externalTrafficPolicy Cluster: the pod sees a node's address, not the laptop's
    assert.doesNotMatch(r.out, /^RemoteAddr: 192\.168\.56\.100:/m);
  }
});

test("externalTrafficPolicy Local: the laptop's address reaches the pod; the node without the pod drops", async (t) => {
  const f = file(t);
  const on = await cli('exec', f, 'laptop', '--', 'curl', '-s', 'http://192.168.56.12:30081/');
  assert.equal(on.code, 0, on.err);
  assert.match(on.out, /^RemoteAddr: 192\.168\.56\.100:\d+$/m);
  const off = await cli('exec', f, 'laptop', '--', 'curl', '-s', '--max-time', '3', 'http://192.168.56.11:30081/');
  assert.equal(off.code, 28, 'dropped: curl times out (28)');
});

test("hairpin: whoami reaches itself through its own Service, masqueraded to its node's bridge address", async (t) => {
  const r = await cli('exec', file(t), 'who', '--', 'curl', '-s', 'http://10.43.0.84/');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Hostname: who$/m);
  // SEP's "-s <pod> -j KUBE-MARK-MASQ": the pod sees the cni0 address (10.42.N.1), not its own
  assert.match(r.out, /^RemoteAddr: 10\.42\.\d+\.1:\d+$/m);
});

test("iptables-save -t nat on a node prints kube-proxy's chains, and only the nat table", async (t) => {
  const r = await cli('exec', file(t), 'server', '--', 'iptables-save', '-t', 'nat');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^# Generated by iptables-save v1\.8\.9 \(nf_tables\) on /);
  assert.doesNotMatch(r.out, /^\*filter$/m);
  assert.match(r.out, /^-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES$/m);
  assert.match(r.out, /^:KUBE-SVC-NPX46M4PTMTKRN6Y - \[0:0\]$/m);
  assert.match(
    r.out,
    /^-A KUBE-SERVICES -d 10\.43\.0\.80\/32 -p tcp -m comment --comment "default\/web cluster IP" -m tcp --dport 80 -j KUBE-SVC-[A-Z2-7]{16}$/m,
  );
  assert.match(
    r.out,
    /^-A KUBE-NODEPORTS -p tcp -m comment --comment "default\/who-np" -m tcp --dport 30080 -j KUBE-EXT-/m,
  );
  // rules carry counters only with -c
  assert.doesNotMatch(r.out, /^\[\d+:\d+\] -A/m);
  const c = await cli('exec', file(t), 'server', '--', 'iptables-save', '-c', '-t', 'filter');
  assert.match(
    c.out,
    /^\[\d+:\d+\] -A KUBE-SERVICES -d 10\.43\.0\.81\/32 .*-j REJECT --reject-with icmp-port-unreachable$/m,
  );
});
