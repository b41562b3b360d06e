/**
 * The kubelet's rules seen from the CLI: a container's hostPort answers on its node's address (the runtime
 * passes portMappings to the CNI ADD, the portmap plugin programs CNI-HOSTPORT-DNAT), from outside the
 * cluster, from a pod on another node and on the node itself; and `podnet demo` on a single-node cluster
 * (k3s's default install) pings pod to pod on the node and pod to node, and exits 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NGINX_INDEX_HTML } from '../src/apps/images/nginx.js';
import { EXAMPLES_DIR } from './support/examples.js';
import { cli, tempDir } from './support/cli.js';

const SINGLE = join(EXAMPLES_DIR, 'cluster-single-node.yaml');

/** Two nodes: nginx with hostPort 8080 pinned to the agent, a client pod on the server. */
const TWO_NODES = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
metadata: { name: hp }
spec:
  seed: 1
  nodes:
    - { name: server, address: 192.168.56.11/24, role: server }
    - { name: agent, address: 192.168.56.12/24, role: agent }
  disable: [coredns]
---
apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  nodeName: agent
  containers:
    - { name: web, image: nginx, ports: [{ containerPort: 80, hostPort: 8080 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  nodeName: server
  containers: [{ name: c, image: busybox, command: [sleep, infinity] }]
`;

test('hostPort 8080 answers on the node address: the laptop outside and a pod on the same node get nginx', async () => {
  for (const who of ['laptop', 'client', 'server']) {
    const r = await cli('exec', SINGLE, who, '--', 'curl', '-s', 'http://192.168.56.11:8080/');
    assert.equal(r.code, 0, `${who}: ${r.err}`);
    assert.equal(r.out, NGINX_INDEX_HTML.trimEnd(), who);
  }
  // only the mapped port is published: the node itself listens on nothing else (curl: 7, connection refused)
  const other = await cli('exec', SINGLE, 'laptop', '--', 'curl', '-s', 'http://192.168.56.11:8081/');
  assert.equal(other.code, 7);
});

test("hostPort across nodes: a pod on the server curls the agent's address; the agent's nat table has portmap's DNAT", async (t) => {
  const dir = tempDir(t, 'podnet-hostport-');
  const file = join(dir, 'cluster-hostport.yaml');
  writeFileSync(file, TWO_NODES);
  const r = await cli('exec', file, 'client', '--', 'curl', '-s', 'http://192.168.56.12:8080/');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /<title>Welcome to nginx!<\/title>/);
  const nat = await cli('exec', file, 'agent', '--', 'iptables-save');
  assert.equal(nat.code, 0, nat.err);
  // the rules of plugins/meta/portmap (portmap.go fillDnatRules): the chain per container, jumped to by port
  assert.match(
    nat.out,
    /^(?:\[\d+:\d+\] )?-A CNI-HOSTPORT-DNAT -p tcp .*-m multiport --dports 8080 -j CNI-DN-[0-9a-f]+$/m,
  );
  assert.match(
    nat.out,
    /^(?:\[\d+:\d+\] )?-A CNI-DN-[0-9a-f]+ -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10\.42\.1\.\d+:80$/m,
  );
  // the server runs no hostPort pod: no DNAT there
  const serverNat = await cli('exec', file, 'server', '--', 'iptables-save');
  assert.doesNotMatch(serverNat.out, /--dports 8080/);
});

test('demo on a single-node cluster: pod to pod on the node, then pod to node, both answered, exit 0', async () => {
  const r = await cli('demo', '--file', SINGLE, '--no-pcap');
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^podnet demo: cluster "single" .*: 1 node, Flannel vxlan/m);
  assert.match(r.out, /^server +192\.168\.56\.11\/24 +10\.42\.0\.0\/24 +vxlan +1450$/m);
  const pings = [...r.out.matchAll(/^ping (.*)$/gm)].map((m) => m[1]);
  assert.equal(pings.length, 2, r.out);
  assert.match(
    pings[0]!,
    /^default\/client \(10\.42\.0\.\d+ on server\) -> default\/web-\S+ \(10\.42\.0\.\d+ on server\)/,
  );
  assert.match(pings[1]!, /^default\/client \(10\.42\.0\.\d+\) -> node server \(192\.168\.56\.11\):$/);
  assert.equal([...r.out.matchAll(/^reply received: \d+ frames on the wire$/gm)].length, 2, r.out);
  // the node answers from its own address, routing the reply back into cni0
  assert.match(r.out, /^\d+ +\S+ +server +- +veth\w+ .* 192\.168\.56\.11 +10\.42\.0\.\d+ +ICMP echo reply/m);
  const json = await cli('demo', '--file', SINGLE, '--no-pcap', '--json');
  assert.equal(json.code, 0);
});
