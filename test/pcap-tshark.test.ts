/**
 * Every frame every example puts on a wire, checked by an independent dissector: each link's pcap (as
 * `podnet run --pcap` writes it) must decode cleanly in tshark (no malformed packet, no bad checksum),
 * and for each frame the addresses, TTL, ports, ARP opcode and ICMP type tshark reads must be the ones
 * our own reader (parsePcap + summarizeFrame) finds in the same bytes. The VLAN example is also checked
 * for where the 802.1Q tag appears: on the trunk and nowhere else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePcap } from '../src/observe/pcap.js';
import { summarizeFrame, type FrameSummary } from '../src/observe/summary.js';
import { requirePeer } from './support/peers.js';
import { assertCleanDecode, tsharkFrames, type TsharkFrame } from './support/tshark.js';
import { exampleNames, FAILING_EXAMPLES, failureReport, loadExample, runCaptured } from './support/examples.js';

const TSHARK = { bin: 'tshark', install: 'apt-get install -y tshark' };

/** The first value tshark printed for `field` (the outermost header's), or undefined. */
function first(f: TsharkFrame, field: string): string | undefined {
  return f.fields[field]?.[0];
}

const ICMP_TYPES: Record<string, string> = {
  'ICMP echo request': '8',
  'ICMP echo reply': '0',
  'ICMP time exceeded': '11',
  'ICMP unreachable': '3',
};

/**
 * Differences between what tshark read and what our summary of the same bytes says; [] when they agree.
 * Tunnelled frames are compared layer by layer: tshark lists repeated fields in tree order (outer
 * eth.src first, then the inner one), so the n-th Ethernet, IPv4, UDP... layer of our summary is compared
 * with the n-th value of that field. Headers quoted inside ICMP errors come after and are not compared.
 */
function compare(t: TsharkFrame, s: FrameSummary, origLen: number): string[] {
  const diffs: string[] = [];
  const n = { eth: 0, vlan: 0, arp: 0, ip: 0, udp: 0, tcp: 0, icmp: 0, vxlan: 0 };
  const eq = (field: string, k: number, ours: string | number | undefined): void => {
    const theirs = t.fields[field]?.[k];
    const o = ours === undefined ? undefined : String(ours);
    if (theirs !== o)
      diffs.push(`${field}${k > 0 ? `[${k}]` : ''}: tshark ${theirs ?? '(absent)'}, ours ${o ?? '(absent)'}`);
  };
  eq('frame.len', 0, origLen);
  eq('frame.len', 0, s.length);
  for (let l: FrameSummary | undefined = s; l !== undefined; l = l.inner) {
    if (l.srcMac !== '') {
      // an IP-in-IP inner packet has no Ethernet header of its own
      eq('eth.src', n.eth, l.srcMac);
      eq('eth.dst', n.eth, l.dstMac);
      n.eth++;
      if (l.vlan !== undefined) eq('vlan.id', n.vlan++, l.vlan);
    }
    if (l.ethertype === 'ARP') {
      eq('arp.opcode', n.arp, l.protocol === 'ARP request' ? 1 : l.protocol === 'ARP reply' ? 2 : undefined);
      eq('arp.src.proto_ipv4', n.arp, l.srcIp);
      eq('arp.dst.proto_ipv4', n.arp, l.dstIp);
      n.arp++;
      continue;
    }
    if (/^0x0[0-5]/.test(l.ethertype)) {
      // 802.3 framing (STP's LLC frames): the type field is a length; tshark reads it as eth.len
      eq('eth.len', 0, parseInt(l.ethertype, 16));
      continue;
    }
    if (l.ethertype !== 'IPv4') {
      diffs.push(`ethertype ${l.ethertype}: not compared yet (extend compare() in test/pcap-tshark.test.ts)`);
      continue;
    }
    eq('ip.src', n.ip, l.srcIp);
    eq('ip.dst', n.ip, l.dstIp);
    eq('ip.ttl', n.ip, l.ttl);
    n.ip++;
    if (l.protocol === 'UDP' || l.protocol === 'VXLAN') {
      eq('udp.srcport', n.udp, l.srcPort);
      eq('udp.dstport', n.udp, l.dstPort);
      n.udp++;
      if (l.protocol === 'VXLAN') eq('vxlan.vni', n.vxlan++, l.vni);
    } else if (l.protocol === 'TCP') {
      eq('tcp.srcport', n.tcp, l.srcPort);
      eq('tcp.dstport', n.tcp, l.dstPort);
      n.tcp++;
    } else if (l.protocol.startsWith('ICMP')) {
      eq('icmp.type', n.icmp++, ICMP_TYPES[l.protocol] ?? l.protocol);
    } else if (l.protocol !== 'IPIP' && l.protocol !== 'IPv4 fragment') {
      diffs.push(`protocol ${l.protocol}: not compared yet (extend compare() in test/pcap-tshark.test.ts)`);
    }
  }
  // no layer tshark found that we did not (a tag or an Ethernet header we missed)
  if ((t.fields['eth.src']?.length ?? 0) !== n.eth)
    diffs.push(`tshark found ${t.fields['eth.src']?.length ?? 0} Ethernet headers, we found ${n.eth}`);
  if ((t.fields['vlan.id']?.length ?? 0) !== n.vlan)
    diffs.push(`tshark found ${t.fields['vlan.id']?.length ?? 0} 802.1Q tags, we found ${n.vlan}`);
  return diffs;
}

