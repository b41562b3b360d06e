/**
 * STP on Linux bridge nodes (`bridges: [{ ..., stp: true }]`), end to end through `podnet run`: two hosts
 * whose bridges are joined by two cables form a loop. Without STP the first ARP request circles and the
 * storm detector stops the step; with STP one bridge port blocks after 2 x forward delay and the ping passes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';

/** hv1 and hv2 bridge e1, e2 (the two cables between them) and e3 (a VM each); br0 carries STP when asked. */
function bridgeLoop(stp: boolean, priority?: number): string {
  const br = (p?: number): string =>
    `[{ name: br0, ports: [e1, e2, e3]${stp ? ', stp: true' : ''}${p !== undefined ? `, priority: ${p}` : ''} }]`;
  const hv = (name: string, n: number, p?: number): string =>
    `    - name: ${name}
      kind: host
      interfaces:
        - { name: e1, mac: "02:00:00:00:0${n}:01" }
        - { name: e2, mac: "02:00:00:00:0${n}:02" }
        - { name: e3, mac: "02:00:00:00:0${n}:03" }
      bridges: ${br(p)}`;
  return `apiVersion: podnet.dev/v1alpha1
kind: Lab
metadata: { name: bridge-loop }
spec:
  nodes:
${hv('hv1', 1)}
${hv('hv2', 2, priority)}
    - { name: vm1, kind: host, interfaces: [{ name: eth0, mac: "02:00:00:00:01:0a", address: 10.0.0.1/24 }] }
    - { name: vm2, kind: host, interfaces: [{ name: eth0, mac: "02:00:00:00:02:0a", address: 10.0.0.2/24 }] }
  links:
    - { a: "hv1:e1", b: "hv2:e1" }
    - { a: "hv1:e2", b: "hv2:e2" }
    - { a: "vm1:eth0", b: "hv1:e3" }
    - { a: "vm2:eth0", b: "hv2:e3" }
  steps:
${stp ? '    - { name: listening and learning, wait: 35s }\n' : ''}    - name: vm1 pings vm2
      ping: { from: vm1, to: vm2, count: 1 }
      expect: { received: 1 }
    - name: the tree
      show: { stp: hv1 }
    - name: the tree
      show: { stp: hv2 }
`;
}

async function run(text: string, t: { after(fn: () => void): void }): Promise<{ code: number; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-stp-bridge-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, text);
  const out: string[] = [];
  const code = await main(
    ['run', file],
    (s) => out.push(s),
    (s) => out.push(s),
  );
  return { code, out: out.join('\n') };
}

test('two Linux bridges in a loop without STP: the storm is detected and named', async (t) => {
  const r = await run(bridgeLoop(false), t);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /broadcast storm: frame ARP request .* the switches form a loop \(enable STP\)/);
  assert.match(r.out, /not run/);
});

test('two Linux bridges in a loop with STP: one port blocks, the ping passes', async (t) => {
  const r = await run(bridgeLoop(true), t);
  assert.equal(r.code, 0, r.out);
  // equal priorities: the lower bridge MAC is root. A Linux bridge takes the lowest MAC of its ports, so
  // hv1's br0 is 8000.020000000101 and hv2's is 8000.020000000201; hv2's root port is e1 (lower port id on
  // a cost tie) and its e2 is the one that blocks.
  assert.match(r.out, /STP of hv1 br0: root bridge/);
  assert.match(r.out, /STP of hv2 br0: root 8000\.020000000101 cost 4/);
  assert.match(r.out, /e1 +root +forwarding/);
  assert.match(r.out, /e2 +alternate +blocking/);
  assert.doesNotMatch(r.out.split('STP of hv2')[0] ?? '', /blocking/, 'the root bridge blocks nothing');
});

test('STP on bridges: a lower priority makes hv2 the root instead', async (t) => {
  const r = await run(bridgeLoop(true, 4096), t);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /STP of hv2 br0: root bridge/);
  assert.match(r.out, /STP of hv1 br0: root 1000\.020000000201 cost 4/);
});
