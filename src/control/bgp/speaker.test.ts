import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SECOND } from '../../sim/engine.js';
import { formatCidr, formatIpv4 } from '../../wire/addr.js';
import type { PathAttributes } from '../../wire/bgp.js';
import { type BgpLab, type BgpLabHost, bgpLab, cidr, fullMesh, meshName } from './testing.js';

function hosts(lab: BgpLab): BgpLabHost[] {
  return lab.hosts;
}

/** The best route's attributes for `prefix` at `h`, with where it came from. */
function best(h: BgpLabHost, prefix: string): (PathAttributes & { from: string }) | undefined {
  const e = h.speaker.routes().find((r) => formatCidr(r.prefix) === prefix);
  const c = e?.candidates.find((x) => x.best);
  return c === undefined ? undefined : { ...c.attrs, from: c.from };
}

function states(h: BgpLabHost): string[] {
  return h.speaker.status().map((s) => `${s.name} ${s.state}`);
}

test('two iBGP speakers: Established after the connect delay, routes exchanged with NEXT_HOP self and LOCAL_PREF 100, then withdrawn', () => {
  const lab = bgpLab(2);
  const [a, b] = hosts(lab) as [BgpLabHost, BgpLabHost];
  a.speaker.originate(cidr('192.168.1.0/26'));
  const seen: string[] = [];
  b.speaker.onBestChange((p, r) =>
    seen.push(`${formatCidr(p)} ${r === undefined ? 'gone' : formatIpv4(r.attrs.nextHop!)}`),
  );
  fullMesh(lab);
  lab.engine.run(3.7 * SECOND);
  // BIRD waits `connect delay time` (5 s, less up to 25% jitter) in Active before connecting
  assert.deepEqual(states(a), ['Mesh_10_0_0_2 Active']);
  lab.engine.runUntilIdle(60 * SECOND);
  assert.deepEqual(states(a), ['Mesh_10_0_0_2 Established']);
  assert.deepEqual(states(b), ['Mesh_10_0_0_1 Established']);
  const r = best(b, '192.168.1.0/26')!;
  assert.equal(r.from, 'Mesh_10_0_0_1');
  assert.equal(formatIpv4(r.nextHop!), '10.0.0.1');
  assert.equal(r.localPref, 100);
  assert.deepEqual(r.asPath, []);
  assert.equal(r.origin, 'igp');
  const st = a.speaker.status()[0]!;
  assert.deepEqual([st.holdTime, st.keepaliveTime, st.exported, st.type], [240, 80, 1, 'iBGP']);
  assert.deepEqual([b.speaker.status()[0]!.received, b.speaker.status()[0]!.accepted], [1, 1]);
  a.speaker.withdraw(cidr('192.168.1.0/26'));
  lab.engine.runUntilIdle(60 * SECOND);
  assert.equal(best(b, '192.168.1.0/26'), undefined);
  assert.deepEqual(seen, ['192.168.1.0/26 10.0.0.1', '192.168.1.0/26 gone']);
  assert.equal(b.speaker.status()[0]!.received, 0);
});

test('three iBGP speakers in a full mesh: an iBGP-learned route is not passed on to another iBGP peer', () => {
  const lab = bgpLab(3);
  const [a, b, c] = hosts(lab) as [BgpLabHost, BgpLabHost, BgpLabHost];
  a.speaker.originate(cidr('192.168.1.0/26'));
  b.speaker.originate(cidr('192.168.2.0/26'));
  c.speaker.originate(cidr('192.168.3.0/26'));
  fullMesh(lab);
  lab.engine.runUntilIdle(60 * SECOND);
  for (const h of [a, b, c]) {
    assert.equal(h.speaker.routes().length, 3);
    // each prefix has exactly one candidate: from its originator, never a copy via the third speaker
    for (const r of h.speaker.routes()) assert.equal(r.candidates.length, 1, `${h.name} ${formatCidr(r.prefix)}`);
    for (const s of h.speaker.status()) assert.deepEqual([s.received, s.exported], [1, 1], `${h.name} ${s.name}`);
  }
  assert.equal(best(c, '192.168.1.0/26')!.from, meshName(a.addr));
});

