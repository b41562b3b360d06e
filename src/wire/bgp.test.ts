import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type BgpMessage,
  type BgpParsed,
  type BgpResult,
  type BgpUpdate,
  AS_TRANS,
  BGP_CEASE_SUBCODE,
  BGP_ERR,
  BGP_HEADER_SUBCODE,
  BGP_OPEN_SUBCODE,
  BGP_UPDATE_SUBCODE,
  bgpMessageLength,
  checkOpen,
  emitBgpMessage,
  notificationText,
  parseBgpMessage,
} from './bgp.js';
import { hex, toHex } from './testing.js';

const AS4 = { fourOctetAs: true };
const AS2 = { fourOctetAs: false };
const MARKER = 'ff'.repeat(16);

/** A header (marker, length, type) in front of a body given in hex. */
function msg(type: number, body: string): Uint8Array {
  const b = hex(body);
  const len = 19 + b.length;
  return hex(MARKER + len.toString(16).padStart(4, '0') + type.toString(16).padStart(2, '0') + toHex(b));
}

function parsed(r: BgpResult<BgpParsed>): BgpParsed {
  assert.ok(
    r.ok,
    r.ok ? '' : `${r.error.reason} (${notificationText(r.error.notification.code, r.error.notification.subcode)})`,
  );
  return r.value;
}

function update(r: BgpResult<BgpParsed>): BgpUpdate {
  const m = parsed(r).message;
  assert.equal(m.type, 'update');
  return m;
}

/** Asserts a failure with the NOTIFICATION code/subcode (and data, when given). */
function failsWith(r: BgpResult<BgpParsed>, code: number, subcode: number, data?: string): void {
  assert.ok(!r.ok, 'expected a parse error');
  assert.equal(r.error.notification.code, code, r.error.reason);
  assert.equal(r.error.notification.subcode, subcode, r.error.reason);
  if (data !== undefined) assert.equal(toHex(r.error.notification.data), data);
}

// Vectors written by hand from the RFC 4271 §4 layouts, one comment per field.
const KEEPALIVE = hex(`${MARKER} 0013 04`); // 16 x ff marker, length 19, type 4 (RFC 4271 §4.4)
const HOLD_TIMER_EXPIRED = hex(`
  ${MARKER}
  0015 // length 21 = header + code + subcode
  03   // type NOTIFICATION
  04   // error code 4 Hold Timer Expired (RFC 4271 §4.5)
  00   // subcode 0 (unspecific), no data
`);
const OPEN = hex(`
  ${MARKER}
  002d        // length 45
  01          // type OPEN
  04          // version 4
  fc00        // My AS 64512
  00f0        // Hold Time 240
  0a000001    // BGP Identifier 10.0.0.1
  10          // Optional Parameters Length 16
  02 0e       // parameter type 2 Capabilities (RFC 5492), length 14
  01 04 0001 00 01  // capability 1 multiprotocol: AFI 1 IPv4, reserved, SAFI 1 unicast (RFC 4760 §8)
  02 00             // capability 2 route refresh (RFC 2918)
  41 04 0000fc00    // capability 65 4-octet AS: 64512 (RFC 6793 §3)
`);
const UPDATE = hex(`
  ${MARKER}
  0031        // length 49
  02          // type UPDATE
  0000        // Withdrawn Routes Length 0
  0015        // Total Path Attribute Length 21
  40 01 01 00         // ORIGIN: flags well-known transitive, type 1, length 1, IGP
  40 02 00            // AS_PATH: type 2, length 0 (empty: iBGP, RFC 4271 §5.1.2)
  40 03 04 0a000001   // NEXT_HOP: type 3, length 4, 10.0.0.1
  40 05 04 00000064   // LOCAL_PREF: type 5, length 4, 100
  1a c0a8bec0         // NLRI: /26, 192.168.190.192
`);

