/**
 * podnet verify's comparison on real bytes: frames captured with tcpdump -xx from Linux 6.18 in two
 * namespaces (A 10.0.0.2 02:00:00:00:00:aa pings C 10.0.0.4 02:00:00:00:00:ac once, `ping -c1 -s 20`),
 * decoded into fields, and compared against altered copies: a field that differs by value is reported,
 * random fields (IP ID, echo identifier, ping's timeval) match by a consistent role mapping only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '../src/wire/testing.js';
import { internetChecksum } from '../src/wire/checksum.js';
import {
  compareFrames,
  decodeFrame,
  formatDiffTable,
  RoleMap,
  type DecodeOptions,
} from '../src/realtime/real-lab-compare.js';

const OPTS: DecodeOptions = { vxlanPorts: new Set([4789]), stp: false };

// ARP request (RFC 826): broadcast, sender 02:00:00:00:00:aa 10.0.0.2, target 10.0.0.4; 42 bytes, unpadded on veth
const ARP_REQUEST = hex(
  'ffffffffffff 0200000000aa 0806 0001 0800 06 04 0001 0200000000aa 0a000002 000000000000 0a000004',
);
// echo request: IPv4 (RFC 791) DF, ID 0x06b9, TTL 64; ICMP (RFC 792) id 0x725e seq 1; data: timeval + 0x10 0x11 0x12 0x13
const ECHO_REQUEST = hex(
  '0200000000ac 0200000000aa 0800 4500 0030 06b9 4000 4001 200f 0a000002 0a000004 ' +
    '0800 21ef 725e 0001 d3ac116b00000000 5575070000000000 10111213',
);
// the reply: ID 0x0f34, no DF (the kernel's ICMP socket does not set it), the data echoed
const ECHO_REPLY = hex(
  '0200000000aa 0200000000ac 0800 4500 0030 0f34 0000 4001 5794 0a000004 0a000002 ' +
    '0000 29ef 725e 0001 d3ac116b00000000 5575070000000000 10111213',
);

/** A copy of `frame` with the IPv4 ID, ICMP identifier and timeval replaced, checksums fixed. */
function renumbered(frame: Uint8Array, id: number, ident: number, tv: number): Uint8Array {
  const f = frame.slice();
  const v = new DataView(f.buffer);
  v.setUint16(18, id);
  v.setUint16(24, 0);
  v.setUint16(24, internetChecksum(f, 14, 20));
  v.setUint16(38, ident);
  v.setUint32(42, tv);
  v.setUint16(36, 0);
  v.setUint16(36, internetChecksum(f, 34, f.length - 34));
  return f;
}

describe('podnet verify: decoding and comparing frames', () => {
  it('decodes the kernel frames into fields and labels', () => {
    const arp = decodeFrame(ARP_REQUEST, OPTS);
    assert.equal(arp.label, 'ARP who-has 10.0.0.4 tell 10.0.0.2');
    const field = (name: string): string | undefined => echo.fields.find((f) => f.name === name)?.value;
    const echo = decodeFrame(ECHO_REQUEST, OPTS);
    assert.equal(echo.label, 'ICMP echo request 10.0.0.2 -> 10.0.0.4');
    assert.equal(field('ip.flags.df'), '1');
    assert.equal(field('ip.checksum'), 'valid');
    assert.equal(field('icmp.checksum'), 'valid');
    assert.equal(field('icmp.data.timeval'), 'd3ac116b000000005575070000000000');
    assert.equal(field('icmp.data.rest'), '10111213');
    assert.equal(echo.fields.find((f) => f.name === 'ip.id')?.role, 'ip.id');
  });

  it('the same frames compare equal', () => {
    const fs = [ARP_REQUEST, ECHO_REQUEST, ECHO_REPLY].map((b) => decodeFrame(b, OPTS));
    assert.deepEqual(compareFrames(1, fs, fs, new RoleMap()), []);
  });

  it('random fields match by role: other values used consistently are no difference', () => {
    const real = [ECHO_REQUEST, ECHO_REPLY].map((b) => decodeFrame(b, OPTS));
    const emu = [renumbered(ECHO_REQUEST, 1, 7, 0), renumbered(ECHO_REPLY, 2, 7, 0)].map((b) => decodeFrame(b, OPTS));
    assert.deepEqual(compareFrames(1, real, emu, new RoleMap()), []);
  });

  it('a role used inconsistently is reported: one real identifier, two emulated ones', () => {
    const real = [ECHO_REQUEST, ECHO_REPLY].map((b) => decodeFrame(b, OPTS));
    const emu = [renumbered(ECHO_REQUEST, 1, 7, 0), renumbered(ECHO_REPLY, 2, 8, 0)].map((b) => decodeFrame(b, OPTS));
    const d = compareFrames(1, real, emu, new RoleMap());
    assert.deepEqual(
      d.map((x) => x.field),
      ['icmp.ident (by role)'],
    );
    assert.equal(d[0]!.emulated, '8: real 29278 stood for emulated 7 before, now for 8');
  });

  it('a field that differs by value, and a frame only one side sent, are differences', () => {
    const ttl = ECHO_REQUEST.slice();
    ttl[22] = 63;
    ttl[24] = 0;
    ttl[25] = 0;
    new DataView(ttl.buffer).setUint16(24, internetChecksum(ttl, 14, 20));
    const real = [ARP_REQUEST, ECHO_REQUEST].map((b) => decodeFrame(b, OPTS));
    const emu = [decodeFrame(ttl, OPTS)];
    const d = compareFrames(2, real, emu, new RoleMap());
    assert.deepEqual(
      d.map((x) => [x.label, x.field ?? '', x.real, x.emulated]),
      [
        ['ARP who-has 10.0.0.4 tell 10.0.0.2', '', 'sent', '(no such frame)'],
        ['ICMP echo request 10.0.0.2 -> 10.0.0.4', 'ip.ttl', '64', '63'],
      ],
    );
    assert.match(
      formatDiffTable([{ link: 'A:eth0--sw1:p1', diffs: d }]),
      /^A:eth0--sw1:p1: 2 difference\(s\)\n {2}step 2 frame 1 ARP/,
    );
  });

  it('frames pair by label in order, whatever other frames fall between (latency the real lab lacks)', () => {
    const [arp, req, rep] = [ARP_REQUEST, ECHO_REQUEST, ECHO_REPLY].map((b) => decodeFrame(b, OPTS));
    // real: request, reply, ARP; emulated: ARP, request, reply: the same frames, interleaved otherwise
    assert.deepEqual(compareFrames(1, [req!, rep!, arp!], [arp!, req!, rep!], new RoleMap()), []);
    // a second request only the emulation sent is one difference, numbered as the emulation's frame
    const d = compareFrames(1, [req!, rep!], [req!, rep!, req!], new RoleMap());
    assert.deepEqual(
      d.map((x) => [x.frame, x.label, x.real, x.emulated]),
      [[3, 'ICMP echo request 10.0.0.2 -> 10.0.0.4', '(no such frame)', 'sent']],
    );
  });
});
