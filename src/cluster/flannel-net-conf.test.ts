/** Tests for net-conf.json: each of Flannel's rules (pkg/subnet/config.go), its defaults and its JSON habits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCidr, formatIpv4, parseCidr } from '../wire/addr.js';
import {
  checkNetworkConfig,
  defaultSubnetLen,
  k3sNetConfText,
  parseNetConf,
  type FlannelNetConf,
} from './flannel-net-conf.js';

function conf(json: object | string): FlannelNetConf {
  const r = parseNetConf(typeof json === 'string' ? json : JSON.stringify(json));
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  return r.conf;
}

function errors(json: object | string): string[] {
  const r = parseNetConf(typeof json === 'string' ? json : JSON.stringify(json));
  assert.ok(!r.ok, 'expected errors');
  return r.errors.map((e) => `${e.key}: ${e.message}`);
}

const VXLAN = { Type: 'vxlan' };

test('SubnetLen defaults to /24 when the Network is /22 or larger', () => {
  assert.equal(conf({ Network: '10.42.0.0/16', Backend: VXLAN }).subnetLen, 24);
  assert.equal(conf({ Network: '10.42.0.0/22', Backend: VXLAN }).subnetLen, 24);
  assert.equal(defaultSubnetLen(8), 24);
});

test('SubnetLen defaults to prefix+2 for Networks smaller than /22', () => {
  assert.equal(conf({ Network: '10.42.0.0/23', Backend: VXLAN }).subnetLen, 25);
  assert.equal(conf({ Network: '10.42.0.0/28', Backend: VXLAN }).subnetLen, 30);
});

test('without SubnetLen, a Network longer than /28 is refused', () => {
  assert.deepEqual(errors({ Network: '10.42.0.0/29', Backend: VXLAN }), [
    'Network: network is too small. Minimum useful network prefix is /28',
  ]);
  assert.equal(defaultSubnetLen(29), undefined);
});

test('SubnetLen above 30 is refused', () => {
  assert.deepEqual(errors({ Network: '10.42.0.0/16', SubnetLen: 31, Backend: VXLAN }), [
    'SubnetLen: SubnetLen must be less than /31',
  ]);
  assert.equal(conf({ Network: '10.42.0.0/16', SubnetLen: 30, Backend: VXLAN }).subnetLen, 30);
});

test('SubnetLen shorter than prefix+2 is refused (the Network must hold four subnets, the first unused)', () => {
  assert.deepEqual(errors({ Network: '10.42.0.0/16', SubnetLen: 17, Backend: VXLAN }), [
    'SubnetLen: network must be able to accommodate at least four subnets',
  ]);
  assert.equal(conf({ Network: '10.42.0.0/16', SubnetLen: 18, Backend: VXLAN }).subnetLen, 18);
  // With SubnetLen given, a /29 Network fails this rule rather than the /28 one.
  assert.deepEqual(errors({ Network: '10.42.0.0/29', SubnetLen: 30, Backend: VXLAN }), [
    'SubnetLen: network must be able to accommodate at least four subnets',
  ]);
});

test('SubnetMin defaults to the second subnet and SubnetMax to the last', () => {
  const c = conf({ Network: '10.42.0.0/16', Backend: VXLAN });
  assert.equal(formatIpv4(c.subnetMin), '10.42.1.0');
  assert.equal(formatIpv4(c.subnetMax), '10.42.255.0');
  const small = conf({ Network: '192.168.0.0/26', Backend: VXLAN });
  assert.equal(small.subnetLen, 28);
  assert.equal(formatIpv4(small.subnetMin), '192.168.0.16');
  assert.equal(formatIpv4(small.subnetMax), '192.168.0.48');
  // 0.0.0.0 is Go's zero value: it counts as not given.
  assert.equal(
    formatIpv4(conf({ Network: '10.42.0.0/16', SubnetMin: '0.0.0.0', Backend: VXLAN }).subnetMin),
    '10.42.1.0',
  );
});

test('SubnetMin and SubnetMax must lie in the Network and on a SubnetLen boundary', () => {
  assert.deepEqual(errors({ Network: '10.42.0.0/16', SubnetMin: '10.43.0.0', Backend: VXLAN }), [
    'SubnetMin: SubnetMin is not in the range of the Network',
  ]);
  assert.deepEqual(errors({ Network: '10.42.0.0/16', SubnetMax: '10.41.255.0', Backend: VXLAN }), [
    'SubnetMax: SubnetMax is not in the range of the Network',
  ]);
  assert.deepEqual(errors({ Network: '10.42.0.0/16', SubnetMin: '10.42.1.5', Backend: VXLAN }), [
    'SubnetMin: SubnetMin is not on a SubnetLen boundary: 10.42.1.5',
  ]);
  assert.deepEqual(errors({ Network: '10.42.0.0/16', SubnetMax: '10.42.9.128', Backend: VXLAN }), [
    'SubnetMax: SubnetMax is not on a SubnetLen boundary: 10.42.9.128',
  ]);
  const c = conf({ Network: '10.42.0.0/16', SubnetMin: '10.42.10.0', SubnetMax: '10.42.20.0', Backend: VXLAN });
  assert.deepEqual([formatIpv4(c.subnetMin), formatIpv4(c.subnetMax)], ['10.42.10.0', '10.42.20.0']);
  // Flannel does not check Min <= Max; podnet warns, since no lease could ever be given.
  const r = parseNetConf(
    JSON.stringify({ Network: '10.42.0.0/16', SubnetMin: '10.42.20.0', SubnetMax: '10.42.10.0', Backend: VXLAN }),
  );
  assert.ok(r.ok);
  assert.match(r.warnings[0]!.message, /no subnet can be leased/);
});

test("the Network is required, and host bits are cleared as Go's net.ParseCIDR clears them", () => {
  assert.deepEqual(errors({ Backend: VXLAN }), [
    'Network: please define a correct Network parameter in the flannel config',
  ]);
  assert.deepEqual(errors({ Network: '0.0.0.0/0', Backend: VXLAN }), [
    'Network: please define a correct Network parameter in the flannel config',
  ]);
  assert.deepEqual(errors({ Network: '10.42.0.0', Backend: VXLAN }), ['Network: invalid CIDR address: 10.42.0.0']);
  const r = parseNetConf(JSON.stringify({ Network: '10.42.3.4/16', Backend: VXLAN }));
  assert.ok(r.ok);
  assert.equal(formatCidr(r.conf.network), '10.42.0.0/16');
  assert.deepEqual(r.warnings, [{ key: 'Network', message: 'host bits are set: flannel uses 10.42.0.0/16' }]);
});

test('⚠ no Backend means udp (parseBackendType), not the vxlan the docs promise', () => {
  assert.deepEqual(conf({ Network: '10.42.0.0/16' }).backend, { type: 'udp', port: 8285 });
});

test('backend options and their defaults: vxlan VNI 1 and port 0 = 8472; udp 8285; host-gw none', () => {
  assert.deepEqual(conf({ Network: '10.42.0.0/16', Backend: { Type: 'vxlan' } }).backend, {
    type: 'vxlan',
    vni: 1,
    port: 8472,
    directRouting: false,
    gbp: false,
    learning: false,
  });
  assert.deepEqual(
    conf({ Network: '10.42.0.0/16', Backend: { Type: 'vxlan', VNI: 42, Port: 0, MTU: 1400, DirectRouting: true } })
      .backend,
    { type: 'vxlan', vni: 42, port: 8472, directRouting: true, gbp: false, learning: false, mtu: 1400 },
  );
  assert.deepEqual(conf({ Network: '10.42.0.0/16', Backend: { Type: 'udp', Port: 7000 } }).backend, {
    type: 'udp',
    port: 7000,
  });
  assert.deepEqual(conf({ Network: '10.42.0.0/16', Backend: { Type: 'host-gw' } }).backend, { type: 'host-gw' });
  assert.deepEqual(errors({ Network: '10.42.0.0/16', Backend: { Type: 'vxlan', VNI: 16777216 } }), [
    'Backend.VNI: VNI 16777216 is out of range: must be between 0 and 16777215',
  ]);
  assert.deepEqual(errors({ Network: '10.42.0.0/16', Backend: { Type: 'vxlam' } }), [
    "Backend.Type: unknown backend type: vxlam (flannel's backends: vxlan, host-gw, udp, wireguard, ipip, ipsec, extension, alloc, tencent-vpc, ali-vpc, aws-vpc, gce)",
  ]);
  assert.deepEqual(errors({ Network: '10.42.0.0/16', Backend: { Type: 'wireguard' } }), [
    'Backend.Type: backend type "wireguard" is not emulated by podnet yet (vxlan, host-gw, udp are)',
  ]);
  assert.deepEqual(errors({ Network: '10.42.0.0/16', Backend: 'vxlan' }), [
    'Backend: error decoding Backend property of config: json: cannot unmarshal string into Go value of type struct { Type string }',
  ]);
});

test('encoding/json habits: keys match ignoring case, wrong types are decode errors, unknown keys are ignored (with a warning)', () => {
  const c = conf({ network: '10.42.0.0/16', subnetlen: 26, backend: { type: 'vxlan', vni: 7 } });
  assert.equal(c.subnetLen, 26);
  assert.equal(c.backend.type === 'vxlan' && c.backend.vni, 7);
  assert.deepEqual(errors({ Network: '10.42.0.0/16', SubnetLen: '24', Backend: VXLAN }), [
    'SubnetLen: json: cannot unmarshal string into Go struct field Config.SubnetLen of type uint',
  ]);
  assert.deepEqual(errors({ Network: '10.42.0.0/16', SubnetLen: -1, Backend: VXLAN }), [
    'SubnetLen: json: cannot unmarshal number -1 into Go struct field Config.SubnetLen of type uint',
  ]);
  const r = parseNetConf(JSON.stringify({ Network: '10.42.0.0/16', Backend: { Type: 'vxlan', Tyep: 'x' }, Extra: 1 }));
  assert.ok(r.ok);
  assert.deepEqual(
    r.warnings.map((w) => w.key),
    ['Extra', 'Backend.Tyep'],
  );
  assert.deepEqual(errors('{"Network": "10.42.0.0/16",'), [errors('{"Network": "10.42.0.0/16",')[0]!]);
  assert.match(errors('{"Network": ')[0]!, /^: not valid JSON/);
  assert.deepEqual(errors('[1]'), [': json: cannot unmarshal array into Go value of type subnet.Config']);
});

test('podnet is IPv4 only: EnableIPv6 and a disabled IPv4 are refused', () => {
  assert.deepEqual(errors({ Network: '10.42.0.0/16', EnableIPv6: true, IPv6Network: 'fd00::/56', Backend: VXLAN }), [
    'EnableIPv6: podnet emulates IPv4 only: EnableIPv6 is not supported',
  ]);
  assert.deepEqual(errors({ Network: '10.42.0.0/16', EnableIPv4: false, Backend: VXLAN }), [
    'EnableIPv4: podnet emulates IPv4 only: EnableIPv4 must stay true',
  ]);
});

test("k3s's generated net-conf.json reads back as the network and backend it was made from", () => {
  const text = k3sNetConfText(parseCidr('10.42.0.0/16')!, 'host-gw');
  assert.match(text, /"EnableIPv6": false/);
  const c = conf(text);
  assert.equal(formatCidr(c.network), '10.42.0.0/16');
  assert.deepEqual(c.backend, { type: 'host-gw' });
});

test('checkNetworkConfig on its own, for callers that build the config from other input', () => {
  const r = checkNetworkConfig({ network: parseCidr('10.244.0.0/16')! });
  assert.ok(r.ok);
  assert.equal(r.subnetLen, 24);
});