describe('BGP messages against RFC 4271 layouts', () => {
  it('KEEPALIVE is 19 bytes and parses both ways', () => {
    assert.equal(toHex(emitBgpMessage({ type: 'keepalive' }, AS4)), toHex(KEEPALIVE));
    assert.deepEqual(parsed(parseBgpMessage(KEEPALIVE, 0, AS4)).message, { type: 'keepalive' });
  });
  it('NOTIFICATION Hold Timer Expired', () => {
    const m: BgpMessage = {
      type: 'notification',
      code: BGP_ERR.HOLD_TIMER_EXPIRED,
      subcode: 0,
      data: new Uint8Array(0),
    };
    assert.equal(toHex(emitBgpMessage(m, AS4)), toHex(HOLD_TIMER_EXPIRED));
    assert.deepEqual(parsed(parseBgpMessage(HOLD_TIMER_EXPIRED, 0, AS4)).message, m);
  });
  it('OPEN with capabilities 1, 2, 65', () => {
    const m: BgpMessage = {
      type: 'open',
      version: 4,
      myAs: 64512,
      holdTime: 240,
      bgpId: 0x0a000001,
      capabilities: [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'route-refresh' },
        { kind: 'four-octet-as', as: 64512 },
      ],
    };
    assert.equal(toHex(emitBgpMessage(m, AS4)), toHex(OPEN));
    const p = parsed(parseBgpMessage(OPEN, 0, AS4));
    assert.deepEqual(p.message, m);
    assert.equal(p.length, 45);
  });
  it('OPEN of an AS above 65535 carries AS_TRANS in My AS and the AS in capability 65', () => {
    const m: BgpMessage = {
      type: 'open',
      version: 4,
      myAs: 4200000001,
      holdTime: 90,
      bgpId: 0x7f000004,
      capabilities: [{ kind: 'four-octet-as', as: 4200000001 }],
    };
    const b = emitBgpMessage(m, AS4);
    assert.equal(AS_TRANS, 23456);
    assert.equal(toHex(b.subarray(20, 22)), '5ba0'); // 23456
    assert.equal(toHex(b.subarray(31, 37)), '4104fa56ea01');
    assert.deepEqual(parsed(parseBgpMessage(b, 0, AS4)).message, m);
  });
  it('UPDATE: ORIGIN IGP, empty AS_PATH, NEXT_HOP, LOCAL_PREF 100, NLRI 192.168.190.192/26', () => {
    const m: BgpUpdate = {
      type: 'update',
      withdrawn: [],
      attrs: { origin: 'igp', asPath: [], nextHop: 0x0a000001, localPref: 100, unknown: [] },
      nlri: [{ addr: 0xc0a8bec0, len: 26 }],
    };
    assert.equal(toHex(emitBgpMessage(m, AS4)), toHex(UPDATE));
    assert.equal(toHex(emitBgpMessage(m, AS2)), toHex(UPDATE), 'nothing AS-sized in it');
    const p = parsed(parseBgpMessage(UPDATE, 0, AS4));
    assert.deepEqual(p.message, m);
    assert.equal(p.action, 'none');
  });
  it('AS_PATH and AGGREGATOR are 2- or 4-octet per session (RFC 6793 §4)', () => {
    const m: BgpUpdate = {
      type: 'update',
      withdrawn: [],
      attrs: {
        origin: 'igp',
        asPath: [{ type: 'sequence', asns: [64513, 64514] }],
        nextHop: 1,
        aggregator: { as: 64513, id: 2 },
        unknown: [],
      },
      nlri: [{ addr: 0x0af40000, len: 16 }],
    };
    const two = emitBgpMessage(m, AS2);
    const four = emitBgpMessage(m, AS4);
    assert.ok(toHex(two).includes('40020602 02fc01fc02'.replace(' ', '')), 'AS_SEQUENCE of two 2-octet ASNs');
    assert.ok(
      toHex(four).includes('40020a0202 0000fc01 0000fc02'.replace(/ /g, '')),
      'AS_SEQUENCE of two 4-octet ASNs',
    );
    assert.ok(toHex(two).includes('c00706fc0100000002'), 'AGGREGATOR length 6');
    assert.ok(toHex(four).includes('c007080000fc0100000002'), 'AGGREGATOR length 8');
    assert.deepEqual(update(parseBgpMessage(two, 0, AS2)), m);
    assert.deepEqual(update(parseBgpMessage(four, 0, AS4)), m);
  });
  it('ROUTE-REFRESH (RFC 2918 §3): AFI, reserved/subtype, SAFI', () => {
    const b = emitBgpMessage({ type: 'route-refresh', afi: 1, safi: 1, subtype: 0 }, AS4);
    assert.equal(toHex(b), `${MARKER}00170500010001`);
    assert.deepEqual(parsed(parseBgpMessage(b, 0, AS4)).message, {
      type: 'route-refresh',
      afi: 1,
      safi: 1,
      subtype: 0,
    });
    failsWith(parseBgpMessage(msg(5, '0001000100'), 0, AS4), BGP_ERR.ROUTE_REFRESH_MESSAGE, 1);
  });
  it('parses at an offset within a stream, and frames it with bgpMessageLength', () => {
    const stream = new Uint8Array([...KEEPALIVE, ...UPDATE, ...KEEPALIVE.subarray(0, 10)]);
    assert.equal(bgpMessageLength(stream, 0), 19);
    assert.equal(bgpMessageLength(stream, 19), 49);
    assert.equal(bgpMessageLength(stream, 68), undefined, 'only 10 bytes of the next header');
    assert.equal(parsed(parseBgpMessage(stream, 19, AS4)).message.type, 'update');
    assert.equal(bgpMessageLength(hex(`${MARKER} 0012 04`), 0), 19, 'bad length: hand over the header');
    assert.equal(bgpMessageLength(hex(`${'00'.repeat(16)} 0100 04`), 0), 19, 'bad marker: hand over the header');
  });
});