test('eBGP: own AS prepended, NEXT_HOP self, no LOCAL_PREF; iBGP passes the eBGP route on with NEXT_HOP unchanged', () => {
  // h1 in AS 65001; h2 and h3 in AS 65002 (iBGP between them); h1 peers with h2 only
  const lab = bgpLab(3, { asn: (i) => (i === 0 ? 65001 : 65002) });
  const [a, b, c] = hosts(lab) as [BgpLabHost, BgpLabHost, BgpLabHost];
  a.speaker.addPeer({ address: b.addr, asn: 65002 });
  b.speaker.addPeer({ address: a.addr, asn: 65001 });
  b.speaker.addPeer({ address: c.addr, asn: 65002 });
  c.speaker.addPeer({ address: b.addr, asn: 65002 });
  a.speaker.originate(cidr('10.1.0.0/16'), { med: 7 });
  c.speaker.originate(cidr('10.3.0.0/16'));
  lab.engine.runUntilIdle(60 * SECOND);
  const atB = best(b, '10.1.0.0/16')!;
  assert.deepEqual(atB.asPath, [{ type: 'sequence', asns: [65001] }]);
  assert.equal(formatIpv4(atB.nextHop!), '10.0.0.1');
  assert.equal(atB.localPref, undefined, 'LOCAL_PREF is not sent to an external peer (RFC 4271 §5.1.5)');
  assert.equal(atB.med, 7, 'our own MED goes to the neighbouring AS');
  const atC = best(c, '10.1.0.0/16')!;
  assert.deepEqual(atC.asPath, [{ type: 'sequence', asns: [65001] }]);
  assert.equal(formatIpv4(atC.nextHop!), '10.0.0.1', 'iBGP leaves the eBGP next hop alone');
  assert.equal(atC.localPref, 100);
  assert.equal(atC.med, 7);
  // back toward AS 65001: prepended with 65002 and next hop self; the MED learned from AS 65002's
  // own speaker (iBGP) is ours to send
  const atA = best(a, '10.3.0.0/16')!;
  assert.deepEqual(atA.asPath, [{ type: 'sequence', asns: [65002] }]);
  assert.equal(formatIpv4(atA.nextHop!), '10.0.0.2');
});

test('eBGP: a route carrying our own AS is dropped as a loop (RFC 4271 §9.1.2)', () => {
  // h1 and h3 in AS 65001 without a session between them, h2 in AS 65002 peering with both
  const lab = bgpLab(3, { asn: (i) => (i === 1 ? 65002 : 65001) });
  const [a, b, c] = hosts(lab) as [BgpLabHost, BgpLabHost, BgpLabHost];
  for (const x of [a, c]) {
    x.speaker.addPeer({ address: b.addr, asn: 65002 });
    b.speaker.addPeer({ address: x.addr, asn: 65001 });
  }
  a.speaker.originate(cidr('10.1.0.0/16'));
  lab.engine.runUntilIdle(60 * SECOND);
  assert.deepEqual(best(b, '10.1.0.0/16')!.asPath, [{ type: 'sequence', asns: [65001] }]);
  // h3 receives 65002 65001: its own AS, a loop
  assert.equal(c.speaker.drops['as-path-loop'], 1);
  assert.equal(best(c, '10.1.0.0/16'), undefined);
  assert.deepEqual([c.speaker.status()[0]!.received, c.speaker.status()[0]!.accepted], [1, 0]);
});

test('hold timer expiry: both sides notice within the hold time, go Idle, withdraw, and retry after the error wait', () => {
  const lab = bgpLab(2);
  const [a, b] = hosts(lab) as [BgpLabHost, BgpLabHost];
  b.speaker.originate(cidr('192.168.2.0/26'));
  fullMesh(lab);
  lab.engine.runUntilIdle(60 * SECOND);
  assert.ok(best(a, '192.168.2.0/26'));
  const cut = lab.engine.now;
  lab.net.disconnect(b.node.port('eth0')!);
  lab.engine.run(cut + 245 * SECOND);
  for (const h of [a, b]) {
    const s = h.speaker.status()[0]!;
    assert.equal(s.state, 'Idle', h.name);
    assert.equal(s.lastError, 'Hold timer expired');
    // it expired 240 s after the last KEEPALIVE heard, which was less than 80 s before the cut
    assert.ok(s.since > cut + 160 * SECOND && s.since <= cut + 240 * SECOND, `${h.name} since`);
  }
  assert.equal(best(a, '192.168.2.0/26'), undefined);
  assert.ok(a.log.some((l) => l.endsWith('hold timer expired')));
  // BIRD's error wait (60 s), then Active, the connect delay, Connect, and connect attempts that fail
  lab.engine.run(cut + 320 * SECOND);
  assert.match(states(a)[0]!, /Active|Connect/);
  assert.ok(a.log.some((l) => l.endsWith('Idle -> Active')));
});

