/**
 * Bad input never crashes anything: random bytes arriving as a VXLAN payload on Flannel's port, as a TCP
 * segment at a listening stack, or as a whole frame at a cluster node are dropped (or answered) without
 * an exception, and every drop is counted by reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { join } from 'node:path';
import { loadCluster } from '../src/scenario/manifests.js';
import { buildCluster } from '../src/cluster/runtime.js';
import { readFileSync } from 'node:fs';
import { buildIpv4 } from '../src/wire/ipv4.js';
import { udpChecksum } from '../src/wire/udp.js';
import { writeMac } from '../src/wire/addr.js';

const DEMO = join(import.meta.dirname, '../../examples/cluster-demo.yaml');

async function demo() {
  const r = loadCluster([{ file: 'demo.yaml', text: readFileSync(DEMO, 'utf8') }]);
  assert.ok(r.ok);
  return buildCluster(r.cluster.plan);
}

/** An Ethernet frame from the other node to `node`, carrying `proto` with `payload` (UDP gets a header and checksum). */
function frameTo(c: Awaited<ReturnType<typeof demo>>, proto: number, payload: Uint8Array, dport = 8472): Uint8Array {
  const server = c.nodes.get('server')!;
  const agent = c.nodes.get('agent')!;
  let l4 = payload;
  if (proto === 17) {
    l4 = new Uint8Array(8 + payload.length);
    l4[0] = 0x9c;
    l4[1] = 0x40;
    l4[2] = dport >> 8;
    l4[3] = dport & 0xff;
    l4[4] = l4.length >> 8;
    l4[5] = l4.length & 0xff;
    l4.set(payload, 8);
    const cs = udpChecksum(agent.ip, server.ip, l4, 0, l4.length);
    l4[6] = cs >> 8;
    l4[7] = cs & 0xff;
  }
  const ip = buildIpv4(
    {
      tos: 0,
      id: 1,
      df: false,
      mf: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: proto,
      src: agent.ip,
      dst: server.ip,
      options: new Uint8Array(0),
    },
    l4,
  );
  const f = new Uint8Array(14 + ip.length);
  writeMac(f, 0, server.stack.dev('eth0')!.mac);
  writeMac(f, 6, agent.stack.dev('eth0')!.mac);
  f[12] = 0x08;
  f[13] = 0x00;
  f.set(ip, 14);
  return f;
}

test('random VXLAN payloads, TCP segments and raw frames at a cluster node never throw and are counted', async () => {
  const c = await demo();
  const server = c.nodes.get('server')!;
  const port = server.stack.port('eth0')!;
  fc.assert(
    fc.property(fc.constantFrom(17, 6, -1), fc.uint8Array({ maxLength: 200 }), (kind, bytes) => {
      const before = c.network.dropCount;
      const frame = kind === -1 ? bytes : frameTo(c, kind, bytes);
      server.stack.receive(port, frame);
      c.engine.runUntilIdle(5e9);
      const counted = Object.values(server.stack.drops).reduce((a, n) => a + (n ?? 0), 0);
      assert.ok(c.network.dropCount >= before);
      assert.ok(counted <= c.network.dropCount);
    }),
    { numRuns: 300 },
  );
  // and the cluster still works afterwards
  const pods = [...c.pods.values()];
  const a = pods.find((p) => p.node === 'server')!;
  const b = pods.find((p) => p.node === 'agent')!;
  let got = 0;
  b.udp.bind(7000, () => got++);
  a.udp.send(40000, b.ip, 7000, new Uint8Array([1]));
  c.engine.runUntilIdle(5e9);
  assert.equal(got, 1);
});