describe('notificationText', () => {
  it('gives the RFC names', () => {
    assert.equal(notificationText(4, 0), 'Hold Timer Expired');
    assert.equal(
      notificationText(BGP_ERR.CEASE, BGP_CEASE_SUBCODE.ADMINISTRATIVE_SHUTDOWN),
      'Cease / Administrative Shutdown',
    );
    assert.equal(notificationText(3, 11), 'UPDATE Message Error / Malformed AS_PATH');
    assert.equal(notificationText(1, 1), 'Message Header Error / Connection Not Synchronized');
    assert.equal(notificationText(2, 7), 'OPEN Message Error / Unsupported Capability');
    assert.equal(notificationText(7, 1), 'ROUTE-REFRESH Message Error / Invalid Message Length');
    assert.equal(notificationText(6, 7), 'Cease / Connection Collision Resolution');
    assert.equal(notificationText(9, 9), 'Error 9 / Subcode 9');
  });
});

describe('header and OPEN errors carry the NOTIFICATION of RFC 4271 §6.1-6.2', () => {
  it('a marker not all ones: Connection Not Synchronized', () => {
    const b = KEEPALIVE.slice();
    b[3] = 0;
    failsWith(parseBgpMessage(b, 0, AS4), BGP_ERR.MESSAGE_HEADER, BGP_HEADER_SUBCODE.CONNECTION_NOT_SYNCHRONIZED, '');
  });
  it('Bad Message Length with the erroneous Length field as data', () => {
    failsWith(parseBgpMessage(hex(`${MARKER} 0012 04`), 0, AS4), 1, 2, '0012');
    failsWith(parseBgpMessage(hex(`${MARKER} 1001 04`), 0, AS4), 1, 2, '1001'); // 4097
    failsWith(parseBgpMessage(msg(4, '00'), 0, AS4), 1, 2, '0014'); // KEEPALIVE must be 19
    failsWith(parseBgpMessage(msg(1, '04fc00'), 0, AS4), 1, 2, '0016'); // OPEN below 29
    failsWith(parseBgpMessage(msg(3, '06'), 0, AS4), 1, 2, '0014'); // NOTIFICATION below 21
    failsWith(parseBgpMessage(msg(2, '0000'), 0, AS4), 1, 2, '0015'); // UPDATE below 23
  });
  it('Bad Message Type with the type as data', () => {
    failsWith(parseBgpMessage(hex(`${MARKER} 0013 06`), 0, AS4), 1, 3, '06');
  });
  it('Unsupported Version Number with the largest supported version (2 octets)', () => {
    const b = OPEN.slice();
    b[19] = 3;
    failsWith(parseBgpMessage(b, 0, AS4), BGP_ERR.OPEN_MESSAGE, BGP_OPEN_SUBCODE.UNSUPPORTED_VERSION_NUMBER, '0004');
  });
  it('Unacceptable Hold Time for 1 and 2 seconds, not 0 or 3', () => {
    for (const [hold, fails] of [
      [0, false],
      [1, true],
      [2, true],
      [3, false],
    ] as const) {
      const b = OPEN.slice();
      b[22] = 0; // Hold Time is bytes 22-23
      b[23] = hold;
      const r = parseBgpMessage(b, 0, AS4);
      if (fails) failsWith(r, 2, BGP_OPEN_SUBCODE.UNACCEPTABLE_HOLD_TIME, `000${hold}`);
      else assert.ok(r.ok, `hold ${hold}`);
    }
  });
  it('Bad BGP Identifier for 0', () => {
    const b = OPEN.slice();
    b.fill(0, 24, 28); // BGP Identifier is bytes 24-27
    failsWith(parseBgpMessage(b, 0, AS4), 2, BGP_OPEN_SUBCODE.BAD_BGP_IDENTIFIER);
  });
  it('Unsupported Optional Parameter for a parameter type other than 2', () => {
    failsWith(
      parseBgpMessage(msg(1, '04 fc00 00f0 0a000001 03 01 01 00'), 0, AS4),
      2,
      BGP_OPEN_SUBCODE.UNSUPPORTED_OPTIONAL_PARAMETER,
    );
  });
  it('Optional Parameters Length disagreeing with the message', () => {
    failsWith(parseBgpMessage(msg(1, '04 fc00 00f0 0a000001 05 02 02 02 00'), 0, AS4), 2, 0);
  });
  it('checkOpen: Bad Peer AS and an iBGP peer with our identifier', () => {
    const open = parsed(parseBgpMessage(OPEN, 0, AS4)).message;
    assert.equal(open.type, 'open');
    if (open.type !== 'open') return;
    assert.equal(checkOpen(open, { peerAs: 64512, localAs: 64512, localBgpId: 0x0a000002 }), undefined);
    const bad = checkOpen(open, { peerAs: 64513, localAs: 64512, localBgpId: 0x0a000002 });
    assert.deepEqual([bad?.notification.code, bad?.notification.subcode], [2, BGP_OPEN_SUBCODE.BAD_PEER_AS]);
    assert.equal(
      toHex(bad?.notification.data ?? new Uint8Array()),
      '0000fc00',
      'as BIRD: the 4-octet AS the peer claimed',
    );
    const same = checkOpen(open, { peerAs: 64512, localAs: 64512, localBgpId: 0x0a000001 });
    assert.equal(same?.notification.subcode, BGP_OPEN_SUBCODE.BAD_BGP_IDENTIFIER);
    assert.equal(
      checkOpen(open, { peerAs: 64512, localAs: 64513, localBgpId: 0x0a000001 }),
      undefined,
      'eBGP may share an id',
    );
  });
});

