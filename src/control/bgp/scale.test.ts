import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SECOND } from '../../sim/engine.js';
import { bgpLab, fullMesh } from './testing.js';

const N = Number(process.env.BGP_SCALE_N ?? 100);

test(`scale: ${N} speakers in a full iBGP mesh on one switch converge`, (t) => {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const lab = bgpLab(N);
  lab.hosts.forEach((h, i) => h.speaker.originate({ addr: (192 << 24) | (168 << 16) | (i << 6), len: 26 }));
  let lastChange = 0;
  for (const h of lab.hosts) h.speaker.onBestChange(() => (lastChange = lab.engine.now));
  fullMesh(lab);
  lab.engine.runUntilIdle(600 * SECOND);
  const wall = (performance.now() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = ((cpu.user + cpu.system) / 1e6).toFixed(2);
  let established = 0;
  for (const h of lab.hosts) for (const s of h.speaker.status()) if (s.state === 'Established') established++;
  t.diagnostic(
    `${N} nodes, ${(N * (N - 1)) / 2} sessions: last route installed at sim ${(lastChange / 1e9).toFixed(3)} s, wall ${wall.toFixed(2)} s (cpu ${cpuSeconds} s), ${lab.engine.eventsRun} events`,
  );
  assert.equal(established, N * (N - 1));
  for (const h of lab.hosts) assert.equal(h.speaker.loc.size, N);
});

const RR_N = Number(process.env.BGP_RR_N ?? 200);

test(`scale: ${RR_N} speakers as clients of two route reflectors converge`, (t) => {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const lab = bgpLab(RR_N, { speaker: (i) => (i < 2 ? { clusterId: 0x0aff0001 } : {}) });
  const [r1, r2, ...clients] = lab.hosts;
  for (const r of [r1!, r2!]) {
    for (const c of clients) {
      r.speaker.addPeer({ address: c.addr, asn: 64512, rrClient: true });
      c.speaker.addPeer({ address: r.addr, asn: 64512 });
    }
  }
  r1!.speaker.addPeer({ address: r2!.addr, asn: 64512 });
  r2!.speaker.addPeer({ address: r1!.addr, asn: 64512 });
  clients.forEach((h, i) => h.speaker.originate({ addr: (192 << 24) | (168 << 16) | (i << 6), len: 26 }));
  let lastChange = 0;
  for (const h of lab.hosts) h.speaker.onBestChange(() => (lastChange = lab.engine.now));
  lab.engine.runUntilIdle(600 * SECOND);
  const wall = (performance.now() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = ((cpu.user + cpu.system) / 1e6).toFixed(2);
  const updates = lab.hosts.reduce((n, h) => n + h.speaker.updatesOut, 0);
  t.diagnostic(
    `${RR_N} nodes, ${2 * clients.length + 1} sessions: last route installed at sim ${(lastChange / 1e9).toFixed(3)} s, wall ${wall.toFixed(2)} s (cpu ${cpuSeconds} s), ${lab.engine.eventsRun} events, ${updates} UPDATEs`,
  );
  for (const h of clients) {
    assert.deepEqual(
      h.speaker.status().map((s) => s.state),
      ['Established', 'Established'],
    );
    assert.equal(h.speaker.loc.size, clients.length);
  }
});
