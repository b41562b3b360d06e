/**
 * The frame inspector's dissector on bytes nobody should trust: real frames from the cluster demo and the
 * crafted ones, cut at every length, with bytes changed at random, and plain random bytes behind an Ethernet
 * header. It never throws, and every layer lies inside the frame and every field inside its layer. Also the
 * hex dump's rows and the byte-to-field lookup on the demo's VXLAN frame.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { runDemo } from '../src/cli/demo.js';
import { dissectFrame, fieldAt, hexDump } from '../src/observe/dissect/index.js';
import type { DissectedField, DissectedLayer } from '../src/observe/dissect/types.js';
import { parsePcap } from '../src/observe/pcap.js';
import { EXAMPLES_DIR } from './support/examples.js';
import { CRAFTED_FRAMES } from './fixtures/dissect-frames.js';

/** Frames of the demo's act 1 and 2 with Flannel's VXLAN backend, one per distinct (length, first 60 bytes' shape). */
async function demoFrames(): Promise<Uint8Array[]> {
  const r = await runDemo({
    file: join(EXAMPLES_DIR, 'cluster-demo.yaml'),
    backend: 'vxlan',
    compare: false,
    pcap: true,
    json: false,
    explain: false,
  });
  const out: Uint8Array[] = [];
  for (const c of r.captures) {
    const p = parsePcap(c.writer.bytes());
    assert.ok(p.ok);
    for (const rec of p.value.records) out.push(rec.data);
  }
  return out;
}

/** Problems with the layers' and fields' ranges, [] when all lie inside the frame and their layer. */
function rangeProblems(frame: Uint8Array, layers: DissectedLayer[]): string[] {
  const out: string[] = [];
  const check = (l: DissectedLayer, fields: DissectedField[]): void => {
    for (const f of fields) {
      if (f.offset < l.offset || f.length < 0 || f.offset + f.length > l.offset + l.length)
        out.push(`${f.name || f.label} [${f.offset}, +${f.length}) outside ${l.id} [${l.offset}, +${l.length})`);
      if (f.children) check(l, f.children);
    }
  };
  for (const l of layers) {
    if (l.offset < 0 || l.length < 0 || l.offset + l.length > frame.length)
      out.push(`layer ${l.id} [${l.offset}, +${l.length}) outside the frame of ${frame.length}`);
    check(l, l.fields);
  }
  return out;
}

function holds(frame: Uint8Array): void {
  const layers = dissectFrame(frame);
  assert.deepEqual(rangeProblems(frame, layers), []);
}

test('dissectFrame never throws, and every range lies inside its layer and the frame', async () => {
  const seeds = [...(await demoFrames()), ...CRAFTED_FRAMES.map((c) => c.bytes)];
  // every seed whole, then every prefix of a sample of them
  for (const s of seeds) holds(s);
  for (const s of seeds.filter((_, i) => i % 7 === 0)) for (let n = 0; n <= s.length; n++) holds(s.subarray(0, n));
  const seed = fc.constantFrom(...seeds);
  fc.assert(
    fc.property(
      seed,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.nat(),
      (s, edits, cut) => {
        const b = s.slice(0, s.length - (cut % (s.length + 1)));
        for (const [i, v] of edits) if (b.length > 0) b[i % b.length] = v;
        holds(b);
      },
    ),
    { numRuns: 3000 },
  );
  // random bytes behind a header that sends them to each dissector
  const head = fc.constantFrom(
    '0800', // IPv4
    '0806', // ARP
    '8100', // 802.1Q
    '0026', // 802.3 length: LLC
  );
  fc.assert(
    fc.property(head, fc.uint8Array({ maxLength: 300 }), (type, rest) => {
      const b = new Uint8Array(14 + rest.length);
      b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, parseInt(type.slice(0, 2), 16), parseInt(type.slice(2), 16)]);
      b.set(rest, 14);
      holds(b);
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => holds(b)),
    { numRuns: 1000 },
  );
});

test("the demo's VXLAN frame: layers in Wireshark's order, hex rows, and a byte selects its field", async () => {
  const frames = await demoFrames();
  const vx = frames.find(
    (f) => dissectFrame(f).some((l) => l.id === 'vxlan') && dissectFrame(f).some((l) => l.id === 'icmp'),
  );
  assert.ok(vx, 'the cross-node ping crosses the underlay in VXLAN');
  const layers = dissectFrame(vx);
  assert.deepEqual(
    layers.map((l) => l.id),
    ['eth', 'ip', 'udp', 'vxlan', 'eth', 'ip', 'icmp', 'data'],
  );
  const udp = layers[2]!;
  assert.equal(udp.title.endsWith('Dst Port: 8472'), true, udp.title);
  const vni = layers[3]!.fields.find((f) => f.name === 'vxlan.vni')!;
  assert.deepEqual([vni.offset, vni.length, vni.value, vni.label], [46, 3, '1', 'VXLAN Network Identifier (VNI): 1']);
  // the reverse highlight: each VNI byte selects the VNI; the inner IPv4 TTL byte selects the inner TTL
  for (const b of [46, 47, 48]) assert.equal(fieldAt(layers, b)?.field.name, 'vxlan.vni');
  const innerIp = layers[5]!;
  const ttl = fieldAt(layers, innerIp.offset + 8)!;
  assert.equal(ttl.field.name, 'ip.ttl');
  assert.equal(ttl.layer, innerIp);
  // a flags byte selects the flags word, not one of its bits; a MAC selects the address, not its repeat
  assert.equal(fieldAt(layers, innerIp.offset + 6)?.field.name, 'ip.flags');
  assert.equal(fieldAt(layers, 0)?.field.name, 'eth.dst');
  assert.equal(fieldAt(layers, vx.length), undefined);
  // the hex pane: 16 bytes a row, offsets as tshark -x prints them, '.' for what is not printable ASCII
  const rows = hexDump(vx);
  assert.equal(rows.length, Math.ceil(vx.length / 16));
  assert.deepEqual([rows[0]!.offsetText, rows[1]!.offsetText], ['0000', '0010']);
  assert.equal(rows[0]!.hex.join(' '), [...vx.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join(' '));
  assert.equal(rows.at(-1)!.hex.length, vx.length % 16 || 16);
  assert.equal(hexDump(new TextEncoder().encode('GET / \x00')).at(0)!.ascii, 'GET / .');
});
