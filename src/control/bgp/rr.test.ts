import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SECOND } from '../../sim/engine.js';
import { formatCidr, formatIpv4 } from '../../wire/addr.js';
import type { BgpLabHost } from './testing.js';
import { bgpLab, cidr, ip } from './testing.js';

const CLUSTER = ip('10.255.0.1');

/** "prefix <- from: originator=... clusters=..." for each best route learned over BGP at h. */
function learned(h: BgpLabHost): string[] {
  return h.speaker
    .routes()
    .flatMap((r) => r.candidates.filter((c) => c.best && c.from !== 'local').map((c) => ({ r, c })))
    .map(
      ({ r, c }) =>
        `${formatCidr(r.prefix)} via ${formatIpv4(c.attrs.nextHop!)} lp ${c.attrs.localPref} orig ${
          c.attrs.originatorId === undefined ? '-' : formatIpv4(c.attrs.originatorId)
        } clusters ${(c.attrs.clusterList ?? []).map(formatIpv4).join(',') || '-'}`,
    );
}

/** h1 reflects for clients h2, h3, h4; h5 and h6 are non-clients (each peers with h1 only). */
function rrLab() {
  const lab = bgpLab(6, { speaker: (i) => (i === 0 ? { clusterId: CLUSTER } : {}) });
  const [rr, ...others] = lab.hosts as [BgpLabHost, ...BgpLabHost[]];
  others.forEach((h, i) => {
    rr.speaker.addPeer({ address: h.addr, asn: 64512, rrClient: i < 3 });
    h.speaker.addPeer({ address: rr.addr, asn: 64512 });
    h.speaker.originate(cidr(`192.168.${i + 2}.0/26`));
  });
  lab.engine.runUntilIdle(60 * SECOND);
  return { lab, rr, h: lab.hosts };
}

test('route reflection (RFC 4456 §8): a client route goes to every other client and to non-clients, with ORIGINATOR_ID and CLUSTER_LIST', () => {
  const { h } = rrLab();
  const fromH2 = '192.168.2.0/26 via 10.0.0.2 lp 100 orig 10.0.0.2 clusters 10.255.0.1';
  for (const x of [h[2]!, h[3]!, h[4]!, h[5]!])
    assert.ok(learned(x).includes(fromH2), `${x.name}: ${learned(x).join('; ')}`);
  // never back to the client it came from
  const own = h[1]!.speaker.routes().find((r) => formatCidr(r.prefix) === '192.168.2.0/26')!;
  assert.deepEqual(
    own.candidates.map((c) => c.from),
    ['local'],
  );
});

test('route reflection: a non-client route goes to clients only, not to the other non-client', () => {
  const { h } = rrLab();
  const fromH5 = '192.168.5.0/26 via 10.0.0.5 lp 100 orig 10.0.0.5 clusters 10.255.0.1';
  for (const x of [h[1]!, h[2]!, h[3]!]) assert.ok(learned(x).includes(fromH5), x.name);
  assert.deepEqual(
    learned(h[5]!).filter((l) => l.startsWith('192.168.5.')),
    [],
    'h6 (non-client) does not get h5 (non-client) routes',
  );
  assert.deepEqual(
    learned(h[4]!).map((l) => l.split(' ')[0]),
    ['192.168.2.0/26', '192.168.3.0/26', '192.168.4.0/26'],
    'h5 gets the three client routes only',
  );
});

test('route reflection: the reflector itself uses the routes as learned (no ORIGINATOR_ID) and counts what it exports', () => {
  const { rr } = rrLab();
  assert.deepEqual(learned(rr), [
    '192.168.2.0/26 via 10.0.0.2 lp 100 orig - clusters -',
    '192.168.3.0/26 via 10.0.0.3 lp 100 orig - clusters -',
    '192.168.4.0/26 via 10.0.0.4 lp 100 orig - clusters -',
    '192.168.5.0/26 via 10.0.0.5 lp 100 orig - clusters -',
    '192.168.6.0/26 via 10.0.0.6 lp 100 orig - clusters -',
  ]);
  // a client gets the 4 routes that are not its own; a non-client the 3 client routes
  assert.deepEqual(
    rr.speaker.status().map((s) => `${s.name} rr=${s.rrClient} in=${s.received} out=${s.exported}`),
    [
      'peer_10_0_0_2 rr=true in=1 out=4',
      'peer_10_0_0_3 rr=true in=1 out=4',
      'peer_10_0_0_4 rr=true in=1 out=4',
      'peer_10_0_0_5 rr=false in=1 out=3',
      'peer_10_0_0_6 rr=false in=1 out=3',
    ],
  );
});

test("route reflection: two reflectors of one cluster drop each other's reflections (CLUSTER_LIST loop); clients keep both copies", () => {
  // h1 and h2 reflect for h3, h4 in one cluster, and peer with each other as non-clients
  const lab = bgpLab(4, { speaker: (i) => (i < 2 ? { clusterId: CLUSTER } : {}) });
  const [r1, r2, c1, c2] = lab.hosts as [BgpLabHost, BgpLabHost, BgpLabHost, BgpLabHost];
  r1.speaker.addPeer({ address: r2.addr, asn: 64512 });
  r2.speaker.addPeer({ address: r1.addr, asn: 64512 });
  for (const r of [r1, r2])
    for (const c of [c1, c2]) {
      r.speaker.addPeer({ address: c.addr, asn: 64512, rrClient: true });
      c.speaker.addPeer({ address: r.addr, asn: 64512 });
    }
  c1.speaker.originate(cidr('192.168.3.0/26'));
  lab.engine.runUntilIdle(60 * SECOND);
  for (const r of [r1, r2]) assert.equal(r.speaker.drops['cluster-list-loop'], 1, r.name);
  const at = c2.speaker.routes().find((x) => formatCidr(x.prefix) === '192.168.3.0/26')!;
  assert.equal(at.candidates.length, 2);
  // equal up to the peer address (same ORIGINATOR_ID, same CLUSTER_LIST length): the lower, h1, wins
  assert.equal(at.candidates.find((c) => c.best)!.from, 'peer_10_0_0_1');
});
