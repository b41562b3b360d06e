/**
 * Properties of the BGP codec: emit then parse gives the message back (2- and 4-octet AS sessions); no
 * input makes a parser throw; every error names a NOTIFICATION code and subcode the RFCs define.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Ipv4Prefix } from './addr.js';
import { prefixMask } from './addr.js';
import {
  type AsPathSegment,
  type BgpCapability,
  type BgpMessage,
  type BgpOpen,
  type BgpUpdate,
  type PathAttributes,
  bgpMessageLength,
  emitBgpMessage,
  emitBgpUpdateWithAttrBytes,
  encodeAttributeTriples,
  encodePathAttributes,
  pathAttributeTriples,
  notificationText,
  parseBgpMessage,
} from './bgp.js';
import { BgpAttrIntern } from './bgp-attr-intern.js';
import { bytesArb, ipv4Arb, mutatedArb, u16Arb, u32Arb } from './testing.js';

/** fc.record with ordinary objects (fast-check 4 makes null-prototype ones), for deepStrictEqual. */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const prefixArb: fc.Arbitrary<Ipv4Prefix> = fc
  .tuple(ipv4Arb, fc.integer({ min: 0, max: 32 }))
  .map(([a, len]) => ({ addr: (a & prefixMask(len)) >>> 0, len }));
const prefixesArb = fc.array(prefixArb, { maxLength: 6 });

function asPathArb(asArb: fc.Arbitrary<number>): fc.Arbitrary<AsPathSegment[]> {
  const seg = rec({
    type: fc.constantFrom('set' as const, 'sequence' as const, 'confed-sequence' as const, 'confed-set' as const),
    asns: fc.array(asArb, { minLength: 1, maxLength: 8 }),
  });
  return fc.array(seg, { maxLength: 3 });
}

/** Codes this codec does not decode, so they come back raw. */
const rawAttrCode = fc.integer({ min: 19, max: 255 });

function attrsArb(asArb: fc.Arbitrary<number>): fc.Arbitrary<PathAttributes> {
  const unknown = fc
    .uniqueArray(rec({ code: rawAttrCode, value: fc.uint8Array({ maxLength: 300 }) }), {
      selector: (u) => u.code,
      maxLength: 2,
    })
    .map((us) => us.map((u) => ({ flags: 0xe0, code: u.code, value: u.value }))); // optional transitive partial
  const mpReach = fc.oneof(
    rec({
      afi: fc.constant(1),
      safi: fc.constant(1),
      nextHop: fc.uint8Array({ minLength: 4, maxLength: 4 }),
      nlri: prefixesArb,
    }),
    rec({
      afi: fc.constant(2),
      safi: fc.constant(1),
      nextHop: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      nlri: fc.constant<Ipv4Prefix[]>([]),
      nlriRaw: fc.uint8Array({ maxLength: 40 }),
    }),
  );
  const mpUnreach = fc.oneof(
    rec({ afi: fc.constant(1), safi: fc.constant(1), withdrawn: prefixesArb }),
    rec({
      afi: fc.constant(2),
      safi: fc.constant(1),
      withdrawn: fc.constant<Ipv4Prefix[]>([]),
      withdrawnRaw: fc.uint8Array({ maxLength: 40 }),
    }),
  );
  const aggregator = rec({ as: asArb, id: ipv4Arb });
  return fc.record(
    {
      origin: fc.constantFrom('igp' as const, 'egp' as const, 'incomplete' as const),
      asPath: asPathArb(asArb),
      nextHop: ipv4Arb,
      med: u32Arb,
      localPref: u32Arb,
      atomicAggregate: fc.constant(true),
      aggregator,
      communities: fc.array(u32Arb, { minLength: 1, maxLength: 80 }),
      originatorId: ipv4Arb,
      clusterList: fc.array(ipv4Arb, { minLength: 1, maxLength: 4 }),
      mpReach,
      mpUnreach,
      as4Path: asPathArb(u32Arb),
      as4Aggregator: rec({ as: u32Arb, id: ipv4Arb }),
      unknown,
    },
    { requiredKeys: ['unknown'], noNullPrototype: true },
  );
}

function updateArb(asArb: fc.Arbitrary<number>): fc.Arbitrary<BgpUpdate> {
  return fc
    .record({ withdrawn: prefixesArb, attrs: attrsArb(asArb), nlri: prefixesArb })
    .map((u) => ({ type: 'update' as const, ...u }));
}

const capabilityArb: fc.Arbitrary<BgpCapability> = fc.oneof(
  rec({ kind: fc.constant('multiprotocol' as const), afi: u16Arb, safi: fc.nat({ max: 255 }) }),
  fc.constant({ kind: 'route-refresh' as const }),
  rec({
    kind: fc.constant('graceful-restart' as const),
    flags: fc.nat({ max: 15 }),
    restartTime: fc.nat({ max: 4095 }),
    afis: fc.array(rec({ afi: u16Arb, safi: fc.nat({ max: 255 }), flags: fc.nat({ max: 255 }) }), {
      maxLength: 3,
    }),
  }),
  fc.constant({ kind: 'enhanced-route-refresh' as const }),
  rec({
    kind: fc.constant('raw' as const),
    code: fc.integer({ min: 71, max: 255 }),
    value: fc.uint8Array({ maxLength: 20 }),
  }),
);

