/**
 * Flannel's keys and lease values, checked against what flanneld writes: the subnet key layout of
 * pkg/subnet/etcd and LeaseAttrs as Go's json.Marshal prints it (`etcdctl get` output of real clusters).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCidr, parseMac } from '../../wire/addr.js';
import {
  encodeFlannelLeaseValue,
  flannelConfigKey,
  flannelSubnetKey,
  flannelSubnetsPrefix,
  parseFlannelLeaseValue,
  parseFlannelSubnetKey,
  vxlanBackendData,
  type FlannelLeaseAttrs,
} from './flannel-keys.js';

const VTEP = parseMac('de:71:6e:55:36:75')!;
const PUBLIC = parseCidr('10.85.81.165/32')!.addr;

describe('flannel keys', () => {
  it('names the config and subnet keys under --etcd-prefix', () => {
    assert.equal(flannelConfigKey(), '/coreos.com/network/config');
    assert.equal(flannelSubnetsPrefix(), '/coreos.com/network/subnets');
    assert.equal(flannelSubnetKey({ ipv4: parseCidr('10.5.72.0/24')! }), '/coreos.com/network/subnets/10.5.72.0-24');
    assert.equal(
      flannelSubnetKey({ ipv4: parseCidr('10.42.3.0/24')! }, '/k3s/flannel/'),
      '/k3s/flannel/subnets/10.42.3.0-24',
    );
    assert.equal(
      flannelSubnetKey({ ipv4: parseCidr('10.244.1.0/24')!, ipv6: { addr: 'fd00:10:244:1::', len: 64 } }),
      '/coreos.com/network/subnets/10.244.1.0-24&fd00:10:244:1::-64',
    );
  });

  it('parses subnet keys back, dual-stack included', () => {
    assert.deepEqual(parseFlannelSubnetKey('/coreos.com/network/subnets/10.5.72.0-24'), {
      ok: true,
      value: { ipv4: { addr: parseCidr('10.5.72.0/24')!.addr, len: 24 } },
    });
    assert.deepEqual(parseFlannelSubnetKey('/coreos.com/network/subnets/10.244.1.0-24&fd00:10:244:1::-64'), {
      ok: true,
      value: { ipv4: { addr: parseCidr('10.244.1.0/24')!.addr, len: 24 }, ipv6: { addr: 'fd00:10:244:1::', len: 64 } },
    });
  });

  it('rejects keys that are not subnet leases, naming why', () => {
    const bad: [string, RegExp][] = [
      ['/coreos.com/network/config', /not under \/coreos.com\/network\/subnets\//],
      ['/coreos.com/network/subnets/10.5.72.0/24', /not a subnet like/],
      ['/coreos.com/network/subnets/10.5.72-24', /not a subnet like/],
      ['/coreos.com/network/subnets/10.5.300.0-24', /not an IPv4 address/],
      ['/coreos.com/network/subnets/10.5.72.0-33', /over 32/],
      ['/coreos.com/network/subnets/10.5.72.0-24&fd00:::1-64', /not an IPv6 address/],
      ['/coreos.com/network/subnets/10.5.72.0-24&fd00::-129', /over 128/],
      ['/other/subnets/10.5.72.0-24', /not under/],
    ];
    for (const [key, reason] of bad) {
      const r = parseFlannelSubnetKey(key);
      assert.equal(r.ok, false, key);
      if (!r.ok) {
        assert.equal(r.error.field, 'key');
        assert.match(r.error.reason, reason, key);
      }
    }
  });

  it('round-trips any IPv4 subnet through its key', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 32 }), (addr, len) => {
        const r = parseFlannelSubnetKey(flannelSubnetKey({ ipv4: { addr, len } }));
        assert.deepEqual(r, { ok: true, value: { ipv4: { addr, len } } });
      }),
    );
  });
});

describe('flannel lease values', () => {
  const vxlan: FlannelLeaseAttrs = {
    publicIp: PUBLIC,
    backendType: 'vxlan',
    backendData: vxlanBackendData({ vni: 1, vtepMac: VTEP }),
  };

  it('encodes a vxlan lease as flanneld writes it', () => {
    // flannel before dual-stack support, and the reference notes
    assert.equal(
      encodeFlannelLeaseValue(vxlan, { omitNullPublicIpv6: true }),
      '{"PublicIP":"10.85.81.165","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"de:71:6e:55:36:75"}}',
    );
    // current flannel: PublicIPv6 is a pointer without omitempty, so IPv4-only nodes write null
    assert.equal(
      encodeFlannelLeaseValue(vxlan),
      '{"PublicIP":"10.85.81.165","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"de:71:6e:55:36:75"}}',
    );
    assert.equal(
      encodeFlannelLeaseValue({ publicIp: PUBLIC, backendType: 'host-gw' }),
      '{"PublicIP":"10.85.81.165","PublicIPv6":null,"BackendType":"host-gw"}',
    );
    assert.equal(
      encodeFlannelLeaseValue({
        ...vxlan,
        publicIpv6: 'fd00::5',
        backendV6Data: vxlanBackendData({ vni: 1, vtepMac: VTEP + 1 }),
      }),
      '{"PublicIP":"10.85.81.165","PublicIPv6":"fd00::5","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"de:71:6e:55:36:75"},' +
        '"BackendV6Data":{"VNI":1,"VtepMAC":"de:71:6e:55:36:76"}}',
    );
    assert.equal(
      encodeFlannelLeaseValue({ publicIp: PUBLIC, backendType: 'x<y>&z' }, { omitNullPublicIpv6: true }),
      '{"PublicIP":"10.85.81.165","BackendType":"x\\u003cy\\u003e\\u0026z"}',
    );
  });

  it('parses both forms, and the vxlan attributes', () => {
    for (const text of [
      '{"PublicIP":"10.85.81.165","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"de:71:6e:55:36:75"}}',
      '{"PublicIP":"10.85.81.165","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"de:71:6e:55:36:75"}}',
    ]) {
      const r = parseFlannelLeaseValue(text);
      assert.ok(r.ok, text);
      assert.deepEqual(r.value, { ...vxlan, vxlan: { vni: 1, vtepMac: VTEP } });
      assert.equal(encodeFlannelLeaseValue(r.value, { omitNullPublicIpv6: !text.includes('PublicIPv6') }), text);
    }
    // flannel's first vxlan releases had no VNI in BackendData; Go matches field names case-insensitively
    const old = parseFlannelLeaseValue(
      '{"publicip":"192.168.33.6","BackendType":"vxlan","BackendData":{"VtepMAC":"02:52:fb:99:b1:f2"}}',
    );
    assert.ok(old.ok);
    assert.deepEqual(old.value.vxlan, { vtepMac: parseMac('02:52:fb:99:b1:f2') });
    const hostGw = parseFlannelLeaseValue(
      '{"PublicIP":"192.168.8.188","PublicIPv6":"fd00::8","BackendType":"host-gw"}',
    );
    assert.deepEqual(hostGw, {
      ok: true,
      value: { publicIp: parseCidr('192.168.8.188/32')!.addr, publicIpv6: 'fd00::8', backendType: 'host-gw' },
    });
  });

  it('rejects malformed values with the field and the reason', () => {
    const bad: [string, string, RegExp][] = [
      ['{"PublicIP":', '', /not JSON/],
      ['[1]', '', /object/],
      ['{"BackendType":"vxlan"}', 'PublicIP', /missing/],
      ['{"PublicIP":"10.0.0.256"}', 'PublicIP', /not an IPv4 address/],
      ['{"PublicIP":"10.0.0.1","PublicIPv6":"fd00::g"}', 'PublicIPv6', /not an IPv6/],
      ['{"PublicIP":"10.0.0.1","BackendType":7}', 'BackendType', /not a string/],
      ['{"PublicIP":"10.0.0.1","BackendType":"vxlan"}', 'BackendData', /object with VtepMAC/],
      [
        '{"PublicIP":"10.0.0.1","BackendType":"vxlan","BackendData":{"VNI":70000,"VtepMAC":"de:71:6e:55:36:75"}}',
        'BackendData.VNI',
        /0\.\.65535/,
      ],
      ['{"PublicIP":"10.0.0.1","BackendType":"vxlan","BackendData":{"VNI":1}}', 'BackendData.VtepMAC', /missing/],
      [
        '{"PublicIP":"10.0.0.1","BackendType":"vxlan","BackendData":{"VtepMAC":"de:71:6e"}}',
        'BackendData.VtepMAC',
        /not a MAC/,
      ],
    ];
    for (const [text, field, reason] of bad) {
      const r = parseFlannelLeaseValue(text);
      assert.equal(r.ok, false, text);
      if (!r.ok) {
        assert.equal(r.error.field, field, text);
        assert.match(r.error.reason, reason, text);
      }
    }
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json()), (text) => void parseFlannelLeaseValue(text)));
  });
});
