import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SECOND } from '../../sim/engine.js';
import { bgpLab, fullMesh } from './testing.js';

const N = Number(process.env.BGP_SCALE_N ?? 100);

test(`scale: ${N} speakers in a full iBGP mesh on one switch converge`, (t) => {
  const wall0 = performance.now();
  const lab = bgpLab(N);
  lab.hosts.forEach((h, i) => h.speaker.originate({ addr: (192 << 24) | (168 << 16) | (i << 6), len: 26 }));
  fullMesh(lab);
  lab.engine.runUntilIdle(600 * SECOND);
  const wall = (performance.now() - wall0) / 1000;
  let established = 0;
  for (const h of lab.hosts) for (const s of h.speaker.status()) if (s.state === 'Established') established++;
  t.diagnostic(
    `${N} nodes, ${(N * (N - 1)) / 2} sessions: converged at sim ${(lab.engine.now / 1e9).toFixed(3)} s, wall ${wall.toFixed(2)} s, ${lab.engine.eventsRun} events`,
  );
  assert.equal(established, N * (N - 1));
  for (const h of lab.hosts) assert.equal(h.speaker.loc.size, N);
});