const openArb: fc.Arbitrary<BgpOpen> = fc
  .record({
    as: u32Arb,
    as4: fc.boolean(),
    holdTime: u16Arb.filter((h) => h !== 1 && h !== 2),
    bgpId: ipv4Arb.filter((id) => id !== 0),
    caps: fc.array(capabilityArb, { maxLength: 6 }),
  })
  .map(({ as, as4, holdTime, bgpId, caps }) => {
    const myAs = as4 ? as : as & 0xffff;
    const capabilities = as4 ? [...caps, { kind: 'four-octet-as' as const, as: myAs }] : caps;
    return { type: 'open' as const, version: 4, myAs, holdTime, bgpId, capabilities };
  });

const messageArb = (fourOctetAs: boolean): fc.Arbitrary<BgpMessage> =>
  fc.oneof(
    openArb,
    updateArb(fourOctetAs ? u32Arb : u16Arb),
    rec({
      type: fc.constant('notification' as const),
      code: fc.nat({ max: 255 }),
      subcode: fc.nat({ max: 255 }),
      data: fc.uint8Array({ maxLength: 30 }),
    }),
    fc.constant({ type: 'keepalive' as const }),
    rec({
      type: fc.constant('route-refresh' as const),
      afi: u16Arb,
      safi: fc.nat({ max: 255 }),
      subtype: fc.nat({ max: 255 }),
    }),
  );

/** ORIGIN, AS_PATH (and NEXT_HOP with NLRI) when the UPDATE announces routes but lacks them. */
function missingMandatory(u: BgpUpdate): number[] {
  if (u.nlri.length === 0 && u.attrs.mpReach === undefined) return [];
  const missing: number[] = [];
  if (u.attrs.origin === undefined) missing.push(1);
  if (u.attrs.asPath === undefined) missing.push(2);
  if (u.nlri.length > 0 && u.attrs.nextHop === undefined) missing.push(3);
  return missing;
}

/** A code/subcode pair the RFCs name (subcode 0 is "unspecific", RFC 4271 §4.5). */
function isDefinedNotification(code: number, subcode: number): boolean {
  const text = notificationText(code, subcode);
  return !text.startsWith('Error ') && !text.includes('/ Subcode');
}

