import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArp } from './arp.js';
import { bgpMessageLength, parseBgpMessage } from './bgp.js';
import { WIRE_CORPUS } from './corpus.js';
import { parseEthernet } from './ethernet.js';
import { icmpErrorQuote, parseIcmp } from './icmp.js';
import { checkIpv4, decrementTtl, fragmentIpv4, parseIpv4 } from './ipv4.js';
import { parseUdp, verifyUdpChecksum } from './udp.js';

describe('wire corpus replay', () => {
  for (const { name, bytes } of WIRE_CORPUS) {
    it(`${name}: no parser throws`, () => {
      parseEthernet(bytes);
      parseArp(bytes);
      parseIcmp(bytes);
      parseUdp(bytes);
      parseUdp(bytes, 0x0a000101, 0x0a000202);
      if (bytes.length >= 8) verifyUdpChecksum(0x0a000101, 0x0a000202, bytes, 0, bytes.length);
      icmpErrorQuote(bytes);
      bgpMessageLength(bytes, 0);
      parseBgpMessage(bytes, 0, { fourOctetAs: true });
      parseBgpMessage(bytes, 0, { fourOctetAs: false });
      const check = checkIpv4(bytes, 0, bytes.length);
      assert.equal(parseIpv4(bytes).ok, check === 'ok');
      if (check === 'ok') {
        // A packet that passed the check can always be fragmented, down to its header + 8 bytes.
        const hl = (bytes[0]! & 0xf) * 4;
        for (const mtu of [hl + 8, 68, 1500]) fragmentIpv4(bytes, mtu);
        const copy = bytes.slice();
        decrementTtl(copy, 0);
        assert.equal(checkIpv4(copy, 0, copy.length), 'ok');
      }
    });
  }

  it('gives the BGP cases their RFC 7606 / RFC 4271 verdicts', () => {
    const bgp = (name: string) =>
      parseBgpMessage(WIRE_CORPUS.find((e) => e.name === name)!.bytes, 0, { fourOctetAs: true });
    const cut = bgp('bgp update, extended-length attribute header cut');
    assert.ok(cut.ok && cut.value.action === 'session-reset');
    const overrun = bgp('bgp update, attribute overruns, no routes');
    assert.ok(overrun.ok && overrun.value.action === 'session-reset');
    const open = bgp('bgp open, capability overruns its parameter');
    assert.ok(!open.ok && open.error.notification.code === 2);
  });

  it('holds the hand-picked IPv4 cases with their expected verdicts', () => {
    const verdict = (name: string) => {
      const entry = WIRE_CORPUS.find((e) => e.name === name)!;
      return checkIpv4(entry.bytes, 0, entry.bytes.length);
    };
    assert.equal(verdict('ipv4 ihl 15, short buffer'), 'truncated');
    assert.equal(verdict('ipv4 total < ihl*4'), 'bad-total-length');
    assert.equal(verdict('ipv4 ihl 0'), 'bad-ihl');
    assert.equal(verdict('ipv4 total > buffer'), 'truncated');
    assert.equal(verdict('ipv4 valid, no payload'), 'ok');
    assert.equal(verdict('ipv4 zero-length option'), 'ok');
    assert.equal(verdict('ipv4 option overruns header'), 'ok');
    assert.equal(verdict('ipv4 ttl 0'), 'ok');
  });
});
