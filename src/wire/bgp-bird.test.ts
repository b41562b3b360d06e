/**
 * What BIRD 2 really sends, decoded by our parser and re-emitted byte for byte.
 *
 * Captured with `tcpdump -i lo` from BIRD 2.0.12 (Debian bookworm) on 2026-12-03: two daemons started as
 * `bird -c bN.conf -s bN.sock -P bN.pid`, each config holding `protocol device {}`, a `protocol static`
 * with one blackhole route, and a `protocol bgp peer { local 127.0.0.N port P as A; neighbor ... ;
 * ipv4 { import all; export all; }; }`:
 * - iBGP: 127.0.0.2 port 1791 AS 64512 (route 192.168.190.192/26) with 127.0.0.3 port 1792 AS 64512
 *   (route 192.168.190.128/26), `hold time 240`; later `birdcl disable static1` (the withdrawal) and
 *   `birdcl disable peer` (the Cease) on 127.0.0.2;
 * - eBGP: 127.0.0.4 port 1793 AS 4200000001 (route 10.244.0.0/24 with `bgp_community.add((64512,100))`,
 *   `next hop self`) with 127.0.0.5 port 1794 AS 64513, `hold time 90`, `multihop 2`;
 * - the same eBGP pair, 127.0.0.5 first configured with `enable as4 off` and neighbor AS 23456: it
 *   refused the OPEN with Bad Peer AS.
 * The hex is each segment's BGP payload as `tshark -T fields -e tcp.payload` printed it; tshark 4.0
 * decoded the same fields as the comments say.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BgpMessage, type BgpParsed, emitBgpMessage, notificationText, parseBgpMessage } from './bgp.js';
import { hex, toHex } from './testing.js';

const AS4 = { fourOctetAs: true };

/** OPEN from 127.0.0.2: AS 64512, hold 240, id 127.0.0.2, capabilities 1 (IPv4 unicast), 2, 64 (restart
 * time 120, no AFIs: helper only), 65 (64512), 70, 71 (long-lived graceful restart, empty). */
const BIRD_OPEN = hex(
  'ffffffffffffffffffffffffffffffff00350104fc0000f07f00000218021601040001000102004002007841040000fc0046004700',
);
/** OPEN from 127.0.0.4: My AS 23456 (AS_TRANS), hold 90, capability 65 says 4200000001. */
const BIRD_OPEN_AS4 = hex(
  'ffffffffffffffffffffffffffffffff003501045ba0005a7f0000041802160104000100010200400200784104fa56ea0146004700',
);
const BIRD_KEEPALIVE = hex('ffffffffffffffffffffffffffffffff001304');
/** iBGP UPDATE from 127.0.0.2: ORIGIN IGP, empty AS_PATH, NEXT_HOP 127.0.0.2, LOCAL_PREF 100, 192.168.190.192/26. */
const BIRD_UPDATE = hex(
  'ffffffffffffffffffffffffffffffff00310200000015400101004002004003047f000002400504000000641ac0a8bec0',
);
/** The End-of-RIB marker (RFC 4724 §2): an UPDATE with nothing in it. */
const BIRD_EOR = hex('ffffffffffffffffffffffffffffffff00170200000000');
/** The withdrawal of 192.168.190.192/26 after `disable static1`. */
const BIRD_WITHDRAW = hex('ffffffffffffffffffffffffffffffff001c0200051ac0a8bec00000');
/** eBGP UPDATE from AS 4200000001: ORIGIN IGP, AS_PATH (4-octet) 4200000001, NEXT_HOP 127.0.0.4,
 * COMMUNITIES 64512:100, 10.244.0.0/24. */
