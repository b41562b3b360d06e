/**
 * Our TCP as Wireshark's dissector and TCP analysis see it: every segment of a short exchange (handshake,
 * data both ways, FIN close, and a RST for a closed port) decodes cleanly with checksums verified, and
 * tshark reads the same ports, absolute sequence and acknowledgment numbers, flags, window, length and
 * options as our own codec. On a clean exchange tshark's sequence analysis finds nothing to flag (no
 * "previous segment not captured", no "ACKed unseen segment"); on a lossy one it counts exactly the
 * retransmissions our stack counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePcap } from '../src/observe/pcap.js';
import { captureLinks } from '../src/observe/capture.js';
import { TCP_ACK } from '../src/wire/tcp.js';
import { readAll } from '../src/transport/socket.js';
import { patternBytes, tcpOf, twoHostLab, type TcpLab } from '../src/transport/testing.js';
import type { TcpSocket } from '../src/transport/tcp.js';
import { requirePeer } from './support/peers.js';
import { assertCleanDecode, tsharkFramesOf, type TsharkFrame } from './support/tshark.js';

const TSHARK = { bin: 'tshark', install: 'apt-get install -y tshark' };
const PREFS = { 'tcp.relative_sequence_numbers': 'FALSE', 'tcp.analyze_sequence_numbers': 'TRUE' };

/** A sends 20 kB and closes; B answers and closes; A also tries a closed port. */
function exchange(lab: TcpLab): TcpSocket {
  lab.tb.listen(80, (s) =>
    readAll(s, (b) => {
      s.write(new TextEncoder().encode(`got ${b.length}`));
      s.end();
    }),
  );
  const c = lab.ta.connect(lab.B, 80);
  c.on('connect', () => {
    c.write(patternBytes(20_000));
    c.end();
  });
  lab.ta.connect(lab.B, 81);
  return c;
}

/** Differences between tshark's reading of a TCP frame and ours; [] when they agree. */
function compare(t: TsharkFrame, frame: Uint8Array): string[] {
  const ours = tcpOf(frame);
  if (ours === undefined) return t.protocols.includes('tcp') ? ['tshark saw TCP, we did not'] : [];
  const s = ours.seg;
  const diffs: string[] = [];
  const eq = (field: string, v: number | undefined): void => {
    const theirs = t.fields[field]?.[0];
    const o = v === undefined ? undefined : String(v);
    if (theirs !== o) diffs.push(`${field}: tshark ${theirs ?? '(absent)'}, ours ${o ?? '(absent)'}`);
  };
  eq('tcp.srcport', s.srcPort);
  eq('tcp.dstport', s.dstPort);
  eq('tcp.seq', s.seq);
  // tshark prints the ack field even without the ACK bit (then 0, as we send it)
  eq('tcp.ack', s.flags & TCP_ACK ? s.ack : 0);
  const flags = t.fields['tcp.flags']?.[0];
  if (flags === undefined || Number(flags) !== s.flags)
    diffs.push(`tcp.flags: tshark ${flags}, ours 0x${s.flags.toString(16)}`);
  eq('tcp.window_size_value', s.window);
  eq('tcp.len', s.payload.length);
  const mss = s.options.find((o) => o.kind === 'mss');
  eq('tcp.options.mss_val', mss?.kind === 'mss' ? mss.mss : undefined);
  const ws = s.options.find((o) => o.kind === 'wscale');
  eq('tcp.options.wscale.shift', ws?.kind === 'wscale' ? ws.shift : undefined);
  return diffs;
}

/** Frames of the capture on A's cable: ours (parsed back from the pcap) and tshark's. */
function decode(lab: TcpLab, caps: ReturnType<typeof captureLinks>): { frames: Uint8Array[]; tshark: TsharkFrame[] } {
  const cap = caps.find((c) => c.linkId.startsWith('A:eth0'))!;
  const pcap = cap.writer.bytes();
  const ours = parsePcap(pcap);
  assert.ok(ours.ok);
  const tshark = tsharkFramesOf(pcap, { prefs: PREFS });
  assert.equal(tshark.length, ours.value.records.length);
  void lab;
  return { frames: ours.value.records.map((r) => r.data), tshark };
}

test('tshark decodes a TCP exchange cleanly and reads the same numbers, flags and options', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const lab = twoHostLab();
  const caps = captureLinks(lab.net);
  exchange(lab);
  lab.engine.run();
  const { frames, tshark } = decode(lab, caps);
  assertCleanDecode(tshark);
  let tcp = 0;
  tshark.forEach((f, i) => {
    const diffs = compare(f, frames[i]!);
    assert.deepEqual(diffs, [], `frame ${i + 1} (${f.protocols.join(':')}):\n  ${diffs.join('\n  ')}`);
    if (f.protocols.includes('tcp')) tcp++;
    // TCP analysis: nothing out of sequence; the one warning allowed is the RST that refuses port 81
    const seqWarnings = f.expert.filter(
      (e) => e.group === 'Sequence' && (e.severity === 'warn' || e.severity === 'error'),
    );
    const allowed = f.fields['tcp.flags.reset']?.[0] === '1';
    assert.deepEqual(allowed ? [] : seqWarnings.map((e) => e.message), [], `frame ${i + 1}`);
  });
  assert.ok(tcp >= 20, `${tcp} TCP frames`);
});

test('tshark counts the same retransmissions as our stack on a lossy exchange', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  // seed 4: the impairment's stream loses 6 frames, and A retransmits 6 times (one fast retransmit, 2 RTOs).
  // Not every seed qualifies: with seed 6 all three ARP replies are lost and no TCP segment is ever sent.
  const lab = twoHostLab({ seed: 4, impair: { loss: 0.08, duplicate: 0, reorder: 0, reorderDelayNs: 1 } });
  const caps = captureLinks(lab.net);
  const c = exchange(lab);
  lab.engine.run();
  const { frames, tshark } = decode(lab, caps);
  assertCleanDecode(tshark);
  tshark.forEach((f, i) => assert.deepEqual(compare(f, frames[i]!), [], `frame ${i + 1}`));
  const retransmitted = tshark.filter((f) => {
    const src = frames[f.number - 1] === undefined ? undefined : tcpOf(frames[f.number - 1]!);
    if (src === undefined || src.src !== lab.A || src.seg.dstPort !== 80) return false;
    return [
      'tcp.analysis.retransmission',
      'tcp.analysis.fast_retransmission',
      'tcp.analysis.spurious_retransmission',
    ].some((k) => k in f.fields);
  });
  assert.ok(c.stats.retransmissions > 0, 'the seed loses something');
  assert.equal(retransmitted.length, c.stats.retransmissions);
});
