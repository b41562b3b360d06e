import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MS } from '../../sim/engine.js';
import { formatCidr, formatIpv4 } from '../../wire/addr.js';
import { AS_TRANS, type BgpCodecCtx, type BgpUpdate, type PathAttributes, emitBgpMessage } from '../../wire/bgp.js';
import { type BgpLab, type BgpLabHost, ScriptedPeer, bgpLab, cidr, ip, testOpen } from './testing.js';

/**
 * h1's speaker (AS `localAs`) with h2 configured as a passive neighbour; h2 is a ScriptedPeer that opens
 * the session by hand. Returns once OPEN and KEEPALIVE went both ways (unless `open` is false).
 */
function scripted(o: { localAs?: number; peerAs?: number; ctx?: BgpCodecCtx; holdTime?: number; open?: boolean } = {}) {
  const peerAs = o.peerAs ?? 64512;
  const lab: BgpLab = bgpLab(2, { asn: (i) => (i === 0 ? (o.localAs ?? 64512) : peerAs) });
  const [h1, h2] = lab.hosts as [BgpLabHost, BgpLabHost];
  h2.speaker.shutdown();
  h1.speaker.addPeer({ address: h2.addr, asn: peerAs, passive: true });
  const sp = new ScriptedPeer(h2, o.ctx ?? { fourOctetAs: true });
  sp.connect(h1.addr);
  lab.engine.run(lab.engine.now + 200 * MS);
  sp.send(testOpen(peerAs, h2.addr, o.holdTime ?? 240, o.ctx?.fourOctetAs === false));
  if (o.open !== false) sp.send({ type: 'keepalive' });
  lab.engine.run(lab.engine.now + 200 * MS);
  const step = (ms = 200): void => lab.engine.run(lab.engine.now + ms * MS);
  const state = (): string => h1.speaker.status()[0]!.state;
  const route = (p: string): PathAttributes | undefined =>
    h1.speaker
      .routes()
      .find((r) => formatCidr(r.prefix) === p)
      ?.candidates.find((c) => c.best)?.attrs;
  return { lab, h1, h2, sp, step, state, route };
}

const ATTRS: PathAttributes = { origin: 'igp', asPath: [], nextHop: ip('10.0.0.2'), localPref: 100, unknown: [] };
const update = (a: Partial<PathAttributes>, nlri: string[], withdrawn: string[] = []): BgpUpdate => ({
  type: 'update',
  withdrawn: withdrawn.map(cidr),
  attrs: { ...ATTRS, ...a },
  nlri: nlri.map(cidr),
});

test('scripted peer: the OPEN exchange, then a route learned and withdrawn', () => {
  const s = scripted();
  assert.equal(s.state(), 'Established');
  const open = s.sp.ofType('open')[0]!;
  assert.deepEqual([open.myAs, open.holdTime, formatIpv4(open.bgpId)], [64512, 240, '10.0.0.1']);
  assert.deepEqual(
    open.capabilities.map((c) => c.kind),
    ['multiprotocol', 'route-refresh', 'four-octet-as'],
  );
  s.sp.send(update({}, ['10.9.0.0/16', '10.8.0.0/16']));
  s.step();
  assert.equal(formatIpv4(s.route('10.9.0.0/16')!.nextHop!), '10.0.0.2');
  s.sp.send({ type: 'update', withdrawn: [cidr('10.9.0.0/16')], attrs: { unknown: [] }, nlri: [] });
  s.step();
  assert.equal(s.route('10.9.0.0/16'), undefined);
  assert.ok(s.route('10.8.0.0/16'));
});

test('RFC 7606 treat-as-withdraw: a bad ORIGIN removes the prefixes of that UPDATE and keeps the session up', () => {
  const s = scripted();
  s.sp.send(update({}, ['10.9.0.0/16']));
  s.step();
  assert.ok(s.route('10.9.0.0/16'));
  const bytes = emitBgpMessage(update({}, ['10.9.0.0/16']), { fourOctetAs: true });
  // first attribute at 23 (header 19, withdrawn length 2, attribute length 2): ORIGIN flags, type 1, length 1, value
  assert.deepEqual([bytes[23], bytes[24], bytes[25]], [0x40, 1, 1]);
  bytes[26] = 7; // RFC 7606 §7.1: an undefined ORIGIN value is treat-as-withdraw
  s.sp.sendRaw(bytes);
  s.step();
  assert.equal(s.route('10.9.0.0/16'), undefined);
  assert.equal(s.state(), 'Established');
  assert.equal(s.h1.speaker.drops['treat-as-withdraw'], 1);
  assert.deepEqual(s.sp.ofType('notification'), []);
});

test('RFC 7606 attribute discard: a malformed ATOMIC_AGGREGATE is dropped and the route kept', () => {
  const s = scripted();
  // RFC 7606 §7.6: ATOMIC_AGGREGATE with a length other than 0
  s.sp.send(update({ unknown: [{ flags: 0x40, code: 6, value: Uint8Array.of(1) }] }, ['10.9.0.0/16']));
  s.step();
  const r = s.route('10.9.0.0/16')!;
  assert.equal(r.atomicAggregate, undefined);
  assert.equal(s.state(), 'Established');
  assert.equal(s.h1.speaker.drops['attribute-discard'], 1);
});

