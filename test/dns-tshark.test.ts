/**
 * DNS inside the emulation, read by tshark as an independent dissector: every frame of a set of dig
 * exchanges (zone answer, NXDOMAIN, SRV with additional data, a truncated answer, a forwarded query
 * crossing two links) must decode cleanly, and for each DNS message tshark's ID, QR, RCODE, TC, question
 * name, A addresses and answer count must equal what podnet's codec reads from the same bytes. A
 * malformed query must look malformed to tshark too, and the FORMERR answer to it must decode cleanly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SECOND } from '../src/sim/engine.js';
import { formatIpv4 } from '../src/wire/addr.js';
import { type DnsMessage, parseDns } from '../src/wire/dns.js';
import { hex } from '../src/wire/testing.js';
import { captureLinks, type LinkCapture } from '../src/observe/capture.js';
import { parsePcap } from '../src/observe/pcap.js';
import { dig } from '../src/apps/dns/dig.js';
import { DnsServer } from '../src/apps/dns/server.js';
import { CLUSTER_ZONE, type DnsLab, REVERSE_ZONE, UPSTREAM_ZONE, dnsLab, ip } from '../src/apps/dns/testing.js';
import { requirePeer } from './support/peers.js';
import { assertCleanDecode, decodeProblems, tsharkFramesOf, type TsharkFrame } from './support/tshark.js';

const TSHARK = { bin: 'tshark', install: 'apt-get install -y tshark' };
const IP_OFF = 14;

function setup(): { l: DnsLab; caps: LinkCapture[] } {
  const l = dnsLab();
  const caps = captureLinks(l.network);
  new DnsServer(l.udp.upstream, { zones: [UPSTREAM_ZONE] });
  new DnsServer(l.udp.dns, {
    zones: [CLUSTER_ZONE, REVERSE_ZONE],
    forward: { upstreams: [{ addr: ip('10.44.0.53') }] },
  });
  return { l, caps };
}

/** The DNS message in an Ethernet/IPv4/UDP frame on port 53, if it is one. */
function dnsOf(frame: Uint8Array): DnsMessage | undefined {
  if (frame[12] !== 0x08 || frame[13] !== 0x00 || frame[IP_OFF + 9] !== 17) return undefined;
  const udp = IP_OFF + (frame[IP_OFF]! & 0x0f) * 4;
  const sport = (frame[udp]! << 8) | frame[udp + 1]!;
  const dport = (frame[udp + 2]! << 8) | frame[udp + 3]!;
  if (sport !== 53 && dport !== 53) return undefined;
  const len = (frame[udp + 4]! << 8) | frame[udp + 5]!;
  const r = parseDns(frame.subarray(udp + 8, udp + len));
  return r.ok ? r.value : undefined;
}

/** What tshark says about a DNS message, next to what our codec says, field by field. */
function compare(t: TsharkFrame, m: DnsMessage): string[] {
  const f = (name: string): string[] => t.fields[name] ?? [];
  const diffs: string[] = [];
  const eq = (name: string, theirs: string[], ours: string[]): void => {
    if (JSON.stringify(theirs) !== JSON.stringify(ours))
      diffs.push(`${name}: tshark ${JSON.stringify(theirs)}, ours ${JSON.stringify(ours)}`);
  };
  eq('dns.id', f('dns.id'), [`0x${m.id.toString(16).padStart(4, '0')}`]);
  eq('dns.flags.response', f('dns.flags.response'), [m.qr ? '1' : '0']);
  eq('dns.flags.truncated', f('dns.flags.truncated'), [m.tc ? '1' : '0']);
  if (m.qr) eq('dns.flags.rcode', f('dns.flags.rcode'), [String(m.rcode)]);
  // tshark prints names without the final dot
  eq(
    'dns.qry.name',
    f('dns.qry.name'),
    m.questions.map((q) => q.name.replace(/\.$/, '')),
  );
  eq('dns.count.answers', f('dns.count.answers'), [String(m.answers.length)]);
  const addrs = [...m.answers, ...m.authorities, ...m.additionals].flatMap((r) =>
    r.data.type === 'A' ? [formatIpv4(r.data.address)] : [],
  );
  eq('dns.a', f('dns.a'), addrs);
  return diffs;
}

function run(l: DnsLab, args: string): void {
  dig({ udp: l.udp.client }, args, () => {});
  l.engine.runFor(SECOND);
}

test('tshark decodes our DNS exchanges as we do, cleanly', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const { l, caps } = setup();
  run(l, '@10.43.0.10 kubernetes.default.svc.cluster.local');
  run(l, '@10.43.0.10 nope.default.svc.cluster.local');
  run(l, '@10.43.0.10 _https._tcp.kubernetes.default.svc.cluster.local SRV');
  run(l, '@10.43.0.10 big.cluster.local TXT +ignore');
  run(l, '@10.43.0.10 www.example.org +noedns');
  run(l, '@10.43.0.10 -x 10.43.0.1');
  let checked = 0;
  const rcodes = new Set<number>();
  for (const c of caps) {
    const pcap = c.writer.bytes();
    const frames = tsharkFramesOf(pcap);
    assertCleanDecode(frames);
    const parsed = parsePcap(pcap);
    assert.ok(parsed.ok);
    const records = parsed.value.records;
    assert.equal(frames.length, records.length, c.fileName);
    records.forEach((rec, i) => {
      const m = dnsOf(rec.data);
      if (m === undefined) return;
      assert.ok(frames[i]!.protocols.includes('dns'), `${c.fileName} frame ${i + 1}: tshark sees no DNS`);
      assert.deepEqual(compare(frames[i]!, m), [], `${c.fileName} frame ${i + 1}`);
      if (m.qr) rcodes.add(m.rcode);
      checked++;
    });
  }
  // 6 queries and 6 answers on the client's link and again on the server's, where the forwarded pair
  // also passes, as it does on the upstream's link
  assert.equal(checked, 12 + (12 + 2) + 2);
  assert.deepEqual([...rcodes].sort(), [0, 3]);
});

test('a query tshark finds malformed gets FORMERR, which tshark decodes cleanly', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const { l, caps } = setup();
  // a valid question, then an answer record whose RDLENGTH (4) runs past the end of the message
  const query = hex(
    'be ef 01 00 00 01 00 01 00 00 00 00 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01 c0 0c 00 01 00 01 00 00 00 3c 00 04 0a 00',
  );
  const port = l.udp.client.bind(0, () => {});
  l.udp.client.send(port, ip('10.43.0.10'), 53, query);
  l.engine.runFor(SECOND);
  const client = caps.find((c) => c.fileName.startsWith('client-'))!;
  const frames = tsharkFramesOf(client.writer.bytes()).filter((f) => f.protocols.includes('dns'));
  assert.equal(frames.length, 2);
  const [q, a] = frames as [TsharkFrame, TsharkFrame];
  assert.ok(
    decodeProblems(q).includes('malformed packet'),
    `tshark should call the query malformed: ${decodeProblems(q).join('; ')}`,
  );
  assert.deepEqual(decodeProblems(a), []);
  assert.deepEqual(
    [a.fields['dns.id'], a.fields['dns.flags.rcode'], a.fields['dns.qry.name']],
    [['0xbeef'], ['1'], ['example.com']],
  );
});