describe('BGP codec properties', () => {
  for (const fourOctetAs of [false, true]) {
    it(`parse(emit(m)) is m, ${fourOctetAs ? '4' : '2'}-octet AS session`, () => {
      const ctx = { fourOctetAs };
      fc.assert(
        fc.property(messageArb(fourOctetAs), (m) => {
          const bytes = emitBgpMessage(m, ctx);
          assert.equal(bgpMessageLength(bytes, 0), bytes.length);
          const r = parseBgpMessage(bytes, 0, ctx);
          assert.ok(r.ok, r.ok ? '' : r.error.reason);
          // RFC 7606 §3 d: the only findings are the well-known attributes the generator left out.
          assert.deepEqual(
            r.value.attrErrors.map((e) => e.attr),
            m.type === 'update' ? missingMandatory(m) : [],
          );
          assert.deepEqual(r.value.message, m);
        }),
        { numRuns: 400 },
      );
    });
  }
  it('an UPDATE from pre-encoded attributes is byte for byte the one emitBgpMessage makes', () => {
    for (const fourOctetAs of [false, true]) {
      const asSize = fourOctetAs ? 4 : 2;
      fc.assert(
        fc.property(attrsArb(fourOctetAs ? u32Arb : u16Arb), prefixesArb, (attrs, nlri) => {
          const want = emitBgpMessage({ type: 'update', withdrawn: [], attrs, nlri }, { fourOctetAs });
          assert.deepEqual(emitBgpUpdateWithAttrBytes(encodePathAttributes(attrs, asSize), nlri), want);
        }),
        { numRuns: 400 },
      );
    }
  });
  it('the direct attribute encoder writes the bytes the triples give, long AS_PATHs and Extended Length included', () => {
    const rare = (a: PathAttributes): PathAttributes => {
      const out = { ...a };
      delete out.mpReach;
      delete out.mpUnreach;
      delete out.aggregator;
      delete out.as4Path;
      delete out.as4Aggregator;
      return out;
    };
    const longPath: AsPathSegment[] = [
      { type: 'sequence', asns: Array.from({ length: 600 }, (_, i) => 64512 + i) },
      { type: 'set', asns: [] },
      { type: 'set', asns: Array.from({ length: 255 }, (_, i) => 70000 + i) },
    ];
    for (const asSize of [2, 4] as const) {
      fc.assert(
        fc.property(attrsArb(asSize === 4 ? u32Arb : u16Arb), fc.boolean(), fc.boolean(), (a, common, long) => {
          let x = common ? rare(a) : a;
          if (long) x = { ...x, asPath: longPath };
          assert.deepEqual(encodePathAttributes(x, asSize), encodeAttributeTriples(pathAttributeTriples(x, asSize)));
        }),
        { numRuns: 600 },
      );
    }
  });
  it('never throws, and every error carries a NOTIFICATION the RFCs define', () => {
    const valid = fc
      .tuple(fc.boolean(), fc.boolean())
      .chain(([as4]) => messageArb(as4).map((m) => emitBgpMessage(m, { fourOctetAs: as4 })));
    fc.assert(
      fc.property(fc.oneof(bytesArb(200), mutatedArb(valid)), fc.boolean(), (bytes, fourOctetAs) => {
        const framed = bgpMessageLength(bytes, 0);
        if (framed !== undefined) assert.ok(framed >= 19 && framed <= 4096);
        const r = parseBgpMessage(bytes, 0, { fourOctetAs });
        if (!r.ok) {
          const n = r.error.notification;
          assert.ok(
            isDefinedNotification(n.code, n.subcode) || (n.code === 2 && n.subcode === 0),
            `${n.code}/${n.subcode}`,
          );
          return;
        }
        for (const e of r.value.attrErrors) {
          assert.equal(e.code, 3);
          assert.ok(isDefinedNotification(e.code, e.subcode), `${e.code}/${e.subcode}`);
        }
      }),
      { numRuns: 3000 },
    );
  });
  it('a mutated UPDATE that still parses keeps its action consistent with its errors', () => {
    const valid = updateArb(u32Arb).map((m) => emitBgpMessage(m, { fourOctetAs: true }));
    fc.assert(
      fc.property(mutatedArb(valid), (bytes) => {
        const r = parseBgpMessage(bytes, 0, { fourOctetAs: true });
        if (!r.ok) return;
        assert.equal(r.value.action === 'none', r.value.attrErrors.length === 0);
      }),
      { numRuns: 2000 },
    );
  });
  it('an intern table changes nothing a parse returns: same message, findings and action, valid or mutated', () => {
    const intern = new BgpAttrIntern();
    const valid = fc
      .tuple(fc.boolean(), fc.boolean())
      .chain(([as4]) => messageArb(as4).map((m) => emitBgpMessage(m, { fourOctetAs: as4 })));
    fc.assert(
      fc.property(fc.oneof(valid, mutatedArb(valid)), fc.boolean(), (bytes, fourOctetAs) => {
        const plain = parseBgpMessage(bytes, 0, { fourOctetAs });
        // twice through the table: the second parse of the same bytes is served from it
        parseBgpMessage(bytes, 0, { fourOctetAs, attrIntern: intern });
        const shared = parseBgpMessage(bytes, 0, { fourOctetAs, attrIntern: intern });
        assert.deepEqual(shared, plain);
      }),
      { numRuns: 1500 },
    );
    assert.ok(intern.hits > 0 && intern.misses > 0, `${intern.hits} hits, ${intern.misses} misses`);
  });
  it('interned attributes are shared between UPDATEs, each keeps its own RFC 7606 findings', () => {
    const intern = new BgpAttrIntern();
    const ctx = { fourOctetAs: true, attrIntern: intern };
    const attrs: PathAttributes = { origin: 'igp', asPath: [], unknown: [], localPref: 100 };
    // no NEXT_HOP: missing only when the UPDATE announces routes in its NLRI field (RFC 7606 §3 d)
    const announce = emitBgpMessage(
      { type: 'update', withdrawn: [], attrs, nlri: [{ addr: 0xc0a80000, len: 26 }] },
      { fourOctetAs: true },
    );
    const bare = emitBgpMessage({ type: 'update', withdrawn: [], attrs, nlri: [] }, { fourOctetAs: true });
    const a = parseBgpMessage(announce, 0, ctx);
    const b = parseBgpMessage(bare, 0, ctx);
    const c = parseBgpMessage(announce, 0, ctx);
    assert.ok(a.ok && b.ok && c.ok);
    assert.equal((a.value.message as BgpUpdate).attrs, (c.value.message as BgpUpdate).attrs);
    assert.equal((a.value.message as BgpUpdate).attrs, (b.value.message as BgpUpdate).attrs);
    assert.deepEqual(
      a.value.attrErrors.map((e) => e.attr),
      [3],
    );
    assert.deepEqual(b.value.attrErrors, []);
    assert.deepEqual(
      c.value.attrErrors.map((e) => e.attr),
      [3],
    );
    assert.equal(intern.misses, 1);
    assert.equal(intern.hits, 2);
    // the AS size is part of the key: the same bytes read with 2-octet ASNs are another parse
    parseBgpMessage(announce, 0, { fourOctetAs: false, attrIntern: intern });
    assert.equal(intern.misses, 2);
  });
});
