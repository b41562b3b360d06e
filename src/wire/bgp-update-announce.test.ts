import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpv4 } from './addr.js';
import {
  type BgpUpdate,
  type PathAttributes,
  emitBgpMessage,
  emitBgpUpdateAnnounce,
  encodePathAttributes,
  parseBgpMessage,
} from './bgp.js';
import { hex, toHex } from './testing.js';

const ip = (t: string): number => parseIpv4(t) ?? 0;

/** What a Calico route reflector sends a client: a reflected block route (RFC 4456 §8). */
const REFLECTED: PathAttributes = {
  origin: 'igp',
  asPath: [],
  nextHop: ip('10.0.0.5'),
  localPref: 100,
  originatorId: ip('10.0.0.5'),
  clusterList: [ip('244.0.0.1')],
  unknown: [],
};

describe('emitBgpUpdateAnnounce', () => {
  it('writes the RFC 4271 §4.3 layout: header, no withdrawn routes, the attributes, the NLRI', () => {
    const attrs = encodePathAttributes(REFLECTED, 4);
    const bytes = emitBgpUpdateAnnounce(attrs, [{ addr: ip('192.168.1.64'), len: 26 }]);
    const want =
      'ff'.repeat(16) + // marker
      '003f' + // Length 63 = 19 + 2 + 2 + 35 + 5
      '02' + // Type UPDATE
      '0000' + // Withdrawn Routes Length 0
      '0023' + // Total Path Attribute Length 35
      '400101' +
      '00' + // ORIGIN (well-known transitive, code 1, len 1): IGP
      '400200' + // AS_PATH, empty (iBGP, own route)
      '400304' +
      '0a000005' + // NEXT_HOP 10.0.0.5
      '400504' +
      '00000064' + // LOCAL_PREF 100
      '800904' +
      '0a000005' + // ORIGINATOR_ID (optional non-transitive, RFC 4456 §8) 10.0.0.5
      '800a04' +
      'f4000001' + // CLUSTER_LIST 244.0.0.1
      '1a' +
      'c0a80140'; // NLRI 192.168.1.64/26: length 26, four significant octets
    assert.equal(toHex(bytes), want);
    assert.deepEqual(bytes, hex(want));
  });

  it('makes the bytes emitBgpMessage makes, for one prefix and many, 2- and 4-octet AS', () => {
    const nlri = Array.from({ length: 40 }, (_, i) => ({ addr: ip('192.168.0.0') + i * 64, len: 26 }));
    const ebgpish: PathAttributes = {
      origin: 'incomplete',
      asPath: [{ type: 'sequence', asns: [64512, 65001] }],
      nextHop: ip('172.171.5.95'),
      med: 5,
      unknown: [],
    };
    for (const attrs of [REFLECTED, ebgpish])
      for (const routes of [
        nlri.slice(0, 1),
        nlri,
        [
          { addr: ip('10.1.0.0'), len: 16 },
          { addr: 0, len: 0 },
        ],
      ])
        for (const four of [true, false]) {
          const u: BgpUpdate = { type: 'update', withdrawn: [], attrs, nlri: routes };
          const a = emitBgpUpdateAnnounce(encodePathAttributes(attrs, four ? 4 : 2), routes);
          assert.deepEqual(a, emitBgpMessage(u, { fourOctetAs: four }));
          const back = parseBgpMessage(a, 0, { fourOctetAs: four });
          assert.ok(back.ok && back.value.message.type === 'update');
          assert.deepEqual(back.value.message.nlri, routes);
        }
  });

  it('refuses a message over 4,096 bytes (RFC 4271 §4.1), as emitBgpMessage does', () => {
    const many = Array.from({ length: 1100 }, (_, i) => ({ addr: i * 256, len: 24 }));
    assert.throws(() => emitBgpUpdateAnnounce(encodePathAttributes(REFLECTED, 4), many), RangeError);
  });
});