/** An UPDATE whose path attributes are `attrs` (hex) and NLRI `nlri` (hex); withdrawn `w`. */
function upd(attrs: string, nlri = '18 0af400', w = ''): Uint8Array {
  const a = hex(attrs);
  const wb = hex(w);
  return msg(
    2,
    `${wb.length.toString(16).padStart(4, '0')} ${w} ${a.length.toString(16).padStart(4, '0')} ${attrs} ${nlri}`,
  );
}
const ORIGIN_IGP = '40 01 01 00';
const EMPTY_PATH = '40 02 00';
const NH = '40 03 04 0a000001';
const BASE = `${ORIGIN_IGP} ${EMPTY_PATH} ${NH}`;

function actionOf(b: Uint8Array, ctx = AS4): [string, number[]] {
  const p = parsed(parseBgpMessage(b, 0, ctx));
  return [p.action, p.attrErrors.map((e) => e.subcode)];
}

describe('UPDATE error handling per RFC 7606', () => {
  it('a well-formed UPDATE has no errors', () => {
    assert.deepEqual(actionOf(upd(BASE)), ['none', []]);
  });
  it('§7.1 ORIGIN with an undefined value: treat-as-withdraw, NLRI kept for withdrawing', () => {
    const b = upd(`40 01 01 03 ${EMPTY_PATH} ${NH}`);
    assert.deepEqual(actionOf(b), ['treat-as-withdraw', [BGP_UPDATE_SUBCODE.INVALID_ORIGIN_ATTRIBUTE]]);
    assert.deepEqual(update(parseBgpMessage(b, 0, AS4)).nlri, [{ addr: 0x0af40000, len: 24 }]);
    assert.equal(parsed(parseBgpMessage(b, 0, AS4)).attrErrors[0]?.attr, 1);
  });
  it('§7.1-7.5 length errors of ORIGIN, NEXT_HOP, MED, LOCAL_PREF: treat-as-withdraw', () => {
    const LEN = BGP_UPDATE_SUBCODE.ATTRIBUTE_LENGTH_ERROR;
    assert.deepEqual(actionOf(upd(`40 01 02 0000 ${EMPTY_PATH} ${NH}`)), ['treat-as-withdraw', [LEN]]);
    assert.deepEqual(actionOf(upd(`${ORIGIN_IGP} ${EMPTY_PATH} 40 03 03 0a0000`)), ['treat-as-withdraw', [LEN]]);
    assert.deepEqual(actionOf(upd(`${BASE} 80 04 02 0001`)), ['treat-as-withdraw', [LEN]]);
    assert.deepEqual(actionOf(upd(`${BASE} 40 05 05 0000000064`)), ['treat-as-withdraw', [LEN]]);
  });
  it('§7.2 malformed AS_PATH (overrun, zero-length segment, unknown type): treat-as-withdraw', () => {
    const MAL = BGP_UPDATE_SUBCODE.MALFORMED_AS_PATH;
    assert.deepEqual(actionOf(upd(`${ORIGIN_IGP} 40 02 04 0202fc01 ${NH}`), AS2), ['treat-as-withdraw', [MAL]]);
    assert.deepEqual(actionOf(upd(`${ORIGIN_IGP} 40 02 02 0200 ${NH}`)), ['treat-as-withdraw', [MAL]]);
    assert.deepEqual(actionOf(upd(`${ORIGIN_IGP} 40 02 04 0501fc01 ${NH}`), AS2), ['treat-as-withdraw', [MAL]]);
    assert.deepEqual(actionOf(upd(`${ORIGIN_IGP} 40 02 03 0201fc ${NH}`), AS2), ['treat-as-withdraw', [MAL]]);
    assert.deepEqual(
      actionOf(upd(`${ORIGIN_IGP} 40 02 04 0201fc01 ${NH}`), AS2),
      ['none', []],
      'the same, well-formed',
    );
  });
  it('§7.6, §7.7 ATOMIC_AGGREGATE and AGGREGATOR of the wrong length: attribute-discard', () => {
    const b = upd(`${BASE} 40 06 01 00 c0 07 06 fc0100000002`);
    const p = parsed(parseBgpMessage(b, 0, AS4)); // 4-octet session: AGGREGATOR must be 8
    assert.equal(p.action, 'attribute-discard');
    assert.deepEqual(
      p.attrErrors.map((e) => [e.attr, e.action]),
      [
        [6, 'attribute-discard'],
        [7, 'attribute-discard'],
      ],
    );
    const u = update(parseBgpMessage(b, 0, AS4));
    assert.equal(u.attrs.atomicAggregate, undefined);
    assert.equal(u.attrs.aggregator, undefined);
    assert.equal(u.attrs.origin, 'igp', 'the rest is kept');
  });
  it('§7.8, §7.10 COMMUNITIES and CLUSTER_LIST not a multiple of 4: treat-as-withdraw', () => {
    assert.equal(actionOf(upd(`${BASE} c0 08 03 fc0000`))[0], 'treat-as-withdraw');
    assert.equal(actionOf(upd(`${BASE} 80 0a 00`))[0], 'treat-as-withdraw');
    assert.equal(actionOf(upd(`${BASE} 80 09 05 0a0000010a`))[0], 'treat-as-withdraw');
  });
  it('§3 h: the most severe action wins', () => {
    assert.equal(actionOf(upd(`40 01 01 07 ${EMPTY_PATH} ${NH} 40 06 01 00`))[0], 'treat-as-withdraw');
    assert.equal(actionOf(upd(`40 01 01 07 ${EMPTY_PATH} ${NH} 40 63 01 00`))[0], 'session-reset');
  });
  it('§3 c: Optional/Transitive bits in conflict: Attribute Flags Error, treat-as-withdraw', () => {
    assert.deepEqual(actionOf(upd(`c0 01 01 00 ${EMPTY_PATH} ${NH}`)), [
      'treat-as-withdraw',
      [BGP_UPDATE_SUBCODE.ATTRIBUTE_FLAGS_ERROR],
    ]);
    assert.deepEqual(actionOf(upd(`${BASE} 40 04 04 00000001`)), [
      'treat-as-withdraw',
      [BGP_UPDATE_SUBCODE.ATTRIBUTE_FLAGS_ERROR],
    ]);
  });
  it('§3 d: a missing well-known mandatory attribute: treat-as-withdraw, data the type code', () => {
    const p = parsed(parseBgpMessage(upd(`${ORIGIN_IGP} ${EMPTY_PATH}`), 0, AS4));
    assert.equal(p.action, 'treat-as-withdraw');
    assert.deepEqual(
      p.attrErrors.map((e) => [e.subcode, toHex(e.data)]),
      [[BGP_UPDATE_SUBCODE.MISSING_WELL_KNOWN_ATTRIBUTE, '03']],
    );
    assert.deepEqual(actionOf(upd('', '', '18 0af400')), ['none', []], 'a pure withdrawal needs no attributes');
  });
  it('§3 g: a repeated attribute keeps the first; a repeated MP_REACH resets the session', () => {
    const b = upd(`${BASE} 40 05 04 00000064 40 05 04 000000c8`);
    assert.deepEqual(actionOf(b), ['none', []]);
    assert.equal(update(parseBgpMessage(b, 0, AS4)).attrs.localPref, 100);
    const mp = '80 0e 0b 0001 01 04 0a000001 00 08 0a';
    const p = parsed(parseBgpMessage(upd(`${mp} ${mp} ${ORIGIN_IGP} ${EMPTY_PATH}`, ''), 0, AS4));
    assert.equal(p.action, 'session-reset');
    assert.deepEqual(
      [p.attrErrors[0]?.code, p.attrErrors[0]?.subcode],
      [3, BGP_UPDATE_SUBCODE.MALFORMED_ATTRIBUTE_LIST],
    );
  });
  it('RFC 4271 §6.3: an unrecognized well-known attribute resets the session, data the attribute', () => {
    const p = parsed(parseBgpMessage(upd(`${BASE} 40 63 02 abcd`), 0, AS4));
    assert.equal(p.action, 'session-reset');
    assert.deepEqual(
      p.attrErrors.map((e) => [e.subcode, toHex(e.data)]),
      [[2, '406302abcd']],
    );
  });
  it('RFC 4271 §5: unknown optional transitive kept and passed on with Partial; non-transitive dropped', () => {
    const u = update(parseBgpMessage(upd(`${BASE} c0 63 02 abcd 80 64 01 ee`), 0, AS4));
    assert.deepEqual(u.attrs.unknown, [{ flags: 0xc0, code: 0x63, value: hex('abcd') }]);
    assert.ok(toHex(emitBgpMessage(u, AS4)).includes('e06302abcd'), 'flags 0xe0: optional, transitive, partial');
    assert.ok(!toHex(emitBgpMessage(u, AS4)).includes('8064'));
  });
  it('§4: an attribute overrunning the attribute field: treat-as-withdraw, or session-reset when no NLRI are known', () => {
    assert.equal(actionOf(upd(`${BASE} 40 05 09 00000064`))[0], 'treat-as-withdraw');
    assert.equal(actionOf(upd(`${BASE} 40 05 09 00000064`, ''))[0], 'session-reset');
    assert.equal(actionOf(upd(`${BASE} 40`))[0], 'treat-as-withdraw');
  });
  it('§5.3: an NLRI or withdrawn field that cannot be parsed is a parse failure (session reset)', () => {
    failsWith(parseBgpMessage(upd(BASE, '21 0af40000 00'), 0, AS4), 3, BGP_UPDATE_SUBCODE.INVALID_NETWORK_FIELD);
    failsWith(parseBgpMessage(upd(BASE, '18 0af4'), 0, AS4), 3, BGP_UPDATE_SUBCODE.INVALID_NETWORK_FIELD);
    failsWith(parseBgpMessage(upd('', '', '20 0a00'), 0, AS4), 3, BGP_UPDATE_SUBCODE.INVALID_NETWORK_FIELD);
    failsWith(parseBgpMessage(msg(2, '0009 0000'), 0, AS4), 3, BGP_UPDATE_SUBCODE.MALFORMED_ATTRIBUTE_LIST);
    failsWith(parseBgpMessage(msg(2, '0000 0009'), 0, AS4), 3, BGP_UPDATE_SUBCODE.MALFORMED_ATTRIBUTE_LIST);
  });
  it('§7.11 a malformed MP_REACH_NLRI resets the session; a good one parses IPv4 unicast', () => {
    assert.equal(actionOf(upd(`80 0e 04 0001 01 04 ${ORIGIN_IGP} ${EMPTY_PATH}`, ''))[0], 'session-reset');
    const u = update(
      parseBgpMessage(upd(`80 0e 0b 0001 01 04 0a000001 00 08 0a ${ORIGIN_IGP} ${EMPTY_PATH}`, ''), 0, AS4),
    );
    assert.deepEqual(u.attrs.mpReach, {
      afi: 1,
      safi: 1,
      nextHop: hex('0a000001'),
      nlri: [{ addr: 0x0a000000, len: 8 }],
    });
  });
  it('RFC 6793 §6: a malformed AS4_PATH is discarded', () => {
    assert.equal(actionOf(upd(`${BASE} c0 11 03 020100`), AS2)[0], 'attribute-discard');
  });
  it('an attribute over 255 bytes is sent with the Extended Length bit', () => {
    const communities = Array.from({ length: 70 }, (_, i) => 0xfc000000 + i);
    const m: BgpUpdate = {
      type: 'update',
      withdrawn: [],
      attrs: { origin: 'igp', asPath: [], nextHop: 1, communities, unknown: [] },
      nlri: [{ addr: 0, len: 0 }],
    };
    const b = emitBgpMessage(m, AS4);
    assert.ok(toHex(b).includes('d008' + '0118'), 'flags 0xd0 (optional transitive extended), type 8, length 280');
    assert.deepEqual(update(parseBgpMessage(b, 0, AS4)), m);
  });
});
