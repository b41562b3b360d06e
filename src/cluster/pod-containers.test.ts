import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCluster } from '../scenario/manifests.js';
import { buildCluster, type ClusterRuntime, flannelOf } from './runtime.js';
import { SECOND } from '../sim/engine.js';
import { parseEthernet } from '../wire/ethernet.js';
import { parseIpv4 } from '../wire/ipv4.js';
import { parseTcp, TCP_RST, TCP_SYN } from '../wire/tcp.js';
import { formatIpv4 } from '../wire/addr.js';

// tests run from dist/src/cluster; the examples are at the repository root
const IMAGES = join(import.meta.dirname, '../../../examples/cluster-images.yaml');

async function cluster(text = readFileSync(IMAGES, 'utf8')): Promise<ClusterRuntime> {
  const r = loadCluster([{ file: 'cluster.yaml', text }]);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return buildCluster(r.cluster.plan);
}

/** Every TCP segment put on any wire, as "time src:port > dst:port FLAGS" with S and R marked. */
function tapTcp(c: ClusterRuntime): { t: number; src: string; dst: string; syn: boolean; rst: boolean }[] {
  const seen: { t: number; src: string; dst: string; syn: boolean; rst: boolean }[] = [];
  const tap = (t: number, frame: Uint8Array): void => {
    const eth = parseEthernet(frame);
    if (!eth.ok || eth.value.ethertype !== 0x0800) return;
    const ip = parseIpv4(eth.value.payload);
    if (!ip.ok || ip.value.header.protocol !== 6) return;
    const tcp = parseTcp(ip.value.payload);
    if (!tcp.ok) return;
    const h = ip.value.header;
    seen.push({
      t,
      src: `${formatIpv4(h.src)}:${tcp.value.srcPort}`,
      dst: `${formatIpv4(h.dst)}:${tcp.value.dstPort}`,
      syn: (tcp.value.flags & TCP_SYN) !== 0,
      rst: (tcp.value.flags & TCP_RST) !== 0,
    });
  };
  for (const l of c.network.links) l.ab.tap = l.ba.tap = tap;
  return seen;
}

const pod = (c: ClusterRuntime, name: string) =>
  [...c.pods.values()].find((p) => p.name === name || p.id.includes(`/${name}`))!;

describe('pods run their containers, probed by the kubelet', () => {
  it('a readiness probe on a port nothing listens on leaves the pod not ready; its SYNs and RSTs are on the wire', async () => {
    const c = await cluster();
    const seen = tapTcp(c);
    c.engine.run(7 * SECOND);
    const p = pod(c, 'not-ready');
    const gw = formatIpv4((flannelOf(c.nodes.get(p.node)!).lease.subnet.addr + 1) >>> 0);
    assert.equal(p.ready, false);
    assert.equal(p.containers.statuses[0]!.running, true);
    // probes every 2 s from the node (its cni0 address toward a local pod), at 0, 2, 4 and 6 s
    const target = `${formatIpv4(p.ip)}:8080`;
    const syns = seen.filter((s) => s.syn && s.dst === target);
    assert.deepEqual(
      syns.map((s) => Math.floor(s.t / SECOND)),
      [0, 2, 4, 6],
    );
    for (const s of syns) assert.ok(s.src.startsWith(`${gw}:`), `probe from ${s.src}, expected the node's ${gw}`);
    assert.equal(seen.filter((s) => s.rst && s.src === target).length, 4, 'each refused with RST');
    const readiness = p.containers.probeEvents.filter((e) => e.kind === 'readiness');
    assert.equal(readiness.length, 4);
    assert.ok(readiness.every((e) => !e.ok && /connect: connection refused/.test(e.detail)));
    // its liveness probe (httpGet / on 80, every 10 s) passes: no restart
    const liveness = p.containers.probeEvents.filter((e) => e.kind === 'liveness');
    assert.deepEqual(
      liveness.map((e) => [e.ok, e.detail]),
      [[true, 'HTTP probe succeeded with statuscode: 200']],
    );
    assert.equal(p.containers.statuses[0]!.restartCount, 0);
  });

  it('a pod whose readiness probe passes turns ready after its first probe; pods without probes are ready at once', async () => {
    const c = await cluster();
    const web = [...c.pods.values()].filter((p) => p.name.startsWith('web-'));
    assert.equal(web.length, 2);
    for (const p of web) assert.equal(p.ready, false, 'not ready before the first probe');
    assert.equal(pod(c, 'client').ready, true);
    assert.equal(pod(c, 'mystery').ready, true, 'an unknown image runs; with no probe it is ready');
    c.engine.run(1 * SECOND);
    for (const p of web) assert.equal(p.ready, true, `${p.id}`);
  });

  it('a failing liveness probe restarts the container after failureThreshold periods', async () => {
    const text = `${readFileSync(IMAGES, 'utf8').split('\n---\n')[0]}
---
apiVersion: v1
kind: Pod
metadata: { name: flaky }
spec:
  containers:
    - name: web
      image: nginx
      livenessProbe:
        httpGet: { path: /healthz, port: 80 }
        initialDelaySeconds: 5
        periodSeconds: 3
        failureThreshold: 2
`;
    const c = await cluster(text);
    const p = pod(c, 'flaky');
    c.engine.run(9 * SECOND + SECOND / 2);
    // ticks at 0 and 3 s are inside the initial delay; 6 s and 9 s get nginx's 404: two failures, a restart
    const events = p.containers.probeEvents.map((e) => [Math.floor(e.time / SECOND), e.ok, e.detail]);
    assert.deepEqual(events, [
      [6, false, 'HTTP probe failed with statuscode: 404'],
      [9, false, 'HTTP probe failed with statuscode: 404'],
    ]);
    assert.equal(p.containers.statuses[0]!.restartCount, 1);
    assert.equal(p.containers.statuses[0]!.running, true);
  });

  it('two containers of a pod on the same port: the second cannot bind and the pod is not ready', async () => {
    const text = `${readFileSync(IMAGES, 'utf8').split('\n---\n')[0]}
---
apiVersion: v1
kind: Pod
metadata: { name: twice }
spec:
  containers:
    - { name: a, image: nginx }
    - { name: b, image: httpd }
`;
    const c = await cluster(text);
    const p = pod(c, 'twice');
    assert.equal(p.containers.statuses[0]!.running, true);
    assert.equal(p.containers.statuses[1]!.running, false);
    assert.match(p.containers.statuses[1]!.exited ?? '', /80 already listening/);
    assert.equal(p.ready, false);
  });
});