const BIRD_UPDATE_EBGP = hex(
  'ffffffffffffffffffffffffffffffff0036020000001b400101004002060201fa56ea014003047f000004c00804fc000064180af400',
);
/** `birdcl disable peer`: Cease / Administrative Shutdown, no data. */
const BIRD_CEASE = hex('ffffffffffffffffffffffffffffffff0015030602');
/** BIRD's refusal of an OPEN from AS 4200000001 when it expected 23456: Bad Peer AS, data the 4-octet AS. */
const BIRD_BAD_PEER_AS = hex('ffffffffffffffffffffffffffffffff0019030202fa56ea01');

function roundTrip(bytes: Uint8Array): BgpMessage {
  const r = parseBgpMessage(bytes, 0, AS4);
  assert.ok(r.ok, r.ok ? '' : r.error.reason);
  const p: BgpParsed = r.value;
  assert.equal(p.length, bytes.length);
  assert.equal(p.action, 'none');
  assert.equal(
    toHex(emitBgpMessage(p.message, AS4)),
    toHex(bytes),
    'emitting the parsed message gives BIRD bytes back',
  );
  return p.message;
}

describe('BIRD 2.0.12 messages', () => {
  it('OPEN with BIRD default capabilities', () => {
    assert.deepEqual(roundTrip(BIRD_OPEN), {
      type: 'open',
      version: 4,
      myAs: 64512,
      holdTime: 240,
      bgpId: 0x7f000002,
      capabilities: [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'route-refresh' },
        { kind: 'graceful-restart', flags: 0, restartTime: 120, afis: [] },
        { kind: 'four-octet-as', as: 64512 },
        { kind: 'enhanced-route-refresh' },
        { kind: 'raw', code: 71, value: new Uint8Array(0) },
      ],
    });
  });
  it('OPEN of a 4-octet AS: AS_TRANS on the wire, myAs from capability 65', () => {
    const m = roundTrip(BIRD_OPEN_AS4);
    assert.equal(m.type === 'open' && m.myAs, 4200000001);
    assert.equal(m.type === 'open' && m.holdTime, 90);
  });
  it('KEEPALIVE', () => {
    assert.deepEqual(roundTrip(BIRD_KEEPALIVE), { type: 'keepalive' });
  });
  it('iBGP UPDATE', () => {
    assert.deepEqual(roundTrip(BIRD_UPDATE), {
      type: 'update',
      withdrawn: [],
      attrs: { origin: 'igp', asPath: [], nextHop: 0x7f000002, localPref: 100, unknown: [] },
      nlri: [{ addr: 0xc0a8bec0, len: 26 }],
    });
  });
  it('End-of-RIB and a withdrawal', () => {
    assert.deepEqual(roundTrip(BIRD_EOR), { type: 'update', withdrawn: [], attrs: { unknown: [] }, nlri: [] });
    assert.deepEqual(roundTrip(BIRD_WITHDRAW), {
      type: 'update',
      withdrawn: [{ addr: 0xc0a8bec0, len: 26 }],
      attrs: { unknown: [] },
      nlri: [],
    });
  });
  it('eBGP UPDATE with a 4-octet AS_PATH and a community', () => {
    assert.deepEqual(roundTrip(BIRD_UPDATE_EBGP), {
      type: 'update',
      withdrawn: [],
      attrs: {
        origin: 'igp',
        asPath: [{ type: 'sequence', asns: [4200000001] }],
        nextHop: 0x7f000004,
        communities: [64512 * 65536 + 100],
        unknown: [],
      },
      nlri: [{ addr: 0x0af40000, len: 24 }],
    });
  });
  it('NOTIFICATIONs: Cease / Administrative Shutdown, Bad Peer AS', () => {
    const cease = roundTrip(BIRD_CEASE);
    assert.ok(cease.type === 'notification');
    assert.equal(notificationText(cease.code, cease.subcode), 'Cease / Administrative Shutdown');
    const bad = roundTrip(BIRD_BAD_PEER_AS);
    assert.ok(bad.type === 'notification');
    assert.equal(notificationText(bad.code, bad.subcode), 'OPEN Message Error / Bad Peer AS');
    assert.equal(toHex(bad.data), 'fa56ea01');
  });
});
