/**
 * The demo's pcaps go through the real tshark: every frame of every link (pod veths, node uplinks with
 * VXLAN on Flannel's port 8472) decodes without a malformed packet or a bad checksum, and the uplink
 * shows the pod-to-pod ping inside VXLAN VNI 1.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runDemo } from '../src/cli/demo.js';
import { assertCleanDecode, tsharkFramesOf } from './support/tshark.js';
import { requirePeer } from './support/peers.js';

const DEMO = join(import.meta.dirname, '../../examples/cluster-demo.yaml');

test('podnet demo --pcap: tshark decodes every link cleanly, VXLAN included', async (t: TestContext) => {
  if (!requirePeer(t, 'tshark', { bin: 'tshark', install: 'apt-get install -y tshark' })) return;
  for (const backend of ['vxlan', 'udp'] as const) {
    const r = await runDemo({ file: DEMO, backend, compare: false, pcap: true, json: false, explain: false });
    assert.equal(r.status, 0);
    assert.ok(r.captures.length >= 8, `${r.captures.length} captures`);
    let inner = 0;
    for (const c of r.captures) {
      const frames = tsharkFramesOf(c.writer.bytes(), { decodeAs: ['udp.port==8472,vxlan', 'udp.port==8285,ip'] });
      assertCleanDecode(frames);
      for (const f of frames)
        if (
          f.protocols.includes('icmp') &&
          (f.protocols.includes('vxlan') || f.fields['udp.dstport']?.includes('8285'))
        )
          inner++;
    }
    // the echo request and reply, each on both uplinks (sent and received side)... at least one each way
    assert.ok(inner >= 2, `${backend}: ${inner} encapsulated ICMP frames`);
  }
});