test('RFC 7606 session reset: an NLRI field that cannot be parsed ends the session with UPDATE Message Error / Invalid Network Field', () => {
  const s = scripted();
  s.sp.send(update({}, ['10.9.0.0/16']));
  s.step();
  const bytes = emitBgpMessage(update({}, ['10.9.0.0/16']), { fourOctetAs: true });
  bytes[bytes.length - 3] = 33; // the NLRI's prefix length: /33 does not exist
  s.sp.sendRaw(bytes);
  s.step();
  const n = s.sp.ofType('notification');
  assert.deepEqual(
    n.map((x) => `${x.code}/${x.subcode}`),
    ['3/10'],
  );
  assert.equal(s.state(), 'Idle');
  assert.equal(s.h1.speaker.status()[0]!.lastError, 'Sent: UPDATE Message Error / Invalid Network Field');
  assert.equal(s.route('10.9.0.0/16'), undefined, 'the session went down: its routes with it');
  assert.ok(s.sp.closed);
});

test('RFC 4456 §8: a route carrying our own router ID as ORIGINATOR_ID is dropped', () => {
  const s = scripted();
  s.sp.send(update({ originatorId: ip('10.0.0.1'), clusterList: [ip('10.255.0.9')] }, ['10.9.0.0/16']));
  s.sp.send(update({ originatorId: ip('10.0.0.7'), clusterList: [ip('10.0.0.1')] }, ['10.7.0.0/16']));
  s.sp.send(update({ originatorId: ip('10.0.0.7'), clusterList: [ip('10.255.0.9')] }, ['10.6.0.0/16']));
  s.step();
  assert.equal(s.route('10.9.0.0/16'), undefined);
  assert.equal(s.route('10.7.0.0/16'), undefined, 'our cluster ID (the router ID by default) in CLUSTER_LIST');
  assert.ok(s.route('10.6.0.0/16'));
  assert.equal(s.h1.speaker.drops['originator-id-loop'], 1);
  assert.equal(s.h1.speaker.drops['cluster-list-loop'], 1);
});

test('ROUTE-REFRESH (RFC 2918): the Adj-RIB-Out is sent again, in one UPDATE per attribute set', () => {
  const s = scripted();
  s.h1.speaker.originate(cidr('192.168.1.0/26'));
  s.h1.speaker.originate(cidr('192.168.1.64/26'));
  s.step();
  const first = s.sp.ofType('update');
  assert.equal(first.length, 1, 'both prefixes share attributes: one UPDATE');
  assert.deepEqual(first[0]!.nlri.map(formatCidr), ['192.168.1.0/26', '192.168.1.64/26']);
  s.sp.send({ type: 'route-refresh', afi: 1, safi: 1, subtype: 0 });
  s.step();
  const all = s.sp.ofType('update');
  assert.equal(all.length, 2);
  assert.deepEqual(all[1], first[0]);
});

test('RFC 6793: toward a 2-octet-AS peer, a 4-octet AS goes as AS_TRANS with AS4_PATH; from it, AS4_PATH is merged back', () => {
  const s = scripted({ localAs: 4200000001, peerAs: 65010, ctx: { fourOctetAs: false } });
  assert.equal(s.state(), 'Established');
  s.h1.speaker.originate(cidr('192.168.1.0/26'));
  s.step();
  const u = s.sp.ofType('update')[0]!;
  assert.deepEqual(u.attrs.asPath, [{ type: 'sequence', asns: [AS_TRANS] }]);
  assert.deepEqual(u.attrs.as4Path, [{ type: 'sequence', asns: [4200000001] }]);
  assert.equal(formatIpv4(u.attrs.nextHop!), '10.0.0.1');
  s.sp.send(
    update(
      { asPath: [{ type: 'sequence', asns: [65010, AS_TRANS] }], as4Path: [{ type: 'sequence', asns: [4200000099] }] },
      ['10.9.0.0/16'],
    ),
  );
  s.step();
  assert.deepEqual(s.route('10.9.0.0/16')!.asPath, [{ type: 'sequence', asns: [65010, 4200000099] }]);
});

test('RFC 6608: an UPDATE in OpenConfirm is an FSM error (5/2)', () => {
  const s = scripted({ open: false });
  assert.equal(s.state(), 'OpenConfirm');
  s.sp.send(update({}, ['10.9.0.0/16']));
  s.step();
  assert.deepEqual(
    s.sp.ofType('notification').map((x) => `${x.code}/${x.subcode}`),
    ['5/2'],
  );
  assert.equal(s.state(), 'Idle');
});

test('OPEN from the wrong AS: OPEN Message Error / Bad Peer AS (2/2)', () => {
  const lab = bgpLab(2);
  const [h1, h2] = lab.hosts as [BgpLabHost, BgpLabHost];
  h2.speaker.shutdown();
  h1.speaker.addPeer({ address: h2.addr, asn: 64512, passive: true });
  const sp = new ScriptedPeer(h2);
  sp.connect(h1.addr);
  lab.engine.run(10 * MS);
  sp.send(testOpen(65999, h2.addr));
  lab.engine.run(20 * MS);
  assert.deepEqual(
    sp.ofType('notification').map((x) => `${x.code}/${x.subcode}`),
    ['2/2'],
  );
  assert.equal(h1.speaker.status()[0]!.lastError, 'Sent: OPEN Message Error / Bad Peer AS');
});

test('Hold Time: the smaller one is used (3 s here), KEEPALIVEs every second, and silence ends the session with 4/0', () => {
  const s = scripted({ holdTime: 3 });
  const st = s.h1.speaker.status()[0]!;
  assert.deepEqual([st.holdTime, st.keepaliveTime], [3, 1]);
  const before = s.sp.ofType('keepalive').length;
  s.step(2500);
  assert.equal(s.sp.ofType('keepalive').length - before, 2);
  s.step(1000);
  assert.deepEqual(
    s.sp.ofType('notification').map((x) => `${x.code}/${x.subcode}`),
    ['4/0'],
  );
  assert.equal(s.h1.speaker.status()[0]!.lastError, 'Hold timer expired');
});
