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
  forgiveTimerSlack,
  formatDiffTable,
  RoleMap,
  type DecodedField,
  type DecodedFrame,
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

  it('a value both sides show alike, which one side never drew at random, is no difference; a reuse still is', () => {
    const port: DecodedField = { name: 'udp.dstport', value: '', role: 'port' };
    const roles = new RoleMap();
    // the real kernel's ephemeral source port happened to be 33437, podnet's was 32769
    assert.equal(roles.match(port, '33437', '32769'), undefined);
    // then a traceroute probe goes to port 33437 (its base 33434 plus the probe's number) on both sides
    assert.equal(roles.match(port, '33437', '33437'), undefined);
    // the first mapping stands, and podnet using 32769 for another real port is still a contradiction
    assert.equal(roles.match(port, '33437', '32769'), undefined);
    assert.equal(roles.match(port, '40000', '32769'), 'emulated 32769 stood for real 33437 before, now for 40000');
    // both sides drew the value before, for other values: a contradiction even though they are equal now
    assert.equal(roles.match(port, '50000', '32770'), undefined);
    assert.equal(roles.match(port, '32770', '32771'), undefined);
    assert.equal(roles.match(port, '32770', '32770'), 'real 32770 stood for emulated 32771 before, now for 32770');
    // a fixed value first (a UDP step from port 40000 on both sides), then the real kernel's random
    // ephemeral port happens to be 40000 where podnet's is 32776: no contradiction
    const later = new RoleMap();
    assert.equal(later.match(port, '40000', '40000'), undefined);
    assert.equal(later.match(port, '40000', '32776'), undefined);
    assert.equal(later.match(port, '40000', '32777'), 'real 40000 stood for emulated 32776 before, now for 32777');
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

  it('TSval is a clock per flow (never back from its first); TSecr echoes a TSval the peer sent', () => {
    const m = new RoleMap();
    const val = (flow: string): DecodedField => ({ name: 'tcp.options.tsval', value: '', role: 'tcp.tsval', flow });
    const ecr = (flow: string): DecodedField => ({ name: 'tcp.options.tsecr', value: '', role: 'tcp.tsecr', flow });
    // the real exchange spends 2 ms, the emulated one none: no difference
    assert.equal(m.match(val('a>b'), '1000', '7'), undefined);
    assert.equal(m.match(val('a>b'), '1002', '7'), undefined);
    assert.equal(m.match(ecr('a>b'), '1002', '7'), undefined);
    assert.equal(m.match(ecr('a>b'), '0', '0'), undefined);
    assert.equal(m.match(val('a>b'), '999', '8'), "real TSval went back from the flow's first, 1000");
    assert.equal(m.match(ecr('a>b'), '1003', '7'), 'real TSecr 1003 echoes no TSval the peer sent');
    assert.equal(m.match(ecr('a>b'), '1000', '9'), 'emulated TSecr 9 echoes no TSval the peer sent');
  });

  it("an HTTP response's Date and whoami's RemoteAddr port are compared by role, the rest of the payload by value", () => {
    const frame = (date: string, port: number, body = 'x'): Uint8Array => {
      const text = `HTTP/1.1 200 OK\r\nDate: ${date}\r\nContent-Length: 1\r\n\r\nRemoteAddr: 10.0.0.2:${port}\n${body}`;
      const payload = Uint8Array.from(text, (c) => c.charCodeAt(0));
      // IPv4 + TCP (RFC 9293) from 10.0.0.4:80 to 10.0.0.2:<port>, ACK|PSH, no options
      const head = hex(
        '0200000000aa 0200000000ac 0800 4500 0000 0001 4000 4006 0000 0a000004 0a000002 ' +
          `0050 ${port.toString(16).padStart(4, '0')} 00000001 00000001 5018 01fd 0000 0000`,
      );
      const f = new Uint8Array(head.length + payload.length);
      f.set(head);
      f.set(payload, head.length);
      const v = new DataView(f.buffer);
      v.setUint16(16, f.length - 14);
      v.setUint16(24, internetChecksum(f, 14, 20));
      return f;
    };
    const real = decodeFrame(frame('Fri, 04 Dec 2026 05:36:07 GMT', 40000), OPTS);
    assert.equal(real.fields.find((f) => f.name === 'http.date')?.value, 'Fri, 04 Dec 2026 05:36:07 GMT');
    assert.equal(real.fields.find((f) => f.name === 'http.remoteaddr.port')?.role, 'port');
    const emu = decodeFrame(frame('Thu, 01 Jan 2026 00:00:01 GMT', 51000), OPTS);
    assert.deepEqual(compareFrames(3, [real], [emu], new RoleMap()), []);
    const other = decodeFrame(frame('Thu, 01 Jan 2026 00:00:01 GMT', 51000, 'y'), OPTS);
    assert.deepEqual(
      compareFrames(3, [real], [other], new RoleMap()).map((d) => d.field),
      ['tcp.payload'],
    );
  });

  it('a neighbour timer the kernel fires up to 512 ms late: the frame moves to the next step, or past the end', () => {
    const at = (label: string, timeNs: number): DecodedFrame => ({ label, fields: [], noise: false, timeNs });
    const probe = 'ARP who-has 10.0.0.4 tell 10.0.0.2 (unicast)';
    // emulated: the probe 100 ms before step 2 starts (at 10 s); real: in step 2
    const emu = [[], [at('ping', 1e9), at(probe, 9.9e9)], []];
    const real = [[], [at('ping', 1e9)], [at(probe, 10.2e9)]];
    forgiveTimerSlack(real, emu, [0, 10e9, 20e9], 512e6);
    assert.deepEqual(
      emu.map((b) => b.map((f) => f.label)),
      [[], ['ping'], [probe]],
    );
    // past a step that sent nothing (a `show`): into the first step with the frame the real run has
    const skip = [[], [at(probe, 9.9e9)], [], []];
    forgiveTimerSlack([[], [], [], [at(probe, 10.3e9)]], skip, [0, 10e9, 10e9, 20e9], 512e6);
    assert.deepEqual(
      skip.map((b) => b.length),
      [0, 0, 0, 1],
    );
    // one 100 ms before the end that the real captures missed is dropped; one 1 s before it stays
    const late = [[], [at(probe, 9e9), at(probe, 9.9e9)]];
    forgiveTimerSlack([[], []], late, [0, 10e9], 512e6);
    assert.deepEqual(
      late[1]!.map((f) => f.timeNs),
      [9e9],
    );
  });
});
