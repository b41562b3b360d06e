import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VXLAN_HEADER_LEN, emitVxlan, parseVxlan } from './vxlan.js';

describe('vxlan', () => {
  it('reads RFC 7348 header bytes', () => {
    // 08 = I flag; 00 00 00 reserved; 00 00 01 = VNI 1 (Flannel's default); 00 reserved; then inner frame
    const bytes = new Uint8Array([0x08, 0, 0, 0, 0x00, 0x00, 0x01, 0x00, 0xaa, 0xbb]);
    const r = parseVxlan(bytes);
    assert.ok(r.ok);
    assert.equal(r.value.header.vni, 1);
    assert.deepEqual([...r.value.inner], [0xaa, 0xbb]);
  });
  it('emits the same bytes, with VNI 0x123456 in network order', () => {
    const buf = new Uint8Array(8);
    assert.equal(emitVxlan({ vni: 0x123456 }, buf), VXLAN_HEADER_LEN);
    assert.deepEqual([...buf], [0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0]);
  });
  it('rejects a clear I flag and a short header, ignores reserved bits', () => {
    const clear = parseVxlan(new Uint8Array([0, 0, 0, 0, 0, 0, 1, 0]));
    assert.deepEqual(clear.ok ? undefined : [clear.error.field, clear.error.code], ['flags', 'bad-value']);
    const short = parseVxlan(new Uint8Array(7));
    assert.deepEqual(short.ok ? undefined : [short.error.field, short.error.code], ['header', 'truncated']);
    const r = parseVxlan(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 5, 0xff]));
    assert.ok(r.ok && r.value.header.vni === 5);
  });
  it('round-trips every VNI and never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), (vni) => {
        const b = new Uint8Array(8);
        emitVxlan({ vni }, b);
        const r = parseVxlan(b);
        return r.ok && r.value.header.vni === vni;
      }),
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => void parseVxlan(b)));
  });
});
