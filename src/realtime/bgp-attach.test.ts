/** The outside peer's protocol name, as confd names a global BGPPeer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIpv4 } from '../wire/addr.js';
import { globalPeerName } from './bgp-attach.js';

test('a global peer is Global_<ip>, with _port_N off port 179 (confd compiled_templates/explicit_peering/global)', () => {
  assert.equal(globalPeerName(parseIpv4('10.0.0.254')!), 'Global_10_0_0_254');
  assert.equal(globalPeerName(parseIpv4('10.0.0.254')!, 179), 'Global_10_0_0_254');
  // confd's test template: `protocol bgp Global_10_192_0_1_port_150 from bgp_template`
  assert.equal(globalPeerName(parseIpv4('10.192.0.1')!, 150), 'Global_10_192_0_1_port_150');
});
