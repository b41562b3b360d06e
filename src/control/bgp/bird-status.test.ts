/**
 * The speaker's status through the BIRD views: last errors in BIRD's words, and a two-node mesh's
 * `birdcl show route` / `show protocols` as Calico's BIRD prints them (format strings in views.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SECOND } from '../../sim/engine.js';
import { notificationText } from '../../wire/bgp.js';
import { birdProtocolOf, birdRoutesOf, lastErrorOf } from './bird-status.js';
import { bgpLab, cidr, fullMesh } from './testing.js';
import { birdLastErrorText, birdShowProtocols, birdShowRoute, birdTime } from './views.js';

test("the speaker's last errors become BIRD's error classes and texts", () => {
  const bird = (s: string): string => birdLastErrorText(lastErrorOf(s));
  assert.equal(lastErrorOf(''), undefined);
  assert.equal(bird('Hold timer expired'), 'BGP Error: Hold timer expired');
  assert.equal(bird('Received: Cease / Administrative Shutdown'), 'Received: Administrative shutdown');
  assert.equal(bird('Received: Hold Timer Expired'), 'Received: Hold timer expired');
  assert.equal(bird('Sent: Cease / Peer De-configured'), 'BGP Error: Peer de-configured');
  assert.equal(bird('Socket: Connection refused'), 'Socket: Connection refused');
  // every NOTIFICATION the codec names comes back as its code and subcode
  for (const [code, subcode] of [
    [1, 1],
    [2, 6],
    [3, 11],
    [5, 3],
    [6, 7],
    [7, 1],
  ] as const) {
    assert.deepEqual(lastErrorOf(`Received: ${notificationText(code, subcode)}`), { kind: 'received', code, subcode });
  }
});

test("a two-node mesh: each node's birdcl show protocols and show route, as Calico's BIRD prints them", () => {
  const lab = bgpLab(2, { timers: { connectDelayTime: 0 } });
  const [a, b] = [lab.hosts[0]!, lab.hosts[1]!];
  a.speaker.originate(cidr('192.168.236.0/26'));
  b.speaker.originate(cidr('192.168.190.192/26'));
  fullMesh(lab);
  lab.engine.runUntilIdle(60 * SECOND);
  // simulated time 0 is 2026-01-01 06:14:50 UTC; the command runs a minute later
  const clock = { epochMs: Date.UTC(2026, 0, 1, 6, 14, 50), now: lab.engine.now + 60 * SECOND };
  const status = a.speaker.status();
  assert.equal(status[0]?.state, 'Established');
  // the session came up within the first seconds
  const since = birdTime(status[0].since, clock, 'calico-bird');
  assert.match(since, /^06:14:5\d$/);
  assert.equal(
    birdShowProtocols(status.map(birdProtocolOf), [], clock, 'calico-bird'),
    `name     proto    table    state  since       info\nMesh_10_0_0_2 BGP      master   up     ${since}    Established   \n`,
  );
  const routes = birdRoutesOf(a.speaker.routes(), status, () => 'eth0', 0);
  assert.equal(
    birdShowRoute(routes, clock, 'calico-bird'),
    [
      `192.168.190.192/26 via 10.0.0.2 on eth0 [Mesh_10_0_0_2 ${since}] * (100/0) [i]`,
      '192.168.236.0/26   blackhole [static1 06:14:50] * (200)',
      '',
    ].join('\n'),
  );
});
