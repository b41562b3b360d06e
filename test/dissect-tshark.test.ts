/**
 * The frame inspector's dissector checked against the real tshark, field by field: frames from the example
 * labs, the cluster demo (Flannel VXLAN and UDP backends, Services, DNS, HTTP), the Calico IPIP and BGP
 * demos, a BGP route reflector's sessions, and crafted frames for what the runs do not produce (IP options,
 * TCP SACK and timestamps, ICMP fragmentation-needed, VXLAN on 4789 with a zero UDP checksum, DNS records of
 * several types, gratuitous ARP, padding). Each goes into a pcap that `tshark -T pdml` reads; for every field
 * we emit whose name tshark also shows in that frame, tshark must have it at the same position with the same
 * size, the same shown value and the same tree text (showname), and every layer must start and end where
 * tshark's protocol item does. Every name we emit must be one tshark uses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../src/cli/demo.js';
import { bgpLab, cidr, ip, type BgpLabHost } from '../src/control/bgp/testing.js';
import { dissectFrame } from '../src/observe/dissect/dissect.js';
import type { DissectedField } from '../src/observe/dissect/types.js';
import { parsePcap, PcapWriter } from '../src/observe/pcap.js';
import { SECOND } from '../src/sim/engine.js';
import { EXAMPLES_DIR, exampleNames, FAILING_EXAMPLES, loadExample, runCaptured } from './support/examples.js';
import { requirePeer } from './support/peers.js';
import { tsharkPdml, type PdmlItem } from './support/pdml.js';
import { CRAFTED_FRAMES } from './fixtures/dissect-frames.js';

const TSHARK = { bin: 'tshark', install: 'apt-get install -y tshark' };
// Flannel's VXLAN port and udp backend port are not tshark's defaults; each segment is read alone (no
// reassembly), as the dissector reads one frame
const ARGS = [
  '-d',
  'udp.port==8472,vxlan',
  '-d',
  'udp.port==8285,ip',
  '-o',
  'ip.defragment:FALSE',
  '-o',
  'tcp.desegment_tcp_streams:FALSE',
  // frames of many runs share one file: a segment must not look like another run's retransmission
  '-o',
  'tcp.analyze_sequence_numbers:FALSE',
];
// protocol items whose extent we draw the same as tshark (HTTP's and data's differ on purpose: ours hold
// the body, tshark hands it to another protocol)
const SAME_EXTENT = new Set(['eth', 'vlan', 'arp', 'ip', 'udp', 'tcp', 'vxlan', 'icmp', 'dns', 'bgp', 'llc', 'stp']);

/** One frame to compare, with where it came from. */
interface Sample {
  source: string;
  bytes: Uint8Array;
}

/** Every frame of every source. */
async function collect(): Promise<Sample[]> {
  const out: Sample[] = [];
  const save = (source: string, pcap: Uint8Array): void => {
    const r = parsePcap(pcap);
    assert.ok(r.ok, source);
    r.value.records.forEach((rec, i) => out.push({ source: `${source} frame ${i + 1}`, bytes: rec.data }));
  };
  for (const name of exampleNames()) {
    if (FAILING_EXAMPLES.has(name)) continue; // the broadcast storm: thousands of the same ARP
    for (const cap of runCaptured(loadExample(name)).captures) save(`${name}-${cap.fileName}`, cap.writer.bytes());
  }
  const demos: [string, Parameters<typeof runDemo>[0]['backend']][] = [
    ['cluster-demo.yaml', 'vxlan'],
    ['cluster-demo.yaml', 'udp'],
    ['cluster-calico-ipip.yaml', undefined],
    ['cluster-calico-bgp.yaml', undefined],
  ];
  for (const [file, backend] of demos) {
    const r = await runDemo({
      file: join(EXAMPLES_DIR, file),
      ...(backend !== undefined ? { backend } : {}),
      compare: false,
      pcap: true,
      json: false,
      explain: false,
    });
    assert.equal(r.status, 0, r.text);
    for (const cap of r.captures) save(`${file}-${cap.fileName}`, cap.writer.bytes());
  }
  // a route reflector with three peers: OPEN, UPDATE (with ORIGINATOR_ID and CLUSTER_LIST), NOTIFICATION, KEEPALIVE
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
  save('bgp', pcap.bytes());
  for (const fr of CRAFTED_FRAMES) out.push({ source: `crafted: ${fr.what}`, bytes: fr.bytes });
  return out;
}