test('a NOTIFICATION received: the session goes down with "Received: Cease / ..." and the routes go', () => {
  const lab = bgpLab(2);
  const [a, b] = hosts(lab) as [BgpLabHost, BgpLabHost];
  a.speaker.originate(cidr('192.168.1.0/26'));
  fullMesh(lab);
  lab.engine.runUntilIdle(60 * SECOND);
  assert.ok(best(b, '192.168.1.0/26'));
  a.speaker.removePeer(b.addr);
  lab.engine.run(lab.engine.now + SECOND);
  const s = b.speaker.status()[0]!;
  assert.equal(s.lastError, 'Received: Cease / Peer De-configured');
  assert.equal(s.state, 'Idle');
  assert.equal(best(b, '192.168.1.0/26'), undefined);
  assert.deepEqual(a.speaker.status(), []);
});

test('collision detection (RFC 4271 §6.8): both connect at once; the connection opened by the higher BGP Identifier survives', () => {
  const lab = bgpLab(2, { speaker: () => ({ jitter: false }) });
  const [a, b] = hosts(lab) as [BgpLabHost, BgpLabHost];
  fullMesh(lab);
  lab.engine.runUntilIdle(60 * SECOND);
  // 10.0.0.2 > 10.0.0.1: the connection b opened is kept on both sides
  assert.equal(b.speaker.peer(a.addr)!.session!.outgoing, true);
  assert.equal(a.speaker.peer(b.addr)!.session!.outgoing, false);
  assert.ok(a.log.some((l) => l.endsWith('connection collision, closing the outgoing one')));
  assert.ok(b.log.some((l) => l.endsWith('connection collision, closing the incoming one')));
  // the collision is routine: no error left behind, one TCP connection each
  for (const h of [a, b]) {
    assert.equal(h.speaker.status()[0]!.lastError, '');
    assert.equal(h.tcp.connections().filter((c) => c.state === 'ESTABLISHED').length, 1);
  }
});

test('a refused connect is retried after the connect delay (5 s, BIRD), with RFC 4271 §10 jitter', () => {
  const lab = bgpLab(3, { speaker: (i) => ({ jitter: i !== 2 }) });
  const [a, b, c] = hosts(lab) as [BgpLabHost, BgpLabHost, BgpLabHost];
  // nobody listens on h3's address yet for these two: h1 jitters, h2 does not
  b.speaker.shutdown();
  a.speaker.addPeer({ address: c.addr, asn: 64512, port: 1179 });
  c.speaker.addPeer({ address: b.addr, asn: 64512 });
  lab.engine.run(60 * SECOND);
  const connectTimes = (h: BgpLabHost): number[] =>
    h.log.filter((l) => l.endsWith('Active -> Connect')).map((l) => Number(l.split(' ')[0]));
  // without jitter: 5 s after the start, then 5 s after each refusal (which takes one round trip)
  const plain = connectTimes(c);
  assert.equal(plain[0], 5);
  for (let i = 1; i < 5; i++) assert.ok(Math.abs(plain[i]! - plain[i - 1]! - 5) < 0.002, `connect ${i}`);
  const gaps = connectTimes(a).map((t, i, all) => t - (all[i - 1] ?? 0));
  assert.ok(gaps.length >= 10);
  for (const g of gaps) assert.ok(g >= 3.75 && g <= 5.01, `gap ${g}`);
  assert.ok(new Set(gaps.map((g) => g.toFixed(2))).size > 3, 'the gaps vary');
  assert.equal(a.speaker.status()[0]!.lastError, 'Socket: Connection refused');
  assert.equal(a.speaker.status()[0]!.state, 'Active');
});