/**
 * tshark knows IANA's VXLAN port 4789; Linux (and Flannel) use 8472, which our summaries also decode.
 * Flannel's udp backend (8285) carries a bare IPv4 packet, which tshark has no dissector port for.
 */
const DECODE_AS = ['udp.port==8472,vxlan', 'udp.port==8285,ip'];

for (const name of exampleNames()) {
  test(`examples/${name}: every link's pcap decodes cleanly in tshark and matches the bytes we wrote`, (t) => {
    if (!requirePeer(t, 'tshark', TSHARK)) return;
    const { result, captures } = runCaptured(loadExample(name));
    // a storm stops its lab on purpose; its pcaps must still decode
    assert.equal(result.ok, !FAILING_EXAMPLES.has(name), failureReport(result));
    const dir = mkdtempSync(join(tmpdir(), 'podnet-examples-pcap-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    let total = 0;
    for (const c of captures) {
      const file = join(dir, c.fileName);
      writeFileSync(file, c.writer.bytes());
      const ours = parsePcap(readFileSync(file));
      assert.ok(ours.ok, `${c.fileName}: ${ours.ok ? '' : JSON.stringify(ours.error)}`);
      const records = ours.value.records;
      // Hosts on links nobody talks over would leave an empty capture; every example link carries something.
      assert.ok(records.length > 0, `${c.fileName} is empty`);
      // no reassembly: each fragment is decoded on its own, so a first fragment shows its UDP header as
      // our per-hop summary does (with reassembly tshark would show it only in the last fragment's frame)
      const frames = tsharkFrames(file, { decodeAs: DECODE_AS, prefs: { 'ip.defragment': 'FALSE' } });
      assert.equal(
        frames.length,
        records.length,
        `${c.fileName}: tshark read ${frames.length} frames, we wrote ${records.length}`,
      );
      assertCleanDecode(frames);
      frames.forEach((f, i) => {
        const rec = records[i]!;
        const diffs = compare(f, summarizeFrame(rec.data), rec.origLen);
        assert.deepEqual(
          diffs,
          [],
          `${c.fileName} frame ${i + 1} (${f.protocols.join(':')}):\n  ${diffs.join('\n  ')}`,
        );
        // the timestamp tshark shows is the simulated transmit time we stamped, to the nanosecond
        const ns = BigInt(rec.timeNs);
        assert.equal(
          first(f, 'frame.time_epoch'),
          `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`,
        );
      });
      total += frames.length;
    }
    assert.ok(total > 0);
  });
}

test('examples/vlans.yaml: the 802.1Q tag is on the trunk only, with the VLAN of the sending host', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const { result, captures } = runCaptured(loadExample('vlans.yaml'));
  assert.ok(result.ok, failureReport(result));
  const dir = mkdtempSync(join(tmpdir(), 'podnet-vlan-pcap-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // VLAN of each host's MAC, from the lab's access ports: A, C, E in 10; B, D, F in 20.
  const vlanOf: Record<string, string> = {
    '02:00:00:00:00:aa': '10',
    '02:00:00:00:00:ac': '10',
    '02:00:00:00:00:ae': '10',
    '02:00:00:00:00:ab': '20',
    '02:00:00:00:00:ad': '20',
    '02:00:00:00:00:af': '20',
  };
  const trunk = 'sw1-p8__sw2-p8.pcap';
  assert.ok(
    captures.some((c) => c.fileName === trunk),
    `no capture named ${trunk}: ${captures.map((c) => c.fileName).join(', ')}`,
  );
  const seenVlans = new Set<string>();
  for (const c of captures) {
    const file = join(dir, c.fileName);
    writeFileSync(file, c.writer.bytes());
    const frames = tsharkFrames(file, { fields: ['eth.type', 'eth.src', 'vlan.id', 'vlan.etype'] });
    assert.ok(frames.length > 0, `${c.fileName} is empty`);
    for (const f of frames) {
      const where = `${c.fileName} frame ${f.number} (${f.protocols.join(':')})`;
      if (c.fileName === trunk) {
        assert.deepEqual(f.fields['eth.type'], ['0x8100'], `${where}: a trunk frame carries the 802.1Q TPID`);
        assert.ok(f.protocols.includes('vlan'), `${where}: tshark sees no vlan layer`);
        const src = first(f, 'eth.src')!;
        assert.deepEqual(f.fields['vlan.id'], [vlanOf[src]], `${where}: frame from ${src} tagged with the wrong VLAN`);
        assert.ok(
          ['0x0800', '0x0806'].includes(first(f, 'vlan.etype') ?? ''),
          `${where}: inner ethertype ${first(f, 'vlan.etype')}`,
        );
        seenVlans.add(first(f, 'vlan.id')!);
      } else {
        assert.equal(f.fields['vlan.id'], undefined, `${where}: an access link carries a tag`);
        assert.ok(!f.protocols.includes('vlan'), `${where}: an access link carries a tag`);
        assert.ok(
          ['0x0800', '0x0806'].includes(first(f, 'eth.type') ?? ''),
          `${where}: ethertype ${first(f, 'eth.type')}`,
        );
      }
    }
  }
  assert.deepEqual([...seenVlans].sort(), ['10', '20'], 'both VLANs crossed the trunk');
});