function short(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

function flatten(fields: DissectedField[], out: DissectedField[] = []): DissectedField[] {
  for (const f of fields) {
    out.push(f);
    if (f.children) flatten(f.children, out);
  }
  return out;
}

test('the dissector agrees with tshark on every field both know: position, size, value and label', async (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const dir = mkdtempSync(join(tmpdir(), 'podnet-dissect-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const samples = await collect();
  // one pcap, one tshark run: every segment is read alone (no reassembly), so frames do not affect each other
  const all = new PcapWriter();
  samples.forEach((sm, i) => all.write(i * 1000, sm.bytes));
  const file = join(dir, 'all.pcap');
  writeFileSync(file, all.bytes());
  const theirs = tsharkPdml(file, ARGS);
  assert.equal(theirs.length, samples.length);
  const diffs: string[] = [];
  const compared = new Map<string, number>();
  const unknown = new Set<string>();
  samples.forEach((sm, i) => {
    const items = theirs[i]!;
    const where = sm.source;
    const layers = dissectFrame(sm.bytes);
    const byName = new Map<string, PdmlItem[]>();
    for (const it of items)
      if (it.kind === 'field') (byName.get(it.name) ?? byName.set(it.name, []).get(it.name)!).push(it);
    for (const l of layers) {
      if (l.error !== undefined && !l.quoted) diffs.push(`${where}: layer ${l.id} ${l.error}`);
      if (SAME_EXTENT.has(l.id) && !l.quoted) {
        const match = items.some(
          (it) => it.kind === 'proto' && it.name === l.id && it.pos === l.offset && it.size === l.length,
        );
        if (!match) diffs.push(`${where}: no tshark ${l.id} item at ${l.offset} of ${l.length} bytes`);
      }
      for (const fl of flatten(l.fields)) {
        if (fl.name === '') continue;
        const cands = byName.get(fl.name);
        if (cands === undefined) {
          unknown.add(fl.name);
          continue;
        }
        const at = cands.filter((c) => c.pos === fl.offset);
        if (at.some((c) => c.size === fl.length && c.show === fl.value)) {
          compared.set(fl.name, (compared.get(fl.name) ?? 0) + 1);
          // and the label is Wireshark's tree text
          if (!at.some((c) => c.showname === fl.label))
            diffs.push(
              `${where}: ${fl.name} label ${short(fl.label)}, tshark ${at.map((c) => short(c.showname)).join(' ')}`,
            );
          continue;
        }
        // packet-icmp.c reads an echo's first 8 data bytes as a timestamp when they are near the capture
        // time, and the data after them; one frame alone has no capture time to decide that
        if (fl.name === 'data.data' && byName.get('icmp.data_time')?.some((c) => c.pos === fl.offset && c.size === 8))
          continue;
        const seen = at.map((c) => `${c.size}/${short(c.show)}`).join(' ') || `(none at ${fl.offset})`;
        diffs.push(`${where}: ${fl.name} at ${fl.offset}: ours ${fl.length}/${short(fl.value)}, tshark ${seen}`);
      }
    }
  });
  assert.deepEqual(diffs.slice(0, 40), [], `${diffs.length} differences`);
  // what the comparison must have covered (a field we name wrongly would silently fall out of it)
  const MUST = [
    'eth.src',
    'eth.type',
    'eth.len',
    'vlan.id',
    'arp.opcode',
    'arp.src.proto_ipv4',
    'ip.ttl',
    'ip.flags.df',
    'ip.frag_offset',
    'ip.opt.type.number',
    'ip.rec_rt',
    'icmp.type',
    'icmp.ident',
    'icmp.mtu',
    'udp.dstport',
    'udp.checksum',
    'tcp.flags',
    'tcp.flags.str',
    'tcp.seq_raw',
    'tcp.options.mss_val',
    'tcp.options.wscale.shift',
    'tcp.options.timestamp.tsval',
    'tcp.options.sack_perm',
    'tcp.options.sack_le',
    'vxlan.vni',
    'vxlan.flags',
    'dns.qry.name',
    'dns.a',
    'dns.cname',
    'dns.soa.minimum_ttl',
    'dns.srv.target',
    'dns.txt',
    'dns.rr.udp_payload_size',
    'http.request.method',
    'http.host',
    'http.response.code',
    'http.file_data',
    'bgp.type',
    'bgp.open.myas',
    'bgp.cap.4as',
    'bgp.nlri_prefix',
    'bgp.update.path_attribute.next_hop',
    'bgp.path_attribute.cluster_id',
    'bgp.notify.minor_error_cease',
    'stp.root.hw',
    'stp.port',
    'llc.dsap',
    'data.data',
  ];
  const missing = MUST.filter((n) => !compared.has(n));
  assert.deepEqual(missing, [], 'fields never compared with tshark');
  t.diagnostic(
    `${samples.length} frames, ${[...compared.values()].reduce((a, b) => a + b, 0)} fields agree with tshark`,
  );
  // a name tshark never showed where we put it is a name we got wrong
  assert.deepEqual([...unknown].filter((n) => !compared.has(n)).sort(), [], 'field names tshark does not use');
});
