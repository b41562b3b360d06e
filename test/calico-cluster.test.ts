/**
 * Calico clusters end to end: every cluster-calico-*.yaml example passes its steps, and the notes' two
 * walkthroughs look on the wire as the notes' captures do, read by the real tshark: in IPIP mode the
 * ping between the hosts has two IP headers (outer protocol 4 between 172.171.5.95 and .96, inner
 * between the pods); in BGP mode one, with the hosts' own MACs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { runDemo } from '../src/cli/demo.js';
import { cli } from './support/cli.js';
import { EXAMPLES_DIR } from './support/examples.js';
import { assertCleanDecode, tsharkFramesOf } from './support/tshark.js';
import { requirePeer } from './support/peers.js';

const calicoExamples = readdirSync(EXAMPLES_DIR).filter((f) => /^cluster-calico-.*\.yaml$/.test(f));

test('there are Calico examples: IPIP, BGP, cross-subnet both ways, route reflectors', () => {
  for (const want of ['ipip', 'bgp', 'cross-subnet', 'cross-subnet-bgp', 'rr'])
    assert.ok(calicoExamples.includes(`cluster-calico-${want}.yaml`), `cluster-calico-${want}.yaml`);
});

for (const name of calicoExamples) {
  test(`podnet run examples/${name}: every step passes`, async () => {
    const r = await cli('run', join(EXAMPLES_DIR, name));
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^\d+ passed, 0 failed$/m);
  });
}

test("the notes' captures: IPIP has two IP layers between the hosts, BGP one with the hosts' MACs", async (t) => {
  if (!requirePeer(t, 'tshark', { bin: 'tshark', install: 'apt-get install -y tshark' })) return;
  const seen: Record<string, { ip: string[]; proto: string[]; eth: string[] }> = {};
  for (const mode of ['ipip', 'bgp'] as const) {
    const r = await runDemo({
      file: join(EXAMPLES_DIR, `cluster-calico-${mode}.yaml`),
      compare: false,
      pcap: true,
      json: false,
      explain: false,
      act: 1,
    });
    assert.equal(r.status, 0, r.text);
    const uplink = r.captures.find((c) => c.fileName.startsWith('master-eth0'));
    assert.ok(uplink, r.captures.map((c) => c.fileName).join(', '));
    const frames = tsharkFramesOf(uplink.writer.bytes(), {
      fields: ['ip.src', 'ip.dst', 'ip.proto', 'eth.src', 'eth.dst', 'icmp.type'],
    });
    assertCleanDecode(frames);
    const echo = frames.find((f) => f.fields['icmp.type']?.[0] === '8');
    assert.ok(echo, `${mode}: no echo request on master's uplink`);
    seen[mode] = {
      ip: echo.fields['ip.src']!.map((s, i) => `${s}>${echo.fields['ip.dst']![i]}`),
      proto: echo.fields['ip.proto']!,
      eth: [echo.fields['eth.src']![0]!, echo.fields['eth.dst']![0]!],
    };
  }
  // IPIP: the outer header (protocol 4) between the hosts, the inner one between the pods
  assert.deepEqual(seen.ipip!.ip, ['172.171.5.95>172.171.5.96', '192.168.236.2>192.168.190.193']);
  assert.deepEqual(seen.ipip!.proto, ['4', '1']);
  // BGP: one IP header, pod to pod, carried between the hosts' own MACs (master's eth0 to node's eth0)
  assert.deepEqual(seen.bgp!.ip, ['192.168.236.1>192.168.190.192']);
  assert.deepEqual(seen.bgp!.proto, ['1']);
  assert.deepEqual(seen.bgp!.eth, ['02:00:c0:a8:00:00', '02:00:c0:a8:00:01']);
});
