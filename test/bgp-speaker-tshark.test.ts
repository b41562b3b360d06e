/**
 * The BGP speaker's sessions as tshark decodes them: a route reflector with two clients and a non-client,
 * captured on every link. Every frame must decode cleanly (OPEN, KEEPALIVE, UPDATE, the collision
 * NOTIFICATIONs), and the reflected UPDATEs must carry ORIGINATOR_ID and CLUSTER_LIST as RFC 4456 §8
 * says, in Wireshark's own reading of the bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SECOND } from '../src/sim/engine.js';
import { PcapWriter } from '../src/observe/pcap.js';
import { type BgpLabHost, bgpLab, cidr, ip } from '../src/control/bgp/testing.js';
import { requirePeer } from './support/peers.js';
import { assertCleanDecode, tsharkFramesOf } from './support/tshark.js';

const TSHARK = { bin: 'tshark', install: 'apt-get install -y tshark' };

test('tshark decodes the speaker BGP messages; reflected routes carry ORIGINATOR_ID and CLUSTER_LIST', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const lab = bgpLab(4, {
    speaker: (i) => (i === 0 ? { clusterId: ip('10.255.0.1'), jitter: false } : { jitter: false }),
  });
  const pcap = new PcapWriter();
  lab.net.tracer = { frame: (time, dev, _in, _out, frame) => dev.startsWith('h') && pcap.write(time, frame.slice()) };
  const [rr, ...others] = lab.hosts as [BgpLabHost, ...BgpLabHost[]];
  others.forEach((h, i) => {
    rr.speaker.addPeer({ address: h.addr, asn: 64512, rrClient: i < 2 });
    h.speaker.addPeer({ address: rr.addr, asn: 64512 });
    h.speaker.originate(cidr(`192.168.${i + 2}.0/26`));
  });
  lab.engine.runUntilIdle(60 * SECOND);
  const frames = tsharkFramesOf(pcap.bytes());
  assertCleanDecode(frames);
  const bgp = frames.filter((f) => f.protocols.includes('bgp'));
  const types = new Set(bgp.flatMap((f) => f.fields['bgp.type'] ?? []));
  assert.deepEqual([...types].sort(), ['1', '2', '3', '4'], 'OPEN, UPDATE, NOTIFICATION, KEEPALIVE');
  // the collisions: Cease (6) / Connection Collision Resolution (7)
  const notes = bgp.filter((f) => f.fields['bgp.type']?.includes('3'));
  assert.ok(notes.length > 0);
  for (const f of notes) {
    assert.deepEqual(f.fields['bgp.notify.major_error'], ['6']);
    assert.deepEqual(f.fields['bgp.notify.minor_error_cease'], ['7']);
  }
  // h2's route as the reflector sends it to h3 (client) and h4 (non-client). Several UPDATEs can share
  // a TCP segment; each carries one prefix here, so the i-th value of each field belongs to the i-th UPDATE.
  const field = (f: (typeof bgp)[0], k: string, i: number): string | undefined => f.fields[k]?.[i];
  const reflected = bgp.flatMap((f) =>
    f.fields['ip.src']?.[0] !== '10.0.0.1'
      ? []
      : (f.fields['bgp.nlri_prefix'] ?? []).flatMap((p, i) => (p === '192.168.2.0' ? [{ f, i }] : [])),
  );
  assert.deepEqual(reflected.map(({ f }) => f.fields['ip.dst']?.[0]).sort(), ['10.0.0.3', '10.0.0.4']);
  for (const { f, i } of reflected) {
    assert.equal(field(f, 'bgp.update.path_attribute.originator_id', i), '10.0.0.2');
    assert.equal(field(f, 'bgp.path_attribute.cluster_id', i), '10.255.0.1');
    assert.equal(field(f, 'bgp.update.path_attribute.next_hop', i), '10.0.0.2');
    assert.equal(field(f, 'bgp.update.path_attribute.local_pref', i), '100');
    assert.equal(field(f, 'bgp.update.path_attribute.origin', i), '0');
  }
  // h2's own announcement to the reflector: NEXT_HOP self, no reflection attributes
  const own = bgp.find(
    (f) => f.fields['ip.src']?.[0] === '10.0.0.2' && (f.fields['bgp.nlri_prefix'] ?? []).includes('192.168.2.0'),
  )!;
  assert.equal(own.fields['bgp.update.path_attribute.originator_id'], undefined);
  assert.deepEqual(own.fields['bgp.update.path_attribute.next_hop'], ['10.0.0.2']);
});
