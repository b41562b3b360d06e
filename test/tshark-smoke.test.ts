/**
 * Proves the tshark harness both ways: frames written by PcapWriter decode to the values we put in, and
 * a frame with a broken IPv4 checksum is rejected by assertCleanDecode (so the oracle can fail).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../src/observe/pcap.js';
import { requirePeer } from './support/peers.js';
import { assertCleanDecode, decodeProblems, tsharkFrames } from './support/tshark.js';

const TSHARK = { bin: 'tshark', install: 'apt-get install -y tshark' };

// RFC 826 ARP request, who-has 10.0.0.2 tell 10.0.0.1, padded to the 60-byte Ethernet minimum.
const ARP_REQUEST = Uint8Array.of(
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff, // eth dst: broadcast
  0x02,
  0x00,
  0x00,
  0x00,
  0x00,
  0x01, // eth src: 02:00:00:00:00:01 (locally administered)
  0x08,
  0x06, // ethertype ARP
  0x00,
  0x01, // htype Ethernet
  0x08,
  0x00, // ptype IPv4
  0x06,
  0x04, // hlen 6, plen 4
  0x00,
  0x01, // oper 1 = request
  0x02,
  0x00,
  0x00,
  0x00,
  0x00,
  0x01, // sha
  0x0a,
  0x00,
  0x00,
  0x01, // spa 10.0.0.1
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00, // tha unknown
  0x0a,
  0x00,
  0x00,
  0x02, // tpa 10.0.0.2
  ...new Array<number>(18).fill(0), // padding to 60 bytes
);

/** IPv4/UDP 10.0.0.1:40000 -> 10.0.0.2:8000 carrying "hi!\n"; `ipChecksum` lets a test break it. */
function udpFrame(ipChecksum: number): Uint8Array {
  return Uint8Array.of(
    0x02,
    0x00,
    0x00,
    0x00,
    0x00,
    0x02, // eth dst
    0x02,
    0x00,
    0x00,
    0x00,
    0x00,
    0x01, // eth src
    0x08,
    0x00, // ethertype IPv4
    0x45,
    0x00, // version 4, IHL 5; DSCP/ECN 0
    0x00,
    0x20, // total length 32 = 20 + 8 + 4
    0x00,
    0x01, // identification 1
    0x40,
    0x00, // flags DF, fragment offset 0
    0x40,
    0x11, // TTL 64, protocol 17 (UDP)
    ipChecksum >>> 8,
    ipChecksum & 0xff, // RFC 791 header checksum (correct value 0x26ca)
    0x0a,
    0x00,
    0x00,
    0x01, // src 10.0.0.1
    0x0a,
    0x00,
    0x00,
    0x02, // dst 10.0.0.2
    0x9c,
    0x40, // UDP src port 40000
    0x1f,
    0x40, // UDP dst port 8000 (no dissector claims it: decodes as data)
    0x00,
    0x0c, // UDP length 12
    0xa6,
    0xdf, // RFC 768 checksum over pseudo-header + UDP header + data
    0x68,
    0x69,
    0x21,
    0x0a, // "hi!\n"
  );
}

test('tshark decodes PcapWriter frames to the values written, and rejects a bad checksum', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const w = new PcapWriter();
  w.write(1_000, ARP_REQUEST);
  w.write(2_500, udpFrame(0x26ca));
  w.write(1_000_000_007, udpFrame(0x26cb));
  const dir = mkdtempSync(join(tmpdir(), 'podnet-smoke-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'smoke.pcap');
  writeFileSync(file, w.bytes());

  const frames = tsharkFrames(file);
  assert.equal(frames.length, 3);
  const [arp, udp, bad] = frames as [(typeof frames)[0], (typeof frames)[0], (typeof frames)[0]];

  assert.deepEqual(arp.protocols, ['eth', 'ethertype', 'arp']);
  assert.deepEqual(arp.fields['eth.dst'], ['ff:ff:ff:ff:ff:ff']);
  assert.deepEqual(arp.fields['eth.src'], ['02:00:00:00:00:01']);
  assert.deepEqual(arp.fields['arp.opcode'], ['1']);
  assert.deepEqual(arp.fields['arp.src.proto_ipv4'], ['10.0.0.1']);
  assert.deepEqual(arp.fields['arp.dst.proto_ipv4'], ['10.0.0.2']);
  assert.deepEqual(arp.fields['frame.time_epoch'], ['0.000001000']);

  assert.deepEqual(udp.protocols, ['eth', 'ethertype', 'ip', 'udp', 'data']);
  assert.deepEqual(udp.fields['eth.src'], ['02:00:00:00:00:01']);
  assert.deepEqual(udp.fields['ip.src'], ['10.0.0.1']);
  assert.deepEqual(udp.fields['ip.dst'], ['10.0.0.2']);
  assert.deepEqual(udp.fields['ip.addr'], ['10.0.0.1', '10.0.0.2']); // a repeated key keeps both values
  assert.deepEqual(udp.fields['ip.ttl'], ['64']);
  assert.deepEqual(udp.fields['udp.srcport'], ['40000']);
  assert.deepEqual(udp.fields['udp.dstport'], ['8000']);
  assert.deepEqual(udp.fields['data.data'], ['68:69:21:0a']);
  assert.deepEqual(udp.fields['ip.checksum.status'], ['1'], 'checksum validation is on and says Good');
  assert.deepEqual(udp.fields['udp.checksum.status'], ['1']);
  assert.deepEqual(udp.expert, []);
  assert.deepEqual(bad.fields['frame.time_epoch'], ['1.000000007']); // nanosecond timestamps survive

  assert.doesNotThrow(() => assertCleanDecode([arp, udp]));

  assert.deepEqual(bad.fields['ip.checksum.status'], ['0']);
  assert.deepEqual(bad.expert, [
    { severity: 'error', group: 'Checksum', message: 'Bad checksum [should be 0x26ca]', id: 'ip.checksum_bad.expert' },
  ]);
  assert.deepEqual(decodeProblems(bad), [
    'ip.checksum.status = 0 (Bad)',
    'expert error/Checksum: Bad checksum [should be 0x26ca] [ip.checksum_bad.expert]',
  ]);
  assert.throws(
    () => assertCleanDecode(frames),
    /frame 3 \(eth:ethertype:ip:udp:data\):\n\s+ip\.checksum\.status = 0 \(Bad\)/,
  );
});

test('tshark flags a truncated IPv4 header as malformed', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const w = new PcapWriter();
  w.write(0, udpFrame(0x26ca).subarray(0, 18)); // Ethernet + 4 bytes of an IPv4 header
  const dir = mkdtempSync(join(tmpdir(), 'podnet-smoke-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'short.pcap');
  writeFileSync(file, w.bytes());
  const [f] = tsharkFrames(file);
  assert.ok(f);
  assert.ok(decodeProblems(f).includes('malformed packet'), decodeProblems(f).join('; '));
  assert.throws(() => assertCleanDecode([f]), /frame 1/);
});