test('determinism: the same seed gives the same sessions to the nanosecond; another seed moves the jittered connects', () => {
  const run = (seed: number): string[] => {
    const lab = bgpLab(4, { seed });
    lab.hosts.forEach((h, i) => h.speaker.originate(cidr(`192.168.${i}.0/26`)));
    fullMesh(lab);
    lab.engine.runUntilIdle(120 * SECOND);
    return lab.hosts.flatMap((h) => [...h.log, ...h.speaker.status().map((s) => `${s.name} ${s.state} ${s.since}`)]);
  };
  const a = run(7);
  assert.deepEqual(run(7), a);
  assert.notDeepEqual(run(8), a);
  assert.equal(a.filter((l) => l.includes(' Established ')).length, 12);
});

test('keepalives are background work: a converged network is idle, and an hour of keepalives keeps every session up', () => {
  const lab = bgpLab(3);
  lab.hosts.forEach((h, i) => h.speaker.originate(cidr(`192.168.${i}.0/26`)));
  fullMesh(lab);
  lab.engine.runUntilIdle(3600 * SECOND);
  const idleAt = lab.engine.now;
  assert.ok(idleAt < 120 * SECOND, `idle at ${idleAt / 1e9} s`);
  lab.engine.run(idleAt + 3600 * SECOND);
  for (const h of lab.hosts)
    for (const s of h.speaker.status()) {
      assert.equal(s.state, 'Established');
      assert.ok(s.since < idleAt, 'no session went down and came back');
    }
});

test('import and export filters: a rejected route is counted and kept out; a filtered export is never sent', () => {
  const lab = bgpLab(2, {
    speaker: (i) =>
      i === 0
        ? { exportFilter: (p) => p.len <= 26 } // as Calico's calico_aggr: blocks go out, /32s stay home
        : { importFilter: (p, a) => (p.addr >>> 24 === 10 ? undefined : { ...a, localPref: 200 }) },
  });
  const [a, b] = hosts(lab) as [BgpLabHost, BgpLabHost];
  a.speaker.originate(cidr('192.168.1.0/26'));
  a.speaker.originate(cidr('192.168.1.7/32'));
  a.speaker.originate(cidr('10.9.0.0/16'));
  fullMesh(lab);
  lab.engine.runUntilIdle(60 * SECOND);
  assert.deepEqual(
    b.speaker.routes().map((r) => formatCidr(r.prefix)),
    ['192.168.1.0/26'],
  );
  assert.equal(best(b, '192.168.1.0/26')!.localPref, 200);
  assert.equal(b.speaker.drops['import-rejected'], 1);
  assert.deepEqual([b.speaker.status()[0]!.received, b.speaker.status()[0]!.accepted], [2, 1]);
  assert.equal(a.speaker.status()[0]!.exported, 2);
});

test('after each failed session the restart waits longer, 60 s doubling to 300 s, until failures are 300 s apart (BIRD error wait and forget times)', () => {
  const lab = bgpLab(2, { speaker: () => ({ jitter: false }) });
  const [a, b] = hosts(lab) as [BgpLabHost, BgpLabHost];
  const downs: number[] = [];
  const starts: number[] = [];
  a.speaker.onStateChange((p) => {
    if (p.state === 'Idle') downs.push(lab.engine.now);
    if (p.state === 'Active' && downs.length > starts.length) starts.push(lab.engine.now);
  });
  // b expects another AS: every OPEN of a's is refused with Bad Peer AS, so every attempt fails
  a.speaker.addPeer({ address: b.addr, asn: 64512 });
  b.speaker.addPeer({ address: a.addr, asn: 65000 });
  lab.engine.run(1800 * SECOND);
  const waits = starts.map((t, i) => Math.round((t - downs[i]!) / SECOND));
  // the failure after the 300 s wait comes more than 300 s after the one before: the sequence starts again
  assert.deepEqual(waits.slice(0, 6), [60, 120, 240, 300, 60, 120]);
  assert.equal(a.speaker.status()[0]!.lastError, 'Received: OPEN Message Error / Bad Peer AS');
});
