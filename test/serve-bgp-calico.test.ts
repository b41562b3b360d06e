/**
 * `podnet serve CLUSTER.yaml --bgp-peer`: a real BIRD 2 peers with an emulated Calico cluster, as a ToR
 * router peers with a cluster's route reflector. With the 10-node route-reflector example, BIRD (on
 * 127.0.0.2, a non-privileged port) learns rr1's block and its clients' blocks with each node's address as
 * next hop (reflected by rr1; rr2's own block stays between the reflectors, as RFC 4456 has it), and the route BIRD originates reaches the cluster: serve logs it, and a client node's
 * BIRD installs it. serve logs the session's state changes.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { EXAMPLES_DIR } from './support/examples.js';
import { requirePeer } from './support/peers.js';
import { BIRD, freePort, parseShowRouteAll, startBird } from './support/bird.js';

const BIN = join(import.meta.dirname, '../src/cli/bin.js');
const RR = join(EXAMPLES_DIR, 'cluster-calico-rr.yaml');

function birdConfig(birdPort: number): string {
  return `# podnet serve --bgp-peer test: BIRD 2 as a ToR router (AS 64512, iBGP) peering with rr1
router id 127.0.0.2;
protocol device {}
protocol static {
  ipv4;
  route 10.99.0.0/24 blackhole;
  # the nodes' network, so BIRD resolves the next hops it learns (iBGP next hops are recursive)
  route 10.0.0.0/24 via "lo";
}
protocol bgp tor {
  local 127.0.0.2 port ${birdPort} as 64512;
  neighbor 127.0.0.1 as 64512;
  passive on;
  ipv4 { import all; export where net = 10.99.0.0/24; };
}
`;
}

/** Polls `check` every 200 ms until it returns true or `ms` pass. */
async function until(ms: number, check: () => Promise<boolean> | boolean): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

test('serve --bgp-peer: BIRD learns every block of the cluster through its route reflector, and its route comes back', async (t: TestContext) => {
  if (!requirePeer(t, 'BIRD', BIRD)) return;
  const birdPort = await freePort();
  const bird = await startBird(birdConfig(birdPort));
  t.after(() => bird.stop());
  const child = spawn(process.execPath, [BIN, 'serve', RR, '--bgp-peer', `127.0.0.2:${birdPort},as=64512`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));

  const learned = await until(40_000, async () => {
    const routes = parseShowRouteAll(await bird.birdcl('show', 'route', 'all'));
    return routes.filter((r) => r.prefix.endsWith('/26')).length === 9;
  });
  assert.ok(
    learned,
    `BIRD did not learn 9 blocks; serve said:\n${out}\nBIRD: ${await bird.birdcl('show', 'protocols', 'all')}`,
  );
  const routes = parseShowRouteAll(await bird.birdcl('show', 'route', 'all')).filter((r) => r.prefix.endsWith('/26'));
  // each block's next hop is the node that owns it, one block each. rr2's is not among them: rr1 learns it
  // from rr2, a non-client in its own cluster, and RFC 4456 reflects only clients' routes to a non-client
  // (the ToR); a ToR would peer with both reflectors to have it
  assert.deepEqual(
    routes.map((r) => r.nextHop).sort(),
    ['10.0.0.11', ...Array.from({ length: 8 }, (_, i) => `10.0.0.${13 + i}`)].sort(),
  );
  assert.match(out, /^ {2}BGP: rr1 \(10\.0\.0\.11\) peers with 127\.0\.0\.2:\d+ as 64512$/m);
  assert.match(out, /Established/);
  // BIRD's own route: serve logs it as learned from the outside peer
  assert.ok(
    await until(20_000, () => /bgp Global_127_0_0_2_port_\d+: route 10\.99\.0\.0\/24 via 127\.0\.0\.2/.test(out)),
    out,
  );
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  assert.match(out, /podnet serve: SIGINT: stopped after/);
});
