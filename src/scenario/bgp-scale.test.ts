import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bgpScaleClusterText, expectedBgpSessions, runBgpScale } from './bgp-scale.js';
import { loadCluster } from './manifests.js';
import { buildCluster } from '../cluster/runtime.js';
import { clusterMachine, runOnMachine } from './cluster-shell.js';

test('a 10-node full mesh converges with 45 sessions, 9 per node, and every block routed', async () => {
  const r = await runBgpScale(10, 'mesh');
  assert.equal(r.sessions, 45);
  assert.equal(r.sessionsPerNode, 9);
  // 9 routes from BIRD, the default route, 10.0.0.0/16 on eth0, the node's own block's blackhole
  assert.equal(r.routesPerNode, 12);
  // confd's connect delay is 2 s, jittered by [0.75, 1]: the sessions come up just before 2 s
  assert.ok(r.convergedSimSeconds > 1.5 && r.convergedSimSeconds < 3, String(r.convergedSimSeconds));
});

test('two route reflectors: clients peer with both, the reflectors with everyone (2(N-2)+1 sessions)', async () => {
  const r = await runBgpScale(10, 'rr');
  assert.deepEqual(expectedBgpSessions(10, 'rr'), { total: 17, perNode: 2, perReflector: 9 });
  assert.equal(r.sessions, 17);
  assert.equal(r.sessionsPerNode, 2);
  assert.equal(r.sessionsPerReflector, 9);
  assert.equal(r.routesPerNode, 12);
  // nine clients' UPDATEs fit in a reflector's 1,000-frame transmit queue (at 1,000 nodes over 1 Gbit/s they do not)
  assert.equal(r.queueFullDrops, 0);
});

test('the generated rr cluster is what calicoctl node status and ip route show on a client', async () => {
  const loaded = loadCluster([{ file: 'rr.yaml', text: bgpScaleClusterText(4, 'rr') }]);
  assert.ok(loaded.ok);
  const c = await buildCluster(loaded.cluster.plan);
  c.engine.runFor(10e9);
  const m = clusterMachine(c, 'n3');
  assert.ok(m !== undefined);
  const run = (cmd: string): string => {
    let out: string | undefined;
    runOnMachine(m, cmd.split(' '), (r) => (out = r.stdout));
    c.engine.runFor(1e9);
    assert.ok(out !== undefined, cmd);
    return out;
  };
  const status = run('calicoctl node status');
  // a client's peers are the two reflectors, node specific (the BGPPeer selects them), both up
  assert.match(status, /\| 10\.0\.0\.2 +\| node specific +\| up /);
  assert.match(status, /\| 10\.0\.0\.3 +\| node specific +\| up /);
  assert.doesNotMatch(status, /node-to-node mesh/);
  const routes = run('ip route').trim().split('\n');
  assert.equal(routes.length, c.nodes.get('n3')!.stack.routes.size);
  assert.equal(routes.filter((l) => / via 10\.0\.0\.\d+ dev tunl0 proto bird onlink/.test(l)).length, 3);
});
